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
    (["--tap-url", "http://127.0.0.1:1/tap"], "are for --provider tap"),
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
    for name in ("xrbvo_catalogue.fits", "xrbvo_catalogue_counterparts.fits"):
        a, b = Table.read(tmp_path / "local" / name), Table.read(tmp_path / "tap" / name)
        assert a.colnames == b.colnames and 20 < len(a) == len(b), name
        for c in a.colnames:
            x, y = np.asarray(a[c]), np.asarray(b[c])
            same = np.array_equal(x, y, equal_nan=True) if x.dtype.kind == "f" else np.array_equal(x, y)
            assert same, f"{name}: column {c} differs"
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
