"""P(no counterpart in any survey | class, X-ray flux, sight line): the population model's answer.

A source detected in X-rays at observed 0.2-2.3 keV flux S on a sight line (l, b) has a counterpart in a
survey when its optical or infrared magnitude in one of that survey's bands is brighter than the band's
limit there.  The share of a class's sources at that flux there with *no* counterpart in any of the default
surveys (Gaia G; 2MASS or VVV J, H, K; CatWISE W1, W2) follows from the same models the simulated sky draws
its sources from (:mod:`xrbvo.sim.sky`), integrated instead of drawn:

* **Galactic classes.**  Along the sight line, the number of sources of the class at distance d whose
  observed flux falls in the flux bin around S is the class's density (:data:`CLASS_MODELS`, disc and bulge)
  times the volume times the share of its luminosity function giving that observed flux through the column
  in front of d (HI4PI total x the dust disc's share, :func:`xrbvo.core.physics.column_fraction_table`, plus
  the class's local column; photon index and local column at three Gauss points each, as
  :mod:`xrbvo.galaxy.census` integrates).  At that distance the class's absolute magnitudes
  (:data:`CLASS_MODELS` ``sed``, a fixed sample of ``n_sed`` draws), the distance modulus and the extinction
  ``A_V = N_H(<d) / 2.21e21`` (plus the class's local A_V, YSOs) give apparent magnitudes; a band detects
  the source with probability ``Phi((lim - m) / 0.15 mag)`` (the simulated sky's 0.15 mag scatter of the
  limit), the limits being :func:`xrbvo.core.surveys.limiting_magnitudes` at the cell's latitude (depths and
  the plane's confusion loss).  The bands are independent given the magnitudes, so
  ``P(none | d) = mean over the sample of prod over bands (1 - P(detected))``, and
  ``P(none | S) = sum_d n(d, S) P(none | d) / sum_d n(d, S)``.  Magnitudes do not depend on the X-ray
  luminosity in the model (as in the simulated sky); a YSO's local A_V is drawn for the optical apart from
  its X-ray column (an approximation: both come from one draw in the simulated sky).
* **AGN.**  Behind the whole Galactic column.  The simulated sky's optical model: ``G = 2.5 (x - 5.37 -
  log10 S_int)`` with ``x = log(F_X / F_opt) ~ N(0, 0.5)`` (Maccacaro et al. 1988), 30% obscured
  (``N_H,int`` 10^21.3-10^22.5, 1.5 +- 0.7 mag fainter), QSO colours, extinction of the Galactic column: the
  numbers of :data:`xrbvo.galaxy.populations.AGN_SED`.  At
  a given observed flux an absorbed source is intrinsically brighter, hence rarer: each draw is weighted by
  ``n(S / t) / t`` (t its transmission, n the differential number counts of
  :func:`xrbvo.galaxy.census.agn_counts_above`).
* **Isolated neutron stars** have no counterpart at survey depths (their SED is empty): P(none) = 1.

What is not modelled: a counterpart that is detected but not associated (confusion of the association
itself, ``p_any`` below the cut), which only adds counterpart-less sources; and source-to-source variation of
the depths within a survey.  The tables are per sight-line cell of ``cell_deg`` (the column along its
central sight line, the limits at its central latitude) and per flux bin of ``step_dex``, read off for each
source by linear interpolation in log flux, like :func:`xrbvo.galaxy.census.source_class_mix`.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import special

from xrbvo.core import physics
from xrbvo.core.errors import InputError
from xrbvo.core.schema import CLASSES
from xrbvo.core.surveys import SECONDARY_SURVEYS, limiting_magnitudes
from xrbvo.galaxy.census import agn_counts_above, cells_holding, read_off_by_cell, sources_in_flux_range

__all__ = ["no_counterpart_probability", "default_no_counterpart_rates", "LIMIT_SCATTER_MAG", "VISIBILITY_FLUX_RANGE",
           "RATE_FIELDS"]

#: Scatter (mag) of a band's detection limit from source to source (the simulated sky's).
LIMIT_SCATTER_MAG = 0.15
#: Observed 0.2-2.3 keV fluxes (erg/s/cm2) the tables cover; outside, a source has no value (``ok`` False).
VISIBILITY_FLUX_RANGE = (1e-17, 1e-8)
#: Sight lines (l, b in degrees) and the observed 0.2-2.3 keV flux (erg/s/cm2) whose mean P(none) per class is
#: :func:`default_no_counterpart_rates`: the Galactic plane at eRASS1's depth, inner and outer disc.
RATE_FIELDS = ((300.0, 0.0), (330.0, -1.0), (20.0, -2.0), (240.0, 1.0))
_RATE_FLUX = 1e-13

_D_PC = np.geomspace(5.0, 40000.0, 160)
_SURVEY_BANDS = {"G": "gaia", "J": "nir", "H": "nir", "K": "nir", "W1": "wise", "W2": "wise"}


def _gauss_points(mean: float, sd: float, n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    if sd <= 0 or n == 1:
        return np.array([mean]), np.array([1.0])
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return mean + sd * x, w / w.sum()


def _sed_sample(name: str, n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` draws of the class's absolute magnitudes (a fixed sample: the same seed, the same numbers)."""
    from xrbvo.galaxy.populations import CLASS_MODELS

    rng = np.random.default_rng([seed, CLASSES.index(name) if name in CLASSES else 99])
    m = CLASS_MODELS[name].sed(n, rng)
    out = {b: np.asarray(m[b], float) for b in physics.EXTINCTION_RATIOS if b in m}
    model = CLASS_MODELS[name]
    out["_av_local"] = (10.0 ** rng.normal(*model.local_av_log, n) if model.local_av_log is not None
                        else np.zeros(n))
    return out


