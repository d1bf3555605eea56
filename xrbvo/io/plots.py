"""PNG plots people would rather look at than tables (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from xrbvo.io.outputs import save_output

__all__ = ["sky_map", "confusion_matrix_plot"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def sky_map(catalogue, path: str | Path, title: str = "xrbvo sources") -> Path:
    """Galactic sky map of the catalogue: sources by predicted class, candidates circled."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    l = np.asarray(catalogue["l"], float)
    l = np.where(l > 180, l - 360, l)
    b = np.asarray(catalogue["b"], float)
    pred = np.asarray(catalogue["predicted_class"]).astype(str)
    for cls in np.unique(pred):
        m = pred == cls
        ax.scatter(l[m], b[m], s=8, label=f"{cls} ({m.sum()})", alpha=0.8)
    cand = np.asarray(catalogue["candidate"], bool)
    ax.scatter(l[cand], b[cand], s=60, facecolors="none", edgecolors="k", linewidths=1.0,
               label=f"XRB candidates ({cand.sum()})")
    ax.set_xlabel("Galactic longitude (deg)")
    ax.set_ylabel("Galactic latitude (deg)")
    ax.invert_xaxis()
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2, loc="upper right", framealpha=0.8)
    fig.tight_layout()
    try:
        return save_output(path, fig.savefig)
    finally:
        plt.close(fig)


def confusion_matrix_plot(true: Sequence[str], pred: Sequence[str], classes: Sequence[str], path: str | Path,
                          title: str = "Confusion matrix (rows: true class, normalised)") -> Path:
    """Row-normalised confusion matrix with counts."""
    plt = _plt()
    classes = list(classes)
    idx = {c: i for i, c in enumerate(classes)}
    cm = np.zeros((len(classes), len(classes)), int)
    for t, p in zip(true, pred):
        if t in idx and p in idx:
            cm[idx[t], idx[p]] += 1
    with np.errstate(invalid="ignore"):
        norm = cm / cm.sum(axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(6.5, 5.5), dpi=110)
    im = ax.imshow(np.nan_to_num(norm), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    for i in range(len(classes)):
        for j in range(len(classes)):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    try:
        return save_output(path, fig.savefig)
    finally:
        plt.close(fig)
