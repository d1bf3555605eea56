"""The eRASS1 DR1 release as input: `simulate --format erass1`, then `run` on Main + Hard (xrbvo.io.erass1)."""

import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.core.errors import InputError, XrbvoWarning
from xrbvo.io import Selection, read_release, standardise_xray


def _run(*args):
    env = dict(os.environ, COLUMNS="300")
    return subprocess.run([sys.executable, "-m", "xrbvo", *args], capture_output=True, text=True, timeout=600,
                          env=env, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    d = tmp_path_factory.mktemp("erass1")
    r = _run("-q", "simulate", "--format", "erass1", "--out", str(d), "--seed", "11", "--width", "3",
             "--height", "2", "--boost", "HMXB=20", "--boost", "LMXB=60")
    assert r.returncode == 0, r.stderr
    assert not (d / "xray.fits").exists()
    return d


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, small_model):
    from xrbvo.core.schema import CLASSES
    from xrbvo.workflows import ModelBundle

    model, ts = small_model
    ref = {c: float(ts.reference_priors.get(c, 0.0)) for c in CLASSES}
    return ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ref}).save(
        tmp_path_factory.mktemp("model") / "m")


def _run_release(release, model_dir, out, *extra):
    return _run("run", str(release / "eRASS1_Main.fits"), "--model", str(model_dir), "--counterparts", "nway",
                *[a for s in ("gaia", "2mass", "catwise") for a in ("--catalog", f"{s}={release / (s + '.fits')}")],
                "--out", str(out), *extra)


def test_run_on_main_and_hard_selects_counts_and_joins(release, model_dir, tmp_path):
    main_t = Table.read(release / "eRASS1_Main.fits")
    hard_t = Table.read(release / "eRASS1_Hard.fits")
    n_ext, n_flag = main_t.meta["NEXTINJ"], main_t.meta["NFLGINJ"]
    assert n_ext > 0 and n_flag > 0 and main_t.meta["NWEAKINJ"] > 0 and main_t.meta["SAMPLE"] == "survey"
    assert "flux_hard" not in main_t.colnames and 0 < len(hard_t) < len(main_t)
    r = _run_release(release, model_dir, tmp_path / "o", "--hard", str(release / "eRASS1_Hard.fits"))
    assert r.returncode == 0, r.stderr
    assert "DET_LIKE_0 >= 6: removed 0" in r.stdout
    assert f"EXT_LIKE <= 0: removed {n_ext}" in r.stdout
    assert f"FLAG_SP_* == 0 (SNR,BPS,SCL,LGA,GC_CONS): removed {n_flag}" in r.stdout
    assert not [line for line in r.stderr.splitlines() if "hard-band" in line]

    cat = Table.read(tmp_path / "o" / "xrbvo_catalogue.fits")
    flagged = np.zeros(len(main_t), bool)
    for f in ("FLAG_SP_SNR", "FLAG_SP_BPS", "FLAG_SP_SCL", "FLAG_SP_LGA", "FLAG_SP_GC_CONS"):
        flagged |= np.asarray(main_t[f]) != 0
    dropped = (np.asarray(main_t["EXT_LIKE"]) > 0) | flagged
    kept = main_t[~dropped]
    assert sorted(np.asarray(cat["xid"]).astype(str)) == sorted(np.asarray(kept["IAUNAME"]).astype(str))
    assert (cat.meta["NRMEXT"], cat.meta["NRMFLAG"], cat.meta["NSELOUT"]) == (n_ext, n_flag, len(kept))
    assert cat.meta["SELEXT"] == "EXT_LIKE <= 0" and cat.meta["SAMPLE"] == "survey"

    # hr is finite exactly where the Hard catalogue holds the source through a strong UID_Hard link
    link = dict(zip(np.asarray(kept["IAUNAME"]).astype(str), np.asarray(kept["UID_Hard"], np.int64)))
    in_hard = set(np.asarray(hard_t["UID"], np.int64).tolist())
    xid = np.asarray(cat["xid"]).astype(str)
    strong = np.array([link[x] > 0 and link[x] in in_hard for x in xid])
    weak = np.array([link[x] < 0 for x in xid])
    hr = np.asarray(cat["hr"].filled(np.nan) if hasattr(cat["hr"], "filled") else cat["hr"], float)
    assert strong.any() and weak.any()
    assert np.isfinite(hr[strong]).all() and np.isnan(hr[~strong]).all()
    assoc = np.asarray(cat["hard_assoc"]).astype(str)
    assert (assoc == "strong").tolist() == strong.tolist() and (assoc == "weak").tolist() == weak.tolist()
    assert cat.meta["NHARDWK"] == int(weak.sum()) and cat.meta["NHARDSTR"] == int(strong.sum())


