"""The population model's census of eROSITA-DE against eRASS1's published figures.

    PYTHONPATH=. python benchmarks/census.py [--plot docs/population_census.png] [--step-deg 2]

Integrates :mod:`xrbvo.galaxy.census` over the western Galactic hemisphere (l = 180-360 deg,
eROSITA-DE) at eRASS1's default sensitivity (5e-14 erg/s/cm2 in 0.2-2.3 keV at 50% completeness at
the median exposure, deeper towards the ecliptic poles) and, for comparison, with one flux limit
everywhere; prints the expected detections per class and the ratio of each model figure to the
published one (:data:`xrbvo.galaxy.census.PUBLISHED`: Merloni et al. 2024, Freund et al. 2024,
Salvato et al. 2025).  The Legacy Surveys DR10 footprint is approximated as |b| > 20 deg.  The
target (issue 24) is a ratio within 1/1.5 .. 1.5 for each figure.  With ``--plot`` it draws the
predicted against the published numbers (docs/population.md).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from xrbvo.galaxy.census import (CENSUS_CLASSES, LS_DR10_B_MIN_DEG, PUBLISHED, WESTERN_HEMISPHERE, Sensitivity,
                                 cells_for_region, expected_counts)


def model_figures(step_deg: float, exposure: str) -> tuple[dict[str, float], dict[str, float], float]:
    """Per-class sums over eROSITA-DE and over its LS DR10 part, and the seconds it took."""
    t0 = time.perf_counter()
    cells = cells_for_region(WESTERN_HEMISPHERE, step_deg=step_deg)
    per_cell = expected_counts(cells, Sensitivity(exposure=exposure), per_cell=True)
    ls10 = np.abs(cells.b_deg) > LS_DR10_B_MIN_DEG
    de = {k: float(np.sum(v)) for k, v in per_cell.items()}
    ls = {k: float(np.sum(v[ls10])) for k, v in per_cell.items()}
    return de, ls, time.perf_counter() - t0


def compare(de: dict[str, float], ls: dict[str, float]) -> list[tuple[str, float, float, str]]:
    """(name, published, model, source) for each published figure."""
    rows = []
    for fig in PUBLISHED:
        counts = de if fig.footprint == "de" else ls
        classes = fig.classes or tuple(counts)
        rows.append((fig.name, float(fig.value), float(sum(counts[c] for c in classes)), fig.source))
    return rows


def plot(rows_by_model: dict[str, list], path: str) -> None:
    """Predicted against published, one marker per figure and model, with the factor-1.5 band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 6.0), constrained_layout=True)
    lo, hi = 5e4, 2e6
    x = np.geomspace(lo, hi, 10)
    ax.fill_between(x, x / 1.5, x * 1.5, color="0.9", label="within a factor 1.5")
    ax.plot(x, x, color="0.5", lw=1)
    markers = {"erass1": "o", "flat": "s"}
    colours = ["C0", "C1", "C2", "C3"]
    for model, rows in rows_by_model.items():
        for (name, pub, mod, _), c in zip(rows, colours):
            ax.scatter(pub, mod, marker=markers[model], s=60, color=c, edgecolor="k", zorder=3,
                       label=f"{name} ({'eRASS1 exposure' if model == 'erass1' else 'one flux limit'})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("published number of eRASS1 sources (eROSITA-DE)")
    ax.set_ylabel("xrbvo population model (galaxy.census)")
    ax.set_title("eRASS1 census: model against published figures")
    ax.legend(fontsize=7.5, loc="upper left")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--step-deg", type=float, default=2.0, help="sky cell size (deg)")
    ap.add_argument("--plot", default=None, metavar="PNG", help="write the predicted-vs-published plot here")
    args = ap.parse_args()
    rows_by_model = {}
    for exposure in ("erass1", "flat"):
        de, ls, secs = model_figures(args.step_deg, exposure)
        rows = compare(de, ls)
        rows_by_model[exposure] = rows
        what = ("eRASS1 sensitivity: 5e-14 at the median exposure, deeper towards the ecliptic poles"
                if exposure == "erass1" else "one flux limit everywhere (5e-14), for comparison")
        print(f"\n== eROSITA-DE ({WESTERN_HEMISPHERE}), {what}; {secs:.1f} s on {args.step_deg:g} deg cells")
        print(f"{'class':<10}{'eROSITA-DE':>12}{'|b|>20':>12}")
        for c in CENSUS_CLASSES:
            print(f"{c:<10}{de[c]:>12,.0f}{ls[c]:>12,.0f}")
        print(f"{'total':<10}{sum(de.values()):>12,.0f}{sum(ls.values()):>12,.0f}")
        print(f"\n{'figure':<26}{'published':>11}{'model':>11}{'ratio':>8}  within 1.5x  source")
        for name, pub, mod, src in rows:
            r = mod / pub
            ok = "yes" if 1 / 1.5 <= r <= 1.5 else "NO"
            print(f"{name:<26}{pub:>11,.0f}{mod:>11,.0f}{r:>8.2f}  {ok:<11}  {src}")
    if args.plot:
        plot(rows_by_model, args.plot)
        print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
