"""The ``xrbvo`` command line (an interface: parses options, calls a workflow, prints)."""

from xrbvo.cli.main import COMMANDS, build_parser, main

__all__ = ["main", "build_parser", "COMMANDS"]
