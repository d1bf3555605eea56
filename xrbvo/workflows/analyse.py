"""The main workflow: an X-ray table in, a catalogue with candidates out.

``xrbvo run``, ``xrbvo demo`` and the Python API all call :func:`analyse`, and
the terminal UI shows the catalogue it writes, so the same input and model give the same candidates
whichever way a user asks::

    from xrbvo.workflows import ModelBundle, analyse
    bundle = ModelBundle.load("xrbvo-demo/model")
    result = analyse(xray_table, provider, bundle)   # default SciencePolicy()
    result.write("results")
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError, XrbvoWarning, check_cancel
from xrbvo.core.schema import CATALOGUE, COUNTERPARTS, NEIGHBOURS, XRB_CLASSES, describe_table
from xrbvo.core.surveys import DEFAULT_XRAY_SURVEY, SECONDARY_SURVEYS
from xrbvo.io import standardise_xray, write_table
from xrbvo.io.erass1 import SELECTION_KEYS, selection_header
from xrbvo.pipeline import PipelineConfig, PipelineResult, Progress, run_pipeline
from xrbvo.stages.catalogue import neighbours_table, write_catalogue, write_neighbours  # write_neighbours: re-exported
from xrbvo.stages.known import known_summary, match_known
from xrbvo.stages.neighbourhoods.base import Provider, PulledProvider
from xrbvo.workflows.bundle import ModelBundle
from xrbvo.workflows.context import Calibrate, RunContext, calibration_hook, identity_of, measure, measure_part
from xrbvo.workflows.policy import PURITY_KEYS, ResolvedPolicy, SciencePolicy, purity_figures, resolve_policy

__all__ = ["Analysis", "analyse", "check_model_surveys", "pipeline_config", "prepare_xray", "resolve_for", "galactic",
           "warn_no_coverage", "measure_in_memory", "write_neighbours"]

#: Header keywords of an input that the science policy reads (what the sample is, how a simulated sky was made).
PROVENANCE_KEYS = ("SAMPLE", "FLUXLIM", "CLSBOOST", "SIMULATED", "SEED", "PATCHRAD", *SELECTION_KEYS)


def prepare_xray(xray: Table, xray_survey: str = DEFAULT_XRAY_SURVEY, *, sys_floor_arcsec: float | None = None,
                 source: str = "table") -> Table:
    """Standardise X-ray sources (:func:`xrbvo.io.standardise_xray`), keeping what the input says about itself.

    A table already standardised (it records ``xray_survey``) is returned as it is.

    Parameters
    ----------
    xray : astropy.table.Table
        X-ray sources as read (eRASS1 native columns or xrbvo's standard names), or already
        standardised.
    xray_survey : str, optional
        The X-ray survey of the input (e.g. ``erass1``), when known.
    sys_floor_arcsec : float, optional
        Systematic position error (arcsec) added in quadrature; None: the survey's.
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.

    Returns
    -------
    astropy.table.Table
        The X-ray sources in the XRAY schema, the input's own metadata kept.
    """
    if xray.meta.get("xray_survey") and "xid" in xray.colnames:
        return xray
    xr = standardise_xray(xray, xray_survey, sys_floor_arcsec=sys_floor_arcsec, source=source)
    upper = {str(k).upper(): v for k, v in xray.meta.items()}
    for k in PROVENANCE_KEYS:
        if k in upper and k not in xr.meta:
            xr.meta[k] = upper[k]
    return xr


def pipeline_config(bundle: ModelBundle, *, radius_arcsec: float = 20.0,
                    surveys: tuple[str, ...] = SECONDARY_SURVEYS, counterparts: str | None = None,
                    false_rate: float | None = 0.05) -> PipelineConfig:
    """The pipeline options for a bundle: class-aware counterparts whenever the bundle has a counterpart model.

    Asking for ``joint`` with a bundle that has none is one clear error; asking
    for ``nway`` with one is allowed (the association's own counterparts).

    Parameters
    ----------
    bundle : ModelBundle
        The trained models and their metadata (:meth:`ModelBundle.load`).
    radius_arcsec : float, optional
        Search radius, arcsec.
    surveys : tuple[str, ...], optional
        The surveys to associate.
    counterparts : str, optional
        Counterpart method: ``joint`` (class-aware) or ``nway``; default ``joint`` when the bundle has a
        counterpart model.
    false_rate : float, optional
        Target false-association rate of the calibrated p_any cut (default 0.05); None: no cut.

    Returns
    -------
    PipelineConfig
        The pipeline options.
    """
    mode = counterparts or bundle.counterparts
    if mode == "joint" and bundle.counterpart is None:
        raise InputError(f"{bundle.directory}: this model has no counterpart model, so class-aware counterparts "
                         "are not possible; retrain it (`xrbvo train` trains one on simulated skies) or choose "
                         "--counterparts nway")
    return PipelineConfig(radius_arcsec=radius_arcsec, surveys=tuple(surveys), counterparts=mode,
                          false_rate=false_rate)


def check_model_surveys(bundle: ModelBundle, surveys) -> None:
    """Refuse a run without a survey whose features the model learnt (an opt-in survey's extra features).

    Parameters
    ----------
    bundle : ModelBundle
        The trained models and their metadata.
    surveys : sequence of str
        The run's counterpart surveys.

    Raises
    ------
    InputError
        When the model uses a survey's features and the run does not pull that survey.
    """
    from xrbvo.core.surveys import SURVEYS

    names = set(getattr(bundle.source, "feature_names_", ()))
    lacking = [s.name for s in SURVEYS.values() if set(s.extra_features) & names and s.name not in surveys]
    if lacking:
        raise InputError(f"{bundle.directory or 'the model'}: it learnt the features of {', '.join(lacking)}; "
                         f"add {', '.join(lacking)} to --surveys (or use a model trained without it)")


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse` produced: the stages' outputs, the policy's numbers and the model that made them.

    Parameters
    ----------
    result : PipelineResult
        The stages' outputs.
    policy : ResolvedPolicy
        The science policy (:mod:`xrbvo.workflows.policy`).
    bundle : ModelBundle
        The trained models and their metadata (:meth:`ModelBundle.load`).
    source : str
        Where the X-ray sources came from (recorded in the outputs).
    known : tuple[Table, ...], optional
        The known-objects tables the catalogue was matched with (:func:`xrbvo.io.known.read_known`).
    context : RunContext, optional
        The run context the numbers were measured in (:mod:`xrbvo.workflows.context`); None when
        another runner of the stages measured none.
    """

    result: PipelineResult
    policy: ResolvedPolicy
    bundle: ModelBundle
    source: str
    """Where the X-ray sources came from (recorded in the outputs)."""
    known: tuple[Table, ...] = ()
    """The known-objects tables the catalogue was matched with (:func:`xrbvo.io.known.read_known`)."""
    context: RunContext | None = None
    """The run context the numbers were measured in (:mod:`xrbvo.workflows.context`)."""

    @property
    def catalogue(self) -> Table:
        return self.result.catalogue

    @property
    def xray_meta(self) -> dict:
        """What the X-ray input said about itself (after :func:`prepare_xray`)."""
        return dict(self.result.xray.meta)

    @property
    def counterparts(self) -> Table:
        """One row per candidate combination of every source (the association's table)."""
        t = self.result.association.combinations
        self._stamp(t, COUNTERPARTS)
        return t

    @property
    def neighbours(self) -> Table:
        """Every pulled neighbour, one table with a ``survey`` column."""
        t = neighbours_table(self.result.neighbourhoods)
        self._stamp(t, NEIGHBOURS)
        return t

    def _stamp(self, t: Table, group) -> None:
        t.meta.update(self.provenance())
        describe_table(t, group)

    def provenance(self) -> dict:
        """Header keywords: the model, the policy, the options, the input."""
        h = dict(self.bundle.describe())
        h.update(self.policy.header())
        h["INPUT"] = self.source
        h.update(selection_header(self.xray_meta))  # the eRASS1 release's selection (xrbvo.io.erass1)
        for k in ("COUNTERP", "RADIUS", "SURVEYS", "KNOWN", "KNOWNFLR", "KNOWNUNQ", "KNOWNPRI", "KNOWNMXE",
                  "KNOWNOBJ", "KNOWNMRG", "KNOWNBIG", "PANYCUT", "FARATE", "FARTARGT", "PANYCAL", "FANPOS",
                  "PANYNOTE", *PURITY_KEYS):
            if k in self.catalogue.meta:
                h[k] = self.catalogue.meta[k]
        return h

    def summary(self) -> dict:
        """Counts for the user: sources, candidates per class, sources without coverage; with known-objects tables,
        ``known``: a :class:`xrbvo.stages.known.KnownSummary` (known and new candidates, missed known XRBs)."""
        cat = self.catalogue
        cand = np.asarray(cat["candidate_class"]).astype(str)
        out = {"n_sources": len(cat),
               "candidates": {c: int(np.sum(cand == c)) for c in XRB_CLASSES},
               "no_coverage": int(np.sum(~np.asarray(cat["coverage"], bool))),
               "policy": self.policy.summary(),
               "notes": list(self.policy.notes)}
        ep = np.asarray(cat["expected_purity"], float)
        for c in XRB_CLASSES:
            sel = cand == c
            out[f"{c}_expected_true"] = float(np.nansum(ep[sel])) if sel.any() and np.isfinite(ep[sel]).any() \
                else float("nan")
        if "associated" in cat.colnames:
            m = cat.meta
            out["association"] = {"cut": m.get("PANYCUT"), "false_rate": m.get("FARATE", float("nan")),
                                  "target": m.get("FARTARGT"), "method": m.get("PANYCAL"),
                                  "n_positions": m.get("FANPOS", 0), "note": m.get("PANYNOTE", ""),
                                  "associated": int(np.sum(np.asarray(cat["associated"], bool)))}
        if self.known:
            out["known"] = known_summary(cat, self.known)
        return out

    def write(self, directory: str | Path, name: str = "xrbvo_catalogue", *, companions: str | None = None,
              formats=("fits", "votable", "csv")) -> dict[str, Path]:
        """Write the catalogue (each format) and its companions ``<companions>_counterparts.fits`` and
        ``<companions>_neighbours.fits`` (default ``companions`` = ``name``); returns kind -> path."""
        d = Path(directory)
        base = companions or name
        files = {f"catalogue_{k}": v for k, v in write_catalogue(self.catalogue, d, name, formats).items()}
        files["counterparts"] = write_table(self.counterparts, d / f"{base}_counterparts.fits")
        files["neighbours"] = write_table(self.neighbours, d / f"{base}_neighbours.fits")
        return files


def galactic(xr: Table) -> tuple[np.ndarray, np.ndarray]:
    """Galactic longitude and latitude (deg) of standardised X-ray sources.

    Parameters
    ----------
    xr : astropy.table.Table
        The X-ray sources in the XRAY schema.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        Galactic longitude and latitude, degrees.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    g = SkyCoord(ra=np.asarray(xr["ra"], float) * u.deg, dec=np.asarray(xr["dec"], float) * u.deg).galactic
    return g.l.deg, g.b.deg


def resolve_for(xr: Table, policy: SciencePolicy, bundle: ModelBundle, xray_survey: str = DEFAULT_XRAY_SURVEY
                ) -> ResolvedPolicy:
    """The policy's numbers for the whole of a standardised input (warns when given priors were filled).

    A tiled run (:mod:`xrbvo.workflows.tiles`) resolves it once, so that no tile's field priors depend on the tiling.

    Parameters
    ----------
    xr : astropy.table.Table
        The X-ray sources in the XRAY schema.
    policy : SciencePolicy
        The science policy (:mod:`xrbvo.workflows.policy`).
    bundle : ModelBundle
        The trained models and their metadata (:meth:`ModelBundle.load`).
    xray_survey : str, optional
        The X-ray survey of the input (e.g. ``erass1``), when known.

    Returns
    -------
    ResolvedPolicy
        The policy's numbers for the whole input.
    """
    l_deg, b_deg = galactic(xr)
    resolved = resolve_policy(policy, bundle, l_deg=l_deg, b_deg=b_deg, soft_flux=xr["flux_soft"],
                              meta=dict(xr.meta), xray_survey=xr.meta.get("xray_survey", xray_survey))
    if resolved.filled:
        import warnings

        warnings.warn(f"priors given for {', '.join(k for k in resolved.classes if k not in resolved.filled)}; "
                      f"{', '.join(resolved.filled)} filled from the model's class mix, scaled to the share left",
                      XrbvoWarning, stacklevel=3)
    return resolved


def analyse(xray: Table, provider: Provider, bundle: ModelBundle, policy: SciencePolicy | None = None, *,
            config: PipelineConfig | None = None, xray_survey: str = DEFAULT_XRAY_SURVEY, sys_floor_arcsec: float | None = None,
            source: str = "table", progress: Mapping[str, Progress] | Progress | None = None,
            cancel: threading.Event | None = None, known: Sequence[Table] = (),
            pipeline=run_pipeline, resolved: ResolvedPolicy | None = None, context: RunContext | None = None,
            calibrate: Calibrate | None = None) -> Analysis:
    """Run the whole path on X-ray sources: policy, neighbourhoods, association, classification, selection.

    Parameters
    ----------
    xray : Table
        X-ray sources as read (eRASS1 native columns or xrbvo's standard names,
        :func:`xrbvo.io.standardise_xray`), or already standardised.
    provider : Provider
        Where neighbourhoods come from (local files, TAP, the simulated sky).
    bundle : ModelBundle
        The models (:meth:`ModelBundle.load`).
    policy : SciencePolicy, optional
        The user's choices (default: ``SciencePolicy()``, everything ``auto``).
    config : PipelineConfig, optional
        Radius, surveys and association options (default :func:`pipeline_config`).
    known : sequence of Table, optional
        Catalogues of known objects (:func:`xrbvo.io.known.read_known`): the
        catalogue gets ``known_name``, ``known_class``, ``known_sep``, ``known_prob``, ``known_match`` and ``new``
        (:func:`xrbvo.stages.known.match_known`).
    pipeline : callable, optional
        What runs the stages, with :func:`~xrbvo.pipeline.run_pipeline`'s signature (the default);
        :class:`xrbvo.workflows.scale.PartitionedPipeline` runs them per partition on Dask.
    resolved : ResolvedPolicy, optional
        The whole policy already resolved (:func:`~xrbvo.workflows.policy.resolve_policy`) for a larger
        list these sources belong to, its ``field_priors`` cut to these sources' rows: used as it is
        (``policy`` is not resolved again, which for a blind survey integrates the population model),
        so the outputs' policy header is the list's too.
    xray_survey : str, optional
        The X-ray survey of the input (e.g. ``erass1``), when known.
    sys_floor_arcsec : float, optional
        Systematic position error (arcsec) added in quadrature; None: the survey's.
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.
    progress : Mapping[str, Progress] | Progress, optional
        Progress callback ``(message, fraction)``.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).
    context : RunContext, optional
        The run context already measured for a larger list these sources belong to (``explore``): its numbers
        are used as they are.  None: measured here, once over these sources
        (:func:`~xrbvo.workflows.context.measure`; on Dask, from the partitions).
    calibrate : callable, optional
        The context's calibration hook (:func:`~xrbvo.workflows.context.measure`).

    Returns
    -------
    Analysis
        The catalogue and everything that made it (``write`` saves the files, ``summary`` counts).
    """
    pol = policy or SciencePolicy()
    pol.validate()
    xr = prepare_xray(xray, xray_survey, sys_floor_arcsec=sys_floor_arcsec, source=source)
    cfg = config or pipeline_config(bundle)
    check_model_surveys(bundle, cfg.surveys)
    if cfg.counterparts == "joint" and bundle.counterpart is None:
        pipeline_config(bundle, counterparts="joint")  # raises the one clear error
    if resolved is not None:
        if np.shape(resolved.field_priors) != (len(xr), len(resolved.classes)):
            raise InputError(f"the resolved policy's field priors must have one row per source "
                             f"({len(xr)}, {len(resolved.classes)}), not {np.shape(resolved.field_priors)}")
    else:
        resolved = resolve_for(xr, pol, bundle, xray_survey)
    if resolved.no_counterpart_share is not None:  # rule 7 for a runner without a context (the context's wins)
        cfg = replace(cfg, no_counterpart_share=tuple(resolved.no_counterpart_share.items()))
    common = dict(ctpt_model=bundle.counterpart, selection_priors=resolved.selection_priors,
                  field_priors=resolved.field_priors, cuts=bundle.cuts, pass_rates=bundle.pass_rates,
                  progress=progress, cancel=cancel)
    if resolved.min_purity is not None:  # only then: another runner of run_pipeline's older signature still works
        common["min_purity"] = resolved.min_purity
    if pipeline is run_pipeline:
        if context is None:
            if calibrate is None and cfg.false_rate is not None and cfg.p_any_calibration is None:
                cal_cb = progress.get("calibration") if isinstance(progress, Mapping) else (
                    (lambda m, f: progress(f"calibration: {m}", f)) if callable(progress) else None)
                calibrate = calibration_hook(provider, bundle.source, bundle.counterpart, resolved.selection_priors,
                                             progress=cal_cb, cancel=cancel)
            context, provider = measure_in_memory(xr, provider, cfg, bundle=bundle, resolved=resolved,
                                                  xray_survey=xray_survey, progress=progress, cancel=cancel,
                                                  calibrate=calibrate)
        res = run_pipeline(xr, provider, bundle.source, config=context.configure(cfg), **common)
    elif hasattr(pipeline, "run_with_context"):  # Dask: each partition measures its share
        ident = None if context is not None else identity_of(xr, cfg, bundle=bundle, resolved=resolved,
                                                              provider=provider, xray_survey=xray_survey)
        res, context = pipeline.run_with_context(xr, provider, bundle.source, config=cfg, context=context,
                                                 identity=ident, calibrate=calibrate, **common)
    else:  # another runner of the stages, with run_pipeline's signature
        res = pipeline(xr, provider, bundle.source, config=cfg if context is None else context.configure(cfg),
                       **common)
    res.catalogue.meta.update(purity_figures(resolved, res.catalogue))
    if known:
        match_known(res.catalogue, known)
        describe_table(res.catalogue, CATALOGUE)
    a = Analysis(res, resolved, bundle, source, tuple(known), context)
    res.catalogue.meta.update(a.provenance())
    warn_no_coverage(res.coverage, stacklevel=3)
    return a


def measure_in_memory(xr: Table, provider: Provider, cfg: PipelineConfig, *, bundle: ModelBundle,
                      resolved: ResolvedPolicy, xray_survey: str = DEFAULT_XRAY_SURVEY,
                      progress: Mapping[str, Progress] | Progress | None = None,
                      cancel: threading.Event | None = None, calibrate: Calibrate | None = None
                      ) -> tuple[RunContext, PulledProvider]:
    """Pull the whole input's neighbourhoods once and measure its run context on them.

    Parameters
    ----------
    xr : Table
        The X-ray sources, standardised (:func:`prepare_xray`).
    provider : Provider
        Where neighbourhoods come from; checked against ``cfg.surveys`` first.
    cfg : PipelineConfig
        Pull radius, surveys and association options of the run.
    bundle : ModelBundle
        The models (part of the context's identity).
    resolved : ResolvedPolicy
        The science policy resolved for these sources (part of the context's identity).
    xray_survey : str, optional
        The X-ray survey of the input (e.g. ``erass1``).
    progress : Mapping[str, Progress] | Progress, optional
        Progress callback ``(message, fraction)``; of a mapping, its ``neighbourhoods`` entry is used.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).
    calibrate : callable, optional
        The context's calibration hook (:func:`~xrbvo.workflows.context.measure`).

    Returns
    -------
    context : RunContext
        The run context measured over the whole input.
    provider : PulledProvider
        The pulled neighbourhoods as a provider (the pipeline runs on them: nothing is pulled twice).
    """
    provider.validate(cfg.surveys)
    cb = progress.get("neighbourhoods") if isinstance(progress, Mapping) else (
        (lambda m, f: progress(f"neighbourhoods: {m}", f)) if callable(progress) else None)
    nbs = provider.neighbourhoods(xr, cfg.pull_radius_arcsec, cfg.surveys, progress=cb, cancel=cancel)
    check_cancel(cancel)
    ident = identity_of(xr, cfg, bundle=bundle, resolved=resolved, provider=provider, xray_survey=xray_survey)
    ctx = measure(xr, [measure_part(xr, nbs, cfg)], cfg, identity=ident, neighbourhoods=nbs, calibrate=calibrate)
    return ctx, PulledProvider(nbs)


def warn_no_coverage(coverage, stacklevel: int = 2) -> None:
    """One warning counting the sources without a neighbour in any survey (none: no warning).

    Parameters
    ----------
    coverage : array of bool
        False for sources with no neighbour in any survey.
    stacklevel : int, optional
        Stack level of the warning, so that it points at the caller.
    """
    cov = np.asarray(coverage, bool)
    n_nc = int(np.sum(~cov))
    if n_nc:
        import warnings

        warnings.warn(f"{n_nc} of {len(cov)} sources have no neighbour in any survey (outside the "
                      "catalogues' coverage?): flagged coverage=False and never candidates", XrbvoWarning,
                      stacklevel=stacklevel)
