import os
import subprocess
import sys

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.cli.entry import COMMANDS, build_parser, main


def _run(*args, timeout=600, **env_extra):
    env = dict(os.environ, COLUMNS="200", **env_extra)
    return subprocess.run([sys.executable, "-m", "xrbvo", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def test_help_explains_every_option():
    r = _run("--help")
    assert r.returncode == 0
    for c in COMMANDS:
        assert c in r.stdout
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.dest == "help":
                continue
            assert action.help and len(action.help) > 5, f"{name}: option {action.dest} has no help"
    r = _run("demo", "--help")
    assert r.returncode == 0
    for opt in ("--out", "--seed", "--radius", "--boost", "--model", "--width", "--height"):
        assert opt in r.stdout


@pytest.fixture(scope="module")
def sky_files(tmp_path_factory, small_sky):
    d = tmp_path_factory.mktemp("sky")
    return small_sky.write(d, fmt="fits")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, small_model):
    model, ts = small_model
    from xrbvo.workflows import ModelBundle

    return ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ts.reference_priors}).save(
        tmp_path_factory.mktemp("model") / "m")


def test_run_on_local_files(tmp_path, sky_files, model_dir, small_sky):
    r = _run("run", str(sky_files["xray"]), "--model", str(model_dir), "--catalog", f"gaia={sky_files['gaia']}",
             "--catalog", f"2mass={sky_files['2mass']}", "--catalog", f"catwise={sky_files['catwise']}",
             "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    t = Table.read(tmp_path / "o" / "xrbvo_catalogue.fits")
    assert len(t) == len(small_sky.xray)
    assert (tmp_path / "o" / "xrbvo_catalogue.vot").exists() and (tmp_path / "o" / "xrbvo_catalogue.csv").exists()
    assert "X-ray-binary candidate" in r.stdout  # "1 X-ray-binary candidate", "2 X-ray-binary candidates"
    assert "class priors   HMXB   LMXB" in r.stdout
    assert "whose P_<class>_field at the source's own field priors is >= 0.5 (--min-purity)" in r.stdout
    # a blind survey: each source its own priors from the population model, recorded in the catalogue
    assert "field priors: each source's own" in r.stdout
    assert t.meta["PRIORS"] == "source" and t.meta["SAMPLE"] == "survey" and t.meta["MINPUR"] == 0.5
    # the small sky injects HMXBs at 20x their density and records it: the population mix carries that factor
    assert "injected classes" in r.stdout and t.meta["NSHIFTED"] == len(t)
    # a candidate's stated purity is its own posterior at its own priors, at least the minimum
    cand = np.asarray(t["candidate"], bool)
    assert np.all(np.asarray(t["expected_purity"])[cand] >= 0.5)
    assert "NCENXRB" in t.meta and "expected true" in r.stdout
    # each source's own prior is in the catalogue, described, and differs from source to source
    assert t["prior_HMXB"].description.startswith("Prior probability that the source is")
    assert np.nanstd(np.asarray(t["prior_HMXB"], float)) > 0
    # the report links the catalogue files, and `xrbvo report` redraws the same pictures from the finished catalogue
    index = (tmp_path / "o" / "report" / "index.html").read_text()
    assert 'href="../xrbvo_catalogue.fits"' in index and 'href="../xrbvo_catalogue_neighbours.fits"' in index
    assert (tmp_path / "o" / "report" / "candidates.reg").exists()
    r = _run("-q", "report", str(tmp_path / "o" / "xrbvo_catalogue.fits"), "--out", str(tmp_path / "again"))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    drawn = sorted(p.name for p in (tmp_path / "o" / "report").glob("*.png"))
    assert drawn and drawn == sorted(p.name for p in (tmp_path / "again").glob("*.png"))
    assert sorted(p.name for p in (tmp_path / "again" / "diagnostics").glob("*.png")) == [
        "cmd.png", "fx_fopt_hr.png", "lx_distance.png"]


def test_simulate_writes_files(tmp_path):
    r = _run("-q", "simulate", "--out", str(tmp_path), "--width", "0.5", "--height", "0.5", "--seed", "2")
    assert r.returncode == 0, r.stderr
    for n in ("xray", "gaia", "2mass", "catwise", "truth"):
        assert (tmp_path / f"{n}.fits").exists()


def test_run_without_positional_errors_warns_in_one_line(tmp_path, sky_files, model_dir):
    t = Table.read(sky_files["xray"])
    t.remove_column("POS_ERR")
    t.meta.clear()
    f = tmp_path / "no_err.fits"
    t.write(f)
    r = _run("-q", "run", str(f), "--model", str(model_dir), "--catalog", f"gaia={sky_files['gaia']}",
             "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    warned = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    pos = [w for w in warned if "no positional-error column" in w]
    assert len(pos) == 1 and "4 arcsec" in pos[0]
    # the header that recorded the sky's 20x HMXB injection was cleared: against the natural census the
    # injected candidates are too many, and the run says so in its own one line
    assert [w for w in warned if w not in pos] == [
        w for w in warned if "the population model expects in this sky" in w]
    assert np.all(Table.read(tmp_path / "o" / "xrbvo_catalogue.fits")["pos_err"] == 4.0)


def test_run_whose_output_cannot_be_written_keeps_the_results(tmp_path, sky_files, model_dir, small_sky):
    out = tmp_path / "o"
    (out / "xrbvo_catalogue.fits").mkdir(parents=True)  # a real fault: a directory where the FITS file goes
    (tmp_path / "tmp").mkdir()
    r = _run("-q", "run", str(sky_files["xray"]), "--model", str(model_dir), "--catalog",
             f"gaia={sky_files['gaia']}", "--out", str(out), TMPDIR=str(tmp_path / "tmp"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("error:") and "xrbvo_catalogue.fits: cannot write" in line
    (rescue,) = (tmp_path / "tmp").glob("xrbvo-rescue-*")
    assert f"saved to {rescue} instead" in line
    assert len(Table.read(rescue / "xrbvo_catalogue.fits")) == len(small_sky.xray)
    assert str(rescue / "xrbvo_catalogue.fits") in r.stdout  # the listing shows where it really went
    for name in ("xrbvo_catalogue.vot", "xrbvo_catalogue.csv", "xrbvo_catalogue_counterparts.fits",
                 "xrbvo_catalogue_neighbours.fits"):
        assert (out / name).is_file(), name  # the outputs that could be written are where they belong


def test_unwritable_output_directory_fails_before_the_work(tmp_path, sky_files, model_dir):
    (tmp_path / "o").write_text("a file, not a directory")
    r = _run("-q", "run", str(sky_files["xray"]), "--model", str(model_dir), "--catalog",
             f"gaia={sky_files['gaia']}", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "cannot write to this output directory" in r.stderr and r.stdout == ""


@pytest.mark.parametrize("content, match", [
    ("name,x,y\na,1,2\n", "no position columns"),
    ("ra,dec\n10,nan\n", "NaN position"),
    ("ra,dec\n400,10\n", "out of range"),
])
def test_user_errors_exit_2_with_one_line(tmp_path, model_dir, sky_files, content, match):
    f = tmp_path / "x.csv"
    f.write_text(content)
    r = _run("run", str(f), "--model", str(model_dir), "--catalog", f"gaia={sky_files['gaia']}")
    assert r.returncode == 2
    assert match in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_other_user_errors(tmp_path, model_dir, sky_files):
    cases = [
        (["run", str(tmp_path / "missing.fits"), "--model", str(model_dir), "--catalog", "gaia=x"], "no such file"),
        (["run", str(sky_files["xray"]), "--model", str(model_dir), "--catalog", "hubble=x.fits"], "unknown survey"),
        (["run", str(sky_files["xray"]), "--model", str(tmp_path), "--catalog", f"gaia={sky_files['gaia']}"],
         "not an xrbvo model directory"),
        (["demo", "--boost", "QSO=3"], "unknown class"),
        (["simulate", "--b", "89.9", "--out", str(tmp_path)], "poles"),
    ]
    (tmp_path / "bad.fits").write_bytes(b"\x00garbage")
    cases.append((["run", str(tmp_path / "bad.fits"), "--model", str(model_dir), "--catalog", "gaia=x"],
                  "cannot read"))
    for args, match in cases:
        r = _run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert match in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


def test_main_without_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


@pytest.mark.slow
def test_demo_end_to_end(tmp_path):
    out = tmp_path / "demo-out"
    r = _run("demo", "--out", str(out), timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    for text in ("HMXB completeness", "LMXB purity", "XRBs with the true Gaia counterpart chosen"):
        assert text in r.stdout
    t = Table.read(out / "xrbvo_demo_catalogue.fits")
    truth = Table.read(out / "truth.fits")
    assert len(t) == len(truth) > 100
    for c in ("p_any", "nid_gaia", "nid_2mass", "nid_catwise", "candidate", "P_HMXB", "P_LMXB", "P_AGN"):
        assert c in t.colnames
    assert (out / "xrbvo_demo_catalogue.vot").exists() and (out / "xrbvo_demo_catalogue.csv").exists()
    assert (out / "sky_map.png").stat().st_size > 1000 and (out / "model" / "model.json").exists()
    # the candidates are mostly true binaries: far purer than the field's mix
    true = np.asarray(truth["true_class"]).astype(str)
    cand = np.asarray(t["candidate_class"]).astype(str)
    sel = cand != ""
    assert sel.sum() > 5
    assert np.mean(np.isin(true[sel], ["HMXB", "LMXB"])) > 3 * np.mean(np.isin(true, ["HMXB", "LMXB"]))
