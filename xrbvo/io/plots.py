"""PNG plots people would rather look at than tables (matplotlib, Agg backend)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from xrbvo.core.schema import CLASS_COLOURS as _CLASS_COLOURS
from xrbvo.core.text import for_mathtext
from xrbvo.io.outputs import save_output

__all__ = ["sky_map", "flux_sizes", "KnownMark", "MAX_SKY_LABELS", "labelled_marks", "confusion_matrix_plot",
           "galactic_longitudes", "CLASS_COLOURS"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


#: Colours of the candidate classes (and of the other classes, for the sources that are not candidates).
CLASS_COLOURS = _CLASS_COLOURS  # the class records' colours (xrbvo.core.schema.CLASS_RECORDS)


def galactic_longitudes(l_deg) -> tuple[np.ndarray, tuple[float, float]]:
    """Longitudes unwrapped around the field's centre, and the x-axis limits (high, low) as astronomers draw them.

    The longitudes are shifted by multiples of 360 deg to lie within 180 deg of
    the field's circular mean, so a field across l = 0 stays in one piece; tick
    labels are then taken modulo 360.  The limits run from the highest
    longitude on the left to the lowest on the right (longitude increases to the
    east, leftwards), with a 3% margin.

    >>> l, (left, right) = galactic_longitudes([296.0, 304.0])
    >>> left > right, round(left, 2), round(right, 2)
    (True, 304.24, 295.76)
    >>> galactic_longitudes([359.0, 1.0])[0].tolist()
    [359.0, 361.0]

    Parameters
    ----------
    l_deg : float or array
        Galactic longitude, degrees.

    Returns
    -------
    tuple[numpy.ndarray, tuple[float, float]]
        Longitudes (degrees, continuous across l = 0) and the x-axis limits.
    """
    l = np.asarray(l_deg, float) % 360.0
    ok = np.isfinite(l)
    if not ok.any():
        return l, (1.0, -1.0)
    rad = np.radians(l[ok])
    centre = np.degrees(np.arctan2(np.sin(rad).mean(), np.cos(rad).mean())) % 360.0
    lw = centre + ((l - centre + 180.0) % 360.0 - 180.0)
    lo, hi = float(np.nanmin(lw)), float(np.nanmax(lw))
    pad = max(0.03 * (hi - lo), 0.01)
    return lw, (hi + pad, lo - pad)


def _longitude_ticks(ax) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v % 360:g}"))


def flux_sizes(catalogue) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Marker areas (points^2) coding each source's soft X-ray flux, and a key of (flux, area) for the legend.

    The area grows with log10 of the flux (``log_fx``, else ``flux_soft``), from 3
    at the field's faintest to 60 at its brightest; without fluxes every source gets 6.

    Parameters
    ----------
    catalogue : astropy.table.Table
        The X-ray sources (``log_fx``, else ``flux_soft`` in erg/s/cm^2).

    Returns
    -------
    numpy.ndarray
        One marker area per source (points^2).
    list of tuple of float
        The legend's key: (flux in erg/s/cm^2, marker area) per decade of flux in the field.

    >>> from astropy.table import Table
    >>> s, key = flux_sizes(Table({"log_fx": [-14.0, -12.0, float("nan")]}))
    >>> s.round(1).tolist(), [f for f, _ in key]
    ([3.0, 60.0, 3.0], [1e-14, 1e-13, 1e-12])
    """
    n = len(catalogue)
    if "log_fx" in catalogue.colnames:
        lf = np.asarray(np.ma.filled(np.ma.asarray(catalogue["log_fx"], float), np.nan), float)
    elif "flux_soft" in catalogue.colnames:
        with np.errstate(divide="ignore", invalid="ignore"):
            lf = np.log10(np.asarray(np.ma.filled(np.ma.asarray(catalogue["flux_soft"], float), np.nan), float))
        lf[~np.isfinite(lf)] = np.nan
    else:
        return np.full(n, 6.0), []
    if not np.isfinite(lf).any():
        return np.full(n, 6.0), []
    lo, hi = float(np.nanmin(lf)), float(np.nanmax(lf))
    span = max(hi - lo, 1e-6)

    def area(v):
        return 3.0 + 57.0 * np.clip((np.asarray(v, float) - lo) / span, 0.0, 1.0)

    key = [(10.0 ** k, float(area(k))) for k in range(int(np.ceil(lo)), int(np.floor(hi)) + 1)]
    return np.where(np.isfinite(lf), area(np.nan_to_num(lf, nan=lo)), 3.0), key


def _sky_figsize(xlim: tuple[float, float], b: np.ndarray) -> tuple[float, float]:
    """A figure whose axes have the field's own shape (a degree is a degree), legend at the right."""
    width = abs(xlim[0] - xlim[1])
    height = float(np.nanmax(b) - np.nanmin(b)) if np.isfinite(b).any() else width
    ratio = min(max(height / width if width > 0 else 1.0, 0.2), 1.2)
    return 11.0, 1.3 + 7.2 * ratio


#: Most known objects named on the sky map (the rest are drawn unnamed; the legend says how many).
MAX_SKY_LABELS = 40


