"""Benchmark: the classifier cross-validated on the shared labelled Chandra set, before and after more real XRBs.

Run from the repository root::

    PYTHONPATH=. python benchmarks/classifier_cv.py [--repeats 1] [--configs before,neumann,neumann+nocp]

Prints, measured in this one run, side by side for each training configuration:

* ``before``: the labelled set alone (today's default training);
* ``neumann``: plus the Neumann et al. (2023) HMXBs not already labelled
  (:mod:`xrbvo.stages.classify.xrbcats`), added to every *training* part only,
  with the features that catalogue lacks masked for every class alike
  (:func:`xrbvo.stages.classify.augment.catalogue_view_copies`);
* ``neumann+nocp``: plus copies without any counterpart for every class at the
  rates of :func:`xrbvo.stages.classify.augment.default_no_counterpart_rates`;
* ``neumann-nomask``: the Neumann HMXBs added *without* the class-blind masking
  (the ablation of issue 24 item 5: only the HMXB rows lack the catalogue's
  columns, so "BP/RP, astrometry, hardness missing" may come to mean HMXB);
* ``mask-only``: no extra rows, but the same class-blind masked copies of every
  training row (does the gain come from the HMXBs or from the copies' lesson that
  those columns may be missing?).

Figures: repeated stratified 5-fold CV of the *whole training procedure*
(nested: each outer training part tunes, calibrates and chooses cuts by its
own inner CV; the outer test folds, labelled sources only, are never used for
a choice): balanced accuracy (arg-max at the training mix and at uniform
priors), per-class recall and precision at the training mix, completeness and
purity at the inner-CV cuts; the most frequent confusions of every class
(where the balanced accuracy stops); the **survey ablation** (each survey's
columns blanked for every test source, then all of them: the predicted class
mix must not collapse onto NS/LMXB) and the **catalogue-view ablation** (the
features the Neumann catalogue lacks blanked for every test source: if the
model had learnt "these columns missing" as HMXB, the HMXB share would jump);
and the counterpart-less sources of the H.E.S.S.
plane field (``galactic_plane_field_hess.csv``) by predicted class, for a
model trained on the whole labelled set.  ``--timing`` adds the training time
and prediction rate of the default model.

The shared data are read from ``<repo>/../shared/data/``; the benchmark stops
with a message when they are absent.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DATA = SHARED / "labelled" / "csc_xray_mwl_labelled.csv"
NEUMANN = SHARED / "catalogs" / "xrbcats_hmxb_neumann2023.csv"
HESS = SHARED / "labelled" / "galactic_plane_field_hess.csv"

TARGET_BA = 0.80
#: Issue 6 acceptance targets: class -> (completeness, purity) at the chosen cut.
TARGETS = {"HMXB": (0.80, 0.85), "LMXB": (0.50, 0.50), "CV": (0.60, 0.60)}
#: Published random forest on the same sources (Yang et al. 2022): balanced accuracy.
ANCHOR_RF_BA = 0.70
CONFIGS = ("before", "neumann", "neumann+nocp", "neumann-nomask", "mask-only")


def survey_features(survey: str) -> list[str]:
    """Features that become missing when ``survey``'s columns are blank (probed through the one feature builder)."""
    from xrbvo.stages.features import FEATURES, PHOT_FROM, features_from_photometry

    keys = {k for cols in PHOT_FROM.values() for k in cols} | {"pm", "plx_sig", "xvar_prob"}
    gone = set(PHOT_FROM[survey]) | ({"pm", "plx_sig"} if survey == "gaia" else set())
    phot = {k: np.array([np.nan if k in gone else 1.0]) for k in keys}
    phot["plx_err"] = np.array([np.nan if "plx_err" in gone else 0.5])
    f = features_from_photometry(phot, np.array([1e-13]), np.array([1e-13]), np.array([1e21]))
    return [c for c in FEATURES if not np.isfinite(float(f[c][0]))]


