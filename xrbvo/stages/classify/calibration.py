"""Probability calibration stored as plain numbers (no pickle).

For each class, an isotonic (monotone, non-decreasing) map from the model's
probability to the observed frequency of that class is fitted on
out-of-fold predictions (one-vs-rest), with scikit-learn's
``IsotonicRegression``.  Only its breakpoints are kept, as two lists of
floats per class; applying it is a linear interpolation between them,
followed by a renormalisation of each row to sum to one (as scikit-learn's
``CalibratedClassifierCV`` does for several classes).  A row whose
calibrated values are all zero keeps its uncalibrated probabilities.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from xrbvo.core.errors import InputError

__all__ = ["fit_calibration", "apply_calibration", "check_calibration", "reliability"]


def fit_calibration(y: Sequence[str], proba: np.ndarray, classes: Sequence[str], *,
                    min_rows: int = 5) -> dict:
    """Per-class isotonic calibration of ``proba`` (columns ``classes``) against labels ``y``.

    Parameters
    ----------
    y : sequence of str
        True class of each row.
    proba : ndarray (n, n_classes)
        Out-of-fold probabilities.
    classes : sequence of str
        Column order of ``proba``.
    min_rows : int
        Classes with fewer true rows get the identity map.

    Returns
    -------
    dict
        ``{"method": "isotonic", "maps": {class: {"x": [...], "y": [...]}}}``.
    """
    from sklearn.isotonic import IsotonicRegression

    y = np.asarray(y).astype(str)
    proba = np.asarray(proba, dtype=float)
    if proba.shape != (len(y), len(classes)):
        raise InputError("proba must have one row per label and one column per class")
    maps = {}
    for i, c in enumerate(classes):
        t = (y == c).astype(float)
        if t.sum() < min_rows:
            maps[str(c)] = {"x": [0.0, 1.0], "y": [0.0, 1.0]}
            continue
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
        iso.fit(proba[:, i], t)
        maps[str(c)] = {"x": [float(v) for v in iso.X_thresholds_], "y": [float(v) for v in iso.y_thresholds_]}
    return {"method": "isotonic", "maps": maps}


def check_calibration(calibration: Mapping, classes: Sequence[str]) -> None:
    """Raise :class:`InputError` unless ``calibration`` is a valid map for ``classes``.

    Parameters
    ----------
    calibration : Mapping
        Class -> calibration map to check.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    """
    if not isinstance(calibration, Mapping) or calibration.get("method") != "isotonic":
        raise InputError("calibration must be a dict with method 'isotonic'")
    maps = calibration.get("maps")
    if not isinstance(maps, Mapping) or set(maps) != {str(c) for c in classes}:
        raise InputError("calibration must hold one map per class")
    for c, m in maps.items():
        x, yv = np.asarray(m["x"], float), np.asarray(m["y"], float)
        if len(x) < 1 or len(x) != len(yv) or np.any(np.diff(x) < 0) or not np.all(np.isfinite(x)):
            raise InputError(f"calibration map of {c} is malformed")


def apply_calibration(proba: np.ndarray, calibration: Mapping, classes: Sequence[str]) -> np.ndarray:
    """Apply the per-class maps and renormalise each row.

    Parameters
    ----------
    proba : numpy.ndarray
        Class probabilities, shape (n, n_classes), columns in ``classes`` order.
    calibration : Mapping
        Class -> calibration map (as :func:`fit_calibration` returns).
    classes : Sequence[str]
        Class names, in the order of the probability columns.

    Returns
    -------
    numpy.ndarray
        Calibrated probabilities, each row summing to 1.
    """
    p = np.asarray(proba, dtype=float)
    out = np.empty_like(p)
    for i, c in enumerate(classes):
        m = calibration["maps"][str(c)]
        out[:, i] = np.interp(p[:, i], m["x"], m["y"])
    tot = out.sum(axis=1, keepdims=True)
    return np.where(tot > 0, out / np.where(tot > 0, tot, 1.0), p)


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
