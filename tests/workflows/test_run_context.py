"""The run context (xrbvo.workflows.context): measured once, carried by tiles and explore sessions, checked whole
on resume; and the output directory's hardening that goes with it (tiles directory, lock, sweep, cwd)."""

from __future__ import annotations

import copy
import json
import os
import socket
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table
from conftest import DEMO_FIELD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xrbvo.core.errors import InputError, ServiceError, XrbvoWarning
from xrbvo.workflows.context import RunContext, differences

CTX = {"format": "xrbvo-context/1", "radius_arcsec": 20.0, "pull_radius_arcsec": 20.0,
       "surveys": ["gaia", "2mass", "catwise"], "counterparts": "joint", "association": "BayesConfig()",
       "xray_survey": "erass1", "n_sources": 3, "input_sha": "a" * 64, "model_sha": "m" * 16,
       "counterpart_sha": "c" * 16, "policy_sha": "p" * 16, "provider": {"provider": "local"},
       "global_counts": {"gaia": [12, 3456.25], "2mass": [3, 3456.25], "catwise": [0, 3456.25]},
       "mag_priors": {"gaia:phot_g_mean_mag": {"edges": [10.0, 15.0, 20.0], "ratio": [2.0, 0.5, 1.0],
                                                "outside": None}},
       "object_density_arcsec2": 0.00123456789012345, "source_priors": None, "p_any_cut": None,
       "false_rate": None, "false_rate_target": None, "p_any_calibration": None, "no_counterpart_share": None}


# ---------------------------------------------------------------------------------------------
# the object


def test_context_round_trips_through_json_exactly_and_sets_panycut_only_when_calibrated():
    ctx = RunContext.from_dict(CTX)
    again = RunContext.from_json(ctx.to_json())
    assert again == ctx and again.sha == ctx.sha and again.to_dict() == CTX
    assert ctx.header() == {}
    cal = replace(ctx, p_any_cut=0.71, false_rate=0.049, false_rate_target=0.05)
    assert cal.header() == {"PANYCUT": 0.71, "FARATE": 0.049}
    assert RunContext.from_json(cal.to_json()).false_rate_target == 0.05
    from xrbvo.stages.match.calibrate import PanyCalibration

    whole = PanyCalibration(0.71, 0.049, 0.05, "shifted", 400, 3)
    full = replace(ctx, p_any_calibration=whole.to_json())
    assert full.header() == whole.header() and full.header()["PANYCAL"] == "shifted"
    back = RunContext.from_json(full.to_json())
    assert PanyCalibration.from_json(back.p_any_calibration) == whole
    with pytest.raises(InputError, match="p_any_calibration"):
        RunContext.from_dict({**CTX, "p_any_calibration": "{broken"})
    with pytest.raises(Exception):  # frozen
        ctx.radius_arcsec = 15.0  # type: ignore[misc]


def test_differences_name_what_changed():
    ctx = RunContext.from_dict(CTX)
    other = replace(ctx, radius_arcsec=15.0, counterpart_sha="d" * 16, input_sha="b" * 64)
    what = differences(ctx.identity(), other.identity())
    assert what == ['search radius (20" then, 15" now)', "input (its content)", "counterpart model"]
    assert differences(ctx.identity(), ctx.identity()) == []


def test_configure_refuses_another_radius():
    from xrbvo.pipeline import PipelineConfig

    cfg = PipelineConfig(radius_arcsec=20.0)
    ctx = RunContext.from_dict({**CTX, "association": repr(cfg.association)})
    got = ctx.configure(cfg)
    assert got.object_density_arcsec2 == CTX["object_density_arcsec2"]
    assert dict(got.association.global_counts)["gaia"] == (12, 3456.25)
    with pytest.raises(InputError, match="search radius"):
        ctx.configure(PipelineConfig(radius_arcsec=15.0))


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                     max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(sorted(CTX)), value=_json)
def test_a_hand_edited_context_is_one_line_or_a_valid_context(key, value):
    doc = {**CTX, key: value}
    try:
        ctx = RunContext.from_json(json.dumps(doc))
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert RunContext.from_json(ctx.to_json()) == ctx


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_damaged_context_bytes_are_one_line(data):
    with pytest.raises(InputError):
        RunContext.from_json(data)


# ---------------------------------------------------------------------------------------------
# the output directory (issue 26 items 5, 13, 14)


def test_a_lock_naming_an_impossible_pid_is_stale_not_a_traceback(tmp_path):
    from xrbvo.io import output_lock

    (tmp_path / ".xrbvo.lock").write_text(json.dumps({"format": "xrbvo-lock", "pid": 2**70,
                                                      "host": socket.gethostname(), "command": "run"}))
    with pytest.warns(XrbvoWarning, match="no longer runs"), output_lock(tmp_path, "run"):
        assert json.loads((tmp_path / ".xrbvo.lock").read_text())["pid"] == os.getpid()


