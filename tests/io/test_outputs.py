"""Outputs are never lost: a write that fails goes to a rescue directory, and the error says where.

The faults are real ones of the file system (a directory where a file should go,
a file where a directory should go, a process file-size limit that makes writes
fail with EFBIG the way a full disk fails with ENOSPC), not mocks.
"""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.io import check_writable, rescue_outputs, save_files, write_table


@pytest.fixture
def tmpdir_env(tmp_path, monkeypatch):
    """Rescue directories go under this test's own temporary directory."""
    import tempfile

    rescue_home = tmp_path / "tmp"
    rescue_home.mkdir()
    monkeypatch.setenv("TMPDIR", str(rescue_home))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    yield rescue_home
    tempfile.tempdir = None


def _table(n=5):
    return Table({"ra": np.arange(n, dtype=float), "dec": np.zeros(n)})


def test_without_rescue_a_failed_write_is_one_clear_error(tmp_path):
    (tmp_path / "cat.fits").mkdir()  # a directory where the file should go
    with pytest.raises(InputError, match=r"cat\.fits: cannot write \(.*\); free disk space or choose another path"):
        write_table(_table(), tmp_path / "cat.fits")


def test_rescue_keeps_every_output_and_names_the_place(tmp_path, tmpdir_env):
    out = tmp_path / "out"
    out.mkdir()
    (out / "cat.fits").mkdir()          # this one cannot be written where asked
    (out / "model").write_text("x")     # nor can this directory
    with pytest.raises(InputError) as err:
        with rescue_outputs():
            p_fits = write_table(_table(5), out / "cat.fits")
            p_csv = write_table(_table(3), out / "cat.csv")  # this one can
            m1 = save_files(out / "model", {"a.json": "1"})  # as a model and its counterpart model do
            m2 = save_files(out / "model", {"b.json": b"2"})
    rescue = p_fits.parent
    assert rescue.parent == tmpdir_env and rescue.name.startswith("xrbvo-rescue-")
    assert p_csv == out / "cat.csv" and len(Table.read(p_csv)) == 3
    assert len(Table.read(p_fits)) == 5
    # both parts of one model directory land together
    assert m1 == m2 == rescue / "model"
    assert (m1 / "a.json").read_text() == "1" and (m1 / "b.json").read_text() == "2"
    text = str(err.value)
    assert str(out / "cat.fits") in text and "and 2 more output(s)" in text
    assert f"2 result file(s) were saved to {rescue} instead" in text
    assert "\n" not in text


def test_an_error_after_a_rescue_still_says_where_the_results_are(tmp_path, tmpdir_env):
    (tmp_path / "cat.fits").mkdir()
    with pytest.raises(InputError) as err:
        with rescue_outputs():
            saved = write_table(_table(), tmp_path / "cat.fits")
            raise InputError("the next step failed")
    assert "the next step failed" in str(err.value) and str(saved.parent) in str(err.value)
    assert saved.exists()


def test_a_file_size_limit_fails_like_a_full_disk_and_leaves_no_truncated_file(tmp_path):
    """Under RLIMIT_FSIZE every write beyond the limit fails with EFBIG, the rescue too."""
    script = textwrap.dedent(f"""
        import resource, sys
        import numpy as np
        from astropy.table import Table
        from xrbvo.core.errors import InputError
        from xrbvo.io import rescue_outputs, write_table
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
        t = Table({{"x": np.arange(100000, dtype=float)}})
        try:
            with rescue_outputs():
                write_table(t, {str(tmp_path / "big.fits")!r})
        except InputError as exc:
            print(exc)
            sys.exit(2)
    """)
    env = dict(os.environ, TMPDIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2, r.stderr
    assert "the disk is full or a file-size limit was reached" in r.stdout or "File too large" in r.stdout
    assert "could not be saved anywhere" in r.stdout
    assert not (tmp_path / "big.fits").exists()
    assert not list(tmp_path.glob(".xrbvo-tmp-*"))
    leftovers = [p for d in tmp_path.glob("xrbvo-rescue-*") for p in d.iterdir()]  # hidden temporaries too
    assert leftovers == []


def test_check_writable(tmp_path):
    d = check_writable(tmp_path / "new" / "dir")
    assert d.is_dir() and list(d.iterdir()) == []
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match=r"afile: cannot write to this output directory \(.*\); choose another one"):
        check_writable(tmp_path / "afile")


