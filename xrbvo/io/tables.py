"""Reading and writing tables: FITS, VOTable, ECSV, CSV and Parquet.

Text is UTF-8 in every format, so source names such as ``'✓中文'`` survive a
round trip.  FITS headers and columns can hold only ASCII: a text column with
other characters is written to FITS as its UTF-8 bytes, and a FITS text column
whose bytes are valid UTF-8 (with some beyond ASCII) is decoded on reading.
Parquet is read and written with pyarrow directly (pandas is not needed);
units, descriptions and table metadata travel in the file's schema metadata in
astropy's own layout, and masked values are Parquet nulls.  Every file is
written atomically (see :mod:`xrbvo.io.outputs`).
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import numpy as np
from astropy.table import Column, MaskedColumn, Table

from xrbvo.core.errors import InputError
from xrbvo.core.positions import parse_angles
from xrbvo.io.fitsmeta import restore_column_keywords, with_column_keywords, with_header_text
from xrbvo.io.outputs import save_output
from xrbvo.io.votmeta import read_votable, write_votable

__all__ = ["read_table", "write_table", "FORMATS", "as_float", "as_degrees"]

#: File suffix -> astropy format name.
FORMATS = {
    ".fits": "fits", ".fit": "fits", ".fts": "fits", ".fits.gz": "fits",
    ".vot": "votable", ".votable": "votable", ".xml": "votable",
    ".ecsv": "ascii.ecsv", ".csv": "ascii.csv", ".txt": "ascii",
    ".parquet": "parquet", ".pq": "parquet",
}

_TEXT_ENCODING = "utf-8"


def _format_for(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


def read_table(path: str | Path, *, allow_empty: bool = False) -> Table:
    """Read a FITS, VOTable, ECSV, CSV or Parquet table.

    ``allow_empty``: a table with columns and no rows is returned (xrbvo's own
    intermediate files, e.g. a tile's counterparts when none of its sources has
    a neighbour); by default it is refused, as a user's input with no rows is.

    Parameters
    ----------
    path : str | Path
        The file.
    allow_empty : bool, optional
        Return a table with columns and no rows instead of refusing it.

    Returns
    -------
    astropy.table.Table
        The table, its columns' units, UCDs and descriptions restored.

    Raises
    ------
    InputError
        If the file is missing, empty or cannot be parsed; the message names the
        file and the formats understood.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; give the path of a FITS, VOTable, ECSV, CSV or Parquet table")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a table file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty")
    fmt = _format_for(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fmt == "parquet":
                t = _read_parquet(p)
            elif fmt is not None and fmt.startswith("ascii"):
                t = Table.read(p, format=fmt, encoding=_TEXT_ENCODING)
            elif fmt == "fits":
                with open(p, "rb") as fh:  # closed here even when astropy fails half-way through a damaged file
                    t = _decode_utf8_columns(Table.read(fh, format=fmt))
                restore_column_keywords(t)  # TUCDn/TCOMMn, as TOPCAT and Aladin read them
            elif fmt == "votable":
                t = read_votable(p)
            else:
                t = Table.read(p, format=fmt) if fmt else Table.read(p)
    except Exception as exc:  # the readers raise many kinds (and MemoryError, RecursionError): all mean "unreadable"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            f"{p}: cannot read it as a {fmt or 'table'} ({first[:200]}); "
            "give a FITS, VOTable, ECSV, CSV or Parquet file with one row per source"
        ) from None
    if not isinstance(t, Table):
        raise InputError(f"{p}: holds no table; give a FITS, VOTable, ECSV, CSV or Parquet file with one row per source")
    if len(t) == 0 and not allow_empty:
        raise InputError(f"{p}: the table has no rows")
    return t


