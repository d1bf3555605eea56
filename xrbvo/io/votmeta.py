"""Table metadata (how an output was made) as VOTable INFO elements, and back.

astropy writes a table's columns to VOTable with their units, UCDs and
descriptions, but drops the table's own ``meta``; xrbvo's outputs keep there
how they were made (model, priors, cuts, policy), so they are written as
``INFO`` elements of the table's RESOURCE and read back into ``meta``.

XML 1.0 forbids most control characters, which an id from a Parquet file or a
file name may hold: :func:`xml_safe` writes them as visible escapes
(:func:`xrbvo.core.text.for_xml`) in text cells, column names and descriptions
and INFO values, so that every VOTable xrbvo writes is well-formed, and an
INFO element (:data:`~xrbvo.io.fitsmeta.ESCAPED_KEY`) says so.

Every VOTable xrbvo writes (files, SAMP pushes) is serialised by :func:`votable_to_xml`, which
keeps clear of astropy's C TABLEDATA writer: up to at least astropy 8.0.2 it writes one byte past
its row buffer when a row's XML is exactly a power of two (256, 512, ... bytes) long
(astropy issue #20419), which corrupts the heap and crashes the process later, somewhere else.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from astropy.table import Column, MaskedColumn, Table

from xrbvo.core.text import for_xml
from xrbvo.io.fitsmeta import ESCAPED_KEY

__all__ = ["write_votable", "read_votable", "xml_safe", "votable_to_xml"]

#: What XML 1.0 forbids (as in :mod:`xrbvo.core.text`), to find the columns that need escapes.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(v) -> str:
    if isinstance(v, bool):
        return "T" if v else "F"
    return str(v)


def _escaped_text_column(col):
    """``col`` with its text values through :func:`~xrbvo.core.text.for_xml`, or None when none needs it."""
    kind = getattr(col, "dtype", None) is not None and col.dtype.kind
    if kind not in ("U", "S", "O") or col.ndim != 1:
        return None
    values = np.asarray(col.data if isinstance(col, MaskedColumn) else col).tolist()
    text = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in values]
    if not all(isinstance(v, str) or v is None for v in text):
        return None  # not text (arrays per row): left to the writer
    if not _NOT_XML.search("".join(v for v in text if v is not None)):
        return None
    fixed = [None if v is None else for_xml(v) for v in text]
    data = np.array(fixed, dtype=object) if kind == "O" else np.array(fixed, dtype=str)
    cls = MaskedColumn if isinstance(col, MaskedColumn) else Column
    kw = {"mask": col.mask} if isinstance(col, MaskedColumn) else {}
    return cls(data, name=for_xml(col.info.name), unit=col.unit, description=col.info.description,
               meta=col.info.meta, **kw)


def xml_safe(table: Table) -> tuple[Table, list[str]]:
    """A shallow copy of ``table`` that a VOTable can hold, and what had to be escaped.

    Characters XML 1.0 forbids (control characters other than tab, newline
    and carriage return) in text cells, column names, descriptions and text
    ``meta`` values are written as visible escapes (``\\x01``, ``\\x1b``);
    everything else is kept as it is.

    Parameters
    ----------
    table : astropy.table.Table
        The table about to be written as a VOTable.

    Returns
    -------
    safe : astropy.table.Table
        ``table`` itself when nothing needed escaping, else a shallow copy with
        the escaped texts.
    changed : list of str
        The names of the columns and meta entries changed.
    """
    changed: list[str] = []
    out = None
    for name in table.colnames:
        col = table[name]
        fixed = _escaped_text_column(col)
        new_name, desc = for_xml(name), getattr(col.info, "description", None)
        if fixed is None and new_name == name and (desc is None or for_xml(desc) == desc):
            continue
        if out is None:
            out = table.copy(copy_data=False)
        if fixed is not None:
            out.replace_column(name, fixed)
        if desc is not None:
            out[name].info.description = for_xml(desc)
        if new_name != name:
            out.rename_column(name, new_name)
        changed.append(new_name)
    meta = {}
    for k, v in table.meta.items():
        key, text = for_xml(k), isinstance(v, str)
        meta[key] = for_xml(v) if text else v
        if key != k or (text and meta[key] != v):
            changed.append(key)
    if out is None and not changed:
        return table, []
    if out is None:
        out = table.copy(copy_data=False)
    out.meta = meta
    return out, changed


def votable_to_xml(vot, target) -> None:
    """Serialise a VOTable tree as TABLEDATA without astropy's C row writer (astropy issue #20419).

    astropy's C writer (``astropy.io.votable.tablewriter``, 8.0.2 and before) ends each row's text
    with a NUL one byte past its buffer when the row is exactly a power of two bytes long; the
    pure-Python path astropy keeps beside it writes the same bytes (about 1.6 times slower,
    measured on the demo's neighbours table).

    Parameters
    ----------
    vot : astropy.io.votable.tree.VOTableFile
        The document.
    target : str | Path | file-like
        Where to write it.
    """
    vot.to_xml(str(target) if isinstance(target, Path) else target, _debug_python_based_parser=True)


def write_votable(table: Table, target: str | Path) -> None:
    """Write ``table`` as a VOTable whose RESOURCE carries one INFO per ``meta`` entry.

    The document is well-formed whatever the text (:func:`xml_safe`).

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    target : str | Path
        The file to write.
    """
    from astropy.io.votable import from_table
    from astropy.io.votable.tree import Info

    safe, changed = xml_safe(table)
    plain = safe.copy(copy_data=False)
    meta = dict(plain.meta)
    plain.meta.clear()
    vot = from_table(plain)
    res = vot.resources[0]
    for k, v in meta.items():
        if isinstance(v, (dict, list, tuple)):
            continue
        res.infos.append(Info(name=str(k), value=for_xml(_text(v))))
    if changed:
        res.infos.append(Info(name=ESCAPED_KEY, value=("characters XML forbids in " + ", ".join(changed)[:200]
                                                       + " written as \\x escapes")))
    votable_to_xml(vot, str(target))


def read_votable(path: str | Path) -> Table:
    """Read the first table of a VOTable, with the RESOURCE's INFO elements in ``meta``.

    Parameters
    ----------
    path : str | Path
        The file.

    Returns
    -------
    astropy.table.Table
        The table, with the INFO elements in its meta.
    """
    from astropy.io.votable import parse

    vot = parse(str(path))
    t = vot.get_first_table().to_table(use_names_over_ids=True)
    for res in vot.resources:
        for info in res.infos:
            if info.name and info.name not in t.meta:
                t.meta[info.name] = info.value
    return t
