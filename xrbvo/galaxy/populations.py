"""Populations of the simulated sky: the nine classes and the field.

Each class is described by a luminosity function in the soft X-ray band, an
X-ray photon index, a Galactic spatial distribution, a normalisation, local
absorption, and a generator of absolute magnitudes (its optical/IR spectral
energy distribution).  Absolute magnitudes are Vega, in the bands of
:data:`xrbvo.core.physics.EXTINCTION_RATIOS`.

Sources of the numbers (rounded; the simulated sky aims at plausibility, not at
a population synthesis):

* Dwarf and giant colours and absolute magnitudes: Pecaut & Mamajek (2013,
  ApJS 208, 9) and their online table (Gaia and 2MASS/WISE colours), rounded.
* Coronal X-ray luminosities of late-type stars (log L_X ~ 27-31, RS CVn up to
  32): Güdel (2004, A&ARv 12, 71).  O/B stars L_X ~ 1e-7 L_bol, gamma Cas stars
  1e32-1e33 erg/s: Nazé (2009, A&A 506, 1055); Smith, Lopes de Oliveira & Motch
  (2016, AdSpR 58, 782).
* CV space density ~1e-5 pc^-3, L_X 1e30-1e33: Pala et al. (2020, MNRAS 494,
  3799).  Wolf-Rayet stars: ~1200 known, L_X 1e32-1e34 for colliding winds:
  Rosslowe & Crowther (2015, MNRAS 447, 2322); Oskinova (2005, MNRAS 361, 679).
* HMXBs: ~110 in the Galaxy, scale height ~85 pc, following young stars
  (Lutovinov et al. 2013, MNRAS 431, 327); donors O/B or Be (Fortin et al.
  2023).  LMXBs: ~200 in the Galaxy, bulge plus disk, scale height ~410 pc
  (Grimm, Gilfanov & Sunyaev 2002, A&A 391, 923); optical light dominated by
  the irradiated disk (van Paradijs & McClintock 1994, A&A 290, 133).
  Luminosities of both: the broken power-law functions of :mod:`xrbvo.galaxy.xlf`
  (Doroshenko et al. 2014, 17-60 keV, above 1e32 erg/s) converted to 0.2-2.3
  keV with the class's mean photon index; ``n_galaxy`` is their N_total.
* Isolated neutron stars: optically undetected at survey depths; thermal
  (soft) or magnetospheric (hard) spectra: Kaspi & Beloborodov (2017, ARA&A
  55, 261).
* YSOs: pre-main-sequence K/M stars with log L_X ~ 29-31 (Preibisch et al.
  2005, ApJS 160, 401), near-IR excess and local extinction.
* Optical light tied to X-rays for coronal emitters (STAR, YSO): a star's
  bolometric luminosity follows from its X-ray luminosity through L_X / L_bol,
  saturated at 10^-3.13 (Wright et al. 2011, ApJ 743, 48; Pizzolato et al. 2003,
  A&A 397, 147); X-ray-selected coronal stars lie at -5..-3 (Freund et al. 2022,
  A&A 664, A105), young stars at -3.6 +- 0.6 (Preibisch et al. 2005); the type
  (and giant or dwarf) is the one of that luminosity (Pecaut & Mamajek 2013).
  Before, type and L_X were drawn independently, which made X-ray-selected
  M dwarfs 1-2 dex brighter in X-rays than saturation allows (log F_X/F_opt
  ~ -1.5 where the real Chandra stars sit at ~ -3.5: ``benchmarks/sim_to_real.py``).
  2005, ApJS 160, 401), near-IR excess and local extinction.  (Young field
  stars that have left their star-forming regions are in STAR, below.)
* Coronal stars (STAR), :data:`STAR_COMPONENTS`: four components, each a
  published local number density n and mean X-ray luminosity <L>, each
  log-normal in L_X with sd 0.8 dex (nearby K and M dwarfs span almost four
  decades in L_X: Schmitt, Fleming & Giampapa 1995, ApJ 450, 392), all in the
  old disc (scale height 300 pc); nothing is fitted to eRASS1's star counts.

  ===============  =========  ========  ==========================================
  component        n (pc^-3)  <L_X>     source
  ===============  =========  ========  ==========================================
  M dwarfs         4.89e-2    2.6e27    205 M0-M6 within 10 pc (Zhu & Preibisch
                                        2025, A&A 694, A93); eRASS:4 stacked mean,
                                        0.2-2 keV (Zheng et al. 2026, A&A 709, A275)
  G and K dwarfs   1.07e-2    1.5e28    107 G within 20 pc, 129 K within 16 pc
                                        (Zhu & Preibisch); FGK mean (Zheng et al.)
  active binaries  4.8e-4     1.17e30   RS CVn / BY Dra: 1.2e-2 per Msun above
                                        L(2-10 keV) = 10^27.5 and 14e27 erg/s/Msun
                                        at 0.1-2.4 keV (Sazonov et al. 2006, A&A
                                        450, 117, table 4); <L> = their ratio
  young stars      3.04e-3    3.16e29   24e27 erg/s/Msun at 0.1-2.4 keV (Sazonov
                                        et al., table 4) as saturated (L_X/L_bol =
                                        1e-3) stars of L_bol ~ 0.1 L_sun: <L> =
                                        10^29.5 assumed, n = emissivity / <L>
  ===============  =========  ========  ==========================================

  Per Msun figures are turned into pc^-3 with a local stellar mass density
  of 0.04 Msun pc^-3 (both Sazonov components scale with it).  The bands
  (0.1-2.4, 0.2-2 keV) are taken as 0.2-2.3 keV: a thermal corona of
  kT ~ 0.3-1 keV has 10-25% of its 0.1-2.4 keV flux below 0.2 keV, so the
  two Sazonov components may be that much too bright.
  Euclidean check (a disc much thicker than the distances seen): the number
  above a flux S over a solid angle Omega is N(>S) = (Omega/3) sum_i n_i
  <L_i^1.5> (4 pi S)^-1.5, and for a log-normal of sd s dex <L^1.5> =
  <L>^1.5 exp(0.375 (s ln 10)^2) = 3.57 <L>^1.5 at s = 0.8.  n <L^1.5>
  (pc^-3 erg^1.5 s^-1.5): M 2.3e40, G+K 7.0e40, active binaries 2.2e42,
  young stars 1.9e42; sum 4.2e42, or 3.4e42 with every component cut at
  L_X = 1e32 erg/s, the top of RS CVn systems (Güdel 2004; the cut keeps 72%
  of the binaries' and 90% of the young stars' <L^1.5>); the former single
  component (1.5e-2 pc^-3 at log L = 28.7 +- 0.8) had 7.7e42.  Over half the
  sky (2 pi sr) at S = 5e-14 erg/s/cm2, N = (2 pi/3) (4 pi S)^-1.5 /
  (3.086e18 cm/pc)^3 x 3.4e42 = 1.43e-37 x 3.4e42 = 4.8e5 (1.1e6 before);
  the 300-pc disc cuts this to ~1e5, since a star of L is seen out to
  d = 129 pc (L / 1e29)^0.5 and the sum is dominated by L ~ 1e30-1e32
  (:mod:`xrbvo.galaxy.census` integrates it through the disc and the gas).
* AGN: soft-band log N - log S with N(>5e-14 cgs) ~ 40 deg^-2 and Euclidean
  bright-end slope, flatter below ~1e-14 (Hasinger, Miyaji & Schmidt 2005, A&A
  441, 417; Moretti et al. 2003, ApJ 588, 696); X-ray-to-optical flux ratio
  log(F_X/F_opt) ~ 0 +- 0.5 (Maccacaro et al. 1988, ApJ 326, 680); QSO near/mid-
  IR colours W1-W2 ~ 1 (Stern et al. 2012, ApJ 753, 30); photon index ~1.9;
  the optical/IR numbers in :data:`AGN_SED`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special, stats

from xrbvo.core import physics
from xrbvo.galaxy.lf import INTEGRAL_LFS, soft_band_lf

__all__ = [
    "LogNormalLF",
    "LogNormalMixtureLF",
    "lognormal_with_mean",
    "STAR_COMPONENTS",
    "SpatialModel",
    "ClassModel",
    "CLASS_MODELS",
    "stellar_sed",
    "field_star_types",
    "BANDS",
    "AgnSed",
    "AGN_SED",
]

BANDS = ("G", "BP", "RP", "J", "H", "K", "W1", "W2")

# Pecaut & Mamajek (2013)-like dwarf sequence, by a continuous type index:
# 0=O5 1=B0 2=B5 3=A0 4=F0 5=G0 6=K0 7=K5 8=M0 9=M3 10=M5
_T = np.arange(11.0)
_DWARF = {
    "M_G": np.array([-4.7, -3.6, -1.1, 1.1, 2.6, 4.3, 5.8, 7.0, 8.4, 10.3, 12.3]),
    "BP_RP": np.array([-0.45, -0.35, -0.15, 0.0, 0.42, 0.75, 1.0, 1.45, 1.85, 2.5, 3.2]),
    "G_K": np.array([-1.05, -0.9, -0.45, 0.0, 0.8, 1.45, 2.0, 2.75, 3.35, 4.25, 5.05]),
    "J_K": np.array([-0.21, -0.16, -0.08, 0.0, 0.17, 0.34, 0.48, 0.68, 0.83, 0.87, 0.92]),
    "K_W1": np.array([-0.05, -0.04, -0.02, 0.0, 0.02, 0.04, 0.06, 0.1, 0.13, 0.16, 0.2]),
    "W1_W2": np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.03, -0.05, 0.05, 0.15, 0.25]),
}
# Giants G8III, K0III, K3III, M0III at type indices 5..8.
_TG = np.array([5.0, 6.0, 7.0, 8.0])
_GIANT = {
    "M_G": np.array([1.0, 0.6, -0.2, -0.8]),
    "BP_RP": np.array([0.9, 1.15, 1.5, 1.9]),
    "G_K": np.array([1.9, 2.45, 3.0, 3.7]),
    "J_K": np.array([0.55, 0.65, 0.8, 1.0]),
    "K_W1": np.array([0.05, 0.07, 0.1, 0.12]),
    "W1_W2": np.array([-0.03, -0.05, -0.08, -0.1]),
}


def _g_minus_rp(bp_rp):
    """Gaia G - RP from BP - RP (a quadratic fit to the main sequence)."""
    return 0.58 * bp_rp - 0.045 * bp_rp**2


def _mags_from_colours(m_g, bp_rp, g_k, j_k, k_w1, w1_w2) -> dict[str, np.ndarray]:
    rp = m_g - _g_minus_rp(bp_rp)
    bp = rp + bp_rp
    k = m_g - g_k
    j = k + j_k
    h = k + 0.15 * j_k
    w1 = k - k_w1
    w2 = w1 - w1_w2
    return {"G": m_g, "BP": bp, "RP": rp, "J": j, "H": h, "K": k, "W1": w1, "W2": w2}


def stellar_sed(type_index: np.ndarray, giant: np.ndarray | None = None,
                dm_g: np.ndarray | float = 0.0) -> dict[str, np.ndarray]:
    """Absolute magnitudes of dwarfs (or giants where ``giant``) of a type index.

    ``dm_g`` shifts all bands (e.g. for scatter in absolute magnitude).

    Parameters
    ----------
    type_index : numpy.ndarray
        Spectral type index per star (0 = earliest).
    giant : numpy.ndarray, optional
        True for giants; default all dwarfs.
    dm_g : numpy.ndarray | float, optional
        Offset (mag) added to every absolute magnitude, e.g. a star's scatter.

    Returns
    -------
    dict[str, numpy.ndarray]
        Band -> absolute magnitude (Vega).
    """
    t = np.clip(np.asarray(type_index, dtype=float), 0.0, 10.0)
    cols = {k: np.interp(t, _T, v) for k, v in _DWARF.items()}
    if giant is not None and np.any(giant):
        tg = np.clip(t, 5.0, 8.0)
        for k, v in _GIANT.items():
            cols[k] = np.where(giant, np.interp(tg, _TG, v), cols[k])
    cols["M_G"] = cols["M_G"] + dm_g
    return _mags_from_colours(cols["M_G"], cols["BP_RP"], cols["G_K"], cols["J_K"], cols["K_W1"], cols["W1_W2"])


@dataclass(frozen=True)
class LogNormalLF:
    """A log-normal luminosity function: log10 L ~ N(mean, sd), truncated to [lo, hi].

    Parameters
    ----------
    mean : float
        Mean of log10 L (erg/s).
    sd : float
        Standard deviation of log10 L (dex).
    lo : float, optional
        Lower bound of log10 L (erg/s).
    hi : float, optional
        Upper bound of log10 L (erg/s).
    """

    mean: float
    sd: float
    lo: float = 26.0
    hi: float = 39.0

    def _z(self, x):
        return (np.asarray(x, dtype=float) - self.mean) / self.sd

    def sf(self, log_l_min: np.ndarray) -> np.ndarray:
        """Fraction of sources with log L above ``log_l_min``."""
        x = np.clip(log_l_min, self.lo, self.hi)
        num = special.ndtr(self._z(self.hi)) - special.ndtr(self._z(x))
        den = special.ndtr(self._z(self.hi)) - special.ndtr(self._z(self.lo))
        return np.clip(num / den, 0.0, 1.0)

    def sample_above(self, log_l_min: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw one log L per element, each above its ``log_l_min``."""
        x = np.clip(np.atleast_1d(np.asarray(log_l_min, dtype=float)), self.lo, self.hi - 1e-6)
        if x.size == 0:
            return np.zeros(0)
        a = self._z(x)
        b = np.full_like(a, self._z(self.hi))
        return self.mean + self.sd * np.atleast_1d(stats.truncnorm.rvs(a, b, size=a.shape, random_state=rng))


