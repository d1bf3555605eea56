"""``xrbvo report``: redraw the whole report of a finished catalogue."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "report"
HELP = "redraw the report (index, pictures, sky map, regions, population plots) of a finished catalogue"
DESCRIPTION = """Read CATALOGUE (the NAME.fits, .vot or .csv that `xrbvo run` or `xrbvo demo` wrote) and
its companions NAME_neighbours.fits and NAME_counterparts.fits beside it, and write into --out the
report `xrbvo run` writes: index.html (a sortable, filterable table of the candidates with links to
SIMBAD, Aladin Lite and ESASky), one picture per candidate, sky_map.png, candidates.reg (ds9) and
diagnostics/ (population plots). Each finding chart is drawn over a sky image cut from a HiPS
(--images; the cutouts are kept in images/ and used again next time). Without the neighbours table
the report is drawn from the catalogue alone (no candidate pictures), and the command says what is
missing."""


def add_images_arguments(p: argparse.ArgumentParser) -> None:
    """``--images`` and ``--images-deadline`` (``xrbvo run`` and ``xrbvo report``)."""
    import os

    from xrbvo.core.defaults import IMAGES_DEADLINE_S

    p.add_argument("--images", default=os.environ.get("XRBVO_IMAGES", "auto"), metavar="none|auto|SURVEY[,SURVEY]",
                   help="sky images under the finding charts: none; auto (default, or $XRBVO_IMAGES: one optical and "
                        "one infrared CDS HiPS suited to the sight line, cut by the CDS hips2fits service); or surveys: "
                        "dss2, panstarrs, 2mass, a CDS HiPS id (CDS/P/DSS2/red), a HiPS directory or its http:// or "
                        "file:// URL. Unreachable or slow: the charts are drawn on the catalogues alone")
    p.add_argument("--images-deadline", type=float, default=IMAGES_DEADLINE_S, metavar="SECONDS",
                   help="seconds all the cutouts may take (then the remaining charts are drawn without an image)")


def images_from_args(args):
    """The surveys ``--images`` names (:func:`xrbvo.vo.hips.parse_images`), checked before any long work."""
    import math

    from xrbvo.core.errors import InputError
    from xrbvo.vo.hips import parse_images

    if not (math.isfinite(args.images_deadline) and args.images_deadline > 0):
        raise InputError(f"--images-deadline {args.images_deadline:g}: give a number of seconds > 0")
    return parse_images(args.images)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from xrbvo.core.defaults import DEFAULT_MAX_PNGS

    p.add_argument("catalogue", type=Path, help="catalogue written by `xrbvo run` or `xrbvo demo`")
    p.add_argument("--out", type=Path, required=True, help="report directory (created)")
    p.add_argument("--report-max", type=int, default=DEFAULT_MAX_PNGS, metavar="N",
                   help="most candidate pictures to draw, the most probable first")
    p.add_argument("--title", default=None, help="title of the index page (default: from the catalogue's input)")
    add_images_arguments(p)


def run(args, ui) -> int:
    from xrbvo.core.errors import InputError
    from xrbvo.core.text import one_line
    from xrbvo.io import check_writable, output_lock
    from xrbvo.workflows.report import draw_report, read_report_inputs

    if args.report_max < 0:
        raise InputError(f"--report-max {args.report_max}: give a number of pictures >= 0")
    images = images_from_args(args)
    inputs = read_report_inputs(args.catalogue)  # a wrong file fails before anything is written
    check_writable(args.out)
    with output_lock(args.out, "report"), ui.progress():
        rep = draw_report(inputs, args.out, max_pngs=args.report_max,
                          title=args.title or f"xrbvo candidates: {inputs.source}", progress=ui.stage("report"),
                          images=images, images_deadline_s=args.images_deadline)
    for m in rep.missing:
        ui.warn(f"{args.catalogue}: {m}")
    if rep.images_note:
        ui.warn(f"sky images: {rep.images_note}")
    ui.out.print(f"report: {one_line(rep.index)} ({len(rep.pngs)} candidate pictures, {len(rep.diagnostics)} "
                 f"population plots, regions {one_line(rep.regions.name)})", soft_wrap=True)
    if rep.skipped:
        ui.out.print(f"note: {rep.skipped} candidates have no picture in the report (at most {args.report_max} "
                     "are drawn, the most probable first; --report-max N)", soft_wrap=True)
    return 0
