"""``xrbvo train``: train the source classifier on a labelled table of real X-ray sources."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "train"
HELP = "train the source classifier on labelled X-ray sources (e.g. csc_xray_mwl_labelled.csv)"
DESCRIPTION = """Read a labelled table (Chandra Source Catalog layout with Gaia DR3, 2MASS and WISE
photometry and a literature Class, or a table with the feature columns and a Class column), map
its classes onto xrbvo's (HM-STAR -> EARLY, including Wolf-Rayet stars; LM-STAR -> STAR), compute
Galactic N_H from HI4PI, add the Neumann et al. (2023) HMXBs not already labelled to every
training fit when their table lies beside the labels (--extra-hmxb; the features it lacks masked
for every class), choose XGBoost hyper-parameters by stratified cross-validation (SMOTE inside
the training folds only), calibrate the probabilities (isotonic, out-of-fold), choose a probability
cut per class (highest completeness at the target purity), train the counterpart model for class-aware
counterparts on simulated skies (--counterpart-model), and write the bundle (XGBoost JSON, metadata
and a manifest hashing every file). The Chandra 0.5-2 / 2-7 keV bands stand in for eRASS1's soft / hard bands: on eRASS1
sources the model is an approximation."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--labels", type=Path, required=True, help="labelled table (CSV, FITS, VOTable, ECSV, Parquet)")
    p.add_argument("--out", type=Path, required=True, help="model directory to write (a bundle: manifest.json, model.json, metadata.json and the counterpart model)")
    p.add_argument("--label-column", default="Class", help="column holding the literature class")
    p.add_argument("--exclude-feature", action="append", default=None, metavar="NAME",
                   help="leave a feature out (repeatable; default: none with the plane augmentation, log_nh "
                        "without it, because the labelled AGN all lie at high latitude, so N_H would act as a "
                        "latitude shortcut; give 'none' to keep every feature)")
    p.add_argument("--no-augment", action="store_true",
                   help="do not add plane copies of the training sources (by default every training fit adds AGN "
                        "and Galactic sources moved onto |b| <= 10 deg sight lines, absorbed and extinguished)")
    p.add_argument("--augment-b-max", type=float, default=10.0, metavar="DEG",
                   help="target region of the augmentation: |b| <= DEG (default 10)")
    p.add_argument("--extra-hmxb", default="auto", metavar="auto|FILE|none",
                   help="add the HMXBs of Neumann et al. (2023) (xrbcats_hmxb_neumann2023.csv) not already in the "
                        "labelled table to every training fit, with the features that catalogue lacks masked for "
                        "every class alike (docs/classifier.md, 'More real XRBs'). auto (default): the catalogue "
                        "beside the labels as the shared data lay it out (LABELS/../../catalogs/" + NEUMANN_FILE
                        + "), none when it is not there (said in the output and the model's metadata); FILE: that "
                        "file; none: no extra rows")
    p.add_argument("--no-counterpart-copies", action="store_true",
                   help="add copies of training sources with all counterpart photometry removed, for every class "
                        "(docs/classifier.md, 'No counterpart is not a class')")
    p.add_argument("--folds", type=int, default=3, help="folds of the cross-validation that tunes and calibrates")
    p.add_argument("--seed", type=int, default=0, help="seed of SMOTE, XGBoost and the fold split")
    p.add_argument("--quick", action="store_true",
                   help="one small hyper-parameter candidate instead of the search (for trials and tests)")
    p.add_argument("--threads", type=int, default=2, help="parallel fits during training / prediction threads")
    p.add_argument("--counterpart-model", default="sim", metavar="sim|DIR|none",
                   help="the counterpart model (P_XRAY_CTPT) the bundle carries for class-aware counterparts: "
                        "sim (default) = train one on simulated skies with truth (about a minute; --quick: smaller "
                        "skies), DIR = take the one of another model directory (e.g. OUT/model of `xrbvo demo`), "
                        "none = no counterpart model (runs then use the association's counterparts and say so)")


