"""Catalogues of known objects (known X-ray binaries, CVs, ...): one reader for every part of xrbvo.

:func:`read_known` turns a table of known objects into the standard form that
the cross-match (:mod:`xrbvo.stages.known`) and the terminal UI use:

=============== ========= ====================================================================
column          unit      content
=============== ========= ====================================================================
``name``                  the object's name in the catalogue
``ra``, ``dec`` deg       ICRS position (decimal degrees or sexagesimal text in the file)
``pos_err``     arcsec    the catalogue's positional error (NaN when it gives none)
``known_class``           an xrbvo class (:data:`xrbvo.core.schema.CLASSES`) or ``""``
``known_type``            the catalogue's own type (``Be``, ``sg``, ``confirmed``, ``DN``, ...)
=============== ========= ====================================================================

Known layouts (:data:`LAYOUTS`) are recognised by their columns: the HMXB
catalogues of Fortin et al. (2023) and Neumann et al. (2023), the LMXB
catalogue of Fortin et al. (2024) and the Open CV Catalog (Jackim et al. 2020).
Their class is the catalogue's (HMXB, LMXB, CV); their own type column becomes
``known_type``.  Any other table needs RA/Dec columns (names such as ``ra``,
``RAJ2000``, ``RA_ICRS``, ``R.A.``) and may have a name and a class or type
column; class names and SIMBAD object types that mean one of xrbvo's classes
(:data:`CLASS_ALIASES`) are mapped, others leave ``known_class`` empty.  A
``cls`` argument (``--known-class``) sets the class of every row.

Rows with an empty position are dropped and counted in ``meta["NDROPPED"]``;
a position that is given but cannot be read is an error naming its row.

>>> from astropy.table import Table
>>> t = read_known(Table({"Name": ["X-1"], "RA": ["17:45:40.0"], "DEC": ["-29:00:28"], "Type": ["LXB"]}))
>>> round(float(t["ra"][0]), 4), str(t["known_class"][0])
(266.4167, 'LMXB')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import MaskedColumn, Table

from xrbvo.core.errors import InputError, MissingColumnError
from xrbvo.core.positions import parse_angles
from xrbvo.core.schema import CLASSES
from xrbvo.io.tables import read_table

__all__ = ["KnownLayout", "LAYOUTS", "CLASS_ALIASES", "KNOWN_COLUMNS", "MAX_KNOWN_ROWS", "read_known",
           "detect_layout", "parse_longitude", "parse_latitude", "too_many_rows"]

#: Most rows a catalogue of known objects may have (catalogues of known X-ray binaries, CVs or pulsars hold
#: hundreds to tens of thousands; a larger table is a survey, and would cost about 1 GB per million rows).
MAX_KNOWN_ROWS = 500_000

#: The columns of a standard known-objects table, in order.
KNOWN_COLUMNS = ("name", "ra", "dec", "pos_err", "known_class", "known_type")


@dataclass(frozen=True)
class KnownLayout:
    """How to read one published catalogue of known objects.

    Parameters
    ----------
    name : str
        Short name, recorded in the table's meta as ``KNOWNCAT``.
    signature : tuple[str, ...]
        Columns that together identify the layout (all must be present).
    name_column : str
        Column holding the object's name.
    ra_column : str
        Column holding the right ascension.
    dec_column : str
        Column holding the declination.
    known_class : str
        The xrbvo class of every row.
    type_column : str, optional
        The catalogue's own type or status column (kept as ``known_type``).
    pos_err_column : str, optional
        Column holding the position error; None: the layout's default error.
    pos_err_unit : str, optional
        Unit of ``pos_err_column`` (converted to arcsec).
    """

    name: str
    """Short name, recorded in the table's meta as ``KNOWNCAT``."""
    signature: tuple[str, ...]
    """Columns that together identify the layout (all must be present)."""
    name_column: str
    ra_column: str
    dec_column: str
    known_class: str
    """The xrbvo class of every row."""
    type_column: str | None = None
    """The catalogue's own type or status column (kept as ``known_type``)."""
    pos_err_column: str | None = None
    pos_err_unit: str = "arcsec"
    """Unit of ``pos_err_column`` (converted to arcsec)."""


