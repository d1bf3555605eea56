"""The command line's edge: locks, signals, crash logs, plain names, bounded sizes, positions checked.

Nothing lost, nothing corrupted, nothing let in (issue 17).  Every user mistake is
one ``error:`` line and exit 2; SIGTERM stops like Ctrl-C (exit 143); a bug is one
line naming a crash log (exit 1).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from astropy.table import Table

from _mldata import LABELLED, need
from xrbvo.cli.entry import main
from xrbvo.io.outputs import LOCK_NAME, TEMP_PREFIX


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error:") and "Traceback" not in err
    return lines[0]


# -- plain names and bounded sizes -------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../x", "a/b", "a\\b", ".", "..", "-x", ".hidden", "", " x", "a\nb",
                                  "x" * 201])
def test_run_refuses_a_name_that_is_not_a_plain_file_name(tmp_path, capsys, name):
    rc = main(["-q", "run", "x.fits", "--model", str(tmp_path), "--catalog", "gaia=g.fits",
               "--out", str(tmp_path / "o"), f"--name={name}"])
    assert rc == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "--name" in line and "give a plain file name" in line
    assert not (tmp_path / "o").exists()  # refused before anything was written


def test_plain_names_pass():
    from xrbvo.cli.common import plain_name

    for name in ("xrbvo_catalogue", "field 3", "✓中文", "a.b-c", "x" * 200):
        assert plain_name(name) == name


@pytest.mark.parametrize("args, match", [
    (["--n-sample", "100000000000"], "--n-sample must be between 1000 and 500000"),
    (["--n-sample", "10"], "--n-sample must be between 1000 and 500000"),
    (["--n-mc", "1000000000"], "--n-mc must be between 1 and 50000"),
    (["--n-mc", "0"], "--n-mc must be between 1 and 50000"),
])
def test_xlf_sizes_are_bounded(tmp_path, capsys, args, match):
    rc = main(["-q", "xlf", "--out", str(tmp_path / "o"), *args])
    assert rc == 2
    assert match in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "o").exists()


def test_xlf_library_bounds_too():
    from xrbvo.core.errors import InputError
    from xrbvo.galaxy import xlf

    with pytest.raises(InputError, match="n_sample must be between"):
        xlf.expected_numbers(n_sample=xlf.MAX_N_SAMPLE + 1, n_mc=1)
    with pytest.raises(InputError, match="n_mc must be between"):
        xlf.expected_numbers(n_mc=xlf.MAX_N_MC + 1)


# -- SIGTERM and crash logs ------------------------------------------------------------------------

def test_sigterm_stops_a_command_like_ctrl_c_and_the_handler_is_restored(tmp_path, capsys, monkeypatch):
    import xrbvo.cli.commands.simulate as simulate

    before = signal.getsignal(signal.SIGTERM)

    def run(args, ui):
        (tmp_path / "finished.txt").write_text("kept")
        os.kill(os.getpid(), signal.SIGTERM)  # a real signal, delivered to this process
        time.sleep(5)  # never reached: the handler raises first
        return 0

    monkeypatch.setattr(simulate, "run", run)
    assert main(["-q", "simulate", "--out", str(tmp_path)]) == 143
    line = _one_error_line(capsys.readouterr().err)
    assert "terminated (SIGTERM); results written so far are kept" in line
    assert (tmp_path / "finished.txt").read_text() == "kept"
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_unexpected_exception_is_one_line_naming_a_crash_log(tmp_path, capsys, monkeypatch):
    """A fault the real code cannot be made to produce on purpose: a command that raises RuntimeError."""
    import xrbvo.cli.commands.simulate as simulate

    def run(args, ui):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(simulate, "run", run)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["-q", "simulate", "--out", str(tmp_path / "o")]) == 1
    line = _one_error_line(capsys.readouterr().err)
    (log,) = (tmp_path / "state" / "xrbvo").glob("xrbvo-crash-*.log")
    assert str(log) in line and "internal error (RuntimeError: boom second line)" in line
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
    assert "xrbvo -q simulate --out" in text  # the command line that crashed


def test_the_crash_log_falls_back_to_the_temporary_directory(tmp_path, capsys, monkeypatch):
    import tempfile

    import xrbvo.cli.commands.simulate as simulate

    monkeypatch.setattr(simulate, "run", lambda args, ui: {}["missing"])  # a KeyError from a bug
    (tmp_path / "state").write_text("a file where the state directory should be")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    assert main(["-q", "simulate", "--out", str(tmp_path / "o")]) == 1
    line = _one_error_line(capsys.readouterr().err)
    (log,) = (tmp_path / "tmp").glob("xrbvo-crash-*.log")
    assert str(log) in line and "KeyError" in log.read_text()


# -- one writer per directory ------------------------------------------------------------------------

def _xrbvo(*args, **kw):
    env = dict(os.environ, COLUMNS="200")
    return subprocess.Popen([sys.executable, "-m", "xrbvo", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=env, **kw)


def _wait_for(path, proc, seconds=120.0):
    """Poll until ``path`` exists while ``proc`` runs (a bounded loop, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, f"the command ended before {path.name} appeared: {proc.communicate()}"
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.005)


