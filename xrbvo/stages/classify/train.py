"""Training the source classifier on simulated skies, choosing cuts, and measuring.

The training sample goes through the same stages as the data it will classify:
the simulated training sky's X-ray sources are matched with the same
association, and features are taken from the counterparts the association
chose, mismatches included, so the model learns what the pipeline will show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
from astropy.table import Table
from sklearn.model_selection import StratifiedKFold

from xrbvo.core.errors import Cancelled, InputError
from xrbvo.core.schema import CLASSES, XRB_CLASSES
from xrbvo.stages.classify.classifier import SourceClassifier
from xrbvo.stages.features import FEATURES, feature_matrix, feature_names
from xrbvo.stages.probability import apply_calibration, fit_calibration, shift_priors

__all__ = ["TrainingSet", "fit_with_cuts", "choose_cut", "choose_cuts", "completeness_purity",
           "class_weights_for_priors"]


@dataclass(frozen=True)
class TrainingSet:
    """Features and labels of a training sample.

    Parameters
    ----------
    features : astropy.table.Table
        Feature columns (:data:`xrbvo.stages.features.FEATURES`), one row per source.
    labels : numpy.ndarray
        Class label per row.
    reference_priors : dict[str, float]
        Expected class mix of a real field like the training skies (no injection boost).
    """

    features: Table
    labels: np.ndarray
    reference_priors: dict[str, float]
    """Expected class mix of a real field like the training skies (no injection boost)."""


def class_weights_for_priors(labels: np.ndarray, priors: Mapping[str, float]) -> np.ndarray:
    """Per-row weights that turn the sample's class mix into ``priors``.

    Parameters
    ----------
    labels : numpy.ndarray
        Class label per row.
    priors : Mapping[str, float]
        Class priors (class -> prior).

    Returns
    -------
    numpy.ndarray
        Per-row weights that turn the sample's class mix into ``priors``.
    """
    labels = np.asarray(labels).astype(str)
    classes, counts = np.unique(labels, return_counts=True)
    share = dict(zip(classes, counts / counts.sum()))
    return np.array([priors.get(c, 0.0) / share[c] for c in labels])


def completeness_purity(is_true: np.ndarray, score: np.ndarray, cuts: np.ndarray,
                        weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Completeness and purity of ``score >= cut`` for each cut (optionally weighted rows).

    Parameters
    ----------
    is_true : numpy.ndarray
        True where the row is of the class.
    score : numpy.ndarray
        Probability of the class per row.
    cuts : numpy.ndarray
        Probability cuts to evaluate.
    weights : numpy.ndarray, optional
        Weight per row; default all 1.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        Completeness and purity at each cut.
    """
    w = np.ones(len(score)) if weights is None else np.asarray(weights, float)
    t = np.asarray(is_true, bool)
    comp, pur = [], []
    tot_true = np.sum(w[t])
    for c in cuts:
        sel = score >= c
        tp = np.sum(w[sel & t])
        ns = np.sum(w[sel])
        comp.append(tp / tot_true if tot_true > 0 else np.nan)
        pur.append(tp / ns if ns > 0 else np.nan)
    return np.array(comp), np.array(pur)


def choose_cut(is_true: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None,
               min_purity: float | None = None) -> float:
    """Probability cut: the highest completeness with purity >= ``min_purity``, else the best F1.

    Parameters
    ----------
    is_true : numpy.ndarray
        True where the row is of the class.
    score : numpy.ndarray
        Probability of the class per row.
    weights : numpy.ndarray, optional
        Weight per row (e.g. to a reference class mix); default all 1.
    min_purity : float, optional
        The purity the cut must reach.

    Returns
    -------
    float
        Probability cut: the highest completeness with purity >= ``min_purity``, else the best F1.
    """
    grid = np.linspace(0.02, 0.98, 97)
    comp, pur = completeness_purity(is_true, score, grid, weights)
    if min_purity is not None:
        ok = np.nan_to_num(pur) >= min_purity
        if ok.any():
            i = np.nanargmax(np.where(ok, comp, -1))
            return float(grid[i])
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.nan_to_num(2 * comp * pur / (comp + pur))
    return float(grid[int(np.argmax(f1))])


