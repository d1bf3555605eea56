"""The run context: every number a run measures once over its whole input, in one frozen, serialisable object.

A run's result for one X-ray source depends on the other sources only through
a few numbers measured over the whole input.  :class:`RunContext` owns them,
with what identifies the run they belong to:

* the **search radius** and the **pull radius** the neighbourhoods are pulled to;
* the association's **survey densities** (``density="global"``: each survey's
  unique candidates within the radius of any source, and the area of the union
  of the search cones, :func:`~xrbvo.stages.match.priors.global_density_counts`);
* the **learnt magnitude priors** (``nway`` counterparts with ``"auto"`` priors);
* the class-aware (``joint``) counterparts' **object density**
  (:func:`~xrbvo.stages.classify.counterparts.object_density`);
* hashes of the **resolved science policy**, the **model**, the **counterpart
  model**, the **input** (every column's values) and the **provider's data**
  (file contents, or the service and its tables);
* the **no-counterpart evidence** of the resolved policy (rule 7: the model's training share without
  counterpart per class, or None), handed to every piece's pipeline by :meth:`RunContext.configure`;
* optional slots filled by later steps: per-source priors (``source_priors``)
  and the calibrated association cut (``p_any_cut``, ``false_rate``,
  ``false_rate_target``; written as ``PANYCUT`` / ``FARATE`` when set).

It is built once, by :func:`measure`, from the parts every execution path
already holds (:func:`measure_part` of the whole input's neighbourhoods in
memory, of each tile's, of each Dask partition's on its worker), and handed to
the in-memory path (:func:`xrbvo.workflows.analyse`), the tiles
(:mod:`xrbvo.workflows.tiles`, kept in ``manifest.json``), the Dask partitions
(:mod:`xrbvo.workflows.scale`) and ``explore``'s live scorer (kept next to its
session catalogue).  Each turns it into its pipeline options with
:meth:`RunContext.configure`, so none measures the numbers again, and a tile,
a partition or an explored source gets exactly the numbers of one pass.

Resuming (tiles, explore sessions) compares :meth:`RunContext.identity` with
the stored one; :func:`differences` names what changed in one line.

The context lives in :mod:`xrbvo.workflows` (not lower): the pipeline never
sees it; it gets plain numbers in its :class:`~xrbvo.pipeline.PipelineConfig`
(``association.global_counts``, learnt ``mag_priors``,
``object_density_arcsec2``), so the stages stay free of run bookkeeping, and
every consumer (workflows, and ``explore`` in :mod:`xrbvo.tui`) sits at or
above this layer.

Serialised as JSON (:meth:`RunContext.to_json` / :meth:`RunContext.from_json`),
never pickle: a damaged or hand-edited file is one
:class:`~xrbvo.core.errors.InputError`, never code run.

The calibration hook
--------------------
:func:`measure` takes ``calibrate``, called once over the whole input after
the densities, priors and object density are known::

    calibrate(context: RunContext, xray: Table, neighbourhoods: Mapping[str, Table] | None,
              config: PipelineConfig) -> Mapping[str, float | None]

``xray`` is the whole standardised input; ``neighbourhoods`` the whole
input's neighbourhood tables where the path holds them (in memory, tiles,
explore), None on Dask (there they stay on the workers: a calibration that
needs them must ask the partitions); ``config`` is
``context.configure(the run's options)``.  It returns the fields to set,
any of ``p_any_cut``, ``false_rate``, ``false_rate_target`` (floats or None);
:func:`measure` puts them into the context it returns.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.core.surveys import DEFAULT_XRAY_SURVEY
from xrbvo.pipeline import PipelineConfig, calibrate_p_any
from xrbvo.stages.match.calibrate import PanyCalibration
from xrbvo.stages.match.priors import MagPrior, learn_mag_prior, union_area_arcsec2

__all__ = ["CONTEXT_FORMAT", "ContextPart", "RunContext", "Calibrate", "calibration_hook", "measure", "measure_part", "identity_of",
           "differences", "input_sha", "provider_identity", "policy_sha", "model_sha", "counterpart_sha"]

#: Format of a serialised context.
CONTEXT_FORMAT = "xrbvo-context/1"

#: What :func:`measure`'s ``calibrate`` is (see the module docstring).
Calibrate = Callable[..., Mapping[str, "float | None"]]

#: The fields of the identity (what makes two runs' results comparable), with how to name them in a message.
IDENTITY_NAMES = {
    "format": "format",
    "radius_arcsec": "search radius",
    "pull_radius_arcsec": "pull radius",
    "surveys": "surveys",
    "counterparts": "counterpart mode",
    "association": "association options",
    "xray_survey": "X-ray survey",
    "n_sources": "number of sources",
    "input_sha": "input (its content)",
    "model_sha": "model",
    "counterpart_sha": "counterpart model",
    "policy_sha": "science policy",
    "provider": "survey data (provider, files' content or service)",
}

_CALIBRATION_FIELDS = ("p_any_cut", "false_rate", "false_rate_target", "p_any_calibration")


def _sha(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# hashes of what a run is made of


def input_sha(xr: Table) -> str:
    """A hash of a standardised X-ray table: every column's name, type and values, and its meta.

    Parameters
    ----------
    xr : Table
        The standardised X-ray sources (:func:`~xrbvo.workflows.analyse.prepare_xray`).

    Returns
    -------
    str
        The sha256 hex digest of the table's columns (name, dtype, length, values) and meta.
    """
    h = hashlib.sha256()
    for name in xr.colnames:
        col = np.asarray(xr[name])
        h.update(f"{name}:{col.dtype.str}:{len(col)}\0".encode())
        if col.dtype.kind == "O":
            h.update(json.dumps([str(v) for v in col]).encode())
        else:
            h.update(np.ascontiguousarray(col).tobytes())
    h.update(json.dumps({str(k): str(v) for k, v in xr.meta.items()}, sort_keys=True).encode())
    return h.hexdigest()


_FILE_SHA: dict[tuple, str] = {}


def _file_sha(path: Path) -> str:
    """sha256 of a file's content (kept per path, size, time and inode for the process)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    got = _FILE_SHA.get(key)
    if got is None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        got = _FILE_SHA[key] = h.hexdigest()
    return got


