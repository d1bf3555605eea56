"""The stages wired together: neighbourhoods -> match -> features -> classify -> select -> catalogue.

:func:`run_pipeline` only calls the stages in order, passing progress
callbacks and a cancel event.  It takes every number of the science policy
explicitly (the priors the cuts were chosen at, the field's priors, the cuts);
deciding those numbers is the workflow's job (:mod:`xrbvo.workflows`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError, check_cancel
from xrbvo.core.surveys import SECONDARY_SURVEYS, get_survey
from xrbvo.stages.catalogue import build_catalogue, counterpart_state
from xrbvo.stages.classify.predict import explain_sources, joint_classify, source_proba
from xrbvo.stages.features import nh_at, source_features
from xrbvo.stages.match import AssociationResult, BayesConfig
from xrbvo.stages.match.associate import associate, default_association
from xrbvo.stages.match.calibrate import (FALLBACK_CUT, MAX_SHIFTS_PER_SOURCE, MIN_POSITIONS, PanyCalibration,
                                          check_false_rate, choose_cut, false_rate_at, rate_curve, shifted_positions)
from xrbvo.stages.match.priors import MagPrior, global_density_counts, survey_mag_priors
from xrbvo.stages.classify.counterparts import object_count, object_density
from xrbvo.stages.classify.predict import joint_p_any
from xrbvo.stages.neighbourhoods.base import Provider
from xrbvo.stages.probability import no_counterpart_priors
from xrbvo.stages.select import apply_selection, covered, prior_columns

__all__ = ["PipelineConfig", "PipelineResult", "run_pipeline", "calibrate_p_any", "run_wide_config",
           "without_counterpart", "Progress"]

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
    false_rate : float, optional
        Target false-association rate of the calibrated p_any cut; None: no cut.
    p_any_calibration : PanyCalibration, optional
        The cut measured over a larger run, used as it is; None: measured on the input.
    no_counterpart_share : tuple of (str, float), optional
        The science policy's rule 7: (class, the model's training share without counterpart) pairs; given, a
        source left without a counterpart (``ctp_state`` none) gets the no-counterpart likelihood in its
        priors (:func:`xrbvo.stages.probability.no_counterpart_priors`); None: off.
    """

    radius_arcsec: float = 20.0
    """Search radius for counterpart candidates around each X-ray position."""
    surveys: tuple[str, ...] = SECONDARY_SURVEYS
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
    false_rate: float | None = 0.05
    """Target false-association rate of the p_any cut, calibrated on moved X-ray positions
    (:func:`calibrate_p_any`); None: no cut (every source keeps the counterpart the association chose)."""
    p_any_calibration: PanyCalibration | None = None
    """The p_any cut measured over a larger run (a tiled run's whole input, the list explore scores a few
    sources of, a run split into partitions on Dask), used as it is; None: measured here on the input."""
    no_counterpart_share: tuple[tuple[str, float], ...] | None = None
    """Rule 7 of the science policy: (class, training share without counterpart) pairs; None: off."""

    @property
    def pull_radius_arcsec(self) -> float:
        """Radius the neighbourhoods are pulled to: the search radius, or a local density's annulus."""
        if self.association.density == "local":
            ann = self.association.local_annulus_arcsec
            return max(self.radius_arcsec, ann[1] if ann else 3 * self.radius_arcsec)
        return self.radius_arcsec

    def validate(self) -> None:
        if self.false_rate is not None:
            check_false_rate(self.false_rate)
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
    calibration : PanyCalibration, optional
        The p_any cut used and the false-association rate measured at it (None: no cut).
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
    calibration: PanyCalibration | None = None
    """The p_any cut used and the false-association rate measured at it (None: no cut)."""


