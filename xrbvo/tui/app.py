"""The Textual app: source table, detail pane, actions, SAMP.

:func:`create_app` is the one factory the CLI (``xrbvo tui``) and the tests
share.  The source table is a Line-API widget that formats only the rows on
screen, so its cost does not grow with the catalogue; sorting and filtering are
numpy operations in :class:`~xrbvo.tui.data.TableView`.  SAMP calls and exports
run in thread workers that never touch widgets: they post messages that the app
handles in its own thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Input, Static

from xrbvo.core.errors import XrbvoError
from xrbvo.core.text import for_console, one_line
from xrbvo.tui.data import CatalogueData, TableView, companion_paths, load_catalogue
from xrbvo.tui.filterlang import FUNCTIONS
from xrbvo.tui.render import class_bars, counterparts_table, features_text, format_value, known_text, sky_plot, xray_text
from xrbvo.tui.samp_bridge import NullBridge, SampBridge

__all__ = ["XrbvoApp", "SourceTable", "create_app", "HELP_TEXT"]

_TEXT_KINDS = "USO"


class SourceTable(ScrollView, can_focus=True):
    """The catalogue as a virtualised table: only visible rows are formatted.

    The first line is the header; ``left``/``right`` move the column cursor
    and ``s`` sorts by that column (again: reverse).

    Parameters
    ----------
    view : TableView
        The table's rows, order and filter.
    columns : list[str]
        Column names.
    **kwargs
        Passed to the Textual widget.
    """

    DEFAULT_CSS = """
    SourceTable { height: 1fr; }
    """

    BINDINGS = [
        Binding("up", "cursor(-1)", "up", show=False),
        Binding("down", "cursor(1)", "down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("home", "jump(0)", "first", show=False),
        Binding("end", "jump(-1)", "last", show=False),
        Binding("left", "column(-1)", "column left", show=False),
        Binding("right", "column(1)", "column right", show=False),
        Binding("s", "sort_column", "sort"),
    ]

    class Highlighted(Message):
        """The cursor moved to another source (``row``: catalogue row, or None when nothing is shown)."""

        def __init__(self, row: int | None) -> None:
            super().__init__()
            self.row = row

    class SortChanged(Message):
        """The user sorted by another column."""

    def __init__(self, view: TableView, columns: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.view = view
        self.columns = columns
        self.cursor = 0
        self.col_cursor = 0
        self._widths = [self._width_of(c) for c in columns]
        self._last_emitted: int | None = -1
        self._update_virtual_size()

    # -- geometry ----------------------------------------------------------------------
    def _width_of(self, name: str) -> int:
        data = self.view.data
        arr = data.column(name)
        sample = arr[: min(len(arr), 300)]
        if arr.dtype.kind in _TEXT_KINDS:
            w = max([len(str(v)) for v in sample] + [len(name) + 2, 4])
            return min(w, 26)
        w = max([len(format_value(v)) for v in sample] + [len(name) + 2, 5])
        return min(w, 12)

    def _update_virtual_size(self) -> None:
        width = sum(self._widths) + len(self._widths) + 1
        self.virtual_size = Size(width, self.view.shown + 1)

    @property
    def row(self) -> int | None:
        """Catalogue row under the cursor (None when no row is shown)."""
        if self.view.shown == 0:
            return None
        return int(self.view.rows[min(self.cursor, self.view.shown - 1)])

    def data_changed(self, *, keep_row: int | None = None) -> None:
        """Call after the view changed (filter, sort, marks): redraw, keep the source under the cursor."""
        pos = self.view.position_of(keep_row) if keep_row is not None else None
        self.cursor = pos if pos is not None else 0
        self._update_virtual_size()
        self._scroll_to_cursor()
        self.refresh()
        self._emit()

    def _emit(self) -> None:
        row = self.row
        if row != self._last_emitted:
            self._last_emitted = row
            self.post_message(self.Highlighted(row))

    def _scroll_to_cursor(self) -> None:
        body = max(1, self.size.height - 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)

    def move_to(self, position: int) -> None:
        """Put the cursor on display position ``position``."""
        n = self.view.shown
        old, top = self.cursor, self.scroll_offset
        self.cursor = 0 if n == 0 else max(0, min(n - 1, position))
        self._scroll_to_cursor()
        if self.scroll_offset == top:  # not scrolled: only the two cursor lines change
            self.refresh_line(old + 1)
            self.refresh_line(self.cursor + 1)
        else:
            self.refresh()
        self._emit()

    # -- actions -----------------------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, step: int) -> None:
        self.move_to(self.cursor + step * max(1, self.size.height - 2))

    def action_jump(self, where: int) -> None:
        self.move_to(0 if where == 0 else self.view.shown - 1)

    def action_column(self, step: int) -> None:
        self.col_cursor = max(0, min(len(self.columns) - 1, self.col_cursor + step))
        start = sum(self._widths[: self.col_cursor]) + self.col_cursor
        end = start + self._widths[self.col_cursor]
        if start < self.scroll_x:
            self.scroll_to(x=start, animate=False)
        elif end > self.scroll_x + self.size.width:
            self.scroll_to(x=end - self.size.width + 1, animate=False)
        self.refresh()

    def action_sort_column(self) -> None:
        keep = self.row
        self.view.set_sort(self.columns[self.col_cursor])
        self.data_changed(keep_row=keep)
        self.post_message(self.SortChanged())

    def on_click(self, event: events.Click) -> None:
        y = event.y
        if y == 0:
            x = event.x + int(self.scroll_x)
            acc = 0
            for i, w in enumerate(self._widths):
                if acc <= x < acc + w + 1:
                    self.col_cursor = i
                    self.action_sort_column()
                    return
                acc += w + 1
            return
        self.move_to(int(self.scroll_y) + y - 1)

    # -- rendering ---------------------------------------------------------------------
    def _cell(self, text: str, width: int, right: bool) -> str:
        if len(text) > width:
            text = text[: max(1, width - 1)] + "…"
        return text.rjust(width) if right else text.ljust(width)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        data = self.view.data
        if y == 0:
            segs = []
            for i, (name, w) in enumerate(zip(self.columns, self._widths)):
                label = one_line(name)
                if name == self.view.sort_column:
                    label += " ▼" if self.view.descending else " ▲"
                style = Style(bold=True, underline=i == self.col_cursor, color="bright_cyan" if
                              name == self.view.sort_column else None)
                segs.append(Segment(self._cell(label, w, False), style))
                segs.append(Segment(" "))
            return Strip(segs).crop_extend(scroll_x, scroll_x + width, Style(bold=True))
        pos = scroll_y + y - 1
        if pos >= self.view.shown:
            return Strip.blank(width)
        row = int(self.view.rows[pos])
        mark = data.marks.get(str(data.xid[row]))
        base = Style()
        if mark is not None:
            base = Style(color="green") if mark["status"] == "candidate" else Style(color="red", dim=True)
        if pos == self.cursor:
            base = base + Style(reverse=True, bold=self.has_focus)
        segs = []
        for name, w in zip(self.columns, self._widths):
            arr = data.column(name)
            v = arr[row]
            right = arr.dtype.kind not in _TEXT_KINDS
            segs.append(Segment(self._cell(format_value(v), w, right), base))
            segs.append(Segment(" ", base))
        return Strip(segs).crop_extend(scroll_x, scroll_x + width, base)

    def on_resize(self) -> None:
        self._scroll_to_cursor()


class PromptScreen(ModalScreen[str | None]):
    """A one-line question (note, path, column); Enter answers, Escape cancels."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical { width: 70; height: auto; border: round $accent; padding: 0 1;
                              background: $surface; }
    PromptScreen Input { margin: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, value: str = "", *, placeholder: str = "") -> None:
        super().__init__()
        self._title, self._value, self._placeholder = title, value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(for_console(self._title), id="prompt-title", markup=False)
            yield Input(value=self._value, placeholder=self._placeholder, id="prompt-input")
            yield Static("Enter: confirm   Esc: cancel", classes="dim")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


