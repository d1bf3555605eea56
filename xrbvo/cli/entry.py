"""The ``xrbvo`` command line.

Each sub-command lives in its own module under :mod:`xrbvo.cli.commands` and
exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args, ui)``.
This module only parses arguments, owns the one rich ``Progress`` (through
:class:`xrbvo.cli._ui.UI`) and turns :class:`~xrbvo.core.errors.XrbvoError`
into one red line on stderr and exit code 2.  Ctrl-C (SIGINT) and SIGTERM stop a
command the same way, keeping what is finished (exit 130 and 143); any other
exception is a bug: one line names a crash log holding the traceback (exit 1).
Nothing runs at import.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from pathlib import Path
from typing import Iterator, Sequence

from xrbvo import __version__
from xrbvo.core.errors import XrbvoError, XrbvoWarning
from xrbvo.core.text import for_ascii

__all__ = ["main", "build_parser", "COMMANDS", "Terminated", "crash_log_directory"]

#: Modules of :mod:`xrbvo.cli.commands`, one per sub-command, in help order.
COMMANDS: tuple[str, ...] = (
    "demo",
    "run",
    "report",
    "simulate",
    "xlf",
    "census",
    "samp",
    "tui",
    "explore",
    "train",
    "evaluate",
    "classify",
    "query",
)


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Help with each option's default said once: appended as ``(default: X)`` only when the help text does
    not already speak of its default and there is a default worth saying (not None, False or empty)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, [], "", argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


def _command_in(argv: Sequence[str]) -> str:
    """The sub-command named in ``argv`` (the first word that is not an option), or "" when there is none.

    Parameters
    ----------
    argv : Sequence[str]
        Command-line arguments without the program name.

    Returns
    -------
    str
        The first word of ``argv`` that does not start with ``-``, or "".
    """
    for word in argv:
        if not word.startswith("-"):
            return word
    return ""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered.

    Parameters
    ----------
    only : str, optional
        Give only this sub-command its options (the others are listed with their one-line help; "" gives
        none its options): what :func:`main` asks for, so that a command's options, and whatever their
        defaults import, are built only when it is the one run. None: every sub-command with its options.

    Returns
    -------
    argparse.ArgumentParser
        The argument parser with every sub-command registered.
    """
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
        if only is None or only == mod.NAME:
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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C, so every cleanup that Ctrl-C runs runs for it too."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while the block runs; the previous handler comes back after.

    Only the main thread can install signal handlers; elsewhere (a command run
    from a worker thread) SIGTERM keeps its previous meaning.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def crash_log_directory() -> Path:
    """Where crash logs go: ``$XDG_STATE_HOME/xrbvo`` (default ``~/.local/state/xrbvo``), else ``$TMPDIR``.

    Returns
    -------
    Path
        The directory for crash logs.
    """
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "xrbvo"


def _write_crash_log(exc: BaseException, argv: Sequence[str]) -> Path | None:
    """Write the traceback of an unexpected exception to a new log file; its path, or None when none could be."""
    text = (f"xrbvo {__version__} crashed at {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n"
            f"command line: xrbvo {' '.join(argv)}\npython {sys.version.split()[0]} on {sys.platform}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for directory in (crash_log_directory(), Path(tempfile.gettempdir())):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f"xrbvo-crash-{stamp}-", suffix=".log", dir=directory)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            return Path(name)
        except OSError:
            continue
    return None


def _say(ui, message: str) -> None:
    """The one error line, which nothing in ``message`` can stop: ``ui.error``, else plain text on stderr.

    ``ui.error`` shows the message as it is (no markup, control characters
    escaped); should the terminal itself fail (a closed stderr, an encoding it
    cannot take), the line goes to ``sys.stderr`` as escaped ASCII, and failing
    that, nowhere: the exit code still says what happened.
    """
    try:
        ui.error(message)
        return
    except Exception:  # noqa: BLE001 - the error path must not raise in its turn
        pass
    with contextlib.suppress(Exception):
        sys.stderr.write("error: " + for_ascii(message) + "\n")
        sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code.

    Parameters
    ----------
    argv : Sequence[str], optional
        Command-line arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: 0 on success, 2 for bad input, 130 and 143 when interrupted or terminated, 1
        for a crash.
    """
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=_command_in(words))
    args = parser.parse_args(words)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from xrbvo.cli._ui import UI  # rich: imported once a command runs, not to print help

    ui = UI(quiet=args.quiet)
    from xrbvo.io import rescue_outputs
    from xrbvo.workflows.options import keep_freed_memory

    keep_freed_memory()  # the association engine reuses freed chunk buffers (xrbvo/stages/match/memory.py)
    try:
        # an interactive session asks for another path itself; every other command keeps its
        # results in a rescue directory when their own place cannot take them (full disk)
        keep = contextlib.nullcontext() if args.command == "tui" else rescue_outputs()
        with _sigterm_as_interrupt(), warnings.catch_warnings(), keep:
            _warnings_to(ui)
            rc = args._module.run(args, ui)
    except XrbvoError as exc:
        _say(ui, str(exc))
        return 2
    except Terminated:
        _say(ui, "terminated (SIGTERM); results written so far are kept")
        return 143
    except KeyboardInterrupt:
        _say(ui, "interrupted; results written so far are kept")
        return 130
    except Exception as exc:  # a bug: the user gets one line, the traceback goes to a file
        log = _write_crash_log(exc, sys.argv[1:] if argv is None else list(argv))
        what = " ".join(str(exc).split())[:200] or "no message"
        where = (f"the traceback is in {log}; please report it with that file" if log is not None else
                 "no crash log could be written (neither the state directory nor $TMPDIR takes one)")
        _say(ui, f"internal error ({type(exc).__name__}: {what}), a bug in xrbvo; {where}")
        return 1
    return int(rc or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
