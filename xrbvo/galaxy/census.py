"""Expected X-ray detections per class over a region of the sky: the population model's census.

The counts are integrated, not simulated: the sky is cut into cells (a coarse
grid in Galactic l, b, or in RA, Dec for equatorial regions); in each cell the
Galactic classes are integrated along the sight line and over their luminosity
functions, and the extragalactic ones over their number counts, each through
the HI4PI column in front of it (:func:`xrbvo.core.physics.sight_line_nh`) and
the survey's completeness at that cell's depth (:class:`Sensitivity`).  Half
the sky takes a few seconds.

The classes and where their numbers come from
---------------------------------------------
* **AGN** (point-like extragalactic sources): the 0.5-2 keV log N - log S of
  Moretti et al. (2003, ApJ 588, 696, eq. 2 and table 2: ``N_S = 6150``,
  ``alpha_1 = 1.82``, ``alpha_2 = 0.60``, ``S_0 = 1.48e-14`` erg/s/cm2), a fit
  to ROSAT, Chandra and XMM-Newton high-latitude fields from 2e-17 to 1e-11
  erg/s/cm2.  It counts the sources as observed (after their own absorption)
  and is therefore not absorbed again by an intrinsic column.  A source of
  0.5-2 keV flux S is seen by eRASS1 with the 0.2-2.3 keV flux of a power law
  (photon index 1.9 +- 0.2, :data:`xrbvo.galaxy.populations.CLASS_MODELS`)
  through the cell's whole Galactic column.  The counts hold a few per cent of
  stars at the bright end, which the stellar model also counts.
* **CLUSTER** (extended sources: galaxy clusters and groups): the ROSAT
  0.5-2 keV cluster counts, N(>S) = 0.36 (S / 1e-13)^-1.27 deg^-2 between
  ~2e-14 and 1e-11 erg/s/cm2 (Rosati, Borgani & Norman 2002, ARA&A 40, 539,
  fig. 5, the RDCS and other ROSAT surveys, read from the figure), with a
  thermal spectrum taken as a power law of index 2 (about kT = 2-5 keV in these
  bands).  Extended sources need more photons than point sources; they are
  counted at twice the point-source limit (:data:`CLUSTER_LIMIT_FACTOR`, an
  assumption: eRASS1's cluster selection, Bulbul et al. 2024, reaches about
  1e-13 erg/s/cm2 where points reach 5e-14).
* **Galactic classes** (HMXB, LMXB, NS, CV, WR, EARLY, STAR, YSO): the space
  densities, spatial distributions, luminosity functions, photon indices and
  local absorption of :data:`xrbvo.galaxy.populations.CLASS_MODELS` (sources
  there), integrated over distance (5 pc to 40 kpc) on each sight line.
  Coronal stars are ``STAR`` and ``YSO`` (pre-main-sequence stars).  ``STAR``
  is the sum of four published components
  (:data:`xrbvo.galaxy.populations.STAR_COMPONENTS`): the M and the G and K
  dwarfs of volume-complete samples within 10-20 pc (Zhu & Preibisch 2025, A&A
  694, A93) at their stacked eRASS:4 mean luminosities (Zheng et al. 2026, A&A
  709, A275), and the active binaries and young stars of Sazonov et al. (2006,
  A&A 450, 117, table 4), each log-normal with sd 0.8 dex; the Euclidean
  arithmetic (N(>S) = (Omega/3) sum n <L^1.5> (4 pi S)^-1.5) is in that
  module's notes.

Spurious detections are not modelled: eRASS1's Main catalogue (DET_LIKE > 6)
holds some (Merloni et al. 2024 estimate them from simulations, Seppi et al.
2022); the comparison in docs/population.md says so.

Sensitivity
-----------
eRASS1 is not flux-limited at one flux.  eROSITA scans great circles through
the ecliptic poles, so the exposure of a sky position grows as
``1 / cos(ecliptic latitude)`` (up to the poles, where all scans overlap; capped
at ``1 / sin(1 deg)``, the field of view's radius of about 0.5 deg and the
scans' spread).  At eRASS1's exposures (a few hundred seconds) and its low
background the detection needs a number of source photons, so the flux limit
falls as ``1 / t``; where the background in the point-spread function
reaches the photons a detection needs (exposures above :data:`BACKGROUND_T_S`)
it falls as ``t^-1/2`` only.  The default limit, 5e-14 erg/s/cm2 in 0.2-2.3 keV
(Merloni et al. 2024, A&A 682, A34: the typical flux limit of the Main
catalogue), is taken as the 50% completeness at the median exposure of the
sky; the completeness is the simulated sky's logistic curve in log flux
(:data:`COMPLETENESS_WIDTH_DEX`).  ``exposure="flat"`` gives one limit
everywhere (the simulated sky's and the field priors' assumption).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from xrbvo.core import physics
from xrbvo.core.defaults import CENSUS_FLUX_LIMIT, CENSUS_REGION, EXPOSURE_MODELS
from xrbvo.core.errors import InputError
from xrbvo.core.schema import CLASSES

__all__ = [
    "EXTRA_CLASSES",
    "CENSUS_CLASSES",
    "COMPLETENESS_WIDTH_DEX",
    "BACKGROUND_T_S",
    "MEDIAN_EXPOSURE_S",
    "CLUSTER_LIMIT_FACTOR",
    "EXPOSURE_MODELS",
    "Sensitivity",
    "SkyCells",
    "cells_for_region",
    "cells_for_tiles",
    "cells_holding",
    "sources_in_flux_range",
    "read_off_by_cell",
    "agn_counts_above",
    "cluster_counts_above",
    "expected_counts",
    "source_class_mix",
    "SOURCE_MIX_FLUX_RANGE",
    "CensusResult",
    "census",
    "PublishedFigure",
    "PUBLISHED",
    "WESTERN_HEMISPHERE",
    "LS_DR10_B_MIN_DEG",
]

#: Classes the census counts beside the classifier's (:data:`xrbvo.core.schema.CLASSES`).
EXTRA_CLASSES = ("CLUSTER",)
#: Every class of the census, in table order.
CENSUS_CLASSES = tuple(CLASSES) + EXTRA_CLASSES
#: Width (dex) of the logistic completeness curve in log10 flux (the simulated sky's, :class:`xrbvo.sim.sky.SkyConfig`).
COMPLETENESS_WIDTH_DEX = 0.08
#: Exposure (s) above which the background in the PSF, not the source's photons, limits eRASS1's detections:
#: about 6 counts of 0.2-2.3 keV background within the 30" half-energy width at ~1e-3 counts/s/arcmin2.
BACKGROUND_T_S = 6000.0
#: eRASS1's median exposure (s): a few hundred seconds over most of the sky (Merloni et al. 2024).
MEDIAN_EXPOSURE_S = 200.0
#: Extended sources are detected at this multiple of the point-source flux limit (assumption, see the notes).
CLUSTER_LIMIT_FACTOR = 2.0

_DEG2_PER_SR = (180.0 / math.pi) ** 2
_SIN_CAP = math.sin(math.radians(1.0))
_MORETTI_SOFT = {"n_s": 6150.0, "s_ref": 2e-15, "alpha1": 1.82, "alpha2": 0.60, "s0": 1.48e-14}
_CLUSTERS = {"n13": 0.36, "slope": 1.27, "s_min": 1e-15, "gamma": 2.0}
_MORETTI_BAND_KEV = (0.5, 2.0)
#: Distance grid (pc) of the line-of-sight integrals.
_D_PC = np.geomspace(5.0, 40000.0, 160)


@dataclass(frozen=True)
class Sensitivity:
    """A survey's soft-band (0.2-2.3 keV) sensitivity over the sky.

    Parameters
    ----------
    flux_limit : float
        Flux (erg/s/cm2) at 50% completeness at the median exposure.
    exposure : str, optional
        ``erass1`` (the limit varies with ecliptic latitude) or ``flat``.
    width_dex : float, optional
        Width of the logistic completeness curve in log10 flux.
    """

    flux_limit: float = CENSUS_FLUX_LIMIT
    """Flux (erg/s/cm2) at 50% completeness at the median exposure."""
    exposure: str = "erass1"
    """``erass1`` (the limit varies with ecliptic latitude) or ``flat``."""
    width_dex: float = COMPLETENESS_WIDTH_DEX
    """Width of the logistic completeness curve in log10 flux."""

    def validate(self) -> None:
        """Raise :class:`InputError` for a flux limit that is not a positive number or an unknown model."""
        if not (isinstance(self.flux_limit, (int, float)) and math.isfinite(self.flux_limit) and self.flux_limit > 0):
            raise InputError(f"flux limit {self.flux_limit!r}: give a positive 0.2-2.3 keV flux in erg/s/cm2, "
                             "e.g. 5e-14")
        if self.exposure not in EXPOSURE_MODELS:
            raise InputError(f"exposure model {self.exposure!r}: choose from {', '.join(EXPOSURE_MODELS)}")
        if not self.width_dex > 0:
            raise InputError("the completeness width must be positive (dex)")

    def limits(self, ecl_lat_deg) -> np.ndarray:
        """50% completeness flux (erg/s/cm2) at ecliptic latitudes ``ecl_lat_deg``.

        Parameters
        ----------
        ecl_lat_deg : float or array
            Ecliptic latitude, degrees.

        Returns
        -------
        numpy.ndarray
            The flux limit there.
        """
        beta = np.atleast_1d(np.asarray(ecl_lat_deg, dtype=float))
        if self.exposure == "flat":
            return np.full(beta.shape, float(self.flux_limit))
        return self.flux_limit * _limit_factor(_exposure_s(beta)) / _limit_factor(MEDIAN_EXPOSURE_S)

    def completeness(self, flux, limit) -> np.ndarray:
        """Detected share of sources of ``flux`` where the 50% limit is ``limit`` (broadcast)."""
        x = (np.log10(np.maximum(flux, 1e-300)) - np.log10(limit)) / self.width_dex
        return 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))

    def describe(self) -> str:
        """One line: the limit and the model."""
        how = ("deeper towards the ecliptic poles (exposure ~ 1/cos(ecliptic latitude))"
               if self.exposure == "erass1" else "one limit everywhere")
        return f"{self.flux_limit:.3g} erg/s/cm2 (0.2-2.3 keV, 50% completeness at the median exposure), {how}"


def _exposure_s(beta_deg: np.ndarray) -> np.ndarray:
    """eRASS1-like exposure (s): ~1/cos(ecliptic latitude), the median of the whole sky at MEDIAN_EXPOSURE_S."""
    c = np.maximum(np.cos(np.radians(beta_deg)), _SIN_CAP)
    # half the sky lies at |beta| < 30 deg: the median of 1/cos(beta) over the sphere is 1/cos(30 deg)
    return MEDIAN_EXPOSURE_S * math.cos(math.radians(30.0)) / c


def _limit_factor(t_s) -> np.ndarray:
    """Flux limit up to a constant: photons-limited (1/t) at short exposure, background-limited (t^-1/2) at long."""
    t = np.asarray(t_s, dtype=float)
    return (1.0 + np.sqrt(t / BACKGROUND_T_S)) / t


# --------------------------------------------------------------------------------------
# the sky in cells


@dataclass(frozen=True)
class SkyCells:
    """Cells of the sky a census integrates over.

    Parameters
    ----------
    l_deg, b_deg : numpy.ndarray
        Galactic centre of each cell, degrees.
    ecl_lat_deg : numpy.ndarray
        Ecliptic latitude of each centre, degrees.
    omega_sr : numpy.ndarray
        Solid angle of each cell (inside the region), steradians.
    """

    l_deg: np.ndarray
    b_deg: np.ndarray
    ecl_lat_deg: np.ndarray
    omega_sr: np.ndarray

    @property
    def area_deg2(self) -> float:
        """Total area, deg2."""
        return float(np.sum(self.omega_sr) * _DEG2_PER_SR)

    def subset(self, mask) -> "SkyCells":
        """The cells where ``mask`` holds."""
        m = np.asarray(mask, dtype=bool)
        return SkyCells(self.l_deg[m], self.b_deg[m], self.ecl_lat_deg[m], self.omega_sr[m])


def _box_cells(lon1: float, width: float, lat1: float, lat2: float, step_deg: float):
    nl = max(1, int(math.ceil(width / step_deg)))
    nb = max(1, int(math.ceil((lat2 - lat1) / step_deg)))
    dl, db = width / nl, (lat2 - lat1) / nb
    lon = lon1 + dl * (np.arange(nl) + 0.5)
    lat_lo = lat1 + db * np.arange(nb)
    lat_hi = lat_lo + db
    lat = np.degrees(np.arcsin(0.5 * (np.sin(np.radians(lat_lo)) + np.sin(np.radians(lat_hi)))))
    omega = math.radians(dl) * (np.sin(np.radians(lat_hi)) - np.sin(np.radians(lat_lo)))
    ll, bb = np.meshgrid(lon, lat, indexing="ij")
    oo = np.broadcast_to(omega[None, :], ll.shape)
    return np.mod(ll.ravel(), 360.0), bb.ravel(), oo.ravel().copy()


def _with_frames(lon, lat, omega, frame: str) -> SkyCells:
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    if frame == "galactic":
        c = SkyCoord(l=lon * u.deg, b=lat * u.deg, frame="galactic")
        l, b = lon, lat
    else:
        c = SkyCoord(ra=lon * u.deg, dec=lat * u.deg, frame="icrs")
        g = c.galactic
        l, b = g.l.deg, g.b.deg
    beta = c.barycentrictrueecliptic.lat.deg
    return SkyCells(np.asarray(l, float), np.asarray(b, float), np.asarray(beta, float), np.asarray(omega, float))


def cells_for_region(region, *, step_deg: float = 2.0) -> SkyCells:
    """Cells covering a :class:`xrbvo.core.regions.Region` (or its text), at most ``step_deg`` on a side.

    Boxes are cut exactly along their edges (Galactic boxes in l, b; equatorial
    ones in RA, Dec); a cone is covered by the cells of its bounding box whose
    centres lie inside it, each at most 1/20 of the radius on a side.

    Parameters
    ----------
    region : xrbvo.core.regions.Region or str
        The region, e.g. ``gal:180,360,-90,90``.
    step_deg : float, optional
        Largest cell side, degrees.

    Returns
    -------
    SkyCells
        The cells.

    Raises
    ------
    InputError
        If the region is not valid or holds no area.
    """
    from xrbvo.core.regions import parse_region

    r = parse_region(region) if isinstance(region, str) else region
    if not (math.isfinite(step_deg) and step_deg > 0):
        raise InputError("the census grid's step must be a positive number of degrees")
    if r.kind in ("gal", "eq"):
        lon1, _, lat1, lat2 = r.values
        lon, lat, omega = _box_cells(lon1, r.width_deg, lat1, lat2, step_deg)
        cells = _with_frames(lon, lat, omega, "galactic" if r.kind == "gal" else "icrs")
    else:
        ra0, dec0, rad = r.values
        step = min(step_deg, rad / 20.0)
        dec_lo, dec_hi = max(-90.0, dec0 - rad), min(90.0, dec0 + rad)
        cosd = min(math.cos(math.radians(dec_lo)), math.cos(math.radians(dec_hi)))
        if dec_lo <= -90.0 or dec_hi >= 90.0 or rad / max(cosd, 1e-9) >= 180.0:
            ra1, width = 0.0, 360.0
        else:
            half = math.degrees(math.asin(min(1.0, math.sin(math.radians(rad)) / max(cosd, 1e-12))))
            ra1, width = ra0 - half, 2.0 * half
        lon, lat, omega = _box_cells(ra1, width, dec_lo, dec_hi, step)
        inside = r.contains_lonlat(lon, lat)
        if not inside.any():  # a cone smaller than a cell: the cell at its centre, with the cone's area
            lon, lat = np.array([ra0]), np.array([dec0])
            omega = np.array([2.0 * math.pi * (1.0 - math.cos(math.radians(rad)))])
        else:
            lon, lat, omega = lon[inside], lat[inside], omega[inside]
        cells = _with_frames(lon, lat, omega, "icrs")
    if not cells.area_deg2 > 0:
        raise InputError(f"region {r}: holds no area; give a region with positive width and height")
    return cells


def cells_for_tiles(l_deg, b_deg, *, tile_deg: float = 5.0, step_deg: float = 1.0) -> SkyCells:
    """Cells covering the Galactic l, b tiles of ``tile_deg`` that hold at least one of the positions.

    Parameters
    ----------
    l_deg, b_deg : float or array
        Galactic positions, degrees.
    tile_deg : float, optional
        Tile side, degrees.
    step_deg : float, optional
        Cell side within each tile, degrees.

    Returns
    -------
    SkyCells
        The cells of all the tiles.
    """
    l = np.atleast_1d(np.asarray(l_deg, dtype=float))
    b = np.atleast_1d(np.asarray(b_deg, dtype=float))
    ok = np.isfinite(l) & np.isfinite(b)
    if not ok.any():
        raise InputError("no finite Galactic position to compute the field's expected class mix")
    li = np.floor(np.mod(l[ok], 360.0) / tile_deg).astype(int)
    bi = np.floor(np.clip(b[ok], -89.9, 89.9) / tile_deg).astype(int)
    parts = []
    for i, j in sorted(set(zip(li.tolist(), bi.tolist()))):
        bc = float(np.clip((j + 0.5) * tile_deg, -89.0 + tile_deg / 2, 89.0 - tile_deg / 2))
        parts.append(_box_cells(i * tile_deg, tile_deg, bc - tile_deg / 2, bc + tile_deg / 2, step_deg))
    lon = np.concatenate([p[0] for p in parts])
    lat = np.concatenate([p[1] for p in parts])
    omega = np.concatenate([p[2] for p in parts])
    return _with_frames(lon, lat, omega, "galactic")


def cells_holding(l_deg, b_deg, *, cell_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cells of a ``cell_deg`` grid in Galactic l, b that hold the positions, and each position's cell.

    The grid starts at l = 0 and b = 0; latitudes are clipped to +-89.999 deg first, so a pole falls in the
    last cell below it.  The tables of :func:`source_class_mix` and
    :func:`xrbvo.galaxy.visibility.no_counterpart_probability` are computed once per cell so found.

    Parameters
    ----------
    l_deg, b_deg : float or array
        Galactic positions, degrees, all finite.
    cell_deg : float
        Side of the cells, degrees.

    Returns
    -------
    l_deg : numpy.ndarray
        Central longitude of each cell holding a position, degrees in [0, 360).
    b_deg : numpy.ndarray
        Latitude that halves the cell's area (arcsin of the mean of sin b at its two edges), degrees.
    omega_sr : numpy.ndarray
        Solid angle of each cell, steradians.
    cell : numpy.ndarray
        For each position, the index of its cell in those arrays (cells sorted by l, then b).

    Raises
    ------
    InputError
        If ``cell_deg`` is not a positive number or a position is not finite.
    """
    l = np.atleast_1d(np.asarray(l_deg, dtype=float))
    b = np.atleast_1d(np.asarray(b_deg, dtype=float))
    if not (math.isfinite(cell_deg) and cell_deg > 0):
        raise InputError("the sky cells' side must be a positive number of degrees")
    if l.shape != b.shape or not (np.isfinite(l).all() and np.isfinite(b).all()):
        raise InputError("the sky cells need one finite l and b per position")
    li = np.floor(np.mod(l, 360.0) / cell_deg).astype(np.int64)
    bi = np.floor(np.clip(b, -89.999, 89.999) / cell_deg).astype(np.int64)
    keys, inverse = np.unique(np.stack([li, bi], axis=1), axis=0, return_inverse=True)
    b_lo = np.clip(keys[:, 1] * cell_deg, -90.0, 90.0)
    b_hi = np.clip((keys[:, 1] + 1) * cell_deg, -90.0, 90.0)
    lat = np.degrees(np.arcsin(0.5 * (np.sin(np.radians(b_lo)) + np.sin(np.radians(b_hi)))))
    omega = math.radians(cell_deg) * (np.sin(np.radians(b_hi)) - np.sin(np.radians(b_lo)))
    lon = np.mod((keys[:, 0] + 0.5) * cell_deg, 360.0)
    return lon, lat, omega, np.ravel(inverse)


