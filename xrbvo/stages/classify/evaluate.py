"""Measuring the classifier: per-class completeness and purity, confusion matrix, curves, plots.

Definitions (per class c):

* completeness (recall) = true c predicted as c / all true c;
* purity (precision) = true c predicted as c / all predicted as c;
* balanced accuracy = mean completeness over the classes present.

"Predicted" is the arg-max class, or, for the completeness-purity curves
and the "at cut" figures, ``P_c >= cut``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from xrbvo.core.errors import Cancelled, InputError
from xrbvo.core.text import for_mathtext
from xrbvo.io import save_output
from xrbvo.stages.classify.calibration import reliability
from xrbvo.stages.classify.train import completeness_purity
from xrbvo.stages.features import feature_matrix

__all__ = ["class_report", "confusion", "plot_confusion", "plot_cp_curves", "plot_reliability", "nested_cv",
           "CP_GRID"]

#: Probability cuts of the completeness-purity curves.
CP_GRID = np.linspace(0.01, 0.99, 99)


def confusion(y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """Counts: rows true class, columns predicted class (``classes`` order).

    Parameters
    ----------
    y_true : Sequence[str]
        True class per row.
    y_pred : Sequence[str]
        Predicted class per row.
    classes : Sequence[str]
        Class names, in the order of the probability columns.

    Returns
    -------
    numpy.ndarray
        Counts: rows true class, columns predicted class (``classes`` order).
    """
    idx = {c: i for i, c in enumerate(classes)}
    cm = np.zeros((len(classes), len(classes)), int)
    for t, p in zip(np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)):
        if t in idx and p in idx:
            cm[idx[t], idx[p]] += 1
    return cm


def class_report(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str], *,
                 cuts: Mapping[str, float] | None = None) -> dict:
    """Balanced accuracy, confusion matrix and per-class completeness/purity of arg-max and of cuts.

    Rows whose true class is not in ``classes`` are ignored.

    Parameters
    ----------
    y_true : Sequence[str]
        True class per row.
    proba : numpy.ndarray
        Class probabilities, shape (n, n_classes), columns in ``classes`` order.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    cuts : Mapping[str, float], optional
        Class -> probability cut.

    Returns
    -------
    dict
        ``balanced_accuracy``, ``confusion`` and per-class completeness and purity.
    """
    from sklearn.metrics import balanced_accuracy_score

    classes = [str(c) for c in classes]
    y = np.asarray(y_true).astype(str)
    proba = np.asarray(proba, float)
    keep = np.isin(y, classes)
    y, proba = y[keep], proba[keep]
    if len(y) == 0:
        raise InputError("no labelled rows with a class the model knows")
    pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    per = {}
    for i, c in enumerate(classes):
        t, s = y == c, pred == c
        d = {"n_true": int(t.sum()), "n_predicted": int(s.sum()),
             "completeness": float(np.mean(s[t])) if t.any() else float("nan"),
             "purity": float(np.mean(t[s])) if s.any() else float("nan")}
        if cuts and c in cuts:
            comp, pur = completeness_purity(t, proba[:, i], np.array([cuts[c]]))
            d["cut"] = float(cuts[c])
            d["completeness_at_cut"] = float(comp[0])
            d["purity_at_cut"] = float(pur[0])
            d["n_selected_at_cut"] = int(np.sum(proba[:, i] >= cuts[c]))
        per[c] = d
    present = [c for c in classes if per[c]["n_true"]]
    return {"n": int(len(y)), "balanced_accuracy": float(balanced_accuracy_score(y, pred)) if present else float("nan"),
            "accuracy": float(np.mean(pred == y)), "confusion": confusion(y, pred, classes).tolist(),
            "classes": classes, "per_class": per}


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(y_true, y_pred, classes, path: str | Path, *, title: str | None = None) -> Path:
    """Row-normalised confusion matrix with counts (PNG).

    Parameters
    ----------
    y_true : sequence of str
        True class per row.
    y_pred : sequence of str
        Predicted class per row.
    classes : sequence of str
        Class names, in the order of the probability columns.
    path : str | Path
        The file.
    title : str, optional
        Title of the figure.

    Returns
    -------
    Path
        The PNG file written.
    """
    from xrbvo.io.plots import confusion_matrix_plot

    return confusion_matrix_plot(np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str), list(classes), path,
                                 **({"title": title} if title else {}))


def plot_cp_curves(y_true, proba, classes, path: str | Path, *, cuts: Mapping[str, float] | None = None,
                   show: Sequence[str] | None = None, title: str = "Completeness and purity against the cut") -> Path:
    """Completeness and purity against the probability cut, one panel per class (PNG).

    Parameters
    ----------
    y_true : sequence of str
        True class per row.
    proba : numpy.ndarray
        Class probabilities, shape (n, n_classes), columns in ``classes`` order.
    classes : sequence of str
        Class names, in the order of the probability columns.
    path : str | Path
        The file.
    cuts : Mapping[str, float], optional
        Class -> probability cut.
    show : Sequence[str], optional
        Classes to draw, one panel each.
    title : str, optional
        Title of the figure.

    Returns
    -------
    Path
        The PNG file written.
    """
    plt = _plt()
    y = np.asarray(y_true).astype(str)
    classes = [str(c) for c in classes]
    show = [c for c in (show or classes) if c in classes and np.any(y == c)]
    n = max(len(show), 1)
    ncol = min(n, 4)
    nrow = int(np.ceil(n / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.8 * nrow), dpi=110, squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    for ax, c in zip(axes.ravel(), show):
        i = classes.index(c)
        comp, pur = completeness_purity(y == c, proba[:, i], CP_GRID)
        ax.plot(CP_GRID, comp, label="completeness", color="tab:blue")
        ax.plot(CP_GRID, pur, label="purity", color="tab:orange")
        if cuts and c in cuts:
            ax.axvline(cuts[c], color="grey", ls="--", lw=1, label=f"cut {cuts[c]:.2f}")
        ax.set_title(for_mathtext(f"{c} (n={int(np.sum(y == c))})"), fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(f"P_{c} cut", fontsize=8)
        ax.legend(fontsize=6, loc="lower left")
    fig.suptitle(for_mathtext(title), fontsize=10)
    fig.tight_layout()
    try:
        return save_output(path, fig.savefig)
    finally:
        plt.close(fig)


def plot_reliability(y_true, proba, classes, path: str | Path, *, n_bins: int = 10,
                     title: str = "Reliability (one-vs-rest, all classes)") -> Path:
    """Reliability diagram: observed frequency against predicted probability (PNG).

    Parameters
    ----------
    y_true : sequence of str
        True class per row.
    proba : numpy.ndarray
        Class probabilities, shape (n, n_classes), columns in ``classes`` order.
    classes : sequence of str
        Class names, in the order of the probability columns.
    path : str | Path
        The file.
    n_bins : int, optional
        Number of equal-width probability bins.
    title : str, optional
        Title of the figure.

    Returns
    -------
    Path
        The PNG file written.
    """
    plt = _plt()
    y = np.asarray(y_true).astype(str)
    classes = [str(c) for c in classes]
    fig, ax = plt.subplots(figsize=(5.2, 4.8), dpi=110)
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls=":")
    t_all = np.concatenate([(y == c) for c in classes])
    s_all = np.concatenate([proba[:, i] for i in range(len(classes))])
    mp, fr, nb = reliability(t_all, s_all, n_bins)
    ok = nb > 0
    ax.plot(mp[ok], fr[ok], "o-", color="black", label="all classes", lw=2)
    for c in ("HMXB", "LMXB", "CV", "NS"):
        if c in classes and np.any(y == c):
            i = classes.index(c)
            mp, fr, nb = reliability(y == c, proba[:, i], n_bins)
            ok = nb > 0
            ax.plot(mp[ok], fr[ok], ".-", label=for_mathtext(c), alpha=0.8)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(for_mathtext(title), fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    try:
        return save_output(path, fig.savefig)
    finally:
        plt.close(fig)


def nested_cv(features, labels, *, n_splits: int = 5, n_repeats: int = 2, random_state: int = 0, n_jobs: int = 2,
              train_kwargs: Mapping | None = None, progress: Callable[[str, float], None] | None = None,
              cancel: threading.Event | None = None) -> dict:
    """Repeated stratified k-fold evaluation of the whole training procedure.

    Each outer training part goes through :func:`xrbvo.stages.classify.train.train_labelled`
    (its own inner CV for hyper-parameters, calibration and cuts); the outer
    test part is only predicted.  Nothing is tuned on the outer test folds.

    Parameters
    ----------
    features : astropy.table.Table
        Feature columns (:data:`xrbvo.stages.features.FEATURES`), one row per source.
    labels : sequence of str
        Class label per row.
    n_splits : int, optional
        Number of outer folds.
    n_repeats : int, optional
        Number of repetitions of the k-fold split (different shuffles).
    random_state : int, optional
        Seed of the random draws.
    n_jobs : int, optional
        Number of parallel jobs.
    train_kwargs : Mapping, optional
        Options passed to the training procedure in every fold.
    progress : Callable[[str, float], None], optional
        Progress callback ``(message, fraction)``.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).

    Returns
    -------
    dict
        ``classes``; ``repeats``: a list (one per repeat) of dicts with
        ``proba`` (calibrated, at the training mix of the outer training
        part), ``proba_uniform`` (same, at uniform priors) and ``cuts`` (per
        row, the cut of each class chosen on that row's outer training
        part); ``labels``.
    """
    from sklearn.model_selection import StratifiedKFold

    from xrbvo.stages.probability import shift_priors
    from xrbvo.stages.classify.train import train_labelled

    y = np.asarray(labels).astype(str)
    classes = np.unique(y)
    reps = []
    total = n_splits * n_repeats
    for r in range(n_repeats):
        skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state + 1000 * r)
        proba = np.zeros((len(y), len(classes)))
        puni = np.zeros_like(proba)
        cuts = np.zeros_like(proba)
        for k, (tr, te) in enumerate(skf.split(np.zeros(len(y)), y)):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            model, meta = train_labelled(features[tr], y[tr], random_state=random_state + r, n_jobs=n_jobs,
                                         **dict(train_kwargs or {}))
            X = feature_matrix(features, model.feature_names_)[te]
            if list(model.classes_) != list(classes):
                raise InputError("an outer training fold lacks a class")
            p = model.predict_proba(X)
            proba[te] = p
            puni[te] = shift_priors(p, model.train_priors_, np.full(len(classes), 1.0 / len(classes)))
            cuts[te] = [meta["class_cuts"][c]["cut"] for c in classes]
            if progress:
                progress(f"repeat {r + 1}/{n_repeats}, fold {k + 1}/{n_splits}", (r * n_splits + k + 1) / total)
        reps.append({"proba": proba, "proba_uniform": puni, "cuts": cuts})
    return {"classes": [str(c) for c in classes], "labels": y, "repeats": reps}
