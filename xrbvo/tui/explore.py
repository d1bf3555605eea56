"""``xrbvo explore``: the terminal UI scoring sources on demand (Textual).

:class:`ExploreApp` is the catalogue UI (:class:`~xrbvo.tui.app.XrbvoApp`)
on an X-ray list whose results are computed when they are asked for, by
:class:`~xrbvo.workflows.live.LiveScorer` in thread workers:

* selecting a source scores it (``exclusive=True``: moving on drops the stale
  result's display); the next :data:`PREFETCH` unscored sources of the shown
  order are scored in the background;
* ``g`` or ``:`` asks for a position (degrees, sexagesimal, ``gal l b``, an id
  of the list, or a name for CDS Sesame) and shows its neighbourhood, its
  score as a one-row X-ray table and the list's nearest sources;
* ``A`` scores every shown source, in upload-join chunks, with a progress bar;
* ``n`` sends the selected source's neighbourhood to TOPCAT, ``a`` points
  Aladin at it and draws the X-ray error circle and the counterparts.

Every result goes to the session catalogue next to the input
(``INPUT.explore.fits``, :func:`~xrbvo.workflows.live.session_path`), written
atomically after each result; reopening resumes from it.  Workers never touch
widgets: they post messages.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from pathlib import Path

import numpy as np
from astropy.table import Table
from rich.console import ConsoleOptions, Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import ProgressBar, Static
from textual.worker import get_current_worker

from xrbvo.core.errors import XrbvoError
from xrbvo.core.schema import CLASSES
from xrbvo.core.surveys import ALL_SECONDARY
from xrbvo.core.text import one_line
from xrbvo.tui.app import PromptScreen, XrbvoApp
from xrbvo.tui.data import CatalogueData
from xrbvo.tui.prerender import Prerendered, pane_console
from xrbvo.tui.render import (class_bars, counterparts_table, features_text, format_value, known_text, sky_plot,
                              xray_text)
from xrbvo.workflows.live import (LiveResult, LiveScorer, Position, failure_kind, nearest_sources, parse_position,
                                  resolve_name)

__all__ = ["ExploreApp", "create_explore_app", "list_data", "pane_parts", "shown_value", "PREFETCH", "PREFETCH_DELAY_S",
           "SCORE_CHUNK", "PANE_CACHE", "RETRY_S"]

#: Unscored sources scored ahead of the cursor.
PREFETCH = 3
#: Sources per workflow call of "score all shown".
SCORE_CHUNK = 128
#: Scored sources whose detail pane is kept laid out (most recently scored or shown).
PANE_CACHE = 256
#: Seconds the selection rests before the next sources are prefetched.
PREFETCH_DELAY_S = 0.25
#: Seconds between attempts to score the selected source after its scoring failed.
RETRY_S = 5.0
#: The detail pane's widgets, in order.
_PANE = ("#d-xray", "#d-probs", "#d-features", "#d-counterparts", "#d-known", "#d-sky")
#: The parts that are Rich tables: laid out once (:class:`~xrbvo.tui.prerender.Prerendered`).
_TABLES = ("#d-probs", "#d-counterparts")
_SPIN = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_SHOWN = ("P_HMXB", "P_LMXB", "P_max", "predicted_class", "candidate_class", "p_any")


class Scored(Message):
    """Results arrived (``xids`` scored by a worker)."""

    def __init__(self, results: dict[str, LiveResult], *, requested: str | None = None) -> None:
        super().__init__()
        self.results, self.requested = results, requested


class PanesLaidOut(Message):
    """Detail panes of scored sources, laid out by a worker (xid -> widget id -> renderable)."""

    def __init__(self, panes: dict[str, dict[str, RenderableType]]) -> None:
        super().__init__()
        self.panes = panes


class PositionScored(Message):
    def __init__(self, result: LiveResult, position: Position, nearest: list[tuple[str, float]]) -> None:
        super().__init__()
        self.result, self.position, self.nearest = result, position, nearest


class Busy(Message):
    """A worker's progress (``text`` empty: done)."""

    def __init__(self, text: str, fraction: float | None = None, *, bar: bool = False) -> None:
        super().__init__()
        self.text, self.fraction, self.bar = text, fraction, bar


