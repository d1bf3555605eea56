"""Neighbourhoods from the simulated sky."""

from __future__ import annotations

from typing import Sequence

from astropy.table import Table

from xrbvo.core.errors import InputError
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
