"""The TUI's domain layer (no textual): loading, view, marks, export, details, SAMP adapter, headless import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from _synthetic import synthetic_catalogue, write_synthetic
from xrbvo.core.errors import InputError, XrbvoError
from xrbvo.io import read_table
from xrbvo.tui.data import CatalogueData, TableView, companion_paths, load_catalogue, write_neighbours
from xrbvo.tui.marks import MarkStore
from xrbvo.tui.render import counterparts_table, detail_renderable, features_text, known_text, sky_plot
from xrbvo.tui.samp_bridge import SampBridge, SampUnavailable

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def syn():
    return synthetic_catalogue(300, seed=5)


@pytest.fixture
def cat_path(tmp_path):
    return write_synthetic(tmp_path, 300, seed=5, name="field_catalogue")


def test_headless_import_leaves_textual_out():
    code = ("import sys; import xrbvo.pipeline, xrbvo.stages.catalogue, xrbvo.tui, xrbvo.tui.data, xrbvo.tui.render, "
            "xrbvo.tui.samp_bridge, xrbvo.tui.filterlang, xrbvo.cli.commands.tui, xrbvo.cli.entry; xrbvo.cli.entry.build_parser(); "
            "print('textual' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_companions_are_found_next_to_the_catalogue(cat_path):
    comp = companion_paths(cat_path)
    assert comp.counterparts == cat_path.with_name("field_counterparts.fits")
    assert comp.neighbours == cat_path.with_name("field_neighbours.fits")
    assert comp.marks == cat_path.with_name("field_catalogue.marks.json")
    assert companion_paths(cat_path.with_name("field_catalogue.csv")).marks == comp.marks


def test_view_sorts_filters_and_searches(syn):
    data = CatalogueData(syn.catalogue)
    view = TableView(data)
    p = data.column("P_HMXB")
    assert view.sort_column == "P_HMXB" and view.shown == 300
    assert np.all(np.diff(p[view.rows]) <= 0)
    view.set_sort("P_HMXB")  # again: reverse
    assert not view.descending and np.all(np.diff(p[view.rows]) >= 0)
    view.set_sort("predicted_class", descending=False)
    cls = data.column("predicted_class")[view.rows]
    assert list(cls) == sorted(cls)
    view.set_filter("P_HMXB > 0.3 and abs(b) < 1")
    expect = np.flatnonzero((p > 0.3) & (np.abs(data.column("b")) < 1))
    assert sorted(view.rows.tolist()) == expect.tolist()
    xid = str(data.xid[expect[0]])
    view.set_search(xid[-6:].lower())
    assert xid in data.xid[view.rows]
    assert all(xid[-6:] in x for x in data.xid[view.rows])
    view.set_search("")
    with pytest.raises(XrbvoError):
        view.set_filter("P_HMXB >")
    assert view.shown == len(expect)  # the previous filter stays
    view.set_filter(None)
    assert view.shown == 300


def test_missing_values_sort_last_both_ways():
    t = Table({"xid": ["a", "b", "c", "d"], "P_HMXB": [0.2, np.nan, 0.9, 0.5]})
    view = TableView(CatalogueData(t))
    assert view.rows.tolist() == [2, 3, 0, 1]
    view.set_sort("P_HMXB", descending=False)
    assert view.rows.tolist() == [0, 3, 2, 1]


def test_marks_are_saved_atomically_and_reloaded(tmp_path):
    path = tmp_path / "cat.marks.json"
    store = MarkStore(path)
    store.set("X1", "candidate", "Be star?")
    store.set("X2", "rejected", "AGN behind the plane")
    doc = json.loads(path.read_text())
    assert doc["marks"]["X1"]["status"] == "candidate" and doc["marks"]["X2"]["note"].startswith("AGN")
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind (they are hidden files)
    again = MarkStore(path)
    assert again.get("X1")["note"] == "Be star?" and len(again) == 2
    assert again.clear("X2") and not again.clear("X2")
    assert "X2" not in MarkStore(path)
    with pytest.raises(InputError, match="unknown"):
        store.set("X1", "maybe")


def test_a_damaged_marks_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "cat.marks.json"
    path.write_text("{not json")
    with pytest.raises(InputError) as err:
        MarkStore(path)
    assert str(path) in str(err.value) and "move it away" in str(err.value)


def test_marks_feed_filters_and_export(cat_path, tmp_path):
    data = load_catalogue(cat_path)
    view = TableView(data)
    x0, x1 = str(data.xid[view.rows[0]]), str(data.xid[view.rows[5]])
    data.marks.set(x0, "candidate", "first")
    data.marks.set(x1, "rejected", "")
    view.set_filter('mark == "candidate"')
    assert data.xid[view.rows].tolist() == [x0]
    data.marks.clear(x0)
    view.refresh_filter()
    assert view.shown == 0
    out = data.export(data.marked_rows(), tmp_path / "marked.vot")
    back = read_table(out)
    assert back["xid"].tolist() == [x1] and back["mark"].tolist() == ["rejected"]
    assert "P_HMXB" in back.colnames
    with pytest.raises(InputError, match="nothing to export"):
        data.export([], tmp_path / "none.fits")
    # a fresh load sees the marks kept in the side file
    assert load_catalogue(cat_path).marks.get(x1)["status"] == "rejected"


def test_detail_has_counterparts_magnitudes_and_neighbours(cat_path):
    data = load_catalogue(cat_path)
    row = int(np.argmax(data.column("n_candidates")))
    d = data.detail(row)
    assert d.candidates and d.candidates[0].rank == 1
    assert abs(sum(c.p_i for c in d.candidates) - 1) < 1e-6
    assert d.candidates[0].p_i == max(c.p_i for c in d.candidates)
    assert any(c.mags for c in d.candidates)
    assert d.neighbours and len(d.neighbours) == int(data.column("n_candidates")[row])
    # offsets agree with the tabulated separations
    nb = data.neighbours
    for n in d.neighbours:
        sep = float(nb["sep"][np.flatnonzero(nb["nid"] == n.nid)[0]])
        assert abs(np.hypot(n.dx_arcsec, n.dy_arcsec) - sep) < 0.05 * sep + 0.01
    assert d.top_features and "not available" not in features_text(d).plain
    plot = sky_plot(d).plain
    assert "+" in plot and any(ch in plot for ch in "G2W")
    assert "class-conditional probabilities: not available" in str(counterparts_table(d).caption)


def test_missing_optional_parts_are_marked_not_available(syn):
    cat = syn.catalogue.copy()
    del cat["top_features"]
    data = CatalogueData(cat)
    d = data.detail(0)
    assert d.candidates is None and d.neighbours is None and d.top_features is None and d.known is None
    text = " ".join(d.missing)
    for part in ("counterparts", "sky plot", "explanations"):
        assert part in text
    for r in (features_text(d), sky_plot(d), counterparts_table(d), known_text(d)):
        assert "not available" in r.plain
    import io

    from rich.console import Console

    con = Console(width=90, record=True, file=io.StringIO())
    con.print(detail_renderable(d))
    assert "not available" in con.export_text()


def test_known_objects_are_matched_by_position(syn):
    cat = syn.catalogue
    known = Table({"Name": ["4U 1234-56", "far away"], "Type": ["HMXB", "LMXB"],
                   "RAJ2000": [cat["ra"][7] + 1.0 / 3600, 10.0], "DEJ2000": [cat["dec"][7], -80.0]})
    data = CatalogueData(cat, known=known)
    d = data.detail(7)
    assert [k.name for k in d.known] == ["4U 1234-56"] and d.known[0].kind == "HMXB"
    assert 0.3 < d.known[0].sep_arcsec < 1.1
    assert data.detail(8).known == [] or all(k.name != "far away" for k in data.detail(8).known)
    with pytest.raises(XrbvoError, match="RA/Dec"):
        CatalogueData(cat, known=Table({"name": ["x"]}))


def test_write_neighbours_round_trip(syn, tmp_path):
    nb = syn.neighbours
    per = {s: nb[nb["survey"] == s] for s in ("gaia", "2mass")}
    for s in per:
        del per[s]["survey"]
    path = write_neighbours(per, tmp_path / "x_neighbours.fits")
    back = read_table(path)
    assert len(back) == sum(len(t) for t in per.values())
    assert set(np.char.strip(np.asarray(back["survey"]).astype(str))) == {"gaia", "2mass"}


def test_catalogue_without_xid_is_refused():
    with pytest.raises(XrbvoError, match="xid"):
        CatalogueData(Table({"ra": [1.0]}))


def test_samp_bridge_without_module_or_hub_degrades(tmp_path):
    bridge = SampBridge(module="xrbvo.vo.no_such_samp_module")
    with pytest.raises(SampUnavailable) as err:
        bridge.connect()
    assert "not installed" in str(err.value) and "not available" in bridge.status
    with pytest.raises(SampUnavailable):
        bridge.point_at(10.0, -60.0)
    assert isinstance(err.value, XrbvoError)
    # the real SAMP module, pointed at a hub lockfile that does not exist
    try:
        import xrbvo.vo.samp  # noqa: F401
    except ImportError:
        return
    bridge = SampBridge(lockfile=tmp_path / "no-hub-here")
    with pytest.raises(SampUnavailable):
        bridge.connect()
    assert "no hub" in bridge.status


def test_samp_bridge_maps_sent_rows_back_to_catalogue_rows(tmp_path):
    bridge = SampBridge(catalogue_path=tmp_path / "c.fits")
    bridge._sent = ("tid", "file:///tmp/x.vot", np.array([40, 7, 13]))
    assert bridge.catalogue_row("tid", None, 1) == 7
    assert bridge.catalogue_row(None, "file:///tmp/x.vot", 2) == 13
    assert bridge.catalogue_row("tid", None, 3) is None
    assert bridge.catalogue_row("other", None, 1) is None
    assert bridge.catalogue_row(None, (tmp_path / "c.fits").resolve().as_uri(), 5) == 5


def test_default_columns_show_purity_and_known_or_new_when_the_run_gave_them(syn):
    """A run's catalogue with --known: the source table shows expected_purity, known_name and new by default."""
    t = syn.catalogue.copy()
    assert "expected_purity" not in CatalogueData(t).default_columns()
    t["expected_purity"] = np.linspace(0.5, 1.0, len(t))
    t["known_name"] = np.array(["GX 301-2"] + [""] * (len(t) - 1))
    t["new"] = np.array([False] + [True] * (len(t) - 1))
    cols = CatalogueData(t).default_columns()
    assert cols.index("candidate_class") < cols.index("expected_purity") < cols.index("known_name") \
        < cols.index("new")


