"""The ``xrbvo`` command line.

Each sub-command lives in its own module under :mod:`xrbvo.cli.commands` and
exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args, ui)``.
This module only parses arguments, owns the one rich ``Progress`` (through
:class:`xrbvo.cli._ui.UI`) and turns :class:`~xrbvo.core.errors.XrbvoError`
into one red line on stderr and exit code 2.  Nothing runs at import.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import warnings
from typing import Sequence

from xrbvo import __version__
from xrbvo.core.errors import XrbvoError, XrbvoWarning

__all__ = ["main", "build_parser", "COMMANDS"]

#: Modules of :mod:`xrbvo.cli.commands`, one per sub-command, in help order.
COMMANDS: tuple[str, ...] = (
    "demo",
    "run",
    "simulate",
    "xlf",
    "samp",
    "tui",
    "train",
    "evaluate",
    "classify",
    "query",
)


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="xrbvo",
        description="Find new Galactic X-ray binaries among X-ray survey sources with Virtual Observatory data.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"xrbvo {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars, only results and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        mod = importlib.import_module(f"xrbvo.cli.commands.{name}")
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
                           formatter_class=_Formatter)
        mod.add_arguments(p)
        p.set_defaults(_module=mod)
    return parser


def _warnings_to(ui) -> None:
    """Show xrbvo's own warnings as one ``warning:`` line each (others as Python shows them)."""
    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, XrbvoWarning):
            ui.warn(str(message))
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    warnings.simplefilter("default", XrbvoWarning)  # the command line shows them, whatever -W says


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    from xrbvo.cli._ui import UI

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    ui = UI(quiet=args.quiet)
    from xrbvo.io import rescue_outputs
    from xrbvo.stages.match.memory import keep_freed_memory

    keep_freed_memory()  # the association engine reuses freed chunk buffers (xrbvo/stages/match/memory.py)
    try:
        # an interactive session asks for another path itself; every other command keeps its
        # results in a rescue directory when their own place cannot take them (full disk)
        keep = contextlib.nullcontext() if args.command == "tui" else rescue_outputs()
        with warnings.catch_warnings(), keep:
            _warnings_to(ui)
            rc = args._module.run(args, ui)
    except XrbvoError as exc:
        ui.error(str(exc))
        return 2
    except KeyboardInterrupt:
        ui.error("interrupted; results written so far are kept")
        return 130
    return int(rc or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
