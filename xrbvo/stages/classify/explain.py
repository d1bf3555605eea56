"""Per-source explanations: which features pushed the most probable class (XGBoost contributions)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["explain"]


def explain(model, X: np.ndarray, top: int = 3, *, classes: Sequence[str] | None = None,
            proba: np.ndarray | None = None):
    """Per source, the features that pushed its most probable class most (XGBoost contributions).

    A feature's contribution is the change it makes to the top class's
    margin (log-odds) in XGBoost's tree SHAP decomposition; a missing value's
    missingness indicator is added to its feature, which is then marked
    ``(missing)``.

    Parameters
    ----------
    model : SourceClassifier
        A fitted classifier.
    X : ndarray (n, n_features)
        Features in ``model.feature_names_`` order.
    top : int
        How many features to name.
    proba : ndarray, optional
        Probabilities already computed (their arg-max names the top class).
    classes : Sequence[str], optional
        Class names, in the order of the probability columns.

    Returns
    -------
    astropy.table.Table
        ``top_class`` and ``top_features`` (str, e.g.
        ``"hr +1.20; G_W1 +0.80; J (missing) +0.40"``, largest first).
    """
    from astropy.table import Table

    X = np.asarray(X, float)
    n = len(X)
    out = Table()
    if n == 0:
        out["top_class"] = np.zeros(0, "<U8")
        out["top_features"] = np.zeros(0, "<U8")
        return out
    p = model.predict_proba(X) if proba is None else np.asarray(proba, float)
    k = np.argmax(p, axis=1)
    contrib = model.contributions(X)  # (n, n_classes, n_expanded + 1)
    nf = len(model.feature_names_)
    imp = model.pipeline_.named_steps["impute"]
    per_feat = contrib[np.arange(n), k, :nf].copy()
    ind = contrib[np.arange(n), k, nf:nf + len(imp.indicator_features_)]
    for j, fi in enumerate(imp.indicator_features_):
        per_feat[:, fi] += ind[:, j]
    names = np.asarray(model.feature_names_)
    miss = ~np.isfinite(X)
    order = np.argsort(-per_feat, axis=1)[:, :top]
    texts = []
    for i in range(n):
        parts = []
        for j in order[i]:
            v = per_feat[i, j]
            if v <= 0:
                break
            parts.append(f"{names[j]}{' (missing)' if miss[i, j] else ''} {v:+.2f}")
        texts.append("; ".join(parts))
    out["top_class"] = np.asarray(model.classes_)[k].astype(str)
    out["top_features"] = np.asarray(texts, dtype=str)
    return out
