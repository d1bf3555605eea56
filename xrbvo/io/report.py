"""The drawings of the report: one PNG per candidate and an HTML index (the orchestration is
:mod:`xrbvo.workflows.report`).

A candidate's picture (:func:`candidate_png`) is a finding chart in RA/Dec (north up, east left,
a scale bar, the X-ray 1-sigma and 99% error circles, each survey's neighbours with their own
symbol sized by magnitude, the chosen counterpart ringed), beside the class probabilities, what
is known of the counterpart (or the surveys' limiting magnitudes there) and the features that
decided.  The index (:func:`index_html`) is a sortable, filterable table with links to SIMBAD,
Aladin Lite and ESASky; :func:`regions_text` writes the candidates as a ds9 region file.
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
from xrbvo.core.surveys import SIZE_BAND, SURVEY_STYLE  # the surveys' records; re-exported
from xrbvo.io.plots import CLASS_COLOURS

__all__ = ["INDEX_MAGS", "SIZE_BAND", "SURVEY_STYLE", "candidate_png", "chart_wcs", "marker_areas", "escape_html", "index_html", "known_line",
           "png_name", "possibly_known_html", "regions_text", "sexagesimal", "sky_links", "write_html"]



_SAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def png_name(row: int, xid: str) -> str:
    """A file name for a candidate's picture: the catalogue row (unique) and the identifier, made file-safe.

    >>> png_name(7, "1eRASS J123456.7-612345")
    '00007_1eRASS_J123456.7-612345.png'

    Parameters
    ----------
    row : int
        The catalogue row.
    xid : str
        The source's identifier.

    Returns
    -------
    str
        A file name for a candidate's picture: the catalogue row (unique) and the identifier, made
        file-safe.
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



#: Magnitude range over which a marker's area grows from smallest to largest (this many magnitudes above the band's
#: limit is the brightest size).
_MAG_SPAN = 12.0


def marker_areas(mags, band: str) -> np.ndarray:
    """Marker areas (points^2) for magnitudes in ``band``: a bright star large, a source at the survey's limit small.

    The area grows with the square of the magnitudes above the band's limit
    (:attr:`xrbvo.core.surveys.Survey.depth`), from 10 at the limit to 400 at 12 mag
    brighter; a missing magnitude gets 14.

    Parameters
    ----------
    mags : array_like of float
        Magnitudes (NaN: missing).
    band : str
        Their band (``G``, ``K``, ``W1``...), whose survey depth is the limit.

    Returns
    -------
    numpy.ndarray
        One marker area per magnitude (points^2).

    >>> marker_areas([10.0, 20.0, float("nan")], "G").round().tolist()
    [332.0, 12.0, 14.0]
    """
    from xrbvo.core.surveys import SURVEYS

    depth = next((sv.depth[band] for sv in SURVEYS.values() if band in sv.depth), 20.0)
    m = np.asarray(mags, float)
    x = np.clip((depth - m) / _MAG_SPAN, 0.0, 1.0)
    return np.where(np.isfinite(m), 10.0 + 390.0 * x ** 2, 14.0)


def _chart_wcs(ra0: float, dec0: float, half_arcsec: float, npix: int = 300):
    """A TAN projection centred on the source, north up, east left, ``2 * half_arcsec`` across ``npix`` pixels."""
    from astropy.wcs import WCS

    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra0 % 360.0, dec0]
    w.wcs.crpix = [(npix + 1) / 2.0, (npix + 1) / 2.0]
    scale = 2.0 * half_arcsec / npix / 3600.0
    w.wcs.cdelt = [-scale, scale]
    w.wcs.radesys = "ICRS"
    w.pixel_shape = (npix, npix)
    return w


