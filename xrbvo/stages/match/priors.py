"""Priors of the association: magnitude priors and field densities.

A survey's magnitude priors are a :class:`MagPrior` per band, read from an
NWAY histogram file (:func:`read_mag_prior`) or learnt from the
neighbourhoods (:func:`learn_mag_prior`), gathered by
:func:`survey_mag_priors`.  Field densities per X-ray source come from
:func:`field_densities` (``local``, ``catalogue`` or ``global``, the last over
the union of the search cones, :func:`union_area_arcsec2`).  The maths is in
:mod:`xrbvo.stages.match.engine`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Mapping

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.core.geometry import unit_vectors

__all__ = ["MagPrior", "read_mag_prior", "learn_mag_prior", "survey_mag_priors", "union_area_arcsec2",
           "global_density_counts", "field_densities"]


@dataclass(frozen=True)
class MagPrior:
    """A magnitude prior: ratio of counterpart to field magnitude densities per bin.

    Calling it with magnitudes returns their ratios (the factor by which a
    candidate's odds are multiplied).

    Parameters
    ----------
    edges : numpy.ndarray
        Bin edges (mag); bins are ``[edges[k], edges[k+1])`` with the last edge
        included in the last bin.
    ratio : numpy.ndarray
        ``len(edges)`` entries: one per bin and, last, the value for
        candidates without a measurement (NaN or -99).
    outside : float, optional
        Ratio of magnitudes outside the edges; None: the end bins' values.
    """

    edges: np.ndarray
    ratio: np.ndarray
    outside: float | None = None

    def __call__(self, mags: np.ndarray) -> np.ndarray:
        """Ratios of magnitudes ``mags`` (NaN or -99: not measured)."""
        mags = np.asarray(mags, dtype=float)
        mags = np.where(mags == -99, np.nan, mags)
        edges = np.asarray(self.edges, float)
        ratio = np.asarray(self.ratio, float)
        nb = len(edges) - 1
        raw = np.searchsorted(edges, mags, side="right") - 1
        idx = np.clip(raw, 0, nb - 1)
        out = ratio[np.where(np.isfinite(mags), idx, nb)]
        if self.outside is not None:
            beyond = np.isfinite(mags) & ((mags < edges[0]) | (mags > edges[-1]))
            out = np.where(beyond, self.outside, out)
        return out

    @classmethod
    def from_histograms(cls, lo, hi, selected, others) -> "MagPrior":
        """A prior from NWAY-style histograms.

        The ratio is ``selected / others`` (100 where ``others`` is empty, as
        NWAY does); values outside the bins and missing values get ratio 1.

        Parameters
        ----------
        lo, hi : array_like
            Lower and upper bin edges (mag); bins must be increasing and
            contiguous.
        selected, others : array_like
            Counterpart and field densities per bin.

        Returns
        -------
        MagPrior

        Raises
        ------
        InputError
            If the columns differ in length, are empty, or the bins are not
            increasing and contiguous.
        """
        lo, hi = np.atleast_1d(np.asarray(lo, float)), np.atleast_1d(np.asarray(hi, float))
        sel, oth = np.atleast_1d(np.asarray(selected, float)), np.atleast_1d(np.asarray(others, float))
        if not (len(lo) == len(hi) == len(sel) == len(oth)) or len(lo) == 0:
            raise InputError("magnitude histogram needs equally long, non-empty lo, hi, selected, others columns")
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(oth == 0, 100.0, sel / np.where(oth == 0, 1.0, oth))
        edges = np.append(lo, hi[-1])
        if np.any(np.diff(edges) <= 0):
            raise InputError("magnitude histogram bins must be increasing and contiguous")
        return cls(edges, np.append(r, 1.0), outside=1.0)



def read_mag_prior(path: str | os.PathLike) -> MagPrior:
    """Read an NWAY magnitude-histogram file (columns ``lo hi selected others``).

    This is the format ``nway.py --mag TABLE:COL auto`` writes to
    ``TABLE_COL_fit.txt`` and reads back with ``--mag TABLE:COL FILE``.

    Parameters
    ----------
    path : str or os.PathLike
        The text file.

    Returns
    -------
    MagPrior
        See :meth:`MagPrior.from_histograms`.

    Raises
    ------
    InputError
        If the file cannot be read or is not four numeric columns.
    """
    try:
        data = np.loadtxt(path, ndmin=2)
    except OSError as exc:
        raise InputError(f"cannot read magnitude prior file {os.fspath(path)!r}: {exc}; "
                         "give an existing text file with columns lo hi selected others") from exc
    except ValueError as exc:
        raise InputError(f"magnitude prior file {os.fspath(path)!r} is not four numeric columns "
                         f"(lo hi selected others): {exc}") from exc
    if data.shape[1] != 4:
        raise InputError(f"magnitude prior file {os.fspath(path)!r} has {data.shape[1]} columns; "
                         "expected 4 (lo hi selected others)")
    return MagPrior.from_histograms(*data.T)


def learn_mag_prior(mags: np.ndarray, sep_arcsec: np.ndarray, radius_arcsec: float, mag_radius_arcsec: float,
                    n_sources: int, *, bins: int = 12) -> MagPrior:
    """Learn a magnitude prior from candidates near and far from the X-ray sources.

    Candidates within ``mag_radius_arcsec`` hold the counterparts plus field
    sources; the field's share there is the outer candidates' histogram scaled
    by the area ratio.  The ratio of the (field-subtracted) inner density to the
    outer density is the prior; bins are quantiles of all magnitudes.  (NWAY
    takes the field from the whole catalogue; xrbvo only sees neighbourhoods.)

    Parameters
    ----------
    mags : numpy.ndarray
        Magnitudes of the candidates within ``radius_arcsec`` (NaN: none).
    sep_arcsec : numpy.ndarray
        Their separations from their X-ray sources, arcsec.
    radius_arcsec : float
        The search radius.
    mag_radius_arcsec : float
        Radius inside which candidates count as likely counterparts
        (``0 < mag_radius_arcsec < radius_arcsec``).
    n_sources : int
        Number of X-ray sources (not used by the estimate).
    bins : int, optional
        Number of quantile bins (fewer when magnitudes repeat).

    Returns
    -------
    MagPrior
        A flat prior (ratio 1) when fewer than 10 magnitudes are finite.

    Raises
    ------
    InputError
        If ``mag_radius_arcsec`` is not positive and smaller than the radius.
    """
    mags = np.asarray(mags, float)
    sep = np.asarray(sep_arcsec, float)
    if not 0 < mag_radius_arcsec < radius_arcsec:
        raise InputError("mag_radius_arcsec must be positive and smaller than the search radius")
    finite = np.isfinite(mags)
    if finite.sum() < 10:
        return MagPrior(np.array([0.0, 40.0]), np.ones(2))
    edges = np.unique(np.quantile(mags[finite], np.linspace(0, 1, bins + 1)))
    if len(edges) < 3:
        edges = np.array([mags[finite].min() - 0.5, np.median(mags[finite]), mags[finite].max() + 0.5])
    nb = len(edges) - 1

    def hist(sel):
        idx = np.clip(np.searchsorted(edges, mags[sel], side="right") - 1, 0, nb - 1)
        h = np.bincount(idx[np.isfinite(mags[sel])], minlength=nb).astype(float)
        return np.append(h, float(np.sum(~np.isfinite(mags[sel]))))

    inner = sep <= mag_radius_arcsec
    h_in, h_out = hist(inner), hist(~inner)
    area_ratio = mag_radius_arcsec**2 / (radius_arcsec**2 - mag_radius_arcsec**2)
    target = np.clip(h_in - h_out * area_ratio, 0.0, None) + 0.5  # +0.5: avoid empty bins
    fieldh = h_out + 0.5
    ratio = (target / target.sum()) / (fieldh / fieldh.sum())
    return MagPrior(edges, ratio)


def union_area_arcsec2(ra_deg, dec_deg, radius_arcsec: float, *, samples_per_cone: int = 64,
                       seed: int = 0) -> float:
    """Area of the union of equal cones, by sampling points in each cone.

    A point sampled in cone i counts only if no cone of lower index contains it,
    so overlaps are counted once.

    Parameters
    ----------
    ra_deg, dec_deg : array_like
        Cone centres, degrees.
    radius_arcsec : float
        Cone radius, arcsec.
    samples_per_cone : int, optional
        Random points drawn per cone.
    seed : int, optional
        Seed of the random points (the result is reproducible).

    Returns
    -------
    float
        The area, arcsec^2 (0 without cones).
    """
    from scipy.spatial import cKDTree  # here: importing scipy.spatial costs ~0.5 s and ~27 MB

    n = len(ra_deg)
    if n == 0:
        return 0.0
    rng = np.random.default_rng(seed)
    k = samples_per_cone
    rr = radius_arcsec * np.sqrt(rng.random((n, k)))
    th = rng.uniform(0, 2 * np.pi, (n, k))
    dec = np.asarray(dec_deg, float)[:, None] + rr * np.sin(th) / 3600.0
    ra = np.asarray(ra_deg, float)[:, None] + rr * np.cos(th) / 3600.0 / np.cos(np.radians(dec_deg))[:, None]
    v = unit_vectors(np.asarray(ra_deg, float), np.asarray(dec_deg, float))
    tree = cKDTree(v)
    chord = 2 * np.sin(np.radians(radius_arcsec / 3600.0) / 2)
    pts = unit_vectors(ra.ravel(), dec.ravel())
    owner = np.repeat(np.arange(n), k)
    kq = min(8, n)
    d, j = tree.query(pts, k=kq)
    d = d.reshape(len(pts), kq)
    j = j.reshape(len(pts), kq)
    inside_lower = ((d <= chord) & (j < owner[:, None])).any(axis=1)
    frac = 1.0 - inside_lower.reshape(n, k).mean(axis=1)
    return float(np.sum(math.pi * radius_arcsec**2 * frac))


def global_density_counts(nid, inside: np.ndarray, ra_deg, dec_deg, radius: float) -> tuple[int, float]:
    """What ``density="global"`` measures: unique candidates within ``radius``, and the searched area.

    Parameters
    ----------
    nid : array_like
        Identifier of each neighbourhood row.
    inside : numpy.ndarray
        Rows within ``radius``.
    ra_deg, dec_deg : array_like
        X-ray positions (the cone centres), degrees, in input order.
    radius : float
        The search radius, arcsec.

    Returns
    -------
    n_unique, area_arcsec2 : int, float
        The count, and the area of the union of the search cones
        (:func:`union_area_arcsec2`).
    """
    return len(np.unique(np.asarray(nid)[inside])), union_area_arcsec2(ra_deg, dec_deg, radius)


def field_densities(mode: str, survey: str, *, src: np.ndarray, sep: np.ndarray, nid, inside: np.ndarray,
                    n_src: int, radius: float, pull_radius: float, annulus: tuple[float, float] | None,
                    catalogue_density: Mapping[str, tuple[float, float]], ra_deg: np.ndarray,
                    dec_deg: np.ndarray, measured: tuple[int, float] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Field density ``nu`` of a survey and NWAY's ``nu+`` (one more source), per X-ray source.

    Parameters
    ----------
    mode : str
        ``local`` (annulus per source), ``catalogue`` (``n / area`` given) or
        anything else for ``global`` (unique candidates within ``radius`` over
        the area of the union of the search cones).
    survey : str
        The survey's name (for ``catalogue_density`` and messages).
    src : numpy.ndarray
        X-ray source index of each neighbourhood row.
    sep : numpy.ndarray
        Separation of each neighbourhood row from its source, arcsec.
    nid : array_like
        Identifier of each neighbourhood row (``global``).
    inside : numpy.ndarray
        Rows within ``radius`` (``global``).
    n_src : int
        Number of X-ray sources.
    radius : float
        The search radius, arcsec.
    pull_radius : float
        Radius the neighbourhood was pulled to, arcsec (``local``).
    annulus : tuple of float or None
        Inner and outer radius of the local annulus, arcsec; None:
        ``(radius, pull_radius)``.
    catalogue_density : Mapping
        Survey -> (number of sources, area in deg^2) (``catalogue``).
    ra_deg, dec_deg : numpy.ndarray
        X-ray positions, degrees (``global``).
    measured : tuple of (int, float), optional
        ``global``: the unique candidates and the area (arcsec^2) measured on
        a larger set of sources (:func:`global_density_counts`), used instead
        of this call's own.

    Returns
    -------
    nu, nu_plus : numpy.ndarray
        Densities per source, arcsec^-2.

    Raises
    ------
    InputError
        If the annulus reaches beyond the pull radius or is empty, or the
        catalogue density is not (n_sources >= 0, area_deg2 > 0).
    """
    if mode == "local":
        inner, outer = annulus or (radius, pull_radius)
        if outer > pull_radius + 1e-9 or outer <= inner:
            raise InputError(f"local density annulus ({inner}, {outer}) arcsec needs neighbourhoods "
                             f"pulled to at least {outer} arcsec (got {pull_radius}); pull wider or "
                             "set local_annulus_arcsec")
        ann = (sep > inner) & (sep <= outer)
        counts = np.bincount(src[ann], minlength=n_src).astype(float)
        area = math.pi * (outer**2 - inner**2)
        nu, nu_plus = counts / area, (counts + 1.0) / area
    elif mode == "catalogue":
        n_cat, area_deg2 = catalogue_density[survey]
        area = float(area_deg2) * 3600.0**2
        if not (area > 0 and n_cat >= 0):
            raise InputError(f"catalogue_density of {survey} must be (n_sources >= 0, area_deg2 > 0)")
        nu, nu_plus = np.full(n_src, n_cat / area), np.full(n_src, (n_cat + 1.0) / area)
    else:
        uniq, area = measured if measured is not None else global_density_counts(nid, inside, ra_deg, dec_deg,
                                                                                  radius)
        nu = np.full(n_src, uniq / max(area, 1e-300))
        nu_plus = np.full(n_src, (uniq + 1.0) / max(area, 1e-300))
    return nu, nu_plus


def survey_mag_priors(mag_priors: Mapping[tuple[str, str], MagPrior | str | os.PathLike], survey: str, nb: Table,
                      *, inside: np.ndarray, sep: np.ndarray, radius: float, mag_radius_arcsec: float,
                      n_src: int, bins: int) -> list[tuple[str, MagPrior]]:
    """The magnitude priors of one survey, read or learnt.

    Parameters
    ----------
    mag_priors : Mapping
        (survey, band) -> a :class:`MagPrior`, a path to an NWAY histogram
        file, or ``"auto"``; entries of other surveys are skipped.
    survey : str
        The survey.
    nb : astropy.table.Table
        Its neighbourhood table (holds the band columns).
    inside : numpy.ndarray
        Rows of ``nb`` within ``radius`` (those learn an ``"auto"`` prior).
    sep : numpy.ndarray
        Separation of each row of ``nb`` from its X-ray source, arcsec.
    radius, mag_radius_arcsec : float
        Search radius and the radius of likely counterparts, arcsec.
    n_src : int
        Number of X-ray sources.
    bins : int
        Number of bins of a learnt prior.

    Returns
    -------
    list of (str, MagPrior)
        (band, prior) in the order of ``mag_priors``.

    Raises
    ------
    InputError
        If a band is not a column of ``nb``, or a file cannot be read.
    """
    priors = []
    for (ps, band), prior in mag_priors.items():
        if ps != survey:
            continue
        if band not in nb.colnames:
            raise InputError(f"magnitude prior for {survey}:{band}: the {survey} neighbourhood has no {band!r} column")
        if isinstance(prior, (str, os.PathLike)):
            if prior == "auto":
                prior = learn_mag_prior(np.asarray(nb[band], float)[inside], sep[inside], radius,
                                        mag_radius_arcsec, n_src, bins=bins)
            else:
                prior = read_mag_prior(prior)
        priors.append((band, prior))
    return priors
