"""``xrbvo simulate``: write a simulated eRASS1-like field and its survey catalogues to files."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "simulate"
HELP = "write a simulated eRASS1-like field (X-ray, Gaia, 2MASS, CatWISE catalogues and truth) to files"
DESCRIPTION = """Simulate an eRASS1-like Galactic field with its Gaia DR3, 2MASS and CatWISE2020 catalogues (native
column names) and a truth table, and write them as files that `xrbvo run` reads."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("xrbvo-sky"), help="output directory")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--l", dest="l_deg", type=float, default=300.0, help="Galactic longitude of the centre (deg)")
    p.add_argument("--b", dest="b_deg", type=float, default=0.0, help="Galactic latitude of the centre (deg)")
    p.add_argument("--width", type=float, default=2.0, help="extent in longitude (deg)")
    p.add_argument("--height", type=float, default=2.0, help="extent in latitude (deg)")
    p.add_argument("--flux-limit", type=float, default=5e-14, help="0.2-2.3 keV flux at 50%% completeness (cgs)")
    p.add_argument("--boost", action="append", default=None, metavar="CLASS=FACTOR",
                   help="inject a class at FACTOR times its Galactic density (repeatable)")
    p.add_argument("--format", default="fits", choices=["fits", "ecsv", "csv", "vot", "parquet", "erass1"],
                   help="file format; erass1: FITS, with the X-ray sources as the eRASS1 DR1 release, "
                        "eRASS1_Main.fits and eRASS1_Hard.fits (docs/erass1.md), instead of xray.fits")


def run(args, ui) -> int:
    from xrbvo.cli.common import parse_boost
    from xrbvo.sim import SkyConfig, simulate_sky

    cfg = SkyConfig(l_deg=args.l_deg, b_deg=args.b_deg, width_deg=args.width, height_deg=args.height,
                    flux_limit=args.flux_limit, class_boost=parse_boost(args.boost) or {}, seed=args.seed)
    cfg.validate()
    from xrbvo.io import check_writable, output_lock, write_table

    check_writable(args.out)
    out = Path(args.out)
    with output_lock(out, "simulate"):  # one writer per directory
        with ui.progress():
            sky = simulate_sky(cfg, progress=ui.stage("simulating"))
        if args.format == "erass1":
            from xrbvo.sim.erass1 import release_tables

            main, hard = release_tables(sky)
            tables, suffix = [("eRASS1_Main", main), ("eRASS1_Hard", hard)], "fits"
        else:
            tables, suffix = [("xray", sky.xray)], args.format
        for name, t in [*tables, *sky.catalogs.items(), ("truth", sky.truth)]:
            p = write_table(t, out / f"{name}.{suffix}")
            ui.out.print(f"  {name:<11} {len(t):>8} rows  {p}")
    return 0
