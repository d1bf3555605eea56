"""``xrbvo census``: expected X-ray detections per class in a region, from the population model."""

from __future__ import annotations

import argparse
import json

__all__ = ["NAME", "HELP", "DESCRIPTION", "add_arguments", "run"]

NAME = "census"
HELP = "expected detections per class in a sky region at a survey's sensitivity (population model)"
DESCRIPTION = """\
How many sources of each class a soft-band (0.2-2.3 keV) survey detects in a sky
region, from xrbvo's population model: published AGN and cluster number counts
seen through the HI4PI column, and the Galactic classes' space densities and
luminosity functions integrated along each sight line (docs/population.md).
The sensitivity is eRASS1's by default: 5e-14 erg/s/cm2 at 50% completeness at
the median exposure, deeper towards the ecliptic poles (exposure ~ 1/cos of the
ecliptic latitude); --exposure flat uses one limit everywhere.

examples:
  xrbvo census                                   # eROSITA-DE, l = 180-360 deg
  xrbvo census --region gal:296,304,-2,2 --json
  xrbvo census --region cone:83.63,22.01,5 --flux-limit 1e-13 --exposure flat
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``xrbvo census``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The ``xrbvo census`` sub-parser.
    """
    from xrbvo.core.defaults import CENSUS_FLUX_LIMIT as DEFAULT_FLUX_LIMIT
    from xrbvo.core.defaults import CENSUS_REGION as DEFAULT_REGION
    from xrbvo.core.defaults import EXPOSURE_MODELS
    from xrbvo.core.regions import REGION_SYNTAX

    p.add_argument("--region", default=DEFAULT_REGION, metavar="REGION",
                   help=f"the sky region, as in xrbvo run: {REGION_SYNTAX} (default: eROSITA-DE, {DEFAULT_REGION})")
    p.add_argument("--flux-limit", type=float, default=DEFAULT_FLUX_LIMIT, metavar="FLUX",
                   help="0.2-2.3 keV flux (erg/s/cm2) at 50%% completeness at the median exposure "
                        "(default: eRASS1's, %(default)g)")
    p.add_argument("--exposure", choices=EXPOSURE_MODELS, default="erass1",
                   help="erass1: deeper towards the ecliptic poles; flat: one flux limit everywhere")
    p.add_argument("--step-deg", type=float, default=2.0, metavar="DEG",
                   help="largest side of the sky cells the census integrates over (default %(default)s)")
    p.add_argument("--json", action="store_true",
                   help='print {"region", "flux_limit", "expected": {CLASS: count}, "total", ...} as JSON')


def run(args: argparse.Namespace, ui) -> int:
    """Compute the census and print it as a table (or JSON).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    ui : xrbvo.cli._ui.UI
        The console.

    Returns
    -------
    int
        The exit code (0 on success).
    """
    from xrbvo.workflows.census import run_census

    with ui.progress():
        result = run_census(args.region, flux_limit=args.flux_limit, exposure=args.exposure,
                            step_deg=args.step_deg, progress=ui.stage("census"))
    if args.json:
        ui.out.print_json(json.dumps(result.as_dict()))
        return 0
    from rich.table import Table as RichTable

    from xrbvo.core.text import for_markup

    t = RichTable(title=f"Expected detections in {for_markup(result.region)} ({result.area_deg2:,.0f} deg2)",
                  caption=for_markup(result.sensitivity.describe()), caption_justify="left")
    t.add_column("class")
    t.add_column("expected", justify="right")
    t.add_column("share", justify="right")
    total = result.total
    for name, n in result.expected.items():
        t.add_row(name, f"{n:,.1f}" if n < 100 else f"{n:,.0f}", f"{n / total:.2%}" if total > 0 else "-")
    t.add_row("total", f"{total:,.0f}", "100%", style="bold")
    ui.out.print(t)
    return 0
