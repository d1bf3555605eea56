"""``xrbvo run``: the pipeline on a user's X-ray source table."""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from pathlib import Path

NAME = "run"
HELP = "run the pipeline on an X-ray source table with local survey catalogues"
DESCRIPTION = """Read X-ray sources (eRASS1 native columns such as IAUNAME, RA, DEC, POS_ERR, ML_FLUX_1, or the
standard names xid, ra, dec, pos_err, flux_soft, flux_hard), pull Gaia DR3 / 2MASS / CatWISE2020
neighbourhoods from local catalogue files, associate counterparts, classify with a trained model
and write the catalogue (FITS, VOTable, CSV) with HMXB/LMXB candidates flagged."""


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
    p.add_argument("--provider", choices=("local", "lsdb"), default="local",
                   help="local: --catalog files read into memory; lsdb: --catalog HATS catalogues (paths or URLs, "
                        "margin cache in <path>_margin) and the pipeline per partition on Dask "
                        "(pip install 'xrbvo[scale]')")
    p.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                   help="with --provider lsdb: the Dask scheduler to use (default: a local cluster of 2 workers)")
    p.add_argument("--out", type=Path, default=Path("xrbvo-out"), help="output directory")
    p.add_argument("--name", default="xrbvo_catalogue", help="base name of the output files")


def run(args, ui) -> int:
    from xrbvo.cli.common import pairs, policy_from_args, print_analysis
    from xrbvo.core.errors import InputError
    from xrbvo.core.surveys import get_survey
    from xrbvo.io import check_writable, read_table
    from xrbvo.stages.neighbourhoods.local import LocalProvider
    from xrbvo.workflows import ModelBundle, analyse, pipeline_config
    from xrbvo.workflows.analyse import prepare_xray

    files = pairs(args.catalog, "--catalog")
    if not files:
        raise InputError("give at least one survey catalogue with --catalog SURVEY=FILE (e.g. gaia=gaia.fits)")
    surveys = tuple(get_survey(k).name for k in files)
    policy = policy_from_args(args)
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
    check_writable(args.out)  # before the long work, not after it
    with ExitStack() as stack:  # a Dask client of --dask-scheduler is closed when the run ends
        provider, pipeline = (LocalProvider(files), None) if args.provider == "local" else _lsdb(files, args, stack)
        with ui.progress():
            prog = {s: ui.stage(s) for s in ("neighbourhoods", "association", "classification")}
            analysis = analyse(table, provider, bundle, policy, config=cfg, xray_survey=args.xray_survey,
                               sys_floor_arcsec=args.xray_sys_floor, source=str(args.xray), progress=prog,
                               **({} if pipeline is None else {"pipeline": pipeline}))
    paths = analysis.write(args.out, args.name)
    print_analysis(ui, analysis, paths)
    return 0


def _lsdb(files, args, stack):
    """The LSDB provider and the partitioned pipeline (Dask's progress goes to the command's rich bars);
    the client of ``--dask-scheduler`` is closed with ``stack``."""
    from xrbvo.core.errors import InputError

    try:
        from xrbvo.stages.neighbourhoods.lsdb import LsdbProvider
        from xrbvo.workflows.scale import PartitionedPipeline
    except ImportError as exc:
        raise InputError(f"--provider lsdb needs the scale extra ({exc.name} is missing): "
                         "pip install 'xrbvo[scale]'") from exc
    client = None
    if args.dask_scheduler:
        from dask.distributed import Client

        client = stack.enter_context(Client(args.dask_scheduler))
    return LsdbProvider({k: str(v) for k, v in files.items()}), PartitionedPipeline(client)
