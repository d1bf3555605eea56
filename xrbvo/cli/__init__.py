"""The ``xrbvo`` command line (an interface: parses options, calls a workflow, prints).

:mod:`xrbvo.cli.entry` holds the parser and :func:`main`; each sub-command is a module of
:mod:`xrbvo.cli.commands`.
"""

from xrbvo.cli.entry import build_parser, main

__all__ = ["main", "build_parser"]