def _p_undetected(mags: dict[str, np.ndarray], lims: dict[str, float], bands: Sequence[str]) -> np.ndarray:
    """Product over ``bands`` of P(fainter than the limit), for magnitude arrays of one shape (NaN: never seen)."""
    out = None
    for band in bands:
        m = mags[band]
        p = special.ndtr((m - lims[band]) / LIMIT_SCATTER_MAG)
        p = np.where(np.isfinite(m), p, 1.0)
        out = p if out is None else out * p
    return out


def _galactic_table(name: str, l_c: np.ndarray, b_c: np.ndarray, nh_tot: np.ndarray, frac: np.ndarray,
                    log_mid: np.ndarray, step_dex: float, lims: list[dict[str, float]], bands: Sequence[str],
                    sed: dict[str, np.ndarray]) -> np.ndarray:
    """(cell, bin) P(none) of a Galactic class."""
    from xrbvo.galaxy.populations import CLASS_MODELS

    model = CLASS_MODELS[name]
    sp = model.spatial
    d_pc = _D_PC
    r, z = physics.galactocentric(l_c[:, None], b_c[:, None], d_pc[None, :] / 1000.0)
    shape = sp.disk(r, z)
    if model.rho0_pc3 is not None:
        dens = shape
    else:
        disk_int, bulge_int = sp.galaxy_integrals()
        dens = (1.0 - sp.bulge_fraction) * shape / disk_int
        if sp.bulge_fraction > 0:
            dens = dens + sp.bulge_fraction * sp.bulge(r, z) / bulge_int
    edges = np.sqrt(d_pc[1:] * d_pc[:-1])
    dd = np.diff(np.concatenate([[d_pc[0] / 1.1], edges, [d_pc[-1] * 1.1]]))
    nvol = dens * d_pc[None, :] ** 2 * dd[None, :]  # (cell, d), up to a constant per class
    nh_ism = nh_tot[:, None] * frac  # (cell, d)
    log_4pid2 = np.log10(4.0 * math.pi * (d_pc * 3.0857e18) ** 2)[None, :, None]
    local = [(0.0, 1.0)]
    if model.local_nh_log is not None:
        local = [(10.0 ** m, w) for m, w in zip(*_gauss_points(*model.local_nh_log))]
    elif model.local_av_log is not None:
        local = [(10.0 ** m * physics.NH_PER_AV, w) for m, w in zip(*_gauss_points(*model.local_av_log))]
    half = step_dex / 2.0
    n_in = np.zeros(nh_ism.shape + (len(log_mid),))  # (cell, d, bin): sources with observed flux in the bin
    for g, wg in zip(*_gauss_points(*model.gamma, n=3)):
        for nh_loc, wl in local:
            log_t = np.log10(np.maximum(physics.band_flux_fraction(g, nh_ism + nh_loc + 1.0,
                                                                   physics.ERASS1_SOFT_KEV), 1e-300))[:, :, None]
            lo = log_mid[None, None, :] - half + log_4pid2 - log_t
            share = model.lf.sf(lo) - model.lf.sf(lo + step_dex)
            n_in += wg * wl * share
    n_in *= nvol[:, :, None]
    # P(none | d) per cell: the SED sample at each distance through the column in front of it
    dm = 5.0 * np.log10(d_pc) - 5.0
    av = nh_ism / physics.NH_PER_AV  # (cell, d)
    u = np.ones(nh_ism.shape)
    if any(np.isfinite(sed[b]).any() for b in bands):
        for j in range(len(l_c)):
            mags = {b: sed[b][None, :] + dm[:, None] + physics.EXTINCTION_RATIOS[b]
                    * (av[j][:, None] + sed["_av_local"][None, :]) for b in bands}
            u[j] = _p_undetected(mags, lims[j], bands).mean(axis=1)
    tot = n_in.sum(axis=1)  # (cell, bin)
    flat = (nvol * u).sum(axis=1) / np.maximum(nvol.sum(axis=1), 1e-300)  # no source at that flux: volume mean
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(tot > 0, (n_in * u[:, :, None]).sum(axis=1) / np.where(tot > 0, tot, 1.0), flat[:, None])
    return np.clip(p, 0.0, 1.0)


