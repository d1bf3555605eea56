import math

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.core.errors import InputError, MissingColumnError
from xrbvo.stages.match import (AssociationInput, BayesConfig, BayesianAssociator, learn_mag_prior,
                         union_area_arcsec2)
from xrbvo.stages.match.geometry import ARCSEC2_PER_SR


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


@pytest.mark.parametrize("mode", ["nway", "independent"])
def test_two_way_single_candidate_equals_closed_form(mode):
    c, r = 0.8, 10.0
    x = _xray(err=2.0)
    nb = _nb(["x0"], [3.0], [0.0], 0.1)
    res = BayesianAssociator(BayesConfig(completeness={"gaia": c}, prior_mode=mode))(
        AssociationInput(x, {"gaia": nb}, r))
    s2 = (2.0**2 + 0.1**2) / ARCSEC2_PER_SR
    psi2 = 9.0 / ARCSEC2_PER_SR
    bf = 2.0 / s2 * math.exp(-psi2 / (2 * s2))
    nu_plus = 2.0 / (math.pi * r**2) * ARCSEC2_PER_SR  # (one candidate + 1) in one cone
    prior = c / (4 * math.pi * nu_plus)
    odds = bf * prior if mode == "nway" else bf * prior / (1 - c)
    assert res.sources["p_any"][0] == pytest.approx(odds / (1 + odds), rel=1e-6)
    assert res.combinations["dist_bayesfactor"][0] == pytest.approx(math.log10(bf), rel=1e-9)
    if mode == "nway":
        assert res.combinations["prior"][0] == pytest.approx(prior, rel=1e-9)
        assert res.combinations["dist_post"][0] == pytest.approx(1 / (1 + (1 - prior) / (prior * bf)), rel=1e-9)
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
    from xrbvo.stages.neighbourhoods import SimProvider

    nbs = SimProvider(small_sky).neighbourhoods(small_xray, 20.0, ["gaia", "2mass", "catwise"])
    res = BayesianAssociator()(AssociationInput(small_xray, nbs, 20.0))
    truth = np.asarray(small_sky.truth["ctp_gaia"]).astype(str)
    chosen = np.asarray(res.sources["nid_gaia"]).astype(str)
    has = truth != ""
    n_cand = np.array([np.sum(np.asarray(nbs["gaia"]["xid"]) == x) for x in small_xray["xid"]])
    chance = np.mean(1.0 / np.maximum(n_cand[has], 1))
    assert np.mean(chosen[has] == truth[has]) > 1.5 * chance


# ---------------------------------------------------------------------------------------------
# elliptical errors, systematic floors, proper motions

def _cfg(**kw):
    base = dict(completeness={"gaia": 0.8, "catwise": 0.7}, density="catalogue",
                catalogue_density={"gaia": (1000, 1.0), "catwise": (300, 1.0)})
    base.update(kw)
    return BayesConfig(**base)


def test_elliptical_two_way_bayes_factor_equals_the_gaussian_closed_form():
    x = _xray(err=1.0)
    nb = _nb(["x0"], [1.5], [0.8], 0.1)
    nb["err_maj"], nb["err_min"], nb["err_pa"] = [2.0], [0.5], [30.0]
    res = BayesianAssociator(_cfg())(AssociationInput(x, {"gaia": nb}, 10.0))
    pa = math.radians(30.0)
    u = np.array([math.sin(pa), math.cos(pa)])  # major axis, east of north
    v = np.array([math.cos(pa), -math.sin(pa)])
    cov = 4.0 * np.outer(u, u) + 0.25 * np.outer(v, v) + np.eye(2) * 1.0
    d = np.array([1.5, 0.8])
    ln_b = math.log(2 * ARCSEC2_PER_SR) - 0.5 * math.log(np.linalg.det(cov)) - 0.5 * d @ np.linalg.solve(cov, d)
    assert res.combinations["dist_bayesfactor"][0] == pytest.approx(ln_b / math.log(10), rel=1e-9)
    # the same offset along the minor axis is less likely than along the major axis
    along_major = _nb(["x0"], [1.7 * u[0]], [1.7 * u[1]], 0.1)
    along_minor = _nb(["x0"], [1.7 * v[0]], [1.7 * v[1]], 0.1)
    bfs = []
    for t in (along_major, along_minor):
        t["err_maj"], t["err_min"], t["err_pa"] = [2.0], [0.5], [30.0]
        bfs.append(BayesianAssociator(_cfg())(AssociationInput(x, {"gaia": t}, 10.0)).combinations[
            "dist_bayesfactor"][0])
    assert bfs[0] > bfs[1] + 0.1


