"""The stages wired together: neighbourhoods -> match -> features -> classify -> select -> catalogue.

:func:`run_pipeline` only calls the stages in order, passing progress
callbacks and a cancel event.  It takes every number of the science policy
explicitly (the priors the cuts were chosen at, the field's priors, the cuts);
deciding those numbers is the workflow's job (:mod:`xrbvo.workflows`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError, check_cancel
from xrbvo.core.surveys import get_survey
from xrbvo.stages.catalogue import build_catalogue
from xrbvo.stages.classify.predict import explain_sources, joint_classify, source_proba
from xrbvo.stages.features import nh_at, source_features
from xrbvo.stages.match import AssociationResult, BayesConfig
from xrbvo.stages.match.associate import associate, default_association
from xrbvo.stages.neighbourhoods.base import Provider
from xrbvo.stages.select import apply_selection, covered

__all__ = ["PipelineConfig", "PipelineResult", "run_pipeline", "Progress"]

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class PipelineConfig:
    """Options of a pipeline run.

    Parameters
    ----------
    radius_arcsec : float, optional
        Search radius for counterpart candidates around each X-ray position.
    surveys : tuple[str, ...], optional
        Secondary surveys to pull and match.
    association : BayesConfig, optional
        Options of the Bayesian association.
    counterparts : str, optional
        ``joint``: decide class and counterpart together (class-aware counterparts,
        :mod:`xrbvo.stages.classify.counterparts`); ``nway``: classify the most probable counterpart of
        the Bayesian association (magnitude priors learnt from all sources).
    object_density_arcsec2 : float, optional
        ``joint`` only: the sky density of candidate objects (per arcsec^2) of the class-aware
        counterparts; None: measured over the input's sources. Given when a few sources of a larger list
        are scored alone (``xrbvo explore``), or per partition of a run on Dask
        (:mod:`xrbvo.workflows.scale`), so that they get the whole input's density, as one run on it
        would.
    """

    radius_arcsec: float = 20.0
    """Search radius for counterpart candidates around each X-ray position."""
    surveys: tuple[str, ...] = ("gaia", "2mass", "catwise")
    """Secondary surveys to pull and match."""
    association: BayesConfig = field(default_factory=default_association)
    """Options of the Bayesian association."""
    counterparts: str = "joint"
    """``joint``: decide class and counterpart together (class-aware counterparts,
    :mod:`xrbvo.stages.classify.counterparts`); ``nway``: classify the most probable
    counterpart of the Bayesian association (magnitude priors learnt from all sources)."""
    object_density_arcsec2: float | None = None
    """``joint`` only: the sky density of candidate objects (per arcsec^2) of the class-aware counterparts;
    None: measured over the input's sources.  Given when a few sources of a larger list are scored alone
    (``xrbvo explore``), or per partition of a run on Dask (:mod:`xrbvo.workflows.scale`), so that they get the
    whole input's density, as one run on it would."""

    @property
    def pull_radius_arcsec(self) -> float:
        """Radius the neighbourhoods are pulled to: the search radius, or a local density's annulus."""
        if self.association.density == "local":
            ann = self.association.local_annulus_arcsec
            return max(self.radius_arcsec, ann[1] if ann else 3 * self.radius_arcsec)
        return self.radius_arcsec

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
    """Everything a run produced (each stage's output is kept).

    Parameters
    ----------
    xray : astropy.table.Table
        Standardised X-ray sources.
    neighbourhoods : dict[str, Table]
        Survey -> neighbourhood table.
    association : AssociationResult
        Association tables (with the chosen counterparts).
    features : astropy.table.Table
        Features per source (from the chosen counterparts).
    proba : numpy.ndarray
        Class probabilities at the selection priors (columns: ``classes``).
    proba_field : numpy.ndarray
        Class probabilities at the field's priors.
    classes : tuple[str, ...]
        Class names, in the order of the probability columns.
    candidate_class : numpy.ndarray
        Candidate class per source ('' for none).
    coverage : numpy.ndarray
        False for sources with no neighbour in any survey.
    catalogue : astropy.table.Table
        The output catalogue.
    """

    xray: Table
    """Standardised X-ray sources."""
    neighbourhoods: dict[str, Table]
    """Survey -> neighbourhood table."""
    association: AssociationResult
    """Association tables (with the chosen counterparts)."""
    features: Table
    """Features per source (from the chosen counterparts)."""
    proba: np.ndarray
    """Class probabilities at the selection priors (columns: ``classes``)."""
    proba_field: np.ndarray
    """Class probabilities at the field's priors."""
    classes: tuple[str, ...]
    candidate_class: np.ndarray
    """Candidate class per source ('' for none)."""
    coverage: np.ndarray
    """False for sources with no neighbour in any survey."""
    catalogue: Table
    """The output catalogue."""


