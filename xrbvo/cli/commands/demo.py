"""``xrbvo demo``: the whole pipeline on the built-in simulated sky, no network."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

NAME = "demo"
HELP = "run the whole pipeline on the built-in simulated sky (no network) and compare with the truth"
DESCRIPTION = """Simulate three training fields and train the nine-class classifier on them, simulate an
eRASS1-like Galactic-plane field with a different seed, pull Gaia DR3 / 2MASS / CatWISE2020
neighbourhoods from it, associate counterparts (Bayesian, NWAY-style), classify, select HMXB and
LMXB candidates, write the catalogue as FITS, VOTable and CSV, and print completeness and purity
against the simulation's truth. X-ray binaries are injected at a stated multiple of their Galactic
density (--boost) so that the figures carry weight."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from xrbvo.cli.common import add_association_arguments, add_policy_arguments

    p.add_argument("--out", type=Path, default=Path("xrbvo-demo"), help="output directory")
    p.add_argument("--seed", type=int, default=7, help="seed of the demo sky (training skies use 1001-1007)")
    p.add_argument("--l", dest="l_deg", type=float, default=300.0, help="Galactic longitude of the field centre (deg)")
    p.add_argument("--b", dest="b_deg", type=float, default=0.0, help="Galactic latitude of the field centre (deg)")
    p.add_argument("--width", type=float, default=8.0, help="field extent in longitude (deg)")
    p.add_argument("--height", type=float, default=4.0, help="field extent in latitude (deg)")
    add_association_arguments(p)
    p.add_argument("--boost", action="append", default=None, metavar="CLASS=FACTOR",
                   help="inject a class at FACTOR times its Galactic density (repeatable; default HMXB=10, LMXB=30)")
    p.add_argument("--model", type=Path, default=None, help="reuse a model directory instead of training one")
    p.add_argument("--counterparts", choices=["joint", "nway"], default="joint",
                   help="joint: decide class and counterpart together (class-aware counterparts); nway: classify "
                        "the counterpart chosen by the Bayesian association with magnitude priors")
    add_policy_arguments(p)
    p.add_argument("--tui", action="store_true", help="open the catalogue in the terminal UI afterwards (xrbvo tui)")
    p.add_argument("--provider", choices=("sim", "tap"), default="sim",
                   help="where neighbourhoods come from: the simulated sky, or a TAP service serving it")
    p.add_argument("--tap-url", metavar="URL", help="TAP service for --provider tap (e.g. the local DaCHS)")
    p.add_argument("--cache", type=Path, default=None, help="TAP chunk cache directory (--provider tap)")
    p.add_argument("--surveys", default=None, metavar="LIST",
                   help="comma-separated counterpart surveys (default gaia,2mass,catwise); an opt-in survey the "
                        "simulated sky draws (xrbvo.sim.EXTRA_SURVEYS) is simulated and learnt by the demo's model")