class Failed(Message):
    """A worker's failure: ``kind`` (:func:`~xrbvo.workflows.live.failure_kind`) groups failures that are one cause,
    ``xid`` names the source that was not scored."""

    def __init__(self, title: str, text: str, *, kind: str | None = None, xid: str | None = None) -> None:
        super().__init__()
        self.title, self.text, self.kind, self.xid = title, text, kind, xid


class GoTo(Message):
    """A typed name matched a source of the list."""

    def __init__(self, xid: str) -> None:
        super().__init__()
        self.xid = xid


EXPLORE_HELP = """[b]xrbvo explore: keys[/b] (besides those of xrbvo tui)

  [b]g[/b] or [b]:[/b]  go to a position: RA Dec (deg or hh:mm:ss dd:mm:ss), gal l b,
          an id of the list, or an object name (CDS Sesame, when online)
  [b]Esc[/b]   from a typed position back to the selected source
  [b]A[/b]     score every shown source (upload-join chunks, progress bar)
  [b]n[/b]     send the selected source's neighbourhood table to TOPCAT
  [b]a[/b]     point Aladin at it; draw its error circle and counterparts

Selecting a source scores it with the model (the same numbers as xrbvo run
on the whole list); the next sources are scored ahead.  Results are saved in
INPUT.explore.fits next to the input; reopening resumes."""


def list_data(scorer: LiveScorer, path: Path | None) -> CatalogueData:
    """The source table of the UI: the list's X-ray columns plus result columns (empty until scored).

    Parameters
    ----------
    scorer : LiveScorer
        The scorer of the X-ray list.
    path : Path | None
        The file.

    Returns
    -------
    CatalogueData
        The source table of the UI: the list's X-ray columns plus result columns (empty until scored).
    """
    xr = scorer.xray
    if xr is None:
        t = Table({"xid": np.zeros(0, "U32"), "ra": np.zeros(0), "dec": np.zeros(0)})
    else:
        keep = [c for c in ("xid", "ra", "dec", "pos_err", "flux_soft", "flux_hard") if c in xr.colnames]
        t = Table(xr[keep], copy=True)
        t.meta = {}
        from astropy import units as u
        from astropy.coordinates import SkyCoord

        g = SkyCoord(ra=np.asarray(t["ra"], float) * u.deg, dec=np.asarray(t["dec"], float) * u.deg).galactic
        t.add_column(np.round(g.l.deg, 5), name="l", index=1)
        t.add_column(np.round(g.b.deg, 5), name="b", index=2)
    n = len(t)
    for c in ("P_HMXB", "P_LMXB", "P_max", "p_any"):
        t[c] = np.full(n, np.nan)
    for c in ("predicted_class", "candidate_class"):
        t[c] = np.full(n, "", dtype="U8")
    t["scored"] = np.zeros(n, bool)
    return CatalogueData(t, path=path)


def shown_value(catalogue: Table, column: str):
    """The value of a result's ``column`` for the list: text columns as text (a masked or missing one,
    as FITS reads an empty string back, is ``""``: never the ``"0.0"`` numpy makes of a masked value),
    numbers as floats (NaN when masked or missing).

    Parameters
    ----------
    catalogue : astropy.table.Table
        A one-row result catalogue (:class:`~xrbvo.workflows.live.LiveResult`'s ``catalogue``).
    column : str
        The column shown in the list.

    Returns
    -------
    str or float
        The text of a class column (``""`` when empty), else the number (NaN when masked or missing).
    """
    text = column in ("predicted_class", "candidate_class")
    if column not in catalogue.colnames:
        return "" if text else np.nan
    v = catalogue[column][0]
    if v is np.ma.masked:
        return "" if text else np.nan
    return str(v) if text else v


