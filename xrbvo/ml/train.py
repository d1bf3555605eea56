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
from astropy.table import Table, vstack
from sklearn.model_selection import StratifiedKFold

from ..errors import InputError
from ..schema import CLASSES
from .classifier import SourceClassifier
from .features import FEATURES

__all__ = ["TrainingSet", "training_set_from_sky", "fit_with_cuts", "choose_cut", "completeness_purity",
           "class_weights_for_priors"]


@dataclass(frozen=True)
class TrainingSet:
    """Features and labels of a training sample."""

    features: Table
    labels: np.ndarray
    reference_priors: dict[str, float]
    """Expected class mix of a real field like the training skies (no injection boost)."""


def training_set_from_sky(skies, config=None, *, progress: Callable[[str, float], None] | None = None) -> TrainingSet:
    """Match simulated skies with the pipeline's association and return features and true labels."""
    from ..io import standardise_xray
    from ..pipeline import PipelineConfig, associate, galactic_nh_of, source_features
    from ..providers.sim import SimProvider

    cfg = config or PipelineConfig()
    feats, labels = [], []
    expected: dict[str, float] = {}
    skies = list(skies)
    for i, sky in enumerate(skies):
        xr = standardise_xray(sky.xray)
        nbs = SimProvider(sky).neighbourhoods(xr, cfg.radius_arcsec, cfg.surveys)
        assoc = associate(xr, nbs, cfg)
        feats.append(source_features(xr, assoc, nbs, nh=galactic_nh_of(xr)))
        labels.append(np.asarray(sky.truth["true_class"]).astype(str))
        for k, v in sky.expected_counts.items():
            expected[k] = expected.get(k, 0.0) + v
        if progress:
            progress(f"training sky {i + 1}/{len(skies)}", (i + 1) / len(skies))
    tot = sum(expected.values())
    return TrainingSet(vstack(feats), np.concatenate(labels), {k: v / tot for k, v in expected.items()})


def class_weights_for_priors(labels: np.ndarray, priors: Mapping[str, float]) -> np.ndarray:
    """Per-row weights that turn the sample's class mix into ``priors``."""
    labels = np.asarray(labels).astype(str)
    classes, counts = np.unique(labels, return_counts=True)
    share = dict(zip(classes, counts / counts.sum()))
    return np.array([priors.get(c, 0.0) / share[c] for c in labels])


def completeness_purity(is_true: np.ndarray, score: np.ndarray, cuts: np.ndarray,
                        weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Completeness and purity of ``score >= cut`` for each cut (optionally weighted rows)."""
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
    """Probability cut: the highest completeness with purity >= ``min_purity``, else the best F1."""
    grid = np.linspace(0.02, 0.98, 97)
    comp, pur = completeness_purity(is_true, score, grid, weights)
    if min_purity is not None:
        ok = np.nan_to_num(pur) >= min_purity
        if ok.any():
            i = np.nanargmax(np.where(ok, comp, -1))
            return float(grid[i])
    f1 = np.nan_to_num(2 * comp * pur / (comp + pur))
    return float(grid[int(np.argmax(f1))])


def fit_with_cuts(ts: TrainingSet, *, cut_classes: Sequence[str] = ("HMXB", "LMXB"), n_folds: int = 3,
                  classifier: SourceClassifier | None = None, random_state: int = 0,
                  progress: Callable[[str, float], None] | None = None) -> tuple[SourceClassifier, dict]:
    """Fit the classifier and choose candidate cuts on out-of-fold predictions.

    Out-of-fold probabilities are computed at the reference (real-field)
    priors, and rows are weighted to that mix, so the cuts aim at completeness
    and purity in a field like the training skies without injection.

    Returns the fitted classifier and a metadata dict (cuts, metrics, priors).
    """
    X = np.column_stack([np.asarray(ts.features[f], float) for f in FEATURES])
    y = ts.labels
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < n_folds + 1:
        raise InputError(f"class {classes[counts.argmin()]} has only {counts.min()} training sources; "
                         "enlarge the training sky or boost that class")
    proto = classifier or SourceClassifier(random_state=random_state)
    oof = np.zeros((len(y), len(classes)))
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    for k, (tr, va) in enumerate(skf.split(X, y)):
        m = SourceClassifier(**proto.get_params()).fit(X[tr], y[tr], feature_names=FEATURES)
        oof[va] = m.predict_proba(X[va], priors=ts.reference_priors)
        if progress:
            progress(f"cross-validation fold {k + 1}/{n_folds}", (k + 1) / (n_folds + 1))
    weights = class_weights_for_priors(y, ts.reference_priors)
    cuts, metrics = {}, {}
    cls_list = list(classes)
    for c in cut_classes:
        if c not in cls_list:
            continue
        score = oof[:, cls_list.index(c)]
        cut = choose_cut(y == c, score, weights)
        comp, pur = completeness_purity(y == c, score, np.array([cut]), weights)
        cuts[c] = cut
        metrics[c] = {"cut": cut, "completeness": float(comp[0]), "purity_at_reference_priors": float(pur[0])}
    pred = classes[np.argmax(oof, axis=1)]
    from sklearn.metrics import balanced_accuracy_score

    metrics["balanced_accuracy_oof"] = float(balanced_accuracy_score(y, pred))
    model = SourceClassifier(**proto.get_params()).fit(X, y, feature_names=FEATURES)
    if progress:
        progress("final fit", 1.0)
    meta = {
        "cuts": cuts,
        "cv_metrics": metrics,
        "reference_priors": {c: float(ts.reference_priors.get(c, 0.0)) for c in CLASSES},
        "n_training": int(len(y)),
        "training_counts": {str(c): int(n) for c, n in zip(classes, counts)},
    }
    return model, meta
