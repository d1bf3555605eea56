"""``xrbvo run`` in sky tiles: the tiled catalogue equals one pass, and a run stopped by Ctrl-C resumes.

The model is the bundle ``xrbvo demo`` writes (class-aware, joint counterparts; the shared
``demo_run`` fixture) and the field is the demo's own, written as files.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table
from conftest import DEMO_FIELD

from xrbvo.cli.entry import main
from xrbvo.io import write_table
from xrbvo.sim import SkyConfig, simulate_sky
from xrbvo.workflows.tiles import plan_tiles

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = ("xrbvo_catalogue.fits", "xrbvo_catalogue_counterparts.fits", "xrbvo_catalogue_neighbours.fits")


def _ctrl_c_reaches_python():
    """In the child: SIGINT as a terminal delivers it, even when the test runner was started in the
    background by a shell (which sets SIGINT to 'ignore', and a child inherits that, so Python would
    install no KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    """The demo's field as the files `xrbvo run` reads (native column names)."""
    f = DEMO_FIELD
    sky = simulate_sky(SkyConfig(l_deg=f["l"], b_deg=f["b"], width_deg=f["width"], height_deg=f["height"],
                                 class_boost=f["boost"], seed=f["seed"]))
    d = tmp_path_factory.mktemp("field")
    for name, t in [("xray", sky.xray), *sky.catalogs.items()]:
        write_table(t, d / f"{name}.fits")
    return d


def run_args(field: Path, model: Path, out: Path, *extra: str) -> list[str]:
    return ["-q", "run", str(field / "xray.fits"), "--model", str(model), "--out", str(out),
            *[a for s in ("gaia", "2mass", "catwise") for a in ("--catalog", f"{s}={field / s}.fits")], *extra]


def assert_same_outputs(a: Path, b: Path) -> None:
    for name in OUTPUTS:
        x, y = Table.read(a / name), Table.read(b / name)
        assert x.colnames == y.colnames and len(x) == len(y) > 0, name
        for c in x.colnames:
            u, v = np.asarray(x[c]), np.asarray(y[c])
            same = np.array_equal(u, v, equal_nan=True) if u.dtype.kind == "f" else np.array_equal(u, v)
            assert same, f"{name}: column {c} differs"
        assert x.meta == y.meta, name


def test_plan_tiles_cover_every_source_once_and_wrap_at_360():
    rng = np.random.default_rng(1)
    l_deg, b_deg = rng.uniform(-20, 20, 500) % 360, rng.uniform(-3, 3, 500)
    tiles = plan_tiles(l_deg, b_deg, 2.0)
    rows = np.concatenate([t.rows for t in tiles])
    assert sorted(rows.tolist()) == list(range(500))
    assert all(np.all(np.diff(t.rows) > 0) for t in tiles)  # input order inside a tile
    for t in tiles:  # one tile spans at most 2 deg in l (across 0/360) and in b
        dl = (l_deg[t.rows] - l_deg[t.rows].min()) % 360
        assert np.ptp(b_deg[t.rows]) < 2.0 and (dl.max() < 2.0 or (360 - dl.max()) < 2.0)
    assert len({t.name for t in tiles}) == len(tiles)


@pytest.mark.slow
def test_tiled_run_stopped_by_ctrl_c_resumes_and_equals_one_pass(demo_run, field, tmp_path, capsys):
    model = demo_run / "model"
    one = tmp_path / "one"
    assert main(run_args(field, model, one, "--tile-deg", "0")) == 0
    out = tmp_path / "tiled"
    args = run_args(field, model, out, "--tile-deg", "0.5")
    tiles = out / ".tiles"
    proc = subprocess.Popen([sys.executable, "-m", "xrbvo", *args], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            preexec_fn=_ctrl_c_reaches_python)
    try:
        deadline = time.monotonic() + 600
        while not list(tiles.glob("l*.catalogue.parquet")):  # not the temporary of an atomic write
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no tile finished within 600 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "run the same command again to resume" in err and "Traceback" not in err
    manifest = json.loads((tiles / "manifest.json").read_text())
    n_tiles, done = len(manifest["tiles"]), len(manifest["finished"])
    assert 1 <= done < n_tiles and manifest["computed"] == done
    assert not (out / "xrbvo_catalogue.fits").exists()

    # one finished tile lost a file (a removal cut short, a disk error): that tile alone is computed again
    lost = manifest["finished"][0]
    (tiles / f"{lost}.counterparts.parquet").unlink()
    capsys.readouterr()
    assert main(args) == 0
    line = re.search(r"tiles: (\d+) of 0.5 deg, (\d+) finished before, (\d+) computed now", capsys.readouterr().out)
    assert line, "the rerun prints what it resumed"
    # no whole finished tile computed again
    assert [int(x) for x in line.groups()] == [n_tiles, done - 1, n_tiles - done + 1]
    assert not tiles.exists()  # removed once the outputs are written
    assert not list(out.glob(".xrbvo-tmp-*"))  # nothing of it left under another name
    assert_same_outputs(one, out)


@pytest.mark.slow
def test_tiled_run_with_nway_counterparts_equals_one_pass(demo_run, field, tmp_path):
    """nway learns magnitude priors from the data: measured once on all tiles, as one pass does."""
    model = demo_run / "model"
    assert main(run_args(field, model, tmp_path / "one", "--counterparts", "nway", "--tile-deg", "0")) == 0
    assert main(run_args(field, model, tmp_path / "tiled", "--counterparts", "nway", "--tile-deg", "1")) == 0
    assert_same_outputs(tmp_path / "one", tmp_path / "tiled")
