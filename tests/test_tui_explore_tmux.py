"""Acceptance: `xrbvo explore` in tmux against the local DaCHS, through a request-counting proxy.

The proxy (tests/_dachs.py FaultProxy) counts every request at the server side
and, switched to resets, stands for the server going down mid-session: the
shared DaCHS itself is not stopped, because other test sessions on the same
machine use it concurrently (stopping it disturbs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from _dachs import FaultProxy, dachs  # noqa: F401  (fixture)
from _explore import demo_list, reference

from conftest import require
from xrbvo.tui.render import format_value

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.integration, pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::astropy.units.UnitsWarning"),
              pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore::xrbvo.core.errors.XrbvoWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]


def _tmux(sock, *args, check=True):
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True, check=check, timeout=30)


def _wait_for(sock, predicate, timeout_s=90.0):
    deadline = time.monotonic() + timeout_s
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux(sock, "capture-pane", "-p", "-t", "tui", check=False).stdout
        if predicate(screen):
            return screen
        time.sleep(0.3)
    raise AssertionError(f"screen never showed what was expected; last screen:\n{screen}")


def _keys(sock, *keys, literal=False):
    _tmux(sock, "send-keys", "-t", "tui", *(["-l"] if literal else []), *keys)
    time.sleep(0.4)


def test_explore_in_tmux_equals_run_caches_and_recovers(dachs, demo_run, tmp_path):
    require(shutil.which("tmux") is not None, "tmux", "install it with `apt-get install tmux` (scripts/ci/tui.sh)")
    path = demo_list(dachs.url, tmp_path / "list.fits", tmp_path / "c0")
    ref = reference(dachs.url, path, demo_run / "model", tmp_path / "c0")
    ids = np.asarray(ref["xid"]).astype(str)
    first = int(np.argmax(np.asarray(ref["flux_soft"], float)))  # explore sorts by flux_soft
    sock = f"xrbvo-explore-{os.getpid()}"
    with FaultProxy(dachs.url) as proxy:
        env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm-256color")
        cmd = (f"{sys.executable} -m xrbvo explore {path} --model {demo_run / 'model'} --tap-url {proxy.url} "
               f"--cache {tmp_path / 'cache'} --no-samp --timeout 20")
        subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-s", "tui", "-x", "180",
                        "-y", "60", cmd], check=True, env=env, timeout=30)
        try:
            row = ref[first]
            pred = str(row["predicted_class"])
            line = lambda s: [ln for ln in s.splitlines() if f"│ {pred} " in ln or f" {pred}  " in ln]
            screen = _wait_for(sock, lambda s: "P_field" in s and ids[first] in s)
            # the detail pane: P, P_field and P_ctpt of the predicted class as run computed them
            want = [format_value(row[f"P_{pred}"]), format_value(row[f"P_{pred}_field"]),
                    format_value(row[f"P_{pred}_CTPT"])]
            rows = [ln.split("│")[-1].split() for ln in screen.splitlines() if "│" in ln]
            assert [pred, *want] in [r[:4] for r in rows], screen
            assert f"p_any {format_value(row['p_any'])}" in screen
            best = str(row["nid_gaia"]).strip()
            if best not in ("", "-1"):
                assert f"gaia={best}" in screen
            # selecting it again (down, up) sends no request
            time.sleep(3.0)  # prefetch of the next rows settles
            n = proxy.requests
            _keys(sock, "Down")
            _keys(sock, "Up")
            _wait_for(sock, lambda s: "P_field" in s and ids[first] in s.splitlines()[1].split("│")[-1],
                      timeout_s=15)
            assert proxy.requests == n
            # a sexagesimal position: its neighbourhood and the list's nearest sources
            from astropy.coordinates import SkyCoord
            import astropy.units as u
            c = SkyCoord(float(row["ra"]) * u.deg, float(row["dec"]) * u.deg + 20 * u.arcsec)
            _keys(sock, "g")
            _keys(sock, c.to_string("hmsdms", sep=":", precision=1), literal=True)
            _keys(sock, "Enter")
            screen = _wait_for(sock, lambda s: "nearest X-ray sources" in s)
            assert "typed position" in screen and ids[first] in screen.split("nearest X-ray sources")[1]
            # the server goes away: a notification, the UI stays
            proxy.preset = 1.0
            _keys(sock, "g")
            _keys(sock, "gal 301.5 0.7", literal=True)
            _keys(sock, "Enter")
            screen = _wait_for(sock, lambda s: "unreachable" in s or "failing" in s, timeout_s=60)
            # cached results stay: the first source again, no request needed
            _keys(sock, "Escape")
            _keys(sock, "Home")
            _wait_for(sock, lambda s: "P_field" in s and f"p_any {format_value(row['p_any'])}" in s, timeout_s=15)
            # the server is back: the same position now works
            proxy.preset = 0.0
            _keys(sock, "g")
            _keys(sock, "gal 301.5 0.7", literal=True)
            _keys(sock, "Enter")
            _wait_for(sock, lambda s: "typed position l=301.5 b=0.7" in s, timeout_s=60)
            _keys(sock, "q")
        finally:
            _tmux(sock, "kill-server", check=False)
