"""Defaults of run-wide options, in a module that imports nothing (the command line shows them in its help).

The workflows that use them (:mod:`xrbvo.workflows.tiles`, :mod:`xrbvo.workflows.report`) re-export
them under the same names; they live here so that ``xrbvo run --help`` needs no numpy, astropy or
model library (``benchmarks/cli_startup.py``).
"""

from __future__ import annotations

__all__ = ["DEFAULT_TILE_DEG", "DEFAULT_MAX_PNGS", "CENSUS_REGION", "CENSUS_FLUX_LIMIT", "EXPOSURE_MODELS", "IMAGES_DEADLINE_S",
           "DEFAULT_MIN_PURITY"]

#: Tile size of ``xrbvo run`` unless ``--tile-deg`` says otherwise (0: no tiles).
DEFAULT_TILE_DEG = 5.0
#: Candidate pictures the report draws at most (the most probable first; the index lists every candidate).
DEFAULT_MAX_PNGS = 200
#: The region ``xrbvo census`` covers unless told: eROSITA-DE's half of the sky (Galactic longitude 180-360 deg).
CENSUS_REGION = "gal:180,360,-90,90"
#: eRASS1's 0.2-2.3 keV flux limit (erg/s/cm2) at 50% completeness at the median exposure (Merloni et al. 2024).
CENSUS_FLUX_LIMIT = 5e-14
#: Sensitivity models of the census: eRASS1's ecliptic-latitude exposure, or one flux limit everywhere.
EXPOSURE_MODELS = ("erass1", "flat")
#: Seconds all of a report's sky-image cutouts may take (``--images-deadline``; :mod:`xrbvo.vo.hips`).
IMAGES_DEADLINE_S = 60.0
#: A blind survey's candidates need at least this posterior for their class at their own priors (``--min-purity``;
#: ``off`` keeps the cuts at the selection priors).  Measured on simulated plane fields at natural density and on
#: the real H.E.S.S. field (docs/population.md, benchmarks/blind_plane.py).
DEFAULT_MIN_PURITY = 0.5