HELP_TEXT = """[b]xrbvo tui: keys[/b]

  [b]↑ ↓ PgUp PgDn Home End[/b]  move through the sources
  [b]← →[/b]   choose a column     [b]s[/b]  sort by it (again: reverse)
  [b]o[/b]     sort by any column (type its name; -NAME for ascending)
  [b]/[/b]     filter              [b]f[/b]  find sources by name (id contains)
  [b]Esc[/b]   back to the table
  [b]c[/b]     mark as candidate (with a note)
  [b]x[/b]     reject (with a note)         [b]u[/b]  remove the mark
  [b]e[/b]     export the shown rows        [b]E[/b]  export the marked rows
  [b]t[/b]     send the shown table to TOPCAT (SAMP)
  [b]h[/b]     highlight this source in TOPCAT
  [b]a[/b]     point Aladin at this source
  [b]?[/b]     this help                    [b]q[/b]  quit

Marks and notes are saved at once in a side file next to the catalogue
(NAME.marks.json). A row highlighted in TOPCAT selects the source here.

[b]Filter language[/b] (parsed safely, never evaluated as Python):
  P_HMXB > 0.5 and abs(b) < 2
  predicted_class == "LMXB" or (candidate and p_any > 0.9)
  candidate_class in ("HMXB", "LMXB")      mark == "candidate"
  contains(xid, "J16")                      not isnan(nh)
Columns by name; numbers; "quoted text"; == != < <= > >=; and or not;
+ - * / % **; functions: """ + ", ".join(sorted(FUNCTIONS)) + """.

Press Esc, q or ? to close."""


