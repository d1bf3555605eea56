"""TAP faults that must not lose rows or hang: cache write failures, damaged entries, the pull's deadline,
host names that do not resolve, and option values checked before any request.

The faults are real: a cache directory that is a file, a process file-size limit (EFBIG, the way a
full disk fails with ENOSPC), damaged files, a host under ``.invalid`` (RFC 6761), and a tiny local
HTTP server that answers a TAP sync request one byte every 0.5 s.
"""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from _dachs import FaultProxy, dachs, skies  # noqa: F401  (dachs is a fixture)

from xrbvo.cli.entry import main
from xrbvo.core.errors import ServiceError, XrbvoWarning
from xrbvo.io import standardise_xray
from xrbvo.sim import SkyConfig, simulate_sky
from xrbvo.stages.neighbourhoods.tap import TapProvider
from xrbvo.vo.tap.cache import CacheWriteError, ChunkCache
from xrbvo.vo.tap.client import TapClient, _is_transient

NOWHERE = "http://xrbvo-test-host.invalid/tap"  # .invalid never resolves (RFC 6761)


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error:")
    return err


# --------------------------------------------------------------------------------------
# the package split


def test_the_package_reexports_every_name_and_has_no_cycle():
    import grimp

    import xrbvo.vo.tap as tap

    names = ["SERVICES", "PullCancelled", "TapStats", "ChunkCache", "TapClient", "JoinSpec", "resolve_service",
             "default_cache_dir", "quote_identifier", "quote_table", "upload_join_adql", "cone_adql", "query", "cone"]
    assert sorted(tap.__all__) == sorted(names)
    assert all(getattr(tap, n).__module__.startswith("xrbvo.vo.tap.") for n in names if n != "SERVICES")
    g = grimp.build_graph("xrbvo")
    mods = sorted(m for m in g.modules if m.startswith("xrbvo.vo.tap"))
    assert mods == ["xrbvo.vo.tap", "xrbvo.vo.tap.adql", "xrbvo.vo.tap.cache", "xrbvo.vo.tap.client"]
    for m in mods[1:]:  # no module of the package imports the package itself or a sibling that imports it back
        assert not g.find_shortest_chain(importer=m, imported="xrbvo.vo.tap")
        for other in mods[1:]:
            if other != m:
                assert not (g.find_shortest_chain(m, other) and g.find_shortest_chain(other, m))
    outside = {i for m in mods for i in g.find_modules_directly_imported_by(m)
               if i.startswith("xrbvo.") and not i.startswith("xrbvo.vo")}
    assert all(i.startswith(("xrbvo.core", "xrbvo.io")) for i in outside), outside


# --------------------------------------------------------------------------------------
# the cache


def test_a_cache_that_cannot_be_written_raises_cache_write_error_and_leaves_nothing(tmp_path):
    (tmp_path / "file").write_text("x")
    c = ChunkCache(tmp_path / "file")  # a file where the cache directory should be
    with pytest.raises(CacheWriteError, match="cannot write the TAP cache in .*file: "):
        c.put(ChunkCache.key("u", "q"), b"<VOTABLE/>")
    assert (tmp_path / "file").read_text() == "x"