def test_the_lock_sweep_leaves_a_writer_in_a_subdirectory_alone(tmp_path):
    from xrbvo.io import output_lock

    inner = tmp_path / "inner"
    inner.mkdir()
    live = inner / ".xrbvo-tmp-0123456789abcdef-manifest.json"  # another command's temporary, being written
    live.write_text("{}")
    own = tmp_path / ".xrbvo-tmp-0123456789abcdef-xrbvo_catalogue.fits"  # this directory's own debris
    own.write_text("x")
    with output_lock(tmp_path, "run"):
        pass
    assert live.exists() and not own.exists()


def test_replace_files_in_the_working_directory_keeps_it_and_leaves_no_lock(tmp_path, monkeypatch):
    from xrbvo.io import output_lock, replace_files

    d = tmp_path / "D"
    d.mkdir()
    (d / "old.json").write_text("old")
    inode = d.stat().st_ino
    monkeypatch.chdir(d)
    with output_lock(Path("."), "train"):
        replace_files(Path("."), {"model.json": "new", "old.json": "new"})
    assert os.getcwd() == str(d) and d.stat().st_ino == inode  # the shell's directory is the one written
    assert (d / "model.json").read_text() == "new" and (d / "old.json").read_text() == "new"
    assert not (d / ".xrbvo.lock").exists()


def test_tile_size_too_small_is_one_line(tmp_path, capsys):
    from xrbvo.cli.entry import main

    x = tmp_path / "x.csv"
    x.write_text("RA,DEC\n1,2\n")
    rc = main(["run", str(x), "--model", str(tmp_path), "--catalog", f"gaia={x}", "--out", str(tmp_path / "o"),
               "--tile-deg", "1e-300"])
    err = capsys.readouterr().err
    assert rc == 2 and "--tile-deg" in err and "Traceback" not in err


def test_an_unreachable_dask_scheduler_is_one_quick_line():
    pytest.importorskip("dask.distributed")
    from xrbvo.cli.commands.run import dask_client

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ServiceError, match="no Dask scheduler answers"):
        dask_client(f"tcp://127.0.0.1:{port}", timeout_s=1.0)


# ---------------------------------------------------------------------------------------------
# tiles: resume checks the whole context (issue 26 item 2 and "Also"), empty tiles, .tiles not a directory


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    """The demo's field as files, with one extra X-ray source far from every catalogue row (a tile of its own)."""
    from xrbvo.io import write_table
    from xrbvo.sim import SkyConfig, simulate_sky

    f = DEMO_FIELD
    sky = simulate_sky(SkyConfig(l_deg=f["l"], b_deg=f["b"], width_deg=f["width"], height_deg=f["height"],
                                 class_boost=f["boost"], seed=f["seed"]))
    d = tmp_path_factory.mktemp("ctxfield")
    x = sky.xray[::6]  # a few sources: tiles stay quick
    for name, t in [("xray", x), *sky.catalogs.items()]:
        write_table(t, d / f"{name}.fits")
    lone = x[:1].copy()
    for c in lone.colnames:
        if c.upper() == "RA":
            lone[c] = [float(np.asarray(x[c], float).mean())]
        if c.upper() == "DEC":
            lone[c] = [float(np.asarray(x[c], float).max()) + 3.0]  # 3 deg north of the field: no neighbour
        if c.upper() in ("IAUNAME", "XID", "NAME", "ID"):
            lone[c] = ["LONE"]
    if "LII" in lone.colnames:
        from astropy import units as u
        from astropy.coordinates import SkyCoord

        g = SkyCoord(float(lone["RA"][0]) * u.deg, float(lone["DEC"][0]) * u.deg).galactic
        lone["LII"], lone["BII"] = [g.l.deg], [g.b.deg]
    from astropy.table import vstack

    write_table(vstack([x, lone]), d / "xray_lone.fits")
    return d


def _run(field, bundle, out, *, xray="xray.fits", tile_deg=0.5, cancel_after=None):
    import threading

    from xrbvo.io import read_table
    from xrbvo.stages.neighbourhoods.local import LocalProvider
    from xrbvo.workflows.tiles import run_tiled

    cancel = threading.Event()
    done = []

    def tiles(msg, frac):
        if msg.startswith("tile "):
            done.append(msg)
            if cancel_after is not None and len(done) >= cancel_after:
                cancel.set()

    prov = LocalProvider({s: field / f"{s}.fits" for s in ("gaia", "2mass", "catwise")})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*no neighbour in any survey.*")
        return run_tiled(read_table(field / xray), prov, bundle, out=out, tile_deg=tile_deg, source=xray,
                         progress={"tiles": tiles}, cancel=cancel)


