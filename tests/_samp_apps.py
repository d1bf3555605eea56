"""Test helpers for SAMP: a scriptable peer application, and real TOPCAT and Aladin under Xvfb.

:class:`Peer` is a real SAMP client (pyvo) that the unit tests register with an
in-process hub to play the other side: answer ``samp.ok``, refuse, stay silent,
or vanish without unregistering.

:func:`start_desktop` starts Xvfb, an ``xrbvo samp hub`` process, TOPCAT and
Aladin, each with a private home directory, and :meth:`Desktop.stop` stops
exactly those processes by PID.  :func:`missing_desktop` names what is not
installed (``bash scripts/samp/install.sh`` installs it).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from astropy.table import Table

from xrbvo.vo.samp import (MTYPE_ALADIN_SCRIPT, MTYPE_GET_STIL, MTYPE_HIGHLIGHT_ROW, MTYPE_LOAD_VOTABLE, MTYPE_PING,
                           MTYPE_POINT_AT_SKY, MTYPE_SELECT_ROWS, ClientInfo, SampClient, SampError, find_hub)

__all__ = ["Peer", "ok", "refuse", "silent", "Desktop", "start_desktop", "missing_desktop", "require",
           "TOPCAT_JAR", "ALADIN_JAR", "REPO_ROOT", "hub_command"]

REPO_ROOT = Path(__file__).resolve().parents[1]
TOPCAT_JAR = Path("/usr/share/java/starlink-topcat.jar")
ALADIN_JAR = Path("/usr/share/java/aladin.jar")
#: What the desktop tests send each application (samp.name, lower case).  Both register with the hub before
#: they declare their subscriptions (0.05-0.25 s later on a loaded machine): start_desktop waits for these.
NEEDED_MTYPES = {
    "topcat": (MTYPE_PING, MTYPE_LOAD_VOTABLE, MTYPE_GET_STIL, MTYPE_HIGHLIGHT_ROW, MTYPE_SELECT_ROWS,
               MTYPE_POINT_AT_SKY),
    "aladin": (MTYPE_PING, MTYPE_LOAD_VOTABLE, MTYPE_POINT_AT_SKY, MTYPE_HIGHLIGHT_ROW, MTYPE_SELECT_ROWS,
               MTYPE_ALADIN_SCRIPT),
}


def require(what: str) -> None:
    """Fail under CI (``CI=true``), skip elsewhere, saying what to install."""
    msg = f"{what}; install with: bash scripts/samp/install.sh"
    if os.environ.get("CI") == "true":
        pytest.fail(msg)
    pytest.skip(msg)


# --------------------------------------------------------------------------------------
# a scriptable peer


def ok(mtype: str, params: dict) -> dict:
    """Behaviour: answer samp.ok."""
    return {"samp.status": "samp.ok", "samp.result": {}}


def refuse(text: str) -> Callable[[str, dict], dict]:
    """Behaviour: answer samp.error with ``text``."""
    def behaviour(mtype: str, params: dict) -> dict:
        return {"samp.status": "samp.error", "samp.result": {}, "samp.error": {"samp.errortxt": text}}
    return behaviour


def silent(mtype: str, params: dict) -> None:
    """Behaviour: never answer."""
    return None


class Peer:
    """Another SAMP application, played by the tests (a real pyvo client).

    Parameters
    ----------
    lockfile : path
        The hub's lockfile.
    name : str
        ``samp.name`` to register under.
    mtypes : sequence of str
        MTypes it subscribes to (calls and notifications).
    behaviour : callable
        ``(mtype, params) -> response dict or None`` (None: never answer).
    subscribe_after_s : float or None
        Declare the subscriptions this long after registering (None: never),
        as TOPCAT and Aladin do for a moment; 0: at once.
    """

    def __init__(self, lockfile, name: str, *, mtypes=("table.load.votable", "coord.pointAt.sky",
                                                        "table.highlight.row", "table.select.rowList"),
                 behaviour: Callable[[str, dict], dict | None] = ok, subscribe_after_s: float | None = 0.0):
        from pyvo.samp import SAMPIntegratedClient, conf

        self.name = name
        self.behaviour = behaviour
        self.received: list[tuple[str, dict]] = []
        self.event = threading.Event()
        self.conn = SAMPIntegratedClient(name=name, description=f"test peer {name}", addr="127.0.0.1")
        with conf.set_temp("use_internet", False):
            self.conn.connect(hub_params=find_hub(lockfile=lockfile).params, pool_size=2)
        for mtype in mtypes:
            self.conn.bind_receive_call(mtype, self._on_call)
            self.conn.bind_receive_notification(mtype, self._on_notification)
        self.id = self.conn.get_public_id()
        self._timer = None
        if subscribe_after_s != 0:  # registered and named, subscribed to nothing (yet)
            self.conn.hub.declare_subscriptions(self.conn.get_private_key(), {})
            if subscribe_after_s is not None:
                self._timer = threading.Timer(subscribe_after_s, self.conn.client._declare_subscriptions)
                self._timer.daemon = True
                self._timer.start()

    def _on_call(self, private_key, sender_id, msg_id, mtype, params, extra):
        self.received.append((mtype, dict(params)))
        self.event.set()
        resp = self.behaviour(mtype, params)
        if resp is not None:
            self.conn.reply(msg_id, resp)

    def _on_notification(self, private_key, sender_id, mtype, params, extra):
        self.received.append((mtype, dict(params)))
        self.event.set()

    def call(self, recipient: str, mtype: str, params: dict, timeout_s: int = 5) -> dict:
        """Send a call and wait for the answer."""
        return self.conn.call_and_wait(recipient, {"samp.mtype": mtype, "samp.params": params}, str(timeout_s))

    def notify(self, recipient: str, mtype: str, params: dict) -> None:
        """Send a notification."""
        self.conn.notify(recipient, {"samp.mtype": mtype, "samp.params": params})

    def registered(self) -> list[str]:
        """Ids the hub lists (the peer itself excluded)."""
        return list(self.conn.get_registered_clients())

    def vanish(self) -> None:
        """Stop answering without unregistering, as a crashed application would."""
        self.conn.client.stop()
        self.conn.hub.disconnect()

    def close(self) -> None:
        """Unregister (harmless after :meth:`vanish`)."""
        if self._timer is not None:
            self._timer.cancel()
        if self.conn.client is not None and self.conn.client.is_running:
            try:
                self.conn.disconnect()
            except OSError:  # the hub is gone already
                self.conn.hub.disconnect()


# --------------------------------------------------------------------------------------
# real desktop applications


def missing_desktop() -> list[str]:
    """What the desktop tests need and this machine lacks."""
    missing = []
    if shutil.which("Xvfb") is None:
        missing.append("Xvfb (Debian package xvfb)")
    if shutil.which("java") is None:
        missing.append("java (Debian package default-jre)")
    if not TOPCAT_JAR.is_file():
        missing.append(f"TOPCAT ({TOPCAT_JAR}, Debian package topcat)")
    if not ALADIN_JAR.is_file():
        missing.append(f"Aladin ({ALADIN_JAR}, Debian package aladin)")
    return missing


def hub_command() -> list[str]:
    """``xrbvo samp hub`` run by the interpreter that runs the tests.

    Only the samp command is registered, so the hub does not depend on the
    other sub-commands importing.
    """
    # xrbvo.cli re-exports the function main, which hides the module of that name from
    # ``import xrbvo.cli.entry as m``; COMMANDS is read from the module.
    code = ("import sys, importlib; cli = importlib.import_module('xrbvo.cli.entry'); cli.COMMANDS = ('samp',); "
            "sys.exit(cli.main(['-q', 'samp', 'hub'] + sys.argv[1:]))")
    return [sys.executable, "-c", code]


@dataclass
class Desktop:
    """Xvfb, a hub, TOPCAT and Aladin started by the tests."""

    home: Path
    """Private home directory (``user.home`` of both applications)."""
    lockfile: Path
    """``home/.samp``: the hub's lockfile, where Aladin looks."""
    display: str = ""
    """X display of the Xvfb server (``:N``)."""
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    """Processes started, by role, in start order."""
    startup_s: float = 0.0
    """Seconds until both applications answered."""

    def log(self, role: str) -> str:
        """The last lines a process wrote (for failure messages)."""
        p = self.home / f"{role}.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""

    def stop(self) -> None:
        """Stop every process this object started, newest first, by PID."""
        for role, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        self.procs.clear()


