"""``xrbvo run``: the pipeline on a user's X-ray source table."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "run"
HELP = "run the pipeline on an X-ray source table with local survey catalogues or TAP services"
DESCRIPTION = """Read X-ray sources (eRASS1 native columns such as IAUNAME, RA, DEC, POS_ERR, ML_FLUX_1, or the
standard names xid, ra, dec, pos_err, flux_soft, flux_hard), pull Gaia DR3 / 2MASS / CatWISE2020
neighbourhoods from local catalogue files (--catalog) or TAP services (--provider tap), associate
counterparts, classify with a trained model and write the catalogue (FITS, VOTable, CSV) with
HMXB/LMXB candidates flagged.  A long run goes in sky tiles (--tile-deg) written to OUT/.tiles as
they finish: the same command run again after an interruption resumes at the first unfinished tile."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from xrbvo.cli.common import add_policy_arguments

    p.add_argument("xray", type=Path, help="X-ray source table (FITS, VOTable, ECSV, CSV or Parquet)")
    p.add_argument("--model", type=Path, required=True,
                   help="trained model directory (`xrbvo demo` writes one to OUT/model)")
    p.add_argument("--catalog", action="append", default=[], metavar="SURVEY=FILE",
                   help="local catalogue file of a survey (gaia, 2mass, vvv, catwise); repeatable")
    p.add_argument("--xray-survey", default="erass1", help="registry name of the X-ray survey (column names, errors)")
    p.add_argument("--xray-sys-floor", type=float, default=None,
                   help="systematic positional error added in quadrature to the X-ray errors (arcsec)")
    p.add_argument("--radius", type=float, default=20.0, help="counterpart search radius (arcsec)")
    add_policy_arguments(p)
    p.add_argument("--counterpart-model", type=Path, default=None, metavar="DIR",
                   help="take the counterpart model (P_XRAY_CTPT) from another model directory (e.g. OUT/model of "
                        "`xrbvo demo`) instead of the one in --model")
    p.add_argument("--counterparts", choices=("auto", "joint", "nway"), default="auto",
                   help="auto: class-aware counterparts (joint) when the model directory holds a counterpart model "
                        "(`xrbvo demo` and `xrbvo train` write one), else nway; nway: classify the counterpart the "
                        "Bayesian association chose with magnitude priors learnt from all sources")
    p.add_argument("--out", type=Path, default=Path("xrbvo-out"), help="output directory")
    p.add_argument("--name", default="xrbvo_catalogue", help="base name of the output files")
    from xrbvo.core.regions import REGION_SYNTAX
    from xrbvo.workflows.tiles import DEFAULT_TILE_DEG

    p.add_argument("--provider", choices=("local", "tap"), default="local",
                   help="where neighbourhoods come from: local catalogue files (--catalog) or TAP services")
    p.add_argument("--tap-url", metavar="URL",
                   help="--provider tap: one TAP service serving every survey table (e.g. a local DaCHS); without "
                        "it, each survey's own service (Gaia archive, VizieR)")
    p.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help="--provider tap: the TAP chunk cache; without it, the user's cache directory")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="--provider tap: deadline of each pull (one survey's neighbourhoods of one tile, with all its "
                        "requests and retries); chunks finished before it stay in the cache; without it, no deadline")
    p.add_argument("--surveys", default=None, metavar="LIST",
                   help="comma-separated counterpart surveys; without it, gaia,2mass,catwise with --provider tap "
                        "and the --catalog surveys with local files")
    p.add_argument("--region", default=None, metavar="REGION",
                   help=f"keep only the sources in a sky region: {REGION_SYNTAX}; longitude ranges may wrap "
                        "through 360 (gal:350,10,-5,5)")
    p.add_argument("--tile-deg", type=float, default=DEFAULT_TILE_DEG, metavar="DEG",
                   help="split the run into Galactic l/b tiles of DEG degrees, each written to OUT/.tiles as it "
                        "finishes, so that a rerun resumes; 0: one pass, no tiles")


def run(args, ui) -> int:
    from xrbvo.cli.common import pairs, policy_from_args, print_analysis
    from xrbvo.core.errors import InputError
    from xrbvo.core.surveys import get_survey
    from xrbvo.io import check_writable, read_table
    from xrbvo.workflows import ModelBundle, analyse, pipeline_config
    from xrbvo.workflows.analyse import prepare_xray

    files = pairs(args.catalog, "--catalog")
    if not (args.tile_deg == 0 or 0 < args.tile_deg <= 180):
        raise InputError(f"--tile-deg must be between 0 (no tiles) and 180 degrees, not {args.tile_deg:g}")
    provider = provider_from_args(args, files)
    surveys = tuple(get_survey(k).name for k in files)
    if args.surveys is not None:
        surveys = tuple(dict.fromkeys(get_survey(k.strip()).name for k in args.surveys.split(",") if k.strip()))
        if not surveys:
            raise InputError("--surveys names no survey; give e.g. gaia,2mass,catwise")
    policy = policy_from_args(args)
    if args.provider == "tap":
        provider.validate(surveys)  # a service that does not answer is one line now, before any long work
    bundle = ModelBundle.load(args.model)
    if args.counterpart_model is not None:
        from dataclasses import replace

        other = ModelBundle.load(args.counterpart_model)
        if other.counterpart is None:
            raise InputError(f"--counterpart-model {args.counterpart_model}: that model directory holds no "
                             "counterpart model")
        bundle = replace(bundle, counterpart=other.counterpart)
    cfg = pipeline_config(bundle, radius_arcsec=args.radius, surveys=surveys,
                          counterparts=None if args.counterparts == "auto" else args.counterparts)
    cfg.validate()
    if cfg.counterparts == "nway" and bundle.trained_on == "labelled":
        ui.warn("a model trained on labelled data with the association's own counterparts (nway): in the plane a "
                "field star taken as an AGN's counterpart makes it look Galactic; class-aware counterparts "
                "(--counterparts joint) avoid that")
    table = prepare_xray(read_table(args.xray), args.xray_survey, sys_floor_arcsec=args.xray_sys_floor,
                         source=str(args.xray))  # a user's table fails here, before the long work
    if args.region is not None:
        table = select_region_rows(table, args.region, args.xray, ui)
    check_writable(args.out)  # before the long work, not after it
    if args.tile_deg:
        return run_in_tiles(args, ui, table, provider, bundle, policy, cfg)
    with ui.progress():
        prog = {s: ui.stage(s) for s in ("neighbourhoods", "association", "classification")}
        analysis = analyse(table, provider, bundle, policy, config=cfg, xray_survey=args.xray_survey,
                           sys_floor_arcsec=args.xray_sys_floor, source=str(args.xray), progress=prog)
    paths = analysis.write(args.out, args.name)
    print_analysis(ui, analysis, paths)
    return 0


