"""Rich renderables of the detail pane (no :mod:`textual` needed).

Each function turns part of a :class:`~xrbvo.tui.data.SourceDetail` into a
:class:`rich.text.Text` or :class:`rich.table.Table`; a part that is not
available says so instead of disappearing.  Text from the catalogue (ids,
names, notes) is never read as markup and its control characters are escaped
(:func:`xrbvo.core.text.one_line`), so it is shown, never obeyed.
"""

from __future__ import annotations

import math

import numpy as np
from rich.console import Group
from rich.table import Table as RichTable
from rich.text import Text

from xrbvo.core.schema import CLASS_DESCRIPTIONS, XRB_CLASSES
from xrbvo.core.surveys import SURVEYS
from xrbvo.core.text import one_line
from xrbvo.tui.data import SURVEY_SYMBOLS, SourceDetail

__all__ = ["format_value", "xray_text", "counterparts_table", "class_bars", "features_text", "known_text",
           "sky_plot", "detail_renderable", "NOT_AVAILABLE"]

NOT_AVAILABLE = "not available"

#: Magnitudes shown in the counterpart list (one per survey, to fit the pane).
_SHORT_BANDS = ("G", "K", "W1")

def format_value(v, *, width: int | None = None) -> str:
    """A compact text form of a catalogue value (NaN and empty shown as ``-``).

    Parameters
    ----------
    v : object
        A catalogue value.
    width : int, optional
        Width in characters.

    Returns
    -------
    str
        A compact text form of a catalogue value (NaN and empty shown as ``-``).
    """
    if isinstance(v, (bool, np.bool_)):
        s = "yes" if v else "no"
    elif isinstance(v, (int, np.integer)):
        s = str(int(v))
    elif isinstance(v, (float, np.floating)):
        x = float(v)
        if math.isnan(x):
            s = "-"
        elif x == 0:
            s = "0"
        elif abs(x) >= 1e5 or abs(x) < 1e-3:
            s = f"{x:.3g}"
        elif float(x).is_integer() and abs(x) < 1e5:
            s = f"{x:.0f}"
        else:
            s = f"{x:.4f}".rstrip("0").rstrip(".") if abs(x) < 10 else f"{x:.3f}"
    else:
        s = one_line(v) if str(v) else "-"
    if width is not None and len(s) > width:
        s = s[: max(1, width - 1)] + "…"
    return s


def xray_text(d: SourceDetail) -> Text:
    """X-ray position, fluxes, absorption and the association summary (compact).

    Parameters
    ----------
    d : SourceDetail
        The source's details.

    Returns
    -------
    rich.text.Text
        The X-ray part of the pane.
    """
    x = d.xray
    t = Text()
    t.append(f"{one_line(d.xid)}\n", style="bold")

    def pair(label, key, err=None, unit=""):
        if key not in x:
            return
        t.append(f"{label} ", style="dim")
        t.append(format_value(x[key]))
        if err is not None and err in x:
            t.append(" ± " + format_value(x[err]))
        t.append(unit + "  ")

    pair("RA", "ra")
    pair("Dec", "dec")
    pair("err", "pos_err", unit='"')
    t.append("\n")
    pair("l", "l")
    pair("b", "b")
    pair("N_H", "nh")
    t.append("\n")
    pair("F(0.2-2.3 keV)", "flux_soft", "flux_soft_err")
    t.append("\n")
    pair("F(2.3-5 keV)  ", "flux_hard", "flux_hard_err")
    t.append("\n")
    pair("p_any", "p_any")
    pair("p_i", "p_i")
    pair("flag", "match_flag")
    if "ctp_state" in x:  # on a line of its own with the neighbour count: the pane's width holds no more
        t.append("\n")
    pair("counterpart", "ctp_state")
    pair("neighbours", "n_candidates")
    ids = [(k[4:], v) for k, v in x.items() if k.startswith("nid_")]
    if ids:
        t.append("\nbest: ", style="dim")
        t.append("  ".join(f"{s}={one_line(v or '-')}" for s, v in ids))
    if d.mark:
        style = "bold green" if d.mark["status"] == "candidate" else "bold red"
        t.append("\nmark ", style="dim")
        t.append(d.mark["status"], style=style)
        if d.mark.get("note"):
            t.append(f": {one_line(d.mark['note'])}")
    return t


