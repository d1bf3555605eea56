"""The stages wired together: neighbourhoods -> match -> features -> classify -> select -> catalogue.

Each stage is a function of its inputs; :func:`run_pipeline` only calls them
in order, passing progress callbacks and a cancel event.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from xrbvo.stages.catalogue import build_catalogue
from xrbvo.core.errors import Cancelled, InputError
from xrbvo.stages.match import AssociationInput, AssociationResult, BayesConfig, BayesianAssociator
from xrbvo.stages.classify.classifier import SourceClassifier
from xrbvo.stages.classify.explain import explain
from xrbvo.stages.features import FEATURES, build_features
from xrbvo.core.physics import galactic_nh
from xrbvo.stages.neighbourhoods.base import Provider
from xrbvo.core.surveys import get_survey

__all__ = ["PipelineConfig", "PipelineResult", "associate", "chosen_rows", "source_features", "classify",
           "run_pipeline", "default_association", "explain_sources"]

Progress = Callable[[str, float], None]


def default_association() -> BayesConfig:
    """NWAY-like defaults: positional Bayes factors plus magnitude priors learnt from the data (G, W1)."""
    # Proper-motion propagation is off: at eRASS1's 2-8 arcsec errors the 4-yr Gaia-to-eRASS1 motion
    # is negligible, and with it on the simulated sky's counterparts were found less often
    # (0.16 vs 0.23 of true Gaia counterparts on the test field) -- still to be understood.
    return BayesConfig(mag_priors={("gaia", "G"): "auto", ("catwise", "W1"): "auto"}, propagate_proper_motion=False,
                      prior_mode="independent")


@dataclass(frozen=True)
class PipelineConfig:
    """Options of a pipeline run."""

    radius_arcsec: float = 20.0
    """Search radius for counterpart candidates around each X-ray position."""
    surveys: tuple[str, ...] = ("gaia", "2mass", "catwise")
    """Secondary surveys to pull and match."""
    association: BayesConfig = field(default_factory=default_association)
    """Options of the Bayesian association."""
    counterparts: str = "nway"
    """``nway``: classify the most probable counterpart of the Bayesian association (with magnitude
    priors learnt from all sources); ``joint``: decide class and counterpart together
    (class-aware counterparts, :mod:`xrbvo.stages.classify.counterparts`)."""

    def validate(self) -> None:
        if self.counterparts not in ("nway", "joint"):
            raise InputError(f"counterparts must be 'nway' or 'joint', not {self.counterparts!r}")
        if not 0 < self.radius_arcsec <= 600:
            raise InputError("search radius must be between 0 and 600 arcsec")
        if not self.surveys:
            raise InputError("give at least one secondary survey")
        for s in self.surveys:
            if get_survey(s).kind != "secondary":
                raise InputError(f"{s} is not a counterpart survey; choose from gaia, 2mass, vvv, catwise")


@dataclass(frozen=True)
class PipelineResult:
    """Everything a run produced (each stage's output is kept)."""

    xray: Table
    """Standardised X-ray sources."""
    neighbourhoods: dict[str, Table]
    """Survey -> neighbourhood table."""
    association: AssociationResult
    """Association tables."""
    features: Table
    """Features per source (from the most probable counterparts)."""
    proba: np.ndarray
    """Class probabilities (columns: ``classes``)."""
    classes: tuple[str, ...]
    catalogue: Table
    """The output catalogue."""


def associate(xray: Table, neighbourhoods: Mapping[str, Table], config: PipelineConfig, *,
              progress: Progress | None = None, cancel: threading.Event | None = None) -> AssociationResult:
    """Run the Bayesian association on pulled neighbourhoods."""
    engine = BayesianAssociator(config.association)
    return engine(AssociationInput(xray, dict(neighbourhoods), config.radius_arcsec), progress=progress,
                  cancel=cancel)


def positional_association(xray: Table, neighbourhoods: Mapping[str, Table], config: PipelineConfig, *,
                           progress: Progress | None = None, cancel: threading.Event | None = None
                           ) -> AssociationResult:
    """The association without magnitude priors (positions, densities, completeness only)."""
    from dataclasses import replace

    cfg = replace(config, association=replace(config.association, mag_priors={}))
    return associate(xray, neighbourhoods, cfg, progress=progress, cancel=cancel)


def chosen_rows(association: AssociationResult) -> dict[str, np.ndarray]:
    """Survey -> neighbourhood row of the most probable combination (-1 for none)."""
    return {s: np.asarray(association.sources[f"row_{s}"], dtype=int) for s in association.surveys}


def galactic_nh_of(xray: Table) -> np.ndarray:
    """HI4PI Galactic N_H at every X-ray position."""
    if len(xray) == 0:
        return np.zeros(0)
    c = SkyCoord(ra=np.asarray(xray["ra"], float) * u.deg, dec=np.asarray(xray["dec"], float) * u.deg).galactic
    return galactic_nh(c.l.deg, c.b.deg)


def source_features(xray: Table, association: AssociationResult, neighbourhoods: Mapping[str, Table],
                    nh: np.ndarray | None = None) -> Table:
    """Features of every source from its most probable counterparts."""
    return build_features(xray, chosen_rows(association), neighbourhoods, nh=nh)


def classify(features: Table, model: SourceClassifier, priors: Mapping[str, float] | None = None) -> np.ndarray:
    """Class probabilities for the given field priors (columns follow ``model.classes_``)."""
    missing = [f for f in model.feature_names_ if f not in features.colnames]
    if missing:
        raise InputError(f"feature table lacks {', '.join(missing)}; build it with xrbvo.stages.classify.build_features")
    X = np.column_stack([np.asarray(features[f], float) for f in model.feature_names_]) if len(features) else \
        np.zeros((0, len(model.feature_names_)))
    if len(X) == 0:
        return np.zeros((0, len(model.classes_)))
    return model.predict_proba(X, priors=priors)


def explain_sources(features: Table, model: SourceClassifier, proba: np.ndarray | None = None, top: int = 3) -> Table:
    """Per source, the features that pushed its most probable class most (see :func:`xrbvo.stages.classify.explain`)."""
    X = np.column_stack([np.asarray(features[f], float) for f in model.feature_names_]) if len(features) else \
        np.zeros((0, len(model.feature_names_)))
    return explain(model, X, top=top, proba=proba)


def run_pipeline(xray: Table, provider: Provider, model: SourceClassifier, *, ctpt_model=None,
                 config: PipelineConfig | None = None,
                 priors: Mapping[str, float] | None = None, cuts: Mapping[str, float] | None = None,
                 progress: Mapping[str, Progress] | Progress | None = None,
                 cancel: threading.Event | None = None) -> PipelineResult:
    """Run every stage on standardised X-ray sources.

    Parameters
    ----------
    xray : Table
        X-ray sources in the :data:`xrbvo.core.schema.XRAY` schema
        (see :func:`xrbvo.io.standardise_xray`).
    provider : Provider
        Where neighbourhoods come from.
    model : SourceClassifier
        A trained classifier (for ``counterparts='joint'``: the one trained on true counterparts).
    ctpt_model : CounterpartClassifier, optional
        P_XRAY_CTPT, required for ``counterparts='joint'``.
    priors : mapping, optional
        Class priors of the target field (default: the model's reference priors).
    cuts : mapping, optional
        Class -> probability cut for candidate selection (default: none selected).
    progress : callable or mapping of stage name -> callable
        Progress callbacks ``(message, fraction)``; stage names are
        ``neighbourhoods``, ``association``, ``classification``.
    """
    cfg = config or PipelineConfig()
    cfg.validate()

    def cb(stage):
        if progress is None:
            return None
        if callable(progress):
            return lambda m, f: progress(f"{stage}: {m}", f)
        return progress.get(stage)

    provider.validate(cfg.surveys)
    pull_radius = cfg.radius_arcsec
    if cfg.association.density == "local":
        ann = cfg.association.local_annulus_arcsec
        pull_radius = max(pull_radius, ann[1] if ann else 3 * cfg.radius_arcsec)
    nbs = provider.neighbourhoods(xray, pull_radius, cfg.surveys, progress=cb("neighbourhoods"), cancel=cancel)
    if cancel is not None and cancel.is_set():
        raise Cancelled()
    nh = galactic_nh_of(xray)
    c = cb("classification")
    if cfg.counterparts == "joint":
        if ctpt_model is None:
            raise InputError("counterparts='joint' needs the counterpart model (P_XRAY_CTPT); train one with "
                             "`xrbvo demo` or choose counterparts='nway'")
        assoc = positional_association(xray, nbs, cfg, progress=cb("association"), cancel=cancel)
        if c:
            c("joint posterior", 0.3)
        assoc, feats, proba, extra = _joint(xray, assoc, nbs, nh, model, ctpt_model, priors)
    else:
        assoc = associate(xray, nbs, cfg, progress=cb("association"), cancel=cancel)
        feats = source_features(xray, assoc, nbs, nh=nh)
        if c:
            c("classifying", 0.3)
        proba = classify(feats, model, priors)
        extra = None
    if c:
        c("explaining", 0.6)
    extra = dict(extra or {})
    extra["top_features"] = explain_sources(feats, model, proba)["top_features"]
    cat = build_catalogue(xray, assoc, feats, proba, list(model.classes_), cuts=cuts or {}, nh=nh, extra=extra)
    cat["top_features"].description = ("Features that pushed the most probable class most, with their "
                                       "contribution to its log-odds (XGBoost SHAP)")
    cat["top_features"].meta["ucd"] = "meta.note"
    cat.meta["COUNTERP"] = cfg.counterparts
    if c:
        c("done", 1.0)
    return PipelineResult(xray, nbs, assoc, feats, proba, tuple(model.classes_), cat)


def _joint(xray, assoc, nbs, nh, model, ctpt_model, priors):
    """Class-aware counterparts: replace the association's choice and the probabilities."""
    from xrbvo.stages.classify.counterparts import combination_table, joint_posterior
    from xrbvo.core.schema import CLASSES

    n = len(xray)
    cr = combination_table(xray, assoc, nbs, nh)
    jr = joint_posterior(cr, n, model, ctpt_model, priors)
    classes = list(jr.classes)
    top = np.argmax(jr.proba, axis=1) if n else np.zeros(0, int)
    chosen = np.array([jr.best[classes[t]][i] for i, t in enumerate(top)], dtype=int) if n else np.zeros(0, int)
    feats = cr.features[chosen] if n else cr.features[:0]
    p_k = jr.joint.sum(axis=1)
    none_rows = np.nonzero(cr.is_none)[0]
    p_none = np.zeros(n)
    p_none[cr.src[none_rows]] = p_k[none_rows]
    src = assoc.sources.copy()
    src["p_any"] = 1.0 - p_none
    with np.errstate(invalid="ignore", divide="ignore"):
        src["p_i"] = np.where(cr.is_none[chosen], 0.0, p_k[chosen] / np.maximum(1.0 - p_none, 1e-300))
    src["match_flag"] = (~cr.is_none[chosen]).astype(int)
    extra = {}
    for s_name, rows in cr.rows.items():
        nids = np.asarray(nbs[s_name]["nid"]).astype(str)
        r = rows[chosen]
        src[f"nid_{s_name}"] = np.where(r >= 0, nids[np.maximum(r, 0)] if len(nids) else "", "")
        src[f"row_{s_name}"] = r
    for cname in CLASSES:
        if cname not in classes:
            continue
        b = jr.best[cname]
        parts = []
        for s_name, rows in cr.rows.items():
            nids = np.asarray(nbs[s_name]["nid"]).astype(str)
            r = rows[b]
            parts.append(np.where(r >= 0, np.char.add(f"{s_name}:", nids[np.maximum(r, 0)] if len(nids) else ""), ""))
        label = [";".join(x for x in row if x) or "none" for row in zip(*parts)] if n else []
        extra[f"ctp_{cname}"] = np.asarray(label, dtype=str)
        extra[f"P_{cname}_CTPT"] = jr.p_ctpt[cname]
    new_assoc = AssociationResult(assoc.combinations, src, assoc.surveys)
    return new_assoc, feats, jr.proba, extra


__all__ += ["galactic_nh_of", "FEATURES", "positional_association"]


def field_class_priors(xray: Table, classes, mode: str = "auto", *, reference: Mapping[str, float] | None = None,
                       xray_survey: str = "erass1") -> tuple[dict[str, float] | None, dict]:
    """Class priors of the field the X-ray sources cover.

    ``auto``: the population model's expected mix for the field
    (:func:`xrbvo.stages.classify.priors.expected_field_priors`, at the X-ray survey's
    soft-band depth) when the sources' median |b| is below
    :data:`xrbvo.stages.classify.priors.PLANE_B_DEG`, else ``reference``; ``model``: the
    expected mix wherever the field is; ``training``: ``reference`` (the
    model's reference priors).

    Returns the priors (None for the model's own) and a description.
    """
    from xrbvo.stages.classify.priors import PLANE_B_DEG, expected_field_priors
    from xrbvo.core.surveys import get_survey

    if mode not in ("auto", "model", "training"):
        raise InputError(f"unknown field-priors mode {mode!r}; choose from auto, model, training")
    classes = [str(c) for c in classes]
    ref = {k: v for k, v in (reference or {}).items() if k in classes} or None
    if len(xray) == 0 or mode == "training":
        return ref, {"mode": "training"}
    c = SkyCoord(ra=np.asarray(xray["ra"], float) * u.deg, dec=np.asarray(xray["dec"], float) * u.deg).galactic
    b_med = float(np.median(np.abs(c.b.deg)))
    if mode == "auto" and b_med >= PLANE_B_DEG:
        return ref, {"mode": "training", "median_abs_b_deg": b_med}
    limit = float(get_survey(xray_survey).depth.get("flux_soft", 5e-14))
    pri = expected_field_priors(c.l.deg, c.b.deg, classes, flux_limit=limit)
    return pri, {"mode": "model", "median_abs_b_deg": b_med, "flux_limit": limit, "priors": pri}


__all__ += ["field_class_priors"]
