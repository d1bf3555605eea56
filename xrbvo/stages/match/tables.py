"""Result tables of the association: neighbourhood rows of the chosen candidates and the output tables.

Each chunk's scores (:func:`xrbvo.stages.match.scoring.score`) hold candidate
indices turned into neighbourhood-table rows; :func:`result_tables` joins the
chunks end to end into the per-combination and per-source tables of an
:class:`~xrbvo.stages.match.base.AssociationResult`.
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table

from xrbvo.stages.match.base import AssociationResult

__all__ = ["nb_rows", "nb_column", "result_tables"]


def nb_rows(p: dict, choice: np.ndarray) -> np.ndarray:
    """Neighbourhood-table rows of survey ``p``'s chosen candidates.

    Parameters
    ----------
    p : dict
        The survey's candidates (``row``: neighbourhood row of each).
    choice : numpy.ndarray
        Candidate index per combination (-1 for none).

    Returns
    -------
    numpy.ndarray
        The neighbourhood-table rows (-1 for none).
    """
    if not len(p["row"]):
        return np.full(len(choice), -1)
    present = choice >= 0
    if present.all():
        return p["row"][choice]
    return np.where(present, p["row"][np.maximum(choice, 0)], -1)


def nb_column(p: dict, rows: np.ndarray, name: str, fill):
    """Column ``name`` of survey ``p``'s neighbourhood at ``rows``.

    Parameters
    ----------
    p : dict
        The survey's candidates (``nb``: its neighbourhood table).
    rows : numpy.ndarray
        Neighbourhood-table rows (-1 for none).
    name : str
        The column.
    fill : float or str
        Value where ``rows < 0``; a float reads the column as floats.

    Returns
    -------
    numpy.ndarray
        The values (of a string type when ``fill`` does not fit the column's).
    """
    vals = np.asarray(p["nb"][name], float) if isinstance(fill, float) else np.asarray(p["nb"][name])
    if not len(vals):
        return np.full(len(rows), fill)
    present = rows >= 0
    all_present = bool(present.all())
    out = vals[rows if all_present else np.maximum(rows, 0)]
    if np.where(True, vals[:0], fill).dtype != vals.dtype:  # e.g. bytes ids with "" for none: str
        return np.where(present, out, fill)
    if all_present:
        return out
    out[~present] = fill
    return out


def result_tables(xr: Table, per, parts: list[dict], n_src: int) -> AssociationResult:
    """The per-combination and per-source tables from the chunks' scores.

    Parameters
    ----------
    xr : astropy.table.Table
        The X-ray sources (``xid``).
    per : list of dict
        The surveys' candidates.
    parts : list of dict
        Each chunk's :func:`~xrbvo.stages.match.scoring.score_chunk` output, in
        source order; emptied as the columns are joined.
    n_src : int
        Number of X-ray sources.

    Returns
    -------
    AssociationResult
    """
    def cat(key, dtype):
        """The chunks' ``key`` arrays end to end (each chunk's copy is released as it goes)."""
        if not parts:
            return np.zeros(0, dtype)
        pieces = [q.pop(key) for q in parts]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    xids = np.asarray(xr["xid"])
    # rows are grouped by source in source order: repeating each id is cheaper than gathering
    ccols = {"xid": np.repeat(xids, cat("n_rows", np.int64)) if parts else xids[:0]}
    for p in per:
        name = p["name"]
        ccols[f"nid_{name}"] = nb_column(p, cat(f"nid_{name}", np.int64), "nid", "")
        ccols[f"sep_{name}"] = cat(f"sep_{name}", float)
        ccols[f"row_{name}"] = cat(f"row_{name}", np.int64)
    ccols["ncat"] = cat("ncat", np.int16)
    for k in ("dist_bayesfactor", "dist_bayesfactor_corrected", "prior", "dist_post", "p_single", "p_i"):
        ccols[k] = cat(k, float)
    ccols["match_flag"] = cat("match_flag", np.int16)
    ctab = Table(ccols, copy=False)
    ctab["dist_bayesfactor"].description = "log10 positional Bayes factor (Budavari & Szalay 2008)"
    ctab["dist_bayesfactor_corrected"].description = "log10 Bayes factor with NWAY's multi-catalogue correction"
    ctab["prior"].description = "Prior probability of this combination"
    ctab["dist_post"].description = "Posterior from positions alone against 'unrelated'"
    ctab["p_single"].description = "Posterior with magnitude priors against 'unrelated'"
    ctab["p_i"].description = "Probability of this combination given the source has a counterpart"

    scols = {"xid": xids.copy(), "p_any": cat("s_p_any", float), "p_i": cat("s_p_i", float),
             "match_flag": cat("s_match_flag", np.int16)}
    scols["n_candidates"] = (np.sum([p["n_all"] for p in per], axis=0).astype(int) if per
                             else np.zeros(n_src, int))
    scols["pruned_mass"] = cat("s_pruned_mass", float)
    for p in per:
        rows = cat(f"s_row_{p['name']}", np.int64)
        scols[f"nid_{p['name']}"] = nb_column(p, rows, "nid", "")
        scols[f"row_{p['name']}"] = rows
    stab = Table(scols, copy=False)
    stab["pruned_mass"].description = "Upper bound on the probability mass left out by pruning"
    return AssociationResult(ctab, stab, tuple(p["name"] for p in per))
