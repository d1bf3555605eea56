"""The provider contract: X-ray sources and a radius in, one neighbourhood table per survey out.

Every provider (``sim``, ``local``, and later ``tap`` and ``lsdb``) returns the
same schema: :data:`xrbvo.core.schema.NEIGHBOUR` columns followed by the standard
photometric columns the survey has (:data:`xrbvo.core.schema.PHOTOMETRY`).
"""

from __future__ import annotations

import abc
import threading
from typing import Callable, Sequence

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError, MissingColumnError
from xrbvo.io import as_float
from xrbvo.core.schema import NEIGHBOUR, PHOTOMETRY, apply_schema
from xrbvo.core.geometry import unit_vectors
from xrbvo.core.surveys import Survey, get_survey

__all__ = ["Provider", "CatalogueProvider", "standardise_catalogue", "cone_join", "cone_pairs", "neighbourhood_table",
           "unit_vectors", "Progress"]

Progress = Callable[[str, float], None]


def standardise_catalogue(table: Table, survey: str | Survey, *, source: str = "catalogue") -> Table:
    """Rename a survey catalogue's native columns to xrbvo's standard names.

    Native names come from the registry; columns already under standard names
    are kept.  The positional error becomes ``pos_err`` (1-sigma, arcsec) by the
    survey's error model; Gaia's variability proxy ``var_G`` is derived as
    ``sqrt(phot_g_n_obs) / phot_g_mean_flux_over_error``.
    """
    s = survey if isinstance(survey, Survey) else get_survey(survey)
    cols = set(table.colnames)

    def pick(*names):
        for n in names:
            if n in cols:
                return n
        return None

    ra_c = pick(s.ra_column, "ra", "RA_ICRS", "RAJ2000", "RA")
    dec_c = pick(s.dec_column, "dec", "DE_ICRS", "DEJ2000", "DEC")
    if ra_c is None or dec_c is None:
        raise MissingColumnError(f"{source}: no position columns for survey {s.name} "
                                 f"(expected {s.ra_column}/{s.dec_column} or ra/dec)")
    id_c = pick(s.id_column, "nid", "source_id", "id")
    n = len(table)
    out = Table()
    out["nid"] = np.array([str(v) for v in table[id_c]]) if id_c else np.array([f"{s.name}-{i}" for i in range(n)])
    out["ra"] = as_float(table[ra_c])
    out["dec"] = as_float(table[dec_c])
    err_c = pick("pos_err", s.error.column or "")
    if err_c == "pos_err":
        out["pos_err"] = np.where(np.isfinite(as_float(table["pos_err"])), as_float(table["pos_err"]),
                                  s.error.default_arcsec)
    else:
        e1 = as_float(table[err_c]) if err_c else None
        e2 = as_float(table[s.error.column2]) if s.error.column2 and s.error.column2 in cols else None
        out["pos_err"] = np.broadcast_to(s.error.apply(e1, e2), (n,)).copy()
    for std, native in s.columns.items():
        c = pick(std, native)
        if c is not None and std not in ("g_flux_snr", "g_n_obs"):
            out[std] = as_float(table[c])
    snr_c = pick("phot_g_mean_flux_over_error")
    nobs_c = pick("phot_g_n_obs")
    if "var_G" in cols:
        out["var_G"] = as_float(table["var_G"])
    elif snr_c and nobs_c:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["var_G"] = np.sqrt(as_float(table[nobs_c])) / as_float(table[snr_c])
    if "rgeo" not in out.colnames and "rgeo" in cols:
        out["rgeo"] = as_float(table["rgeo"])
    good = np.isfinite(out["ra"]) & np.isfinite(out["dec"])
    out = out[good]
    out.meta["survey"] = s.name
    return apply_schema(out, NEIGHBOUR, PHOTOMETRY)