def test_main_without_hard_warns_once(release, model_dir, tmp_path):
    main_t, report = read_release(release / "eRASS1_Main.fits")
    assert report.hard is None and "hard_assoc" not in main_t.colnames
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        x = standardise_xray(main_t, source="eRASS1_Main.fits")
    hard = [w for w in rec if issubclass(w.category, XrbvoWarning) and "2.3-5 keV" in str(w.message)]
    assert len(hard) == 1 and "hardness ratio hr will be missing" in str(hard[0].message)
    assert len(rec) == 1 and np.isnan(x["flux_hard"]).all()
    r = _run_release(release, model_dir, tmp_path / "o")
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if "hard-band" in line]
    assert len(lines) == 1 and lines[0].startswith("warning:") and "--hard" in lines[0]


@pytest.mark.parametrize("option, value, match", [
    ("--min-det-like", "nan", "--min-det-like nan: give a finite number"),
    ("--min-det-like", "-1", "--min-det-like -1.0: likelihoods are >= 0"),
    ("--max-ext-like", "inf", "--max-ext-like inf: give a finite number"),
])
def test_bad_selection_values_are_one_line_exit_2(release, model_dir, tmp_path, option, value, match):
    r = _run_release(release, model_dir, tmp_path / "o", option, value)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("error:") and match in line and r.stdout == ""


def test_release_options_need_a_main_table(tmp_path):
    t = Table({"ra": [1.0], "dec": [0.0]})
    with pytest.raises(InputError, match="not an eRASS1 Main table"):
        read_release(t, Table({"UID": [1]}), Selection())


# -- the Hard catalogue and the link columns, as users may give them (issue 26.10, 26.14) -------------------

def _main(links, **cols) -> Table:
    n = len(links)
    t = Table({"IAUNAME": [f"1eRASS J{i:06d}" for i in range(n)], "UID": 100_000_000_000 + np.arange(n),
               "UID_Hard": links, "RA": 10.0 + 0.01 * np.arange(n), "DEC": np.full(n, -5.0),
               "POS_ERR": np.full(n, 2.0), "EXT_LIKE": np.zeros(n), "DET_LIKE_0": np.full(n, 20.0),
               "ML_FLUX_1": np.full(n, 1e-13), "ML_FLUX_ERR_1": np.full(n, 1e-14)})
    for k, v in cols.items():
        t[k] = v
    return t


def _hard(uids, flux, err=None) -> Table:
    return Table({"UID": np.asarray(uids, np.int64), "ML_FLUX_3": np.asarray(flux, float),
                  "ML_FLUX_ERR_3": np.asarray(err if err is not None else np.full(len(uids), 1e-14), float)})


def test_duplicated_hard_uids_are_refused():
    """26.10: the last row's ML_FLUX_3 was taken in silence."""
    from xrbvo.io.erass1 import select_release

    hard = _hard([200_000_000_001, 200_000_000_001, 200_000_000_002], [1e-13, 9e-13, 2e-13])
    with pytest.raises(InputError, match=r"^h\.fits: 1 UID\(s\) occur more than once in the Hard catalogue "
                                         r"\(e\.g\. 200000000001 in rows 0 and 1\)"):
        select_release(_main([200_000_000_001, 0]), hard, hard_source="h.fits")