def _interrupted(field, bundle, out):
    from xrbvo.core.errors import Cancelled

    with pytest.raises(Cancelled):
        _run(field, bundle, out, cancel_after=2)
    m = json.loads((out / ".tiles" / "manifest.json").read_text())
    assert len(m["finished"]) == 2
    return m


def _other_counterpart_model(bundle):
    other = copy.copy(bundle.counterpart)
    other.train_odds_ = float(bundle.counterpart.train_odds_) * 3.0  # another counterpart model
    return replace(bundle, counterpart=other)


@pytest.mark.slow
def test_tiled_resume_with_another_counterpart_model_starts_afresh(demo_run, field, tmp_path):
    from xrbvo.workflows import ModelBundle

    bundle = ModelBundle.load(demo_run / "model")
    out = tmp_path / "out"
    _interrupted(field, bundle, out)
    other = _other_counterpart_model(bundle)
    with pytest.warns(XrbvoWarning, match="another counterpart model left 2 finished tiles"):
        run = _run(field, other, out)
    assert run.finished_before == ()
    clean = _run(field, other, tmp_path / "clean")
    assert np.array_equal(np.asarray(run.analysis.catalogue["P_HMXB"]), np.asarray(clean.analysis.catalogue["P_HMXB"]))


@pytest.mark.slow
def test_tiled_resume_sees_a_catalogue_edited_in_place_with_its_time_restored(demo_run, field, tmp_path):
    import shutil

    from xrbvo.workflows import ModelBundle

    bundle = ModelBundle.load(demo_run / "model")
    f2 = tmp_path / "field"
    shutil.copytree(field, f2)
    out = tmp_path / "out"
    _interrupted(f2, bundle, out)
    g = f2 / "gaia.fits"
    st_before = g.stat()
    from xrbvo.io import read_table, write_table

    t = read_table(g)
    write_table(t[: len(t) // 2], g)  # half the Gaia stars gone, same name, same time
    os.utime(g, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))
    with pytest.warns(XrbvoWarning, match="another survey data"):
        run = _run(f2, bundle, out)
    assert run.finished_before == ()


@pytest.mark.slow
def test_another_input_into_the_same_out_says_the_earlier_tiles_are_removed(demo_run, field, tmp_path):
    from xrbvo.workflows import ModelBundle

    bundle = ModelBundle.load(demo_run / "model")
    out = tmp_path / "out"
    _interrupted(field, bundle, out)
    with pytest.warns(XrbvoWarning, match=r"another .*input .*left 2 finished tiles .* removed"):
        _run(field, bundle, out, xray="xray_lone.fits", tile_deg=5.0)


@pytest.mark.slow
def test_a_tile_whose_sources_have_no_neighbour_at_all_works(demo_run, field, tmp_path):
    from xrbvo.workflows import ModelBundle

    run = _run(field, ModelBundle.load(demo_run / "model"), tmp_path / "out", xray="xray_lone.fits")
    cat = run.analysis.catalogue
    assert str(cat["xid"][-1]) == "LONE" and not bool(cat["coverage"][-1]) and len(run.tiles) >= 2


@pytest.mark.slow
def test_a_corrupt_finished_tile_is_computed_again(demo_run, field, tmp_path):
    from xrbvo.core.errors import Cancelled
    from xrbvo.workflows import ModelBundle

    bundle = ModelBundle.load(demo_run / "model")
    out = tmp_path / "out"
    clean = _run(field, bundle, tmp_path / "clean")
    with pytest.raises(Cancelled):
        _run(field, bundle, out, cancel_after=2)
    m = json.loads((out / ".tiles" / "manifest.json").read_text())
    (out / ".tiles" / f"{m['finished'][0]}.catalogue.parquet").write_bytes(b"PAR1 not a parquet file")
    with pytest.warns(XrbvoWarning, match="damaged or missing; computing it again"):
        run = _run(field, bundle, out)
    assert run.finished_before == (m["finished"][1],) and m["finished"][0] in run.computed
    for c in ("P_HMXB", "p_any", "candidate_class"):
        a, b = np.asarray(run.analysis.catalogue[c]), np.asarray(clean.analysis.catalogue[c])
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), c


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["link", "file"])
def test_a_tiles_path_that_is_not_a_directory_is_one_line(demo_run, field, tmp_path, kind):
    from xrbvo.workflows import ModelBundle

    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    if kind == "link":
        (out / ".tiles").symlink_to(elsewhere)
    else:
        (out / ".tiles").write_text("a file")
    with pytest.raises(InputError, match=r"\.tiles is a (symbolic link|file)"):
        _run(field, ModelBundle.load(demo_run / "model"), out)
    assert (elsewhere / "keep.txt").read_text() == "mine"


