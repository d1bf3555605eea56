"""``xrbvo run --provider tap``: the catalogue of local files through the local DaCHS, and services that do
not answer as one line at once."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest
from _dachs import dachs, skies  # noqa: F401  (dachs is a fixture)
from astropy.table import Table

from xrbvo.cli.entry import main
from xrbvo.io import write_table
from xrbvo.sim import SkyConfig, simulate_sky


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error:")
    return err


DOWN = [(lambda: f"http://127.0.0.1:{_closed_port()}/tap", "is unreachable (connection refused)"),
        (lambda: "http://xrbvo-test-host.invalid/tap", "does not resolve")]


@pytest.mark.parametrize("url, message", DOWN, ids=["closed-port", "invalid-host"])
def test_run_with_a_service_that_does_not_answer_is_one_line_at_once(tmp_path, capsys, url, message):
    url = url()
    t0 = time.monotonic()
    rc = main(["-q", "run", str(tmp_path / "xray.fits"), "--model", str(tmp_path / "model"), "--provider", "tap",
               "--tap-url", url, "--out", str(tmp_path / "out")])
    assert rc == 2 and message in one_error_line(capsys)
    assert time.monotonic() - t0 < 10  # no retries, checked before the model and the input are read


@pytest.mark.parametrize("url, message", DOWN, ids=["closed-port", "invalid-host"])
def test_demo_with_a_service_that_does_not_answer_fails_before_training(tmp_path, capsys, url, message):
    t0 = time.monotonic()
    rc = main(["-q", "demo", "--out", str(tmp_path / "out"), "--provider", "tap", "--tap-url", url()])
    assert rc == 2 and message in one_error_line(capsys)
    assert time.monotonic() - t0 < 10 and not (tmp_path / "out" / "model").exists()


@pytest.mark.parametrize("extra, message", [
    (["--provider", "tap", "--catalog", "gaia=g.fits"], "--catalog is for --provider local"),
    (["--tap-url", "http://127.0.0.1:1/tap"], "is for --provider tap"),
    (["--timeout", "5", "--catalog", "gaia=g.fits"], "--timeout is for the pulls from TAP services"),
    (["--provider", "tap", "--timeout", "-1"], "--timeout must be a positive number"),
    (["--provider", "tap", "--surveys", ","], "--surveys names no survey"),
    (["--provider", "tap", "--surveys", "erass1"], "not a counterpart survey"),
    ([], "give at least one survey catalogue"),
])
def test_provider_options_are_checked_first(tmp_path, capsys, extra, message):
    rc = main(["-q", "run", str(tmp_path / "xray.fits"), "--model", str(tmp_path / "model"), *extra])
    assert rc == 2 and message in one_error_line(capsys)


# --------------------------------------------------------------------------------------
# through the local DaCHS (integration)

REGION = "gal:299,301,-1,1"


def assert_same_outputs(local, tap, meta=()):
    """The catalogue and counterparts of two runs are equal, value for value (and the header keys ``meta``)."""
    for name in ("xrbvo_catalogue.fits", "xrbvo_catalogue_counterparts.fits"):
        a, b = Table.read(local / name), Table.read(tap / name)
        assert a.colnames == b.colnames and 20 < len(a) == len(b), name
        for c in a.colnames:
            x, y = np.asarray(a[c]), np.asarray(b[c])
            same = np.array_equal(x, y, equal_nan=True) if x.dtype.kind == "f" else np.array_equal(x, y)
            assert same, f"{name}: column {c} differs"
        for k in meta:
            assert a.meta[k] == b.meta[k], f"{name}: header {k} differs"


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_run_through_tap_equals_the_run_on_local_files(dachs, demo_run, tmp_path, capsys):
    """The DaCHS serves the demo field (scripts/dachs/load.py); the same field as files gives the same catalogue."""
    sky = simulate_sky(SkyConfig(**skies()["demo"]))
    for name, t in [("xray", sky.xray), *sky.catalogs.items()]:
        write_table(t, tmp_path / f"{name}.fits")
    common = ["-q", "run", str(tmp_path / "xray.fits"), "--model", str(demo_run / "model"), "--region", REGION]
    local = ["--catalog", f"gaia={tmp_path / 'gaia.fits'}", "--catalog", f"2mass={tmp_path / '2mass.fits'}",
             "--catalog", f"catwise={tmp_path / 'catwise.fits'}"]
    assert main([*common, *local, "--out", str(tmp_path / "local")]) == 0
    kept = capsys.readouterr().out
    assert f"region {REGION}: " in kept and f"of {len(sky.xray)} sources kept" in kept
    assert main([*common, "--provider", "tap", "--tap-url", dachs.url, "--cache", str(tmp_path / "cache"),
                 "--timeout", "600", "--out", str(tmp_path / "tap")]) == 0
    assert_same_outputs(tmp_path / "local", tmp_path / "tap")
    cat = Table.read(tmp_path / "tap" / "xrbvo_catalogue.fits")
    assert len(cat) < len(sky.xray) and np.asarray(cat["coverage"], bool).all()


@pytest.mark.slow
def test_an_empty_region_is_one_line(demo_run, tmp_path, capsys):
    sky = simulate_sky(SkyConfig(l_deg=300.0, b_deg=0.0, width_deg=0.5, height_deg=0.5, seed=3))
    write_table(sky.xray, tmp_path / "xray.fits")
    write_table(sky.catalogs["gaia"], tmp_path / "gaia.fits")
    rc = main(["-q", "run", str(tmp_path / "xray.fits"), "--model", str(demo_run / "model"),
               "--catalog", f"gaia={tmp_path / 'gaia.fits'}", "--region", "gal:10,20,-1,1",
               "--out", str(tmp_path / "out")])
    assert rc == 2
    assert f"--region gal:10,20,-1,1: none of the {len(sky.xray)} sources" in one_error_line(capsys)


SELECTION_LINES = ("DET_LIKE_0 >= 6: removed", "EXT_LIKE <= 0: removed", "FLAG_SP_* == 0")


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_erass1_release_through_tap_equals_the_run_on_local_files(dachs, demo_run, tmp_path, capsys):
    """``simulate --format erass1`` of the field the DaCHS serves, then ``run eRASS1_Main.fits --hard
    eRASS1_Hard.fits`` on local files and through the DaCHS: the same catalogue, the same selection."""
    f = skies()["demo"]
    sim = ["-q", "simulate", "--format", "erass1", "--out", str(tmp_path / "sky"), "--seed", str(f["seed"]),
           "--l", str(f["l_deg"]), "--b", str(f["b_deg"]), "--width", str(f["width_deg"]),
           "--height", str(f["height_deg"])]
    assert main([*sim, *[a for k, v in f["class_boost"].items() for a in ("--boost", f"{k}={v:g}")]]) == 0
    sky = tmp_path / "sky"
    main_t, hard_t = Table.read(sky / "eRASS1_Main.fits"), Table.read(sky / "eRASS1_Hard.fits")
    common = ["run", str(sky / "eRASS1_Main.fits"), "--hard", str(sky / "eRASS1_Hard.fits"),
              "--model", str(demo_run / "model"), "--region", REGION]
    local = [a for s in ("gaia", "2mass", "catwise") for a in ("--catalog", f"{s}={sky / (s + '.fits')}")]
    capsys.readouterr()
    assert main([*common, *local, "--out", str(tmp_path / "local")]) == 0
    out_local = capsys.readouterr().out
    assert main([*common, "--provider", "tap", "--tap-url", dachs.url, "--cache", str(tmp_path / "cache"),
                 "--timeout", "600", "--out", str(tmp_path / "tap")]) == 0
    out_tap = capsys.readouterr().out
    # extended and flagged sources are excluded and counted, the same in both
    sel_local = [ln for ln in out_local.splitlines() if ln.strip().startswith(SELECTION_LINES)]
    sel_tap = [ln for ln in out_tap.splitlines() if ln.strip().startswith(SELECTION_LINES)]
    assert len(sel_local) == 3 and sel_local == sel_tap, (sel_local, sel_tap)

    assert_same_outputs(tmp_path / "local", tmp_path / "tap",
                        meta=("NRMEXT", "NRMFLAG", "NSELIN", "NSELOUT", "NHARDSTR", "NHARDWK"))
    cat = Table.read(tmp_path / "tap" / "xrbvo_catalogue.fits")
    assert any(c.startswith("P_") for c in cat.colnames) and any(c.startswith("nid_") for c in cat.colnames)
    assert cat.meta["NRMEXT"] > 0 and cat.meta["NRMFLAG"] > 0

    # no extended or flagged source is in the catalogue
    flagged = np.asarray(main_t["EXT_LIKE"]) > 0
    for c in ("FLAG_SP_SNR", "FLAG_SP_BPS", "FLAG_SP_SCL", "FLAG_SP_LGA", "FLAG_SP_GC_CONS"):
        flagged |= np.asarray(main_t[c]) != 0
    dropped = set(np.asarray(main_t["IAUNAME"]).astype(str)[flagged])
    xid = np.asarray(cat["xid"]).astype(str)
    assert not dropped & set(xid)
    # hr is finite wherever the Hard catalogue holds the source (strong UID_Hard link), NaN elsewhere
    link = dict(zip(np.asarray(main_t["IAUNAME"]).astype(str), np.asarray(main_t["UID_Hard"], np.int64)))
    in_hard = set(np.asarray(hard_t["UID"], np.int64).tolist())
    strong = np.array([link[x] > 0 and link[x] in in_hard for x in xid])
    hr = np.asarray(cat["hr"].filled(np.nan) if hasattr(cat["hr"], "filled") else cat["hr"], float)
    assert strong.any() and np.isfinite(hr[strong]).all() and np.isnan(hr[~strong]).all()
