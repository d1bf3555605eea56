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

No-counterpart evidence
    For a source without any counterpart, a classifier trained with a share ``q_c`` of each class's rows
    without counterpart gives, at priors t, ``p_c ∝ t_c q_c P(x_X | c)`` (x_X: the X-ray features, all it
    sees of such a source).  The posterior wanted is ``∝ t_c P(none | c, S, l, b) P(x_X | c)``, with
    P(none | ...) the population model's (:func:`xrbvo.galaxy.visibility.no_counterpart_probability`).  So
    the source's priors are multiplied by ``L_c / q_c`` (:func:`no_counterpart_evidence`), and the prior shift
    does the rest.  See docs/classifier.md.

Flux counted once
    Per-source priors (the population model's class mix at the source's own flux, ``t_c(S)``) already hold
    what the flux says about the class.  A classifier with the flux among its features (``log_fx``) holds it
    too: at its training priors ``s`` it gives ``p_c ∝ s_c P_train(S | c) P(x' | c, S)``, with ``P_train(S | c)``
    the flux distribution of the class's training rows (for a labelled set, a selection effect; for simulated
    skies, the injected populations).  Shifted to ``t(S)`` as it is, the flux would be counted twice
    (``t_c(S) P_train(S | c)``): the class mix at the source's flux times the training rows' flux likelihood,
    which at the bright end, where the X-ray binaries' share grows by orders of magnitude, makes the
    posteriors of every bright source over-confident for them.  :func:`flux_likelihood` records
    ``P_train(S | c)`` per class at fit time; :func:`flux_evidence_priors` divides it out of the per-source
    priors (``t'_c = t_c(S) / P_train(S | c)``, normalised), so that the shift gives
    ``∝ t_c(S) P(x' | c, S)``.  A field's one prior vector, which does not depend on the flux, is left alone.

Both the source classifier (:class:`xrbvo.stages.classify.classifier.SourceClassifier`), the joint
counterparts (:func:`xrbvo.stages.classify.predict.joint_classify`), the field priors
(:mod:`xrbvo.stages.classify.priors`) and the select stage (:mod:`xrbvo.stages.select`) call these.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from xrbvo.core.errors import InputError

__all__ = ["shift_priors", "fit_calibration", "check_calibration", "apply_calibration",
           "calibrate_at_training_mix", "no_counterpart_evidence", "MIN_TRAIN_SHARE",
           "no_counterpart_priors", "flux_likelihood", "flux_evidence_priors", "FLUX_GRID", "FLUX_SMOOTH_DEX"]

#: Grid of log10 soft flux (erg/s/cm2) on which :func:`flux_likelihood` tabulates each class's training flux
#: distribution (fluxes outside it are read at its edges).
FLUX_GRID = (-17.0, -7.0, 0.05)
#: Largest width (dex, Gaussian sigma) of the kernel smoothing the training rows' log fluxes in :func:`flux_likelihood`.
FLUX_SMOOTH_DEX = 0.2

#: Least training share without counterpart divided by in :func:`no_counterpart_evidence` (a class the model
#: never saw without a counterpart has no learnt P(class | X-ray features, none) to correct).
MIN_TRAIN_SHARE = 0.01


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


def no_counterpart_evidence(priors, likelihood, train_share, mask) -> np.ndarray:
    """Priors of counterpart-less sources times the likelihood of having no counterpart, over the training share.

    ``t'_c = t_c L_c / q_c`` (normalised) for the rows of ``mask`` whose likelihood is finite; other rows are
    returned as they are.  Shifting a classifier's probabilities to ``t'`` (:func:`shift_priors`) then gives
    ``P(c | X-ray features, no counterpart) ∝ t_c P(x_X | c) P(none | c, flux, sight line)`` (module notes).

    Parameters
    ----------
    priors : array (n_classes,) or (n, n_classes)
        The sources' priors (one vector for all, or one per source).
    likelihood : array (n, n_classes)
        P(no counterpart in any survey | class, flux, sight line) per source (NaN: unknown, row left alone).
    train_share : array (n_classes,)
        Share of each class's training rows without any counterpart (floored at :data:`MIN_TRAIN_SHARE`).
    mask : array (n,) of bool
        Sources without a counterpart.

    Returns
    -------
    numpy.ndarray
        (n, n_classes) priors, rows summing to 1.

    Raises
    ------
    InputError
        If the shapes do not agree or a share is not in [0, 1].
    """
    L = np.asarray(likelihood, dtype=float)
    if L.ndim != 2:
        raise InputError("the no-counterpart likelihood must have one row per source and one column per class")
    n, k = L.shape
    t = np.asarray(priors, dtype=float)
    t = np.broadcast_to(t, (n, k)).copy() if t.ndim == 1 and len(t) == k else t.copy()
    q = np.asarray(train_share, dtype=float)
    m = np.asarray(mask, dtype=bool)
    if t.shape != (n, k) or q.shape != (k,) or m.shape != (n,):
        raise InputError("priors, likelihood, training shares and mask must agree: one row per source, one "
                         "column per class")
    if not np.all(np.isfinite(q) & (q >= 0) & (q <= 1)):
        raise InputError("training shares without counterpart must lie between 0 and 1")
    use = m & np.all(np.isfinite(L), axis=1)
    if not use.any():
        return t
    w = t[use] * np.clip(L[use], 0.0, 1.0) / np.maximum(q, MIN_TRAIN_SHARE)[None, :]
    tot = w.sum(axis=1, keepdims=True)
    t[use] = np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), t[use])
    return t


