"""The classifier's features: one documented list, built the same way everywhere.

Features come from a source's X-ray properties and from its chosen
counterparts (the most probable combination of the association, or any other
choice of one candidate per survey).  Missing photometry stays NaN.

The list (name: meaning):

==========================  ===============================================================
``G, BP, RP``               Gaia DR3 magnitudes
``BP_RP, G_RP``             Gaia colours
``J, H, K``                 2MASS (or VVV) magnitudes
``J_H, H_K, J_K``           near-IR colours
``W1, W2, W1_W2``           CatWISE2020 magnitudes and colour
``G_J, G_K, G_W1, K_W1``    optical-IR colours
``plx_sig``                 parallax over its error
``log_dist``                log10 geometric distance (pc; Bailer-Jones et al. 2021)
``log_epsi``                log10 astrometric excess noise (mas) + 1e-3
``log_sepsi``               log10(1 + excess-noise significance)
``ruwe``                    renormalised unit weight error
``log_var_G``               log10 fractional G-flux scatter (variability proxy)
``pm_tot``                  total proper motion (mas/yr)
``log_fx``                  log10 soft-band X-ray flux (0.2-2.3 keV for eRASS1)
``hr``                      hardness ratio (F_hard - F_soft) / (F_hard + F_soft), in [-1, 1]
``log_fx_fg``               log10 F_X / F_opt with G: log_fx + G / 2.5 + 5.37 (Maccacaro et al. 1988 style)
``log_fx_fk``               log10 F_X / F_K: log_fx + K / 2.5
``log_fx_fw1``              log10 F_X / F_W1: log_fx + W1 / 2.5
``log_lx``                  log10 soft X-ray luminosity (erg/s) at the Gaia geometric distance:
                            log_fx + log10(4 pi d^2); missing without a distance.  X-ray binaries
                            (1e34-1e38), CVs (1e30-1e33) and stars (1e27-1e31) separate here
``log_nh``                  log10 total Galactic N_H on the sight line (HI4PI)
``xvar_prob``               X-ray variability probability (the larger of the intra- and
                            inter-observation probabilities of the Chandra Source Catalog);
                            missing for single-epoch surveys (eRASS1, the simulated sky)
==========================  ===============================================================

A survey may add features of its own bands (:attr:`xrbvo.core.surveys.Survey.extra_features`, e.g. the
r - H-alpha colour of an opt-in survey): they follow this list, in runs with that survey only
(:data:`ALL_FEATURES`, :func:`feature_names`).

Inputs may also give ``pm`` (total proper motion, mas/yr) instead of
``pmra``/``pmdec``, and ``plx_sig`` directly instead of ``plx``/``plx_err``
(catalogues such as the Chandra labelled set publish only those).

Galactic latitude itself is deliberately *not* a feature: the labelled X-ray
sources have no AGN at low latitude, and a model that sees latitude learns
"low latitude means Galactic" (the domain-shift trap of ARCHITECTURE.md).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from astropy.table import Table

from xrbvo.core.physics import galactic_nh
from xrbvo.core.surveys import PHOT_FROM, SURVEY_FEATURES, SURVEYS

__all__ = ["FEATURES", "ALL_FEATURES", "feature_names", "PHOT_FROM", "build_features", "features_from_photometry", "nh_at", "chosen_rows",
           "source_features", "feature_matrix"]

#: The features of every run (Gaia, 2MASS or VVV, CatWISE2020, X-ray), in model order.
FEATURES: tuple[str, ...] = (
    "G", "BP", "RP", "BP_RP", "G_RP",
    "J", "H", "K", "J_H", "H_K", "J_K",
    "W1", "W2", "W1_W2",
    "G_J", "G_K", "G_W1", "K_W1",
    "plx_sig", "log_dist", "log_epsi", "log_sepsi", "ruwe", "log_var_G", "pm_tot",
    "log_fx", "hr", "log_fx_fg", "log_fx_fk", "log_fx_fw1", "log_lx", "log_nh", "xvar_prob",
)

#: Every feature a model may have: :data:`FEATURES`, then those the registry's surveys add
#: (:attr:`xrbvo.core.surveys.Survey.extra_features`: a band or a colour ``a_b`` of two of its bands).
#: A survey's features exist only in runs with that survey (:func:`features_from_photometry`'s
#: ``surveys``), so models trained without it are the same as before it was registered (XGBoost's
#: column sampling would see even an all-missing column).
ALL_FEATURES: tuple[str, ...] = FEATURES + SURVEY_FEATURES


def feature_names(features: Table) -> list[str]:
    """The features a model trained on ``features`` uses: :data:`ALL_FEATURES` that ``features`` has, in order.

    Parameters
    ----------
    features : astropy.table.Table
        Feature columns, one row per source.

    Returns
    -------
    list[str]
        The names, :data:`FEATURES` first.
    """
    return [f for f in ALL_FEATURES if f in features.colnames]


def _f(d: Mapping[str, np.ndarray], k: str, n: int) -> np.ndarray:
    v = d.get(k)
    return np.full(n, np.nan) if v is None else np.asarray(v, dtype=float)


def features_from_photometry(phot: Mapping[str, np.ndarray], flux_soft, flux_hard, nh, surveys=()) -> Table:
    """Compute :data:`FEATURES` from standard photometric columns and X-ray fluxes.

    Parameters
    ----------
    phot : mapping
        Standard names (``G``, ``BP``, ``RP``, ``J``, ``H``, ``K``, ``W1``,
        ``W2``, ``plx``, ``plx_err`` or ``plx_sig``, ``pmra``/``pmdec`` or
        ``pm``, ``epsi``, ``sepsi``, ``ruwe``, ``var_G``, ``rgeo``,
        ``xvar_prob``) to arrays; absent names and NaN are missing values.
    flux_soft, flux_hard : array
        Soft- and hard-band X-ray fluxes (erg/cm2/s).
    nh : array
        Galactic N_H (cm^-2).
    surveys : sequence of str, optional
        The run's surveys: their :attr:`~xrbvo.core.surveys.Survey.extra_features` follow :data:`FEATURES`.

    Returns
    -------
    Table
        One column per :data:`FEATURES` entry and per extra feature of ``surveys``, NaN where an input is
        missing.
    """
    fs = np.asarray(flux_soft, dtype=float)
    n = len(fs)
    g = {k: _f(phot, k, n) for k in ("G", "BP", "RP", "J", "H", "K", "W1", "W2", "plx", "plx_err", "pmra",
                                      "pmdec", "pm", "plx_sig", "epsi", "sepsi", "ruwe", "var_G", "rgeo",
                                      "xvar_prob")}
    fh = np.asarray(flux_hard, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_fx = np.where(fs > 0, np.log10(np.where(fs > 0, fs, 1.0)), np.nan)
        hr = np.clip((fh - fs) / (fh + fs), -1.0, 1.0)
        hr = np.where(np.isfinite(fh) & np.isfinite(fs) & ((fh + fs) != 0), hr, np.nan)
        out = Table()
        for b in ("G", "BP", "RP"):
            out[b] = g[b]
        out["BP_RP"] = g["BP"] - g["RP"]
        out["G_RP"] = g["G"] - g["RP"]
        for b in ("J", "H", "K"):
            out[b] = g[b]
        out["J_H"] = g["J"] - g["H"]
        out["H_K"] = g["H"] - g["K"]
        out["J_K"] = g["J"] - g["K"]
        out["W1"] = g["W1"]
        out["W2"] = g["W2"]
        out["W1_W2"] = g["W1"] - g["W2"]
        out["G_J"] = g["G"] - g["J"]
        out["G_K"] = g["G"] - g["K"]
        out["G_W1"] = g["G"] - g["W1"]
        out["K_W1"] = g["K"] - g["W1"]
        out["plx_sig"] = np.where(np.isfinite(g["plx_sig"]), g["plx_sig"], g["plx"] / g["plx_err"])
        out["log_dist"] = np.log10(np.where(g["rgeo"] > 0, g["rgeo"], np.nan))
        out["log_epsi"] = np.log10(np.clip(g["epsi"], 0, None) + 1e-3)
        out["log_sepsi"] = np.log10(1.0 + np.clip(g["sepsi"], 0, None))
        out["ruwe"] = g["ruwe"]
        out["log_var_G"] = np.log10(np.where(g["var_G"] > 0, g["var_G"], np.nan))
        out["pm_tot"] = np.where(np.isfinite(g["pm"]), g["pm"], np.hypot(g["pmra"], g["pmdec"]))
        out["log_fx"] = log_fx
        out["hr"] = hr
        out["log_fx_fg"] = log_fx + g["G"] / 2.5 + 5.37
        out["log_fx_fk"] = log_fx + g["K"] / 2.5
        out["log_fx_fw1"] = log_fx + g["W1"] / 2.5
        out["log_lx"] = log_fx + np.log10(4.0 * np.pi) + 2.0 * (out["log_dist"] + np.log10(3.0857e18))
        nh = np.asarray(nh, dtype=float)
        out["log_nh"] = np.log10(np.where(nh > 0, nh, np.nan))
        out["xvar_prob"] = np.clip(g["xvar_prob"], 0.0, 1.0)
        extra = [f for s in surveys if s in SURVEYS for f in SURVEYS[s].extra_features]
        for f in extra:
            a, _, b = f.partition("_")
            out[f] = _f(phot, a, n) - _f(phot, b, n) if b else _f(phot, a, n)
    for c in out.colnames:
        arr = np.asarray(out[c], dtype=float)
        out[c] = np.where(np.isfinite(arr), arr, np.nan)
    return out[list(FEATURES) + extra]


def build_features(xray: Table, chosen: Mapping[str, np.ndarray], neighbourhoods: Mapping[str, Table],
                   nh: np.ndarray | None = None) -> Table:
    """Features of every X-ray source from its chosen counterparts.

    Parameters
    ----------
    xray : Table
        X-ray sources (:data:`xrbvo.core.schema.XRAY`).
    chosen : mapping
        Survey -> array (one per X-ray source) of row indices into that survey's
        neighbourhood table, -1 where no counterpart is chosen.
    neighbourhoods : mapping
        Survey -> neighbourhood table.
    nh : array, optional
        Galactic N_H per source (computed from HI4PI when omitted).

    Returns
    -------
    astropy.table.Table
        Features of every X-ray source from its chosen counterparts.
    """
    phot: dict[str, np.ndarray] = {}
    for survey, rows in chosen.items():
        nb = neighbourhoods.get(survey)
        if nb is None:
            continue
        rows = np.asarray(rows, dtype=int)
        for col in PHOT_FROM.get(survey, ()):
            if col not in nb.colnames or col in phot and np.isfinite(phot[col]).any():
                continue
            vals = np.asarray(nb[col], dtype=float)
            phot[col] = np.where(rows >= 0, vals[np.maximum(rows, 0)] if len(vals) else np.nan, np.nan)
    if nh is None:
        nh = nh_at(xray["ra"], xray["dec"])
    return features_from_photometry(phot, xray["flux_soft"], xray["flux_hard"], nh, surveys=tuple(neighbourhoods))


def nh_at(ra_deg, dec_deg) -> np.ndarray:
    """Total Galactic N_H (HI4PI, cm^-2) at ICRS positions; NaN where a position is not finite.

    The one place where xrbvo turns a position into a Galactic column.

    Parameters
    ----------
    ra_deg : float or array
        Right ascension (ICRS), degrees.
    dec_deg : float or array
        Declination (ICRS), degrees.

    Returns
    -------
    numpy.ndarray
        N_H per position, cm^-2.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    ra = np.asarray(ra_deg, dtype=float)
    dec = np.asarray(dec_deg, dtype=float)
    out = np.full(len(ra), np.nan)
    ok = np.isfinite(ra) & np.isfinite(dec) & (np.abs(dec) <= 90)
    if ok.any():
        c = SkyCoord(ra=ra[ok] * u.deg, dec=dec[ok] * u.deg).galactic
        out[ok] = galactic_nh(c.l.deg, c.b.deg)
    return out


