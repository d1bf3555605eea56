"""NWAY-style Bayesian association (Budavári & Szalay 2008; Salvato et al. 2018).

The maths, in the units used throughout (positions in arcsec on the tangent
plane of the X-ray source, Bayes factors in sr, ``K`` = arcsec^2 per sr):

Positional Bayes factor
    For members with positions ``x_i`` and 2x2 covariances ``S_i`` (circular:
    ``sigma_i**2 * I``; elliptical: from the axes ``a, b`` and the position
    angle east of north; a per-survey systematic floor is added in quadrature)
    the n-way Bayes factor of Budavári & Szalay (2008, eq. 18, generalised to
    full covariances) is built one member at a time: adding member ``k`` to a
    set whose weighted mean is ``m`` with covariance ``P`` multiplies it by the
    two-way factor ``F = 2 K / sqrt(det C) * exp(-d' C^-1 d / 2)``, ``C = P +
    S_k``, ``d = x_k - m`` (then ``P <- P - P C^-1 P``, ``m <- m + P C^-1 d``).
    The product does not depend on the order and equals eq. 18 for circular
    errors.  ``ellipse="nway"`` instead reproduces NWAY's approximation for
    elliptical errors (circularised errors, pairwise separations rescaled by the
    errors along the separation).

Priors (``prior_mode="nway"``, the default)
    A combination holding the surveys ``S`` has prior ``prod_{j in S} c_j /
    (4 pi nu+_j)`` with ``c_j`` the survey's completeness and ``nu+_j = (n_j +
    1) / area`` its density "plus one" (NWAY's definition); the
    no-counterpart combination has prior 1.  Odds are ``B * prior * ratios``,
    ``p_any = 1 - O_none / sum(O)``, ``p_i = O / sum(O over combinations with
    a counterpart)``, ``dist_post`` and ``p_single`` are Budavári & Szalay's
    posterior ``1 / (1 + (1 - prior) / (prior * B))`` without and with the
    magnitude ratios.  ``prior_mode="independent"`` treats the surveys'
    detections as independent: the odds of ``S`` against no counterpart carry
    ``c_j / (1 - c_j)`` per member instead of ``c_j``.

Multi-catalogue correction (``unrelated_correction``, NWAY's default)
    A combination that leaves out two or more surveys has its Bayes factor
    multiplied by ``max(1, max_A B_A nu_{A0} / prod_{a in A} 4 pi nu+_a)`` over
    the tuples ``A`` of two or more candidates from the left-out surveys (the
    chance that those are one unrelated object), as NWAY does.

Densities
    ``catalogue``: ``n / area`` given per survey (what NWAY does with the
    catalogue's length and SKYAREA); ``global``: unique candidates within the
    radius over the area of the union of the search cones (what was actually
    searched); ``local``: candidates counted in an annulus around each source,
    for fields where the density changes on sub-degree scales.

Magnitude priors
    Per (survey, band): a :class:`MagPrior` (ratio of counterpart to field
    densities per bin), a path to an NWAY histogram file (``lo hi selected
    others`` per line), or ``"auto"`` to learn one from candidates within
    ``mag_radius_arcsec`` against the field outside it.  A neighbourhood column
    can also be named as a per-candidate likelihood ratio (``ratio_columns``).

Combinatorics and the pruning bound
    Combinations are grown survey by survey for all sources of a chunk at
    once (numpy, no per-source loop).  A new member whose factor
    ``F * pi_k`` (``pi_k`` its prior odds factor and ratios) falls below
    ``prune_threshold`` ends that branch.  Any later member ``k'`` can
    multiply the odds by at most ``U_k' = 2 K / sqrt(det S_k') * pi_k'``
    (because ``det C >= det S_k'``), so the dropped branch, with all its
    completions, holds at most ``O_dropped * prod_{later surveys l} (1 +
    sum_{k' in l} U_k') * exp(max correction)``.  The sum of these bounds over a
    source, divided by the source's retained odds, is reported as
    ``pruned_mass``: ``p_any`` and ``p_any * p_i`` of every kept combination
    differ from the unpruned values by at most ``pruned_mass``.  With
    ``prune_threshold=0`` (or ``ellipse="nway"``, whose approximation the bound
    does not cover) nothing is pruned.  The same bound covers candidates
    removed by ``max_candidates``.  Combinations whose members are not all
    within ``radius`` of each other are not considered (``pairwise_radius``,
    as NWAY does), which is a definition, not an approximation.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import Cancelled, InputError
from xrbvo.core.surveys import SECONDARY_SURVEYS, SURVEYS
from xrbvo.stages.match.base import AssociationInput, AssociationResult, Associator

__all__ = ["MagPrior", "BayesConfig", "BayesianAssociator", "learn_mag_prior", "read_mag_prior",
           "union_area_arcsec2", "ARCSEC2_PER_SR"]

ARCSEC_PER_RAD = 180.0 * 3600.0 / math.pi
ARCSEC2_PER_SR = ARCSEC_PER_RAD**2
LN_2K = math.log(2.0 * ARCSEC2_PER_SR)
DEG2_PER_SR = (180.0 / math.pi) ** 2
_BLOCK = 1 << 17  # candidates per block of per-candidate arithmetic (keeps temporaries in cache)


@dataclass(frozen=True)
class MagPrior:
    """A magnitude prior: ratio of counterpart to field magnitude densities per bin.

    ``edges`` are bin edges (mag), bins are ``[edges[k], edges[k+1])`` with the
    last edge included in the last bin; ``ratio`` has ``len(edges)`` entries:
    one per bin and, last, the value for candidates without a measurement (NaN
    or -99).  Magnitudes outside the edges get ``outside`` or, when it is
    None, the end bins' values.
    """

    edges: np.ndarray
    ratio: np.ndarray
    outside: float | None = None

    def __call__(self, mags: np.ndarray) -> np.ndarray:
        mags = np.asarray(mags, dtype=float)
        mags = np.where(mags == -99, np.nan, mags)
        edges = np.asarray(self.edges, float)
        ratio = np.asarray(self.ratio, float)
        nb = len(edges) - 1
        raw = np.searchsorted(edges, mags, side="right") - 1
        idx = np.clip(raw, 0, nb - 1)
        out = ratio[np.where(np.isfinite(mags), idx, nb)]
        if self.outside is not None:
            beyond = np.isfinite(mags) & ((mags < edges[0]) | (mags > edges[-1]))
            out = np.where(beyond, self.outside, out)
        return out

    @classmethod
    def from_histograms(cls, lo, hi, selected, others) -> "MagPrior":
        """A prior from NWAY-style histograms (bin edges, counterpart and field densities).

        The ratio is ``selected / others`` (100 where ``others`` is empty, as
        NWAY does); values outside the bins and missing values get ratio 1.
        """
        lo, hi = np.atleast_1d(np.asarray(lo, float)), np.atleast_1d(np.asarray(hi, float))
        sel, oth = np.atleast_1d(np.asarray(selected, float)), np.atleast_1d(np.asarray(others, float))
        if not (len(lo) == len(hi) == len(sel) == len(oth)) or len(lo) == 0:
            raise InputError("magnitude histogram needs equally long, non-empty lo, hi, selected, others columns")
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(oth == 0, 100.0, sel / np.where(oth == 0, 1.0, oth))
        edges = np.append(lo, hi[-1])
        if np.any(np.diff(edges) <= 0):
            raise InputError("magnitude histogram bins must be increasing and contiguous")
        return cls(edges, np.append(r, 1.0), outside=1.0)


def read_mag_prior(path: str | os.PathLike) -> MagPrior:
    """Read an NWAY magnitude-histogram file (columns ``lo hi selected others``).

    This is the format ``nway.py --mag TABLE:COL auto`` writes to
    ``TABLE_COL_fit.txt`` and reads back with ``--mag TABLE:COL FILE``.
    """
    try:
        data = np.loadtxt(path, ndmin=2)
    except OSError as exc:
        raise InputError(f"cannot read magnitude prior file {os.fspath(path)!r}: {exc}; "
                         "give an existing text file with columns lo hi selected others") from exc
    except ValueError as exc:
        raise InputError(f"magnitude prior file {os.fspath(path)!r} is not four numeric columns "
                         f"(lo hi selected others): {exc}") from exc
    if data.shape[1] != 4:
        raise InputError(f"magnitude prior file {os.fspath(path)!r} has {data.shape[1]} columns; "
                         "expected 4 (lo hi selected others)")
    return MagPrior.from_histograms(*data.T)


@dataclass(frozen=True)
class BayesConfig:
    """Options of the Bayesian association (see the module docstring for the maths)."""

    completeness: Mapping[str, float] = field(default_factory=lambda: {"gaia": 0.8, "2mass": 0.6, "catwise": 0.8})
    """Per survey: probability that an X-ray source's counterpart is in it (0.8 if absent)."""
    prior_mode: str = "nway"
    """``nway`` (NWAY's priors) or ``independent`` (independent per-survey detection)."""
    density: str = "global"
    """``global`` (union of the search cones), ``local`` (annulus per source) or ``catalogue``."""
    catalogue_density: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """Survey -> (number of sources, area in deg^2) for ``density="catalogue"`` (NWAY's SKYAREA)."""
    local_annulus_arcsec: tuple[float, float] | None = None
    """Annulus (inner, outer) for local densities; outer must not exceed the pull radius.
    Default: (radius, pull radius of the neighbourhood table)."""
    mag_priors: Mapping[tuple[str, str], MagPrior | str] = field(default_factory=dict)
    """(survey, band) -> a :class:`MagPrior`, a path to an NWAY histogram file, or ``"auto"``."""
    mag_radius_arcsec: float = 3.5
    """Radius inside which candidates count as likely counterparts when learning priors."""
    mag_bins: int = 12
    ratio_columns: Mapping[str, str] = field(default_factory=dict)
    """Survey -> neighbourhood column whose values multiply a candidate's odds (a likelihood ratio)."""
    systematic_arcsec: Mapping[str, float] = field(default_factory=dict)
    """Survey (or ``"xray"``) -> systematic error floor (arcsec per axis) added in quadrature."""
    ellipse_columns: tuple[str, str, str] = ("err_maj", "err_min", "err_pa")
    """Columns (1-sigma semi-major, semi-minor axis in arcsec, PA in deg east of north) used when present."""
    ellipse: str = "exact"
    """``exact`` Gaussian Bayes factor for elliptical errors, or ``nway`` (NWAY's approximation)."""
    propagate_proper_motion: bool = True
    """Move candidates with ``pmra``/``pmdec`` to the X-ray epoch when both epochs are known."""
    xray_epoch: float | None = None
    """X-ray epoch (Julian year) when the X-ray table has no ``epoch`` column."""
    pairwise_radius: bool = True
    """Consider only combinations whose members are all within the radius of each other (NWAY)."""
    unrelated_correction: bool = True
    """NWAY's correction for combinations that leave out two or more surveys."""
    prune_threshold: float = 1e-9
    """Drop a branch when a member's odds factor falls below this (0: exhaustive)."""
    max_candidates: int | None = None
    """Candidates kept per survey and source (highest two-way odds first); None keeps all."""
    max_combinations: int = 250_000
    """Combinations grown per chunk (bounds memory)."""
    prob_ratio_secondary: float = 0.5
    """``match_flag`` 2 for combinations with ``p_i`` above this fraction of the best."""
    workers: int | None = 1
    """Threads sharing the candidate blocks and the chunks (numpy releases the GIL in its loops);
    None: one per CPU core.  Results do not depend on it.  Pays only on idle cores: on a
    machine whose cores are busy with other work, threads slow the association down."""


