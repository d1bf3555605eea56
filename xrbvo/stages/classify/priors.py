"""Class priors of a target field, and the prior-shift correction of classifier probabilities.

A classifier's probabilities reflect the class mix it was trained on, not the
mix of the field it is applied to.  In the Galactic plane the mix is extreme:
at eRASS1's depth AGN seen through the plane outnumber high-mass X-ray
binaries by about a thousand to one.  Two ways to know the field's mix:

``model``
    Expected detections per class from xrbvo's population model
    (:mod:`xrbvo.galaxy.census`: published AGN number counts through the
    field's HI4PI column, the stellar, CV, YSO and early-type densities and
    the X-ray binary luminosity functions the simulated sky draws from), at
    the survey's flux limit (:func:`expected_field_priors`).  Classes the
    classifier lacks (galaxy clusters) are left out of the mix.  Stated for eRASS1's soft band; for other
    surveys give their 0.2-2.3 keV-equivalent limit.
``em``
    Estimated from the unlabelled sources themselves by the EM algorithm of
    Saerens, Latinne & Decaestecker (2002, Neural Computation 14, 21)
    (:func:`em_priors`): alternately shift the probabilities to the current
    priors and set the priors to the mean shifted probability.

The correction itself is Bayes' rule with new priors
(:func:`xrbvo.stages.probability.shift_priors`); it leaves the probabilities
unchanged when the field's priors equal the training's.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from xrbvo.core.errors import InputError
from xrbvo.stages.probability import shift_priors

__all__ = ["em_priors", "expected_field_priors", "expected_field_counts", "PLANE_B_DEG", "is_low_latitude",
           "PRIOR_MODES", "field_priors_for", "source_priors"]

#: ``|b|`` below which a source is "in the plane" and field priors apply by default.
PLANE_B_DEG = 10.0
#: Ways of setting a field's priors.
PRIOR_MODES = ("auto", "model", "em", "training", "none")
#: Tile size (deg) over which expected counts are summed.
_TILE_DEG = 5.0


def is_low_latitude(b_deg) -> np.ndarray:
    """True where ``|b|`` < :data:`PLANE_B_DEG`.

    Parameters
    ----------
    b_deg : float or array
        Galactic latitude, degrees.

    Returns
    -------
    numpy.ndarray
        True where ``|b|`` < :data:`PLANE_B_DEG`.
    """
    return np.abs(np.asarray(b_deg, dtype=float)) < PLANE_B_DEG


def em_priors(proba: np.ndarray, train_priors: Sequence[float], *, max_iter: int = 500,
              tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray, int]:
    """Class priors of an unlabelled sample by EM (Saerens et al. 2002).

    Parameters
    ----------
    proba : array (n, n_classes)
        Probabilities at the training priors.
    train_priors : sequence
        The training priors.
    max_iter : int, optional
        Maximum number of EM iterations.
    tol : float, optional
        Convergence tolerance on the priors.

    Returns
    -------
    priors : array (n_classes,)
    proba_shifted : array (n, n_classes)
        ``proba`` at the estimated priors.
    n_iter : int
    """
    p = np.asarray(proba, dtype=float)
    s = np.asarray(train_priors, dtype=float)
    if p.ndim != 2 or p.shape[1] != len(s):
        raise InputError("probabilities must have one column per class")
    if len(p) == 0:
        raise InputError("EM needs at least one source to estimate the field's priors")
    t = s / s.sum()
    cur = p
    for it in range(1, max_iter + 1):
        cur = shift_priors(p, s, t)
        new = cur.mean(axis=0)
        new = new / new.sum()
        if np.max(np.abs(new - t)) < tol:
            t = new
            break
        t = new
    return t, shift_priors(p, s, t), it


def expected_field_counts(l_deg, b_deg, *, flux_limit: float = 5e-14, tile_deg: float = _TILE_DEG,
                          step_deg: float = 1.0) -> dict[str, float]:
    """Expected detections per class in the tiles of ``tile_deg`` that hold the given positions.

    The field is the union of the (l, b) tiles containing at least one
    source; expected counts come from the population model's census
    (:func:`xrbvo.galaxy.census.expected_counts`: number counts and
    luminosity functions through the HI4PI column, one completeness curve at
    ``flux_limit`` in 0.2-2.3 keV everywhere, ``exposure="flat"``).

    Parameters
    ----------
    l_deg : float or array
        Galactic longitude, degrees.
    b_deg : float or array
        Galactic latitude, degrees.
    flux_limit : float, optional
        0.2-2.3 keV flux limit (erg/cm2/s) of the population model.
    tile_deg : float, optional
        Tile size in Galactic l and b, degrees.
    step_deg : float, optional
        Size (degrees) of the sight-line cells each tile is integrated over.

    Returns
    -------
    dict[str, float]
        Expected detections per census class (:data:`xrbvo.galaxy.census.CENSUS_CLASSES`).
    """
    from xrbvo.galaxy.census import Sensitivity, cells_for_tiles, expected_counts

    cells = cells_for_tiles(l_deg, b_deg, tile_deg=tile_deg, step_deg=step_deg)
    return expected_counts(cells, Sensitivity(flux_limit=flux_limit, exposure="flat"))


def expected_field_priors(l_deg, b_deg, classes: Sequence[str], *, flux_limit: float = 5e-14,
                          merge: Mapping[str, str] | None = None, tile_deg: float = _TILE_DEG,
                          step_deg: float = 1.0) -> dict[str, float]:
    """The field's expected class mix over ``classes`` (from :func:`expected_field_counts`).

    ``merge`` maps population classes a model lacks onto its classes (default:
    WR -> EARLY, since the labelled set has no WR label).  A class of
    ``classes`` with no population model gets a tiny prior (1e-6) so that it
    is not ruled out.

    Parameters
    ----------
    l_deg : float or array
        Galactic longitude, degrees.
    b_deg : float or array
        Galactic latitude, degrees.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    flux_limit : float, optional
        0.2-2.3 keV flux limit (erg/cm2/s) of the population model.
    merge : Mapping[str, str], optional
        Class -> class it is counted as (for a model without some of the classes, e.g. WR -> EARLY).
    tile_deg : float, optional
        Tile size in Galactic l and b, degrees.
    step_deg : float, optional
        Size (degrees) of the sight-line cells each tile is integrated over.

    Returns
    -------
    dict[str, float]
        The field's expected class mix over ``classes`` (from :func:`expected_field_counts`).
    """
    counts = expected_field_counts(l_deg, b_deg, flux_limit=flux_limit, tile_deg=tile_deg, step_deg=step_deg)
    merge = {"WR": "EARLY"} if merge is None else dict(merge)
    out = {c: 0.0 for c in classes}
    for k, v in counts.items():
        k2 = k if k in out else merge.get(k)
        if k2 in out:
            out[k2] += v
    tot = sum(out.values())
    if tot <= 0:
        raise InputError("the field's expected class mix is empty; check the positions and the flux limit")
    out = {c: max(v / tot, 1e-6) for c, v in out.items()}
    s = sum(out.values())
    return {c: v / s for c, v in out.items()}


def source_priors(l_deg, b_deg, soft_flux, classes: Sequence[str], *, merge: Mapping[str, str] | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Each source's own class priors: the population model's class mix at its flux on its sight line.

    The mix is :func:`xrbvo.galaxy.census.source_class_mix` (per-class differential counts at the source's
    observed 0.2-2.3 keV flux through the HI4PI column of its sight line), mapped onto ``classes`` as in
    :func:`expected_field_priors` (``merge``, default WR -> EARLY; a class without a population model gets
    1e-6 so that it is not ruled out).

    Parameters
    ----------
    l_deg, b_deg : array
        Galactic position of each source, degrees.
    soft_flux : array
        Observed 0.2-2.3 keV flux of each source, erg/cm2/s.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    merge : Mapping[str, str], optional
        Class -> class it is counted as.

    Returns
    -------
    priors : numpy.ndarray
        (n, n_classes) priors per source; NaN rows where ``ok`` is False.
    ok : numpy.ndarray
        False where the source has no finite position or a usable flux (the caller falls back to the field's).
    """
    from xrbvo.core.schema import CLASSES
    from xrbvo.galaxy.census import source_class_mix

    mix, ok = source_class_mix(l_deg, b_deg, soft_flux)
    merge = {"WR": "EARLY"} if merge is None else dict(merge)
    classes = [str(c) for c in classes]
    out = np.zeros((len(mix), len(classes)))
    for j, k in enumerate(CLASSES):
        k2 = k if k in classes else merge.get(k)
        if k2 in classes:
            out[:, classes.index(k2)] += mix[:, j]
    out = np.maximum(out, 1e-6)
    out /= out.sum(axis=1, keepdims=True)
    out[~ok] = np.nan
    return out, ok


