"""``xrbvo xlf``: how many X-ray binaries INTEGRAL and eROSITA should detect, beside the published figures."""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from pathlib import Path

from xrbvo.core.errors import InputError

__all__ = ["NAME", "HELP", "DESCRIPTION", "add_arguments", "run", "write_plots", "comparison_rows"]

NAME = "xlf"
HELP = "expected numbers of HMXBs and LMXBs for INTEGRAL and eRASS1, beside the published ones"
DESCRIPTION = """\
Reproduce the prediction of how many X-ray binaries eROSITA should find: the
broken power-law luminosity functions of LMXBs and HMXBs from the INTEGRAL
9-year survey (Doroshenko et al. 2014, 17-60 keV: L_br, alpha1, alpha2,
N_total with asymmetric errors) are folded with where the binaries sit in the
Galaxy (HMXBs: young stars, scale height 85 pc; LMXBs: bulge plus disk, 410
pc; Sun at 8.2 kpc), the HI4PI column in front of each, an absorbed power law
and each survey's flux limit.  A Monte Carlo over the parameters (split
normals) gives the median and 68% interval of every number, printed next to
the published one.  "New" means detected by eRASS1 and not by INTEGRAL in the
same simulated Galaxy.  Plots (PNG): the luminosity functions and the expected
cumulative counts against flux limit for both surveys.

examples:
  xrbvo xlf
  xrbvo xlf --out xlf_plots --n-mc 5000 --seed 3
  xrbvo xlf --l-min 1e33 --integral-limit 1.43e-11 --erosita-hard-limit 5e-13
"""

_CLASSES = ("LMXB", "HMXB")


