"""``xrbvo samp status|send|point|hub`` against an in-process hub and a test peer."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from xrbvo import cli
from xrbvo.cli.commands.samp import parse_position
from xrbvo.core.errors import InputError
from xrbvo.vo.samp import NoHubError, SampClient, find_hub

try:
    from . import _samp_apps as apps
except ImportError:
    import _samp_apps as apps

pytestmark = pytest.mark.filterwarnings("ignore::pyvo.samp.errors.SAMPWarning")


@pytest.fixture(autouse=True)
def only_samp(monkeypatch):
    """Parse with the samp command alone, so these tests do not depend on the others importing.

    ``build_parser`` reads COMMANDS from the module ``xrbvo.cli.entry`` (the package
    ``xrbvo.cli`` only re-exports it, and its attribute ``main`` is the function).
    """
    import importlib

    monkeypatch.setattr(importlib.import_module("xrbvo.cli.entry"), "COMMANDS", ("samp",))


@pytest.fixture
def viewer(hub):
    p = apps.Peer(hub.lockfile, "viewer")
    yield p
    p.close()


def run(capsys, *argv):
    rc = cli.main(["samp", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_no_hub_exits_2_with_one_line(home, capsys):
    for argv in (["status"], ["point", "10", "20"]):
        rc, out, err = run(capsys, *argv)
        assert rc == 2 and out == ""
        assert err.strip().startswith("error: no SAMP hub is running") and len(err.strip().splitlines()) == 1


def test_status_lists_the_clients(viewer, capsys):
    rc, out, err = run(capsys, "status")
    assert rc == 0
    assert find_hub().url in out and "viewer" in out and viewer.id in out


def test_send_file_to_one_application(viewer, home, capsys):
    t = Table({"name": ["a", "b", "c"], "ra": [1.0, 2.0, 3.0], "dec": [-1.0, 0.0, 1.0]})
    path = home / "cands.ecsv"
    t.write(path)
    rc, out, err = run(capsys, "send", str(path), "--to", "viewer")
    assert rc == 0, err
    assert "sent cands (3 rows" in out and "viewer" in out
    ((mtype, params),) = viewer.received
    assert mtype == "table.load.votable" and params["name"] == "cands"
    # the temporary VOTable is gone once the command is done
    assert not Path(params["url"][len("file://"):]).exists()


def test_send_errors_exit_2(viewer, home, capsys):
    rc, out, err = run(capsys, "send", str(home / "missing.fits"))
    assert rc == 2 and "no such file" in err
    path = home / "t.csv"
    Table({"ra": [1.0], "dec": [2.0]}).write(path)
    rc, out, err = run(capsys, "send", str(path), "--to", "ds9")
    assert rc == 2 and "'ds9'" in err and "viewer" in err and len(err.strip().splitlines()) == 1


def test_remote_hub_needs_the_flag(home, capsys):
    url = "http://192.0.2.7:43811/xmlrpc"  # TEST-NET-1: never routed
    lock = home / "remote-lock"
    lock.write_text(f"samp.secret=x\nsamp.hub.xmlrpc.url={url}\n")
    lock.chmod(0o600)
    rc, out, err = run(capsys, "status", "--lockfile", str(lock))
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert url in err and "--allow-remote-hub" in err
    rc, out, err = run(capsys, "point", "10", "20", "--lockfile", str(lock), "--allow-remote-hub")
    assert rc == 2 and "does not answer" in err  # allowed, so contacted


def test_lockfile_others_can_write_is_a_warning_line(viewer, hub, home, capsys):
    lock = home / "shared-lock"
    lock.write_text(hub.lockfile.read_text())
    lock.chmod(0o666)
    rc, out, err = run(capsys, "status", "--lockfile", str(lock))
    assert rc == 0 and viewer.id in out
    (line,) = [ln for ln in err.splitlines() if ln.strip()]
    assert "warning" in line and str(lock) in line and f"chmod 600 {lock}" in line


def test_refusal_exits_2(hub, home, capsys):
    grumpy = apps.Peer(hub.lockfile, "grumpy", behaviour=apps.refuse("cannot load that"))
    try:
        rc, out, err = run(capsys, "point", "10", "20")
    finally:
        grumpy.close()
    assert rc == 2 and "grumpy" in err and "cannot load that" in err


def test_point_degrees_and_sexagesimal(viewer, capsys):
    rc, out, err = run(capsys, "point", "263.35", "-24.72")
    assert rc == 0 and viewer.received[-1] == ("coord.pointAt.sky", {"ra": "263.35", "dec": "-24.72"})
    rc, out, err = run(capsys, "point", "--", "17:33:24", "-24:43:12")
    assert rc == 0
    params = viewer.received[-1][1]
    assert float(params["ra"]) == pytest.approx(263.35) and float(params["dec"]) == pytest.approx(-24.72)


def test_parse_position_rejects_nonsense():
    assert parse_position("10", "-5") == (10.0, -5.0)
    with pytest.raises(InputError, match="cannot read the position"):
        parse_position("ten", "five")
    with pytest.raises(InputError, match="Dec"):
        parse_position("10", "91")


def test_hub_command_runs_until_terminated(home, tmp_path):
    lock = tmp_path / "hub" / "lock"
    env = {k: v for k, v in os.environ.items() if k != "SAMP_HUB"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(apps.REPO_ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(apps.hub_command() + ["--lockfile", str(lock)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                info = find_hub(lockfile=lock)
                break
            except NoHubError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()
                time.sleep(0.2)
        with SampClient(lockfile=lock) as c:
            assert c.hub.url == info.url
        # a second hub on the same lockfile is refused, the first keeps running
        second = subprocess.run(apps.hub_command() + ["--lockfile", str(lock)], env=env, capture_output=True,
                                timeout=60)
        assert second.returncode == 2 and b"already runs" in second.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out = proc.stdout.read().decode()
        proc.stdout.close()
    assert "SAMP hub running at" in out
    assert not lock.exists()  # stopped cleanly: lockfile removed


def test_samp_registered_in_the_real_command_list():
    # the autouse fixture narrows COMMANDS; the module itself must list samp
    import importlib

    assert "samp" in importlib.reload(importlib.import_module("xrbvo.cli.entry")).COMMANDS


def test_numpy_positions_accepted(viewer, hub):
    with SampClient(lockfile=hub.lockfile) as c:
        assert c.point_at(np.float32(12.5), np.float64(-3.25))[0].ok