def choose_cuts(y: np.ndarray, proba: np.ndarray, classes: Sequence[str], *, cut_classes: Sequence[str] | None = None,
                weights: np.ndarray | None = None, purity_targets: Mapping[str, float] | None = None,
                default_purity: float | None = None) -> dict[str, dict]:
    """The one cut rule of every training path: per class, :func:`choose_cut` on its probability column.

    Parameters
    ----------
    y : numpy.ndarray
        True class per row.
    proba : numpy.ndarray
        Out-of-fold class probabilities, shape (n, n_classes), columns in ``classes`` order.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    cut_classes : Sequence[str], optional
        Classes that get a cut (those ``classes`` lacks are skipped); default every class.
    weights : numpy.ndarray, optional
        Weight per row (e.g. to a reference class mix); default all 1.
    purity_targets : Mapping[str, float], optional
        Class -> purity its cut must reach (highest completeness at that purity); None: no targets,
        every cut is the one of the best F1.
    default_purity : float, optional
        Target of a class ``purity_targets`` does not name (None: the best F1 for it).

    Returns
    -------
    dict[str, dict]
        Class -> ``{"cut", "completeness", "purity", "purity_target"}`` (completeness and purity of
        ``P >= cut``, weighted; ``purity_target`` None when the cut is the best F1's).
    """
    y = np.asarray(y).astype(str)
    cls_list = [str(c) for c in classes]
    out: dict[str, dict] = {}
    for c in (cls_list if cut_classes is None else cut_classes):
        if c not in cls_list:
            continue
        score = proba[:, cls_list.index(c)]
        t = None if purity_targets is None else purity_targets.get(c, default_purity)
        cut = choose_cut(y == c, score, weights, min_purity=t)
        comp, pur = completeness_purity(y == c, score, np.array([cut]), weights)
        out[str(c)] = {"cut": cut, "completeness": float(comp[0]), "purity": float(pur[0]), "purity_target": t}
    return out


def fit_with_cuts(ts: TrainingSet, *, cut_classes: Sequence[str] = XRB_CLASSES, n_folds: int = 3,
                  classifier: SourceClassifier | None = None, random_state: int = 0,
                  progress: Callable[[str, float], None] | None = None) -> tuple[SourceClassifier, dict]:
    """Fit the classifier and choose candidate cuts on out-of-fold predictions.

    Out-of-fold probabilities are computed at the reference (real-field)
    priors, and rows are weighted to that mix, so the cuts aim at completeness
    and purity in a field like the training skies without injection.

    Returns the fitted classifier and a metadata dict (cuts, metrics, priors).

    Parameters
    ----------
    ts : TrainingSet
        The training set (features, labels, reference priors).
    cut_classes : Sequence[str], optional
        Classes that get a candidate cut.
    n_folds : int, optional
        Number of folds of the out-of-fold predictions.
    classifier : SourceClassifier, optional
        An unfitted classifier to use; default a new SourceClassifier.
    random_state : int, optional
        Seed of the random draws.
    progress : Callable[[str, float], None], optional
        Progress callback ``(message, fraction)``.

    Returns
    -------
    tuple[SourceClassifier, dict]
        The fitted classifier and its metadata (cuts and their measured completeness and purity).
    """
    names = feature_names(ts.features)  # FEATURES, and the run's opt-in surveys' features
    X = feature_matrix(ts.features, names)
    y = ts.labels
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < n_folds + 1:
        raise InputError(f"class {classes[counts.argmin()]} has only {counts.min()} training sources; "
                         "enlarge the training sky or boost that class")
    proto = classifier or SourceClassifier(random_state=random_state)
    oof = np.zeros((len(y), len(classes)))
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    for k, (tr, va) in enumerate(skf.split(X, y)):
        m = SourceClassifier(**proto.get_params()).fit(X[tr], y[tr], feature_names=names)
        oof[va] = m.predict_proba(X[va], priors=ts.reference_priors)
        if progress:
            progress(f"cross-validation fold {k + 1}/{n_folds}", (k + 1) / (n_folds + 1))
    weights = class_weights_for_priors(y, ts.reference_priors)
    cls_list = list(classes)
    chosen = choose_cuts(y, oof, cls_list, cut_classes=cut_classes, weights=weights)
    cuts = {c: r["cut"] for c, r in chosen.items()}
    metrics = {c: {"cut": r["cut"], "completeness": r["completeness"], "purity_at_reference_priors": r["purity"]}
               for c, r in chosen.items()}
    from xrbvo.stages.select import pass_rates

    rates = pass_rates(y, oof, cls_list, cuts)
    pred = classes[np.argmax(oof, axis=1)]
    from sklearn.metrics import balanced_accuracy_score

    metrics["balanced_accuracy_oof"] = float(balanced_accuracy_score(y, pred))
    model = SourceClassifier(**proto.get_params()).fit(X, y, feature_names=names)
    if progress:
        progress("final fit", 1.0)
    ref = {c: float(ts.reference_priors.get(c, 0.0)) for c in CLASSES}
    meta = {
        "cuts": cuts,
        "cv_metrics": metrics,
        "selection": {"cut_priors": ref, "pass_rates": rates,
                      "method": f"{n_folds}-fold out-of-fold probabilities at the reference priors"},
        "trained_on": "simulated",
        "reference_priors": ref,
        "n_training": int(len(y)),
        "training_counts": {str(c): int(n) for c, n in zip(classes, counts)},
    }
    return model, meta