def _text(v) -> str:
    return "" if v is np.ma.masked else str(v)


def class_table(row) -> RichTable:
    """P_<class> (at the selection priors), P_<class>_field and P_<class>_CTPT (the best counterpart's
    class-conditional probability) of one catalogue row."""
    t = RichTable(box=None, pad_edge=False, show_edge=False, header_style="bold")
    t.add_column("class")
    t.add_column("P", justify="right")
    t.add_column("P_field", justify="right")
    t.add_column("P_ctpt", justify="right")
    cols = row.colnames
    pred = _text(row["predicted_class"]) if "predicted_class" in cols else ""
    for c in CLASSES:
        if f"P_{c}" not in cols:
            continue
        style = "bold magenta" if c == pred else None
        t.add_row(c, format_value(row[f"P_{c}"]), format_value(row[f"P_{c}_field"]) if f"P_{c}_field" in cols
                  else "-", format_value(row[f"P_{c}_CTPT"]) if f"P_{c}_CTPT" in cols else "-", style=style)
    cand = _text(row["candidate_class"]) if "candidate_class" in cols else ""
    t.caption = f"candidate: {cand or 'none'}   expected purity " + (
        format_value(row["expected_purity"]) if "expected_purity" in cols else "-")
    return t


def pane_parts(res: LiveResult, *, position: Position | None = None, nearest: list[tuple[str, float]] = (),
               known: Table | None = None) -> dict[str, RenderableType]:
    """The detail pane of one result: widget id -> Rich renderable (no Textual; safe in a worker thread).

    ``position`` and ``nearest``: a typed position and the list's sources nearest it; ``known``: the
    ``--known`` objects (standard columns, :func:`xrbvo.io.known.read_known`), matched as ``run`` matches them.

    Parameters
    ----------
    res : LiveResult
        The scored source.
    position : Position, optional
        The typed position the result is for; None for a listed source.
    nearest : list[tuple[str, float]], optional
        Nearest listed sources of a typed position, as (xid, separation in arcsec).
    known : astropy.table.Table, optional
        Known objects near the source.

    Returns
    -------
    dict[str, RenderableType]
        The detail pane of one result: widget id -> Rich renderable (no Textual; safe in a worker
        thread).
    """
    d = CatalogueData(res.catalogue, counterparts=res.counterparts, neighbours=res.neighbours,
                      known=known).detail(0)
    head = xray_text(d)
    if position is not None:
        head.append(f"\ntyped position {one_line(position.label)} (error {format_value(d.pos_err_arcsec)}\" "
                    "assumed; not a source of the list)", style="italic")
        head.append("\nnearest X-ray sources of the list: " + (", ".join(
            f"{one_line(x)} {sep:.1f}\"" for x, sep in nearest[:3]) or "(no list loaded)"))
        known_part = Text("nearest X-ray sources of the list:\n", style="bold")
        for x, sep in nearest:
            known_part.append(f"  {one_line(x)}  {sep:.1f}\"\n")
        if not nearest:
            known_part.append("  (no list loaded)", style="dim")
    else:
        known_part = known_text(d) if known is not None else Text(
            "known objects: none given (start explore with --known FILE|SERVICE:TABLE)", style="dim")
    return {"#d-xray": head, "#d-probs": Group(class_bars(d), class_table(res.catalogue[0])),
            "#d-features": features_text(d), "#d-counterparts": counterparts_table(d), "#d-known": known_part,
            "#d-sky": sky_plot(d)}


def _laid_out(parts: dict[str, RenderableType], width: int, options: ConsoleOptions | None,
              console=None) -> dict[str, RenderableType]:
    """``parts`` with its Rich tables rendered once at ``width`` (the pane's content width; 0: not known yet)."""
    if width <= 0 or options is None:
        return parts
    console = console or pane_console()
    return {k: Prerendered(v, width, options, console=console) if k in _TABLES else v for k, v in parts.items()}


