"""``xrbvo classify``: class probabilities, candidates and explanations for any table of sources."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "classify"
HELP = "classify the sources of a table with a trained model (probabilities, candidates, explanations)"
DESCRIPTION = """Read FILE (a table with the feature columns, such as an xrbvo catalogue, or a Chandra
Source Catalog table with Gaia/2MASS/WISE photometry), compute the features (Galactic N_H from HI4PI),
and write --out with P_<class> for every class, the most probable class, the HMXB/LMXB candidate flag
from the model's cuts, and the three features that pushed the most probable class most. When FILE
carries a published classification (Class, P_<class>, True_Class), the agreement is printed."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, required=True, help="model directory written by `xrbvo train`")
    p.add_argument("file", type=Path, help="table of sources to classify")
    p.add_argument("--out", type=Path, required=True, help="output table (.fits, .vot, .ecsv, .csv, .parquet)")
    p.add_argument("--uniform-priors", action="store_true",
                   help="give probabilities at uniform class priors instead of the training class mix")


def run(args, ui) -> int:
    import numpy as np
    from astropy.table import Table
    from rich.table import Table as RichTable

    from xrbvo.io import read_table, write_table
    from xrbvo.ml.classifier import SourceClassifier
    from xrbvo.ml.explain import explain
    from xrbvo.ml.labelled import LAYOUTS, csc_features, detect_layout, model_matrix, published_comparison

    model, meta = SourceClassifier.load(args.model)
    with ui.progress():
        st = ui.stage("classifying")
        st("reading", 0.05)
        t = read_table(args.file)
        layout = detect_layout(t)
        st("features and HI4PI N_H", 0.2)
        feats = csc_features(t, layout=layout)
        X = model_matrix(feats, model.feature_names_)
        priors = np.full(len(model.classes_), 1.0 / len(model.classes_)) if args.uniform_priors else None
        st("probabilities", 0.4)
        proba = model.predict_proba(X, priors=priors)
        st("explanations", 0.6)
        ex = explain(model, X, proba=proba)
        st("done", 1.0)
    classes = [str(c) for c in model.classes_]
    out = Table()
    lay = LAYOUTS.get(layout)
    for src, dst in ((lay["name"], "name"), (lay["ra"], "ra"), (lay["dec"], "dec")) if lay else ():
        if src in t.colnames:
            out[dst] = t[src]
    for c in ("name", "xid", "ra", "dec"):
        if c in t.colnames and c not in out.colnames:
            out[c] = t[c]
    for f in model.feature_names_:
        out[f] = feats[f]
    for i, c in enumerate(classes):
        out[f"P_{c}"] = proba[:, i]
    pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    out["predicted_class"] = pred
    out["P_max"] = proba.max(axis=1)
    cuts = dict(meta.get("cuts", {}))
    cand = np.full(len(t), "", dtype="<U8")
    best = np.full(len(t), -1.0)
    for c, cut in cuts.items():
        if c in classes:
            p = proba[:, classes.index(c)]
            sel = (p >= cut) & (p > best)
            cand[sel], best[sel] = c, p[sel]
    out["candidate_class"] = cand
    out["top_features"] = ex["top_features"]
    out.meta["MODEL"] = str(args.model)
    out.meta["CUTS"] = ";".join(f"{k}={v:.3f}" for k, v in cuts.items())
    if meta.get("band_note"):
        out.meta["BANDNOTE"] = meta["band_note"]
    write_table(out, args.out)
    s = RichTable(title=f"xrbvo classify: {len(t)} sources ({layout} layout)")
    s.add_column("class")
    s.add_column("most probable", justify="right")
    s.add_column("candidates (P >= cut)", justify="right")
    for c in classes:
        s.add_row(c, str(int(np.sum(pred == c))),
                  f"{int(np.sum(cand == c))} (cut {cuts[c]:.2f})" if c in cuts else "")
    ui.out.print(s)
    cmp = published_comparison(t, pred)
    if cmp:
        ui.out.print(f"agreement with the published classes: {cmp['agreement']:.2f} of {cmp['n']} sources"
                     + (f"; {cmp['agreement_published_confident']:.2f} of the {cmp['n_published_confident']} with "
                        f"published Class_prob >= 0.7" if "n_published_confident" in cmp else ""))
        if cmp.get("n_true"):
            ui.out.print(f"sources with a known class: ours correct {cmp['ours_correct_true']}/{cmp['n_true']}, "
                         f"published correct {cmp['published_correct_true']}/{cmp['n_true']}")
        pc = RichTable(title="published vs ours (counts; published classes mapped onto xrbvo's)")
        for c in ("class", "published", "ours", "both"):
            pc.add_column(c, justify="left" if c == "class" else "right")
        for c, d in cmp["per_class"].items():
            pc.add_row(c, str(d["published"]), str(d["ours"]), str(d["both"]))
        ui.out.print(pc)
    if meta.get("band_note"):
        ui.out.print(f"note: {meta['band_note']}")
    ui.out.print(f"written: {args.out}")
    return 0
