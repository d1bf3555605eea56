"""The population model's census (xrbvo.galaxy.census) and the field priors that read it."""

import ast
import inspect

import numpy as np
import pytest

from xrbvo.core.errors import InputError
from xrbvo.galaxy import census


def test_agn_counts_are_moretti_2003():
    # Moretti et al. (2003) eq. 2 with their soft-band parameters, evaluated by hand:
    # N(>1e-14) = 6150 (2e-15)^1.82 / ((1e-14)^1.82 + (1.48e-14)^1.22 (1e-14)^0.6) = 125.7 deg^-2
    n = census.agn_counts_above([1e-14, 1e-13])
    assert n[0] == pytest.approx(125.7, rel=0.01)
    assert n[1] == pytest.approx(4.54, rel=0.01)


def test_erass1_sensitivity_is_deeper_towards_the_ecliptic_poles():
    s = census.Sensitivity()
    lim = s.limits([0.0, 30.0, 60.0, 89.0, -90.0])
    # half the sky lies at |beta| < 30 deg: the median exposure, where the limit is the one given
    assert lim[1] == pytest.approx(5e-14)
    assert lim[0] > lim[1] > lim[2] > lim[3]
    assert lim[4] == pytest.approx(lim[3], rel=0.2) and lim[4] < lim[1] / 10
    flat = census.Sensitivity(exposure="flat").limits([0.0, 89.0])
    assert np.all(flat == 5e-14)


@pytest.mark.parametrize("bad", [0.0, -1e-14, float("nan"), float("inf")])
def test_a_flux_limit_that_is_not_a_positive_number_is_refused(bad):
    with pytest.raises(InputError, match="flux limit"):
        census.census("gal:200,210,40,50", census.Sensitivity(flux_limit=bad))


def test_census_adds_up_over_parts_of_a_region_and_grows_with_depth():
    flat = census.Sensitivity(exposure="flat")
    whole = census.census("gal:200,220,30,50", flat, step_deg=5.0)
    halves = [census.census(r, flat, step_deg=5.0) for r in ("gal:200,210,30,50", "gal:210,220,30,50")]
    assert whole.area_deg2 == pytest.approx(sum(h.area_deg2 for h in halves))
    for k in census.CENSUS_CLASSES:
        assert whole.expected[k] == pytest.approx(sum(h.expected[k] for h in halves), rel=1e-9)
    # high latitude: AGN dominate; a deeper survey finds more of every class
    assert whole.expected["AGN"] > 0.5 * whole.total
    deeper = census.census("gal:200,220,30,50", census.Sensitivity(flux_limit=1e-14, exposure="flat"), step_deg=5.0)
    assert all(deeper.expected[k] > whole.expected[k] for k in ("AGN", "STAR", "CV", "CLUSTER"))
    assert set(whole.as_dict()) >= {"region", "flux_limit", "expected", "total"}


def test_equatorial_boxes_and_cones_have_their_area():
    box = census.cells_for_region("eq:10,20,-5,5", step_deg=1.0)
    assert box.area_deg2 == pytest.approx(10 * np.degrees(1.0) * 2 * np.sin(np.radians(5)), rel=1e-9)
    cone = census.cells_for_region("cone:83.6,22.0,3", step_deg=2.0)
    assert cone.area_deg2 == pytest.approx(np.pi * 9, rel=0.05)
    tiny = census.cells_for_region("cone:83.6,22.0,0.001")
    assert tiny.area_deg2 == pytest.approx(np.pi * 1e-6, rel=0.02)


def test_field_priors_take_their_counts_from_the_galaxy_census_not_the_simulator():
    from xrbvo.stages.classify import priors

    tree = ast.parse(inspect.getsource(priors))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith("xrbvo.sim") for m in imported)
    got = priors.expected_field_counts([300.5], [0.5], tile_deg=2.0, step_deg=1.0)
    cells = census.cells_for_tiles([300.5], [0.5], tile_deg=2.0, step_deg=1.0)
    assert got == census.expected_counts(cells, census.Sensitivity(exposure="flat"))


def test_coronal_star_model_is_its_published_components():
    # STAR is the sum of the components of STAR_COMPONENTS (density, mean L_X), nothing else
    from xrbvo.galaxy.populations import CLASS_MODELS, STAR_COMPONENTS

    model = CLASS_MODELS["STAR"]
    assert model.rho0_pc3 == pytest.approx(sum(n for n, _ in STAR_COMPONENTS.values()))
    # Zhu & Preibisch (2025): 205 M dwarfs within 10 pc; Sazonov et al. (2006): 1.2e-2 active binaries per Msun
    assert STAR_COMPONENTS["M dwarfs"][0] == pytest.approx(205 / (4 / 3 * np.pi * 1000), rel=1e-9)
    assert STAR_COMPONENTS["active binaries"][0] == pytest.approx(1.2e-2 * 0.04, rel=1e-9)
    # each component's mean luminosity, integrated over its log-normal, is the published one (the quiet dwarfs are
    # not truncated; the cut at 1e32 erg/s takes 7% of the binaries' mean)
    x = np.linspace(model.lf.lo, model.lf.hi, 8001)
    xm = 0.5 * (x[1:] + x[:-1])
    means = {}
    for (n, lf), (name, (n_pub, mean_l)) in zip(model.lf.components, STAR_COMPONENTS.items()):
        share = -np.diff(lf.sf(x))
        means[name] = float(share @ 10.0**xm) / mean_l
        assert n == pytest.approx(n_pub)
    assert means["M dwarfs"] == pytest.approx(1.0, abs=0.01)
    assert means["G and K dwarfs"] == pytest.approx(1.0, abs=0.01)
    assert 0.9 < means["active binaries"] < 0.97
    # the Euclidean arithmetic of the module notes: n <L^1.5> summed over the components, cut at 1e32, is 3.4e42
    share = -np.diff(model.lf.sf(x))
    assert model.rho0_pc3 * float(share @ 10.0 ** (1.5 * xm)) == pytest.approx(3.4e42, rel=0.02)


def test_mixture_draws_follow_its_survival_function():
    from xrbvo.galaxy.populations import CLASS_MODELS

    lf = CLASS_MODELS["STAR"].lf
    rng = np.random.default_rng(3)
    lmin = np.full(200_000, 28.5)
    got = lf.sample_above(lmin, rng)
    assert got.min() >= 28.5 and got.max() <= lf.hi
    for cut in (29.0, 30.0, 31.0):
        expected = lf.sf(cut) / lf.sf(28.5)
        assert np.mean(got > cut) == pytest.approx(expected, rel=0.05, abs=2e-4)
    assert lf.sample_above(np.zeros(0), rng).size == 0