def provider_from_args(args, files):
    """The provider the options ask for (checked before any long work)."""
    import math

    from xrbvo.core.errors import InputError

    if args.provider == "local":
        if args.tap_url or args.timeout is not None or args.cache is not None:
            raise InputError("--tap-url, --cache and --timeout are for --provider tap; local files come with "
                             "--catalog SURVEY=FILE")
        if not files:
            raise InputError("give at least one survey catalogue with --catalog SURVEY=FILE (e.g. gaia=gaia.fits), "
                             "or pull them from TAP services with --provider tap")
        from xrbvo.stages.neighbourhoods.local import LocalProvider

        return LocalProvider(files)
    if files:
        raise InputError("--catalog is for --provider local; --provider tap pulls the surveys from TAP services "
                         "(choose them with --surveys)")
    if args.timeout is not None and not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise InputError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    if args.surveys is None:
        args.surveys = "gaia,2mass,catwise"
    from xrbvo.stages.neighbourhoods.tap import TapProvider

    return TapProvider(args.tap_url, cache=args.cache, deadline_s=args.timeout)


def select_region_rows(table, region, source, ui):
    """The rows of ``table`` inside ``--region`` (one line says how many; none is an error)."""
    import numpy as np

    from xrbvo.core.errors import InputError
    from xrbvo.core.regions import parse_region

    r = parse_region(region)
    keep = r.contains(table["ra"], table["dec"])
    n = int(np.sum(keep))
    if n == 0:
        raise InputError(f"--region {r}: none of the {len(table)} sources of {source} lies in it; check the region "
                         "(gal: takes Galactic l and b, eq: ICRS ra and dec, in degrees)")
    ui.out.print(f"region {r}: {n} of {len(table)} sources kept", highlight=False)
    return table[keep]


def run_in_tiles(args, ui, table, provider, bundle, policy, cfg) -> int:
    """The run in sky tiles (xrbvo.workflows.tiles); Ctrl-C stops it between steps and keeps the finished tiles."""
    import threading

    from xrbvo.cli.common import print_analysis
    from xrbvo.core.errors import Cancelled
    from xrbvo.workflows.tiles import run_tiled

    cancel = threading.Event()
    done = threading.Event()
    box: dict = {}

    def work(prog):
        try:
            box["run"] = run_tiled(table, provider, bundle, policy, out=args.out, tile_deg=args.tile_deg, config=cfg,
                                   xray_survey=args.xray_survey, sys_floor_arcsec=args.xray_sys_floor,
                                   source=str(args.xray), options={"region": args.region}, progress=prog,
                                   cancel=cancel)
        except BaseException as exc:  # handed to the main thread, which raises it
            box["error"] = exc
        finally:
            done.set()

    with ui.progress():
        prog = {s: ui.stage(s) for s in ("pull", "tiles", "neighbourhoods", "association", "classification")}
        threading.Thread(target=work, args=(prog,), name="xrbvo-tiles", daemon=True).start()
        try:
            # Event.wait, not Thread.join: a join cut short by Ctrl-C may report a live thread as finished
            while not done.wait(0.2):
                pass
        except KeyboardInterrupt:
            cancel.set()  # the worker stops at its next check; finished tiles stay in OUT/.tiles
            ui.info("interrupted: stopping after the current step (Ctrl-C again to stop at once)")
            while not done.wait(0.2):
                pass
            ui.err.print(f"finished tiles are kept in {args.out}/.tiles: run the same command again to resume",
                         highlight=False, soft_wrap=True)
            raise KeyboardInterrupt from None
    if isinstance(box.get("error"), Cancelled):
        raise KeyboardInterrupt
    if "error" in box:
        raise box["error"]
    run = box["run"]
    ui.out.print(f"tiles: {len(run.tiles)} of {args.tile_deg:g} deg, {len(run.finished_before)} finished before, "
                 f"{len(run.computed)} computed now", highlight=False)
    paths = run.analysis.write(args.out, args.name)
    run.cleanup()
    print_analysis(ui, run.analysis, paths)
    return 0