def cone_pairs(ra_x, dec_x, ra_c, dec_c, radius_arcsec: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (source, catalogue row) index pairs closer than ``radius_arcsec``, with their separations.

    Pairs are found with numpy alone: the catalogue is sorted into declination
    zones one radius high, each source searches the right ascension window of
    its cone in the (at most three) zones it touches, and the chord distance
    decides.  The pairs are ordered by source, then separation, then catalogue
    row.

    Parameters
    ----------
    ra_x, dec_x : array_like
        Source positions, degrees.
    ra_c, dec_c : array_like
        Catalogue positions, degrees.
    radius_arcsec : float
        The search radius.

    Returns
    -------
    ix, ic : numpy.ndarray
        Source and catalogue indices of each pair (int64).
    sep_arcsec : numpy.ndarray
        Separation of each pair, arcsec.
    """
    if not radius_arcsec > 0:
        raise InputError("search radius must be positive (arcsec)")
    ra_x, dec_x = np.asarray(ra_x, float), np.asarray(dec_x, float)
    ra_c, dec_c = np.asarray(ra_c, float), np.asarray(dec_c, float)
    vx = unit_vectors(ra_x, dec_x)
    r_deg = radius_arcsec / 3600.0
    chord = 2.0 * np.sin(np.radians(r_deg) / 2.0)
    ix = np.zeros(0, np.int64)
    ic = np.zeros(0, np.int64)
    vc = np.zeros((0, 3))
    if len(ra_c) and len(ra_x):
        # catalogue sorted by (zone, ra) with key zone * 720 + ra: the gap of 360 between zones keeps
        # rounding from moving a source into another zone; windows are padded, the chord test is exact
        h = r_deg
        pad = 1e-7 * r_deg + 1e-9
        n_zones = int(np.floor(180.0 / h)) + 1
        key = np.clip(np.floor((dec_c + 90.0) / h), 0, n_zones - 1) * 720.0 + np.mod(ra_c, 360.0)
        order = np.argsort(key, kind="stable")
        key = key[order]
        a_x = np.mod(ra_x, 360.0)
        cosd = np.cos(np.radians(np.minimum(np.abs(dec_x) + r_deg, 90.0)))
        with np.errstate(divide="ignore", invalid="ignore"):
            half = np.degrees(np.arcsin(np.minimum(np.sin(np.radians(r_deg)) / cosd, 1.0))) * (1 + 1e-7) + pad
        full = (np.abs(dec_x) + r_deg + pad >= 90.0) | ~(half < 180.0 - 2 * pad)
        lo_a, hi_a = a_x - half, a_x + half
        # at most two disjoint right-ascension intervals per source: the window, and its wrap past 0 or 360
        iv = [(np.where(full, -pad, np.maximum(lo_a, -pad)),
               np.where(full, 360.0 + pad, np.minimum(hi_a, 360.0 + pad)), np.ones(len(a_x), bool)),
              (np.where(lo_a < 0, lo_a + 360.0, -pad), np.where(lo_a < 0, 360.0 + pad, hi_a - 360.0),
               ~full & ((lo_a < 0) | (hi_a > 360.0)))]
        z_lo = np.clip(np.floor((dec_x - r_deg - pad + 90.0) / h), 0, n_zones - 1)
        z_hi = np.clip(np.floor((dec_x + r_deg + pad + 90.0) / h), 0, n_zones - 1)
        los, his, owners = [], [], []
        for dz in range(3):  # a cone one radius high spans at most three zones
            z = (z_lo + dz) * 720.0
            for lo, hi, use in iv:
                use = use & (z_lo + dz <= z_hi)
                los.append(np.searchsorted(key, z[use] + lo[use], side="left"))
                his.append(np.searchsorted(key, z[use] + hi[use], side="right"))
                owners.append(np.nonzero(use)[0])
        lo, hi, own = np.concatenate(los), np.concatenate(his), np.concatenate(owners)
        n = np.maximum(hi - lo, 0)
        ix = np.repeat(own, n)
        ic = order[np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))]
        vc = unit_vectors(ra_c[ic], dec_c[ic])
        near = np.sum((vx[ix] - vc) ** 2, axis=1) <= chord**2
        ix, ic, vc = ix[near], ic[near], vc[near]
    d = np.linalg.norm(vx[ix] - vc, axis=1)
    sep = np.degrees(2.0 * np.arcsin(np.clip(d / 2.0, 0, 1))) * 3600.0
    order = np.lexsort((ic, sep, ix))
    return ix[order].astype(np.int64), ic[order].astype(np.int64), sep[order]


def neighbourhood_table(xid, catalogue: Table, sep_arcsec, radius_arcsec: float) -> Table:
    """A neighbourhood table from pairs: ``xid`` and ``sep`` of each row of ``catalogue`` (standardised).

    Columns are :data:`xrbvo.core.schema.NEIGHBOUR` first, then the photometry;
    ``meta`` is the catalogue's plus ``radius_arcsec``.
    """
    out = Table()
    out["xid"] = np.asarray(xid) if len(catalogue) else np.zeros(0, dtype=str)
    for c in catalogue.colnames:
        out[c] = catalogue[c]
    out["sep"] = np.asarray(sep_arcsec, float)
    front = ["xid", "nid", "ra", "dec", "pos_err", "sep"]
    out = out[front + [c for c in out.colnames if c not in front]]
    out.meta.update(catalogue.meta)
    out.meta["radius_arcsec"] = float(radius_arcsec)
    return apply_schema(out, NEIGHBOUR, PHOTOMETRY)


def cone_join(xray: Table, catalogue: Table, radius_arcsec: float) -> Table:
    """All (X-ray source, catalogue source) pairs closer than ``radius_arcsec``.

    ``catalogue`` must be standardised (:func:`standardise_catalogue`).  The
    result has one row per pair, ordered by X-ray source then separation (then
    catalogue row); the pairs come from :func:`cone_pairs`.
    """
    ix, ic, sep = cone_pairs(xray["ra"], xray["dec"], catalogue["ra"], catalogue["dec"], radius_arcsec)
    return neighbourhood_table(np.asarray(xray["xid"])[ix], catalogue[ic], sep, radius_arcsec)


class CatalogueProvider(abc.ABC):
    """Shared loop of providers that hold whole catalogues in memory (``sim``, ``local``).

    Subclasses implement :meth:`_catalogue` (the standardised catalogue of one
    survey, cached by the base class) and, if needed, ``validate``.
    """

    def _standardised(self, name: str) -> Table:
        cache = self.__dict__.setdefault("_std", {})
        if name not in cache:
            cache[name] = self._catalogue(name)
        return cache[name]

    @abc.abstractmethod
    def _catalogue(self, name: str) -> Table:
        """The standardised catalogue of survey ``name``."""

    def neighbourhoods(self, xray: Table, radius_arcsec: float, surveys: Sequence[str], *,
                       progress: Progress | None = None, cancel: threading.Event | None = None
                       ) -> dict[str, Table]:
        self.validate(surveys)
        out = {}
        for i, s in enumerate(surveys):
            name = get_survey(s).name
            if cancel is not None and cancel.is_set():
                break
            out[name] = cone_join(xray, self._standardised(name), radius_arcsec)
            if progress:
                progress(f"neighbourhoods: {name}", (i + 1) / len(surveys))
        return out


class Provider(abc.ABC):
    """Where neighbourhoods come from.

    Subclasses store their parameters in ``__init__`` and implement
    :meth:`neighbourhoods`.  ``validate`` runs once before heavy work.
    """

    name: str = "provider"

    def validate(self, surveys: Sequence[str]) -> None:
        """Raise :class:`~xrbvo.core.errors.InputError` if a survey cannot be served."""
        for s in surveys:
            get_survey(s)

    @abc.abstractmethod
    def neighbourhoods(self, xray: Table, radius_arcsec: float, surveys: Sequence[str], *,
                       progress: Progress | None = None, cancel: threading.Event | None = None
                       ) -> dict[str, Table]:
        """Return ``{survey: neighbourhood table}`` for every X-ray source in ``xray``."""