class ExploreApp(XrbvoApp):
    """The catalogue UI on an X-ray list scored on demand (see the module docstring).

    Parameters
    ----------
    data : CatalogueData
        The X-ray list as a catalogue (result columns empty until scored).
    scorer : LiveScorer
        Scores a source of the list on demand.
    session : Path, optional
        File where the session's scored results are kept between runs; None: not kept.
    known : astropy.table.Table, optional
        Known objects (:func:`xrbvo.io.known.read_known`).
    **kwargs
        Passed to :class:`xrbvo.tui.app.XrbvoApp`.
    """

    BINDINGS = [
        Binding("g", "goto", "go to"),
        Binding("colon", "goto", "go to", show=False),
        Binding("A", "score_all", "score all"),
        Binding("n", "send_neighbourhood", "nbhd→TOPCAT"),
    ]
    CSS = XrbvoApp.CSS + """
    #busy { height: 1; padding: 0 1; color: $warning; }
    #allbar { height: 1; display: none; padding: 0 1; }
    #allbar.on { display: block; }
    #detail { scrollbar-gutter: stable; }
    """

    def __init__(self, data: CatalogueData, scorer: LiveScorer, *, session: Path | None = None,
                 known: Table | None = None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.scorer = scorer
        self.session = session
        self.known_objects = known  # the --known objects (standard columns), or None
        self._busy = ""
        self._spin = itertools.cycle(_SPIN)
        self._showing: str | None = None  # xid or a position label shown in the pane
        self._position: PositionScored | None = None
        self._position_row: int | None = None
        self._panes: OrderedDict[str, dict[str, RenderableType]] = OrderedDict()  # xid -> laid-out pane
        self._status_shown: str | None = None
        self._prefetch_timer = None
        self._pane_width = 0  # content width of the detail pane, as last shown
        self._failures: dict[str, str] = {}  # kind -> message of the failures notified and not yet over
        self._retry_timer = None

    def compose(self):
        for w in super().compose():
            yield w
        yield Static("", id="busy", markup=False)
        yield ProgressBar(total=100, id="allbar", show_eta=True)

    def on_mount(self) -> None:
        super().on_mount()
        self._apply_results(self._all_results(), quiet=True)
        self.set_interval(0.15, self._tick)
        if self.scorer.xray is not None and not self.scorer.context_ready:
            self._context_worker()

    def _all_results(self) -> dict[str, LiveResult]:
        with self.scorer._lock:
            return dict(self.scorer._results)

    # -- status ------------------------------------------------------------------------------
    def _tick(self) -> None:
        if not self.is_running:  # the app shuts down: its screen's widgets are gone before its timers stop
            return
        text = (f"{next(self._spin)} {self._busy}" if self._busy else
                f"scored {self.scorer.scored:,}/{self.scorer.n:,}" + (
                    f"   session: {self.session.name}" if self.session else ""))
        if text != self._status_shown:  # one line of fixed height: no layout of the screen
            self._status_shown = text
            self.query_one("#busy", Static).update(one_line(text), layout=False)

    @on(Busy)
    def _on_busy(self, event: Busy) -> None:
        self._busy = event.text
        bar = self.query_one("#allbar", ProgressBar)
        if event.bar:
            bar.add_class("on")
            if event.fraction is not None:
                bar.update(progress=100 * event.fraction)
        elif not event.text:
            bar.remove_class("on")

    def _progress(self, what: str):
        def cb(message: str, fraction: float) -> None:
            self.post_message(Busy(f"{what}: {message}", fraction))
        return cb

    # -- workers -------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="context", exit_on_error=False)
    def _context_worker(self) -> None:
        self.post_message(Busy(f"pulling the neighbourhoods of the list's {self.scorer.n:,} sources once "
                               "(field densities)"))
        try:
            self.scorer.context(progress=self._progress("list"))
        except XrbvoError as exc:
            self.post_message(Failed("TAP pull failed", str(exc), kind=failure_kind(exc)))
        self.post_message(Busy(""))

    @work(thread=True, exclusive=True, group="score", exit_on_error=False)
    def _score_worker(self, xid: str) -> None:
        worker = get_current_worker()
        self.post_message(Busy(f"scoring {xid}"))
        try:
            res = self.scorer.score([xid], progress=self._progress(xid))
        except XrbvoError as exc:
            if not worker.is_cancelled:
                self.post_message(Failed(f"{xid} not scored", str(exc), kind=failure_kind(exc), xid=xid))
            self.post_message(Busy(""))
            return
        self.post_message(Busy(""))
        self.post_message(Scored(res, requested=None if worker.is_cancelled else xid))

    @work(thread=True, exclusive=True, group="prefetch", exit_on_error=False)
    def _prefetch_worker(self, xids: list[str], width: int = 0, options: ConsoleOptions | None = None) -> None:
        try:
            res = self.scorer.score(xids)
        except XrbvoError:
            return  # the selected source's own worker reports the failure
        self.post_message(Scored(res))
        if width > 0 and options is not None:  # their panes laid out here, so selecting one only shows it
            console = pane_console()
            self.post_message(PanesLaidOut({x: _laid_out(pane_parts(r, known=self.known_objects), width, options, console)
                                            for x, r in res.items()}))

    @work(thread=True, exclusive=True, group="all", exit_on_error=False)
    def _score_all_worker(self, xids: list[str]) -> None:
        worker = get_current_worker()
        todo = [x for x in xids if self.scorer.result(x) is None]
        n = len(todo)
        self.post_message(Busy(f"score all: {n:,} sources", 0.0, bar=True))
        done = 0
        try:
            if n:
                self.scorer.context(progress=lambda m, f: self.post_message(Busy(f"score all: list {m}", f * 0.5,
                                                                                 bar=True)))
            for i in range(0, n, SCORE_CHUNK):
                if worker.is_cancelled:
                    break
                part = todo[i:i + SCORE_CHUNK]
                res = self.scorer.score(part)
                done += len(part)
                self.post_message(Scored(res))
                self.post_message(Busy(f"score all: {done:,}/{n:,}", 0.5 + 0.5 * done / n, bar=True))
        except XrbvoError as exc:
            self.post_message(Failed("score all stopped", f"{exc} ({done:,} of {n:,} scored and kept)",
                                     kind=failure_kind(exc)))
        self.post_message(Busy(""))
        self.post_message(Busy("", None, bar=False))

    @work(thread=True, exclusive=True, group="position", exit_on_error=False)
    def _position_worker(self, text: str) -> None:
        try:
            pos = parse_position(text, self.scorer.xids, coords=self.scorer.coords)
            if isinstance(pos, str):
                self.post_message(Busy(f"resolving {pos!r} with CDS Sesame"))
                pos = resolve_name(pos)
            if pos.xid is not None:
                self.post_message(Busy(""))
                self.post_message(GoTo(pos.xid))
                return
            self.post_message(Busy(f"pulling the neighbourhood of {pos.label}"))
            res = self.scorer.score_position(pos.ra_deg, pos.dec_deg, progress=self._progress(pos.label))
            near = nearest_sources(pos.ra_deg, pos.dec_deg, self.scorer.xray) if self.scorer.xray is not None else []
        except XrbvoError as exc:
            self.post_message(Busy(""))
            self.post_message(Failed("position", str(exc)))
            return
        self.post_message(Busy(""))
        self.post_message(PositionScored(res, pos, near))

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _save_worker(self) -> None:
        if self.session is None:
            return
        try:
            self.scorer.save(self.session)
        except XrbvoError as exc:
            self.post_message(Failed("session not saved", str(exc)))

    # -- messages ------------------------------------------------------------------------------
    @on(Scored)
    def _on_scored(self, event: Scored) -> None:
        if event.results:
            self._failures.clear()  # the service answers again: a new failure is news
        self._apply_results(event.results)
        self._save_worker()
        if event.requested is not None and self.current_row is not None and \
                str(self.data.xid[self.current_row]) == event.requested:
            self._render_detail()
            self._schedule_prefetch()

    @on(PanesLaidOut)
    def _on_panes(self, event: PanesLaidOut) -> None:
        for x, pane in event.panes.items():
            self._keep_pane(x, pane)

    def _keep_pane(self, xid: str, pane: dict[str, RenderableType]) -> None:
        self._panes[xid] = pane
        self._panes.move_to_end(xid)
        while len(self._panes) > PANE_CACHE:
            self._panes.popitem(last=False)

    def _apply_results(self, results: dict[str, LiveResult], *, quiet: bool = False) -> None:
        rows, vals = [], {c: [] for c in _SHOWN}
        for x, r in results.items():
            row = self.data.row_of(x)
            if row is None:
                continue
            rows.append(row)
            for c in _SHOWN:
                vals[c].append(shown_value(r.catalogue, c))
        if not rows:
            return
        vals["scored"] = [True] * len(rows)
        self.data.set_values(rows, vals)
        keep = self.table.row
        self.view.values_changed()
        if not quiet:
            self.table.data_changed(keep_row=keep)
        self.table.refresh()

    @on(Failed)
    def _on_failed(self, event: Failed) -> None:
        """One notification per kind of failure while it lasts (a service down fails every source and every
        prefetch the same way); the pane of a source not scored says why, and it is tried again."""
        if event.xid is not None:
            self._show_not_scored(event.xid, event.text)
        if event.kind is not None:
            if event.kind in self._failures:
                return
            self._failures[event.kind] = event.text
        self.notify(event.text, title=event.title, severity="error", timeout=10)

    def _show_not_scored(self, xid: str, text: str) -> None:
        """The selected source's pane after its scoring failed: what failed; scoring is tried again every
        :data:`RETRY_S` while it stays selected, so it resumes once the service is back."""
        if self.current_row is None or str(self.data.xid[self.current_row]) != xid or self._position is not None \
                or self.scorer.result(xid) is not None:
            return
        t = Text(f"{xid}\n", style="bold")
        t.append("not scored: ", style="bold red")
        t.append(text)
        t.append(f"\ntrying again every {RETRY_S:g} s while it is selected", style="dim")
        self.query_one("#d-xray", Static).update(t)
        if self._retry_timer is not None:
            self._retry_timer.stop()
        self._retry_timer = self.set_timer(RETRY_S, lambda: self._retry(xid))

    def _retry(self, xid: str) -> None:
        self._retry_timer = None
        if not self.is_running or self.current_row is None or str(self.data.xid[self.current_row]) != xid \
                or self.scorer.result(xid) is not None:
            return
        self._score_worker(xid)

    @on(GoTo)
    def _on_goto(self, event: GoTo) -> None:
        row = self.data.row_of(event.xid)
        if row is not None:
            self._position = None
            self.select_row(row, source="named")

    @on(PositionScored)
    def _on_position(self, event: PositionScored) -> None:
        self._position = event
        self._position_row = self.current_row
        self._render_detail()

    # -- the detail pane ----------------------------------------------------------------------
    def _render_detail(self) -> None:
        q = self.query_one
        if self._position is not None and self.current_row != self._position_row:
            self._position = None  # the cursor moved on: back to the list
        if self._position is not None:
            return self._render_result(self._position.result, self._position)
        row = self.current_row
        if row is None:
            return super()._render_detail()
        xid = str(self.data.xid[row])
        res = self.scorer.result(xid)
        if res is None:
            t = Text(f"{one_line(xid)}\n", style="bold")
            t.append("scoring… (neighbourhood from the TAP service or its cache, then the model)", style="dim")
            q("#d-xray", Static).update(t)
            for w in ("#d-probs", "#d-features", "#d-counterparts", "#d-known", "#d-sky"):
                q(w, Static).update("")
            self._score_worker(xid)
            return
        self._render_result(res, None)
        self._schedule_prefetch()

    def _render_result(self, res: LiveResult, pos: PositionScored | None) -> None:
        # the content width of the pane's widgets (0 before the first layout; the scrollbar gutter is stable)
        self._pane_width = self.query_one("#d-probs", Static).size.width
        if pos is not None:
            pane = _laid_out(pane_parts(res, position=pos.position, nearest=pos.nearest), self._pane_width,
                             self.console_options)
        else:
            pane = self._panes.get(res.xid)  # laid out by the prefetch, or shown before
            if pane is None:
                pane = _laid_out(pane_parts(res, known=self.known_objects), self._pane_width, self.console_options)
            self._keep_pane(res.xid, pane)
        for wid in _PANE:
            self.query_one(wid, Static).update(pane[wid])
        self._showing = res.xid

    def _schedule_prefetch(self) -> None:
        """Prefetch once the selection rests for :data:`PREFETCH_DELAY_S` (the pane drawn first, without a
        worker competing for the interpreter; no scoring of sources scrolled past)."""
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        self._prefetch_timer = self.set_timer(PREFETCH_DELAY_S, self._prefetch)

    def _prefetch(self) -> None:
        self._prefetch_timer = None
        if self.current_row is None or not self.is_running:  # (not while the app shuts down)
            return
        cur = str(self.data.xid[self.current_row])
        pos = self.view.position_of(self.current_row) or 0
        window = [str(self.data.xid[r]) for r in self.view.rows[pos: pos + 50]]
        ids = self.scorer.prefetch_ids(window, cur, PREFETCH)
        if ids and self.scorer.context_ready:
            self._prefetch_worker(ids, self._pane_width, self.console_options)

    def select_row(self, row: int, *, source: str = "") -> bool:
        self._position = None
        return super().select_row(row, source=source)

    def action_focus_table(self) -> None:
        """Esc: back to the table and, from a typed position, back to the selected source."""
        super().action_focus_table()
        if self._position is not None:
            self._position = None
            self._render_detail()

    # -- actions -------------------------------------------------------------------------------
    def action_goto(self) -> None:
        def done(value: str | None) -> None:
            if value and value.strip():
                self._position_worker(value.strip())

        self.push_screen(PromptScreen("Go to: RA Dec (deg or sexagesimal), gal l b, an id of the list, or a name:",
                                      placeholder="e.g. 17:45:40 -29:00:28   or   gal 300.1 -0.2"), done)

    def action_score_all(self) -> None:
        xids = [str(self.data.xid[r]) for r in self.view.rows]
        if not xids:
            self.notify("nothing to score: no rows shown", severity="warning")
            return
        self._score_all_worker(xids)

    def _selected_result(self) -> LiveResult | None:
        if self._position is not None:
            return self._position.result
        if self.current_row is None:
            return None
        return self.scorer.result(str(self.data.xid[self.current_row]))

    def action_send_neighbourhood(self) -> None:
        res = self._selected_result()
        if res is None or len(res.neighbours) == 0:
            self.notify("no scored source with neighbours selected", severity="warning")
            return
        bridge, nb = self.samp, res.neighbours
        self._samp_job("send", lambda: bridge.send_table(nb, np.arange(len(nb)), name=f"{res.xid} neighbourhood"))

    def action_point_aladin(self) -> None:
        res = self._selected_result()
        if res is None:
            return super().action_point_aladin()
        cat = res.catalogue[0]
        ra, dec, err = float(cat["ra"]), float(cat["dec"]), float(cat["pos_err"])
        ctp = []
        for s in ALL_SECONDARY:
            if f"nid_{s}" in cat.colnames and str(cat[f"nid_{s}"]).strip() not in ("", "-1", "None", "--"):
                nb = res.neighbours
                hit = nb[(np.asarray(nb["survey"]).astype(str) == s) &
                         (np.asarray(nb["nid"]).astype(str) == str(cat[f"nid_{s}"]).strip())]
                if len(hit):
                    ctp.append((float(hit["ra"][0]), float(hit["dec"][0]), f"{s} {cat[f'nid_{s}']}"))
        bridge = self.samp

        def job() -> str:
            msg = bridge.point_at(ra, dec)
            client = bridge._need()
            client.draw_error_circles([ra], [dec], [err])
            if ctp:
                client.mark_counterparts([c[0] for c in ctp], [c[1] for c in ctp], labels=[c[2] for c in ctp])
            return msg + f"; drew the 99% error circle and {len(ctp)} counterpart(s)"

        self._samp_job("aladin", job)


def create_explore_app(sources: str | Path | None, model: str | Path, *, tap_url: str | None = None,
                       cache: str | Path | None = None, samp: bool | object = True,
                       provider=None, deadline_s: float | None = 60.0,
                       known: Table | list[Table] | None = None, table: Table | None = None,
                       source: str | None = None, radius_arcsec: float = 20.0) -> ExploreApp:
    """Build the explore UI (the one factory for the CLI and the tests).

    Parameters
    ----------
    sources : path or None
        An X-ray table (anything ``xrbvo run`` reads), a catalogue with results
        (its results are shown as they are when made with this model), or None.
    model : path
        Model directory (:meth:`~xrbvo.workflows.bundle.ModelBundle.load`).
    tap_url : str, optional
        One TAP service serving every survey (default: each survey's own).
    cache : path, optional
        TAP chunk cache (default: the user's cache directory).
    provider : Provider, optional
        Replaces the TAP provider (tests).
    deadline_s : float
        Seconds one pull may take (a stalled service becomes a notification).
    known : Table or list of Table, optional
        Known objects (:func:`xrbvo.io.known.read_known` tables, e.g. from ``--known``), shown in the
        detail pane of each source they match, within the radius ``xrbvo run`` uses.
    table : Table, optional
        The sources already read and selected as ``xrbvo run`` reads them (the CLI's
        :func:`xrbvo.cli.commands.explore.explore_table`); default: ``sources`` read as it is.
    source : str, optional
        Where ``table`` came from, in the outputs (default: ``sources``), e.g. a TAP service's table.
    radius_arcsec : float
        The counterpart search radius, as ``xrbvo run --radius`` (part of the session's run context).
    samp : bool | object, optional
        Connect to a SAMP hub in the background.

    Returns
    -------
    ExploreApp
        The app, ready to run.
    """
    from xrbvo.tui.samp_bridge import NullBridge, SampBridge
    from xrbvo.workflows.bundle import ModelBundle
    from xrbvo.workflows.live import open_session
    from xrbvo.workflows.providers import TapProvider

    bundle = ModelBundle.load(model)
    if provider is None:
        provider = TapProvider(tap_url, cache=cache, deadline_s=deadline_s, retries=1)
    scorer, session = open_session(sources, bundle, provider, table=table, source=source, radius_arcsec=radius_arcsec)
    data = list_data(scorer, session)  # the session catalogue next to the list (None without a file)
    bridge = SampBridge(catalogue_path=None) if samp is True else (NullBridge() if samp in (False, None) else samp)
    cols = [c for c in ("xid", "l", "b", "P_HMXB", "P_LMXB", "predicted_class", "candidate_class", "p_any",
                        "pos_err", "flux_soft", "scored") if c in data.colnames]
    if isinstance(known, (list, tuple)):
        from xrbvo.workflows.known import stack_known

        known = stack_known(known) if known else None
    return ExploreApp(data, scorer, session=session, known=known, samp=bridge, columns=cols, sort="flux_soft"
                      if "flux_soft" in data.colnames else None)
