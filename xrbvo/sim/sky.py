"""A seeded generator of an eRASS1-like Galactic field with its truth kept.

The simulated sky has:

* an X-ray catalogue with eRASS1's native column names (``IAUNAME``, ``RA``,
  ``DEC``, ``POS_ERR``, ``ML_FLUX_1``...), plus ``flux_hard`` (2.3-5 keV) as if
  joined from the hard-band catalogue;
* Gaia DR3, 2MASS and CatWISE2020 catalogues with their native column names,
  holding the detected counterparts and the field sources around every X-ray
  source (inside ``patch_radius_arcsec``; the union of these patches has
  uniform density, so densities and local-density estimates are correct there);
* a truth table: class, distance, luminosity, absorption and the identifier of
  the true counterpart in each survey (empty where it is not detected).

X-ray sources of the nine classes are drawn by physics, not by quota: each
Galactic class has a space density and a luminosity function; sources are placed
along each sight line, absorbed by the fraction of the HI4PI column in front of
them (an exponential dust-and-gas disk sets that fraction) and kept when their
absorbed 0.2-2.3 keV flux passes the survey's completeness curve.  AGN come from
an extragalactic log N - log S seen through the whole Galactic column.  So the
relative numbers, and the plane's domain shift (absorbed AGN, reddened stars),
follow from the same physics the classifier must cope with.

``class_boost`` multiplies a class's density (injection for training and for
validation with enough rare sources); the expected counts without boost are kept
in :attr:`SimulatedSky.expected_counts` so that class priors for a real field can
be taken from the unboosted mix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from xrbvo.core import physics
from xrbvo.core.errors import InputError
from xrbvo.core.schema import CLASSES, TRUTH, apply_schema
from xrbvo.galaxy.populations import AGN_SED, BANDS, CLASS_MODELS, field_star_types, stellar_sed

__all__ = ["SkyConfig", "SimulatedSky", "simulate_sky", "expected_counts", "gaia_density_target", "MAX_AREA_DEG2",
           "EXTRA_SURVEYS"]

#: Largest simulated field (deg2).  Memory grows with the area: a 10 x 10 deg field in the plane
#: takes about 1 GB and 20 s; the built-in fields are 8 x 4 deg at most.
MAX_AREA_DEG2 = 100.0


_DEG2_PER_SR = (180.0 / math.pi) ** 2
_D_GRID_PC = physics.D_GRID_PC


def gaia_density_target(b_deg) -> np.ndarray:
    """Gaia DR3 density (sources per deg^2 at G < 21) used for the field.

    ~3e5 deg^-2 in the plane at l ~ 300 falling tenfold by ``|b|`` = 10 deg: a
    rounded reading of the Gaia DR3 source-density maps (Gaia Collaboration,
    Vallenari et al. 2023, fig. 4).

    Parameters
    ----------
    b_deg : float or array
        Galactic latitude, degrees.

    Returns
    -------
    numpy.ndarray
        Gaia DR3 sources per deg^2 at G < 21.
    """
    return 3.0e5 * 10.0 ** (-np.abs(np.asarray(b_deg, dtype=float)) / 10.0)


@dataclass(frozen=True)
class SkyConfig:
    """Parameters of a simulated field.

    Parameters
    ----------
    l_deg : float, optional
        Galactic longitude of the field centre.
    b_deg : float, optional
        Galactic latitude of the field centre.
    width_deg : float, optional
        Extent in longitude.
    height_deg : float, optional
        Extent in latitude.
    flux_limit : float, optional
        0.2-2.3 keV flux at 50% completeness (erg/cm2/s); eRASS1: ~5e-14.
    completeness_width_dex : float, optional
        Width of the logistic completeness curve in log10 flux.
    patch_radius_arcsec : float, optional
        Field sources are simulated within this radius of each X-ray source.
    class_boost : Mapping[str, float], optional
        Multiplier of a class's density, e.g. {"HMXB": 10} (injection).
    field_density_scale : float, optional
        Multiplier of the field-star density (1: the Gaia DR3 density model).
    xray_epoch : float, optional
        Epoch of the X-ray positions (eRASS1: Dec 2019 - Jun 2020).
    seed : int, optional
        Seed of the random generator: the same seed gives the same sky.
    extra_surveys : tuple[str, ...], optional
        Counterpart surveys the sky also holds beyond Gaia DR3, 2MASS and CatWISE2020 (registry names;
        those of :data:`EXTRA_SURVEYS`), drawn from a random stream of their own, so that the rest of
        the sky is the same with or without them.
    """

    l_deg: float = 300.0
    """Galactic longitude of the field centre."""
    b_deg: float = 0.0
    """Galactic latitude of the field centre."""
    width_deg: float = 2.0
    """Extent in longitude."""
    height_deg: float = 2.0
    """Extent in latitude."""
    flux_limit: float = 5e-14
    """0.2-2.3 keV flux at 50% completeness (erg/cm2/s); eRASS1: ~5e-14."""
    completeness_width_dex: float = 0.08
    """Width of the logistic completeness curve in log10 flux."""
    patch_radius_arcsec: float = 60.0
    """Field sources are simulated within this radius of each X-ray source."""
    class_boost: Mapping[str, float] = field(default_factory=dict)
    """Multiplier of a class's density, e.g. {"HMXB": 10} (injection)."""
    field_density_scale: float = 1.0
    """Multiplier of the field-star density (1: the Gaia DR3 density model)."""
    xray_epoch: float = 2020.0
    """Epoch of the X-ray positions (eRASS1: Dec 2019 - Jun 2020)."""
    seed: int = 0
    """Seed of the random generator: the same seed gives the same sky."""
    extra_surveys: tuple[str, ...] = ()
    """Counterpart surveys the sky also holds beyond Gaia DR3, 2MASS and CatWISE2020 (registry names;
    those of :data:`EXTRA_SURVEYS`), drawn from a random stream of their own, so that the rest of the sky
    is the same with or without them."""

    def validate(self) -> None:
        """Raise :class:`InputError` if a parameter is out of range."""
        for s in self.extra_surveys:
            if s not in EXTRA_SURVEYS:
                raise InputError(f"the simulated sky cannot draw survey {s!r}; it draws gaia, 2mass, catwise"
                                 f"{''.join(', ' + k for k in EXTRA_SURVEYS)}")
        if not (0.0 < self.width_deg <= 60.0 and 0.0 < self.height_deg <= 60.0):
            raise InputError("simulated field size must be between 0 and 60 deg on each side")
        if abs(self.b_deg) + self.height_deg / 2 > 89.0:
            raise InputError("simulated field must stay away from the Galactic poles (|b| + height/2 <= 89)")
        if self.area_deg2 > MAX_AREA_DEG2:
            raise InputError(f"simulated field of {self.width_deg:g} x {self.height_deg:g} deg covers "
                             f"{self.area_deg2:.0f} deg2, more than the {MAX_AREA_DEG2:g} deg2 a simulation takes "
                             "(memory grows with the area); simulate smaller fields")
        if not self.flux_limit > 0:
            raise InputError("flux_limit must be positive (erg/cm2/s)")
        if not self.patch_radius_arcsec > 0:
            raise InputError("patch_radius_arcsec must be positive")
        for k, v in self.class_boost.items():
            if k not in CLASSES:
                raise InputError(f"class_boost names unknown class {k!r}; classes are {', '.join(CLASSES)}")
            if not v >= 0:
                raise InputError(f"class_boost[{k!r}] must be >= 0")

    @property
    def area_deg2(self) -> float:
        b1 = math.radians(self.b_deg - self.height_deg / 2)
        b2 = math.radians(self.b_deg + self.height_deg / 2)
        return math.radians(self.width_deg) * (math.sin(b2) - math.sin(b1)) * _DEG2_PER_SR


