"""The pipeline per partition on Dask: HATS catalogues through LSDB (``pip install 'xrbvo[scale]'``).

:class:`PartitionedPipeline` has :func:`xrbvo.pipeline.run_pipeline`'s
signature, so :func:`xrbvo.workflows.analyse` runs it in its place
(``analyse(..., pipeline=PartitionedPipeline(client))``) with an
:class:`~xrbvo.stages.neighbourhoods.lsdb.LsdbProvider`:

1. the provider's nested catalogue (each X-ray source with one nested column
   of neighbours per survey, LSDB crossmatches with margin caches) is split
   into its partitions, and each partition's neighbourhood tables are built on
   a worker, where they stay;
2. each partition sends back its share of the run context
   (:func:`~xrbvo.workflows.context.measure_part`: the association's candidates
   within the radius, magnitudes of learnt priors, the joint counterparts'
   objects); the driver puts the :class:`~xrbvo.workflows.context.RunContext`
   of all sources together (:func:`~xrbvo.workflows.context.measure`), unless
   one is given;
3. each partition runs :func:`run_pipeline` (association, features,
   classification, selection, catalogue) on its sources with the context's
   numbers (:meth:`~xrbvo.workflows.context.RunContext.configure`);
4. the partitions' results are joined in the input order into one
   :class:`~xrbvo.pipeline.PipelineResult`, equal to the in-memory run's.

The n-way association does not fit LSDB's two-catalogue crossmatch interface
(a crossmatch algorithm sees one left and one right partition), so LSDB pairs
the X-ray sources with each survey (:class:`~xrbvo.stages.neighbourhoods.lsdb.ConeCrossmatch`,
nested) and the association runs on the joined partitions.
"""

from __future__ import annotations

import threading
from typing import Mapping

import numpy as np
from astropy.table import Table, vstack

from xrbvo.core.errors import Cancelled, InputError
from xrbvo.pipeline import PipelineConfig, PipelineResult, Progress, run_pipeline
from xrbvo.stages.match import AssociationResult
from xrbvo.stages.neighbourhoods.base import Provider, PulledProvider
from xrbvo.workflows.context import Calibrate, RunContext, calibration_hook, measure

__all__ = ["PartitionedPipeline", "local_cluster", "join_results"]


def local_cluster(n_workers: int = 2, *, processes: bool = True, memory_limit: str | None = "4GB"):
    """A Dask ``LocalCluster`` sized to a small machine: ``n_workers`` workers of one thread each.

    Parameters
    ----------
    n_workers : int, optional
        Number of workers.
    processes : bool, optional
        Workers as processes (True) or threads of this process.
    memory_limit : str, optional
        Memory limit per worker, e.g. ``"2GiB"``.

    Returns
    -------
    distributed.LocalCluster
        The cluster, running.
    """
    from dask.distributed import LocalCluster

    return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes, memory_limit=memory_limit,
                        dashboard_address=":0")  # a free port: the default 8787 may be taken


def _neighbourhoods(frame, surveys, radius, natives):
    from xrbvo.stages.neighbourhoods.lsdb import partition_neighbourhoods

    return partition_neighbourhoods(frame, surveys, radius, natives)


def _statistics(part, xray, config):
    """A partition's share of the run context (:func:`~xrbvo.workflows.context.measure_part`), on its worker."""
    from xrbvo.workflows.context import ContextPart, measure_part

    rows, nbs = part
    if not len(rows):
        return ContextPart()
    return measure_part(xray[np.asarray(rows["row"], int)], nbs, config)


def _run(part, xray, field_priors, model, kwargs):
    rows, nbs = part
    if not len(rows):
        return None
    idx = np.asarray(rows["row"], int)
    fpr = None if field_priors is None else (field_priors if np.ndim(field_priors) == 1 else field_priors[idx])
    return idx, run_pipeline(xray[idx], PulledProvider(nbs), model, field_priors=fpr, **kwargs)


