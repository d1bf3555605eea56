"""Luminosity functions, split-normal draws, fluxes, the Monte Carlo of expected numbers and ``xrbvo xlf``."""

from __future__ import annotations

import argparse
import math
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from xrbvo.core import physics
from xrbvo.galaxy import xlf
from xrbvo.core.errors import Cancelled, InputError


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


def test_samples_follow_the_function_in_bins():
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


# ------------------------------------------------------- the published functions


@pytest.mark.parametrize("cls", ["LMXB", "HMXB"])
def test_published_normalisation_integrates_to_n_total(cls):
    par = xlf.DOROSHENKO2014[cls]
    lf = par.nominal()
    assert (lf.l_break, lf.alpha1, lf.alpha2, lf.n_total) == (
        par.l_break.value, par.alpha1.value, par.alpha2.value, par.n_total.value)
    assert lf.l_min == xlf.L_MIN_DEFAULT
    g = np.linspace(lf.lo, lf.hi, 200001)
    assert np.trapezoid(lf.dn_dlogl(10 ** g), g) == pytest.approx(par.n_total.value, rel=1e-3)
    # also in L itself: the integral of dN/dL over [L_min, L_max]
    lum = np.logspace(lf.lo, lf.hi, 200001)
    dn_dl = lf.dn_dlogl(lum) / (lum * math.log(10.0))
    assert np.trapezoid(dn_dl, lum) == pytest.approx(par.n_total.value, rel=2e-3)


@pytest.mark.parametrize("cls", ["LMXB", "HMXB"])
def test_sampled_luminosities_pass_ks_and_chi_square_tests(cls):
    lf = xlf.INTEGRAL_LFS[cls]
    x = lf.sample(20000, np.random.default_rng(11))

    def cdf(t):
        return 1.0 - lf.sf(t)

    assert stats.kstest(x, cdf).pvalue > 1e-3
    edges = np.linspace(lf.lo, lf.hi, 26)
    observed = np.histogram(x, edges)[0]
    expected = -np.diff(lf.sf(edges)) * len(x)
    keep = expected > 5
    obs, exp = observed[keep], expected[keep]
    if (~keep).any():  # pool the sparse bins into one
        obs, exp = np.append(obs, observed[~keep].sum()), np.append(exp, expected[~keep].sum())
    assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > 1e-3
    # the tests have power: a function with alpha1 off by 0.15 is rejected
    other = replace(lf, alpha1=lf.alpha1 + 0.15)
    assert stats.kstest(x, lambda t: 1.0 - other.sf(t)).pvalue < 1e-3


def test_table_one_arithmetic_as_documented():
    # the published 'new' is N(eROSITA) - N(INTEGRAL) and INTEGRAL's fraction is N(INTEGRAL) / N_total range
    for cls, pub in xlf.PUBLISHED.items():
        n = xlf.DOROSHENKO2014[cls].n_total
        assert pub.n_new == pytest.approx((pub.n_erosita[0] - pub.n_integral, pub.n_erosita[1] - pub.n_integral))
        assert pub.frac_integral == pytest.approx(
            (pub.n_integral / (n.value + n.plus), pub.n_integral / (n.value - n.minus)), abs=0.015)  # HMXB: 28% quoted 27%


# ---------------------------------------------------------------- split normals


def test_split_normal_percentiles_are_the_published_interval():
    d = xlf.SplitNormal(0.55, 4.6, 0.28)
    x = d.sample(np.random.default_rng(5), 200000)
    lo, med, hi = np.percentile(x, [15.865, 50.0, 84.135])
    assert med == pytest.approx(0.55, abs=0.01)
    assert lo == pytest.approx(0.55 - 0.28, abs=0.01)
    assert hi == pytest.approx(0.55 + 4.6, abs=0.06)
    # continuous-density convention: value is the mode; mass below it is minus / (minus + plus)
    c = xlf.SplitNormal(0.55, 4.6, 0.28, equal_mass=False).sample(np.random.default_rng(5), 200000)
    assert np.mean(c < 0.55) == pytest.approx(0.28 / 4.88, abs=0.005)


def test_split_normal_bounds_and_errors():
    d = xlf.SplitNormal(0.3, 0.8, 0.2, lower=0.0)
    x = d.sample(np.random.default_rng(1), 50000)
    assert x.min() > 0.0
    # truncation only removes the tail below 0 (1.5 sigma): the share below the value drops accordingly
    below = 0.5 * (1 - 2 * stats.norm.sf(1.5))
    assert np.mean(x < 0.3) == pytest.approx(below / (below + 0.5), abs=0.01)
    assert isinstance(d.sample(np.random.default_rng(1)), float)
    with pytest.raises(InputError, match="inside the bounds"):
        xlf.SplitNormal(1.0, 1.0, 1.0, lower=2.0)
    with pytest.raises(InputError, match="errors >= 0"):
        xlf.SplitNormal(1.0, -1.0, 1.0)