def test_three_way_elliptical_factor_does_not_depend_on_the_survey_order_and_is_rotation_invariant():
    rng = np.random.default_rng(7)
    pos = rng.normal(0, 0.6, (2, 2))
    axes = rng.uniform(0.2, 1.0, (2, 2))
    axes.sort(axis=1)
    pas = rng.uniform(0, 180, 2)

    def bf(rot_deg, swap=False):
        th = math.radians(rot_deg)
        # rotating the sky by th (north towards east) rotates offsets and adds th to position angles
        rot = np.array([[math.cos(th), math.sin(th)], [-math.sin(th), math.cos(th)]])
        p = pos @ rot.T
        names = ("catwise", "gaia") if swap else ("gaia", "catwise")
        nbs = {}
        for k, name in enumerate(names):
            t = _nb(["x0"], [p[k, 0]], [p[k, 1]], 0.3, prefix=name[0])
            t["err_maj"], t["err_min"], t["err_pa"] = [axes[k, 1]], [axes[k, 0]], [pas[k] + rot_deg]
            nbs[name] = t
        c = BayesianAssociator(_cfg(completeness={"gaia": 0.8, "catwise": 0.8},
                                    catalogue_density={"gaia": (500, 1.0), "catwise": (500, 1.0)}))(
            AssociationInput(_xray(err=1.5), nbs, 10.0)).combinations
        full = c[(c["nid_gaia"] != "") & (c["nid_catwise"] != "")]
        return full["dist_bayesfactor"][0]

    ref = bf(0.0)
    assert bf(0.0, swap=True) == pytest.approx(ref, rel=1e-9)
    assert bf(37.0) == pytest.approx(ref, rel=1e-9)
    assert bf(37.0) != pytest.approx(bf(0.0, swap=False) + 1.0)


def test_systematic_floor_adds_in_quadrature():
    x = _xray(err=1.0)
    nb = _nb(["x0"], [2.0], [1.0], 0.3)
    a = BayesianAssociator(_cfg(systematic_arcsec={"gaia": 0.4, "xray": 0.7}))(AssociationInput(x, {"gaia": nb}, 10.0))
    nb2 = nb.copy()
    nb2["pos_err"] = [math.hypot(0.3, 0.4)]
    b = BayesianAssociator(_cfg())(AssociationInput(_xray(err=math.hypot(1.0, 0.7)), {"gaia": nb2}, 10.0))
    assert a.sources["p_any"][0] == pytest.approx(b.sources["p_any"][0], rel=1e-12)
    c = BayesianAssociator(_cfg())(AssociationInput(x, {"gaia": nb}, 10.0))
    assert a.sources["p_any"][0] != pytest.approx(c.sources["p_any"][0], rel=1e-3)


def test_proper_motion_moves_gaia_positions_to_the_xray_epoch():
    x = _xray(err=0.5)
    x["epoch"] = [2020.0]
    # a star 1.2" east of the X-ray source at 2016.0, moving west by 300 mas/yr: on top of it in 2020
    nb = _nb(["x0"], [1.2], [0.0], 0.05)
    nb["pmra"], nb["pmdec"] = [-300.0], [0.0]
    on = BayesianAssociator(_cfg())(AssociationInput(x, {"gaia": nb}, 10.0))
    off = BayesianAssociator(_cfg(propagate_proper_motion=False))(AssociationInput(x, {"gaia": nb}, 10.0))
    moved = _nb(["x0"], [0.0], [0.0], 0.05)
    ref = BayesianAssociator(_cfg())(AssociationInput(x, {"gaia": moved}, 10.0))
    assert on.sources["p_any"][0] == pytest.approx(ref.sources["p_any"][0], rel=1e-9)
    assert on.sources["p_any"][0] > off.sources["p_any"][0]
    assert on.combinations["dist_bayesfactor"][0] > off.combinations["dist_bayesfactor"][0] + 1.0
    # without an X-ray epoch nothing moves
    x2 = _xray(err=0.5)
    none = BayesianAssociator(_cfg())(AssociationInput(x2, {"gaia": nb}, 10.0))
    assert none.sources["p_any"][0] == pytest.approx(off.sources["p_any"][0], rel=1e-12)


