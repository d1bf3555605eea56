"""X-ray luminosity functions of X-ray binaries and the numbers a survey should detect.

The Galactic populations of high- and low-mass X-ray binaries are described by
broken power-law luminosity functions measured in the hard X-ray band of the
INTEGRAL/IBIS Galactic survey (17-60 keV)::

    dN/dL = K (L / L_br)^-alpha1    for L_min <= L <  L_br
    dN/dL = K (L / L_br)^-alpha2    for L_br  <= L <= L_max

normalised so that ``n_total`` sources have ``L >= L_min``.  Folding such a
function with the Galactic distribution of the class, the absorbing column in
front of each source and a survey's flux limit predicts how many binaries the
survey detects, and, given the catalogues of known ones, how many of them are
new.

Numbers and their sources
-------------------------
The shape parameters follow the INTEGRAL 9-year Galactic survey (Krivonos et al.
2012, A&A 545, A27) as analysed by Lutovinov et al. (2013, MNRAS 431, 327) for
persistent HMXBs (the function steepens near 2-3e36 erg/s, 17-60 keV) and by
Revnivtsev et al. (2008, A&A 491, 209) for LMXBs (slope ~1.0 below ~1e37 erg/s,
17-60 keV), with the bright-end LMXB slope of Gilfanov (2004, MNRAS 349, 146).
Doroshenko et al. (2014, A&A 567, A7) fitted the same broken power laws to the
9-year survey for eROSITA predictions; the seed work's Table 1 quotes them.  The
values in :data:`INTEGRAL_HMXB` and :data:`INTEGRAL_LMXB` are rounded readings of
these papers, not a fit made here: check them against the table you cite, and
pass your own :class:`BrokenPowerLawLF` where they differ.  The normalisations
are ~110 HMXBs and ~200 LMXBs above 1e35 erg/s in the Galaxy (Lutovinov et al.
2013; Grimm, Gilfanov & Sunyaev 2002, A&A 391, 923).  eRASS1 reaches far below
the luminosities INTEGRAL measured, so the functions are extrapolated with
``alpha1`` down to ``L_min = 1e33 erg/s`` (17-60 keV): ``n_total`` is the number
above that (~830 HMXBs, ~360 LMXBs).  The predictions depend on this
extrapolation; :meth:`BrokenPowerLawLF.with_l_min` moves ``L_min`` keeping the
number above 1e35 erg/s.

Band conversion
---------------
A luminosity function measured in one band becomes one in another band by
scaling every luminosity by the ratio of the band energy fluxes of the class's
spectral model; the slopes are unchanged.  The spectral model is the one the
simulator uses for the class: a power law of photon index Gamma (HMXB 1.0,
LMXB 1.8), optionally with an exponential cut-off ``exp(-E/E_cut)``.  For a pure
power law::

    L(0.2-2.3 keV) / L(17-60 keV) = (2.3^(2-G) - 0.2^(2-G)) / (60^(2-G) - 17^(2-G))

which is 0.0488 for Gamma = 1.0 (-1.31 dex) and 0.903 for Gamma = 1.8 (-0.04
dex).  Real spectra curve (HMXBs cut off at 10-20 keV, LMXBs in the soft state
are thermal), so a pure power law places the soft-band luminosities of bright
HMXBs low (by ~9 for Gamma = 1 with a cut-off at 15 keV, see :func:`band_factor`
with ``e_cut_kev``).  The simulator uses the pure power law, and so does this
module, so that the two agree.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import numpy as np

from . import physics
from .errors import InputError

__all__ = [
    "INTEGRAL_BAND_KEV",
    "L_MIN_DEFAULT",
    "BrokenPowerLawLF",
    "INTEGRAL_HMXB",
    "INTEGRAL_LMXB",
    "INTEGRAL_LFS",
    "CLASS_GAMMA",
    "band_factor",
    "soft_band_lf",
    "Footprint",
    "SurveyModel",
    "ERASS1_DE",
    "ClassPrediction",
    "XlfResult",
    "detection_probability",
    "count_known",
    "expected_numbers",
]

#: The INTEGRAL/IBIS survey band (keV) in which the luminosity functions are measured.
INTEGRAL_BAND_KEV = (17.0, 60.0)

#: Photon index of each class's spectral model (the simulator's mean, see
#: :data:`xrbvo.sim.populations.CLASS_MODELS`); used for band conversions.
CLASS_GAMMA: dict[str, float] = {"HMXB": 1.0, "LMXB": 1.8}

Progress = Callable[[str, float], None]


def _seg_integral(a: float, x1, x2):
    """Integral of t^-a from x1 to x2 (elementwise, x2 >= x1 > 0)."""
    x1 = np.asarray(x1, dtype=float)
    x2 = np.asarray(x2, dtype=float)
    if abs(a - 1.0) < 1e-9:
        return np.log(x2 / x1)
    return (x2 ** (1.0 - a) - x1 ** (1.0 - a)) / (1.0 - a)


def _seg_invert(a: float, x_hi, target):
    """x such that the integral of t^-a from x to ``x_hi`` equals ``target``."""
    x_hi = np.asarray(x_hi, dtype=float)
    target = np.asarray(target, dtype=float)
    if abs(a - 1.0) < 1e-9:
        return x_hi * np.exp(-target)
    base = x_hi ** (1.0 - a) - target * (1.0 - a)
    return np.maximum(base, 1e-300) ** (1.0 / (1.0 - a))


@dataclass(frozen=True)
class BrokenPowerLawLF:
    """A broken power-law luminosity function of a Galactic population.

    ``dN/dL`` is proportional to ``(L/l_break)^-alpha1`` below the break and to
    ``(L/l_break)^-alpha2`` above it, between ``l_min`` and ``l_max``, with
    ``n_total`` sources in the Galaxy above ``l_min``.  Luminosities are in
    erg/s in ``band_kev``.

    Besides its own methods it has the interface the simulator expects of a
    luminosity function (:class:`xrbvo.sim.populations.LogNormalLF`): ``lo``,
    ``hi``, ``sf(log_l_min)`` and ``sample_above(log_l_min, rng)``, all in
    log10 of the luminosity in ``band_kev``.

    Examples
    --------
    >>> lf = BrokenPowerLawLF(l_break=1e36, alpha1=1.5, alpha2=2.5, n_total=100.0,
    ...                       l_min=1e34, l_max=1e38)
    >>> round(float(lf.n_above(1e34)), 6)
    100.0
    >>> bool(lf.n_above(1e35) < lf.n_above(1e34))
    True
    """

    l_break: float
    """Break luminosity (erg/s, in ``band_kev``)."""
    alpha1: float
    """Differential slope below the break (dN/dL ~ L^-alpha1)."""
    alpha2: float
    """Differential slope above the break."""
    n_total: float
    """Number of sources in the Galaxy with L >= ``l_min``."""
    l_min: float = 1e34
    """Lowest luminosity of the population (erg/s, in ``band_kev``)."""
    l_max: float = 3e38
    """Highest luminosity (erg/s, in ``band_kev``)."""
    band_kev: tuple[float, float] = INTEGRAL_BAND_KEV
    """Energy band of the luminosities (keV)."""
    sigma_log_l_break: float = 0.0
    """1-sigma uncertainty of log10 ``l_break`` (dex), for Monte Carlo draws."""
    sigma_alpha1: float = 0.0
    """1-sigma uncertainty of ``alpha1``."""
    sigma_alpha2: float = 0.0
    """1-sigma uncertainty of ``alpha2``."""
    sigma_n_frac: float = 0.0
    """Fractional 1-sigma uncertainty of ``n_total``."""
    l_anchor: float | None = None
    """Luminosity above which the number was measured (erg/s, in ``band_kev``);
    :meth:`perturbed` keeps the number above it and lets the slopes move the
    extrapolation.  None: ``l_min``."""
    name: str = ""
    """Population name (e.g. ``"HMXB"``)."""
    reference: str = ""
    """Where the numbers come from."""

    def __post_init__(self) -> None:
        what = f"luminosity function {self.name or ''}".rstrip()
        if not (0.0 < self.l_min < self.l_max):
            raise InputError(f"{what}: need 0 < l_min < l_max (got l_min={self.l_min:g}, l_max={self.l_max:g} erg/s)")
        if not (self.l_min <= self.l_break <= self.l_max):
            raise InputError(f"{what}: l_break must lie between l_min and l_max (got {self.l_break:g} erg/s; "
                             f"range {self.l_min:g}..{self.l_max:g}); for a single power law set alpha2 = alpha1")
        if not (np.isfinite(self.alpha1) and np.isfinite(self.alpha2)):
            raise InputError(f"{what}: slopes must be finite numbers")
        if not self.n_total >= 0:
            raise InputError(f"{what}: n_total must be >= 0 (got {self.n_total:g})")
        lo, hi = self.band_kev
        if not (0.0 < lo < hi):
            raise InputError(f"{what}: band_kev must be (low, high) with 0 < low < high keV (got {self.band_kev})")

    # ----------------------------------------------------------------- shape
    @property
    def lo(self) -> float:
        """log10 of ``l_min``."""
        return math.log10(self.l_min)

    @property
    def hi(self) -> float:
        """log10 of ``l_max``."""
        return math.log10(self.l_max)

    def _x_bounds(self) -> tuple[float, float]:
        return self.l_min / self.l_break, self.l_max / self.l_break

    def _integral(self, x1, x2):
        """Unnormalised integral of the shape between x1 <= x2 (units of l_break)."""
        x1 = np.asarray(x1, dtype=float)
        x2 = np.asarray(x2, dtype=float)
        a1 = np.minimum(x1, 1.0)
        b1 = np.minimum(x2, 1.0)
        a2 = np.maximum(x1, 1.0)
        b2 = np.maximum(x2, 1.0)
        return _seg_integral(self.alpha1, a1, b1) + _seg_integral(self.alpha2, a2, b2)

    def sf(self, log_l_min) -> np.ndarray:
        """Fraction of sources with log10 L above ``log_l_min`` (1 below ``lo``, 0 above ``hi``)."""
        x_lo, x_hi = self._x_bounds()
        x = 10.0 ** (np.clip(np.asarray(log_l_min, dtype=float), self.lo, self.hi)) / self.l_break
        x = np.clip(x, x_lo, x_hi)
        return np.clip(self._integral(x, x_hi) / self._integral(x_lo, x_hi), 0.0, 1.0)

    def isf(self, q) -> np.ndarray:
        """log10 L above which a fraction ``q`` (0..1) of the sources lie."""
        x_lo, x_hi = self._x_bounds()
        q = np.clip(np.asarray(q, dtype=float), 0.0, 1.0)
        target = q * self._integral(x_lo, x_hi)
        i2 = float(self._integral(max(1.0, x_lo), x_hi))  # mass above the break
        above = _seg_invert(self.alpha2, x_hi, np.minimum(target, i2))
        below = _seg_invert(self.alpha1, min(1.0, x_hi), np.maximum(target - i2, 0.0))
        x = np.where(target <= i2, above, below)
        return np.clip(np.log10(np.clip(x, x_lo, x_hi) * self.l_break), self.lo, self.hi)

    def n_above(self, lum_erg_s) -> np.ndarray:
        """Number of sources in the Galaxy with luminosity above ``lum_erg_s``."""
        return self.n_total * self.sf(np.log10(np.maximum(np.asarray(lum_erg_s, dtype=float), 1e-300)))

    def dn_dlogl(self, lum_erg_s) -> np.ndarray:
        """Differential number per dex of luminosity, dN/dlog10 L (zero outside the range)."""
        lum = np.asarray(lum_erg_s, dtype=float)
        x = lum / self.l_break
        x_lo, x_hi = self._x_bounds()
        shape = np.where(x < 1.0, x ** -self.alpha1, x ** -self.alpha2)
        norm = self.n_total / float(self._integral(x_lo, x_hi))
        out = norm * shape * x * math.log(10.0)  # dN/dlogL = ln10 * L * dN/dL; dL in units of l_break
        return np.where((x >= x_lo) & (x <= x_hi), out, 0.0)

    def total_luminosity(self) -> float:
        """Summed luminosity of the whole population (erg/s, in ``band_kev``)."""
        x_lo, x_hi = self._x_bounds()
        # integral of x * shape: slopes lowered by one
        num = (_seg_integral(self.alpha1 - 1.0, min(x_lo, 1.0), min(x_hi, 1.0))
               + _seg_integral(self.alpha2 - 1.0, max(x_lo, 1.0), max(x_hi, 1.0)))
        return float(self.n_total * self.l_break * num / self._integral(x_lo, x_hi))

    # -------------------------------------------------------------- sampling
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` values of log10 L."""
        return self.isf(rng.random(int(n)))

    def sample_above(self, log_l_min, rng: np.random.Generator) -> np.ndarray:
        """Draw one log10 L per element of ``log_l_min``, each above it."""
        x = np.atleast_1d(np.asarray(log_l_min, dtype=float))
        if x.size == 0:
            return np.zeros(0)
        q = rng.random(x.shape) * self.sf(x)
        return np.maximum(self.isf(q), np.clip(x, self.lo, self.hi))

    # ------------------------------------------------------- transformations
    def to_band(self, band_kev: tuple[float, float], *, gamma: float, e_cut_kev: float | None = None
                ) -> "BrokenPowerLawLF":
        """The same population with luminosities in another band.

        Every luminosity is multiplied by :func:`band_factor` of the spectral
        model (photon index ``gamma``, optional cut-off ``e_cut_kev``); slopes,
        number and uncertainties are unchanged.
        """
        k = band_factor(gamma, self.band_kev, band_kev, e_cut_kev=e_cut_kev)
        return replace(self, l_break=self.l_break * k, l_min=self.l_min * k, l_max=self.l_max * k,
                       l_anchor=None if self.l_anchor is None else self.l_anchor * k,
                       band_kev=(float(band_kev[0]), float(band_kev[1])))

    def with_l_min(self, l_min: float) -> "BrokenPowerLawLF":
        """The same function cut (or extrapolated) at another lowest luminosity.

        ``n_total`` changes so that the number above any luminosity inside both
        ranges stays the same; ``l_break`` must stay inside the new range.
        """
        anchor = self.l_min if self.l_anchor is None else self.l_anchor
        new = replace(self, l_min=float(l_min), n_total=1.0, l_anchor=anchor)
        lo = max(self.l_min, float(l_min))
        ref_old = float(self.n_above(lo))
        ref_new = float(new.n_above(lo))
        return replace(new, n_total=ref_old / ref_new if ref_new > 0 else 0.0)

    def _n_anchor(self) -> tuple[float, float]:
        anchor = self.l_min if self.l_anchor is None else self.l_anchor
        return anchor, float(self.n_above(anchor))

    def perturbed(self, rng: np.random.Generator) -> "BrokenPowerLawLF":
        """A draw of the parameters from their stated 1-sigma uncertainties (Gaussian).

        The number above ``l_anchor`` (where it was measured) varies by
        ``sigma_n_frac``; ``n_total`` follows from it and the drawn slopes.  The
        number stays positive and ``l_break`` inside (``l_min``, ``l_max``).
        """
        anchor, n_anchor = self._n_anchor()
        log_br = math.log10(self.l_break) + self.sigma_log_l_break * rng.standard_normal()
        log_br = min(max(log_br, self.lo + 0.01), self.hi - 0.01)
        n = n_anchor * max(1.0 + self.sigma_n_frac * rng.standard_normal(), 0.05)
        new = replace(self, l_break=10.0 ** log_br,
                      alpha1=self.alpha1 + self.sigma_alpha1 * rng.standard_normal(),
                      alpha2=self.alpha2 + self.sigma_alpha2 * rng.standard_normal(),
                      n_total=1.0)
        frac = float(new.sf(math.log10(anchor)))
        return replace(new, n_total=n / frac if frac > 0 else 0.0)