@pytest.mark.parametrize("cls", ["LMXB", "HMXB"])
def test_parameter_draws_respect_the_physical_bounds(cls):
    par = xlf.DOROSHENKO2014[cls]
    rng = np.random.default_rng(8)
    draws = [par.draw(rng) for _ in range(3000)]
    a1 = np.array([d.alpha1 for d in draws])
    a2 = np.array([d.alpha2 for d in draws])
    lbr = np.array([d.l_break for d in draws])
    n = np.array([d.n_total for d in draws])
    assert a1.min() >= 0.0 and a2.min() > 1.0 and n.min() > 0.0
    assert lbr.min() > par.l_min and lbr.max() < par.l_max
    # away from the bounds the published 68% interval comes back
    assert np.percentile(n, 84) == pytest.approx(par.n_total.value + par.n_total.plus, rel=0.08)
    # L_br is truncated at L_min: the share below the published value follows from the removed tail
    removed = stats.norm.cdf(-(par.l_break.value - par.l_min) / par.l_break.minus)
    assert np.mean(lbr < par.l_break.value) == pytest.approx((0.5 - removed) / (1 - removed), abs=0.03)


# ------------------------------------------------------------------ fluxes


def test_flux_of_an_unabsorbed_source_matches_the_hand_calculation():
    lum, d_pc = 1e36, 2000.0
    d_cm = d_pc * 3.0857e18
    f_hard = lum / (4 * math.pi * d_cm**2)  # 17-60 keV, no absorption
    got = xlf.source_flux(lum, d_pc, 0.0, 2.0, (17.0, 60.0))
    assert got[0] == pytest.approx(f_hard, rel=1e-6)
    # Gamma = 2: energy flux per ln E is constant, so the soft band gets ln(2.3/0.2) / ln(60/17) of it
    soft = xlf.source_flux(lum, d_pc, 0.0, 2.0, (0.2, 2.3))
    assert soft[0] == pytest.approx(f_hard * math.log(11.5) / math.log(60 / 17), rel=1e-6)


@pytest.mark.parametrize("gamma, nh", [(1.8, 1e22), (1.0, 3e22), (2.5, 2e21)])
def test_absorbed_flux_matches_direct_integration(gamma, nh):
    lum, d_pc = 3e35, 5000.0
    d_cm = d_pc * 3.0857e18

    def spec(e, absorb):
        return e ** (1 - gamma) * (math.exp(-nh * float(physics.sigma_mm83(e))) if absorb else 1.0)

    edges = [0.2, 0.284, 0.4, 0.532, 0.707, 0.867, 1.303, 1.84, 2.3]  # Morrison & McCammon edges inside the band
    soft = sum(integrate.quad(spec, a, b, args=(True,), epsabs=0, epsrel=1e-9)[0] for a, b in zip(edges, edges[1:]))
    ref = integrate.quad(spec, 17.0, 60.0, args=(False,))[0]
    expect = lum / (4 * math.pi * d_cm**2) * soft / ref
    got = xlf.source_flux(lum, d_pc, nh, gamma, (0.2, 2.3))[0]
    assert got == pytest.approx(expect, rel=5e-3)
    # and the hard band is (nearly) untouched by such columns
    hard = xlf.source_flux(lum, d_pc, nh, gamma, (17.0, 60.0))[0]
    assert hard == pytest.approx(lum / (4 * math.pi * d_cm**2), rel=2e-3)


def test_survey_models_and_footprints():
    s = xlf.INTEGRAL_IBIS
    assert s.flux_limit_at([0.0, 10.0, 30.0, -40.0]).tolist() == [s.flux_limit, s.flux_limit,
                                                                    s.flux_limit_off_plane, s.flux_limit_off_plane]
    p = s.detection_probability([s.flux_limit, 100 * s.flux_limit, s.flux_limit / 100], 0.0)
    assert p[0] == pytest.approx(0.5) and p[1] > 0.999 and p[2] < 0.001
    assert xlf.DE_HALF.area_deg2 == pytest.approx(41252.96 / 2, rel=1e-5)
    assert xlf.DE_HALF.contains([200.0, 10.0, 359.0], [0.0, 0.0, 50.0]).tolist() == [True, False, True]
    with pytest.raises(InputError, match="both"):
        xlf.SurveyModel("x", (1.0, 2.0), 1e-13, plane_b_deg=10.0)
    with pytest.raises(InputError, match="band_kev"):
        xlf.SurveyModel("x", (2.0, 1.0), 1e-13)


# ------------------------------------------------------------ the Monte Carlo


def _small(seed, **kw):
    return xlf.expected_numbers(n_mc=60, n_sample=2000, seed=seed, **kw)