def counterparts_table(d: SourceDetail, *, max_rows: int = 8) -> RichTable | Text:
    """The candidate counterpart combinations: ids, separations, magnitudes, p_i, flags.

    Parameters
    ----------
    d : SourceDetail
        The source's details.
    max_rows : int, optional
        Most combinations shown (the most probable first).

    Returns
    -------
    RichTable | Text
        The candidate counterpart combinations: ids, separations, magnitudes, p_i, flags.
    """
    if d.candidates is None:
        return Text(f"counterparts: {NOT_AVAILABLE} (no counterparts table next to the catalogue)", style="dim")
    if not d.candidates:
        return Text("counterparts: no neighbour within the search radius", style="dim")
    surveys = [s for s in d.candidates[0].ids]
    t = RichTable(box=None, pad_edge=False, show_edge=False, header_style="bold", expand=False)
    t.add_column("#", justify="right")
    for s in surveys:
        t.add_column(f"{s} (\")", justify="right")
    t.add_column("G K W1 (mag)", no_wrap=True)
    t.add_column("p_i", justify="right")
    ctpt = sorted({k for c in d.candidates for k in c.class_probs})
    for k in ctpt:
        t.add_column(k.replace("_CTPT", "").replace("P_", "P|"), justify="right")
    for c in d.candidates[:max_rows]:
        cells = [("*" if c.match_flag == 1 else "+" if c.match_flag == 2 else "") + str(c.rank)]
        for s in surveys:
            cells.append(format_value(c.seps_arcsec[s]) if c.ids[s] else "none")
        short = [(b, m) for b, m in c.mags.items() if b in _SHORT_BANDS]
        cells.append(" ".join(f"{b}={m:.1f}" for b, m in short) or ("-" if any(c.ids.values()) else ""))
        cells.append(format_value(c.p_i))
        cells.extend(format_value(c.class_probs.get(k, float("nan"))) for k in ctpt)
        t.add_row(*cells, style="bold" if c.match_flag == 1 else None)
    if not ctpt:
        t.caption = f"class-conditional probabilities: {NOT_AVAILABLE}"
    if len(d.candidates) > max_rows:
        t.caption = (t.caption + "; " if t.caption else "") + f"{len(d.candidates) - max_rows} more combinations"
    return t


def class_bars(d: SourceDetail, *, width: int = 20) -> Text:
    """The class probabilities as horizontal bars, most probable first marked.

    Parameters
    ----------
    d : SourceDetail
        The source's details.
    width : int, optional
        Width in characters.

    Returns
    -------
    Text
        The class probabilities as horizontal bars, most probable first marked.
    """
    if d.class_probs is None:
        return Text(f"class probabilities: {NOT_AVAILABLE}", style="dim")
    t = Text()
    for cls, p in d.class_probs.items():
        p = 0.0 if not math.isfinite(p) else min(max(p, 0.0), 1.0)
        n = int(round(p * width))
        style = "bold magenta" if cls == d.predicted else ("cyan" if cls in XRB_CLASSES else "blue")
        t.append(f"{cls:<6}", style="bold" if cls == d.predicted else "")
        t.append("█" * n, style=style)
        t.append("·" * (width - n), style="dim")
        t.append(f" {p:5.3f}\n")
    t.append(f"predicted: {d.predicted} ({CLASS_DESCRIPTIONS.get(d.predicted, '')})", style="italic")
    return t


def features_text(d: SourceDetail) -> Text:
    """The features that pushed the top class most (``top_features``).

    Parameters
    ----------
    d : SourceDetail
        The source's details.

    Returns
    -------
    Text
        The features that pushed the top class most (``top_features``).
    """
    if d.top_features is None:
        return Text(f"explanations: {NOT_AVAILABLE} (the catalogue has no top_features column)", style="dim")
    if not d.top_features:
        return Text("explanations: none recorded for this source", style="dim")
    t = Text()
    for f in d.top_features:
        t.append(" • " + one_line(f) + "\n")
    t.rstrip()
    return t


