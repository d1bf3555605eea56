"""Neighbourhoods from catalogue files the user has (FITS, VOTable, ECSV, CSV, Parquet)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Mapping, Sequence

from astropy.table import Table

from ..errors import InputError
from ..io import read_table
from ..surveys import get_survey
from .base import Progress, Provider, cone_join, standardise_catalogue

__all__ = ["LocalProvider"]


class LocalProvider(Provider):
    """Serve neighbourhoods from local catalogue files, one per survey.

    Parameters
    ----------
    files : mapping
        Survey name -> path of a table with that survey's native (or standard)
        column names.
    """

    name = "local"

    def __init__(self, files: Mapping[str, str | Path]):
        self.files = {get_survey(k).name: Path(v) for k, v in files.items()}
        self._std: dict[str, Table] = {}

    def validate(self, surveys: Sequence[str]) -> None:
        for s in surveys:
            name = get_survey(s).name
            if name not in self.files:
                raise InputError(f"no local file given for survey {name}; pass --catalog {name}=PATH")
            if not self.files[name].exists():
                raise InputError(f"{self.files[name]}: no such file (catalogue for {name})")

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
                path = self.files[name]
                self._std[name] = standardise_catalogue(read_table(path), name, source=str(path))
            out[name] = cone_join(xray, self._std[name], radius_arcsec)
            if progress:
                progress(f"neighbourhoods: {name}", (i + 1) / len(surveys))
        return out