def band_factor(gamma: float, from_band: tuple[float, float], to_band: tuple[float, float], *,
                e_cut_kev: float | None = None) -> float:
    """Ratio of unabsorbed energy fluxes, ``to_band`` over ``from_band``, of a spectral model.

    The model is a power law of photon index ``gamma`` (N(E) ~ E^-gamma),
    times ``exp(-E/e_cut_kev)`` when a cut-off is given.

    Examples
    --------
    >>> round(band_factor(1.0, (17.0, 60.0), (0.2, 2.3)), 4)
    0.0488
    """
    for name, band in (("from_band", from_band), ("to_band", to_band)):
        if not (len(band) == 2 and 0.0 < band[0] < band[1]):
            raise InputError(f"band_factor: {name} must be (low, high) keV with 0 < low < high (got {band})")
    if e_cut_kev is not None and not e_cut_kev > 0:
        raise InputError(f"band_factor: e_cut_kev must be positive (got {e_cut_kev})")

    def flux(band):
        e = np.geomspace(band[0], band[1], 4001)
        spec = e ** (1.0 - gamma)
        if e_cut_kev is not None:
            spec = spec * np.exp(-e / e_cut_kev)
        return float(np.trapezoid(spec, e))

    return flux(to_band) / flux(from_band)


#: Lowest 17-60 keV luminosity to which the functions are extrapolated (erg/s):
#: two decades below the INTEGRAL survey's reach, where eRASS1 still sees binaries at kpc distances.
L_MIN_DEFAULT = 1e33