def _path_identity(v) -> list:
    """A file by its content; a directory (a HATS catalogue) by its files' names, sizes and times; else the text."""
    p = Path(str(v))
    try:
        if p.is_file():
            return [str(v), _file_sha(p)]
        if p.is_dir():
            listing = []
            for root, _dirs, names in os.walk(p):
                for n in sorted(names):
                    st = os.stat(os.path.join(root, n))
                    listing.append([os.path.relpath(os.path.join(root, n), p), st.st_size, st.st_mtime_ns])
            return [str(v), _sha(sorted(listing))]
    except OSError:
        pass
    return [str(v)]


def provider_identity(provider) -> dict:
    """What identifies a provider's data: its name, its files' content (a HATS directory: its listing), or its
    service and tables.

    Parameters
    ----------
    provider : Provider
        Where neighbourhoods come from; its ``name`` and, where it has them, its ``files``, ``catalogs``,
        ``margins``, ``url`` and ``tables`` are read.

    Returns
    -------
    dict
        JSON-ready: ``provider`` (its name), and ``files`` / ``catalogs`` / ``margins`` (key -> path and content
        hash), ``url`` and ``tables`` where the provider has them.
    """
    out: dict = {"provider": getattr(provider, "name", type(provider).__name__)}
    for attr in ("files", "catalogs", "margins"):
        got = getattr(provider, attr, None)
        if isinstance(got, Mapping):
            out[attr] = {str(k): _path_identity(v) for k, v in sorted(got.items())}
    url = getattr(provider, "url", None)
    if url is not None:
        out["url"] = str(url)
    tables = getattr(provider, "tables", None)
    if isinstance(tables, Mapping) and all(isinstance(v, (str, type(None))) for v in tables.values()):
        out["tables"] = {str(k): v for k, v in sorted(tables.items())}
    return out


def model_sha(bundle) -> str:
    """The source model's hash (``MODELSHA`` of :meth:`~xrbvo.workflows.bundle.ModelBundle.describe`).

    Parameters
    ----------
    bundle : ModelBundle
        The models.

    Returns
    -------
    str
        The bundle's ``MODELSHA``.
    """
    return str(bundle.describe()["MODELSHA"])