#: The Neumann et al. (2023) HMXB table's file name in the shared data (``catalogs/``).
NEUMANN_FILE = "xrbcats_hmxb_neumann2023.csv"


def extra_hmxb_file(option, labels) -> tuple[Path | None, str]:
    """The Neumann HMXB table ``--extra-hmxb`` names, and a note saying why (None: no extra rows).

    ``auto`` looks for :data:`NEUMANN_FILE` in ``catalogs/`` beside the labels' folder (the shared
    data's layout: ``labelled/`` and ``catalogs/`` side by side); ``none`` turns the rows off; any other
    value is a file, which must exist.

    Parameters
    ----------
    option : str or Path
        The option's value.
    labels : str or Path
        The labelled table.

    Returns
    -------
    tuple[Path | None, str]
        The file (or None) and a note for the output and the model's metadata.
    """
    from xrbvo.core.errors import InputError

    text = str(option)
    if text.lower() == "none":
        return None, "--extra-hmxb none"
    if text.lower() == "auto":
        path = Path(labels).resolve().parent.parent / "catalogs" / NEUMANN_FILE
        if path.is_file():
            return path, f"--extra-hmxb auto: {path}"
        return None, f"--extra-hmxb auto: no {NEUMANN_FILE} at {path}; give --extra-hmxb FILE to add them"
    path = Path(text)
    if not path.is_file():
        raise InputError(f"--extra-hmxb {text}: no such file (give the Neumann et al. 2023 table, auto or none)")
    return path, f"--extra-hmxb {path}"