def test_a_full_disk_fails_the_write_and_leaves_no_half_entry(tmp_path):
    """Under RLIMIT_FSIZE a write beyond the limit fails with EFBIG, as a full disk fails with ENOSPC."""
    script = textwrap.dedent(f"""
        import os, resource
        from xrbvo.vo.tap.cache import CacheWriteError, ChunkCache
        c = ChunkCache({str(tmp_path)!r})
        small, big = ChunkCache.key("u", "small"), ChunkCache.key("u", "big")
        c.put(small, b"<VOTABLE/>")
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
        try:
            c.put(big, os.urandom(200000))
        except CacheWriteError as exc:
            print(exc)
        assert c.get(big) is None and c.get(small) == b"<VOTABLE/>"
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ))
    assert r.returncode == 0, r.stderr
    assert "cannot write the TAP cache" in r.stdout and "the disk is full or a file-size limit" in r.stdout
    files = [f for _, _, fs in os.walk(tmp_path) for f in fs]
    assert len(files) == 1 and files[0].endswith(".vot.gz")  # the small entry only: no .tmp-*, no half entry


@pytest.mark.parametrize("damage", ["truncated", "not_gzip", "empty", "bad_crc"])
def test_a_damaged_entry_is_ignored_with_a_warning(tmp_path, damage):
    c = ChunkCache(tmp_path)
    key = ChunkCache.key("u", "q")
    c.put(key, b"<VOTABLE>" + b"x" * 5000 + b"</VOTABLE>")
    path = next(tmp_path.rglob("*.vot.gz"))
    raw = path.read_bytes()
    path.write_bytes({"truncated": raw[: len(raw) // 2], "not_gzip": b"<VOTABLE", "empty": b"",
                      "bad_crc": raw[:-8] + bytes(8)}[damage])
    with pytest.warns(XrbvoWarning, match="is damaged"):
        assert c.get(key) is None


def test_a_damaged_json_entry_is_ignored_with_a_warning(tmp_path):
    c = ChunkCache(tmp_path)
    key = ChunkCache.key("u", "capabilities")
    c.put_json(key, {"upload": True})
    assert c.get_json(key) == {"upload": True}
    next(tmp_path.rglob("*.json")).write_text('{"upl')
    with pytest.warns(XrbvoWarning, match="is damaged"):
        assert c.get_json(key) is None


# --------------------------------------------------------------------------------------
# host names that do not resolve, and option values


def test_an_unresolvable_host_is_one_service_error_without_retries():
    client = TapClient(NOWHERE, cache=False, retries=5, backoff_s=5.0, mode="sync")
    with pytest.raises(ServiceError, match="xrbvo-test-host.invalid.* does not resolve") as err:
        client.query("SELECT 1")
    assert client.stats.requests == 1 and client.stats.retries == 0
    assert not _is_transient(err.value.__cause__)


def test_an_unresolvable_host_on_the_command_line_is_one_line(capsys):
    assert main(["-q", "query", "adql", "--service", NOWHERE, "--no-cache", "SELECT 1"]) == 2
    assert "does not resolve" in one_error_line(capsys)


@pytest.fixture
def listener():
    """A listening socket that never accepts: any request sent to it stays pending in its backlog."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        s.setblocking(False)
        yield s


def _nothing_connected(s: socket.socket) -> bool:
    try:
        conn, _ = s.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


@pytest.mark.parametrize("option, expected", [
    (["--format", "bogus"], "--format bogus"),
    (["--timeout", "0"], "--timeout"),
    (["--timeout", "nan"], "--timeout"),
    (["--timeout", "soon"], "--timeout"),
    (["--maxrec", "0"], "--maxrec"),
    (["--maxrec", "many"], "--maxrec"),
    (["--retries", "-1"], "--retries"),
    (["--max-in-flight", "0"], "--max-in-flight"),
    (["--mode", "fast"], "--mode"),
    (["-o", "out.unknown"], "unknown output format"),
])
def test_every_option_value_is_checked_before_any_request(listener, tmp_path, monkeypatch, capsys, option,
                                                          expected):
    monkeypatch.chdir(tmp_path)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/tap"
    for argv in (["query", "adql", "--service", url, "SELECT 1"],
                 ["query", "cone", "--service", url, "--table", "t", "10", "20", "5"]):
        try:
            rc = main(["-q", *argv, "--no-cache", *option])
        except SystemExit as exc:  # argparse's own checks (types, choices) end here
            rc = exc.code
        assert rc == 2
        assert expected in one_error_line(capsys)
        assert _nothing_connected(listener)


# --------------------------------------------------------------------------------------
# the deadline of a whole pull


class _Trickle(ThreadingHTTPServer):
    """Answers every request with a VOTable sent one byte every 0.5 s (at most ``max_s`` seconds)."""

    daemon_threads = True

    def __init__(self, max_s: float = 30.0):
        self.max_s = max_s
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                server.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-votable+xml")
                self.end_headers()
                body = b'<?xml version="1.0"?><VOTABLE version="1.4"><RESOURCE type="results">' * 10
                t0 = time.monotonic()
                for b in body:
                    if time.monotonic() - t0 > server.max_s:
                        break
                    try:
                        self.wfile.write(bytes([b]))
                        self.wfile.flush()
                    except OSError:  # the client gave up and closed the connection
                        break
                    time.sleep(0.5)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def trickle():
    server = _Trickle()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}/tap"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=40)