def _agn_table(nh_tot: np.ndarray, log_mid: np.ndarray, lims: list[dict[str, float]], bands: Sequence[str],
               n: int, seed: int) -> np.ndarray:
    """(cell, bin) P(none) of AGN seen through the whole Galactic column."""
    from xrbvo.galaxy.populations import AGN_SED, CLASS_MODELS

    rng = np.random.default_rng([seed, 4242])
    gamma = rng.normal(*CLASS_MODELS["AGN"].gamma, n)
    obscured = rng.random(n) < AGN_SED.obscured_share
    nh_int = np.where(obscured, 10.0 ** rng.uniform(*AGN_SED.log_nh_int_obscured, n), AGN_SED.nh_int_unobscured)
    draws = AGN_SED.draw(rng, obscured)
    # differential counts dN/dS of the intrinsic flux, for the weights n(S / t) / t
    s_grid = np.geomspace(1e-19, 1e-6, 600)
    n_above = agn_counts_above(s_grid)
    dnds = np.maximum(-np.gradient(n_above, s_grid), 1e-300)
    out = np.empty((len(nh_tot), len(log_mid)))
    for j, nh in enumerate(nh_tot):
        t = physics.absorbed_band_flux(1.0, gamma, nh + nh_int, physics.ERASS1_SOFT_KEV)  # (n,)
        s_int = 10.0 ** log_mid[:, None] / t[None, :]  # (bin, n)
        w = np.exp(np.interp(np.log(s_int), np.log(s_grid), np.log(dnds))) / t[None, :]
        mags = AGN_SED.magnitudes(s_int, draws, av=nh / physics.NH_PER_AV, bands=bands)
        u = _p_undetected(mags, lims[j], bands)
        out[j] = (w * u).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-300)
    return np.clip(out, 0.0, 1.0)


def _detection_bands(surveys: Sequence[str]) -> list[str]:
    """The bands that make a counterpart: Gaia G (BP/RP need G), every near- and mid-infrared band."""
    lims = limiting_magnitudes(np.array([90.0]), tuple(surveys))
    return [b for b in ("G", "J", "H", "K", "W1", "W2") if b in lims]


