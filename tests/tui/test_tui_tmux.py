"""Acceptance: `xrbvo tui` in a real terminal (tmux), driven by keys and read with capture-pane.

Needs Debian's tmux (scripts/ci/tui.sh installs it); without it the test skips,
and fails under CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from conftest import require
from _synthetic import write_synthetic
from xrbvo.tui.data import load_catalogue

ROOT = Path(__file__).resolve().parents[2]


def _tmux(sock, *args, check=True):
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True, check=check, timeout=30)


def _wait_for(sock, predicate, timeout_s=45.0):
    deadline = time.monotonic() + timeout_s
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux(sock, "capture-pane", "-p", "-t", "tui", check=False).stdout
        if predicate(screen):
            return screen
        time.sleep(0.3)
    raise AssertionError(f"screen never showed what was expected; last screen:\n{screen}")


def test_tui_in_tmux_shows_table_detail_and_filtered_count(tmp_path):
    require(shutil.which("tmux") is not None, "tmux", "install it with `apt-get install tmux` (scripts/ci/tui.sh)")
    path = write_synthetic(tmp_path, 500, seed=17, name="xrbvo_demo_catalogue")
    data = load_catalogue(path)
    expected = int(np.sum((data.column("P_HMXB") > 0.3) & (np.abs(data.column("b")) < 1)))
    assert 0 < expected < 500
    sock = f"xrbvo-test-{os.getpid()}"
    env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm-256color")
    cmd = f"{sys.executable} -m xrbvo tui {path} --no-samp"
    subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-s", "tui", "-x", "160", "-y", "45",
                    cmd], check=True, env=env, timeout=30)
    try:
        top = str(data.xid[int(np.argmax(data.column("P_HMXB")))])
        screen = _wait_for(sock, lambda s: "500/500 shown" in s.replace(",", "") and s.count(top) >= 2)
        assert "xid" in screen and "P_HMXB" in screen  # the table
        assert top in screen  # sorted by P_HMXB: the most probable first
        # the detail pane: the selected (top) source's id again, and its sections
        assert screen.count(top) >= 2
        assert "class probabilities" in screen and "candidate counterparts" in screen
        time.sleep(1.0)  # the first frame can appear before the app reads keys
        _tmux(sock, "send-keys", "-t", "tui", "/")
        time.sleep(0.5)
        _tmux(sock, "send-keys", "-t", "tui", "-l", "P_HMXB > 0.3 and abs(b) < 1")
        _wait_for(sock, lambda s: "P_HMXB > 0.3 and abs(b) < 1" in s.splitlines()[1], timeout_s=15)
        _tmux(sock, "send-keys", "-t", "tui", "Enter")
        screen = _wait_for(sock, lambda s: f"{expected}/500 shown" in s.replace(",", ""))
        assert "filter: P_HMXB > 0.3 and abs(b) < 1" in screen
        _tmux(sock, "send-keys", "-t", "tui", "q")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _tmux(sock, "has-session", "-t", "tui", check=False).returncode == 0:
            time.sleep(0.2)
        assert _tmux(sock, "has-session", "-t", "tui", check=False).returncode != 0, "q did not quit"
    finally:
        _tmux(sock, "kill-server", check=False)
