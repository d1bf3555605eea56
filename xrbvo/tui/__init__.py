"""The terminal UI for exploring candidates (``xrbvo tui``).

The domain modules (:mod:`~xrbvo.tui.filterlang`, :mod:`~xrbvo.tui.data`,
:mod:`~xrbvo.tui.marks`, :mod:`~xrbvo.tui.render`,
:mod:`~xrbvo.tui.samp_bridge`) import without :mod:`textual`; only
:mod:`xrbvo.tui.app` needs it, and :func:`create_app` imports it on first use.
"""

from __future__ import annotations

from xrbvo.tui.data import CatalogueData, TableView, companion_paths, load_catalogue, write_neighbours
from xrbvo.tui.filterlang import FilterError, compile_filter
from xrbvo.tui.marks import MarkStore

__all__ = ["create_app", "CatalogueData", "TableView", "companion_paths", "load_catalogue", "write_neighbours",
           "FilterError", "compile_filter", "MarkStore"]


def create_app(*args, **kwargs):
    """Build the Textual app; see :func:`xrbvo.tui.app.create_app` (imports textual).

    Parameters
    ----------
    *args
        Passed to :func:`xrbvo.tui.app.create_app`.
    **kwargs
        Passed to :func:`xrbvo.tui.app.create_app`.

    Returns
    -------
    xrbvo.tui.app.XrbvoApp
        The app, ready to run.
    """
    from xrbvo.tui.app import create_app as _create

    return _create(*args, **kwargs)
