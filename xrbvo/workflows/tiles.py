"""Long runs in sky tiles: each tile's results written as it finishes, a rerun resumes.

:func:`run_tiled` is :func:`xrbvo.workflows.analyse` cut into Galactic tiles of
``tile_deg`` x ``tile_deg`` degrees (l from 0, b from -90), so that a long run
keeps what it finished when it is interrupted.  Its catalogue, counterparts and
neighbours equal those of one uninterrupted :func:`~xrbvo.workflows.analyse`
call on the same input, whatever the tiling, because nothing a tile computes
depends on the other tiles:

* **The science policy is resolved once** on the whole input
  (:func:`~xrbvo.workflows.analyse.resolve_for`); each tile gets its rows of the
  field-prior matrix.
* **The run context is measured once** (:mod:`xrbvo.workflows.context`): the
  association's survey densities, learnt magnitude priors and the joint
  counterparts' object density, over all tiles.  So the run works in two
  passes: first every tile's neighbourhoods are pulled and each tile's share
  measured (:func:`~xrbvo.workflows.context.measure_part`), the
  :class:`~xrbvo.workflows.context.RunContext` put together
  (:func:`~xrbvo.workflows.context.measure`) and recorded in the manifest;
  then each tile is associated, classified and written with
  :meth:`RunContext.configure <xrbvo.workflows.context.RunContext.configure>`.
* Everything else (Bayes factors, features, classifiers, cuts, the catalogue)
  works source by source.

The tiles' rows are concatenated in input order, and the counterparts'
``row_<survey>`` columns renumbered to the merged neighbours.  What can still
differ from one pass: the width of text columns (not their values), and, from
a TAP service, whose rows are joined per tile, the order of two neighbours of
one source at exactly the same separation.  The neighbourhoods of all tiles are
held in memory during the first pass, as one pass holds them.

Files, in ``OUT/.tiles/`` (removed by :meth:`TiledRun.cleanup` once the outputs
are written): ``manifest.json`` (format, the key, the run context's identity
and, once measured, the whole context, the tiles, the finished tiles and a
counter of tiles computed), and per finished tile
``<tile>.catalogue.parquet``, ``<tile>.counterparts.parquet`` and
``<tile>.neighbours.parquet``, each written atomically before the manifest
records the tile.  A rerun with the same key skips the finished tiles.  The key
holds the whole context's identity (search radius, surveys, options, the
input's content, model, counterpart model, resolved policy, the survey data's
content or service), the tile size and the options: when anything differs the
earlier run's tiles are removed, saying so in one line (what differs and how
many tiles were finished).  A finished tile whose files are missing or do not
read is computed again (one line says so).  ``OUT/.tiles`` as a link or a file
is refused in one line, never followed or removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
from astropy.table import Table, vstack

from xrbvo.core.defaults import DEFAULT_TILE_DEG  # tile size of xrbvo run (--tile-deg)
from xrbvo.core.errors import InputError, XrbvoWarning, check_cancel
from xrbvo.core.schema import CATALOGUE, COUNTERPARTS, NEIGHBOURS, describe_table
from xrbvo.core.surveys import DEFAULT_XRAY_SURVEY
from xrbvo.io import atomic_write_bytes, read_table, write_table
from xrbvo.io.outputs import TEMP_PREFIX
from xrbvo.pipeline import PipelineConfig, run_pipeline
from xrbvo.stages.catalogue import neighbours_table
from xrbvo.stages.known import match_known
from xrbvo.stages.neighbourhoods.base import Provider, PulledProvider
from xrbvo.workflows.analyse import (Analysis, galactic, pipeline_config, prepare_xray, resolve_for,
                                     warn_no_coverage)
from xrbvo.workflows.bundle import ModelBundle
from xrbvo.workflows.context import (Calibrate, RunContext, calibration_hook, differences, identity_of, measure,
                                     measure_part)
from xrbvo.workflows.policy import SciencePolicy, purity_figures

__all__ = ["DEFAULT_TILE_DEG", "TILES_DIR", "Tile", "TiledAnalysis", "TiledRun", "plan_tiles", "run_tiled"]

#: The smallest tile (deg): 36", about two search radii; smaller tiles only multiply the files.
MIN_TILE_DEG = 0.01
#: Directory of the tiles inside the output directory.
TILES_DIR = ".tiles"
#: The files of a finished tile: ``<tile>.<part>.parquet``.
TILE_PARTS = ("catalogue", "counterparts", "neighbours")
#: Format of ``manifest.json``.
FORMAT = "xrbvo-tiles/2"

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Tile:
    """One sky tile: its name and the input rows it holds.

    Parameters
    ----------
    name : str
        ``l<lon>b<lat>`` of its lower corner, e.g. ``l300b-005``.
    rows : numpy.ndarray
        Indices of its sources in the input, in input order.
    """

    name: str
    """``l<lon>b<lat>`` of its lower corner, e.g. ``l300b-005``."""
    rows: np.ndarray
    """Indices of its sources in the input, in input order."""


def plan_tiles(l_deg, b_deg, tile_deg: float) -> list[Tile]:
    """Galactic tiles of ``tile_deg`` degrees holding the sources at (l, b), ordered by b then l.

    >>> [(t.name, t.rows.tolist()) for t in plan_tiles([359.0, 1.0, 3.0], [0.5, 0.5, -0.5], 2.0)]
    [('l002b-002', [2]), ('l000b+000', [1]), ('l358b+000', [0])]

    Parameters
    ----------
    l_deg : float or array
        Galactic longitude, degrees.
    b_deg : float or array
        Galactic latitude, degrees.
    tile_deg : float
        Tile size in Galactic l and b, degrees.

    Returns
    -------
    list[Tile]
        The tiles that hold at least one source.
    """
    if not (np.isfinite(tile_deg) and MIN_TILE_DEG <= tile_deg <= 180):
        raise InputError(f"the tile size must be between {MIN_TILE_DEG:g} and 180 deg, not {tile_deg:g}")
    lon = np.mod(np.asarray(l_deg, float), 360.0)
    lat = np.asarray(b_deg, float)
    il = np.floor(lon / tile_deg).astype(np.int64)
    ib = np.floor((lat + 90.0) / tile_deg).astype(np.int64)
    keys = ib * (int(np.ceil(360.0 / tile_deg)) + 1) + il
    tiles = []
    for k in np.unique(keys):
        rows = np.nonzero(keys == k)[0]
        i, j = il[rows[0]], ib[rows[0]]
        tiles.append(Tile(f"l{i * tile_deg:03.0f}b{j * tile_deg - 90.0:+04.0f}"
                          if float(tile_deg).is_integer() else f"l{i * tile_deg:g}b{j * tile_deg - 90.0:+g}", rows))
    names = [t.name for t in tiles]
    if len(set(names)) != len(names):  # fractional sizes that print alike
        tiles = [Tile(f"{t.name}-{n}", t.rows) for n, t in enumerate(tiles)]
    return tiles


@dataclass(frozen=True)
class TiledAnalysis(Analysis):
    """An :class:`~xrbvo.workflows.analyse.Analysis` put together from tiles.

    ``result`` is None: a tiled run keeps no :class:`~xrbvo.pipeline.PipelineResult`
    in memory; its tables are read back from the tiles.  ``catalogue``,
    ``counterparts``, ``neighbours``, :meth:`write` and :meth:`summary` work as
    for one run.

    Parameters
    ----------
    tables : Mapping[str, Table], optional
        ``catalogue``, ``counterparts`` and ``neighbours``, merged in input order.
    input_meta : Mapping, optional
        What the X-ray input said about itself (:func:`~xrbvo.workflows.analyse.prepare_xray`).
    result : PipelineResult or None
        None: a tiled run keeps no stages' outputs in memory.
    policy : ResolvedPolicy
        The science policy (:mod:`xrbvo.workflows.policy`).
    bundle : ModelBundle
        The trained models and their metadata (:meth:`ModelBundle.load`).
    source : str
        Where the X-ray sources came from (recorded in the outputs).
    known : tuple[Table, ...], optional
        The known-objects tables the catalogue was matched with (:func:`xrbvo.io.known.read_known`).
    context : RunContext, optional
        The run context the tiles were measured in (:mod:`xrbvo.workflows.context`).
    """

    tables: Mapping[str, Table] = field(default_factory=dict)
    """``catalogue``, ``counterparts`` and ``neighbours``, merged in input order."""
    input_meta: Mapping = field(default_factory=dict)
    """What the X-ray input said about itself (:func:`~xrbvo.workflows.analyse.prepare_xray`)."""

    @property
    def xray_meta(self) -> dict:
        return dict(self.input_meta)

    @property
    def catalogue(self) -> Table:
        return self.tables["catalogue"]

    @property
    def counterparts(self) -> Table:
        t = self.tables["counterparts"]
        self._stamp(t, COUNTERPARTS)
        return t

    @property
    def neighbours(self) -> Table:
        t = self.tables["neighbours"]
        self._stamp(t, NEIGHBOURS)
        return t


@dataclass(frozen=True)
class TiledRun:
    """What :func:`run_tiled` did.

    Parameters
    ----------
    analysis : TiledAnalysis
        What :func:`xrbvo.workflows.analyse` returned.
    tiles : tuple[str, ...]
        Every tile, in the order they run.
    finished_before : tuple[str, ...]
        Tiles a previous, interrupted run had finished (not computed again).
    computed : tuple[str, ...]
        Tiles computed by this call.
    directory : Path
        The tiles' directory (``OUT/.tiles``).
    """

    analysis: TiledAnalysis
    tiles: tuple[str, ...]
    """Every tile, in the order they run."""
    finished_before: tuple[str, ...]
    """Tiles a previous, interrupted run had finished (not computed again)."""
    computed: tuple[str, ...]
    """Tiles computed by this call."""
    directory: Path
    """The tiles' directory (``OUT/.tiles``)."""

    def cleanup(self) -> None:
        """Remove the tiles' directory (call it once the outputs are written).

        The manifest goes first, so that a removal cut short (a signal, a full disk) never leaves a manifest
        that names tiles whose files are gone: the directory is renamed out of the way (atomic), then removed.
        """
        d = self.directory
        gone = d.with_name(f"{TEMP_PREFIX}{d.name}-{os.getpid()}")
        try:
            os.replace(d, gone)
        except OSError:
            (d / "manifest.json").unlink(missing_ok=True)
            gone = d
        shutil.rmtree(gone, ignore_errors=True)


