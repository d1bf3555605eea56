"""On-demand scoring for ``xrbvo explore``: the workflow behind the UI (:mod:`xrbvo.tui.explore`).

:class:`LiveScorer` scores one source, a few, or every source of a loaded
X-ray list through :func:`xrbvo.workflows.analyse` (the workflow of ``xrbvo
run``), pulling neighbourhoods from a provider (the TAP provider of ``run
--provider tap``, with its disk cache) only when they are asked for.  Results
are kept per source id (:meth:`LiveScorer.result`), so a source scored once is
shown again without any request; :meth:`LiveScorer.prefetch_ids` names the next
unscored sources of the shown order; :meth:`LiveScorer.save` /
:meth:`LiveScorer.resume` keep the results in a session catalogue next to the
input (``INPUT.explore.fits`` and its ``_counterparts`` and ``_neighbours``
companions), written atomically.

Equal to ``xrbvo run``
----------------------
Scoring a few sources alone gives the numbers a run on the whole list gives,
because the two things a source's result takes from the *other* sources are
resolved once for the whole list and handed to each source:

* **field priors**: the science policy's population-model priors for a blind
  survey (:func:`xrbvo.workflows.policy.resolve_policy`, called once on the
  whole list and kept: each workflow call gets the resolved policy with its
  sources' rows, ``analyse(resolved=)``, so the population model is not
  integrated again per source and the outputs' policy header is the list's);
* **the run context** (:mod:`xrbvo.workflows.context`): the association's
  survey densities (the default ``density="global"`` divides, per survey, the
  unique candidates within the search radius of *any* source by the area of
  the union of all search cones, so a source's ``p_any`` and ``p_i`` depend on
  the whole list's neighbourhoods), the learnt magnitude priors and the
  class-aware counterparts' object density.  It is measured once
  (:meth:`LiveScorer.context`: one pull of the whole list, in upload-join
  chunks, cached on disk, then :func:`~xrbvo.workflows.context.measure`, the
  builder every path uses) and handed to each source's workflow call
  (``analyse(context=)``).

The session (:meth:`LiveScorer.save`) keeps the run context next to the
session catalogue (``INPUT.explore.context.json``); :meth:`LiveScorer.resume`
compares its identity (search radius, surveys, the list's content, model,
counterpart model, resolved policy, the provider) with the current one and
refuses in one line, naming what differs, when anything does: a source moved
in the list, another ``--radius`` or model never shows stale results.

Everything else (the class-aware counterparts, the classifiers, the cuts,
the shift to the field priors, the expected purity) is per source.

A typed position is scored as a one-row X-ray table with
:data:`DEFAULT_POS_ERR_ARCSEC`; it is no source of the list, so its numbers
have no ``run`` counterpart (it uses the list's densities when they are known).
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
from astropy.table import Table, vstack

from xrbvo.core.errors import InputError, XrbvoError
from xrbvo.io import read_table, write_table
from xrbvo.io.companions import companion_paths
from xrbvo.pipeline import PipelineConfig
from xrbvo.stages.neighbourhoods.base import Provider, PulledProvider
from xrbvo.vo import sesame
from xrbvo.vo.sesame import SESAME_TIMEOUT_S, SESAME_URL
from xrbvo.workflows.analyse import analyse, pipeline_config, prepare_xray
from xrbvo.workflows.bundle import ModelBundle
from xrbvo.workflows.context import RunContext, calibration_hook, differences, identity_of, measure, measure_part
from xrbvo.workflows.policy import ResolvedPolicy, SciencePolicy, resolve_policy

__all__ = ["DEFAULT_POS_ERR_ARCSEC", "SESAME_TIMEOUT_S", "Position", "parse_position", "resolve_name",
           "ListContext", "LiveResult", "LiveScorer", "open_session", "session_path", "session_context_path",
           "nearest_sources", "failure_kind"]

#: 1-sigma positional error per coordinate (arcsec) given to a typed position: about eRASS1's median.
DEFAULT_POS_ERR_ARCSEC = 3.0
#: The session catalogue's suffix (``INPUT.explore.fits``).
SESSION_SUFFIX = ".explore.fits"
#: Format of the session's context file (``INPUT.explore.context.json``).
SESSION_FORMAT = "xrbvo-explore-session/1"

Progress = Callable[[str, float], None]


# ---------------------------------------------------------------------------------------------
# positions


@dataclass(frozen=True)
class Position:
    """What a typed position means: a source of the list (``xid``), or a sky position.

    Parameters
    ----------
    ra_deg : float
        Right ascension (ICRS), degrees.
    dec_deg : float
        Declination (ICRS), degrees.
    xid : str, optional
        The list's source id when the text named one.
    label : str, optional
        How to call it (the text, normalised).
    """

    ra_deg: float
    dec_deg: float
    xid: str | None = None
    """The list's source id when the text named one."""
    label: str = ""
    """How to call it (the text, normalised)."""


