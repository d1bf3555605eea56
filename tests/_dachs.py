"""The local DaCHS TAP server for integration tests, and a fault-injecting HTTP proxy.

``dachs`` (session fixture) starts GAVO DaCHS through ``scripts/dachs/start.sh``
on a free port of 127.0.0.1 and, at the end of the session, stops only what it
started, by PID, through ``scripts/dachs/stop.sh``.  A server that this
script started earlier and is still up is reused and left running;
``XRBVO_TAP_URL`` points the tests at another DaCHS loaded by
``scripts/dachs/load.py``.  Without DaCHS the tests skip, or fail when
``CI=true``.

Test modules use it with ``from _dachs import dachs  # noqa: F401``.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

__all__ = ["dachs", "DachsServer", "FaultProxy", "skies", "missing"]

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts" / "dachs"
STATE = Path(os.environ.get("XRBVO_DACHS_STATE", "/var/tmp/xrbvo-dachs"))
INSTALL_HINT = "install it with: sudo bash scripts/dachs/install.sh (Debian 12, gavodachs2-server)"


def missing(what: str) -> None:
    """Skip, or fail under CI=true, when DaCHS is not available."""
    msg = f"{what}; {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " (required under CI=true)")
    pytest.skip(msg)


def skies() -> dict:
    """The simulated fields the local DaCHS serves (``SKIES`` of scripts/dachs/load.py)."""
    spec = importlib.util.spec_from_file_location("_xrbvo_dachs_load", SCRIPTS / "load.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.SKIES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url.rsplit("/tap", 1)[0] + "/tap/availability", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHON"] = sys.executable
    env["XRBVO_DACHS_STATE"] = str(STATE)
    return env


@dataclass
class DachsServer:
    """A running DaCHS: its TAP URL and whether this test session started it."""

    url: str
    owned: bool
    port: int | None = None

    def stop(self) -> None:
        """Stop the server (only one this session started), keeping PostgreSQL up."""
        if not self.owned:
            pytest.skip("the DaCHS server was not started by this test session; not stopping it")
        subprocess.run(["bash", str(SCRIPTS / "stop.sh"), "--keep-postgres"], check=True, env=_env(),
                       capture_output=True, text=True)

    def start(self) -> None:
        """Start it again on the same port."""
        r = subprocess.run(["bash", str(SCRIPTS / "start.sh"), str(self.port)], env=_env(),
                           capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise RuntimeError(f"start.sh failed: {r.stderr[-2000:]}")


_lock = threading.Lock()
_server: DachsServer | None = None
_refs = 0


def _acquire() -> DachsServer:
    global _server, _refs
    with _lock:
        if _server is None:
            _server = _start()
        _refs += 1
        return _server


def _release() -> None:
    global _server, _refs
    with _lock:
        _refs -= 1
        if _refs == 0 and _server is not None:
            if _server.owned:
                subprocess.run(["bash", str(SCRIPTS / "stop.sh")], env=_env(), capture_output=True)
            _server = None


def _start() -> DachsServer:
    url = os.environ.get("XRBVO_TAP_URL")
    if url:
        if not _up(url):
            missing(f"XRBVO_TAP_URL={url} does not answer")
        return DachsServer(url.rstrip("/"), owned=False)
    if shutil.which("dachs") is None:
        missing("GAVO DaCHS is not installed")
    if os.geteuid() != 0:
        missing("starting DaCHS needs root (it runs dachs imp as dachsroot)")
    pid_file, port_file = STATE / "dachs.pid", STATE / "port"
    if pid_file.exists() and port_file.exists():
        try:
            pid = int(pid_file.read_text())
            os.kill(pid, 0)
            port = int(port_file.read_text())
            url = f"http://127.0.0.1:{port}/tap"
            if _up(url):
                # a server started earlier by start.sh: reuse, but make sure its tables are current
                subprocess.run([sys.executable, str(SCRIPTS / "load.py")], env={**_env(), "PYTHONPATH": str(ROOT)},
                               check=True, capture_output=True, timeout=1800)
                return DachsServer(url, owned=False, port=port)
        except (ValueError, ProcessLookupError, PermissionError):
            pass
    port = _free_port()
    r = subprocess.run(["bash", str(SCRIPTS / "start.sh"), str(port)], env=_env(), capture_output=True,
                       text=True, timeout=1800)
    if r.returncode != 0:
        pytest.fail(f"scripts/dachs/start.sh failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
    return DachsServer(r.stdout.strip().splitlines()[-1], owned=True, port=port)


@pytest.fixture(scope="session")
def dachs():
    """The local DaCHS TAP server (see the module docstring)."""
    server = _acquire()
    yield server
    _release()


# --------------------------------------------------------------------------------------
# a fault-injecting proxy (the one thing a real server will not do on demand)


class FaultProxy:
    """An HTTP proxy in front of a server that answers a share of requests with faults.

    Parameters
    ----------
    target : str
        URL of the server (scheme, host and port are used).
    p500, preset, pdelay : float
        Shares of requests answered with HTTP 500, with a TCP reset (no answer),
        or delayed by ``delay_s`` before being forwarded.
    seed : int
        Seed of the fault draws.

    ``requests`` counts every request the proxy received; ``faults`` those it broke.
    Use ``url`` (the target URL with the proxy's host and port).
    """

    def __init__(self, target: str, *, p500: float = 0.0, preset: float = 0.0, pdelay: float = 0.0,
                 delay_s: float = 1.0, seed: int = 0):
        t = urlsplit(target)
        self.target_host, self.target_port = t.hostname, t.port or 80
        self.path = t.path
        self.p500, self.preset, self.pdelay, self.delay_s = p500, preset, pdelay, delay_s
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.faults = {"500": 0, "reset": 0, "delay": 0}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                with proxy.lock:
                    proxy.requests += 1
                    u = proxy.rng.random()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if u < proxy.p500:
                    with proxy.lock:
                        proxy.faults["500"] += 1
                    msg = b"injected fault"
                    self.send_response(500)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(msg)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(msg)
                    self.close_connection = True
                    return
                if u < proxy.p500 + proxy.preset:
                    with proxy.lock:
                        proxy.faults["reset"] += 1
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if u < proxy.p500 + proxy.preset + proxy.pdelay:
                    with proxy.lock:
                        proxy.faults["delay"] += 1
                    time.sleep(proxy.delay_s)
                conn = http.client.HTTPConnection(proxy.target_host, proxy.target_port, timeout=300)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "keep-alive", "accept-encoding")}
                conn.request(self.command, self.path, body=body if body else None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                self.send_response(resp.status)
                own = f"{proxy.target_host}:{proxy.target_port}"
                for k, v in resp.getheaders():
                    if k.lower() in ("transfer-encoding", "connection", "content-length", "content-encoding"):
                        continue
                    if k.lower() == "location":
                        v = v.replace(own, f"127.0.0.1:{proxy.port}")
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _safe(self):
                try:
                    self._handle()
                except (OSError, http.client.HTTPException):
                    # the client gave up (timeout) or the server went away: drop the connection
                    self.close_connection = True

            do_GET = do_POST = do_DELETE = _safe

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # faults are the point: stay quiet
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{self.path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FaultProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
