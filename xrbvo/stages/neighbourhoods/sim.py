"""Neighbourhoods from the simulated sky."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.core.geometry import unit_vectors
from xrbvo.core.surveys import get_survey
from xrbvo.stages.neighbourhoods.base import CatalogueProvider, Provider, standardise_catalogue

__all__ = ["SimProvider"]


class SimProvider(CatalogueProvider, Provider):
    """Serve neighbourhoods from a :class:`~xrbvo.sim.SimulatedSky`.

    Parameters
    ----------
    sky : xrbvo.sim.SimulatedSky
        The simulated field whose catalogues are served.
    """

    name = "sim"

    def __init__(self, sky):
        self.sky = sky

    def validate(self, surveys: Sequence[str]) -> None:
        for s in surveys:
            name = get_survey(s).name
            if name not in self.sky.catalogs:
                raise InputError(f"the simulated sky has no {name} catalogue; it simulates "
                                 f"{', '.join(self.sky.catalogs)}")

    def _catalogue(self, name: str) -> Table:
        return standardise_catalogue(self.sky.catalogs[name], name, source=f"simulated {name}")

    # the simulated sky holds field sources only in patches of ``patch_radius_arcsec`` around its X-ray
    # sources (xrbvo.sim.sky): the p_any calibration moves positions inside them
    def shift_range_arcsec(self, radius_arcsec: float) -> tuple[float | None, float]:
        """Within the patches: each source just beyond its counterpart's reach, its circle inside its patch."""
        return None, float(self.sky.config.patch_radius_arcsec) - float(radius_arcsec)

    def covers(self, ra_deg, dec_deg, surveys: Sequence[str], radius_arcsec: float = 90.0) -> np.ndarray:
        """Per position: inside a patch of the simulated sky, far enough from its edge for a 20" circle."""
        from scipy.spatial import cKDTree

        from xrbvo.io import standardise_xray

        xr = self.__dict__.get("_xr")
        if xr is None:
            xr = self.__dict__["_xr"] = standardise_xray(self.sky.xray)
        pts = unit_vectors(np.asarray(ra_deg, float), np.asarray(dec_deg, float))
        if not len(pts) or not len(xr):
            return np.zeros(len(pts), bool)
        tree = cKDTree(unit_vectors(np.asarray(xr["ra"], float), np.asarray(xr["dec"], float)))
        inner = max(float(self.sky.config.patch_radius_arcsec) - 20.0, 0.0)
        d, _ = tree.query(pts, k=1, distance_upper_bound=2 * np.sin(np.radians(inner / 3600.0) / 2))
        return np.isfinite(d)