@pytest.fixture(scope="module")
def small_run():
    return _small(3)


def test_monte_carlo_is_reproducible_for_a_seed_and_differs_between_seeds(small_run):
    again = _small(3)
    other = _small(4)
    for cls in ("LMXB", "HMXB"):
        for k in xlf.QUANTITIES:
            assert np.array_equal(small_run.classes[cls].draws[k], again.classes[cls].draws[k])
        assert not np.array_equal(small_run.classes[cls].draws["n_erosita"], other.classes[cls].draws["n_erosita"])


def test_monte_carlo_counts_are_consistent(small_run):
    for r in small_run.classes.values():
        d = {k: np.asarray(v) for k, v in r.draws.items()}
        assert np.all(d["n_integral"] <= d["n_galaxy"]) and np.all(d["n_erosita"] <= d["n_galaxy"])
        assert np.all(d["n_erosita"] >= np.maximum(d["n_erosita_soft"], d["n_erosita_hard"]))
        assert np.all(d["n_new"] <= d["n_erosita"]) and np.all(d["n_new"] >= d["n_erosita"] - d["n_integral"])
        assert np.all(d["n_new_de"] <= d["n_new"]) and np.all(d["n_erosita_de"] <= d["n_erosita"])
        assert np.all(np.abs(d["n_galaxy"] - d["n_total"]) < 1.0)
        # roughly half of the Galaxy's binaries lie at l > 180 deg
        assert 0.3 < d["n_galaxy_de"].sum() / d["n_galaxy"].sum() < 0.7
        for name, cum in r.cumulative.items():
            assert np.all(np.diff(cum, axis=1) <= 0)  # N(>S) falls with S
        assert r.summary("n_erosita", fraction=True)[0] <= 1.0
    assert np.array_equal(small_run.total_new_de,
                          sum(np.asarray(r.draws["n_new_de"]) for r in small_run.classes.values()))
    t = small_run.table()
    assert set(t["class"]) == {"LMXB", "HMXB", "all"}
    row = t[(t["class"] == "LMXB") & (t["quantity"] == "n_new")][0]
    assert (row["published_lo"], row["published_hi"]) == xlf.PUBLISHED["LMXB"].n_new


def test_deeper_surveys_find_more_and_flux_limits_are_honoured():
    base = _small(6, classes=("LMXB",))
    deep = _small(6, classes=("LMXB",), integral=replace(xlf.INTEGRAL_IBIS, flux_limit=1e-12),
                  erosita=(replace(xlf.ERASS1_SOFT, flux_limit=5e-15), xlf.ERASS1_HARD))
    b, d = base.classes["LMXB"].draws, deep.classes["LMXB"].draws
    assert np.array_equal(b["n_galaxy"], d["n_galaxy"])  # same seed: same Galaxies
    assert d["n_integral"].sum() > b["n_integral"].sum()
    assert d["n_erosita_soft"].sum() > b["n_erosita_soft"].sum()


def test_monte_carlo_input_errors_and_cancel():
    import threading

    with pytest.raises(InputError, match="class"):
        xlf.expected_numbers(("CV",))
    with pytest.raises(InputError, match="n_sample"):
        xlf.expected_numbers(n_sample=10)
    with pytest.raises(InputError, match="n_mc"):
        xlf.expected_numbers(n_mc=0)
    with pytest.raises(InputError, match="names must differ"):
        xlf.expected_numbers(erosita=(xlf.ERASS1_SOFT, xlf.ERASS1_SOFT))
    ev = threading.Event()
    ev.set()
    with pytest.raises(Cancelled, match="cancelled"):
        xlf.expected_numbers(n_mc=5, n_sample=1000, cancel=ev)
    seen = []
    xlf.expected_numbers(("HMXB",), n_mc=3, n_sample=1000, progress=lambda m, f: seen.append(f))
    assert seen[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in seen)


# ------------------------------------------------------------ the simulated sky


def test_simulator_draws_binaries_from_these_functions():
    from xrbvo.galaxy.populations import CLASS_MODELS

    for cls in ("HMXB", "LMXB"):
        model = CLASS_MODELS[cls]
        soft = xlf.soft_band_lf(cls)
        assert isinstance(model.lf, xlf.BrokenPowerLawLF)
        assert model.lf == soft
        assert model.lf.band_kev == physics.ERASS1_SOFT_KEV
        assert model.n_galaxy == pytest.approx(soft.n_total)
        assert model.n_galaxy == pytest.approx(xlf.DOROSHENKO2014[cls].n_total.value)
        assert xlf.CLASS_GAMMA[cls] == model.gamma[0]
        assert model.spatial.hz_pc == {"HMXB": 85.0, "LMXB": 410.0}[cls]
    assert physics.R0_KPC == 8.2