def test_main_sources_sharing_one_hard_source_warn_with_the_count():
    """26.10: five Main sources linking to one Hard UID all got its flux without a word."""
    from xrbvo.io.erass1 import select_release

    u = 200_000_000_001
    with pytest.warns(XrbvoWarning, match=r"^h\.fits: 1 Hard source\(s\) are the strong association of more than "
                                          r"one kept Main source \(5 Main sources, e\.g\. UID 200000000001 for 5\)"):
        out, report = select_release(_main([u] * 5 + [0]), _hard([u], [3e-13]), hard_source="h.fits")
    assert np.asarray(out["flux_hard"])[:5].tolist() == [3e-13] * 5 and report.n_hard_strong == 5


def test_negative_or_infinite_hard_fluxes_are_taken_as_missing():
    """26.10: a negative or infinite ML_FLUX_3 was taken (hr = 1)."""
    from xrbvo.io.erass1 import select_release

    uids = [200_000_000_001, 200_000_000_002, 200_000_000_003, 200_000_000_004]
    hard = _hard(uids, [-1e-13, np.inf, 2e-13, 3e-13], [1e-14, 1e-14, 1e-14, -1.0])
    with pytest.warns(XrbvoWarning, match=r"3 kept source\(s\) have a negative or infinite ML_FLUX_3 or "
                                          r"ML_FLUX_ERR_3 .* taken as missing"):
        out, _ = select_release(_main(uids), hard)
    f, e = np.asarray(out["flux_hard"], float), np.asarray(out["flux_hard_err"], float)
    assert np.isnan(f[:2]).all() and f[2:].tolist() == [2e-13, 3e-13]
    assert np.isnan(e[[0, 1, 3]]).all() and e[2] == 1e-14
    x = standardise_xray(out)
    assert np.isnan(np.asarray(x["flux_hard"])[:2]).all()