# --------------------------------------------------------------------------------------
# the manifest


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()


def _read_manifest(path: Path) -> dict | None:
    try:
        m = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) and m.get("format") == FORMAT else None


def _write_manifest(path: Path, manifest: dict) -> None:
    try:
        atomic_write_bytes(path, json.dumps(manifest, indent=1).encode())
    except OSError as exc:
        raise InputError(f"{path}: cannot write the tiles' manifest ({exc.strerror or exc}); free disk space "
                         "or choose another --out") from None


def _write_tile_table(table: Table, path: Path) -> None:
    written = write_table(table, path)
    if Path(written) != path:  # rescued elsewhere: this tile cannot be resumed from there
        raise InputError(f"{path}: cannot write this tile; free disk space or choose another --out")


# --------------------------------------------------------------------------------------
# merging


def _src_index(xid: np.ndarray, sorted_xid: np.ndarray, order: np.ndarray) -> np.ndarray:
    return order[np.searchsorted(sorted_xid, np.asarray(xid).astype(str))]


def _read_tile(d: Path, t: Tile) -> dict[str, Table]:
    """A finished tile's three tables (raises :class:`~xrbvo.core.errors.InputError` for a damaged file)."""
    return {part: read_table(d / f"{t.name}.{part}.parquet", allow_empty=True) for part in TILE_PARTS}


