"""Luminosity functions, band conversion, expected numbers and ``xrbvo xlf``."""

from __future__ import annotations

import argparse
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st

from xrbvo import physics, xlf
from xrbvo.errors import InputError, XrbvoError

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "catalogs"


def _lf(**kw) -> xlf.BrokenPowerLawLF:
    base = dict(l_break=1e36, alpha1=1.4, alpha2=2.3, n_total=500.0, l_min=1e33, l_max=1e38)
    base.update(kw)
    return xlf.BrokenPowerLawLF(**base)


lf_params = st.fixed_dictionaries({
    "alpha1": st.floats(0.3, 2.5),
    "alpha2": st.floats(0.8, 3.5),
    "log_br": st.floats(33.2, 37.8),
    "n_total": st.floats(1.0, 1e4),
})


# ----------------------------------------------------------------------------- shape


@settings(max_examples=40, deadline=None)
@given(lf_params)
def test_normalisation_and_cdf_inverse(p):
    lf = _lf(alpha1=p["alpha1"], alpha2=p["alpha2"], l_break=10 ** p["log_br"], n_total=p["n_total"])
    assert float(lf.n_above(lf.l_min)) == pytest.approx(lf.n_total, rel=1e-9)
    assert float(lf.n_above(lf.l_max)) == pytest.approx(0.0, abs=1e-9 * lf.n_total)
    # dN/dlogL integrates to the total
    g = np.linspace(lf.lo, lf.hi, 40001)
    assert np.trapezoid(lf.dn_dlogl(10 ** g), g) == pytest.approx(lf.n_total, rel=2e-3)
    # isf inverts sf, and sf decreases
    x = np.linspace(lf.lo, lf.hi, 57)
    sf = lf.sf(x)
    assert np.all(np.diff(sf) <= 1e-12)
    inner = (sf > 1e-9) & (sf < 1 - 1e-9)
    assert np.allclose(lf.isf(sf[inner]), x[inner], atol=1e-6)


def test_shape_is_continuous_at_the_break_with_the_stated_slopes():
    lf = _lf()
    eps = 1e-6
    below, above = lf.dn_dlogl(lf.l_break * (1 - eps)), lf.dn_dlogl(lf.l_break * (1 + eps))
    assert above == pytest.approx(below, rel=1e-4)
    # dN/dlogL ~ L^(1 - alpha): measured slopes on each side
    s1 = math.log10(lf.dn_dlogl(1e35) / lf.dn_dlogl(1e34))
    s2 = math.log10(lf.dn_dlogl(1e37) / lf.dn_dlogl(1e36 * 1.001))
    assert s1 == pytest.approx(1 - lf.alpha1, abs=1e-6)
    assert s2 == pytest.approx(1 - lf.alpha2, abs=1e-3)
    assert float(lf.dn_dlogl(lf.l_min / 2)) == 0.0 and float(lf.dn_dlogl(lf.l_max * 2)) == 0.0


def test_alpha_equal_one_is_handled():
    lf = _lf(alpha1=1.0, alpha2=1.0)
    # a single power law with alpha = 1: N(>L) proportional to ln(L_max/L)
    assert float(lf.sf(35.5)) == pytest.approx(math.log(1e38 / 10**35.5) / math.log(1e38 / 1e33), rel=1e-9)


def test_total_luminosity_matches_numeric_integral():
    lf = _lf()
    g = np.linspace(lf.lo, lf.hi, 200001)
    numeric = np.trapezoid(lf.dn_dlogl(10 ** g) * 10 ** g, g)
    assert lf.total_luminosity() == pytest.approx(numeric, rel=1e-3)


def test_samples_follow_the_function():
    lf = xlf.INTEGRAL_HMXB
    rng = np.random.default_rng(1)
    x = lf.sample(40000, rng)
    assert x.min() >= lf.lo and x.max() <= lf.hi
    for t in (33.5, 34.5, 35.5, 36.5):
        p = float(lf.sf(t))
        assert abs((x > t).mean() - p) < 5 * math.sqrt(p * (1 - p) / len(x)) + 1e-4


def test_sample_above_respects_each_minimum_and_conditional_shape():
    lf = xlf.INTEGRAL_LMXB
    rng = np.random.default_rng(2)
    mins = rng.uniform(lf.lo - 1, lf.hi - 0.5, 30000)
    y = lf.sample_above(mins, rng)
    assert y.shape == mins.shape
    assert np.all(y >= np.clip(mins, lf.lo, lf.hi) - 1e-9)
    fixed = lf.sample_above(np.full(30000, 35.0), rng)
    expect = float(lf.sf(36.0) / lf.sf(35.0))
    assert abs((fixed > 36.0).mean() - expect) < 5 * math.sqrt(expect * (1 - expect) / 30000)
    assert lf.sample_above(np.zeros(0), rng).shape == (0,)