def run_pipeline(xray: Table, provider: Provider, model, *, ctpt_model=None, config: PipelineConfig | None = None,
                 selection_priors: Mapping[str, float] | None = None, field_priors: np.ndarray | None = None,
                 cuts: Mapping[str, float] | None = None, pass_rates: Mapping | None = None,
                 progress: Mapping[str, Progress] | Progress | None = None,
                 cancel: threading.Event | None = None, min_purity: float | None = None) -> PipelineResult:
    """Run every stage on standardised X-ray sources.

    The p_any cut is ``config.p_any_calibration`` when given (measured over a larger run), else
    measured here on moved positions (:func:`calibrate_p_any`) when ``config.false_rate`` is set: a
    source below it is ``associated = False`` and is classified and described as one without a
    counterpart, so that chance neighbours do not make candidates.

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
    min_purity : float, optional
        Candidates by their own posterior at their field priors instead of the cuts
        (:func:`xrbvo.stages.select.apply_selection`); None: the cuts.
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
    if cfg.counterparts == "joint" and ctpt_model is None:
        raise InputError("class-aware counterparts need the counterpart model (P_XRAY_CTPT); use a model "
                         "directory that holds one (`xrbvo demo` or `xrbvo train` write it) or choose nway")
    calibration = cfg.p_any_calibration
    if calibration is None and cfg.false_rate is not None:
        cfg = run_wide_config(cfg, xray, nbs)  # measured once, for the moved positions and the run alike
        calibration = calibrate_p_any(xray, provider, nbs, model, ctpt_model=ctpt_model, config=cfg,
                                      selection_priors=dict(zip(classes, sel_vec)), progress=cb("calibration"),
                                      cancel=cancel)
    p_any_cut = None if calibration is None else calibration.cut
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
                            object_density_arcsec2=cfg.object_density_arcsec2, p_any_cut=p_any_cut)
        proba = jc.proba
        associated = jc.associated
    else:
        assoc = associate(xray, nbs, cfg.radius_arcsec, cfg.association, progress=cb("association"), cancel=cancel)
        associated = None
        if p_any_cut is not None:
            associated = np.asarray(assoc.sources["p_any"], float) >= p_any_cut
            assoc = without_counterpart(assoc, ~associated)
        feats = source_features(xray, assoc, nbs, nh=nh)
        if c:
            c("classifying", 0.3)
        proba = source_proba(feats, model, sel_vec)
        extra = {}
    check_cancel(cancel)
    cov = covered(xray["xid"], nbs)
    fp = sel_vec if field_priors is None else np.asarray(field_priors, dtype=float)
    fp_policy = fp  # the policy's priors (prior_<class>), before rule 7's likelihood of finding no counterpart
    sel = apply_selection(proba, classes, sel_vec, fp, cuts or {}, pass_rates=pass_rates, coverage=cov,
                          min_purity=min_purity)
    proba_field = sel.proba_field
    if cfg.counterparts == "joint":
        top = np.argmax(proba_field, axis=1) if len(proba_field) else np.zeros(0, int)
        assoc0 = assoc
        assoc, feats, extra = jc.choose(assoc0, nbs, top)
    if cfg.no_counterpart_share is not None and len(proba):
        src = assoc.sources
        none = counterpart_state(src["p_any"], src["p_i"], src["match_flag"], associated) == "none"
        if none.any():  # rule 7: the likelihood of finding no counterpart enters these sources' priors
            fp = no_counterpart_priors(fp, xray, classes, none, dict(cfg.no_counterpart_share), surveys=cfg.surveys)
            sel = apply_selection(proba, classes, sel_vec, fp, cuts or {}, pass_rates=pass_rates, coverage=cov,
                                  min_purity=min_purity)
            proba_field = sel.proba_field
            if cfg.counterparts == "joint":
                assoc, feats, extra = jc.choose(assoc0, nbs, np.argmax(proba_field, axis=1))
    cand, purity = sel.candidate_class, sel.expected_purity
    if c:
        c("explaining", 0.6)
    extra = dict(extra)
    if associated is not None:
        extra["associated"] = np.asarray(associated, bool)
    extra["top_features"] = explain_sources(feats, model, proba_field)["top_features"]
    extra.update(prior_columns(fp_policy, classes, len(proba)))
    cat = build_catalogue(xray, assoc, feats, proba, classes, candidate_class=cand, proba_field=proba_field,
                          expected_purity=purity, coverage=cov, nh=nh, neighbourhoods=nbs, extra=extra)
    cat.meta["COUNTERP"] = cfg.counterparts
    cat.meta["RADIUS"] = cfg.radius_arcsec
    cat.meta["SURVEYS"] = ",".join(cfg.surveys)
    if calibration is not None:
        cat.meta.update(calibration.header())
    if c:
        c("done", 1.0)
    return PipelineResult(xray, nbs, assoc, feats, proba, proba_field, classes, cand, cov, cat, calibration)


def without_counterpart(association: AssociationResult, mask) -> AssociationResult:
    """The association with the sources of ``mask`` left without a chosen counterpart (p_any kept).

    Parameters
    ----------
    association : AssociationResult
        The association.
    mask : array of bool
        Per source: leave it without a counterpart.

    Returns
    -------
    AssociationResult
        The same tables, with empty ``nid_``, ``row_`` = -1, ``p_i`` = 0 and ``match_flag`` = 0 for ``mask``.
    """
    mask = np.asarray(mask, bool)
    if not mask.any():
        return association
    src = association.sources.copy()
    for s in association.surveys:
        src[f"row_{s}"] = np.where(mask, -1, np.asarray(src[f"row_{s}"], int))
        src[f"nid_{s}"] = np.where(mask, "", np.asarray(src[f"nid_{s}"]).astype(str))
    src["p_i"] = np.where(mask, 0.0, np.asarray(src["p_i"], float))
    src["match_flag"] = np.where(mask, 0, np.asarray(src["match_flag"], int))
    return AssociationResult(association.combinations, src, association.surveys)


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


def run_wide_config(cfg: PipelineConfig, xray: Table, neighbourhoods: Mapping[str, Table]) -> PipelineConfig:
    """``cfg`` with the numbers an association measures on its input filled in from this input.

    The field densities (``density="global"``), the learnt magnitude priors (``"auto"``) and the
    class-aware counterparts' object density, measured on ``xray`` and its pulled neighbourhoods as one
    run on them measures them, so that another call (the moved positions of the p_any calibration) is
    scored with this run's numbers rather than its own.  Numbers already given in ``cfg`` are kept.

    Parameters
    ----------
    cfg : PipelineConfig
        The run's options.
    xray : Table
        The run's standardised X-ray sources.
    neighbourhoods : mapping
        Survey -> the neighbourhoods pulled around them.

    Returns
    -------
    PipelineConfig
        ``cfg`` with ``association.global_counts``, learnt ``mag_priors`` and ``object_density_arcsec2`` set.
    """
    a = cfg.association
    radius = float(cfg.radius_arcsec)
    counts = dict(a.global_counts)
    if a.density == "global":
        ra, dec = np.asarray(xray["ra"], float), np.asarray(xray["dec"], float)
        for s in cfg.surveys:
            if s in counts or s not in neighbourhoods:
                continue
            nb = neighbourhoods[s]
            inside = np.asarray(nb["sep"], float) < radius
            counts[s] = global_density_counts(np.asarray(nb["nid"]).astype(str), inside, ra, dec, radius)
    priors = dict(a.mag_priors)
    if cfg.counterparts == "nway":
        for s in cfg.surveys:
            auto = {k: v for k, v in priors.items() if k[0] == s and isinstance(v, str) and v == "auto"}
            if not auto or s not in neighbourhoods:
                continue
            nb = neighbourhoods[s]
            sep = np.asarray(nb["sep"], float)
            for band, prior in survey_mag_priors(auto, s, nb, inside=sep < radius, sep=sep, radius=radius,
                                                 mag_radius_arcsec=a.mag_radius_arcsec, n_src=len(xray),
                                                 bins=a.mag_bins):
                priors[(s, band)] = prior
    density = cfg.object_density_arcsec2
    if cfg.counterparts == "joint" and density is None:
        density = object_density(object_count(xray, neighbourhoods), len(xray), cfg.pull_radius_arcsec)
    return replace(cfg, association=replace(a, global_counts=counts, mag_priors=priors),
                   object_density_arcsec2=density)


def calibrate_p_any(xray: Table, provider: Provider, neighbourhoods: Mapping[str, Table], model, *,
                    ctpt_model=None, config: PipelineConfig, selection_priors: Mapping[str, float] | None = None,
                    seed: int = 0, progress: Progress | None = None,
                    cancel: threading.Event | None = None) -> PanyCalibration:
    """The p_any cut for ``config.false_rate``, measured on moved copies of the X-ray positions.

    Salvato et al. (2018): each X-ray position is moved 2-5 arcmin away (never near another X-ray
    source), keeping its error, flux and the survey catalogues; the association (and, with class-aware
    counterparts, the joint posterior) is run there with this run's own densities and priors
    (:func:`run_wide_config`), and the cut is the smallest whose share of moved positions with
    ``p_any >= cut`` is at most the target (:func:`~xrbvo.stages.match.calibrate.choose_cut`).

    Too few sources (fewer than :data:`~xrbvo.stages.match.calibrate.MIN_POSITIONS` moved positions
    inside the surveys' footprint), or survey tables that do not reach the moved positions, give the
    stated fallback cut (``method="fallback"`` with the reason in ``note``); the outputs always carry
    a cut.

    Parameters
    ----------
    xray : Table
        The run's standardised X-ray sources (all of them: the cut is one number per run).
    provider : Provider
        Where neighbourhoods come from (pulled again at the moved positions).
    neighbourhoods : mapping
        The neighbourhoods already pulled at the real positions (for the run's densities and priors).
    model, ctpt_model
        The source classifier and, for ``counterparts="joint"``, the counterpart classifier.
    config : PipelineConfig
        The run's options; ``false_rate`` is the target.
    selection_priors : mapping, optional
        Class priors of the joint posterior (the pipeline's selection priors).
    seed : int
        Seed of the moves.
    progress : callable, optional
        Progress callback ``(message, fraction)``.
    cancel : threading.Event, optional
        Set it to stop (:class:`xrbvo.core.errors.Cancelled` is raised).

    Returns
    -------
    PanyCalibration
        The cut, the rate measured at it and how it was obtained.
    """
    cfg = config
    target = check_false_rate(cfg.false_rate if cfg.false_rate is not None else 0.05)
    n = len(xray)

    def fallback(note: str) -> PanyCalibration:
        return PanyCalibration(FALLBACK_CUT, float("nan"), target, "fallback", 0, n, note)

    need = int(np.ceil(MIN_POSITIONS / MAX_SHIFTS_PER_SOURCE))
    if n < need:
        return fallback(f"{n} sources; at least {need} are needed to calibrate")
    ra, dec = np.asarray(xray["ra"], float), np.asarray(xray["dec"], float)
    patch = xray.meta.get("PATCHRAD")
    if patch is not None:
        # a simulated sky: whoever serves it holds field sources only in patches around the X-ray sources,
        # so each source is moved just beyond its counterpart's reach, inside its patch (the same moves
        # whichever provider serves the sky: files, a TAP service or the simulation itself)
        shift = (None, float(patch) - float(cfg.pull_radius_arcsec))
    else:
        shift = provider.shift_range_arcsec(cfg.pull_radius_arcsec)
    src, sra, sdec = shifted_positions(ra, dec, avoid_arcsec=cfg.pull_radius_arcsec, seed=seed,
                                       pos_err_arcsec=np.asarray(xray["pos_err"], float), shift_arcsec=shift)
    if patch is None:
        inside = provider.covers(sra, sdec, cfg.surveys)
        real_cov = provider.covers(ra, dec, cfg.surveys)
        if len(src) and inside.mean() < 0.5 * max(real_cov.mean(), 1e-9):
            return fallback("the survey tables do not reach the moved positions")
        src, sra, sdec = src[inside], sra[inside], sdec[inside]
    if len(src) < MIN_POSITIONS:
        return fallback(f"{len(src)} moved positions inside the surveys; {MIN_POSITIONS} are needed")
    moved = xray[src]
    moved["ra"], moved["dec"] = sra, sdec
    moved["xid"] = np.char.add(np.char.add(np.asarray(xray["xid"]).astype(str)[src], "~moved"),
                               np.arange(len(src)).astype(str))
    if progress:
        progress(f"pulling {len(moved)} moved positions", 0.1)
    nbs = _pull_in_rounds(provider, moved, src, cfg, cancel)
    check_cancel(cancel)
    run_cfg = run_wide_config(cfg, xray, neighbourhoods)
    if progress:
        progress("associating the moved positions", 0.5)
    if cfg.counterparts == "joint":
        assoc = associate(moved, nbs, cfg.radius_arcsec, run_cfg.association, positional_only=True, cancel=cancel)
        jc = joint_classify(moved, assoc, nbs, nh_at(moved["ra"], moved["dec"]), model, ctpt_model,
                            selection_priors, object_density_arcsec2=run_cfg.object_density_arcsec2)
        p_null = joint_p_any(jc.result)
    else:
        assoc = associate(moved, nbs, cfg.radius_arcsec, run_cfg.association, cancel=cancel)
        p_null = np.asarray(assoc.sources["p_any"], float)
    cut = choose_cut(p_null, target)
    grid, rates = rate_curve(p_null)
    if progress:
        progress("calibrated", 1.0)
    return PanyCalibration(cut, false_rate_at(p_null, cut), target, "shifted", int(len(p_null)), n, "",
                           grid, rates)


def _pull_in_rounds(provider: Provider, moved: Table, src: np.ndarray, cfg: PipelineConfig,
                    cancel: threading.Event | None) -> dict[str, Table]:
    """The moved positions' neighbourhoods, pulled in rounds of at most one copy of each source.

    A source moved several times puts its copies close together; in rounds each pull is as dense as
    the real list (a provider that partitions the sky, such as LSDB's, is given no denser a list than
    the run's own).  The tables are returned in the moved table's row order.
    """
    from astropy.table import vstack

    copy = np.zeros(len(src), int)
    seen: dict[int, int] = {}
    for i, k in enumerate(src):
        copy[i] = seen.get(int(k), 0)
        seen[int(k)] = copy[i] + 1
    parts: dict[str, list[Table]] = {s: [] for s in cfg.surveys}
    for r in range(int(copy.max()) + 1 if len(copy) else 0):
        got = provider.neighbourhoods(moved[copy == r], cfg.pull_radius_arcsec, cfg.surveys, cancel=cancel)
        check_cancel(cancel)
        for s_name, t in got.items():
            parts.setdefault(s_name, []).append(t)
    order = {x: i for i, x in enumerate(np.asarray(moved["xid"]).astype(str))}
    out = {}
    for s_name, ts in parts.items():
        if not ts:
            continue
        t = vstack(ts, join_type="exact", metadata_conflicts="silent") if len(ts) > 1 else ts[0]
        t.meta = dict(ts[0].meta)
        if len(t):
            pos = np.array([order[x] for x in np.asarray(t["xid"]).astype(str)])
            t = t[np.argsort(pos, kind="stable")]
        out[s_name] = t
    return out
