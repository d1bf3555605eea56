"""xrbvo.tui.prerender: a Rich table laid out once (in a worker thread) shows exactly as Textual shows it."""

from __future__ import annotations

import asyncio
import threading

from rich.console import Group
from textual.app import App
from textual.geometry import Region
from textual.widgets import Static

from _synthetic import synthetic_catalogue
from xrbvo.tui.data import CatalogueData
from xrbvo.tui.prerender import Prerendered
from xrbvo.tui.render import class_bars, counterparts_table


class _Two(App):
    CSS = "Static { width: 1fr; }"

    def compose(self):
        yield Static("", id="plain")
        yield Static("", id="pre")


def _lines(w: Static) -> list[list[tuple[str, str]]]:
    return [[(s.text, str(s.style)) for s in strip] for strip in w.render_lines(Region(0, 0, w.size.width,
                                                                                        w.size.height))]


def test_prerendered_shows_as_textual_renders_it_at_any_width():
    s = synthetic_catalogue(30, seed=3)
    data = CatalogueData(s.catalogue, counterparts=s.counterparts, neighbours=s.neighbours)
    rows = [r for r in range(data.n) if len(data.detail(r).candidates or []) > 1]
    d = data.detail(rows[0])
    app = _Two()

    async def go():
        async with app.run_test(size=(90, 70)) as pilot:
            await pilot.pause()
            plain, pre = app.query_one("#plain", Static), app.query_one("#pre", Static)
            width = pre.size.width
            made = {}

            def worker():  # as the prefetch worker does: no widget touched
                made["v"] = Prerendered(Group(class_bars(d), counterparts_table(d)), width, options)

            options = app.console_options
            t = threading.Thread(target=worker)
            t.start()
            t.join()
            plain.update(Group(class_bars(d), counterparts_table(d)))
            pre.update(made["v"])
            await pilot.pause()
            assert made["v"].width == width and len(made["v"].lines) == pre.size.height > 10
            assert _lines(pre) == _lines(plain)
            await pilot.resize_terminal(60, 70)  # another width: laid out again, still the same
            await pilot.pause()
            assert pre.size.width != width and _lines(pre) == _lines(plain)

    asyncio.run(go())