#: The shared catalogues (../shared/data/catalogs), recognised by their columns.
LAYOUTS: tuple[KnownLayout, ...] = (
    KnownLayout("fortin2024-lmxb", ("Main_ID", "RAdeg", "DEdeg", "Status", "Bursts"), "Main_ID", "RAdeg", "DEdeg",
                "LMXB", "Status", "PosErr", "deg"),
    KnownLayout("fortin2023-hmxb", ("Main_ID", "RAdeg", "DEdeg", "Spectype", "Class"), "Main_ID", "RAdeg", "DEdeg",
                "HMXB", "Class", "PosErr", "deg"),
    KnownLayout("neumann2023-hmxb", ("Name", "RAdeg", "DEdeg", "Xray_Type"), "Name", "RAdeg", "DEdeg", "HMXB",
                "Xray_Type", "PosErr", "arcsec"),
    KnownLayout("open-cv-catalog", ("Name", "R.A.", "Dec.", "Type"), "Name", "R.A.", "Dec.", "CV", "Type"),
)

#: Class names and SIMBAD object types (lower case) that mean one of xrbvo's classes.
CLASS_ALIASES: dict[str, str] = {
    **{c.lower(): c for c in CLASSES},
    "hxb": "HMXB", "highmassxbin": "HMXB", "high-mass x-ray binary": "HMXB", "be x-ray binary": "HMXB",
    "lxb": "LMXB", "lowmassxbin": "LMXB", "low-mass x-ray binary": "LMXB",
    "cataclyv*": "CV", "catalyv*": "CV", "cataclyv": "CV", "cv*": "CV", "no*": "CV", "dn*": "CV",
    "wr*": "WR", "wolfrayet*": "WR", "psr": "NS", "pulsar": "NS", "magnetar": "NS",
    "qso": "AGN", "seyfert": "AGN", "sy1": "AGN", "sy2": "AGN", "blazar": "AGN", "bla": "AGN",
    "yso": "YSO", "tt*": "YSO", "orion_v*": "YSO", "ae*": "YSO",
}

_RA_NAMES = ("ra", "radeg", "ra_deg", "raj2000", "_raj2000", "ra_icrs", "ra_d", "r.a.", "ra2000")
_DEC_NAMES = ("dec", "dedeg", "dec_deg", "dej2000", "_dej2000", "decj2000", "de_icrs", "dec_d", "dec.", "de2000")
_NAME_NAMES = ("name", "main_id", "iauname", "designation", "id", "source", "object", "src_name", "simbad",
               "identifier")
_CLASS_NAMES = ("known_class", "class", "otype", "main_type", "cls", "type")
_ERR_NAMES = (("pos_err", "arcsec"), ("poserr", "arcsec"), ("e_pos", "arcsec"))


def _text(col) -> np.ndarray:
    """A column as stripped text; masked (empty) cells as "" whatever the column's type (an all-empty
    column is read as masked integers)."""
    mask = np.ma.getmaskarray(col) if isinstance(col, MaskedColumn) else None
    arr = np.asarray(col.data if isinstance(col, MaskedColumn) else col)
    if arr.dtype.kind == "S":
        arr = np.char.decode(arr, "utf-8", "replace")
    out = np.char.strip(arr.astype(str))
    if mask is not None and mask.any():
        out = out.astype(object)
        out[mask] = ""
        out = out.astype(str)
    return out


def _parse(col, unit: str, what: str, source: str, first_row: int = 0) -> np.ndarray:
    """Degrees from a column of numbers (degrees) or text, by the one position parser; NaN where empty.

    Text is read by :func:`xrbvo.core.positions.parse_angles` (decimal degrees; sexagesimal RA in
    hours, Dec in degrees); a comma-separated list of sexagesimal alternatives (the Open CV Catalog's)
    gives its first.  Rows are counted from 1 in messages.
    """
    if col.dtype.kind in "fiu":
        return np.asarray(col.astype(float).filled(np.nan) if isinstance(col, MaskedColumn) else col, float)
    mask = np.ma.getmaskarray(col) if isinstance(col, MaskedColumn) else None
    vals = (col.data.data if isinstance(col, MaskedColumn) else np.asarray(col)).tolist()
    return parse_angles(vals, "ra" if unit == "hourangle" else "dec", source=source, column=what, mask=mask,
                        first_row=1 + first_row, alternatives=True)


