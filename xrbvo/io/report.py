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

import html
import math
import re
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from xrbvo.core.geometry import K99
from xrbvo.core.schema import CLASSES
from xrbvo.io.outputs import save_output
from xrbvo.io.plots import CLASS_COLOURS

__all__ = ["INDEX_MAGS", "SURVEY_STYLE", "candidate_png", "escape_html", "index_html", "png_name", "regions_text",
           "sexagesimal", "sky_links", "write_html"]


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
    fig.suptitle(head, fontsize=11, x=0.02, ha="left")
    kn = str(row.get("known_name", "")).strip()
    if "new" in row:
        sub = (f"known: {kn} ({str(row.get('known_class', '')).strip() or 'class not given'}) at "
               f"{_value(row, 'known_sep'):.1f}\"" if kn else "new: no known object within the match radius")
        fig.text(0.02, 0.915, sub, fontsize=9, color="#0a6" if not kn else "#a50")
    top = str(row.get("top_features", "")).strip()
    fig.text(0.07, 0.02, "features that decided (contribution to the log-odds of the top class):\n"
             + (_wrap(top) if top else "(not recorded)"), fontsize=8, va="bottom", family="monospace")
    return save_output(path, fig.savefig)


def _wrap(text: str, width: int = 150) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:3])


def escape_html(text) -> str:
    """Text made safe inside HTML (element content and quoted attribute values): the report's one escaping helper."""
    return html.escape(str(text), quote=True)


def _fmt(v, spec: str) -> str:
    if np.ma.is_masked(v):
        return ""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return escape_html(v)
    return "" if not math.isfinite(f) else format(f, spec)


def _number(v) -> float:
    try:
        f = float(v) if not np.ma.is_masked(v) else float("nan")
    except (TypeError, ValueError):
        return float("nan")
    return f


def sky_links(ra_deg: float, dec_deg: float) -> dict[str, str]:
    """Links to SIMBAD, Aladin Lite and ESASky centred on a position (ICRS, degrees).

    >>> sky_links(10.5, -60.25)["SIMBAD"]
    'https://simbad.cds.unistra.fr/simbad/sim-coo?Coord=10.500000+-60.250000&CooFrame=ICRS&Radius=10&Radius.unit=arcsec'
    """
    from urllib.parse import urlencode

    pos = f"{ra_deg % 360.0:.6f} {dec_deg:+.6f}"
    return {
        "SIMBAD": "https://simbad.cds.unistra.fr/simbad/sim-coo?" + urlencode(
            {"Coord": pos, "CooFrame": "ICRS", "Radius": "10", "Radius.unit": "arcsec"}),
        "Aladin": "https://aladin.cds.unistra.fr/AladinLite/?" + urlencode(
            {"target": pos, "fov": "0.05", "survey": "CDS/P/DSS2/color"}),
        "ESASky": "https://sky.esa.int/esasky/?" + urlencode(
            {"target": pos, "fov": "0.05", "hips": "DSS2 color", "cooframe": "J2000", "sci": "true"}),
    }


def sexagesimal(ra_deg: float, dec_deg: float) -> tuple[str, str]:
    """RA (hh:mm:ss.ss) and Dec (+dd:mm:ss.s) of a position in degrees; RA is taken modulo 360.

    >>> sexagesimal(359.99999, -90.0)  # 23:59:59.9976 rounds to 0h
    ('00:00:00.00', '-90:00:00.0')
    >>> sexagesimal(266.4168333, -29.0078333)
    ('17:45:40.04', '-29:00:28.2')
    """
    cs = round((float(ra_deg) % 360.0) / 15.0 * 360000.0) % 8640000  # hundredths of a second of time
    ra = f"{cs // 360000:02d}:{cs // 6000 % 60:02d}:{cs % 6000 // 100:02d}.{cs % 100:02d}"
    ds = round(abs(float(dec_deg)) * 36000.0)  # tenths of an arcsecond
    dec = f"{'-' if dec_deg < 0 and ds else '+'}{ds // 36000:02d}:{ds // 600 % 60:02d}:{ds % 600 // 10:02d}.{ds % 10}"
    return ra, dec