_FLOAT = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def parse_position(text: str, ids: Sequence[str] | np.ndarray | None = None, *,
                   coords: Callable[[str], tuple[float, float]] | None = None) -> Position | str:
    """Read a typed position.

    Accepted: ``RA Dec`` in degrees (``266.4 -29.0``), sexagesimal
    (``17:45:40.0 -29:00:28`` or ``17h45m40s -29d00m28s``), Galactic
    ``gal l b`` in degrees, or a source id of the list (exact, else the one id
    that contains the text).  Anything else is returned as a plain string: an
    object name for :func:`resolve_name`.  ``coords(xid) -> (ra, dec)`` gives
    the position of a list source.

    Parameters
    ----------
    text : str
        The text.
    ids : Sequence[str] | numpy.ndarray, optional
        The list's source ids, so a typed id is recognised as a source.
    coords : Callable[[str], tuple[float, float]], optional
        Parses coordinates text into (RA, Dec) in degrees; default the decimal and sexagesimal forms.

    Returns
    -------
    Position | str
        The position, or the id of a listed source.

    Raises
    ------
    InputError
        For numbers out of range or text that looks like coordinates but does
        not parse, and for a text that several ids of the list contain.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    s = " ".join(str(text).replace(",", " ").split())
    if not s:
        raise InputError("no position given: type RA Dec (degrees or sexagesimal), gal l b, or a name")
    m = re.fullmatch(rf"gal(?:actic)?\s+({_FLOAT})\s+({_FLOAT})", s, re.I)
    if m:
        l, b = float(m.group(1)), float(m.group(2))
        if not -90 <= b <= 90:
            raise InputError(f"{s!r}: Galactic latitude must be between -90 and 90 degrees")
        c = SkyCoord(l=l * u.deg, b=b * u.deg, frame="galactic").icrs
        return Position(float(c.ra.deg), float(c.dec.deg), label=f"l={l:g} b={b:g}")
    m = re.fullmatch(rf"({_FLOAT})\s+({_FLOAT})", s)
    if m:
        ra, dec = float(m.group(1)), float(m.group(2))
        if not (0 <= ra < 360 or ra == 360) or not -90 <= dec <= 90:
            raise InputError(f"{s!r}: RA must be in [0, 360] and Dec in [-90, 90] degrees")
        return Position(ra % 360.0, dec, label=f"{ra:g} {dec:+g}")
    if re.fullmatch(r"[0-9:hHmMsS.\s+-]+[dD°]?[0-9:mMsS'\".\s]*", s) and re.search(r"\d[:hH]", s):
        from xrbvo.core.positions import parse_angle

        parts = s.split()
        # Dec starts at its sign, else the fields split in halves (17 45 40 29 00 28; 17h45m40s 29d00m28s)
        cut = next((i for i, p in enumerate(parts) if i and p[0] in "+-"), len(parts) // 2)
        if not 0 < cut < len(parts):
            raise InputError(f"{s!r}: not a sexagesimal position; write e.g. 17:45:40.0 -29:00:28")
        try:
            ra, dec = parse_angle(" ".join(parts[:cut]), "ra"), parse_angle(" ".join(parts[cut:]), "dec")
        except InputError as exc:
            raise InputError(f"{s!r}: {exc}") from None
        c = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs")
        return Position(ra, dec, label=c.to_string("hmsdms", sep=":", precision=1))
    if ids is not None and len(ids) and coords is not None:
        arr = np.asarray(ids).astype(str)
        low = np.char.lower(arr)
        hit = np.flatnonzero(low == s.lower())
        if not len(hit):
            hit = np.flatnonzero(np.char.find(low, s.lower()) >= 0)
            if len(hit) > 1:
                raise InputError(f"{s!r} is in {len(hit)} source ids of the list (e.g. {arr[hit[0]]}, "
                                 f"{arr[hit[1]]}); type more of the id")
        if len(hit) == 1:
            xid = str(arr[hit[0]])
            ra, dec = coords(xid)
            return Position(ra, dec, xid=xid, label=xid)
    return s


def resolve_name(name: str, *, timeout_s: float = SESAME_TIMEOUT_S, url: str = SESAME_URL) -> Position:
    """An object name resolved by CDS Sesame (:func:`xrbvo.vo.sesame.resolve`: one attempt, ``timeout_s``, no
    retries).

    Parameters
    ----------
    name : str
        The object's name.
    timeout_s : float, optional
        Time limit, seconds.
    url : str, optional
        The Sesame service's URL.

    Returns
    -------
    Position
        Its position, labelled with the name.

    Raises
    ------
    ServiceError
        Offline, Sesame unreachable or slow (one line saying so), or the name unknown.
    """
    ra, dec = sesame.resolve(name, timeout_s=timeout_s, url=url)
    return Position(ra, dec, label=name)


def nearest_sources(ra_deg: float, dec_deg: float, xray: Table, n: int = 5) -> list[tuple[str, float]]:
    """The ``n`` sources of ``xray`` nearest a position: (xid, separation in arcsec), nearest first.

    Parameters
    ----------
    ra_deg : float
        Right ascension (ICRS), degrees.
    dec_deg : float
        Declination (ICRS), degrees.
    xray : astropy.table.Table
        The X-ray sources in the XRAY schema (:func:`xrbvo.io.standardise_xray`).
    n : int, optional
        Number of sources returned.

    Returns
    -------
    list[tuple[str, float]]
        The ``n`` sources of ``xray`` nearest a position: (xid, separation in arcsec), nearest first.
    """
    if xray is None or len(xray) == 0:
        return []
    ra = np.radians(np.asarray(xray["ra"], float))
    dec = np.radians(np.asarray(xray["dec"], float))
    r0, d0 = math.radians(ra_deg), math.radians(dec_deg)
    h = np.sin((dec - d0) / 2) ** 2 + math.cos(d0) * np.cos(dec) * np.sin((ra - r0) / 2) ** 2
    sep = np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))) * 3600.0
    idx = np.argsort(sep, kind="stable")[:n]
    xid = np.asarray(xray["xid"]).astype(str)
    return [(str(xid[i]), float(sep[i])) for i in idx]


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class LiveResult:
    """One scored source: its catalogue row, counterpart combinations and neighbours, as ``run`` writes them.

    Parameters
    ----------
    xid : str
        The source's identifier.
    catalogue : astropy.table.Table
        One row of the catalogue (``xrbvo run``'s columns).
    counterparts : astropy.table.Table
        Its candidate combinations (the ``_counterparts`` table's rows).
    neighbours : astropy.table.Table
        Its neighbours, every survey (the ``_neighbours`` table's rows).
    position : bool, optional
        True for a typed position (no source of the list).
    """

    xid: str
    catalogue: Table
    """One row of the catalogue (``xrbvo run``'s columns)."""
    counterparts: Table
    """Its candidate combinations (the ``_counterparts`` table's rows)."""
    neighbours: Table
    """Its neighbours, every survey (the ``_neighbours`` table's rows)."""
    position: bool = False
    """True for a typed position (no source of the list)."""


@dataclass(frozen=True)
class ListContext:
    """What a source's result takes from the whole list (see the module docstring).

    Parameters
    ----------
    field_priors : numpy.ndarray
        (n, n_classes) field priors of every source of the list, columns ``bundle.classes``.
    run : RunContext or None
        The list's run context (None until the list's neighbourhoods were pulled once); the
        densities and the object density are read from it (the properties :attr:`densities` and
        :attr:`object_density`), the p_any calibration is its ``p_any_calibration``.
    """

    field_priors: np.ndarray
    """(n, n_classes) field priors of every source of the list, columns ``bundle.classes``."""
    run: RunContext | None
    """The list's run context (None until the list's neighbourhoods were pulled once)."""

    @property
    def densities(self) -> dict[str, tuple[int, float]] | None:
        """Survey -> (unique candidates within the radius of any source, union area of the cones, arcsec^2)."""
        return dict(self.run.global_counts) if self.run is not None else None

    @property
    def object_density(self) -> float | None:
        """Objects per arcsec^2 of the class-aware counterparts over the whole list."""
        return self.run.object_density_arcsec2 if self.run is not None else None


def _rows_of(table: Table, xids: Iterable[str]) -> Table:
    if len(table) == 0:
        return table[:0]
    want = np.asarray(sorted(set(xids)))
    col = np.asarray(table["xid"]).astype(str)
    return table[np.isin(col, want)]


def session_context_path(session: str | Path) -> Path:
    """The session's context file: ``INPUT.explore.context.json`` beside ``INPUT.explore.fits``.

    Parameters
    ----------
    session : str or Path
        The session catalogue (``INPUT.explore.fits``).

    Returns
    -------
    Path
        ``INPUT.explore.context.json`` in the session catalogue's directory.
    """
    p = Path(session)
    stem = p.name[: -len(".fits")] if p.name.endswith(".fits") else p.stem
    return p.with_name(f"{stem}.context.json")


def session_path(source: str | Path) -> Path:
    """The session catalogue of an input list: ``INPUT.explore.fits`` next to it.

    Parameters
    ----------
    source : str or Path
        The X-ray list's file.

    Returns
    -------
    Path
        The session catalogue of an input list: ``INPUT.explore.fits`` next to it.
    """
    p = Path(source)
    name = p.name
    for suffix in (".fits.gz", ".fits", ".fit", ".vot", ".xml", ".ecsv", ".csv", ".parquet"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return p.with_name(name + SESSION_SUFFIX)


def open_session(sources: str | Path | None, bundle: ModelBundle, provider: Provider, *, table: Table | None = None,
                 source: str | None = None, radius_arcsec: float = 20.0) -> tuple[LiveScorer, Path | None]:
    """An explore session on an X-ray list: its scorer with ``run``'s options, and the results made earlier.

    The scorer takes :func:`~xrbvo.workflows.analyse.pipeline_config` of the bundle at ``radius_arcsec``
    (``explore --radius``, as ``run --radius``).  A list that is itself a catalogue with results (``P_max``)
    shows them when they were made with this model (otherwise it is scored afresh); then the session catalogue
    next to the list (:func:`session_path`) is resumed (:meth:`LiveScorer.resume`: refused in one line when it
    was made with another run context).

    Parameters
    ----------
    sources : str, Path or None
        The X-ray list's file (None: positions only, or ``table`` from elsewhere).
    bundle : ModelBundle
        The model.
    provider : Provider
        Where neighbourhoods come from (:class:`xrbvo.workflows.providers.TapProvider`).
    table : Table, optional
        The sources already read and selected (default: ``sources`` read as it is).
    source : str, optional
        Where ``table`` came from, in the outputs (default: ``sources``).
    radius_arcsec : float, optional
        The counterpart search radius (part of the session's run context).

    Returns
    -------
    tuple[LiveScorer, Path | None]
        The scorer, and the session catalogue (None without ``sources``).

    Raises
    ------
    InputError
        A session made with another run context, or a damaged one.
    """
    if table is None:
        table = read_table(sources) if sources is not None else None
    src = str(source or sources) if (source or sources) is not None else "positions"
    config = pipeline_config(bundle, radius_arcsec=float(radius_arcsec))
    config.validate()
    scorer = LiveScorer(table, bundle, provider, source=src, config=config)
    session = session_path(sources) if sources is not None else None
    path = Path(sources) if sources is not None else None
    if table is not None and "P_max" in table.colnames:
        try:
            scorer.resume(path)  # a catalogue with results: shown as they are
        except XrbvoError:
            pass  # made with another model: scored afresh
    if session is not None:
        scorer.resume(session)
    return scorer, session


class LiveScorer:
    """Score sources of an X-ray list on demand, with ``run``'s workflow and numbers.

    Parameters
    ----------
    xray : Table or None
        The X-ray list as read (anything :func:`~xrbvo.workflows.analyse.prepare_xray`
        takes); None or empty: positions only.
    bundle : ModelBundle
    provider : Provider
        Where neighbourhoods come from (:class:`~xrbvo.stages.neighbourhoods.tap.TapProvider`).
    policy : SciencePolicy, optional
        Default ``SciencePolicy()``, as ``run``.
    config : PipelineConfig, optional
        Default :func:`~xrbvo.workflows.analyse.pipeline_config` of the bundle, as ``run``.
    context : RunContext, optional
        The list's run context measured earlier (:attr:`ListContext.run`); it must be this list's.
    source : str
        Where the list came from (recorded in the outputs).
    xray_survey : str, optional
        The X-ray survey of the input (e.g. ``erass1``), when known.

    Notes
    -----
    Thread-safe: the UI scores from worker threads; one lock guards the
    caches, another makes the list's one-time pull happen once.
    """

    def __init__(self, xray: Table | None, bundle: ModelBundle, provider: Provider, *,
                 policy: SciencePolicy | None = None, config: PipelineConfig | None = None,
                 context: RunContext | None = None, xray_survey: str = "erass1",
                 source: str = "table"):
        self.bundle = bundle
        self.provider = provider
        self.policy = policy or SciencePolicy()
        self.config = config or pipeline_config(bundle)
        self.config.validate()
        self.xray_survey = xray_survey
        self.source = source
        if xray is not None and len(xray):
            self.xray = prepare_xray(xray, xray_survey, source=source)
        else:
            self.xray = None
        self.xids = np.asarray(self.xray["xid"]).astype(str) if self.xray is not None else np.zeros(0, str)
        self._index = {x: i for i, x in enumerate(self.xids)}
        self._lock = threading.RLock()
        self._context_lock = threading.Lock()
        self._results: dict[str, LiveResult] = {}
        self._positions: OrderedDict[tuple[float, float], LiveResult] = OrderedDict()
        self._nbs: dict[str, Table] | None = None  # the whole list's neighbourhoods, once pulled
        self._resolved: ResolvedPolicy | None = None  # the policy resolved for the whole list
        self._run: RunContext | None = None  # the list's run context, once measured (or resumed)
        self._identity: dict | None = None
        if context is not None:
            self._adopt(context)

    # -- the list's context ----------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.xids)

    def row_of(self, xid: str) -> int | None:
        """Row of a source id in the list, or None."""
        return self._index.get(str(xid))

    def coords(self, xid: str) -> tuple[float, float]:
        i = self._index[str(xid)]
        return float(self.xray["ra"][i]), float(self.xray["dec"][i])

    def _policy(self) -> ResolvedPolicy:
        """The science policy resolved once for the whole list (as ``run`` resolves it), kept."""
        with self._lock:
            if self._resolved is None:
                from astropy import units as u
                from astropy.coordinates import SkyCoord

                xr = self.xray
                g = SkyCoord(ra=np.asarray(xr["ra"], float) * u.deg,
                             dec=np.asarray(xr["dec"], float) * u.deg).galactic
                self._resolved = resolve_policy(self.policy, self.bundle, l_deg=g.l.deg, b_deg=g.b.deg,
                                                soft_flux=xr["flux_soft"], meta=dict(xr.meta),
                                                xray_survey=xr.meta.get("xray_survey", self.xray_survey))
            return self._resolved

    @property
    def densities(self) -> dict[str, tuple[int, float]] | None:
        """The list's association densities, when known."""
        run = self._run
        return dict(run.global_counts) if run is not None and run.global_counts else None

    @property
    def run_context(self) -> RunContext | None:
        """The list's run context, when measured (or resumed)."""
        return self._run

    @property
    def context_ready(self) -> bool:
        """True when scoring needs no pull of the whole list (its run context known)."""
        return self._run is not None or self.xray is None

    def identity(self) -> dict:
        """The identity of this session's run context (:func:`~xrbvo.workflows.context.identity_of`), kept."""
        with self._lock:
            if self._identity is None:
                self._identity = identity_of(self.xray, self.config, bundle=self.bundle, resolved=self._policy(),
                                             provider=self.provider, xray_survey=self.xray_survey)
            return self._identity

    def _adopt(self, run: RunContext) -> None:
        """Use a run context measured earlier, after checking it is this list's (one line when not)."""
        if self.xray is None:
            return
        what = differences(run.identity(), self.identity())
        if what:
            raise InputError(f"the run context given was measured with another {', '.join(what)}")
        with self._lock:
            self._run = run

    def context(self, *, progress: Progress | None = None, cancel: threading.Event | None = None) -> ListContext:
        """The list's field priors and run context; the first call pulls the whole list's neighbourhoods once.

        Raises
        ------
        XrbvoError
            From the provider (e.g. the TAP service down); nothing is kept, a later call tries again.
        """
        if self.xray is None:
            raise InputError("no X-ray list loaded: only typed positions can be scored")
        with self._context_lock:
            pri = np.asarray(self._policy().field_priors, float)
            if not self.context_ready:
                cfg = self.config
                nbs = self.provider.neighbourhoods(self.xray, cfg.pull_radius_arcsec, cfg.surveys,
                                                   progress=progress, cancel=cancel)
                if cancel is not None and cancel.is_set():
                    from xrbvo.core.errors import Cancelled

                    raise Cancelled("the pull of the list's neighbourhoods was cancelled")
                hook = None
                if cfg.false_rate is not None and cfg.p_any_calibration is None:
                    # the list's p_any cut, measured once over all its sources as `run` measures it
                    hook = calibration_hook(self.provider, self.bundle.source, self.bundle.counterpart,
                                            self._policy().selection_priors, cancel=cancel)
                run = measure(self.xray, [measure_part(self.xray, nbs, cfg)], cfg, identity=self.identity(),
                              neighbourhoods=nbs, calibrate=hook)
                with self._lock:
                    self._nbs = nbs
                    self._run = run
        return ListContext(pri, self._run)

    # -- results ---------------------------------------------------------------------------------
    def result(self, xid: str) -> LiveResult | None:
        """The cached result of a source (None: not scored yet)."""
        with self._lock:
            return self._results.get(str(xid))

    @property
    def scored(self) -> int:
        with self._lock:
            return len(self._results)

    def prefetch_ids(self, shown: Sequence[str], current: str | None, n: int = 3) -> list[str]:
        """The next ``n`` unscored sources after ``current`` in the shown order."""
        shown = [str(x) for x in shown]
        start = shown.index(str(current)) + 1 if current is not None and str(current) in shown else 0
        out = []
        with self._lock:
            for x in shown[start:]:
                if x not in self._results and x in self._index:
                    out.append(x)
                    if len(out) >= n:
                        break
        return out

    def score(self, xids: Sequence[str], *, progress: Progress | None = None,
              cancel: threading.Event | None = None) -> dict[str, LiveResult]:
        """Score sources of the list (cached ones are returned as they are, without any request).

        Raises
        ------
        InputError
            For an id not in the list.
        XrbvoError
            From the provider or the workflow; results already cached stay.
        """
        xids = [str(x) for x in dict.fromkeys(str(x) for x in xids)]
        unknown = [x for x in xids if x not in self._index]
        if unknown:
            raise InputError(f"{unknown[0]!r} is not a source of the loaded list")
        with self._lock:
            out = {x: self._results[x] for x in xids if x in self._results}
        todo = [x for x in xids if x not in out]
        if not todo:
            return out
        ctx = self.context(progress=progress, cancel=cancel)
        idx = np.array(sorted(self._index[x] for x in todo))
        sub = self.xray[idx]
        with self._lock:
            nbs_all = self._nbs
        if nbs_all is not None:
            nbs = {s: _rows_of(t, todo) for s, t in nbs_all.items()}
            for s, t in nbs.items():
                t.meta.update(nbs_all[s].meta)
            provider: Provider = PulledProvider(nbs)
        else:
            provider = self.provider
        pol = self._policy()
        a = analyse(sub, provider, self.bundle, self.policy, config=self.config, context=ctx.run,
                    xray_survey=self.xray_survey, source=self.source,
                    resolved=replace(pol, field_priors=pol.field_priors[idx]), progress=progress, cancel=cancel)
        res = self._split(a, position=False)
        with self._lock:
            self._results.update(res)
            out.update(res)
        return out

    def score_position(self, ra_deg: float, dec_deg: float, *, progress: Progress | None = None,
                       cancel: threading.Event | None = None) -> LiveResult:
        """Score a typed position as a one-row X-ray table (:data:`DEFAULT_POS_ERR_ARCSEC`)."""
        key = (round(float(ra_deg), 7), round(float(dec_deg), 7))
        with self._lock:
            got = self._positions.get(key)
        if got is not None:
            return got
        from astropy import units as u
        from astropy.coordinates import SkyCoord

        c = SkyCoord(ra=ra_deg * u.deg, dec=dec_deg * u.deg)
        name = "POS J" + c.to_string("hmsdms", sep="", precision=1).replace(" ", "")
        one = Table({"xid": [name], "ra": [float(ra_deg)], "dec": [float(dec_deg)],
                     "pos_err": [DEFAULT_POS_ERR_ARCSEC], "flux_soft": [np.nan]})
        one.meta["SAMPLE"] = "survey"
        import warnings

        from xrbvo.core.errors import XrbvoWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", XrbvoWarning)  # no flux, no neighbour: said in the pane
            a = analyse(one, self.provider, self.bundle, self.policy, config=self.config, context=self._run,
                        xray_survey=self.xray_survey, source=f"position {ra_deg:.6f} {dec_deg:+.6f}",
                        progress=progress, cancel=cancel)
        res = self._split(a, position=True)[name]
        with self._lock:
            self._positions[key] = res
            while len(self._positions) > 64:
                self._positions.popitem(last=False)
        return res

    @staticmethod
    def _split(a, *, position: bool) -> dict[str, LiveResult]:
        cat, cp, nb = a.catalogue, a.counterparts, a.neighbours
        out = {}
        cat_x = np.asarray(cat["xid"]).astype(str)
        cp_x = np.asarray(cp["xid"]).astype(str) if len(cp) else np.zeros(0, str)
        nb_x = np.asarray(nb["xid"]).astype(str) if len(nb) else np.zeros(0, str)
        for i, x in enumerate(cat_x):
            out[x] = LiveResult(x, cat[i:i + 1], cp[cp_x == x], nb[nb_x == x], position)
        return out

    # -- the session catalogue -------------------------------------------------------------------
    def save(self, path: str | Path) -> Path | None:
        """Write every scored source (list order) to ``path``, its two companions and its context file
        (:func:`session_context_path`), atomically.

        Returns the path, or None when nothing is scored yet.
        """
        with self._lock:
            res = sorted(self._results.values(), key=lambda r: self._index.get(r.xid, 0))
        if not res:
            return None
        p = Path(path)
        stem = p.name[: -len(".fits")] if p.name.endswith(".fits") else p.stem
        cat = vstack([r.catalogue for r in res], join_type="exact", metadata_conflicts="silent")
        cat.meta.update(res[0].catalogue.meta)
        cat.meta["XPLORE_N"] = len(self.xids)
        cat.meta["XPLORE_S"] = self.bundle.describe()["MODELSHA"]
        cps = [r.counterparts for r in res if len(r.counterparts)]
        nbs = [r.neighbours for r in res if len(r.neighbours)]
        self._save_context(p)  # first: a session catalogue is never newer than its context
        if cps:
            write_table(vstack(cps, join_type="exact", metadata_conflicts="silent"),
                        p.with_name(f"{stem}_counterparts.fits"))
        if nbs:
            write_table(vstack(nbs, join_type="exact", metadata_conflicts="silent"),
                        p.with_name(f"{stem}_neighbours.fits"))
        return write_table(cat, p)

    def _save_context(self, session: Path) -> None:
        """The session's context file: its identity, and the run context once measured."""
        import json

        from xrbvo.io import atomic_write_bytes

        if self.xray is None:
            return
        run = self._run
        doc = {"format": SESSION_FORMAT, "identity": self.identity(),
               "context": run.to_dict() if run is not None else None}
        atomic_write_bytes(session_context_path(session), json.dumps(doc, sort_keys=True, allow_nan=False).encode())

    def _session_context(self, session: Path) -> RunContext | None:
        """Check a session's context file against this list (one line naming what differs); its run context.

        No context file (a run's catalogue opened with its results): None, and the rows are checked one by one
        (:meth:`resume`).
        """
        import json

        cpath = session_context_path(session)
        if not cpath.exists() and not cpath.is_symlink():
            return None
        try:
            if cpath.stat().st_size > 64 << 20:
                raise ValueError("too large")
            doc = json.loads(cpath.read_bytes())
            if not isinstance(doc, dict) or doc.get("format") != SESSION_FORMAT or \
                    not isinstance(doc.get("identity"), dict):
                raise ValueError("not a session context")
            run = RunContext.from_dict(doc["context"]) if doc.get("context") is not None else None
        except (OSError, ValueError, UnicodeDecodeError, RecursionError, InputError) as exc:
            raise InputError(f"{cpath}: a damaged session context ({_short(exc)}); remove {session.name} and "
                             f"{cpath.name} to start afresh") from None
        what = differences(doc["identity"], self.identity())
        if not what and run is not None:
            what = differences(run.identity(), self.identity())
        if what:
            raise InputError(f"{session}: a session made with another {', '.join(what)}; remove it and "
                             f"{cpath.name} to start afresh (or open the list it was made for)")
        return run

    def resume(self, path: str | Path) -> int:
        """Load the results of a session catalogue written by :meth:`save` (or a run's catalogue of this list);
        returns how many.

        A session whose run context differs from this one in anything (the list's content, search radius,
        model, counterpart model, policy, provider) is refused with one
        :class:`~xrbvo.core.errors.InputError` naming what differs (start afresh by removing the file), as is a
        damaged or hand-edited session.  A catalogue without a context file (``xrbvo run``'s) must be of this
        model and search radius; only its rows whose position equals the list's are loaded.
        """
        p = Path(path)
        if not p.exists():
            return 0
        cat = read_table(p)
        meta = {str(k).upper(): v for k, v in cat.meta.items()}
        run = self._session_context(p) if self.xray is not None else None
        sha = str(meta.get("XPLORE_S", meta.get("MODELSHA", "")))
        if sha != self.bundle.describe()["MODELSHA"] or _int(meta.get("XPLORE_N", len(self.xids))) != len(self.xids):
            raise InputError(f"{p}: results of another model or list; remove the session file to start afresh")
        radius = meta.get("RADIUS")
        if radius is not None and _float(radius) != float(self.config.radius_arcsec):
            raise InputError(f'{p}: results at another search radius ({radius}" then, '
                             f'{self.config.radius_arcsec:g}" now); give --radius {radius} or remove the file')
        if "P_max" not in cat.colnames or "xid" not in cat.colnames:
            return 0
        comp = companion_paths(p)
        stem = p.name[: -len(".fits")] if p.name.endswith(".fits") else p.stem
        cpp = comp.counterparts or p.with_name(f"{stem}_counterparts.fits")
        nbp = comp.neighbours or p.with_name(f"{stem}_neighbours.fits")
        cp = read_table(cpp, allow_empty=True) if cpp.exists() else None
        nb = read_table(nbp, allow_empty=True) if nbp.exists() else None
        for t, what in ((cp, "counterparts"), (nb, "neighbours")):
            if t is not None and "xid" not in t.colnames:
                raise InputError(f"{p}: its {what} companion has no xid column; remove the session to start afresh")
        same = self._same_position(cat)
        cat_x = np.asarray(cat["xid"]).astype(str)
        cp_x = np.asarray(cp["xid"]).astype(str) if cp is not None and len(cp) else np.zeros(0, str)
        nb_x = np.asarray(nb["xid"]).astype(str) if nb is not None and len(nb) else np.zeros(0, str)
        loaded = {}
        for i, x in enumerate(cat_x):
            if x not in self._index or not same[i]:
                continue
            loaded[x] = LiveResult(x, cat[i:i + 1], cp[cp_x == x] if cp is not None else Table(),
                                   nb[nb_x == x] if nb is not None else Table())
        with self._lock:
            self._results.update(loaded)
            if run is not None and self._run is None:
                self._run = run
        return len(loaded)

    def _same_position(self, cat: Table) -> np.ndarray:
        """Per row of a stored catalogue: its source is in the list at the same position (else it is stale)."""
        out = np.zeros(len(cat), bool)
        if self.xray is None or "ra" not in cat.colnames or "dec" not in cat.colnames:
            return out
        try:
            ra, dec = np.asarray(cat["ra"], float), np.asarray(cat["dec"], float)
        except (TypeError, ValueError):
            return out
        lra, ldec = np.asarray(self.xray["ra"], float), np.asarray(self.xray["dec"], float)
        for i, x in enumerate(np.asarray(cat["xid"]).astype(str)):
            j = self._index.get(x)
            out[i] = j is not None and ra[i] == lra[j] and dec[i] == ldec[j]
        return out


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def _int(v) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return -1


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def as_error(exc: BaseException) -> str:
    """One line for a notification."""
    return str(exc) if isinstance(exc, XrbvoError) else f"{type(exc).__name__}: {exc}"


_URL = re.compile(r"https?://[^\s;,()']+")
#: Words of a service failure's message that say what kind of failure it is, checked in order.
_FAILURE_WORDS = (("does not resolve", "host name does not resolve"), ("unreachable", "unreachable"),
                  ("deadline", "too slow (deadline)"), ("truncated", "result truncated"),
                  ("refused the query", "query refused"), ("not a TAP service", "not a TAP service"))


def failure_kind(exc: BaseException) -> str:
    """What kind of failure ``exc`` is, as a short key: the same for every source and every pull that fails
    the same way (e.g. ``ServiceError: http://...: unreachable``), so that the UI says it once.

    Parameters
    ----------
    exc : BaseException
        The failure of a pull or of a scoring.

    Returns
    -------
    str
        The exception's type, the service's URL (when the message names one) and the kind of failure.
    """
    text = str(exc)
    url = _URL.search(text)
    what = next((label for word, label in _FAILURE_WORDS if word in text), None)
    if what is None:
        what = re.sub(r"\d+", "#", text.split(";")[0])[:80]
    return f"{type(exc).__name__}: {url.group(0).rstrip('.:') + ': ' if url else ''}{what}"
