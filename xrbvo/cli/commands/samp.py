"""``xrbvo samp``: talk to TOPCAT, Aladin and other SAMP applications.

Sub-commands: ``status`` (the hub and its clients), ``send FILE`` (a table),
``point RA DEC`` (a position) and ``hub`` (run a hub until Ctrl-C).
"""

from __future__ import annotations

import argparse
import signal
import threading

from xrbvo.core.errors import InputError

__all__ = ["NAME", "HELP", "DESCRIPTION", "add_arguments", "run", "parse_position"]

NAME = "samp"
HELP = "send tables and positions to TOPCAT and Aladin over SAMP"
DESCRIPTION = """\
Talk to desktop applications (TOPCAT, Aladin, ...) through a SAMP hub.

The hub is found through SAMP_HUB or ~/.samp, as TOPCAT and Aladin do; TOPCAT
and Aladin start one themselves, or run 'xrbvo samp hub'.  A hub whose address
is not on this machine's loopback is refused unless --allow-remote-hub is given.

  xrbvo samp status                       the hub and its clients
  xrbvo samp send candidates.fits         load a table in every application
  xrbvo samp send cands.vot --to topcat   ... in TOPCAT only
  xrbvo samp point 263.35 -24.72          point the applications at a position
  xrbvo samp hub                          run a hub until Ctrl-C
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lockfile", metavar="PATH", default=None,
                   help="hub lockfile (default: SAMP_HUB, else ~/.samp)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help="seconds each application gets to answer")
    p.add_argument("--allow-remote-hub", action="store_true",
                   help="use a hub whose lockfile names an address off this machine's loopback (refused by "
                        "default: whoever wrote the lockfile could receive the tables)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the status/send/point/hub sub-commands.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``xrbvo samp`` sub-parser to add the sub-commands to.
    """
    sub = parser.add_subparsers(dest="samp_command", metavar="SUBCOMMAND",
                                help="status, send, point or hub (each has --help)")
    sub.required = True
    fmt = parser.formatter_class

    p = sub.add_parser("status", help="show the hub and the applications registered with it",
                       formatter_class=fmt)
    _common(p)

    p = sub.add_parser("send", help="load a table (FITS, VOTable, ECSV, CSV, Parquet) in SAMP applications",
                       formatter_class=fmt)
    p.add_argument("file", metavar="FILE", help="table file to send")
    p.add_argument("--to", default="all", metavar="APP",
                   help="topcat, aladin, all, or any client name or id shown by 'xrbvo samp status'")
    p.add_argument("--name", default=None, help="table name shown in the applications (default: file stem)")
    _common(p)

    p = sub.add_parser("point", help="point SAMP applications at a sky position (ICRS)", formatter_class=fmt)
    p.add_argument("ra", metavar="RA", help="right ascension: degrees, or sexagesimal hours (17:33:24.5)")
    p.add_argument("dec", metavar="DEC", help="declination: degrees, or sexagesimal degrees (-24:43:12)")
    p.add_argument("--to", default="all", metavar="APP", help="topcat, aladin, all, or a client name or id")
    _common(p)

    p = sub.add_parser("hub", help="run a SAMP hub until interrupted (Ctrl-C)", formatter_class=fmt)
    p.add_argument("--lockfile", metavar="PATH", default=None,
                   help="lockfile to write (default: SAMP_HUB, else ~/.samp, where TOPCAT and Aladin look)")
    p.add_argument("--web-profile", action="store_true",
                   help="also serve the SAMP Web Profile for browser clients (asks for consent on the terminal)")