def chosen_rows(association) -> dict[str, np.ndarray]:
    """Survey -> neighbourhood row of each source's most probable combination (-1 for none).

    Parameters
    ----------
    association : xrbvo.stages.match.AssociationResult
        The association of the X-ray sources with their neighbours.

    Returns
    -------
    dict[str, numpy.ndarray]
        Survey -> row index per source (-1 for none).
    """
    return {s: np.asarray(association.sources[f"row_{s}"], dtype=int) for s in association.surveys}


def source_features(xray: Table, association, neighbourhoods: Mapping[str, Table],
                    nh: np.ndarray | None = None) -> Table:
    """Features of every source from the association's most probable counterparts.

    Parameters
    ----------
    xray : astropy.table.Table
        The X-ray sources in the XRAY schema (:func:`xrbvo.io.standardise_xray`).
    association : xrbvo.stages.match.AssociationResult
        The association of the X-ray sources with their neighbours.
    neighbourhoods : Mapping[str, Table]
        Survey name -> neighbourhood table (:mod:`xrbvo.stages.neighbourhoods`).
    nh : numpy.ndarray, optional
        Absorbing column, cm^-2.

    Returns
    -------
    astropy.table.Table
        Features of every source from the association's most probable counterparts.
    """
    return build_features(xray, chosen_rows(association), neighbourhoods, nh=nh)


def feature_matrix(features: Table, names) -> np.ndarray:
    """The feature matrix in a model's feature order (a missing column is one clear error).

    Parameters
    ----------
    features : astropy.table.Table
        Feature columns (:data:`xrbvo.stages.features.FEATURES`), one row per source.
    names : sequence of str
        The model's feature names, in its order.

    Returns
    -------
    numpy.ndarray
        The feature matrix in a model's feature order (a missing column is one clear error).
    """
    from xrbvo.core.errors import MissingColumnError

    names = list(names)
    missing = [f for f in names if f not in features.colnames]
    if missing:
        raise MissingColumnError(f"features lack {', '.join(missing)}; build them with "
                                 "xrbvo.stages.features.build_features or features_from_photometry, or "
                                 "xrbvo.stages.classify.labelled.csc_features for a Chandra Source Catalog table")
    if len(features) == 0:
        return np.zeros((0, len(names)))
    return np.column_stack([np.asarray(features[f], float) for f in names])
