"""Killing ``xrbvo run`` and ``xrbvo demo`` at random moments never leaves a corrupted output (issue 17).

Each command first runs once to the end (its outputs exist, and its duration
after taking the lock bounds the kill moments); then it is started again into
the same directory and stopped by SIGTERM or SIGKILL at a moment drawn from a
seeded generator.  Afterwards every file in ``--out`` reads back completely
(tables with ``read_table``, JSON with ``json``, PNG by its signature) or is
absent; after SIGTERM no temporary and no lock remain; after SIGKILL the next
run takes over the dead process's lock and succeeds.

Each command is killed at 20 random moments, 10 by SIGTERM and 10 by SIGKILL (``demo``
on a small field with a ready model), in three series running side by side.  A SIGTERM that
lands after the command finished its work and gave back its handler (while Python
shuts down) ends the process by the signal (exit -15): its outputs are whole too.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from xrbvo.io import read_table
from xrbvo.io.outputs import LOCK_NAME

pytestmark = pytest.mark.slow

N_RUN, N_DEMO = 10, 10  # run: 10 SIGTERM + 10 SIGKILL; demo: 10 of each
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def field(tmp_path_factory, small_model):
    """A 1 x 1 deg simulated field (files, as `xrbvo simulate` writes them) and a model directory."""
    from xrbvo.cli import main
    from xrbvo.workflows import ModelBundle

    d = tmp_path_factory.mktemp("field")
    assert main(["-q", "simulate", "--width", "1", "--height", "1", "--seed", "5", "--out", str(d / "sky")]) == 0
    model, ts = small_model
    m = ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ts.reference_priors}).save(d / "m")
    return d / "sky", m


def _start(args):
    env = dict(os.environ, COLUMNS="200")
    return subprocess.Popen([sys.executable, "-m", "xrbvo", "-q", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)


def _holds_lock(out: Path, proc) -> bool:
    try:
        return json.loads((out / LOCK_NAME).read_text()).get("pid") == proc.pid
    except (OSError, ValueError):
        return False


def _wait_for_work(out: Path, proc, seconds=300.0) -> bool:
    """Poll until ``proc`` holds the lock of ``out`` (its work has begun); False if it ended first."""
    deadline = time.monotonic() + seconds
    while not _holds_lock(out, proc):
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the command never took its lock"
        time.sleep(0.005)
    return True


def _check_outputs(out: Path) -> list[str]:
    """Every visible file reads back completely; returns the names seen."""
    names = []
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out)
        if p.is_dir() or p.name.startswith("."):
            continue
        if not rel.parts[0].startswith("."):  # the resumable tiles (OUT/.tiles) are checked, not listed
            names.append(str(rel))
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == PNG and p.read_bytes().rstrip()[-8:-4] == b"IEND", p
        elif p.suffix == ".json":
            json.loads(p.read_text())
        elif p.suffix == ".html":  # the report's index: whole when it closes its document
            assert p.read_text(encoding="utf-8").rstrip().endswith("</html>"), p
        elif p.suffix == ".reg":  # the report's ds9 region file: it parses whole (no candidates: no regions)
            from regions import Regions

            text = p.read_text(encoding="utf-8")
            assert "# Region file format: DS9" in text, p
            Regions.read(str(p), format="ds9")
        else:
            assert len(read_table(p)) > 0, p
    return names


def _series(args, out: Path, kills, seed: int) -> list[str]:
    """One clean run, then one run per signal in ``kills`` (into the same directory), then a clean rerun."""
    rng = random.Random(seed)
    log = []
    proc = _start(args)
    assert _wait_for_work(out, proc)
    t0 = time.monotonic()
    so, se = proc.communicate(timeout=600)
    work = time.monotonic() - t0
    assert proc.returncode == 0, se
    first = _check_outputs(out)
    assert first
    for sig in kills:
        proc = _start(args)
        started = _wait_for_work(out, proc)
        if started:
            time.sleep(rng.uniform(0.0, work))
            proc.send_signal(sig)
        so, se = proc.communicate(timeout=600)
        log.append(f"{sig.name} -> {proc.returncode}")
        if sig == signal.SIGTERM:
            assert proc.returncode in (0, 143, -signal.SIGTERM), se
            if proc.returncode == 143:
                (line,) = se.strip().splitlines()[-1:]
                assert "terminated (SIGTERM); results written so far are kept" in line and "Traceback" not in se
            leftovers = [p.name for p in out.rglob(".*") if p.name != ".tiles"]
            assert leftovers == [], leftovers  # no temporary, no lock (finished tiles stay, for a resume)
        else:
            assert proc.returncode in (0, -signal.SIGKILL), se
        assert set(_check_outputs(out)) <= set(first)  # complete, or absent (never a new kind of file)
    proc = _start(args)  # takes over a dead process's lock, if the last kill left one
    so, se = proc.communicate(timeout=600)
    assert proc.returncode == 0, se
    assert sorted(_check_outputs(out)) == sorted(first)
    assert not (out / LOCK_NAME).exists()
    return log


def test_kills_at_random_moments_leave_whole_files_or_none(tmp_path, field):
    sky, model = field
    run = ["run", str(sky / "xray.fits"), "--model", str(model), "--catalog", f"gaia={sky / 'gaia.fits'}",
           "--catalog", f"2mass={sky / '2mass.fits'}", "--catalog", f"catwise={sky / 'catwise.fits'}",
           "--out", str(tmp_path / "run")]
    demo = ["demo", "--width", "1", "--height", "1", "--model", str(model), "--counterparts", "nway",
            "--out", str(tmp_path / "demo")]
    out = run.index("--out") + 1
    term, kill = signal.SIGTERM, signal.SIGKILL
    with ThreadPoolExecutor(3) as pool:
        series = [pool.submit(_series, run[:out] + [str(tmp_path / "run-term")], tmp_path / "run-term",
                              [term] * N_RUN, 17),
                  pool.submit(_series, run[:out] + [str(tmp_path / "run-kill")], tmp_path / "run-kill",
                              [kill] * N_RUN, 18),
                  pool.submit(_series, demo, tmp_path / "demo", [term, kill] * N_DEMO, 19)]
        log = [line for s in series for line in s.result()]
    assert len(log) == 2 * (N_RUN + N_DEMO)