class PartitionedPipeline:
    """:func:`run_pipeline` per partition of the X-ray sources on a Dask cluster (see the module).

    Parameters
    ----------
    client : dask.distributed.Client, optional
        The cluster; None: a :func:`local_cluster` of ``n_workers`` for the run.
    n_workers : int
        Workers of the local cluster made when no client is given.
    """

    def __init__(self, client=None, *, n_workers: int = 2):
        self.client = client
        self.n_workers = n_workers

    def __call__(self, xray: Table, provider: Provider, model, *, ctpt_model=None,
                 config: PipelineConfig | None = None, selection_priors=None, field_priors=None, cuts=None,
                 pass_rates=None, progress: Mapping[str, Progress] | Progress | None = None,
                 cancel: threading.Event | None = None, min_purity: float | None = None) -> PipelineResult:
        """:func:`run_pipeline` on the cluster (the run context measured from the partitions and dropped)."""
        res, _ = self.run_with_context(xray, provider, model, ctpt_model=ctpt_model, config=config,
                                       selection_priors=selection_priors, field_priors=field_priors, cuts=cuts,
                                       pass_rates=pass_rates, progress=progress, cancel=cancel,
                                       min_purity=min_purity)
        return res

    def run_with_context(self, xray: Table, provider: Provider, model, *, ctpt_model=None,
                         config: PipelineConfig | None = None, selection_priors=None, field_priors=None, cuts=None,
                         pass_rates=None, progress: Mapping[str, Progress] | Progress | None = None,
                         cancel: threading.Event | None = None, context: RunContext | None = None,
                         identity: Mapping | None = None, calibrate: Calibrate | None = None,
                         min_purity: float | None = None) -> tuple[PipelineResult, RunContext]:
        """As :meth:`__call__`, and the :class:`~xrbvo.workflows.context.RunContext` the partitions ran with.

        ``context`` given: used as it is (nothing measured); else measured from every partition's share
        (:func:`~xrbvo.workflows.context.measure_part` on the workers, :func:`~xrbvo.workflows.context.measure`
        here), recorded with ``identity`` (:func:`~xrbvo.workflows.context.identity_of`; None: an empty one).
        """
        if not hasattr(provider, "nested"):
            raise InputError(f"the partitioned pipeline needs an LSDB provider (--provider lsdb), not "
                             f"{getattr(provider, 'name', type(provider).__name__)!r}")
        args = (xray, provider, model, ctpt_model, config, selection_priors, field_priors, cuts, pass_rates,
                progress, cancel, context, identity, calibrate, min_purity)
        if self.client is not None:
            return self._run(self.client, *args)
        from dask.distributed import Client

        with local_cluster(self.n_workers) as cluster, Client(cluster) as client:
            return self._run(client, *args)

    def _run(self, client, xray, provider, model, ctpt_model, config, selection_priors, field_priors, cuts,
             pass_rates, progress, cancel, context, identity, calibrate, min_purity):
        import dask

        cfg = config or PipelineConfig()
        cfg.validate()

        def cb(stage):
            if progress is None:
                return lambda m, f: None
            if callable(progress):
                return lambda m, f: progress(f"{stage}: {m}", f)
            return progress.get(stage) or (lambda m, f: None)

        pull_radius = cfg.pull_radius_arcsec
        surveys = tuple(cfg.surveys)
        nested = provider.nested(xray, pull_radius, surveys)
        natives = provider.natives(surveys)
        parts = nested.to_delayed()
        nb_nodes = [dask.delayed(_neighbourhoods, pure=True)(p, surveys, pull_radius, natives) for p in parts]
        [xr_f] = client.scatter([xray], broadcast=True)
        nb_futures = client.compute(nb_nodes)
        futures = list(nb_futures)
        try:
            if context is None:
                stat_nodes = [dask.delayed(_statistics, pure=True)(n, xr_f, cfg) for n in nb_nodes]
                stat_futures = client.compute(stat_nodes)
                futures += list(stat_futures)
                got = self._gather(stat_futures, cb("neighbourhoods"), "partitions", cancel)
                if calibrate is None and cfg.false_rate is not None and cfg.p_any_calibration is None:
                    calibrate = calibration_hook(provider, model, ctpt_model, selection_priors,
                                                 progress=cb("calibration"), cancel=cancel)
                context = measure(xray, got, cfg, identity=identity or _empty_identity(cfg, xray),
                                  calibrate=calibrate)
            run_cfg = context.configure(cfg)
            [fp_f, model_f] = client.scatter([None if field_priors is None else np.asarray(field_priors, float),
                                              model], broadcast=True)
            kwargs = dict(ctpt_model=ctpt_model, config=run_cfg, selection_priors=selection_priors, cuts=cuts,
                          pass_rates=pass_rates, min_purity=min_purity)
            run_futures = [client.submit(_run, f, xr_f, fp_f, model_f, dict(kwargs), pure=False) for f in nb_futures]
            futures += run_futures
            del nb_futures
            results = self._gather(run_futures, cb("association"), "partitions", cancel)
        except BaseException:
            client.cancel(futures)
            raise
        c = cb("classification")
        c("joining partitions", 0.9)
        res = join_results([r for r in results if r is not None], len(xray), cfg)
        c("done", 1.0)
        return res, context

    @staticmethod
    def _gather(futures, cb, what, cancel):
        from dask.distributed import as_completed

        n = len(futures)
        for i, _ in enumerate(as_completed(futures)):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            cb(f"{i + 1}/{n} {what}", (i + 1) / max(n, 1))
        return [f.result() for f in futures]