# ----------------------------------------------------------------------------------------------
# Training on labelled real sources
# ----------------------------------------------------------------------------------------------

#: The hyper-parameter candidates searched by stratified cross-validation (kept small: 2 cores; at most
#: 80 trees per class so that prediction stays above 1e5 sources/s).
DEFAULT_GRID: tuple[dict, ...] = (
    {"max_depth": 3, "n_estimators": 80, "learning_rate": 0.15},
    {"max_depth": 4, "n_estimators": 70, "learning_rate": 0.15},
    {"max_depth": 5, "n_estimators": 60, "learning_rate": 0.15, "min_child_weight": 2.0},
)

#: A single small candidate, for trials and tests (``xrbvo train --quick``).
QUICK_GRID: tuple[dict, ...] = ({"max_depth": 3, "n_estimators": 30, "learning_rate": 0.3},)

#: Purity each class's probability cut must reach (the issue's acceptance levels for HMXB, LMXB, CV;
#: 0.85 otherwise); the cut is the one with the highest completeness at that purity.
PURITY_TARGETS: dict[str, float] = {"HMXB": 0.85, "LMXB": 0.50, "CV": 0.60}
DEFAULT_PURITY = 0.85

#: Features left out when training on the labelled Chandra set *without* augmentation: its AGN all lie
#: at high Galactic latitude, so the Galactic N_H would teach "low N_H means AGN" (a latitude shortcut
#: that fails in the plane, the domain-shift trap of ARCHITECTURE.md).  With the plane augmentation
#: (the default, :mod:`xrbvo.stages.classify.augment`) the training AGN are also seen through plane columns and N_H
#: is kept.
DEFAULT_EXCLUDE: tuple[str, ...] = ("log_nh",)

#: Default augmentation of :func:`train_labelled` (:class:`xrbvo.stages.classify.augment.AugmentConfig` defaults:
#: two plane copies per AGN, one per Galactic source with a distance, ``|b|`` <= 10 deg, Chandra bands).
DEFAULT_AUGMENT: dict = {}

__all__ += ["DEFAULT_GRID", "QUICK_GRID", "PURITY_TARGETS", "DEFAULT_PURITY", "DEFAULT_EXCLUDE", "DEFAULT_AUGMENT", "default_feature_names", "cv_predictions", "choose_class_cuts",
            "train_labelled", "usable_features"]