@pytest.mark.slow
def test_simulated_sky_counts_agree_with_expected_numbers():
    from xrbvo.sim.sky import SkyConfig, simulate_sky

    boost = {"HMXB": 50.0, "LMXB": 200.0}
    sky = simulate_sky(SkyConfig(l_deg=300.0, width_deg=4.0, height_deg=2.0, class_boost=boost,
                                 field_density_scale=0.01, seed=0))
    counts = Counter(str(c) for c in sky.truth["true_class"])
    fixed = {k: replace(v, **{p: replace(getattr(v, p), plus=0.0, minus=0.0)
                              for p in ("l_break", "alpha1", "alpha2", "n_total")})
             for k, v in xlf.DOROSHENKO2014.items()}
    field = replace(xlf.ERASS1_SOFT, footprint=xlf.Footprint(298.0, 302.0, -1.0, 1.0))
    pred = xlf.expected_numbers(params=fixed, erosita=(field,), n_mc=400, n_sample=20000, seed=5)
    for cls, b in boost.items():
        mean = float(np.mean(pred.classes[cls].draws["n_erosita_soft"])) * b
        assert mean > 15
        assert abs(counts[cls] - mean) < 4.0 * math.sqrt(mean), (cls, counts[cls], mean)


# ------------------------------------------------------------------- command


def _run_cli(argv, capsys):
    from xrbvo.cli.commands import xlf as cmd
    from xrbvo.cli._ui import UI

    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    rc = cmd.run(parser.parse_args(argv), UI(quiet=True))
    return rc, capsys.readouterr()


def test_command_is_registered():
    from xrbvo.cli import entry
    from xrbvo.cli.commands import xlf as cmd

    assert "xlf" in entry.COMMANDS
    assert cmd.NAME == "xlf" and cmd.HELP and cmd.DESCRIPTION


def test_command_prints_published_beside_reproduced_and_writes_plots(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per row, so the cells can be read back
    out = tmp_path / "plots"
    rc, cap = _run_cli(["--out", str(out), "--n-mc", "40", "--n-sample", "2000", "--seed", "4"], capsys)
    assert rc == 0
    for text in ("LMXB published", "HMXB reproduced", "8 (+7, -6.5)", "0.55 (+4.6, -0.28)", "130-270",
                 "23-138", "22-150", "l > 180", "N detected by INTEGRAL"):
        assert text in cap.out, text
    for name in ("xlf_luminosity_functions.png", "xlf_counts_vs_flux_limit.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    t = Table.read(out / "xlf_expected.ecsv")
    assert t.meta["seed"] == 4 and t.meta["n_mc"] == 40
    med = {(r["class"], r["quantity"]): r["median"] for r in t}
    assert med[("LMXB", "n_erosita")] > 0 and med[("all", "n_new_de")] >= 0


def test_command_options_change_the_answer(tmp_path, capsys):
    common = ["--n-mc", "40", "--n-sample", "2000", "--classes", "LMXB", "--no-plots", "--out"]
    _run_cli(common + [str(tmp_path / "a")], capsys)
    _run_cli(common + [str(tmp_path / "b"), "--l-min", "1e35"], capsys)
    _run_cli(common + [str(tmp_path / "c"), "--integral-limit", "1e-10"], capsys)
    a, b, c = (Table.read(tmp_path / d / "xlf_expected.ecsv") for d in "abc")

    def med(t, q):
        return t[t["quantity"] == q]["median"][0]

    assert med(b, "n_integral") > med(a, "n_integral")  # all the binaries are brighter
    assert med(c, "n_integral") < med(a, "n_integral")
    assert med(c, "n_new") > med(a, "n_new")
    assert set(a["class"]) == {"LMXB", "all"}
    assert not list((tmp_path / "a").glob("*.png"))


def test_command_errors_name_the_problem(tmp_path, capsys):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        _run_cli(["--out", str(afile)], capsys)
    with pytest.raises(InputError, match="--n-mc"):
        _run_cli(["--n-mc", "0", "--out", str(tmp_path)], capsys)
    with pytest.raises(InputError, match="below the HMXB break"):
        _run_cli(["--l-min", "1e36", "--out", str(tmp_path)], capsys)


def test_command_through_the_cli_entry_point(tmp_path, capsys, monkeypatch):
    from xrbvo import cli

    monkeypatch.setenv("COLUMNS", "200")

    rc = cli.main(["-q", "xlf", "--classes", "HMXB", "--n-mc", "20", "--n-sample", "1000", "--no-plots",
                   "--out", str(tmp_path / "o")])
    cap = capsys.readouterr()
    assert rc == 0 and "HMXB published" in cap.out and "LMXB published" not in cap.out
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    rc = cli.main(["-q", "xlf", "--out", str(afile)])
    cap = capsys.readouterr()
    assert rc == 2 and "error:" in cap.err and "not a directory" in cap.err
