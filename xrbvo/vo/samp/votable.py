"""Tables as VOTable bytes that TOPCAT and Aladin read with units, UCDs and positions."""

from __future__ import annotations

import io
import warnings

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.core.text import for_xml
from xrbvo.io.votmeta import votable_to_xml, xml_safe

__all__ = ["votable_bytes"]

_RA_NAMES = ("ra", "raj2000", "ra_icrs", "ra_deg", "radeg", "ra_j2000")
_DEC_NAMES = ("dec", "dej2000", "decj2000", "de_icrs", "dec_icrs", "dec_deg", "dedeg", "dec_j2000")


def _ensure_position_ucds(table: Table) -> None:
    ucds = [str(table[c].meta.get("ucd", "")) for c in table.colnames]
    for prefix, names in (("pos.eq.ra", _RA_NAMES), ("pos.eq.dec", _DEC_NAMES)):
        if any(u.startswith(prefix) for u in ucds):
            continue
        for c in table.colnames:
            if c.lower() in names and np.issubdtype(table[c].dtype, np.number):
                table[c].meta["ucd"] = f"{prefix};meta.main"
                if table[c].unit is None:
                    table[c].unit = "deg"
                break


def votable_bytes(table: Table, *, name: str) -> bytes:
    """``table`` as VOTable bytes with units, UCDs and descriptions.

    Columns keep their ``unit``, ``meta['ucd']`` and ``description``; when no
    column carries a ``pos.eq.ra``/``pos.eq.dec`` UCD, columns named like
    ``ra``/``dec`` (``RAJ2000``, ``RA_ICRS``, ...) get ``pos.eq.ra;meta.main`` /
    ``pos.eq.dec;meta.main`` (and ``deg`` if unitless) so TOPCAT and Aladin find
    the positions.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    name : str
        Name of the table in the VOTable.

    Returns
    -------
    bytes
        The VOTable document.
    """
    from astropy.io.votable import from_table

    if not isinstance(table, Table):
        raise InputError(f"cannot send a {type(table).__name__} as a table; give an astropy Table or a table file")
    t = Table(xml_safe(table)[0], copy=True)  # well-formed XML whatever the text (control characters escaped)
    _ensure_position_ucds(t)
    with warnings.catch_warnings():
        # astropy warns about units that VOUnit deprecates (erg) but writes them fine
        warnings.simplefilter("ignore")
        try:
            vot = from_table(t)
        except (TypeError, ValueError) as exc:
            raise InputError(f"table {name!r} cannot be written as a VOTable ({exc}); "
                             "drop or convert the offending column") from None
        vot.resources[0].tables[0].name = for_xml(name)
        buf = io.BytesIO()
        votable_to_xml(vot, buf)
    return buf.getvalue()
