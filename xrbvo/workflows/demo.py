"""The built-in demonstration: train on simulated skies, run on another, compare with the truth.

No network is needed.  The training skies and the demo sky use different seeds
(and sight lines); X-ray binaries and other rare classes are injected at a
stated multiple of their Galactic density so that the figures carry weight.
Classification uses the demo field's expected class mix as priors.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from xrbvo.stages.catalogue import write_catalogue
from xrbvo.io import standardise_xray, write_table
from xrbvo.stages.classify.classifier import SourceClassifier
from xrbvo.stages.classify.train import fit_with_cuts, training_set_from_sky
from xrbvo.pipeline import PipelineConfig, PipelineResult, run_pipeline
from xrbvo.stages.neighbourhoods.sim import SimProvider
from xrbvo.core.schema import XRB_CLASSES
from xrbvo.sim import SkyConfig, simulate_sky

__all__ = ["DemoConfig", "DemoResult", "run_demo", "demo_summary", "TRAIN_BOOST", "DEMO_BOOST"]

#: Injection factors of the training skies (rare classes need examples).
TRAIN_BOOST = {"HMXB": 30.0, "LMXB": 100.0, "NS": 10.0, "WR": 10.0, "YSO": 1.5}
#: Injection factors of the demo sky.
DEMO_BOOST = {"HMXB": 10.0, "LMXB": 30.0}


def _training_fields(seed: int) -> list[SkyConfig]:
    return [
        SkyConfig(l_deg=295.0, b_deg=0.0, width_deg=10.0, height_deg=3.0, class_boost=TRAIN_BOOST, seed=seed + 1),
        SkyConfig(l_deg=305.0, b_deg=1.5, width_deg=10.0, height_deg=3.0, class_boost=TRAIN_BOOST, seed=seed + 2),
        SkyConfig(l_deg=315.0, b_deg=-4.0, width_deg=10.0, height_deg=3.0, class_boost=TRAIN_BOOST, seed=seed + 3),
    ]


@dataclass(frozen=True)
class DemoConfig:
    """Options of the demo."""

    out: Path = Path("xrbvo-demo")
    """Output directory."""
    seed: int = 7
    """Seed of the demo sky; the training skies use seeds 1000 + 1..3."""
    l_deg: float = 300.0
    b_deg: float = 0.0
    width_deg: float = 8.0
    height_deg: float = 4.0
    boost: Mapping[str, float] = field(default_factory=lambda: dict(DEMO_BOOST))
    pipeline: PipelineConfig = field(default_factory=lambda: PipelineConfig(counterparts="joint"))
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


@dataclass(frozen=True)
class DemoResult:
    result: PipelineResult
    truth: object
    summary: dict
    files: dict[str, Path]


def run_demo(config: DemoConfig, *, progress: Mapping[str, Callable[[str, float], None]] | None = None,
             cancel: threading.Event | None = None) -> DemoResult:
    """Run the whole demonstration; returns the pipeline result, the truth and a summary."""
    prog = progress or {}
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    sky_cfg = SkyConfig(l_deg=config.l_deg, b_deg=config.b_deg, width_deg=config.width_deg,
                        height_deg=config.height_deg, class_boost=dict(config.boost), seed=config.seed)
    ctpt = None
    if config.model_dir is not None:
        model, meta, ctpt = load_models(config.model_dir)
        if meta.get("counterparts", "nway") != config.pipeline.counterparts:
            from xrbvo.core.errors import ModelError

            raise ModelError(f"{config.model_dir}: model was trained for counterparts="
                             f"{meta.get('counterparts', 'nway')!r}, not {config.pipeline.counterparts!r}")
    else:
        skies = []
        fields = _training_fields(config.train_seed)
        p_sim = prog.get("training sky")
        for i, f in enumerate(fields):
            sub = (lambda m, x, i=i: p_sim(m, (i + x) / len(fields))) if p_sim else None
            skies.append(simulate_sky(f, progress=sub))
        if config.pipeline.counterparts == "joint":
            from xrbvo.stages.classify.counterparts import train_joint

            model, ctpt, meta = train_joint(skies, config.pipeline, progress=prog.get("training"))
        else:
            ts = training_set_from_sky(skies, config.pipeline, progress=prog.get("training match"))
            model, meta = fit_with_cuts(ts, progress=prog.get("training"))
            meta["counterparts"] = "nway"
        meta["augmentation"] = None
        meta["augmentation_note"] = ("trained on simulated Galactic-plane skies (|b| <= 5.5 deg), whose AGN are "
                                     "already seen through the plane: no plane augmentation needed")
        meta["field_priors"] = {"default": "the field's expected class mix from xrbvo's population models",
                                "applies_to": "every source of the demo field"}
        meta["training_skies"] = [{"l_deg": f.l_deg, "b_deg": f.b_deg, "width_deg": f.width_deg,
                                   "height_deg": f.height_deg, "seed": f.seed, "class_boost": dict(f.class_boost)}
                                  for f in fields]
        model.save(out / "model", metadata=meta)
        if ctpt is not None:
            ctpt.save(out / "model")
    sky = simulate_sky(sky_cfg, progress=prog.get("demo sky"))
    xr = standardise_xray(sky.xray, "erass1", source="simulated eRASS1 field")
    priors = sky.class_priors(boosted=True)
    # a model trained on labelled real sources may lack a class (no WR there): keep the classes it knows
    priors = {k: v for k, v in priors.items() if k in set(map(str, model.classes_))}
    if config.tap_url:
        from xrbvo.stages.neighbourhoods.tap import TapProvider

        provider = TapProvider(config.tap_url, cache=config.tap_cache)
    else:
        provider = SimProvider(sky)
    res = run_pipeline(xr, provider, model, ctpt_model=ctpt, config=config.pipeline, priors=priors,
                       cuts=meta["cuts"],
                       progress={"neighbourhoods": prog.get("neighbourhoods"),
                                 "association": prog.get("association"),
                                 "classification": prog.get("classification")}, cancel=cancel)
    files = {}
    files.update({f"catalogue_{k}": v for k, v in write_catalogue(res.catalogue, out, "xrbvo_demo_catalogue").items()})
    files["counterparts"] = write_table(res.association.combinations, out / "xrbvo_demo_counterparts.fits")
    from xrbvo.tui.data import write_neighbours

    files["neighbours"] = write_neighbours(res.neighbourhoods, out / "xrbvo_demo_neighbours.fits")
    files["truth"] = write_table(sky.truth, out / "truth.fits")
    summary = demo_summary(res, sky.truth)
    summary["priors"] = priors
    summary["boost"] = dict(config.boost)
    from xrbvo.io.plots import confusion_matrix_plot, sky_map

    files["sky_map"] = sky_map(res.catalogue, out / "sky_map.png", title="Simulated eRASS1 field: predicted classes")
    from xrbvo.core.schema import CLASSES

    files["confusion"] = confusion_matrix_plot(np.asarray(sky.truth["true_class"]).astype(str),
                                               np.asarray(res.catalogue["predicted_class"]).astype(str), CLASSES,
                                               out / "confusion_matrix.png")
    return DemoResult(res, sky.truth, summary, files)


def load_models(directory):
    """Load a model directory: ``(source classifier, metadata, counterpart model or None)``."""
    model, meta = SourceClassifier.load(directory)
    ctpt = None
    if meta.get("counterparts") == "joint":
        from xrbvo.stages.classify.counterparts import CounterpartClassifier

        ctpt = CounterpartClassifier.load(directory)
    return model, meta, ctpt


def demo_summary(result: PipelineResult, truth) -> dict:
    """Truth-based figures of a run on a simulated sky."""
    cat = result.catalogue
    true = np.asarray(truth["true_class"]).astype(str)
    cand = np.asarray(cat["candidate_class"]).astype(str)
    s: dict = {"n_sources": len(cat)}
    s["n_with_counterpart"] = int(np.sum(np.asarray(cat["p_any"]) > 0.5))
    s["candidates"] = {c: int(np.sum(cand == c)) for c in XRB_CLASSES}
    s["true_counts"] = {c: int(np.sum(true == c)) for c in np.unique(true)}
    for c in XRB_CLASSES:
        tp = int(np.sum((cand == c) & (true == c)))
        s[f"{c}_completeness"] = tp / max(int(np.sum(true == c)), 1) if np.any(true == c) else float("nan")
        s[f"{c}_purity"] = tp / int(np.sum(cand == c)) if np.any(cand == c) else float("nan")
    xrb = np.isin(true, XRB_CLASSES)
    ok_gaia = np.asarray(cat["nid_gaia"]).astype(str) == np.asarray(truth["ctp_gaia"]).astype(str)
    ok_all = ok_gaia.copy()
    for sname in ("2mass", "catwise"):
        if f"nid_{sname}" in cat.colnames:
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
