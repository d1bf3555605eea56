"""UCDs and descriptions of FITS table columns as ``TUCDn`` and ``TCOMMn`` header keywords.

FITS has standard keywords for a column's name, format and unit only.  astropy
keeps a column's description and UCD in a YAML block of COMMENT cards that
only astropy reads; TOPCAT and Aladin (STIL) read the HEASARC conventions
``TUCDn`` (UCD) and ``TCOMMn`` (description) instead.  :func:`with_column_keywords`
gives a table to write that carries them as table meta (astropy writes table
meta as header keywords); :func:`restore_column_keywords` turns them back into
column metadata after reading, where astropy left them in the table meta.
"""

from __future__ import annotations

import re

from astropy.table import Table

from xrbvo.core.text import for_fits_header

__all__ = ["with_column_keywords", "restore_column_keywords", "with_header_text", "ESCAPED_KEY"]

#: The keyword (FITS) or INFO name (VOTable) saying that some text of the file was written with escapes.
ESCAPED_KEY = "TEXTESC"

_KEYWORD = re.compile(r"(TUCD|TCOMM)([1-9][0-9]{0,2})")


def _ascii(text: str) -> str:
    return str(text).encode("ascii", "replace").decode("ascii")


def with_column_keywords(table: Table) -> Table:
    """``table`` with ``TUCDn``/``TCOMMn`` for its columns in a copy of its meta (data shared, not copied).

    Tables with mixin columns (written as several FITS columns) are returned unchanged.

    Parameters
    ----------
    table : astropy.table.Table
        The table.

    Returns
    -------
    astropy.table.Table
        A table sharing the data, its meta with the keywords.
    """
    if table.has_mixin_columns:
        return table
    meta = {k: v for k, v in table.meta.items() if not _KEYWORD.fullmatch(str(k).upper())}
    for i, name in enumerate(table.colnames, start=1):
        info = table[name].info
        ucd = (info.meta or {}).get("ucd")
        if ucd:
            meta[f"TUCD{i}"] = _ascii(ucd)
        if info.description:
            meta[f"TCOMM{i}"] = _ascii(info.description)
    out = Table(table, copy=False)
    out.meta = meta
    return out


def _header_value(v):
    """``v`` as a header can hold it, or ``v`` itself (the same object) when it needs no change."""
    if isinstance(v, str):
        s = for_fits_header(v)
        return v if s == v else s
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, str) for x in v):
        s = type(v)(for_fits_header(x) for x in v)
        return v if s == v else s
    return v


def with_header_text(table: Table) -> Table:
    """``table`` with its text meta values as printable ASCII, so that every one reaches the FITS header.

    FITS header values hold printable ASCII only, and astropy drops a value
    holding anything else (a non-ASCII ``--hard`` file name, an input path with
    an ESC).  Such values are written with visible escapes instead
    (:func:`xrbvo.core.text.for_fits_header`: ``é`` as ``\\xe9``, ESC as
    ``\\x1b``), and the keyword :data:`ESCAPED_KEY` says so.  A table needing
    none is returned as it is; otherwise a shallow copy (data shared).

    Parameters
    ----------
    table : astropy.table.Table
        The table about to be written as FITS.

    Returns
    -------
    astropy.table.Table
        ``table`` itself, or a shallow copy whose ``meta`` text values are
        escaped and hold :data:`ESCAPED_KEY`.
    """
    meta = {k: _header_value(v) for k, v in table.meta.items()}
    changed = [k for k in meta if meta[k] is not table.meta[k]]
    if not changed:
        return table
    meta[ESCAPED_KEY] = ("non-ASCII or control characters in " + ", ".join(map(str, changed))[:40]
                         + " written as \\x/\\u escapes")
    out = Table(table, copy=False)
    out.meta = meta
    return out


def restore_column_keywords(table: Table) -> Table:
    """Move ``TUCDn``/``TCOMMn`` from the meta of a table read from FITS to its columns.

    A UCD or description the column already has (from astropy's own YAML block) is kept.
    The table is modified in place and returned.

    Parameters
    ----------
    table : astropy.table.Table
        The table.

    Returns
    -------
    astropy.table.Table
        ``table``, its columns described in place.
    """
    for key in [k for k in table.meta if _KEYWORD.fullmatch(str(k).upper())]:
        value = table.meta.pop(key)
        if table.has_mixin_columns:  # FITS column n is no longer table column n
            continue
        kind, index = _KEYWORD.fullmatch(str(key).upper()).groups()
        i = int(index) - 1
        if i >= len(table.colnames):
            continue
        info = table[table.colnames[i]].info
        if kind == "TUCD":
            if info.meta is None:
                info.meta = {}
            info.meta.setdefault("ucd", str(value))
        elif not info.description:
            info.description = str(value)
    return table