def _spawn(desk: Desktop, role: str, cmd: list[str], env: dict, **kw) -> subprocess.Popen:
    logf = open(desk.home / f"{role}.log", "wb")
    try:
        proc = subprocess.Popen(cmd, env=env, cwd=desk.home, stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT, **kw)
    finally:
        logf.close()
    desk.procs[role] = proc
    return proc


def _start_xvfb(desk: Desktop, env: dict) -> None:
    r, w = os.pipe()
    try:
        proc = _spawn(desk, "xvfb", ["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x1024x24",
                                     "-nolisten", "tcp"], env, pass_fds=(w,))
        os.close(w)
        w = -1
        buf = b""
        deadline = time.monotonic() + 30
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                raise RuntimeError(f"Xvfb did not start: {desk.log('xvfb')}")
            ready, _, _ = select.select([r], [], [], left)
            if ready:
                chunk = os.read(r, 64)
                if not chunk:
                    raise RuntimeError(f"Xvfb closed its display pipe: {desk.log('xvfb')}")
                buf += chunk
        desk.display = ":" + buf.decode().strip()
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


def _wait(what: str, cond: Callable[[], bool], timeout_s: float, desk: Desktop, roles: tuple[str, ...],
          why: Callable[[], str] | None = None) -> None:
    """Poll ``cond`` until true; fail if a process of ``roles`` exits or ``timeout_s`` passes.

    ``why()``, if given, makes the time-out one line (with the log files named) instead of the logs.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return
        for role in roles:
            proc = desk.procs.get(role)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{role} exited with {proc.returncode} while waiting for {what}:\n{desk.log(role)}")
        time.sleep(0.5)
    if why is not None:
        where = ", ".join(str(desk.home / f"{r}.log") for r in roles)
        raise RuntimeError(f"timed out after {timeout_s:.0f} s waiting for {what}: {why()} (logs: {where})")
    logs = "\n".join(f"--- {r}:\n{desk.log(r)}" for r in roles)
    raise RuntimeError(f"timed out after {timeout_s:.0f} s waiting for {what}\n{logs}")


def start_desktop(home: Path, *, timeout_s: float = 120.0, probe_ra_deg=(10.0, 10.01),
                  probe_dec_deg=(10.0, 10.01)) -> Desktop:
    """Start Xvfb, ``xrbvo samp hub``, TOPCAT and Aladin; wait until both applications answer.

    Everything lives in ``home``: the lockfile, the applications' settings and
    each process's log.  On any failure the processes started so far are
    stopped and the error carries their logs.

    Aladin is ready once it loads a small probe table (plane ``xrbvo_probe``,
    left in place): that first plane fixes Aladin's view, and Aladin points
    only within it, so put the probe where the tests will look.
    """
    home.mkdir(parents=True, exist_ok=True)
    desk = Desktop(home=home, lockfile=home / ".samp")
    t0 = time.monotonic()
    base = {k: v for k, v in os.environ.items() if k not in ("SAMP_HUB", "DISPLAY")}
    env = base | {"HOME": str(home), "SAMP_HUB": f"std-lockurl:{desk.lockfile.as_uri()}"}
    try:
        _start_xvfb(desk, base)
        env["DISPLAY"] = desk.display
        hub_env = env | {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
        _spawn(desk, "hub", hub_command(), hub_env)

        def hub_up() -> bool:
            try:
                find_hub(lockfile=desk.lockfile)
                return True
            except Exception:
                return False

        _wait("the SAMP hub", hub_up, 30, desk, ("hub",))
        home_prop = f"-Duser.home={home}"
        _spawn(desk, "topcat", ["java", home_prop, "-Xmx512m", "-classpath",
                                str(TOPCAT_JAR), "uk.ac.starlink.topcat.Driver", "-samp", "-nohub"], env)
        _spawn(desk, "aladin", ["java", home_prop, "-Xmx1024m", "-jar", str(ALADIN_JAR), "-nohub", "-local",
                                "-noreleasetest", "-nolog", "-noplugin"], env)
        with SampClient(name="xrbvo-tests-watcher", lockfile=desk.lockfile, timeout_s=5) as watcher:
            seen: dict[str, list[ClientInfo]] = {}

            def ready(app: str) -> ClientInfo | None:
                """A registration of ``app`` subscribed to everything the tests send it."""
                return next((c for c in seen.get(app, ()) if all(c.accepts(m) for m in NEEDED_MTYPES[app])), None)

            def both_up() -> bool:
                seen.clear()
                for c in watcher.clients():
                    seen.setdefault(c.name.lower(), []).append(c)
                found = [ready(app) for app in NEEDED_MTYPES]
                return all(found) and all(watcher.ping(c) for c in found)

            def why() -> str:
                parts = []
                for app, needed in NEEDED_MTYPES.items():
                    regs = seen.get(app, [])
                    if not regs:
                        parts.append(f"{app} is not registered")
                    elif ready(app) is None:
                        parts.append(f"{regs[0].label} is registered but not subscribed to "
                                     + ", ".join(m for m in needed if not regs[0].accepts(m)))
                    elif not watcher.ping(ready(app)):
                        parts.append(f"{ready(app).label} does not answer samp.app.ping")
                return "; ".join(parts) or "both answered only at the last moment"

            _wait("TOPCAT and Aladin to register and subscribe", both_up, timeout_s, desk,
                  ("topcat", "aladin", "hub"), why)
            # Aladin answers pings before its windows exist; a table load then fails (no answer).
            # Wait until a probe table loads (two rows at least: Aladin refuses one-row tables).
            probe = Table({"ra": list(probe_ra_deg), "dec": list(probe_dec_deg)})

            def aladin_ready() -> bool:
                try:
                    watcher.send_table(probe, name="xrbvo_probe", to="aladin", timeout_s=3)
                    return True
                except SampError:
                    return False

            _wait("Aladin to accept tables", aladin_ready, timeout_s, desk, ("aladin", "hub"))
    except BaseException:
        desk.stop()
        raise
    desk.startup_s = time.monotonic() - t0
    return desk