def union_area_arcsec2(ra_deg, dec_deg, radius_arcsec: float, *, samples_per_cone: int = 64,
                       seed: int = 0) -> float:
    """Area of the union of equal cones (arcsec^2), by sampling points in each cone.

    A point sampled in cone i counts only if no cone of lower index contains it,
    so overlaps are counted once.
    """
    from scipy.spatial import cKDTree  # here: importing scipy.spatial costs ~0.5 s and ~27 MB

    from xrbvo.core.geometry import unit_vectors

    n = len(ra_deg)
    if n == 0:
        return 0.0
    rng = np.random.default_rng(seed)
    k = samples_per_cone
    rr = radius_arcsec * np.sqrt(rng.random((n, k)))
    th = rng.uniform(0, 2 * np.pi, (n, k))
    dec = np.asarray(dec_deg, float)[:, None] + rr * np.sin(th) / 3600.0
    ra = np.asarray(ra_deg, float)[:, None] + rr * np.cos(th) / 3600.0 / np.cos(np.radians(dec_deg))[:, None]
    v = unit_vectors(np.asarray(ra_deg, float), np.asarray(dec_deg, float))
    tree = cKDTree(v)
    chord = 2 * np.sin(np.radians(radius_arcsec / 3600.0) / 2)
    pts = unit_vectors(ra.ravel(), dec.ravel())
    owner = np.repeat(np.arange(n), k)
    kq = min(8, n)
    d, j = tree.query(pts, k=kq)
    d = d.reshape(len(pts), kq)
    j = j.reshape(len(pts), kq)
    inside_lower = ((d <= chord) & (j < owner[:, None])).any(axis=1)
    frac = 1.0 - inside_lower.reshape(n, k).mean(axis=1)
    return float(np.sum(math.pi * radius_arcsec**2 * frac))


def learn_mag_prior(mags: np.ndarray, sep_arcsec: np.ndarray, radius_arcsec: float, mag_radius_arcsec: float,
                    n_sources: int, *, bins: int = 12) -> MagPrior:
    """Learn a magnitude prior from candidates near and far from the X-ray sources.

    Candidates within ``mag_radius_arcsec`` hold the counterparts plus field
    sources; the field's share there is the outer candidates' histogram scaled
    by the area ratio.  The ratio of the (field-subtracted) inner density to the
    outer density is the prior; bins are quantiles of all magnitudes.  (NWAY
    takes the field from the whole catalogue; xrbvo only sees neighbourhoods.)
    """
    mags = np.asarray(mags, float)
    sep = np.asarray(sep_arcsec, float)
    if not 0 < mag_radius_arcsec < radius_arcsec:
        raise InputError("mag_radius_arcsec must be positive and smaller than the search radius")
    finite = np.isfinite(mags)
    if finite.sum() < 10:
        return MagPrior(np.array([0.0, 40.0]), np.ones(2))
    edges = np.unique(np.quantile(mags[finite], np.linspace(0, 1, bins + 1)))
    if len(edges) < 3:
        edges = np.array([mags[finite].min() - 0.5, np.median(mags[finite]), mags[finite].max() + 0.5])
    nb = len(edges) - 1

    def hist(sel):
        idx = np.clip(np.searchsorted(edges, mags[sel], side="right") - 1, 0, nb - 1)
        h = np.bincount(idx[np.isfinite(mags[sel])], minlength=nb).astype(float)
        return np.append(h, float(np.sum(~np.isfinite(mags[sel]))))

    inner = sep <= mag_radius_arcsec
    h_in, h_out = hist(inner), hist(~inner)
    area_ratio = mag_radius_arcsec**2 / (radius_arcsec**2 - mag_radius_arcsec**2)
    target = np.clip(h_in - h_out * area_ratio, 0.0, None) + 0.5  # +0.5: avoid empty bins
    fieldh = h_out + 0.5
    ratio = (target / target.sum()) / (fieldh / fieldh.sum())
    return MagPrior(edges, ratio)


