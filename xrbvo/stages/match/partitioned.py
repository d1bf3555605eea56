"""The association split into partitions: the global numbers first, then each partition alone.

The Bayesian association of one X-ray source depends on the other sources
only through two global numbers of each survey: the field density (with the
default ``density="global"``, the unique candidates within the radius over the
union of all search cones) and the magnitude priors learnt from all candidates
(``"auto"``).  :func:`partition_statistics` collects what each partition
contributes, :func:`fixed_config` turns the collected parts into a
:class:`BayesConfig` whose densities (``density="catalogue"``) and magnitude
priors are fixed, and with it every partition's association gives the same
``p_any`` and ``p_i`` as one association of all sources (to rounding).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np
from astropy.table import Table

from xrbvo.stages.match.engine import BayesConfig
from xrbvo.stages.match.priors import learn_mag_prior, union_area_arcsec2

__all__ = ["PartitionStatistics", "partition_statistics", "fixed_config"]


@dataclass(frozen=True)
class PartitionStatistics:
    """What one partition contributes to the association's global numbers.

    Parameters
    ----------
    nids : Mapping[str, numpy.ndarray], optional
        Survey -> unique identifiers of its candidates within the radius.
    mags : Mapping[tuple[str, str], tuple[numpy.ndarray, numpy.ndarray]], optional
        (survey, band) of an ``"auto"`` magnitude prior -> (magnitudes, separations in arcsec) within
        the radius.
    """

    nids: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Survey -> unique identifiers of its candidates within the radius."""
    mags: Mapping[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    """(survey, band) of an ``"auto"`` magnitude prior -> (magnitudes, separations in arcsec) within the radius."""


def partition_statistics(neighbourhoods: Mapping[str, Table], radius_arcsec: float, config: BayesConfig, *,
                         learn_priors: bool = True) -> PartitionStatistics:
    """A partition's share of the global numbers (:class:`PartitionStatistics`).

    Parameters
    ----------
    neighbourhoods : mapping
        Survey -> neighbourhood table of the partition's sources.
    radius_arcsec : float
        The association radius (candidates at or beyond it are ignored, as the engine does).
    config : BayesConfig
        The association options (which magnitude priors are ``"auto"``).
    learn_priors : bool
        Collect the magnitudes of ``"auto"`` priors (False when the association is positional only).

    Returns
    -------
    PartitionStatistics
        A partition's share of the global numbers (:class:`PartitionStatistics`).
    """
    nids, mags = {}, {}
    for s, nb in neighbourhoods.items():
        inside = np.asarray(nb["sep"], float) < radius_arcsec
        nids[s] = np.unique(np.asarray(nb["nid"]).astype(str)[inside])
        if learn_priors:
            for (ps, band), prior in config.mag_priors.items():
                if ps == s and isinstance(prior, str) and prior == "auto" and band in nb.colnames:
                    mags[(s, band)] = (np.asarray(nb[band], float)[inside], np.asarray(nb["sep"], float)[inside])
    return PartitionStatistics(nids, mags)


def fixed_config(config: BayesConfig, parts: Sequence[PartitionStatistics], xray_ra_deg, xray_dec_deg,
                 radius_arcsec: float, surveys: Sequence[str]) -> BayesConfig:
    """The association options with the global numbers of all partitions fixed.

    ``density="global"`` becomes ``density="catalogue"`` with each survey's
    unique candidates over the union of the cones of *all* X-ray sources
    (``xray_ra_deg``, ``xray_dec_deg``, in the input order, as the engine
    computes it); ``"auto"`` magnitude priors become the priors learnt from
    all partitions' candidates.  Other densities are per source or already
    global and stay as they are.

    Parameters
    ----------
    config : BayesConfig
        The options.
    parts : sequence of PartitionStatistics
        The statistics of every partition.
    xray_ra_deg : array
        Right ascension of every X-ray source of the run, degrees.
    xray_dec_deg : array
        Declination of every X-ray source of the run, degrees.
    radius_arcsec : float
        Search radius, arcsec.
    surveys : Sequence[str]
        The surveys being associated.

    Returns
    -------
    BayesConfig
        The association options with the global numbers of all partitions fixed.
    """
    cfg = config
    if cfg.density == "global":
        area = union_area_arcsec2(np.asarray(xray_ra_deg, float), np.asarray(xray_dec_deg, float), radius_arcsec)
        dens = {}
        for s in surveys:
            arrays = [p.nids[s] for p in parts if s in p.nids]
            uniq = len(np.unique(np.concatenate(arrays))) if arrays else 0
            dens[s] = (float(uniq), max(area, 1e-300) / 3600.0**2)
        cfg = replace(cfg, density="catalogue", catalogue_density=dens)
    learnt = dict(cfg.mag_priors)
    for key, prior in cfg.mag_priors.items():
        if isinstance(prior, str) and prior == "auto":
            got = [p.mags[key] for p in parts if key in p.mags]
            if not got:
                continue
            m = np.concatenate([g[0] for g in got])
            sep = np.concatenate([g[1] for g in got])
            learnt[key] = learn_mag_prior(m, sep, radius_arcsec, cfg.mag_radius_arcsec, 0, bins=cfg.mag_bins)
    return replace(cfg, mag_priors=learnt)