#: Persistent HMXBs, 17-60 keV (Lutovinov et al. 2013; Doroshenko et al. 2014); see the module notes.
#: Normalised to N(>1e35 erg/s) = 110 and extrapolated with ``alpha1`` down to :data:`L_MIN_DEFAULT`.
INTEGRAL_HMXB = BrokenPowerLawLF(
    l_break=2.5e36, alpha1=1.40, alpha2=2.2, n_total=110.0, l_min=1e35, l_max=3e38,
    sigma_log_l_break=0.2, sigma_alpha1=0.13, sigma_alpha2=0.4, sigma_n_frac=0.2,
    name="HMXB",
    reference="INTEGRAL 9-yr survey: Lutovinov et al. 2013, MNRAS 431, 327; Doroshenko et al. 2014, A&A 567, A7",
).with_l_min(L_MIN_DEFAULT)

#: LMXBs, 17-60 keV (Revnivtsev et al. 2008; Gilfanov 2004; Doroshenko et al. 2014); see the module notes.
#: Normalised to N(>1e35 erg/s) = 200 and extrapolated with ``alpha1`` down to :data:`L_MIN_DEFAULT`.
INTEGRAL_LMXB = BrokenPowerLawLF(
    l_break=1.0e37, alpha1=1.0, alpha2=1.9, n_total=200.0, l_min=1e35, l_max=3e38,
    sigma_log_l_break=0.3, sigma_alpha1=0.2, sigma_alpha2=0.3, sigma_n_frac=0.25,
    name="LMXB",
    reference="INTEGRAL: Revnivtsev et al. 2008, A&A 491, 209; Gilfanov 2004, MNRAS 349, 146; "
              "Doroshenko et al. 2014, A&A 567, A7",
).with_l_min(L_MIN_DEFAULT)