def no_counterpart_probability(l_deg, b_deg, flux, *, classes: Sequence[str] = CLASSES,
                               surveys: Sequence[str] = SECONDARY_SURVEYS, cell_deg: float = 2.0,
                               step_dex: float = 0.25, n_sed: int = 400, seed: int = 0
                               ) -> tuple[np.ndarray, np.ndarray]:
    """P(no counterpart in any of ``surveys`` | class, observed flux, sight line) for each source.

    See the module notes for the model.  Tabulated once per ``cell_deg`` cell in Galactic l, b holding a
    source and per flux bin of ``step_dex`` around the sources' fluxes, then read off per source by linear
    interpolation in log flux.

    Parameters
    ----------
    l_deg, b_deg : float or array
        Galactic position of each source, degrees.
    flux : float or array
        Observed 0.2-2.3 keV flux of each source, erg/s/cm2.
    classes : sequence of str, optional
        Classes (columns of the result), from :data:`xrbvo.core.schema.CLASSES`.
    surveys : sequence of str, optional
        The counterpart surveys (default Gaia, 2MASS, CatWISE; ``vvv`` in place of ``2mass`` in the plane).
    cell_deg : float, optional
        Side of the sight-line cells, degrees.
    step_dex : float, optional
        Width of the flux bins, dex.
    n_sed : int, optional
        Draws of each class's magnitudes.
    seed : int, optional
        Seed of those draws (the result is deterministic).

    Returns
    -------
    p_none : numpy.ndarray
        (n, len(classes)) probabilities in [0, 1]; NaN rows where ``ok`` is False.
    ok : numpy.ndarray
        False where the position is not finite or the flux is missing or outside
        :data:`VISIBILITY_FLUX_RANGE`.

    Raises
    ------
    InputError
        If the arrays differ in length, a class is unknown or the steps are not positive.
    """
    l, b, s, ok = sources_in_flux_range(l_deg, b_deg, flux, VISIBILITY_FLUX_RANGE, caller="no_counterpart_probability")
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        raise InputError(f"no counterpart model for class {unknown[0]}; classes are {', '.join(CLASSES)}")
    if not (math.isfinite(cell_deg) and cell_deg > 0 and math.isfinite(step_dex) and step_dex > 0 and n_sed > 0):
        raise InputError("the visibility tables' cell side, flux step and sample size must be positive")
    out = np.full((len(s), len(classes)), np.nan)
    if not ok.any():
        return out, ok
    lon, lat, _, inverse = cells_holding(l[ok], b[ok], cell_deg=cell_deg)
    nh_tot = physics.galactic_nh(lon, lat)
    table = physics.column_fraction_table(lon, lat)
    frac = np.stack([np.interp(_D_PC, physics.D_GRID_PC, table[k]) for k in range(len(lon))])
    bands = _detection_bands(surveys)
    lim_arr = limiting_magnitudes(lat, tuple(surveys))
    lims = [{band: float(lim_arr[band][k]) for band in bands} for k in range(len(lon))]
    ls = np.log10(s[ok])
    first = math.floor(ls.min() / step_dex) - 1
    last = math.ceil(ls.max() / step_dex) + 1
    log_mid = np.arange(first, last + 1) * step_dex
    tab = np.empty((len(classes), len(lon), len(log_mid)))
    for i, name in enumerate(classes):
        if name == "AGN":
            tab[i] = _agn_table(nh_tot, log_mid, lims, bands, max(n_sed, 2000), seed)
        else:
            tab[i] = _galactic_table(name, lon, lat, nh_tot, frac, log_mid, step_dex, lims, bands,
                                     _sed_sample(name, n_sed, seed))
    out[ok] = read_off_by_cell(tab, inverse, ls, log_mid, step_dex).T
    return out, ok


def default_no_counterpart_rates(classes: Sequence[str], *, surveys: Sequence[str] = SECONDARY_SURVEYS,
                                 flux: float = _RATE_FLUX) -> dict[str, float]:
    """Share of each class's sources without any counterpart in the Galactic plane, from the population model.

    The mean of :func:`no_counterpart_probability` over the sight lines of :data:`RATE_FIELDS` at observed flux
    ``flux`` (default 1e-13 erg/s/cm2, about twice eRASS1's limit, where most of its plane sources lie).  These
    are the rates of the training copies without counterparts
    (:func:`xrbvo.stages.classify.augment.no_counterpart_copies`), every class's own.

    Parameters
    ----------
    classes : sequence of str
        The classes.
    surveys : sequence of str, optional
        The counterpart surveys.
    flux : float, optional
        Observed 0.2-2.3 keV flux, erg/s/cm2.

    Returns
    -------
    dict[str, float]
        Class -> share without any counterpart.
    """
    known = [str(c) for c in classes if str(c) in CLASSES]
    if not known:
        return {}
    l = np.array([f[0] for f in RATE_FIELDS])
    b = np.array([f[1] for f in RATE_FIELDS])
    p, _ = no_counterpart_probability(l, b, np.full(len(l), float(flux)), classes=known, surveys=surveys)
    return {c: float(np.mean(p[:, i])) for i, c in enumerate(known)}