@dataclass
class SimulatedSky:
    """A simulated field: X-ray catalogue, survey catalogues and the truth.

    Parameters
    ----------
    config : SkyConfig
        The options.
    xray : astropy.table.Table
        X-ray sources, eRASS1 native column names.
    catalogs : dict[str, Table]
        Survey name (``gaia``, ``2mass``, ``catwise``) -> catalogue, native names.
    truth : astropy.table.Table
        One row per X-ray source: class, physics and true counterpart ids.
    expected_counts : dict[str, float]
        Expected number of detected X-ray sources per class, without boost.
    """

    config: SkyConfig
    xray: Table
    """X-ray sources, eRASS1 native column names."""
    catalogs: dict[str, Table]
    """Survey name (``gaia``, ``2mass``, ``catwise``) -> catalogue, native names."""
    truth: Table
    """One row per X-ray source: class, physics and true counterpart ids."""
    expected_counts: dict[str, float]
    """Expected number of detected X-ray sources per class, without boost."""

    def class_priors(self, boosted: bool = False) -> dict[str, float]:
        """Expected class fractions of the field (unboosted unless ``boosted``)."""
        counts = dict(self.expected_counts)
        if boosted:
            counts = {k: v * self.config.class_boost.get(k, 1.0) for k, v in counts.items()}
        tot = sum(counts.values())
        return {k: v / tot for k, v in counts.items()}

    def write(self, directory: str | Path, fmt: str = "fits") -> dict[str, Path]:
        """Write every table to ``directory`` (``xray``, survey names, ``truth``)."""
        from xrbvo.io import write_table

        d = Path(directory)
        paths = {}
        for name, t in [("xray", self.xray), *self.catalogs.items(), ("truth", self.truth)]:
            paths[name] = write_table(t, d / f"{name}.{fmt}")
        return paths


# --------------------------------------------------------------------------------------
# sight lines


@dataclass
class _Cells:
    l: np.ndarray  # cell centres (deg)
    b: np.ndarray
    dl: float
    db: float
    omega_sr: np.ndarray  # solid angle per cell
    nh_tot: np.ndarray  # HI4PI column
    frac: np.ndarray  # (ncell, nd) fraction of column in front of distance grid

    def column_fraction(self, cell: np.ndarray, d_pc: np.ndarray) -> np.ndarray:
        return physics.column_fraction_at(self.frac, cell, d_pc)


def _make_cells(cfg: SkyConfig, step_deg: float = 0.25) -> _Cells:
    nl = max(1, int(math.ceil(cfg.width_deg / step_deg)))
    nb = max(1, int(math.ceil(cfg.height_deg / step_deg)))
    dl, db = cfg.width_deg / nl, cfg.height_deg / nb
    lc = cfg.l_deg - cfg.width_deg / 2 + dl * (np.arange(nl) + 0.5)
    bc = cfg.b_deg - cfg.height_deg / 2 + db * (np.arange(nb) + 0.5)
    ll, bb = np.meshgrid(lc, bc, indexing="ij")
    ll, bb = ll.ravel(), bb.ravel()
    omega = math.radians(dl) * (np.sin(np.radians(bb + db / 2)) - np.sin(np.radians(bb - db / 2)))
    nh = physics.galactic_nh(ll, bb)
    frac = physics.column_fraction_table(ll, bb)
    return _Cells(ll, bb, dl, db, omega, nh, frac)