# ----------------------------------------------------------------------------------
# geometry helpers


def _sin_cos_small(x):
    """sin(x) and 1 - cos(x) = 2 sin^2(x/2) by their Taylor series, for |x| <= 1e-2 rad.

    The first neglected terms are below 1e-22 relative: as accurate as the
    library functions, at a fraction of their cost.
    """
    x2 = x * x
    sin = x * (1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0)))
    vers = x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0)))
    return sin, vers


_SMALL_RAD = 1e-2


def _tangent_offsets(ra0, dec0, ra, dec, owner=None):
    """Gnomonic offsets (arcsec, east and north) of (ra, dec) about (ra0, dec0), degrees in.

    With ``owner``, ``ra0``/``dec0`` are per-centre arrays and point ``i`` is
    projected about centre ``owner[i]`` (the centres' trigonometry is done once).
    Points within 1e-2 rad of their centre in both coordinates (all candidates
    of a search cone) use the angle-sum identities with series for the small
    differences instead of six trigonometric calls per point.
    """
    a0, d0, a, d = (np.radians(np.asarray(v, float)) for v in (ra0, dec0, ra, dec))
    sd0, cd0 = np.sin(d0), np.cos(d0)
    if owner is not None:
        a0, d0, sd0, cd0 = a0[owner], d0[owner], sd0[owner], cd0[owner]
    a0, d0, sd0, cd0, a, d = np.broadcast_arrays(a0, d0, sd0, cd0, a, d)
    small = (np.abs(a - a0) <= _SMALL_RAD) & (np.abs(d - d0) <= _SMALL_RAD)
    if small.all():
        x, y = _tangent_small(a0, sd0, cd0, d0, a, d)
    elif not small.any():
        x, y = _tangent_direct(a0, sd0, cd0, d0, a, d)
    else:  # rare: far points take the direct formulas
        x, y = np.empty(a.shape), np.empty(a.shape)
        far = ~small
        x[small], y[small] = _tangent_small(*(v[small] for v in (a0, sd0, cd0, d0, a, d)))
        x[far], y[far] = _tangent_direct(*(v[far] for v in (a0, sd0, cd0, d0, a, d)))
    return x * ARCSEC_PER_RAD, y * ARCSEC_PER_RAD


def _tangent_small(a0, sd0, cd0, d0, a, d):
    """Gnomonic offsets (radians) of points close to their centres, without trigonometric calls."""
    s_da, v_da = _sin_cos_small(a - a0)
    s_dd, v_dd = _sin_cos_small(d - d0)
    c_dd = 1.0 - v_dd
    sd = sd0 * c_dd + cd0 * s_dd  # sin(d0 + dd)
    cd = cd0 * c_dd - sd0 * s_dd  # cos(d0 + dd)
    cosc = sd0 * sd + cd0 * cd * (1.0 - v_da)
    return cd * s_da / cosc, (s_dd + sd0 * cd * v_da) / cosc  # y: sin(d - d0) + sin d0 cos d (1 - cos da)


def _tangent_direct(a0, sd0, cd0, d0, a, d):
    """Gnomonic offsets (radians) with the library's trigonometric functions."""
    da = a - a0
    cd = np.cos(d)
    cosc = sd0 * np.sin(d) + cd0 * cd * np.cos(da)
    return cd * np.sin(da) / cosc, (np.sin(d - d0) + sd0 * cd * 2.0 * np.sin(da / 2.0) ** 2) / cosc


def _covariances(table: Table, rows, cols: tuple[str, str, str], floor: float):
    """Per-row covariance (sxx, sxy, syy) in arcsec^2: ellipse columns when present, else pos_err.

    Without ellipse columns ``sxy`` is a read-only broadcast of zeros and ``syy`` is ``sxx``
    (the same array): do not modify them in place.
    """
    sig = np.asarray(table["pos_err"], float)[rows]
    f2 = float(floor) ** 2
    if not all(c in table.colnames for c in cols):
        sxx = sig**2 + f2
        return sxx, _zeros(len(sxx)), sxx
    sxx = sig**2
    syy = sig**2
    a = np.asarray(table[cols[0]], float)[rows]
    b = np.asarray(table[cols[1]], float)[rows]
    pa = np.radians(np.asarray(table[cols[2]], float)[rows])
    ok = np.isfinite(a) & np.isfinite(b) & np.isfinite(pa) & (a > 0) & (b > 0)
    s, c = np.sin(pa), np.cos(pa)
    sxx = np.where(ok, a**2 * s**2 + b**2 * c**2, sxx)
    syy = np.where(ok, a**2 * c**2 + b**2 * s**2, syy)
    sxy = np.where(ok, (a**2 - b**2) * s * c, 0.0)
    return sxx + f2, sxy, syy + f2


def _ordered_map(fn, items, workers, *, cancel=None, on_result=None):
    """``[fn(x) for x in items]`` on up to ``workers`` threads, a few items in flight at a time.

    Results come back in order whatever the threads do, so they do not depend
    on ``workers``.  ``cancel`` (an Event) is checked before each result is
    taken; ``on_result(item)`` runs in the calling thread as results arrive.
    """
    def check():
        if cancel is not None and cancel.is_set():
            raise Cancelled("association cancelled; nothing of it is kept")

    if workers <= 1 or len(items) <= 1:
        out = []
        for x in items:
            check()
            out.append(fn(x))
            if on_result:
                on_result(x)
        return out
    out = []
    with ThreadPoolExecutor(workers) as ex:
        pending = deque()
        todo = iter(items)
        for x in itertools.islice(todo, 2 * workers):
            pending.append((x, ex.submit(fn, x)))
        try:
            while pending:
                check()
                x, fut = pending.popleft()
                out.append(fut.result())
                if on_result:
                    on_result(x)
                for nxt in itertools.islice(todo, 1):
                    pending.append((nxt, ex.submit(fn, nxt)))
        finally:
            for _, fut in pending:
                fut.cancel()
    return out


def _zeros(n):
    """n zeros without memory (a read-only broadcast): for columns that are all zero."""
    return np.broadcast_to(np.float64(0.0), (n,))


def _group_starts(counts):
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _seg_max(values, starts, n):
    """Maximum of consecutive segments (empty segments get -inf)."""
    out = np.full(n, -np.inf)
    lens = np.diff(np.append(starts, len(values)))
    nz = lens > 0
    if nz.any():
        out[nz] = np.maximum.reduceat(values, starts[nz])
    return out


def _seg_sum(values, starts, n):
    out = np.zeros(n)
    lens = np.diff(np.append(starts, len(values)))
    nz = lens > 0
    if nz.any():
        out[nz] = np.add.reduceat(values, starts[nz])
    return out


def _nb_rows(p, choice):
    """Neighbourhood-table rows of survey ``p``'s chosen candidates (-1 for none)."""
    if not len(p["row"]):
        return np.full(len(choice), -1)
    present = choice >= 0
    if present.all():
        return p["row"][choice]
    return np.where(present, p["row"][np.maximum(choice, 0)], -1)


class _Nodes:
    """Partial combinations of a chunk, grouped by source (struct of arrays)."""

    __slots__ = ("src", "pxx", "pxy", "pyy", "mx", "my", "ln_b", "ln_o", "ln_r", "mask", "choice", "nmem")

    def take(self, idx) -> "_Nodes":
        out = _Nodes()
        for k in self.__slots__:
            v = getattr(self, k)
            setattr(out, k, [c[idx] for c in v] if k == "choice" else None if v is None else v[idx])
        return out