def test_a_trickling_server_cannot_outlast_the_deadline(trickle):
    server, url = trickle
    client = TapClient(url, cache=False, mode="sync", deadline_s=2.0, timeout_s=60.0, retries=5)
    t0 = time.monotonic()
    with pytest.raises(ServiceError, match=rf"TAP service {url}: .*deadline of 2 s.*--timeout SECONDS"):
        client.query("SELECT 1")
    assert time.monotonic() - t0 < 25.0  # generous: without the deadline the answer takes ~70 s
    assert server.requests == 1  # a deadline is not retried


def test_timeout_on_the_command_line(trickle, capsys):
    _, url = trickle
    rc = main(["-q", "query", "adql", "--service", url, "--no-cache", "--mode", "sync", "--timeout", "2", "SELECT 1"])
    assert rc == 2
    line = one_error_line(capsys)
    assert url in line and "deadline of 2 s" in line


# --------------------------------------------------------------------------------------
# against the local DaCHS: rows are never lost to the cache or the deadline

RADIUS = 15.0


@pytest.fixture(scope="module")
def xray():
    sky = simulate_sky(SkyConfig(**skies()["demo"]))
    return standardise_xray(sky.xray[:60])


def _ids(t):
    return sorted(np.asarray(t["nid"]).astype(str))


@pytest.mark.integration
def test_a_cache_that_cannot_be_written_warns_once_and_keeps_every_row(dachs, xray, tmp_path):
    ref = TapProvider(dachs.url, cache=False, first_chunk=8, target_rows=200).neighbourhoods(xray, RADIUS, ["gaia"])
    (tmp_path / "file").write_text("x")
    p = TapProvider(dachs.url, cache=tmp_path / "file" / "cache", first_chunk=8, target_rows=200)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        got = p.neighbourhoods(xray, RADIUS, ["gaia"])
    mine = [w for w in seen if issubclass(w.category, XrbvoWarning)]
    assert len(mine) == 1 and "cannot write the TAP cache" in str(mine[0].message)
    assert "keeps its rows in memory" in str(mine[0].message)
    assert len(got["gaia"]) == len(ref["gaia"]) > 0 and _ids(got["gaia"]) == _ids(ref["gaia"])
    assert p.client("gaia").stats.queries > 1 and p.client("gaia").stats.fetched_keys == []


@pytest.mark.integration
def test_damaged_entries_are_refetched_with_a_warning(dachs, xray, tmp_path):
    opts = dict(cache=tmp_path, first_chunk=8, target_rows=200)
    ref = TapProvider(dachs.url, **opts).neighbourhoods(xray, RADIUS, ["gaia"])
    entries = sorted(tmp_path.rglob("*.vot.gz"))
    assert len(entries) > 1
    raw = entries[0].read_bytes()
    entries[0].write_bytes(raw[: len(raw) // 2])                                  # cut short
    entries[1].write_bytes(gzip.compress(gzip.decompress(entries[1].read_bytes())[:300]))  # half a VOTable
    p = TapProvider(dachs.url, **opts)
    with pytest.warns(XrbvoWarning, match="is damaged") as seen:
        got = p.neighbourhoods(xray, RADIUS, ["gaia"])
    assert len([w for w in seen if "is damaged" in str(w.message)]) == 2
    assert _ids(got["gaia"]) == _ids(ref["gaia"])
    assert len(p.client("gaia").stats.fetched_keys) == 2  # only the damaged entries were fetched again


@pytest.mark.integration
def test_past_the_deadline_finished_chunks_stay_in_the_cache(dachs, xray, tmp_path):
    with FaultProxy(dachs.url, pdelay=1.0, delay_s=0.7) as proxy:
        opts = dict(cache=tmp_path, max_in_flight=1, first_chunk=4, target_rows=20, mode="sync", upload=True)
        p1 = TapProvider(proxy.url, deadline_s=3.0, **opts)
        with pytest.raises(ServiceError, match="deadline of 3 s"):
            p1.neighbourhoods(xray, RADIUS, ["gaia"])
        finished = set(p1.client("gaia").stats.fetched_keys)
        assert finished
        p2 = TapProvider(proxy.url, **opts)
        got = p2.neighbourhoods(xray, RADIUS, ["gaia"])
    ref = TapProvider(dachs.url, cache=False).neighbourhoods(xray, RADIUS, ["gaia"])
    assert finished <= set(p2.client("gaia").stats.cached_keys)
    assert not finished & set(p2.client("gaia").stats.fetched_keys)
    assert _ids(got["gaia"]) == _ids(ref["gaia"])
