"""``xrbvo tui``: explore a catalogue in the terminal (Textual)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["NAME", "HELP", "DESCRIPTION", "add_arguments", "run", "launch"]

NAME = "tui"
HELP = "explore a catalogue in the terminal: sort, filter, inspect counterparts, mark, send to TOPCAT/Aladin"
DESCRIPTION = """Open a catalogue written by `xrbvo run` or `xrbvo demo` in a terminal UI: a table of every
source (sorted by P_HMXB, any column on request), a filter line (e.g. `P_HMXB > 0.5 and abs(b) < 2`),
a detail pane with the X-ray properties, candidate counterparts, class probabilities, explanations,
known objects (--known) and a sky plot, marks and notes kept in a side file next to the catalogue,
export of marked or shown rows, and SAMP links to TOPCAT and Aladin. Press ? inside for the keys."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Register the options of ``xrbvo tui``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The ``xrbvo tui`` sub-parser.
    """
    p.add_argument("catalogue", type=Path, help="catalogue file (FITS, VOTable, ECSV, CSV, Parquet)")
    p.add_argument("--known", type=Path, default=None,
                   help="catalogue of known objects (RA/Dec in degrees or sexagesimal, name, class), e.g. HMXB/LMXB/CV catalogues")
    p.add_argument("--known-radius", type=float, default=None,
                   help="match radius for known objects in arcsec (default: 99%% X-ray error circle, >= 5)")
    p.add_argument("--counterparts", type=Path, default=None,
                   help="counterparts table (default: NAME_counterparts.* next to the catalogue)")
    p.add_argument("--neighbours", type=Path, default=None,
                   help="neighbourhood table (default: NAME_neighbours.* next to the catalogue)")
    p.add_argument("--sort", default=None, help="initial sort column (default: P_HMXB); -NAME for ascending")
    p.add_argument("--filter", dest="filter_text", default=None, help="initial filter expression")
    p.add_argument("--columns", default=None, help="comma-separated columns of the source table")
    p.add_argument("--no-samp", action="store_true", help="do not look for a SAMP hub")


def launch(catalogue: Path, *, known=None, known_radius=None, counterparts=None, neighbours=None, sort=None,
           filter_text=None, columns=None, samp=True) -> int:
    """Load the catalogue and run the UI until the user quits; returns the exit code.

    Parameters
    ----------
    catalogue : Path
        A catalogue written by ``xrbvo run`` or ``xrbvo demo``.
    known : sequence of astropy.table.Table, optional
        Known-objects tables to match (``--known``).
    known_radius : float, optional
        Match radius (arcsec) against the known objects; None: the default.
    counterparts : Path, optional
        The counterparts file; default the one next to the catalogue.
    neighbours : Path, optional
        The neighbours file; default the one next to the catalogue.
    sort : str, optional
        Column to sort by.
    filter_text : str, optional
        Initial filter expression (:mod:`xrbvo.tui.filterlang`).
    columns : sequence of str, optional
        Columns shown in the table; default the UI's choice.
    samp : bool, optional
        Connect to a SAMP hub in the background (``--no-samp`` turns it off).

    Returns
    -------
    int
        The exit code (0 when the user quits).
    """
    from xrbvo.tui import create_app

    ascending = bool(sort and sort.startswith("-"))
    app = create_app(catalogue, known=known, counterparts=counterparts, neighbours=neighbours,
                     known_radius_arcsec=known_radius, samp=samp,
                     columns=[c.strip() for c in columns.split(",") if c.strip()] if columns else None,
                     sort=sort.lstrip("-") if sort else None, ascending=ascending, filter_text=filter_text)
    app.run()
    return int(app.return_code or 0)


def run(args, ui) -> int:
    """Run ``xrbvo tui`` with the parsed options (:func:`launch`).

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
    return launch(args.catalogue, known=args.known, known_radius=args.known_radius, counterparts=args.counterparts,
                  neighbours=args.neighbours, sort=args.sort, filter_text=args.filter_text, columns=args.columns,
                  samp=not args.no_samp)