def run(args, ui) -> int:
    from xrbvo.cli.common import parse_boost, policy_from_args
    from xrbvo.core.errors import InputError
    from xrbvo.io import check_writable, output_lock
    from xrbvo.workflows.demo import DEMO_BOOST, DemoConfig, run_demo
    from xrbvo.workflows.options import PipelineConfig, check_false_rate

    check_false_rate(args.false_rate)  # before the training
    boost = parse_boost(args.boost)
    surveys = {}
    if args.surveys is not None:
        from xrbvo.core.surveys import get_survey

        names = tuple(dict.fromkeys(get_survey(k.strip()).name for k in args.surveys.split(",") if k.strip()))
        if not names:
            raise InputError("--surveys names no survey; give e.g. gaia,2mass,catwise")
        surveys = {"surveys": names}
    if args.provider == "tap" and not args.tap_url:
        raise InputError("--provider tap needs --tap-url URL (e.g. http://127.0.0.1:8089/tap)")
    cfg = DemoConfig(out=args.out, seed=args.seed, l_deg=args.l_deg, b_deg=args.b_deg, width_deg=args.width,
                     height_deg=args.height, boost=boost if boost is not None else dict(DEMO_BOOST),
                     pipeline=PipelineConfig(radius_arcsec=args.radius, counterparts=args.counterparts,
                                             false_rate=args.false_rate, **surveys),
                     policy=policy_from_args(args), model_dir=args.model,
                     tap_url=args.tap_url if args.provider == "tap" else None, tap_cache=args.cache)
    cfg.pipeline.validate()
    check_writable(args.out)  # before the long work, not after it
    with output_lock(args.out, "demo"), ui.progress():  # one writer per directory
        stages = ["training sky", "training match", "training", "demo sky", "neighbourhoods", "calibration",
                  "association", "classification"]
        if args.model is not None:
            stages = stages[3:]
        elif args.counterparts == "joint":
            stages.remove("training match")  # the joint training matches inside its own stage
        prog = {s: ui.stage(s) for s in stages}
        res = run_demo(cfg, progress=prog)
    print_summary(ui, res)
    if getattr(args, "tui", False):
        from xrbvo.cli.commands.tui import launch

        return launch(res.files["catalogue_fits"])
    return 0


def _fmt(x):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def print_summary(ui, res) -> None:
    from rich.table import Table as RichTable

    s = res.summary
    t = RichTable(title="xrbvo demo: simulated eRASS1 field (truth known)", show_header=True)
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_row("counterpart method", s.get("counterparts", "nway"))
    t.add_row("X-ray sources", str(s["n_sources"]))
    cut = s.get("p_any_cut")
    if cut is None:
        t.add_row("with a counterpart (p_any > 0.5)", str(s["n_with_counterpart"]))
    else:
        rate = s.get("false_rate")
        how = f", false rate {rate:.3f}" if rate is not None else ", not calibrated"
        t.add_row(f"associated (p_any >= {cut:.3g}{how})", str(s["n_with_counterpart"]))
    t.add_row("true HMXB / LMXB in the field", f"{s['true_counts'].get('HMXB', 0)} / {s['true_counts'].get('LMXB', 0)}")
    t.add_row("injection boost", ", ".join(f"{k} x{v:g}" for k, v in s["boost"].items()) or "none")
    from xrbvo.core.schema import XRB_CLASSES

    for c in XRB_CLASSES:
        t.add_row(f"{c} candidates", str(s["candidates"][c]))
        t.add_row(f"{c} completeness", _fmt(s[f"{c}_completeness"]))
        t.add_row(f"{c} purity", _fmt(s[f"{c}_purity"]))
    t.add_row("HMXB / LMXB expected purity (field priors)",
              f"{_fmt(s.get('HMXB_expected_purity'))} / {_fmt(s.get('LMXB_expected_purity'))}")
    t.add_row("sources without coverage", str(s.get("no_coverage", 0)))
    t.add_row("XRBs with the true Gaia counterpart chosen", _fmt(s["xrb_true_gaia_counterpart"]))
    t.add_row("XRBs with all true counterparts chosen", _fmt(s["xrb_true_all_counterparts"]))
    t.add_row("all sources: true Gaia counterpart chosen", _fmt(s["all_true_gaia_counterpart"]))
    t.add_row("nine-class accuracy / balanced accuracy", f"{_fmt(s['accuracy'])} / {_fmt(s['balanced_accuracy'])}")
    ui.out.print(t)
    from xrbvo.cli.common import print_policy

    print_policy(ui, res.analysis.policy, res.analysis.bundle)
    if res.analysis.bundle.real_data_line:  # what the demo's model does on real sources, measured at training
        ui.out.print(f"note: {res.analysis.bundle.real_data_line}", soft_wrap=True)
    for note in s.get("notes", ()):
        ui.out.print(f"note: {note}", soft_wrap=True)
    ui.out.print("files:")
    for k, v in res.files.items():
        ui.out.print(f"  {k:<20} {v}")