def default_feature_names(features: Table, augment: Mapping | None) -> list[str]:
    """Usable features; without augmentation, :data:`DEFAULT_EXCLUDE` is left out.

    Parameters
    ----------
    features : astropy.table.Table
        Feature columns (:data:`xrbvo.stages.features.FEATURES`), one row per source.
    augment : Mapping | None
        Plane augmentation of the training rows (the options of
        :class:`xrbvo.stages.classify.augment.AugmentConfig`); None: none.

    Returns
    -------
    list[str]
        The feature names.
    """
    excl = () if augment is not None else DEFAULT_EXCLUDE
    return [f for f in usable_features(features) if f not in excl]


def usable_features(features: Table, names: Sequence[str] = FEATURES) -> list[str]:
    """The feature names with at least one finite value in ``features`` (all-missing ones are dropped).

    Parameters
    ----------
    features : astropy.table.Table
        Feature columns (:data:`xrbvo.stages.features.FEATURES`), one row per source.
    names : Sequence[str], optional
        Names to consider; default :data:`xrbvo.stages.features.FEATURES`.

    Returns
    -------
    list[str]
        The feature names with at least one finite value in ``features`` (all-missing ones are dropped).
    """
    return [f for f in names if f in features.colnames and np.isfinite(np.asarray(features[f], float)).any()]


