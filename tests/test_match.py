import math

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.errors import InputError, MissingColumnError
from xrbvo.match import (AssociationInput, BayesConfig, BayesianAssociator, learn_mag_prior,
                         union_area_arcsec2)
from xrbvo.match.bayes import ARCSEC2_PER_SR


def _xray(n=1, err=2.0):
    return Table({"xid": [f"x{i}" for i in range(n)], "ra": 10.0 + 0.1 * np.arange(n), "dec": np.zeros(n),
                  "pos_err": np.full(n, err)})


def _nb(xids, dx_arcsec, dy_arcsec, err, x_ra=None, prefix="g"):
    xids = np.asarray(xids)
    x_ra = 10.0 + 0.1 * np.array([int(x[1:]) for x in xids]) if x_ra is None else x_ra
    ra = x_ra + np.asarray(dx_arcsec) / 3600.0
    dec = np.asarray(dy_arcsec) / 3600.0
    sep = np.hypot(dx_arcsec, dy_arcsec)
    t = Table({"xid": xids, "nid": [f"{prefix}{i}" for i in range(len(xids))], "ra": ra, "dec": dec,
               "pos_err": np.full(len(xids), err), "sep": sep})
    return t


def test_two_way_single_candidate_equals_closed_form():
    c, r = 0.8, 10.0
    x = _xray(err=2.0)
    nb = _nb(["x0"], [3.0], [0.0], 0.1)
    res = BayesianAssociator(BayesConfig(completeness={"gaia": c}))(AssociationInput(x, {"gaia": nb}, r))
    s2 = (2.0**2 + 0.1**2) / ARCSEC2_PER_SR
    psi2 = 9.0 / ARCSEC2_PER_SR
    bf = 2.0 / s2 * math.exp(-psi2 / (2 * s2))
    nu = 1.0 / (math.pi * r**2) * ARCSEC2_PER_SR  # one candidate in one cone
    odds = c / (1 - c) * bf / (4 * math.pi * nu)
    assert res.sources["p_any"][0] == pytest.approx(odds / (1 + odds), rel=1e-6)
    assert res.combinations["dist_bayesfactor"][0] == pytest.approx(math.log10(bf), rel=1e-9)
    assert res.sources["nid_gaia"][0] == "g0" and res.sources["match_flag"][0] == 1


def test_three_way_bayes_factor_equals_pairwise_formula():
    x = _xray(err=3.0)
    g = _nb(["x0"], [1.0], [0.5], 0.2, prefix="g")
    w = _nb(["x0"], [1.4], [0.2], 0.5, prefix="w")
    res = BayesianAssociator(BayesConfig(completeness={"gaia": 0.7, "catwise": 0.6}))(
        AssociationInput(x, {"gaia": g, "catwise": w}, 10.0))
    row = [i for i in range(len(res.combinations))
           if res.combinations["nid_gaia"][i] == "g0" and res.combinations["nid_catwise"][i] == "w0"][0]
    pos = np.array([[0.0, 0.0], [1.0, 0.5], [1.4, 0.2]])
    sig = np.array([3.0, 0.2, 0.5])
    wts = ARCSEC2_PER_SR / sig**2
    q = sum(wts[i] * wts[j] * np.sum((pos[i] - pos[j]) ** 2) / ARCSEC2_PER_SR
            for i in range(3) for j in range(i + 1, 3)) / wts.sum()
    ln_b = 2 * math.log(2) + np.log(wts).sum() - math.log(wts.sum()) - q / 2
    assert res.combinations["dist_bayesfactor"][row] == pytest.approx(ln_b / math.log(10), rel=1e-9)
    assert len(res.combinations) == 3  # (g0, none), (none, w0), (g0, w0)


def _field(rng, n_src=30, per=8, r=15.0):
    x = _xray(n_src, err=3.0)
    xids = np.repeat(x["xid"], per)
    dx = rng.uniform(-r, r, len(xids)) * 0.7
    dy = rng.uniform(-r, r, len(xids)) * 0.7
    g = _nb(xids, dx, dy, 0.05)
    g["G"] = rng.uniform(12, 21, len(g))
    return x, g


