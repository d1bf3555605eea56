"""The drawings of the report: one PNG per candidate and an HTML index (the orchestration is
:mod:`xrbvo.workflows.report`).

A candidate's picture shows, left, its neighbourhood in arcsec from the X-ray
position (east to the left, north up): the X-ray 1-sigma and 99% error circles,
each survey's neighbours with their own symbol and the chosen counterpart ringed;
right, the class probabilities as bars (``P_<class>`` at the model's selection
priors, where the cuts apply, and ``P_<class>_field`` at the field's priors),
and below, the features that decided (``top_features``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from xrbvo.core.geometry import K99
from xrbvo.core.schema import CLASSES
from xrbvo.core.text import for_html, for_mathtext
from xrbvo.io.outputs import save_output
from xrbvo.io.plots import CLASS_COLOURS

__all__ = ["SURVEY_STYLE", "candidate_png", "index_html", "png_name", "write_html"]


#: Survey -> (marker, colour, filled) of its neighbours on a candidate's picture.
SURVEY_STYLE: dict[str, tuple[str, str, bool]] = {
    "gaia": ("o", "#1f77b4", True), "2mass": ("s", "#ff7f0e", False), "vvv": ("D", "#9467bd", False),
    "catwise": ("^", "#2ca02c", False)}

_SAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def png_name(row: int, xid: str) -> str:
    """A file name for a candidate's picture: the catalogue row (unique) and the identifier, made file-safe.

    >>> png_name(7, "1eRASS J123456.7-612345")
    '00007_1eRASS_J123456.7-612345.png'
    """
    return f"{row:05d}_{_SAFE.sub('_', xid).strip('_')[:80]}.png"


def _value(row: Mapping, key: str, default=float("nan")):
    v = row.get(key, default)
    if np.ma.is_masked(v):
        return default
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def candidate_png(row: Mapping, neighbours: Mapping[str, np.ndarray], path: str | Path, *,
                  chosen: Mapping[str, str] | None = None) -> Path:
    """Draw one candidate's picture.

    Parameters
    ----------
    row : mapping
        The catalogue row (column -> value): ``xid``, ``ra``, ``dec``, ``l``,
        ``b``, ``pos_err`` (arcsec), ``candidate_class``, ``P_<class>``,
        ``P_<class>_field``, ``expected_purity``, ``top_features`` and, after the
        known-or-new match, ``known_name``, ``known_class``, ``known_sep``.
    neighbours : mapping
        Arrays ``survey``, ``nid``, ``ra``, ``dec`` (deg) of this source's neighbours.
    path : path
        The PNG to write.
    chosen : mapping, optional
        Survey -> identifier of the chosen counterpart (``nid_<survey>``).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    xid = str(row["xid"])
    ra0, dec0 = float(row["ra"]), float(row["dec"])
    err = _value(row, "pos_err")
    err = err if math.isfinite(err) and err > 0 else float("nan")
    fig = Figure(figsize=(11, 6.4), dpi=100)
    ax = fig.add_axes((0.07, 0.30, 0.36, 0.57))
    bars = fig.add_axes((0.56, 0.30, 0.40, 0.57))
    # -- the neighbourhood
    surveys = np.asarray(neighbours.get("survey", []), str)
    dx = (np.asarray(neighbours.get("ra", []), float) - ra0 + 180.0) % 360.0 - 180.0
    dx = dx * math.cos(math.radians(dec0)) * 3600.0
    dy = (np.asarray(neighbours.get("dec", []), float) - dec0) * 3600.0
    nid = np.asarray(neighbours.get("nid", []), str)
    r99 = K99 * err if math.isfinite(err) else 10.0
    extent = max(1.25 * r99, float(np.nanmax(np.hypot(dx, dy))) * 1.08 if len(dx) else 0.0, 5.0)
    if math.isfinite(err):
        ax.add_patch(Circle((0, 0), err, fill=False, color="k", lw=1.5, label=f"X-ray 1σ ({err:.1f}\")"))
        ax.add_patch(Circle((0, 0), r99, fill=False, color="k", lw=1.0, ls="--", label=f"X-ray 99% ({r99:.1f}\")"))
    ax.plot([0], [0], marker="+", color="k", ms=10, ls="none")
    chosen = {k: str(v) for k, v in (chosen or {}).items() if str(v).strip() not in ("", "-1", "--")}
    order = list(SURVEY_STYLE)
    for s in sorted(dict.fromkeys(surveys), key=lambda k: order.index(k) if k in order else len(order)):
        marker, colour, filled = SURVEY_STYLE.get(s, ("x", "0.3", True))
        m = surveys == s
        z = 8 - (order.index(s) if s in order else len(order))  # the best astrometry on top
        ax.scatter(dx[m], dy[m], s=14 if filled else 34, marker=marker, label=f"{s} ({int(m.sum())})",
                   facecolors=colour if filled else "none", edgecolors=colour, linewidths=1.2, zorder=z)
    pick = np.array([chosen.get(s) == n for s, n in zip(surveys, nid)], bool)
    if pick.any():
        ax.scatter(dx[pick], dy[pick], s=260, facecolors="none", edgecolors="red", linewidths=2.0,
                   label="chosen counterpart", zorder=10)
    ax.set_xlim(extent, -extent)  # east to the left
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("ΔRA cos Dec (arcsec, east left)")
    ax.set_ylabel("ΔDec (arcsec)")
    ax.grid(alpha=0.25)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    # -- the class probabilities
    y = np.arange(len(CLASSES))
    p = np.array([_value(row, f"P_{c}", 0.0) for c in CLASSES])
    pf = np.array([_value(row, f"P_{c}_field", np.nan) for c in CLASSES])
    colours = [CLASS_COLOURS.get(c, "0.5") for c in CLASSES]
    bars.barh(y - 0.2, p, height=0.38, color=colours, label="P (selection priors: the cuts)")
    if np.isfinite(pf).any():
        bars.barh(y + 0.2, np.nan_to_num(pf), height=0.38, color=colours, alpha=0.4, hatch="///",
                  edgecolor="0.3", label="P_field (the field's priors)")
    for yi, a, f in zip(y, p, pf):
        bars.text(min(a, 1.0) + 0.01, yi - 0.2, f"{a:.3g}", va="center", fontsize=7)
        if math.isfinite(f):
            bars.text(min(f, 1.0) + 0.01, yi + 0.2, f"{f:.3g}", va="center", fontsize=7, color="0.35")
    bars.set_yticks(y, CLASSES)
    bars.invert_yaxis()
    bars.set_xlim(0, 1.15)
    bars.set_xlabel("class probability")
    bars.legend(fontsize=7, loc="lower right")
    # -- the header and what decided
    cls = str(row.get("candidate_class", "")).strip()
    head = f"{xid}   l = {float(row['l']):.3f}°, b = {float(row['b']):+.3f}°"
    if cls:
        head += f"   {cls} candidate, P = {_value(row, f'P_{cls}'):.3f}"
        ep = _value(row, "expected_purity")
        if math.isfinite(ep):
            head += f", expected purity {ep:.2f}"
    fig.suptitle(for_mathtext(head), fontsize=11, x=0.02, ha="left")
    kn = str(row.get("known_name", "")).strip()
    if "new" in row:
        sub = (f"known: {kn} ({str(row.get('known_class', '')).strip() or 'class not given'}) at "
               f"{_value(row, 'known_sep'):.1f}\"" if kn else "new: no known object within the match radius")
        fig.text(0.02, 0.915, for_mathtext(sub), fontsize=9, color="#0a6" if not kn else "#a50")
    top = str(row.get("top_features", "")).strip()
    fig.text(0.07, 0.02, "features that decided (contribution to the log-odds of the top class):\n"
             + (for_mathtext(_wrap(top)) if top else "(not recorded)"), fontsize=8, va="bottom", family="monospace")
    return save_output(path, fig.savefig)


