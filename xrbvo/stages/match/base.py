"""The association plug-in contract: validate once, then perform.

An :class:`Associator` takes :class:`AssociationInput` (X-ray sources and one
neighbourhood table per survey) and returns an :class:`AssociationResult`: a
per-combination table and a per-source table whose columns are checked here,
so that the Bayesian engine, a nearest-neighbour baseline and future adapters
share one contract.
"""

from __future__ import annotations

import abc
import threading
from dataclasses import dataclass
from typing import Callable, Mapping

from astropy.table import Table

from xrbvo.core.errors import InputError, MissingColumnError

__all__ = ["AssociationInput", "AssociationResult", "Associator", "COMBINATION_COLUMNS", "SOURCE_COLUMNS"]

#: Columns every associator's per-combination table carries.
COMBINATION_COLUMNS = ("xid", "p_single", "p_i", "match_flag")
#: Columns every associator's per-source table carries.
SOURCE_COLUMNS = ("xid", "p_any", "p_i", "match_flag", "n_candidates")


@dataclass(frozen=True)
class AssociationInput:
    """What an associator works on.

    Parameters
    ----------
    xray : astropy.table.Table
        X-ray sources in the :data:`xrbvo.core.schema.XRAY` schema.
    neighbourhoods : Mapping[str, Table]
        Survey name -> neighbourhood table (:data:`xrbvo.core.schema.NEIGHBOUR`).
    radius_arcsec : float
        Search radius the neighbourhoods were pulled with (candidates beyond it are ignored).
    """

    xray: Table
    """X-ray sources in the :data:`xrbvo.core.schema.XRAY` schema."""
    neighbourhoods: Mapping[str, Table]
    """Survey name -> neighbourhood table (:data:`xrbvo.core.schema.NEIGHBOUR`)."""
    radius_arcsec: float
    """Search radius the neighbourhoods were pulled with (candidates beyond it are ignored)."""


@dataclass(frozen=True)
class AssociationResult:
    """What an associator returns.

    Parameters
    ----------
    combinations : astropy.table.Table
        One row per (X-ray source, candidate combination); ``nid_<survey>`` is empty for 'none'.
    sources : astropy.table.Table
        One row per X-ray source with p_any and the best combination's ids (``nid_<survey>``).
    surveys : tuple[str, ...]
        Surveys in the order their ``nid_`` columns appear.
    """

    combinations: Table
    """One row per (X-ray source, candidate combination); ``nid_<survey>`` is empty for 'none'."""
    sources: Table
    """One row per X-ray source with p_any and the best combination's ids (``nid_<survey>``)."""
    surveys: tuple[str, ...]
    """Surveys in the order their ``nid_`` columns appear."""


class Associator(abc.ABC):
    """Base class of association engines."""

    def validate(self, inputs: AssociationInput) -> None:
        """Check the inputs before any heavy work (runs once)."""
        for c in ("xid", "ra", "dec", "pos_err"):
            if c not in inputs.xray.colnames:
                raise MissingColumnError(f"X-ray table lacks column {c!r}; standardise it with xrbvo.io.standardise_xray")
        if not inputs.radius_arcsec > 0:
            raise InputError("search radius must be positive")
        for name, t in inputs.neighbourhoods.items():
            for c in ("xid", "nid", "ra", "dec", "pos_err", "sep"):
                if c not in t.colnames:
                    raise MissingColumnError(f"neighbourhood table of {name} lacks column {c!r}")

    @abc.abstractmethod
    def perform(self, inputs: AssociationInput, *, progress: Callable[[str, float], None] | None = None,
                cancel: threading.Event | None = None) -> AssociationResult:
        """Compute the association."""

    def __call__(self, inputs: AssociationInput, **kwargs) -> AssociationResult:
        self.validate(inputs)
        result = self.perform(inputs, **kwargs)
        for c in COMBINATION_COLUMNS:
            if c not in result.combinations.colnames:
                raise RuntimeError(f"{type(self).__name__} returned no {c!r} combination column")
        for c in SOURCE_COLUMNS:
            if c not in result.sources.colnames:
                raise RuntimeError(f"{type(self).__name__} returned no {c!r} source column")
        if len(result.sources) != len(inputs.xray):
            raise RuntimeError(f"{type(self).__name__} returned {len(result.sources)} sources for {len(inputs.xray)}")
        return result