def sources_in_flux_range(l_deg, b_deg, flux, flux_range: tuple[float, float], *,
                          caller: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions and fluxes as arrays, and which sources a per-cell flux table answers for.

    The common start of :func:`source_class_mix` and
    :func:`xrbvo.galaxy.visibility.no_counterpart_probability`.

    Parameters
    ----------
    l_deg, b_deg : float or array
        Galactic position of each source, degrees.
    flux : float or array
        Observed flux of each source, erg/s/cm2.
    flux_range : tuple of float
        Lowest and highest flux the tables cover, erg/s/cm2.
    caller : str
        Name of the calling function, for the error message.

    Returns
    -------
    l, b, flux : numpy.ndarray
        The inputs as 1-d float arrays.
    ok : numpy.ndarray
        True where the position is finite and the flux within ``flux_range``.

    Raises
    ------
    InputError
        If the three differ in shape.
    """
    l = np.atleast_1d(np.asarray(l_deg, dtype=float))
    b = np.atleast_1d(np.asarray(b_deg, dtype=float))
    s = np.atleast_1d(np.asarray(flux, dtype=float))
    if not (l.shape == b.shape == s.shape):
        raise InputError(f"{caller} needs one l, b and flux per source")
    lo, hi = flux_range
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(l) & np.isfinite(b) & np.isfinite(s) & (s >= lo) & (s <= hi)
    return l, b, s, ok


def read_off_by_cell(table: np.ndarray, cell: np.ndarray, log_flux: np.ndarray, log_mid: np.ndarray,
                     step_dex: float) -> np.ndarray:
    """Per-(cell, flux bin) tables read off at each source's cell and flux, linearly in log flux.

    Parameters
    ----------
    table : numpy.ndarray
        (k, cell, bin) values, e.g. one table per class.
    cell : numpy.ndarray
        Each source's cell (the ``cell`` of :func:`cells_holding`).
    log_flux : numpy.ndarray
        log10 of each source's flux.
    log_mid : numpy.ndarray
        log10 flux of the bins' centres, ``step_dex`` apart, at least two.
    step_dex : float
        Width of the bins, dex.

    Returns
    -------
    numpy.ndarray
        (k, n) values; beyond the outer bins' centres, the outer bin's value.
    """
    x = (log_flux - log_mid[0]) / step_dex
    i0 = np.clip(np.floor(x).astype(np.int64), 0, len(log_mid) - 2)
    w = np.clip(x - i0, 0.0, 1.0)
    return (1.0 - w)[None, :] * table[:, cell, i0] + w[None, :] * table[:, cell, i0 + 1]


# --------------------------------------------------------------------------------------
# number counts and integrals


def agn_counts_above(flux_05_2) -> np.ndarray:
    """N(>S) per deg2 of extragalactic point sources at 0.5-2 keV flux S (Moretti et al. 2003).

    Parameters
    ----------
    flux_05_2 : float or array
        0.5-2 keV flux, erg/s/cm2.

    Returns
    -------
    numpy.ndarray
        Sources per deg2 brighter than it.

    Examples
    --------
    >>> round(float(agn_counts_above(1e-14)[0]))
    126
    """
    s = np.atleast_1d(np.asarray(flux_05_2, dtype=float))
    p = _MORETTI_SOFT
    return p["n_s"] * p["s_ref"] ** p["alpha1"] / (s ** p["alpha1"] + p["s0"] ** (p["alpha1"] - p["alpha2"])
                                                    * s ** p["alpha2"])


def cluster_counts_above(flux_05_2) -> np.ndarray:
    """N(>S) per deg2 of galaxy clusters and groups at 0.5-2 keV flux S (Rosati et al. 2002, fig. 5).

    Parameters
    ----------
    flux_05_2 : float or array
        0.5-2 keV flux, erg/s/cm2.

    Returns
    -------
    numpy.ndarray
        Clusters per deg2 brighter than it.
    """
    s = np.maximum(np.atleast_1d(np.asarray(flux_05_2, dtype=float)), _CLUSTERS["s_min"])
    return _CLUSTERS["n13"] * (s / 1e-13) ** -_CLUSTERS["slope"]


def _gauss_points(mean: float, sd: float, n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and weights of a normal distribution."""
    if sd <= 0:
        return np.array([mean]), np.array([1.0])
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return mean + sd * x, w / w.sum()


def _band_ratio_obs(gamma: float, nh: np.ndarray) -> np.ndarray:
    """Observed 0.2-2.3 keV flux through ``nh`` over the unabsorbed 0.5-2 keV flux of a power law."""
    soft = physics.absorbed_band_flux(1.0, gamma, nh, physics.ERASS1_SOFT_KEV, ref_band=_MORETTI_BAND_KEV)
    return np.asarray(soft, dtype=float)


def _extragalactic(counts_above, cells: SkyCells, sens: Sensitivity, gamma: tuple[float, float], nh_tot: np.ndarray,
                   limit_factor: float = 1.0) -> np.ndarray:
    """Expected detections per cell of sources with 0.5-2 keV counts ``counts_above`` seen through the whole column."""
    s = np.geomspace(1e-17, 1e-9, 400)
    n_above = counts_above(s)
    dn = n_above[:-1] - n_above[1:]  # per deg2 in each flux bin
    s_mid = np.sqrt(s[:-1] * s[1:])
    lim = sens.limits(cells.ecl_lat_deg) * limit_factor
    out = np.zeros(len(cells.omega_sr))
    for g, w in zip(*_gauss_points(*gamma)):
        k = _band_ratio_obs(g, nh_tot)  # per cell
        det = sens.completeness(s_mid[None, :] * k[:, None], lim[:, None])
        out += w * (det @ dn)
    return out * cells.omega_sr * _DEG2_PER_SR


def _galactic(name: str, cells: SkyCells, sens: Sensitivity, nh_tot: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """Expected detections per cell of a Galactic class: density x volume x detected share of its luminosity function."""
    from xrbvo.galaxy.populations import CLASS_MODELS

    model = CLASS_MODELS[name]
    sp = model.spatial
    d_pc = _D_PC
    r, z = physics.galactocentric(cells.l_deg[:, None], cells.b_deg[:, None], d_pc[None, :] / 1000.0)
    shape = sp.disk(r, z)
    if model.rho0_pc3 is not None:
        dens = model.rho0_pc3 / float(sp.disk(physics.R0_KPC, 0.0)) * shape
    else:
        disk_int, bulge_int = sp.galaxy_integrals()
        dens = model.n_galaxy * (1.0 - sp.bulge_fraction) * shape / (disk_int * 1e9)
        if sp.bulge_fraction > 0:
            dens = dens + model.n_galaxy * sp.bulge_fraction * sp.bulge(r, z) / (bulge_int * 1e9)
    edges = np.sqrt(d_pc[1:] * d_pc[:-1])
    dd = np.diff(np.concatenate([[d_pc[0] / 1.1], edges, [d_pc[-1] * 1.1]]))
    volume = cells.omega_sr[:, None] * d_pc[None, :] ** 2 * dd[None, :]  # pc^3 per (cell, distance)
    # luminosity function on a grid: the share of sources in each log L bin
    x = np.linspace(model.lf.lo, model.lf.hi, 121)
    share = -np.diff(model.lf.sf(x))
    log_l = 0.5 * (x[1:] + x[:-1])
    nh_ism = nh_tot[:, None] * frac  # (cell, distance)
    log_lim = np.log10(sens.limits(cells.ecl_lat_deg))[:, None]
    log_4pid2 = np.log10(4.0 * math.pi * (d_pc * 3.0857e18) ** 2)[None, :]
    # detected share as a function of one number, a = log10(flux / luminosity / limit): tabulated once
    a_grid = np.arange(-60.0, -20.0, 0.01)
    share_det = sens.completeness(10.0 ** (log_l[None, :] + a_grid[:, None]), 1.0) @ share
    local = [(0.0, 1.0)]
    if model.local_nh_log is not None:
        local = [(10.0 ** m, w) for m, w in zip(*_gauss_points(*model.local_nh_log))]
    elif model.local_av_log is not None:
        local = [(10.0 ** m * physics.NH_PER_AV, w) for m, w in zip(*_gauss_points(*model.local_av_log))]
    det = np.zeros(nh_ism.shape)
    lognh_grid = np.linspace(18.0, 25.0, 141)
    for g, wg in zip(*_gauss_points(*model.gamma, n=3)):
        t_grid = np.log10(np.maximum(physics.band_flux_fraction(g, 10.0 ** lognh_grid, physics.ERASS1_SOFT_KEV),
                                     1e-300))
        for nh_loc, wl in local:
            log_t = np.interp(np.log10(nh_ism + nh_loc + 1.0), lognh_grid, t_grid)
            det += wg * wl * np.interp(log_t - log_4pid2 - log_lim, a_grid, share_det)
    return np.sum(dens * volume * det, axis=1)


def expected_counts(cells: SkyCells, sensitivity: Sensitivity | None = None, *, per_cell: bool = False,
                    progress: Callable[[str, float], None] | None = None) -> dict[str, float] | dict[str, np.ndarray]:
    """Expected detections per class in ``cells`` at ``sensitivity``.

    Parameters
    ----------
    cells : SkyCells
        Where (:func:`cells_for_region`, :func:`cells_for_tiles`).
    sensitivity : Sensitivity, optional
        The survey's sensitivity (default: eRASS1's).
    per_cell : bool, optional
        Return each class's expected number per cell instead of the sums.
    progress : callable, optional
        Called as ``progress(message, fraction_done)``.

    Returns
    -------
    dict
        Class (:data:`CENSUS_CLASSES`) -> expected detections (or an array per cell).
    """
    from xrbvo.galaxy.populations import CLASS_MODELS

    sens = sensitivity or Sensitivity()
    sens.validate()
    report = progress or (lambda msg, frac: None)
    report("sight lines", 0.0)
    nh_tot, frac = _sight_lines(cells)
    out: dict[str, np.ndarray] = {}
    for i, name in enumerate(CENSUS_CLASSES):
        report(name, 0.1 + 0.9 * i / len(CENSUS_CLASSES))
        if name == "AGN":
            out[name] = _extragalactic(agn_counts_above, cells, sens, CLASS_MODELS["AGN"].gamma, nh_tot)
        elif name == "CLUSTER":
            out[name] = _extragalactic(cluster_counts_above, cells, sens, (_CLUSTERS["gamma"], 0.0), nh_tot,
                                       limit_factor=CLUSTER_LIMIT_FACTOR)
        else:
            out[name] = _galactic(name, cells, sens, nh_tot, frac)
    report("done", 1.0)
    if per_cell:
        return out
    return {k: float(np.sum(v)) for k, v in out.items()}


def _sight_lines(cells: SkyCells) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's whole HI4PI column and the share of it in front of each distance of :data:`_D_PC`."""
    nh_tot = physics.galactic_nh(cells.l_deg, cells.b_deg)
    table = physics.column_fraction_table(cells.l_deg, cells.b_deg)
    rows = np.repeat(np.arange(len(nh_tot)), len(_D_PC))
    frac = physics.column_fraction_at(table, rows, np.tile(_D_PC, len(nh_tot))).reshape(len(nh_tot), len(_D_PC))
    return nh_tot, frac


#: Observed 0.2-2.3 keV fluxes (erg/s/cm2) over which :func:`source_class_mix` tabulates the class mix; a
#: source outside has no mix (its caller falls back to the field's).
SOURCE_MIX_FLUX_RANGE = (1e-16, 1e-8)


def source_class_mix(l_deg, b_deg, flux, *, cell_deg: float = 2.0, step_dex: float = 0.25,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The population model's class mix of sources seen at each source's own flux, on its sight line.

    For each class the differential number of sources per flux bin, ``N(>S / k) - N(>S k)`` with
    ``k = 10**(step_dex / 2)``, is taken from the census integrals (:func:`expected_counts` with one
    flat limit per bin edge, ``exposure="flat"``: the mix at a given observed flux does not depend on
    the survey's depth, whose completeness at that flux multiplies every class alike).  The sky is cut
    into ``cell_deg`` cells in Galactic l, b (the N_H along each cell's central sight line); the counts
    are tabulated once per cell holding a source and per bin, then read off for every source by linear
    interpolation of their logarithm in log flux.  The position error of a source is not used: it moves
    a source by arcseconds, far less than a cell, and the class mix does not depend on it.  Galaxy
    clusters (extended sources) are left out: a point source is not one.

    Parameters
    ----------
    l_deg, b_deg : float or array
        Galactic position of each source, degrees.
    flux : float or array
        Observed 0.2-2.3 keV flux of each source, erg/s/cm2.
    cell_deg : float, optional
        Side of the sight-line cells, degrees.
    step_dex : float, optional
        Width of the flux bins, dex.

    Returns
    -------
    mix : numpy.ndarray
        (n, len(CLASSES)) share of each class (:data:`xrbvo.core.schema.CLASSES` order) among sources at
        that flux there, rows summing to 1; NaN rows where ``ok`` is False.
    ok : numpy.ndarray
        False where the position is not finite or the flux is missing, not positive or outside
        :data:`SOURCE_MIX_FLUX_RANGE`.
    """
    l, b, s, ok = sources_in_flux_range(l_deg, b_deg, flux, SOURCE_MIX_FLUX_RANGE, caller="source_class_mix")
    if not (math.isfinite(cell_deg) and cell_deg > 0 and math.isfinite(step_dex) and step_dex > 0):
        raise InputError("the class mix's cell side and flux step must be positive numbers")
    lo, hi = SOURCE_MIX_FLUX_RANGE
    mix = np.full((len(s), len(CLASSES)), np.nan)
    if not ok.any():
        return mix, ok
    lon, lat, omega, inverse = cells_holding(l[ok], b[ok], cell_deg=cell_deg)
    cells = SkyCells(lon, lat, np.zeros(len(lon)), omega)  # flat exposure: the ecliptic latitude is not used
    nh_tot, frac = _sight_lines(cells)
    from xrbvo.galaxy.populations import CLASS_MODELS

    log_edges = np.arange(math.log10(lo) - step_dex, math.log10(hi) + 1.5 * step_dex, step_dex)
    ls = np.log10(s[ok])  # only the edges around the sources' fluxes
    log_edges = log_edges[(log_edges >= ls.min() - 2 * step_dex) & (log_edges <= ls.max() + 2 * step_dex)]
    above = np.zeros((len(CLASSES), len(cells.omega_sr), len(log_edges)))
    for j, le in enumerate(log_edges):
        sens = Sensitivity(flux_limit=float(10.0 ** le), exposure="flat")
        for i, name in enumerate(CLASSES):
            if name == "AGN":
                above[i, :, j] = _extragalactic(agn_counts_above, cells, sens, CLASS_MODELS["AGN"].gamma, nh_tot)
            else:
                above[i, :, j] = _galactic(name, cells, sens, nh_tot, frac)
    per_bin = np.maximum(above[:, :, :-1] - above[:, :, 1:], 0.0)  # (class, cell, bin)
    log_mid = 0.5 * (log_edges[:-1] + log_edges[1:])
    tot = per_bin.sum(axis=0, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_share = np.log(np.maximum(np.where(tot > 0, per_bin / tot, 0.0), 1e-300))
    got = read_off_by_cell(log_share, inverse, ls, log_mid, step_dex)
    share = np.exp(got - got.max(axis=0, keepdims=True))
    mix[ok] = (share / share.sum(axis=0, keepdims=True)).T
    return mix, ok


# --------------------------------------------------------------------------------------
# the census of a region


@dataclass(frozen=True)
class CensusResult:
    """Expected detections per class in a region.

    Parameters
    ----------
    region : str
        The region as text.
    area_deg2 : float
        Its area.
    sensitivity : Sensitivity
        The survey's sensitivity.
    expected : dict[str, float]
        Class -> expected detections.
    """

    region: str
    area_deg2: float
    sensitivity: Sensitivity
    expected: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """All classes together."""
        return float(sum(self.expected.values()))

    def as_dict(self) -> dict:
        """``{"region", "flux_limit", "exposure", "area_deg2", "expected", "total"}`` (JSON-ready)."""
        return {"region": self.region, "flux_limit": self.sensitivity.flux_limit,
                "exposure": self.sensitivity.exposure, "area_deg2": self.area_deg2,
                "expected": {k: float(v) for k, v in self.expected.items()}, "total": self.total}


def census(region, sensitivity: Sensitivity | None = None, *, step_deg: float = 2.0,
           progress: Callable[[str, float], None] | None = None) -> CensusResult:
    """Expected detections per class in ``region`` at ``sensitivity`` (default: eRASS1's).

    Parameters
    ----------
    region : xrbvo.core.regions.Region or str
        The region, e.g. ``gal:180,360,-90,90`` (eROSITA-DE).
    sensitivity : Sensitivity, optional
        The survey's sensitivity.
    step_deg : float, optional
        Largest side (deg) of the cells integrated over.
    progress : callable, optional
        Called as ``progress(message, fraction_done)``.

    Returns
    -------
    CensusResult
        The census.
    """
    from xrbvo.core.regions import parse_region

    sens = sensitivity or Sensitivity()
    sens.validate()
    r = parse_region(region) if isinstance(region, str) else region
    cells = cells_for_region(r, step_deg=step_deg)
    return CensusResult(str(r), cells.area_deg2, sens, expected_counts(cells, sens, progress=progress))


# --------------------------------------------------------------------------------------
# the published census of eRASS1


#: eROSITA-DE's half of the sky: Galactic longitude 180-360 deg.
WESTERN_HEMISPHERE = CENSUS_REGION
#: The Legacy Surveys DR10 footprint within eROSITA-DE, approximated as ``|b|`` > this (deg).
LS_DR10_B_MIN_DEG = 20.0


@dataclass(frozen=True)
class PublishedFigure:
    """A published number of eRASS1 sources, and what of the model it is compared with.

    Parameters
    ----------
    name : str
        Short label.
    value : float
        The published number.
    source : str
        Where it comes from.
    classes : tuple[str, ...]
        Census classes it counts (empty: all).
    footprint : str
        ``de`` (eROSITA-DE, l > 180 deg) or ``ls10`` (its Legacy Surveys DR10 part, ``|b|`` > 20 deg here).
    """

    name: str
    value: float
    source: str
    classes: tuple[str, ...]
    footprint: str


#: The published figures the census is held against (docs/population.md).
PUBLISHED: tuple[PublishedFigure, ...] = (
    PublishedFigure("all sources", 930_203, "Merloni et al. 2024, A&A 682, A34: eRASS1 Main, 0.2-2.3 keV, DET_LIKE > 6",
                    (), "de"),
    PublishedFigure("coronal stars", 138_800, "Freund et al. 2024, A&A 684, A121: HamStar coronal stars in eRASS1",
                    ("STAR", "YSO"), "de"),
    PublishedFigure("extragalactic (LS DR10)", 570_000, "Salvato et al. 2025: ~570,000 of the 656,614 eRASS1 Main "
                    "sources in the Legacy Surveys DR10 footprint", ("AGN", "CLUSTER"), "ls10"),
    PublishedFigure("all sources (LS DR10)", 656_614, "Salvato et al. 2025: eRASS1 Main sources in the Legacy "
                    "Surveys DR10 footprint", (), "ls10"),
)
