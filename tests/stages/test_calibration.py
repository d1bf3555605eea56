"""The calibrated p_any cut (issue 25): moved positions, the cut for a false rate, and what it does to a run."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xrbvo.core.errors import InputError
from xrbvo.stages.match.calibrate import (FALLBACK_CUT, PanyCalibration, check_false_rate, choose_cut,
                                          false_rate_at, shifted_positions)


@given(p=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=300), target=st.floats(0.001, 0.499))
@settings(max_examples=200, deadline=None)
def test_the_cut_is_the_smallest_with_a_false_rate_at_most_the_target(p, target):
    cut = choose_cut(p, target)
    assert false_rate_at(p, cut) <= target + 1e-12
    below = [x for x in p if x < cut]
    if below:  # any smaller cut (the largest value below it) lets more than the target through
        assert false_rate_at(p, max(below)) > target


def test_moved_positions_keep_their_distance_and_avoid_every_real_source():
    rng = np.random.default_rng(3)
    ra = 200 + rng.uniform(-1, 1, 300)
    dec = -60 + rng.uniform(-1, 1, 300)
    src, r2, d2 = shifted_positions(ra, dec, avoid_arcsec=60.0, seed=5)
    assert len(src) >= 200 - 10  # a small list is moved several times (a few dropped near other sources)
    from astropy.coordinates import SkyCoord

    moved = SkyCoord(r2, d2, unit="deg")
    own = moved.separation(SkyCoord(ra[src], dec[src], unit="deg")).arcsec
    assert own.min() >= 120 - 1e-6 and own.max() <= 300 + 1e-6
    _, sep, _ = moved.match_to_catalog_sky(SkyCoord(ra, dec, unit="deg"))
    assert sep.arcsec.min() > 60.0
    again = shifted_positions(ra, dec, avoid_arcsec=60.0, seed=5)
    assert np.array_equal(again[1], r2) and np.array_equal(again[2], d2)


def test_moved_positions_cross_ra_zero_and_the_pole():
    src, r2, d2 = shifted_positions([359.99, 0.01, 10.0], [0.0, 0.0, 89.99], avoid_arcsec=30.0, seed=1)
    assert np.all((r2 >= 0) & (r2 < 360)) and np.all(np.abs(d2) <= 90)


@pytest.mark.parametrize("bad", [0.0, 0.5, -0.1, 1.2, float("nan"), "x"])
def test_a_false_rate_outside_zero_to_half_is_refused(bad):
    with pytest.raises(InputError, match="between 0 and 0.5"):
        check_false_rate(bad)


@pytest.mark.parametrize("bad", ["0.7", "0", "nan"])
def test_cli_false_rate_outside_range_is_one_line_exit_2(bad, tmp_path, capsys):
    from xrbvo.cli import main

    x = tmp_path / "x.csv"
    x.write_text("xid,ra,dec,pos_err,flux_soft\nA,10,10,4,1e-13\n")
    code = main(["run", str(x), "--model", str(tmp_path / "none"), "--catalog", f"gaia={x}",
                 "--false-rate", bad, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "--false-rate" in err and "Traceback" not in err
    assert not (tmp_path / "o" / "xrbvo_catalogue.fits").exists()


def test_calibration_round_trips_through_json_and_header():
    c = PanyCalibration(0.8123, 0.049, 0.05, "shifted", 1200, 300, "", (0.0, 0.5, 1.0), (1.0, 0.2, 0.0))
    assert PanyCalibration.from_json(c.to_json()) == c
    h = c.header()
    assert h["PANYCUT"] == pytest.approx(0.8123) and h["FARATE"] == pytest.approx(0.049) and h["PANYCAL"] == "shifted"
    f = PanyCalibration(FALLBACK_CUT, float("nan"), 0.05, "fallback", 0, 3, "3 sources; at least 5 are needed")
    back = PanyCalibration.from_json(f.to_json())
    assert back.cut == FALLBACK_CUT and np.isnan(back.false_rate)
    assert "FARATE" not in f.header() and f.header()["PANYCUT"] == FALLBACK_CUT
    with pytest.raises(InputError, match="calibration"):
        PanyCalibration.from_json("{broken")


# ---------------------------------------------------------------------------------------------------------
# a run


@pytest.fixture(scope="module")
def demo_bundle(demo_run):
    from xrbvo.workflows import ModelBundle

    return ModelBundle.load(demo_run / "model")


@pytest.fixture(scope="module")
def calibrated(small_sky, demo_bundle):
    from xrbvo.stages.neighbourhoods import SimProvider
    from xrbvo.workflows import analyse

    return analyse(small_sky.xray, SimProvider(small_sky), demo_bundle)


def test_every_run_records_its_cut_and_the_rate_measured_at_it(calibrated):
    cat = calibrated.catalogue
    m = cat.meta
    assert m["PANYCAL"] == "shifted"
    assert 0.0 < m["PANYCUT"] <= 1.0
    assert m["FARATE"] <= m["FARTARGT"] == pytest.approx(0.05)
    assert m["FANPOS"] >= 100
    assoc = np.asarray(cat["associated"], bool)
    assert np.array_equal(assoc, np.asarray(cat["p_any"], float) >= m["PANYCUT"])
    assert 0 < assoc.sum() < len(cat)
    assert calibrated.summary()["association"]["associated"] == int(assoc.sum())


def test_unassociated_sources_are_described_and_classified_without_a_counterpart(small_sky, demo_bundle,
                                                                                  calibrated):
    from dataclasses import replace

    from xrbvo.stages.neighbourhoods import SimProvider
    from xrbvo.workflows import analyse
    from xrbvo.workflows.analyse import pipeline_config

    cat = calibrated.catalogue
    un = ~np.asarray(cat["associated"], bool)
    assert np.all(np.asarray(cat["match_flag"])[un] == 0)
    assert np.all(np.asarray(cat["ctp_survey"]).astype(str)[un] == "")
    for s in ("gaia", "2mass", "catwise"):
        assert np.all(np.asarray(cat[f"nid_{s}"]).astype(str)[un] == "")
    assert np.all(np.isnan(np.asarray(cat["G"], float)[un]))
    # without the cut the same sources keep chance neighbours, and some are classified differently
    off = analyse(small_sky.xray, SimProvider(small_sky), demo_bundle,
                  config=replace(pipeline_config(demo_bundle), false_rate=None)).catalogue
    assert "associated" not in off.colnames and "PANYCUT" not in off.meta
    assert np.array_equal(np.asarray(off["p_any"]), np.asarray(cat["p_any"]))  # p_any itself is not changed
    had = un & (np.asarray(off["ctp_survey"]).astype(str) != "")
    assert had.any()
    p_on = np.asarray(cat["P_AGN"], float)[had]
    p_off = np.asarray(off["P_AGN"], float)[had]
    assert not np.allclose(p_on, p_off)
    # associated sources are untouched
    a = ~un
    assert np.allclose(np.asarray(cat["P_HMXB"], float)[a], np.asarray(off["P_HMXB"], float)[a])


def test_a_field_too_small_to_calibrate_gets_the_stated_fallback(small_sky, demo_bundle):
    from xrbvo.stages.neighbourhoods import SimProvider
    from xrbvo.workflows import analyse

    a = analyse(small_sky.xray[:3], SimProvider(small_sky), demo_bundle)
    m = a.catalogue.meta
    assert m["PANYCAL"] == "fallback" and m["PANYCUT"] == FALLBACK_CUT and "FARATE" not in m
    assert "needed" in m["PANYNOTE"]


def test_survey_tables_cut_around_the_sources_are_not_taken_for_an_empty_sky(small_sky, demo_bundle, tmp_path):
    """Catalogue files holding only cones around the X-ray sources cannot serve moved positions: fallback."""
    from dataclasses import replace

    from astropy.table import unique

    from xrbvo.io import standardise_xray
    from xrbvo.stages.neighbourhoods import LocalProvider, SimProvider
    from xrbvo.workflows import analyse
    from xrbvo.workflows.analyse import pipeline_config

    xr = standardise_xray(small_sky.xray)
    cones = SimProvider(small_sky).neighbourhoods(xr, 30.0, ("gaia",))
    path = tmp_path / "gaia_cones.fits"
    t = cones["gaia"]
    keep = t[[c for c in t.colnames if c not in ("xid", "sep", "row")]]
    keep = unique(keep, keys="nid")  # a star in two overlapping cones is one row of the file
    keep.meta = {}
    keep.write(path)
    real = small_sky.xray.copy()
    del real.meta["PATCHRAD"]  # a list of real sources: nothing says where the survey tables end
    a = analyse(real, LocalProvider({"gaia": str(path)}), demo_bundle,
                config=replace(pipeline_config(demo_bundle), surveys=("gaia",)))
    m = a.catalogue.meta
    assert m["PANYCAL"] == "fallback" and "do not reach" in m["PANYNOTE"]


def test_the_simulated_sky_is_calibrated_alike_whoever_serves_it(small_sky, demo_bundle, calibrated, tmp_path):
    """The simulated X-ray list says its sky is patches (PATCHRAD): files of the same sky give the same cut."""
    from xrbvo.stages.neighbourhoods import LocalProvider
    from xrbvo.workflows import analyse

    files = {}
    for name, t in small_sky.catalogs.items():
        files[name] = tmp_path / f"{name}.fits"
        t = t.copy()
        t.meta.clear()  # FITS keywords of the simulation are not needed to read the tables
        t.write(files[name])
    a = analyse(small_sky.xray, LocalProvider(files), demo_bundle).catalogue
    assert a.meta["PANYCAL"] == "shifted"
    assert a.meta["PANYCUT"] == calibrated.catalogue.meta["PANYCUT"]
    assert np.array_equal(np.asarray(a["associated"]), np.asarray(calibrated.catalogue["associated"]))