class BayesianAssociator(Associator):
    """The Bayesian association engine (see :mod:`xrbvo.stages.match.bayes` for the maths)."""

    def __init__(self, config: BayesConfig | None = None):
        self.config = config or BayesConfig()

    def validate(self, inputs: AssociationInput) -> None:
        super().validate(inputs)
        cfg = self.config
        if cfg.density not in ("global", "local", "catalogue"):
            raise InputError(f"density must be 'global', 'local' or 'catalogue', not {cfg.density!r}")
        if cfg.prior_mode not in ("nway", "independent"):
            raise InputError(f"prior_mode must be 'nway' or 'independent', not {cfg.prior_mode!r}")
        if cfg.ellipse not in ("exact", "nway"):
            raise InputError(f"ellipse must be 'exact' or 'nway', not {cfg.ellipse!r}")
        for s, c in cfg.completeness.items():
            if not 0.0 < c < 1.0:
                raise InputError(f"completeness of {s} must be strictly between 0 and 1, not {c}")
        if cfg.workers is not None and (not isinstance(cfg.workers, int) or cfg.workers < 1):
            raise InputError(f"workers must be a positive integer (or None for one per CPU core), not {cfg.workers!r}")
        if cfg.max_candidates is not None and cfg.max_candidates < 1:
            raise InputError("max_candidates must be at least 1 (or None to keep all)")
        if not cfg.prune_threshold >= 0:
            raise InputError("prune_threshold must be >= 0 (0 disables pruning)")
        if cfg.density == "catalogue":
            missing = [s for s in inputs.neighbourhoods if s not in cfg.catalogue_density]
            if missing:
                raise InputError(f"density='catalogue' needs catalogue_density (n_sources, area_deg2) for "
                                 f"{', '.join(missing)}")
        for s, sysf in cfg.systematic_arcsec.items():
            if not sysf >= 0:
                raise InputError(f"systematic error floor of {s} must be >= 0 arcsec, not {sysf}")
        for name in ("xray",):
            pe = np.asarray(inputs.xray["pos_err"], float)
            if len(pe) and not np.all(np.isfinite(pe) & (pe > 0)):
                raise InputError(f"{name} pos_err must be finite and positive; fix or drop those rows")
        for s, nb in inputs.neighbourhoods.items():
            pe = np.asarray(nb["pos_err"], float)
            if len(pe) and not np.all(np.isfinite(pe) & (pe > 0)):
                raise InputError(f"pos_err of the {s} neighbourhood must be finite and positive")

    def _workers(self) -> int:
        w = self.config.workers
        return max(1, os.cpu_count() or 1) if w is None else w

    # ------------------------------------------------------------------------------
    def perform(self, inputs: AssociationInput, *, progress: Callable[[str, float], None] | None = None,
                cancel: threading.Event | None = None) -> AssociationResult:
        cfg = self.config
        xr = inputs.xray
        n_src = len(xr)
        radius = float(inputs.radius_arcsec)
        surveys = tuple(s for s in SECONDARY_SURVEYS if s in inputs.neighbourhoods) + tuple(
            s for s in inputs.neighbourhoods if s not in SECONDARY_SURVEYS)
        x_ra = np.asarray(xr["ra"], float)
        x_dec = np.asarray(xr["dec"], float)
        xcov = _covariances(xr, slice(None), cfg.ellipse_columns, cfg.systematic_arcsec.get("xray", 0.0))
        if "epoch" in xr.colnames:
            x_epoch = np.asarray(xr["epoch"], float)
        else:
            x_epoch = np.full(n_src, np.nan if cfg.xray_epoch is None else float(cfg.xray_epoch))

        per = [self._survey(s, inputs.neighbourhoods[s], xr, x_ra, x_dec, x_epoch, radius, n_src)
               for s in surveys]
        if progress:
            progress("association: candidates", 0.1)

        # per source: bound on how much later surveys can multiply a branch's odds (log)
        ns = len(per)
        ln_after = np.zeros((ns + 1, n_src))
        for j in range(ns - 1, -1, -1):
            ln_after[j] = ln_after[j + 1] + np.log1p(per[j]["u_sum"])
        cap_mass = np.zeros(n_src)
        for j, p in enumerate(per):
            # candidates removed by max_candidates: two-way odds times what all other surveys can add
            others = ln_after[0] - np.log1p(p["u_sum"])
            cap_mass += p["cap_odds"] * np.exp(np.minimum(others, 700.0))

        # chunks of sources whose (unpruned) growth fits in max_combinations
        growth = np.zeros(n_src)
        prod = np.ones(n_src)
        for p in per:
            prod = prod * (p["counts"] + 1.0)
            growth += prod
        cum = np.cumsum(growth)
        edges = [0]
        while edges[-1] < n_src:
            start = edges[-1]
            base = cum[start - 1] if start else 0.0
            end = int(np.searchsorted(cum, base + cfg.max_combinations, side="right"))
            edges.append(max(end, start + 1))
        if cfg.unrelated_correction and ns >= 2:
            for p in per:  # per source: the largest positional part of ln_u (bounds the correction tree)
                p["max_pos_u"] = _seg_max(p["ln_u"] - p["ln_pi"], p["starts"], len(p["counts"]))

        def done(ab):
            if progress:
                progress("association: combinations", 0.1 + 0.8 * ab[1] / max(n_src, 1))

        parts = _ordered_map(lambda ab: self._chunk(ab[0], ab[1], per, xcov, ln_after, radius, cap_mass),
                             list(zip(edges[:-1], edges[1:])), self._workers(), cancel=cancel, on_result=done)
        res = self._tables(xr, per, parts, n_src)
        if progress:
            progress("association: done", 1.0)
        return res

    # ------------------------------------------------------------------------------
    def _survey(self, s, nb, xr, x_ra, x_dec, x_epoch, radius, n_src):
        """Candidates of one survey, sorted by source, with their covariances and prior odds."""
        cfg = self.config
        pull_radius = float(nb.meta.get("radius_arcsec", radius))
        xids = np.asarray(xr["xid"]).astype(str)
        order = np.argsort(xids, kind="stable")
        sorted_xids = xids[order]
        nb_x = np.asarray(nb["xid"])
        if nb_x.dtype.kind not in "U":
            nb_x = nb_x.astype(str)
        # neighbourhoods usually come grouped by source: match each run of equal ids once
        if len(nb_x):
            run_start = np.concatenate([[True], nb_x[1:] != nb_x[:-1]])
            run_ids = nb_x[run_start]
            pos = np.searchsorted(sorted_xids, run_ids)
            pos_c = np.minimum(pos, max(len(sorted_xids) - 1, 0))
            known = (len(sorted_xids) > 0) & (sorted_xids[pos_c] == run_ids)
            if not np.all(known):
                bad = run_ids[~known][0]
                raise InputError(f"{s} neighbourhood refers to X-ray source {bad!r}, which is not in the "
                                 "X-ray table")
            src_all = order[pos_c][np.cumsum(run_start) - 1]
        else:
            src_all = np.zeros(0, np.int64)
        sep_all = np.asarray(nb["sep"], float)
        inside = sep_all < radius
        c_j = float(cfg.completeness.get(s, 0.8))

        # densities nu, nu+ (arcsec^-2), per source
        if cfg.density == "local":
            inner, outer = cfg.local_annulus_arcsec or (radius, pull_radius)
            if outer > pull_radius + 1e-9 or outer <= inner:
                raise InputError(f"local density annulus ({inner}, {outer}) arcsec needs neighbourhoods "
                                 f"pulled to at least {outer} arcsec (got {pull_radius}); pull wider or "
                                 "set local_annulus_arcsec")
            ann = (sep_all > inner) & (sep_all <= outer)
            counts = np.bincount(src_all[ann], minlength=n_src).astype(float)
            area = math.pi * (outer**2 - inner**2)
            nu, nu_plus = counts / area, (counts + 1.0) / area
        elif cfg.density == "catalogue":
            n_cat, area_deg2 = cfg.catalogue_density[s]
            area = float(area_deg2) * 3600.0**2
            if not (area > 0 and n_cat >= 0):
                raise InputError(f"catalogue_density of {s} must be (n_sources >= 0, area_deg2 > 0)")
            nu, nu_plus = np.full(n_src, n_cat / area), np.full(n_src, (n_cat + 1.0) / area)
        else:
            uniq = len(np.unique(np.asarray(nb["nid"])[inside]))
            area = union_area_arcsec2(x_ra, x_dec, radius)
            nu = np.full(n_src, uniq / max(area, 1e-300))
            nu_plus = np.full(n_src, (uniq + 1.0) / max(area, 1e-300))
        nu_plus_sr = nu_plus * ARCSEC2_PER_SR
        nu_sr = nu * ARCSEC2_PER_SR

        # magnitude priors and external ratios (learnt or read once, applied per block)
        priors = []
        for (ps, band), prior in cfg.mag_priors.items():
            if ps != s:
                continue
            if band not in nb.colnames:
                raise InputError(f"magnitude prior for {s}:{band}: the {s} neighbourhood has no {band!r} column")
            if isinstance(prior, (str, os.PathLike)):
                if prior == "auto":
                    prior = learn_mag_prior(np.asarray(nb[band], float)[inside], sep_all[inside], radius,
                                            cfg.mag_radius_arcsec, n_src, bins=cfg.mag_bins)
                else:
                    prior = read_mag_prior(prior)
            priors.append((band, prior))
        ratio_col = cfg.ratio_columns.get(s)
        if ratio_col is not None and ratio_col not in nb.colnames:
            raise InputError(f"ratio column {ratio_col!r} not in the {s} neighbourhood table")
        ln_prior_src = math.log(c_j) - np.log(4.0 * math.pi * nu_plus_sr)
        if cfg.prior_mode == "independent":
            ln_prior_src = ln_prior_src - math.log1p(-c_j)
        pm = cfg.propagate_proper_motion and "pmra" in nb.colnames and "pmdec" in nb.colnames
        ep = nb.meta.get("epoch", SURVEYS[s].epoch if s in SURVEYS else None)
        nb_ra, nb_dec = np.asarray(nb["ra"], float), np.asarray(nb["dec"], float)
        xc_src = _covariances(xr, slice(None), cfg.ellipse_columns, cfg.systematic_arcsec.get("xray", 0.0))

        def block(idx):
            """Per-candidate quantities of the neighbourhood rows ``idx`` (a cache-sized block)."""
            src = src_all[idx]
            dx, dy = _tangent_offsets(x_ra, x_dec, nb_ra[idx], nb_dec[idx], owner=src)
            # proper motion to the X-ray epoch
            if pm:
                if "ref_epoch" in nb.colnames:
                    ep_arr = np.asarray(nb["ref_epoch"], float)[idx]
                else:
                    ep_arr = np.full(len(idx), np.nan if ep is None else float(ep))
                dt = x_epoch[src] - ep_arr
                pmra = np.asarray(nb["pmra"], float)[idx]
                pmdec = np.asarray(nb["pmdec"], float)[idx]
                ok = np.isfinite(dt) & np.isfinite(pmra) & np.isfinite(pmdec)
                dx = dx + np.where(ok, pmra * np.where(ok, dt, 0.0) / 1000.0, 0.0)
                dy = dy + np.where(ok, pmdec * np.where(ok, dt, 0.0) / 1000.0, 0.0)
                keep = dx**2 + dy**2 < radius**2
                idx, src, dx, dy = idx[keep], src[keep], dx[keep], dy[keep]
            sxx, sxy, syy = _covariances(nb, idx, cfg.ellipse_columns, cfg.systematic_arcsec.get(s, 0.0))
            if priors or ratio_col is not None:
                ratio = np.ones(len(idx))
                for band, prior in priors:
                    ratio = ratio * prior(np.asarray(nb[band], float)[idx])
                if ratio_col is not None:
                    rc = np.asarray(nb[ratio_col], float)[idx]
                    if np.any(~np.isfinite(rc) | (rc < 0)):
                        raise InputError(f"ratio column {ratio_col!r} of {s} must be finite and non-negative")
                    ratio = ratio * rc
                with np.errstate(divide="ignore"):
                    ln_r = np.log(ratio)
                ln_pi = ln_prior_src[src] + ln_r
            else:  # log(1) = 0 exactly
                ln_r = None
                ln_pi = ln_prior_src[src]
            det = sxx * syy if sxy_zero else sxx * syy - sxy**2  # (minus 0.0 changes nothing)
            ln_u = LN_2K - 0.5 * np.log(det) + ln_pi  # bound on the factor this candidate can bring
            if cfg.max_candidates is None:
                ln_o2 = ln_u[:0]
            else:  # two-way odds, to rank the candidates
                cxx, cxy, cyy = xc_src[0][src] + sxx, xc_src[1][src] + sxy, xc_src[2][src] + syy
                cdet = cxx * cyy - cxy**2
                ln_o2 = (LN_2K - 0.5 * np.log(cdet) - 0.5 * (cyy * dx**2 - 2 * cxy * dx * dy + cxx * dy**2) / cdet
                         + ln_pi)
            if sxy_zero:  # circular: sxy is zero and syy is sxx (see _covariances), neither is stored
                sxy = syy = None
            return idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u, ln_o2

        # without ellipse columns sxy is zero, without ratios ln_r is: neither is stored (None)
        sxy_zero = not all(c in nb.colnames for c in cfg.ellipse_columns)
        idx_all = np.nonzero(inside)[0]
        blocks = _ordered_map(block, [idx_all[k:k + _BLOCK] for k in range(0, max(len(idx_all), 1), _BLOCK)],
                              self._workers())
        idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u, ln_o2 = (
            None if parts[0] is None else np.concatenate(parts) if len(blocks) > 1 else parts[0]
            for parts in zip(*blocks))

        # sort by source (then by two-way odds, best first), apply max_candidates
        if cfg.max_candidates is not None:
            key = np.lexsort((-ln_o2, src))
        elif np.all(src[1:] >= src[:-1]):
            key = slice(None)
        else:
            key = np.argsort(src, kind="stable")
        if not (isinstance(key, slice) and key == slice(None)):
            idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u = (
                None if a is None else a[key] for a in (idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u))
            ln_o2 = ln_o2[key] if len(ln_o2) else ln_o2
        counts = np.bincount(src, minlength=n_src)
        cap_odds = np.zeros(n_src)
        if cfg.max_candidates is not None:
            rank = np.arange(len(src)) - _group_starts(counts)[src]
            keep = rank < cfg.max_candidates
            np.add.at(cap_odds, src[~keep], np.exp(np.minimum(ln_o2[~keep], 700.0)))
            idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u = (
                None if a is None else a[keep] for a in (idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u))
            counts = np.bincount(src, minlength=n_src)
        # (bincount adds in row order, as np.add.at does: the same sums, faster)
        u = np.minimum(ln_u, 700.0)
        u_sum = np.bincount(src, weights=np.exp(u, out=u), minlength=n_src).astype(float)
        del u
        n_c = len(src)
        return dict(name=s, nb=nb, src=src, row=idx, circular=sxy is None or not sxy.any(), dx=dx, dy=dy, sxx=sxx,
                    sxy=_zeros(n_c) if sxy is None else sxy, syy=sxx if syy is None else syy, ln_pi=ln_pi,
                    ln_r=_zeros(n_c) if ln_r is None else ln_r, ln_u=ln_u, counts=counts,
                    starts=_group_starts(counts), u_sum=u_sum, cap_odds=cap_odds,
                    ln_nu=np.log(4 * math.pi * np.maximum(nu_sr, 1e-300)), ln_nu_plus=np.log(4 * math.pi * nu_plus_sr),
                    c=c_j, n_all=np.bincount(src_all if len(idx_all) == len(src_all) else src_all[inside],
                                             minlength=n_src))

    # ------------------------------------------------------------------------------
    def _grow(self, nodes: _Nodes, p, j, radius, per, ln_thresh, ln_after_j, pruned, a, *, positional_only=False,
              last=False):
        """Add survey ``j``'s choices ("none" or one candidate) to every node; return the children.

        Children stay grouped by parent (the "none" child first, then the kept
        candidates in order).  With ``last`` the children's means and
        covariances are not computed (no survey follows).
        """
        cfg = self.config
        n_par = len(nodes.src)
        kc = p["counts"][nodes.src]
        n_c = int(kc.sum())
        pc = np.repeat(np.arange(n_par), kc)  # parent of each candidate child

        def up(v):  # a parent's value for each of its candidate children
            return np.repeat(v, kc)

        first = p["starts"][nodes.src]
        if n_par and np.array_equal(nodes.src, np.arange(nodes.src[0], nodes.src[0] + n_par)):
            # one node per source (the roots): the children are a contiguous run of candidates
            cc = slice(int(first[0]), int(first[0]) + n_c)
        else:
            cc = up(first - (np.cumsum(kc) - kc)) + np.arange(n_c)

        ok = None
        cdx, cdy = p["dx"][cc], p["dy"][cc]
        if cfg.pairwise_radius and len(p["dx"]):
            r2 = radius**2
            for l, ch in enumerate(nodes.choice):
                q = per[l]
                if len(q["dx"]) == 0:
                    continue
                prev = up(ch)
                has = prev >= 0
                pv = np.where(has, prev, 0)
                d2 = (q["dx"][pv] - cdx) ** 2 + (q["dy"][pv] - cdy) ** 2
                far = has & (d2 >= r2)
                ok = ~far if ok is None else ok & ~far
        empty = up(nodes.nmem == 0)
        any_empty = bool(empty.any())
        # two-way factor between the current mean (covariance P) and the candidate
        pxx, pxy, pyy = up(nodes.pxx), up(nodes.pxy), up(nodes.pyy)
        sxx, syy = p["sxx"][cc], p["syy"][cc]
        circ = p["circular"] and not nodes.pxy.any()
        cxx, cyy = pxx + sxx, pyy + syy
        ddx, ddy = cdx - up(nodes.mx), cdy - up(nodes.my)
        if circ:  # exact zeros dropped: the same numbers as the general expressions
            cxy = None
            det = cxx * cyy
            delta = (cyy * ddx**2 + cxx * ddy**2) / det
        else:
            sxy = p["sxy"][cc]
            cxy = pxy + sxy
            det = cxx * cyy - cxy**2
            delta = (cyy * ddx**2 - 2 * cxy * ddx * ddy + cxx * ddy**2) / det
        ln_f = LN_2K - 0.5 * np.log(det) - 0.5 * delta
        lnf_pos = np.where(empty, 0.0, ln_f) if any_empty else ln_f
        src_c = up(nodes.src)
        if positional_only:
            # unrelated-correction tree: first member has factor nu/nu+, later ones F / (4 pi nu+)
            ln_f = np.where(empty, p["ln_nu"][src_c] - p["ln_nu_plus"][src_c], ln_f - p["ln_nu_plus"][src_c])
            new_o = up(nodes.ln_o) + ln_f
            keep = empty | (new_o + ln_after_j[src_c] > 0.0)
            if ok is not None:
                keep &= ok
        else:
            ln_fo = ln_f + p["ln_pi"][cc]
            new_o = up(nodes.ln_o) + ln_fo
            drop = ln_fo < ln_thresh
            if ok is not None:
                drop &= ok
            if drop.any():
                w = np.exp(np.minimum(new_o[drop] + ln_after_j[src_c[drop]], 700.0))
                if j == 0:  # pruned is still zero: bincount gives np.add.at's sums, faster
                    pruned += np.bincount(src_c[drop] - a, weights=w, minlength=len(pruned))
                else:
                    np.add.at(pruned, src_c[drop] - a, w)
            keep = ~drop if ok is None else ok & ~drop

        # where the children go: parent q's "none" child, then its kept candidates
        kp = pc[keep]
        n_keep = len(kp)
        nk = np.bincount(kp, minlength=n_par)
        none_dest = np.arange(n_par) + (np.cumsum(nk) - nk)
        cand_dest = np.arange(n_keep) + kp + 1
        total = n_par + n_keep

        def merge(none_vals, cand_vals):
            o = np.empty(total, np.result_type(none_vals, cand_vals))
            o[none_dest] = none_vals
            o[cand_dest] = cand_vals
            return o

        out = _Nodes()
        out.src = merge(nodes.src, nodes.src[kp])
        out.ln_b = merge(nodes.ln_b, nodes.ln_b[kp] + lnf_pos[keep])
        # after the last survey the main tree needs neither odds nor member counts (the correction tree does)
        final = last and not positional_only
        out.ln_o = None if final else merge(nodes.ln_o, new_o[keep])
        no_ratio = p["ln_r"].strides == (0,)  # all zero (see _zeros)
        out.ln_r = merge(nodes.ln_r, nodes.ln_r[kp] if no_ratio else nodes.ln_r[kp] + p["ln_r"][cc][keep])
        out.mask = merge(nodes.mask, nodes.mask[kp] | (1 << j))
        out.nmem = None if final else merge(nodes.nmem, nodes.nmem[kp] + 1)
        cand = np.flatnonzero(keep) + cc.start if isinstance(cc, slice) else cc[keep]
        out.choice = [merge(ch, ch[kp]) for ch in nodes.choice] + [merge(np.full(n_par, -1, np.int64), cand)]
        if last:
            out.pxx = out.pxy = out.pyy = out.mx = out.my = None
            return out
        # Kalman update of the mean and its covariance: G = P C^-1, P' = P - G P, m' = m + G d
        if circ:
            gxx, gyy = pxx * (cyy / det), pyy * (cxx / det)
            npxx = np.where(empty, sxx, pxx - gxx * pxx)
            npyy = np.where(empty, syy, pyy - gyy * pyy)
            npxy = np.zeros(len(npxx))
            nmx = np.where(empty, cdx, up(nodes.mx) + gxx * ddx)
            nmy = np.where(empty, cdy, up(nodes.my) + gyy * ddy)
        else:
            ixx, ixy, iyy = cyy / det, -cxy / det, cxx / det
            gxx = pxx * ixx + pxy * ixy
            gxy = pxx * ixy + pxy * iyy
            gyx = pxy * ixx + pyy * ixy
            gyy = pxy * ixy + pyy * iyy
            npxx = np.where(empty, sxx, pxx - (gxx * pxx + gxy * pxy))
            npxy = np.where(empty, sxy, pxy - (gxx * pxy + gxy * pyy))
            npyy = np.where(empty, syy, pyy - (gyx * pxy + gyy * pyy))
            nmx = np.where(empty, cdx, up(nodes.mx) + gxx * ddx + gxy * ddy)
            nmy = np.where(empty, cdy, up(nodes.my) + gyx * ddx + gyy * ddy)
        out.pxx = merge(nodes.pxx, npxx[keep])
        out.pxy = merge(nodes.pxy, npxy[keep])
        out.pyy = merge(nodes.pyy, npyy[keep])
        out.mx = merge(nodes.mx, nmx[keep])
        out.my = merge(nodes.my, nmy[keep])
        return out

    @staticmethod
    def _root(a, b, xcov=None, nmem=1):
        """One node per source: the X-ray position alone (``xcov``), or an empty tuple (``xcov=None``)."""
        n = b - a
        r = _Nodes()
        r.src = np.arange(a, b)
        if xcov is None:
            r.pxx, r.pxy, r.pyy = np.zeros(n), np.zeros(n), np.zeros(n)
        else:
            r.pxx, r.pxy, r.pyy = (np.asarray(v, float)[a:b].copy() for v in xcov)
        r.mx = np.zeros(n)
        r.my = np.zeros(n)
        r.ln_b = np.zeros(n)
        r.ln_o = np.zeros(n)
        r.ln_r = np.zeros(n)
        r.mask = np.zeros(n, np.int64)
        r.nmem = np.full(n, nmem, np.int64)
        r.choice = []
        return r

    def _chunk(self, a, b, per, xcov, ln_after, radius, cap_mass):
        cfg = self.config
        n = b - a
        ns = len(per)
        # NWAY's elliptical approximation is not bounded by the exact factors: no pruning then
        prune = cfg.prune_threshold > 0 and cfg.ellipse == "exact"
        ln_thresh = math.log(cfg.prune_threshold) if prune else -np.inf
        pruned = np.zeros(n)
        nodes = self._root(a, b, xcov)
        for j, p in enumerate(per):
            nodes = self._grow(nodes, p, j, radius, per, ln_thresh, ln_after[j + 1], pruned, a, last=j == ns - 1)

        # NWAY's correction for combinations leaving out two or more surveys
        corr = np.zeros(len(nodes.src))
        max_corr = np.zeros(n)
        if cfg.unrelated_correction and ns >= 2:
            best = self._unrelated(a, b, per, radius)  # (n, 2**ns), ln units, >= 0
            max_corr = best.max(axis=1)
            full = (1 << ns) - 1
            missing = full & ~nodes.mask
            nmiss = np.array([bin(m).count("1") for m in range(1 << ns)])[missing]
            corr = np.where(nmiss >= 2, best[nodes.src - a, missing], 0.0)
        if cfg.ellipse == "nway":
            nodes.ln_b = self._nway_ellipse_ln_b(nodes, per, xcov)
        return self._score(per, dict(src=nodes.src, ln_b=nodes.ln_b, ln_r=nodes.ln_r, mask=nodes.mask,
                                     choice=nodes.choice, corr=corr, pruned=pruned * np.exp(max_corr), a=a, b=b),
                           cap_mass)

    def _unrelated(self, a, b, per, radius):
        """Per source and subset A of surveys: max(0, max over candidate tuples of A of log posterior)."""
        ns = len(per)
        n = b - a
        r = self._root(a, b, None, nmem=0)
        # bound on what later surveys can add (positional factor / density), per source
        later = np.zeros((ns + 1, b - a + 0))
        for j in range(ns - 1, -1, -1):
            p = per[j]
            mx_u = p["max_pos_u"][a:b] - p["ln_nu_plus"][a:b]
            later[j] = later[j + 1] + np.maximum(mx_u, 0.0)
        nodes = r
        dummy = np.zeros(n)
        for j, p in enumerate(per):
            lj = np.zeros(len(per[0]["counts"]))
            # NWAY's elliptical approximation is not bounded by the exact factors: no pruning then
            lj[a:b] = np.inf if self.config.ellipse == "nway" else later[j + 1]
            nodes = self._grow(nodes, p, j, radius, per, -np.inf, lj, dummy, a, positional_only=True,
                               last=j == ns - 1)
        best = np.zeros((n, 1 << ns))
        sel = nodes.nmem >= 2
        if sel.any():
            val = nodes.ln_o[sel]
            if self.config.ellipse == "nway":
                sub = nodes.take(np.nonzero(sel)[0])
                val = val - sub.ln_b + self._nway_ellipse_ln_b(sub, per, None)
            flat = (nodes.src[sel] - a) * (1 << ns) + nodes.mask[sel]
            vals = np.full(n * (1 << ns), 0.0)
            np.maximum.at(vals, flat, val)
            best = vals.reshape(n, 1 << ns)
        # best over subsets of each mask
        out = np.zeros_like(best)
        for m in range(1 << ns):
            subs = [s for s in range(1 << ns) if s & m == s]
            out[:, m] = best[:, subs].max(axis=1)
        return out

    def _nway_ellipse_ln_b(self, nodes, per, xcov):
        """NWAY's elliptical approximation: circularised errors, pairwise separations rescaled."""
        n = len(nodes.src)
        if xcov is None:  # secondaries only (the multi-catalogue correction)
            xs, ys, cov, present = [], [], [], []
        else:
            xs = [np.zeros(n)]
            ys = [np.zeros(n)]
            cov = [tuple(np.asarray(v, float)[nodes.src] for v in xcov)]
            present = [np.ones(n, bool)]
        for j, p in enumerate(per):
            ch = nodes.choice[j]
            has = ch >= 0
            k = np.where(has, ch, 0)
            if len(p["dx"]) == 0:
                xs.append(np.zeros(n)), ys.append(np.zeros(n))
                cov.append((np.ones(n), np.zeros(n), np.ones(n)))
            else:
                xs.append(p["dx"][k]), ys.append(p["dy"][k])
                cov.append((p["sxx"][k], p["sxy"][k], p["syy"][k]))
            present.append(has)
        m = len(xs)
        wc = [np.where(present[i], 2.0 / (cov[i][0] + cov[i][2]), 0.0) for i in range(m)]
        wsum = np.sum(wc, axis=0)
        nmem = np.sum(present, axis=0)
        with np.errstate(divide="ignore"):
            slog = np.sum([np.where(present[i], np.log(np.where(present[i], wc[i], 1.0)), 0.0) for i in range(m)],
                          axis=0) - np.log(wsum)
        q = np.zeros(n)
        for i in range(m):
            for k in range(i + 1, m):
                both = present[i] & present[k]
                vx, vy = xs[k] - xs[i], ys[k] - ys[i]
                d2 = vx**2 + vy**2
                dn = np.sqrt(d2)
                ux = np.where(dn == 0, 2**-0.5, vx / np.where(dn == 0, 1.0, dn))
                uy = np.where(dn == 0, 2**-0.5, vy / np.where(dn == 0, 1.0, dn))

                def inv_along(c):
                    sxx, sxy, syy = c
                    det = sxx * syy - sxy**2
                    return (syy * ux**2 - 2 * sxy * ux * uy + sxx * uy**2) / det

                wi, wk = inv_along(cov[i]), inv_along(cov[k])
                sc2 = (cov[i][0] + cov[i][2]) / 2 + (cov[k][0] + cov[k][2]) / 2
                d2n = d2 * (1 / wi + 1 / wk) / sc2
                q += np.where(both, wc[i] * wc[k] * np.where(both, d2n, 0.0), 0.0)
        ln_b = (nmem - 1) * LN_2K + slog - q / (2 * wsum)
        return np.where(nmem > 1, ln_b, 0.0)

    # ------------------------------------------------------------------------------
    def _score(self, per, q, cap_mass):
        """Probabilities of one chunk's combinations (its sources are complete in it), compacted.

        Returns the combinations with a counterpart (the output rows) and the
        per-source summaries of sources ``a:b``.
        """
        cfg = self.config
        a, b = q["a"], q["b"]
        n = b - a
        src, ln_b, ln_r, mask = q["src"], q["ln_b"], q["ln_r"], q["mask"]
        loc = src - a
        none = mask == 0

        # prior of each combination (as NWAY's 'prior' column) and its odds against 'no counterpart':
        # they depend on the source and the surveys present only, so they are tabulated per (source, mask)
        n_mask = 1 << len(per)
        masks = np.arange(n_mask)
        t_prior = np.zeros((n, n_mask))
        t_podds = np.zeros((n, n_mask))
        for j, p in enumerate(per):
            has = ((masks >> j) & 1 == 1)[None, :]
            lp = (math.log(p["c"]) - p["ln_nu_plus"][a:b])[:, None]
            ln_1mc = math.log1p(-p["c"]) if cfg.prior_mode == "independent" else 0.0
            t_prior += np.where(has, lp, ln_1mc)
            t_podds += np.where(has, lp - ln_1mc, 0.0)
        flat = loc * n_mask + mask
        ln_prior = t_prior.ravel()[flat]
        ln_podds = t_podds.ravel()[flat]
        ln_bc = ln_b + q["corr"]  # corrected positional evidence
        ln_odds = ln_bc + ln_podds + ln_r

        starts = np.searchsorted(loc, np.arange(n))
        mx = _seg_max(ln_odds, starts, n)
        mx = np.where(np.isfinite(mx), mx, 0.0)
        e = np.exp(ln_odds - mx[loc])
        tot = _seg_sum(e, starts, n)
        some = _seg_sum(np.where(none, 0.0, e), starts, n)  # summed directly: no cancellation
        with np.errstate(invalid="ignore", divide="ignore"):
            p_any = np.clip(np.where(tot > 0, some / tot, 0.0), 0.0, 1.0)
            some_c = some[loc]
            p_i = np.clip(np.where(none | (some_c <= 0), 0.0, e / some_c), 0.0, 1.0)
        prior = np.exp(t_prior).ravel()[flat]
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            dist_post = 1.0 / (1.0 + (1.0 - prior) * np.exp(-(ln_bc + ln_prior)))
            dist_post = np.clip(np.nan_to_num(dist_post), 0.0, 1.0)
            if ln_r.any():
                p_single = 1.0 / (1.0 + (1.0 - prior) * np.exp(-(ln_bc + ln_r + ln_prior)))
                p_single = np.clip(np.nan_to_num(p_single), 0.0, 1.0)
            else:  # no magnitude priors or ratios: the same numbers
                p_single = dist_post.copy()

        # flags: 1 for the best (ties included), 2 for p_i > prob_ratio_secondary * best
        score = np.where(none, -1.0, p_i)
        best_p = _seg_max(score, starts, n)
        bp = best_p[loc]
        match_flag = np.where(none | (bp <= 0), 0, np.where(p_i == bp, 1,
                              np.where(p_i > cfg.prob_ratio_secondary * bp, 2, 0))).astype(np.int16)
        # the single best combination per source: the first one reaching the best p_i
        top = np.flatnonzero((score == bp) & (bp > 0))
        top = top[np.concatenate([[True], loc[top][1:] != loc[top][:-1]])] if len(top) else top
        best_idx = np.full(n, -1)
        best_idx[loc[top]] = top
        has_best = best_idx >= 0
        bi = np.maximum(best_idx, 0)

        retained = tot * np.exp(mx)
        with np.errstate(invalid="ignore", divide="ignore"):
            pm = (q["pruned"] + cap_mass[a:b]) / retained
        keep = ~none
        out = {"n_rows": np.bincount(loc[keep], minlength=n)}
        for j, p in enumerate(per):
            nb_rows = _nb_rows(p, q["choice"][j][keep])
            out[f"nid_{p['name']}"] = nb_rows  # turned into ids once, at the end
            out[f"sep_{p['name']}"] = self._nb_column(p, nb_rows, "sep", np.nan)
            out[f"row_{p['name']}"] = nb_rows
        out["ncat"] = (1 + np.array([bin(m).count("1") for m in range(1 << len(per))])[mask[keep]]).astype(np.int16)
        out["dist_bayesfactor"] = ln_b[keep] / math.log(10.0)
        out["dist_bayesfactor_corrected"] = ln_bc[keep] / math.log(10.0)
        for name, v in (("prior", prior), ("dist_post", dist_post), ("p_single", p_single), ("p_i", p_i),
                        ("match_flag", match_flag)):
            out[name] = v[keep]
        # per source
        out["s_p_any"] = p_any
        out["s_p_i"] = np.where(has_best, p_i[bi] if len(p_i) else 0.0, 0.0)
        out["s_match_flag"] = has_best.astype(np.int16)
        out["s_pruned_mass"] = np.nan_to_num(pm, nan=0.0, posinf=1.0)
        for j, p in enumerate(per):
            out[f"s_row_{p['name']}"] = _nb_rows(p, np.where(has_best, q["choice"][j][bi] if len(src) else -1, -1))
        return out

    @staticmethod
    def _nb_column(p, rows, name, fill):
        """Column ``name`` of survey ``p``'s neighbourhood at ``rows``, ``fill`` where ``rows < 0``."""
        vals = np.asarray(p["nb"][name], float) if isinstance(fill, float) else np.asarray(p["nb"][name])
        if not len(vals):
            return np.full(len(rows), fill)
        present = rows >= 0
        all_present = bool(present.all())
        out = vals[rows if all_present else np.maximum(rows, 0)]
        if np.where(True, vals[:0], fill).dtype != vals.dtype:  # e.g. bytes ids with "" for none: str
            return np.where(present, out, fill)
        if all_present:
            return out
        out[~present] = fill
        return out

    def _tables(self, xr, per, parts, n_src):
        def cat(key, dtype):
            """The chunks' ``key`` arrays end to end (each chunk's copy is released as it goes)."""
            if not parts:
                return np.zeros(0, dtype)
            pieces = [q.pop(key) for q in parts]
            return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

        xids = np.asarray(xr["xid"])
        # rows are grouped by source in source order: repeating each id is cheaper than gathering
        ccols = {"xid": np.repeat(xids, cat("n_rows", np.int64)) if parts else xids[:0]}
        for p in per:
            name = p["name"]
            ccols[f"nid_{name}"] = self._nb_column(p, cat(f"nid_{name}", np.int64), "nid", "")
            ccols[f"sep_{name}"] = cat(f"sep_{name}", float)
            ccols[f"row_{name}"] = cat(f"row_{name}", np.int64)
        ccols["ncat"] = cat("ncat", np.int16)
        for k in ("dist_bayesfactor", "dist_bayesfactor_corrected", "prior", "dist_post", "p_single", "p_i"):
            ccols[k] = cat(k, float)
        ccols["match_flag"] = cat("match_flag", np.int16)
        ctab = Table(ccols, copy=False)
        ctab["dist_bayesfactor"].description = "log10 positional Bayes factor (Budavari & Szalay 2008)"
        ctab["dist_bayesfactor_corrected"].description = "log10 Bayes factor with NWAY's multi-catalogue correction"
        ctab["prior"].description = "Prior probability of this combination"
        ctab["dist_post"].description = "Posterior from positions alone against 'unrelated'"
        ctab["p_single"].description = "Posterior with magnitude priors against 'unrelated'"
        ctab["p_i"].description = "Probability of this combination given the source has a counterpart"

        scols = {"xid": xids.copy(), "p_any": cat("s_p_any", float), "p_i": cat("s_p_i", float),
                 "match_flag": cat("s_match_flag", np.int16)}
        scols["n_candidates"] = (np.sum([p["n_all"] for p in per], axis=0).astype(int) if per
                                 else np.zeros(n_src, int))
        scols["pruned_mass"] = cat("s_pruned_mass", float)
        for p in per:
            nb_rows = cat(f"s_row_{p['name']}", np.int64)
            scols[f"nid_{p['name']}"] = self._nb_column(p, nb_rows, "nid", "")
            scols[f"row_{p['name']}"] = nb_rows
        stab = Table(scols, copy=False)
        stab["pruned_mass"].description = "Upper bound on the probability mass left out by pruning"
        return AssociationResult(ctab, stab, tuple(p["name"] for p in per))
