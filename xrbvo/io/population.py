"""Population plots of a catalogue: where the candidates sit among all sources and among the known X-ray binaries.

:func:`population_plots` draws three PNGs (matplotlib, Agg), each with every
source that has the two quantities as a grey density, the candidates coloured by
class and the X-ray sources matched to a known X-ray binary (``--known``) as black
open stars:

- ``cmd.png``: the Gaia colour-magnitude diagram of the chosen counterparts (G against BP - RP);
- ``fx_fopt_hr.png``: the X-ray to optical flux ratio (``log_fx_fg``) against the hardness ratio (``hr``);
- ``lx_distance.png``: the soft X-ray luminosity (``log_lx``) against the counterpart's distance.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from xrbvo.core.schema import XRB_CLASSES
from xrbvo.core.text import for_mathtext
from xrbvo.io.outputs import save_output
from xrbvo.io.plots import CLASS_COLOURS

__all__ = ["DENSITY_MIN", "POPULATION_PLOTS", "PopulationPlot", "population_plots"]


class PopulationPlot(NamedTuple):
    """One population plot: its file, its axes (catalogue columns) and labels.

    Parameters
    ----------
    file : str
        The PNG's file name.
    x, y : str
        The catalogue columns on the horizontal and vertical axes.
    xlabel, ylabel : str
        The axes' labels.
    title : str
        The plot's title (and its name in the index).
    invert_y : bool, optional
        Brighter upwards (a magnitude on the vertical axis).
    log_x : bool, optional
        A logarithmic horizontal axis.
    """

    file: str
    x: str
    y: str
    xlabel: str
    ylabel: str
    title: str
    invert_y: bool = False
    log_x: bool = False


#: The population plots, in the order the index shows them.
POPULATION_PLOTS: tuple[PopulationPlot, ...] = (
    PopulationPlot("cmd.png", "BP_RP", "G", "BP - RP (mag)", "G (mag)",
                   "Gaia colour-magnitude diagram of the counterparts", invert_y=True),
    PopulationPlot("fx_fopt_hr.png", "hr", "log_fx_fg", "hardness ratio (F_hard - F_soft) / (F_hard + F_soft)",
                   "log10 F_X / F_opt (G)", "X-ray to optical flux ratio against hardness"),
    PopulationPlot("lx_distance.png", "distance_pc", "log_lx", "distance of the counterpart (pc)",
                   "log10 L_X (erg/s, soft band)", "X-ray luminosity against distance", log_x=True),
)


#: Fewer sources than this with both quantities are drawn one by one, not as a density.
DENSITY_MIN = 300


def _column(catalogue, name: str) -> np.ndarray:
    n = len(catalogue)
    if name == "distance_pc":
        if "rgeo" in catalogue.colnames:
            return np.asarray(np.ma.filled(np.ma.asarray(catalogue["rgeo"], float), np.nan), float)
        if "log_dist" in catalogue.colnames:
            return 10.0 ** np.asarray(np.ma.filled(np.ma.asarray(catalogue["log_dist"], float), np.nan), float)
        return np.full(n, np.nan)
    if name not in catalogue.colnames:
        return np.full(n, np.nan)
    return np.asarray(np.ma.filled(np.ma.asarray(catalogue[name], float), np.nan), float)


def _draw(catalogue, spec: PopulationPlot, path: Path) -> Path:
    from matplotlib.figure import Figure

    x, y = _column(catalogue, spec.x), _column(catalogue, spec.y)
    ok = np.isfinite(x) & np.isfinite(y) & ((x > 0) if spec.log_x else True)
    cand = np.asarray(catalogue["candidate_class"]).astype(str)
    kcls = (np.asarray(catalogue["known_class"]).astype(str) if "known_class" in catalogue.colnames
            else np.full(len(cand), ""))
    fig = Figure(figsize=(6.4, 5.2), dpi=100)
    ax = fig.add_subplot()
    xs = x
    if ok.sum() >= DENSITY_MIN:
        from matplotlib.colors import LogNorm

        hb = ax.hexbin(xs[ok], y[ok], gridsize=45, cmap="Greys", mincnt=1, linewidths=0.1, zorder=1,
                       norm=LogNorm(vmin=0.5), xscale="log" if spec.log_x else "linear")  # 1 per cell: visible
        fig.colorbar(hb, ax=ax, fraction=0.046, pad=0.02, label="all sources (count per cell)")
    elif ok.any():  # too few for a density: every source a grey dot
        ax.scatter(xs[ok], y[ok], s=8, color="0.65", linewidths=0, zorder=1, label=f"all sources ({int(ok.sum())})")
    for c in sorted(set(cand[ok]) - {""}, key=lambda k: (k not in XRB_CLASSES, k)):
        m = ok & (cand == c)
        ax.scatter(xs[m], y[m], s=30, color=CLASS_COLOURS.get(c, "k"), edgecolors="k", linewidths=0.4, zorder=3,
                   label=f"{for_mathtext(c)} candidates ({int(m.sum())})")  # a class read from the file
    known = ok & np.isin(kcls, XRB_CLASSES)
    if known.any():
        ax.scatter(xs[known], y[known], s=120, marker="*", facecolors="none", edgecolors="k", linewidths=1.1,
                   zorder=4, label=f"known XRBs ({int(known.sum())})")
    if not ok.any():
        ax.text(0.5, 0.5, f"no source has both {spec.x} and {spec.y}", transform=ax.transAxes, ha="center",
                va="center", color="0.4")
    if spec.log_x and ok.any():
        ax.set_xscale("log")
    if spec.invert_y:
        ax.invert_yaxis()
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel(spec.ylabel)
    ax.set_title(f"{spec.title} ({int(ok.sum())} of {len(cand)} sources)", fontsize=10)
    ax.grid(alpha=0.2)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="best", framealpha=0.85)
    fig.tight_layout()
    return save_output(path, fig.savefig)


def population_plots(catalogue, directory: str | Path) -> dict[str, Path]:
    """Draw :data:`POPULATION_PLOTS` of a catalogue into ``directory``; returns title -> file.

    Parameters
    ----------
    catalogue : Table
        An xrbvo catalogue (``candidate_class`` and the feature columns of the
        chosen counterparts; ``known_class`` after a ``--known`` match).
    directory : path
        Where the PNGs go (created).

    Returns
    -------
    dict of str to Path
        Plot title -> PNG file.
    """
    d = Path(directory)
    return {spec.title: _draw(catalogue, spec, d / spec.file) for spec in POPULATION_PLOTS}