def no_counterpart_priors(priors, xray, classes: Sequence[str], mask, train_share: Mapping[str, float], *,
                          surveys: Sequence[str] | None = None) -> np.ndarray:
    """:func:`no_counterpart_evidence` for X-ray sources: the likelihood from their position and soft flux.

    Parameters
    ----------
    priors : array (n_classes,) or (n, n_classes)
        The sources' priors.
    xray : astropy.table.Table
        The sources (``ra``, ``dec`` in degrees, ``flux_soft`` 0.2-2.3 keV in erg/s/cm2).
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    mask : array (n,) of bool
        Sources without a counterpart.
    train_share : Mapping[str, float]
        Class -> share of the model's training rows without any counterpart.
    surveys : Sequence[str], optional
        The counterpart surveys (default Gaia, 2MASS, CatWISE).

    Returns
    -------
    numpy.ndarray
        (n, n_classes) priors; rows outside ``mask``, or without a usable position or flux, unchanged.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    from xrbvo.core.surveys import SECONDARY_SURVEYS
    from xrbvo.galaxy.visibility import no_counterpart_probability

    m = np.asarray(mask, dtype=bool)
    n = len(m)
    L = np.full((n, len(classes)), np.nan)
    if m.any():
        ra = np.asarray(xray["ra"], float)[m]
        dec = np.asarray(xray["dec"], float)[m]
        ok = np.isfinite(ra) & np.isfinite(dec)
        lon, lat = np.full(len(ra), np.nan), np.full(len(ra), np.nan)
        if ok.any():
            g = SkyCoord(ra=ra[ok] * u.deg, dec=dec[ok] * u.deg).galactic
            lon[ok], lat[ok] = g.l.deg, g.b.deg
        flux = np.asarray(xray["flux_soft"], float)[m]
        L[m], _ = no_counterpart_probability(lon, lat, flux, classes=classes,
                                             surveys=tuple(surveys) if surveys else SECONDARY_SURVEYS)
    q = np.array([float(train_share.get(c, 0.0)) for c in classes])
    return no_counterpart_evidence(priors, L, q, m)


def flux_likelihood(log_fx, labels, classes: Sequence[str], *, smooth_dex: float = FLUX_SMOOTH_DEX) -> dict:
    """Each class's training flux distribution ``P_train(log S | c)``, tabulated for the model's metadata.

    A Gaussian kernel density of the class's finite ``log_fx`` on :data:`FLUX_GRID` (kernel width by Silverman's
    rule, at most ``smooth_dex`` and at least the grid's step: a kernel wider than the class's own spread would
    smear its likelihood into fluxes where it has none),
    plus one pseudo-row spread evenly over the grid, so that no flux has zero likelihood (a class never
    seen at a flux keeps a finite, small likelihood there: the classifier gave it a small probability
    there for the same reason).

    Parameters
    ----------
    log_fx : array (n,)
        log10 soft flux (0.2-2.3 keV, erg/s/cm2) of the training rows (NaN: unknown, left out).
    labels : array (n,)
        Class per row.
    classes : Sequence[str]
        The classes to tabulate (a class without rows gets the even spread alone).
    smooth_dex : float, optional
        Largest kernel width, dex.

    Returns
    -------
    dict
        ``{"log_fx": [grid], "density": {class: [per dex, on the grid]}, "smooth_dex": {class: kernel width},
        "n_rows": {class: n}}``.
    """
    x = np.asarray(log_fx, dtype=float)
    y = np.asarray(labels).astype(str)
    if x.shape != y.shape:
        raise InputError("flux_likelihood needs one log flux per label")
    lo, hi, step = FLUX_GRID
    grid = np.arange(lo, hi + step / 2, step)
    span = hi - lo
    dens, n_rows = {}, {}
    widths = {}
    for c in classes:
        v = x[(y == str(c)) & np.isfinite(x)]
        k = np.zeros(len(grid))
        h = _kernel_width(v, smooth_dex, step)
        # Gaussian kernels, evaluated in chunks to bound memory
        for i in range(0, len(v), 2000):
            d = (grid[None, :] - v[i:i + 2000, None]) / h
            k += np.exp(-0.5 * d * d).sum(axis=0) / (h * np.sqrt(2 * np.pi))
        dens[str(c)] = [float(t) for t in (k + 1.0 / span) / (len(v) + 1.0)]
        n_rows[str(c)] = int(len(v))
        widths[str(c)] = float(h)
    return {"log_fx": [float(g) for g in grid], "density": dens, "smooth_dex": widths, "n_rows": n_rows}


def _kernel_width(v: np.ndarray, most: float, least: float) -> float:
    """Silverman's rule of thumb for the rows ``v`` (``0.9 min(sd, IQR / 1.34) n^(-1/5)``), within [least, most]."""
    if len(v) < 2:
        return float(most)
    q75, q25 = np.percentile(v, [75, 25])
    spread = min(float(np.std(v)), float(q75 - q25) / 1.34) or float(np.std(v))
    return float(np.clip(0.9 * spread * len(v) ** -0.2, least, most))


