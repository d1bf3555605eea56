"""Turning a user's X-ray source table into the stage schema, with clear errors."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from astropy.table import MaskedColumn, Table

from xrbvo.core.errors import InputError, MissingColumnError, XrbvoWarning
from xrbvo.core.schema import XRAY, apply_schema
from xrbvo.core.surveys import Survey, get_survey
from xrbvo.io.erass1 import refuse_hard_as_main
from xrbvo.io.tables import as_degrees, as_float

__all__ = ["standardise_xray", "MAX_ID_LENGTH"]

#: Longest source identifier accepted, in characters (longer ones are refused, not cut).
MAX_ID_LENGTH = 256

_POS_PAIRS = (("ra", "dec"), ("RA", "DEC"), ("RA_ICRS", "DE_ICRS"), ("RAJ2000", "DEJ2000"),
              ("raj2000", "dej2000"), ("RA_deg", "DEC_deg"), ("RAdeg", "DEdeg"), ("Ra", "Dec"))


def _find(table: Table, *names: str) -> str | None:
    lower = {c.lower(): c for c in table.colnames}
    for n in names:
        if n in table.colnames:
            return n
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def _identifiers(table: Table, id_c: str | None, source: str) -> np.ndarray:
    """The source identifiers as text (unicode kept as it is), checked; xrbvo numbers the sources without a column."""
    if id_c is None:
        return np.array([f"X{i:07d}" for i in range(len(table))], dtype="<U8")
    col = table[id_c]
    if getattr(col, "ndim", 1) != 1:
        raise InputError(f"{source}: the identifier column {id_c!r} holds several values per row; give one "
                         "identifier per source")
    mask = np.asarray(col.mask) if isinstance(col, MaskedColumn) else np.zeros(len(col), bool)
    raw = np.asarray(col.data.data if isinstance(col, MaskedColumn) else col)
    ids = [v.decode("utf-8", "replace").strip() if isinstance(v, bytes) else str(v).strip() for v in raw.tolist()]
    for i, (v, m) in enumerate(zip(ids, mask.tolist())):
        if m or not v:
            raise InputError(f"{source}: row {i} has no identifier in column {id_c!r}; fill it in, or drop the "
                             "column to have xrbvo number the sources")
        if len(v) > MAX_ID_LENGTH:
            raise InputError(f"{source}: the identifier in row {i} of column {id_c!r} is {len(v)} characters "
                             f"long ({v[:20]!r}...); at most {MAX_ID_LENGTH} are accepted: shorten it, or drop "
                             "the column to have xrbvo number the sources")
    if len(set(ids)) != len(ids):
        raise InputError(f"{source}: source identifiers in column {id_c!r} are not unique; make them unique "
                         "or drop the column to have xrbvo number the sources")
    return np.array(ids, dtype=str) if ids else np.zeros(0, dtype="<U1")


def standardise_xray(table: Table, survey: str | Survey = "erass1", *, sys_floor_arcsec: float | None = None,
                     default_pos_err_arcsec: float | None = None, source: str = "input table") -> Table:
    """Turn a user's X-ray source table into the :data:`xrbvo.core.schema.XRAY` schema.

    Columns are found under the survey's native names (``IAUNAME``, ``RA``,
    ``POS_ERR``, ``ML_FLUX_1``...) or under the standard names (``xid``, ``ra``,
    ``dec``, ``pos_err``, ``flux_soft``...).  The survey's error model turns the
    native positional error into a 1-sigma per-coordinate error with its floor.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    survey : str | Survey, optional
        A survey of the registry (:mod:`xrbvo.core.surveys`) or its name.
    sys_floor_arcsec : float, optional
        Systematic position error (arcsec) added in quadrature; None: the survey's.
    default_pos_err_arcsec : float, optional
        Position error (arcsec) for sources without one; None: the survey's default.
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.

    Returns
    -------
    astropy.table.Table
        The sources in the XRAY schema, in the input's order.

    Raises
    ------
    MissingColumnError
        If no position columns are found.
    InputError
        If the table is the eRASS1 Hard catalogue (it goes with ``--hard``), a position cannot be read
        (:func:`xrbvo.core.positions.parse_angles`), is NaN or out of range, or identifiers are missing,
        duplicated or longer than :data:`MAX_ID_LENGTH` characters (checked
        before any other work).

    Warns
    -----
    XrbvoWarning
        If the positional-error column is absent or some of its values are
        missing or not positive (those sources get the survey's default
        error), if there is no soft-band flux, or if no source has a hard-band flux (the
        hardness ratio ``hr`` is then missing).

    A ``hard_assoc`` column (:func:`xrbvo.io.read_release`) is carried as it is.
    """
    s = survey if isinstance(survey, Survey) else get_survey(survey)
    refuse_hard_as_main(table, source)
    ra_c = _find(table, s.ra_column, *[p[0] for p in _POS_PAIRS])
    dec_c = _find(table, s.dec_column, *[p[1] for p in _POS_PAIRS])
    if ra_c is None or dec_c is None:
        raise MissingColumnError(
            f"{source}: no position columns found (looked for {s.ra_column}/{s.dec_column}, ra/dec, "
            f"RA_ICRS/DE_ICRS, RAJ2000/DEJ2000); add right ascension and declination (degrees or sexagesimal)"
        )
    id_c = _find(table, "xid", s.id_column, "name", "IAUNAME", "IAUName", "id", "source_id")
    xid = _identifiers(table, id_c, source)
    ra, dec = as_degrees(table[ra_c], table[dec_c], source=source, names=(ra_c, dec_c))  # degrees or sexagesimal
    bad = ~np.isfinite(ra) | ~np.isfinite(dec)
    if bad.any():
        i = int(np.nonzero(bad)[0][0])
        raise InputError(f"{source}: {int(bad.sum())} row(s) have a missing or NaN position (first: row {i}); "
                         "remove them or fill in their coordinates")
    out_of_range = (ra < 0) | (ra >= 360) | (dec < -90) | (dec > 90)
    if out_of_range.any():
        i = int(np.nonzero(out_of_range)[0][0])
        raise InputError(f"{source}: {int(out_of_range.sum())} row(s) have coordinates out of range "
                         f"(first: row {i}, ra={ra[i]}, dec={dec[i]}); RA must be in [0, 360) and Dec in "
                         "[-90, 90] degrees")
    err_c = _find(table, "pos_err", *(c for c in (s.error.column,) if c))
    model = s.error
    if sys_floor_arcsec is not None:
        model = replace(model, floor_arcsec=sys_floor_arcsec)
    if default_pos_err_arcsec is not None:
        model = replace(model, default_arcsec=default_pos_err_arcsec)
    native = as_float(table[err_c]) if err_c else None
    default = f"the default 1-sigma error of {model.default_arcsec:g} arcsec (survey {s.name})"
    if native is None and default_pos_err_arcsec is None:
        looked = "pos_err" + (f"/{s.error.column}" if s.error.column else "")
        warnings.warn(f"{source}: no positional-error column (looked for {looked}); every source gets {default}, "
                      "which sets the counterpart search and association; add the column if you have it",
                      XrbvoWarning, stacklevel=2)
    elif native is not None:
        n_bad = int(np.count_nonzero(~(np.isfinite(native) & (native > 0))))
        if n_bad:
            warnings.warn(f"{source}: {n_bad} row(s) have a missing or non-positive positional error in column "
                          f"{err_c!r}; they get {default}", XrbvoWarning, stacklevel=2)
    if err_c == "pos_err":
        pos_err = np.where(np.isfinite(native) & (native > 0), native, model.default_arcsec)
    else:
        pos_err = model.apply(native)
        pos_err = np.broadcast_to(pos_err, ra.shape).copy()
    out = Table({"xid": xid, "ra": ra, "dec": dec, "pos_err": pos_err})
    for std in ("flux_soft", "flux_soft_err", "flux_hard", "flux_hard_err"):
        c = _find(table, std, s.columns.get(std, std))
        out[std] = as_float(table[c]) if c else np.full(len(table), np.nan)
        if std == "flux_soft" and c is None:
            native = s.columns.get(std)
            warnings.warn(f"{source}: no soft-band flux column (looked for flux_soft"
                          f"{'/' + native if native else ''}); the classifier loses its X-ray-to-optical/IR flux "
                          "ratios and luminosity and classifies from the counterparts alone", XrbvoWarning,
                          stacklevel=2)
    if not np.isfinite(out["flux_hard"]).any():
        warnings.warn(f"{source}: no hard-band (2.3-5 keV) flux for any source (looked for flux_hard; for the eRASS1 "
                      "release give the Hard catalogue, `xrbvo run MAIN --hard HARD`); the hardness ratio hr "
                      "will be missing (NaN) for every source", XrbvoWarning, stacklevel=2)
    if "hard_assoc" in table.colnames:
        out["hard_assoc"] = np.asarray(table["hard_assoc"]).astype(str)
    out["epoch"] = np.full(len(table), s.epoch)
    out.meta["xray_survey"] = s.name
    return apply_schema(out, XRAY)
