"""``xrbvo explore``: score X-ray sources on demand in the terminal UI (Textual)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["NAME", "HELP", "DESCRIPTION", "add_arguments", "run", "explore_table"]

NAME = "explore"
HELP = "explore X-ray sources in the terminal, scoring each on demand from TAP services"
DESCRIPTION = """Open an X-ray source list (anything `xrbvo run` reads, read as it reads it: the eRASS1 release's
selection, --hard and --region are the same options), a catalogue with results, or nothing, in the
terminal UI. Selecting a source pulls its neighbourhoods from the TAP service (the cache first),
runs the workflow of `xrbvo run` on it with the model and shows its class probabilities, counterparts
and sky plot; the numbers equal those of `xrbvo run` on the whole list. `g` or `:` goes to a position
(RA Dec in degrees or sexagesimal, `gal l b`, an id of the list, or an object name through CDS Sesame),
`A` scores every shown source, `n`/`a` send the neighbourhood to TOPCAT and Aladin. Results are kept in
SOURCES.explore.fits next to the list; reopening resumes. See docs/tui.md."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Register the options of ``xrbvo explore``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The ``xrbvo explore`` sub-parser.
    """
    p.add_argument("sources", nargs="?", default=None, metavar="SOURCES",
                   help="X-ray source list or catalogue (FITS, VOTable, ECSV, CSV, Parquet), or a TAP service's "
                        "table as SERVICE:TABLE with --region (as `xrbvo run` takes them); none: positions only")
    p.add_argument("--model", type=Path, required=True, help="trained model directory (`xrbvo demo` writes OUT/model)")
    p.add_argument("--tap-url", default=None,
                   help="one TAP service serving every survey (e.g. the local DaCHS); default: each survey's own")
    p.add_argument("--cache", type=Path, default=None, help="TAP chunk cache directory (default: the user's cache)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="deadline of one pull (default 60 s); past it the UI says so and keeps going")
    p.add_argument("--radius", type=float, default=20.0,
                   help="counterpart search radius (arcsec), as `xrbvo run --radius`; recorded in the session")
    p.add_argument("--no-samp", action="store_true", help="do not look for a SAMP hub")
    from xrbvo.cli.common import add_columns_argument, add_known_arguments, add_release_arguments

    add_release_arguments(p)  # the sources `xrbvo run` reads from the same input: a source here is its row there
    add_columns_argument(p)
    add_known_arguments(p)


def run(args, ui) -> int:
    """Run ``xrbvo explore`` with the parsed options.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    ui : xrbvo.cli._ui.UI
        The command line's output.

    Returns
    -------
    int
        The exit code (0 on success).
    """
    from xrbvo.core.errors import InputError

    if not args.timeout > 0:
        raise InputError("--timeout must be a positive number of seconds")
    if not 0 < args.radius <= 600:
        raise InputError(f"--radius {args.radius:g}: the search radius must be between 0 and 600 arcsec")
    from xrbvo.cli.common import known_from_args
    from xrbvo.tui.explore import create_explore_app

    table = explore_table(args, ui)
    known = known_from_args(args, ui)  # read (or fetched) before the UI starts: a bad one is one line
    service = table is not None and not Path(args.sources).exists()
    app = create_explore_app(None if service else args.sources, args.model, tap_url=args.tap_url, cache=args.cache,
                             samp=not args.no_samp, deadline_s=args.timeout, known=known, table=table,
                             source=args.sources, radius_arcsec=args.radius)
    app.run()
    return int(app.return_code or 0)


def explore_table(args, ui):
    """The X-ray sources to explore, read and selected as ``xrbvo run`` reads them (the same options), or None.

    A catalogue with results (``P_max``) is taken as it is: the release's options do not apply to it.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``sources`` and the options of
        :func:`xrbvo.cli.common.add_release_arguments`).
    ui : xrbvo.cli._ui.UI
        The console that reports each cut.

    Returns
    -------
    astropy.table.Table or None
        The sources in the standard columns (a catalogue with results as it is); None without ``sources``.
    """
    if args.sources is None:
        from xrbvo.core.errors import InputError

        asked = [o for o, v in (("--hard", args.hard), ("--min-det-like", args.min_det_like),
                                ("--max-ext-like", args.max_ext_like), ("--keep-flagged", args.keep_flagged),
                                ("--region", args.region)) if v is not None and v is not False]
        if asked:
            raise InputError(f"{', '.join(asked)} choose among the sources of a list; give the list (SOURCES)")
        return None
    from xrbvo.cli.common import read_xray_from_args, select_region_rows
    from xrbvo.io import read_table
    from xrbvo.workflows.analyse import prepare_xray

    table = read_table(args.sources) if Path(args.sources).exists() else None
    if table is not None and "P_max" in table.colnames:
        return table
    table = read_xray_from_args(args, ui, args.sources, table=table)
    table = prepare_xray(table, source=str(args.sources))
    if args.region is not None:
        table = select_region_rows(table, args.region, args.sources, ui)
    return table