def write_table(table: Table, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write ``table`` in the format its suffix names (see :data:`FORMATS`), atomically.

    Returns the path written: under :func:`~xrbvo.io.outputs.rescue_outputs`,
    a failed write (full disk, lost mount) goes to the rescue directory instead.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    path : str | Path
        The file.
    overwrite : bool, optional
        Replace an existing file; otherwise an existing file is an error.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        For an unknown suffix, an existing file when ``overwrite`` is false, or
        a failed write (outside :func:`~xrbvo.io.outputs.rescue_outputs`).
    """
    p = Path(path)
    fmt = _format_for(p)
    if fmt is None:
        raise InputError(f"{p}: unknown output format; use one of {', '.join(sorted(FORMATS))}")
    if not overwrite and p.exists():
        raise InputError(f"{p}: exists already; remove it or choose another path")

    def write(target: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fmt == "parquet":
                _write_parquet(table, target)
            elif fmt == "fits":
                fixed = _encode_utf8_columns(_fixed_width_text(table))
                with_header_text(with_column_keywords(fixed)).write(target, format=fmt, overwrite=True)
            elif fmt.startswith("ascii"):
                text = io.StringIO()
                table.write(text, format=fmt)
                target.write_bytes(text.getvalue().encode(_TEXT_ENCODING))
            elif fmt == "votable":
                write_votable(table, target)  # how the output was made goes into INFO elements
            else:
                table.write(target, format=fmt, overwrite=True)

    return save_output(p, write)


# -- text beyond ASCII in FITS -------------------------------------------------------------

def _fixed_width_text(table: Table) -> Table:
    """A shallow copy of ``table`` whose text columns of Python objects (a VOTable's ``char`` with
    ``arraysize="*"``, as TAP services send them) are fixed-width text: FITS has no variable-length text."""
    out = None
    for name in table.colnames:
        col = table[name]
        if getattr(col, "dtype", None) is None or col.dtype.kind != "O" or col.ndim != 1:
            continue
        mask = np.asarray(getattr(col, "mask", np.zeros(len(col), bool)), bool) | np.array(
            [v is None for v in np.asarray(col.data if isinstance(col, MaskedColumn) else col)], bool)
        values = np.asarray(col.data if isinstance(col, MaskedColumn) else col)
        good = [v for v, m in zip(values.tolist(), mask.tolist()) if not m]
        if not all(isinstance(v, (str, bytes)) for v in good):
            continue  # not text (arrays of numbers per row): left to the writer
        text = [("" if m else (v.decode(_TEXT_ENCODING, "replace") if isinstance(v, bytes) else v))
                for v, m in zip(values.tolist(), mask.tolist())]
        data = np.array(text, dtype=f"U{max([1, *map(len, text)])}")
        if out is None:
            out = table.copy(copy_data=False)
        cls = MaskedColumn if mask.any() else Column
        kw = {"mask": mask} if mask.any() else {}
        out.replace_column(name, cls(data, name=name, unit=col.unit, description=col.description,
                                     meta=col.meta, **kw))
    return table if out is None else out


def _encode_utf8_columns(table: Table) -> Table:
    """A shallow copy of ``table`` whose non-ASCII text columns are UTF-8 bytes (FITS holds only ASCII)."""
    out = None
    for name in table.colnames:
        col = table[name]
        if getattr(col, "dtype", None) is None or col.dtype.kind != "U":
            continue
        data = np.asarray(col.filled("") if isinstance(col, MaskedColumn) else col)
        if all(s.isascii() for s in data.ravel().tolist()):
            continue
        encoded = np.char.encode(data, _TEXT_ENCODING)
        if out is None:
            out = table.copy(copy_data=False)
        cls = MaskedColumn if isinstance(col, MaskedColumn) else Column
        kw = {"mask": col.mask} if isinstance(col, MaskedColumn) else {}
        out.replace_column(name, cls(encoded, name=name, unit=col.unit, description=col.description,
                                     format=col.format, meta=col.meta, **kw))
    return table if out is None else out


def _decode_utf8_columns(table: Table) -> Table:
    """Turn FITS text columns whose bytes are UTF-8 beyond ASCII back into text (see :func:`_encode_utf8_columns`)."""
    for name in table.colnames:
        col = table[name]
        if getattr(col, "dtype", None) is None or col.dtype.kind != "S":
            continue
        raw = np.asarray(col.data.data if isinstance(col, MaskedColumn) else col)
        if all(b.isascii() for b in raw.ravel().tolist()):
            continue
        try:
            decoded = np.char.decode(raw, _TEXT_ENCODING)
        except UnicodeDecodeError:
            continue  # another encoding: keep the bytes as they are
        cls = MaskedColumn if isinstance(col, MaskedColumn) else Column
        kw = {"mask": col.mask} if isinstance(col, MaskedColumn) else {}
        table.replace_column(name, cls(decoded, name=name, unit=col.unit, description=col.description,
                                       format=col.format, meta=col.meta, **kw))
    return table


# -- Parquet through pyarrow, without pandas --------------------------------------------------

def _write_parquet(table: Table, target: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from astropy.table import meta, serialize
    from astropy.utils.data_info import serialize_context_as

    # mixins (Time, SkyCoord...) become plain columns as astropy itself writes them; masks become nulls
    with serialize_context_as("parquet"):
        plain = serialize.represent_mixins_as_columns(table, exclude_classes=(MaskedColumn,))
    arrays, names = [], []
    for name in plain.colnames:
        col = plain[name]
        mask = np.asarray(col.mask) if isinstance(col, MaskedColumn) else None
        data = np.asarray(col.data.data if isinstance(col, MaskedColumn) else col)
        if data.dtype.byteorder == ">" or (data.dtype.byteorder == "=" and not np.little_endian):
            data = data.astype(data.dtype.newbyteorder("<"))
        if data.ndim == 1:
            arr = pa.array(data, mask=mask if mask is not None and mask.any() else None)
        else:  # a fixed-size array per row
            flat = pa.array(data.reshape(len(data), -1).ravel())
            arr = pa.FixedSizeListArray.from_arrays(flat, int(np.prod(data.shape[1:])))
            if mask is not None and mask.any():
                row_mask = mask.reshape(len(data), -1).all(axis=1)
                arr = pa.array(arr.to_pylist(), type=arr.type, mask=row_mask)
        arrays.append(arr)
        names.append(name)
    metadata = {b"table_meta_yaml": "\n".join(meta.get_yaml_from_table(plain)).encode(_TEXT_ENCODING)}
    pq.write_table(pa.Table.from_arrays(arrays, names=names, metadata=metadata), target)


def _read_parquet(path: Path) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from astropy.table import meta, serialize

    pa_table = pq.read_table(path)
    table = Table()
    for name, chunked in zip(pa_table.column_names, pa_table.columns):
        typ = chunked.type
        if pa.types.is_dictionary(typ):
            chunked = chunked.cast(typ.value_type)
            typ = chunked.type
        nulls = chunked.is_null().to_numpy(zero_copy_only=False) if chunked.null_count else None
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            data = np.array(chunked.fill_null("").to_pylist(), dtype=str)
        elif pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
            data = np.array(chunked.fill_null(b"").to_pylist(), dtype=bytes)
        elif pa.types.is_fixed_size_list(typ) and len(chunked):
            flat = chunked.combine_chunks().flatten().to_numpy(zero_copy_only=False)
            data = flat.reshape(len(chunked), typ.list_size)
        elif nulls is not None and (pa.types.is_integer(typ) or pa.types.is_boolean(typ)):
            data = chunked.fill_null(0 if pa.types.is_integer(typ) else False).to_numpy()
        else:
            data = chunked.to_numpy()
        if nulls is not None and nulls.any() and data.ndim == 1:
            table[name] = MaskedColumn(data, mask=nulls)
        else:
            table[name] = data
    md = pa_table.schema.metadata or {}
    yaml = md.get(b"table_meta_yaml")
    if yaml is not None:
        header = meta.get_header_from_yaml(yaml.decode(_TEXT_ENCODING).split("\n"))
        table.meta.update(header.get("meta", {}))
        for info in header.get("datatype", []):
            if info.get("name") in table.colnames:
                col = table[info["name"]]
                for attr in ("unit", "description", "format", "meta"):
                    if attr in info:
                        setattr(col, attr, info[attr])
        if "__serialized_columns__" in table.meta:  # mixins written by astropy or by us: rebuild them
            table = serialize._construct_mixins_from_columns(table)
    return table


# -- numbers -----------------------------------------------------------------------------------

def as_float(col) -> np.ndarray:
    """A column as a float array with masked or empty values as NaN.

    Parameters
    ----------
    col : astropy.table.Column or array
        The column.

    Returns
    -------
    numpy.ndarray
        A column as a float array with masked or empty values as NaN.
    """
    if isinstance(col, MaskedColumn):
        data = col.filled(np.nan) if col.dtype.kind == "f" else col
        if col.dtype.kind != "f":
            arr = np.array([np.nan if m else _tofloat(v) for v, m in zip(col.data, col.mask)], dtype=float)
            return arr
        return np.asarray(data, dtype=float)
    arr = np.asarray(col)
    if arr.dtype.kind in "fiu":
        return arr.astype(float)
    if arr.dtype.kind == "b":
        return arr.astype(float)
    return np.array([_tofloat(v) for v in arr], dtype=float)


def _tofloat(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _values(col) -> tuple[list, list[bool]]:
    """A column's values as Python objects (bytes decoded as UTF-8) and its mask."""
    mask = np.ma.getmaskarray(col) if isinstance(col, MaskedColumn) else np.zeros(len(col), bool)
    vals = col.data.data if isinstance(col, MaskedColumn) else np.asarray(col)
    return ([v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in vals.tolist()], mask.tolist())


def as_degrees(ra_col, dec_col, *, source: str = "table", names: tuple[str, str] = ("RA", "Dec")
               ) -> tuple[np.ndarray, np.ndarray]:
    """RA and Dec in degrees from numbers (degrees) or text, by the one position parser.

    Each value is read alone (:func:`xrbvo.core.positions.parse_angles`): a decimal number, as
    number or text, is in degrees; sexagesimal RA is in hours (``12 34 56.7``, ``12:34:56.7``,
    ``12h34m56.7s``), Dec in degrees (``-61 23 45``, ``-61d23m45s``); minutes and seconds are below
    60, a text RA lies in [0, 24) h or [0, 360) deg and a text Dec in [-90, 90] deg.  Masked, empty
    or ``nan`` values become NaN (the caller decides what a missing position means).

    Parameters
    ----------
    ra_col : astropy.table.Column or array
        Right ascension: degrees, or text in decimal degrees or sexagesimal hours.
    dec_col : astropy.table.Column or array
        Declination: degrees, or text in decimal or sexagesimal degrees.
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.
    names : tuple[str, str], optional
        How the two columns are named in messages.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        RA and Dec, degrees.

    Raises
    ------
    InputError
        Naming ``source``, the row (counted from 0), the column and the value of the first
        position that cannot be read, and why.
    """
    out = []
    for col, kind, name in ((ra_col, "ra", names[0]), (dec_col, "dec", names[1])):
        if getattr(col, "ndim", 1) != 1:
            raise InputError(f"{source}: the position column {name!r} holds several values per row; give one "
                             "RA and one Dec per source")
        if np.asarray(col).dtype.kind in "fiub":
            out.append(as_float(col))
        else:
            vals, mask = _values(col)
            out.append(parse_angles(vals, kind, source=source, column=name, mask=mask))
    return out[0], out[1]
