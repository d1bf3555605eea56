"""X-ray luminosity functions of Galactic X-ray binaries and the numbers surveys should detect.

The Galactic populations of high- and low-mass X-ray binaries (HMXBs, LMXBs) are
described by broken power-law luminosity functions measured in the hard X-ray
band of the INTEGRAL/IBIS 9-year Galactic survey (17-60 keV)::

    dN/dL = K (L / L_br)^-alpha1    for L_min <= L <  L_br
    dN/dL = K (L / L_br)^-alpha2    for L_br  <= L <= L_max

normalised so that ``N_total`` sources of the class in the Milky Way have
``L >= L_min``.  Drawing a Galaxy of such sources (positions from the class's
Galactic distribution, luminosities from its function), absorbing each by the
gas in front of it, converting to a survey's band with an absorbed power law
and applying the survey's flux limit predicts how many of them INTEGRAL and
eROSITA detect, and how many eROSITA detects that INTEGRAL does not (the "new"
ones).  :func:`expected_numbers` does this many times, each with parameters
drawn from their published uncertainties.

The published parameters
------------------------
Doroshenko, Ducci, Santangelo & Sasaki (2014, A&A 567, A7, "Population of the
Galactic X-ray binaries and eROSITA") fitted these functions to the XRBs of the
INTEGRAL 9-year Galactic survey (Krivonos et al. 2012, A&A 545, A27).  The seed
work's Table 1 quotes them (errors: +upper, -lower; read as 68% intervals):

==========================  ======================  =======================
                            LMXB                    HMXB
==========================  ======================  =======================
L_br (1e36 erg/s)           8 (+7, -6.5)            0.55 (+4.6, -0.28)
alpha_1                     0.9 (+0.2, -0.4)        0.3 (+0.8, -0.2)
alpha_2                     2.6 (+3, -0.9)          2.1 (+3, -0.6)
N_total in the Milky Way    200 (+175, -75)         110 (+180, -10)
==========================  ======================  =======================

These are :data:`DOROSHENKO2014`.  The table does not quote the luminosity the
number refers to; we take ``L_min = 1e32 erg/s`` (17-60 keV,
:data:`L_MIN_DEFAULT`), for two reasons.  First, the table calls ``N_total``
the number in the Milky Way and quotes INTEGRAL's detected fraction as
108/N_total (29-86% = 108/375-108/125; HMXBs 27-82%, 82/290 = 28% and
82/100), so the function
must describe the whole population, far below INTEGRAL's reach.  With the
Galactic distributions and the INTEGRAL limit used here, the function at the
published values gives back INTEGRAL's 108 LMXBs only if it extends down to
~1e32 erg/s (INTEGRAL then detects ~115; with L_min = 1e33, 1e34, 1e35 erg/s it
would detect ~130, ~154, ~193).  Second, ~1e32 erg/s is where persistently
accreting binaries give way to quiescent ones (1e30-1e33 erg/s), which a
function fitted to persistent sources does not describe.  Because both
low-luminosity slopes are below 1 the number integral converges towards low
luminosities: for HMXBs (alpha_1 = 0.3) the choice hardly matters (INTEGRAL
detects 85-89 of 110 for any L_min from 1e31 to 1e34 erg/s); for LMXBs
(alpha_1 = 0.9) it does, and it also moves eROSITA's numbers, since eROSITA
reaches such luminosities across several kpc.  ``l_min`` is a parameter of
:class:`XLFParameters` (command line: ``--l-min``).

Monte Carlo over the uncertainties
----------------------------------
Each parameter is drawn independently from a split normal
(:class:`SplitNormal`): a half-Gaussian of width ``minus`` below the published
value and one of width ``plus`` above it, each side holding half of the
probability, so that the published value is the median and value - minus,
value + plus are the 16th and 84th percentiles, as the table states.  (The
other common convention, a density continuous at the value, would put only 6%
of the HMXB break luminosities below 0.55e36 erg/s and move their median to
3.4e36 erg/s: not what the table says.)  Physical bounds are applied by
redrawing (a truncated split normal): ``L_min < L_br < L_max``,
``alpha_1 >= 0``, ``alpha_2 > 1`` (a bright end flatter than L^-1 would put the
Galaxy's luminosity in its single brightest source) and ``N_total > 0``.  The
published errors come from a joint fit, so the parameters are correlated (e.g.
L_br with alpha_2); drawing them independently widens the predicted ranges.

Spectra and absorption
----------------------
Each source has an absorbed power-law spectrum (photon index: class parameter,
HMXB 1.0 and LMXB 1.8 by default with a scatter of 0.3, as in the simulated sky,
:data:`CLASS_GAMMA`).  Its column is the HI4PI total column along the sight
line (:func:`xrbvo.core.physics.galactic_nh`) times the fraction of an exponential
gas-and-dust disk (:data:`xrbvo.core.physics.DUST`) that lies in front of it, plus
the class's local column (as in the simulated sky).  The absorbed flux in a
band follows from the 17-60 keV luminosity with
:func:`xrbvo.core.physics.absorbed_band_flux` (Morrison & McCammon 1983
cross-sections).  HI4PI holds atomic gas only; towards the inner Galaxy
molecular gas adds a comparable column, so eROSITA soft-band fluxes of distant
plane sources are, if anything, overestimated.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from xrbvo.core import physics
from xrbvo.core.errors import Cancelled, InputError
from xrbvo.galaxy.lf import (CLASS_GAMMA, DOROSHENKO2014, INTEGRAL_BAND_KEV, INTEGRAL_HMXB, INTEGRAL_LFS,  # noqa: F401
                             INTEGRAL_LMXB, L_MAX_DEFAULT, L_MIN_DEFAULT, BrokenPowerLawLF, SplitNormal,
                             XLFParameters, band_factor, soft_band_lf, source_flux)

__all__ = [
    "INTEGRAL_BAND_KEV",
    "L_MIN_DEFAULT",
    "L_MAX_DEFAULT",
    "SplitNormal",
    "BrokenPowerLawLF",
    "XLFParameters",
    "DOROSHENKO2014",
    "INTEGRAL_LFS",
    "INTEGRAL_HMXB",
    "INTEGRAL_LMXB",
    "CLASS_GAMMA",
    "band_factor",
    "soft_band_lf",
    "source_flux",
    "Footprint",
    "DE_HALF",
    "SurveyModel",
    "INTEGRAL_IBIS",
    "ERASS1_SOFT",
    "ERASS1_HARD",
    "PublishedPrediction",
    "PUBLISHED",
    "PUBLISHED_NEW_DE_TOTAL",
    "QUANTITIES",
    "ClassResult",
    "XlfResult",
    "expected_numbers",
    "MAX_N_SAMPLE",
    "MAX_N_MC",
]

#: Most sight lines per class :func:`expected_numbers` draws (25 times the default; each costs about
#: 50 microseconds and a few hundred bytes, so the largest pool takes about half a minute and 300 MB).
MAX_N_SAMPLE = 500_000
#: Most Monte Carlo realisations :func:`expected_numbers` runs (25 times the default; the cumulative
#: counts keep about 1 kB per realisation and class).
MAX_N_MC = 50_000

#: Progress callback ``(message, fraction)``.
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Footprint:
    """A rectangle in Galactic coordinates (degrees); longitudes may wrap through 0.

    Parameters
    ----------
    l_min_deg : float, optional
        Lowest longitude (inclusive).
    l_max_deg : float, optional
        Highest longitude (exclusive); below ``l_min_deg`` means the range wraps through 0.
    b_min_deg : float, optional
        Lowest latitude.
    b_max_deg : float, optional
        Highest latitude.
    """

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


#: The eROSITA-DE half of the sky (Galactic longitude 180-360 deg), whose eRASS1 data are public.
DE_HALF = Footprint(180.0, 360.0, -90.0, 90.0)


@dataclass(frozen=True)
class SurveyModel:
    """What a survey detects: a band, a flux limit with a completeness curve, a footprint.

    The probability of detecting a source of absorbed flux ``F`` (in
    ``band_kev``) is logistic in log10 F, 0.5 at the flux limit (the simulated
    sky's curve).  The limit may be lower in the Galactic plane
    (``|b| < plane_b_deg``) than outside it (``flux_limit_off_plane``).

    Parameters
    ----------
    name : str
        Label shown in tables.
    band_kev : tuple[float, float]
        Detection band (keV).
    flux_limit : float
        Absorbed flux (erg/cm2/s, in ``band_kev``) detected with 50% probability (in the plane).
    completeness_width_dex : float, optional
        Width of the logistic completeness curve in log10 flux.
    footprint : Footprint, optional
        Where the survey looked.
    plane_b_deg : float, optional
        If set, ``flux_limit`` applies at ``|b|`` below it and ``flux_limit_off_plane`` above.
    flux_limit_off_plane : float, optional
        Flux limit at ``|b|`` >= ``plane_b_deg``.
    note : str, optional
        Why these numbers.
    """

    name: str
    """Label shown in tables."""
    band_kev: tuple[float, float]
    """Detection band (keV)."""
    flux_limit: float
    """Absorbed flux (erg/cm2/s, in ``band_kev``) detected with 50% probability (in the plane)."""
    completeness_width_dex: float = 0.08
    """Width of the logistic completeness curve in log10 flux."""
    footprint: Footprint = field(default_factory=Footprint)
    """Where the survey looked."""
    plane_b_deg: float | None = None
    """If set, ``flux_limit`` applies at ``|b|`` below it and ``flux_limit_off_plane`` above."""
    flux_limit_off_plane: float | None = None
    """Flux limit at ``|b|`` >= ``plane_b_deg``."""
    note: str = ""
    """Why these numbers."""

    def __post_init__(self) -> None:
        if not self.flux_limit > 0:
            raise InputError(f"survey {self.name!r}: flux_limit must be positive erg/cm2/s (got {self.flux_limit})")
        if not self.completeness_width_dex > 0:
            raise InputError(f"survey {self.name!r}: completeness_width_dex must be positive "
                             f"(got {self.completeness_width_dex})")
        if not (len(self.band_kev) == 2 and 0.0 < self.band_kev[0] < self.band_kev[1]):
            raise InputError(f"survey {self.name!r}: band_kev must be (low, high) keV with 0 < low < high "
                             f"(got {self.band_kev})")
        if (self.plane_b_deg is None) != (self.flux_limit_off_plane is None):
            raise InputError(f"survey {self.name!r}: give both plane_b_deg and flux_limit_off_plane, or neither")
        if self.flux_limit_off_plane is not None and not self.flux_limit_off_plane > 0:
            raise InputError(f"survey {self.name!r}: flux_limit_off_plane must be positive erg/cm2/s")

    def flux_limit_at(self, b_deg) -> np.ndarray:
        """The 50%-completeness flux at Galactic latitude ``b_deg``."""
        b = np.asarray(b_deg, dtype=float)
        if self.plane_b_deg is None:
            return np.full(b.shape, self.flux_limit)
        return np.where(np.abs(b) < self.plane_b_deg, self.flux_limit, self.flux_limit_off_plane)

    def detection_probability(self, flux, b_deg=0.0) -> np.ndarray:
        """Probability of detecting sources of absorbed flux ``flux`` at latitude ``b_deg``."""
        x = (np.log10(np.maximum(np.asarray(flux, dtype=float), 1e-300))
             - np.log10(self.flux_limit_at(b_deg))) / self.completeness_width_dex
        return 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))

    def describe(self) -> str:
        s = f"{self.name}: {self.band_kev[0]:g}-{self.band_kev[1]:g} keV, 50% at {self.flux_limit:.2g} erg/cm2/s"
        if self.plane_b_deg is not None:
            s += f" at |b|<{self.plane_b_deg:g} deg, {self.flux_limit_off_plane:.2g} above"
        return s


#: INTEGRAL/IBIS 9-year Galactic survey, 17-60 keV (Krivonos et al. 2012, A&A 545, A27).
INTEGRAL_IBIS = SurveyModel(
    "INTEGRAL/IBIS", INTEGRAL_BAND_KEV, 1e-11, 0.08, plane_b_deg=17.5, flux_limit_off_plane=4e-11,
    note="1e-11 erg/cm2/s (0.7 mCrab; 1 mCrab = 1.43e-11 in 17-60 keV) in the plane, |b| < 17.5 deg, "
         "where the 9-year survey reaches about 1 mCrab over most of the area and 0.3-0.5 mCrab in the "
         "deep inner-Galaxy fields; 4e-11 (~3 mCrab) outside, where the exposure is much shorter.")

#: eRASS1 main catalogue band, 0.2-2.3 keV, 5e-14 erg/cm2/s at 50% completeness (Merloni et al. 2024).
ERASS1_SOFT = SurveyModel(
    "eRASS1 0.2-2.3 keV", physics.ERASS1_SOFT_KEV, 5e-14, 0.08,
    note="Merloni et al. 2024 (A&A 682, A34): 50% completeness at ~5e-14 erg/cm2/s, 0.2-2.3 keV.")

#: eRASS1 hard catalogue band, 2.3-5 keV (Merloni et al. 2024: 5466 sources on the DE half).
ERASS1_HARD = SurveyModel(
    "eRASS1 2.3-5 keV", physics.ERASS1_HARD_KEV, 1e-12, 0.08,
    note="An estimate: the 5466 hard-band sources on the DE half (0.27 per deg2) match the "
         "extragalactic 2.3-5 keV counts near ~5e-13 erg/cm2/s, where the catalogue is far from complete; "
         "we take 1e-12 for 50% completeness.  A parameter (--erosita-hard-limit).")


# ======================================================================================
# The published predictions


@dataclass(frozen=True)
class PublishedPrediction:
    """The seed work's Table 1 predictions for one class (Doroshenko et al. 2014).

    Parameters
    ----------
    n_integral : int
        X-ray binaries of the class detected by INTEGRAL (the 9-year sample).
    frac_integral : tuple[float, float]
        Detected fraction quoted for INTEGRAL (= n_integral / the N_total interval).
    n_erosita : tuple[float, float]
        Range of the number eROSITA detects (all sky).
    frac_erosita : tuple[float, float]
        Range of eROSITA's detected fraction.
    n_new : tuple[float, float]
        Range of the number new with eROSITA (= n_erosita - n_integral in the table).
    """

    n_integral: int
    """X-ray binaries of the class detected by INTEGRAL (the 9-year sample)."""
    frac_integral: tuple[float, float]
    """Detected fraction quoted for INTEGRAL (= n_integral / the N_total interval)."""
    n_erosita: tuple[float, float]
    """Range of the number eROSITA detects (all sky)."""
    frac_erosita: tuple[float, float]
    """Range of eROSITA's detected fraction."""
    n_new: tuple[float, float]
    """Range of the number new with eROSITA (= n_erosita - n_integral in the table)."""


#: Table 1 of the seed work, by class.
PUBLISHED: dict[str, PublishedPrediction] = {
    "LMXB": PublishedPrediction(108, (0.29, 0.86), (130, 270), (0.75, 0.95), (22, 162)),
    "HMXB": PublishedPrediction(82, (0.27, 0.82), (105, 220), (0.78, 0.96), (23, 138)),
}

#: New X-ray binaries (both classes) expected on the eROSITA-DE half (l > 180 deg).
PUBLISHED_NEW_DE_TOTAL = (22, 150)



# ======================================================================================
# The Galaxy: positions, columns


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


@dataclass(frozen=True)
class _Pool:
    """Sight lines of a class's Galaxy: where objects would be and how bright per unit luminosity."""

    l_deg: np.ndarray
    b_deg: np.ndarray
    distance_pc: np.ndarray
    nh: np.ndarray
    gamma: np.ndarray
    log_k: dict  # survey name -> log10(absorbed band flux / 17-60 keV luminosity), cm^-2


def _pool(cls: str, surveys: Sequence[SurveyModel], n: int, rng: np.random.Generator, *,
          gamma: float, gamma_scatter: float, local_absorption: bool, band_kev) -> _Pool:
    from xrbvo.galaxy.populations import CLASS_MODELS

    model = CLASS_MODELS[cls]
    x, y, z = _sample_positions(model.spatial, n, rng)
    l, b, d_pc = _heliocentric(x, y, z)
    nh = physics.sight_line_nh(l, b, d_pc)
    if local_absorption and model.local_nh_log is not None:
        nh = nh + 10.0 ** rng.normal(*model.local_nh_log, n)
    g = rng.normal(gamma, gamma_scatter, n) if gamma_scatter > 0 else np.full(n, float(gamma))
    log_k = {}
    for s in surveys:
        k = source_flux(1.0, d_pc, nh, g, s.band_kev, lum_band_kev=band_kev)
        log_k[s.name] = np.log10(np.maximum(k, 1e-300))
    return _Pool(l, b, d_pc, nh, g, log_k)


#: Quantities drawn per Monte Carlo realisation (keys of :attr:`ClassResult.draws`).
QUANTITIES: dict[str, str] = {
    "l_break": "break luminosity, 17-60 keV (erg/s)",
    "alpha1": "slope below the break",
    "alpha2": "slope above the break",
    "n_total": "number in the Milky Way above L_min (parameter draw)",
    "n_galaxy": "number in the realised Galaxy",
    "n_integral": "detected by INTEGRAL/IBIS (17-60 keV)",
    "n_erosita_soft": "detected by eRASS1 in 0.2-2.3 keV",
    "n_erosita_hard": "detected by eRASS1 in 2.3-5 keV",
    "n_erosita": "detected by eRASS1 in either band",
    "n_new": "detected by eRASS1, not by INTEGRAL",
    "n_galaxy_de": "in the realised Galaxy, l > 180 deg",
    "n_integral_de": "detected by INTEGRAL, l > 180 deg",
    "n_erosita_de": "detected by eRASS1, l > 180 deg",
    "n_new_de": "detected by eRASS1 not INTEGRAL, l > 180 deg",
}


@dataclass(frozen=True)
class ClassResult:
    """Monte Carlo predictions for one class.

    Parameters
    ----------
    params : XLFParameters
        Published parameters used.
    gamma : float
        Mean photon index of the spectra.
    draws : Mapping[str, numpy.ndarray]
        One value per realisation for each key of :data:`QUANTITIES`.
    log_flux_grid : Mapping[str, numpy.ndarray]
        Per survey name: grid of log10 absorbed flux (erg/cm2/s) for the cumulative counts.
    cumulative : Mapping[str, numpy.ndarray]
        Per survey name: N(>S) over the whole sky, shape (n_mc, len(grid)).
    median_distance_pc : Mapping[str, float]
        Per survey name: median distance of the detected objects (all realisations).
    """

    cls: str
    """Class name."""
    params: XLFParameters
    """Published parameters used."""
    gamma: float
    """Mean photon index of the spectra."""
    draws: Mapping[str, np.ndarray]
    """One value per realisation for each key of :data:`QUANTITIES`."""
    log_flux_grid: Mapping[str, np.ndarray]
    """Per survey name: grid of log10 absorbed flux (erg/cm2/s) for the cumulative counts."""
    cumulative: Mapping[str, np.ndarray]
    """Per survey name: N(>S) over the whole sky, shape (n_mc, len(grid))."""
    median_distance_pc: Mapping[str, float]
    """Per survey name: median distance of the detected objects (all realisations)."""

    def summary(self, key: str, *, fraction: bool = False) -> tuple[float, float, float]:
        """Median, 16th and 84th percentile of a quantity (or of its fraction of ``n_galaxy``)."""
        x = np.asarray(self.draws[key], dtype=float)
        if fraction:
            x = x / np.maximum(np.asarray(self.draws["n_galaxy"], dtype=float), 1.0)
        med, lo, hi = np.percentile(x, [50.0, 16.0, 84.0])
        return float(med), float(lo), float(hi)


@dataclass(frozen=True)
class XlfResult:
    """Predictions of :func:`expected_numbers`.

    Parameters
    ----------
    classes : Mapping[str, ClassResult]
        One entry per class.
    integral : SurveyModel
        INTEGRAL survey model.
    erosita : tuple[SurveyModel, ...]
        eROSITA band models (detected in any of them counts as detected).
    n_mc : int
        Number of Monte Carlo realisations.
    n_sample : int
        Sight lines drawn per class for the geometry and absorption.
    seed : int
        Seed of the random generator.
    """

    classes: Mapping[str, ClassResult]
    """One entry per class."""
    integral: SurveyModel
    """INTEGRAL survey model."""
    erosita: tuple[SurveyModel, ...]
    """eROSITA band models (detected in any of them counts as detected)."""
    n_mc: int
    """Number of Monte Carlo realisations."""
    n_sample: int
    """Sight lines drawn per class for the geometry and absorption."""
    seed: int
    """Seed of the random generator."""

    @property
    def total_new_de(self) -> np.ndarray:
        """New X-ray binaries of all classes on the l > 180 deg half, per realisation."""
        return np.sum([np.asarray(c.draws["n_new_de"]) for c in self.classes.values()], axis=0)

    def table(self):
        """Median and 16th/84th percentiles of every quantity, one row per class and quantity.

        An astropy Table with the published figures alongside where the seed
        work's Table 1 has them.
        """
        from astropy.table import Table

        rows = []

        def add(cls, key, desc, med, lo, hi, pub_lo=np.nan, pub_hi=np.nan):
            rows.append((cls, key, desc, med, lo, hi, pub_lo, pub_hi))

        for c in self.classes.values():
            pub = PUBLISHED.get(c.cls)
            par = {"l_break": c.params.l_break, "alpha1": c.params.alpha1, "alpha2": c.params.alpha2,
                   "n_total": c.params.n_total}
            for key, desc in QUANTITIES.items():
                p_lo = p_hi = np.nan
                if key in par:
                    p_lo, p_hi = par[key].value - par[key].minus, par[key].value + par[key].plus
                elif pub is not None and key == "n_integral":
                    p_lo = p_hi = pub.n_integral
                elif pub is not None and key == "n_erosita":
                    p_lo, p_hi = pub.n_erosita
                elif pub is not None and key == "n_new":
                    p_lo, p_hi = pub.n_new
                add(c.cls, key, desc, *c.summary(key), p_lo, p_hi)
            for key, pubr in (("n_integral", pub.frac_integral if pub else None),
                              ("n_erosita", pub.frac_erosita if pub else None)):
                lo_hi = pubr or (np.nan, np.nan)
                add(c.cls, f"frac_{key[2:]}", f"fraction of the Galaxy {QUANTITIES[key]}",
                    *c.summary(key, fraction=True), *lo_hi)
        x = self.total_new_de
        add("all", "n_new_de", QUANTITIES["n_new_de"], *np.percentile(x, [50.0, 16.0, 84.0]),
            *PUBLISHED_NEW_DE_TOTAL)
        t = Table(rows=rows, names=("class", "quantity", "description", "median", "p16", "p84",
                                    "published_lo", "published_hi"))
        t["median"].description = "median over the Monte Carlo realisations"
        t["p16"].description = "16th percentile"
        t["p84"].description = "84th percentile"
        t["published_lo"].description = "published value or lower end of the published range (NaN: none)"
        t["published_hi"].description = "published value or upper end of the published range"
        t.meta.update({"n_mc": self.n_mc, "n_sample": self.n_sample, "seed": self.seed,
                       "integral": self.integral.describe(),
                       "erosita": "; ".join(s.describe() for s in self.erosita)})
        return t


def expected_numbers(classes: Sequence[str] = ("LMXB", "HMXB"), *,
                     params: Mapping[str, XLFParameters] | None = None,
                     integral: SurveyModel = INTEGRAL_IBIS,
                     erosita: Sequence[SurveyModel] = (ERASS1_SOFT, ERASS1_HARD),
                     gamma: Mapping[str, float] | None = None, gamma_scatter: float = 0.3,
                     local_absorption: bool = True, n_sample: int = 20000, n_mc: int = 2000,
                     seed: int = 0, progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> XlfResult:
    """How many X-ray binaries INTEGRAL and eROSITA detect, and how many eROSITA adds.

    For each class, ``n_sample`` sight lines are drawn once from its Galactic
    distribution (the simulated sky's, :data:`~xrbvo.galaxy.populations.CLASS_MODELS`:
    HMXBs in a ring of young stars with an 85 pc scale height, LMXBs in a disk
    with a 410 pc scale height plus a bulge; the Sun at 8.2 kpc), each with its
    absorbing column and photon index.  Each of the ``n_mc`` realisations then
    draws the function's parameters from their split normals, a Galaxy of
    ``N_total`` objects (placed on random sight lines), their luminosities
    from the drawn function, and each survey's detections from its completeness
    curve.  A source is detected by eROSITA when any of the ``erosita`` bands
    detects it; it is new when INTEGRAL does not.

    Parameters
    ----------
    classes : sequence of str
        Classes to predict (``"LMXB"``, ``"HMXB"``).
    params : mapping, optional
        Luminosity-function parameters by class; default :data:`DOROSHENKO2014`.
    integral : SurveyModel
        The INTEGRAL survey (17-60 keV).
    erosita : sequence of SurveyModel
        The eROSITA bands.
    gamma : mapping, optional
        Mean photon index by class; default :data:`CLASS_GAMMA`.
    gamma_scatter : float
        Standard deviation of the photon index between sources.
    local_absorption : bool
        Add the class's local column (as in the simulated sky).
    n_sample : int
        Sight lines per class.
    n_mc : int
        Monte Carlo realisations.
    seed : int
        Seed; the same seed gives the same numbers.
    progress, cancel
        Progress callback ``(message, fraction)`` and a cancelling Event.

    Returns
    -------
    XlfResult
    """
    params = dict(DOROSHENKO2014 if params is None else params)
    gamma = {**CLASS_GAMMA, **(gamma or {})}
    erosita = tuple(erosita)
    if not classes:
        raise InputError("expected_numbers: give at least one class (LMXB, HMXB)")
    for cls in classes:
        if cls not in params or cls not in CLASS_GAMMA:
            raise InputError(f"expected_numbers: no luminosity function for class {cls!r}; "
                             f"classes with one: {', '.join(sorted(set(CLASS_GAMMA) & set(params)))}")
    if not erosita:
        raise InputError("expected_numbers: give at least one eROSITA band")
    names = [integral.name, *(s.name for s in erosita)]
    if len(set(names)) != len(names):
        raise InputError(f"expected_numbers: survey names must differ (got {', '.join(names)})")
    if not 1000 <= n_sample <= MAX_N_SAMPLE:
        raise InputError(f"expected_numbers: n_sample must be between 1000 and {MAX_N_SAMPLE} (got {n_sample}); "
                         "fewer sight lines give noisy numbers, more only cost memory and time")
    if not 1 <= n_mc <= MAX_N_MC:
        raise InputError(f"expected_numbers: n_mc must be between 1 and {MAX_N_MC} (got {n_mc})")
    if gamma_scatter < 0:
        raise InputError(f"expected_numbers: gamma_scatter must be >= 0 (got {gamma_scatter})")
    report = progress or (lambda msg, frac: None)
    rng = np.random.default_rng(seed)
    surveys = (integral, *erosita)
    out: dict[str, ClassResult] = {}
    for ci, cls in enumerate(classes):
        base, span = ci / len(classes), 1.0 / len(classes)
        report(f"{cls}: sight lines", base)
        par = params[cls]
        pool = _pool(cls, surveys, n_sample, rng, gamma=gamma[cls], gamma_scatter=gamma_scatter,
                     local_absorption=local_absorption, band_kev=par.band_kev)
        in_fp = {s.name: s.footprint.contains(pool.l_deg, pool.b_deg) for s in surveys}
        de = DE_HALF.contains(pool.l_deg, pool.b_deg)
        grids = {s.name: np.linspace(math.log10(s.flux_limit) - 2.0, math.log10(s.flux_limit) + 3.0, 51)
                 for s in surveys}
        cum = {s.name: np.zeros((n_mc, len(grids[s.name]))) for s in surveys}
        draws = {k: np.zeros(n_mc) for k in QUANTITIES}
        dist_det = {s.name: [] for s in surveys}
        for j in range(n_mc):
            if cancel is not None and cancel.is_set():
                raise Cancelled("expected-number calculation cancelled")
            lf = par.draw(rng)
            n = int(math.floor(lf.n_total + rng.random()))
            idx = rng.integers(0, n_sample, n)
            log_l = lf.sample(n, rng)
            det = {}
            for s in surveys:
                log_f = log_l + pool.log_k[s.name][idx]
                p = s.detection_probability(10.0 ** log_f, pool.b_deg[idx]) * in_fp[s.name][idx]
                det[s.name] = rng.random(n) < p
                srt = np.sort(log_f[in_fp[s.name][idx]])
                cum[s.name][j] = len(srt) - np.searchsorted(srt, grids[s.name], side="right")
                if j < 200:
                    dist_det[s.name].append(pool.distance_pc[idx][det[s.name]])
            d_int = det[integral.name]
            d_ero = np.zeros(n, dtype=bool)
            for s in erosita:
                d_ero |= det[s.name]
            new = d_ero & ~d_int
            on_de = de[idx]
            vals = {"l_break": lf.l_break, "alpha1": lf.alpha1, "alpha2": lf.alpha2, "n_total": lf.n_total,
                    "n_galaxy": n, "n_integral": d_int.sum(), "n_erosita_soft": det[erosita[0].name].sum(),
                    "n_erosita_hard": det[erosita[-1].name].sum() if len(erosita) > 1 else 0,
                    "n_erosita": d_ero.sum(), "n_new": new.sum(), "n_galaxy_de": on_de.sum(),
                    "n_integral_de": (d_int & on_de).sum(), "n_erosita_de": (d_ero & on_de).sum(),
                    "n_new_de": (new & on_de).sum()}
            for k, v in vals.items():
                draws[k][j] = v
            if j % 100 == 0:
                report(f"{cls}: Monte Carlo", base + span * (j + 1) / n_mc)
        med_d = {k: float(np.median(np.concatenate(v))) if sum(map(len, v)) else float("nan")
                 for k, v in dist_det.items()}
        out[cls] = ClassResult(cls, par, gamma[cls], draws, grids, cum, med_d)
    report("done", 1.0)
    return XlfResult(out, integral, erosita, n_mc, n_sample, seed)
