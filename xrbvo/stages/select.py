"""Candidate selection: which sources are X-ray-binary candidates, and how pure the selection is expected to be.

A cut on P_<class> was chosen (cross-validated) on probabilities at one class mix,
the model's *cut priors*; it is applied to probabilities at that mix, whatever the
field's priors are.  The field's priors enter through the expected purity of
each candidate (:func:`expected_purity`); the shift to the field's priors is
:func:`xrbvo.stages.probability.shift_priors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from xrbvo.core.errors import InputError
from xrbvo.stages.probability import shift_priors

__all__ = ["Selection", "apply_selection", "prior_columns", "PRIOR_COLUMN_CLASSES", "select_candidates", "covered", "expected_purity", "own_purity",
           "pass_rates"]


def select_candidates(proba: np.ndarray, classes: Sequence[str], cuts: Mapping[str, float], *,
                      coverage: np.ndarray | None = None) -> np.ndarray:
    """Candidate class per source ('' for none).

    Parameters
    ----------
    proba : array (n, n_classes)
        Probabilities at the priors the cuts were chosen at, columns in ``classes`` order.
    cuts : mapping
        Class -> probability cut; a source is a candidate of class c when
        ``P_c >= cuts[c]`` (the highest-probability such class is named).
    coverage : array of bool, optional
        False for sources with no neighbour in any survey: they lie outside the
        surveys' coverage, their class rests on the X-ray data alone, and they
        are never candidates.
    classes : Sequence[str]
        Class names, in the order of the probability columns.

    Returns
    -------
    numpy.ndarray
        Candidate class per source ('' for none).
    """
    classes = [str(c) for c in classes]
    p = np.asarray(proba, dtype=float)
    n = len(p)
    cand = np.full(n, "", dtype="<U8")
    best = np.full(n, -1.0)
    for cname, cut in cuts.items():
        if cname not in classes:
            raise InputError(f"a cut names class {cname!r}, which the model does not know ({', '.join(classes)})")
        s = p[:, classes.index(cname)]
        sel = (s >= cut) & (s > best)
        cand[sel] = cname
        best[sel] = s[sel]
    if coverage is not None:
        cand[~np.asarray(coverage, bool)] = ""
    return cand


def covered(xids, neighbourhoods) -> np.ndarray:
    """True for each X-ray source with at least one neighbour in any survey.

    Parameters
    ----------
    xids : array of str
        The X-ray sources' ids.
    neighbourhoods : mapping of str to astropy.table.Table
        Survey name -> neighbourhood table (:mod:`xrbvo.stages.neighbourhoods`).

    Returns
    -------
    numpy.ndarray
        True for each X-ray source with at least one neighbour in any survey.
    """
    ids = np.asarray(xids).astype(str)
    seen = set()
    for t in neighbourhoods.values():
        if len(t):
            seen.update(np.unique(np.asarray(t["xid"]).astype(str)).tolist())
    return np.isin(ids, np.array(sorted(seen), dtype=str)) if seen else np.zeros(len(ids), bool)


def pass_rates(labels, proba: np.ndarray, classes: Sequence[str], cuts: Mapping[str, float]) -> dict:
    """Fraction of each true class selected as a candidate of each cut class (cross-validated).

    ``proba`` are out-of-fold probabilities at the cut priors; the rule is
    :func:`select_candidates`.  Returns ``{cut class: {true class: fraction}}``,
    the numbers :func:`expected_purity` needs (a model stores them in its
    metadata as ``selection.pass_rates``).

    Parameters
    ----------
    labels : sequence of str
        Class label per row.
    proba : numpy.ndarray
        Class probabilities, shape (n, n_classes), columns in ``classes`` order.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    cuts : Mapping[str, float]
        Class -> probability cut.

    Returns
    -------
    dict
        Fraction of each true class selected as a candidate of each cut class (cross-validated).
    """
    y = np.asarray(labels).astype(str)
    cand = select_candidates(proba, classes, cuts)
    out: dict = {}
    for c in cuts:
        out[str(c)] = {str(k): float(np.mean(cand[y == k] == c)) for k in np.unique(y)}
    return out


def expected_purity(candidate_class: np.ndarray, field_priors: np.ndarray, classes: Sequence[str],
                    rates: Mapping[str, Mapping[str, float]] | None) -> np.ndarray:
    """Expected purity of each candidate's selection in its field (NaN for non-candidates).

    For a candidate of class c in a field with class priors pi::

        purity = pi_c r_cc / sum_k pi_k r_kc

    where r_kc is the cross-validated fraction of true class-k sources that the
    cut selects as c (:func:`pass_rates`).  NaN when the model carries no pass
    rates (a model trained before they were recorded) or the field has none of
    the classes the rates know.

    Parameters
    ----------
    candidate_class : numpy.ndarray
        Candidate class per source (``""`` for none).
    field_priors : numpy.ndarray
        The field's class priors per source, shape (n, n_classes).
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    rates : Mapping[str, Mapping[str, float]] | None
        Class -> pass rates of each true class through its cut (from training); None: no figures, all
        NaN.

    Returns
    -------
    numpy.ndarray
        Expected purity of each candidate's selection in its field (NaN for non-candidates).
    """
    classes = [str(c) for c in classes]
    cand = np.asarray(candidate_class).astype(str)
    pri = np.asarray(field_priors, dtype=float)
    if pri.ndim == 1:
        pri = np.broadcast_to(pri, (len(cand), len(classes)))
    out = np.full(len(cand), np.nan)
    if not rates:
        return out
    for c, r in rates.items():
        sel = cand == c
        if not sel.any() or c not in classes:
            continue
        r_vec = np.array([float(r.get(k, 0.0)) for k in classes])
        num = pri[sel, classes.index(c)] * r_vec[classes.index(c)]
        den = pri[sel] @ r_vec
        with np.errstate(invalid="ignore", divide="ignore"):
            out[sel] = np.where(den > 0, num / den, np.nan)
    return out


@dataclass(frozen=True)
class Selection:
    """The select stage's output for a set of sources.

    Parameters
    ----------
    proba_field : numpy.ndarray
        (n, n_classes) probabilities at the field's priors.
    candidate_class : numpy.ndarray
        Candidate class per source ('' for none), from the probabilities at the selection priors.
    expected_purity : numpy.ndarray
        Expected purity of each candidate's selection at its field's priors (NaN for non-candidates).
    """

    proba_field: np.ndarray
    """(n, n_classes) probabilities at the field's priors."""
    candidate_class: np.ndarray
    """Candidate class per source ('' for none), from the probabilities at the selection priors."""
    expected_purity: np.ndarray
    """Expected purity of each candidate's selection at its field's priors (NaN for non-candidates)."""