@dataclass(frozen=True)
class KnownMark:
    """A known object on the sky map, drawn once at its own position.

    Parameters
    ----------
    name : str
        Its name.
    l, b : float
        Galactic longitude and latitude (deg).
    radius_arcsec : float
        Its 99% error region (arcsec; NaN: not given).
    status : str
        ``known candidate``, ``possibly a candidate``, ``not a candidate`` or ``not detected``.
    """

    name: str
    l: float
    """Galactic longitude (deg)."""
    b: float
    """Galactic latitude (deg)."""
    radius_arcsec: float
    """Its 99% error region (arcsec; NaN: not given), drawn where larger than the symbol."""
    status: str
    """``known candidate``, ``possibly a candidate``, ``not a candidate`` or ``not detected``."""


_KNOWN_STYLE = {  # status -> marker, size, legend text; the order is the labels' priority
    "known candidate": ("D", 28, "known objects matched by a candidate"),
    "possibly a candidate": ("d", 28, "known objects possibly matched by a candidate"),
    "not a candidate": ("s", 60, "known XRBs, not candidates"),
    "not detected": ("x", 50, "known XRBs, not detected"),
}


def labelled_marks(known: Sequence[KnownMark], max_labels: int = MAX_SKY_LABELS) -> np.ndarray:
    """The indices of the known objects the sky map names: at most ``max_labels``, those a candidate matches first,
    then the known XRBs that are not candidates, then those not detected (each in the given order).

    Parameters
    ----------
    known : sequence of KnownMark
        The known objects drawn.
    max_labels : int
        Most names.

    Returns
    -------
    numpy.ndarray
        Indices into ``known``.
    """
    rank = [list(_KNOWN_STYLE).index(k.status) if k.status in _KNOWN_STYLE else len(_KNOWN_STYLE) for k in known]
    return np.argsort(np.asarray(rank, int), kind="stable")[:max(int(max_labels), 0)]