#: Magnitudes of the chosen counterpart shown in the index (catalogue column -> header).
INDEX_MAGS: dict[str, str] = {"G": "G", "BP_RP": "BP-RP", "K": "K", "W1": "W1"}

_SCRIPT = """
(function () {
  var table = document.getElementById("candidates");
  if (!table) { return; }
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  var text = document.getElementById("filter-text");
  var klass = document.getElementById("filter-class");
  var known = document.getElementById("filter-known");
  var count = document.getElementById("shown");
  function key(cell, numeric) {
    var v = cell.getAttribute("data-v");
    if (v === null) { v = cell.textContent; }
    if (!numeric) { return v.toLowerCase(); }
    var f = parseFloat(v);
    return isNaN(f) ? -Infinity : f;
  }
  Array.prototype.forEach.call(heads, function (th, col) {
    if (th.getAttribute("data-sort") === null) { return; }
    th.addEventListener("click", function () {
      var numeric = th.getAttribute("data-sort") === "num";
      var dir = th.getAttribute("aria-sort") === "descending" ? 1 : -1;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[col], numeric), y = key(b.cells[col], numeric);
        return x < y ? -dir : (x > y ? dir : 0);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  function apply() {
    var q = text.value.trim().toLowerCase(), c = klass.value, k = known.value, n = 0;
    Array.prototype.forEach.call(body.rows, function (r) {
      var ok = (!q || r.textContent.toLowerCase().indexOf(q) >= 0) && (!c || r.getAttribute("data-class") === c)
        && (!k || r.getAttribute("data-known") === k);
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    count.textContent = n;
  }
  [text, klass, known].forEach(function (el) { el.addEventListener("input", apply); el.addEventListener("change", apply); });
  apply();
})();
"""