def run(args, ui) -> int:
    import time

    from rich.table import Table as RichTable

    from xrbvo.core.errors import InputError
    from xrbvo.workflows import ModelBundle
    from xrbvo.workflows.labelled import (BAND_NOTE, CLASS_MAP, DEFAULT_AUGMENT, DEFAULT_EXCLUDE, DEFAULT_GRID,
                                          FEATURES, QUICK_GRID, load_labelled, train_labelled, usable_features)

    if args.folds < 2:
        raise InputError("--folds must be at least 2")
    augment = None if args.no_augment else {**DEFAULT_AUGMENT, "b_max_deg": float(args.augment_b_max)}
    if not 0 < args.augment_b_max <= 90:
        raise InputError("--augment-b-max must be in (0, 90] degrees")
    excl = (DEFAULT_EXCLUDE if augment is None else ()) if args.exclude_feature is None else tuple(
        x for x in args.exclude_feature if x.lower() != "none")
    unknown = [x for x in excl if x not in FEATURES]
    if unknown:
        raise InputError(f"--exclude-feature {unknown[0]}: not a feature; features are {', '.join(FEATURES)}")
    from xrbvo.io import check_writable, output_lock

    check_writable(args.out, "model directory")  # before the long work, not after it
    extra_file, extra_note = extra_hmxb_file(args.extra_hmxb, args.labels)  # a wrong FILE: before the work too
    with output_lock(args.out, "train"):  # one writer per model directory
        ctpt, ctpt_record = None, None
        if args.counterpart_model not in ("sim", "none"):
            other = ModelBundle.load(args.counterpart_model)
            if other.counterpart is None:
                raise InputError(f"--counterpart-model {args.counterpart_model}: that model directory holds no "
                                 "counterpart model")
            ctpt, ctpt_record = other.counterpart, {"taken_from": str(args.counterpart_model),
                                                     "manifest": other.manifest.get("files", {})}
        t0 = time.perf_counter()
        with ui.progress():
            if args.counterpart_model == "sim":
                from xrbvo.workflows.training import train_counterpart_model

                ctpt, ctpt_record = train_counterpart_model(seed=2000 + args.seed, quick=args.quick,
                                                            progress=ui.stage("counterpart model"))
            ls = load_labelled(args.labels, label_column=args.label_column, progress=ui.stage("reading labels"))
            names = [f for f in usable_features(ls.features) if f not in excl]
            extra = rates = None
            if extra_file is not None:
                from xrbvo.workflows.labelled import load_neumann2023

                extra = load_neumann2023(extra_file, labelled_names=ls.names, labelled_ra=ls.ra,
                                         labelled_dec=ls.dec)
            if args.no_counterpart_copies:
                from xrbvo.workflows.labelled import default_no_counterpart_rates

                rates = default_no_counterpart_rates(sorted(set(ls.labels)))
            model, meta = train_labelled(ls.features, ls.labels, feature_names=names, inner_folds=args.folds,
                                         grid=QUICK_GRID if args.quick else DEFAULT_GRID, random_state=args.seed,
                                         n_jobs=args.threads, augment=augment, progress=ui.stage("training"),
                                         extra=extra, no_counterpart_rates=rates)
        meta.update({
            "training_file": str(args.labels), "training_file_sha256": ls.sha256, "training_layout": ls.layout,
            "label_mapping": dict(CLASS_MAP), "band_note": BAND_NOTE, "excluded_features": list(excl),
            "wall_seconds": time.perf_counter() - t0,
            "class_note": "HM-STAR (early-type stars and Wolf-Rayet) -> EARLY; the model has no WR class",
            "counterpart_model": ctpt_record,
            "extra_hmxb": {"option": str(args.extra_hmxb), "file": None if extra_file is None else str(extra_file),
                           "note": extra_note},
        })
        bundle = ModelBundle(model, meta, ctpt)
        bundle.save(args.out)
    cv = meta["cv_metrics"]
    t = RichTable(title=f"xrbvo train: {len(ls.labels)} labelled sources, {len(names)} features "
                        f"({meta['wall_seconds']:.0f} s)")
    for c in ("class", "n", "completeness", "purity", "cut", "compl. at cut", "purity at cut"):
        t.add_column(c, justify="right" if c != "class" else "left")
    for c, d in cv["per_class"].items():
        a, k = d["argmax_uniform_priors"], d["at_cut"]
        t.add_row(c, str(meta["training_counts"][c]), f"{a['completeness']:.2f}", f"{a['purity']:.2f}",
                  f"{k['cut']:.2f}", f"{k['completeness']:.2f}", f"{k['purity']:.2f}"
                  + ("" if k["target_reached"] else " (target missed)"))
    ui.out.print(t)
    ui.out.print(f"cross-validated balanced accuracy {cv['balanced_accuracy_uniform_priors']:.3f} "
                 f"(arg-max at uniform priors; {cv['method']})")
    chosen = {k: v for k, v in meta["hyperparameter_search"]["chosen"].items() if k != "augment"}
    ui.out.print(f"chosen hyper-parameters: {chosen}")  # the augmentation (with any extra rows) is reported below
    if augment is not None:
        ui.out.print(f"plane augmentation: every training fit added copies moved onto |b| <= "
                     f"{augment['b_max_deg']:g} deg sight lines (HI4PI column, absorption and extinction; "
                     "docs/classifier.md)")
    else:
        ui.out.print("plane augmentation: off (--no-augment)")
    if extra is not None:
        r = extra.report
        ui.out.print(f"extra HMXBs: {r['n_used']} of {r['n_catalogue']} from {extra.source} added to every training "
                     f"fit ({r['n_duplicate']} already labelled, {r['n_no_flux']} without an X-ray flux: dropped); "
                     f"masked for every class: {', '.join(f for f in extra.absent if f in names)}")
    else:
        ui.out.print(f"extra HMXBs: none ({extra_note})")
    if rates:
        ui.out.print("copies without counterparts, least share per class: "
                     + ", ".join(f"{c} {v:.2f}" for c, v in rates.items()))
    ui.out.print(f"note: {BAND_NOTE}")
    if ctpt is None:
        ui.out.print("counterpart model: none (--counterpart-model none): runs will classify the association's own "
                     "counterparts")
    else:
        ui.out.print("counterpart model: " + ("trained on simulated skies with truth" if args.counterpart_model == "sim"
                                              else f"taken from {args.counterpart_model}"))
    ui.out.print(f"model written to {args.out}")
    return 0