def counterpart_sha(bundle) -> str:
    """A hash of the counterpart model's own files ('' when the bundle has none); it changes with
    ``--counterpart-model`` although the bundle's ``MODELSHA`` does not.

    Parameters
    ----------
    bundle : ModelBundle
        The models; its ``counterpart`` model (if any) is hashed.

    Returns
    -------
    str
        16 hex digits of the hash of the counterpart model's files; '' without a counterpart model.
    """
    ctpt = getattr(bundle, "counterpart", None)
    if ctpt is None:
        return ""
    return _sha(*[[k, hashlib.sha256(v).hexdigest()] for k, v in sorted(ctpt.to_files().items())])[:16]


def policy_sha(resolved) -> str:
    """A hash of the resolved science policy: its header, selection priors and every source's field priors.

    Parameters
    ----------
    resolved : ResolvedPolicy
        The science policy resolved for the run's sources (:func:`~xrbvo.workflows.policy.resolve_policy`).

    Returns
    -------
    str
        16 hex digits of the hash of the header, selection priors, classes and field priors.
    """
    fp = np.ascontiguousarray(np.asarray(resolved.field_priors, float))
    return _sha(resolved.header(), dict(resolved.selection_priors), list(resolved.classes), str(fp.shape),
                fp.tobytes())[:16]


def identity_of(xr: Table, config: PipelineConfig, *, bundle, resolved, provider,
                xray_survey: str = DEFAULT_XRAY_SURVEY) -> dict:
    """The identity fields of a :class:`RunContext` (everything but the measured numbers), JSON-ready.

    Parameters
    ----------
    xr : Table
        The whole standardised input.
    config : PipelineConfig
        The run's options (radii, surveys, counterpart mode, association options).
    bundle : ModelBundle
        The models (:func:`model_sha`; :func:`counterpart_sha` for ``joint`` counterparts).
    resolved : ResolvedPolicy
        The science policy resolved for the input (:func:`policy_sha`).
    provider : Provider
        Where neighbourhoods come from (:func:`provider_identity`).
    xray_survey : str, optional
        The X-ray survey, used when the input's meta names none.

    Returns
    -------
    dict
        One entry per key of :data:`IDENTITY_NAMES`, and ``no_counterpart_share`` (rule 7's numbers, which
        :func:`measure` puts into the context).
    """
    return {"format": CONTEXT_FORMAT,
            "radius_arcsec": float(config.radius_arcsec),
            "pull_radius_arcsec": float(config.pull_radius_arcsec),
            "surveys": list(config.surveys),
            "counterparts": str(config.counterparts),
            "association": repr(config.association),
            "xray_survey": str(xr.meta.get("xray_survey", xray_survey)),
            "n_sources": int(len(xr)),
            "input_sha": input_sha(xr),
            "model_sha": model_sha(bundle),
            "counterpart_sha": counterpart_sha(bundle) if config.counterparts == "joint" else "",
            "policy_sha": policy_sha(resolved),
            "provider": provider_identity(provider),
            # not an identity field (policy_sha covers it): the value the pieces' pipelines need (rule 7)
            "no_counterpart_share": getattr(resolved, "no_counterpart_share", None)}


def differences(stored: Mapping, now: Mapping) -> list[str]:
    """The names of the identity fields that differ (:data:`IDENTITY_NAMES`); a missing field differs.

    Parameters
    ----------
    stored : mapping
        The identity kept with earlier results (tiles' manifest, explore session).
    now : mapping
        The identity of this run (:func:`identity_of`, :meth:`RunContext.identity`).

    Returns
    -------
    list of str
        The readable names of the fields that differ (the search radius with both values); empty: same run.
    """
    out = []
    for k, name in IDENTITY_NAMES.items():
        a, b = stored.get(k), now.get(k)
        if json.dumps(a, sort_keys=True, default=str) != json.dumps(b, sort_keys=True, default=str):
            if k == "radius_arcsec" and isinstance(a, (int, float)) and isinstance(b, (int, float)):
                name = f'search radius ({a:g}" then, {b:g}" now)'
            out.append(name)
    return out