def test_known_and_class_conditional_columns_of_a_run_are_shown(cat_path):
    """A run with --known writes known_name/known_class/known_sep, and class-aware counterparts write
    P_<class>_CTPT with the combination it is for (ctp_<class>) to the catalogue, not to the counterparts
    table: the pane shows them instead of "not available"."""
    data = load_catalogue(cat_path)
    row = int(np.argmax(data.column("n_candidates")))
    second = data.detail(row).candidates[1]
    label = ";".join(f"{s}:{n}" for s, n in second.ids.items() if n) or "none"
    cat = data.table
    n = len(cat)
    cat["known_name"] = np.where(np.arange(n) == row, "4U 1234-56", "")
    cat["known_class"] = np.where(np.arange(n) == row, "HMXB", "")
    cat["known_sep"] = np.where(np.arange(n) == row, 1.5, np.nan)
    cat["ctp_HMXB"] = np.where(np.arange(n) == row, label, "none")
    cat["P_HMXB_CTPT"] = np.where(np.arange(n) == row, 0.875, 0.5)
    data = CatalogueData(cat, counterparts=data.counterparts, neighbours=data.neighbours)
    d = data.detail(row)
    assert [(k.name, k.kind, k.sep_arcsec) for k in d.known] == [("4U 1234-56", "HMXB", 1.5)]
    assert "4U 1234-56" in known_text(d).plain and "not available" not in known_text(d).plain
    assert data.detail((row + 1) % n).known == []
    assert [c.class_probs for c in d.candidates[:2]] == [{}, {"P_HMXB_CTPT": 0.875}]
    table = counterparts_table(d)
    assert "not available" not in str(table.caption or "")
    import io

    from rich.console import Console

    con = Console(width=120, record=True, file=io.StringIO())
    con.print(table)
    shown = con.export_text()
    assert "P|HMXB" in shown and "0.875" in shown, shown
