"""Oracle tests: xrbvo's association against NWAY (nway.py, a test-only dependency).

All NWAY runs share one interpreter (its imports take seconds).  NWAY writes
float32 probabilities; we compare within 1e-5 absolute.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from conftest import require
from nway_oracle import GENERATED_NAMES, make_field, nway_script, prepare_nway, run_nway, to_xrbvo
from xrbvo.stages.match import BayesConfig, BayesianAssociator, union_area_arcsec2

TOL = 1e-5
RADIUS = 15.0
AREA = 0.02  # deg^2


def _mag_file(path: Path) -> Path:
    lo = np.array([10.0, 13.0, 15.0, 17.0, 19.0])
    hi = np.array([13.0, 15.0, 17.0, 19.0, 23.0])
    sel = np.array([0.10, 0.25, 0.08, 0.02, 0.005])
    oth = np.array([0.0, 0.02, 0.10, 0.20, 0.15])  # an empty field bin: NWAY's ratio 100
    np.savetxt(path, np.column_stack([lo, hi, sel, oth]), header="lo hi selected others")
    return path


def _cases(tmp: Path):
    rng = np.random.default_rng(2024)
    cases = {}
    cases["2way"] = make_field(rng, n_x=40, densities_deg2={"gaia": 150000}, area_deg2=AREA)
    cases["3way"] = make_field(rng, n_x=40, densities_deg2={"gaia": 120000, "catwise": 40000}, area_deg2=AREA)
    cases["4way"] = make_field(rng, n_x=30, densities_deg2={"gaia": 80000, "2mass": 30000, "catwise": 40000},
                               area_deg2=AREA)
    cases["ellipse"] = make_field(rng, n_x=40, densities_deg2={"gaia": 100000, "catwise": 40000}, area_deg2=AREA,
                                  ellipse=True)
    cases["mag"] = make_field(rng, n_x=40, densities_deg2={"gaia": 150000}, area_deg2=AREA, mags=True)
    # union area: NWAY given only the candidates inside the cones, as xrbvo's neighbourhoods are
    xr, cats = make_field(rng, n_x=25, densities_deg2={"gaia": 150000}, area_deg2=AREA)
    inp = to_xrbvo(xr, cats, RADIUS)
    used = np.unique(np.asarray(inp.neighbourhoods["gaia"]["nid"]).astype(int))
    cone_only = {"gaia": cats["gaia"][np.isin(np.asarray(cats["gaia"]["ID"]), used)]}
    union_deg2 = union_area_arcsec2(np.asarray(xr["RA"]), np.asarray(xr["DEC"]), RADIUS) / 3600.0**2
    cases["union"] = (xr, cone_only)
    cases["survey_area"] = (xr, cone_only)
    comp = {"gaia": 0.8, "2mass": 0.6, "catwise": 0.7}
    areas = {"union": union_deg2}
    prepared, meta = [], {}
    for name, (xr, cats) in cases.items():
        files = {("gaia", "mag"): _mag_file(tmp / "gaia_mag.txt")} if name == "mag" else None
        area = areas.get(name, AREA)
        prepared.append(prepare_nway(tmp / name, xr, cats, radius=RADIUS, area_deg2=area,
                                     completeness={s: comp[s] for s in cats}, ellipse=name == "ellipse",
                                     mag_files=files))
        meta[name] = dict(xray=xr, cats=cats, area=area, comp={s: comp[s] for s in cats}, mag_files=files)
    outs = run_nway(prepared)
    return {name: (meta[name], out) for name, out in zip(meta, outs)}


@pytest.fixture(scope="module")
def nway_runs(tmp_path_factory):
    require(nway_script() is not None, "NWAY (nway.py, the reference program)",
            "pip install nway (test-only oracle; add it to the 'test' extra)")
    return _cases(tmp_path_factory.mktemp("nway"))


def _xrbvo(meta, **kw):
    cats = meta["cats"]
    cfg = dict(completeness=meta["comp"], density="catalogue",
               catalogue_density={s: (len(t), meta["area"]) for s, t in cats.items()})
    if meta["mag_files"]:
        cfg["mag_priors"] = {k: str(v) for k, v in meta["mag_files"].items()}
    cfg.update(kw)
    return BayesianAssociator(BayesConfig(**cfg))(to_xrbvo(meta["xray"], cats, RADIUS))


def _compare(meta, out, res):
    names = list(meta["cats"])
    nway_pany = {str(r["XRAY_ID"]): float(r["p_any"]) for r in out}
    ours = dict(zip(np.asarray(res.sources["xid"]).astype(str), np.asarray(res.sources["p_any"])))
    assert set(nway_pany) <= set(ours)
    d_any = max(abs(ours[k] - v) for k, v in nway_pany.items())

    def nid(r, s):
        v = r[f"{GENERATED_NAMES[s]}_ID"]
        return "" if v == -99 else str(v)

    nway_pi = {(str(r["XRAY_ID"]),) + tuple(nid(r, s) for s in names): float(r["p_i"])
               for r in out if r["ncat"] > 1}
    c = res.combinations
    ours_pi = {(str(c["xid"][i]),) + tuple(str(c[f"nid_{s}"][i]) for s in names): float(c["p_i"][i])
               for i in range(len(c))}
    keys = set(nway_pi) | set(ours_pi)
    d_i = max(abs(nway_pi.get(k, 0.0) - ours_pi.get(k, 0.0)) for k in keys)
    # the comparison is not vacuous: sources with and without counterparts, many combinations
    pa = np.array(list(nway_pany.values()))
    assert pa.max() - pa.min() > 0.1 and len(nway_pi) > 3 * len(nway_pany)
    return d_any, d_i


@pytest.mark.parametrize("case", ["2way", "3way", "4way", "ellipse", "mag"])
def test_p_any_and_p_i_equal_nway(nway_runs, case):
    meta, out = nway_runs[case]
    res = _xrbvo(meta, ellipse="nway") if case == "ellipse" else _xrbvo(meta)
    d_any, d_i = _compare(meta, out, res)
    assert d_any < TOL and d_i < TOL
    if case in ("3way", "4way"):
        # the multi-catalogue correction matters here: without it the answer is different
        d_any2, _ = _compare(meta, out, _xrbvo(meta, unrelated_correction=False))
        assert d_any2 > 10 * TOL
    if case == "mag":
        d_any2, _ = _compare(meta, out, _xrbvo(meta, mag_priors={}))
        assert d_any2 > 10 * TOL


def test_exact_elliptical_factor_differs_from_nways_approximation_only_where_ellipses_matter(nway_runs):
    meta, out = nway_runs["ellipse"]
    exact = _xrbvo(meta, ellipse="exact")
    d_any, d_i = _compare(meta, out, exact)
    assert d_any > 10 * TOL or d_i > 10 * TOL  # the exact Gaussian is not NWAY's approximation
    # ... and both agree when the ellipses are circles
    circ = dict(meta, cats={s: t.copy() for s, t in meta["cats"].items()})
    for t in circ["cats"].values():
        t["err_min"] = t["err_maj"]
    a = _xrbvo(circ, ellipse="exact").sources["p_any"]
    b = _xrbvo(circ, ellipse="nway").sources["p_any"]
    assert np.max(np.abs(np.asarray(a) - np.asarray(b))) < 1e-9


def test_global_density_uses_the_union_of_the_cones(nway_runs):
    """xrbvo's global density equals NWAY given the cone candidates and the union area as SKYAREA;
    NWAY with the survey area instead (what SKYAREA usually holds) underestimates the density."""
    meta_u, out_u = nway_runs["union"]
    res = BayesianAssociator(BayesConfig(completeness=meta_u["comp"], density="global"))(
        to_xrbvo(meta_u["xray"], meta_u["cats"], RADIUS))
    d_any, d_i = _compare(meta_u, out_u, res)
    assert d_any < TOL and d_i < TOL
    meta_s, out_s = nway_runs["survey_area"]
    d_any_s, _ = _compare(meta_s, out_s, res)
    assert d_any_s > 10 * TOL
    pa_survey = np.array([float(r["p_any"]) for r in out_s if r["ncat"] == 1])
    pa_union = np.array([float(r["p_any"]) for r in out_u if r["ncat"] == 1])
    # a lower density (cone candidates spread over the whole survey area) inflates p_any
    assert np.all(pa_survey >= pa_union - TOL) and np.mean(pa_survey - pa_union) > 0.01
    assert meta_u["area"] < meta_s["area"]
    assert math.isfinite(meta_u["area"])


def test_pruning_stays_within_its_bound_against_nway(nway_runs):
    meta, out = nway_runs["4way"]
    res = _xrbvo(meta, prune_threshold=1e-2)
    pm = dict(zip(np.asarray(res.sources["xid"]).astype(str), np.asarray(res.sources["pruned_mass"])))
    ours = dict(zip(np.asarray(res.sources["xid"]).astype(str), np.asarray(res.sources["p_any"])))
    diffs = [(abs(ours[str(r["XRAY_ID"])] - float(r["p_any"])), pm[str(r["XRAY_ID"])]) for r in out
             if r["ncat"] == 1]
    assert all(d <= b + TOL for d, b in diffs)
    assert any(b > 0 for _, b in diffs)
