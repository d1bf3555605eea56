"""Probability calibration stored as plain numbers (no pickle), and its reliability diagram.

The calibration's formulas (fitting the per-class isotonic maps, applying them at the training
mix) live in :mod:`xrbvo.stages.probability`, beside the prior shift; they are re-exported here.
:func:`reliability` measures how well calibrated probabilities are.
"""

from __future__ import annotations

import numpy as np

from xrbvo.stages.probability import apply_calibration, check_calibration, fit_calibration

__all__ = ["fit_calibration", "apply_calibration", "check_calibration", "reliability"]


def reliability(is_true: np.ndarray, score: np.ndarray, n_bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean predicted probability, observed frequency and count in equal-width bins of ``score``.

    Parameters
    ----------
    is_true : numpy.ndarray
        True where the row is of the class.
    score : numpy.ndarray
        Predicted probability of the class per row.
    n_bins : int, optional
        Number of equal-width probability bins.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]
        Mean predicted probability, observed frequency and count in equal-width bins of ``score``.
    """
    t = np.asarray(is_true, bool)
    s = np.asarray(score, float)
    edges = np.linspace(0, 1, n_bins + 1)
    idx = np.clip(np.digitize(s, edges[1:-1]), 0, n_bins - 1)
    mean_p, freq, n = np.full(n_bins, np.nan), np.full(n_bins, np.nan), np.zeros(n_bins, int)
    for b in range(n_bins):
        sel = idx == b
        n[b] = sel.sum()
        if n[b]:
            mean_p[b] = s[sel].mean()
            freq[b] = t[sel].mean()
    return mean_p, freq, n