# ---------------------------------------------------------------------------------------------
# what each piece of the input contributes


@dataclass(frozen=True)
class ContextPart:
    """What one piece of the input (the whole of it, a tile, a Dask partition) contributes to the context.

    Parameters
    ----------
    nids : Mapping[str, numpy.ndarray], optional
        Survey -> unique identifiers (text) of its candidates within the search radius.
    mags : Mapping[tuple[str, str], tuple[numpy.ndarray, numpy.ndarray]], optional
        (survey, band) of an ``"auto"`` magnitude prior -> (magnitudes, separations) within the radius.
    n_objects : int, optional
        Candidate objects the class-aware counterparts link around the piece's sources (``joint`` only).
    """

    nids: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Survey -> unique identifiers (text) of its candidates within the search radius."""
    mags: Mapping[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    """(survey, band) of an ``"auto"`` magnitude prior -> (magnitudes, separations) within the radius."""
    n_objects: int = 0
    """Candidate objects the class-aware counterparts link around the piece's sources (``joint`` only)."""


def measure_part(xray: Table, neighbourhoods: Mapping[str, Table], config: PipelineConfig) -> ContextPart:
    """A piece's share of the context's numbers (it can run on a Dask worker).

    Parameters
    ----------
    xray : Table
        The piece's standardised X-ray sources.
    neighbourhoods : Mapping[str, Table]
        Survey -> the piece's neighbourhood table (``nid``, ``sep`` and the magnitude columns).
    config : PipelineConfig
        The run's options (search radius, surveys, counterpart mode, association options).

    Returns
    -------
    ContextPart
        The candidates' identifiers within the radius per survey, the magnitudes and separations of each
        ``"auto"`` magnitude prior (``nway`` only) and the candidate objects' count (``joint`` only).

    Raises
    ------
    InputError
        A neighbourhood lacks the band of an ``"auto"`` magnitude prior.
    """
    radius = float(config.radius_arcsec)
    a = config.association
    learn = config.counterparts == "nway"
    nids, mags = {}, {}
    for s in config.surveys:
        nb = neighbourhoods.get(s)
        if nb is None:
            continue
        sep = np.asarray(nb["sep"], float) if len(nb) else np.zeros(0)
        inside = sep < radius
        nids[s] = np.unique(np.asarray(nb["nid"]).astype(str)[inside]) if len(nb) else np.zeros(0, str)
        if learn:
            for (ps, band), prior in a.mag_priors.items():
                if ps == s and isinstance(prior, str) and prior == "auto":
                    if band not in nb.colnames:
                        raise InputError(f"magnitude prior for {s}:{band}: the {s} neighbourhood has no {band!r} "
                                         "column")
                    mags[(s, band)] = (np.asarray(nb[band], float)[inside], sep[inside])
    n_obj = 0
    if config.counterparts == "joint" and len(xray):
        from xrbvo.stages.classify.counterparts import object_count

        n_obj = object_count(xray, {s: t for s, t in neighbourhoods.items() if s in config.surveys})
    return ContextPart(nids, mags, int(n_obj))


# ---------------------------------------------------------------------------------------------
# the context