def _merge(read: Mapping[str, Mapping[str, Table]], tiles: Sequence[Tile], xr: Table,
           surveys: Sequence[str]) -> dict[str, Table]:
    """Put every tile's tables (``read``: tile name -> :func:`_read_tile`) together in input order, as one run
    writes them."""
    xids = np.asarray(xr["xid"]).astype(str)
    order = np.argsort(xids, kind="stable")
    sorted_xid = xids[order]
    cats, combos, nbrs = [], [], []
    for k, t in enumerate(tiles):
        cats.append(read[t.name]["catalogue"])
        c = read[t.name]["counterparts"].copy(copy_data=False)
        c["_tile"] = np.full(len(c), k)
        combos.append(c)
        n = read[t.name]["neighbours"].copy(copy_data=False)
        n["_tile"] = np.full(len(n), k)
        survey = np.asarray(n["survey"]).astype(str)
        n["_row"] = np.zeros(len(n), np.int64)
        for s in np.unique(survey):
            n["_row"][survey == s] = np.arange(int(np.sum(survey == s)))
        nbrs.append(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # meta conflicts between tiles: the merged tables get the run's meta
        cat = vstack(cats, join_type="exact", metadata_conflicts="silent")
        combo = vstack(combos, join_type="exact", metadata_conflicts="silent")
        nbr = vstack(nbrs, join_type="exact", metadata_conflicts="silent")
    rows = np.concatenate([t.rows for t in tiles])
    cat = cat[np.argsort(rows, kind="stable")]
    cat.meta = dict(cats[0].meta)
    # neighbours: surveys in the run's order, each by source in input order (a tile keeps its own order within)
    rank = {s: i for i, s in enumerate(surveys)}
    survey = np.asarray(nbr["survey"]).astype(str)
    key = np.lexsort((_src_index(nbr["xid"], sorted_xid, order), [rank.get(s, len(rank)) for s in survey]))
    nbr = nbr[key]
    # the counterparts' row_<survey> point into each survey's neighbourhood: renumber them to the merged one
    survey = np.asarray(nbr["survey"]).astype(str)
    combo_tile = np.asarray(combo["_tile"])
    for s in surveys:
        col = f"row_{s}"
        if col not in combo.colnames:
            continue
        sel = survey == s
        new = np.full((len(tiles), int(np.max(nbr["_row"][sel], initial=-1)) + 1), -1, np.int64)
        new[np.asarray(nbr["_tile"])[sel], np.asarray(nbr["_row"])[sel]] = np.arange(int(sel.sum()))
        old = np.asarray(combo[col], np.int64)
        ok = old >= 0
        renumbered = old.copy()
        renumbered[ok] = new[combo_tile[ok], old[ok]]
        combo[col] = renumbered.astype(combo[col].dtype)
    combo = combo[np.argsort(_src_index(combo["xid"], sorted_xid, order), kind="stable")]
    combo.remove_column("_tile")
    nbr.remove_columns(["_tile", "_row"])
    combo.meta, nbr.meta = {}, {}
    return {"catalogue": cat, "counterparts": combo, "neighbours": nbr}


# --------------------------------------------------------------------------------------
# the run


def run_tiled(xray: Table, provider: Provider, bundle: ModelBundle, policy: SciencePolicy | None = None, *,
              out: str | Path, tile_deg: float = DEFAULT_TILE_DEG, config: PipelineConfig | None = None,
              xray_survey: str = DEFAULT_XRAY_SURVEY, sys_floor_arcsec: float | None = None, source: str = "table",
              options: Mapping | None = None, progress: Mapping[str, Progress] | None = None,
              cancel: threading.Event | None = None, known: Sequence[Table] = (),
              calibrate: Calibrate | None = None) -> TiledRun:
    """:func:`~xrbvo.workflows.analyse` in sky tiles, each written to ``out/.tiles`` as it finishes.

    Parameters
    ----------
    xray, provider, bundle, policy, config, xray_survey, sys_floor_arcsec, source
        As for :func:`~xrbvo.workflows.analyse`.
    out : path
        The output directory; the tiles go to ``out/.tiles``.
    tile_deg : float
        Tile size in Galactic l and b, degrees.
    options : mapping, optional
        Anything else that changes the results (e.g. the region asked for),
        recorded in the manifest's key.
    progress : mapping, optional
        Callbacks ``(message, fraction)``: ``pull`` (the first pass over the
        tiles), ``tiles`` (tiles finished), and the stages' ``neighbourhoods``,
        ``association``, ``classification``.
    cancel : threading.Event, optional
        Set it to stop; :class:`~xrbvo.core.errors.Cancelled` is raised and the
        finished tiles stay on disk.
    known : Sequence[Table], optional
        Known objects (:func:`xrbvo.io.known.read_known`).
    calibrate : callable, optional
        The run context's calibration hook (:func:`xrbvo.workflows.context.measure`).

    Returns
    -------
    TiledRun
        The merged analysis, which equals one :func:`analyse` call's, and what
        was resumed and computed.
    """
    prog = dict(progress or {})
    pol = policy or SciencePolicy()
    pol.validate()
    xr = prepare_xray(xray, xray_survey, sys_floor_arcsec=sys_floor_arcsec, source=source)
    cfg = config or pipeline_config(bundle)
    cfg.validate()
    if cfg.counterparts == "joint" and bundle.counterpart is None:
        pipeline_config(bundle, counterparts="joint")  # raises the one clear error
    provider.validate(cfg.surveys)  # a service that does not answer fails now, before any tile
    resolved = resolve_for(xr, pol, bundle, xray_survey)
    l_deg, b_deg = galactic(xr)
    tiles = plan_tiles(l_deg, b_deg, tile_deg)
    names = [t.name for t in tiles]
    ident = identity_of(xr, cfg, bundle=bundle, resolved=resolved, provider=provider, xray_survey=xray_survey)
    key = _digest(FORMAT, ident, float(tile_deg), dict(options or {}))
    d = Path(out) / TILES_DIR
    mpath = d / "manifest.json"
    _check_tiles_dir(d)
    manifest = _read_manifest(mpath) if d.is_dir() else None
    if manifest is None or manifest.get("key") != key or manifest.get("tiles") != names:
        _say_restart(d, manifest, ident, float(tile_deg), dict(options or {}))
        if d.exists():
            shutil.rmtree(d)
        try:
            d.mkdir(parents=True)
        except OSError as exc:
            raise InputError(f"{d}: cannot make the tiles' directory ({exc.strerror or exc}); choose another "
                             "--out") from None
        manifest = {"format": FORMAT, "key": key, "identity": ident, "tile_deg": float(tile_deg),
                    "options": _jsonable(dict(options or {})), "tiles": names, "context": None, "finished": [],
                    "computed": 0}
        _write_manifest(mpath, manifest)
    # a finished tile whose files are not all there or do not read (removed by hand, a disk error) is computed again
    read: dict[str, dict[str, Table]] = {}
    whole = []
    for n in manifest["finished"]:
        try:
            read[n] = _read_tile(d, next(t for t in tiles if t.name == n))
            whole.append(n)
        except (InputError, StopIteration) as exc:
            warnings.warn(f"{exc if isinstance(exc, InputError) else n}: this finished tile is damaged or missing; "
                          "computing it again", XrbvoWarning, stacklevel=2)
    if len(whole) != len(manifest["finished"]):
        manifest["finished"] = whole
        _write_manifest(mpath, manifest)
    finished_before = tuple(n for n in names if n in manifest["finished"])

    def pull(t: Tile, k: int) -> dict[str, Table]:
        cb = prog.get("neighbourhoods")
        sub = (lambda m, f: cb(f"{t.name}: {m}", f)) if cb else None
        nbs = provider.neighbourhoods(xr[t.rows], cfg.pull_radius_arcsec, cfg.surveys, progress=sub, cancel=cancel)
        check_cancel(cancel)  # a cancelled pull returns what it had
        return nbs

    pulled: dict[str, dict[str, Table]] = {}
    context = _stored_context(manifest, ident)
    if context is None:  # first pass: every tile's neighbourhoods, and the run context measured on all of them
        p = prog.get("pull")
        parts = []
        for k, t in enumerate(tiles):
            check_cancel(cancel)
            pulled[t.name] = pull(t, k)
            parts.append(measure_part(xr[t.rows], pulled[t.name], cfg))
            if p:
                p(f"pulled {t.name}", (k + 1) / len(tiles))
        if calibrate is None and cfg.false_rate is not None and cfg.p_any_calibration is None:
            calibrate = calibration_hook(provider, bundle.source, bundle.counterpart, resolved.selection_priors,
                                         progress=prog.get("calibration"), cancel=cancel)
        context = measure(xr, parts, cfg, identity=ident, calibrate=calibrate,
                          neighbourhoods=_joined(pulled, cfg.surveys) if calibrate is not None else None)
        manifest["context"] = context.to_dict()
        _write_manifest(mpath, manifest)
    elif prog.get("pull"):
        prog["pull"]("pulled before", 1.0)
    tile_cfg = context.configure(cfg)
    computed = []
    pt = prog.get("tiles")
    if pt:
        pt(f"{len(finished_before)} finished before", len(finished_before) / len(tiles))
    stages = {s: prog[s] for s in ("association", "classification") if s in prog}
    for k, t in enumerate(tiles):
        if t.name in manifest["finished"]:
            pulled.pop(t.name, None)
            continue
        check_cancel(cancel)
        nbs = pulled.pop(t.name, None)
        if nbs is None:
            nbs = pull(t, k)
        res = run_pipeline(xr[t.rows], PulledProvider(nbs), bundle.source, ctpt_model=bundle.counterpart, config=tile_cfg,
                           selection_priors=resolved.selection_priors, field_priors=resolved.field_priors[t.rows],
                           cuts=bundle.cuts, pass_rates=bundle.pass_rates, progress=stages, cancel=cancel,
                           min_purity=resolved.min_purity)
        for part, table in zip(TILE_PARTS, (res.catalogue, res.association.combinations,
                                            neighbours_table(res.neighbourhoods))):
            _write_tile_table(table, d / f"{t.name}.{part}.parquet")
        read[t.name] = _read_tile(d, t)
        manifest["finished"].append(t.name)
        manifest["computed"] += 1
        _write_manifest(mpath, manifest)
        computed.append(t.name)
        if pt:
            pt(f"tile {t.name}", len(manifest["finished"]) / len(tiles))
    tables = _merge(read, tiles, xr, cfg.surveys)
    tables["catalogue"].meta.update(context.header())  # PANYCUT, FARATE... of the run's calibration
    tables["catalogue"].meta.update(purity_figures(resolved, tables["catalogue"]))
    if known:
        match_known(tables["catalogue"], known)
        describe_table(tables["catalogue"], CATALOGUE)
    a = TiledAnalysis(None, resolved, bundle, source, tuple(known), context=context, tables=tables,
                      input_meta=dict(xr.meta))
    tables["catalogue"].meta.update(a.provenance())
    warn_no_coverage(tables["catalogue"]["coverage"], stacklevel=3)
    return TiledRun(a, tuple(names), finished_before, tuple(computed), d)


def _jsonable(x):
    return json.loads(json.dumps(x, sort_keys=True, default=str))


def _joined(pulled: Mapping[str, Mapping[str, Table]], surveys: Sequence[str]) -> dict[str, Table]:
    """The tiles' neighbourhoods as one table per survey (for a calibration hook)."""
    out = {}
    for s in surveys:
        parts = [nbs[s] for nbs in pulled.values() if s in nbs]
        if parts:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # metadata conflicts between tiles' tables
                out[s] = vstack(parts, join_type="outer", metadata_conflicts="silent")
    return out


def _check_tiles_dir(d: Path) -> None:
    """``OUT/.tiles`` must be xrbvo's own directory: a link or a file there is one line, never followed or removed."""
    if d.is_symlink():
        raise InputError(f"{d} is a symbolic link, not the run's own tiles directory; remove it (rm {d}) and run "
                         "again")
    if d.exists() and not d.is_dir():
        raise InputError(f"{d} is a file, not the run's tiles directory; remove or rename it and run again")


def _stored_context(manifest: Mapping, ident: Mapping) -> RunContext | None:
    """The manifest's run context when it is whole and belongs to this run (else None: measured again)."""
    raw = manifest.get("context")
    if raw is None:
        return None
    try:
        ctx = RunContext.from_dict(raw)
    except InputError:
        return None
    return ctx if not differences(ctx.identity(), ident) else None


def _say_restart(d: Path, manifest: Mapping | None, ident: Mapping, tile_deg: float, options: Mapping) -> None:
    """One line when the tiles of an earlier run are removed: how many were finished, and what differs."""
    if not d.is_dir() or not any(d.iterdir()):
        return
    if manifest is None:
        warnings.warn(f"{d}: the tiles of an earlier run have no readable manifest; they are removed and the run "
                      "starts afresh", XrbvoWarning, stacklevel=3)
        return
    what = differences(manifest.get("identity") or {}, ident)
    if manifest.get("tile_deg") != tile_deg:
        what.append("tile size")
    if manifest.get("options") != _jsonable(options):
        what.append("options")
    if not what:
        what = ["tiling"]
    n = len(manifest.get("finished") or [])
    warnings.warn(f"{d}: an earlier run with another {', '.join(what)} left {n} finished tile"
                  f"{'' if n == 1 else 's'} of {len(manifest.get('tiles') or [])}; they are removed and this run "
                  "starts afresh", XrbvoWarning, stacklevel=3)
