"""Benchmark: what happens on the sky — blind Galactic-plane fields at natural density (issue 24, item 7).

Run from the repository root::

    PYTHONPATH=. python benchmarks/blind_plane.py [--model DIR] [--labelled-model DIR]
                                                  [--seeds 21,22,23] [--width 10] [--height 4]
                                                  [--skip-hess] [--work DIR]
                                                  [--field-priors source] [--min-purity 0.5]

Two parts, each through the command line exactly as a user runs it (``python -m xrbvo``):

1. **Simulated eRASS1-like plane fields at natural density.**  For every seed, ``xrbvo simulate
   --format erass1`` writes a ``--width`` x ``--height`` deg field along the plane (no ``--boost``:
   the population model's own class mix, a blind flux-limited survey), then ``xrbvo run`` classifies
   it with ``--model`` (default: the model ``xrbvo demo`` trains on simulated skies, trained first if
   not given).  Candidates are held against the simulation's truth (``truth.fits``): per class, the
   number of candidates, true ones among them (purity), true sources of that class in the X-ray list
   and how many of them are candidates (completeness), and the mean stated ``expected_purity`` of the
   candidates beside the measured purity (calibration of the stated figure).  Seeds are pooled for
   the totals; each seed's line is printed too.
2. **The real H.E.S.S. Galactic-plane field** (``../shared/data/labelled/galactic_plane_field_hess.csv``,
   2,000 Chandra sources at |b| < 3.6 deg), classified with ``--labelled-model`` (default: trained
   here with ``xrbvo train --quick`` on the shared labelled set) twice: as a blind survey
   (``--sample survey``) and at the default policy.  Printed: the predicted class census, the
   X-ray-binary candidates, the share of them without any counterpart, and how many of the field's
   known classes are recovered.

``--field-priors`` and ``--min-purity`` are passed to every ``xrbvo run`` and ``xrbvo classify`` (issue 24,
items 2 and 4, opt-in): run once without and once with them for the before/after.  With ``--min-purity``
the census figures the run records (expected true X-ray binaries among the candidates against the
population model's expectation for the field) are printed per field.

The figures are printed as they come out; nothing here is a test.  Issue 24's targets are printed
beside the measurements (HMXB purity >= 0.8 at completeness >= 0.5, LMXB purity >= 0.6 at
completeness >= 0.4, stated purity within 0.1 of the measured; H.E.S.S. blind: at most 40 XRB
candidates, at most a quarter without a counterpart, NS at most 10% of the predictions, CVs present;
default policy: at least 19 of the 24 known classes right).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
LABELLED = DATA / "labelled" / "csc_xray_mwl_labelled.csv"
HESS = DATA / "labelled" / "galactic_plane_field_hess.csv"
XRB = ("HMXB", "LMXB")
TARGETS = {"HMXB": (0.8, 0.5), "LMXB": (0.6, 0.4)}


def _xrbvo(*args: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "xrbvo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.exit(f"xrbvo {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout


def _simulated_fields(args, work: Path, model: Path) -> None:
    from astropy.table import Table, join

    print(f"\n== 1. simulated blind plane fields at natural density: {args.width} x {args.height} deg "
          f"at l = {args.l}, b = 0, seeds {args.seeds}, model {model}")
    pooled = {c: Counter() for c in XRB}
    stated = {c: [] for c in XRB}
    nosrc = 0
    for seed in args.seeds:
        sky = work / f"sky{seed}"
        out = work / f"run{seed}{_tag(args)}"
        t0 = time.perf_counter()
        _xrbvo("simulate", "--out", str(sky), "--seed", str(seed), "--l", str(args.l),
               "--width", str(args.width), "--height", str(args.height), "--format", "erass1", cwd=work)
        _xrbvo("run", str(sky / "eRASS1_Main.fits"), "--hard", str(sky / "eRASS1_Hard.fits"),
               "--model", str(model), "--catalog", f"gaia={sky / 'gaia.fits'}",
               "--catalog", f"2mass={sky / '2mass.fits'}", "--catalog", f"catwise={sky / 'catwise.fits'}",
               "--out", str(out), "--no-report", *_policy(args), cwd=work)
        cat = Table.read(out / "xrbvo_catalogue.fits")
        truth = Table.read(sky / "truth.fits")
        keep = [c for c in ("xid", "true_class") if c in truth.colnames]
        both = join(cat, truth[keep], keys="xid", join_type="left", metadata_conflicts="silent")
        true = np.asarray(both["true_class"]).astype(str)
        cand = np.asarray(both["candidate"]).astype(bool)
        ccls = np.asarray(both["candidate_class"]).astype(str)
        purity = np.asarray(both["expected_purity"], dtype=float)
        nosrc += len(cat)
        line = [f"seed {seed}: {len(cat)} sources"]
        for c in XRB:
            sel = cand & (ccls == c)
            n_true = int(np.sum(true == c))
            pooled[c].update(cand=int(sel.sum()), hit=int(np.sum(sel & (true == c))), true=n_true,
                             found=int(np.sum(sel & (true == c))),
                             anycand=int(np.sum(cand & (true == c))))
            stated[c].extend(purity[sel][np.isfinite(purity[sel])].tolist())
            line.append(f"{c} {int(sel.sum())} cand ({int(np.sum(sel & (true == c)))} true) of {n_true} real")
        print("  " + "; ".join(line) + f"  [{time.perf_counter() - t0:.0f} s]")
        _census_line(cat.meta)
    print(f"  pooled over {len(args.seeds)} fields, {nosrc} X-ray sources:")
    print(f"  {'class':6} {'cand':>5} {'true':>5} {'purity':>7} {'real':>5} {'complete':>9} "
          f"{'stated purity':>14} {'target (purity @ completeness)':>32}")
    for c in XRB:
        p = pooled[c]
        pur = p["hit"] / p["cand"] if p["cand"] else float("nan")
        comp = p["found"] / p["true"] if p["true"] else float("nan")
        st = float(np.mean(stated[c])) if stated[c] else float("nan")
        tp, tc = TARGETS[c]
        print(f"  {c:6} {p['cand']:5d} {p['hit']:5d} {pur:7.2f} {p['true']:5d} {comp:9.2f} {st:14.2f} "
              f"{f'>= {tp} @ >= {tc}':>32}")
        if np.isfinite(pur) and np.isfinite(st):
            print(f"         stated - measured purity: {st - pur:+.2f} (target within 0.1)")


def _policy(args) -> list[str]:
    """The policy options passed through to xrbvo (none: the default policy)."""
    out = []
    if args.field_priors:
        out += ["--field-priors", args.field_priors]
    if args.min_purity is not None:
        out += ["--min-purity", str(args.min_purity)]
    if args.no_counterpart:
        out += ["--no-counterpart", args.no_counterpart]
    return out


def _tag(args) -> str:
    return "".join(f"_{x}" for x in _policy(args)[1::2])


def _census_line(meta, indent: str = "  ") -> None:
    """The run's census figures (with --min-purity): expected true XRBs among the candidates against the model's."""
    m = {str(k).upper(): v for k, v in dict(meta).items()}
    if "NEXPXRB" in m:
        print(f"{indent}priors {m.get('PRIORS')} (flux counted once: {m.get('FLUXONCE', 'n/a')}; no-counterpart "
              f"evidence {m.get('NOCTP', 'off')}), min purity {m.get('MINPUR')}: {m['NCANDXRB']} XRB candidates, "
              f"{float(m['NEXPXRB']):.1f} expected true (class purity {m.get('EXPPUR')}); census expects "
              f"{float(m.get('NCENXRB', float('nan'))):.1f} XRBs in the field's {float(m.get('CENSCELL', 0)):.0f} deg2")


def _hess(args, work: Path, model: Path) -> None:
    from astropy.table import Table

    print(f"\n== 2. the real H.E.S.S. plane field ({HESS.name}), model {model}")
    src = Table.read(HESS, format="ascii.csv")
    known = np.asarray(src["True_Class"].filled("") if hasattr(src["True_Class"], "filled") else src["True_Class"]).astype(str) \
        if "True_Class" in src.colnames else None
    for label, extra in (("blind survey (--sample survey)", ["--sample", "survey"]), ("default policy", [])):
        out = work / f"hess_{'survey' if extra else 'default'}{_tag(args)}.fits"
        _xrbvo("classify", str(HESS), "--model", str(model), "--out", str(out), *extra, *_policy(args), cwd=work)
        cat = Table.read(out)
        pred = np.asarray(cat["predicted_class"]).astype(str)
        cand = np.asarray(cat["candidate"]).astype(bool)
        ccls = np.asarray(cat["candidate_class"]).astype(str)
        phot = [c for c in ("G", "J", "H", "K", "W1", "W2") if c in cat.colnames]
        none = np.all([~np.isfinite(np.asarray(cat[c], dtype=float)) for c in phot], axis=0) if phot \
            else np.zeros(len(cat), bool)
        census = Counter(pred)
        print(f"  {label}: {len(cat)} sources; predicted census: "
              + ", ".join(f"{k} {v}" for k, v in census.most_common()))
        print(f"    without any counterpart: {int(none.sum())} sources ({cat.meta.get('NOCTP', 'off')} no-counterpart "
              "evidence); their predicted census: " + ", ".join(f"{k} {v}" for k, v in Counter(pred[none]).most_common()))
        n_c = int(cand.sum())
        print(f"    X-ray-binary candidates: {n_c} ({int(np.sum(cand & (ccls == 'HMXB')))} HMXB, "
              f"{int(np.sum(cand & (ccls == 'LMXB')))} LMXB), without any counterpart: "
              f"{int(np.sum(cand & none))} ({np.sum(cand & none) / max(n_c, 1):.2f}; target <= 0.25, <= 40 candidates)")
        _census_line(cat.meta, indent="    ")
        print(f"    isolated NS share of predictions: {census.get('NS', 0) / len(cat):.3f} (target <= 0.10); "
              f"CVs predicted: {census.get('CV', 0)} (target > 0)")
        if known is not None:
            from xrbvo.stages.classify.labelled import map_classes

            true = map_classes(known, strict=False)
            has = true != ""
            right = int(np.sum(pred[has] == true[has]))
            print(f"    known classes right: {right} of {int(has.sum())} (target at the default policy: >= 19 of 24)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, help="model for the simulated fields (default: xrbvo demo's)")
    ap.add_argument("--labelled-model", type=Path, help="model for the H.E.S.S. field (default: trained here)")
    ap.add_argument("--seeds", default="21,22,23")
    ap.add_argument("--l", type=float, default=320.0)
    ap.add_argument("--width", type=float, default=10.0)
    ap.add_argument("--height", type=float, default=4.0)
    ap.add_argument("--skip-hess", action="store_true")
    ap.add_argument("--skip-sim", action="store_true")
    ap.add_argument("--work", type=Path)
    ap.add_argument("--field-priors", help="passed to xrbvo run/classify (e.g. source)")
    ap.add_argument("--min-purity", type=float, help="passed to xrbvo run/classify (e.g. 0.5)")
    ap.add_argument("--no-counterpart", choices=("auto", "evidence", "off"),
                    help="passed to xrbvo run/classify (off: no-counterpart evidence off, for a before/after)")
    args = ap.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",")]
    for name in ("model", "labelled_model", "work"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).resolve())
    work = args.work or Path(tempfile.mkdtemp(prefix="xrbvo_blind_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work directory: {work}")
    if not args.skip_sim:
        model = args.model
        if model is None:
            t0 = time.perf_counter()
            _xrbvo("demo", "--out", str(work / "demo"), cwd=work)
            model = work / "demo" / "model"
            print(f"trained the demo's simulated-sky model in {time.perf_counter() - t0:.0f} s")
        _simulated_fields(args, work, model)
    if not args.skip_hess:
        if not (LABELLED.exists() and HESS.exists()):
            print(f"skipping the H.E.S.S. field: {DATA} is absent")
            return 0
        model = args.labelled_model
        if model is None:
            t0 = time.perf_counter()
            _xrbvo("train", "--labels", str(LABELLED), "--out", str(work / "labelled_model"), "--quick", cwd=work)
            model = work / "labelled_model"
            print(f"trained the labelled model (--quick) in {time.perf_counter() - t0:.0f} s")
        _hess(args, work, model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
