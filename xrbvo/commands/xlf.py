"""``xrbvo xlf``: luminosity functions of X-ray binaries and the numbers a survey should detect."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..errors import InputError

__all__ = ["NAME", "HELP", "DESCRIPTION", "add_arguments", "run", "write_plots"]

NAME = "xlf"
HELP = "expected numbers of HMXBs and LMXBs a survey detects, from their luminosity functions"
DESCRIPTION = """\
Fold the broken power-law luminosity functions of HMXBs and LMXBs (INTEGRAL
17-60 keV: L_br, alpha1, alpha2, N_total) with their Galactic distribution, the
absorbing column (HI4PI, split along each sight line) and a survey's soft-band
flux limit, to predict how many X-ray binaries the survey detects and, with
catalogues of known ones, how many are new.  The luminosity functions are
converted to 0.2-2.3 keV with each class's power-law spectrum (HMXB Gamma=1.0,
LMXB Gamma=1.8).  Uncertainties: Monte Carlo draws of the parameters plus
Poisson noise (16th-84th percentiles).

Default survey: eRASS1, German half of the sky (l >= 180 deg), 5e-14 erg/cm2/s.

examples:
  xrbvo xlf --out xlf_plots
  xrbvo xlf --known-hmxb hmxbwebcat_fortin2023.csv --known-lmxb lmxbwebcat_fortin2024.csv
  xrbvo xlf --l-range 290 310 --b-range -2 2 --flux-limit 1e-14 --n-mc 500 --seed 3
"""

_CLASSES = ("HMXB", "LMXB")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``xrbvo xlf``."""
    parser.add_argument("--classes", nargs="+", choices=_CLASSES, default=list(_CLASSES), metavar="CLASS",
                        help="classes to predict: HMXB, LMXB")
    parser.add_argument("--l-range", nargs=2, type=float, default=(180.0, 360.0), metavar=("LON_MIN", "LON_MAX"),
                        help="Galactic longitude range of the footprint (deg; LON_MAX < LON_MIN wraps through 0)")
    parser.add_argument("--b-range", nargs=2, type=float, default=(-90.0, 90.0), metavar=("LAT_MIN", "LAT_MAX"),
                        help="Galactic latitude range of the footprint (deg)")
    parser.add_argument("--flux-limit", type=float, default=5e-14,
                        help="0.2-2.3 keV absorbed flux detected with 50%% probability (erg/cm2/s)")
    parser.add_argument("--completeness-width", type=float, default=0.08,
                        help="width of the logistic completeness curve (dex of flux)")
    parser.add_argument("--survey-name", default=None, help="label of the survey in the output "
                        "(default: eRASS1-DE for the default footprint and limit, else 'custom')")
    parser.add_argument("--l-min", type=float, default=None,
                        help="lowest 17-60 keV luminosity of the populations (erg/s); the number above "
                             "the INTEGRAL-measured range (1e35 erg/s) stays fixed (default: 1e33)")
    parser.add_argument("--known-hmxb", type=Path, default=None, metavar="TABLE",
                        help="catalogue of known HMXBs (RAdeg/DEdeg or RA/DEC columns), to count new ones")
    parser.add_argument("--known-lmxb", type=Path, default=None, metavar="TABLE",
                        help="catalogue of known LMXBs (RAdeg/DEdeg or RA/DEC columns), to count new ones")
    parser.add_argument("--n-mc", type=int, default=200, help="Monte Carlo draws of the parameters (0: none)")
    parser.add_argument("--n-sample", type=int, default=40000,
                        help="objects drawn per class for the Galactic geometry and absorption")
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same numbers")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="write PNG plots and the table (xlf_expected.ecsv) into this directory")
    parser.add_argument("--no-plots", action="store_true", help="with --out, write only the table")


def _survey(args):
    from .. import xlf

    fp = xlf.Footprint(args.l_range[0], args.l_range[1], args.b_range[0], args.b_range[1])
    default = (tuple(args.l_range) == (180.0, 360.0) and tuple(args.b_range) == (-90.0, 90.0)
               and args.flux_limit == 5e-14)
    name = args.survey_name or ("eRASS1-DE" if default else "custom")
    return xlf.SurveyModel(name, fp, args.flux_limit, args.completeness_width)