@pytest.mark.parametrize("bad", [
    dict(l_min=1e36, l_max=1e35), dict(l_break=1e40), dict(n_total=-1.0), dict(alpha1=float("nan")),
    dict(band_kev=(2.0, 1.0)),
])
def test_invalid_parameters_raise_input_error(bad):
    with pytest.raises(InputError) as info:
        _lf(**bad)
    assert isinstance(info.value, ValueError)


# ----------------------------------------------------------------- band conversion


@pytest.mark.parametrize("gamma", [0.5, 1.0, 1.8, 2.0, 2.7])
def test_band_factor_matches_the_power_law_formula(gamma):
    def flux(lo, hi):
        return math.log(hi / lo) if gamma == 2.0 else (hi ** (2 - gamma) - lo ** (2 - gamma)) / (2 - gamma)

    expect = flux(0.2, 2.3) / flux(17.0, 60.0)
    assert xlf.band_factor(gamma, (17.0, 60.0), (0.2, 2.3)) == pytest.approx(expect, rel=1e-5)


def test_cutoff_moves_flux_to_the_soft_band():
    plain = xlf.band_factor(1.0, (17.0, 60.0), (0.2, 2.3))
    cut = xlf.band_factor(1.0, (17.0, 60.0), (0.2, 2.3), e_cut_kev=15.0)
    assert cut > 2 * plain
    with pytest.raises(InputError):
        xlf.band_factor(1.0, (17.0, 60.0), (0.2, 2.3), e_cut_kev=-1.0)


def test_to_band_scales_luminosities_and_keeps_numbers():
    lf = xlf.INTEGRAL_HMXB
    soft = lf.to_band(physics.ERASS1_SOFT_KEV, gamma=1.0)
    k = xlf.band_factor(1.0, lf.band_kev, physics.ERASS1_SOFT_KEV)
    assert soft.band_kev == physics.ERASS1_SOFT_KEV
    assert soft.l_break == pytest.approx(lf.l_break * k) and soft.l_min == pytest.approx(lf.l_min * k)
    assert (soft.alpha1, soft.alpha2, soft.n_total) == (lf.alpha1, lf.alpha2, lf.n_total)
    for log_l in (34.0, 35.5, 37.0):
        assert float(soft.sf(log_l + math.log10(k))) == pytest.approx(float(lf.sf(log_l)), rel=1e-9)
    back = soft.to_band(lf.band_kev, gamma=1.0)
    assert back.l_break == pytest.approx(lf.l_break, rel=1e-9)


def test_with_l_min_keeps_the_measured_number():
    lf = _lf(l_min=1e35)
    deeper = lf.with_l_min(1e33)
    assert deeper.l_min == 1e33 and deeper.n_total > lf.n_total
    for lum in (1e35, 3e36, 1e37):
        assert float(deeper.n_above(lum)) == pytest.approx(float(lf.n_above(lum)), rel=1e-9)
    # the extrapolation follows alpha1: N(>L) ~ L^(1 - alpha1) far below the break
    ratio = float(deeper.n_above(1e33) - deeper.n_above(1e34)) / float(deeper.n_above(1e34) - deeper.n_above(1e35))
    assert ratio == pytest.approx(10 ** (lf.alpha1 - 1), rel=1e-6)


def test_perturbed_draws_keep_the_anchor_number_on_average():
    lf = xlf.INTEGRAL_HMXB
    rng = np.random.default_rng(3)
    draws = [lf.perturbed(rng) for _ in range(1500)]
    n35 = np.array([float(d.n_above(1e35)) for d in draws])
    assert np.median(n35) == pytest.approx(110.0, rel=0.05)
    assert np.std(n35) / 110.0 == pytest.approx(lf.sigma_n_frac, rel=0.15)
    a1 = np.array([d.alpha1 for d in draws])
    assert np.std(a1) == pytest.approx(lf.sigma_alpha1, rel=0.15)
    assert all(d.l_min <= d.l_break <= d.l_max for d in draws)


def test_simulator_draws_binaries_from_these_functions():
    from xrbvo.sim.populations import CLASS_MODELS

    for cls in ("HMXB", "LMXB"):
        model = CLASS_MODELS[cls]
        soft = xlf.soft_band_lf(cls)
        assert isinstance(model.lf, xlf.BrokenPowerLawLF)
        assert model.lf == soft
        assert model.lf.band_kev == physics.ERASS1_SOFT_KEV
        assert model.n_galaxy == pytest.approx(soft.n_total)
        assert xlf.CLASS_GAMMA[cls] == model.gamma[0]


