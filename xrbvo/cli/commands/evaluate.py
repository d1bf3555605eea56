"""``xrbvo evaluate``: completeness, purity, confusion matrix and plots of a model on labelled sources."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "evaluate"
HELP = "measure a trained model on a labelled table: completeness, purity, confusion matrix, PNG plots"
DESCRIPTION = """Classify the labelled rows of FILE with the model in --model and print, per class,
completeness (recall) and purity (precision) of the most probable class, the confusion matrix, the
balanced accuracy, and HMXB / LMXB completeness and purity against the probability cut. Writes PNG
plots of the confusion matrix, the completeness-purity curves and a reliability diagram. When FILE is
the model's own training file the figures are optimistic (the model saw those rows): the command says
so and also prints the cross-validated figures stored with the model."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, required=True, help="model directory written by `xrbvo train`")
    p.add_argument("file", type=Path, help="labelled table (same layouts as `xrbvo train`)")
    p.add_argument("--plots", type=Path, default=Path("xrbvo-evaluation"), help="directory for the PNG plots")
    p.add_argument("--label-column", default="Class", help="column holding the literature class")


def _f(x) -> str:
    return "n/a" if x != x else f"{x:.2f}"


def run(args, ui) -> int:
    import numpy as np
    from rich.table import Table as RichTable

    from xrbvo.workflows import ModelBundle
    from xrbvo.core.schema import XRB_CLASSES
    from xrbvo.workflows.labelled import (class_report, completeness_purity, load_labelled, model_matrix,
                                          plot_confusion, plot_cp_curves, plot_reliability)

    bundle = ModelBundle.load(args.model)
    model, meta = bundle.source, bundle.metadata
    from xrbvo.io import check_writable, output_lock

    check_writable(args.plots, "plot directory")
    with output_lock(args.plots, "evaluate"):  # one writer per directory
        with ui.progress():
            ls = load_labelled(args.file, label_column=args.label_column, progress=ui.stage("reading labels"),
                               bands=bundle.xray_bands)
        X = model_matrix(ls.features, model.feature_names_)
        # a labelled table is a targeted sample: the policy's field priors are the model's own mix, where the
        # cuts were chosen (xrbvo.workflows.policy)
        proba = model.predict_proba(X, priors=np.array([bundle.selection_priors[c] for c in bundle.classes]))
        classes = [str(c) for c in model.classes_]
        cuts = {c: d["cut"] for c, d in meta.get("class_cuts", {}).items()} or dict(meta.get("cuts", {}))
        rep = class_report(ls.labels, proba, classes, cuts=cuts)
        own = ls.sha256 == meta.get("training_file_sha256")
        if own:
            ui.warn("this is the model's training file: the figures below are optimistic (resubstitution); "
                    "the cross-validated figures stored with the model follow them")
        t = RichTable(title=f"xrbvo evaluate: {rep['n']} labelled sources, probabilities at the training class mix")
        for c in ("class", "n", "completeness", "purity", "cut", "compl. at cut", "purity at cut"):
            t.add_column(c, justify="left" if c == "class" else "right")
        for c in classes:
            d = rep["per_class"][c]
            t.add_row(c, str(d["n_true"]), _f(d["completeness"]), _f(d["purity"]), _f(d.get("cut", float("nan"))),
                      _f(d.get("completeness_at_cut", float("nan"))), _f(d.get("purity_at_cut", float("nan"))))
        ui.out.print(t)
        ui.out.print(f"balanced accuracy {rep['balanced_accuracy']:.3f}, accuracy {rep['accuracy']:.3f}")
        ui.out.print("confusion matrix (rows: true, columns: predicted)")
        cm = RichTable()
        cm.add_column("true")
        for c in classes:
            cm.add_column(c, justify="right")
        for c, row in zip(classes, rep["confusion"]):
            cm.add_row(c, *[str(v) for v in row])
        ui.out.print(cm)
        for c in XRB_CLASSES:
            if c not in classes or not np.any(ls.labels == c):
                continue
            i = classes.index(c)
            cuts_show = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
            comp, pur = completeness_purity(ls.labels == c, proba[:, i], cuts_show)
            ui.out.print(f"{c}: completeness and purity against the cut on P_{c}"
                         + (f" (stored cut {cuts[c]:.2f})" if c in cuts else ""), soft_wrap=True)
            ct = RichTable()
            ct.add_column("cut", justify="right")
            ct.add_column("completeness", justify="right")
            ct.add_column("purity", justify="right")
            ct.add_column("selected", justify="right")
            for k, v in enumerate(cuts_show):
                ct.add_row(f"{v:.1f}", _f(comp[k]), _f(pur[k]), str(int(np.sum(proba[:, i] >= v))))
            ui.out.print(ct)
        if own and "cv_metrics" in meta:
            cv = meta["cv_metrics"]
            ui.out.print(f"cross-validated (stored with the model): balanced accuracy "
                         f"{cv['balanced_accuracy_uniform_priors']:.3f}; " + ", ".join(
                             f"{c} {d['at_cut']['completeness']:.2f}/{d['at_cut']['purity']:.2f}"
                             for c, d in cv["per_class"].items()) + " (completeness/purity at the cuts)",
                         soft_wrap=True)
        pred = np.asarray(classes)[np.argmax(proba, axis=1)]
        files = [plot_confusion(ls.labels, pred, classes, args.plots / "confusion_matrix.png"),
                 plot_cp_curves(ls.labels, proba, classes, args.plots / "completeness_purity.png", cuts=cuts),
                 plot_reliability(ls.labels, proba, classes, args.plots / "reliability.png")]
        ui.out.print("plots: " + ", ".join(str(f) for f in files))
    return 0