def _check_cancel(cancel) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def cv_predictions(X: np.ndarray, y: np.ndarray, params: Mapping, *, n_splits: int = 3, random_state: int = 0,
                   n_jobs: int = 2, sampler=None, cancel=None,
                   feature_names: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities (at the training mix, uncalibrated) from stratified k-fold CV.

    Oversampling and augmentation (``params["augment"]``) happen inside each
    training fold only (they live in the classifier's imblearn Pipeline and
    act in ``fit``); ``feature_names`` are needed for augmentation.

    Parameters
    ----------
    X : numpy.ndarray
        Feature matrix, shape (n, n_features).
    y : numpy.ndarray
        True class per row.
    params : Mapping
        Options of the classifier.
    n_splits : int, optional
        Number of folds.
    random_state : int, optional
        Seed of the random draws.
    n_jobs : int, optional
        Number of parallel jobs.
    sampler
        Resampling step inside the fit (e.g. SMOTE); None: the default.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).
    feature_names : Sequence[str], optional
        Features to use; default :func:`default_feature_names`.

    Returns
    -------
    oof : ndarray (n, n_classes)
        Out-of-fold probabilities, columns in ``classes`` order.
    classes : ndarray
        Sorted class names.
    """
    from joblib import Parallel, delayed

    y = np.asarray(y).astype(str)
    classes = np.unique(y)
    skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    splits = list(skf.split(X, y))
    train_priors = np.bincount(np.searchsorted(classes, y), minlength=len(classes)) / len(y)

    def one(tr, va):
        _check_cancel(cancel)
        m = SourceClassifier(**{**dict(params), "n_jobs": 1, "random_state": random_state, "sampler": sampler})
        m.fit(X[tr], y[tr], feature_names=feature_names)
        if list(m.classes_) != list(classes):
            raise InputError("a training fold lacks a class; every class needs at least n_splits rows")
        return va, m.predict_proba(X[va], priors=train_priors)

    oof = np.zeros((len(y), len(classes)))
    backend = "threading" if sampler is None else "sequential"
    for va, p in Parallel(n_jobs=n_jobs if backend == "threading" else 1, backend=backend)(
            delayed(one)(tr, va) for tr, va in splits):
        oof[va] = p
    return oof, classes


def choose_class_cuts(y: np.ndarray, proba: np.ndarray, classes: Sequence[str],
                      purity_targets: Mapping[str, float] | None = None) -> dict[str, dict]:
    """Per class, the probability cut with the highest completeness at its target purity.

    When the target purity is never reached, the cut of the best F1 is taken
    and ``target_reached`` is False.

    Parameters
    ----------
    y : numpy.ndarray
        True class per row.
    proba : numpy.ndarray
        Class probabilities, shape (n, n_classes), columns in ``classes`` order.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    purity_targets : Mapping[str, float], optional
        Class -> target purity; default the module's targets.

    Returns
    -------
    dict[str, dict]
        Per class, the probability cut with the highest completeness at its target purity.
    """
    targets = dict(PURITY_TARGETS if purity_targets is None else purity_targets)
    out = {}
    for c, r in choose_cuts(y, proba, classes, purity_targets=targets, default_purity=DEFAULT_PURITY).items():
        t, pur = r["purity_target"], float(np.nan_to_num(r["purity"]))
        out[c] = {"cut": r["cut"], "purity_target": t, "completeness": r["completeness"], "purity": pur,
                  "target_reached": bool(pur >= t)}
    return out


def train_labelled(features: Table, labels: Sequence[str], *, feature_names: Sequence[str] | None = None,
                   grid: Sequence[Mapping] = DEFAULT_GRID, inner_folds: int = 3, random_state: int = 0,
                   n_jobs: int = 2, purity_targets: Mapping[str, float] | None = None, sampler=None,
                   augment: Mapping | None = DEFAULT_AUGMENT, progress: Callable[[str, float], None] | None = None,
                   cancel=None, extra=None, no_counterpart_rates: Mapping[str, float] | None = None,
                   ) -> tuple[SourceClassifier, dict]:
    """Train the classifier on labelled sources: tune, calibrate, choose cuts, fit.

    1. Each hyper-parameter candidate of ``grid`` is scored by stratified
       ``inner_folds``-fold CV on the given rows (balanced accuracy of the
       arg-max class at uniform priors; log-loss breaks ties).  SMOTE runs
       inside each training fold only.
    2. The chosen candidate's out-of-fold probabilities (at the training
       mix) fit a per-class isotonic calibration; on the calibrated
       out-of-fold probabilities, each class's cut is chosen
       (:func:`choose_class_cuts`) and the cross-validated metrics are
       measured.
    3. The chosen candidate is fitted on all rows and the calibration attached.

    Everything uses only the rows given: to measure the procedure, call it
    inside an outer cross-validation (``benchmarks/classifier_cv.py``).

    ``augment`` (default: on, :data:`DEFAULT_AUGMENT`) adds plane copies of
    the training rows inside every fit (:mod:`xrbvo.stages.classify.augment`), so inside
    the training folds only; None trains on the rows as they are.  The
    default features are :func:`default_feature_names`.

    Parameters
    ----------
    features : astropy.table.Table
        Feature columns (:data:`xrbvo.stages.features.FEATURES`), one row per source.
    labels : Sequence[str]
        Class label per row.
    feature_names : Sequence[str], optional
        Features to use; default :func:`default_feature_names`.
    grid : Sequence[Mapping], optional
        Hyper-parameter settings tried in the inner folds; default the module's grid.
    inner_folds : int, optional
        Number of inner folds for the tuning and the out-of-fold predictions.
    random_state : int, optional
        Seed of the random draws.
    n_jobs : int, optional
        Number of parallel jobs.
    purity_targets : Mapping[str, float], optional
        Class -> target purity of its cut; default the module's targets.
    sampler
        Resampling step inside the fit (e.g. SMOTE); None: the default.
    augment : Mapping, optional
        Plane augmentation of the training rows (the options of
        :class:`xrbvo.stages.classify.augment.AugmentConfig`); None: none.
    progress : Callable[[str, float], None], optional
        Progress callback ``(message, fraction)``.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).
    extra : xrbvo.stages.classify.xrbcats.ExtraRows, optional
        Labelled rows of another catalogue (e.g. the Neumann et al. 2023 HMXBs), added inside every
        fit (training folds only; the class mix stays the labelled rows'), with the features that
        catalogue lacks masked for every class alike (:func:`xrbvo.stages.classify.augment.catalogue_view_copies`).
    no_counterpart_rates : Mapping[str, float], optional
        Class -> least share of its training rows without any counterpart, reached with copies whose
        counterpart features are removed, inside every fit
        (:func:`xrbvo.stages.classify.augment.no_counterpart_copies`); None: none added.

    Returns
    -------
    model : SourceClassifier
    meta : dict
        ``cuts`` (HMXB, LMXB: for candidate selection), ``class_cuts`` (all
        classes, with completeness and purity), ``cv_metrics``,
        ``hyperparameter_search``, ``reference_priors`` (the training mix),
        ``training_counts``, ``features``, ``no_counterpart_share`` (class -> share of the final fit's rows
        without any counterpart, for the no-counterpart likelihood, :mod:`xrbvo.stages.probability`).
    """
    import time

    from sklearn.metrics import balanced_accuracy_score, log_loss


    t0 = time.perf_counter()
    names = list(feature_names) if feature_names is not None else default_feature_names(features, augment)
    augment = _with_extra(augment, names, extra, no_counterpart_rates)
    if augment is not None:
        grid = [{**dict(g), "augment": dict(augment)} for g in grid]
    X = feature_matrix(features, names)
    y = np.asarray(labels).astype(str)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise InputError("training needs at least two classes")
    if counts.min() < inner_folds + 1:
        raise InputError(f"class {classes[counts.argmin()]} has only {counts.min()} labelled sources; "
                         f"it needs at least {inner_folds + 1} for {inner_folds}-fold cross-validation")
    grid = [dict(g) for g in grid] or [{}]
    uniform = np.full(len(classes), 1.0 / len(classes))
    train_priors = counts / counts.sum()
    results, oofs = [], []
    for k, params in enumerate(grid):
        _check_cancel(cancel)
        if progress:
            progress(f"hyper-parameters {k + 1}/{len(grid)}", k / (len(grid) + 1))
        oof, _ = cv_predictions(X, y, params, n_splits=inner_folds, random_state=random_state, n_jobs=n_jobs,
                                sampler=sampler, cancel=cancel, feature_names=names)
        pu = shift_priors(oof, train_priors, uniform)
        ba = float(balanced_accuracy_score(y, classes[np.argmax(pu, axis=1)]))
        ll = float(log_loss(y, np.clip(oof, 1e-12, 1), labels=classes))
        results.append({"params": params, "balanced_accuracy": ba, "log_loss": ll})
        oofs.append(oof)
    best = max(range(len(grid)), key=lambda i: (round(results[i]["balanced_accuracy"], 3), -results[i]["log_loss"]))
    params = grid[best]
    if progress:
        progress("calibration and cuts", len(grid) / (len(grid) + 1))
    calib = fit_calibration(y, oofs[best], classes)
    oof_cal = apply_calibration(oofs[best], calib, classes)
    class_cuts = choose_class_cuts(y, oof_cal, classes, purity_targets)
    from xrbvo.stages.select import pass_rates

    sel_cuts = {c: class_cuts[c]["cut"] for c in XRB_CLASSES if c in class_cuts}
    rates = pass_rates(y, oof_cal, [str(c) for c in classes], sel_cuts)
    pred_mix = classes[np.argmax(oof_cal, axis=1)]
    pred_uni = classes[np.argmax(shift_priors(oof_cal, train_priors, uniform), axis=1)]
    per_class = {}
    for c in classes:
        d = {}
        for tag, pred in (("argmax_uniform_priors", pred_uni), ("argmax_training_mix", pred_mix)):
            sel, true = pred == c, y == c
            d[tag] = {"completeness": float(np.mean(sel[true])),
                      "purity": float(np.mean(true[sel])) if sel.any() else float("nan")}
        d["at_cut"] = class_cuts[str(c)]
        per_class[str(c)] = d
    cv_metrics = {
        "method": f"stratified {inner_folds}-fold CV on the training rows (SMOTE inside training folds); "
                  "calibrated out-of-fold probabilities at the training class mix",
        "balanced_accuracy_uniform_priors": float(balanced_accuracy_score(y, pred_uni)),
        "balanced_accuracy_training_mix": float(balanced_accuracy_score(y, pred_mix)),
        "per_class": per_class,
    }
    _check_cancel(cancel)
    if progress:
        progress("final fit", len(grid) / (len(grid) + 0.5))
    # one XGBoost thread per fit (folds run in parallel threads); the saved model predicts with n_jobs
    model = SourceClassifier(**{**params, "random_state": random_state, "n_jobs": 1, "sampler": sampler})
    model.fit(X, y, feature_names=names)
    model.set_calibration(calib)
    model.set_threads(n_jobs)
    if progress:
        progress("done", 1.0)
    from xrbvo.stages.classify.augment import no_counterpart_shares

    aug = dict(model.pipeline_.named_steps).get("augment")  # the share each class was fitted at, copies included
    none_share = getattr(aug, "none_share_", None) or no_counterpart_shares(X, y, names)
    meta = {
        "cuts": sel_cuts,
        "class_cuts": class_cuts,
        "selection": {"cut_priors": {str(c): float(p) for c, p in zip(classes, train_priors)}, "pass_rates": rates,
                      "method": f"calibrated {inner_folds}-fold out-of-fold probabilities at the training mix"},
        "trained_on": "labelled",
        "cv_metrics": cv_metrics,
        "hyperparameter_search": {"inner_folds": inner_folds, "criterion":
                                  "balanced accuracy (arg-max at uniform priors), then log-loss",
                                  "candidates": results, "chosen": params},
        "reference_priors": {str(c): float(p) for c, p in zip(classes, train_priors)},
        "augmentation": _augment_record(augment),
        "extra_training_rows": (None if extra is None else
                                {"source": extra.source, "n_rows": int(len(extra.labels)), "report": dict(extra.report),
                                 "masked_for_every_class": [f for f in extra.absent if f in names]}),
        "no_counterpart_rates": None if not no_counterpart_rates else {str(k): float(v) for k, v in
                                                                       no_counterpart_rates.items()},
        "no_counterpart_share": {str(k): float(v) for k, v in none_share.items()},
        "field_priors": {"default": "auto", "applies_to": "|b| < 10 deg",
                         "note": "probabilities of low-latitude sources are shifted to their field's class mix "
                                 "(xrbvo.stages.classify.priors)"},
        "training_counts": {str(c): int(n) for c, n in zip(classes, counts)},
        "n_training": int(len(y)),
        "training_seconds": time.perf_counter() - t0,
    }
    return model, meta


def _with_extra(augment: Mapping | None, names: Sequence[str], extra, rates: Mapping[str, float] | None
                ) -> dict | None:
    """The augmentation settings with the extra rows, their masked features and the no-counterpart rates."""
    if extra is None and not rates:
        return None if augment is None else dict(augment)
    out = dict(augment) if augment is not None else {"copies_extragalactic": 0, "copies_galactic": 0}
    if extra is not None:
        rows = np.column_stack([np.asarray(extra.features[f], float) if f in extra.features.colnames
                                else np.full(len(extra.labels), np.nan) for f in names])
        out["extra_features"] = list(names)
        out["extra_rows"] = [[None if not np.isfinite(v) else float(v) for v in r] for r in rows]
        out["extra_labels"] = [str(c) for c in extra.labels]
        out["view_features"] = [f for f in extra.absent if f in names]
    if rates:
        out["no_counterpart_rates"] = {str(k): float(v) for k, v in rates.items()}
    return out


def _augment_record(augment: Mapping | None) -> dict | None:
    if augment is None:
        return None
    from xrbvo.stages.classify.augment import AugmentConfig

    d = AugmentConfig.from_dict(augment).to_dict()
    if d.get("extra_rows"):  # the rows themselves are in params.augment; the record keeps their count
        d["extra_rows"] = f"{len(d['extra_rows'])} rows (params.augment)"
    d["physics"] = "xrbvo.stages.classify.augment (HI4PI N_H, Morrison & McCammon absorption, Wang & Chen extinction)"
    return d