def test_simulated_sky_counts_agree_with_expected_numbers():
    from xrbvo.sim.sky import SkyConfig, simulate_sky

    boost = {"HMXB": 30.0, "LMXB": 120.0}
    counts = Counter()
    seeds = (0,)
    for seed in seeds:
        sky = simulate_sky(SkyConfig(l_deg=300.0, width_deg=6.0, height_deg=2.0, class_boost=boost,
                                     field_density_scale=0.01, seed=seed))
        counts.update(str(c) for c in sky.truth["true_class"])
    survey = xlf.SurveyModel("field", xlf.Footprint(297.0, 303.0, -1.0, 1.0), flux_limit=5e-14)
    pred = xlf.expected_numbers(survey=survey, n_mc=0, n_sample=200000, seed=5).predictions
    for cls, b in boost.items():
        mean = pred[cls].n_detected * b * len(seeds)
        assert mean > 20
        assert abs(counts[cls] - mean) < 4.0 * math.sqrt(mean), (cls, counts[cls], mean)


# ------------------------------------------------------------------ expected numbers


def test_footprint_contains_and_area():
    full = xlf.Footprint()
    assert full.area_deg2 == pytest.approx(41252.96, rel=1e-5)
    assert xlf.ERASS1_DE.footprint.area_deg2 == pytest.approx(41252.96 / 2, rel=1e-5)
    wrap = xlf.Footprint(350.0, 10.0, -5.0, 5.0)
    inside = wrap.contains(np.array([355.0, 5.0, 20.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0, 6.0, -5.0]))
    assert inside.tolist() == [True, True, False, False, True]
    assert wrap.area_deg2 == pytest.approx(20 * 10 * math.cos(0) * 0.99873, rel=2e-3)
    with pytest.raises(InputError):
        xlf.Footprint(0, 10, 5, -5)


def test_expected_numbers_are_consistent():
    kw = dict(n_mc=10, n_sample=10000, seed=11)
    allsky = xlf.expected_numbers(survey=xlf.SurveyModel("all", xlf.Footprint()), **kw)
    de = xlf.expected_numbers(survey=xlf.ERASS1_DE, **kw)
    ru = xlf.expected_numbers(survey=xlf.SurveyModel("RU", xlf.Footprint(0.0, 180.0)), **kw)
    deep = xlf.expected_numbers(survey=xlf.SurveyModel("deep", xlf.ERASS1_DE.footprint, flux_limit=5e-15), **kw)
    for cls in ("HMXB", "LMXB"):
        a, d, r, dp = (x.predictions[cls] for x in (allsky, de, ru, deep))
        assert a.n_footprint == pytest.approx(a.lf.n_total)  # the whole sky holds the whole Galaxy
        assert 0 < d.n_detected <= d.n_footprint + 1e-9
        assert d.n_detected + r.n_detected == pytest.approx(a.n_detected, rel=0.06)
        assert dp.n_detected > d.n_detected  # a deeper survey finds more
        lo, hi = d.interval()
        assert lo <= hi and len(d.detected_draws) == 10
        # log N - log S at the flux limit is close to the detected number (completeness is a step of 0.08 dex)
        at_limit = np.interp(math.log10(5e-14), d.logs_grid, d.n_above_flux)
        assert at_limit == pytest.approx(d.n_detected, rel=0.1)
        assert np.all(np.diff(d.n_above_flux) <= 1e-9)
        assert d.n_known is None and d.n_new is None
    # the same seed gives the same numbers
    again = xlf.expected_numbers(("HMXB",), survey=xlf.ERASS1_DE, **kw)
    assert again.predictions["HMXB"].n_detected == de.predictions["HMXB"].n_detected
    assert np.array_equal(again.predictions["HMXB"].detected_draws, de.predictions["HMXB"].detected_draws)


def test_expected_numbers_table_progress_and_cancel():
    import threading

    seen = []
    res = xlf.expected_numbers(("HMXB",), n_mc=5, n_sample=5000, progress=lambda m, f: seen.append(f))
    t = res.table()
    assert list(t["class"]) == ["HMXB"]
    assert t["median_distance"].unit == u.kpc
    assert t.meta["survey"] == "eRASS1-DE" and t["n_known"][0] == -1
    assert seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)
    ev = threading.Event()
    ev.set()
    with pytest.raises(XrbvoError, match="cancelled"):
        xlf.expected_numbers(("HMXB",), n_mc=5, n_sample=5000, cancel=ev)
    with pytest.raises(InputError, match="CV"):
        xlf.expected_numbers(("CV",))
    with pytest.raises(InputError, match="n_sample"):
        xlf.expected_numbers(n_sample=10)


def _table_at(l_deg, b_deg, names=("RAdeg", "DEdeg")):
    c = SkyCoord(l=np.asarray(l_deg) * u.deg, b=np.asarray(b_deg) * u.deg, frame="galactic").icrs
    return Table({names[0]: c.ra.deg, names[1]: c.dec.deg})


