"""Neighbourhoods from catalogue files the user has (FITS, VOTable, ECSV, CSV, Parquet)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.io import read_table
from xrbvo.core.surveys import get_survey
from xrbvo.stages.neighbourhoods.base import CatalogueProvider, Provider, standardise_catalogue

__all__ = ["LocalProvider"]


class LocalProvider(CatalogueProvider, Provider):
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

    def validate(self, surveys: Sequence[str]) -> None:
        for s in surveys:
            name = get_survey(s).name
            if name not in self.files:
                raise InputError(f"no local file given for survey {name}; pass --catalog {name}=PATH")
            if not self.files[name].exists():
                raise InputError(f"{self.files[name]}: no such file (catalogue for {name})")

    def _catalogue(self, name: str) -> Table:
        path = self.files[name]
        return standardise_catalogue(read_table(path), name, source=str(path))
