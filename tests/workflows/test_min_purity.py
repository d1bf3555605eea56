"""Per-source priors and candidates where purity is real (issue 24, items 2 and 4; the default for blind surveys)."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.cli import main
from xrbvo.core.schema import CLASSES
from xrbvo.workflows import ModelBundle, SciencePolicy, analyse, resolve_policy
from xrbvo.workflows.policy import POLICY_VERSION


@pytest.fixture(scope="module")
def bundle(small_model):
    model, ts = small_model
    ref = {c: float(ts.reference_priors.get(c, 0.0)) for c in CLASSES}
    return ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ref})


def test_sources_without_a_flux_fall_back_to_the_field_mix_and_are_counted(bundle):
    l, b = np.full(4, 330.0), np.array([0.5, -0.5, 1.0, 0.2])
    flux = np.array([1e-13, np.nan, 1e-11, np.nan])
    r = resolve_policy(SciencePolicy(field_priors="source"), bundle, l_deg=l, b_deg=b, soft_flux=flux,
                       xray_survey="erass1")
    assert r.mode == "source" and r.n_fallback == 2 and r.n_shifted == 4
    field = np.array([r.field_mix[c] for c in r.classes])
    np.testing.assert_allclose(r.field_priors[[1, 3]], np.broadcast_to(field, (2, len(field))))
    assert not np.allclose(r.field_priors[0], r.field_priors[2])  # own priors: they differ with flux
    assert r.header()["NFALLBK"] == 2 and r.header()["PRIORS"] == "source"
    assert "2 without a usable flux" in r.summary() and any("2 sources without" in n for n in r.notes)
    assert r.header()["POLICY"] == POLICY_VERSION == "xrbvo-policy/4"  # 4: per-source priors count the flux once


def test_a_targeted_sample_keeps_the_model_mix_and_its_cuts(bundle):
    r = resolve_policy(SciencePolicy(field_priors="source", min_purity=0.5), bundle, l_deg=[330.0], b_deg=[0.5],
                       soft_flux=[1e-12], layout="csc-field")
    assert r.sample == "targeted" and r.mode == "training" and r.min_purity is None
    assert "MINPUR" not in r.header() and len(r.notes) == 2


@pytest.mark.parametrize("value", ["0", "-0.2", "1.5", "nan", "abc"])
def test_bad_min_purity_is_one_line_and_exit_2(value, tmp_path, capsys):
    xr = tmp_path / "x.csv"
    Table({"ra": [10.0], "dec": [-60.0], "pos_err": [2.0], "flux_soft": [1e-13]}).write(xr)
    rc = main(["-q", "classify", str(xr), "--model", str(tmp_path / "nomodel"), "--min-purity", value,
               "--out", str(tmp_path / "o.fits")])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and "--min-purity" in err and "Traceback" not in err


def test_run_and_classify_give_the_same_candidates_with_source_priors_and_min_purity(small_sky, bundle):
    from xrbvo.stages.neighbourhoods import SimProvider
    from xrbvo.workflows.classify import classify_table

    pol = SciencePolicy(field_priors="source", min_purity=0.5, sample="survey")
    xray = small_sky.xray.copy()
    del xray.meta["CLSBOOST"]  # the catalogue does not carry the sky's injection factors: the same priors both ways
    cat = analyse(xray, SimProvider(small_sky), bundle, pol).catalogue
    assert cat.meta["PRIORS"] == "source" and cat.meta["MINPUR"] == 0.5
    assert cat.meta["NCENXRB"] > 0 and "NEXPXRB" in cat.meta
    cand = np.asarray(cat["candidate_class"]).astype(str)
    assert (cand != "").any(), "the boosted field should hold candidates for the comparison to mean something"
    pur = np.asarray(cat["expected_purity"], float)
    for c in ("HMXB", "LMXB"):  # each candidate's purity is its own posterior, at least the minimum
        sel = cand == c
        np.testing.assert_allclose(pur[sel], np.asarray(cat[f"P_{c}_field"], float)[sel])
        assert (pur[sel] >= 0.5).all()
    res = classify_table(cat, bundle, pol)
    assert np.array_equal(np.asarray(res.table["candidate_class"]).astype(str), cand)
    assert res.table.meta["NEXPXRB"] == pytest.approx(cat.meta["NEXPXRB"])


def test_candidates_far_above_the_census_expectation_are_one_warning_line(capsys):
    from xrbvo.cli._ui import UI
    from xrbvo.cli.common import print_purity

    meta = {"MINPUR": 0.5, "NCANDXRB": 40, "NEXPXRB": 25.0, "EXPPUR": "HMXB=0.6;LMXB=0.7", "NCENXRB": 10.0,
            "CENSCELL": 4.0, "FLUXLIM": 5e-14}
    print_purity(UI(), meta)
    out, err = capsys.readouterr()
    assert "25.0 expected true" in out and "expects 10.0 X-ray binaries" in out
    assert len(err.strip().splitlines()) == 1 and "more than 3x" in err
    print_purity(UI(), {**meta, "NCANDXRB": 30})  # at most three times the expectation: no warning
    assert capsys.readouterr().err == ""


def test_the_census_expectation_carries_a_simulated_skys_injection_factors(bundle):
    from xrbvo.workflows.policy import purity_figures

    cat = Table({"ra": [244.0, 244.1], "dec": [-51.0, -51.1], "candidate_class": ["HMXB", ""],
                 "expected_purity": [0.9, np.nan]})
    kw = dict(l_deg=[330.0, 330.1], b_deg=[0.2, 0.3], soft_flux=[1e-12, 1e-13])
    pol = SciencePolicy(sample="survey")
    plain = purity_figures(resolve_policy(pol, bundle, **kw), cat)
    boosted = resolve_policy(pol, bundle, **kw, meta={"CLSBOOST": "HMXB=20"})
    assert boosted.injected == {"HMXB": 20.0}
    got = purity_figures(boosted, cat)
    # the injected class is expected 20 times as often; LMXB as before
    assert got["NCENXRB"] > plain["NCENXRB"] and got["NCANDXRB"] == plain["NCANDXRB"] == 1
    from xrbvo.galaxy.census import Sensitivity, cells_for_tiles, expected_counts

    from astropy import units as u
    from astropy.coordinates import SkyCoord

    g = SkyCoord(ra=cat["ra"] * u.deg, dec=cat["dec"] * u.deg).galactic  # the catalogue's own cells
    cells = cells_for_tiles(g.l.deg, g.b.deg, tile_deg=1.0, step_deg=1.0)
    exp = expected_counts(cells, Sensitivity(flux_limit=float(boosted.flux_limit), exposure="flat"))
    assert got["NCENXRB"] == pytest.approx(20 * exp["HMXB"] + exp["LMXB"])