def _all_files(d):
    return sorted(p.name for p in d.iterdir())  # hidden temporaries too


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt, OSError])
def test_a_write_that_fails_midway_keeps_the_old_file_and_leaves_no_temporary(tmp_path, exc):
    from xrbvo.io import save_output

    p = tmp_path / "cat.csv"
    p.write_text("old\n")

    def write(target):
        assert target.parent == p.parent and target.name.endswith("cat.csv") and target != p
        target.write_text("new but trunc")
        raise exc("stopped mid-write")

    with pytest.raises(InputError if exc is OSError else exc):
        save_output(p, write)
    assert p.read_text() == "old\n"
    assert _all_files(tmp_path) == ["cat.csv"]


def test_a_new_file_that_fails_midway_leaves_nothing(tmp_path):
    from xrbvo.io import atomic_write_bytes, save_files, save_output

    def boom(target):
        target.write_bytes(b"x" * 10)
        raise ValueError("the writer gave up")

    with pytest.raises(ValueError):
        save_output(tmp_path / "a.fits", boom)
    assert _all_files(tmp_path) == []
    atomic_write_bytes(tmp_path / "b.json", b"{}")
    save_files(tmp_path / "model", {"m.json": "1"})
    assert _all_files(tmp_path) == ["b.json", "model"] and _all_files(tmp_path / "model") == ["m.json"]


def test_write_table_replaces_a_table_atomically(tmp_path):
    p = write_table(_table(3), tmp_path / "cat.fits")
    write_table(_table(7), p)
    assert len(Table.read(p)) == 7 and _all_files(tmp_path) == ["cat.fits"]
    with pytest.raises(InputError, match="exists already"):
        write_table(_table(2), p, overwrite=False)


def test_ctrl_c_mid_write_keeps_the_old_table(tmp_path):
    """A real SIGINT arriving while astropy writes: the old catalogue stays whole, no temporary stays."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        import numpy as np
        from astropy.table import Table
        from xrbvo.io import write_table
        p = {str(tmp_path / "cat.fits")!r}
        write_table(Table({{"x": np.arange(10.0)}}), p)
        big = Table({{"x": np.arange(2_000_000.0)}})
        real_write = Table.write
        def write(self, target, **kw):
            with open(target, "wb") as fh:  # a partial file, as a write cut short leaves it
                fh.write(b"SIMPLE  =" + b" " * 1000)
            os.kill(os.getpid(), signal.SIGINT)
            real_write(self, target, **kw)
        Table.write = write
        try:
            write_table(big, p)
        except KeyboardInterrupt:
            print("interrupted")
    """)
    # SIGINT as a terminal delivers it, even when the runner was started in the background by a shell
    # (SIGINT 'ignored' is inherited, and Python then installs no KeyboardInterrupt handler)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert r.returncode == 0 and "interrupted" in r.stdout, r.stderr
    assert len(Table.read(tmp_path / "cat.fits")) == 10
    assert _all_files(tmp_path) == ["cat.fits"]


# -- one writer per directory (output_lock) -------------------------------------------------