def lognormal_with_mean(mean_l: float, sd: float, lo: float = 24.0, hi: float = 32.0) -> LogNormalLF:
    """A log-normal luminosity function of a given mean luminosity (not mean log L).

    For log10 L ~ N(mu, sd), <L> = 10**(mu + sd**2 ln(10) / 2), so ``mu = log10(mean_l) - sd**2 ln(10) / 2``
    before the truncation to [lo, hi]; a truncation at ``hi`` lowers the mean (by 7% for the active
    binaries of :data:`STAR_COMPONENTS` at 1e32 erg/s).

    Parameters
    ----------
    mean_l : float
        Mean luminosity (erg/s).
    sd : float
        Standard deviation of log10 L (dex).
    lo, hi : float, optional
        Bounds of log10 L (erg/s).

    Returns
    -------
    LogNormalLF
        The luminosity function.
    """
    return LogNormalLF(math.log10(mean_l) - sd**2 * math.log(10.0) / 2.0, sd, lo, hi)


@dataclass(frozen=True)
class LogNormalMixtureLF:
    """A sum of log-normal luminosity functions, each with its share of the class's number density.

    Same interface as :class:`LogNormalLF` (``lo``, ``hi``, ``sf``, ``sample_above``).

    Parameters
    ----------
    components : tuple[tuple[float, LogNormalLF], ...]
        (number density in pc^-3, luminosity function) per component; the shares are the densities
        over their sum.
    """

    components: tuple[tuple[float, LogNormalLF], ...]
    """(number density in pc^-3, luminosity function) per component."""

    @property
    def density_pc3(self) -> float:
        """Sum of the components' densities (pc^-3)."""
        return float(sum(n for n, _ in self.components))

    @property
    def lo(self) -> float:
        """Lowest log10 L of any component."""
        return min(lf.lo for _, lf in self.components)

    @property
    def hi(self) -> float:
        """Highest log10 L of any component."""
        return max(lf.hi for _, lf in self.components)

    def sf(self, log_l_min: np.ndarray) -> np.ndarray:
        """Fraction of sources with log L above ``log_l_min``."""
        tot = self.density_pc3
        return sum(n / tot * lf.sf(log_l_min) for n, lf in self.components)

    def sample_above(self, log_l_min: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw one log L per element, each above its ``log_l_min``: the component by its share there."""
        x = np.atleast_1d(np.asarray(log_l_min, dtype=float))
        if x.size == 0:
            return np.zeros(0)
        w = np.stack([n * np.atleast_1d(lf.sf(x)) for n, lf in self.components])  # (component, element)
        cum = np.cumsum(w, axis=0)
        u = rng.random(x.shape) * cum[-1]
        pick = np.minimum(np.sum(cum < u[None, :], axis=0), len(self.components) - 1)
        out = np.empty(x.shape)
        for i, (_, lf) in enumerate(self.components):
            m = pick == i
            if m.any():
                out[m] = lf.sample_above(x[m], rng)
        return out


@dataclass(frozen=True)
class SpatialModel:
    """Galactic number density shape: exponential (or ring) disk plus a bulge.

    ``shape(R, z)`` is dimensionless; the class normalisation sets the number.

    Parameters
    ----------
    rd_kpc : float, optional
        Radial scale length of the disk.
    hz_pc : float, optional
        Vertical (exponential) scale height.
    ring_kpc : float, optional
        If set, a Gaussian ring at this radius replaces the exponential profile.
    ring_sigma_kpc : float, optional
        Width (kpc) of the ring when the disk is a ring.
    bulge_fraction : float, optional
        Share of the Galaxy's objects in a Gaussian bulge of 1 kpc (radius).
    r_max_kpc : float, optional
        Galactocentric radius (kpc) beyond which there are no sources.
    """

    rd_kpc: float = 2.6
    """Radial scale length of the disk."""
    hz_pc: float = 300.0
    """Vertical (exponential) scale height."""
    ring_kpc: float | None = None
    """If set, a Gaussian ring at this radius replaces the exponential profile."""
    ring_sigma_kpc: float = 2.0
    bulge_fraction: float = 0.0
    """Share of the Galaxy's objects in a Gaussian bulge of 1 kpc (radius)."""
    r_max_kpc: float = 16.0

    def disk(self, r_kpc, z_kpc):
        r = np.asarray(r_kpc, dtype=float)
        if self.ring_kpc is not None:
            radial = np.exp(-0.5 * ((r - self.ring_kpc) / self.ring_sigma_kpc) ** 2)
        else:
            radial = np.exp(-r / self.rd_kpc)
        return np.where(r < self.r_max_kpc, radial * np.exp(-np.abs(z_kpc) * 1000.0 / self.hz_pc), 0.0)

    def bulge(self, r_kpc, z_kpc):
        rr2 = np.asarray(r_kpc, dtype=float) ** 2 + np.asarray(z_kpc, dtype=float) ** 2
        return np.exp(-0.5 * rr2 / 1.0**2)

    def galaxy_integrals(self) -> tuple[float, float]:
        """Volume integrals (kpc^3) of the disk and the bulge shapes."""
        r = np.linspace(0.0, self.r_max_kpc, 801)
        z = np.linspace(-5.0, 5.0, 2001)
        rr, zz = np.meshgrid(r, z, indexing="ij")
        disk = np.trapezoid(np.trapezoid(self.disk(rr, zz), z, axis=1) * 2 * np.pi * r, r)
        bulge = (2 * np.pi) ** 1.5 * 1.0**3
        return float(disk), float(bulge)


#: ``sed(n, rng, log_l=None)``: absolute magnitudes and extras of ``n`` sources; ``log_l`` (their X-ray
#: luminosities) lets a class tie its optical/IR light to its X-rays (coronal L_X / L_bol for STAR and YSO).
SedFunc = Callable[..., dict[str, np.ndarray]]


@dataclass(frozen=True)
class ClassModel:
    """Everything the simulator needs to draw sources of one class.

    Parameters
    ----------
    name : str
        The class, e.g. ``HMXB``.
    lf : LogNormalLF
        Luminosity function, unabsorbed 0.2-2.3 keV, erg/s.
    gamma : tuple[float, float]
        Photon index mean and scatter.
    spatial : SpatialModel | None
        Galactic distribution (None for extragalactic classes).
    rho0_pc3 : float, optional
        Number density at the Sun's position (pc^-3); or use ``n_galaxy``.
    n_galaxy : float, optional
        Total number in the Milky Way.
    local_nh_log : tuple[float, float], optional
        log10 of intrinsic (local) N_H: mean and scatter (no dust attached).
    local_av_log : tuple[float, float], optional
        log10 of local A_V (circumstellar dust): mean and scatter.
    sed : SedFunc, optional
        Draws absolute magnitudes and per-source extras (``var``, ``epsi``).
    """

    name: str
    lf: LogNormalLF
    """Luminosity function, unabsorbed 0.2-2.3 keV, erg/s."""
    gamma: tuple[float, float]
    """Photon index mean and scatter."""
    spatial: SpatialModel | None
    """Galactic distribution (None for extragalactic classes)."""
    rho0_pc3: float | None = None
    """Number density at the Sun's position (pc^-3); or use ``n_galaxy``."""
    n_galaxy: float | None = None
    """Total number in the Milky Way."""
    local_nh_log: tuple[float, float] | None = None
    """log10 of intrinsic (local) N_H: mean and scatter (no dust attached)."""
    local_av_log: tuple[float, float] | None = None
    """log10 of local A_V (circumstellar dust): mean and scatter."""
    sed: SedFunc | None = None
    """Draws absolute magnitudes and per-source extras (``var``, ``epsi``)."""


def _extras(n, rng, var, epsi):
    return {
        "var": np.abs(rng.normal(var[0], var[1], n)),
        "epsi_extra": np.abs(rng.normal(epsi[0], epsi[1], n)),
    }


def _sed_hmxb(n, rng, log_l=None):
    be = rng.random(n) < 0.65  # Be/X-ray binaries dominate (Fortin et al. 2023)
    t = np.where(be, rng.uniform(0.8, 2.0, n), rng.uniform(0.6, 1.3, n))
    dm = np.where(be, rng.normal(0.0, 0.6, n) - 0.5, rng.normal(-2.6, 0.6, n))  # supergiants ~2.5 mag brighter
    m = stellar_sed(t, dm_g=dm)
    excess = np.where(be, rng.normal(0.25, 0.1, n), rng.normal(0.05, 0.05, n))  # Be disc free-free
    for band, f in (("J", 0.5), ("H", 0.75), ("K", 1.0), ("W1", 1.3), ("W2", 1.5)):
        m[band] = m[band] - f * excess
    m.update(_extras(n, rng, (0.06, 0.03), (0.12, 0.08)))
    m["subtype"] = np.where(be, "Be", "sg")
    return m


def _sed_lmxb(n, rng, log_l=None):
    m_g = rng.normal(3.0, 1.6, n)  # irradiated disk dominates (van Paradijs & McClintock 1994)
    bp_rp = rng.normal(0.15, 0.25, n)
    m = _mags_from_colours(m_g, bp_rp, rng.normal(0.45, 0.3, n), rng.normal(0.35, 0.15, n),
                           rng.normal(0.15, 0.1, n), rng.normal(0.15, 0.15, n))
    m.update(_extras(n, rng, (0.2, 0.1), (0.2, 0.15)))
    return m


def _sed_cv(n, rng, log_l=None):
    novalike = rng.random(n) < 0.2
    m_g = np.where(novalike, rng.normal(4.5, 0.8, n), rng.normal(9.5, 1.3, n))
    m = _mags_from_colours(m_g, rng.normal(0.45, 0.3, n), rng.normal(1.0, 0.5, n), rng.normal(0.6, 0.2, n),
                           rng.normal(0.15, 0.1, n), rng.normal(0.2, 0.2, n))
    m.update(_extras(n, rng, (0.4, 0.25), (0.15, 0.1)))
    return m


def _sed_ns(n, rng, log_l=None):
    nan = np.full(n, np.nan)
    m = {b: nan.copy() for b in BANDS}
    m.update(_extras(n, rng, (0.0, 0.0), (0.0, 0.0)))
    return m


def _sed_wr(n, rng, log_l=None):
    m = _mags_from_colours(rng.normal(-4.3, 0.9, n), rng.normal(0.1, 0.2, n), rng.normal(0.3, 0.3, n),
                           rng.normal(0.9, 0.3, n), rng.normal(0.35, 0.15, n), rng.normal(0.5, 0.2, n))
    m.update(_extras(n, rng, (0.03, 0.02), (0.12, 0.08)))
    return m


def _sed_early(n, rng, log_l=None):
    t = rng.uniform(0.2, 2.5, n)
    m = stellar_sed(t, dm_g=rng.normal(0.0, 0.5, n))
    be = rng.random(n) < 0.3
    excess = np.where(be, rng.normal(0.2, 0.1, n), 0.0)
    for band, f in (("J", 0.5), ("H", 0.75), ("K", 1.0), ("W1", 1.3), ("W2", 1.5)):
        m[band] = m[band] - f * excess
    m.update(_extras(n, rng, (0.02, 0.015), (0.1, 0.06)))
    return m


#: Bolometric absolute magnitudes of the dwarf sequence at the type indices of ``_T`` (Pecaut & Mamajek 2013,
#: log L/L_sun rounded: O5 5.5, B0 4.4, B5 2.7, A0 1.5, F0 0.75, G0 0.12, K0 -0.33, K5 -0.78, M0 -1.16,
#: M3 -1.85, M5 -2.52) and of the giants at ``_TG`` (G8III..M0III, log L 1.6, 1.75, 2.0, 2.5).
_MBOL_DWARF = np.array([-9.0, -6.3, -2.0, 1.0, 2.87, 4.44, 5.57, 6.69, 7.64, 9.37, 11.04])
_MBOL_GIANT = np.array([0.74, 0.37, -0.26, -1.51])
_LOG_LSUN = 33.583
#: log10 L_X / L_bol of coronal X-ray emission: saturated at -3.13 (Wright et al. 2011, ApJ 743, 48; Pizzolato et
#: al. 2003, A&A 397, 147), the X-ray-selected (eFEDS) coronal stars between about -5 and -3 (Freund et al. 2022,
#: A&A 664, A105): drawn N(-3.8, 0.6), capped at -2.8 (flares).
STAR_LX_LBOL = (-3.8, 0.6, -2.8)
#: The same for pre-main-sequence stars: log L_X / L_bol = -3.6 +- 0.6 for the low-mass stars of the Orion Nebula
#: Cluster (Preibisch et al. 2005, ApJS 160, 401), capped at -2.5 (flares).
YSO_LX_LBOL = (-3.6, 0.6, -2.5)


def _target_mbol(log_l, ratio, n, rng):
    """Bolometric absolute magnitude of a star of X-ray luminosity ``log_l`` drawn at ``ratio`` = (mean, sd, cap)."""
    r = np.minimum(rng.normal(ratio[0], ratio[1], n), ratio[2])
    return 4.74 - 2.5 * (np.asarray(log_l, float) - r - _LOG_LSUN)


def _dwarf_type_for_mbol(mbol, lo: float, hi: float):
    """Type index of the dwarf of bolometric magnitude ``mbol`` within [lo, hi], and what is left over (mag)."""
    t = np.clip(np.interp(mbol, _MBOL_DWARF, _T), lo, hi)
    return t, mbol - np.interp(t, _T, _MBOL_DWARF)


def _sed_star(n, rng, log_l=None):
    """Late-type coronal stars.

    Without ``log_l``: dwarfs F0-M5 (20% giants), types uniform.  With each star's X-ray luminosity
    ``log_l``: its bolometric luminosity follows from L_X / L_bol (:data:`STAR_LX_LBOL`), and the type is the
    dwarf of that luminosity, or a giant (RS CVn-like) when it is brighter than any dwarf of the class
    by more than a magnitude; the rest (within +-1 mag) goes into the absolute magnitude.  An X-ray
    selected star is then never brighter in X-rays than coronal saturation allows.
    """
    if log_l is None:
        giant = rng.random(n) < 0.2  # RS CVn / active giants
        t = np.where(giant, rng.uniform(5.0, 8.0, n), rng.uniform(4.5, 10.0, n))
        dm = rng.normal(0.0, 0.3, n)
    else:
        mbol = _target_mbol(log_l, STAR_LX_LBOL, n, rng)
        t, rest = _dwarf_type_for_mbol(mbol, 4.5, 10.0)
        giant = rest < -1.0
        tg = np.clip(np.interp(mbol, _MBOL_GIANT[::-1], _TG[::-1]), 5.0, 8.0)
        rest_g = mbol - np.interp(tg, _TG, _MBOL_GIANT)
        t = np.where(giant, tg, t)
        dm = np.clip(np.where(giant, rest_g, rest), -1.0, 1.0) + rng.normal(0.0, 0.2, n)
    m = stellar_sed(t, giant=giant, dm_g=dm)
    m.update(_extras(n, rng, (0.02, 0.015), (0.1, 0.06)))
    m["giant"] = giant
    return m


def _sed_yso(n, rng, log_l=None):
    """Pre-main-sequence K5-M4 stars, 1.5 mag above the main sequence, with near/mid-IR disc excess.

    With each source's X-ray luminosity ``log_l`` the type follows from L_X / L_bol (:data:`YSO_LX_LBOL`),
    the rest (within +-1 mag) goes into the absolute magnitude, as for :func:`_sed_star`.
    """
    if log_l is None:
        t = rng.uniform(6.5, 9.5, n)
        dm = rng.normal(-1.5, 0.7, n)
    else:
        mbol = _target_mbol(log_l, YSO_LX_LBOL, n, rng) + 1.5  # the PMS star's main-sequence equivalent
        t, rest = _dwarf_type_for_mbol(mbol, 6.5, 9.5)
        dm = -1.5 + np.clip(rest, -1.0, 1.0) + rng.normal(0.0, 0.3, n)
    m = stellar_sed(t, dm_g=dm)  # pre-main sequence: above the main sequence
    excess = np.abs(rng.normal(0.5, 0.3, n))  # disc emission
    for band, f in (("H", 0.3), ("K", 0.7), ("W1", 1.3), ("W2", 2.0)):
        m[band] = m[band] - f * excess
    m.update(_extras(n, rng, (0.25, 0.15), (0.15, 0.1)))
    return m


_YOUNG = SpatialModel(ring_kpc=5.5, ring_sigma_kpc=2.5, hz_pc=85.0)

#: Local stellar mass density (Msun pc^-3) that turns Sazonov et al.'s (2006) per-Msun figures into pc^-3.
_RHO_STARS_MSUN_PC3 = 0.04
#: Width (dex) of each coronal component's log L_X distribution: the nearby K and M dwarfs' X-ray
#: luminosities span almost four decades (Schmitt, Fleming & Giampapa 1995), about +-2.5 sd of a
#: sample of ~100 stars.
_STAR_SD_DEX = 0.8
#: Coronal stars (class STAR): component -> (local number density in pc^-3, mean 0.2-2.3 keV L_X in erg/s),
#: each from published figures (module notes); nothing is fitted to eRASS1's counts.
STAR_COMPONENTS: dict[str, tuple[float, float]] = {
    # Zhu & Preibisch (2025): 205 M0-M6 dwarfs within 10 pc; Zheng et al. (2026): <L_X> = 2.6e27 (0.2-2 keV)
    "M dwarfs": (205.0 / (4.0 / 3.0 * math.pi * 10.0**3), 2.6e27),
    # Zhu & Preibisch (2025): 107 G dwarfs within 20 pc and 129 K dwarfs within 16 pc; Zheng et al.: FGK 1.5e28
    "G and K dwarfs": (107.0 / (4.0 / 3.0 * math.pi * 20.0**3) + 129.0 / (4.0 / 3.0 * math.pi * 16.0**3), 1.5e28),
    # Sazonov et al. (2006, table 4): 1.2e-2 Msun^-1 above L(2-10 keV) = 10^27.5, 14e27 erg/s/Msun at 0.1-2.4 keV
    "active binaries": (1.2e-2 * _RHO_STARS_MSUN_PC3, 14.0e27 / 1.2e-2),
    # Sazonov et al. (2006, table 4): young stars 24e27 erg/s/Msun at 0.1-2.4 keV, as stars of <L_X> = 10^29.5
    "young stars": (24.0e27 * _RHO_STARS_MSUN_PC3 / 10.0**29.5, 10.0**29.5),
}
_STAR_LF = LogNormalMixtureLF(tuple((n, lognormal_with_mean(mean_l, _STAR_SD_DEX))
                                    for n, mean_l in STAR_COMPONENTS.values()))

CLASS_MODELS: dict[str, ClassModel] = {
    "HMXB": ClassModel("HMXB", soft_band_lf("HMXB"), (1.0, 0.3), _YOUNG,
                       n_galaxy=INTEGRAL_LFS["HMXB"].n_total, local_nh_log=(21.8, 0.5), sed=_sed_hmxb),
    "LMXB": ClassModel("LMXB", soft_band_lf("LMXB"), (1.8, 0.3),
                       SpatialModel(rd_kpc=2.6, hz_pc=410.0, bulge_fraction=0.4),
                       n_galaxy=INTEGRAL_LFS["LMXB"].n_total, local_nh_log=(21.0, 0.4), sed=_sed_lmxb),
    "NS": ClassModel("NS", LogNormalLF(32.8, 0.8, 30.0, 36.0), (3.0, 0.8),
                     SpatialModel(rd_kpc=3.0, hz_pc=250.0), n_galaxy=4000.0, sed=_sed_ns),
    "CV": ClassModel("CV", LogNormalLF(30.4, 0.7, 28.5, 34.0), (1.4, 0.3),
                     SpatialModel(rd_kpc=2.6, hz_pc=260.0), rho0_pc3=1.0e-5, sed=_sed_cv),
    "WR": ClassModel("WR", LogNormalLF(32.6, 0.6, 30.5, 35.0), (1.8, 0.4), _YOUNG,
                     n_galaxy=1500.0, local_nh_log=(21.7, 0.3), sed=_sed_wr),
    "AGN": ClassModel("AGN", LogNormalLF(43.0, 1.0), (1.9, 0.2), None),
    "EARLY": ClassModel("EARLY", LogNormalLF(31.0, 0.7, 28.5, 33.5), (2.6, 0.5),
                        SpatialModel(ring_kpc=5.5, ring_sigma_kpc=3.0, hz_pc=60.0), rho0_pc3=6.0e-6,
                        sed=_sed_early),
    "STAR": ClassModel("STAR", _STAR_LF, (3.0, 0.5),
                       SpatialModel(rd_kpc=2.6, hz_pc=300.0), rho0_pc3=_STAR_LF.density_pc3, sed=_sed_star),
    "YSO": ClassModel("YSO", LogNormalLF(30.0, 0.6, 28.0, 32.0), (2.2, 0.3),
                      SpatialModel(ring_kpc=5.5, ring_sigma_kpc=3.0, hz_pc=50.0), rho0_pc3=2.0e-4,
                      local_av_log=(0.4, 0.3), sed=_sed_yso),
}


@dataclass(frozen=True)
class AgnSed:
    """The AGN's optical and infrared magnitudes, from the intrinsic X-ray flux (its numbers and their sources).

    The one model of :mod:`xrbvo.sim.sky` (which draws the AGN's counterparts with it) and of
    :mod:`xrbvo.galaxy.visibility` (which integrates their chance of having none).  Gaia G follows the
    X-ray-to-optical flux ratio of X-ray-selected AGN, ``log(F_X / F_opt) = log F_X + m / 2.5 + 5.37``
    (Maccacaro et al. 1988, ApJ 326, 680; V there, G standing in for it here, F_X the intrinsic
    0.2-2.3 keV flux), so ``G = 2.5 (x - 5.37 - log10 S_int)``; an obscured AGN is fainter by a further
    offset; the other bands follow from QSO colours (W1 - W2 ~ 1, Stern et al. 2012, ApJ 753, 30).  Every
    (mean, sd) pair is a normal draw per source.

    Parameters
    ----------
    log_fx_fopt : tuple of float
        Mean and sd of ``x = log(F_X / F_opt)``.
    fx_fopt_zero_point : float
        The 5.37 of Maccacaro et al.'s ratio (F_X in erg/s/cm2).
    obscured_share : float
        Share of the AGN that are obscured.
    log_nh_int_obscured : tuple of float
        Range of the uniform log10 intrinsic column of an obscured AGN, cm-2 (at z ~ 1 it acts like a
        (1+z)^-2.5 smaller local column).
    nh_int_unobscured : float
        Intrinsic column of an unobscured AGN, cm-2.
    obscured_dimming : tuple of float
        Mean and sd of the G magnitudes an obscured AGN is fainter by.
    bp_rp, g_j, j_k, k_w1, w1_w2 : tuple of float
        Mean and sd of the colours BP - RP, G - J, J - K, K - W1, W1 - W2, mag.
    h_k_share : float
        H - K as a share of J - K.
    """

    log_fx_fopt: tuple[float, float] = (0.0, 0.5)
    fx_fopt_zero_point: float = 5.37
    obscured_share: float = 0.3
    log_nh_int_obscured: tuple[float, float] = (21.3, 22.5)
    nh_int_unobscured: float = 1e20
    obscured_dimming: tuple[float, float] = (1.5, 0.7)
    bp_rp: tuple[float, float] = (0.7, 0.2)
    g_j: tuple[float, float] = (1.5, 0.3)
    j_k: tuple[float, float] = (1.6, 0.25)
    k_w1: tuple[float, float] = (1.4, 0.3)
    w1_w2: tuple[float, float] = (1.0, 0.25)
    h_k_share: float = 0.45

    def draw(self, rng: np.random.Generator, obscured: np.ndarray) -> dict[str, np.ndarray]:
        """Draw each AGN's flux ratio, obscured dimming and colours.

        The draws, one array of ``len(obscured)`` each, in this order: x, the dimming (drawn for every
        source, kept where ``obscured``), BP - RP, G - J, J - K, K - W1, W1 - W2.  Simulated skies depend on
        that order: keep it.

        Parameters
        ----------
        rng : numpy.random.Generator
            The random generator.
        obscured : numpy.ndarray
            True for an obscured AGN.

        Returns
        -------
        dict[str, numpy.ndarray]
            ``x``, ``dimming`` (0 where not obscured), ``BP_RP``, ``G_J``, ``J_K``, ``K_W1``, ``W1_W2``.
        """
        n = len(obscured)
        x = rng.normal(*self.log_fx_fopt, n)
        dimming = np.where(obscured, rng.normal(*self.obscured_dimming, n), 0.0)
        out = {"x": x, "dimming": dimming}
        for name, (mean, sd) in (("BP_RP", self.bp_rp), ("G_J", self.g_j), ("J_K", self.j_k),
                                 ("K_W1", self.k_w1), ("W1_W2", self.w1_w2)):
            out[name] = rng.normal(mean, sd, n)
        return out

    def magnitudes(self, s_int, draws: dict[str, np.ndarray], *, av=0.0,
                   bands=BANDS) -> dict[str, np.ndarray]:
        """Apparent magnitudes of AGN of intrinsic X-ray flux ``s_int`` with the colours ``draws``.

        Parameters
        ----------
        s_int : float or numpy.ndarray
            Intrinsic 0.2-2.3 keV flux, erg/s/cm2; broadcast against the draws (one per AGN, or a
            (flux, AGN) grid).
        draws : dict[str, numpy.ndarray]
            What :meth:`draw` returned.
        av : float or numpy.ndarray, optional
            Galactic V-band extinction, mag (ratios :data:`xrbvo.core.physics.EXTINCTION_RATIOS`).
        bands : sequence of str, optional
            The bands returned, of :data:`BANDS`.

        Returns
        -------
        dict[str, numpy.ndarray]
            Vega magnitude per band.
        """
        bp_rp, j_k = draws["BP_RP"], draws["J_K"]
        g0 = 2.5 * (draws["x"] - self.fx_fopt_zero_point - np.log10(s_int)) + draws["dimming"]
        m = {"G": g0, "RP": g0 - _g_minus_rp(bp_rp)}
        m["BP"] = m["RP"] + bp_rp
        m["J"] = g0 - draws["G_J"]
        m["K"] = m["J"] - j_k
        m["H"] = m["K"] + self.h_k_share * j_k
        m["W1"] = m["K"] - draws["K_W1"]
        m["W2"] = m["W1"] - draws["W1_W2"]
        return {b: m[b] + physics.EXTINCTION_RATIOS[b] * av for b in bands}


#: The AGN's optical and infrared model (:class:`AgnSed`).
AGN_SED = AgnSed()


def field_star_types(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Type index, giant flag and absolute-magnitude scatter of field stars.

    A disk mix weighted to K/M dwarfs, with 15% red giants (which dominate
    the distant, Gaia-detected part of a plane field).

    Parameters
    ----------
    n : int
        Number of stars.
    rng : np.random.Generator
        The random generator.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]
        The type index, the giant flag and the absolute-magnitude scatter (mag), one per star.
    """
    giant = rng.random(n) < 0.15
    weights = np.array([0.0005, 0.002, 0.01, 0.03, 0.07, 0.12, 0.15, 0.2, 0.22, 0.1975])
    edges = np.arange(len(weights) + 1, dtype=float)
    bins = rng.choice(len(weights), size=n, p=weights / weights.sum())
    t = edges[bins] + rng.random(n)
    t = np.where(giant, rng.uniform(5.0, 8.0, n), t)
    return t, giant, rng.normal(0.0, 0.35, n)