def _blank(X: np.ndarray, names: list[str], feats: list[str]) -> np.ndarray:
    out = X.copy()
    for j, n in enumerate(names):
        if n in feats:
            out[:, j] = np.nan
    return out


def _ms(values) -> str:
    v = np.asarray(values, float)
    return f"{np.nanmean(v):.2f}" + (f"±{np.nanstd(v):.2f}" if len(v) > 1 else "")


def _config_kwargs(cfg: str, extra, classes) -> dict:
    from xrbvo.stages.classify.augment import default_no_counterpart_rates

    import dataclasses

    kw: dict = {}
    if cfg in ("neumann", "neumann+nocp"):
        kw["extra"] = extra
    if cfg == "neumann-nomask":  # the same rows, nothing masked for the other classes
        kw["extra"] = dataclasses.replace(extra, absent=())
    if cfg == "mask-only":  # no rows, the catalogue's view copies of every labelled row
        kw["extra"] = dataclasses.replace(extra, features=extra.features[:0], labels=extra.labels[:0],
                                          names=extra.names[:0])
    if cfg in ("nocp", "neumann+nocp"):
        kw["no_counterpart_rates"] = default_no_counterpart_rates(classes)
    return kw


def outer_cv(ls, names, kw, *, folds, repeats, seed, threads, grid, ablations, progress):
    """Outer stratified CV of train_labelled; returns per-repeat probabilities and ablation predictions."""
    from sklearn.model_selection import StratifiedKFold

    from xrbvo.stages.classify.classifier import shift_priors
    from xrbvo.stages.classify.train import train_labelled

    y = np.asarray(ls.labels).astype(str)
    classes = np.unique(y)
    X = np.column_stack([np.asarray(ls.features[f], float) for f in names])
    reps = []
    for r in range(repeats):
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed + 1000 * r)
        proba = np.zeros((len(y), len(classes)))
        puni = np.zeros_like(proba)
        cuts = np.zeros_like(proba)
        abl = {k: np.zeros((len(y), len(classes))) for k in ablations}
        for k, (tr, te) in enumerate(skf.split(X, y)):
            model, meta = train_labelled(ls.features[tr], y[tr], feature_names=names, random_state=seed + r,
                                         n_jobs=threads, grid=grid, **kw)
            proba[te] = model.predict_proba(X[te])
            puni[te] = shift_priors(proba[te], model.train_priors_, np.full(len(classes), 1.0 / len(classes)))
            cuts[te] = [meta["class_cuts"][c]["cut"] for c in classes]
            for a, feats in ablations.items():
                abl[a][te] = model.predict_proba(_blank(X[te], names, feats))
            progress(f"repeat {r + 1}/{repeats}, fold {k + 1}/{folds}")
        reps.append({"proba": proba, "proba_uniform": puni, "cuts": cuts, "ablation": abl})
    return classes, y, reps


def summarise(classes, y, reps) -> dict:
    from sklearn.metrics import balanced_accuracy_score

    out = {"ba_mix": [], "ba_uni": [], "per": {c: {"rec": [], "prec": [], "comp_cut": [], "pur_cut": []}
                                              for c in classes}, "mix": {},
           "confusion": np.zeros((len(classes), len(classes)))}
    for rep in reps:
        pm = classes[np.argmax(rep["proba"], axis=1)]
        pu = classes[np.argmax(rep["proba_uniform"], axis=1)]
        out["ba_mix"].append(balanced_accuracy_score(y, pm))
        out["ba_uni"].append(balanced_accuracy_score(y, pu))
        for i, c in enumerate(classes):
            out["confusion"][i] += [np.sum((y == c) & (pm == d)) / len(reps) for d in classes]
        for i, c in enumerate(classes):
            t, s = y == c, pm == c
            out["per"][c]["rec"].append(np.mean(s[t]))
            out["per"][c]["prec"].append(np.mean(t[s]) if s.any() else np.nan)
            sel = rep["proba"][:, i] >= rep["cuts"][:, i]
            out["per"][c]["comp_cut"].append(np.mean(sel[t]))
            out["per"][c]["pur_cut"].append(np.mean(t[sel]) if sel.any() else np.nan)
        for a, p in {"none": rep["proba"], **rep["ablation"]}.items():
            pred = classes[np.argmax(p, axis=1)]
            out["mix"].setdefault(a, []).append({c: float(np.mean(pred == c)) for c in classes})
    return out