#: The published functions by class name.
INTEGRAL_LFS: dict[str, BrokenPowerLawLF] = {"HMXB": INTEGRAL_HMXB, "LMXB": INTEGRAL_LMXB}


def soft_band_lf(cls: str, lf: BrokenPowerLawLF | None = None) -> BrokenPowerLawLF:
    """The luminosity function of class ``cls`` in the eRASS1 soft band (0.2-2.3 keV, unabsorbed).

    Converted from ``lf`` (default: the INTEGRAL function of the class) with the
    class's power-law photon index :data:`CLASS_GAMMA`.  This is what the
    simulated sky draws from.
    """
    if cls not in CLASS_GAMMA:
        raise InputError(f"no luminosity function for class {cls!r}; known: {', '.join(CLASS_GAMMA)}")
    lf = INTEGRAL_LFS[cls] if lf is None else lf
    return lf.to_band(physics.ERASS1_SOFT_KEV, gamma=CLASS_GAMMA[cls])


# ======================================================================================
# Surveys


@dataclass(frozen=True)
class Footprint:
    """A rectangle in Galactic coordinates (degrees); longitudes may wrap through 0."""

    l_min_deg: float = 0.0
    """Lowest longitude (inclusive)."""
    l_max_deg: float = 360.0
    """Highest longitude (exclusive); below ``l_min_deg`` means the range wraps through 0."""
    b_min_deg: float = -90.0
    """Lowest latitude."""
    b_max_deg: float = 90.0
    """Highest latitude."""

    def __post_init__(self) -> None:
        if not (-90.0 <= self.b_min_deg < self.b_max_deg <= 90.0):
            raise InputError(f"footprint latitudes must satisfy -90 <= b_min < b_max <= 90 "
                             f"(got {self.b_min_deg}, {self.b_max_deg})")

    def contains(self, l_deg, b_deg) -> np.ndarray:
        """True where (l, b) lies inside."""
        l = np.mod(np.asarray(l_deg, dtype=float), 360.0)
        b = np.asarray(b_deg, dtype=float)
        lo, hi = self.l_min_deg % 360.0, self.l_max_deg % 360.0
        if self.l_max_deg - self.l_min_deg >= 360.0:
            in_l = np.ones(l.shape, dtype=bool)
        elif lo < hi:
            in_l = (l >= lo) & (l < hi)
        else:
            in_l = (l >= lo) | (l < hi)
        return in_l & (b >= self.b_min_deg) & (b <= self.b_max_deg)

    @property
    def area_deg2(self) -> float:
        """Solid angle in square degrees."""
        span = self.l_max_deg - self.l_min_deg
        width = 360.0 if span >= 360.0 else (span % 360.0 or 360.0)  # equal ends: the whole circle
        s = math.sin(math.radians(self.b_max_deg)) - math.sin(math.radians(self.b_min_deg))
        return math.radians(width) * s * (180.0 / math.pi) ** 2

    def describe(self) -> str:
        return (f"l {self.l_min_deg:g}..{self.l_max_deg:g} deg, b {self.b_min_deg:g}..{self.b_max_deg:g} deg "
                f"({self.area_deg2:,.0f} deg2)")