def _freeze(x):
    if isinstance(x, Mapping):
        return {str(k): _freeze(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_freeze(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


@dataclass(frozen=True)
class RunContext:
    """The numbers a run measures once over its whole input, and what identifies that run (see the module).

    Build it with :func:`measure`; hand it on as it is or as JSON (:meth:`to_json`).

    Parameters
    ----------
    radius_arcsec : float
        The counterpart search radius (arcsec).
    pull_radius_arcsec : float
        The radius the neighbourhoods are pulled to (arcsec).
    surveys : tuple of str
        The surveys the counterparts are searched in.
    counterparts : str
        ``joint`` or ``nway``.
    association : str
        ``repr`` of the association options the numbers were measured for.
    xray_survey : str
        The X-ray survey of the input (e.g. ``erass1``).
    n_sources : int
        Number of X-ray sources in the whole input.
    input_sha : str
        :func:`input_sha` of the standardised input.
    model_sha : str
        :func:`model_sha` of the bundle.
    counterpart_sha : str
        :func:`counterpart_sha` of the bundle ('' unless the counterparts are ``joint``).
    policy_sha : str
        :func:`policy_sha` of the resolved science policy.
    provider : Mapping
        :func:`provider_identity` of the survey data.
    global_counts : Mapping[str, tuple[int, float]], optional
        Survey -> (unique candidates within the radius of any source, union area of the cones, arcsec^2);
        empty unless the association's density is ``global``.
    mag_priors : Mapping[str, Mapping], optional
        ``survey:band`` -> ``{"edges", "ratio", "outside"}`` of each learnt (``"auto"``) magnitude prior.
    object_density_arcsec2 : float, optional
        Candidate objects per arcsec^2 of the class-aware counterparts (``joint`` only).
    source_priors : tuple of tuple of float, optional
        Slot: per-source class priors (n_sources, n_classes) of a later step; None: not set.
    p_any_cut : float, optional
        Slot: the calibrated association cut on ``p_any`` (``PANYCUT``); None: not calibrated.
    false_rate : float, optional
        Slot: the false-association rate measured at ``p_any_cut`` (``FARATE``).
    false_rate_target : float, optional
        Slot: the false-association rate the cut was chosen for.
    p_any_calibration : str, optional
        Slot: the whole calibration (:class:`~xrbvo.stages.match.calibrate.PanyCalibration` as JSON), given
        to every piece's pipeline as ``PipelineConfig.p_any_calibration``.
    format : str, optional
        The context's serialisation format (``CONTEXT_FORMAT``).
    no_counterpart_share : Mapping[str, float], optional
        The resolved policy's rule 7 (:attr:`~xrbvo.workflows.policy.ResolvedPolicy.no_counterpart_share`):
        class -> the model's training share without counterpart; None: no-counterpart evidence off.
    """

    radius_arcsec: float
    """The counterpart search radius (arcsec)."""
    pull_radius_arcsec: float
    """The radius the neighbourhoods are pulled to (arcsec)."""
    surveys: tuple[str, ...]
    counterparts: str
    """``joint`` or ``nway``."""
    association: str
    """``repr`` of the association options the numbers were measured for."""
    xray_survey: str
    n_sources: int
    input_sha: str
    model_sha: str
    counterpart_sha: str
    policy_sha: str
    provider: Mapping
    """:func:`provider_identity` of the survey data."""
    global_counts: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    """Survey -> (unique candidates within the radius of any source, union area of the cones, arcsec^2);
    empty unless the association's density is ``global``."""
    mag_priors: Mapping[str, Mapping] = field(default_factory=dict)
    """``survey:band`` -> ``{"edges", "ratio", "outside"}`` of each learnt (``"auto"``) magnitude prior."""
    object_density_arcsec2: float | None = None
    """Candidate objects per arcsec^2 of the class-aware counterparts (``joint`` only)."""
    source_priors: tuple[tuple[float, ...], ...] | None = None
    """Slot: per-source class priors (n_sources, n_classes) of a later step; None: not set."""
    p_any_cut: float | None = None
    """Slot: the calibrated association cut on ``p_any`` (``PANYCUT``); None: not calibrated."""
    false_rate: float | None = None
    """Slot: the false-association rate measured at ``p_any_cut`` (``FARATE``)."""
    false_rate_target: float | None = None
    """Slot: the false-association rate the cut was chosen for."""
    p_any_calibration: str | None = None
    """Slot: the whole calibration (:class:`~xrbvo.stages.match.calibrate.PanyCalibration` as JSON: cut, rate,
    method, moved positions), given to every piece's pipeline as ``PipelineConfig.p_any_calibration``."""
    format: str = CONTEXT_FORMAT
    no_counterpart_share: Mapping[str, float] | None = None
    """Rule 7 of the resolved policy: class -> the model's training share without counterpart (None: off)."""

    def __post_init__(self):
        object.__setattr__(self, "surveys", tuple(str(s) for s in self.surveys))
        object.__setattr__(self, "global_counts",
                           {str(s): (int(n), float(a)) for s, (n, a) in dict(self.global_counts).items()})
        object.__setattr__(self, "mag_priors", {str(k): dict(v) for k, v in dict(self.mag_priors).items()})
        if self.source_priors is not None:
            object.__setattr__(self, "source_priors", tuple(tuple(float(x) for x in r) for r in self.source_priors))
        if self.no_counterpart_share is not None:
            object.__setattr__(self, "no_counterpart_share",
                               {str(k): float(v) for k, v in dict(self.no_counterpart_share).items()})

    # -- identity -------------------------------------------------------------------------------
    def identity(self) -> dict:
        """The identity fields (everything but the measured numbers), JSON-ready."""
        d = self.to_dict()
        return {k: d[k] for k in IDENTITY_NAMES}

    @property
    def sha(self) -> str:
        """A hash of the whole context (identity and numbers)."""
        return _sha(self.to_dict())[:16]

    # -- use -----------------------------------------------------------------------------------
    def configure(self, config: PipelineConfig) -> PipelineConfig:
        """The run's options with this context's numbers in place of what a piece would measure alone.

        Raises
        ------
        InputError
            When ``config`` is not the one the context was measured for (radius, surveys, counterparts,
            association options).
        """
        bad = []
        if float(config.radius_arcsec) != self.radius_arcsec:
            bad.append("search radius")
        if tuple(config.surveys) != self.surveys:
            bad.append("surveys")
        if config.counterparts != self.counterparts:
            bad.append("counterpart mode")
        if repr(config.association) != self.association:
            bad.append("association options")
        if bad:
            raise InputError(f"the run context was measured with another {', '.join(bad)}; measure it again")
        a = config.association
        priors = dict(a.mag_priors)
        for key, p in self.mag_priors.items():
            s, band = key.split(":", 1)
            priors[(s, band)] = MagPrior(np.asarray(p["edges"], float), np.asarray(p["ratio"], float),
                                         p.get("outside"))
        counts = dict(self.global_counts) if a.density == "global" else dict(a.global_counts)
        obj = self.object_density_arcsec2 if self.counterparts == "joint" else config.object_density_arcsec2
        cal = config.p_any_calibration
        if self.p_any_calibration is not None:
            cal = PanyCalibration.from_json(self.p_any_calibration)
        noctp = None if self.no_counterpart_share is None else tuple(self.no_counterpart_share.items())
        return replace(config, association=replace(a, global_counts=counts, mag_priors=priors),
                       object_density_arcsec2=obj, p_any_calibration=cal, no_counterpart_share=noctp)

    def header(self) -> dict[str, float]:
        """Header keywords of the slots that are set: ``PANYCUT`` and ``FARATE`` (none when not calibrated)."""
        if self.p_any_calibration is not None:
            return PanyCalibration.from_json(self.p_any_calibration).header()
        h: dict[str, float] = {}
        if self.p_any_cut is not None:
            h["PANYCUT"] = float(self.p_any_cut)
        if self.false_rate is not None:
            h["FARATE"] = float(self.false_rate)
        return h

    # -- serialisation --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-ready (floats round-trip exactly through :mod:`json`)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["global_counts"] = {s: [int(n), float(a)] for s, (n, a) in self.global_counts.items()}
        return _freeze(d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=False)

    @classmethod
    def from_dict(cls, d) -> "RunContext":
        """A context from :meth:`to_dict`'s form.

        Raises
        ------
        InputError
            For anything else (another format, a missing or ill-typed field): one line.
        """
        if not isinstance(d, Mapping) or d.get("format") != CONTEXT_FORMAT:
            raise InputError(f"not a run context of format {CONTEXT_FORMAT}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise InputError(f"a run context with unknown fields ({', '.join(map(str, unknown[:3]))})")
        try:
            kw = dict(d)
            for k in ("radius_arcsec", "pull_radius_arcsec"):
                kw[k] = _finite(kw[k], k)
            for k in ("counterparts", "association", "xray_survey", "input_sha", "model_sha", "counterpart_sha",
                      "policy_sha"):
                if not isinstance(kw[k], str):
                    raise TypeError(k)
            if not isinstance(kw["n_sources"], int) or isinstance(kw["n_sources"], bool) or kw["n_sources"] < 0:
                raise TypeError("n_sources")
            if not isinstance(kw["surveys"], list) or not all(isinstance(s, str) for s in kw["surveys"]):
                raise TypeError("surveys")
            if not isinstance(kw["provider"], Mapping):
                raise TypeError("provider")
            gc = kw.get("global_counts", {})
            if not isinstance(gc, Mapping):
                raise TypeError("global_counts")
            kw["global_counts"] = {str(s): (_count(v[0]), _finite(v[1], "area")) for s, v in gc.items()}
            mp = kw.get("mag_priors", {})
            if not isinstance(mp, Mapping):
                raise TypeError("mag_priors")
            for k, p in mp.items():
                if ":" not in str(k) or not isinstance(p, Mapping):
                    raise TypeError("mag_priors")
                e, r = np.asarray(p["edges"], float), np.asarray(p["ratio"], float)
                if e.ndim != 1 or r.shape != e.shape or len(e) < 2:
                    raise TypeError("mag_priors")
                if p.get("outside") is not None:
                    _finite(p["outside"], "outside")
            for k in ("object_density_arcsec2", "p_any_cut", "false_rate", "false_rate_target"):
                if kw.get(k) is not None:
                    kw[k] = _finite(kw[k], k)
            if kw.get("p_any_calibration") is not None:
                if not isinstance(kw["p_any_calibration"], str):
                    raise TypeError("p_any_calibration")
                try:
                    PanyCalibration.from_json(kw["p_any_calibration"])
                except InputError:
                    raise TypeError("p_any_calibration") from None
            nc = kw.get("no_counterpart_share")
            if nc is not None:
                if not isinstance(nc, Mapping):
                    raise TypeError("no_counterpart_share")
                for v in nc.values():
                    if not 0.0 <= _finite(v, "no_counterpart_share") <= 1.0:
                        raise TypeError("no_counterpart_share")
            sp = kw.get("source_priors")
            if sp is not None:
                arr = np.asarray(sp, float)
                if arr.ndim != 2 or not np.all(np.isfinite(arr)):
                    raise TypeError("source_priors")
            return cls(**kw)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"a damaged run context (field {exc.args[0] if exc.args else '?'})") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> "RunContext":
        """A context from :meth:`to_json` (one :class:`~xrbvo.core.errors.InputError` for anything else)."""
        try:
            d = json.loads(text)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise InputError("a damaged run context (not JSON)") from None
        return cls.from_dict(d)

    def write(self, path: str | Path) -> Path:
        """Write the context as JSON, atomically."""
        from xrbvo.io import atomic_write_bytes

        p = Path(path)
        atomic_write_bytes(p, self.to_json().encode())
        return p

    @classmethod
    def read(cls, path: str | Path) -> "RunContext":
        """Read :meth:`write`'s file (an unreadable or damaged file: one :class:`~xrbvo.core.errors.InputError`)."""
        p = Path(path)
        try:
            if p.stat().st_size > 64 << 20:
                raise InputError(f"{p}: too large for a run context")
            text = p.read_bytes()
        except OSError as exc:
            raise InputError(f"{p}: cannot read the run context ({exc.strerror or exc})") from None
        try:
            return cls.from_json(text)
        except InputError as exc:
            raise InputError(f"{p}: {exc}") from None


def _finite(v, name) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise TypeError(name)
    return float(v)


def _count(v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not float(v).is_integer() or v < 0:
        raise TypeError("global_counts")
    return int(v)


def measure(xr: Table, parts: Sequence[ContextPart], config: PipelineConfig, *, identity: Mapping,
            neighbourhoods: Mapping[str, Table] | None = None, calibrate: Calibrate | None = None) -> RunContext:
    """The one builder of a :class:`RunContext`: the numbers of all pieces of the whole input put together.

    Parameters
    ----------
    xr : Table
        The whole standardised input (its positions are the search cones' centres, in input order).
    parts : sequence of ContextPart
        :func:`measure_part` of every piece of the input (one piece: the whole of it).
    config : PipelineConfig
        The run's options.
    identity : mapping
        :func:`identity_of` the run.
    neighbourhoods : mapping, optional
        The whole input's neighbourhoods, for ``calibrate`` (None where the path does not hold them).
    calibrate : callable, optional
        The calibration hook (see the module docstring).

    Returns
    -------
    RunContext
        The identity with the measured numbers: the survey densities (``density="global"``), the learnt
        magnitude priors (``nway``), the object density (``joint``) and what ``calibrate`` set.

    Raises
    ------
    TypeError
        ``calibrate`` returned a field other than the calibration slots.
    """
    radius = float(config.radius_arcsec)
    a = config.association
    counts: dict[str, tuple[int, float]] = {}
    if a.density == "global":
        area = union_area_arcsec2(np.asarray(xr["ra"], float), np.asarray(xr["dec"], float), radius)
        for s in config.surveys:
            arrays = [p.nids[s] for p in parts if s in p.nids]
            n = len(np.unique(np.concatenate(arrays))) if arrays else 0
            counts[s] = (int(n), float(area))
    learnt: dict[str, dict] = {}
    if config.counterparts == "nway":
        for (s, band), prior in a.mag_priors.items():
            if not (isinstance(prior, str) and prior == "auto"):
                continue
            got = [p.mags[(s, band)] for p in parts if (s, band) in p.mags]
            if not got:
                continue
            mp = learn_mag_prior(np.concatenate([g[0] for g in got]), np.concatenate([g[1] for g in got]), radius,
                                 a.mag_radius_arcsec, len(xr), bins=a.mag_bins)
            learnt[f"{s}:{band}"] = {"edges": np.asarray(mp.edges, float).tolist(),
                                     "ratio": np.asarray(mp.ratio, float).tolist(), "outside": mp.outside}
    obj = None
    if config.counterparts == "joint":
        from xrbvo.stages.classify.counterparts import object_density

        obj = float(object_density(sum(p.n_objects for p in parts), len(xr), config.pull_radius_arcsec))
    ident = dict(identity)
    ctx = RunContext(**{k: ident[k] for k in IDENTITY_NAMES if k != "format"}, global_counts=counts,
                     mag_priors=learnt, object_density_arcsec2=obj,
                     no_counterpart_share=ident.get("no_counterpart_share"))
    if calibrate is not None:
        got = dict(calibrate(ctx, xr, neighbourhoods, ctx.configure(config)) or {})
        bad = sorted(set(got) - set(_CALIBRATION_FIELDS))
        if bad:
            raise TypeError(f"calibrate may set {', '.join(_CALIBRATION_FIELDS)} only, not {', '.join(bad)}")
        ctx = replace(ctx, **{k: None if v is None else (str(v) if k == "p_any_calibration" else float(v))
                              for k, v in got.items()})
    return ctx



def calibration_hook(provider, model, ctpt_model, selection_priors=None, *, progress=None, cancel=None) -> Calibrate:
    """The calibration hook of :func:`measure` that every path uses: the p_any cut on moved positions.

    It calls :func:`xrbvo.pipeline.calibrate_p_any` once over the whole input with the context's
    numbers (``config`` is ``context.configure(...)``), pulling the moved positions' neighbourhoods
    from ``provider`` (the real one, never already-pulled tables), and returns the cut, the rate
    measured at it and the whole calibration for the context's slots.

    Parameters
    ----------
    provider : Provider
        Where neighbourhoods come from.
    model, ctpt_model
        The source classifier and the counterpart classifier (None for ``nway``).
    selection_priors : mapping, optional
        The class priors of the joint posterior (the pipeline's selection priors).
    progress : callable, optional
        Progress callback ``(message, fraction)``.
    cancel : threading.Event, optional
        Set it to stop.

    Returns
    -------
    callable
        ``calibrate(context, xray, neighbourhoods, config) -> mapping`` (see the module docstring).
    """
    def calibrate(context, xray, neighbourhoods, config):
        if config.false_rate is None:
            return {}
        cal = calibrate_p_any(xray, provider, neighbourhoods or {}, model, ctpt_model=ctpt_model, config=config,
                              selection_priors=selection_priors, progress=progress, cancel=cancel)
        return {"p_any_cut": float(cal.cut), "false_rate": cal.false_rate if math.isfinite(cal.false_rate) else None,
                "false_rate_target": float(cal.target), "p_any_calibration": cal.to_json()}

    return calibrate
