"""Benchmark: do AGN behind the Galactic plane stay AGN?  (issue 11)

Run from the repository root::

    PYTHONPATH=. python benchmarks/plane_shift.py [--folds 5] [--quick] [--skip-sim]

Stratified k-fold cross-validation on the shared labelled Chandra set.  Each
outer training part trains three classifiers with the whole training
procedure (:func:`xrbvo.stages.classify.train.train_labelled`: inner CV for the
hyper-parameters, calibration and cuts):

``naive``       N_H among the features, no augmentation (what a new user tries);
``plain``       no augmentation, N_H left out (issue 6's default);
``augmented``   plane augmentation inside every training fit, N_H kept (the default now).

Each outer validation fold is then used twice: as it is (balanced accuracy,
arg-max at uniform priors), and with its AGN, and only them, moved into the
plane by the same physics (:func:`xrbvo.stages.classify.augment.augment_rows`, one copy
each, on sight lines drawn with a seed the training never uses; copies below
the detection limits are dropped).  The shares of moved AGN classified as
AGN and as HMXB or LMXB are printed at the training class mix (the model's
own probabilities), at uniform priors and at the plane field's priors.  A
labelled model's cuts are chosen at its training mix (its selection priors), so
the "training mix" figures are on the catalogue's ``P_<class>`` and the "plane
field priors" figures on ``P_<class>_field`` of a run whose field priors are
the population model's (``SciencePolicy(field_priors="model")``, or ``auto``
for |b| < 10 deg).

Then the expected HMXB purity in a plane field: the AGN:HMXB ratio of the
eRASS1 western Galactic plane (l = 180-360 deg, |b| < 10 deg, 0.2-2.3 keV limit
5e-14 erg/cm2/s) from xrbvo's population models, the HMXB completeness at the
cut and the rates at which each class passes the HMXB cut (the cut applied to
``P_HMXB`` at the selection priors, as every run applies it; the field's mix
enters only through the counts, as in the catalogue's ``expected_purity``).

Finally, unless ``--skip-sim``: the simulated sky (whose plane AGN have truth),
classified by the demo's simulated-sky model and by the labelled models.  Its
first pair of columns is at each model's training mix (for the labelled models
their selection priors, i.e. ``P_<class>``; for the models trained on the
simulated skies, the boosted training skies' mix, not their selection priors),
the second at the simulated field's own unboosted mix given as the field
priors (``P_<class>_field``); the ``joint`` rows run the pipeline with those
two as ``selection_priors`` and ``field_priors`` and read ``predicted_class``
(the arg-max of ``P_<class>_field``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "labelled" / "csc_xray_mwl_labelled.csv"
ARMS = ("naive", "plain", "augmented")


def _poisson_upper(k: int, cl: float = 0.95) -> float:
    """Upper limit on a Poisson mean after k events (k = 0: -ln(1 - cl))."""
    from scipy.stats import chi2

    return float(chi2.ppf(cl, 2 * (k + 1)) / 2.0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="one small hyper-parameter candidate (a quick look)")
    ap.add_argument("--skip-sim", action="store_true", help="skip the simulated-sky part")
    ap.add_argument("--sim-only", action="store_true", help="only the simulated-sky part")
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"labelled data not found at {DATA}; put the shared data beside the repository", file=sys.stderr)
        return 2

    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold

    from xrbvo.stages.classify.augment import AugmentConfig, augment_rows, sight_lines
    from xrbvo.stages.probability import shift_priors
    from xrbvo.stages.classify.labelled import load_labelled, model_matrix
    from xrbvo.stages.classify.priors import expected_field_counts, expected_field_priors
    from xrbvo.stages.classify.train import DEFAULT_GRID, QUICK_GRID, train_labelled, usable_features

    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    ls = load_labelled(DATA)
    y = ls.labels
    allf = usable_features(ls.features)
    X = model_matrix(ls.features, allf)
    grid = QUICK_GRID if args.quick else DEFAULT_GRID
    # detection limits of the moved validation AGN: the whole sample's 2nd percentiles (as the training default)
    fs = 10 ** X[:, allf.index("log_fx")]
    hr = X[:, allf.index("hr")]
    with np.errstate(divide="ignore", invalid="ignore"):
        fh = fs * (1 + hr) / (1 - hr)
    lim_s = float(np.nanpercentile(fs[fs > 0], 2))
    lim_h = float(np.nanpercentile(fh[np.isfinite(fh) & (fh > 0)], 2))
    print(f"labelled set: {len(y)} sources; moved AGN must stay above {lim_s:.2g} (soft) erg/cm2/s, hard fluxes "
          f"below {lim_h:.2g} become missing")

    if args.sim_only:
        _simulated(allf, args)
        return 0
    skf = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    pred_u = {a: np.empty(len(y), dtype=object) for a in ARMS}
    moved = {a: {"train": [], "uniform": [], "field": [], "p_hmxb_train": []} for a in ARMS}
    hmxb_pass = {a: np.zeros(len(y), bool) for a in ARMS}
    n_moved, n_agn_val = 0, 0
    t0 = time.perf_counter()
    for k, (tr, va) in enumerate(skf.split(X, y)):
        models = {}
        for arm in ARMS:
            aug = {} if arm == "augmented" else None
            names = allf if arm != "plain" else [f for f in allf if f != "log_nh"]
            t = time.perf_counter()
            m, meta = train_labelled(ls.features[tr], y[tr], feature_names=names, grid=grid,
                                     random_state=args.seed + k, n_jobs=args.threads, augment=aug)
            models[arm] = (m, meta, [allf.index(f) for f in names])
            print(f"  fold {k + 1}/{args.folds}: {arm} trained in {time.perf_counter() - t:.0f} s", flush=True)
        agn = va[y[va] == "AGN"]
        n_agn_val += len(agn)
        cfg = AugmentConfig(copies_extragalactic=1, copies_galactic=0, xray_soft_limit=lim_s,
                            xray_hard_limit=lim_h, seed=10_000 + 97 * k + args.seed)
        Xm, _, _ = augment_rows(X[agn], y[agn], allf, cfg, np.random.default_rng(cfg.seed))
        n_moved += len(Xm)
        # the moved copies' sight lines, for the field priors (drawn again with the same generator state)
        l_m, b_m = sight_lines(len(agn), cfg, np.random.default_rng(cfg.seed))
        fp = expected_field_priors(l_m, b_m, list(np.unique(y)), flux_limit=lim_s, tile_deg=10.0, step_deg=2.5)
        for arm, (m, meta, cols) in models.items():
            cls = np.asarray(m.classes_)
            uni = np.full(len(cls), 1 / len(cls))
            pv = m.predict_proba(X[va][:, cols])
            pred_u[arm][va] = cls[np.argmax(shift_priors(pv, m.train_priors_, uni), axis=1)]
            ih = list(cls).index("HMXB")
            hmxb_pass[arm][va] = pv[:, ih] >= meta["class_cuts"]["HMXB"]["cut"]
            pm = m.predict_proba(Xm[:, cols])
            moved[arm]["train"].append(cls[np.argmax(pm, axis=1)])
            moved[arm]["uniform"].append(cls[np.argmax(shift_priors(pm, m.train_priors_, uni), axis=1)])
            moved[arm]["p_hmxb_train"].append(pm[:, ih] >= meta["class_cuts"]["HMXB"]["cut"])
            pf = shift_priors(pm, m.train_priors_, np.array([fp[c] for c in cls]))
            moved[arm]["field"].append(cls[np.argmax(pf, axis=1)])
    print(f"cross-validation done in {time.perf_counter() - t0:.0f} s; {n_moved} of {n_agn_val} validation AGN "
          "stay detected when moved into the plane")

    # ---- side by side ---------------------------------------------------------------------------
    print(f"\nRESULTS ({args.folds}-fold CV on {len(y)} labelled sources; grid {'quick' if args.quick else 'default'})")
    hdr = f"{'':44}" + "".join(f"{a:>12}" for a in ARMS)
    print(hdr)
    print("-" * len(hdr))
    ba = {a: balanced_accuracy_score(y, pred_u[a].astype(str)) for a in ARMS}
    print(f"{'balanced accuracy, unmoved folds':44}" + "".join(f"{ba[a]:>12.3f}" for a in ARMS))
    print(f"{'  change against plain (target >= -0.02)':44}" + "".join(f"{ba[a] - ba['plain']:>+12.3f}" for a in ARMS))
    for pri, label in (("train", "training mix"), ("uniform", "uniform priors"), ("field", "plane field priors")):
        shares = {a: np.concatenate(moved[a][pri]) for a in ARMS}
        print(f"{'moved AGN -> AGN, ' + label:44}" + "".join(f"{np.mean(shares[a] == 'AGN'):>12.3f}" for a in ARMS))
        print(f"{'moved AGN -> HMXB or LMXB, ' + label:44}"
              + "".join(f"{np.mean(np.isin(shares[a], ['HMXB', 'LMXB'])):>12.4f}" for a in ARMS))
    print("targets (augmented, training mix): AGN -> AGN >= 0.90, AGN -> HMXB or LMXB <= 0.01")
    for a in ARMS:
        s = np.concatenate(moved[a]["train"])
        u, c = np.unique(s, return_counts=True)
        print(f"  {a:<10} moved AGN classes (training mix): "
              + ", ".join(f"{x} {n / len(s):.3f}" for x, n in sorted(zip(u, c), key=lambda t: -t[1])))

    # ---- expected HMXB purity in a plane field ---------------------------------------------------
    print("\nexpected HMXB purity in the eRASS1 western Galactic plane (l 180-360, |b| < 10 deg)")
    t = time.perf_counter()
    ll, bb = np.meshgrid(np.arange(182.5, 360, 5.0), np.arange(-7.5, 10, 5.0))
    counts = expected_field_counts(ll.ravel(), bb.ravel(), flux_limit=5e-14, tile_deg=5.0, step_deg=2.5)
    counts["EARLY"] = counts.get("EARLY", 0.0) + counts.pop("WR", 0.0)
    print(f"  population model ({time.perf_counter() - t:.0f} s): expected detections "
          + ", ".join(f"{c} {v:,.0f}" for c, v in sorted(counts.items(), key=lambda kv: -kv[1])))
    ratio = counts["AGN"] / counts["HMXB"]
    print(f"  AGN:HMXB = {ratio:,.0f}:1 (xrbvo population models: AGN log N-log S through the HI4PI column; "
          "HMXB luminosity function of Lutovinov et al. 2013 via xrbvo.galaxy.xlf; eRASS1 completeness at 5e-14)")
    for a in ARMS:
        comp = float(np.mean(hmxb_pass[a][y == "HMXB"]))
        agn_pass = np.concatenate(moved[a]["p_hmxb_train"])
        k_agn = int(agn_pass.sum())
        f_agn = k_agn / len(agn_pass)
        f_agn_hi = _poisson_upper(k_agn) / len(agn_pass)
        others = sum(float(np.mean(hmxb_pass[a][y == c])) * counts.get(c, 0.0)
                     for c in np.unique(y) if c not in ("HMXB", "AGN"))
        tp = comp * counts["HMXB"]
        pur = tp / (tp + f_agn * counts["AGN"] + others)
        pur_lo = tp / (tp + f_agn_hi * counts["AGN"] + others)
        print(f"  {a:<10} HMXB completeness at cut {comp:.2f}; moved AGN passing the HMXB cut {k_agn}/{len(agn_pass)}"
              f" (95% upper limit {f_agn_hi:.4f}); other classes' expected false HMXB {others:.1f}; "
              f"expected purity {pur:.3f} (with the AGN upper limit: {pur_lo:.3f})")

    if not args.skip_sim:
        _simulated(allf, args)
    return 0


def _simulated(allf, args) -> None:
    """Shares on the simulated plane sky, whose AGN have truth."""
    from xrbvo.workflows.demo import _plane_fields as _training_fields  # the plane skies
    from xrbvo.io import standardise_xray
    from xrbvo.stages.probability import shift_priors
    from xrbvo.stages.classify.labelled import load_labelled, model_matrix
    from xrbvo.stages.classify.train import QUICK_GRID, DEFAULT_GRID, fit_with_cuts, train_labelled
    from xrbvo.pipeline import PipelineConfig
    from xrbvo.stages.features import nh_at, source_features
    from xrbvo.stages.match.associate import associate
    from xrbvo.workflows.training import train_joint, training_set_from_sky
    from xrbvo.stages.neighbourhoods.sim import SimProvider
    from xrbvo.sim import SkyConfig, simulate_sky

    print("\nSIMULATED SKY (demo field l=300, b=0, 8x4 deg, seed 7, no injection): features from the "
          "association's chosen counterparts")
    t = time.perf_counter()
    cfg = PipelineConfig(counterparts="nway")  # the association's own counterparts (and the nway training)
    sky = simulate_sky(SkyConfig(l_deg=300.0, b_deg=0.0, width_deg=8.0, height_deg=4.0, seed=7))
    xr = standardise_xray(sky.xray, "erass1")
    nbs = SimProvider(sky).neighbourhoods(xr, cfg.radius_arcsec, cfg.surveys)
    nh = nh_at(xr["ra"], xr["dec"])
    feats = source_features(xr, associate(xr, nbs, cfg.radius_arcsec, cfg.association), nbs, nh=nh)
    truth = np.asarray(sky.truth["true_class"]).astype(str)
    # the same sources with their true counterparts (the truth's ctp_<survey>; none where there is none)
    from xrbvo.stages.features import build_features

    xid = np.asarray(xr["xid"]).astype(str)
    chosen = {}
    for s, nb in nbs.items():
        where = {(a, b): i for i, (a, b) in enumerate(zip(np.asarray(nb["xid"]).astype(str),
                                                          np.asarray(nb["nid"]).astype(str)))}
        true_ids = np.asarray(sky.truth[f"ctp_{s}"]).astype(str)
        chosen[s] = np.array([where.get((x, t), -1) for x, t in zip(xid, true_ids)])
    feats_true = build_features(xr, chosen, nbs, nh=nh)
    agn = truth == "AGN"
    print(f"  {len(truth)} X-ray sources, {agn.sum()} AGN ({time.perf_counter() - t:.0f} s)")
    prior_field = sky.class_priors(boosted=False)
    rows = []
    skies = [simulate_sky(f) for f in _training_fields(1000)]
    ts = training_set_from_sky(skies, cfg)
    m_sim, meta_sim = fit_with_cuts(ts)
    rows.append(("simulated training skies", m_sim, None))
    del meta_sim
    ls = load_labelled(DATA)
    grid = QUICK_GRID if args.quick else DEFAULT_GRID
    for arm, aug in (("labelled, naive", None), ("labelled, plain", None), ("labelled, augmented", {})):
        names = allf if arm != "labelled, plain" else [f for f in allf if f != "log_nh"]
        m, _ = train_labelled(ls.features, ls.labels, feature_names=names, grid=grid, n_jobs=args.threads,
                              augment=aug, random_state=args.seed)
        rows.append((arm, m, None))
    print("  (training mix: each model's own probabilities; field priors: P_<class>_field at the simulated field's "
          "unboosted mix)")
    print(f"  {'model':<28}{'counterparts':>14}{'AGN->AGN':>10}{'AGN->XRB':>10}{'(field priors) AGN->AGN':>26}"
          f"{'AGN->XRB':>10}")
    for (name, m, _), (ctp, F) in ((r, f) for r in rows for f in (("chosen", feats), ("true", feats_true))):
        Xs = model_matrix(F, m.feature_names_)
        cls = np.asarray(m.classes_)
        p = m.predict_proba(Xs[agn])
        v = np.array([prior_field.get(c, 0.0) + (prior_field.get("WR", 0.0) if c == "EARLY" and "WR" not in cls
                                                 else 0.0) for c in cls])
        pf = shift_priors(p, m.train_priors_, v / v.sum())
        a = cls[np.argmax(p, axis=1)]
        af = cls[np.argmax(pf, axis=1)]
        x = lambda s: np.mean(np.isin(s, ["HMXB", "LMXB"]))  # noqa: E731
        print(f"  {name:<28}{ctp:>14}{np.mean(a == 'AGN'):>10.3f}{x(a):>10.4f}{np.mean(af == 'AGN'):>26.3f}"
              f"{x(af):>10.4f}")
    # class-aware counterparts (issue 10): class and counterpart decided together, "no counterpart" included
    from xrbvo.pipeline import run_pipeline

    jcfg = PipelineConfig(counterparts="joint")
    m_joint, ctpt, _ = train_joint(skies, jcfg)
    for name, m in (("simulated training skies", m_joint), ("labelled, augmented", rows[-1][1])):
        cls = [str(c) for c in m.classes_]
        v = {c: prior_field.get(c, 0.0) + (prior_field.get("WR", 0.0) if c == "EARLY" and "WR" not in cls else 0.0)
             for c in cls}
        sel = dict(zip(cls, np.asarray(m.train_priors_, float)))  # the training mix, as the rows above
        vv = np.array([v[c] for c in cls])
        out = []
        for fp in (None, vv / vv.sum()):  # field priors: none (= the selection priors), the field's mix
            res = run_pipeline(xr, SimProvider(sky), m, ctpt_model=ctpt, config=jcfg, selection_priors=sel,
                               field_priors=fp)
            out.append(np.asarray(res.catalogue["predicted_class"]).astype(str)[agn])
        x = lambda s: np.mean(np.isin(s, ["HMXB", "LMXB"]))  # noqa: E731
        print(f"  {name:<28}{'joint':>14}{np.mean(out[0] == 'AGN'):>10.3f}{x(out[0]):>10.4f}"
              f"{np.mean(out[1] == 'AGN'):>26.3f}{x(out[1]):>10.4f}")
    print("  joint: class-aware counterparts (xrbvo.stages.classify.counterparts, the demo's default), with the counterpart")
    print("  model trained on the simulated training skies and each row's source classifier.")
    print("  chosen: the counterparts the association picked (in the plane often a field star: eRASS1's positional")
    print("  errors of several arcsec hold many Gaia stars); true: the simulated truth's counterparts.")
    print("  (the labelled models see Chandra-band features of eRASS1-band sources: an approximation)")


if __name__ == "__main__":
    sys.exit(main())