def _wrap(text: str, width: int = 150) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:3])


def _fmt(v, spec: str) -> str:
    if np.ma.is_masked(v):
        return ""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return for_html(v)
    return "" if not math.isfinite(f) else format(f, spec)


def index_html(rows: Sequence[Mapping], *, title: str, sky_map: str | None = None, note: str = "",
               missed: Sequence[Mapping] = ()) -> str:
    """The report's index page.

    Parameters
    ----------
    rows : sequence of mapping
        One per candidate, in the order shown: ``xid``, ``l``, ``b``,
        ``candidate_class``, ``P``, ``P_field``, ``expected_purity``, ``known``
        (the known name, or ``new``; absent: no known-objects match) and ``png``
        (file name relative to the index, or ``""`` when not drawn).
    title : str
    sky_map : str, optional
        File name of the sky map, shown at the top.
    note : str
        A sentence shown under the title (e.g. how many pictures were skipped).
    missed : sequence of mapping
        Known X-ray binaries that are not candidates: ``name``, ``known_class``,
        ``xid``, ``reason``, ``p``.
    """
    e = for_html  # every text of the page, data or not, through the one escaping path (xrbvo.core.text)
    has_known = any("known" in r for r in rows)
    head = ["#", "xid", "l (deg)", "b (deg)", "class", "P", "P_field", "expected purity"] + (
        ["known / new"] if has_known else []) + ["picture"]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
           "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:0.9em}"
           "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td.t,th.t{text-align:left}"
           "tr.known td{background:#fff4e0}img.thumb{height:60px}</style></head><body>",
           f"<h1>{e(title)}</h1>"]
    if note:
        out.append(f"<p>{e(note)}</p>")
    if sky_map:
        out.append(f'<p><a href="{e(sky_map)}"><img src="{e(sky_map)}" alt="sky map" style="max-width:100%"></a></p>')
    out.append(f"<h2>Candidates ({len(rows)}), by P_HMXB then P_LMXB</h2>")
    out.append('<table id="candidates"><thead><tr>' + "".join(
        f'<th class="{"t" if h in ("xid", "class", "known / new", "picture") else ""}">{e(h)}</th>' for h in head)
        + "</tr></thead><tbody>")
    for i, r in enumerate(rows, 1):
        png = str(r.get("png", ""))
        xid = e(str(r["xid"]))
        cells = [(str(i), ""), (f'<a href="{e(png)}">{xid}</a>' if png else xid, "t"), (_fmt(r["l"], ".4f"), ""),
                 (_fmt(r["b"], "+.4f"), ""), (e(str(r["candidate_class"])), "t"), (_fmt(r["P"], ".3f"), ""),
                 (_fmt(r.get("P_field"), ".3g"), ""), (_fmt(r.get("expected_purity"), ".2f"), "")]
        known = str(r.get("known", ""))
        if has_known:
            cells.append((e(known), "t"))
        cells.append((f'<a href="{e(png)}"><img class="thumb" src="{e(png)}" alt="{xid}" loading="lazy"></a>'
                      if png else "not drawn", "t"))
        cls = ' class="known"' if has_known and known != "new" else ""
        out.append(f"<tr{cls}>" + "".join(f'<td class="{k}">{c}</td>' for c, k in cells) + "</tr>")
    out.append("</tbody></table>")
    if missed:
        out.append(f"<h2>Known X-ray binaries in the field that are not candidates ({len(missed)})</h2>")
        out.append('<table id="missed"><thead><tr><th class="t">name</th><th class="t">class</th>'
                   '<th class="t">xid</th><th class="t">why</th><th>P of its class</th></tr></thead><tbody>')
        for m in missed:
            out.append(f'<tr><td class="t">{e(str(m["name"]))}</td><td class="t">{e(str(m["known_class"]))}</td>'
                       f'<td class="t">{e(str(m["xid"]))}</td><td class="t">{e(str(m["reason"]))}</td>'
                       f'<td>{_fmt(m["p"], ".3f")}</td></tr>')
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_html(text: str, path: str | Path) -> Path:
    """Write an HTML page atomically (UTF-8)."""
    data = text.encode("utf-8")
    return save_output(path, lambda target: Path(target).write_bytes(data))
