"""Neighbourhoods from the simulated sky."""

from __future__ import annotations

import threading
from typing import Sequence

from astropy.table import Table

from ..errors import InputError
from ..surveys import get_survey
from .base import Progress, Provider, cone_join, standardise_catalogue

__all__ = ["SimProvider"]


class SimProvider(Provider):
    """Serve neighbourhoods from a :class:`~xrbvo.sim.SimulatedSky`."""

    name = "sim"

    def __init__(self, sky):
        self.sky = sky
        self._std: dict[str, Table] = {}

    def validate(self, surveys: Sequence[str]) -> None:
        for s in surveys:
            name = get_survey(s).name
            if name not in self.sky.catalogs:
                raise InputError(f"the simulated sky has no {name} catalogue; it simulates "
                                 f"{', '.join(self.sky.catalogs)}")

    def neighbourhoods(self, xray: Table, radius_arcsec: float, surveys: Sequence[str], *,
                       progress: Progress | None = None, cancel: threading.Event | None = None
                       ) -> dict[str, Table]:
        self.validate(surveys)
        out = {}
        for i, s in enumerate(surveys):
            name = get_survey(s).name
            if cancel is not None and cancel.is_set():
                break
            if name not in self._std:
                self._std[name] = standardise_catalogue(self.sky.catalogs[name], name, source=f"simulated {name}")
            out[name] = cone_join(xray, self._std[name], radius_arcsec)
            if progress:
                progress(f"neighbourhoods: {name}", (i + 1) / len(surveys))
        return out