def field_priors_for(proba: np.ndarray, classes: Sequence[str], train_priors: Sequence[float], l_deg, b_deg,
                     mode: str = "auto", *, flux_limit: float | None = 5e-14, soft_flux=None
                     ) -> tuple[np.ndarray, dict]:
    """Probabilities of the low-latitude rows shifted to their field's priors.

    Parameters
    ----------
    proba : array (n, n_classes)
        Probabilities at ``train_priors``.
    mode : str
        ``model`` or ``auto`` (:func:`expected_field_priors`), ``em``
        (:func:`em_priors` on the low-latitude rows), ``training`` or
        ``none`` (unchanged).  EM is not the default: it trusts the
        classifier's probabilities on the field, and where those are shifted
        by the plane it amplifies the shift (on the H.E.S.S. Chandra field it
        drives the AGN prior to 0.001 and the NS prior to 0.6).
    flux_limit : float or None
        0.2-2.3 keV limit for the model; None: the 5th percentile of
        ``soft_flux`` (the sample's own depth).
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    train_priors : Sequence[float]
        The class priors of the training set.
    l_deg : float or array
        Galactic longitude, degrees.
    b_deg : float or array
        Galactic latitude, degrees.
    soft_flux : array, optional
        0.2-2.3 keV flux of each source, erg/cm2/s.

    Returns
    -------
    proba : array
        Low-latitude rows shifted, others unchanged.
    info : dict
        ``mode`` used, ``priors`` (class -> prior), ``n_rows`` shifted, and
        for EM the iterations.
    """
    if mode not in PRIOR_MODES:
        raise InputError(f"unknown field-priors mode {mode!r}; choose from {', '.join(PRIOR_MODES)}")
    p = np.asarray(proba, dtype=float)
    s = np.asarray(train_priors, dtype=float)
    low = is_low_latitude(b_deg) if len(p) else np.zeros(0, bool)
    info: dict = {"mode": mode, "n_rows": int(low.sum()), "b_max_deg": PLANE_B_DEG}
    if mode in ("training", "none") or not low.any():
        info["mode"] = "training" if mode != "none" else "none"
        info["n_rows"] = 0
        return p, info
    if mode == "auto":
        mode = "model"
    out = p.copy()
    if mode == "em":
        pri, shifted, it = em_priors(p[low], s)
        out[low] = shifted
        info.update({"mode": "em", "iterations": it})
    else:
        lb = (np.asarray(l_deg, float)[low], np.asarray(b_deg, float)[low])
        if flux_limit is None:
            fs = np.asarray(soft_flux, float) if soft_flux is not None else np.zeros(0)
            fs = fs[np.isfinite(fs) & (fs > 0)]
            if len(fs) == 0:
                raise InputError("no soft X-ray fluxes to set the field's flux limit; give one (--flux-limit)")
            flux_limit = float(np.percentile(fs, 5))
        d = expected_field_priors(*lb, classes, flux_limit=flux_limit)
        pri = np.array([d[c] for c in classes])
        out[low] = shift_priors(p[low], s, pri)
        info.update({"mode": "model", "flux_limit": flux_limit})
    info["priors"] = {str(c): float(v) for c, v in zip(classes, pri)}
    return out, info