def chart_wcs(row: Mapping, neighbours: Mapping[str, np.ndarray], npix: int = 300):
    """The WCS of a candidate's finding chart (:func:`candidate_png`): a TAN projection centred on the X-ray
    position, north up, east left, wide enough for the 99% circle and every neighbour; a sky image for the
    chart is cut on this grid.

    Parameters
    ----------
    row : mapping
        The catalogue row (``ra``, ``dec``, ``pos_err`` in arcsec).
    neighbours : mapping
        Arrays ``ra``, ``dec`` (deg) of the source's neighbours.
    npix : int, optional
        Pixels across.

    Returns
    -------
    astropy.wcs.WCS
        The chart's WCS, with ``pixel_shape`` ``(npix, npix)``.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    ra0, dec0 = float(row["ra"]) % 360.0, float(row["dec"])
    err = _value(row, "pos_err")
    r99 = K99 * err if math.isfinite(err) and err > 0 else 10.0
    n_ra = np.asarray(neighbours.get("ra", []), float)
    n_dec = np.asarray(neighbours.get("dec", []), float)
    far = 0.0
    if len(n_ra):
        far = float(np.nanmax(SkyCoord(ra0 * u.deg, dec0 * u.deg).separation(
            SkyCoord(n_ra * u.deg, n_dec * u.deg)).arcsec))
    half = max(1.25 * r99, far * 1.08 if math.isfinite(far) else 0.0, 5.0)
    return _chart_wcs(ra0, dec0, half, npix)


def _nice_length(arcsec: float) -> float:
    """The largest of 1, 2, 5 x 10^k arcsec not above ``arcsec``."""
    k = math.floor(math.log10(max(arcsec, 1e-3)))
    return max(m * 10 ** k for m in (1, 2, 5) if m * 10 ** k <= arcsec)


def _counterpart_text(row: Mapping, chosen: Mapping[str, str]) -> tuple[str, bool]:
    """What the chart says about the chosen counterpart (or its absence); True when there is one."""
    from xrbvo.core.surveys import ALL_SECONDARY, SECONDARY_SURVEYS, SURVEYS, limiting_magnitudes

    p_any, p_i = _value(row, "p_any"), _value(row, "p_i")
    if not chosen:
        lines = [f"no counterpart (p_any = {p_any:.3g})" if math.isfinite(p_any) else "no counterpart"]
        b = _value(row, "b")
        if math.isfinite(b):
            names = [s for s in ALL_SECONDARY if f"nid_{s}" in row] or list(SECONDARY_SURVEYS)
            lim = limiting_magnitudes(b, tuple(n for n in names if n in SURVEYS))
            lines.append("limiting magnitudes here: " + ", ".join(f"{k} {float(v[0]):.1f}" for k, v in lim.items()))
        return "\n".join(lines), False
    ids = ", ".join(f"{SURVEYS[s].label if s in SURVEYS else s} {v}" for s, v in chosen.items())
    mags = [f"{lab} = {_value(row, c):.2f}" for c, lab in (("G", "G"), ("BP_RP", "BP-RP"), ("J", "J"), ("K", "K"),
                                                          ("W1", "W1")) if math.isfinite(_value(row, c))]
    lines = ["counterpart: " + ids]
    if mags:
        lines.append(", ".join(mags))
    extra = []
    dist = 10 ** _value(row, "log_dist") if math.isfinite(_value(row, "log_dist")) else _value(row, "rgeo")
    if math.isfinite(dist):
        extra.append(f"distance {dist:,.0f} pc")
    sep = _value(row, "ctp_sep")
    if math.isfinite(sep):
        extra.append(f"separation {sep:.2f}\"")
    extra += [f"{k} = {v:.3g}" for k, v in (("p_any", p_any), ("p_i", p_i)) if math.isfinite(v)]
    if extra:
        lines.append(", ".join(extra))
    return "\n".join(lines), True



def known_line(row) -> str:
    """The finding chart's line on known or new ('' when the run matched no known objects).

    Parameters
    ----------
    row : mapping
        One catalogue row (``known_name``, ``known_class``, ``known_sep``, ``known_prob``, ``new``).

    Returns
    -------
    str
        "known: NAME (CLASS) at SEP\"", "new, possibly ...", "new: no known object ..." or ''.
    """
    if "new" not in row:
        return ""
    kn = str(row.get("known_name", "")).strip()
    if not kn:
        return "new: no known object within the match radius"
    sep = _value(row, "known_sep")
    at = f" at {sep:.1f}\"" if math.isfinite(sep) else " (separation not recorded)"
    sub = f"known: {kn} ({str(row.get('known_class', '')).strip() or 'class not given'}){at}"
    if bool(row["new"]):  # an ambiguous match: counted as new
        sub = f"new, possibly {sub[7:]} (probability {_value(row, 'known_prob'):.2f}, shared with other sources)"
    return sub

def candidate_png(row: Mapping, neighbours: Mapping[str, np.ndarray], path: str | Path, *,
                  chosen: Mapping[str, str] | None = None, image: np.ndarray | None = None,
                  image_label: str = "") -> Path:
    """Draw one candidate's finding chart and class probabilities.

    Left, the chart in RA/Dec (a TAN projection centred on the X-ray position,
    north up, east left) with a scale bar, the X-ray 1-sigma and 99% circles,
    each survey's neighbours with their own symbol sized by magnitude
    (:func:`marker_areas`) and the chosen counterpart ringed; right, the class
    probabilities as bars (``P_<class>`` at the model's selection priors, where
    the cuts apply, and ``P_<class>_field`` at the field's priors), what is
    known of the counterpart (its identifiers, magnitudes, distance, separation,
    ``p_any`` and ``p_i``) or, without one, the surveys' limiting magnitudes
    there; below, the features that decided (``top_features``).

    Parameters
    ----------
    row : mapping
        The catalogue row (column -> value): ``xid``, ``ra``, ``dec``, ``l``,
        ``b``, ``pos_err`` (arcsec), ``candidate_class``, ``P_<class>``,
        ``P_<class>_field``, ``expected_purity``, ``top_features``, the chosen
        counterpart's ``p_any``, ``p_i``, ``ctp_sep``, magnitudes and
        ``log_dist``, and, after the known-or-new match, ``known_name``,
        ``known_class``, ``known_sep``.
    neighbours : mapping
        Arrays ``survey``, ``nid``, ``ra``, ``dec`` (deg) of this source's
        neighbours, and their magnitudes (``G``, ``K``, ``W1``...) when known.
    path : path
        The PNG to write.
    chosen : mapping, optional
        Survey -> identifier of the chosen counterpart (``nid_<survey>``).
    image : array, optional
        A sky image on the chart's own pixel grid (north up, east left), shown under the markers.
    image_label : str
        Where the image comes from (shown in the chart's corner).

    Returns
    -------
    Path
        The PNG file written.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    xid = str(row["xid"])
    ra0, dec0 = float(row["ra"]) % 360.0, float(row["dec"])
    err = _value(row, "pos_err")
    err = err if math.isfinite(err) and err > 0 else float("nan")
    surveys = np.asarray(neighbours.get("survey", []), str)
    n_ra = np.asarray(neighbours.get("ra", []), float)
    n_dec = np.asarray(neighbours.get("dec", []), float)
    nid = np.asarray(neighbours.get("nid", []), str)
    r99 = K99 * err if math.isfinite(err) else 10.0
    wcs = chart_wcs(row, neighbours)
    npix = int(wcs.pixel_shape[0])
    scale = abs(float(wcs.wcs.cdelt[1])) * 3600.0  # arcsec per pixel
    half = scale * npix / 2.0
    fig = Figure(figsize=(12, 6.6), dpi=100)
    ax = fig.add_axes((0.10, 0.21, 0.38, 0.67), projection=wcs)
    ax.set_xlim(-0.5, npix - 0.5)
    ax.set_ylim(-0.5, npix - 0.5)
    if image is not None and np.isfinite(image).any():
        from astropy.visualization import AsinhStretch, ImageNormalize

        # the sky light grey (its noise spans a twentieth of the scale), an asinh stretch up to the brightest star:
        # faint stars show beside bright ones
        sky = float(np.nanmedian(image))
        noise = 1.4826 * float(np.nanmedian(np.abs(image - sky)))
        lo = sky - noise
        hi = max(float(np.nanpercentile(image, 99.8)), sky + 20.0 * noise)
        ax.imshow(image, origin="lower", cmap="gray_r", zorder=0, interpolation="nearest",
                  norm=ImageNormalize(vmin=lo, vmax=hi if hi > lo else lo + 1, stretch=AsinhStretch(0.05)))
        if image_label:
            ax.text(0.02, 0.98, for_mathtext(image_label), transform=ax.transAxes, va="top", fontsize=8,
                    bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})
    c0 = (npix - 1) / 2.0
    if math.isfinite(err):
        ax.add_patch(Circle((c0, c0), err / scale, fill=False, color="k", lw=1.5, label=f"X-ray 1σ ({err:.1f}\")"))
        ax.add_patch(Circle((c0, c0), r99 / scale, fill=False, color="k", lw=1.0, ls="--",
                            label=f"X-ray 99% ({r99:.1f}\")"))
    ax.plot([c0], [c0], marker="+", color="k", ms=12, ls="none")
    chosen = {k: str(v) for k, v in (chosen or {}).items()
              if not np.ma.is_masked(v) and str(v).strip() not in ("", "-1", "--")}
    px, py = wcs.world_to_pixel_values(n_ra, n_dec) if len(n_ra) else (np.array([]), np.array([]))
    order = list(SURVEY_STYLE)
    for s in sorted(dict.fromkeys(surveys), key=lambda k: order.index(k) if k in order else len(order)):
        marker, colour, filled = SURVEY_STYLE.get(s, ("x", "0.3", True))
        m = surveys == s
        band = SIZE_BAND.get(s, "")
        mags = np.asarray(neighbours[band], float)[m] if band in neighbours else np.full(int(m.sum()), np.nan)
        z = 3 if filled else 8 - (order.index(s) if s in order else len(order))  # open symbols over filled ones
        ax.scatter(px[m], py[m], s=marker_areas(mags, band) if band else 20, marker=marker,
                   label=f"{s} ({int(m.sum())}{', by ' + band if band else ''})",
                   facecolors=colour if filled else "none", edgecolors=colour, linewidths=1.2, zorder=z,
                   alpha=0.85 if filled else 1.0)
    pick = np.array([chosen.get(s) == n for s, n in zip(surveys, nid)], bool)
    if pick.any():
        ax.scatter(px[pick], py[pick], s=520, facecolors="none", edgecolors="red", linewidths=2.0,
                   label="chosen counterpart", zorder=10)
    # a scale bar, bottom left
    bar = _nice_length(half / 2.0)
    x0, y0 = 0.06 * npix, 0.06 * npix
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=3, foreground="white")]  # legible over a sky image
    ax.plot([x0, x0 + bar / scale], [y0, y0], color="k", lw=2.5, zorder=11, path_effects=[
        patheffects.Stroke(linewidth=5, foreground="white"), patheffects.Normal()])
    ax.text(x0 + bar / scale / 2, y0 + 0.015 * npix, f"{bar:g}\"", ha="center", va="bottom", fontsize=9, zorder=11,
            path_effects=halo)
    ax.text(0.97, 0.97, "N ↑  E ←", transform=ax.transAxes, ha="right", va="top", fontsize=8, zorder=11,
            path_effects=halo)
    lon, lat = ax.coords[0], ax.coords[1]
    lon.set_axislabel("RA (ICRS)")
    lat.set_axislabel("Dec (ICRS)")
    lon.set_major_formatter("hh:mm:ss.s")
    lat.set_major_formatter("dd:mm:ss")
    lon.set_ticks(number=4)
    lat.set_ticks(number=5)
    ax.coords.grid(color="0.5", alpha=0.25, linestyle="-")
    leg = ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, frameon=False)
    for h in getattr(leg, "legend_handles", ()):
        if hasattr(h, "set_sizes"):
            h.set_sizes([40])
    # -- the class probabilities
    bars = fig.add_axes((0.60, 0.52, 0.37, 0.36))
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
    bars.set_yticks(y, CLASSES, fontsize=8)
    bars.invert_yaxis()
    bars.set_xlim(0, 1.15)
    bars.set_xlabel("class probability", fontsize=8)
    bars.tick_params(axis="x", labelsize=8)
    bars.legend(fontsize=7, loc="lower right")
    # -- the counterpart, or how deep the surveys go here
    text, has = _counterpart_text(row, chosen)
    ra_s, dec_s = sexagesimal(ra0, dec0)
    pos = f"X-ray position {ra_s} {dec_s} ({ra0:.5f}, {dec0:+.5f})"
    if math.isfinite(err):
        pos += f", σ = {err:.1f}\""
    import textwrap

    text = "\n".join(textwrap.fill(t, 72, subsequent_indent="    ") for t in (pos + "\n" + text).split("\n"))
    fig.text(0.56, 0.43, for_mathtext(text), fontsize=8.5, va="top", ha="left", linespacing=1.5,
             color="#222" if has else "#a00")
    # -- the header and what decided
    cls = str(row.get("candidate_class", "")).strip()
    head = f"{xid}   l = {_value(row, 'l'):.3f}°, b = {_value(row, 'b'):+.3f}°"
    if cls:
        head += f"   {cls} candidate, P = {_value(row, f'P_{cls}'):.3f}"
        ep = _value(row, "expected_purity")
        if math.isfinite(ep):
            head += f", expected purity {ep:.2f}"
        state = str(row.get("ctp_state", "")).strip()
        if state:
            head += "   no counterpart" if state == "none" else f"   counterpart {state}"
    fig.suptitle(for_mathtext(head), fontsize=11, x=0.02, ha="left")
    sub = known_line(row)
    if sub:
        fig.text(0.02, 0.915, for_mathtext(sub), fontsize=9,
                 color="#a50" if str(row.get("known_name", "")).strip() else "#0a6")
    top = str(row.get("top_features", "")).strip()
    fig.text(0.02, 0.01, "features that decided (contribution to the log-odds of the top class):\n"
             + (for_mathtext(_wrap(top, 170)) if top else "(not recorded)"), fontsize=7.5, va="bottom",
             family="monospace")
    return save_output(path, fig.savefig)