def run_pipeline(xray: Table, provider: Provider, model, *, ctpt_model=None, config: PipelineConfig | None = None,
                 selection_priors: Mapping[str, float] | None = None, field_priors: np.ndarray | None = None,
                 cuts: Mapping[str, float] | None = None, pass_rates: Mapping | None = None,
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
        The source classifier.
    ctpt_model : CounterpartClassifier, optional
        P_XRAY_CTPT, required for ``counterparts='joint'``.
    selection_priors : mapping, optional
        The class priors the cuts were chosen at (default: the model's training mix).
    field_priors : array, optional
        The field's class priors, one vector (n_classes,) or one per source
        (n, n_classes), columns ``model.classes_`` (default: the selection priors).
    cuts : mapping, optional
        Class -> probability cut on the probabilities at the selection priors.
    pass_rates : mapping, optional
        Cross-validated pass rates of the cuts (:func:`xrbvo.stages.select.pass_rates`),
        for each candidate's expected purity in its field.
    progress : callable or mapping of stage name -> callable
        Progress callbacks ``(message, fraction)``; stage names are
        ``neighbourhoods``, ``association``, ``classification``.
    config : PipelineConfig, optional
        The options; None: ``PipelineConfig()``.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).

    Returns
    -------
    PipelineResult
        Every stage's output: association, features, classification and the catalogue.
    """
    cfg = config or PipelineConfig()
    cfg.validate()

    def cb(stage):
        if progress is None:
            return None
        if callable(progress):
            return lambda m, f: progress(f"{stage}: {m}", f)
        return progress.get(stage)

    classes = tuple(str(c) for c in model.classes_)
    sel_vec = _prior_vector(selection_priors, classes, model.train_priors_)
    provider.validate(cfg.surveys)
    nbs = provider.neighbourhoods(xray, cfg.pull_radius_arcsec, cfg.surveys, progress=cb("neighbourhoods"),
                                  cancel=cancel)
    check_cancel(cancel)
    nh = nh_at(xray["ra"], xray["dec"])
    c = cb("classification")
    if cfg.counterparts == "joint":
        if ctpt_model is None:
            raise InputError("class-aware counterparts need the counterpart model (P_XRAY_CTPT); use a model "
                             "directory that holds one (`xrbvo demo` or `xrbvo train` write it) or choose nway")
        assoc = associate(xray, nbs, cfg.radius_arcsec, cfg.association, positional_only=True,
                          progress=cb("association"), cancel=cancel)
        if c:
            c("joint posterior", 0.3)
        jc = joint_classify(xray, assoc, nbs, nh, model, ctpt_model, dict(zip(classes, sel_vec)),
                            object_density_arcsec2=cfg.object_density_arcsec2)
        proba = jc.proba
    else:
        assoc = associate(xray, nbs, cfg.radius_arcsec, cfg.association, progress=cb("association"), cancel=cancel)
        feats = source_features(xray, assoc, nbs, nh=nh)
        if c:
            c("classifying", 0.3)
        proba = source_proba(feats, model, sel_vec)
        extra = {}
    check_cancel(cancel)
    cov = covered(xray["xid"], nbs)
    fp = sel_vec if field_priors is None else np.asarray(field_priors, dtype=float)
    sel = apply_selection(proba, classes, sel_vec, fp, cuts or {}, pass_rates=pass_rates, coverage=cov)
    proba_field = sel.proba_field
    if cfg.counterparts == "joint":
        top = np.argmax(proba_field, axis=1) if len(proba_field) else np.zeros(0, int)
        assoc, feats, extra = jc.choose(assoc, nbs, top)
    cand, purity = sel.candidate_class, sel.expected_purity
    if c:
        c("explaining", 0.6)
    extra = dict(extra)
    extra["top_features"] = explain_sources(feats, model, proba_field)["top_features"]
    cat = build_catalogue(xray, assoc, feats, proba, classes, candidate_class=cand, proba_field=proba_field,
                          expected_purity=purity, coverage=cov, nh=nh, neighbourhoods=nbs, extra=extra)
    cat.meta["COUNTERP"] = cfg.counterparts
    cat.meta["RADIUS"] = cfg.radius_arcsec
    cat.meta["SURVEYS"] = ",".join(cfg.surveys)
    if c:
        c("done", 1.0)
    return PipelineResult(xray, nbs, assoc, feats, proba, proba_field, classes, cand, cov, cat)


def _prior_vector(priors, classes, default) -> np.ndarray:
    if priors is None:
        v = np.asarray(default, dtype=float)
    elif isinstance(priors, Mapping):
        v = np.array([float(priors.get(c, 0.0)) for c in classes])
    else:
        v = np.asarray(priors, dtype=float)
    if v.shape != (len(classes),) or not np.all(np.isfinite(v)) or np.any(v < 0) or v.sum() <= 0:
        raise InputError("selection priors must be finite, non-negative, one per class and not all zero")
    return v / v.sum()
