"""Candidate selection: which sources are X-ray-binary candidates, and how pure the selection is expected to be.

A cut on P_<class> was chosen (cross-validated) on probabilities at one class mix,
the model's *cut priors*; it is applied to probabilities at that mix, whatever the
field's priors are.  The field's priors enter through the expected purity of
each candidate (:func:`expected_purity`).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from xrbvo.core.errors import InputError

__all__ = ["select_candidates"]


def select_candidates(proba: np.ndarray, classes: Sequence[str], cuts: Mapping[str, float]) -> np.ndarray:
    """Candidate class per source ('' for none).

    Parameters
    ----------
    proba : array (n, n_classes)
        Probabilities at the priors the cuts were chosen at, columns in ``classes`` order.
    cuts : mapping
        Class -> probability cut; a source is a candidate of class c when
        ``P_c >= cuts[c]`` (the highest-probability such class is named).
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
    return cand