def _dead_pid():
    """The pid of a process that has exited and been reaped."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_output_lock_refuses_a_second_writer_and_is_removed_afterwards(tmp_path):
    import json

    from xrbvo.io import output_lock
    from xrbvo.io.outputs import LOCK_NAME

    d = tmp_path / "new" / "out"
    with output_lock(d, "run") as lock:
        assert lock == d / LOCK_NAME
        rec = json.loads(lock.read_text())
        assert rec["pid"] == os.getpid() and rec["command"] == "run"
        with pytest.raises(InputError, match=r"`xrbvo run` \(pid \d+ on .*\) is writing to this directory") as err:
            with output_lock(d, "demo"):
                pass
        assert "\n" not in str(err.value)
        assert lock.exists()  # the refused attempt leaves the holder's lock alone
    assert _all_files(d) == []


def test_output_lock_is_released_when_the_work_fails(tmp_path):
    from xrbvo.io import output_lock

    with pytest.raises(KeyboardInterrupt):
        with output_lock(tmp_path, "run"):
            (tmp_path / "done.csv").write_text("x\n")
            raise KeyboardInterrupt
    assert _all_files(tmp_path) == ["done.csv"]


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_warning(tmp_path):
    import json
    import socket

    from xrbvo.core.errors import XrbvoWarning
    from xrbvo.io import output_lock
    from xrbvo.io.outputs import LOCK_NAME

    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname(),
                                                   "command": "demo"}))
    with pytest.warns(XrbvoWarning, match=r"taking over the lock of `xrbvo demo`.*no longer runs"):
        with output_lock(tmp_path, "run") as lock:
            assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert _all_files(tmp_path) == []


@pytest.mark.parametrize("content, match", [
    ('{"pid": 1, "host": "another-host.example", "command": "run"}', r"on another-host\.example.*if it no longer "
                                                                      r"runs, remove .*\.xrbvo\.lock"),
    ("not json at all", r"lock file \.xrbvo\.lock that xrbvo cannot read; .*remove"),
])
def test_a_lock_that_cannot_be_judged_here_is_refused(tmp_path, content, match):
    from xrbvo.io import output_lock
    from xrbvo.io.outputs import LOCK_NAME

    (tmp_path / LOCK_NAME).write_text(content)
    with pytest.raises(InputError, match=match):
        with output_lock(tmp_path, "run"):
            pass
    assert (tmp_path / LOCK_NAME).read_text() == content  # never removed: it may be someone else's


def test_a_lock_replaced_by_someone_else_is_left_to_them(tmp_path):
    from xrbvo.io import output_lock

    with output_lock(tmp_path, "run") as lock:
        lock.write_text('{"pid": 1, "host": "h", "token": "theirs"}')
    assert lock.read_text() == '{"pid": 1, "host": "h", "token": "theirs"}'


def test_output_lock_in_a_place_that_cannot_be_a_directory(tmp_path):
    from xrbvo.io import output_lock

    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match=r"afile: cannot write to this output directory"):
        with output_lock(tmp_path / "afile"):
            pass


def test_taking_the_lock_removes_temporaries_a_killed_writer_left(tmp_path):
    """SIGKILL can leave an atomic write's temporary; the next command that holds the directory removes it."""
    from xrbvo.io import output_lock
    from xrbvo.io.outputs import TEMP_PREFIX

    (tmp_path / "report").mkdir()
    stale = [tmp_path / f"{TEMP_PREFIX}0123-cat.fits", tmp_path / "report" / f"{TEMP_PREFIX}4567-sky.png"]
    for p in stale:
        p.write_bytes(b"half")
    keep = tmp_path / "cat.fits"
    keep.write_bytes(b"whole")
    with output_lock(tmp_path, "test"):
        assert not any(p.exists() for p in stale)
        assert keep.read_bytes() == b"whole"


def test_a_directory_renamed_away_for_removal_is_swept_under_the_lock(tmp_path):
    """A run killed while removing its finished tiles (renamed to a temporary name first) leaves debris that
    the next command holding the directory removes."""
    from xrbvo.io.outputs import TEMP_PREFIX, output_lock

    debris = tmp_path / f"{TEMP_PREFIX}.tiles-123"
    (debris / "sub").mkdir(parents=True)
    (debris / "manifest.json").write_text("{}")
    (debris / "sub" / "x.parquet").write_bytes(b"x")
    keep = tmp_path / "xrbvo_catalogue.fits"
    keep.write_bytes(b"kept")
    with output_lock(tmp_path, "run"):
        pass
    assert not debris.exists() and keep.read_bytes() == b"kept"