def _empty_identity(cfg: PipelineConfig, xray: Table) -> dict:
    """The identity of a context measured without one given (a direct call of the pipeline): options only."""
    return {"radius_arcsec": float(cfg.radius_arcsec), "pull_radius_arcsec": float(cfg.pull_radius_arcsec),
            "surveys": list(cfg.surveys), "counterparts": cfg.counterparts, "association": repr(cfg.association),
            "xray_survey": str(xray.meta.get("xray_survey", "")), "n_sources": len(xray), "input_sha": "",
            "model_sha": "", "counterpart_sha": "", "policy_sha": "", "provider": {}}


def join_results(parts, n_sources: int, config: PipelineConfig) -> PipelineResult:
    """One :class:`PipelineResult` from the partitions' ``(input rows, result)``, in the input order.

    Neighbourhood tables are ordered by X-ray source (input order) as the
    in-memory run orders them, and every ``row_<survey>`` column is renumbered
    to point into the joined neighbourhood tables.

    Parameters
    ----------
    parts : list of dict
        Each partition's result columns, in source order.
    n_sources : int
        Number of X-ray sources.
    config : PipelineConfig
        The options.

    Returns
    -------
    PipelineResult
        One :class:`PipelineResult` from the partitions' ``(input rows, result)``, in the input order.
    """
    if not parts:
        raise InputError("no X-ray source fell in any partition of the HATS catalogues")
    idx = np.concatenate([p[0] for p in parts])
    if len(idx) != n_sources or len(np.unique(idx)) != n_sources:
        raise RuntimeError(f"the partitions held {len(np.unique(idx))} of {n_sources} X-ray sources")
    res = [p[1] for p in parts]
    order = np.argsort(idx, kind="stable")  # joined row -> input order
    surveys = res[0].association.surveys
    # neighbourhoods: joined, then sorted by their source's input row; old joined row -> new row
    new_rows, nbs = {}, {}
    for s in res[0].neighbourhoods:
        tabs = [r.neighbourhoods[s] for r in res]
        owner = np.concatenate([np.asarray(p[0], int)[_src_index(p[1].xray, t)] for p, t in zip(parts, tabs)])
        joined = vstack(tabs, join_type="exact", metadata_conflicts="silent") if len(tabs) > 1 else tabs[0]
        perm = np.argsort(owner, kind="stable")
        inv = np.empty(len(perm), np.int64)
        inv[perm] = np.arange(len(perm))
        offsets = np.cumsum([0] + [len(t) for t in tabs[:-1]])
        new_rows[s] = (offsets, inv)
        nbs[s] = joined[perm]
        nbs[s].meta = dict(tabs[0].meta)

    def fix_rows(tables):
        out = []
        for k, t in enumerate(tables):
            t = t.copy(copy_data=True)
            for s, (offsets, inv) in new_rows.items():
                c = f"row_{s}"
                if c in t.colnames:
                    r = np.asarray(t[c], np.int64)
                    t[c] = np.where(r >= 0, inv[np.maximum(r, 0) + offsets[k]], -1)
            out.append(t)
        return out

    def join(tables):
        t = vstack(tables, join_type="exact", metadata_conflicts="silent") if len(tables) > 1 else tables[0]
        t.meta = dict(tables[0].meta)
        return t

    sources = join(fix_rows([r.association.sources for r in res]))[order]
    combos = fix_rows([r.association.combinations for r in res])
    c_owner = np.concatenate([np.asarray(p[0], int)[_src_index(p[1].xray, t)] for p, t in zip(parts, combos)])
    combinations = join(combos)[np.argsort(c_owner, kind="stable")]
    catalogue = join(fix_rows([r.catalogue for r in res]))[order]
    return PipelineResult(
        xray=join([r.xray for r in res])[order],
        neighbourhoods=nbs,
        association=AssociationResult(combinations, sources, surveys),
        features=join([r.features for r in res])[order],
        proba=np.concatenate([r.proba for r in res])[order],
        proba_field=np.concatenate([r.proba_field for r in res])[order],
        classes=res[0].classes,
        candidate_class=np.concatenate([np.asarray(r.candidate_class) for r in res])[order],
        coverage=np.concatenate([np.asarray(r.coverage) for r in res])[order],
        catalogue=catalogue,
        calibration=res[0].calibration,
    )


def _src_index(xray: Table, table: Table) -> np.ndarray:
    """Position in ``xray`` of each row's ``xid``."""
    xids = np.asarray(xray["xid"]).astype(str)
    srt = np.argsort(xids, kind="stable")
    pos = np.searchsorted(xids[srt], np.asarray(table["xid"]).astype(str))
    return srt[np.minimum(pos, max(len(xids) - 1, 0))]
