"""Pilot tests of the Textual app: navigation, sorting, filtering, marking, export, help; snapshots."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from _synthetic import write_synthetic
from xrbvo.io import read_table
from xrbvo.tui import create_app
from xrbvo.tui.app import HelpScreen, PromptScreen, SourceTable

SIZE = (150, 44)


@pytest.fixture
def cat_path(tmp_path):
    return write_synthetic(tmp_path, 120, seed=9, name="field_catalogue")


def run(coro):
    return asyncio.run(coro)


def status(app) -> str:
    return str(app.query_one("#status").render())


def test_navigation_moves_cursor_and_detail(cat_path):
    app = create_app(cat_path, samp=False)

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            table = app.query_one(SourceTable)
            first = table.row
            assert first == int(app.view.rows[0])
            assert str(app.data.xid[first]) in str(app.query_one("#d-xray").render())
            await pilot.press("down", "down")
            assert table.cursor == 2 and app.current_row == int(app.view.rows[2])
            assert str(app.data.xid[app.current_row]) in str(app.query_one("#d-xray").render())
            await pilot.press("end")
            assert table.cursor == app.view.shown - 1
            await pilot.press("home", "pagedown")
            assert table.cursor > 5
            await pilot.press("up")
            assert "SAMP off" in status(app)
    run(go())


def test_sorting_by_column_cursor_and_by_name(cat_path):
    app = create_app(cat_path, samp=False)

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "sort P_HMXB ▼" in status(app)
            p = app.data.column("P_HMXB")[app.view.rows]
            assert np.all(np.diff(p) <= 0)
            # column cursor to "b" (third column), sort, then reverse
            await pilot.press("right", "right", "s")
            assert app.view.sort_column == "b" and app.view.descending
            await pilot.press("s")
            assert not app.view.descending
            b = app.data.column("b")[app.view.rows]
            assert np.all(np.diff(b) >= 0)
            assert "sort b ▲" in status(app)
            # sort by any column by name, smallest first
            await pilot.press("o")
            assert isinstance(app.screen, PromptScreen)
            inp = app.screen.query_one("Input")
            inp.value = "-flux_hard"
            await pilot.press("enter")
            await pilot.pause()
            assert app.view.sort_column == "flux_hard" and not app.view.descending
            f = app.data.column("flux_hard")[app.view.rows]
            assert np.all(np.diff(f) >= 0)
    run(go())


def test_filter_counts_and_bad_filter_keeps_previous(cat_path):
    app = create_app(cat_path, samp=False)

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("slash")
            await pilot.press(*"P_HMXB > 0.2 and abs(b) < 1")
            await pilot.press("enter")
            p, b = app.data.column("P_HMXB"), app.data.column("b")
            n = int(np.sum((p > 0.2) & (np.abs(b) < 1)))
            assert 0 < n < 120
            assert app.view.shown == n and f"{n}/120 shown" in status(app).replace(",", "")
            assert isinstance(app.focused, SourceTable)
            await pilot.press("slash", "ctrl+a")
            app.query_one("#filter").value = "P_HMXB >>> 2"
            await pilot.press("enter")
            await pilot.pause()
            assert app.view.shown == n  # unchanged
            assert any("not a valid expression" in str(note.message) for note in app._notifications)
            # find by name narrows further
            xid = str(app.data.xid[app.view.rows[0]])
            await pilot.press("escape", "f")
            await pilot.press(*xid[-9:])
            await pilot.pause()
            assert app.view.shown >= 1 and all(xid[-9:] in x for x in app.data.xid[app.view.rows])
    run(go())


def test_marking_writes_the_side_file_and_export(cat_path, tmp_path):
    app = create_app(cat_path, samp=False)
    marks_file = cat_path.with_name("field_catalogue.marks.json")

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            x0 = str(app.data.xid[app.query_one(SourceTable).row])
            await pilot.press("c")
            assert isinstance(app.screen, PromptScreen)
            await pilot.press(*"Be star")
            await pilot.press("enter")
            await pilot.pause()
            doc = json.loads(marks_file.read_text())  # written at once, before exit
            assert doc["marks"][x0] == {**doc["marks"][x0], "status": "candidate", "note": "Be star"}
            assert "candidate: Be star" in str(app.query_one("#d-xray").render())
            await pilot.press("down", "x", "enter")
            await pilot.pause()
            x1 = str(app.data.xid[app.query_one(SourceTable).row])
            assert json.loads(marks_file.read_text())["marks"][x1]["status"] == "rejected"
            assert "marks 2" in status(app)
            # escape cancels: no mark
            await pilot.press("down", "c", "escape")
            await pilot.pause()
            assert len(json.loads(marks_file.read_text())["marks"]) == 2
            # export the marked rows
            out = tmp_path / "marked.csv"
            await pilot.press("E")
            app.screen.query_one("Input").value = str(out)
            await pilot.press("enter")
            for _ in range(50):
                await pilot.pause(0.1)
                if out.exists():
                    break
            await app.workers.wait_for_complete()
            back = read_table(out)
            assert sorted(back["xid"].tolist()) == sorted([x0, x1])
            assert dict(zip(back["xid"], back["mark"])) == {x0: "candidate", x1: "rejected"}
            # unmark, then export the filtered rows
            await pilot.press("up", "u")
            await pilot.pause()
            assert x1 not in json.loads(marks_file.read_text())["marks"]
            app.query_one("#filter").value = "P_HMXB > 0.3"
            await pilot.press("slash", "enter")
            shown = app.view.shown
            out2 = tmp_path / "shown.fits"
            await pilot.press("e")
            app.screen.query_one("Input").value = str(out2)
            await pilot.press("enter")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(read_table(out2)) == shown
    run(go())
    # a new session sees the marks
    again = create_app(cat_path, samp=False)
    assert again.data.marks.get(str(again.data.xid[again.view.rows[0]]))["note"] == "Be star"


def test_help_screen_and_samp_actions_without_hub(cat_path):
    app = create_app(cat_path, samp=False)

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            text = str(app.screen.query_one("#help-text").render())
            for word in ("filter", "TOPCAT", "Aladin", "candidate", "export"):
                assert word in text
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)
            # SAMP actions without SAMP: notifications, no crash
            await pilot.press("t", "a", "h")
            await app.workers.wait_for_complete()
            await pilot.pause()
            errors = [n for n in app._notifications if n.severity == "error"]
            assert len(errors) >= 3 and all("SAMP" in (n.title or "") for n in errors)
            assert app.is_running
    run(go())


def test_row_highlighted_elsewhere_selects_the_source(cat_path):
    app = create_app(cat_path, samp=False)

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.query_one("#filter").value = "P_HMXB > 0.4"
            await pilot.press("slash", "enter")
            hidden = int(np.flatnonzero(app.data.column("P_HMXB") <= 0.4)[0])
            app._row_from_samp_thread(hidden)  # what the SAMP thread does
            await pilot.pause()
            await pilot.pause()
            assert app.current_row == hidden and app.view.filter is None
    run(go())


def test_catalogue_without_optional_parts_opens(tmp_path):
    path = write_synthetic(tmp_path, 40, seed=2, name="bare", explanations=False, companions=False)
    app = create_app(path, samp=False)

    async def go():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            for wid in ("#d-features", "#d-counterparts", "#d-sky", "#d-known"):
                assert "not available" in str(app.query_one(wid).render())
    run(go())


# -- snapshots (pytest-textual-snapshot); review the SVGs before updating them ------------------

def _snapshot_app(tmp_path):
    path = write_synthetic(tmp_path, 60, seed=4, name="snap_catalogue")
    return create_app(path, samp=False)


def test_snapshot_main_screen(snap_compare, tmp_path):
    app = _snapshot_app(tmp_path)

    async def before(pilot):
        await pilot.press("down", "down")
        await pilot.pause()
        app.query_one("#status").update(status(app).split("  │  ", 1)[1])  # tmp path name varies

    assert snap_compare(app, terminal_size=(160, 46), run_before=before)


def test_snapshot_detail_pane_filtered(snap_compare, tmp_path):
    app = _snapshot_app(tmp_path)

    async def before(pilot):
        app.query_one("#filter").value = 'P_max > 0.4 and abs(b) < 1.5'
        await pilot.press("slash", "enter", "down")
        await pilot.pause()
        app.query_one("#status").update(status(app).split("  │  ", 1)[1])
        app.query_one("#detail").scroll_end(animate=False)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 46), run_before=before)