def _positive(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return v


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``xrbvo xlf``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``xrbvo xlf`` sub-parser.
    """
    from xrbvo.galaxy import xlf

    parser.add_argument("--classes", nargs="+", choices=_CLASSES, default=list(_CLASSES), metavar="CLASS",
                        help="classes to predict: LMXB, HMXB")
    parser.add_argument("--l-min", type=_positive, default=xlf.L_MIN_DEFAULT, metavar="ERG_S",
                        help="lowest 17-60 keV luminosity, the one N_total refers to (default %(default)g erg/s)")
    parser.add_argument("--gamma-lmxb", type=float, default=xlf.CLASS_GAMMA["LMXB"], metavar="GAMMA",
                        help="mean photon index of LMXB spectra (default %(default)g)")
    parser.add_argument("--gamma-hmxb", type=float, default=xlf.CLASS_GAMMA["HMXB"], metavar="GAMMA",
                        help="mean photon index of HMXB spectra (default %(default)g)")
    parser.add_argument("--gamma-scatter", type=float, default=0.3, metavar="SIGMA",
                        help="scatter of the photon index between sources (default %(default)g)")
    parser.add_argument("--no-local-absorption", action="store_true",
                        help="only the interstellar column, no local column around the binaries")
    parser.add_argument("--integral-limit", type=_positive, default=xlf.INTEGRAL_IBIS.flux_limit, metavar="FLUX",
                        help="INTEGRAL 17-60 keV flux limit at |b| < 17.5 deg (default %(default)g erg/cm2/s)")
    parser.add_argument("--integral-limit-off-plane", type=_positive,
                        default=xlf.INTEGRAL_IBIS.flux_limit_off_plane, metavar="FLUX",
                        help="INTEGRAL flux limit at |b| >= 17.5 deg (default %(default)g erg/cm2/s)")
    parser.add_argument("--erosita-soft-limit", type=_positive, default=xlf.ERASS1_SOFT.flux_limit, metavar="FLUX",
                        help="eRASS1 0.2-2.3 keV flux at 50%% completeness (default %(default)g erg/cm2/s)")
    parser.add_argument("--erosita-hard-limit", type=_positive, default=xlf.ERASS1_HARD.flux_limit, metavar="FLUX",
                        help="eRASS1 2.3-5 keV flux at 50%% completeness (default %(default)g erg/cm2/s)")
    parser.add_argument("--n-mc", type=int, default=2000,
                        help=f"Monte Carlo realisations, 1 to {xlf.MAX_N_MC} (default %(default)s)")
    parser.add_argument("--n-sample", type=int, default=20000,
                        help=f"sight lines drawn per class for geometry and absorption, 1000 to {xlf.MAX_N_SAMPLE} "
                             "(default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same numbers")
    parser.add_argument("--out", type=Path, default=Path("xlf_output"), metavar="DIR",
                        help="directory for the PNG plots and the table xlf_expected.ecsv (default %(default)s)")
    parser.add_argument("--no-plots", action="store_true", help="write only the table, no plots")


def _fmt(x: float, digits: int = 0) -> str:
    return f"{x:.{digits}f}"


def _mid(stats, digits: int = 0, pct: bool = False) -> str:
    """``median [p16-p84]``."""
    med, lo, hi = stats
    if pct:
        return f"{100 * med:.0f}% [{100 * lo:.0f}-{100 * hi:.0f}%]"
    return f"{_fmt(med, digits)} [{_fmt(lo, digits)}-{_fmt(hi, digits)}]"


def comparison_rows(result) -> list[tuple[str, dict[str, tuple[str, str]]]]:
    """Rows of the comparison table: (quantity, {class: (published, reproduced)}).

    Parameters
    ----------
    result : xrbvo.galaxy.xlf.XlfResult
        The computed prediction.

    Returns
    -------
    list[tuple[str, dict[str, tuple[str, str]]]]
        Rows of the comparison table: (quantity, {class: (published, reproduced)}).
    """
    from xrbvo.galaxy import xlf

    rows = []

    def row(label, fn):
        rows.append((label, {c: fn(r) for c, r in result.classes.items()}))

    def pub(c):
        return xlf.PUBLISHED.get(c)

    scale = 1e36
    row("L_br (1e36 erg/s)", lambda r: (r.params.l_break.describe(scale),
                                         _mid([v / scale for v in r.summary("l_break")], 2)))
    row("alpha_1", lambda r: (r.params.alpha1.describe(), _mid(r.summary("alpha1"), 2)))
    row("alpha_2", lambda r: (r.params.alpha2.describe(), _mid(r.summary("alpha2"), 2)))
    row("N_total in the Milky Way", lambda r: (r.params.n_total.describe(), _mid(r.summary("n_total"))))
    row("N detected by INTEGRAL", lambda r: (
        f"{pub(r.cls).n_integral}" if pub(r.cls) else "-", _mid(r.summary("n_integral"))))
    row("  fraction detected by INTEGRAL", lambda r: (
        "{:.0f}-{:.0f}%".format(*[100 * v for v in pub(r.cls).frac_integral]) if pub(r.cls) else "-",
        _mid(r.summary("n_integral", fraction=True), pct=True)))
    row("N detected by eROSITA (all sky)", lambda r: (
        "{:.0f}-{:.0f}".format(*pub(r.cls).n_erosita) if pub(r.cls) else "-", _mid(r.summary("n_erosita"))))
    row("  fraction detected by eROSITA", lambda r: (
        "{:.0f}-{:.0f}%".format(*[100 * v for v in pub(r.cls).frac_erosita]) if pub(r.cls) else "-",
        _mid(r.summary("n_erosita", fraction=True), pct=True)))
    row("N new with eROSITA (all sky)", lambda r: (
        "{:.0f}-{:.0f}".format(*pub(r.cls).n_new) if pub(r.cls) else "-", _mid(r.summary("n_new"))))
    row("N detected by eROSITA, l > 180", lambda r: ("-", _mid(r.summary("n_erosita_de"))))
    row("N new with eROSITA, l > 180", lambda r: ("-", _mid(r.summary("n_new_de"))))
    return rows


def _surveys(args):
    from xrbvo.galaxy import xlf

    integral = replace(xlf.INTEGRAL_IBIS, flux_limit=args.integral_limit,
                       flux_limit_off_plane=args.integral_limit_off_plane)
    soft = replace(xlf.ERASS1_SOFT, flux_limit=args.erosita_soft_limit)
    hard = replace(xlf.ERASS1_HARD, flux_limit=args.erosita_hard_limit)
    return integral, (soft, hard)


def run(args: argparse.Namespace, ui) -> int:
    """Check the options, then compute, show the comparison, write the table and plots.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    ui : xrbvo.cli._ui.UI
        The console that prints the comparison.

    Returns
    -------
    int
        The exit code (0 on success).
    """
    from xrbvo.galaxy import xlf

    if not 1 <= args.n_mc <= xlf.MAX_N_MC:
        raise InputError(f"--n-mc must be between 1 and {xlf.MAX_N_MC} (got {args.n_mc})")
    if not 1000 <= args.n_sample <= xlf.MAX_N_SAMPLE:
        raise InputError(f"--n-sample must be between 1000 and {xlf.MAX_N_SAMPLE} (got {args.n_sample}); fewer "
                         "sight lines give noisy numbers, more only cost memory and time")
    if args.gamma_scatter < 0:
        raise InputError(f"--gamma-scatter must be >= 0 (got {args.gamma_scatter})")
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out}: exists and is not a directory; give a directory for the plots")
    params = {}
    for c in args.classes:
        p = xlf.DOROSHENKO2014[c]
        if not args.l_min < p.l_break.value:
            raise InputError(f"--l-min {args.l_min:g}: must lie below the {c} break luminosity "
                             f"({p.l_break.value:g} erg/s)")
        params[c] = p.with_l_min(args.l_min)
    integral, erosita = _surveys(args)
    from xrbvo.io import check_writable, output_lock

    check_writable(args.out)  # before the long work, not after it
    with output_lock(args.out, "xlf"):  # one writer per directory
        return _compute_and_write(args, ui, params, integral, erosita)


def _compute_and_write(args, ui, params, integral, erosita) -> int:
    import numpy as np
    from rich.table import Table as RichTable
    from rich.text import Text

    from xrbvo.galaxy import xlf
    from xrbvo.io import write_table

    with ui.progress():
        result = xlf.expected_numbers(
            tuple(args.classes), params=params, integral=integral, erosita=erosita,
            gamma={"LMXB": args.gamma_lmxb, "HMXB": args.gamma_hmxb}, gamma_scatter=args.gamma_scatter,
            local_absorption=not args.no_local_absorption, n_sample=args.n_sample, n_mc=args.n_mc,
            seed=args.seed, progress=ui.stage("expected numbers"))

    t = RichTable(title="X-ray binaries in the Galaxy, INTEGRAL and eRASS1: published vs reproduced",
                  caption=(f"Published: Doroshenko et al. 2014 (seed work's Table 1). Reproduced: median "
                           f"[16th-84th percentile] of {args.n_mc} Monte Carlo Galaxies, seed {args.seed}; "
                           f"N_total above L_min = {args.l_min:g} erg/s (17-60 keV). "
                           f"{integral.describe()}; eROSITA = {erosita[0].describe()} or "
                           f"{erosita[1].describe()}. New = detected by eRASS1 and not by INTEGRAL. "
                           "The published 'new' is N(eROSITA) - N(INTEGRAL, observed)."),
                  caption_justify="left")
    t.add_column("quantity")
    for c in result.classes:
        t.add_column(f"{c} published", justify="right")
        t.add_column(f"{c} reproduced", justify="right", style="bold")
    for label, cells in comparison_rows(result):
        vals = []
        for c in result.classes:
            vals += list(cells[c])
        t.add_row(label, *vals)
    tot = np.percentile(result.total_new_de, [50.0, 16.0, 84.0])
    pub_tot = "{:.0f}-{:.0f}".format(*xlf.PUBLISHED_NEW_DE_TOTAL)
    t.add_section()
    t.add_row("new XRBs (all classes), l > 180", pub_tot, Text(_mid(tot), style="bold green"),
              *([""] * (2 * len(result.classes) - 2)))
    ui.out.print(t)

    b = RichTable(title="Detections by band (median [16th-84th percentile])", caption_justify="left",
                  caption="Median distance: of the objects each survey detects, in kpc.")
    for col in ("class", "INTEGRAL 17-60 keV", "eRASS1 0.2-2.3 keV", "eRASS1 2.3-5 keV", "eRASS1 either",
                "median d INTEGRAL", "median d eRASS1 soft"):
        b.add_column(col, justify="left" if col == "class" else "right")
    for c, r in result.classes.items():
        b.add_row(c, _mid(r.summary("n_integral")), _mid(r.summary("n_erosita_soft")),
                  _mid(r.summary("n_erosita_hard")), _mid(r.summary("n_erosita")),
                  f"{r.median_distance_pc[integral.name] / 1000:.1f}",
                  f"{r.median_distance_pc[erosita[0].name] / 1000:.1f}")
    ui.out.print(b)

    paths = [write_table(result.table(), args.out / "xlf_expected.ecsv")]
    if not args.no_plots:
        paths += write_plots(result, args.out, seed=args.seed)
    for path in paths:
        ui.info(f"wrote {path}")
    return 0


def write_plots(result, directory: Path, *, seed: int = 0, n_curves: int = 300) -> list[Path]:
    """PNG plots of an :class:`~xrbvo.galaxy.xlf.XlfResult`.

    ``xlf_luminosity_functions.png``: N(>L) in the Galaxy at the published
    values, with the 68% band of the parameter draws.
    ``xlf_counts_vs_flux_limit.png``: expected number of each class brighter
    than a flux limit, all sky, for INTEGRAL (17-60 keV) and eRASS1 (0.2-2.3
    and 2.3-5 keV), median and 68% band, the adopted limits marked.
    Uses matplotlib's object interface with the Agg canvas (no pyplot state).

    Parameters
    ----------
    result : xrbvo.galaxy.xlf.XlfResult
        The computed prediction.
    directory : Path
        Where the PNG files go.
    seed : int, optional
        Seed of the drawn curves.
    n_curves : int, optional
        Number of Monte Carlo luminosity functions drawn as thin curves.

    Returns
    -------
    list[Path]
        The PNG files written.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from xrbvo.io import save_output

    directory = Path(directory)
    from xrbvo.core.schema import CLASS_COLOURS as colours
    rng = np.random.default_rng(seed)
    out = []

    fig = Figure(figsize=(7.0, 5.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for c, r in result.classes.items():
        col = colours.get(c, "k")
        lf = r.params.nominal()
        grid = np.logspace(lf.lo, lf.hi, 300)
        ax.plot(grid, lf.n_above(grid), color=col, label=f"{c}: published values")
        curves = np.array([r.params.draw(rng).n_above(grid) for _ in range(n_curves)])
        lo, hi = np.percentile(curves, [16, 84], axis=0)
        ax.fill_between(grid, np.maximum(lo, 1e-3), np.maximum(hi, 1e-3), color=col, alpha=0.2, lw=0,
                        label=f"{c}: 68% of parameter draws")
        ax.axvline(lf.l_break, color=col, ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(0.5, None)
    ax.set_xlabel("L, 17-60 keV (erg/s)")
    ax.set_ylabel("N(>L) in the Milky Way")
    ax.set_title("Luminosity functions (Doroshenko et al. 2014); dotted: L_br")
    ax.legend(fontsize=8)
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.11, top=0.93)
    path = directory / "xlf_luminosity_functions.png"
    out.append(save_output(path, lambda target: fig.savefig(target, dpi=110)))

    fig = Figure(figsize=(11.0, 4.6))
    FigureCanvasAgg(fig)
    panels = ((fig.add_subplot(1, 2, 1), (result.integral,)), (fig.add_subplot(1, 2, 2), result.erosita))
    for ax, surveys in panels:
        for k, s in enumerate(surveys):
            ls = ("-", "--", "-.")[k % 3]
            for c, r in result.classes.items():
                col = colours.get(c, "k")
                x = 10.0 ** r.log_flux_grid[s.name]
                med, lo, hi = np.percentile(r.cumulative[s.name], [50, 16, 84], axis=0)
                ax.plot(x, np.maximum(med, 1e-3), ls, color=col, label=f"{c}, {s.band_kev[0]:g}-{s.band_kev[1]:g} keV")
                ax.fill_between(x, np.maximum(lo, 1e-3), np.maximum(hi, 1e-3), color=col, alpha=0.15, lw=0)
            ax.axvline(s.flux_limit, color="0.4", ls=ls, lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(1.0, None)
        ax.set_xlabel("flux limit, absorbed (erg/cm2/s)")
        ax.set_ylabel("expected number detected, all sky")
        ax.legend(fontsize=8)
    panels[0][0].set_title("INTEGRAL/IBIS (adopted limit: grey)")
    panels[1][0].set_title("eROSITA eRASS1 (adopted limits: grey)")
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.92, wspace=0.25)
    path = directory / "xlf_counts_vs_flux_limit.png"
    out.append(save_output(path, lambda target: fig.savefig(target, dpi=110)))
    return out
