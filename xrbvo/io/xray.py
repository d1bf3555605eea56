"""Turning a user's X-ray source table into the stage schema, with clear errors."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Iterable, Mapping

import numpy as np
from astropy.table import MaskedColumn, Table

from xrbvo.core.errors import InputError, MissingColumnError, XrbvoWarning
from xrbvo.core.schema import INPUT_PREFIX, XRAY, apply_schema, is_reserved, mark_input_column
from xrbvo.core.surveys import DEFAULT_XRAY_SURVEY, SURVEYS, Survey, get_survey, guess_survey
from xrbvo.io.erass1 import refuse_hard_as_main
from xrbvo.io.tables import as_degrees, as_float

__all__ = ["standardise_xray", "MAX_ID_LENGTH", "COLUMN_KEYS", "COLMAP_KEY", "ID_NAMES", "ERROR_NAMES", "FLUX_NAMES",
           "parse_column_map", "apply_column_map", "carry_input_columns"]

#: Longest source identifier accepted, in characters (longer ones are refused, not cut).
MAX_ID_LENGTH = 256

_POS_PAIRS = (("ra", "dec"), ("RA", "DEC"), ("RA_ICRS", "DE_ICRS"), ("RAJ2000", "DEJ2000"),
              ("raj2000", "dej2000"), ("RA_deg", "DEC_deg"), ("RAdeg", "DEdeg"), ("Ra", "Dec"), ("RA", "Decl"))

#: The standard names ``--columns`` maps (xrbvo's X-ray columns, :data:`xrbvo.core.schema.XRAY`).
COLUMN_KEYS: tuple[str, ...] = ("xid", "ra", "dec", "pos_err", "flux_soft", "flux_soft_err", "flux_hard",
                                "flux_hard_err")
#: Keys that may map to a text column (identifiers; positions may be sexagesimal).
_TEXT_KEYS = frozenset({"xid", "ra", "dec"})
#: ``table.meta`` key (a header keyword in every output) holding the ``--columns`` mapping: ``xid=1eRASS;ra=...``.
COLMAP_KEY = "COLMAP"

#: Identifier columns of the X-ray catalogues users bring, tried in order after ``xid`` and the survey's own:
#: eRASS1 (DR1 ``IAUNAME``, VizieR ``1eRASS``/``IAUName``, HEASARC ``name``), 4XMM (``IAUNAME``, VizieR ``4XMM``),
#: CSC (``name``, VizieR ``2CXO``), Swift (VizieR ``2SXPS``, ``LSXPS``, ``IAUName``); then numeric ones
#: (eRASS1 ``UID``/``DetUId``, 4XMM ``SRCID``, LSXPS ``LSXPS_ID``).
ID_NAMES: tuple[str, ...] = ("IAUNAME", "IAUName", "1eRASS", "4XMM", "2CXO", "2SXPS", "LSXPS", "name", "Name",
                             "id", "source_id", "UID", "DetUId", "SRCID", "LSXPS_ID")


@dataclass(frozen=True)
class _ErrName:
    name: str
    to_sigma: float
    """Factor taking the column (arcsec) to a 1-sigma error per coordinate."""
    meaning: str


#: Positional-error columns and what they hold: a radial 1-sigma error is divided by sqrt(2) (per coordinate),
#: a 90% or 95% error circle by the Rayleigh radius of that level (2.146 or 2.448 sigma).
ERROR_NAMES: tuple[_ErrName, ...] = (
    _ErrName("POS_ERR", 1.0, "eRASS1: 1-sigma per coordinate, systematics included"),
    _ErrName("posErr", 1.0, "eRASS1 at VizieR (POS_ERR)"),
    _ErrName("e_pos", 1.0, "eRASS1 at VizieR (POS_ERR)"),
    _ErrName("RADEC_ERR", 1.0 / np.sqrt(2.0), "eRASS1/4XMM: radial 1-sigma statistical error"),
    _ErrName("POSERR", 1.0 / np.sqrt(2.0), "4XMM: radial 1-sigma error, systematics included"),
    _ErrName("ePos", 1.0 / np.sqrt(2.0), "4XMM at VizieR (POSERR)"),
    _ErrName("err_ellipse_r0", 1.0 / 2.448, "CSC: 95% error ellipse, semi-major axis"),
    _ErrName("Err90", 1.0 / 2.146, "Swift 2SXPS/LSXPS: 90% error radius"),
)


@dataclass(frozen=True)
class _FluxName:
    name: str
    key: str
    band: str
    """Energy band in keV (``0.2-2.3`` is eRASS1's soft band)."""


#: X-ray flux columns (erg/cm2/s, or mW/m2 at VizieR, the same number) and their bands.
FLUX_NAMES: tuple[_FluxName, ...] = (
    _FluxName("ML_FLUX_1", "flux_soft", "0.2-2.3"), _FluxName("MLFlux1", "flux_soft", "0.2-2.3"),
    _FluxName("Flux", "flux_soft", "0.2-2.3"), _FluxName("ML_FLUX_ERR_1", "flux_soft_err", "0.2-2.3"),
    _FluxName("e_Flux", "flux_soft_err", "0.2-2.3"), _FluxName("MLFluxErr1", "flux_soft_err", "0.2-2.3"),
    _FluxName("SC_EP_8_FLUX", "flux_soft", "0.2-12"), _FluxName("EP_8_FLUX", "flux_soft", "0.2-12"),
    _FluxName("Flux8", "flux_soft", "0.2-12"), _FluxName("SC_EP_8_FLUX_ERR", "flux_soft_err", "0.2-12"),
    _FluxName("flux_aper_b", "flux_soft", "0.5-7"), _FluxName("flux_aper_hilim_b", "flux_soft_err", "0.5-7"),
    _FluxName("ML_FLUX_3", "flux_hard", "2.3-5"), _FluxName("ML_FLUX_ERR_3", "flux_hard_err", "2.3-5"),
)
_SOFT_BAND = "0.2-2.3"


def _find(table: Table, *names: str) -> str | None:
    lower = {c.lower(): c for c in table.colnames}
    for n in names:
        if n in table.colnames:
            return n
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def parse_column_map(text: str, *, option: str = "--columns") -> dict[str, str]:
    """``xid=COL,ra=COL,...`` as a dict of standard name -> the table's column (one InputError for anything else).

    Keys are :data:`COLUMN_KEYS`; each key and each column may appear once.

    Parameters
    ----------
    text : str
        The option's text, ``KEY=COLUMN`` pairs separated by commas.
    option : str, optional
        The option that gave ``text``, named in the error message.

    Returns
    -------
    dict[str, str]
        Standard name -> the table's column, in the order given.

    Raises
    ------
    InputError
        For an empty text, a pair without ``=``, an unknown key, or a key or column given twice.

    Examples
    --------
    >>> parse_column_map("xid=1eRASS, ra=RAJ2000,dec=DEJ2000")
    {'xid': '1eRASS', 'ra': 'RAJ2000', 'dec': 'DEJ2000'}
    """
    out: dict[str, str] = {}
    used: dict[str, str] = {}
    items = [it.strip() for it in str(text).split(",")]
    if not any(items):
        raise InputError(f"{option} is empty: give KEY=COLUMN pairs, e.g. xid=1eRASS,ra=RAJ2000,dec=DEJ2000")
    for it in items:
        key, sep, col = (x.strip() for x in it.partition("="))
        if not sep or not key or not col:
            raise InputError(f"{option} {it!r}: write KEY=COLUMN (keys: {', '.join(COLUMN_KEYS)})")
        if key not in COLUMN_KEYS:
            raise InputError(f"{option} {key}={col}: unknown key {key!r}; the keys are xrbvo's standard names "
                             f"{', '.join(COLUMN_KEYS)}")
        if key in out:
            raise InputError(f"{option} {key}: given twice ({out[key]} and {col}); map each key once")
        if col in used:
            raise InputError(f"{option} {key}={col}: column {col!r} is already mapped to {used[col]}; map each "
                             "column once")
        out[key] = col
        used[col] = key
    return out


def apply_column_map(table: Table, mapping: Mapping[str, str], *, source: str = "input table",
                     option: str = "--columns") -> Table:
    """Check ``mapping`` (standard name -> column of ``table``) and record it for :func:`standardise_xray`.

    Returns a table sharing ``table``'s columns whose ``meta`` holds the mapping under :data:`COLMAP_KEY`
    (so every later step, and every output's header, sees it); ``table`` itself is not changed.

    Parameters
    ----------
    table : astropy.table.Table
        The X-ray table as read.
    mapping : Mapping[str, str]
        Standard name (:data:`COLUMN_KEYS`) -> column of ``table``.
    source : str, optional
        Name of the input, used in messages.
    option : str, optional
        The option that gave ``mapping``, named in the error message.

    Returns
    -------
    astropy.table.Table
        A table sharing ``table``'s columns, the checked mapping in its ``meta``.

    Raises
    ------
    InputError
        For an unknown key, a column the table does not have, a column mapped twice, or a text column
        mapped to a key that needs numbers (one line naming the key).
    """
    checked = parse_column_map(",".join(f"{k}={v}" for k, v in mapping.items()), option=option) if mapping else {}
    if len(checked) != len(mapping):
        raise InputError(f"{option}: a key is given twice")
    for key, col in checked.items():
        if col not in table.colnames:
            near = [c for c in table.colnames if c.lower() == col.lower()]
            hint = f" (did you mean {near[0]}?)" if near else f"; its columns are {', '.join(table.colnames[:12])}" + (
                ", ..." if len(table.colnames) > 12 else "")
            raise MissingColumnError(f"{option} {key}={col}: {source} has no column {col!r}{hint}")
        c = table[col]
        if getattr(c, "ndim", 1) != 1:
            raise InputError(f"{option} {key}={col}: column {col!r} holds several values per row; map a column "
                             "with one value per source")
        if key not in _TEXT_KEYS and c.dtype.kind not in "fiub":
            vals = as_float(c)
            if len(vals) and not np.isfinite(vals).any():
                raise InputError(f"{option} {key}={col}: column {col!r} holds text, and {key} needs numbers; map "
                                 "a numeric column")
    out = Table(table, copy=False)
    out.meta = dict(table.meta)
    out.meta[COLMAP_KEY] = ";".join(f"{k}={v}" for k, v in checked.items())
    return out


def _column_map(table: Table) -> dict[str, str]:
    text = str(table.meta.get(COLMAP_KEY, "") or "")
    out = {}
    for item in filter(None, text.split(";")):
        k, _, v = item.partition("=")
        out[k.strip()] = v.strip()
    return out


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


def standardise_xray(table: Table, survey: str | Survey = DEFAULT_XRAY_SURVEY, *, sys_floor_arcsec: float | None = None,
                     default_pos_err_arcsec: float | None = None, source: str = "input table",
                     columns: Mapping[str, str] | None = None) -> Table:
    """Turn a user's X-ray source table into the :data:`xrbvo.core.schema.XRAY` schema.

    Columns are taken from ``columns`` (standard name -> the table's column; or the mapping
    :func:`apply_column_map` recorded in the table's meta), then found under the standard names
    (``xid``, ``ra``, ``dec``, ``pos_err``, ``flux_soft``...), the survey's native names (``IAUNAME``,
    ``RA``, ``POS_ERR``, ``ML_FLUX_1``...) and the names of common X-ray catalogues (:data:`ID_NAMES`,
    :data:`ERROR_NAMES`, :data:`FLUX_NAMES`: eRASS1 as released, at VizieR and HEASARC, 4XMM, CSC,
    Swift).  The survey's error model turns the native positional error into a 1-sigma per-coordinate
    error with its floor; another catalogue's error is converted by what it holds (a 90% radius, a
    radial 1-sigma error...).  A mapped ``pos_err`` column that xrbvo does not know is taken as a 1-sigma
    error per coordinate, in its unit (arcsec without one).

    Every column of ``table`` follows the standard ones unchanged (units, UCDs, descriptions; those
    without a description get ``from the input X-ray table: NAME``), renamed ``in_NAME`` when its name
    is one of xrbvo's own columns in any case (``RA`` -> ``in_RA``); ``in_row`` is each source's row in
    ``table`` (or the row the table already records, e.g. before the eRASS1 release's selection).

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
    columns : Mapping[str, str], optional
        Standard name -> the table's column (:func:`parse_column_map`), applied before any name is
        looked for.

    Returns
    -------
    astropy.table.Table
        The sources in the XRAY schema, in the input's order, followed by the input's own columns.

    Raises
    ------
    MissingColumnError
        If no position columns are found, or neither a positional error nor an X-ray flux (a survey
        catalogue given as the X-ray list is named).
    InputError
        If the table is the eRASS1 Hard catalogue (it goes with ``--hard``), a position cannot be read
        (:func:`xrbvo.core.positions.parse_angles`), is NaN or out of range, or identifiers are missing,
        duplicated or longer than :data:`MAX_ID_LENGTH` characters (checked
        before any other work); for a bad ``columns`` mapping.

    Warns
    -----
    XrbvoWarning
        If there is no identifier column (saying what identifiers were made), if the positional-error
        column is absent or some of its values are missing or not positive (those sources get the
        survey's default error), if there is no soft-band flux or it is in another band, or if no
        source has a hard-band flux (the hardness ratio ``hr`` is then missing).

    A ``hard_assoc`` column (:func:`xrbvo.io.read_release`) is carried as it is.
    """
    s = survey if isinstance(survey, Survey) else get_survey(survey)
    refuse_hard_as_main(table, source)
    if columns:
        table = apply_column_map(table, columns, source=source)
    cmap = _column_map(table)
    ra_c = cmap.get("ra") or _find(table, s.ra_column, *[p[0] for p in _POS_PAIRS])
    dec_c = cmap.get("dec") or _find(table, s.dec_column, *[p[1] for p in _POS_PAIRS])
    if ra_c is None or dec_c is None:
        raise MissingColumnError(
            f"{source}: no position columns found (looked for {s.ra_column}/{s.dec_column}, ra/dec, "
            f"RA_ICRS/DE_ICRS, RAJ2000/DEJ2000); add right ascension and declination (degrees or sexagesimal), "
            "or name them with --columns ra=COL,dec=COL"
        )
    id_c = cmap.get("xid") or _find(table, "xid", s.id_column, *ID_NAMES)
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
    err_c, to_sigma, err_meaning = _error_column(table, s, cmap)
    flux_c = {k: _flux_column(table, s, k, cmap) for k in ("flux_soft", "flux_soft_err", "flux_hard", "flux_hard_err")}
    if err_c is None and flux_c["flux_soft"][0] is None and flux_c["flux_hard"][0] is None:
        _refuse_not_xray(table, s, source)
    if id_c is None and len(table):
        looked = ", ".join(dict.fromkeys(("xid", s.id_column, *ID_NAMES)))
        warnings.warn(f"{source}: no identifier column (looked for {looked}): the sources are named {xid[0]} to "
                      f"{xid[-1]} in the input's row order (in_row); name yours with --columns xid=COL",
                      XrbvoWarning, stacklevel=2)
    model = s.error
    if sys_floor_arcsec is not None:
        model = replace(model, floor_arcsec=sys_floor_arcsec)
    if default_pos_err_arcsec is not None:
        model = replace(model, default_arcsec=default_pos_err_arcsec)
    native = _in_unit(table[err_c], "arcsec") if err_c else None
    default = f"the default 1-sigma error of {model.default_arcsec:g} arcsec (survey {s.name})"
    if native is None and default_pos_err_arcsec is None:
        looked = "pos_err/" + "/".join(dict.fromkeys([*(c for c in (s.error.column,) if c),
                                                      *(e.name for e in ERROR_NAMES)]))
        warnings.warn(f"{source}: no positional-error column (looked for {looked}); every source gets {default}, "
                      "which sets the counterpart search and association; add the column if you have it, or name "
                      "it with --columns pos_err=COL", XrbvoWarning, stacklevel=2)
    elif native is not None:
        n_bad = int(np.count_nonzero(~(np.isfinite(native) & (native > 0))))
        if n_bad:
            warnings.warn(f"{source}: {n_bad} row(s) have a missing or non-positive positional error in column "
                          f"{err_c!r}; they get {default}", XrbvoWarning, stacklevel=2)
    if native is not None and err_c == "pos_err" and "pos_err" not in cmap:  # xrbvo's own: taken as it is
        pos_err = np.where(np.isfinite(native) & (native > 0), native, model.default_arcsec)
    elif native is not None and err_meaning != "survey":
        native = native * to_sigma  # another catalogue's error (or a mapped 1-sigma one): no survey error model
        pos_err = np.where(np.isfinite(native) & (native > 0), np.sqrt(native**2 + model.floor_arcsec**2),
                           model.default_arcsec)
    else:
        pos_err = model.apply(native)
        pos_err = np.broadcast_to(pos_err, ra.shape).copy()
    out = Table({"xid": xid, "ra": ra, "dec": dec, "pos_err": pos_err})
    for std, (c, band) in flux_c.items():
        out[std] = _in_unit(table[c], "erg / (s cm2)") if c else np.full(len(table), np.nan)
        if std == "flux_soft" and c is None:
            native_name = s.columns.get(std)
            looked = "/".join(dict.fromkeys(["flux_soft", *([native_name] if native_name else []),
                                             *(f.name for f in FLUX_NAMES if f.key == std)]))
            warnings.warn(f"{source}: no soft-band flux column (looked for {looked}); the classifier loses its "
                          "X-ray-to-optical/IR flux ratios and luminosity and classifies from the counterparts "
                          "alone; name it with --columns flux_soft=COL", XrbvoWarning, stacklevel=2)
        elif std == "flux_soft" and band not in (None, _SOFT_BAND):
            warnings.warn(f"{source}: flux_soft is column {c!r}, a {band} keV flux, not eRASS1's {_SOFT_BAND} keV: "
                          "the X-ray-to-optical/IR flux ratios and luminosities are shifted by the band difference",
                          XrbvoWarning, stacklevel=2)
    if not np.isfinite(out["flux_hard"]).any():
        warnings.warn(f"{source}: no hard-band (2.3-5 keV) flux for any source (looked for flux_hard; for the eRASS1 "
                      "release give the Hard catalogue, `xrbvo run MAIN --hard HARD`); the hardness ratio hr "
                      "will be missing (NaN) for every source", XrbvoWarning, stacklevel=2)
    if "hard_assoc" in table.colnames:
        out["hard_assoc"] = np.asarray(table["hard_assoc"]).astype(str)
    out["epoch"] = np.full(len(table), s.epoch)
    out["in_row"] = (np.asarray(table["in_row"], dtype=np.int64) if "in_row" in table.colnames
                     else np.arange(len(table), dtype=np.int64))
    out.meta["xray_survey"] = s.name
    if COLMAP_KEY in table.meta:
        out.meta[COLMAP_KEY] = table.meta[COLMAP_KEY]
    apply_schema(out, XRAY)
    used = {"ra": ra_c, "dec": dec_c, "xid": id_c, "pos_err": err_c, **{k: c for k, (c, _) in flux_c.items()}}
    same = {c for k, c in used.items() if c == k and k != "pos_err"}  # read unchanged under its own name
    if err_c == "pos_err" and native is not None and np.array_equal(pos_err, native, equal_nan=True):
        same.add("pos_err")
    return carry_input_columns(out, table, skip=same | {"hard_assoc", "in_row"})


def carry_input_columns(out: Table, table: Table, skip: Iterable[str] = ()) -> Table:
    """Append every column of the input ``table`` to ``out`` (same rows), unchanged, after ``out``'s own.

    A name that is one of xrbvo's own columns in any case (:func:`xrbvo.core.schema.is_reserved`) gets the
    prefix ``in_`` (``RA`` -> ``in_RA``; repeated until free); each carried column is marked
    (:func:`xrbvo.core.schema.mark_input_column`), so the output schema keeps its own unit, UCD and
    description.

    Parameters
    ----------
    out : astropy.table.Table
        xrbvo's own columns (modified in place).
    table : astropy.table.Table
        The input table, with the same rows as ``out``.
    skip : Iterable[str], optional
        Input columns not carried (those already in ``out`` under their own name, such as a standard
        ``ra`` read as it is, or ``hard_assoc`` and ``in_row``, which xrbvo itself wrote).

    Returns
    -------
    astropy.table.Table
        ``out``, the input's columns appended.
    """
    taken = {c.lower() for c in out.colnames}
    skip = set(skip)
    for name in table.colnames:
        if name in skip:
            continue
        new = name
        while is_reserved(new) or new.lower() in taken:
            new = INPUT_PREFIX + new
        col = table[name].copy(copy_data=False)
        mark_input_column(col, name)
        out.add_column(col, name=new)
        taken.add(new.lower())
    return out


def _in_unit(col, unit: str) -> np.ndarray:
    """A column as floats in ``unit`` when it carries a unit convertible to it (as it is otherwise)."""
    vals = as_float(col)
    cu = getattr(col, "unit", None)
    if cu is None:
        return vals
    from astropy import units as u

    try:
        return vals * u.Unit(cu).to(u.Unit(unit))
    except (u.UnitConversionError, ValueError, TypeError):
        return vals


def _error_column(table: Table, s: Survey, cmap: Mapping[str, str]) -> tuple[str | None, float, str]:
    """The positional-error column, its factor to a 1-sigma error per coordinate, and ``survey`` when the
    survey's own error model applies (``other`` otherwise)."""
    known = {e.name.lower(): e for e in ERROR_NAMES}
    if "pos_err" in cmap:
        c = cmap["pos_err"]
        if s.error.column and c == s.error.column:
            return c, 1.0, "survey"
        e = known.get(c.lower())
        return c, (e.to_sigma if e is not None else 1.0), "other"
    c = _find(table, "pos_err")
    if c is not None:
        return c, 1.0, "other"
    if s.error.column:
        c = _find(table, s.error.column)
        if c is not None:
            return c, 1.0, "survey"
    for e in ERROR_NAMES:
        c = _find(table, e.name)
        if c is not None:
            return c, e.to_sigma, ("survey" if e.to_sigma == 1.0 and s.name == "erass1" else "other")
    return None, 1.0, "other"


def _flux_column(table: Table, s: Survey, key: str, cmap: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The column of ``key`` and its band (None: the survey's own, or unknown)."""
    if key in cmap:
        c = cmap[key]
        f = next((f for f in FLUX_NAMES if f.name.lower() == c.lower()), None)
        return c, (f.band if f is not None else None)
    c = _find(table, key, s.columns.get(key, key))
    if c is not None:
        return c, None
    for f in FLUX_NAMES:
        if f.key == key:
            c = _find(table, f.name)
            if c is not None:
                return c, f.band
    return None, None


def _refuse_not_xray(table: Table, s: Survey, source: str) -> None:
    """One error for a table with neither a positional error nor an X-ray flux, naming a survey catalogue."""
    guess, evidence = guess_survey(table.colnames)
    if guess is not None:
        other = SURVEYS[guess]
        shown = ", ".join(evidence[:3]) + (", ..." if len(evidence) > 3 else "")
        raise InputError(f"{source} is a {other.label} catalogue (has {shown}), not a list of X-ray sources: give "
                         f"it as --catalog {other.name}={source} and the X-ray sources as the input")
    raise MissingColumnError(f"{source}: neither a positional-error column (pos_err, {s.error.column or 'POS_ERR'}, "
                             "RADEC_ERR, Err90, ...) nor an X-ray flux column (flux_soft, "
                             f"{s.columns.get('flux_soft', 'ML_FLUX_1')}, Flux, ...): not an X-ray source list as "
                             "xrbvo reads one; name the columns with --columns pos_err=COL,flux_soft=COL")
