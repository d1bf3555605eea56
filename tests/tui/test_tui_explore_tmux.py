"""Acceptance (issue 19): `xrbvo explore` in tmux against the local DaCHS, through a request-counting proxy.

The UI runs on the demo field's eRASS1 list as the DaCHS serves it, its TAP URL
pointing at a :class:`_dachs.FaultProxy` in front of the DaCHS.  The proxy counts
every request at the server side (selecting a scored source again must send
none) and stands for the server going down: the acceptance asks for the DaCHS
*stopped* mid-session, but the DaCHS on a test machine is shared by other test
sessions running concurrently, and stopping it would break them.  So the proxy
is switched to reset every connection (``preset=1``: what a client sees of a
stopped server, a connection refused or reset, never an answer), then back to
forwarding, which is the server coming back.  The UI's code path is the same
as with a stopped server: the TAP client's transient-fault retries, then a
ServiceError turned into a notification.

Every wait polls ``tmux capture-pane`` with a bounded timeout; nothing asserts
on wall-clock time.
"""

from __future__ import annotations

import os
import re
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
from xrbvo.core.schema import CLASSES
from xrbvo.tui.explore import PREFETCH
from xrbvo.tui.render import format_value

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::astropy.units.UnitsWarning"),
              pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore::xrbvo.core.errors.XrbvoWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]


def _tmux(sock, *args, check=True):
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True, check=check, timeout=30)


def _screen(sock) -> str:
    return _tmux(sock, "capture-pane", "-p", "-t", "tui", check=False).stdout


def _wait_for(sock, predicate, what, timeout_s=60.0):
    """Poll the pane until ``predicate(screen)``; fail after ``timeout_s`` with the last screen."""
    deadline = time.monotonic() + timeout_s
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(sock)
        if predicate(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"the screen never showed {what} within {timeout_s:g} s; last screen:\n{screen}")


def _keys(sock, *keys, literal=False):
    _tmux(sock, "send-keys", "-t", "tui", *(["-l"] if literal else []), *keys)


def _head(screen: str) -> str:
    """The first line of the detail pane (the id of the source or position shown)."""
    lines = screen.splitlines()
    return lines[1].split("│")[-1] if len(lines) > 1 else ""


def _pane_rows(screen: str) -> list[list[str]]:
    return [ln.split("│")[-1].split() for ln in screen.splitlines() if "│" in ln]


def _goto(sock, text: str) -> None:
    """``g``, the text typed into the prompt once it is open, Enter."""
    _keys(sock, "g")
    _wait_for(sock, lambda s: "Go to:" in s, "the go-to prompt", 15)
    _keys(sock, text, literal=True)
    _wait_for(sock, lambda s: text in s, f"{text!r} typed", 15)
    _keys(sock, "Enter")
    _wait_for(sock, lambda s: "Go to:" not in s, "the prompt closed", 15)


def test_explore_in_tmux_equals_run_caches_and_recovers(dachs, demo_run, tmp_path):
    require(shutil.which("tmux") is not None, "tmux", "install it with `apt-get install tmux` (scripts/ci/tui.sh)")
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    path = demo_list(dachs.url, tmp_path / "list.fits", tmp_path / "c0")
    ref = reference(dachs.url, path, demo_run / "model", tmp_path / "c0")
    ids = np.asarray(ref["xid"]).astype(str)
    order = np.argsort(-np.asarray(ref["flux_soft"], float), kind="stable")  # explore sorts by flux_soft
    first, second = ids[order[0]], ids[order[1]]
    row = ref[order[0]]
    sock = f"xrbvo-explore-{os.getpid()}"
    with FaultProxy(dachs.url) as proxy:
        env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm-256color")
        cmd = (f"{sys.executable} -m xrbvo explore {path} --model {demo_run / 'model'} --tap-url {proxy.url} "
               f"--cache {tmp_path / 'cache'} --no-samp --timeout 20")
        subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-s", "tui", "-x", "180",
                        "-y", "60", cmd], check=True, env=env, timeout=30)
        try:
            # the brightest source is selected at start and scored: the pane equals run's catalogue row
            screen = _wait_for(sock, lambda s: first in _head(s) and "P_field" in s, f"{first} scored", 120)
            rows = [r[:4] for r in _pane_rows(screen)]
            for c in CLASSES:  # P, P_field and P_ctpt of every class as run computed them
                want = [c, format_value(row[f"P_{c}"]), format_value(row[f"P_{c}_field"]),
                        format_value(row[f"P_{c}_CTPT"])]
                assert want in rows, (want, screen)
            assert f"p_any {format_value(row['p_any'])}" in screen
            best = str(row["nid_gaia"]).strip()
            if best not in ("", "-1"):
                assert f"gaia={best}" in screen  # the best counterpart
            # the next sources are prefetched; then selecting the first again sends no request
            _wait_for(sock, lambda s: f"scored {1 + PREFETCH}/" in s, "the prefetch done", 60)
            n = proxy.requests
            assert n > 0
            _keys(sock, "Down")
            _wait_for(sock, lambda s: second in _head(s) and "P_field" in s, f"{second} (prefetched)", 15)
            _keys(sock, "Up")
            _wait_for(sock, lambda s: first in _head(s) and f"p_any {format_value(row['p_any'])}" in s,
                      f"{first} again", 15)
            assert proxy.requests == n
            # a sexagesimal position 20" north of it: its neighbourhood and the list's nearest sources
            c = SkyCoord(float(row["ra"]) * u.deg, float(row["dec"]) * u.deg + 20 * u.arcsec)
            _goto(sock, c.to_string("hmsdms", sep=":", precision=1))
            screen = _wait_for(sock, lambda s: "nearest X-ray sources" in s, "the position's neighbourhood", 60)
            assert "typed position" in screen and first in screen.split("nearest X-ray sources")[1]
            assert re.search(r"neighbours [1-9]", screen), screen
            assert proxy.requests > n
            # the server goes away (the proxy resets every connection): a notification, the UI stays
            proxy.preset = 1.0
            _goto(sock, "gal 301.5 0.7")
            _wait_for(sock, lambda s: "unreachable" in s or "failing" in s, "the server-down notification", 60)
            # cached results stay: Esc goes back to the first source, shown without any request
            n = proxy.requests
            _keys(sock, "Escape")
            _wait_for(sock, lambda s: first in _head(s) and f"p_any {format_value(row['p_any'])}" in s,
                      f"{first} from the cache", 15)
            assert proxy.requests == n
            # the server is back: the same position now works
            proxy.preset = 0.0
            _goto(sock, "gal 301.5 0.7")
            _wait_for(sock, lambda s: "typed position l=301.5 b=0.7" in s, "the position after recovery", 60)
            assert proxy.requests > n
            _keys(sock, "q")
            _wait_for_exit(sock)
        finally:
            _tmux(sock, "kill-server", check=False)


def _wait_for_exit(sock, timeout_s=15.0):
    """The app quit: its tmux session (and server) ended."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _tmux(sock, "has-session", "-t", "tui", check=False).returncode != 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"explore did not quit on q; last screen:\n{_screen(sock)}")
