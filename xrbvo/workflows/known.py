"""Known or new, for the interfaces: the pieces of :mod:`xrbvo.stages.known` the CLI and the terminal UI use.

A run matches its catalogue to catalogues of known objects inside the workflow
(:func:`xrbvo.workflows.analyse`, ``--known``); the interfaces show the result.
They reach the stage only through this module (the import-linter contract
"interfaces call workflows only" in pyproject.toml):

* :func:`match_radius_arcsec`: the radius a run matches within (the UI's detail pane uses the same);
* :func:`stack_known`: several known-objects tables as one (``xrbvo explore --known``);
* :data:`MAX_KNOWN_ERR_ARCSEC`: known objects localised worse than this are not matched;
* :class:`KnownSummary`: known and new candidates per class, as a run reports them.
"""

from __future__ import annotations

from xrbvo.stages.known import MAX_KNOWN_ERR_ARCSEC, KnownSummary, match_radius_arcsec, stack_known

__all__ = ["MAX_KNOWN_ERR_ARCSEC", "KnownSummary", "match_radius_arcsec", "stack_known"]