def sky_map(catalogue, path: str | Path, title: str = "xrbvo sources", *, known: Sequence[KnownMark] = (),
            max_labels: int = MAX_SKY_LABELS) -> Path:
    """Galactic sky map of the catalogue, longitude increasing to the left (east), filling its frame.

    Every X-ray source is a grey dot sized by its soft X-ray flux (:func:`flux_sizes`); candidates are coloured by their
    class.  When the catalogue went through the known-or-new match (a ``new``
    column), new candidates are filled circles and known candidates (a unique
    match) open circles.  ``known`` are the known objects to show, each drawn
    once at its own position (black symbols by status) with its 99% error
    circle where that is larger than the symbol; at most ``max_labels`` are
    named (candidates' objects first), the legend says how many are not.

    Parameters
    ----------
    catalogue : astropy.table.Table
        The catalogue.
    path : str | Path
        The file.
    title : str, optional
        Title of the figure.
    known : Sequence[KnownMark], optional
        The known objects to draw (:func:`xrbvo.workflows.report.known_marks`).
    max_labels : int, optional
        Most known objects named.

    Returns
    -------
    Path
        The PNG file written.
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    l, xlim = galactic_longitudes(catalogue["l"])
    b = np.asarray(catalogue["b"], float)
    fig = Figure(figsize=_sky_figsize(xlim, b), dpi=110)
    ax = fig.add_subplot()
    size, size_key = flux_sizes(catalogue)
    cand = np.asarray(catalogue["candidate_class"]).astype(str)
    ax.scatter(l[cand == ""], b[cand == ""], s=size[cand == ""], color="0.6", alpha=0.7, linewidths=0,
               label=f"X-ray sources ({int(np.sum(cand == ''))})", zorder=1)
    has_known = "new" in catalogue.colnames
    new = np.asarray(catalogue["new"], bool) if has_known else np.ones(len(b), bool)
    for c in sorted(set(cand) - {""}, key=lambda k: (k not in CLASS_COLOURS, list(CLASS_COLOURS).index(k)
                                                        if k in CLASS_COLOURS else 0)):
        colour = CLASS_COLOURS.get(c, "k")
        m = cand == c
        shown = for_mathtext(c)  # a class read from the catalogue file, shown as it is
        lab = (f"{shown} candidates, new ({int(np.sum(m & new))})" if has_known
               else f"{shown} candidates ({int(m.sum())})")
        ax.scatter(l[m & new], b[m & new], s=3 * size[m & new], color=colour, edgecolors="k", linewidths=0.4,
                   label=lab, zorder=3)
        if has_known and (m & ~new).any():
            ax.scatter(l[m & ~new], b[m & ~new], s=3 * size[m & ~new] + 40, facecolors="none", edgecolors=colour,
                       linewidths=1.8,
                       label=f"{shown} candidates, known ({int(np.sum(m & ~new))})", zorder=3)
    known = [k for k in known if math.isfinite(k.l) and math.isfinite(k.b)]
    height = float(np.nanmax(b) - np.nanmin(b)) if np.isfinite(b).any() else 1.0
    if known:
        centre = 0.5 * (xlim[0] + xlim[1])
        kl = np.array([centre + ((k.l - centre + 180.0) % 360.0 - 180.0) for k in known])
        kb = np.array([k.b for k in known])
        xlim = (max(xlim[0], float(kl.max()) + 0.02), min(xlim[1], float(kl.min()) - 0.02))
        width = abs(xlim[0] - xlim[1])
        deg_per_pt = max(width, height if height > 0 else width) / (0.6 * fig.get_figwidth() * 72)  # span / points
        status = np.array([k.status for k in known])
        for st, (marker, size_pt, text) in _KNOWN_STYLE.items():
            m = status == st
            if not m.any():
                continue
            colours = {"color": "k"} if marker == "x" else {"facecolors": "none", "edgecolors": "k"}
            ax.scatter(kl[m], kb[m], s=size_pt, marker=marker, linewidths=1.2, zorder=2,
                       label=f"{text} ({int(m.sum())})", **colours)
            r_deg = np.array([known[i].radius_arcsec for i in np.flatnonzero(m)], float) / 3600.0
            big = np.isfinite(r_deg) & (r_deg > 0.5 * math.sqrt(size_pt) * deg_per_pt)
            if big.any():
                circles = [Circle((x, y), r) for x, y, r in zip(kl[m][big], kb[m][big], r_deg[big])]
                ax.add_collection(PatchCollection(circles, facecolors="none", edgecolors="k", linewidths=0.7,
                                                  linestyles=":", zorder=2))
        labelled = labelled_marks(known, max_labels)
        for i in labelled:
            ax.annotate(for_mathtext(known[i].name), (kl[i], kb[i]), xytext=(5, 5), textcoords="offset points", fontsize=7,
                        zorder=4)
        if len(known) > len(labelled):
            ax.scatter([], [], s=0, label=f"{len(known) - len(labelled)} more known objects not named")
        b = np.concatenate([b, kb])  # the frame holds the known objects too
    ylim = (-1.0, 1.0)
    if np.isfinite(b).any():
        pad = max(0.03 * float(np.nanmax(b) - np.nanmin(b)), 0.01)
        ylim = (float(np.nanmin(b)) - pad, float(np.nanmax(b)) + pad)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    _longitude_ticks(ax)
    ax.set_xlabel("Galactic longitude l (deg)")
    ax.set_ylabel("Galactic latitude b (deg)")
    ax.set_title(for_mathtext(title))  # names and file names are shown as they are, never as mathtext
    ax.grid(alpha=0.25)
    handles, labels = ax.get_legend_handles_labels()
    for flux, s_pt in size_key:
        handles.append(ax.scatter([], [], s=s_pt, color="0.6", linewidths=0))
        labels.append(f"F_X = {flux:.0e} erg/s/cm²")
    ax.legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.9)
    fig.tight_layout()
    _fill_frame(fig, ax, xlim, ylim)
    return save_output(path, fig.savefig)


def _fill_frame(fig, ax, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """Widen the shorter of the two ranges so that a degree is as long on both axes and the field fills the frame."""
    box = ax.get_position()
    w_in, h_in = box.width * fig.get_figwidth(), box.height * fig.get_figheight()
    dx, dy = abs(xlim[0] - xlim[1]), abs(ylim[1] - ylim[0])
    if w_in <= 0 or h_in <= 0 or dx <= 0 or dy <= 0:
        return
    want = h_in / w_in  # degrees of latitude per degree of longitude the frame holds
    if dy / dx < want:
        mid, half = 0.5 * (ylim[0] + ylim[1]), 0.5 * dx * want
        ax.set_ylim(mid - half, mid + half)
    else:
        mid, half = 0.5 * (xlim[0] + xlim[1]), 0.5 * dy / want
        ax.set_xlim(mid + half, mid - half)


def confusion_matrix_plot(true: Sequence[str], pred: Sequence[str], classes: Sequence[str], path: str | Path,
                          title: str = "Confusion matrix (rows: true class, normalised)") -> Path:
    """Row-normalised confusion matrix with counts.

    Parameters
    ----------
    true : Sequence[str]
        True class per source.
    pred : Sequence[str]
        Predicted class per source.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    path : str | Path
        The file.
    title : str, optional
        Title of the figure.

    Returns
    -------
    Path
        The PNG file written.
    """
    plt = _plt()
    classes = list(classes)
    idx = {c: i for i, c in enumerate(classes)}
    cm = np.zeros((len(classes), len(classes)), int)
    for t, p in zip(true, pred):
        if t in idx and p in idx:
            cm[idx[t], idx[p]] += 1
    with np.errstate(invalid="ignore"):
        norm = cm / cm.sum(axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(6.5, 5.5), dpi=110)
    im = ax.imshow(np.nan_to_num(norm), cmap="Blues", vmin=0, vmax=1)
    labels = [for_mathtext(c) for c in classes]  # class names of a model read from a file
    ax.set_xticks(range(len(classes)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), labels)
    for i in range(len(classes)):
        for j in range(len(classes)):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(for_mathtext(title), fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    try:
        return save_output(path, fig.savefig)
    finally:
        plt.close(fig)