def index_html(rows: Sequence[Mapping], *, title: str, sky_map: str | None = None, note: str = "",
               missed: Sequence[Mapping] = (), files: Mapping[str, str] | None = None,
               diagnostics: Mapping[str, str] | None = None) -> str:
    """The report's index page: a sortable, filterable table of the candidates (plain HTML and a little JavaScript).

    Parameters
    ----------
    rows : sequence of mapping
        One per candidate, in the order shown: ``xid``, ``ra``, ``dec``, ``l``, ``b``,
        ``candidate_class``, ``P``, ``P_field``, ``expected_purity``, the
        counterpart's magnitudes (:data:`INDEX_MAGS`), ``known`` (the known
        name, or ``new``; absent: no known-objects match) and ``png`` (file name
        relative to the index, or ``""`` when not drawn).
    title : str
    sky_map : str, optional
        File name of the sky map, shown at the top.
    note : str
        A sentence shown under the title (e.g. how many pictures were skipped).
    missed : sequence of mapping
        Known X-ray binaries that are not candidates: ``name``, ``known_class``,
        ``xid``, ``reason``, ``p``.
    files : mapping, optional
        Label -> link (relative to the index) of the catalogue files and the region file.
    diagnostics : mapping, optional
        Label -> link of the population plots, shown as thumbnails.
    """
    e = escape_html
    has_known = any("known" in r for r in rows)
    # (header, css class, sort kind)
    head = [("#", "", "num"), ("xid", "t", "text"), ("RA (ICRS)", "t", "num"), ("Dec (ICRS)", "t", "num"),
            ("RA (deg)", "", "num"), ("Dec (deg)", "", "num"), ("l (deg)", "", "num"), ("b (deg)", "", "num"),
            ("class", "t", "text"), ("P", "", "num"), ("P_field", "", "num"), ("expected purity", "", "num")]
    head += [(h, "", "num") for h in INDEX_MAGS.values()]
    head += ([("known / new", "t", "text")] if has_known else []) + [("links", "t", None), ("picture", "t", None)]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
           "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:0.85em}"
           "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td.t,th.t{text-align:left}"
           "th[data-sort]{cursor:pointer;background:#f2f2f2}th[aria-sort=ascending]::after{content:' \\25B2'}"
           "th[aria-sort=descending]::after{content:' \\25BC'}"
           "tr.known td{background:#fff4e0}img.thumb{height:60px}.filters{margin:0.6em 0}"
           ".filters label{margin-right:1em}.diag img{height:220px;margin-right:0.5em}</style></head><body>",
           f"<h1>{e(title)}</h1>"]
    if note:
        out.append(f"<p>{e(note)}</p>")
    if files:
        out.append('<p id="files">Files: ' + " · ".join(f'<a href="{e(h)}">{e(k)}</a>' for k, h in files.items())
                   + "</p>")
    if sky_map:
        out.append(f'<p><a href="{e(sky_map)}"><img src="{e(sky_map)}" alt="sky map" style="max-width:100%"></a></p>')
    if diagnostics:
        out.append('<h2>Population</h2><p class="diag">' + "".join(
            f'<a href="{e(h)}"><img src="{e(h)}" alt="{e(k)}" title="{e(k)}"></a>' for k, h in diagnostics.items())
            + "</p>")
    classes = sorted({str(r["candidate_class"]) for r in rows})
    out.append(f"<h2>Candidates ({len(rows)}), by P_HMXB then P_LMXB</h2>")
    out.append('<div class="filters"><label>filter <input id="filter-text" type="search" '
               'placeholder="text in any column"></label><label>class <select id="filter-class">'
               '<option value="">all</option>' + "".join(f'<option value="{e(c)}">{e(c)}</option>' for c in classes)
               + "</select></label>" + ('<label>known / new <select id="filter-known"><option value="">all</option>'
                                        '<option value="known">known</option><option value="new">new</option>'
                                        "</select></label>" if has_known else
                                        '<select id="filter-known" hidden><option value=""></option></select>')
               + f'shown: <span id="shown">{len(rows)}</span> of {len(rows)}</div>')
    out.append('<table id="candidates"><thead><tr>' + "".join(
        f'<th class="{k}"' + (f' data-sort="{s}"' if s else "") + f">{e(h)}</th>" for h, k, s in head)
        + "</tr></thead><tbody>")
    for i, r in enumerate(rows, 1):
        png = str(r.get("png", ""))
        xid = e(r["xid"])
        ra, dec = _number(r.get("ra")), _number(r.get("dec"))
        pos_ok = math.isfinite(ra) and math.isfinite(dec)
        ra_s, dec_s = sexagesimal(ra, dec) if pos_ok else ("", "")
        cls = str(r["candidate_class"])
        cells = [(str(i), "", i), (f'<a href="{e(png)}">{xid}</a>' if png else xid, "t", None),
                 (e(ra_s), "t", ra), (e(dec_s), "t", dec), (_fmt(ra, ".6f"), "", None), (_fmt(dec, "+.6f"), "", None),
                 (_fmt(r.get("l"), ".4f"), "", None), (_fmt(r.get("b"), "+.4f"), "", None), (e(cls), "t", None),
                 (_fmt(r.get("P"), ".3f"), "", None), (_fmt(r.get("P_field"), ".3g"), "", None),
                 (_fmt(r.get("expected_purity"), ".2f"), "", None)]
        cells += [(_fmt(r.get(c), ".2f"), "", None) for c in INDEX_MAGS]
        known = str(r.get("known", ""))
        if has_known:
            cells.append((e(known), "t", None))
        links = " ".join(f'<a href="{e(u)}" target="_blank" rel="noopener">{e(k)}</a>'
                         for k, u in sky_links(ra, dec).items()) if pos_ok else ""
        cells.append((links, "t", None))
        cells.append((f'<a href="{e(png)}"><img class="thumb" src="{e(png)}" alt="{xid}" loading="lazy"></a>'
                      if png else "not drawn", "t", None))
        state = "new" if known == "new" else "known"
        row_cls = ' class="known"' if has_known and known != "new" else ""
        out.append(f'<tr{row_cls} data-class="{e(cls)}" data-known="{state if has_known else ""}">' + "".join(
            f'<td class="{k}"' + (f' data-v="{float(v)!r}"' if v is not None and math.isfinite(float(v)) else "") + f">{c}</td>"
            for c, k, v in cells) + "</tr>")
    out.append("</tbody></table>")
    if missed:
        out.append(f"<h2>Known X-ray binaries in the field that are not candidates ({len(missed)})</h2>")
        out.append('<table id="missed"><thead><tr><th class="t">name</th><th class="t">class</th>'
                   '<th class="t">xid</th><th class="t">why</th><th>P of its class</th></tr></thead><tbody>')
        for m in missed:
            out.append(f'<tr><td class="t">{e(m["name"])}</td><td class="t">{e(m["known_class"])}</td>'
                       f'<td class="t">{e(m["xid"])}</td><td class="t">{e(m["reason"])}</td>'
                       f'<td>{_fmt(m["p"], ".3f")}</td></tr>')
        out.append("</tbody></table>")
    out.append(f"<script>{_SCRIPT}</script>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _region_label(text) -> str:
    """A label safe inside a ds9 ``text={...}``: no braces, quotes or line breaks."""
    return re.sub(r"[{}\"\n\r]+", "_", str(text)).strip()


def regions_text(rows: Sequence[Mapping], *, header: str = "") -> str:
    """A ds9 region file (ICRS) of the candidates, written with astropy's ``regions`` package.

    Parameters
    ----------
    rows : sequence of mapping
        One per candidate: ``xid``, ``ra``, ``dec``, ``pos_err`` (arcsec, 1 sigma),
        ``candidate_class``, and, when it has one, ``ctp_ra``, ``ctp_dec`` and
        ``ctp_label`` (its chosen counterpart: survey and identifier).
    header : str
        A comment line saying how the file was made.

    Each candidate gets its X-ray 1-sigma circle (solid) and 99% circle (dashed,
    labelled with its xid and class), coloured by class, and its counterpart a
    labelled cross.  A candidate without a finite error gets the 99% circle of
    10 arcsec, without 1-sigma circle.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord
    from regions import CircleSkyRegion, PointSkyRegion, RegionMeta, Regions, RegionVisual

    from xrbvo.io.plots import CLASS_COLOURS

    regs = []
    for r in rows:
        ra, dec = _number(r.get("ra")), _number(r.get("dec"))
        if not (math.isfinite(ra) and math.isfinite(dec)):
            continue
        centre = SkyCoord(ra % 360.0 * u.deg, dec * u.deg)
        err = _number(r.get("pos_err"))
        colour = CLASS_COLOURS.get(str(r.get("candidate_class", "")), "green")
        label = _region_label(f"{r['xid']} {r.get('candidate_class', '')}")
        if math.isfinite(err) and err > 0:
            regs.append(CircleSkyRegion(centre, err * u.arcsec, visual=RegionVisual({"color": colour, "width": 2})))
        r99 = K99 * err if math.isfinite(err) and err > 0 else 10.0
        regs.append(CircleSkyRegion(centre, r99 * u.arcsec, meta=RegionMeta({"text": label}),
                                    visual=RegionVisual({"color": colour, "dash": 1})))
        cra, cdec = _number(r.get("ctp_ra")), _number(r.get("ctp_dec"))
        if math.isfinite(cra) and math.isfinite(cdec):
            regs.append(PointSkyRegion(SkyCoord(cra % 360.0 * u.deg, cdec * u.deg),
                                       meta=RegionMeta({"text": _region_label(r.get("ctp_label", "counterpart"))}),
                                       visual=RegionVisual({"color": "red", "marker": "x"})))
    text = Regions(regs).serialize(format="ds9") if regs else "# Region file format: DS9\nicrs\n"
    if header:
        text = f"# {_region_label(header)}\n" + text
    return text


def write_html(text: str, path: str | Path) -> Path:
    """Write an HTML page atomically (UTF-8)."""
    data = text.encode("utf-8")
    return save_output(path, lambda target: Path(target).write_bytes(data))