def flux_evidence_priors(priors, log_fx, likelihood: Mapping, classes: Sequence[str]) -> np.ndarray:
    """Per-source priors at each source's flux, over the model's training flux likelihood (the flux counted once).

    ``t'_c = t_c(S) / P_train(S | c)`` (normalised) for the rows with a finite ``log_fx``; shifting the
    model's probabilities to ``t'`` then gives ``∝ t_c(S) P(x' | c, S)`` (module notes, "Flux counted once").

    Parameters
    ----------
    priors : array (n, n_classes)
        The population model's class mix at each source's flux (the per-source priors).
    log_fx : array (n,)
        log10 soft flux of each source (erg/s/cm2); NaN: row returned as it is.
    likelihood : Mapping
        The model's :func:`flux_likelihood` record.
    classes : Sequence[str]
        Class names, in the order of the prior columns.

    Returns
    -------
    numpy.ndarray
        (n, n_classes) priors, rows summing to 1.

    Raises
    ------
    InputError
        If the shapes disagree or the record lacks a class.
    """
    t = np.array(priors, dtype=float, copy=True)
    x = np.asarray(log_fx, dtype=float)
    if t.ndim != 2 or t.shape != (len(x), len(classes)):
        raise InputError("per-source priors and log fluxes must agree: one row per source, one column per class")
    dens = likelihood.get("density", {}) if isinstance(likelihood, Mapping) else {}
    missing = [c for c in classes if str(c) not in dens]
    if missing:
        raise InputError(f"the model's training flux likelihood lacks the classes {', '.join(missing)}")
    grid = np.asarray(likelihood["log_fx"], dtype=float)
    use = np.isfinite(x) & np.all(np.isfinite(t), axis=1)
    if not use.any():
        return t
    L = np.column_stack([np.interp(x[use], grid, np.asarray(dens[str(c)], float)) for c in classes])
    w = t[use] / np.maximum(L, 1e-300)
    tot = w.sum(axis=1, keepdims=True)
    t[use] = np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), t[use])
    return t