def plots(directory: Path, classes, y, rep, cfg: str) -> None:
    """Confusion matrix, completeness-purity curves and reliability of the first repeat (PNG)."""
    from xrbvo.stages.classify.evaluate import plot_confusion, plot_cp_curves, plot_reliability

    directory.mkdir(parents=True, exist_ok=True)
    pred = classes[np.argmax(rep["proba"], axis=1)]
    cuts = {c: float(np.median(rep["cuts"][:, i])) for i, c in enumerate(classes)}
    plot_confusion(y, pred, classes, directory / "cv_confusion_matrix.png",
                   title=f"Nested CV ({cfg}), arg-max at the training mix (rows: true, normalised)")
    plot_cp_curves(y, rep["proba"], classes, directory / "cv_completeness_purity.png", cuts=cuts,
                   title=f"Nested CV ({cfg}): completeness / purity vs cut (training mix)")
    plot_reliability(y, rep["proba"], classes, directory / "cv_reliability.png",
                     title=f"Nested CV ({cfg}) reliability (calibrated, training mix)")


def hess_counts(ls, names, kw, *, seed, threads, grid) -> dict:
    """Counterpart-less H.E.S.S. field sources by most probable class (training mix), model trained on all rows."""
    from xrbvo.io import read_table
    from xrbvo.stages.classify.augment import counterpart_columns
    from xrbvo.stages.classify.labelled import csc_features
    from xrbvo.stages.classify.train import train_labelled

    model, _ = train_labelled(ls.features, ls.labels, feature_names=names, random_state=seed, n_jobs=threads,
                              grid=grid, **kw)
    f = csc_features(read_table(HESS), source=str(HESS))
    X = np.column_stack([np.asarray(f[n], float) for n in names])
    none = np.all(~np.isfinite(X[:, counterpart_columns(names)]), axis=1)
    pred = model.classes_[np.argmax(model.predict_proba(X), axis=1)]
    return {"n": int(len(X)), "n_none": int(none.sum()),
            "none": {c: int(np.sum(pred[none] == c)) for c in model.classes_},
            "all": {c: int(np.sum(pred == c)) for c in model.classes_}}