def parse_longitude(col, *, source: str = "table") -> np.ndarray:
    """RA in degrees from numbers (degrees) or text (degrees, or sexagesimal hours: ``17:45:40.0``).

    Parameters
    ----------
    col : astropy.table.Column or array
        The right-ascension column.
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.

    Returns
    -------
    numpy.ndarray
        Right ascension, degrees (NaN where unreadable).
    """
    return _parse(col, "hourangle", "RA", source)


def parse_latitude(col, *, source: str = "table") -> np.ndarray:
    """Dec in degrees from numbers or text (degrees, or sexagesimal degrees: ``-29:00:28``).

    Parameters
    ----------
    col : astropy.table.Column or array
        The declination column.
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.

    Returns
    -------
    numpy.ndarray
        Declination, degrees (NaN where unreadable).
    """
    return _parse(col, "deg", "Dec", source)


def too_many_rows(what: str, n: int | None, max_rows: int = MAX_KNOWN_ROWS) -> str:
    """The one line refusing a known-objects table of more than ``max_rows`` rows.

    Parameters
    ----------
    what : str
        How the table is named.
    n : int or None
        Its rows (None: not counted, e.g. a service truncated it).
    max_rows : int
        The cap.

    Returns
    -------
    str
        The message.
    """
    count = f"{n} rows, more" if n is not None else "more rows"
    return (f"{what}: {count} than the {max_rows} a catalogue of known objects may have; give the known objects "
            "of your field or classes (select them into a file first), not a survey")


def detect_layout(table: Table) -> KnownLayout | None:
    """The published layout whose signature columns ``table`` has, or None.

    Parameters
    ----------
    table : astropy.table.Table
        The table.

    Returns
    -------
    KnownLayout | None
        The published layout whose signature columns ``table`` has, or None.
    """
    cols = set(table.colnames)
    for lay in LAYOUTS:
        if all(c in cols for c in lay.signature):
            return lay
    return None


def _pick(table: Table, names) -> str | None:
    cols = {c.lower(): c for c in table.colnames}
    for n in names:
        if n in cols:
            return cols[n]
    return None


def _class_of(values: np.ndarray) -> np.ndarray:
    return np.array([CLASS_ALIASES.get(v.lower(), "") for v in values], dtype="<U8")


