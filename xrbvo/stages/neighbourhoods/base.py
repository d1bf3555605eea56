"""The provider contract: X-ray sources and a radius in, one neighbourhood table per survey out.

Every provider (``sim``, ``local``, and later ``tap`` and ``lsdb``) returns the
same schema: :data:`xrbvo.core.schema.NEIGHBOUR` columns followed by the standard
photometric columns the survey has (:data:`xrbvo.core.schema.PHOTOMETRY`).
"""

from __future__ import annotations

import abc
import threading
import warnings
from typing import Callable, Mapping, Sequence

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError, MissingColumnError, XrbvoWarning
from xrbvo.io import as_degrees, as_float
from xrbvo.core.schema import NEIGHBOUR, PHOTOMETRY, apply_schema
from xrbvo.core.geometry import unit_vectors
from xrbvo.core.surveys import BAND_FEATURES, SURVEYS, Survey, get_survey, guess_survey

__all__ = ["Provider", "PulledProvider", "CatalogueProvider", "standardise_catalogue", "check_survey", "cone_join", "cone_pairs",
           "neighbourhood_table", "unit_vectors", "Progress"]

#: Range of the p_any calibration's moves of X-ray positions on an all-sky service (arcsec): far beyond any
#: X-ray error circle and pull radius, close enough to see the same sky density (Salvato et al. 2018 move
#: positions by a few arcminutes); :mod:`xrbvo.stages.match.calibrate` uses it.
SHIFT_ARCSEC = (120.0, 300.0)

Progress = Callable[[str, float], None]


def _check_positions(ra: np.ndarray, dec: np.ndarray, placed: np.ndarray, source: str, survey: str) -> None:
    """One InputError for the first row whose position lies outside RA [0, 360), Dec [-90, 90]."""
    with np.errstate(invalid="ignore"):
        bad = placed & ((ra < 0) | (ra >= 360) | (dec < -90) | (dec > 90))
    if bad.any():
        i = int(np.nonzero(bad)[0][0])
        raise InputError(f"{source}: {int(bad.sum())} row(s) of the {survey} catalogue have coordinates out of range "
                         f"(first: row {i}, ra={float(ra[i])!r}, dec={float(dec[i])!r}); RA must be in [0, 360) and "
                         "Dec in [-90, 90] degrees")


def _identifiers(table: Table, id_c: str, placed: np.ndarray, source: str, survey: str, *,
                 unique: bool = True) -> np.ndarray:
    """The catalogue's source ids as text; a missing or repeated id (among rows with a position) is an InputError.

    A survey catalogue names each source once (Gaia ``source_id``, the 2MASS and
    CatWISE designations); the same id twice means overlapping tiles stacked
    together, which would offer one star twice as a counterpart.
    """
    col = table[id_c]
    missing = np.ma.getmaskarray(col) if getattr(col, "mask", None) is not None else np.zeros(len(table), bool)
    if col.dtype.kind == "f":  # numbers stored as floats (a table that went through NaN-filled integers)
        vals = np.asarray(col.data.data if hasattr(col.data, "data") else col, float)
        with np.errstate(invalid="ignore"):
            big = placed & ~missing & (np.abs(vals) > 2.0**53)
        if big.any():
            i = int(np.nonzero(big)[0][0])
            raise InputError(f"{source}: the {survey} identifiers in column {id_c!r} are stored as floating-point "
                             f"numbers, which cannot hold ids above 2**53 exactly (row {i}: {vals[i]!r}); "
                             "write the ids as 64-bit integers or text")
        missing = missing | ~np.isfinite(vals)
        ids = np.array(["" if m else (f"{v:.0f}" if v == np.floor(v) else repr(float(v)))
                        for v, m in zip(vals, missing)], dtype=str)
    else:
        ids = np.array(["" if m else (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)).strip()
                        for v, m in zip(col.tolist() if not hasattr(col, "mask") else col.data.data.tolist(),
                                        missing)], dtype=str)
    empty = placed & (ids == "")
    if empty.any():
        i = int(np.nonzero(empty)[0][0])
        raise InputError(f"{source}: {int(empty.sum())} row(s) of the {survey} catalogue have no identifier in "
                         f"column {id_c!r} (first: row {i}); fill them in or drop those rows")
    kept = ids[placed]
    if unique and len(kept):
        uniq, first, counts = np.unique(kept, return_index=True, return_counts=True)
        if (counts > 1).any():
            dup = uniq[counts > 1]
            example = str(dup[np.argmin(first[counts > 1])])  # the repeat that comes first in the file
            rows = np.nonzero(placed & (ids == example))[0][:2]
            raise InputError(f"{source}: {len(dup)} identifier(s) of the {survey} catalogue in column {id_c!r} occur "
                             f"more than once (e.g. {example!r} in rows {rows[0]} and {rows[1]}); a source must "
                             "appear once: drop the repeats (overlapping tiles?)")
    return ids


