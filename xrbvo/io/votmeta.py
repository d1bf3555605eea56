"""Table metadata (how an output was made) as VOTable INFO elements, and back.

astropy writes a table's columns to VOTable with their units, UCDs and
descriptions, but drops the table's own ``meta``; xrbvo's outputs keep there
how they were made (model, priors, cuts, policy), so they are written as
``INFO`` elements of the table's RESOURCE and read back into ``meta``.
"""

from __future__ import annotations

from pathlib import Path

from astropy.table import Table

__all__ = ["write_votable", "read_votable"]


def _text(v) -> str:
    if isinstance(v, bool):
        return "T" if v else "F"
    return str(v)


def write_votable(table: Table, target: str | Path) -> None:
    """Write ``table`` as a VOTable whose RESOURCE carries one INFO per ``meta`` entry.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    target : str | Path
        The file to write.
    """
    from astropy.io.votable import from_table
    from astropy.io.votable.tree import Info

    plain = table.copy(copy_data=False)
    meta = dict(plain.meta)
    plain.meta.clear()
    vot = from_table(plain)
    res = vot.resources[0]
    for k, v in meta.items():
        if isinstance(v, (dict, list, tuple)):
            continue
        res.infos.append(Info(name=str(k), value=_text(v)))
    vot.to_xml(str(target))


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