def parse_position(ra: str, dec: str) -> tuple[float, float]:
    """RA and Dec in degrees from decimal degrees or sexagesimal (RA in hours), by the one position parser
    (:func:`xrbvo.core.positions.parse_angle`).

    Parameters
    ----------
    ra : str
        Right ascension: decimal degrees or sexagesimal hours (``17:45:40.0``).
    dec : str
        Declination: decimal or sexagesimal degrees (``-29:00:28``).

    Returns
    -------
    tuple[float, float]
        RA and Dec (ICRS), degrees.

    Raises
    ------
    InputError
        If either value cannot be read, is missing or is out of range.
    """
    import math

    from xrbvo.core.positions import parse_angle

    try:
        ra_deg, dec_deg = parse_angle(ra, "ra"), parse_angle(dec, "dec")
    except InputError as exc:
        raise InputError(f"cannot read the position {ra!r} {dec!r}: {exc}") from None
    if math.isnan(ra_deg) or math.isnan(dec_deg):
        raise InputError(f"cannot read the position {ra!r} {dec!r}: give RA and Dec (263.35 -24.72 or "
                         "17:33:24 -24:43:12)")
    return ra_deg, dec_deg


def _who(replies) -> str:
    parts = []
    for r in replies:
        note = f" ({r.message})" if r.message else ""
        parts.append(f"{r.client.label}{note}")
    return ", ".join(parts)


def run(args: argparse.Namespace, ui) -> int:
    """Run ``xrbvo samp SUBCOMMAND``; SAMP failures raise :class:`~xrbvo.vo.samp.SampError`.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    ui : xrbvo.cli._ui.UI
        The console that prints the results.

    Returns
    -------
    int
        The exit code (0 on success).
    """
    from xrbvo.vo import samp

    if args.samp_command == "hub":
        return _run_hub(args, ui)
    if args.timeout <= 0:
        raise InputError(f"--timeout must be positive, got {args.timeout}")
    if args.samp_command == "send":
        from xrbvo.io import read_table

        table = read_table(args.file)  # unreadable input fails before touching the hub
    with samp.SampClient(lockfile=args.lockfile, timeout_s=args.timeout,
                         allow_remote_hub=args.allow_remote_hub) as client:
        if args.samp_command == "status":
            _status(client, ui)
        elif args.samp_command == "send":
            from pathlib import Path

            sent = client.send_table(table, name=args.name or Path(args.file).stem, to=args.to)
            ui.out.print(f"sent {sent.name} ({sent.n_rows} rows, table-id {sent.table_id}) to {_who(sent.replies)}",
                         highlight=False, soft_wrap=True)
        elif args.samp_command == "point":
            ra, dec = parse_position(args.ra, args.dec)
            replies = client.point_at(ra, dec, to=args.to)
            ui.out.print(f"pointed {_who(replies)} at RA {ra:.6f} Dec {dec:+.6f} deg", highlight=False,
                         soft_wrap=True)
    return 0


def _status(client, ui) -> None:
    from rich.table import Table as RichTable

    hub = client.hub
    ui.out.print(f"SAMP hub {hub.label or ''} at {hub.url} (lockfile {hub.lockfile})", highlight=False,
                 soft_wrap=True)
    clients = client.clients()
    if not clients:
        ui.out.print("no other application is registered", highlight=False)
        return
    t = RichTable(show_edge=False, header_style="bold")
    for col in ("id", "name", "tables", "positions", "Aladin scripts", "description"):
        t.add_column(col)
    from xrbvo.vo.samp import MTYPE_ALADIN_SCRIPT, MTYPE_LOAD_VOTABLE, MTYPE_POINT_AT_SKY

    for c in clients:
        yes = lambda m: "yes" if c.accepts(m) else "-"  # noqa: E731
        t.add_row(c.id, c.name, yes(MTYPE_LOAD_VOTABLE), yes(MTYPE_POINT_AT_SKY), yes(MTYPE_ALADIN_SCRIPT),
                  c.description[:60])
    ui.out.print(t)


def _run_hub(args, ui) -> int:
    from xrbvo.vo import samp

    stop = threading.Event()

    def on_start(info) -> None:
        ui.out.print(f"SAMP hub running at {info.url} (lockfile {info.lockfile}); Ctrl-C stops it",
                     highlight=False, soft_wrap=True)

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        samp.run_hub(lockfile=args.lockfile, web_profile=args.web_profile, stop=stop, on_start=on_start)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    ui.info("SAMP hub stopped")
    return 0