def _finder(table: Table):
    """``pick(*names)``: the first of ``names`` that is a column of ``table``, exactly, else ignoring case."""
    cols = set(table.colnames)
    lower: dict[str, str] = {}
    for c in table.colnames:
        lower.setdefault(c.lower(), c)

    def pick(*names: str | None) -> str | None:
        for n in names:
            if n and n in cols:
                return n
        for n in names:
            if n and n.lower() in lower:
                return lower[n.lower()]
        return None

    return pick


def check_survey(table: Table, s: Survey, source: str) -> None:
    """Refuse a table that has another survey's columns and none of ``s``'s (one InputError).

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    s : Survey
        The survey the table is supposed to be.
    source : str
        Name of the input, used in messages and recorded in the outputs.
    """
    if not s.signature:
        return
    guess, evidence = guess_survey(table.colnames)
    if guess is None or guess == s.name:
        return
    mine = {c.lower() for c in s.signature}
    if any(c.lower() in mine for c in table.colnames):
        return
    other = SURVEYS[guess]
    shown = ", ".join(evidence[:3]) + (", ..." if len(evidence) > 3 else "")
    raise InputError(f"{source} looks like a {other.label} table (has {shown}), not {s.label}; give it as "
                     f"--catalog {other.name}={source}")


def _warn_missing_bands(table_pick, s: Survey, source: str) -> None:
    """One warning naming the bands of ``s`` the table lacks and the features that stay missing."""
    missing = [b for b in s.bands if table_pick(*s.names_of(b)) is None]
    if not missing:
        return
    feats = list(dict.fromkeys([*missing, *(f for b in missing for f in BAND_FEATURES.get(b, ()))]))
    looked = ", ".join("/".join(s.names_of(b)) for b in missing)
    label = "/".join(missing)
    warnings.warn(f"{source}: the {s.name} table has no {label} magnitude{'s' if len(missing) > 1 else ''} "
                  f"(looked for {looked}): the features {', '.join(feats)} stay missing", XrbvoWarning,
                  stacklevel=3)


