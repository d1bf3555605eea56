"""More real X-ray binaries to learn from: published XRB catalogues as extra labelled rows.

The labelled Chandra set (:mod:`xrbvo.stages.classify.labelled`) holds only 26
HMXBs.  The HMXB catalogue of Neumann et al. (2023, A&A 677, A134;
``xrbcats_hmxb_neumann2023.csv``) holds 169, with photometry.  This module
turns its rows into rows of :data:`xrbvo.stages.features.FEATURES`, one per
object, never one already in the labelled set.

Band conversions (Neumann column -> feature input)
--------------------------------------------------
==========================  ==================  ================================================
Neumann                     labelled set        conversion
==========================  ==================  ================================================
``Gmag`` (Gaia DR3 G)       ``Gmag``            unchanged; values <= 0 are missing (one row has 0)
``Jmag Hmag Kmag`` (2MASS)  ``Jmag Hmag Kmag``  unchanged
``W1mag W2mag`` (CatWISE)   ``W1mag W2mag``     unchanged (both Vega; CatWISE2020 and AllWISE
                                                agree to a few 0.01 mag for unsaturated sources)
``Mean_Dist`` (pc)          ``rgeo`` (pc)       unchanged (Neumann's distances are Gaia-based
                                                for most rows; for the 25 objects in both
                                                tables they agree with ``rgeo`` to ~10%)
``Min/Max_Soft_Flux``       ``Fcsc_s+Fcsc_m``   F = sqrt(min x max) x 1e-12 erg/cm2/s (the
                                                log-middle of the observed range), taken as the
                                                observed 0.3-10 keV flux (Swift/XRT 2SXPS band),
                                                converted to observed 0.5-2 keV with an absorbed
                                                power law of photon index :data:`GAMMA` = 1.0
                                                (accreting pulsars below their cut-off) through
                                                the column ``N_H`` x 1e21 cm^-2 where Neumann
                                                gives it, else the HI4PI total of the sight line
                                                (Morrison & McCammon 1983 cross-sections,
                                                :func:`xrbvo.core.physics.absorbed_band_flux`)
==========================  ==================  ================================================

Units were checked on the 25 objects in both tables: the Chandra 0.5-7 keV flux
lies inside Neumann's [min, max] x 1e-12 range for nearly all of them, and the
photometry is identical.

Missing in the catalogue (for every row): BP, RP, parallax significance,
proper motion, excess noise and its significance, RUWE, Gaia variability,
X-ray variability probability (Neumann's ``Soft_Xray_Var`` is a max/min ratio,
not a probability) and the hardness ratio (a hardness from the assumed
spectrum would be the same assumption for every row and could mark the
class).  These features are :attr:`ExtraRows.absent`; training masks them
in the same way for every class (:mod:`xrbvo.stages.classify.augment`,
``view_features``).

Never a duplicate: a Neumann row within :data:`MATCH_RADIUS_ARCSEC` of any
labelled source, or whose ``Chandra_ID`` (``J...``) is a labelled ``2CXO``
name, is dropped, and the count is reported.  Rows without a soft X-ray flux
are dropped too (they could not be an X-ray source of the training set).

The Fortin et al. (2023, 2024) HMXB and LMXB web catalogues carry no
photometry and no X-ray fluxes (positions, classes, distances, identifiers), so
they add no training rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from astropy.table import Table

from xrbvo.core import physics
from xrbvo.core.errors import MissingColumnError
from xrbvo.stages.features import FEATURES, features_from_photometry, nh_at

__all__ = ["ExtraRows", "GAMMA", "MATCH_RADIUS_ARCSEC", "NEUMANN_SOFT_BAND_KEV", "NEUMANN_COLUMNS",
           "load_neumann2023", "soft_conversion"]

#: Photon index of the assumed spectrum (absorbed power law) of the Neumann fluxes' band conversion.
GAMMA = 1.0
#: The band of Neumann's soft fluxes as taken here (Swift/XRT 2SXPS), keV.
NEUMANN_SOFT_BAND_KEV = (0.3, 10.0)
#: The labelled set's soft band (Chandra Fcsc_s + Fcsc_m), keV.
CHANDRA_SOFT_KEV = (0.5, 2.0)
#: A Neumann object within this distance of a labelled source is the same object.
MATCH_RADIUS_ARCSEC = 5.0
#: Columns the reader needs.
NEUMANN_COLUMNS = ("Name", "RAdeg", "DEdeg", "Gmag", "Jmag", "Hmag", "Kmag", "W1mag", "W2mag", "N_H",
                   "Min_Soft_Flux", "Max_Soft_Flux", "Mean_Dist")


@dataclass(frozen=True)
class ExtraRows:
    """Labelled rows from a published catalogue, to be added to training folds only.

    Parameters
    ----------
    features : astropy.table.Table
        :data:`FEATURES` columns, one row per object.
    labels : numpy.ndarray
        xrbvo class per row.
    names : numpy.ndarray
        Object names.
    absent : tuple[str, ...]
        Features missing in every row (the catalogue does not provide them).
    source : str
        The catalogue (file name and reference).
    report : dict
        Counts: ``n_catalogue``, ``n_duplicate_position``, ``n_duplicate_name``, ``n_duplicate``,
        ``n_no_flux``, ``n_used``.
    """

    features: Table
    labels: np.ndarray
    names: np.ndarray
    absent: tuple[str, ...]
    source: str
    report: dict = field(default_factory=dict)


def _num(t: Table, name: str) -> np.ndarray:
    c = t[name]
    mask = np.ma.getmaskarray(c)
    vals = np.asarray(np.ma.getdata(c), dtype=float)
    return np.where(mask, np.nan, vals)


def soft_conversion(nh_cm2, gamma: float = GAMMA) -> np.ndarray:
    """Observed 0.5-2 keV flux per unit observed 0.3-10 keV flux of an absorbed power law.

    Parameters
    ----------
    nh_cm2 : array_like
        Absorbing column, cm^-2.
    gamma : float, optional
        Photon index.

    Returns
    -------
    numpy.ndarray
        The ratio F(0.5-2 keV) / F(0.3-10 keV), both absorbed.
    """
    nh = np.atleast_1d(np.asarray(nh_cm2, dtype=float))
    g = np.full(len(nh), float(gamma))
    num = physics.absorbed_band_flux(1.0, g, nh, CHANDRA_SOFT_KEV, ref_band=NEUMANN_SOFT_BAND_KEV)
    den = physics.absorbed_band_flux(1.0, g, nh, NEUMANN_SOFT_BAND_KEV, ref_band=NEUMANN_SOFT_BAND_KEV)
    return num / den


def load_neumann2023(path: str | Path, *, labelled_names=None, labelled_ra=None, labelled_dec=None,
                     match_radius_arcsec: float = MATCH_RADIUS_ARCSEC, gamma: float = GAMMA) -> ExtraRows:
    """The Neumann et al. (2023) HMXBs as feature rows, without the objects already labelled.

    Parameters
    ----------
    path : str | Path
        ``xrbcats_hmxb_neumann2023.csv``.
    labelled_names : sequence of str, optional
        Names of the labelled sources (``2CXO J...``), for the name match.
    labelled_ra, labelled_dec : array_like, optional
        Positions of the labelled sources (deg), for the position match.
    match_radius_arcsec : float, optional
        Position match radius.
    gamma : float, optional
        Photon index of the flux band conversion (module notes).

    Returns
    -------
    ExtraRows
        The rows, their class (HMXB), the absent features and the counts.

    Raises
    ------
    MissingColumnError
        When the file lacks a column of :data:`NEUMANN_COLUMNS`.
    """
    from xrbvo.io import read_table

    t = read_table(path)
    missing = [c for c in NEUMANN_COLUMNS if c not in t.colnames]
    if missing:
        raise MissingColumnError(f"{path}: not the Neumann et al. (2023) HMXB table (lacks {', '.join(missing)})")
    n0 = len(t)
    ra, dec = _num(t, "RAdeg"), _num(t, "DEdeg")
    dup_pos = np.zeros(n0, bool)
    if labelled_ra is not None and len(labelled_ra):
        from astropy import units as u
        from astropy.coordinates import SkyCoord

        lra, ldec = np.asarray(labelled_ra, float), np.asarray(labelled_dec, float)
        ok = np.isfinite(lra) & np.isfinite(ldec)
        cat = SkyCoord(lra[ok] * u.deg, ldec[ok] * u.deg)
        _, sep, _ = SkyCoord(ra * u.deg, dec * u.deg).match_to_catalog_sky(cat)
        dup_pos = sep.arcsec <= match_radius_arcsec
    dup_name = np.zeros(n0, bool)
    if labelled_names is not None:
        known = {_norm(s) for s in np.asarray(labelled_names).astype(str)}
        own = [_norm(s) for s in _text(t, "Name")]
        chandra = [_norm("2CXO " + s) if s else "" for s in _text(t, "Chandra_ID")]
        dup_name = np.array([(a in known) or (b != "" and b in known) for a, b in zip(own, chandra)], bool)
    dup = dup_pos | dup_name
    lo, hi = _num(t, "Min_Soft_Flux"), _num(t, "Max_Soft_Flux")
    with np.errstate(invalid="ignore"):
        f_ref = np.sqrt(lo * hi) * 1e-12
    has_flux = np.isfinite(f_ref) & (f_ref > 0)
    keep = ~dup & has_flux
    t = t[keep]
    ra, dec, f_ref = ra[keep], dec[keep], f_ref[keep]
    nh_gal = nh_at(ra, dec)
    nh_own = _num(t, "N_H") * 1e21
    nh_conv = np.where(np.isfinite(nh_own) & (nh_own > 0), nh_own, nh_gal)
    soft = f_ref * soft_conversion(nh_conv, gamma)
    g = _num(t, "Gmag")
    phot = {"G": np.where(g > 0, g, np.nan), "J": _num(t, "Jmag"), "H": _num(t, "Hmag"), "K": _num(t, "Kmag"),
            "W1": _num(t, "W1mag"), "W2": _num(t, "W2mag"), "rgeo": _num(t, "Mean_Dist")}
    feats = features_from_photometry(phot, soft, np.full(len(t), np.nan), nh_gal)
    absent = tuple(f for f in FEATURES if not np.isfinite(np.asarray(feats[f], float)).any()) if len(t) else ()
    report = {"n_catalogue": int(n0), "n_duplicate_position": int(dup_pos.sum()),
              "n_duplicate_name": int(dup_name.sum()), "n_duplicate": int(dup.sum()),
              "n_no_flux": int((~dup & ~has_flux).sum()), "n_used": int(keep.sum()),
              "match_radius_arcsec": float(match_radius_arcsec), "gamma": float(gamma),
              "flux_band_kev": list(NEUMANN_SOFT_BAND_KEV)}
    return ExtraRows(feats, np.full(len(t), "HMXB", dtype="<U8"), np.asarray(_text(t, "Name")), absent,
                     f"{Path(path).name} (Neumann et al. 2023, A&A 677, A134)", report)


def _text(t: Table, name: str) -> list[str]:
    if name not in t.colnames:
        return [""] * len(t)
    c = t[name]
    mask = np.ma.getmaskarray(c)
    return ["" if m else str(v).strip() for v, m in zip(np.ma.getdata(c), mask)]


def _norm(s: str) -> str:
    return "".join(str(s).upper().split())
