"""Benchmark: what the science policy's defaults give on the shared real data, side by side.

Run from the repository root::

    PYTHONPATH=. python benchmarks/policy_defaults.py [--quick] [--folds 3]

Prints, measured in this one run:

* the H.E.S.S. Galactic-plane Chandra field (galactic_plane_field_hess.csv, a
  targeted sample): for ``--field-priors auto`` (the default), ``training`` and
  ``model``, how many of the sources with a known class (True_Class) get it
  right, how many sources are called CV / NS, and the HMXB/LMXB candidates;
* the labelled set under stratified k-fold cross-validation (train on k-1
  folds, classify the held-out fold through ``xrbvo.workflows.classify_table``):
  balanced accuracy of the most probable class for each field-priors mode, and
  the HMXB completeness at the candidate cut.

The classifier is trained with ``xrbvo.stages.classify.train.train_labelled``
(the default hyper-parameter search, or one small candidate with ``--quick``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "labelled"
MODES = ("auto", "training", "model")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one small hyper-parameter candidate")
    ap.add_argument("--folds", type=int, default=3, help="cross-validation folds on the labelled set")
    args = ap.parse_args(argv)
    labelled, hess = DATA / "csc_xray_mwl_labelled.csv", DATA / "galactic_plane_field_hess.csv"
    if not labelled.exists() or not hess.exists():
        print(f"shared data not found under {DATA}", file=sys.stderr)
        return 2
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold

    from xrbvo.io import read_table
    from xrbvo.stages.classify.labelled import csc_features, map_classes
    from xrbvo.stages.classify.train import DEFAULT_GRID, QUICK_GRID, train_labelled
    from xrbvo.workflows import ModelBundle, SciencePolicy
    from xrbvo.workflows.classify import classify_table

    grid = QUICK_GRID if args.quick else DEFAULT_GRID
    t = read_table(labelled)
    raw = np.asarray(t["Class"].filled("") if hasattr(t["Class"], "filled") else t["Class"]).astype(str)
    t = t[np.char.strip(raw) != ""]
    y = map_classes(np.asarray(t["Class"]).astype(str))
    feats = csc_features(t)
    t0 = time.perf_counter()
    model, meta = train_labelled(feats, y, grid=grid)
    bundle = ModelBundle(model, meta)
    print(f"trained on all {len(y)} labelled sources in {time.perf_counter() - t0:.0f} s "
          f"({'quick' if args.quick else 'default'} grid); cuts {bundle.cuts}")

    h = read_table(hess)
    tc = h["True_Class"]
    true = map_classes(np.asarray(tc.filled("") if hasattr(tc, "filled") else tc).astype(str), strict=False)
    known = true != ""
    print(f"\nH.E.S.S. field: {len(h)} sources, {known.sum()} with a known class")
    print(f"{'field priors':<14}{'known right':>12}{'CV':>7}{'NS':>6}{'AGN':>6}{'HMXB cand':>11}{'LMXB cand':>11}"
          f"  policy")
    for mode in MODES:
        r = classify_table(h, bundle, SciencePolicy(field_priors=mode))
        p = r.predicted
        cand = np.asarray(r.table["candidate_class"]).astype(str)
        print(f"{mode:<14}{int(np.sum(p[known] == true[known])):>9}/{known.sum():<2}{int(np.sum(p == 'CV')):>7}"
              f"{int(np.sum(p == 'NS')):>6}{int(np.sum(p == 'AGN')):>6}{int(np.sum(cand == 'HMXB')):>11}"
              f"{int(np.sum(cand == 'LMXB')):>11}  {r.policy.mode} ({r.policy.sample})")

    print(f"\nlabelled set, stratified {args.folds}-fold cross-validation (held-out folds through classify_table)")
    pred = {m: np.empty(len(y), "<U8") for m in MODES}
    cand = {m: np.empty(len(y), "<U8") for m in MODES}
    t0 = time.perf_counter()
    for k, (tr, te) in enumerate(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(feats, y)):
        m_k, meta_k = train_labelled(feats[tr], y[tr], grid=grid)
        b_k = ModelBundle(m_k, meta_k)
        for mode in MODES:
            r = classify_table(t[te], b_k, SciencePolicy(field_priors=mode))
            pred[mode][te] = r.predicted
            cand[mode][te] = np.asarray(r.table["candidate_class"]).astype(str)
        print(f"  fold {k + 1}/{args.folds} done ({time.perf_counter() - t0:.0f} s)")
    base = balanced_accuracy_score(y, pred["training"])
    print(f"{'field priors':<14}{'balanced acc.':>14}{'minus training':>16}{'HMXB found':>12}{'HMXB compl.':>13}")
    for mode in MODES:
        ba = balanced_accuracy_score(y, pred[mode])
        hm = y == "HMXB"
        print(f"{mode:<14}{ba:>14.3f}{ba - base:>+16.3f}{int(np.sum(pred[mode][hm] == 'HMXB')):>9}/{hm.sum():<3}"
              f"{np.mean(cand[mode][hm] == 'HMXB'):>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