@dataclass(frozen=True)
class SurveyModel:
    """What a survey sees: a footprint and a soft-band completeness curve."""

    name: str
    """Label shown in tables."""
    footprint: Footprint = field(default_factory=Footprint)
    """Where the survey looked."""
    flux_limit: float = 5e-14
    """Absorbed flux (erg/cm2/s, in ``band_kev``) detected with 50% probability."""
    completeness_width_dex: float = 0.08
    """Width of the logistic completeness curve in log10 flux (as in the simulator)."""
    band_kev: tuple[float, float] = physics.ERASS1_SOFT_KEV
    """Detection band (keV)."""

    def __post_init__(self) -> None:
        if not self.flux_limit > 0:
            raise InputError(f"survey {self.name!r}: flux_limit must be positive erg/cm2/s (got {self.flux_limit})")
        if not self.completeness_width_dex > 0:
            raise InputError(f"survey {self.name!r}: completeness_width_dex must be positive")


#: eRASS1, German half of the sky (Galactic l >= 180 deg), 0.2-2.3 keV, ~5e-14 erg/cm2/s
#: (Merloni et al. 2024, A&A 682, A34).
ERASS1_DE = SurveyModel("eRASS1-DE", Footprint(180.0, 360.0, -90.0, 90.0), 5e-14, 0.08)


def detection_probability(flux, flux_limit: float, width_dex: float) -> np.ndarray:
    """Logistic completeness in log10 flux: 0.5 at ``flux_limit`` (the simulator's curve)."""
    x = (np.log10(np.maximum(np.asarray(flux, dtype=float), 1e-300)) - math.log10(flux_limit)) / width_dex
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))


# ======================================================================================
# The Galaxy: positions, columns, fluxes


def _inverse_cdf_sample(grid, weight, n, rng):
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (weight[1:] + weight[:-1]) * np.diff(grid))])
    cdf /= cdf[-1]
    return np.interp(rng.random(n), cdf, grid)


def _sample_positions(spatial, n: int, rng: np.random.Generator):
    """Galactocentric (x, y, z) in kpc of ``n`` objects drawn from a SpatialModel."""
    n_bulge = rng.binomial(n, spatial.bulge_fraction) if spatial.bulge_fraction > 0 else 0
    n_disk = n - n_bulge
    r_grid = np.linspace(0.0, spatial.r_max_kpc, 2001)
    w = spatial.disk(r_grid, np.zeros_like(r_grid)) * r_grid  # disk(R, 0) is the radial profile
    r = _inverse_cdf_sample(r_grid, w, n_disk, rng)
    phi = rng.uniform(0.0, 2.0 * math.pi, n_disk)
    z = rng.laplace(0.0, spatial.hz_pc / 1000.0, n_disk)
    x, y = r * np.cos(phi), r * np.sin(phi)
    if n_bulge:
        xb, yb, zb = rng.normal(0.0, 1.0, (3, n_bulge))  # the simulator's bulge: 3-D Gaussian, 1 kpc
        x, y, z = np.concatenate([x, xb]), np.concatenate([y, yb]), np.concatenate([z, zb])
    return x, y, z


def _heliocentric(x, y, z):
    """(l, b) in degrees and distance in pc; the Sun at (R0, 0, 0), l = 0 towards the centre."""
    dx = physics.R0_KPC - x
    dp = np.hypot(dx, y)
    l = np.degrees(np.arctan2(y, dx)) % 360.0
    b = np.degrees(np.arctan2(z, dp))
    d_pc = np.sqrt(dp**2 + z**2) * 1000.0
    return l, b, d_pc


def _column_fraction(l_deg, b_deg, d_pc, *, chunk: int = 4000) -> np.ndarray:
    """Fraction of the total Galactic column in front of each source.

    The same split as the simulator: the HI4PI column distributed along the
    sight line like an exponential dust-and-gas disk
    (:data:`xrbvo.sim.sky.DUST`).
    """
    from .sim.sky import DUST

    grid = np.geomspace(5.0, 40000.0, 300)
    gk = grid / 1000.0
    out = np.empty(len(d_pc))
    for i in range(0, len(d_pc), chunk):
        sl = slice(i, i + chunk)
        r, z = physics.galactocentric(np.asarray(l_deg[sl])[:, None], np.asarray(b_deg[sl])[:, None], gk[None, :])
        dens = np.exp(-(r - physics.R0_KPC) / DUST["rd_kpc"]) * np.exp(-np.abs(z) / DUST["hz_kpc"])
        dens = np.where(r < DUST["r_max_kpc"], dens, 0.0)
        cum = np.concatenate([np.zeros((dens.shape[0], 1)),
                              np.cumsum(0.5 * (dens[:, 1:] + dens[:, :-1]) * np.diff(gk)[None, :], axis=1)], axis=1)
        cum /= np.maximum(cum[:, -1:], 1e-300)
        idx = np.clip(np.searchsorted(grid, d_pc[sl]), 1, len(grid) - 1)
        g0, g1 = grid[idx - 1], grid[idx]
        t = np.clip((d_pc[sl] - g0) / (g1 - g0), 0.0, 1.0)
        rows = np.arange(len(idx))
        out[sl] = cum[rows, idx - 1] * (1 - t) + cum[rows, idx] * t
    return out