def test_the_hard_catalogue_given_as_the_xray_table_is_refused(release, model_dir, tmp_path, capsys):
    """26.10: the 3-band Hard catalogue given as the X-ray table was read as Main (soft band 0.2-0.6 keV)."""
    from xrbvo.cli.entry import main

    hard = Table.read(release / "eRASS1_Hard.fits")
    for call in (lambda: read_release(hard), lambda: standardise_xray(hard, source="eRASS1_Hard.fits")):
        with pytest.raises(InputError, match="this is the eRASS1 Hard catalogue .* give it with --hard"):
            call()
    rc = main(["-q", "run", str(release / "eRASS1_Hard.fits"), "--model", str(model_dir),
               "--catalog", f"gaia={release / 'gaia.fits'}", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "this is the eRASS1 Hard catalogue" in err[0]
    assert "give it with --hard" in err[0] and not (tmp_path / "o" / "xrbvo_catalogue.fits").exists()


@pytest.mark.parametrize("column, value, hard, match", [
    ("DET_LIKE_0", "high", False, r"eRASS1_Main\.csv: column DET_LIKE_0 is not numeric \(row 1: 'high'\)"),
    ("EXT_LIKE", "point", False, r"column EXT_LIKE is not numeric \(row 1: 'point'\)"),
    ("UID_Hard", "abc", True, r"column UID_Hard is not numeric \(row 1: 'abc'\)"),
])
def test_text_in_a_numeric_release_column_is_one_line_exit_2(release, model_dir, tmp_path, capsys, column, value,
                                                             hard, match):
    """26.10: a text DET_LIKE_0 cut every source (an empty catalogue, exit 0); 26.14: UID_Hard 'abc' was a traceback."""
    from xrbvo.cli.entry import main

    t = _main([0, 0, 0])
    t[column] = np.array([str(v) for v in np.asarray(t[column]).tolist()], dtype=object)
    t[column][1] = value
    p = tmp_path / "eRASS1_Main.csv"
    t.write(p, format="ascii.csv")
    h = tmp_path / "hard.csv"
    _hard([200_000_000_001], [1e-13]).write(h, format="ascii.csv")
    args = ["-q", "run", str(p), "--model", str(model_dir), "--catalog", f"gaia={release / 'gaia.fits'}",
            "--out", str(tmp_path / "o"), *(["--hard", str(h)] if hard else [])]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    assert re.search(match, err[0]) and not (tmp_path / "o" / "xrbvo_catalogue.fits").exists()


def test_a_nan_uid_hard_is_no_link_and_no_numpy_warning():
    """26.14: a NaN UID_Hard leaked numpy's 'invalid value encountered in cast' (an error under -W error)."""
    from xrbvo.io.erass1 import select_release

    u = 200_000_000_001
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, report = select_release(_main(np.array([float(u), np.nan])), _hard([u], [2e-13]))
    assert np.asarray(out["hard_assoc"]).tolist() == ["strong", "none"] and report.n_hard_strong == 1
    with pytest.raises(InputError, match=r"column UID_Hard holds 1\.5 in row 0, not a whole number"):
        select_release(_main(np.array([1.5, 0.0])), _hard([u], [2e-13]))


@pytest.mark.filterwarnings("ignore::xrbvo.core.errors.XrbvoWarning")
def test_explore_reads_the_release_as_run_and_scores_its_rows(release, model_dir, tmp_path):
    """`explore` takes run's release options (one definition) and reads the sources as run does: the same rows
    (selection, --hard, --region), and a source scored on demand equals its row of the run's catalogue."""
    from xrbvo.cli._ui import UI
    from xrbvo.cli.commands.explore import explore_table
    from xrbvo.cli.entry import build_parser
    from xrbvo.stages.neighbourhoods.local import LocalProvider
    from xrbvo.workflows.live import LiveScorer
    from xrbvo.workflows import ModelBundle

    main, hard = release / "eRASS1_Main.fits", release / "eRASS1_Hard.fits"
    region = "gal:299,301,-1,1"
    r = _run_release(release, model_dir, tmp_path / "o", "--hard", str(hard), "--region", region, "--no-report",
                     "--tile-deg", "0")
    assert r.returncode == 0, r.stderr
    ref = Table.read(tmp_path / "o" / "xrbvo_catalogue.fits")
    args = build_parser().parse_args(["explore", str(main), "--model", str(model_dir), "--hard", str(hard),
                                      "--region", region, "--no-samp"])
    table = explore_table(args, UI(quiet=True))
    ids = np.asarray(ref["xid"]).astype(str)
    assert sorted(np.asarray(table["xid"]).astype(str)) == sorted(ids)  # run's rows, not the file's
    assert np.isfinite(np.asarray(table["flux_hard"], float)).any()
    files = {s: str(release / f"{s}.fits") for s in ("gaia", "2mass", "catwise")}
    scorer = LiveScorer(table, ModelBundle.load(model_dir), LocalProvider(files), source=str(main))
    cand = np.asarray(ref["candidate_class"]).astype(str) != ""
    hr = np.asarray(ref["hr"], float)
    pick = [ids[np.flatnonzero(cand)[0]], ids[np.flatnonzero(~cand & np.isfinite(hr))[0]],
            ids[np.flatnonzero(~cand & ~np.isfinite(hr))[0]]]
    got = scorer.score(pick)
    # p_any too: the live scorer measures the list's run context once (the magnitude priors learnt from the
    # whole list, the calibrated p_any cut), as run does
    cols = [c for c in ref.colnames if c.startswith("P_")] + ["p_any", "candidate_class", "predicted_class", "hr"]

    def plain(t, c, i):  # FITS reads '' and NaN back as masked
        v = t[c][i]
        return ("" if t[c].dtype.kind in "US" else np.nan) if v is np.ma.masked else v

    for x in pick:
        for c in cols:
            a, b = plain(ref, c, list(ids).index(x)), plain(got[x].catalogue, c, 0)
            assert a == b or (isinstance(a, (float, np.floating)) and np.isnan(a) and np.isnan(b)), (x, c, a, b)