def known_text(d: SourceDetail) -> Text:
    """Known objects near the source (``--known``).

    Parameters
    ----------
    d : SourceDetail
        The source's details.

    Returns
    -------
    rich.text.Text
        The known objects, or a line saying none is available.
    """
    if d.known is None:
        return Text(f"known objects: {NOT_AVAILABLE} (start with --known FILE)", style="dim")
    if not d.known:
        return Text("known objects: none within the match radius", style="dim")
    t = Text()
    for k in d.known:
        t.append(one_line(k.name), style="bold yellow")
        t.append(f" {one_line(k.kind)}" if k.kind else "")
        t.append(f"  at {k.sep_arcsec:.1f}\"\n")
    t.rstrip()
    return t


def sky_plot(d: SourceDetail, *, width: int = 33, height: int = 15) -> Text:
    """A small character plot of the neighbourhood: error circle and neighbours.

    North is up, east is left.  The X-ray position is ``+``; the dotted ring is
    the 99% error circle (3.03 sigma); each neighbour is its survey's letter
    (:data:`~xrbvo.tui.data.SURVEY_SYMBOLS`), bold red when its counterpart
    probability exceeds 0.5, yellow above 0.1, dim otherwise.

    Parameters
    ----------
    d : SourceDetail
        The source's details.
    width : int, optional
        Width in characters.
    height : int, optional
        Height of the plot in character rows.

    Returns
    -------
    Text
        A small character plot of the neighbourhood: error circle and neighbours.
    """
    if d.neighbours is None:
        return Text(f"sky plot: {NOT_AVAILABLE} (no neighbourhood table next to the catalogue)", style="dim")
    width = max(9, width | 1)
    height = max(5, height | 1)
    r = d.radius_arcsec if d.radius_arcsec > 0 else 10.0
    cx, cy = width // 2, height // 2
    sx = (width // 2) / r  # columns per arcsec
    sy = (height // 2) / r  # rows per arcsec
    grid: list[list[tuple[str, str]]] = [[(" ", "")] * width for _ in range(height)]

    def put(dx, dy, ch, style):
        col = cx - int(round(dx * sx))  # east is left
        row = cy - int(round(dy * sy))
        if 0 <= row < height and 0 <= col < width:
            grid[row][col] = (ch, style)
            return True
        return False

    if math.isfinite(d.pos_err_arcsec):
        rc = 3.03 * d.pos_err_arcsec
        for k in range(96):
            a = 2 * math.pi * k / 96
            put(rc * math.cos(a), rc * math.sin(a), "·", "green")
    put(0, 0, "+", "bold green")
    outside = 0
    for nb in sorted(d.neighbours, key=lambda n: n.prob):
        style = "bold red" if nb.prob > 0.5 else ("yellow" if nb.prob > 0.1 else "dim")
        if not put(nb.dx_arcsec, nb.dy_arcsec, SURVEY_SYMBOLS.get(nb.survey, "?"), style):
            outside += 1
    t = Text()
    border = "─" * width
    t.append(f"┌{border}┐ N\n", style="dim")
    for row in grid:
        t.append("│", style="dim")
        for ch, style in row:
            t.append(ch, style=style)
        t.append("│\n", style="dim")
    t.append(f"└{border}┘\n", style="dim")
    present = {nb.survey for nb in d.neighbours}
    legend = "  ".join(f"{v}={k}" for k, v in SURVEY_SYMBOLS.items() if k in present or not SURVEYS[k].opt_in)
    t.append(f"E←  half-width {r:.1f}\"  ring: 99% error circle  {legend}", style="dim")
    if not d.neighbours:
        t.append("\nno neighbours in the neighbourhood table", style="dim")
    if outside:
        t.append(f"\n{outside} outside the plot", style="dim")
    return t


def detail_renderable(d: SourceDetail) -> Group:
    """The whole detail pane as one renderable (for snapshots outside Textual).

    Parameters
    ----------
    d : SourceDetail
        The source's details.

    Returns
    -------
    Group
        The whole detail pane as one renderable (for snapshots outside Textual).
    """
    return Group(xray_text(d), class_bars(d), counterparts_table(d), features_text(d), known_text(d), sky_plot(d))