def timing(ls, names, args) -> None:
    import tempfile

    from xrbvo.stages.classify.labelled import model_matrix
    from xrbvo.stages.classify.train import train_labelled
    from xrbvo.workflows import ModelBundle

    w0, c0 = time.perf_counter(), time.process_time()
    model, meta = train_labelled(ls.features, ls.labels, feature_names=names, random_state=args.seed,
                                 n_jobs=args.threads)
    w1, c1 = time.perf_counter(), time.process_time()
    print(f"TRAINING (default, all {len(ls.labels)} sources): wall {w1 - w0:.1f} s, process CPU {c1 - c0:.1f} s "
          f"(target < 60 s on 2 cores); chosen "
          f"{ {k: v for k, v in meta['hyperparameter_search']['chosen'].items() if k != 'augment'} }")
    with tempfile.TemporaryDirectory() as d:
        ModelBundle(model, meta, None).save(d)
        loaded = ModelBundle.load(d).source
    X = model_matrix(ls.features, names)
    big = X[np.random.default_rng(args.seed).integers(0, len(X), 100_000)]
    loaded.predict_proba(big[:1000])
    w0 = time.perf_counter()
    loaded.predict_proba(big)
    w1 = time.perf_counter()
    print(f"PREDICTION of 100,000 sources ({args.threads} threads): {1e5 / (w1 - w0):,.0f} sources/s "
          "(target >= 100,000 sources/s)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=1, help="repeats of the outer stratified k-fold CV")
    ap.add_argument("--folds", type=int, default=5, help="outer folds")
    ap.add_argument("--seed", type=int, default=0, help="seed")
    ap.add_argument("--threads", type=int, default=2, help="threads (2 cores)")
    ap.add_argument("--configs", default=",".join(CONFIGS),
                    help=f"comma-separated training configurations among {', '.join(CONFIGS)}, nocp")
    ap.add_argument("--quick", action="store_true", help="one small hyper-parameter candidate (trials only)")
    ap.add_argument("--timing", action="store_true", help="also time the default training and prediction")
    ap.add_argument("--no-hess", action="store_true", help="skip the H.E.S.S. field counts")
    ap.add_argument("--no-augment", action="store_true",
                    help="train without the plane augmentation (then log_nh is left out unless --keep-nh)")
    ap.add_argument("--keep-nh", action="store_true", help="without augmentation, keep log_nh (see docs)")
    ap.add_argument("--plots", type=Path, default=None, help="directory for PNG plots of each configuration")
    args = ap.parse_args(argv)
    for p in (DATA, NEUMANN):
        if not p.exists():
            print(f"shared data not found at {p}; put the shared data beside the repository", file=sys.stderr)
            return 2
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    bad = [c for c in configs if c not in (*CONFIGS, "nocp")]
    if bad:
        print(f"unknown configuration(s) {', '.join(bad)}; choose from {', '.join(CONFIGS)}, nocp", file=sys.stderr)
        return 2

    from xrbvo.stages.classify.labelled import load_labelled
    from xrbvo.stages.classify.train import DEFAULT_GRID, QUICK_GRID, default_feature_names
    from xrbvo.stages.classify.xrbcats import load_neumann2023

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    ls = load_labelled(DATA)
    extra = load_neumann2023(NEUMANN, labelled_names=ls.names, labelled_ra=ls.ra, labelled_dec=ls.dec)
    rep = extra.report
    print(f"labelled: {len(ls.labels)} sources; Neumann et al. 2023: {rep['n_catalogue']} HMXBs, "
          f"{rep['n_duplicate']} already labelled (dropped: {rep['n_duplicate_position']} within "
          f"{rep['match_radius_arcsec']:.0f}\", {rep['n_duplicate_name']} by Chandra name), {rep['n_no_flux']} "
          f"without a soft X-ray flux (dropped), {rep['n_used']} added to training parts")
    print(f"masked for every class (the catalogue lacks them): {', '.join(extra.absent)}")
    augment = None if args.no_augment else {}
    names = default_feature_names(ls.features, augment)
    if augment is None and args.keep_nh:
        names = default_feature_names(ls.features, {})
    print(f"plane augmentation inside every training fit: {'off' if augment is None else 'on (default)'}; "
          f"features ({len(names)}): {', '.join(names)}")
    grid = QUICK_GRID if args.quick else DEFAULT_GRID
    classes_all = np.unique(ls.labels)
    from xrbvo.stages.classify.augment import default_no_counterpart_rates

    print("no-counterpart rates (nocp): " + ", ".join(f"{c} {r:.2f}" for c, r in
                                                    default_no_counterpart_rates(classes_all).items()))
    if args.timing:
        timing(ls, names, args)
    ablations = {s: survey_features(s) for s in ("gaia", "2mass", "catwise")}
    ablations["all surveys"] = sorted({f for v in ablations.values() for f in v})
    ablations["Neumann view"] = [f for f in extra.absent if f in names]
    results, hess = {}, {}
    t0 = time.perf_counter()
    for cfg in configs:
        kw = {**_config_kwargs(cfg, extra, classes_all), "augment": augment}
        classes, y, reps = outer_cv(ls, names, kw, folds=args.folds, repeats=args.repeats, seed=args.seed,
                                    threads=args.threads, grid=grid, ablations=ablations,
                                    progress=lambda m: print(f"  [{cfg}] {m} ({time.perf_counter() - t0:.0f} s)",
                                                             flush=True))
        results[cfg] = summarise(classes, y, reps)
        if args.plots is not None:
            plots(args.plots / cfg.replace("+", "_"), classes, y, reps[0], cfg)
        if not args.no_hess and HESS.exists():
            hess[cfg] = hess_counts(ls, names, kw, seed=args.seed, threads=args.threads, grid=grid)
            print(f"  [{cfg}] H.E.S.S. field done ({time.perf_counter() - t0:.0f} s)", flush=True)

    w = 14
    head = f"{'':<28}" + "".join(f"{c:>{w}}" for c in configs)
    print(f"\nRESULTS: stratified {args.folds}-fold CV x {args.repeats} (mean±std over repeats), "
          f"{len(y)} labelled test sources; grid {'quick' if args.quick else 'default'}")
    print(head)
    print("-" * len(head))
    print(f"{'balanced acc., training mix':<28}" + "".join(f"{_ms(results[c]['ba_mix']):>{w}}" for c in configs)
          + f"   target >= {TARGET_BA:.2f}")
    print(f"{'balanced acc., uniform':<28}" + "".join(f"{_ms(results[c]['ba_uni']):>{w}}" for c in configs)
          + f"   RF anchor {ANCHOR_RF_BA:.2f}")
    print("per class at the training mix (arg-max): recall / precision")
    for c in classes:
        print(f"  {c + f' (n={int(np.sum(y == c))})':<26}" + "".join(
            f"{np.nanmean(results[k]['per'][c]['rec']):>{w - 6}.2f} / {np.nanmean(results[k]['per'][c]['prec']):.2f}"
            for k in configs))
    print("at the inner-CV cut: completeness / purity (target)")
    for c, (tc, tp) in TARGETS.items():
        if c in classes:
            print(f"  {c:<26}" + "".join(
                f"{np.nanmean(results[k]['per'][c]['comp_cut']):>{w - 6}.2f} / "
                f"{np.nanmean(results[k]['per'][c]['pur_cut']):.2f}" for k in configs) + f"   ({tc:.2f}/{tp:.2f})")
    print("confusions at the training mix (arg-max; mean count over repeats): true class -> predicted")
    for k in configs:
        conf = results[k]["confusion"]
        parts = []
        for i, c in enumerate(classes):
            if c in ("AGN", "STAR", "YSO"):
                continue
            off = sorted(((conf[i, j], d) for j, d in enumerate(classes) if j != i), reverse=True)[:3]
            parts.append(f"{c} {conf[i, i]:.0f}/{conf[i].sum():.0f} right, to " +
                         ", ".join(f"{d} {v:.0f}" for v, d in off if v > 0))
        print(f"  [{k}] " + "; ".join(parts))
    print("\nSURVEY ABLATION: one survey's columns blanked for every test source; predicted class mix "
          "(training mix, arg-max); true mix: " + ", ".join(f"{c} {np.mean(y == c):.2f}" for c in classes))
    for k in configs:
        print(f"  [{k}]")
        for a in ("none", *ablations):
            mix = {c: np.mean([m[c] for m in results[k]["mix"][a]]) for c in classes}
            print(f"    {a:<12} NS+LMXB {mix.get('NS', 0) + mix.get('LMXB', 0):.2f} HMXB {mix.get('HMXB', 0):.3f} | "
                  + " ".join(f"{c} {v:.2f}" for c, v in mix.items()))
    if hess:
        first = next(iter(hess.values()))
        print(f"\nH.E.S.S. FIELD ({first['n']} sources, {first['n_none']} without any Gaia/2MASS/WISE counterpart): "
              "most probable class at the training mix, model trained on all labelled rows")
        cls = list(first["none"])
        print(f"  {'counterpart-less':<24}" + "".join(f"{c:>7}" for c in cls))
        for k, h in hess.items():
            print(f"  {k:<24}" + "".join(f"{h['none'][c]:>7}" for c in cls))
        print(f"  {'all sources':<24}" + "".join(f"{c:>7}" for c in cls))
        for k, h in hess.items():
            print(f"  {k:<24}" + "".join(f"{h['all'][c]:>7}" for c in cls))
    print(f"\ntotal wall time {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