# ---------------------------------------------------------------------------------------------
# densities


def test_local_density_follows_the_field_and_equals_the_annulus_closed_form():
    rng = np.random.default_rng(4)
    n = 40
    x = _xray(n, err=2.0)
    rows = []
    for i in range(n):
        dense = i < n // 2
        k = rng.poisson(200 if dense else 20)
        r = 40.0 * np.sqrt(rng.random(k))
        th = rng.uniform(0, 2 * np.pi, k)
        rows.append((np.full(k, f"x{i}"), r * np.cos(th), r * np.sin(th)))
        rows.append((np.array([f"x{i}"]), np.array([1.0]), np.array([0.5])))  # a close candidate for everyone
    xids = np.concatenate([r[0] for r in rows])
    g = _nb(xids, np.concatenate([r[1] for r in rows]), np.concatenate([r[2] for r in rows]), 0.1)
    g.meta["radius_arcsec"] = 40.0
    inp = AssociationInput(x, {"gaia": g}, 10.0)
    loc = BayesianAssociator(BayesConfig(density="local", local_annulus_arcsec=(15.0, 40.0)))(inp).sources
    glo = BayesianAssociator(BayesConfig(density="global"))(inp).sources
    dense = np.arange(n) < n // 2
    # the local prior knows that the dense half is crowded: its sources lose probability
    assert np.mean(loc["p_any"][dense]) < np.mean(glo["p_any"][dense])
    assert np.mean(loc["p_any"][~dense]) > np.mean(glo["p_any"][~dense])
    # closed form for one source: nu+ = (annulus count + 1) / annulus area
    i = 0
    sel = (g["xid"] == "x0")
    cnt = np.sum((g["sep"][sel] > 15.0) & (g["sep"][sel] <= 40.0))
    nu_plus = (cnt + 1) / (math.pi * (40.0**2 - 15.0**2))
    ref = BayesianAssociator(BayesConfig(density="catalogue", catalogue_density={"gaia": (
        nu_plus * 3600.0**2 - 1, 1.0)}))(AssociationInput(x[i:i + 1], {"gaia": g[sel]}, 10.0)).sources
    assert loc["p_any"][0] == pytest.approx(ref["p_any"][0], rel=1e-9)


# ---------------------------------------------------------------------------------------------
# pruning


def _plane_field(rng, n_src, n_g=100, n_t=20, n_w=20, r=10.0, with_truth=True):
    x = _xray(n_src, err=2.0)
    parts = {}
    tx, ty = rng.normal(0, 2.0, (2, n_src))  # true positions of the counterparts
    for name, k, err in (("gaia", n_g, 0.02), ("2mass", n_t, 0.08), ("catwise", n_w, 0.3)):
        xids = np.repeat(x["xid"], k)
        rr = r * np.sqrt(rng.random(len(xids)))
        th = rng.uniform(0, 2 * np.pi, len(xids))
        dx, dy = rr * np.cos(th), rr * np.sin(th)
        if with_truth:  # the first candidate of every survey is one true object near the X-ray position
            first = np.arange(n_src) * k
            dx[first] = tx + rng.normal(0, err, n_src)
            dy[first] = ty + rng.normal(0, err, n_src)
        keep = np.hypot(dx, dy) < r
        parts[name] = _nb(xids[keep], dx[keep], dy[keep], err, prefix=name[0])
        if with_truth:
            new_index = np.cumsum(keep) - 1
            parts[name].meta["truth"] = np.where(keep[first], [f"{name[0]}{j}" for j in new_index[first]], "")
    return x, parts


def test_pruning_is_within_its_reported_bound_and_max_candidates_too():
    rng = np.random.default_rng(12)
    x, nbs = _plane_field(rng, 12, n_g=25, n_t=8, n_w=8)
    inp = AssociationInput(x, nbs, 10.0)
    exact = BayesianAssociator(BayesConfig(prune_threshold=0.0, unrelated_correction=False))(inp).sources
    for cfg in (BayesConfig(prune_threshold=1e-3, unrelated_correction=False),
                BayesConfig(prune_threshold=0.0, max_candidates=5, unrelated_correction=False)):
        res = BayesianAssociator(cfg)(inp).sources
        diff = np.abs(np.asarray(res["p_any"]) - np.asarray(exact["p_any"]))
        assert np.all(diff <= np.asarray(res["pruned_mass"]) + 1e-12)
        assert np.any(np.asarray(res["pruned_mass"]) > 0)
    assert np.all(exact["pruned_mass"] == 0)


