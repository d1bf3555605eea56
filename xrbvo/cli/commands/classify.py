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
carries a published classification (Class, P_<class>, True_Class), the agreement is printed.

Sources at |b| < 10 deg get probabilities at their field's class priors (--field-priors, default auto):
the classifier's own priors are the training mix, but in the Galactic plane AGN seen through the
plane vastly outnumber X-ray binaries. 'em' estimates the field's mix from the sources themselves
(Saerens et al. 2002; it trusts the classifier on the field and can amplify a domain shift), 'model'
and 'auto' take it from xrbvo's population models at the sample's depth (--flux-limit), 'training'
keeps the training mix."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, required=True, help="model directory written by `xrbvo train`")
    p.add_argument("file", type=Path, help="table of sources to classify")
    p.add_argument("--out", type=Path, required=True, help="output table (.fits, .vot, .ecsv, .csv, .parquet)")
    p.add_argument("--uniform-priors", action="store_true",
                   help="give probabilities at uniform class priors instead of the training class mix")
    p.add_argument("--field-priors", default="auto", choices=("auto", "em", "model", "training"),
                   help="class priors for sources at |b| < 10 deg (default auto = model: xrbvo's population "
                        "models for the field; em: estimated from the sources themselves)")
    p.add_argument("--flux-limit", default="auto",
                   help="soft-band flux limit (erg/cm2/s) of the sample for --field-priors model (eRASS1: 5e-14; "
                        "default auto: the 5th percentile of the sources' soft fluxes)")


def run(args, ui) -> int:
    import numpy as np
    from astropy.table import Table
    from rich.table import Table as RichTable

    from xrbvo.io import check_writable, read_table, write_table
    from xrbvo.stages.classify.classifier import SourceClassifier
    from xrbvo.stages.classify.explain import explain
    from xrbvo.stages.classify.labelled import LAYOUTS, csc_features, detect_layout, model_matrix, published_comparison

    model, meta = SourceClassifier.load(args.model)
    check_writable(Path(args.out).parent)
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
        proba_train = proba
        prior_info = {"mode": "uniform" if args.uniform_priors else "training", "n_rows": 0}
        l_gal, b_gal = _galactic(t, layout)
        if not args.uniform_priors and args.field_priors != "training" and b_gal is not None:
            from xrbvo.stages.classify.priors import field_priors_for

            st("field priors", 0.5)
            proba, prior_info = field_priors_for(proba, list(model.classes_), model.train_priors_, l_gal, b_gal,
                                                 args.field_priors, flux_limit=_flux_limit(args.flux_limit),
                                                 soft_flux=10.0 ** np.asarray(feats["log_fx"], float))
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
            # the cut was chosen (cross-validated) on probabilities at the training mix: apply it there
            p = proba_train[:, classes.index(c)]
            sel = (p >= cut) & (p > best)
            cand[sel], best[sel] = c, p[sel]
    out["candidate_class"] = cand
    out["top_features"] = ex["top_features"]
    out.meta["MODEL"] = str(args.model)
    out.meta["CUTS"] = ";".join(f"{k}={v:.3f}" for k, v in cuts.items())
    out.meta["PRIORS"] = prior_info["mode"]
    if prior_info.get("priors"):
        out.meta["FLDPRIOR"] = ";".join(f"{k}={v:.4g}" for k, v in prior_info["priors"].items())
    if meta.get("augmentation"):
        out.meta["AUGMENT"] = "plane augmentation in training"
    if meta.get("band_note"):
        out.meta["BANDNOTE"] = meta["band_note"]
    write_table(out, args.out)
    s = RichTable(title=f"xrbvo classify: {len(t)} sources ({layout} layout)")
    s.add_column("class")
    s.add_column("most probable", justify="right")
    s.add_column("candidates (P >= cut)", justify="right")
    shifted = prior_info.get("n_rows", 0) > 0
    if shifted:
        s.add_column("expected true among candidates (sum of P)", justify="right")
    for c in classes:
        row = [c, str(int(np.sum(pred == c))), f"{int(np.sum(cand == c))} (cut {cuts[c]:.2f})" if c in cuts else ""]
        if shifted:
            row.append(f"{proba[cand == c, classes.index(c)].sum():.1f}" if c in cuts else "")
        s.add_row(*row)
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
    if prior_info.get("priors"):
        pri = ", ".join(f"{k} {v:.3g}" for k, v in sorted(prior_info["priors"].items(), key=lambda kv: -kv[1]))
        ui.out.print(f"field priors ({prior_info['mode']}) for the {prior_info['n_rows']} sources at |b| < "
                     f"{prior_info['b_max_deg']:.0f} deg: {pri}")
        ui.out.print("P_<class> and the most probable class are at these priors; candidate cuts apply to the "
                     "probabilities at the training mix, where they were chosen")
    elif b_gal is None and not args.uniform_priors and args.field_priors != "training":
        ui.out.print("note: the table has no positions, so probabilities stay at the training class mix")
    if meta.get("band_note"):
        ui.out.print(f"note: {meta['band_note']}")
    ui.out.print(f"written: {args.out}")
    return 0


def _galactic(t, layout):
    """Galactic (l, b) of the table's rows, or (None, None) without finite positions."""
    import numpy as np

    from xrbvo.stages.classify.labelled import LAYOUTS

    lay = LAYOUTS.get(layout, {"ra": "ra", "dec": "dec"})
    if lay["ra"] not in t.colnames or lay["dec"] not in t.colnames:
        return None, None
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    try:
        ra = np.asarray(np.ma.filled(np.ma.asarray(t[lay["ra"]]).astype(float), np.nan))
        dec = np.asarray(np.ma.filled(np.ma.asarray(t[lay["dec"]]).astype(float), np.nan))
    except (TypeError, ValueError):
        return None, None
    ok = np.isfinite(ra) & np.isfinite(dec) & (np.abs(dec) <= 90)
    if not ok.any():
        return None, None
    l = np.full(len(ra), np.nan)
    b = np.full(len(ra), np.nan)
    c = SkyCoord(ra=ra[ok] * u.deg, dec=dec[ok] * u.deg).galactic
    l[ok], b[ok] = c.l.deg, c.b.deg
    return l, b


def _flux_limit(text: str) -> float | None:
    from xrbvo.core.errors import InputError

    if str(text).lower() == "auto":
        return None
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"--flux-limit {text!r}: give a flux in erg/cm2/s (e.g. 5e-14) or 'auto'") from None
    if not v > 0:
        raise InputError("--flux-limit must be positive (erg/cm2/s)")
    return v
