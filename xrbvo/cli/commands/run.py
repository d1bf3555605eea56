"""``xrbvo run``: the pipeline on a user's X-ray source table."""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from pathlib import Path

NAME = "run"
HELP = "run the pipeline on an X-ray source table with local survey catalogues or TAP services"
DESCRIPTION = """Read X-ray sources (eRASS1 native columns such as IAUNAME, RA, DEC, POS_ERR, ML_FLUX_1, or the
standard names xid, ra, dec, pos_err, flux_soft, flux_hard), pull Gaia DR3 / 2MASS / CatWISE2020
neighbourhoods from local catalogue files (--catalog) or TAP services (--provider tap), associate
counterparts, classify with a trained model and write the catalogue (FITS, VOTable, CSV) with
HMXB/LMXB candidates flagged.  A long run goes in sky tiles (--tile-deg) written to OUT/.tiles as
they finish: the same command run again after an interruption resumes at the first unfinished tile.

An eRASS1 Main catalogue as released (DR1: EXT_LIKE, DET_LIKE_0, FLAG_SP_*, UID_Hard) is selected first:
point-like sources (--max-ext-like), detection likelihood (--min-det-like) and the spurious-source flags
(--keep-flagged turns that cut off); each cut prints how many sources it removed. --hard joins the eRASS1
Hard catalogue's 2.3-5 keV flux through UID_Hard (docs/erass1.md).

The X-ray sources may come from a TAP service instead of a file: SERVICE:TABLE with --region pulls the
region's rows (vizier:J/A+A/682/A34/erass1-m, heasarc:TABLE, URL:TABLE), cached, within --timeout."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from xrbvo.cli.common import (add_association_arguments, add_columns_argument, add_known_arguments,
                                  add_policy_arguments, add_release_arguments)

    p.add_argument("xray", metavar="XRAY",
                   help="X-ray source table (FITS, VOTable, ECSV, CSV or Parquet), or a TAP service's table as "
                        "SERVICE:TABLE with --region: vizier:J/A+A/682/A34/erass1-m (the eRASS1 Main catalogue at "
                        "VizieR), heasarc:TABLE, or URL:TABLE")
    add_columns_argument(p)
    p.add_argument("--model", type=Path, required=True,
                   help="trained model directory (`xrbvo demo` writes one to OUT/model)")
    p.add_argument("--catalog", action="append", default=[], metavar="SURVEY=FILE",
                   help="local catalogue file of a survey (gaia, 2mass, vvv, catwise); repeatable")
    p.add_argument("--xray-survey", default="erass1", help="registry name of the X-ray survey (column names, errors)")
    p.add_argument("--xray-sys-floor", type=float, default=None,
                   help="systematic positional error added in quadrature to the X-ray errors (arcsec)")
    add_release_arguments(p)
    add_association_arguments(p)
    add_policy_arguments(p)
    p.add_argument("--counterpart-model", type=Path, default=None, metavar="DIR",
                   help="take the counterpart model (P_XRAY_CTPT) from another model directory (e.g. OUT/model of "
                        "`xrbvo demo`) instead of the one in --model")
    p.add_argument("--counterparts", choices=("auto", "joint", "nway"), default="auto",
                   help="auto: class-aware counterparts (joint) when the model directory holds a counterpart model "
                        "(`xrbvo demo` and `xrbvo train` write one), else nway; nway: classify the counterpart the "
                        "Bayesian association chose with magnitude priors learnt from all sources")
    p.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                   help="with --provider lsdb: the Dask scheduler to use (default: a local cluster of 2 workers)")
    p.add_argument("--out", type=Path, default=Path("xrbvo-out"), help="output directory")
    p.add_argument("--name", default="xrbvo_catalogue", help="base name of the output files")
    add_known_arguments(p)
    from xrbvo.core.defaults import DEFAULT_MAX_PNGS, DEFAULT_TILE_DEG

    p.add_argument("--no-report", action="store_true",
                   help="do not write OUT/report/ (sky map, one PNG per candidate, index.html)")
    p.add_argument("--report-max", type=int, default=DEFAULT_MAX_PNGS, metavar="N",
                   help="draw at most N candidate pictures, the most probable first; the index still lists every "
                        "candidate (default %(default)s)")
    from xrbvo.cli.commands.report import add_images_arguments

    add_images_arguments(p)
    from xrbvo.core.regions import REGION_SYNTAX

    p.add_argument("--provider", choices=("local", "tap", "lsdb"), default="local",
                   help="where neighbourhoods come from: local catalogue files (--catalog), TAP services, or "
                        "lsdb: --catalog HATS catalogues (paths or URLs, margin cache in <path>_margin) with the "
                        "pipeline per partition on Dask (pip install 'xrbvo[scale]'; no --tile-deg tiles)")
    p.add_argument("--tap-url", metavar="URL",
                   help="--provider tap: one TAP service serving every survey table (e.g. a local DaCHS); without "
                        "it, each survey's own service (Gaia archive, VizieR)")
    p.add_argument("--cache", type=Path, default=None, metavar="DIR",
                   help="the TAP chunk cache (--provider tap, --known SERVICE:TABLE, X-ray sources as "
                        "SERVICE:TABLE); without it, the user's cache directory")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="deadline of each pull from a TAP service: with --provider tap, one survey's neighbourhoods "
                        "of one tile, with all its requests and retries (chunks finished before it stay in the "
                        "cache; without it, no deadline); with any provider, the whole fetch of each --known "
                        "SERVICE:TABLE (without it, 300 s) and each query of X-ray sources pulled as SERVICE:TABLE "
                        "(without it, no deadline)")
    p.add_argument("--surveys", default=None, metavar="LIST",
                   help="comma-separated counterpart surveys; without it, gaia,2mass,catwise with --provider tap "
                        "and the --catalog surveys with local files")
    p.add_argument("--tile-deg", type=float, default=DEFAULT_TILE_DEG, metavar="DEG",
                   help="split the run into Galactic l/b tiles of DEG degrees, each written to OUT/.tiles as it "
                        "finishes, so that a rerun resumes; 0: one pass, no tiles")


def run(args, ui) -> int:
    from xrbvo.cli.common import (known_from_args, pairs, parse_columns_option, plain_name, policy_from_args,
                                  print_analysis, read_xray_from_args, select_region_rows)
    from xrbvo.core.errors import InputError
    from xrbvo.core.surveys import get_survey
    from xrbvo.io import check_writable, output_lock
    from xrbvo.workflows import ModelBundle, analyse, pipeline_config
    from xrbvo.workflows.analyse import prepare_xray

    plain_name(args.name)
    parse_columns_option(args.columns)  # a bad --columns is one line before anything is read
    from xrbvo.workflows.options import check_false_rate

    check_false_rate(args.false_rate)  # before any long work
    from xrbvo.cli.commands.report import images_from_args

    images = images_from_args(args) if not args.no_report else ()
    if not args.no_report:
        from xrbvo.workflows.report import check_report_dir

        check_report_dir(args.out / "report")  # a link there would write the report outside --out
    files = pairs(args.catalog, "--catalog")
    from xrbvo.workflows.tiles import MIN_TILE_DEG

    if not (args.tile_deg == 0 or MIN_TILE_DEG <= args.tile_deg <= 180):
        raise InputError(f"--tile-deg must be 0 (no tiles) or between {MIN_TILE_DEG:g} and 180 degrees, "
                         f"not {args.tile_deg:g}")
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
                          counterparts=None if args.counterparts == "auto" else args.counterparts,
                          false_rate=args.false_rate)
    cfg.validate()
    if cfg.counterparts == "nway" and bundle.trained_on == "labelled":
        ui.warn("a model trained on labelled data with the association's own counterparts (nway): in the plane a "
                "field star taken as an AGN's counterpart makes it look Galactic; class-aware counterparts "
                "(--counterparts joint) avoid that")
    table = read_xray_from_args(args, ui, args.xray)
    table = prepare_xray(table, args.xray_survey, sys_floor_arcsec=args.xray_sys_floor,
                         source=str(args.xray))  # a user's table fails here, before the long work
    known = known_from_args(args, ui)  # read now: a bad file fails before the long work
    if args.report_max < 0:
        raise InputError(f"--report-max {args.report_max}: give a number of pictures >= 0")
    if args.region is not None:
        table = select_region_rows(table, args.region, args.xray, ui)
    check_writable(args.out)  # before the long work, not after it
    with output_lock(args.out, "run"), ExitStack() as stack:  # one writer per directory; a Dask client is closed
        pipeline = None
        if args.provider == "lsdb":
            provider, pipeline = _lsdb(files, args, stack)
        if args.tile_deg and pipeline is None:
            analysis, paths = run_in_tiles(args, ui, table, provider, bundle, policy, cfg, known)
        else:
            with ui.progress():
                prog = {s: ui.stage(s) for s in ("neighbourhoods", "calibration", "association", "classification")}
                analysis = analyse(table, provider, bundle, policy, config=cfg, xray_survey=args.xray_survey,
                                   sys_floor_arcsec=args.xray_sys_floor, source=str(args.xray), progress=prog,
                                   known=known, **({} if pipeline is None else {"pipeline": pipeline}))
                paths = analysis.write(args.out, args.name)
        report = None
        if not args.no_report:
            from xrbvo.workflows.report import write_report

            with ui.progress():
                report = write_report(analysis, args.out / "report", max_pngs=args.report_max,
                                      title=f"xrbvo candidates: {Path(args.xray).name}", files=paths,
                                      progress=ui.stage("report"), images=images,
                                      images_deadline_s=args.images_deadline)
            paths["report"] = report.index
            paths["sky_map"] = report.sky_map
    print_analysis(ui, analysis, paths)
    if bundle.real_data_line and not getattr(table, "meta", {}).get("SIMULATED"):
        ui.out.print(f"note: {bundle.real_data_line}", soft_wrap=True)
    if report is not None and report.images_note:
        ui.warn(f"sky images: {report.images_note}")
    if report is not None and report.skipped:
        ui.out.print(f"note: {report.skipped} candidates have no picture in the report (at most {args.report_max} "
                     "are drawn, the most probable first; --report-max N)", soft_wrap=True)
    return 0


def provider_from_args(args, files):
    """The provider the options ask for (checked before any long work)."""
    import math
    from pathlib import Path

    from xrbvo.core.errors import InputError
    from xrbvo.vo.known import parse_known_service

    if args.timeout is not None and not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise InputError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    services = any(parse_known_service(k) for k in args.known if not Path(k).exists()) or _from_service(args)
    if args.provider != "tap" and not services:
        for given, option in ((args.timeout is not None, "--timeout"), (args.cache is not None, "--cache")):
            if given:
                raise InputError(f"{option} is for the pulls from TAP services: --provider tap, --known "
                                 "SERVICE:TABLE, or X-ray sources as SERVICE:TABLE")
    if args.provider == "lsdb":
        if args.tap_url:
            raise InputError("--tap-url is for --provider tap")
        if not files:
            raise InputError("--provider lsdb reads HATS catalogues: give them with --catalog SURVEY=PATH_OR_URL")
        return None  # made with its Dask client, once the run starts (_lsdb)
    if args.dask_scheduler:
        raise InputError("--dask-scheduler is for --provider lsdb")
    if args.provider == "local":
        if args.tap_url:
            raise InputError("--tap-url is for --provider tap; local files come with --catalog SURVEY=FILE")
        if not files:
            raise InputError("give at least one survey catalogue with --catalog SURVEY=FILE (e.g. gaia=gaia.fits), "
                             "or pull them from TAP services with --provider tap")
        from xrbvo.workflows.providers import LocalProvider

        return LocalProvider(files)
    if files:
        raise InputError("--catalog is for --provider local; --provider tap pulls the surveys from TAP services "
                         "(choose them with --surveys)")
    if args.surveys is None:
        args.surveys = "gaia,2mass,catwise"
    from xrbvo.workflows.providers import TapProvider

    return TapProvider(args.tap_url, cache=args.cache, deadline_s=args.timeout)


def _from_service(args) -> bool:
    from xrbvo.cli.common import xray_service

    return xray_service(args.xray) is not None


def run_in_tiles(args, ui, table, provider, bundle, policy, cfg, known=()):
    """The run in sky tiles (xrbvo.workflows.tiles); Ctrl-C stops it between steps and keeps the finished tiles.

    Returns the merged analysis and the paths written."""
    import threading

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
                                   cancel=cancel, known=known)
        except BaseException as exc:  # handed to the main thread, which raises it
            box["error"] = exc
        finally:
            done.set()

    with ui.progress():
        prog = {s: ui.stage(s) for s in ("pull", "calibration", "tiles", "neighbourhoods", "association", "classification")}
        threading.Thread(target=work, args=(prog,), name="xrbvo-tiles", daemon=True).start()
        try:
            # Event.wait, not Thread.join: a join cut short by Ctrl-C may report a live thread as finished
            while not done.wait(0.2):
                pass
        except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (the command line's Terminated)
            cancel.set()  # the worker stops at its next check; finished tiles stay in OUT/.tiles
            ui.info("interrupted: stopping after the current step (Ctrl-C again to stop at once)")
            while not done.wait(0.2):
                pass
            ui.err.print(f"finished tiles are kept in {args.out}/.tiles: run the same command again to resume",
                         highlight=False, soft_wrap=True)
            raise stop from None  # the same kind: SIGTERM still ends with 143
    if isinstance(box.get("error"), Cancelled):
        raise KeyboardInterrupt
    if "error" in box:
        raise box["error"]
    run = box["run"]
    ui.out.print(f"tiles: {len(run.tiles)} of {args.tile_deg:g} deg, {len(run.finished_before)} finished before, "
                 f"{len(run.computed)} computed now", highlight=False)
    paths = run.analysis.write(args.out, args.name)
    run.cleanup()
    return run.analysis, paths


#: Seconds to wait for the Dask scheduler of ``--dask-scheduler`` to answer.
DASK_CONNECT_TIMEOUT_S = 10.0


def dask_client(address: str, timeout_s: float | None = None):
    """A Dask client of the scheduler at ``address``; one line (:class:`~xrbvo.core.errors.ServiceError`) when
    none answers within :data:`DASK_CONNECT_TIMEOUT_S`."""
    from dask.distributed import Client

    from xrbvo.core.errors import ServiceError

    t = DASK_CONNECT_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        return Client(address, timeout=f"{t:g}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ServiceError(f"--dask-scheduler {address}: no Dask scheduler answers there within {t:g} s "
                           f"({type(exc).__name__}); check the address, or leave the option out for a local "
                           "cluster") from None


def _lsdb(files, args, stack):
    """The LSDB provider and the partitioned pipeline (Dask's progress goes to the command's rich bars);
    the client of ``--dask-scheduler`` is closed with ``stack``."""
    from xrbvo.core.errors import InputError

    try:
        from xrbvo.workflows.providers import LsdbProvider
        from xrbvo.workflows.scale import PartitionedPipeline
    except ImportError as exc:
        raise InputError(f"--provider lsdb needs the scale extra ({exc.name} is missing): "
                         "pip install 'xrbvo[scale]'") from exc
    client = None
    if args.dask_scheduler:
        client = stack.enter_context(dask_client(args.dask_scheduler))
    return LsdbProvider({k: str(v) for k, v in files.items()}), PartitionedPipeline(client)