def test_galactic_plane_combinatorics_run_in_seconds():
    import time

    rng = np.random.default_rng(13)
    n_src = 100
    x, nbs = _plane_field(rng, n_src)  # ~100 x 20 x 20 candidates per source: 44,000 combinations each
    t0 = time.perf_counter()
    res = BayesianAssociator(BayesConfig())(AssociationInput(x, nbs, 10.0))
    dt = time.perf_counter() - t0
    assert dt < 20.0
    # the true counterparts are found far more often than by chance (1/100 for Gaia; at this density
    # ~3 random Gaia-2MASS pairs per cone coincide within the errors), with a tiny pruning bound
    s = res.sources
    assert np.mean(s["nid_gaia"] == nbs["gaia"].meta["truth"]) > 0.2
    assert np.mean(s["nid_catwise"] == nbs["catwise"].meta["truth"]) > 0.4
    assert np.max(s["pruned_mass"]) < 1e-4
    assert len(res.combinations) < 0.05 * n_src * 101 * 21 * 21


# ---------------------------------------------------------------------------------------------
# speed work: results do not depend on threads, chunk sizes or the tangent-plane shortcut


def _tables_equal(a, b):
    assert a.colnames == b.colnames
    for c in a.colnames:
        assert a[c].dtype == b[c].dtype, c
        assert np.array_equal(np.asarray(a[c]), np.asarray(b[c]), equal_nan=a[c].dtype.kind == "f"), c


def test_results_do_not_depend_on_workers_or_chunk_size():
    rng = np.random.default_rng(21)
    x, nbs = _plane_field(rng, 40, n_g=30, n_t=8, n_w=8)
    inp = AssociationInput(x, nbs, 10.0)
    ref = BayesianAssociator(BayesConfig(workers=1))(inp)
    for cfg in (BayesConfig(workers=3), BayesConfig(workers=2, max_combinations=500)):
        res = BayesianAssociator(cfg)(inp)
        _tables_equal(ref.combinations, res.combinations)
        _tables_equal(ref.sources, res.sources)
    with pytest.raises(InputError, match="workers"):
        BayesianAssociator(BayesConfig(workers=0))(inp)


def test_tangent_offsets_of_near_points_equal_the_direct_formulas():
    from xrbvo.stages.match.geometry import _tangent_direct, tangent_offsets

    rng = np.random.default_rng(22)
    n = 2000
    ra0 = rng.uniform(0, 360, n)
    dec0 = np.concatenate([rng.uniform(-89.9, 89.9, n - 2), [89.99, -89.99]])
    owner = rng.integers(0, n, 5 * n)
    ra = ra0[owner] + rng.normal(0, 30, len(owner)) / 3600.0 / np.cos(np.radians(dec0[owner]))
    dec = np.clip(dec0[owner] + rng.normal(0, 30, len(owner)) / 3600.0, -90, 90)
    ra[:10] += 5.0  # a few far points (not small angles) go through the direct formulas
    x, y = tangent_offsets(ra0, dec0, ra, dec, owner=owner)
    a0, d0, a, d = (np.radians(v) for v in (ra0[owner], dec0[owner], ra, dec))
    xd, yd = (v * 180 * 3600 / np.pi for v in _tangent_direct(a0, np.sin(d0), np.cos(d0), d0, a, d))
    near = np.hypot(xd, yd) < 600
    assert np.allclose(x[near], xd[near], rtol=1e-12, atol=1e-10)  # arcsec
    assert np.allclose(y[near], yd[near], rtol=1e-12, atol=1e-10)
    assert np.allclose(x[:10], xd[:10], rtol=1e-12) and np.allclose(y[:10], yd[:10], rtol=1e-12)


