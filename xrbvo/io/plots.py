"""PNG plots people would rather look at than tables (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from xrbvo.core.text import for_mathtext
from xrbvo.io.outputs import save_output

__all__ = ["sky_map", "confusion_matrix_plot", "galactic_longitudes", "CLASS_COLOURS"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


#: Colours of the candidate classes (and of the other classes, for the sources that are not candidates).
CLASS_COLOURS = {"HMXB": "#1f5fbf", "LMXB": "#d62728", "NS": "#9467bd", "CV": "#e377c2", "WR": "#8c564b",
                 "AGN": "#7f7f7f", "EARLY": "#17becf", "STAR": "#bcbd22", "YSO": "#2ca02c"}


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


def sky_map(catalogue, path: str | Path, title: str = "xrbvo sources", *,
            undetected: Sequence[tuple[str, float, float]] = ()) -> Path:
    """Galactic sky map of the catalogue, longitude increasing to the left (east).

    Every X-ray source is a small grey dot; candidates are coloured by their
    class.  When the catalogue went through the known-or-new match (a ``new``
    column), new candidates are filled circles, known candidates open circles
    named by their known object, and known X-ray binaries that are not
    candidates black open squares.  ``undetected`` (name, l, b) are known X-ray
    binaries in the field that no X-ray source matched: black crosses.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.8), dpi=110)
    ax = fig.add_subplot()
    l, xlim = galactic_longitudes(catalogue["l"])
    b = np.asarray(catalogue["b"], float)
    cand = np.asarray(catalogue["candidate_class"]).astype(str)
    ax.scatter(l[cand == ""], b[cand == ""], s=5, color="0.7", label=f"X-ray sources ({int(np.sum(cand == ''))})",
               zorder=1)
    has_known = "new" in catalogue.colnames
    new = np.asarray(catalogue["new"], bool) if has_known else np.ones(len(b), bool)
    names = np.asarray(catalogue["known_name"]).astype(str) if has_known else np.full(len(b), "")
    for c in sorted(set(cand) - {""}, key=lambda k: (k not in CLASS_COLOURS, list(CLASS_COLOURS).index(k)
                                                        if k in CLASS_COLOURS else 0)):
        colour = CLASS_COLOURS.get(c, "k")
        m = cand == c
        lab = f"{c} candidates, new ({int(np.sum(m & new))})" if has_known else f"{c} candidates ({int(m.sum())})"
        ax.scatter(l[m & new], b[m & new], s=40, color=colour, edgecolors="k", linewidths=0.4, label=lab, zorder=3)
        if has_known and (m & ~new).any():
            ax.scatter(l[m & ~new], b[m & ~new], s=90, facecolors="none", edgecolors=colour, linewidths=1.8,
                       label=f"{c} candidates, known ({int(np.sum(m & ~new))})", zorder=3)
    if has_known:
        kcls = np.asarray(catalogue["known_class"]).astype(str)
        missed = np.isin(kcls, ("HMXB", "LMXB")) & (cand != kcls)
        if missed.any():
            ax.scatter(l[missed], b[missed], s=70, marker="s", facecolors="none", edgecolors="k", linewidths=1.2,
                       label=f"known XRBs, not candidates ({int(missed.sum())})", zorder=2)
        for i in np.flatnonzero(~new & ((cand != "") | missed)):
            ax.annotate(for_mathtext(names[i]), (l[i], b[i]), xytext=(5, 5), textcoords="offset points", fontsize=7,
                        zorder=4)
    if len(undetected):
        centre = 0.5 * (xlim[0] + xlim[1])
        ul = np.array([centre + ((float(u[1]) - centre + 180.0) % 360.0 - 180.0) for u in undetected])
        ub = np.array([float(u[2]) for u in undetected])
        ax.scatter(ul, ub, s=50, marker="x", color="k", linewidths=1.3, zorder=2,
                   label=f"known XRBs, not detected ({len(ul)})")
        for (name, _, _), x, y in zip(undetected, ul, ub):
            ax.annotate(for_mathtext(name), (x, y), xytext=(5, -9), textcoords="offset points", fontsize=7, zorder=4)
        xlim = (max(xlim[0], float(ul.max()) + 0.02), min(xlim[1], float(ul.min()) - 0.02))
    width, height = abs(xlim[0] - xlim[1]), float(np.nanmax(b) - np.nanmin(b)) if len(b) else 1.0
    if height > 0 and width / height <= 4:
        ax.set_aspect("equal", adjustable="box")
    ax.set_xlim(*xlim)
    _longitude_ticks(ax)
    ax.set_xlabel("Galactic longitude l (deg)")
    ax.set_ylabel("Galactic latitude b (deg)")
    ax.set_title(for_mathtext(title))  # names and file names are shown as they are, never as mathtext
    ax.grid(alpha=0.25)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.9)
    fig.tight_layout()
    return save_output(path, fig.savefig)


def confusion_matrix_plot(true: Sequence[str], pred: Sequence[str], classes: Sequence[str], path: str | Path,
                          title: str = "Confusion matrix (rows: true class, normalised)") -> Path:
    """Row-normalised confusion matrix with counts."""
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