def apply_selection(proba: np.ndarray, classes: Sequence[str], selection_priors, field_priors,
                    cuts: Mapping[str, float], *, pass_rates: Mapping | None = None,
                    coverage: np.ndarray | None = None, min_purity: float | None = None) -> Selection:
    """The whole select stage: field probabilities, candidates and their expected purity.

    Parameters
    ----------
    proba : array (n, n_classes)
        Probabilities at ``selection_priors`` (the priors the cuts were chosen at).
    field_priors : array (n_classes,) or (n, n_classes)
        The field's class priors.
    cuts, pass_rates, coverage
        See :func:`select_candidates` and :func:`expected_purity`.
    min_purity : float, optional
        None (default): candidates by the cuts at ``selection_priors``, purity from the pass rates.  A number:
        a source is a candidate of a class with a cut when its probability at its own field priors
        (``P_<class>_field``) is at least ``min_purity`` (the highest such class), and its expected purity is
        that probability.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    selection_priors : mapping of str to float
        The class priors the cuts apply at.

    Returns
    -------
    Selection
        The whole select stage: field probabilities, candidates and their expected purity.
    """
    p = np.asarray(proba, dtype=float)
    sel = np.asarray(selection_priors, dtype=float)
    fp = np.asarray(field_priors, dtype=float)
    rows = np.broadcast_to(fp, p.shape) if fp.ndim == 1 else fp
    proba_field = shift_priors(p, sel, rows) if len(p) else p
    if min_purity is None:
        cand = select_candidates(p, classes, cuts, coverage=coverage)
        return Selection(proba_field, cand, expected_purity(cand, rows, classes, pass_rates))
    if not (0 < float(min_purity) <= 1):
        raise InputError(f"minimum purity {min_purity!r}: give a purity above 0 and at most 1, e.g. 0.5")
    cand = select_candidates(proba_field, classes, {c: float(min_purity) for c in cuts}, coverage=coverage)
    return Selection(proba_field, cand, own_purity(cand, proba_field, classes))


def own_purity(candidate_class: np.ndarray, proba_field: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Each candidate's expected purity as its own posterior for its class, ``P_<class>_field`` (NaN otherwise).

    Parameters
    ----------
    candidate_class : numpy.ndarray
        Candidate class per source (``""`` for none).
    proba_field : numpy.ndarray
        (n, n_classes) probabilities at each source's field priors.
    classes : Sequence[str]
        Class names, in the order of the probability columns.

    Returns
    -------
    numpy.ndarray
        The posterior of each candidate's class (NaN for non-candidates).
    """
    classes = [str(c) for c in classes]
    cand = np.asarray(candidate_class).astype(str)
    out = np.full(len(cand), np.nan)
    for j, c in enumerate(classes):
        sel = cand == c
        out[sel] = np.asarray(proba_field, float)[sel, j]
    return out


#: Classes whose per-source field prior every catalogue carries (``prior_<class>``).
PRIOR_COLUMN_CLASSES: tuple[str, ...] = ("HMXB", "LMXB")


def prior_columns(field_priors, classes: Sequence[str], n: int) -> dict[str, np.ndarray]:
    """``prior_HMXB`` and ``prior_LMXB``: each source's field prior for the target classes (the priors its
    ``P_<class>_field`` and ``expected_purity`` are at; with per-source priors they differ from source to source).

    Parameters
    ----------
    field_priors : array (n_classes,) or (n, n_classes)
        Field priors, columns ``classes``.
    classes : Sequence[str]
        Class names, in the order of the prior columns.
    n : int
        Number of sources.

    Returns
    -------
    dict[str, numpy.ndarray]
        Column name -> one prior per source (NaN for a class the model lacks).
    """
    fp = np.asarray(field_priors, dtype=float)
    rows = np.broadcast_to(fp, (n, len(classes))) if fp.ndim == 1 else fp
    cls = list(classes)
    return {f"prior_{c}": (np.asarray(rows[:, cls.index(c)], float).copy() if c in cls else np.full(n, np.nan))
            for c in PRIOR_COLUMN_CLASSES}
