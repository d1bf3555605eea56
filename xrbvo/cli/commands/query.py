"""``xrbvo query``: scripted TAP queries (a cone, neighbourhoods of a file, raw ADQL)."""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from xrbvo.core.errors import InputError

if TYPE_CHECKING:  # the command line starts without astropy (benchmarks/cli_startup.py)
    from astropy.table import Table

__all__ = ["NAME", "HELP", "DESCRIPTION", "add_arguments", "run"]

NAME = "query"
HELP = "query TAP services: a cone, neighbourhoods of a source file, or raw ADQL"
DESCRIPTION = """\
Query TAP services (Gaia archive, VizieR, any URL) with retries and an on-disk cache.

  xrbvo query cone --service gaia --table gaiadr3.gaia_source 266.4 -29.0 30 -o cone.fits
  xrbvo query neighbours erass1.fits --radius 15 --surveys gaia,2mass -o nb.fits
  xrbvo query adql --service vizier 'SELECT TOP 5 * FROM "II/246/out"' -o out.csv

SERVICE is an http(s) URL or a name: gaia, vizier, heasarc, simbad, or a survey name.
Output: any format astropy writes (by suffix, or --format); without -o the table is printed.
--show-adql prints the ADQL and sends nothing.  Every option is checked before any request;
--timeout SECONDS bounds a whole pull (all its requests, retries and waits).
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="FILE", help="output table (format from the suffix or --format)")
    p.add_argument("--format", metavar="FMT", help="astropy output format, e.g. fits, votable, ascii.ecsv, csv")
    p.add_argument("--cache", metavar="DIR", help="chunk cache directory (default: the user's cache dir)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--refresh", action="store_true", help="refetch everything (the cache is overwritten)")
    p.add_argument("--maxrec", type=int, metavar="N", help="MAXREC per query (truncated results are split)")
    p.add_argument("--mode", choices=("auto", "sync", "async"), default="auto", help="TAP query mode")
    p.add_argument("--retries", type=int, default=5, metavar="N", help="retries after a transient fault")
    p.add_argument("--max-in-flight", type=int, default=4, metavar="N", help="requests running at once")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="deadline of a whole pull (a query, or one survey's neighbourhoods), not of one request; "
                        "chunks finished before it stay in the cache (default: none)")
    p.add_argument("--show-adql", action="store_true", help="print the ADQL and send nothing")


def _one_line_errors(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make ``parser`` report a bad option value as one ``error:`` line and exit 2 (no usage block)."""
    def error(message: str):
        sys.stderr.write(f"error: {parser.prog}: {message}\n")
        raise SystemExit(2)

    parser.error = error
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``cone``, ``neighbours`` and ``adql`` sub-commands of ``xrbvo query``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``xrbvo query`` sub-parser.
    """
    _one_line_errors(parser)
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True,
                                help="cone, neighbours or adql (each has its own --help)")
    c = sub.add_parser("cone", help="every row of a table within a radius of one position")
    c.add_argument("ra", type=float, help="right ascension, deg")
    c.add_argument("dec", type=float, help="declination, deg")
    c.add_argument("radius", type=float, help="radius, arcsec")
    c.add_argument("--service", required=True, help="TAP service: URL or name (a survey name: its own service)")
    c.add_argument("--table", help="table at the service, e.g. gaiadr3.gaia_source (default: the survey's table "
                                   "when --service names a survey)")
    c.add_argument("--ra-column", default=None,
                   help="right-ascension column of the table (default: the survey registry's for a survey's "
                        "table, e.g. RAJ2000 for VizieR's II/246/out; else ra)")
    c.add_argument("--dec-column", default=None, help="declination column of the table (default: as --ra-column)")
    c.add_argument("--columns", help="comma-separated columns (default: all)")
    _common(_one_line_errors(c))
    n = sub.add_parser("neighbours", aliases=["neighbourhoods"],
                       help="neighbourhoods of every source in a file, one output per survey")
    n.add_argument("xray", help="X-ray source table (FITS, VOTable, ECSV, CSV, Parquet)")
    n.add_argument("--radius", type=float, default=15.0, help="search radius, arcsec")
    n.add_argument("--surveys", default="gaia,2mass,catwise", help="comma-separated survey names")
    n.add_argument("--tap-url", metavar="URL",
                   help="one TAP service for every survey (default: each survey's own service)")
    _common(_one_line_errors(n))
    a = sub.add_parser("adql", help="raw ADQL against a named service or URL")
    a.add_argument("adql", help="the ADQL query")
    a.add_argument("--service", required=True, help="TAP service: URL or name")
    _common(_one_line_errors(a))


def _client_options(args) -> dict:
    if args.maxrec is not None and args.maxrec < 1:
        raise InputError("--maxrec must be a positive number of rows")
    if args.retries < 0 or args.max_in_flight < 1:
        raise InputError("--retries must be >= 0 and --max-in-flight >= 1")
    if args.timeout is not None and not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise InputError(f"--timeout must be a positive number of seconds, not {args.timeout}")
    cache = False if args.no_cache else (Path(args.cache) if args.cache else None)
    return dict(cache=cache, refresh=args.refresh, maxrec=args.maxrec, mode=args.mode, retries=args.retries,
                max_in_flight=args.max_in_flight, deadline_s=args.timeout)


def _check_options(args) -> dict:
    """Check every option value before any request; returns the TapClient options."""
    from xrbvo.io import FORMATS, check_writable

    options = _client_options(args)
    if args.format:
        from astropy.io import registry
        from astropy.table import Table

        writable = sorted(str(f) for f in registry.get_formats(Table, "Write")["Format"])
        if args.format not in writable:
            raise InputError(f"--format {args.format}: astropy writes no such table format; use e.g. fits, "
                             "votable, ascii.ecsv, csv or parquet")
    if args.output:
        out = Path(args.output)
        if not args.format and not any(out.name.lower().endswith(sfx) for sfx in FORMATS):
            raise InputError(f"{out}: unknown output format; use a suffix of {', '.join(sorted(FORMATS))} "
                             "or --format")
        check_writable(out.parent)  # before the pull, not after it
    if getattr(args, "columns", None) is not None:
        if not all(c.strip() for c in args.columns.split(",")):
            raise InputError(f"--columns {args.columns!r} holds an empty column name")
    if getattr(args, "radius", None) is not None and not args.radius > 0:
        raise InputError(f"the search radius must be positive (arcsec), not {args.radius}")
    return options


def _emit(table: Table, args, ui, path: str | None = None) -> None:
    from xrbvo.io import save_output, write_table

    path = path or args.output
    if not path:
        ui.out.print("\n".join(table.pformat(max_lines=-1, max_width=-1)), markup=False, highlight=False, soft_wrap=True)
        return
    if args.format:
        def write(target: Path) -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table.write(target, format=args.format, overwrite=True)

        try:
            path = save_output(path, write)
        except ValueError as exc:
            raise InputError(f"{path}: cannot write as {args.format} ({exc}); choose a format astropy "
                             "writes (fits, votable, ascii.ecsv, csv, parquet...)") from None
    else:
        path = write_table(table, path)
    ui.info(f"wrote {len(table)} rows to {path}")


def cone_target(service: str, table: str | None, ra_column: str | None = None, dec_column: str | None = None
                ) -> tuple[str, str, str]:
    """The table and position columns of a cone query, from the survey registry where it knows them.

    The survey is the one whose table (or one of its ``tap_aliases``) is ``table``, or, without a
    table, the survey ``service`` names.  Its native position columns are used (as the service
    spells them at the survey's own service): VizieR's ``"II/246/out"`` has ``RAJ2000``/``DEJ2000``,
    ``"II/365/catwise"`` ``RA_ICRS``/``DE_ICRS``.  Columns given explicitly win; a table the registry
    does not know gets ``ra``/``dec``.

    >>> cone_target("2mass", None)
    ('"II/246/out"', 'RAJ2000', 'DEJ2000')
    >>> cone_target("vizier", '"II/365/catwise"')
    ('"II/365/catwise"', 'RA_ICRS', 'DE_ICRS')
    >>> cone_target("http://127.0.0.1:8089/tap", "twomass.psc", dec_column="dej")
    ('twomass.psc', 'RAJ2000', 'dej')
    """
    from xrbvo.core.errors import XrbvoError
    from xrbvo.core.surveys import SURVEYS, get_survey
    from xrbvo.vo.tap import resolve_service

    def norm(name: str) -> str:
        return str(name).strip().strip('"').lower()

    survey = None
    if table is not None:
        survey = next((s for s in SURVEYS.values() if norm(table) in {norm(t) for t in (s.table, *s.tap_aliases)}),
                      None)
    else:
        try:
            survey = get_survey(service)
        except XrbvoError:
            raise InputError(f"--table is required: --service {service} names no survey whose table xrbvo knows "
                             "(survey names: " + ", ".join(sorted(SURVEYS)) + ")") from None
        table = survey.table
    if survey is None:
        return table, ra_column or "ra", dec_column or "dec"
    own = resolve_service(service) == survey.tap_url  # the survey's own service spells columns its way

    def col(native: str) -> str:
        return survey.tap_columns.get(native, native) if own else native

    return table, ra_column or col(survey.ra_column), dec_column or col(survey.dec_column)


def run(args, ui) -> int:
    """Run ``xrbvo query`` with the parsed options.

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
    from xrbvo.io import read_table, standardise_xray
    from xrbvo.vo.tap import TapClient, cone_adql, resolve_service

    options = _check_options(args)
    if args.what == "cone":
        cols = [c.strip() for c in args.columns.split(",")] if args.columns else None
        table, ra_col, dec_col = cone_target(args.service, args.table, args.ra_column, args.dec_column)
        adql = cone_adql(table, cols, ra_col, dec_col, args.ra, args.dec, args.radius)
        if args.show_adql:
            ui.out.print(adql, markup=False, highlight=False, soft_wrap=True)
            return 0
        with TapClient(args.service, **options) as client:
            table = client.query(adql)
        _emit(table, args, ui)
        return 0
    if args.what == "adql":
        if args.show_adql:
            ui.out.print(args.adql, markup=False, highlight=False, soft_wrap=True)
            return 0
        url = resolve_service(args.service)
        with TapClient(url, **options) as client:
            table = client.query(args.adql)
        _emit(table, args, ui)
        return 0
    # neighbours
    from xrbvo.core.surveys import get_survey
    from xrbvo.workflows.providers import TapProvider, neighbours_adql

    surveys = [get_survey(s.strip()).name for s in args.surveys.split(",") if s.strip()]
    if not surveys:
        raise InputError("--surveys names no survey; give e.g. gaia,2mass,catwise")
    if args.show_adql:
        for name in surveys:
            s = get_survey(name)
            ui.out.print(f"-- {s.name} at {args.tap_url or s.tap_url} (upload TAP_UPLOAD.xrbvo_src: ra, dec)",
                         markup=False, highlight=False, soft_wrap=True)
            ui.out.print(neighbours_adql(s.name, args.radius),
                         markup=False, highlight=False, soft_wrap=True)
        return 0
    xray = standardise_xray(read_table(args.xray), source=args.xray)
    provider = TapProvider(args.tap_url, **options)
    with ui.progress():
        nb = provider.neighbourhoods(xray, args.radius, surveys, progress=ui.stage("neighbourhoods"))
    for name, table in nb.items():
        if args.output:
            p = Path(args.output)
            suffix = "".join(p.suffixes) or ".fits"
            stem = p.name[: len(p.name) - len("".join(p.suffixes))] if p.suffixes else p.name
            _emit(table, args, ui, str(p.with_name(f"{stem}_{name}{suffix}")))
        else:
            ui.out.print(f"# {name}: {len(table)} pairs", markup=False, highlight=False, soft_wrap=True)
            _emit(table, args, ui)
    return 0
