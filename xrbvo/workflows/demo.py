"""The built-in demonstration: train on simulated skies, run on another, compare with the truth.

No network is needed.  The training skies and the demo sky use different seeds
(and sight lines); X-ray binaries and other rare classes are injected at a
stated multiple of their Galactic density so that the figures carry weight.
The run on the demo sky is the same workflow as ``xrbvo run`` (:func:`xrbvo.workflows.analyse`)
with the default science policy: the population model's class mix for the field, times the
injection factors the simulated sky records.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from xrbvo.core.errors import ModelError
from xrbvo.core.schema import CLASSES, XRB_CLASSES
from xrbvo.core.surveys import ALL_SECONDARY
from xrbvo.io import write_table
from xrbvo.pipeline import PipelineConfig
from xrbvo.sim import EXTRA_SURVEYS, SkyConfig, simulate_sky
from xrbvo.stages.classify.train import fit_with_cuts
from xrbvo.stages.neighbourhoods.sim import SimProvider
from xrbvo.workflows.analyse import Analysis, analyse
from xrbvo.workflows.bundle import ModelBundle
from xrbvo.workflows.policy import SciencePolicy
from xrbvo.workflows.training import train_joint, training_set_from_sky

__all__ = ["DemoConfig", "DemoResult", "run_demo", "demo_summary", "TRAIN_BOOST", "DEMO_BOOST", "train_demo_bundle",
           "measure_on_labelled", "default_labelled_file", "LABELLED_NAME"]

#: File name of the shared real labelled set (Yang et al. 2022 Chandra sources) a simulated-sky model is measured on.
LABELLED_NAME = "csc_xray_mwl_labelled.csv"


def default_labelled_file() -> Path | None:
    """The shared real labelled set beside the project (``../shared/data/labelled/``), or None when absent.

    Looked for beside the project's source tree and beside the working directory (a developer's or CI's
    checkout); a user's install has none, and a model trained there says it was never measured on real sources.

    Returns
    -------
    Path | None
        The file, if found.
    """
    here = Path(__file__).resolve().parents[2]
    for root in (here, Path.cwd()):
        p = root.parent / "shared" / "data" / "labelled" / LABELLED_NAME
        if p.is_file():
            return p
    return None


def measure_on_labelled(bundle: ModelBundle, path: str | Path) -> dict:
    """How a model fares on a real labelled table, for its metadata (``real_labelled``).

    The table is read as ``xrbvo classify`` reads it for this model (a Chandra table in the model's X-ray
    bands: converted to eRASS1's for a model trained on simulated skies,
    :func:`xrbvo.stages.classify.labelled.chandra_to_erass1`); probabilities at the model's own class mix
    (its selection priors, as for a targeted sample); the most probable class against the literature class.
    The labelled set has no Wolf-Rayet label (its HM-STAR holds O/B/Be *and* WR stars), so a WR prediction of
    an HM-STAR counts as EARLY.

    Parameters
    ----------
    bundle : ModelBundle
        The model.
    path : str | Path
        The labelled table (e.g. ``csc_xray_mwl_labelled.csv``).

    Returns
    -------
    dict
        ``file``, ``sha256``, ``n``, ``bands``, ``priors``, ``balanced_accuracy``, ``accuracy``,
        ``recall`` (class -> [found, n]) and ``precision`` (class -> [right, predicted]).
    """
    from sklearn.metrics import balanced_accuracy_score

    from xrbvo.stages.classify.labelled import load_labelled, model_matrix

    ls = load_labelled(path, bands=bundle.xray_bands)
    classes = list(bundle.classes)
    X = model_matrix(ls.features, bundle.source.feature_names_)
    proba = bundle.source.predict_proba(X, priors=np.array([bundle.selection_priors[c] for c in classes]))
    pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    pred = np.where((pred == "WR") & (ls.labels == "EARLY"), "EARLY", pred)
    y = ls.labels
    present = [c for c in classes if np.any(y == c)]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # predicted classes the table has no label of (WR) are simply wrong
        ba = float(balanced_accuracy_score(y, pred))
    return {"file": Path(path).name, "sha256": ls.sha256, "n": int(len(y)), "bands": bundle.xray_bands,
            "priors": "the model's selection priors", "wr_counts_as_early": True,
            "balanced_accuracy": ba, "accuracy": float(np.mean(pred == y)),
            "recall": {c: [int(np.sum((pred == c) & (y == c))), int(np.sum(y == c))] for c in present},
            "precision": {c: [int(np.sum((pred == c) & (y == c))), int(np.sum(pred == c))] for c in present}}

#: Injection factors of the training skies (rare classes need examples).
TRAIN_BOOST = {"HMXB": 30.0, "LMXB": 100.0, "NS": 10.0, "WR": 10.0, "YSO": 1.5}
#: Injection factors of the demo sky.
DEMO_BOOST = {"HMXB": 10.0, "LMXB": 30.0}


#: Flux limit of the deep training fields (0.2-2.3 keV, erg/cm2/s): a tenth of eRASS1's, the depth of typical
#: Chandra Source Catalog detections (a few 1e-15 in 0.5-7 keV for 10-100 ks; Evans et al. 2010, ApJS 189, 37)
#: and of the deepest eRASS parts near the ecliptic poles, so that the model has seen the faint end of every class.
DEEP_FLUX_LIMIT = 5e-15


def _plane_fields(seed: int, extra_surveys: tuple[str, ...] = ()) -> list[SkyConfig]:
    """The three Galactic-plane training skies (seeds ``seed + 1..3``; the demo's only ones before issue 24)."""
    kw = {"width_deg": 10.0, "height_deg": 3.0, "class_boost": TRAIN_BOOST, "extra_surveys": extra_surveys}
    return [
        SkyConfig(l_deg=295.0, b_deg=0.0, seed=seed + 1, **kw),
        SkyConfig(l_deg=305.0, b_deg=1.5, seed=seed + 2, **kw),
        SkyConfig(l_deg=315.0, b_deg=-4.0, seed=seed + 3, **kw),
    ]


def _training_fields(seed: int, extra_surveys: tuple[str, ...] = ()) -> list[SkyConfig]:
    """The demo's training skies: three plane fields as before, two at high latitude and two deep ones.

    The real release covers the whole western Galactic hemisphere, where most sources lie far from the
    plane (AGN unreddened, nearby coronal stars): a model that has seen only |b| < 5.5 deg learns
    that AGN are reddened and absorbed (``benchmarks/sim_to_real.py``: the real labelled AGN, median
    |b| = 53 deg, differed from the simulated ones with a KS statistic of 0.75 in BP - RP and 1.0 in
    N_H).  Seeds ``seed + 1..7``.
    """
    kw = {"width_deg": 10.0, "height_deg": 3.0, "class_boost": TRAIN_BOOST, "extra_surveys": extra_surveys}
    deep = dict(kw, flux_limit=DEEP_FLUX_LIMIT)
    return _plane_fields(seed, extra_surveys) + [
        SkyConfig(l_deg=300.0, b_deg=25.0, seed=seed + 4, **kw),
        SkyConfig(l_deg=250.0, b_deg=-40.0, seed=seed + 5, **kw),
        SkyConfig(l_deg=310.0, b_deg=1.0, seed=seed + 6, **dict(deep, width_deg=3.0, height_deg=2.0)),
        SkyConfig(l_deg=290.0, b_deg=20.0, seed=seed + 7, **dict(deep, width_deg=2.0, height_deg=2.0)),
    ]


def _extra_surveys(surveys) -> tuple[str, ...]:
    """The run's surveys the simulated sky draws only on request (:data:`xrbvo.sim.EXTRA_SURVEYS`)."""
    return tuple(s for s in surveys if s in EXTRA_SURVEYS)


@dataclass(frozen=True)
class DemoConfig:
    """Options of the demo.

    Parameters
    ----------
    out : Path, optional
        Output directory.
    seed : int, optional
        Seed of the demo sky; the training skies use seeds 1000 + 1..7.
    l_deg : float, optional
        Galactic longitude, degrees.
    b_deg : float, optional
        Galactic latitude, degrees.
    width_deg : float, optional
        Width (Galactic longitude) of the demo field, degrees.
    height_deg : float, optional
        Height (Galactic latitude) of the demo field, degrees.
    boost : Mapping[str, float], optional
        Class -> injection factor of the demo field.
    pipeline : PipelineConfig, optional
        The pipeline options (default: those of ``xrbvo run``).
    policy : SciencePolicy, optional
        The science policy (default: everything ``auto``, as ``xrbvo run``).
    model_dir : Path, optional
        Reuse a trained model from this directory instead of training.
    train_seed : int, optional
        Seed of the training skies.
    tap_url : str, optional
        Pull the neighbourhoods from this TAP service (e.g. the local DaCHS loaded by
        scripts/dachs/load.py, which serves this field) instead of the simulated sky.
    tap_cache : Path, optional
        Chunk cache of the TAP pulls (None: the user's cache directory).
    labelled : Path, optional
        Real labelled table the trained model is measured on (default: the shared set when present).
    """

    out: Path = Path("xrbvo-demo")
    """Output directory."""
    seed: int = 7
    """Seed of the demo sky; the training skies use seeds 1000 + 1..7."""
    l_deg: float = 300.0
    b_deg: float = 0.0
    width_deg: float = 8.0
    height_deg: float = 4.0
    boost: Mapping[str, float] = field(default_factory=lambda: dict(DEMO_BOOST))
    pipeline: PipelineConfig = field(default_factory=lambda: PipelineConfig(counterparts="joint"))
    policy: SciencePolicy = field(default_factory=SciencePolicy)
    """The science policy (default: everything ``auto``, as ``xrbvo run``)."""
    """Pipeline options; class-aware (``joint``) counterparts by default: they win on
    ``benchmarks/counterparts.py``."""
    model_dir: Path | None = None
    """Reuse a trained model from this directory instead of training."""
    train_seed: int = 1000
    tap_url: str | None = None
    """Pull the neighbourhoods from this TAP service (e.g. the local DaCHS loaded by
    scripts/dachs/load.py, which serves this field) instead of the simulated sky."""
    tap_cache: Path | None = None
    """Chunk cache of the TAP pulls (None: the user's cache directory)."""
    labelled: Path | None = field(default_factory=default_labelled_file)
    """Real labelled table the trained model is measured on (its figures go into the model's metadata and are
    printed wherever it is applied); default: the shared set when present (:func:`default_labelled_file`)."""


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` produced.

    Parameters
    ----------
    analysis : Analysis
        The run on the demo sky (the same workflow as ``xrbvo run``).
    truth : astropy.table.Table
        The demo sky's truth table (true class of every X-ray source).
    summary : dict
        Truth-based figures (:func:`demo_summary`).
    files : dict of str to Path
        The files written, by kind.
    """
    analysis: Analysis
    """The run on the demo sky (the same workflow as ``xrbvo run``)."""
    truth: object
    summary: dict
    files: dict[str, Path]

    @property
    def result(self):
        return self.analysis.result


def train_demo_bundle(config: "DemoConfig", *, progress: Mapping[str, Callable[[str, float], None]] | None = None
                      ) -> ModelBundle:
    """Train the demo's models on the simulated training skies (:func:`_training_fields`, seeds ``train_seed`` + 1..7);
    measured on the real labelled set when there is one (``config.labelled``, :func:`measure_on_labelled`).

    Parameters
    ----------
    config : DemoConfig
        The options (``train_seed``, ``pipeline``, ``labelled``).
    progress : Mapping[str, Callable[[str, float], None]], optional
        Progress callbacks by stage (``training sky``, ``training``, ``training match``).

    Returns
    -------
    ModelBundle
        The source classifier, the counterpart model and their metadata (``real_labelled`` when measured).
    """
    prog = progress or {}
    skies = []
    fields = _training_fields(config.train_seed, _extra_surveys(config.pipeline.surveys))
    p_sim = prog.get("training sky")
    for i, f in enumerate(fields):
        sub = (lambda m, x, i=i: p_sim(m, (i + x) / len(fields))) if p_sim else None
        skies.append(simulate_sky(f, progress=sub))
    ctpt = None
    if config.pipeline.counterparts == "joint":
        model, ctpt, meta = train_joint(skies, config.pipeline, progress=prog.get("training"))
    else:
        ts = training_set_from_sky(skies, config.pipeline, progress=prog.get("training match"))
        model, meta = fit_with_cuts(ts, progress=prog.get("training"))
        meta["counterparts"] = "nway"
    meta["augmentation"] = None
    meta["augmentation_note"] = ("trained on simulated skies in the plane (|b| <= 5.5 deg) and at high latitude, "
                                 "whose AGN are seen through the plane and beside it: no plane augmentation needed")
    meta["training_skies"] = [{"l_deg": f.l_deg, "b_deg": f.b_deg, "width_deg": f.width_deg,
                               "height_deg": f.height_deg, "seed": f.seed, "flux_limit": f.flux_limit,
                               "class_boost": dict(f.class_boost)}
                              for f in fields]
    bundle = ModelBundle(model, meta, ctpt)
    if config.labelled is not None and Path(config.labelled).is_file():
        meta["real_labelled"] = measure_on_labelled(bundle, config.labelled)
    return bundle


def run_demo(config: DemoConfig, *, progress: Mapping[str, Callable[[str, float], None]] | None = None,
             cancel: threading.Event | None = None) -> DemoResult:
    """Run the whole demonstration; returns the analysis, the truth and a summary.

    The run on the demo sky is :func:`xrbvo.workflows.analyse` with the default
    science policy, exactly as ``xrbvo run`` does it on the same files.

    Parameters
    ----------
    config : DemoConfig
        The options.
    progress : Mapping[str, Callable[[str, float], None]], optional
        Progress callback ``(message, fraction)``.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).

    Returns
    -------
    DemoResult
        The analysis, the truth, the summary and the files written.
    """
    prog = progress or {}
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    sky_cfg = SkyConfig(l_deg=config.l_deg, b_deg=config.b_deg, width_deg=config.width_deg,
                        height_deg=config.height_deg, class_boost=dict(config.boost), seed=config.seed,
                        extra_surveys=_extra_surveys(config.pipeline.surveys))
    sky_cfg.validate()  # an impossible field fails now, not after training
    provider = None
    if config.tap_url:
        from xrbvo.stages.neighbourhoods.tap import TapProvider

        provider = TapProvider(config.tap_url, cache=config.tap_cache)
        provider.validate(config.pipeline.surveys)  # an unreachable service fails now, not after training
    if config.model_dir is not None:
        bundle = ModelBundle.load(config.model_dir)
        if bundle.counterparts != config.pipeline.counterparts:
            raise ModelError(f"{config.model_dir}: this model does class-{'aware' if bundle.counterpart else 'blind'}"
                             f" counterparts ({bundle.counterparts}); run the demo with --counterparts "
                             f"{bundle.counterparts}")
    else:
        bundle = train_demo_bundle(config, progress=prog)
        bundle.save(out / "model")
        bundle = ModelBundle.load(out / "model")
    sky = simulate_sky(sky_cfg, progress=prog.get("demo sky"))
    if provider is None:
        provider = SimProvider(sky)
    analysis = analyse(sky.xray, provider, bundle, config.policy, config=config.pipeline,
                       source=f"simulated eRASS1 field (seed {config.seed})",
                       progress={"neighbourhoods": prog.get("neighbourhoods"),
                                 "association": prog.get("association"),
                                 "classification": prog.get("classification")}, cancel=cancel)
    files = analysis.write(out, "xrbvo_demo_catalogue", companions="xrbvo_demo")
    files["truth"] = write_table(sky.truth, out / "truth.fits")
    summary = demo_summary(analysis, sky.truth)
    summary["boost"] = dict(config.boost)
    from xrbvo.io.plots import confusion_matrix_plot, sky_map

    files["sky_map"] = sky_map(analysis.catalogue, out / "sky_map.png",
                               title="Simulated eRASS1 field: X-ray-binary candidates")
    files["confusion"] = confusion_matrix_plot(np.asarray(sky.truth["true_class"]).astype(str),
                                               np.asarray(analysis.catalogue["predicted_class"]).astype(str), CLASSES,
                                               out / "confusion_matrix.png")
    return DemoResult(analysis, sky.truth, summary, files)


def demo_summary(analysis: Analysis, truth) -> dict:
    """Truth-based figures of a run on a simulated sky.

    Parameters
    ----------
    analysis : Analysis
        What :func:`xrbvo.workflows.analyse` returned.
    truth : astropy.table.Table
        The simulated field's truth table.

    Returns
    -------
    dict
        Sources, candidates and their true classes, completeness and purity per class.
    """
    cat = analysis.catalogue
    true = np.asarray(truth["true_class"]).astype(str)
    cand = np.asarray(cat["candidate_class"]).astype(str)
    s: dict = {"n_sources": len(cat)}
    s.update({k: v for k, v in analysis.summary().items() if k in ("no_coverage", "policy", "notes")})
    # associated: p_any at or above the run's calibrated cut (PANYCUT); without a cut, p_any > 0.5 as before
    s["p_any_cut"] = float(cat.meta["PANYCUT"]) if "PANYCUT" in cat.meta else None
    s["false_rate"] = cat.meta.get("FARATE")
    s["n_with_counterpart"] = (int(np.sum(np.asarray(cat["associated"], bool))) if "associated" in cat.colnames
                               else int(np.sum(np.asarray(cat["p_any"]) > 0.5)))
    s["candidates"] = {c: int(np.sum(cand == c)) for c in XRB_CLASSES}
    s["true_counts"] = {c: int(np.sum(true == c)) for c in np.unique(true)}
    ep = np.asarray(cat["expected_purity"], float)
    for c in XRB_CLASSES:
        tp = int(np.sum((cand == c) & (true == c)))
        s[f"{c}_completeness"] = tp / max(int(np.sum(true == c)), 1) if np.any(true == c) else float("nan")
        s[f"{c}_purity"] = tp / int(np.sum(cand == c)) if np.any(cand == c) else float("nan")
        s[f"{c}_expected_purity"] = float(np.nanmean(ep[cand == c])) if np.any(cand == c) else float("nan")
    xrb = np.isin(true, XRB_CLASSES)
    ok_gaia = np.asarray(cat["nid_gaia"]).astype(str) == np.asarray(truth["ctp_gaia"]).astype(str)
    ok_all = ok_gaia.copy()
    for sname in ALL_SECONDARY:
        if sname != "gaia" and f"nid_{sname}" in cat.colnames and f"ctp_{sname}" in truth.colnames:
            ok_all &= np.asarray(cat[f"nid_{sname}"]).astype(str) == np.asarray(truth[f"ctp_{sname}"]).astype(str)
    s["xrb_true_gaia_counterpart"] = float(np.mean(ok_gaia[xrb])) if xrb.any() else float("nan")
    s["xrb_true_all_counterparts"] = float(np.mean(ok_all[xrb])) if xrb.any() else float("nan")
    s["all_true_gaia_counterpart"] = float(np.mean(ok_gaia))
    s["counterparts"] = cat.meta.get("COUNTERP", "nway")
    pred = np.asarray(cat["predicted_class"]).astype(str)
    s["accuracy"] = float(np.mean(pred == true))
    from sklearn.metrics import balanced_accuracy_score

    s["balanced_accuracy"] = float(balanced_accuracy_score(true, pred))
    return s