def test_count_known_and_new():
    fp = xlf.ERASS1_DE.footprint
    assert xlf.count_known(_table_at([200.0, 300.0, 10.0, 90.0], [0.0, 5.0, 0.0, -3.0]), fp) == 2
    assert xlf.count_known(_table_at([200.0, 250.0], [1.0, 2.0], ("ra", "dec")), fp) == 2
    with pytest.raises(InputError, match="position columns"):
        xlf.count_known(Table({"x": [1.0]}), fp)
    known = {"HMXB": _table_at(np.full(7, 300.0), np.zeros(7))}
    p = xlf.expected_numbers(("HMXB",), n_mc=0, n_sample=5000, known=known).predictions["HMXB"]
    assert p.n_known == 7
    assert p.n_new == pytest.approx(max(p.n_detected - 7, 0.0))


def test_count_known_real_catalogues():
    path = SHARED / "hmxbwebcat_fortin2023.csv"
    if not path.exists():
        pytest.skip(f"{path} not found: the shared reference data (../shared/data) is absent in this checkout")
    n_de = xlf.count_known(path, xlf.ERASS1_DE.footprint)
    n_ru = xlf.count_known(path, xlf.Footprint(0.0, 180.0))
    n_all = xlf.count_known(path, xlf.Footprint())
    assert n_de > 20 and n_ru > 20 and n_de + n_ru == n_all


# ------------------------------------------------------------------------ command


def _run_cli(argv, capsys):
    from xrbvo.commands import xlf as cmd
    from xrbvo.commands._ui import UI

    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    rc = cmd.run(parser.parse_args(argv), UI(quiet=True))
    return rc, capsys.readouterr()


def test_command_is_registered():
    from xrbvo import cli
    from xrbvo.commands import xlf as cmd

    assert "xlf" in cli.COMMANDS
    assert cmd.NAME == "xlf" and cmd.HELP and cmd.DESCRIPTION


def test_command_writes_table_and_plots(tmp_path, capsys):
    out = tmp_path / "plots"
    known = tmp_path / "known.ecsv"
    _table_at([200.0, 300.0, 20.0], [0.0, 1.0, 0.0]).write(known)
    rc, cap = _run_cli(["--out", str(out), "--n-mc", "20", "--n-sample", "5000", "--seed", "4",
                        "--known-hmxb", str(known)], capsys)
    assert rc == 0
    assert "HMXB" in cap.out and "LMXB" in cap.out and "eRASS1-DE" in cap.out
    for name in ("xlf_luminosity_functions.png", "xlf_logn_logs.png", "xlf_counts.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    t = Table.read(out / "xlf_expected.ecsv")
    assert list(t["class"]) == ["HMXB", "LMXB"]
    assert t["n_known"][0] == 2 and t["n_known"][1] == -1
    assert np.all(t["n_detected"] > 0)
    assert t.meta["seed"] == 4


def test_command_options_change_the_answer(tmp_path, capsys):
    common = ["--n-mc", "0", "--n-sample", "5000", "--classes", "HMXB", "--no-plots", "--out"]
    _run_cli(common + [str(tmp_path / "a")], capsys)
    _run_cli(common + [str(tmp_path / "b"), "--l-min", "1e34"], capsys)
    _run_cli(common + [str(tmp_path / "c"), "--flux-limit", "1e-13"], capsys)
    a, b, c = (Table.read(tmp_path / d / "xlf_expected.ecsv") for d in "abc")
    assert b["n_total"][0] < a["n_total"][0] and b["n_detected"][0] < a["n_detected"][0]
    assert c["n_detected"][0] < a["n_detected"][0]
    assert list(a["class"]) == ["HMXB"]
    assert not list((tmp_path / "a").glob("*.png"))


def test_command_errors_name_the_problem(tmp_path, capsys):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        _run_cli(["--out", str(afile), "--n-mc", "0"], capsys)
    with pytest.raises(InputError, match="--n-mc"):
        _run_cli(["--n-mc", "-1"], capsys)
    with pytest.raises(InputError, match="no such file"):
        _run_cli(["--n-mc", "0", "--n-sample", "5000", "--known-lmxb", str(tmp_path / "missing.csv")], capsys)


def test_command_through_the_cli_entry_point(tmp_path, capsys):
    from xrbvo import cli

    rc = cli.main(["-q", "xlf", "--classes", "LMXB", "--n-mc", "0", "--n-sample", "5000"])
    cap = capsys.readouterr()
    assert rc == 0 and "LMXB" in cap.out and "HMXB" not in cap.out
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    rc = cli.main(["-q", "xlf", "--out", str(afile)])
    cap = capsys.readouterr()
    assert rc == 2 and "error:" in cap.err and "not a directory" in cap.err