def read_known(source: str | Path | Table, *, cls: str | None = None, label: str | None = None,
               max_rows: int = MAX_KNOWN_ROWS) -> Table:
    """Read a catalogue of known objects into the standard columns (:data:`KNOWN_COLUMNS`).

    Parameters
    ----------
    source : path or Table
        A table file (FITS, VOTable, ECSV, CSV, Parquet) or a Table.
    cls : str, optional
        The xrbvo class of every row (``--known-class``), overriding the
        layout's or the class column's.
    label : str, optional
        How messages and the outputs name the catalogue (default: the file
        name, or ``table``).
    max_rows : int
        Most rows accepted (:data:`MAX_KNOWN_ROWS`); a larger table is an error.

    Returns
    -------
    Table
        One row per object with a position; ``meta`` holds ``KNOWNCAT`` (the
        layout or ``generic``), ``SOURCE``, ``NDROPPED`` (rows without a
        position) and ``NBADERR`` (rows whose positional error is NaN, zero or
        negative: matched as if the catalogue gave none).

    Raises
    ------
    InputError
        For an unreadable file, no RA/Dec columns (a :class:`MissingColumnError`),
        an unreadable or out-of-range position, an unknown ``cls``, or more
        than ``max_rows`` rows.
    """
    if isinstance(source, Table):
        table, name = source, label or "table"
    else:
        table, name = read_table(source), label or Path(source).name
    what = f"known-objects catalogue {name}"
    if len(table) > max_rows:
        raise InputError(too_many_rows(what, len(table), max_rows))
    if cls is not None:
        key = CLASS_ALIASES.get(str(cls).strip().lower())
        if key is None:
            raise InputError(f"--known-class {cls!r}: not a class; classes are {', '.join(CLASSES)}")
        cls = key
    standard = all(c in table.colnames for c in KNOWN_COLUMNS)  # read already (e.g. several --known stacked)
    lay = None if standard else detect_layout(table)
    class_c = None  # a column of classes apart from the type column (the standard columns' known_class)
    if standard:
        ra_c, dec_c, name_c, type_c, class_c = "ra", "dec", "name", "known_type", "known_class"
        err_c, err_unit = "pos_err", "arcsec"
    elif lay is not None:
        ra_c, dec_c, name_c, type_c = lay.ra_column, lay.dec_column, lay.name_column, lay.type_column
        err_c, err_unit = lay.pos_err_column, lay.pos_err_unit
    else:
        ra_c, dec_c = _pick(table, _RA_NAMES), _pick(table, _DEC_NAMES)
        name_c, type_c = _pick(table, _NAME_NAMES), _pick(table, _CLASS_NAMES)
        err = [(c, unit) for c, unit in _ERR_NAMES if _pick(table, (c,))]
        err_c, err_unit = (_pick(table, (err[0][0],)), err[0][1]) if err else (None, "arcsec")
    if ra_c is None or dec_c is None:
        raise MissingColumnError(f"{what}: no RA/Dec columns (found {', '.join(table.colnames[:12])}"
                                 f"{', ...' if len(table.colnames) > 12 else ''}); name them ra and dec "
                                 "(degrees or sexagesimal)")
    ra = _parse(table[ra_c], "hourangle", "RA", what)
    dec = _parse(table[dec_c], "deg", "Dec", what)
    n = len(table)
    names = _text(table[name_c]) if name_c else np.array([f"{name}:{i + 1}" for i in range(n)], dtype=str)
    types = _text(table[type_c]) if type_c else np.full(n, "")
    if cls is not None:
        classes = np.full(n, cls, dtype="<U8")
    elif lay is not None:
        classes = np.full(n, lay.known_class, dtype="<U8")
    elif class_c is not None:
        classes = _class_of(_text(table[class_c]))
    else:
        classes = _class_of(types)
    pos_err = np.full(n, np.nan)
    if err_c is not None and err_c in table.colnames:  # a layout's error column may be missing
        col = table[err_c]
        if col.dtype.kind in "fiu":
            pos_err = np.asarray(col.astype(float).filled(np.nan) if isinstance(col, MaskedColumn) else col, float)
            pos_err = pos_err * u.Unit(err_unit).to(u.arcsec)
    err_given = err_c is not None and err_c in table.colnames and not standard
    keep = np.isfinite(ra) & np.isfinite(dec)
    n_bad_err = int(np.sum(keep & ~(np.isfinite(pos_err) & (pos_err > 0)))) if err_given else 0
    bad = keep & ((ra < 0) | (ra >= 360) | (dec < -90) | (dec > 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{what}: row {i + 1}: position RA={ra[i]:g}, Dec={dec[i]:g} deg is out of range; "
                         "RA must lie in [0, 360) and Dec in [-90, 90] degrees")
    out = Table()
    out["name"] = names[keep]
    out["ra"] = ra[keep]
    out["dec"] = dec[keep]
    out["pos_err"] = np.where(np.isfinite(pos_err[keep]) & (pos_err[keep] > 0), pos_err[keep], np.nan)
    out["known_class"] = classes[keep]
    out["known_type"] = types[keep]
    out["ra"].unit = out["dec"].unit = u.deg
    out["pos_err"].unit = u.arcsec
    if standard:  # as its first reading recorded it
        out.meta.update({"KNOWNCAT": table.meta.get("KNOWNCAT", "standard"), "SOURCE": table.meta.get("SOURCE", name),
                         "NDROPPED": int(table.meta.get("NDROPPED", 0)) + int(n - keep.sum()),
                         "NBADERR": int(table.meta.get("NBADERR", 0))})
    else:
        out.meta.update({"KNOWNCAT": lay.name if lay is not None else "generic", "SOURCE": name,
                         "NDROPPED": int(n - keep.sum()), "NBADERR": n_bad_err})
    return out