def _uniform_in_cells(cells: _Cells, cell: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    l = cells.l[cell] + (rng.random(len(cell)) - 0.5) * cells.dl
    s1 = np.sin(np.radians(cells.b[cell] - cells.db / 2))
    s2 = np.sin(np.radians(cells.b[cell] + cells.db / 2))
    b = np.degrees(np.arcsin(s1 + rng.random(len(cell)) * (s2 - s1)))
    return l, b


def _detect_prob(flux, cfg: SkyConfig):
    x = (np.log10(np.maximum(flux, 1e-30)) - math.log10(cfg.flux_limit)) / cfg.completeness_width_dex
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


# --------------------------------------------------------------------------------------
# X-ray populations


def _galactic_rate(name: str, cfg: SkyConfig, cells: _Cells) -> np.ndarray:
    """Expected number (without boost) per (cell, distance bin) above a quarter of the unabsorbed flux limit."""
    model = CLASS_MODELS[name]
    sp = model.spatial
    d_pc = _D_GRID_PC
    d_kpc = d_pc / 1000.0
    r, z = physics.galactocentric(cells.l[:, None], cells.b[:, None], d_kpc[None, :])
    shape = sp.disk(r, z)
    if model.rho0_pc3 is not None:
        norm_disk = model.rho0_pc3 / float(sp.disk(physics.R0_KPC, 0.0))
        dens = norm_disk * shape
    else:
        disk_int, bulge_int = sp.galaxy_integrals()  # kpc^3
        n_disk = model.n_galaxy * (1.0 - sp.bulge_fraction)
        n_bulge = model.n_galaxy * sp.bulge_fraction
        dens = n_disk * shape / (disk_int * 1e9)
        if n_bulge > 0:
            # bulge centred on the Galactic centre: distance from it
            dens = dens + n_bulge * sp.bulge(np.sqrt(np.maximum(r, 0) ** 2), z) / (bulge_int * 1e9)
    # Pre-cut at a quarter of the flux limit without absorption (absorption only dims).
    log_lmin = np.log10(4.0 * math.pi * (d_pc * 3.0857e18) ** 2 * cfg.flux_limit / 4.0)
    sf = model.lf.sf(log_lmin)[None, :]
    dd = np.gradient(d_pc)[None, :]
    return dens * cells.omega_sr[:, None] * d_pc[None, :] ** 2 * dd * sf


def _galactic_expected(name: str, cfg: SkyConfig, cells: _Cells, lam: np.ndarray) -> float:
    """Expected detections: the rate times the detected share of a pilot sample (its own generator)."""
    model = CLASS_MODELS[name]
    if lam.sum() <= 0:
        return 0.0
    pilot_rng = np.random.default_rng([cfg.seed, 7919, CLASSES.index(name)])
    flat = lam.ravel() / lam.sum()
    pick = pilot_rng.choice(flat.size, size=1500, p=flat)
    pilot = _draw_galactic(model, cfg, cells, pick // lam.shape[1], pick % lam.shape[1], pilot_rng)
    soft = physics.absorbed_band_flux(physics.luminosity_to_flux(10.0 ** pilot["log_l"], pilot["distance"]),
                                      pilot["gamma"], pilot["nh"], physics.ERASS1_SOFT_KEV)
    return float(lam.sum()) * float(np.mean(_detect_prob(soft, cfg)))


def _galactic_class(name: str, cfg: SkyConfig, cells: _Cells, rng) -> tuple[dict, float]:
    model = CLASS_MODELS[name]
    lam = _galactic_rate(name, cfg, cells)
    boost = cfg.class_boost.get(name, 1.0)
    counts = rng.poisson(lam * boost)
    ci, di = np.nonzero(counts)
    reps = counts[ci, di]
    src = _draw_galactic(model, cfg, cells, np.repeat(ci, reps), np.repeat(di, reps), rng)
    return src, _galactic_expected(name, cfg, cells, lam)


def _draw_galactic(model, cfg: SkyConfig, cells: _Cells, cell: np.ndarray, dbin: np.ndarray, rng) -> dict:
    """Draw Galactic sources in given (cell, distance bin) pairs."""
    d_pc = _D_GRID_PC
    n = len(cell)
    name = model.name
    # distance within the bin (log-uniform between neighbours)
    lo = np.log(d_pc[np.maximum(dbin - 1, 0)] + 1e-9)
    hi = np.log(d_pc[np.minimum(dbin + 1, len(d_pc) - 1)])
    dist = np.exp(0.5 * (lo + np.log(d_pc[dbin])) + rng.random(n) * 0.5 * (hi - lo))
    log_l = model.lf.sample_above(np.log10(4.0 * math.pi * (dist * 3.0857e18) ** 2 * cfg.flux_limit / 4.0), rng)
    l, b = _uniform_in_cells(cells, cell, rng)
    frac = cells.column_fraction(cell, dist)
    nh_ism = cells.nh_tot[cell] * frac
    av = nh_ism / physics.NH_PER_AV
    nh = nh_ism.copy()
    if model.local_av_log is not None:
        av_loc = 10.0 ** rng.normal(*model.local_av_log, n)
        av = av + av_loc
        nh = nh + av_loc * physics.NH_PER_AV
    if model.local_nh_log is not None:
        nh = nh + 10.0 ** rng.normal(*model.local_nh_log, n)
    gamma = rng.normal(*model.gamma, n)
    src = {
        "cls": np.full(n, name), "l": l, "b": b, "distance": dist, "log_l": log_l, "gamma": gamma,
        "nh": nh, "av": av, "cell": cell,
    }
    return src


def _agn_counts_above(s):
    """Soft-band AGN N(>S) per deg^2 (see populations.py for the sources)."""
    s = np.asarray(s, dtype=float)
    sb = 1.0e-14
    n_b = 40.0 * (sb / 5e-14) ** -1.5
    return np.where(s >= sb, 40.0 * (s / 5e-14) ** -1.5, n_b * (s / sb) ** -0.7)


def _sample_agn_flux(n, smin, rng):
    # inverse transform on N(>S) between smin and 1e-10
    grid = np.geomspace(smin, 1e-10, 2000)
    ncum = _agn_counts_above(grid)
    u_ = rng.random(n) * (ncum[0] - ncum[-1]) + ncum[-1]
    return np.exp(np.interp(u_, ncum[::-1], np.log(grid[::-1])))


def _agn(cfg: SkyConfig, cells: _Cells, rng) -> tuple[dict, float]:
    smin = cfg.flux_limit / 4.0
    lam_cell = _agn_counts_above(smin) * cells.omega_sr * _DEG2_PER_SR
    boost = cfg.class_boost.get("AGN", 1.0)
    counts = rng.poisson(lam_cell * boost)
    cell = np.repeat(np.arange(len(counts)), counts)
    n = len(cell)
    l, b = _uniform_in_cells(cells, cell, rng)
    s_int = _sample_agn_flux(n, smin, rng)
    nh_gal = cells.nh_tot[cell]
    obscured = rng.random(n) < AGN_SED.obscured_share
    nh_int = np.where(obscured, 10.0 ** rng.uniform(*AGN_SED.log_nh_int_obscured, n), AGN_SED.nh_int_unobscured)
    gamma = rng.normal(*CLASS_MODELS["AGN"].gamma, n)
    src = {
        "cls": np.full(n, "AGN"), "l": l, "b": b, "distance": np.full(n, np.nan), "log_l": np.full(n, np.nan),
        "gamma": gamma, "nh": nh_gal + nh_int, "av": nh_gal / physics.NH_PER_AV, "cell": cell,
        "s_int": s_int, "obscured": obscured,
    }
    return src, _agn_expected(cfg, cells, lam_cell)


def _agn_expected(cfg: SkyConfig, cells: _Cells, lam_cell: np.ndarray) -> float:
    """Expected AGN detections: the rate times the detected share of a pilot sample (its own generator)."""
    pilot_rng = np.random.default_rng([cfg.seed, 7919, CLASSES.index("AGN")])
    pc = pilot_rng.choice(len(lam_cell), size=3000, p=lam_cell / lam_cell.sum())
    s_p = _sample_agn_flux(3000, cfg.flux_limit / 4.0, pilot_rng)
    nh_p = cells.nh_tot[pc] + np.where(pilot_rng.random(3000) < AGN_SED.obscured_share,
                                        10.0 ** pilot_rng.uniform(*AGN_SED.log_nh_int_obscured, 3000),
                                        AGN_SED.nh_int_unobscured)
    soft_p = physics.absorbed_band_flux(s_p, pilot_rng.normal(*CLASS_MODELS["AGN"].gamma, 3000), nh_p,
                                        physics.ERASS1_SOFT_KEV)
    return float(lam_cell.sum()) * float(np.mean(_detect_prob(soft_p, cfg)))


def expected_counts(config: SkyConfig, *, step_deg: float = 0.25) -> dict[str, float]:
    """Expected detections per class (no injection boost) in a field, without drawing the sky.

    The same population models, absorption and completeness curve as
    :func:`simulate_sky` (whose ``expected_counts`` they reproduce for the
    same configuration); ``step_deg`` is the size of the sight-line cells.

    Parameters
    ----------
    config : SkyConfig
        The options.
    step_deg : float, optional
        Size (degrees) of the sight-line cells the field is integrated over.

    Returns
    -------
    dict[str, float]
        Expected detections per class (no injection boost) in a field, without drawing the sky.
    """
    config.validate()
    cells = _make_cells(config, step_deg=step_deg)
    out = {}
    for name in CLASSES:
        if name == "AGN":
            lam = _agn_counts_above(config.flux_limit / 4.0) * cells.omega_sr * _DEG2_PER_SR
            out[name] = _agn_expected(config, cells, lam)
        else:
            out[name] = _galactic_expected(name, config, cells, _galactic_rate(name, config, cells))
    return out


# --------------------------------------------------------------------------------------
# photometry


def _survey_limits(b):
    """Per-source limiting magnitudes (Vega); 2MASS and CatWISE lose ~1.5 mag to confusion in the plane."""
    from xrbvo.core.surveys import limiting_magnitudes

    return limiting_magnitudes(b)


def _mag_err(m, lim):
    return 0.005 + 0.1 * 10.0 ** (0.4 * (m - lim))


def _apparent(abs_mags: dict, dist_pc, av):
    dm = 5.0 * np.log10(np.asarray(dist_pc, dtype=float)) - 5.0
    return {b: abs_mags[b] + dm + physics.EXTINCTION_RATIOS[b] * av for b in BANDS}


def _agn_photometry(src, rng):
    n = len(src["cls"])
    m = AGN_SED.magnitudes(src["s_int"], AGN_SED.draw(rng, src["obscured"]), av=src["av"], bands=BANDS)
    extras = {"var": np.abs(rng.normal(0.15, 0.08, n)), "epsi_extra": np.abs(rng.normal(0.6, 0.4, n))}
    return m, extras


def _observe_photometry(mags: dict, b, rng):
    lim = _survey_limits(b)
    n = len(b)
    out = {}
    for band in BANDS:
        m = mags[band]
        jitter = rng.normal(0.0, 0.15, n)
        ok = np.isfinite(m) & (m < lim[band] + jitter)
        err = _mag_err(np.where(np.isfinite(m), m, 30.0), lim[band])
        obs = m + rng.normal(0.0, 1.0, n) * err
        out[band] = np.where(ok, obs, np.nan)
        out["e_" + band] = np.where(ok, err, np.nan)
    gaia = np.isfinite(out["G"])
    for band in ("BP", "RP"):
        out[band] = np.where(gaia, out[band], np.nan)
    tmass = np.isfinite(out["J"]) | np.isfinite(out["H"]) | np.isfinite(out["K"])
    wise = np.isfinite(out["W1"]) | np.isfinite(out["W2"])
    return out, gaia, tmass, wise


def _gaia_astrometry(g, dist_pc, var, epsi_extra, rng, extragalactic):
    n = len(g)
    gg = np.where(np.isfinite(g), g, 21.0)
    sig_plx = 0.025 * 10.0 ** (0.26 * np.maximum(gg - 15.0, -2.0))
    true_plx = np.where(extragalactic, 0.0, 1000.0 / np.where(np.isfinite(dist_pc), dist_pc, 1e9))
    plx = true_plx + rng.normal(0, 1, n) * sig_plx
    vt = np.where(extragalactic, 0.0, np.abs(rng.normal(30.0, 20.0, n)))  # km/s tangential
    pm_tot = np.where(extragalactic, 0.0, 4.74047 ** -1 * vt * true_plx)
    ang = rng.uniform(0, 2 * np.pi, n)
    pmra = pm_tot * np.cos(ang) + rng.normal(0, 1, n) * sig_plx * 1.1
    pmdec = pm_tot * np.sin(ang) + rng.normal(0, 1, n) * sig_plx * 1.1
    base = np.abs(rng.normal(0.0, 0.08, n)) + 0.02 * 10 ** (0.2 * np.maximum(gg - 17, 0))
    epsi = base + epsi_extra
    sig_epsi = 0.03 * 10 ** (0.2 * np.maximum(gg - 15, 0))
    sepsi = (epsi / sig_epsi) ** 2 * 0.5
    ruwe = 1.0 + np.abs(rng.normal(0, 0.08, n)) + 0.6 * epsi_extra
    n_obs = rng.integers(25, 70, n)
    phot_noise = 0.001 + 0.02 * 10 ** (0.4 * (gg - 20.0))
    snr = np.sqrt(n_obs) / np.sqrt(var**2 + phot_noise**2)  # fractional G-flux scatter
    pos_err_mas = 0.7 * sig_plx
    rgeo_sig = np.clip(sig_plx * np.where(np.isfinite(dist_pc), dist_pc, 3000.0) / 1000.0, 0.05, 1.0)
    rgeo = np.where(extragalactic, rng.lognormal(np.log(3000.0), 0.5, n),
                    np.where(np.isfinite(dist_pc), dist_pc, 3000.0) * np.exp(rng.normal(0, 1, n) * rgeo_sig * 0.7))
    return {
        "parallax": plx, "parallax_error": sig_plx, "pmra": pmra, "pmdec": pmdec,
        "astrometric_excess_noise": epsi, "astrometric_excess_noise_sig": sepsi, "ruwe": ruwe,
        "phot_g_mean_flux_over_error": snr, "phot_g_n_obs": n_obs, "pos_err_mas": pos_err_mas,
        "r_med_geo": rgeo,
    }


# --------------------------------------------------------------------------------------
# positions


def _gal_to_icrs(l, b):
    c = SkyCoord(l=np.asarray(l) * u.deg, b=np.asarray(b) * u.deg, frame="galactic").icrs
    return c.ra.deg, c.dec.deg


def _offset(ra, dec, dx_arcsec, dy_arcsec):
    """Move positions by small tangent-plane offsets (east, north) in arcsec."""
    dec2 = dec + dy_arcsec / 3600.0
    ra2 = ra + dx_arcsec / 3600.0 / np.cos(np.radians(dec))
    return np.mod(ra2, 360.0), dec2


def _iau_name(ra, dec, prefix="1eRASS J"):
    c = SkyCoord(ra=ra * u.deg, dec=dec * u.deg)
    s = c.to_string("hmsdms", sep="", precision=1, pad=True)
    out = []
    for x in s:
        r, d = x.split(" ")
        out.append(prefix + r[:8] + d[:7])
    return out


# --------------------------------------------------------------------------------------
# field stars


def _field_density_per_deg2(cells: _Cells, cfg: SkyConfig, rng) -> np.ndarray:
    """Total field-star density per cell, scaled so that the Gaia-detected part matches the target."""
    total = np.empty(len(cells.l))
    for c in range(len(cells.l)):
        t, giant, dm = field_star_types(3000, rng)
        d = _sample_field_distance(cells, np.full(3000, c), rng)
        av = cells.nh_tot[c] * cells.column_fraction(np.full(len(d), c), d) / physics.NH_PER_AV
        g = stellar_sed(t, giant, dm)["G"] + 5 * np.log10(d) - 5 + physics.EXTINCTION_RATIOS["G"] * av
        f_det = max(np.mean(g < 20.9), 1e-3)
        total[c] = cfg.field_density_scale * float(gaia_density_target(cells.b[c])) / f_det
    return total


_FIELD = {"rd_kpc": 2.6, "hz_kpc": 0.3}


def _sample_field_distance(cells: _Cells, cell: np.ndarray, rng) -> np.ndarray:
    d_kpc = _D_GRID_PC / 1000.0
    out = np.empty(len(cell))
    for c in np.unique(cell):
        m = cell == c
        r, z = physics.galactocentric(cells.l[c], cells.b[c], d_kpc)
        w = np.exp(-(r - physics.R0_KPC) / _FIELD["rd_kpc"]) * np.exp(-np.abs(z) / _FIELD["hz_kpc"])
        w = np.where(r < 16.0, w, 0.0) * _D_GRID_PC**2 * np.gradient(_D_GRID_PC)
        cdf = np.cumsum(w)
        cdf /= cdf[-1]
        out[m] = np.interp(rng.random(m.sum()), cdf, _D_GRID_PC)
    return out


def _nearest_cell(cells: _Cells, l, b):
    il = np.clip(np.round((l - cells.l.min()) / cells.dl).astype(int), 0, None)
    ib = np.clip(np.round((b - cells.b.min()) / cells.db).astype(int), 0, None)
    nb = len(np.unique(cells.b))
    nl = len(np.unique(cells.l))
    return np.clip(il, 0, nl - 1) * nb + np.clip(ib, 0, nb - 1)


# --------------------------------------------------------------------------------------


def simulate_sky(config: SkyConfig | None = None, *, progress: Callable[[str, float], None] | None = None
                 ) -> SimulatedSky:
    """Simulate an eRASS1-like field with Gaia, 2MASS and CatWISE catalogues.

    Parameters
    ----------
    config : SkyConfig
        Field parameters and seed (defaults: 2 x 2 deg at l = 300, b = 0).
    progress : callable, optional
        Called as ``progress(step_description, fraction_done)``.

    Returns
    -------
    SimulatedSky
    """
    cfg = config or SkyConfig()
    cfg.validate()
    rng = np.random.default_rng(cfg.seed)
    report = progress or (lambda msg, frac: None)
    report("sight lines", 0.0)
    cells = _make_cells(cfg)

    # ---- X-ray sources of the nine classes
    parts, expected = [], {}
    for i, name in enumerate(CLASSES):
        report(f"X-ray sources: {name}", 0.05 + 0.3 * i / len(CLASSES))
        src, lam = (_agn(cfg, cells, rng) if name == "AGN" else _galactic_class(name, cfg, cells, rng))
        n = len(src["cls"])
        if name == "AGN":
            s_unabs = src["s_int"]
        else:
            s_unabs = physics.luminosity_to_flux(10.0 ** src["log_l"], src["distance"])
        soft = physics.absorbed_band_flux(s_unabs, src["gamma"], src["nh"], physics.ERASS1_SOFT_KEV) if n else np.zeros(0)
        hard = physics.absorbed_band_flux(s_unabs, src["gamma"], src["nh"], physics.ERASS1_HARD_KEV) if n else np.zeros(0)
        p = _detect_prob(soft, cfg)
        keep = rng.random(n) < p
        boost = cfg.class_boost.get(name, 1.0)
        # expected detections without boost: Poisson mean times the detected share
        expected[name] = lam  # expected detections without boost
        src = {k: np.asarray(v)[keep] for k, v in src.items()}
        src["soft"] = soft[keep]
        src["hard"] = hard[keep]
        src["s_unabs"] = np.asarray(s_unabs)[keep]
        if name == "AGN":
            mags, extras = _agn_photometry(src, rng)
        else:
            model = CLASS_MODELS[name]
            m = model.sed(int(keep.sum()), rng, log_l=src["log_l"])
            extras = {"var": m.pop("var"), "epsi_extra": m.pop("epsi_extra")}
            mags = _apparent(m, src["distance"], src["av"])
        src["mags"] = mags
        src["extras"] = extras
        del boost
        parts.append(src)

    n_x = sum(len(p["cls"]) for p in parts)
    if n_x == 0:
        raise InputError("the simulated field holds no detectable X-ray source: enlarge it or lower flux_limit")
    cat = {k: np.concatenate([p[k] for p in parts]) for k in
           ("cls", "l", "b", "distance", "log_l", "gamma", "nh", "av", "soft", "hard", "s_unabs")}
    mags = {b: np.concatenate([p["mags"][b] for p in parts]) for b in BANDS}
    var = np.concatenate([p["extras"]["var"] for p in parts])
    epsi_extra = np.concatenate([p["extras"]["epsi_extra"] for p in parts])
    order = rng.permutation(n_x)
    cat = {k: v[order] for k, v in cat.items()}
    mags = {k: v[order] for k, v in mags.items()}
    var, epsi_extra = var[order], epsi_extra[order]
    extragal = cat["cls"] == "AGN"
    ra_t, dec_t = _gal_to_icrs(cat["l"], cat["b"])

    # ---- X-ray measurement
    report("X-ray catalogue", 0.4)
    # ~10 counts at 5e-14 in eRASS1's soft band; a deeper (or shallower) survey is one with a longer (shorter)
    # exposure: ~10 counts at its own flux limit, and a hard-band noise floor scaled alike (eRASS1's 8e-14)
    depth = 5.0e-14 / float(cfg.flux_limit)
    counts = cat["soft"] * 2.0e14 * depth
    cts_obs = np.maximum(rng.poisson(np.maximum(counts, 0.0)), 3)
    pos_err = np.clip(1.2 + 14.0 / np.sqrt(cts_obs), 1.5, 8.0)  # 1-sigma per coordinate (arcsec)
    ra_x, dec_x = _offset(ra_t, dec_t, rng.normal(0, 1, n_x) * pos_err, rng.normal(0, 1, n_x) * pos_err)
    soft_obs = cat["soft"] * cts_obs / np.maximum(counts, 1e-9)
    soft_err = soft_obs / np.sqrt(cts_obs)
    hard_err = np.sqrt((0.3 * cat["hard"]) ** 2 + (8e-14 / depth) ** 2)
    hard_obs = cat["hard"] + rng.normal(0, 1, n_x) * hard_err
    xids = np.array(_iau_name(ra_x, dec_x))
    # guarantee unique names (two sources in the same 0.1 s x 1'' box)
    seen: dict[str, int] = {}
    for i, x in enumerate(xids):
        k = seen.get(x, 0)
        if k:
            xids[i] = f"{x}_{k}"
        seen[x] = k + 1
    c_x = SkyCoord(ra=ra_x * u.deg, dec=dec_x * u.deg).galactic
    xray = Table({
        "IAUNAME": xids, "RA": ra_x, "DEC": dec_x, "LII": c_x.l.deg, "BII": c_x.b.deg, "POS_ERR": pos_err,
        "ML_CTS_1": cts_obs.astype(float), "ML_FLUX_1": soft_obs, "ML_FLUX_ERR_1": soft_err,
        "flux_hard": hard_obs, "flux_hard_err": hard_err,
        "DET_LIKE_0": np.maximum(6.0, 0.9 * cts_obs), "MJD": np.full(n_x, 58950.0),
    })
    for c, unit in (("RA", "deg"), ("DEC", "deg"), ("LII", "deg"), ("BII", "deg"), ("POS_ERR", "arcsec"),
                    ("ML_FLUX_1", "erg / (s cm2)"), ("ML_FLUX_ERR_1", "erg / (s cm2)"),
                    ("flux_hard", "erg / (s cm2)"), ("flux_hard_err", "erg / (s cm2)"), ("MJD", "d")):
        xray[c].unit = unit
    xray.meta["SIMULATED"] = True
    xray.meta["SEED"] = cfg.seed
    # how the sky was made, so that the science policy can use the same class mix (xrbvo.workflows.policy)
    xray.meta["SAMPLE"] = "survey"
    # the survey catalogues hold field sources only this far around each X-ray source: whoever serves them
    # (SimProvider, the files, a TAP service) serves no sky beyond (the p_any calibration moves inside it)
    xray.meta["PATCHRAD"] = float(cfg.patch_radius_arcsec)
    xray.meta["FLUXLIM"] = float(cfg.flux_limit)
    xray.meta["CLSBOOST"] = ";".join(f"{k}={float(v):g}" for k, v in sorted(cfg.class_boost.items()))

    # ---- counterparts as observed
    report("counterparts", 0.5)
    obs, in_gaia, in_2mass, in_wise = _observe_photometry(mags, cat["b"], rng)
    astro = _gaia_astrometry(obs["G"], cat["distance"], var, epsi_extra, rng, extragal)

    # ---- field sources in the union of patches around the X-ray sources
    report("field sources", 0.6)
    dens_total = _field_density_per_deg2(cells, cfg, rng)
    cell_x = _nearest_cell(cells, c_x.l.deg, c_x.b.deg)
    r_patch = cfg.patch_radius_arcsec
    area_patch_deg2 = math.pi * (r_patch / 3600.0) ** 2
    n_star = rng.poisson(dens_total[cell_x] * area_patch_deg2)
    n_gal = rng.poisson(2.5e4 * area_patch_deg2, n_x)  # extragalactic CatWISE field (high-latitude density)
    owner_s = np.repeat(np.arange(n_x), n_star)
    owner_g = np.repeat(np.arange(n_x), n_gal)

    def _in_patch(owner):
        rr = r_patch * np.sqrt(rng.random(len(owner)))
        th = rng.uniform(0, 2 * np.pi, len(owner))
        return _offset(ra_x[owner], dec_x[owner], rr * np.cos(th), rr * np.sin(th))

    ra_s, dec_s = _in_patch(owner_s)
    ra_g, dec_g = _in_patch(owner_g)

    # keep a point only in the lowest-index patch that contains it: uniform density over the union
    from scipy.spatial import cKDTree

    xyz_x = _unit(ra_x, dec_x)
    tree = cKDTree(xyz_x)
    chord = 2 * np.sin(np.radians(r_patch / 3600.0) / 2)

    def _first_owner(ra, dec, owner):
        keep = np.ones(len(ra), bool)
        if len(ra) == 0:
            return keep
        hits = tree.query_ball_point(_unit(ra, dec), chord)
        for i, h in enumerate(hits):
            if len(h) > 1 and min(h) < owner[i]:
                keep[i] = False
        return keep

    ks = _first_owner(ra_s, dec_s, owner_s)
    kg = _first_owner(ra_g, dec_g, owner_g)
    ra_s, dec_s, owner_s = ra_s[ks], dec_s[ks], owner_s[ks]
    ra_g, dec_g, owner_g = ra_g[kg], dec_g[kg], owner_g[kg]

    ns = len(ra_s)
    t, giant, dm = field_star_types(ns, rng)
    cs = cell_x[owner_s]
    d_s = _sample_field_distance(cells, cs, rng)
    av_s = cells.nh_tot[cs] * cells.column_fraction(cs, d_s) / physics.NH_PER_AV
    mag_s = _apparent(stellar_sed(t, giant, dm), d_s, av_s)
    b_s = c_x.b.deg[owner_s]
    obs_s, g_s, t_s, w_s = _observe_photometry(mag_s, b_s, rng)
    var_s = np.abs(rng.normal(0.01, 0.01, ns))
    ast_s = _gaia_astrometry(obs_s["G"], d_s, var_s, np.abs(rng.normal(0.0, 0.05, ns)), rng, np.zeros(ns, bool))

    ng = len(ra_g)
    w1 = 17.9 - np.log10(1 + rng.random(ng) * (10 ** (0.3 * 6) - 1)) / 0.3  # N(<W1) ~ 10^(0.3 W1), W1 12..18
    red = rng.random(ng) < 0.1
    w1_w2 = np.where(red, rng.normal(0.9, 0.3, ng), rng.normal(0.1, 0.25, ng))
    av_g = cells.nh_tot[cell_x[owner_g]] / physics.NH_PER_AV
    mag_g = {"W1": w1, "W2": w1 - w1_w2, "K": w1 + rng.normal(0.8, 0.3, ng), "G": w1 + rng.normal(4.5, 0.8, ng)}
    mag_g["H"] = mag_g["K"] + 0.3
    mag_g["J"] = mag_g["K"] + 1.2
    mag_g["RP"] = mag_g["G"] - 0.5
    mag_g["BP"] = mag_g["G"] + 0.4
    mag_g = {b: mag_g[b] + physics.EXTINCTION_RATIOS[b] * av_g for b in BANDS}
    obs_g, g_g, t_g, w_g = _observe_photometry(mag_g, c_x.b.deg[owner_g], rng)
    ast_g = _gaia_astrometry(obs_g["G"], np.full(ng, np.nan), np.abs(rng.normal(0.02, 0.01, ng)),
                             np.abs(rng.normal(1.5, 0.8, ng)), rng, np.ones(ng, bool))

    # ---- assemble survey catalogues: counterparts first, then stars, then galaxies
    report("survey catalogues", 0.8)
    all_ra_true = np.concatenate([ra_t, ra_s, ra_g])
    all_dec_true = np.concatenate([dec_t, dec_s, dec_g])
    all_obs = {k: np.concatenate([obs[k], obs_s[k], obs_g[k]]) for k in obs}
    all_ast = {k: np.concatenate([astro[k], ast_s[k], ast_g[k]]) for k in astro}
    det = {
        "gaia": np.concatenate([in_gaia, g_s, g_g]),
        "2mass": np.concatenate([in_2mass, t_s, t_g]),
        "catwise": np.concatenate([in_wise, w_s, w_g]),
    }
    n_all = len(all_ra_true)
    is_ctp = np.zeros(n_all, bool)
    is_ctp[:n_x] = True
    catalogs: dict[str, Table] = {}
    ctp_ids: dict[str, np.ndarray] = {}
    base_id = 10**15 * (1 + cfg.seed % 9000)
    for sname in ("gaia", "2mass", "catwise"):
        idx = np.nonzero(det[sname])[0]
        m = len(idx)
        if sname == "gaia":
            err = all_ast["pos_err_mas"][idx] / 1000.0
        elif sname == "2mass":
            err = np.full(m, 0.08)
        else:
            w1_ = np.where(np.isfinite(all_obs["W1"][idx]), all_obs["W1"][idx], 17.0)
            err = 0.05 + 0.4 * 10 ** (0.4 * (w1_ - 17.0))
        ra_o, dec_o = _offset(all_ra_true[idx], all_dec_true[idx], rng.normal(0, 1, m) * err,
                              rng.normal(0, 1, m) * err)
        perm = rng.permutation(m)  # no ordering that betrays the counterparts
        idx, ra_o, dec_o, err = idx[perm], ra_o[perm], dec_o[perm], err[perm]
        if sname == "gaia":
            ids = base_id + rng.choice(10**12, size=m, replace=False)
            t = Table({
                "source_id": ids.astype(np.int64), "ra": ra_o, "dec": dec_o,
                "ra_error": err * 1000.0, "dec_error": err * 1000.0, "ref_epoch": np.full(m, 2016.0),
                "phot_g_mean_mag": all_obs["G"][idx], "phot_bp_mean_mag": all_obs["BP"][idx],
                "phot_rp_mean_mag": all_obs["RP"][idx],
                **{k: all_ast[k][idx] for k in ("parallax", "parallax_error", "pmra", "pmdec",
                                                "astrometric_excess_noise", "astrometric_excess_noise_sig",
                                                "ruwe", "phot_g_mean_flux_over_error", "phot_g_n_obs",
                                                "r_med_geo")},
            })
            ids_str = ids.astype(str)
        elif sname == "2mass":
            ids_str = np.array([f"S{cfg.seed:04d}{i:09d}" for i in rng.choice(10**9, m, replace=False)])
            t = Table({
                "2MASS": ids_str, "RAJ2000": ra_o, "DEJ2000": dec_o, "errMaj": err, "errMin": err,
                "errPA": np.zeros(m),
                "Jmag": all_obs["J"][idx], "e_Jmag": all_obs["e_J"][idx],
                "Hmag": all_obs["H"][idx], "e_Hmag": all_obs["e_H"][idx],
                "Kmag": all_obs["K"][idx], "e_Kmag": all_obs["e_K"][idx],
            })
        else:
            ids_str = np.array([f"SIMCW{cfg.seed:04d}{i:09d}" for i in rng.choice(10**9, m, replace=False)])
            t = Table({
                "Name": ids_str, "RA_ICRS": ra_o, "DE_ICRS": dec_o, "e_RA_ICRS": err, "e_DE_ICRS": err,
                "W1mproPM": all_obs["W1"][idx], "e_W1mproPM": all_obs["e_W1"][idx],
                "W2mproPM": all_obs["W2"][idx], "e_W2mproPM": all_obs["e_W2"][idx],
                "pmRA": np.zeros(m), "pmDE": np.zeros(m),
            })
        t.meta["SIMULATED"] = True
        catalogs[sname] = t
        ctp = np.full(n_x, "", dtype=object)
        is_c = idx < n_x
        ctp[idx[is_c]] = ids_str[is_c]
        ctp_ids[sname] = ctp.astype(str)

    if cfg.extra_surveys:
        true = {b: np.concatenate([mags[b], mag_s[b], mag_g[b]]) for b in ("G", "BP", "RP")}
        objects = _Objects(
            true=true, cls=np.concatenate([cat["cls"].astype(str), np.full(ns, "STAR"), np.full(ng, "AGN")]),
            l=np.concatenate([cat["l"], c_x.l.deg[owner_s], c_x.l.deg[owner_g]]),
            b=np.concatenate([cat["b"], c_x.b.deg[owner_s], c_x.b.deg[owner_g]]),
            ra=all_ra_true, dec=all_dec_true, n_x=n_x)
        for sname in cfg.extra_surveys:
            catalogs[sname], ctp_ids[sname] = EXTRA_SURVEYS[sname](objects, cfg.seed)

    report("truth", 0.95)
    truth = Table({
        "xid": xids, "true_class": cat["cls"].astype(str), "distance": cat["distance"],
        "lum_soft": 10.0 ** cat["log_l"], "nh_los": cat["nh"], "av_los": cat["av"],
        "flux_soft_true": cat["soft"], "flux_hard_true": cat["hard"],
        "ctp_gaia": ctp_ids["gaia"], "ctp_2mass": ctp_ids["2mass"], "ctp_catwise": ctp_ids["catwise"],
        **{f"ctp_{s}": ctp_ids[s] for s in cfg.extra_surveys},
    })
    apply_schema(truth, TRUTH)
    report("done", 1.0)
    return SimulatedSky(cfg, xray, catalogs, truth, expected)


@dataclass(frozen=True)
class _Objects:
    """Every simulated object (counterparts first, then field stars, then galaxies), as an extra survey sees it."""

    true: dict
    """Band (``G``, ``BP``, ``RP``) -> true apparent magnitude, extinction included."""
    cls: np.ndarray
    """Class of each object (``STAR`` for field stars, ``AGN`` for field galaxies)."""
    l: np.ndarray
    """Galactic longitude, degrees."""
    b: np.ndarray
    """Galactic latitude, degrees."""
    ra: np.ndarray
    """True right ascension, degrees."""
    dec: np.ndarray
    """True declination, degrees."""
    n_x: int
    """Number of X-ray sources (the first ``n_x`` objects are their counterparts)."""


#: H-alpha emission above the main-sequence locus per class: (share of emitters, mean and spread of the
#: r - H-alpha excess, mag).  Be-star HMXBs, accreting binaries, WR stars and YSOs are the emitters
#: that the r - H-alpha, r - i diagram of IPHAS/VPHAS+ picks out (Drew et al. 2005; Witham et al. 2008).
_HALPHA_EXCESS: dict[str, tuple[float, float, float]] = {
    "HMXB": (0.8, 0.35, 0.15), "LMXB": (0.5, 0.15, 0.10), "CV": (0.8, 0.45, 0.20), "WR": (1.0, 0.60, 0.25),
    "YSO": (0.7, 0.40, 0.20), "EARLY": (0.3, 0.20, 0.10), "STAR": (0.05, 0.08, 0.04)}


def _vphas_catalogue(obj: _Objects, seed: int) -> tuple[Table, np.ndarray]:
    """VPHAS+ DR2 as observed: r, H-alpha, i from the true Gaia magnitudes, inside the survey's footprint."""
    from xrbvo.core.surveys import get_survey, limiting_magnitudes

    survey = get_survey("vphas")
    rng = np.random.default_rng([seed, 341])  # a stream of its own: the rest of the sky does not change
    n = len(obj.cls)
    g = obj.true["G"]
    x = np.clip(obj.true["BP"] - obj.true["RP"], -0.5, 4.5)
    # Gaia -> SDSS r and i (Riello et al. 2021, table C.2), then AB -> Vega (Blanton & Roweis 2007)
    r = g - (-0.12879 + 0.24662 * x - 0.027464 * x**2 - 0.049465 * x**3) - 0.16
    i = g - (-0.29676 + 0.64728 * x - 0.10141 * x**2) - 0.37
    excess = np.zeros(n)
    for c, (share, mean, spread) in _HALPHA_EXCESS.items():
        emits = (obj.cls == c) & (rng.random(n) < share)
        excess[emits] = np.abs(rng.normal(mean, spread, int(emits.sum())))
    # the unreddened main sequence rises by ~1/3 mag in r - H-alpha per mag of r - i (Drew et al. 2005)
    true = {"r": r, "Ha": r - 0.33 * (r - i) - excess, "i": i}
    lim = limiting_magnitudes(obj.b, (survey.name,))
    inside = survey.covers(obj.l, obj.b)
    obs, seen = {}, np.zeros(n, bool)
    for band in survey.bands:
        m = true[band]
        ok = inside & np.isfinite(m) & (m < lim[band] + rng.normal(0.0, 0.15, n))
        err = _mag_err(np.where(np.isfinite(m), m, 30.0), lim[band])
        obs[band] = np.where(ok, m + rng.normal(0.0, 1.0, n) * err, np.nan)
        obs["e_" + band] = np.where(ok, err, np.nan)
        seen |= ok
    idx = rng.permutation(np.nonzero(seen)[0])  # no ordering that betrays the counterparts
    m = len(idx)
    err = survey.error.default_arcsec
    ra_o, dec_o = _offset(obj.ra[idx], obj.dec[idx], rng.normal(0, 1, m) * err, rng.normal(0, 1, m) * err)
    ids = np.array([f"SIMVP{seed:04d}{k:09d}" for k in rng.choice(10**9, m, replace=False)])
    t = Table({survey.id_column: ids, survey.ra_column: ra_o, survey.dec_column: dec_o})
    for band in survey.bands:
        t[survey.native(band)] = obs[band][idx]
        t["e_" + survey.native(band)] = obs["e_" + band][idx]
    t.meta["SIMULATED"] = True
    ctp = np.full(obj.n_x, "", dtype=object)
    is_c = idx < obj.n_x
    ctp[idx[is_c]] = ids[is_c]
    return t, ctp.astype(str)


#: The surveys the simulated sky draws on request (:attr:`SkyConfig.extra_surveys`): name -> drawer.
EXTRA_SURVEYS: dict[str, Callable[[_Objects, int], tuple[Table, np.ndarray]]] = {"vphas": _vphas_catalogue}


def _unit(ra, dec):
    ra, dec = np.radians(ra), np.radians(dec)
    return np.column_stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