class HelpScreen(ModalScreen[None]):
    """The key and filter reference."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 80; height: 90%; border: round $accent; padding: 0 1;
                                  background: $surface; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "close", "close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP_TEXT, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)


class SampDone(Message):
    """A SAMP action finished in a worker."""

    def __init__(self, action: str, ok: bool, text: str, status: str) -> None:
        super().__init__()
        self.action, self.ok, self.text, self.status = action, ok, text, status


class RowFromSamp(Message):
    """Another application highlighted a row that stands for catalogue row ``row``."""

    def __init__(self, row: int) -> None:
        super().__init__()
        self.row = row


class ExportDone(Message):
    """An export finished in a worker."""

    def __init__(self, ok: bool, text: str) -> None:
        super().__init__()
        self.ok, self.text = ok, text


class XrbvoApp(App):
    """Explore X-ray binary candidates: table, detail pane, marks, SAMP.

    Parameters
    ----------
    data : CatalogueData
        The catalogue and its companion tables.
    samp : bool, optional
        Connect to a SAMP hub in the background.
    columns : list[str], optional
        Column names.
    sort : str, optional
        Column to sort by.
    ascending : bool, optional
        Sort ascending.
    filter_text : str, optional
        Initial filter expression (:mod:`xrbvo.tui.filterlang`).
    """

    TITLE = "xrbvo"
    CSS = """
    #status { height: 1; background: $primary-background; color: $text; padding: 0 1; }
    #main { height: 1fr; }
    #left { width: 3fr; }
    #detail { width: 2fr; min-width: 44; border-left: solid $primary; padding: 0 1; }
    #detail > Static { margin-bottom: 1; }
    .bar-input { border: none; height: 1; padding: 0 1; background: $boost; }
    .bar-input:focus { border: none; background: $accent 30%; }
    .section-title { color: $accent; text-style: bold; margin-bottom: 0; }
    .dim { color: $text-muted; }
    """

    BINDINGS = [
        Binding("question_mark", "help", "help"),
        Binding("slash", "focus_filter", "filter"),
        Binding("f", "focus_search", "find"),
        Binding("o", "sort_prompt", "sort by"),
        Binding("c", "mark('candidate')", "candidate"),
        Binding("x", "mark('rejected')", "reject"),
        Binding("u", "unmark", "unmark"),
        Binding("e", "export('shown')", "export"),
        Binding("E", "export('marked')", "export marked", show=False),
        Binding("t", "send_topcat", "TOPCAT"),
        Binding("h", "highlight_topcat", "highlight", show=False),
        Binding("a", "point_aladin", "Aladin"),
        Binding("escape", "focus_table", "table", show=False),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, data: CatalogueData, *, samp=None, columns: list[str] | None = None,
                 sort: str | None = None, ascending: bool = False, filter_text: str | None = None) -> None:
        super().__init__()
        self.data = data
        self.view = TableView(data, sort=sort, descending=not ascending)
        self._initial_filter = filter_text
        if filter_text:
            self.view.set_filter(filter_text)
        cols = columns or data.default_columns()
        missing = [c for c in cols if c not in data.filter_columns]
        if missing:
            raise XrbvoError(f"--columns names unknown columns {', '.join(missing)}; columns are "
                             f"{', '.join(data.colnames[:25])}, ...")
        if data.marks is not None and "mark" not in cols:
            cols = cols + ["mark"]
        self.columns = cols
        self.samp = samp if samp is not None else NullBridge()
        self.samp_status = getattr(self.samp, "status", "SAMP off")
        self.current_row: int | None = None

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="status")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(value=self._initial_filter or "", placeholder="/ filter, e.g. P_HMXB > 0.5 and abs(b) < 2",
                            id="filter", classes="bar-input")
                yield Input(placeholder="f find by name (id contains…)", id="search", classes="bar-input")
                yield SourceTable(self.view, self.columns, id="table")
            with VerticalScroll(id="detail"):
                yield Static("", id="d-xray")
                yield Static("class probabilities", classes="section-title")
                yield Static("", id="d-probs")
                yield Static("features that pushed the top class", classes="section-title")
                yield Static("", id="d-features")
                yield Static("candidate counterparts", classes="section-title")
                yield Static("", id="d-counterparts")
                yield Static("known objects", classes="section-title")
                yield Static("", id="d-known")
                yield Static("neighbourhood (N up, E left)", classes="section-title")
                yield Static("", id="d-sky")
        yield Footer()

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """A notification whose text is shown as it is: no markup unless asked for, control characters escaped.

        Messages quote file names, ids, filters and errors; read as markup,
        ``[/]`` in one would fail and ``[@click=app.quit]`` would act.
        """
        if not markup:
            message, title = for_console(message), one_line(title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    @property
    def table(self) -> SourceTable:
        return self.query_one("#table", SourceTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.table.data_changed()
        self._update_status()
        if isinstance(self.samp, SampBridge):
            self.samp_status = "SAMP: connecting…"
            self._update_status()
            self.samp.listen(self._row_from_samp_thread)
            self._samp_job("connect", self.samp.connect, quiet=True)

    def on_unmount(self) -> None:
        close = getattr(self.samp, "close", None)
        if close is not None:
            close()

    # -- status and detail -------------------------------------------------------------
    def _update_status(self) -> None:
        v = self.view
        name = self.data.path.name if self.data.path is not None else "catalogue"
        # a Text, not markup: a file name, a filter or a SAMP application's name is shown as it is
        parts: list = [Text(one_line(name), style="bold"),
                       Text.assemble((f"{v.shown:,}", "bold"), f"/{v.total:,} shown")]
        if v.sort_column:
            parts.append(f"sort {one_line(v.sort_column)} {'▼' if v.descending else '▲'}")
        if v.filter is not None:
            parts.append(f"filter: {one_line(v.filter.text)}")
        if v.search:
            parts.append(f"name: {one_line(v.search)}")
        parts.append(f"marks {len(self.data.marks)}")
        parts.append(one_line(self.samp_status))
        self.query_one("#status", Static).update(Text("  │  ").join(Text(p) if isinstance(p, str) else p
                                                                      for p in parts))

    @on(SourceTable.Highlighted)
    def _show_detail(self, event: SourceTable.Highlighted) -> None:
        self.current_row = event.row
        self._render_detail()

    def _render_detail(self) -> None:
        row = self.current_row
        q = self.query_one
        if row is None:
            q("#d-xray", Static).update("no source shown: change the filter or the name search")
            for w in ("#d-probs", "#d-features", "#d-counterparts", "#d-known", "#d-sky"):
                q(w, Static).update("")
            return
        d = self.data.detail(row)
        q("#d-xray", Static).update(xray_text(d))
        q("#d-probs", Static).update(class_bars(d))
        q("#d-features", Static).update(features_text(d))
        q("#d-counterparts", Static).update(counterparts_table(d))
        q("#d-known", Static).update(known_text(d))
        q("#d-sky", Static).update(sky_plot(d))

    @on(SourceTable.SortChanged)
    def _sorted(self) -> None:
        self._update_status()

    # -- filter, search, sort ----------------------------------------------------------
    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_table(self) -> None:
        self.table.focus()

    @on(Input.Submitted, "#filter")
    def _apply_filter(self, event: Input.Submitted) -> None:
        keep = self.table.row
        try:
            self.view.set_filter(event.value)
        except XrbvoError as exc:
            self.notify(str(exc), title="filter not applied", severity="error", timeout=8)
            return
        self.table.data_changed(keep_row=keep)
        self._update_status()
        self.table.focus()

    @on(Input.Changed, "#search")
    def _apply_search(self, event: Input.Changed) -> None:
        keep = self.table.row
        self.view.set_search(event.value)
        self.table.data_changed(keep_row=keep)
        self._update_status()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.table.focus()

    def action_sort_prompt(self) -> None:
        def done(value: str | None) -> None:
            if not value or not value.strip():
                return
            name = value.strip()
            descending = not name.startswith("-")
            keep = self.table.row
            try:
                self.view.set_sort(name.lstrip("-+"), descending=descending)
            except XrbvoError as exc:
                self.notify(str(exc), title="not sorted", severity="error", timeout=8)
                return
            self.table.data_changed(keep_row=keep)
            self._update_status()

        self.push_screen(PromptScreen("Sort by column (largest first; prefix - for smallest first):",
                                      self.view.sort_column or "", placeholder="e.g. P_LMXB"), done)

    # -- marks ---------------------------------------------------------------------------
    def action_mark(self, status: str) -> None:
        row = self.table.row
        if row is None:
            self.notify("no source selected", severity="warning")
            return
        xid = str(self.data.xid[row])
        old = self.data.marks.get(xid)

        def done(note: str | None) -> None:
            if note is None:
                return
            try:
                self.data.marks.set(xid, status, note)
            except XrbvoError as exc:
                self.notify(str(exc), title="mark not saved", severity="error", timeout=10)
                return
            self._marks_changed(row)
            self.notify(f"{xid}: {status}" + (f" ({note})" if note else ""), title="saved")

        verb = "candidate" if status == "candidate" else "rejected"
        self.push_screen(PromptScreen(f"Mark {xid} as {verb}. Note (optional):",
                                      old["note"] if old else "", placeholder="why?"), done)

    def action_unmark(self) -> None:
        row = self.table.row
        if row is None:
            return
        xid = str(self.data.xid[row])
        try:
            had = self.data.marks.clear(xid)
        except XrbvoError as exc:
            self.notify(str(exc), title="mark not removed", severity="error", timeout=10)
            return
        if had:
            self._marks_changed(row)
            self.notify(f"{xid}: mark removed")

    def _marks_changed(self, row: int) -> None:
        try:
            self.view.refresh_filter()
        except XrbvoError as exc:
            self.notify(str(exc), severity="error")
        self.table.data_changed(keep_row=row)
        self._update_status()
        self._render_detail()

    # -- export --------------------------------------------------------------------------
    def _default_export_path(self, which: str) -> str:
        base = self.data.path if self.data.path is not None else Path("xrbvo.fits")
        stem = companion_paths(base).marks.name[: -len(".marks.json")]
        return str(base.with_name(f"{stem}_{which}.fits"))

    def action_export(self, which: str) -> None:
        rows = self.view.rows if which == "shown" else self.data.marked_rows()
        if len(rows) == 0:
            self.notify(f"nothing to export: no {which} rows", severity="warning")
            return

        def done(path: str | None) -> None:
            if not path or not path.strip():
                return
            target = Path(path.strip()).expanduser()
            snapshot = np.array(rows, copy=True)

            def job() -> None:
                try:
                    out = self.data.export(snapshot, target)
                except XrbvoError as exc:
                    self.post_message(ExportDone(False, str(exc)))
                    return
                self.post_message(ExportDone(True, f"wrote {len(snapshot)} {which} rows to {out}"))

            self.run_worker(job, thread=True, exit_on_error=False, group="export", name="export")

        self.push_screen(PromptScreen(f"Export {len(rows):,} {which} rows to (FITS, VOTable .vot, CSV, ECSV):",
                                      self._default_export_path(which)), done)

    @on(ExportDone)
    def _export_done(self, event: ExportDone) -> None:
        self.notify(event.text, title="export" if event.ok else "export failed",
                    severity="information" if event.ok else "error", timeout=8)

    # -- SAMP ----------------------------------------------------------------------------
    def _samp_job(self, action: str, fn, *args, quiet: bool = False) -> None:
        bridge = self.samp

        def job() -> None:
            try:
                text = fn(*args)
                ok = True
            except XrbvoError as exc:
                text, ok = str(exc), False
            self.post_message(SampDone("" if quiet and ok else action, ok, text or "",
                                       getattr(bridge, "status", "SAMP off")))

        self.run_worker(job, thread=True, exit_on_error=False, group="samp", name=f"samp-{action}")

    @on(SampDone)
    def _samp_done(self, event: SampDone) -> None:
        self.samp_status = event.status
        self._update_status()
        if event.action == "connect":
            if not event.ok:
                self.notify(event.text + " — the UI works without SAMP", title="SAMP", severity="warning",
                            timeout=6)
            return
        if event.action:
            self.notify(event.text, title="SAMP" if event.ok else "SAMP failed",
                        severity="information" if event.ok else "error", timeout=6)

    def action_send_topcat(self) -> None:
        rows = np.array(self.view.rows, copy=True)
        if len(rows) == 0:
            self.notify("nothing to send: no rows shown", severity="warning")
            return
        table = self.data.table[rows]
        name = (self.data.path.stem if self.data.path else "xrbvo") + (
            f" [{self.view.filter.text}]" if self.view.filter is not None else "")
        bridge = self.samp
        self._samp_job("send", lambda: bridge.send_table(table, rows, name=name))

    def action_point_aladin(self) -> None:
        row = self.table.row
        if row is None or "ra" not in self.data.colnames:
            self.notify("no source with a position selected", severity="warning")
            return
        ra, dec = float(self.data.column("ra")[row]), float(self.data.column("dec")[row])
        self._samp_job("aladin", self.samp.point_at, ra, dec)

    def action_highlight_topcat(self) -> None:
        row = self.table.row
        if row is None:
            return
        self._samp_job("highlight", self.samp.highlight, row)

    def _row_from_samp_thread(self, row: int) -> None:
        # runs in the SAMP client's thread: only post a message
        self.post_message(RowFromSamp(row))

    @on(RowFromSamp)
    def _row_from_samp(self, event: RowFromSamp) -> None:
        self.select_row(event.row, source="TOPCAT")

    def select_row(self, row: int, *, source: str = "") -> bool:
        """Put the cursor on catalogue row ``row``, clearing filter and search when they hide it."""
        if not 0 <= row < self.data.n:
            return False
        pos = self.view.position_of(row)
        if pos is None:
            self.view.set_filter(None)
            self.view.set_search("")
            self.query_one("#filter", Input).value = ""
            search = self.query_one("#search", Input)
            with search.prevent(Input.Changed):
                search.value = ""
            self.table.data_changed(keep_row=row)
            self._update_status()
            self.notify(f"filter cleared to show the source {source} highlighted".replace("  ", " "))
            pos = self.view.position_of(row)
        self.table.move_to(pos or 0)
        return True

    # -- help ----------------------------------------------------------------------------
    def action_help(self) -> None:
        self.push_screen(HelpScreen())


def create_app(catalogue: str | Path | CatalogueData, *, known: str | Path | None = None,
               counterparts: str | Path | None = None, neighbours: str | Path | None = None,
               known_radius_arcsec: float | None = None, samp: bool | object = True,
               columns: list[str] | None = None, sort: str | None = None, ascending: bool = False,
               filter_text: str | None = None) -> XrbvoApp:
    """Build the terminal UI on a catalogue (the one factory for the CLI and the tests).

    Parameters
    ----------
    catalogue : path or CatalogueData
        A catalogue written by ``xrbvo run`` / ``xrbvo demo`` (its companions
        are found next to it), or data already loaded.
    known, counterparts, neighbours, known_radius_arcsec
        See :func:`xrbvo.tui.data.load_catalogue`.
    samp : bool or bridge
        True: connect to a SAMP hub in the background (the UI says so when
        none runs); False: no SAMP; or a bridge object with the
        :class:`~xrbvo.tui.samp_bridge.SampBridge` methods.
    columns : list of str, optional
        Columns of the source table (default:
        :data:`xrbvo.tui.data.DEFAULT_COLUMNS`).
    sort, ascending
        Initial sort column (default ``P_HMXB``) and direction.
    filter_text : str, optional
        Initial filter expression.

    Returns
    -------
    XrbvoApp
        The app, ready to run.

    Raises
    ------
    XrbvoError
        For unreadable files, missing columns or a bad filter.
    """
    data = catalogue if isinstance(catalogue, CatalogueData) else load_catalogue(
        catalogue, counterparts=counterparts, neighbours=neighbours, known=known,
        known_radius_arcsec=known_radius_arcsec)
    if samp is True:
        bridge = SampBridge(catalogue_path=data.path)
    elif samp is False or samp is None:
        bridge = NullBridge()
    else:
        bridge = samp
    return XrbvoApp(data, samp=bridge, columns=columns, sort=sort, ascending=ascending, filter_text=filter_text)