@pytest.mark.parametrize("where", ["pole", "ra_wrap", "anywhere"])
def test_cone_join_finds_exactly_the_pairs_within_the_radius(where):
    from xrbvo.stages.neighbourhoods.base import cone_join, unit_vectors

    rng = np.random.default_rng({"pole": 1, "ra_wrap": 2, "anywhere": 3}[where])
    r = 30.0
    n_x = 60
    if where == "pole":
        dec_x = rng.choice([-1, 1], n_x) * (90 - rng.uniform(0, 2 * r / 3600, n_x))
        ra_x = rng.uniform(0, 360, n_x)
    elif where == "ra_wrap":
        dec_x, ra_x = rng.uniform(-60, 60, n_x), rng.uniform(-0.01, 0.01, n_x) % 360
    else:
        dec_x, ra_x = rng.uniform(-89, 89, n_x), rng.uniform(0, 360, n_x)
    own = np.repeat(np.arange(n_x), 40)
    rr = 1.3 * r * np.sqrt(rng.random(len(own))) / 3600
    th = rng.uniform(0, 2 * np.pi, len(own))
    dec_c = np.clip(dec_x[own] + rr * np.sin(th), -90, 90)
    ra_c = (ra_x[own] + rr * np.cos(th) / np.maximum(np.cos(np.radians(dec_c)), 1e-6)) % 360
    ra_c[:5], ra_c[5:10], dec_c[10:12] = 0.0, 360.0 - 1e-13, 90.0
    x = Table({"xid": [f"x{i}" for i in range(n_x)], "ra": ra_x, "dec": dec_x})
    cat = Table({"nid": [f"c{i}" for i in range(len(ra_c))], "ra": ra_c, "dec": dec_c,
                 "pos_err": np.ones(len(ra_c))})
    got = cone_join(x, cat, r)
    d2 = ((unit_vectors(ra_x, dec_x)[:, None, :] - unit_vectors(ra_c, dec_c)[None, :, :]) ** 2).sum(axis=2)
    ii, jj = np.nonzero(d2 <= (2 * np.sin(np.radians(r / 3600) / 2)) ** 2)
    assert {(f"x{i}", f"c{j}") for i, j in zip(ii, jj)} == set(zip(got["xid"], got["nid"]))
    assert len(got) > n_x
    key = np.array([int(v[1:]) for v in got["xid"]])
    assert np.all((np.diff(key) > 0) | ((np.diff(key) == 0) & (np.diff(np.asarray(got["sep"])) >= 0)))


def test_keep_freed_memory_takes_effect_on_glibc():
    import sys

    from xrbvo.stages.match import keep_freed_memory

    if sys.platform.startswith("linux"):
        assert keep_freed_memory() is True
        assert keep_freed_memory() is True  # idempotent
    else:
        assert keep_freed_memory() is False


def test_the_survey_order_used_is_fixed_whatever_order_the_surveys_are_given_in():
    """NWAY's multi-catalogue correction depends on the catalogue order (docs/match.md, "Catalogue order"):
    xrbvo always takes the surveys in SECONDARY_SURVEYS order (gaia, 2mass, catwise, then others), so a
    user's --surveys order never changes p_any or p_i."""
    from xrbvo.core.surveys import SECONDARY_SURVEYS

    rng = np.random.default_rng(8)
    x = _xray(12, err=4.0)
    tabs = {}
    for k, (s, err) in enumerate((("gaia", 0.05), ("2mass", 0.1), ("catwise", 0.3))):
        xids = np.repeat(x["xid"], 5)
        tabs[s] = _nb(xids, rng.uniform(-12, 12, len(xids)), rng.uniform(-12, 12, len(xids)), err, prefix=s[0])
    cfg = BayesConfig(completeness={"gaia": 0.7, "2mass": 0.5, "catwise": 0.6}, prior_mode="nway")
    given = BayesianAssociator(cfg)(AssociationInput(x, dict(reversed(list(tabs.items()))), 15.0))
    canon = BayesianAssociator(cfg)(AssociationInput(x, {s: tabs[s] for s in SECONDARY_SURVEYS}, 15.0))
    assert given.surveys == canon.surveys == tuple(SECONDARY_SURVEYS)
    assert np.array_equal(np.asarray(given.sources["p_any"]), np.asarray(canon.sources["p_any"]))
    assert np.array_equal(np.asarray(given.sources["p_i"]), np.asarray(canon.sources["p_i"]))