def test_probabilities_are_bounded_sum_to_one_and_ignore_row_order():
    rng = np.random.default_rng(1)
    x, g = _field(rng)
    eng = BayesianAssociator(BayesConfig(completeness={"gaia": 0.8}))
    res = eng(AssociationInput(x, {"gaia": g}, 15.0))
    c = res.combinations
    for col in ("p_i", "p_single", "dist_post"):
        assert np.all((c[col] >= 0) & (c[col] <= 1))
    assert np.all((res.sources["p_any"] >= 0) & (res.sources["p_any"] <= 1))
    sums = {k: 0.0 for k in x["xid"]}
    for k, p in zip(c["xid"], c["p_i"]):
        sums[k] += p
    assert np.allclose(list(sums.values()), 1.0, atol=1e-9)
    perm_x, perm_g = rng.permutation(len(x)), rng.permutation(len(g))
    res2 = eng(AssociationInput(x[perm_x], {"gaia": g[perm_g]}, 15.0))
    a = dict(zip(res.sources["xid"], res.sources["p_any"]))
    b = dict(zip(res2.sources["xid"], res2.sources["p_any"]))
    assert all(a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-12) for k in a)
    assert dict(zip(res.sources["xid"], res.sources["nid_gaia"])) == dict(zip(res2.sources["xid"],
                                                                              res2.sources["nid_gaia"]))


def test_p_any_falls_as_the_error_shrinks_for_a_distant_candidate():
    nb = _nb(["x0"], [8.0], [0.0], 0.1)
    p = [BayesianAssociator()(AssociationInput(_xray(err=e), {"gaia": nb}, 12.0)).sources["p_any"][0]
         for e in (4.0, 3.0, 2.0, 1.0)]
    assert np.all(np.diff(p) < 0)


def test_union_area_of_overlapping_cones_matches_the_lens_formula():
    r = 30.0
    d = 30.0  # centre distance, arcsec
    ra = np.array([50.0, 50.0 + d / 3600.0])
    dec = np.array([0.0, 0.0])
    lens = 2 * r**2 * math.acos(d / (2 * r)) - 0.5 * d * math.sqrt(4 * r**2 - d**2)
    expected = 2 * math.pi * r**2 - lens
    got = union_area_arcsec2(ra, dec, r, samples_per_cone=20000)
    assert got == pytest.approx(expected, rel=0.02)
    far = union_area_arcsec2(np.array([50.0, 51.0]), dec, r)
    assert far == pytest.approx(2 * math.pi * r**2)


def test_learnt_magnitude_prior_favours_the_counterparts_magnitudes():
    rng = np.random.default_rng(3)
    n_src, r, rm = 400, 15.0, 3.0
    field_sep = r * np.sqrt(rng.random(n_src * 10))
    field_mag = rng.uniform(17, 21, n_src * 10)
    ctp_sep = np.abs(rng.normal(0, 1.0, n_src))
    ctp_mag = rng.uniform(12, 15, n_src)
    prior = learn_mag_prior(np.concatenate([field_mag, ctp_mag]), np.concatenate([field_sep, ctp_sep]), r, rm,
                            n_src, bins=8)
    assert prior(np.array([13.0]))[0] > 5.0
    assert prior(np.array([20.0]))[0] < 0.5
    assert np.isfinite(prior(np.array([np.nan]))[0])


def test_local_density_needs_a_wide_enough_pull_and_bad_options_fail():
    rng = np.random.default_rng(2)
    x, g = _field(rng)
    g.meta["radius_arcsec"] = 15.0
    with pytest.raises(InputError, match="annulus"):
        BayesianAssociator(BayesConfig(density="local", local_annulus_arcsec=(10.0, 30.0)))(
            AssociationInput(x, {"gaia": g}, 10.0))
    res = BayesianAssociator(BayesConfig(density="local", local_annulus_arcsec=(10.0, 15.0)))(
        AssociationInput(x, {"gaia": g}, 10.0))
    assert len(res.sources) == len(x)
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        BayesianAssociator(BayesConfig(completeness={"gaia": 1.0}))(AssociationInput(x, {"gaia": g}, 10.0))
    with pytest.raises(MissingColumnError, match="sep"):
        BayesianAssociator()(AssociationInput(x, {"gaia": g["xid", "nid", "ra", "dec", "pos_err"]}, 10.0))


def test_bayesian_matching_beats_chance_on_the_simulated_sky(small_sky, small_xray):
    from xrbvo.providers import SimProvider

    nbs = SimProvider(small_sky).neighbourhoods(small_xray, 20.0, ["gaia", "2mass", "catwise"])
    res = BayesianAssociator()(AssociationInput(small_xray, nbs, 20.0))
    truth = np.asarray(small_sky.truth["ctp_gaia"]).astype(str)
    chosen = np.asarray(res.sources["nid_gaia"]).astype(str)
    has = truth != ""
    n_cand = np.array([np.sum(np.asarray(nbs["gaia"]["xid"]) == x) for x in small_xray["xid"]])
    chance = np.mean(1.0 / np.maximum(n_cand[has], 1))
    assert np.mean(chosen[has] == truth[has]) > 1.5 * chance
