"""Defaults of run-wide options, in a module that imports nothing (the command line shows them in its help).

The workflows that use them (:mod:`xrbvo.workflows.tiles`, :mod:`xrbvo.workflows.report`) re-export
them under the same names; they live here so that ``xrbvo run --help`` needs no numpy, astropy or
model library (``benchmarks/cli_startup.py``).
"""

from __future__ import annotations

__all__ = ["DEFAULT_TILE_DEG", "DEFAULT_MAX_PNGS"]

#: Tile size of ``xrbvo run`` unless ``--tile-deg`` says otherwise (0: no tiles).
DEFAULT_TILE_DEG = 5.0
#: Candidate pictures the report draws at most (the most probable first; the index lists every candidate).
DEFAULT_MAX_PNGS = 200