# ---------------------------------------------------------------------------------------------
# explore sessions (issue 26 item 8, explore --radius)


@pytest.fixture(scope="module")
def sky():
    from xrbvo.sim import SkyConfig, simulate_sky

    f = DEMO_FIELD
    return simulate_sky(SkyConfig(l_deg=f["l"], b_deg=f["b"], width_deg=f["width"], height_deg=f["height"],
                                  class_boost=f["boost"], seed=f["seed"]))


def _scorer(sky, bundle, xray, radius=20.0):
    from xrbvo.stages.neighbourhoods.sim import SimProvider
    from xrbvo.workflows.live import LiveScorer
    from xrbvo.workflows.analyse import pipeline_config

    return LiveScorer(xray, bundle, SimProvider(sky), source="list.fits",
                      config=pipeline_config(bundle, radius_arcsec=radius))


@pytest.fixture(scope="module")
def session(demo_run, sky, tmp_path_factory):
    """A saved explore session of 12 sources of the demo field, two scored."""
    from xrbvo.workflows.live import session_path
    from xrbvo.workflows import ModelBundle

    bundle = ModelBundle.load(demo_run / "model")
    x = sky.xray[:12]
    sc = _scorer(sky, bundle, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XrbvoWarning)
        sc.score(list(sc.xids[:2]))
    path = sc.save(session_path(tmp_path_factory.mktemp("session") / "list.fits"))
    return bundle, x, path


@pytest.mark.slow
def test_a_session_resumes_with_its_context_and_no_pull(session, sky):
    bundle, x, path = session
    sc = _scorer(sky, bundle, x)
    assert sc.resume(path) == 2 and sc.context_ready
    assert sc.run_context is not None and sc.run_context.radius_arcsec == 20.0


@pytest.mark.slow
def test_a_session_of_a_list_with_a_moved_source_is_not_shown(session, sky):
    bundle, x, path = session
    moved = x.copy()
    ra = [c for c in moved.colnames if c.upper() == "RA"][0]
    moved[ra][0] = float(moved[ra][0]) + 1.0  # one source moved 1 deg
    sc = _scorer(sky, bundle, moved)
    with pytest.raises(InputError, match="another input") as e:
        sc.resume(path)
    assert "\n" not in str(e.value) and sc.result(str(sc.xids[0])) is None


@pytest.mark.slow
def test_a_session_at_another_radius_is_refused(session, sky):
    bundle, x, path = session
    sc = _scorer(sky, bundle, x, radius=15.0)
    with pytest.raises(InputError, match="search radius"):
        sc.resume(path)


def test_explore_takes_radius_like_run():
    import argparse

    from xrbvo.cli.commands import explore, run

    pe, pr = argparse.ArgumentParser(), argparse.ArgumentParser()
    explore.add_arguments(pe)
    run.add_arguments(pr)
    a = pe.parse_args(["--model", "m", "--radius", "15"])
    assert a.radius == 15.0
    assert pe.parse_args(["--model", "m"]).radius == pr.parse_args(["x", "--model", "m"]).radius


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edit=st.sampled_from(["truncate", "garbage", "json", "identity", "context", "empty"]),
       data=st.binary(min_size=0, max_size=64), value=_json)
def test_a_damaged_or_hand_edited_session_is_one_line(session, sky, tmp_path, edit, data, value):
    import shutil

    from xrbvo.workflows.live import session_context_path

    bundle, x, path = session
    import tempfile

    d = Path(tempfile.mkdtemp(dir=tmp_path))
    for f in path.parent.iterdir():
        shutil.copy(f, d / f.name)
    p = d / path.name
    cp = session_context_path(p)
    doc = json.loads(cp.read_text())
    if edit == "truncate":
        raw = p.read_bytes()
        p.write_bytes(raw[: len(raw) * len(data) // 65])
    elif edit == "garbage":
        cp.write_bytes(data)
    elif edit == "json":
        cp.write_text(json.dumps(value))
    elif edit == "identity":
        doc["identity"] = value if not isinstance(value, dict) else {**doc["identity"], **value}
        cp.write_text(json.dumps(doc))
    elif edit == "context":
        if doc["context"] is not None and isinstance(value, dict):
            doc["context"] = {**doc["context"], **value}
        else:
            doc["context"] = value
        cp.write_text(json.dumps(doc))
    else:
        p.write_bytes(b"")
    sc = _scorer(sky, bundle, x)
    try:
        n = sc.resume(p)
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert 0 <= n <= 2