@dataclass(frozen=True)
class _Sightlines:
    """Monte Carlo sample of a class's Galaxy: where each object would be and how dim it looks."""

    n_sample: int
    in_footprint: np.ndarray  # bool, per sampled object
    log_k: np.ndarray  # log10(absorbed flux / unabsorbed soft luminosity), in-footprint objects only
    distance_pc: np.ndarray  # in-footprint objects only
    nh: np.ndarray  # in-footprint objects only


def _sightlines(cls: str, survey: SurveyModel, n_sample: int, rng: np.random.Generator) -> _Sightlines:
    from .sim.populations import CLASS_MODELS

    model = CLASS_MODELS[cls]
    x, y, z = _sample_positions(model.spatial, n_sample, rng)
    l, b, d_pc = _heliocentric(x, y, z)
    inside = survey.footprint.contains(l, b)
    l, b, d_pc = l[inside], b[inside], d_pc[inside]
    m = len(d_pc)
    nh = physics.galactic_nh(l, b) * _column_fraction(l, b, d_pc) if m else np.zeros(0)
    if model.local_nh_log is not None:
        nh = nh + 10.0 ** rng.normal(*model.local_nh_log, m)
    gamma = rng.normal(*model.gamma, m)
    # Absorbed survey-band flux per unit unabsorbed 0.2-2.3 keV luminosity.
    band_ratio = physics.absorbed_band_flux(1.0, gamma, nh, survey.band_kev, ref_band=physics.ERASS1_SOFT_KEV)
    k = band_ratio / (4.0 * math.pi * (d_pc * 3.0857e18) ** 2)
    return _Sightlines(n_sample, inside, np.log10(np.maximum(k, 1e-300)), d_pc, nh)


