"""Reading and writing tables: FITS, VOTable, ECSV, CSV and Parquet (every file written atomically)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
from astropy.table import MaskedColumn, Table

from xrbvo.core.errors import InputError
from xrbvo.io.outputs import save_output

__all__ = ["read_table", "write_table", "FORMATS", "as_float"]

#: File suffix -> astropy format name.
FORMATS = {
    ".fits": "fits", ".fit": "fits", ".fts": "fits", ".fits.gz": "fits",
    ".vot": "votable", ".votable": "votable", ".xml": "votable",
    ".ecsv": "ascii.ecsv", ".csv": "ascii.csv", ".txt": "ascii",
    ".parquet": "parquet", ".pq": "parquet",
}


def _format_for(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


def read_table(path: str | Path) -> Table:
    """Read a FITS, VOTable, ECSV, CSV or Parquet table.

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
            t = Table.read(p, format=fmt) if fmt else Table.read(p)
    except Exception as exc:  # astropy raises many kinds; all mean "unreadable"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            f"{p}: cannot read it as a {fmt or 'table'} ({first}); "
            "give a FITS, VOTable, ECSV, CSV or Parquet file with one row per source"
        ) from None
    if len(t) == 0:
        raise InputError(f"{p}: the table has no rows")
    return t


def write_table(table: Table, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write ``table`` in the format its suffix names (see :data:`FORMATS`), atomically.

    Returns the path written: under :func:`~xrbvo.io.outputs.rescue_outputs`,
    a failed write (full disk, lost mount) goes to the rescue directory instead.

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
            table.write(target, format=fmt, overwrite=True)

    return save_output(p, write)


# -- numbers -----------------------------------------------------------------------------------

def as_float(col) -> np.ndarray:
    """A column as a float array with masked or empty values as NaN."""
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
