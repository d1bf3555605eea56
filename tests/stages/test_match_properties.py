"""Property tests (hypothesis) of the Bayesian association engine."""

import math

import numpy as np
from astropy.table import Table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xrbvo.stages.match import AssociationInput, BayesConfig, BayesianAssociator

CFG = dict(completeness={"gaia": 0.8, "catwise": 0.7}, density="catalogue",
           catalogue_density={"gaia": (20000, 1.0), "catwise": (5000, 1.0)})


@st.composite
def fields(draw):
    n_src = draw(st.integers(1, 5))
    x_err = draw(st.lists(st.floats(0.5, 5.0), min_size=n_src, max_size=n_src))
    x = Table({"xid": [f"x{i}" for i in range(n_src)], "ra": 20.0 + 0.05 * np.arange(n_src),
               "dec": np.full(n_src, -30.0), "pos_err": x_err})
    nbs = {}
    for s, err in (("gaia", 0.05), ("catwise", 0.4)):
        k = draw(st.integers(0, 10))
        owner = draw(st.lists(st.integers(0, n_src - 1), min_size=k, max_size=k))
        off = draw(st.lists(st.tuples(st.floats(-9.0, 9.0), st.floats(-9.0, 9.0)), min_size=k, max_size=k))
        e = draw(st.lists(st.floats(0.5 * err, 2 * err), min_size=k, max_size=k))
        owner = np.asarray(owner, int)
        off = np.asarray(off, float).reshape(-1, 2)
        dec0 = -30.0
        ra = 20.0 + 0.05 * owner + off[:, 0] / 3600.0 / math.cos(math.radians(dec0))
        dec = dec0 + off[:, 1] / 3600.0
        nbs[s] = Table({"xid": [f"x{i}" for i in owner], "nid": [f"{s}{i}" for i in range(k)], "ra": ra,
                        "dec": dec, "pos_err": np.asarray(e, float), "sep": np.hypot(off[:, 0], off[:, 1])},
                       dtype=[str, str, float, float, float, float])
    return x, nbs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields(), st.randoms(use_true_random=False))
def test_probabilities_are_bounded_normalised_and_independent_of_row_order(field, rnd):
    x, nbs = field
    eng = BayesianAssociator(BayesConfig(**CFG))
    res = eng(AssociationInput(x, nbs, 12.0))
    c, s = res.combinations, res.sources
    for col in ("p_i", "p_single", "dist_post"):
        assert np.all((np.asarray(c[col]) >= 0) & (np.asarray(c[col]) <= 1))
    p_any = np.asarray(s["p_any"])
    assert np.all((p_any >= 0) & (p_any <= 1))
    # per source: p_any * sum(p_i) + (1 - p_any) == 1 (the no-counterpart case counted)
    for xid, pa in zip(s["xid"], p_any):
        tot = float(np.sum(np.asarray(c["p_i"])[np.asarray(c["xid"]) == xid]))
        if np.sum(np.asarray(c["xid"]) == xid):
            assert abs(pa * tot + (1 - pa) - 1.0) < 1e-9
            assert abs(tot - 1.0) < 1e-9
        else:
            assert pa == 0.0
    # permuting the rows of every input changes nothing
    px = list(range(len(x)))
    rnd.shuffle(px)
    perm = {}
    for k, t in nbs.items():
        idx = list(range(len(t)))
        rnd.shuffle(idx)
        perm[k] = t[idx]
    res2 = eng(AssociationInput(x[px], perm, 12.0))
    a = dict(zip(s["xid"], p_any))
    b = dict(zip(res2.sources["xid"], res2.sources["p_any"]))
    assert all(abs(a[k] - b[k]) <= 1e-12 + 1e-9 * a[k] for k in a)
    key = lambda t: {(t["xid"][i], t["nid_gaia"][i], t["nid_catwise"][i]): t["p_i"][i] for i in range(len(t))}
    k1, k2 = key(c), key(res2.combinations)
    assert k1.keys() == k2.keys()
    assert all(abs(k1[k] - k2[k]) <= 1e-12 + 1e-9 * k1[k] for k in k1)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.3, 4.0), st.floats(0.3, 4.0), st.floats(0.01, 0.5), st.floats(0.0, 1.0))
def test_p_any_falls_as_the_positional_error_shrinks_for_a_distant_candidate(e1, e2, cerr, extra):
    small, large = sorted((e1, e2))
    if large - small < 1e-3:
        return
    # "distant": beyond sqrt(2) combined sigmas of the larger error, where the Bayes factor rises with the error
    d = math.sqrt(2.0) * math.hypot(large, cerr) * (1.05 + extra)
    nb = Table({"xid": ["x0"], "nid": ["g0"], "ra": [20.0 + d / 3600.0], "dec": [0.0], "pos_err": [cerr],
                "sep": [d]})
    cfg = BayesConfig(density="catalogue", catalogue_density={"gaia": (20000, 1.0)})
    p = []
    for err in (large, small):
        x = Table({"xid": ["x0"], "ra": [20.0], "dec": [0.0], "pos_err": [err]})
        p.append(BayesianAssociator(cfg)(AssociationInput(x, {"gaia": nb}, d + 5.0)).sources["p_any"][0])
    assert p[1] < p[0]