def _wrap(text: str, width: int = 150) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:2])


def escape_html(text) -> str:
    """Text made safe inside HTML (element content and quoted attribute values): the report's one escaping helper.

    It is :func:`xrbvo.core.text.for_html`: control characters are shown as visible escapes too.

    Parameters
    ----------
    text : object
        Anything; its ``str`` is escaped.

    Returns
    -------
    str
        The escaped text.
    """
    return for_html(text)


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

    Parameters
    ----------
    ra_deg, dec_deg : float
        The position (deg, ICRS).

    Returns
    -------
    dict of str to str
        Site name -> URL.

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

    Parameters
    ----------
    ra_deg, dec_deg : float
        The position (deg, ICRS).

    Returns
    -------
    tuple of str
        RA and Dec in sexagesimal.

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
  [text, klass, known].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  apply();
})();
"""


def index_html(rows: Sequence[Mapping], *, title: str, sky_map: str | None = None, note: str = "",
               missed: Sequence[Mapping] = (), possibly: Sequence[Mapping] = (),
               files: Mapping[str, str] | None = None, diagnostics: Mapping[str, str] | None = None) -> str:
    """The report's index page: a sortable, filterable table of the candidates (plain HTML and a little JavaScript).

    Parameters
    ----------
    rows : sequence of mapping
        One per candidate, in the order shown: ``xid``, ``ra``, ``dec``, ``l``, ``b``,
        ``candidate_class``, ``P``, ``P_field``, ``expected_purity``, the
        counterpart's magnitudes (:data:`INDEX_MAGS`), ``known`` (the known
        name, or ``new``; absent: no known-objects match), ``png`` (file name
        relative to the index, or ``""`` when not drawn) and, when sky images
        were asked for, ``images`` ((label, link) of each FITS cutout, the one
        under the chart first).
    title : str
    sky_map : str, optional
        File name of the sky map, shown at the top.
    note : str
        A sentence shown under the title (e.g. how many pictures were skipped).
    missed : sequence of mapping
        Known X-ray binaries that are not candidates: ``name``, ``known_class``,
        ``xid``, ``reason``, ``p``.
    possibly : sequence of mapping
        The candidates that possibly are a known object (:func:`possibly_known_html`).
    files : mapping, optional
        Label -> link (relative to the index) of the catalogue files and the region file.
    diagnostics : mapping, optional
        Label -> link of the population plots, shown as thumbnails.

    Returns
    -------
    str
        The report's index page.
    """
    e = escape_html
    has_known = any("known" in r for r in rows)
    # (header, css class, sort kind)
    head = [("#", "", "num"), ("xid", "t", "text"), ("RA (ICRS)", "t", "num"), ("Dec (ICRS)", "t", "num"),
            ("RA (deg)", "", "num"), ("Dec (deg)", "", "num"), ("l (deg)", "", "num"), ("b (deg)", "", "num"),
            ("class", "t", "text"), ("P", "", "num"), ("P_field", "", "num"), ("expected purity", "", "num")]
    head += [(h, "", "num") for h in INDEX_MAGS.values()]
    has_images = any("images" in r for r in rows)
    head += ([("known / new", "t", "text")] if has_known else []) + [("links", "t", None), ("picture", "t", None)]
    head += [("sky images (FITS)", "t", None)] if has_images else []
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
           "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:0.85em}"
           "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;white-space:nowrap}td.t,th.t{text-align:left}"
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
        if has_images:
            cells.append((" · ".join(f'<a href="{e(h)}">{e(k)}</a>' for k, h in r.get("images", ())) or "none", "t",
                          None))
        state = "new" if known == "new" else "known"
        row_cls = ' class="known"' if has_known and known != "new" else ""
        out.append(f'<tr{row_cls} data-class="{e(cls)}" data-known="{state if has_known else ""}">' + "".join(
            f'<td class="{k}"' + (f' data-v="{float(v)!r}"' if v is not None and math.isfinite(float(v)) else "")
            + f">{c}</td>" for c, k, v in cells) + "</tr>")
    out.append("</tbody></table>")
    out.extend(possibly_known_html(possibly))
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

    Each candidate gets its X-ray 1-sigma circle (solid) and 99% circle (dashed,
    labelled with its xid and class), coloured by class, and its counterpart a
    labelled cross.  A candidate without a finite error gets the 99% circle of
    10 arcsec, without 1-sigma circle.

    Parameters
    ----------
    rows : sequence of mapping
        One per candidate: ``xid``, ``ra``, ``dec``, ``pos_err`` (arcsec, 1 sigma),
        ``candidate_class``, and, when it has one, ``ctp_ra``, ``ctp_dec`` and
        ``ctp_label`` (its chosen counterpart: survey and identifier).
    header : str
        A comment line saying how the file was made.

    Returns
    -------
    str
        The region file's text.
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


def possibly_known_html(rows: Sequence[Mapping]) -> list[str]:
    """The index's "possibly known" listing: candidates that share a poorly localised known object with other
    sources (``known_match`` ambiguous; they count as new).

    ``rows``: ``xid``, ``candidate_class``, ``P``, ``known_name``, ``known_class``, ``known_prob``, ``known_sep``
    (arcsec).  No rows: no listing.

    Parameters
    ----------
    rows : sequence of mapping
        The possibly known candidates.

    Returns
    -------
    list of str
        HTML lines (none without rows).
    """
    if not rows:
        return []
    e = escape_html
    out = [f"<h2>Possibly known candidates ({len(rows)})</h2>",
           "<p>Each lies in the error region of a known object that several X-ray sources share: counted as new, "
           "with the probability that it is that object.</p>",
           '<table id="possibly-known"><thead><tr><th class="t">xid</th><th class="t">class</th><th>P</th>'
           '<th class="t">known object</th><th class="t">its class</th><th>probability it is</th>'
           '<th>separation (arcsec)</th></tr></thead><tbody>']
    for r in rows:
        out.append(f'<tr><td class="t">{e(str(r["xid"]))}</td><td class="t">{e(str(r["candidate_class"]))}</td>'
                   f'<td>{_fmt(r["P"], ".3f")}</td><td class="t">{e(str(r["known_name"]))}</td>'
                   f'<td class="t">{e(str(r["known_class"]))}</td><td>{_fmt(r["known_prob"], ".3f")}</td>'
                   f'<td>{_fmt(r["known_sep"], ".1f")}</td></tr>')
    out.append("</tbody></table>")
    return out


def write_html(text: str, path: str | Path) -> Path:
    """Write an HTML page atomically (UTF-8).

    Parameters
    ----------
    text : str
        The HTML.
    path : str or Path
        The file to write.

    Returns
    -------
    Path
        The file written.
    """
    data = text.encode("utf-8")
    return save_output(path, lambda target: Path(target).write_bytes(data))