def _detection_curve(lf_soft: BrokenPowerLawLF, survey: SurveyModel, step_dex: float = 0.005
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Detection probability, averaged over the LF, as a function of y = log10(F/L).

    ``G(y) = sum_j m_j P(y + x_j)`` with ``m_j`` the LF's mass in the luminosity
    bin ``x_j``; on one uniform grid this is a correlation, computed once per LF.
    Returns the grid of y and G.
    """
    n_x = max(int(math.ceil((lf_soft.hi - lf_soft.lo) / step_dex)), 2)
    edges = np.linspace(lf_soft.lo, lf_soft.hi, n_x + 1)
    dx = edges[1] - edges[0]
    mass = -np.diff(lf_soft.sf(edges))
    x0 = 0.5 * (edges[0] + edges[1])
    log_f = math.log10(survey.flux_limit)
    pad = 12.0 * survey.completeness_width_dex
    y0 = log_f - lf_soft.hi - pad
    n_y = int(math.ceil((lf_soft.hi - lf_soft.lo + 2 * pad) / dx)) + 1
    s = y0 + x0 + dx * np.arange(n_y + n_x - 1)
    p = 1.0 / (1.0 + np.exp(-np.clip((s - log_f) / survey.completeness_width_dex, -50.0, 50.0)))
    g = np.correlate(p, mass, mode="valid")
    return y0 + dx * np.arange(n_y), g


def _expected_detected(lf_soft: BrokenPowerLawLF, hist: tuple[np.ndarray, np.ndarray], survey: SurveyModel) -> float:
    """Sum over the sampled objects (histogram of log10 F/L) of their detection probability."""
    centres, counts = hist
    y, g = _detection_curve(lf_soft, survey)
    return float(np.interp(centres, y, g, left=0.0, right=1.0) @ counts)


def _n_above_flux(lf_soft: BrokenPowerLawLF, hist: tuple[np.ndarray, np.ndarray], logs: np.ndarray) -> np.ndarray:
    """Sum over the sampled objects of the fraction brighter than each absorbed flux in ``logs``."""
    centres, counts = hist
    return lf_soft.sf(logs[:, None] - centres[None, :]) @ counts


def _histogram(log_k: np.ndarray, step_dex: float = 0.005) -> tuple[np.ndarray, np.ndarray]:
    if len(log_k) == 0:
        return np.zeros(0), np.zeros(0)
    lo = math.floor(log_k.min() / step_dex) * step_dex
    n = int(math.ceil((log_k.max() - lo) / step_dex)) + 1
    counts, edges = np.histogram(log_k, bins=n, range=(lo, lo + n * step_dex))
    keep = counts > 0
    return (0.5 * (edges[1:] + edges[:-1]))[keep], counts[keep].astype(float)


# ======================================================================================
# Known sources


def count_known(table, footprint: Footprint) -> int:
    """Number of rows of a catalogue of known sources inside ``footprint``.

    ``table`` is an astropy Table (or a path read with :func:`xrbvo.io.read_table`)
    with ICRS positions in degrees, in columns named ``RAdeg``/``DEdeg``,
    ``RA``/``DEC`` or ``ra``/``dec`` (the XRBcats and Fortin et al. catalogues
    use the first pair).  Rows without a position are not counted.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    from .io import as_float, read_table

    if not hasattr(table, "colnames"):
        table = read_table(table)
    pairs = (("RAdeg", "DEdeg"), ("RA", "DEC"), ("ra", "dec"), ("RA_ICRS", "DE_ICRS"), ("_RAJ2000", "_DEJ2000"))
    for ra_name, dec_name in pairs:
        if ra_name in table.colnames and dec_name in table.colnames:
            break
    else:
        raise InputError(
            "catalogue of known sources has no position columns; it needs RAdeg/DEdeg, RA/DEC or ra/dec "
            f"in degrees (columns are: {', '.join(table.colnames[:12])}{'...' if len(table.colnames) > 12 else ''})")
    ra = as_float(table[ra_name])
    dec = as_float(table[dec_name])
    ok = np.isfinite(ra) & np.isfinite(dec)
    if not ok.any():
        return 0
    gal = SkyCoord(ra=ra[ok] * u.deg, dec=dec[ok] * u.deg, frame="icrs").galactic
    return int(np.count_nonzero(footprint.contains(gal.l.deg, gal.b.deg)))


# ======================================================================================
# Expected numbers


@dataclass(frozen=True)
class ClassPrediction:
    """Expected numbers of one class in one survey."""

    cls: str
    """Class name."""
    lf: BrokenPowerLawLF
    """Luminosity function used (INTEGRAL band)."""
    lf_soft: BrokenPowerLawLF
    """The same converted to the unabsorbed 0.2-2.3 keV band."""
    n_footprint: float
    """Expected number of the class inside the footprint (any flux)."""
    n_detected: float
    """Expected number detected, nominal parameters."""
    detected_draws: np.ndarray
    """Detected counts of the Monte Carlo realisations (parameter draws plus Poisson)."""
    n_known: int | None
    """Known sources of the class inside the footprint (None: no catalogue given)."""
    median_distance_pc: float
    """Median distance of the detected objects (nominal parameters)."""
    logs_grid: np.ndarray
    """log10 absorbed flux grid of the log N - log S curve."""
    n_above_flux: np.ndarray
    """Expected N(>S) in the footprint at ``logs_grid`` (nominal parameters)."""
    n_above_flux_band: np.ndarray
    """16th and 84th percentiles of N(>S) over the parameter draws, shape (2, len(logs_grid))."""

    def interval(self, lo_pct: float = 16.0, hi_pct: float = 84.0) -> tuple[float, float]:
        """Percentiles of the detected counts over the Monte Carlo draws (nominal if none)."""
        if len(self.detected_draws) == 0:
            return self.n_detected, self.n_detected
        return (float(np.percentile(self.detected_draws, lo_pct)), float(np.percentile(self.detected_draws, hi_pct)))

    @property
    def n_new(self) -> float | None:
        """Expected detected minus known (at least 0); None without a catalogue of known sources."""
        if self.n_known is None:
            return None
        return max(self.n_detected - self.n_known, 0.0)


@dataclass(frozen=True)
class XlfResult:
    """Predictions of :func:`expected_numbers` for several classes."""

    survey: SurveyModel
    """The survey the numbers are for."""
    predictions: Mapping[str, ClassPrediction]
    """One entry per class."""
    n_mc: int
    """Number of Monte Carlo parameter draws."""
    seed: int
    """Seed of the random generator."""

    def table(self):
        """One row per class, as an astropy Table with units and descriptions."""
        from astropy.table import Table

        rows = []
        for p in self.predictions.values():
            lo, hi = p.interval()
            rows.append({
                "class": p.cls,
                "log_l_break": math.log10(p.lf.l_break),
                "alpha1": p.lf.alpha1,
                "alpha2": p.lf.alpha2,
                "log_l_min": math.log10(p.lf.l_min),
                "n_total": p.lf.n_total,
                "log_l_break_soft": math.log10(p.lf_soft.l_break),
                "log_l_min_soft": math.log10(p.lf_soft.l_min),
                "n_footprint": p.n_footprint,
                "n_detected": p.n_detected,
                "n_detected_lo": lo,
                "n_detected_hi": hi,
                "n_known": -1 if p.n_known is None else p.n_known,
                "n_new": np.nan if p.n_new is None else p.n_new,
                "median_distance": p.median_distance_pc / 1000.0,
            })
        t = Table(rows=rows, names=list(rows[0]) if rows else None)
        units = {"log_l_break": "dex(erg/s)", "log_l_min": "dex(erg/s)", "log_l_break_soft": "dex(erg/s)",
                 "log_l_min_soft": "dex(erg/s)", "median_distance": "kpc"}
        desc = {
            "log_l_break": "break luminosity, 17-60 keV", "alpha1": "differential slope below the break",
            "alpha2": "differential slope above the break", "log_l_min": "lowest luminosity, 17-60 keV",
            "n_total": "number in the Galaxy above l_min",
            "log_l_break_soft": "break luminosity, unabsorbed 0.2-2.3 keV",
            "log_l_min_soft": "lowest luminosity, unabsorbed 0.2-2.3 keV",
            "n_footprint": "expected number inside the footprint", "n_detected": "expected number detected",
            "n_detected_lo": "16th percentile of detected counts (parameters + Poisson)",
            "n_detected_hi": "84th percentile of detected counts (parameters + Poisson)",
            "n_known": "known sources in the footprint (-1: no catalogue)",
            "n_new": "expected detected minus known", "median_distance": "median distance of detected objects",
        }
        for name in t.colnames:
            if name in units:
                t[name].unit = units[name]
            if name in desc:
                t[name].description = desc[name]
        t.meta["survey"] = self.survey.name
        t.meta["footprint"] = self.survey.footprint.describe()
        t.meta["flux_limit"] = self.survey.flux_limit
        t.meta["n_mc"] = self.n_mc
        t.meta["seed"] = self.seed
        return t


def expected_numbers(classes: Sequence[str] = ("HMXB", "LMXB"), *, survey: SurveyModel = ERASS1_DE,
                     lfs: Mapping[str, BrokenPowerLawLF] | None = None,
                     known: Mapping[str, object] | None = None,
                     n_sample: int = 40000, n_mc: int = 200, seed: int = 0,
                     progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> XlfResult:
    """Expected numbers of X-ray binaries that a survey detects, and how many are new.

    Objects are drawn from the class's Galactic distribution (the simulator's
    :data:`~xrbvo.sim.populations.CLASS_MODELS`), absorbed by the fraction of
    the HI4PI column in front of them plus the class's local column, and
    counted with the survey's completeness curve, the luminosity function
    converted to 0.2-2.3 keV with the class's spectral model.  Uncertainties
    come from ``n_mc`` draws of the luminosity-function parameters, each with a
    Poisson realisation.

    Parameters
    ----------
    classes : sequence of str
        Classes to predict (those of :data:`CLASS_GAMMA`).
    survey : SurveyModel
        Footprint and flux limit (default eRASS1, German half).
    lfs : mapping, optional
        Luminosity functions (INTEGRAL band) by class; default :data:`INTEGRAL_LFS`.
    known : mapping, optional
        Catalogue of known sources by class (Table or path), counted in the
        footprint to give the number of new ones.
    n_sample : int
        Monte Carlo objects drawn per class for the geometry and absorption.
    n_mc : int
        Parameter draws for the uncertainties (0: nominal only).
    seed : int
        Seed; the same seed gives the same numbers.
    progress, cancel
        Progress callback ``(message, fraction)`` and a cancelling Event.

    Returns
    -------
    XlfResult
    """
    lfs = dict(INTEGRAL_LFS if lfs is None else lfs)
    known = dict(known or {})
    if not classes:
        raise InputError("expected_numbers: give at least one class (HMXB, LMXB)")
    for cls in classes:
        if cls not in CLASS_GAMMA or cls not in lfs:
            raise InputError(f"expected_numbers: no luminosity function for class {cls!r}; "
                             f"classes with one: {', '.join(sorted(set(CLASS_GAMMA) & set(lfs)))}")
    if n_sample < 1000:
        raise InputError(f"expected_numbers: n_sample must be >= 1000 (got {n_sample}); fewer objects give noisy numbers")
    if n_mc < 0:
        raise InputError(f"expected_numbers: n_mc must be >= 0 (got {n_mc})")
    report = progress or (lambda msg, frac: None)
    rng = np.random.default_rng(seed)
    preds: dict[str, ClassPrediction] = {}
    nclass = len(classes)
    for ci, cls in enumerate(classes):
        base = ci / nclass
        report(f"{cls}: sight lines", base)
        lf = lfs[cls]
        lf_soft = soft_band_lf(cls, lf)
        sl = _sightlines(cls, survey, n_sample, rng)
        weight = lf.n_total / sl.n_sample  # objects in the Galaxy per sampled object
        n_foot = weight * len(sl.log_k)
        hist = _histogram(sl.log_k)
        n_det = weight * _expected_detected(lf_soft, hist, survey)
        y, g_curve = _detection_curve(lf_soft, survey)
        p_det = np.interp(sl.log_k, y, g_curve, left=0.0, right=1.0)
        med_d = float(_weighted_median(sl.distance_pc, p_det)) if p_det.sum() > 0 else float("nan")
        logs = np.linspace(math.log10(survey.flux_limit) - 1.0, math.log10(survey.flux_limit) + 4.0, 41)
        n_above = weight * _n_above_flux(lf_soft, hist, logs)
        draws = np.empty(n_mc)
        curves = np.empty((min(n_mc, 64), len(logs)))
        for j in range(n_mc):
            if cancel is not None and cancel.is_set():
                raise InputError("expected-number calculation cancelled")
            lf_j = lf.perturbed(rng)
            soft_j = soft_band_lf(cls, lf_j)
            w_j = lf_j.n_total / sl.n_sample
            draws[j] = rng.poisson(w_j * _expected_detected(soft_j, hist, survey))
            if j < len(curves):  # the log N - log S band needs fewer draws
                curves[j] = w_j * _n_above_flux(soft_j, hist, logs)
            if j % 20 == 0:
                report(f"{cls}: Monte Carlo", base + (j + 1) / max(n_mc, 1) / nclass)
        band = np.percentile(curves, [16.0, 84.0], axis=0) if n_mc else np.vstack([n_above, n_above])
        n_known = count_known(known[cls], survey.footprint) if known.get(cls) is not None else None
        preds[cls] = ClassPrediction(cls, lf, lf_soft, float(n_foot), n_det, draws, n_known, med_d,
                                     logs, n_above, band)
    report("done", 1.0)
    return XlfResult(survey, preds, n_mc, seed)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cw = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cw, 0.5 * cw[-1])])