_GENERATIONS = r"""
import sys
from xrbvo.io import replace_files
d, k = sys.argv[1], 0
while True:  # generation k: three files that only make sense together (as a model and its manifest)
    k += 1
    replace_files(d, {"model.json": f"{k}\n" + "x" * 200_000, "meta.json": f"{k}\n", "manifest.json": f"{k}\n"})
    print(k, flush=True)
"""


def test_a_set_of_files_is_old_or_new_whenever_its_writer_is_killed(tmp_path, monkeypatch):
    """replace_files under SIGKILL at random moments: the directory always holds one generation, whole, and
    its other files (a lock, say) stay; the next write removes what a killed one left."""
    import random
    import signal
    import time

    d = tmp_path / "model"
    d.mkdir()
    (d / ".xrbvo.lock").write_text("held")
    rng = random.Random(5)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    seen = set()
    for _ in range(8):
        with subprocess.Popen([sys.executable, "-c", _GENERATIONS, str(d)], stdout=subprocess.PIPE, text=True,
                              env=env) as proc:
            proc.stdout.readline()  # one generation written, then more in a loop
            time.sleep(rng.uniform(0.0, 0.05))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        gens = {(d / n).read_text().splitlines()[0] for n in ("model.json", "meta.json", "manifest.json")}
        assert len(gens) == 1, f"a mixture of generations {gens}"
        assert len((d / "model.json").read_text()) > 200_000 and (d / ".xrbvo.lock").read_text() == "held"
        seen |= gens
    from xrbvo.io import outputs, replace_files

    monkeypatch.setattr(outputs, "SET_DEBRIS_AGE_S", -1.0)  # what a killed writer left is old enough now
    replace_files(d, {"model.json": "last"})
    assert not list(tmp_path.glob(".xrbvo-tmp-*")) and (d / "model.json").read_text() == "last"
    assert (d / "meta.json").exists()  # a file not in the new set is kept


def test_a_set_replaces_what_a_link_names_keeps_modes_and_falls_back_where_it_cannot_exchange(tmp_path,
                                                                                               monkeypatch):
    import stat

    from xrbvo.io import replace_files

    real = tmp_path / "v3"
    real.mkdir()
    (real / "model.json").write_text("old")
    os.chmod(real, 0o2770)
    link = tmp_path / "current"
    link.symlink_to(real)
    replace_files(link, {"model.json": "new", "manifest.json": "m"})
    assert link.is_symlink() and (real / "model.json").read_text() == "new"  # the link stays a link
    assert stat.S_IMODE(real.stat().st_mode) == 0o2770
    assert not list(tmp_path.glob(".xrbvo-tmp-*"))
    monkeypatch.chdir(real)  # "." (train --out .)
    replace_files(".", {"model.json": "dot"})
    assert (real / "model.json").read_text() == "dot" and (real / "manifest.json").read_text() == "m"
    (real / "plots").mkdir()  # a subdirectory: written file by file, the subdirectory untouched
    (real / "plots" / "a.png").write_bytes(b"png")
    replace_files(real, {"model.json": "sub"})
    assert (real / "model.json").read_text() == "sub" and (real / "plots" / "a.png").read_bytes() == b"png"


def test_a_model_write_that_fails_half_way_leaves_the_old_model(tmp_path, small_model):
    from xrbvo.workflows.bundle import ModelBundle

    model, _ = small_model
    d = tmp_path / "m"
    ModelBundle(model, {"note": "old"}).save(d)

    class Boom(str):  # the disk fills while the new set is written
        def encode(self, *args, **kwargs):
            raise OSError(28, "No space left on device")

    files = dict(ModelBundle(model, {"note": "new"}).files())
    files["zzz.json"] = Boom("{}")
    from xrbvo.io import replace_files

    with pytest.raises(InputError, match="No space left"):
        replace_files(d, files)
    assert ModelBundle.load(d).metadata["note"] == "old"
    assert not list(tmp_path.glob(".xrbvo-tmp-*"))
