"""Training workflows on simulated skies (with truth): the source classifier and the counterpart model.

A model trained on a labelled table (:func:`xrbvo.stages.classify.train.train_labelled`) gets its
counterpart model from here (:func:`train_counterpart_model`).

Training on a simulated sky runs the pipeline's own stages on it (neighbourhoods
from the simulated catalogues, the association, features or combination rows),
so the models see exactly what a run will feed them.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from astropy.table import vstack

from xrbvo.core.errors import InputError
from xrbvo.core.schema import CLASSES, XRB_CLASSES
from xrbvo.io import standardise_xray
from xrbvo.pipeline import PipelineConfig
from xrbvo.stages.classify.counterparts import (CounterpartClassifier, SkyRows, combination_table, fit_pair,
                                                joint_posterior, truth_combination_index)
from xrbvo.stages.classify.train import TrainingSet, choose_cuts, class_weights_for_priors
from xrbvo.stages.features import nh_at, source_features
from xrbvo.stages.match.associate import associate
from xrbvo.stages.neighbourhoods.sim import SimProvider
from xrbvo.stages.select import pass_rates

__all__ = ["training_set_from_sky", "sky_rows", "train_joint"]


def training_set_from_sky(skies, config=None, *, progress: Callable[[str, float], None] | None = None) -> TrainingSet:
    """Match simulated skies with the pipeline's association and return features and true labels.

    Parameters
    ----------
    skies : sequence of xrbvo.sim.SimulatedSky
        The simulated fields.
    config
        The options.
    progress : Callable[[str, float], None], optional
        Progress callback ``(message, fraction)``.

    Returns
    -------
    TrainingSet
        Features, true labels and the fields' class mix.
    """
    cfg = config or PipelineConfig()
    feats, labels = [], []
    expected: dict[str, float] = {}
    skies = list(skies)
    for i, sky in enumerate(skies):
        xr = standardise_xray(sky.xray)
        nbs = SimProvider(sky).neighbourhoods(xr, cfg.radius_arcsec, cfg.surveys)
        assoc = associate(xr, nbs, cfg.radius_arcsec, cfg.association)
        feats.append(source_features(xr, assoc, nbs, nh=nh_at(xr["ra"], xr["dec"])))
        labels.append(np.asarray(sky.truth["true_class"]).astype(str))
        for k, v in sky.expected_counts.items():
            expected[k] = expected.get(k, 0.0) + v
        if progress:
            progress(f"training sky {i + 1}/{len(skies)}", (i + 1) / len(skies))
    tot = sum(expected.values())
    return TrainingSet(vstack(feats), np.concatenate(labels), {k: v / tot for k, v in expected.items()})


def sky_rows(sky, config: PipelineConfig) -> SkyRows:
    """Positional association and combination rows of a simulated sky, with its true combinations.

    Parameters
    ----------
    sky : xrbvo.sim.SimulatedSky
        The simulated field.
    config : PipelineConfig
        The options.

    Returns
    -------
    SkyRows
        The combination rows with truth.
    """
    xr = standardise_xray(sky.xray)
    nbs = SimProvider(sky).neighbourhoods(xr, config.radius_arcsec, config.surveys)
    assoc = associate(xr, nbs, config.radius_arcsec, config.association, positional_only=True)
    cr = combination_table(xr, assoc, nbs, nh_at(xr["ra"], xr["dec"]))
    is_true = truth_combination_index(cr, nbs, sky.truth, xr)
    return SkyRows(cr, is_true, np.asarray(sky.truth["true_class"]).astype(str), len(xr), dict(sky.expected_counts))


def train_joint(skies, config, *, cut_classes: Sequence[str] = XRB_CLASSES, random_state: int = 0,
                progress=None) -> tuple[object, CounterpartClassifier, dict]:
    """Train the joint (class-aware counterpart) models on simulated skies with truth.

    Cuts are chosen on leave-one-sky-out joint probabilities at the reference
    (unboosted) class priors, rows weighted to that mix.  Returns the source
    classifier (trained on true counterparts), P_XRAY_CTPT and metadata.

    Parameters
    ----------
    skies : sequence of xrbvo.sim.SimulatedSky
        At least two simulated fields (each is held out once to choose the cuts).
    config
        The options.
    cut_classes : Sequence[str], optional
        Classes that get a candidate cut.
    random_state : int, optional
        Seed of the random draws.
    progress : callable, optional
        Progress callback ``(message, fraction)``.

    Returns
    -------
    tuple[object, CounterpartClassifier, dict]
        The source classifier, the counterpart model and the metadata (cuts, measured figures, reference
        priors).
    """
    skies = list(skies)
    if len(skies) < 2:
        raise InputError("joint training needs at least two simulated skies (one is held out for the cuts)")
    rng = np.random.default_rng(random_state)
    parts = []
    for i, sky in enumerate(skies):
        parts.append(sky_rows(sky, config))
        if progress:
            progress(f"combinations of sky {i + 1}/{len(skies)}", 0.3 * (i + 1) / len(skies))
    expected: dict[str, float] = {}
    for p in parts:
        for k, v in p.expected.items():
            expected[k] = expected.get(k, 0.0) + v
    tot = sum(expected.values())
    ref = {k: v / tot for k, v in expected.items()}
    src_params = dict(n_estimators=100, max_depth=5, random_state=random_state)
    ctpt_params = dict(n_estimators=100, max_depth=5, random_state=random_state)
    oof, labels = [], []
    for i in range(len(parts)):
        train = [p for j, p in enumerate(parts) if j != i]
        s_m, c_m = fit_pair(train, src_params, ctpt_params, rng)
        res = joint_posterior(parts[i].cr, parts[i].n_sources, s_m, c_m, ref)
        full = np.zeros((parts[i].n_sources, len(CLASSES)))
        for j, c in enumerate(res.classes):
            full[:, CLASSES.index(c)] = res.proba[:, j]
        oof.append(full)
        labels.append(parts[i].labels)
        if progress:
            progress(f"held-out sky {i + 1}/{len(parts)}", 0.3 + 0.6 * (i + 1) / len(parts))
    oof_p = np.vstack(oof)
    y = np.concatenate(labels)
    weights = class_weights_for_priors(y, ref)
    chosen = choose_cuts(y, oof_p, list(CLASSES), cut_classes=cut_classes, weights=weights)
    cuts = {c: r["cut"] for c, r in chosen.items()}
    metrics = {c: {"cut": r["cut"], "completeness": r["completeness"], "purity_at_reference_priors": r["purity"]}
               for c, r in chosen.items()}
    rates = pass_rates(y, oof_p, list(CLASSES), cuts)
    src_model, ctpt = fit_pair(parts, src_params, ctpt_params, rng)
    if progress:
        progress("final fit", 1.0)
    meta = {"cuts": cuts, "cv_metrics": metrics, "reference_priors": ref, "counterparts": "joint",
            "trained_on": "simulated", "no_counterpart_share": no_counterpart_share(parts),
            "selection": {"cut_priors": ref, "pass_rates": rates,
                          "method": "leave-one-sky-out joint probabilities at the reference priors"},
            "cut_method": "leave-one-sky-out joint probabilities, rows weighted to the reference priors"}
    return src_model, ctpt, meta


def no_counterpart_share(parts: Sequence[SkyRows]) -> dict[str, float]:
    """Share of each class's sources the source classifier learns from their "none" row (no counterpart found).

    The source classifier of :func:`~xrbvo.stages.classify.counterparts.fit_pair` learns from each source's
    true combination, its "none" row when it has no counterpart: this is the share of each class's training
    rows without any counterpart, the ``q_c`` of the no-counterpart evidence (policy rule 7,
    :func:`xrbvo.stages.probability.no_counterpart_evidence`), as
    :func:`xrbvo.stages.classify.train.train_labelled` records it for a labelled model.

    Parameters
    ----------
    parts : sequence of SkyRows
        The training skies' combination rows with truth.

    Returns
    -------
    dict[str, float]
        Class -> share of its sources without any counterpart (every class of :data:`CLASSES` present in the
        skies).
    """
    labels, none = [], []
    for p in parts:
        # the rows fit_pair learns each source from (SkyRows.source_rows): which of them are "none" rows
        labels.append(np.asarray(p.labels).astype(str))
        none.append(np.asarray(p.cr.is_none, bool)[p.source_rows()])
    y = np.concatenate(labels) if labels else np.zeros(0, str)
    nn = np.concatenate(none) if none else np.zeros(0, bool)
    return {str(c): float(np.mean(nn[y == c])) for c in CLASSES if np.any(y == c)}


#: Injection factors of the skies the counterpart model is trained on (rare classes need examples).
CTPT_SKY_BOOST = {"HMXB": 30.0, "LMXB": 100.0, "NS": 10.0, "WR": 10.0, "YSO": 1.5}


def counterpart_skies(seed: int = 2000, *, quick: bool = False) -> list:
    """The sky fields a counterpart model is trained on (Galactic plane, ``|b|`` <= 5.5 deg).

    Parameters
    ----------
    seed : int, optional
        Seed of the random draws; the same seed gives the same result.
    quick : bool, optional
        Fewer and smaller fields (for tests).

    Returns
    -------
    list
        The sky fields a counterpart model is trained on (Galactic plane, ``|b|`` <= 5.5 deg).
    """
    from xrbvo.sim import SkyConfig

    w, h = (4.0, 2.0) if quick else (10.0, 3.0)
    return [SkyConfig(l_deg=295.0, b_deg=0.0, width_deg=w, height_deg=h, class_boost=CTPT_SKY_BOOST, seed=seed + 1),
            SkyConfig(l_deg=315.0, b_deg=-4.0, width_deg=w, height_deg=h, class_boost=CTPT_SKY_BOOST, seed=seed + 2)]


def train_counterpart_model(*, seed: int = 2000, quick: bool = False, config: PipelineConfig | None = None,
                            progress: Callable[[str, float], None] | None = None
                            ) -> tuple[CounterpartClassifier, dict]:
    """P_XRAY_CTPT trained on simulated skies with truth, for a bundle whose source model was trained elsewhere.

    The counterpart model tells X-ray emitters from field sources by photometry,
    astrometry and X-ray-to-optical ratios; the simulated skies know which
    neighbour is the true counterpart, which no labelled table of real sources
    says for every candidate.  Returns the model and a record for the metadata.

    Parameters
    ----------
    seed : int, optional
        Seed of the random draws; the same seed gives the same result.
    quick : bool, optional
        Fewer and smaller training fields (for tests).
    config : PipelineConfig, optional
        The options; None: ``PipelineConfig()``.
    progress : Callable[[str, float], None], optional
        Progress callback ``(message, fraction)``.

    Returns
    -------
    tuple[CounterpartClassifier, dict]
        The counterpart model and its metadata.
    """
    from xrbvo.sim import simulate_sky

    cfg = config or PipelineConfig()
    fields = counterpart_skies(seed, quick=quick)
    parts = []
    for i, f in enumerate(fields):
        parts.append(sky_rows(simulate_sky(f), cfg))
        if progress:
            progress(f"counterpart sky {i + 1}/{len(fields)}", 0.8 * (i + 1) / len(fields))
    rng = np.random.default_rng(seed)
    params = dict(n_estimators=60 if quick else 100, max_depth=5, random_state=seed)
    _, ctpt = fit_pair(parts, dict(n_estimators=10, max_depth=3, random_state=seed), params, rng)
    if progress:
        progress("counterpart model", 1.0)
    record = {"trained_on": "simulated skies with truth", "seed": seed, "quick": quick,
              "skies": [{"l_deg": f.l_deg, "b_deg": f.b_deg, "width_deg": f.width_deg, "height_deg": f.height_deg,
                         "seed": f.seed, "class_boost": dict(f.class_boost)} for f in fields]}
    return ctpt, record


__all__ += ["train_counterpart_model", "counterpart_skies", "CTPT_SKY_BOOST", "no_counterpart_share"]