def test_a_second_command_into_a_locked_directory_refuses_in_one_line(tmp_path):
    out = tmp_path / "sky"
    first = _xrbvo("-q", "simulate", "--width", "1", "--height", "1", "--out", str(out))
    try:
        _wait_for(out / LOCK_NAME, first)
        first.send_signal(signal.SIGSTOP)  # hold the first command while it holds the directory
        holder = json.loads((out / LOCK_NAME).read_text())
        assert holder["pid"] == first.pid and holder["command"] == "simulate"
        second = _xrbvo("-q", "simulate", "--width", "1", "--height", "1", "--out", str(out))
        so, se = second.communicate(timeout=120)
        assert second.returncode == 2, se
        line = _one_error_line(se)
        assert f"pid {first.pid}" in line and "is writing to this directory" in line and so == ""
    finally:
        first.send_signal(signal.SIGCONT)
    so, se = first.communicate(timeout=300)
    assert first.returncode == 0, se
    assert not (out / LOCK_NAME).exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.fits" for n in ("xray", "gaia", "2mass", "catwise",
                                                                                   "truth"))


def test_sigterm_mid_command_leaves_no_lock_and_no_temporary(tmp_path):
    out = tmp_path / "sky"
    proc = _xrbvo("-q", "simulate", "--width", "1", "--height", "1", "--out", str(out))
    _wait_for(out / LOCK_NAME, proc)
    proc.send_signal(signal.SIGTERM)
    so, se = proc.communicate(timeout=120)
    if proc.returncode == 0:  # it finished before the signal came: nothing to check about stopping
        pytest.skip("the command finished before SIGTERM arrived")
    assert proc.returncode == 143, se
    assert "terminated (SIGTERM)" in _one_error_line(se)
    left = [p.name for p in out.iterdir()]
    assert LOCK_NAME not in left and not [n for n in left if n.startswith(TEMP_PREFIX)]
    for name in left:
        assert len(Table.read(out / name)) > 0  # whatever was written is whole


# -- positions of survey catalogues and labelled tables ----------------------------------------------------

def _catalogue(**cols):
    base = {"source_id": np.array([1, 2, 3], dtype=np.int64), "ra": [10.0, 10.1, 10.2], "dec": [-1.0, 0.0, 1.0],
            "phot_g_mean_mag": [15.0, 16.0, 17.0], "phot_bp_mean_mag": [15.5, 16.5, 17.5],
            "phot_rp_mean_mag": [14.5, 15.5, 16.5]}
    base.update(cols)
    return Table(base)


@pytest.mark.parametrize("cols, match", [
    ({"dec": [-1.0, 95.0, 1.0]}, r"gaia\.fits: 1 row\(s\) of the gaia catalogue have coordinates out of range "
                                 r"\(first: row 1, ra=10\.1, dec=95\.0\)"),
    ({"ra": [10.0, 10.1, 360.0]}, r"first: row 2, ra=360\.0"),
    ({"ra": [-0.5, 10.1, 10.2]}, r"first: row 0, ra=-0\.5"),
    ({"source_id": np.array([7, 8, 7])}, r"1 identifier\(s\) of the gaia catalogue in column 'source_id' occur more "
                                         r"than once \(e\.g\. '7' in rows 0 and 2\)"),
])
def test_survey_catalogue_positions_and_ids_are_checked(cols, match):
    from xrbvo.core.errors import InputError
    from xrbvo.stages.neighbourhoods import standardise_catalogue

    with pytest.raises(InputError, match=match):
        standardise_catalogue(_catalogue(**cols), "gaia", source="gaia.fits")


def test_rows_without_a_position_are_dropped_before_the_id_check():
    from xrbvo.stages.neighbourhoods import standardise_catalogue

    t = standardise_catalogue(_catalogue(source_id=np.array([7, 8, 7]), dec=[-1.0, 0.0, np.nan]), "gaia")
    assert list(t["nid"]) == ["7", "8"]


def _labelled_csv(tmp_path, bad_row: int, column: str, value: str):
    """Header and a few rows of the real labelled table, one cell changed (written to tmp_path only)."""
    with open(need(LABELLED), newline="") as fh:
        rows = [r for _, r in zip(range(7), csv.reader(fh))]
    header = rows[0]
    rows[1 + bad_row][header.index(column)] = value
    p = tmp_path / "labelled.csv"
    with open(p, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return p


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, small_model):
    from xrbvo.workflows import ModelBundle

    model, ts = small_model
    return ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ts.reference_priors}).save(
        tmp_path_factory.mktemp("model") / "m")


@pytest.mark.parametrize("column, value, match", [
    ("dec", "95", r"labelled\.csv: 1 row\(s\) have a position out of range \(first: row 3, ra=.*, dec=95\.0\)"),
    ("ra", "361.5", r"first: row 3, ra=361\.5"),
    ("ra", "north", r"labelled\.csv: row 3 of column ra is not a number \('north'\)"),
])
@pytest.mark.parametrize("command", ["train", "evaluate", "classify"])
def test_labelled_positions_are_one_error_naming_the_row(tmp_path, capsys, model_dir, command, column, value, match):
    import re

    f = _labelled_csv(tmp_path, 3, column, value)
    args = {"train": ["train", "--labels", str(f), "--out", str(tmp_path / "m"), "--quick",
                      "--counterpart-model", "none"],
            "evaluate": ["evaluate", "--model", str(model_dir), str(f), "--plots", str(tmp_path / "p")],
            "classify": ["classify", "--model", str(model_dir), str(f), "--out", str(tmp_path / "c.csv")]}[command]
    assert main(["-q", *args]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert re.search(match, line), line
    assert not (tmp_path / "c.csv").exists() and not (tmp_path / "m" / "model.json").exists()


@pytest.mark.parametrize("command", ["simulate", "demo"])
def test_an_absurd_field_is_refused_before_any_work(tmp_path, capsys, command):
    rc = main(["-q", command, "--width", "60", "--height", "40", "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "more than the 100 deg2 a simulation takes" in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "o" / "model").exists()  # the demo did not train first