def standardise_catalogue(table: Table, survey: str | Survey, *, source: str = "catalogue",
                          unique_ids: bool = True) -> Table:
    """Rename a survey catalogue's native columns to xrbvo's standard names.

    Native names come from the registry: the survey's own, then the names VizieR
    and the archives use (:attr:`~xrbvo.core.surveys.Survey.id_aliases`,
    ``position_aliases``, ``column_aliases``), exactly or else ignoring case;
    columns already under standard names are kept.  Identifiers are kept as text,
    exactly (64-bit Gaia ids never pass through floating point).  Positions may be
    decimal degrees or sexagesimal text.  The positional error becomes ``pos_err``
    (1-sigma, arcsec) by the survey's error model; Gaia's variability proxy
    ``var_G`` is derived as ``sqrt(phot_g_n_obs) / phot_g_mean_flux_over_error``.

    Rows without a position (missing or NaN) are dropped.  Row numbers in the
    errors count from 0, in the order of ``table``.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    survey : str | Survey
        A survey of the registry (:mod:`xrbvo.core.surveys`) or its name.
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.
    unique_ids : bool, optional
        Check that the ids are unique (an InputError names the duplicates).

    Returns
    -------
    astropy.table.Table
        The catalogue in the standard column names.

    Raises
    ------
    MissingColumnError
        When the table has no position columns.
    InputError
        When the table has another survey's columns and none of this one's
        (:func:`~xrbvo.core.surveys.guess_survey`), a position cannot be read or
        is out of range (RA outside [0, 360), Dec outside [-90, 90]), or, among
        rows with a position, an identifier is missing or appears more than once.

    Warns
    -----
    XrbvoWarning
        Once when the table has no identifier column (xrbvo then numbers the
        sources), and once naming the survey's bands the table lacks and the
        features that stay missing.
    """
    s = survey if isinstance(survey, Survey) else get_survey(survey)
    pick = _finder(table)
    check_survey(table, s, source)
    pairs = ((s.ra_column, s.dec_column), ("ra", "dec"), *s.position_aliases,
             ("RA_ICRS", "DE_ICRS"), ("RAJ2000", "DEJ2000"), ("RA", "DEC"))
    ra_c = dec_c = None
    for r, d in pairs:
        ra_c, dec_c = pick(r), pick(d)
        if ra_c and dec_c:
            break
    if not (ra_c and dec_c):
        shown = ", ".join(f"{r}/{d}" for r, d in dict.fromkeys(pairs))
        raise MissingColumnError(f"{source}: no position columns for survey {s.name} (looked for {shown})")
    id_c = pick(s.id_column, *s.id_aliases, "nid", "source_id", "id")
    n = len(table)
    out = Table()
    ra, dec = as_degrees(table[ra_c], table[dec_c], source=source, names=(ra_c, dec_c))
    placed = np.isfinite(ra) & np.isfinite(dec)  # rows without a position are dropped below
    _check_positions(ra, dec, placed, source, s.name)
    if id_c:
        out["nid"] = _identifiers(table, id_c, placed, source, s.name, unique=unique_ids)
    else:
        looked = "/".join(dict.fromkeys((s.id_column, *s.id_aliases, "nid")))
        warnings.warn(f"{source}: the {s.name} table has no identifier column (looked for {looked}); xrbvo "
                      f"numbers its sources {s.name}-0, {s.name}-1, ..., which name no real source: add the "
                      "survey's identifiers to trace the counterparts", XrbvoWarning, stacklevel=2)
        out["nid"] = np.array([f"{s.name}-{i}" for i in range(n)])
    out["ra"] = ra
    out["dec"] = dec
    err_pairs = ((s.error.column, s.error.column2), *s.error_aliases) if s.error.column else ()
    err_c = pick("pos_err")
    err2_c = None
    if err_c is None:
        for c1, c2 in err_pairs:
            err_c = pick(c1)
            if err_c:
                err2_c = pick(c2) if c2 else None
                break
    if err_c == "pos_err":
        out["pos_err"] = np.where(np.isfinite(as_float(table["pos_err"])), as_float(table["pos_err"]),
                                  s.error.default_arcsec)
    else:
        e1 = as_float(table[err_c]) if err_c else None
        e2 = as_float(table[err2_c]) if err2_c else None
        out["pos_err"] = np.broadcast_to(s.error.apply(e1, e2), (n,)).copy()
    for std in s.columns:
        c = pick(*s.names_of(std))
        if c is not None and std not in ("g_flux_snr", "g_n_obs"):
            out[std] = as_float(table[c])
    _warn_missing_bands(pick, s, source)
    snr_c = pick(*s.names_of("g_flux_snr")) if "g_flux_snr" in s.columns else None
    nobs_c = pick(*s.names_of("g_n_obs")) if "g_n_obs" in s.columns else None
    if "var_G" in table.colnames:
        out["var_G"] = as_float(table["var_G"])
    elif snr_c and nobs_c:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["var_G"] = np.sqrt(as_float(table[nobs_c])) / as_float(table[snr_c])
    if "rgeo" not in out.colnames and "rgeo" in table.colnames:
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

    Parameters
    ----------
    xid : array of str
        The X-ray source of each pair.
    catalogue : astropy.table.Table
        The survey catalogue, standardised, one row per pair.
    sep_arcsec : array
        Separation of each pair, arcsec.
    radius_arcsec : float
        Search radius, arcsec.

    Returns
    -------
    astropy.table.Table
        A neighbourhood table from pairs: ``xid`` and ``sep`` of each row of ``catalogue``
        (standardised).
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

    Parameters
    ----------
    xray : astropy.table.Table
        The X-ray sources in the XRAY schema (:func:`xrbvo.io.standardise_xray`).
    catalogue : astropy.table.Table
        The survey catalogue, standardised (:func:`standardise_catalogue`).
    radius_arcsec : float
        Search radius, arcsec.

    Returns
    -------
    astropy.table.Table
        All (X-ray source, catalogue source) pairs closer than ``radius_arcsec``.
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

    def covers(self, ra_deg, dec_deg, surveys: Sequence[str], radius_arcsec: float = 90.0) -> np.ndarray:
        """Per position: some survey's catalogue has a source within ``radius_arcsec`` (the tables' footprint).

        The catalogues held here may be cut to a field (a simulated sky) or to cones around
        the X-ray sources (files a user pulled); a position outside them sees an empty sky
        that is not the real one.  The p_any calibration keeps only moved positions inside.
        """
        from scipy.spatial import cKDTree

        pts = unit_vectors(np.asarray(ra_deg, float), np.asarray(dec_deg, float))
        out = np.zeros(len(pts), bool)
        chord = 2 * np.sin(np.radians(radius_arcsec / 3600.0) / 2)
        for s in surveys:
            cat = self._standardised(get_survey(s).name)
            if not len(cat) or not len(pts):
                continue
            tree = cKDTree(unit_vectors(np.asarray(cat["ra"], float), np.asarray(cat["dec"], float)))
            d, _ = tree.query(pts, k=1, distance_upper_bound=chord)
            out |= np.isfinite(d)
        return out

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

    def shift_range_arcsec(self, radius_arcsec: float) -> tuple[float | None, float]:
        """How far the p_any calibration may move X-ray positions and still be served (arcsec).

        All-sky services: 2-5 arcmin (:data:`xrbvo.stages.match.calibrate.SHIFT_ARCSEC`, Salvato et al. 2018).
        A provider whose tables hold only patches around the sources returns ``(None, hi)``: each
        source is moved just beyond its counterpart's reach, at most ``hi``.
        """
        return SHIFT_ARCSEC

    def covers(self, ra_deg, dec_deg, surveys: Sequence[str], radius_arcsec: float = 90.0) -> np.ndarray:
        """Per position: whether the provider's surveys cover it (all-sky services: everywhere).

        Providers holding catalogues cut to a field override it (:meth:`CatalogueProvider.covers`).
        """
        return np.ones(len(np.asarray(ra_deg)), bool)


class PulledProvider(Provider):
    """Neighbourhoods already pulled (a tile's, a partition's, an explored source's), served as a provider.

    Parameters
    ----------
    neighbourhoods : Mapping[str, Table]
        Survey name -> neighbourhood table (:mod:`xrbvo.stages.neighbourhoods`).
    """

    name = "pulled"

    def __init__(self, neighbourhoods: Mapping[str, Table]):
        self.tables = dict(neighbourhoods)

    def neighbourhoods(self, xray, radius_arcsec, surveys, *, progress=None, cancel=None) -> dict[str, Table]:
        return {s: self.tables[s] for s in surveys}

    def covers(self, ra_deg, dec_deg, surveys, radius_arcsec: float = 90.0) -> np.ndarray:
        """Nothing but the pulled positions: other positions (the p_any calibration's moved ones) cannot
        be served, so a run on pulled neighbourhoods is given its calibration measured over the whole run."""
        from xrbvo.core.errors import XrbvoError

        raise XrbvoError("neighbourhoods already pulled cannot serve moved positions: measure the p_any "
                         "calibration over the whole run and give it as PipelineConfig.p_any_calibration")