def run(args: argparse.Namespace, ui) -> int:
    """Compute, show the table, write plots."""
    from rich.table import Table as RichTable

    from .. import xlf

    if args.n_mc < 0:
        raise InputError(f"--n-mc must be >= 0 (got {args.n_mc})")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out}: exists and is not a directory; give a directory for the plots")
    survey = _survey(args)
    lfs = dict(xlf.INTEGRAL_LFS)
    if args.l_min is not None:
        if not args.l_min > 0:
            raise InputError(f"--l-min must be a positive luminosity in erg/s (got {args.l_min})")
        lfs = {k: v.with_l_min(args.l_min) for k, v in lfs.items()}
    known = {"HMXB": args.known_hmxb, "LMXB": args.known_lmxb}
    with ui.progress():
        result = xlf.expected_numbers(tuple(args.classes), survey=survey, lfs=lfs, known=known,
                                      n_sample=args.n_sample, n_mc=args.n_mc, seed=args.seed,
                                      progress=ui.stage("expected numbers"))

    gammas = ", ".join(f"{c} Gamma={xlf.CLASS_GAMMA[c]:g}" for c in result.predictions)
    lf_table = RichTable(title="Luminosity functions (dN/dL ~ L^-alpha, broken at L_br; L in erg/s)",
                         caption="17-60 keV: INTEGRAL band. Soft: unabsorbed 0.2-2.3 keV, converted with a "
                                 f"power law ({gammas}). N_total: number in the Galaxy above L_min.",
                         caption_justify="left")
    for col in ("class", "log L_br", "alpha1", "alpha2", "log L_min", "N(>1e35)", "N_total",
                "log L_br soft", "log L_min soft"):
        lf_table.add_column(col, justify="left" if col == "class" else "right")
    for p in result.predictions.values():
        lf_table.add_row(
            p.cls, f"{math.log10(p.lf.l_break):.2f}±{p.lf.sigma_log_l_break:.2f}",
            f"{p.lf.alpha1:.2f}±{p.lf.sigma_alpha1:.2f}", f"{p.lf.alpha2:.2f}±{p.lf.sigma_alpha2:.2f}",
            f"{math.log10(p.lf.l_min):.1f}", f"{float(p.lf.n_above(1e35)):.0f}", f"{p.lf.n_total:.0f}",
            f"{math.log10(p.lf_soft.l_break):.2f}", f"{math.log10(p.lf_soft.l_min):.2f}")
    ui.out.print(lf_table)

    t = RichTable(title=f"Expected in {survey.name}",
                  caption=(f"{survey.footprint.describe()}; 50% completeness at {survey.flux_limit:.2g} erg/cm2/s "
                           f"(0.2-2.3 keV, absorbed). Range: 16th-84th percentile of {args.n_mc} Monte Carlo "
                           f"draws (parameters + Poisson), seed {args.seed}. New = detected - known."),
                  caption_justify="left")
    for col in ("class", "in footprint", "detected", "range", "median d (kpc)", "known", "new"):
        t.add_column(col, justify="left" if col == "class" else "right")
    for p in result.predictions.values():
        lo, hi = p.interval()
        t.add_row(p.cls, f"{p.n_footprint:.0f}", f"[bold]{p.n_detected:.0f}[/]", f"{lo:.0f}-{hi:.0f}",
                  f"{p.median_distance_pc / 1000:.1f}",
                  "-" if p.n_known is None else str(p.n_known),
                  "-" if p.n_new is None else f"[bold green]{p.n_new:.0f}[/]")
    ui.out.print(t)

    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        from ..io import write_table

        paths = [write_table(result.table(), args.out / "xlf_expected.ecsv")]
        if not args.no_plots:
            paths += write_plots(result, args.out, seed=args.seed)
        for path in paths:
            ui.info(f"wrote {path}")
    return 0


def write_plots(result, directory: Path, *, seed: int = 0) -> list[Path]:
    """PNG plots of an :class:`~xrbvo.xlf.XlfResult`: luminosity functions, log N - log S, counts.

    Uses matplotlib's object interface with the Agg canvas (no pyplot state).
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    directory = Path(directory)
    colours = {"HMXB": "tab:blue", "LMXB": "tab:red"}
    rng = np.random.default_rng(seed)
    out = []

    # 1. luminosity functions, both bands, with a band from parameter draws
    fig = Figure(figsize=(7.0, 5.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for p in result.predictions.values():
        c = colours.get(p.cls, "k")
        for lf, ls, band in ((p.lf, "-", "17-60 keV"), (p.lf_soft, "--", "0.2-2.3 keV")):
            grid = np.logspace(lf.lo, lf.hi, 300)
            ax.plot(grid, lf.n_above(grid), ls, color=c, label=f"{p.cls}, {band}")
        grid = np.logspace(p.lf.lo, p.lf.hi, 300)
        draws = np.array([p.lf.perturbed(rng).n_above(grid) for _ in range(100)])
        lo, hi = np.percentile(draws, [16, 84], axis=0)
        ax.fill_between(grid, np.maximum(lo, 1e-3), np.maximum(hi, 1e-3), color=c, alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(0.3, None)
    ax.set_xlabel("L (erg/s)")
    ax.set_ylabel("N(>L) in the Galaxy")
    ax.set_title("Luminosity functions (INTEGRAL band and converted to 0.2-2.3 keV)")
    ax.legend(fontsize=8)
    path = directory / "xlf_luminosity_functions.png"
    fig.savefig(path, dpi=110)
    out.append(path)

    # 2. log N - log S in the footprint
    fig = Figure(figsize=(7.0, 5.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for p in result.predictions.values():
        c = colours.get(p.cls, "k")
        s = 10.0 ** p.logs_grid
        ax.plot(s, p.n_above_flux, color=c, label=p.cls)
        ax.fill_between(s, np.maximum(p.n_above_flux_band[0], 1e-3), np.maximum(p.n_above_flux_band[1], 1e-3),
                        color=c, alpha=0.2, lw=0)
    ax.axvline(result.survey.flux_limit, color="0.4", ls=":", label="50% completeness")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(0.3, None)
    ax.set_xlabel("absorbed 0.2-2.3 keV flux S (erg/cm2/s)")
    ax.set_ylabel(f"N(>S) in {result.survey.name}")
    ax.set_title(result.survey.footprint.describe())
    ax.legend(fontsize=8)
    path = directory / "xlf_logn_logs.png"
    fig.savefig(path, dpi=110)
    out.append(path)

    # 3. Monte Carlo distribution of detected counts, with the known ones
    fig = Figure(figsize=(7.0, 4.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for p in result.predictions.values():
        c = colours.get(p.cls, "k")
        if len(p.detected_draws):
            ax.hist(p.detected_draws, bins=30, color=c, alpha=0.5, label=f"{p.cls} detected (MC)")
        ax.axvline(p.n_detected, color=c, lw=2)
        if p.n_known is not None:
            ax.axvline(p.n_known, color=c, ls="--", label=f"{p.cls} known in footprint")
    ax.set_xlabel("number of sources")
    ax.set_ylabel("Monte Carlo draws")
    ax.set_title(f"Detected X-ray binaries, {result.survey.name}")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    path = directory / "xlf_counts.png"
    fig.savefig(path, dpi=110)
    out.append(path)
    return out
