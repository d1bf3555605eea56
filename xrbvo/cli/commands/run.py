"""``xrbvo run``: the pipeline on a user's X-ray source table."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "run"
HELP = "run the pipeline on an X-ray source table with local survey catalogues"
DESCRIPTION = """Read X-ray sources (eRASS1 native columns such as IAUNAME, RA, DEC, POS_ERR, ML_FLUX_1, or the
standard names xid, ra, dec, pos_err, flux_soft, flux_hard), pull Gaia DR3 / 2MASS / CatWISE2020
neighbourhoods from local catalogue files, associate counterparts, classify with a trained model
and write the catalogue (FITS, VOTable, CSV) with HMXB/LMXB candidates flagged."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("xray", type=Path, help="X-ray source table (FITS, VOTable, ECSV, CSV or Parquet)")
    p.add_argument("--model", type=Path, required=True,
                   help="trained model directory (`xrbvo demo` writes one to OUT/model)")
    p.add_argument("--catalog", action="append", default=[], metavar="SURVEY=FILE",
                   help="local catalogue file of a survey (gaia, 2mass, vvv, catwise); repeatable")
    p.add_argument("--xray-survey", default="erass1", help="registry name of the X-ray survey (column names, errors)")
    p.add_argument("--xray-sys-floor", type=float, default=None,
                   help="systematic positional error added in quadrature to the X-ray errors (arcsec)")
    p.add_argument("--radius", type=float, default=20.0, help="counterpart search radius (arcsec)")
    p.add_argument("--prior", action="append", default=[], metavar="CLASS=SHARE",
                   help="class prior of the target field (repeatable; overrides --field-priors)")
    p.add_argument("--field-priors", default="auto", choices=("auto", "model", "training"),
                   help="class priors of the field: auto (default) = xrbvo's population model for the field when "
                        "the sources' median |b| < 10 deg (AGN through the plane far outnumber X-ray binaries), "
                        "else the model's reference mix; model = always the population model; training = the "
                        "model's reference mix")
    p.add_argument("--counterpart-model", type=Path, default=None, metavar="DIR",
                   help="decide class and counterpart together (class-aware counterparts) with the counterpart "
                        "model in DIR (`xrbvo demo` writes one to OUT/model); use it with a model trained on "
                        "labelled data: in the plane eRASS1's error circles hold several stars, and a field star "
                        "taken as an AGN's counterpart makes it look Galactic")
    p.add_argument("--out", type=Path, default=Path("xrbvo-out"), help="output directory")
    p.add_argument("--name", default="xrbvo_catalogue", help="base name of the output files")


def _pairs(items, what):
    from xrbvo.core.errors import InputError

    out = {}
    for it in items:
        if "=" not in it:
            raise InputError(f"{what} {it!r}: write KEY=VALUE")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def run(args, ui) -> int:
    from xrbvo.stages.catalogue import write_catalogue
    from xrbvo.core.errors import InputError
    from xrbvo.io import check_writable, read_table, standardise_xray, write_table
    from xrbvo.pipeline import PipelineConfig, run_pipeline
    from xrbvo.stages.neighbourhoods.local import LocalProvider
    from xrbvo.core.surveys import get_survey

    files = _pairs(args.catalog, "--catalog")
    if not files:
        raise InputError("give at least one survey catalogue with --catalog SURVEY=FILE (e.g. gaia=gaia.fits)")
    surveys = tuple(get_survey(k).name for k in files)
    priors = None
    if args.prior:
        try:
            priors = {k.upper(): float(v) for k, v in _pairs(args.prior, "--prior").items()}
        except ValueError:
            raise InputError("--prior values must be numbers, e.g. --prior HMXB=0.01") from None
    from xrbvo.workflows.demo import load_models

    model, meta, ctpt = load_models(args.model)
    if args.counterpart_model is not None:
        from xrbvo.stages.classify.counterparts import CounterpartClassifier

        ctpt = CounterpartClassifier.load(args.counterpart_model)  # a clear ModelError when it is not one
    cfg = PipelineConfig(radius_arcsec=args.radius, surveys=surveys,
                         counterparts="joint" if ctpt is not None else meta.get("counterparts", "nway"))
    xr = standardise_xray(read_table(args.xray), args.xray_survey, sys_floor_arcsec=args.xray_sys_floor,
                          source=str(args.xray))
    check_writable(args.out)  # before the long work, not after it
    prior_info = {"mode": "given"}
    if priors is None:
        from xrbvo.pipeline import field_class_priors

        priors, prior_info = field_class_priors(xr, model.classes_, args.field_priors,
                                                reference=meta.get("reference_priors"), xray_survey=args.xray_survey)
    provider = LocalProvider(files)
    with ui.progress():
        prog = {s: ui.stage(s) for s in ("neighbourhoods", "association", "classification")}
        res = run_pipeline(xr, provider, model, ctpt_model=ctpt, config=cfg, priors=priors, cuts=meta.get("cuts", {}), progress=prog)
    res.catalogue.meta["PRIORS"] = prior_info["mode"]
    if priors:
        res.catalogue.meta["FLDPRIOR"] = ";".join(f"{k}={v:.4g}" for k, v in priors.items())
    paths = write_catalogue(res.catalogue, args.out, args.name)
    write_table(res.association.combinations, Path(args.out) / f"{args.name}_counterparts.fits")
    from xrbvo.tui.data import write_neighbours

    write_neighbours(res.neighbourhoods, Path(args.out) / f"{args.name}_neighbours.fits")
    n_c = int(res.catalogue["candidate"].sum())
    ui.out.print(f"{len(res.catalogue)} sources, {n_c} X-ray-binary candidates "
                 f"({int((res.catalogue['candidate_class'] == 'HMXB').sum())} HMXB, "
                 f"{int((res.catalogue['candidate_class'] == 'LMXB').sum())} LMXB)")
    if prior_info["mode"] == "model":
        top = ", ".join(f"{k} {v:.3g}" for k, v in sorted(priors.items(), key=lambda kv: -kv[1])[:5])
        ui.out.print(f"field priors (population model, median |b| {prior_info['median_abs_b_deg']:.1f} deg): {top}, ...")
    for k, v in paths.items():
        ui.out.print(f"  {k:<8} {v}")
    return 0
