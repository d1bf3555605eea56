"""Calibrating the association: the p_any cut for a stated false-association rate.

``p_any`` is the posterior probability that a source has a counterpart, given the
model's priors; it is not the rate at which a cut on it accepts chance
coincidences.  NWAY's users calibrate the cut empirically (Salvato et al. 2018,
MNRAS 473, 4937, sect. 4.3): the X-ray positions are moved well away from
themselves, keeping each source's positional error and the secondary catalogues,
so that nothing found around a moved position is the counterpart; the
distribution of ``p_any`` at the moved positions is the distribution under "no
counterpart", and the fraction of moved positions above a cut is the false
association rate of that cut.

This module holds the pure parts: where the moved positions go
(:func:`shifted_positions`), which cut reaches a target rate
(:func:`choose_cut`), and the record of the result (:class:`PanyCalibration`).
Pulling neighbourhoods around the moved positions and scoring them with the
run's own association is the caller's job (:func:`xrbvo.pipeline.calibrate_p_any`),
because it needs the provider and the models.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from xrbvo.core.errors import InputError
from xrbvo.core.geometry import unit_vectors
from xrbvo.stages.neighbourhoods.base import SHIFT_ARCSEC

__all__ = ["PanyCalibration", "shifted_positions", "choose_cut", "false_rate_at", "rate_curve", "check_false_rate",
           "FALLBACK_CUT", "SIGMA_99", "MIN_POSITIONS", "MAX_SHIFTS_PER_SOURCE", "SHIFT_ARCSEC"]

#: The cut used when a run has too few sources to calibrate it (stated in the outputs as ``PANYCAL``).
FALLBACK_CUT = 0.5
#: Moved positions needed for a calibration (a rate of 0.05 is then counted from at least 5 positions).
MIN_POSITIONS = 100
#: Moved copies of one source at most (a small field is moved several times).
MAX_SHIFTS_PER_SOURCE = 20



@dataclass(frozen=True)
class PanyCalibration:
    """The p_any cut of a run and the false-association rate measured at it.

    Parameters
    ----------
    cut : float
        Sources with ``p_any >= cut`` are associated.
    false_rate : float
        Fraction of the moved positions at or above the cut (NaN: not measured).
    target : float
        The false-association rate asked for.
    method : str
        ``shifted``, ``fallback`` or ``given``.
    n_positions : int
        Moved positions the rate was measured on.
    n_sources : int
        The run's sources.
    note : str
        Why the cut is a fallback.
    curve_cut, curve_rate : tuple of float
        The false rate tabulated over cuts.
    """

    cut: float
    """Sources with ``p_any >= cut`` are associated (``associated`` column; header ``PANYCUT``)."""
    false_rate: float
    """Fraction of the moved positions with ``p_any >= cut`` (header ``FARATE``); NaN when not measured."""
    target: float
    """The false-association rate asked for (``--false-rate``; header ``FARTARGT``)."""
    method: str
    """``shifted`` (measured on moved positions), ``fallback`` (too few sources: :data:`FALLBACK_CUT`) or
    ``given`` (a cut the user set)."""
    n_positions: int = 0
    """Number of moved positions the rate was measured on."""
    n_sources: int = 0
    """Number of the run's sources the moved positions were made from."""
    note: str = ""
    """Why the cut is a fallback (empty for a measured one)."""
    curve_cut: tuple[float, ...] = field(default=(), repr=False)
    """Cuts at which the false rate was tabulated (for the plot)."""
    curve_rate: tuple[float, ...] = field(default=(), repr=False)
    """False-association rate at each of ``curve_cut``."""

    def header(self) -> dict:
        """FITS-ready keywords (the VOTable's INFO elements carry the same)."""
        out = {"PANYCUT": float(self.cut), "FARTARGT": float(self.target), "PANYCAL": self.method}
        if math.isfinite(self.false_rate):
            out["FARATE"] = float(self.false_rate)
        if self.n_positions:
            out["FANPOS"] = int(self.n_positions)
        if self.note:
            out["PANYNOTE"] = self.note[:68]
        return out

    def to_json(self) -> str:
        """The calibration as JSON (NaN as null), for manifests and sessions."""
        d = asdict(self)
        if not math.isfinite(d["false_rate"]):
            d["false_rate"] = None
        d["curve_cut"], d["curve_rate"] = list(self.curve_cut), list(self.curve_rate)
        return json.dumps(d, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "PanyCalibration":
        """Read :meth:`to_json`'s output back (a damaged text is an :class:`InputError`)."""
        try:
            d = json.loads(text)
            d["false_rate"] = float("nan") if d.get("false_rate") is None else float(d["false_rate"])
            d["curve_cut"] = tuple(float(x) for x in d.get("curve_cut", ()))
            d["curve_rate"] = tuple(float(x) for x in d.get("curve_rate", ()))
            return cls(**d)
        except (ValueError, TypeError, KeyError) as e:
            raise InputError(f"a stored p_any calibration cannot be read ({e}); delete it to measure it again")


def check_false_rate(value: float) -> float:
    """The target false-association rate, checked: strictly between 0 and 0.5.

    Parameters
    ----------
    value : float or str
        The rate asked for (``--false-rate``).

    Returns
    -------
    float
        The rate.

    Raises
    ------
    InputError
        When it is not a number strictly between 0 and 0.5.
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"--false-rate must be a number between 0 and 0.5 (exclusive), not {value!r}")
    if not 0.0 < v < 0.5:
        raise InputError(f"--false-rate must be between 0 and 0.5 (exclusive), not {value!r}: it is the fraction "
                         "of chance coincidences accepted among sources without a counterpart (e.g. 0.05)")
    return v


def _destination(ra_deg, dec_deg, bearing_rad, dist_rad):
    """The point at angular distance ``dist_rad`` from (ra, dec) in direction ``bearing_rad`` (east of north)."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    sin_d = np.sin(dec) * np.cos(dist_rad) + np.cos(dec) * np.sin(dist_rad) * np.cos(bearing_rad)
    dec2 = np.arcsin(np.clip(sin_d, -1.0, 1.0))
    y = np.sin(bearing_rad) * np.sin(dist_rad) * np.cos(dec)
    x = np.cos(dist_rad) - np.sin(dec) * sin_d
    ra2 = ra + np.arctan2(y, x)
    return np.degrees(ra2) % 360.0, np.degrees(dec2)


#: Sigmas of an X-ray error beyond which its counterpart is taken to lie (99%: sqrt(-2 ln 0.01)).
SIGMA_99 = 3.035


def shifted_positions(ra_deg, dec_deg, *, avoid_arcsec: float, seed: int = 0, pos_err_arcsec=None,
                      shift_arcsec: tuple[float | None, float] = SHIFT_ARCSEC, min_positions: int = 200,
                      max_positions: int = 1000, fraction: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Moved copies of X-ray positions, whose search circles hold no real X-ray source's counterpart.

    Each position is moved by a distance drawn uniformly in ``shift_arcsec`` in a
    random direction.  The number of moved positions aimed for is ``fraction`` of the
    sources, at least ``min_positions`` and at most ``max_positions``: a small list is
    moved several times (at most :data:`MAX_SHIFTS_PER_SOURCE` copies per source), a
    longer one is subsampled (a random choice of sources, each moved once).  A moved
    position is drawn again (ten tries), then dropped, when it lies closer to a
    real X-ray source ``j`` than ``avoid_arcsec + 3.035 pos_err_j`` (the search
    circle of radius ``avoid_arcsec`` would reach the 99% region of j's counterpart).

    Parameters
    ----------
    ra_deg, dec_deg : array
        The real X-ray positions (deg).
    avoid_arcsec : float
        Radius of the search circle around a moved position (the pull radius).
    seed : int
        Seed of the random moves (the same seed gives the same positions).
    pos_err_arcsec : array, optional
        1-sigma errors of the real positions (default 0: only ``avoid_arcsec`` is kept clear).
    shift_arcsec : (float or None, float)
        Range of the move's length; a lower end of None moves each source just beyond
        its own counterpart's reach (``avoid_arcsec + 3.035 pos_err + 1``), for survey tables
        that hold only patches around the sources (a simulated sky); a source whose lower end
        exceeds the upper one is not moved.
    min_positions, max_positions : int
        Bounds of the number of moved positions.
    fraction : float
        Share of the sources to move when that lies between the bounds (the cost of the
        calibration is about this share of the run's association and classification).

    Returns
    -------
    src : array of int
        Index of the real source each moved position was made from.
    ra, dec : array of float
        The moved positions (deg).
    """
    from scipy.spatial import cKDTree

    ra0 = np.asarray(ra_deg, float)
    dec0 = np.asarray(dec_deg, float)
    n = len(ra0)
    err = np.zeros(n) if pos_err_arcsec is None else np.nan_to_num(np.asarray(pos_err_arcsec, float))
    reach = avoid_arcsec + SIGMA_99 * err  # a real source's counterpart may lie this far from a moved centre
    lo_given, hi = shift_arcsec
    lo = reach + 1.0 if lo_given is None else np.full(n, float(lo_given))
    movable = np.nonzero(lo <= hi)[0]
    if len(movable) == 0:
        return np.zeros(0, int), np.zeros(0), np.zeros(0)
    rng = np.random.default_rng(seed)
    m = len(movable)
    target = int(min(max(round(fraction * m), min_positions), max_positions))
    if target < m:
        src = np.sort(rng.choice(movable, size=target, replace=False))
    else:
        k = int(min(MAX_SHIFTS_PER_SOURCE, max(1, math.ceil(target / m))))
        src = np.repeat(movable, k)
    tree = cKDTree(unit_vectors(ra0, dec0))
    rmax = float(reach.max())
    ra = np.full(len(src), np.nan)
    dec = np.full(len(src), np.nan)
    todo = np.arange(len(src))
    for _ in range(10):
        if not len(todo):
            break
        dist = np.radians(rng.uniform(lo[src[todo]], hi) / 3600.0)
        bearing = rng.uniform(0.0, 2 * np.pi, len(todo))
        r2, d2 = _destination(ra0[src[todo]], dec0[src[todo]], bearing, dist)
        near = tree.query_ball_point(unit_vectors(r2, d2), 2 * np.sin(np.radians(rmax / 3600.0) / 2))
        ok = np.ones(len(todo), bool)
        for i, js in enumerate(near):
            if js:
                js = np.asarray(js)
                d = np.degrees(2 * np.arcsin(np.clip(np.linalg.norm(
                    unit_vectors(ra0[js], dec0[js]) - unit_vectors([r2[i]], [d2[i]]), axis=1) / 2, 0, 1))) * 3600
                ok[i] = bool(np.all(d >= reach[js]))
        ra[todo[ok]], dec[todo[ok]] = r2[ok], d2[ok]
        todo = todo[~ok]
    keep = np.isfinite(ra)
    return src[keep], ra[keep], dec[keep]


def false_rate_at(p_any_null, cut: float) -> float:
    """Fraction of the moved positions' ``p_any`` at or above ``cut``.

    Parameters
    ----------
    p_any_null : array
        ``p_any`` of the moved positions.
    cut : float
        The cut.

    Returns
    -------
    float
        The false-association rate (NaN without moved positions).
    """
    p = np.asarray(p_any_null, float)
    return float(np.mean(p >= cut)) if len(p) else float("nan")


def choose_cut(p_any_null, target: float) -> float:
    """The smallest p_any cut whose false-association rate on the moved positions is at most ``target``.

    Parameters
    ----------
    p_any_null : array
        ``p_any`` of the moved positions (the distribution without a counterpart).
    target : float
        The false-association rate asked for.

    Returns
    -------
    float
        The cut: ``mean(p_any_null >= cut) <= target``, and no smaller cut has that property.
    """
    p = np.sort(np.asarray(p_any_null, float))[::-1]
    p = p[np.isfinite(p)]
    if not len(p):
        raise InputError("no moved positions to calibrate the p_any cut on")
    allowed = int(math.floor(target * len(p) + 1e-9))
    if allowed >= len(p):
        return 0.0
    # every value above p[allowed] may pass; p[allowed] itself must not
    return float(np.nextafter(p[allowed], np.inf))


def rate_curve(p_any_null, cuts=None) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The false-association rate over a grid of cuts (for the outputs' plot).

    Parameters
    ----------
    p_any_null : array
        ``p_any`` of the moved positions.
    cuts : array, optional
        The cuts (default 0, 0.01, ..., 1).

    Returns
    -------
    cuts, rates : tuple of float
        Each cut and its rate.
    """
    grid = np.linspace(0.0, 1.0, 101) if cuts is None else np.asarray(cuts, float)
    p = np.asarray(p_any_null, float)
    rates = [float(np.mean(p >= c)) if len(p) else float("nan") for c in grid]
    return tuple(float(c) for c in grid), tuple(rates)

