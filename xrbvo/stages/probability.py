"""Class probabilities at other class priors, and their calibration at the training mix: the one home of both.

Prior shift
    A classifier's probabilities hold the class mix it was trained on.  Bayes' rule moves them to
    other priors (Saerens, Latinne & Decaestecker 2002, eq. 2.4)::

        p'_c = p_c (t_c / s_c) / sum_k p_k (t_k / s_k)

    :func:`shift_priors` does it for one target mix or one mix per row (a field's priors per source).

Calibration
    Per class, an isotonic (monotone, non-decreasing) map from the model's probability to the
    observed frequency of that class, fitted on out-of-fold predictions (one-vs-rest) with
    scikit-learn's ``IsotonicRegression``.  Only its breakpoints are kept, as two lists of floats
    per class (no pickle); applying it is a linear interpolation between them, followed by a
    renormalisation of each row to sum to one (as scikit-learn's ``CalibratedClassifierCV`` does
    for several classes).  A row whose calibrated values are all zero keeps its uncalibrated
    probabilities.  The maps were fitted on probabilities *at the training mix*, so they apply
    there: :func:`calibrate_at_training_mix` shifts to the training mix, calibrates and shifts on.

Both the source classifier (:class:`xrbvo.stages.classify.classifier.SourceClassifier`), the joint
counterparts (:func:`xrbvo.stages.classify.predict.joint_classify`), the field priors
(:mod:`xrbvo.stages.classify.priors`) and the select stage (:mod:`xrbvo.stages.select`) call these.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from xrbvo.core.errors import InputError

__all__ = ["shift_priors", "fit_calibration", "check_calibration", "apply_calibration",
           "calibrate_at_training_mix"]


def shift_priors(proba: np.ndarray, from_priors, to_priors) -> np.ndarray:
    """Probabilities at other class priors, by Bayes' rule (Saerens et al. 2002), row by row.

    ``p'_c = p_c * (t_c / s_c) / sum_k p_k * (t_k / s_k)``; unchanged when ``to_priors == from_priors``.

    Parameters
    ----------
    proba : numpy.ndarray
        Class probabilities, shape (n, n_classes).
    from_priors : array (n_classes,)
        The class priors the probabilities are at (e.g. the training set's).
    to_priors : array (n_classes,) or (n, n_classes)
        The priors wanted, one vector for all rows (checked: non-negative, summing to 1) or one per
        row (a field's priors per source, as the policy resolved them).

    Returns
    -------
    numpy.ndarray
        Probabilities at ``to_priors``, each row summing to 1 (a row whose re-weighted values are all
        zero is returned unchanged).

    Raises
    ------
    InputError
        If the vectors do not have one entry per class (and one row per source), or the one target
        vector is negative or does not sum to 1.
    """
    p = np.asarray(proba, dtype=float)
    s = np.asarray(from_priors, dtype=float)
    t = np.asarray(to_priors, dtype=float)
    if t.ndim == 1:
        if not p.shape[-1] == len(s) == len(t):
            raise InputError("prior vectors must have one entry per class")
        if np.any(t < 0) or not np.isclose(t.sum(), 1.0, atol=1e-6):
            raise InputError("target class priors must be non-negative and sum to 1")
        t = t[None, :]
    elif p.shape != t.shape or s.shape != (p.shape[-1],):
        raise InputError("prior vectors must have one entry per class (and one row per source)")
    w = p * (t / np.where(s > 0, s, 1e-300)[None, :])
    tot = w.sum(axis=1, keepdims=True)
    return np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), p)


def fit_calibration(y: Sequence[str], proba: np.ndarray, classes: Sequence[str], *,
                    min_rows: int = 5) -> dict:
    """Per-class isotonic calibration of ``proba`` (columns ``classes``) against labels ``y``.

    Parameters
    ----------
    y : sequence of str
        True class of each row.
    proba : ndarray (n, n_classes)
        Out-of-fold probabilities (at the training mix).
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
        Class probabilities at the training mix, shape (n, n_classes), columns in ``classes`` order.
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


def calibrate_at_training_mix(proba: np.ndarray, from_priors, calibration: Mapping, classes: Sequence[str],
                              train_priors, to_priors) -> np.ndarray:
    """Calibrated probabilities: shift to the training mix, apply the maps there, shift to ``to_priors``.

    Parameters
    ----------
    proba : numpy.ndarray
        Class probabilities at ``from_priors``, shape (n, n_classes), columns in ``classes`` order.
    from_priors : array (n_classes,)
        The priors ``proba`` is at (a model's implicit priors, or the priors it was asked for).
    calibration : Mapping
        The calibration maps (:func:`fit_calibration`), fitted at the training mix.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    train_priors : array (n_classes,)
        The training sample's class mix (where the maps were fitted).
    to_priors : array (n_classes,) or (n, n_classes)
        The priors wanted.

    Returns
    -------
    numpy.ndarray
        Calibrated probabilities at ``to_priors``, each row summing to 1.
    """
    s = np.asarray(train_priors, dtype=float)
    at_mix = shift_priors(proba, from_priors, s)
    return shift_priors(apply_calibration(at_mix, calibration, classes), s, to_priors)
