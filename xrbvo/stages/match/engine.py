"""NWAY-style Bayesian association (Budavári & Szalay 2008; Salvato et al. 2018).

The maths, in the units used throughout (positions in arcsec on the tangent
plane of the X-ray source, Bayes factors in sr, ``K`` = arcsec^2 per sr):

Positional Bayes factor
    For members with positions ``x_i`` and 2x2 covariances ``S_i`` (circular:
    ``sigma_i**2 * I``; elliptical: from the axes ``a, b`` and the position
    angle east of north; a per-survey systematic floor is added in quadrature)
    the n-way Bayes factor of Budavári & Szalay (2008, eq. 18, generalised to
    full covariances) is built one member at a time: adding member ``k`` to a
    set whose weighted mean is ``m`` with covariance ``P`` multiplies it by the
    two-way factor ``F = 2 K / sqrt(det C) * exp(-d' C^-1 d / 2)``, ``C = P +
    S_k``, ``d = x_k - m`` (then ``P <- P - P C^-1 P``, ``m <- m + P C^-1 d``).
    The product does not depend on the order and equals eq. 18 for circular
    errors.  ``ellipse="nway"`` instead reproduces NWAY's approximation for
    elliptical errors (circularised errors, pairwise separations rescaled by the
    errors along the separation).

Priors (``prior_mode="nway"``, the default)
    A combination holding the surveys ``S`` has prior ``prod_{j in S} c_j /
    (4 pi nu+_j)`` with ``c_j`` the survey's completeness and ``nu+_j = (n_j +
    1) / area`` its density "plus one" (NWAY's definition); the
    no-counterpart combination has prior 1.  Odds are ``B * prior * ratios``,
    ``p_any = 1 - O_none / sum(O)``, ``p_i = O / sum(O over combinations with
    a counterpart)``, ``dist_post`` and ``p_single`` are Budavári & Szalay's
    posterior ``1 / (1 + (1 - prior) / (prior * B))`` without and with the
    magnitude ratios.  ``prior_mode="independent"`` treats the surveys'
    detections as independent: the odds of ``S`` against no counterpart carry
    ``c_j / (1 - c_j)`` per member instead of ``c_j``.

Multi-catalogue correction (``unrelated_correction``, NWAY's default)
    A combination that leaves out two or more surveys has its Bayes factor
    multiplied by ``max(1, max_A B_A nu_{A0} / prod_{a in A} 4 pi nu+_a)`` over
    the tuples ``A`` of two or more candidates from the left-out surveys (the
    chance that those are one unrelated object), as NWAY does.

Densities
    ``catalogue``: ``n / area`` given per survey (what NWAY does with the
    catalogue's length and SKYAREA); ``global``: unique candidates within the
    radius over the area of the union of the search cones (what was actually
    searched); ``local``: candidates counted in an annulus around each source,
    for fields where the density changes on sub-degree scales.

Magnitude priors
    Per (survey, band): a :class:`MagPrior` (ratio of counterpart to field
    densities per bin), a path to an NWAY histogram file (``lo hi selected
    others`` per line), or ``"auto"`` to learn one from candidates within
    ``mag_radius_arcsec`` against the field outside it.  A neighbourhood column
    can also be named as a per-candidate likelihood ratio (``ratio_columns``).

Combinatorics and the pruning bound
    Combinations are grown survey by survey for all sources of a chunk at
    once (numpy, no per-source loop).  A new member whose factor
    ``F * pi_k`` (``pi_k`` its prior odds factor and ratios) falls below
    ``prune_threshold`` ends that branch.  Any later member ``k'`` can
    multiply the odds by at most ``U_k' = 2 K / sqrt(det S_k') * pi_k'``
    (because ``det C >= det S_k'``), so the dropped branch, with all its
    completions, holds at most ``O_dropped * prod_{later surveys l} (1 +
    sum_{k' in l} U_k') * exp(max correction)``.  The sum of these bounds over a
    source, divided by the source's retained odds, is reported as
    ``pruned_mass``: ``p_any`` and ``p_any * p_i`` of every kept combination
    differ from the unpruned values by at most ``pruned_mass``.  With
    ``prune_threshold=0`` (or ``ellipse="nway"``, whose approximation the bound
    does not cover) nothing is pruned.  The same bound covers candidates
    removed by ``max_candidates``.  Combinations whose members are not all
    within ``radius`` of each other are not considered (``pairwise_radius``,
    as NWAY does), which is a definition, not an approximation.

Where it lives
    This module holds the options (:class:`BayesConfig`) and the engine
    (:class:`BayesianAssociator`: candidates per survey, chunks of sources);
    :mod:`~xrbvo.stages.match.geometry` the tangent-plane offsets and
    covariances, :mod:`~xrbvo.stages.match.priors` the magnitude priors and
    densities, :mod:`~xrbvo.stages.match.combine` the combination tree and the
    multi-catalogue correction, :mod:`~xrbvo.stages.match.scoring` the
    probabilities and :mod:`~xrbvo.stages.match.tables` the output tables.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from xrbvo.core.errors import InputError
from xrbvo.core.surveys import COMPLETENESS, SECONDARY_SURVEYS, SURVEYS
from xrbvo.stages.match.arrays import group_starts, seg_max, zeros
from xrbvo.stages.match.base import AssociationInput, AssociationResult, Associator
from xrbvo.stages.match.combine import LN_2K, grow, nway_ellipse_ln_b, root, unrelated_correction
from xrbvo.stages.match.geometry import ARCSEC2_PER_SR, covariances, tangent_offsets
from xrbvo.stages.match.parallel import ordered_map
from xrbvo.stages.match.priors import MagPrior, field_densities, survey_mag_priors
from xrbvo.stages.match.scoring import score_chunk
from xrbvo.stages.match.tables import result_tables

__all__ = ["BayesConfig", "BayesianAssociator"]

_BLOCK = 1 << 17  # candidates per block of per-candidate arithmetic (keeps temporaries in cache)


@dataclass(frozen=True)
class BayesConfig:
    """Options of the Bayesian association (the maths: :mod:`xrbvo.stages.match.engine`).

    Each field is documented below it; all have defaults.

    Parameters
    ----------
    completeness : Mapping[str, float], optional
        Per survey: probability that an X-ray source's counterpart is in it (0.8 if absent).
    prior_mode : str, optional
        ``nway`` (NWAY's priors) or ``independent`` (independent per-survey detection).
    density : str, optional
        ``global`` (union of the search cones), ``local`` (annulus per source) or ``catalogue``.
    catalogue_density : Mapping[str, tuple[float, float]], optional
        Survey -> (number of sources, area in deg^2) for ``density="catalogue"`` (NWAY's SKYAREA).
    global_counts : Mapping[str, tuple[int, float]], optional
        Survey -> (unique candidates within the radius, area of the union of the search cones in
        arcsec^2) for ``density="global"``, measured on a larger run than this call's sources
        (:func:`~xrbvo.stages.match.priors.global_density_counts`); a survey not named is measured here.
        A tiled run (:mod:`xrbvo.workflows.tiles`) measures them once on its whole input, so that each
        tile's association equals the whole run's.
    local_annulus_arcsec : tuple[float, float], optional
        Annulus (inner, outer) for local densities; outer must not exceed the pull radius. Default:
        (radius, pull radius of the neighbourhood table).
    mag_priors : Mapping[tuple[str, str], MagPrior | str], optional
        (survey, band) -> a :class:`MagPrior`, a path to an NWAY histogram file, or ``"auto"``.
    mag_radius_arcsec : float, optional
        Radius inside which candidates count as likely counterparts when learning priors.
    mag_bins : int, optional
        Number of magnitude bins of the learnt magnitude priors.
    ratio_columns : Mapping[str, str], optional
        Survey -> neighbourhood column whose values multiply a candidate's odds (a likelihood ratio).
    systematic_arcsec : Mapping[str, float], optional
        Survey (or ``"xray"``) -> systematic error floor (arcsec per axis) added in quadrature.
    ellipse_columns : tuple[str, str, str], optional
        Columns (1-sigma semi-major, semi-minor axis in arcsec, PA in deg east of north) used when
        present.
    ellipse : str, optional
        ``exact`` Gaussian Bayes factor for elliptical errors, or ``nway`` (NWAY's approximation).
    propagate_proper_motion : bool, optional
        Move candidates with ``pmra``/``pmdec`` to the X-ray epoch when both epochs are known.
    xray_epoch : float, optional
        X-ray epoch (Julian year) when the X-ray table has no ``epoch`` column.
    pairwise_radius : bool, optional
        Consider only combinations whose members are all within the radius of each other (NWAY).
    unrelated_correction : bool, optional
        NWAY's correction for combinations that leave out two or more surveys.
    prune_threshold : float, optional
        Drop a branch when a member's odds factor falls below this (0: exhaustive).
    max_candidates : int, optional
        Candidates kept per survey and source (highest two-way odds first); None keeps all.
    max_combinations : int, optional
        Combinations grown per chunk (bounds memory).
    prob_ratio_secondary : float, optional
        ``match_flag`` 2 for combinations with ``p_i`` above this fraction of the best.
    workers : int, optional
        Threads sharing the candidate blocks and the chunks (numpy releases the GIL in its loops); None:
        one per CPU core. Results do not depend on it. Pays only on idle cores: on a machine whose cores
        are busy with other work, threads slow the association down.
    """

    completeness: Mapping[str, float] = field(default_factory=lambda: {s: COMPLETENESS[s] for s in SECONDARY_SURVEYS})
    """Per survey: probability that an X-ray source's counterpart is in it (the survey's record's
    :attr:`~xrbvo.core.surveys.Survey.completeness` if absent, 0.8 for a survey the registry lacks)."""
    prior_mode: str = "nway"
    """``nway`` (NWAY's priors) or ``independent`` (independent per-survey detection)."""
    density: str = "global"
    """``global`` (union of the search cones), ``local`` (annulus per source) or ``catalogue``."""
    catalogue_density: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """Survey -> (number of sources, area in deg^2) for ``density="catalogue"`` (NWAY's SKYAREA)."""
    global_counts: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    """Survey -> (unique candidates within the radius, area of the union of the search cones in arcsec^2)
    for ``density="global"``, measured on a larger run than this call's sources
    (:func:`~xrbvo.stages.match.priors.global_density_counts`); a survey not named is measured here.  A
    tiled run (:mod:`xrbvo.workflows.tiles`) measures them once on its whole input, so that each tile's
    association equals the whole run's."""
    local_annulus_arcsec: tuple[float, float] | None = None
    """Annulus (inner, outer) for local densities; outer must not exceed the pull radius.
    Default: (radius, pull radius of the neighbourhood table)."""
    mag_priors: Mapping[tuple[str, str], MagPrior | str] = field(default_factory=dict)
    """(survey, band) -> a :class:`MagPrior`, a path to an NWAY histogram file, or ``"auto"``."""
    mag_radius_arcsec: float = 3.5
    """Radius inside which candidates count as likely counterparts when learning priors."""
    mag_bins: int = 12
    ratio_columns: Mapping[str, str] = field(default_factory=dict)
    """Survey -> neighbourhood column whose values multiply a candidate's odds (a likelihood ratio)."""
    systematic_arcsec: Mapping[str, float] = field(default_factory=dict)
    """Survey (or ``"xray"``) -> systematic error floor (arcsec per axis) added in quadrature."""
    ellipse_columns: tuple[str, str, str] = ("err_maj", "err_min", "err_pa")
    """Columns (1-sigma semi-major, semi-minor axis in arcsec, PA in deg east of north) used when present."""
    ellipse: str = "exact"
    """``exact`` Gaussian Bayes factor for elliptical errors, or ``nway`` (NWAY's approximation)."""
    propagate_proper_motion: bool = True
    """Move candidates with ``pmra``/``pmdec`` to the X-ray epoch when both epochs are known."""
    xray_epoch: float | None = None
    """X-ray epoch (Julian year) when the X-ray table has no ``epoch`` column."""
    pairwise_radius: bool = True
    """Consider only combinations whose members are all within the radius of each other (NWAY)."""
    unrelated_correction: bool = True
    """NWAY's correction for combinations that leave out two or more surveys."""
    prune_threshold: float = 1e-9
    """Drop a branch when a member's odds factor falls below this (0: exhaustive)."""
    max_candidates: int | None = None
    """Candidates kept per survey and source (highest two-way odds first); None keeps all."""
    max_combinations: int = 250_000
    """Combinations grown per chunk (bounds memory)."""
    prob_ratio_secondary: float = 0.5
    """``match_flag`` 2 for combinations with ``p_i`` above this fraction of the best."""
    workers: int | None = 1
    """Threads sharing the candidate blocks and the chunks (numpy releases the GIL in its loops);
    None: one per CPU core.  Results do not depend on it.  Pays only on idle cores: on a
    machine whose cores are busy with other work, threads slow the association down."""


class BayesianAssociator(Associator):
    """The Bayesian association engine (see :mod:`xrbvo.stages.match.engine` for the maths).

    Parameters
    ----------
    config : BayesConfig, optional
        The options; None: the defaults.
    """

    def __init__(self, config: BayesConfig | None = None):
        self.config = config or BayesConfig()

    def validate(self, inputs: AssociationInput) -> None:
        """Check the inputs and the options before any heavy work.

        Parameters
        ----------
        inputs : AssociationInput
            The X-ray sources and the neighbourhoods.

        Raises
        ------
        InputError
            If an option is out of range or a positional error is not finite
            and positive.
        MissingColumnError
            If a required column is missing.
        """
        super().validate(inputs)
        cfg = self.config
        if cfg.density not in ("global", "local", "catalogue"):
            raise InputError(f"density must be 'global', 'local' or 'catalogue', not {cfg.density!r}")
        if cfg.prior_mode not in ("nway", "independent"):
            raise InputError(f"prior_mode must be 'nway' or 'independent', not {cfg.prior_mode!r}")
        if cfg.ellipse not in ("exact", "nway"):
            raise InputError(f"ellipse must be 'exact' or 'nway', not {cfg.ellipse!r}")
        for s, c in cfg.completeness.items():
            if not 0.0 < c < 1.0:
                raise InputError(f"completeness of {s} must be strictly between 0 and 1, not {c}")
        if cfg.workers is not None and (not isinstance(cfg.workers, int) or cfg.workers < 1):
            raise InputError(f"workers must be a positive integer (or None for one per CPU core), not {cfg.workers!r}")
        if cfg.max_candidates is not None and cfg.max_candidates < 1:
            raise InputError("max_candidates must be at least 1 (or None to keep all)")
        if not cfg.prune_threshold >= 0:
            raise InputError("prune_threshold must be >= 0 (0 disables pruning)")
        if cfg.density == "catalogue":
            missing = [s for s in inputs.neighbourhoods if s not in cfg.catalogue_density]
            if missing:
                raise InputError(f"density='catalogue' needs catalogue_density (n_sources, area_deg2) for "
                                 f"{', '.join(missing)}")
        for s, sysf in cfg.systematic_arcsec.items():
            if not sysf >= 0:
                raise InputError(f"systematic error floor of {s} must be >= 0 arcsec, not {sysf}")
        for name in ("xray",):
            pe = np.asarray(inputs.xray["pos_err"], float)
            if len(pe) and not np.all(np.isfinite(pe) & (pe > 0)):
                raise InputError(f"{name} pos_err must be finite and positive; fix or drop those rows")
        for s, nb in inputs.neighbourhoods.items():
            pe = np.asarray(nb["pos_err"], float)
            if len(pe) and not np.all(np.isfinite(pe) & (pe > 0)):
                raise InputError(f"pos_err of the {s} neighbourhood must be finite and positive")

    def _workers(self) -> int:
        """Number of threads (``workers``, None: one per CPU core)."""
        w = self.config.workers
        return max(1, os.cpu_count() or 1) if w is None else w

    # ------------------------------------------------------------------------------
    def perform(self, inputs: AssociationInput, *, progress: Callable[[str, float], None] | None = None,
                cancel: threading.Event | None = None) -> AssociationResult:
        """Associate the X-ray sources with their neighbours.

        Parameters
        ----------
        inputs : AssociationInput
            The X-ray sources and one neighbourhood table per survey
            (validated by :meth:`validate`).
        progress : callable, optional
            ``progress(message, fraction)``, called from the calling thread.
        cancel : threading.Event, optional
            Set it to stop; :class:`~xrbvo.core.errors.Cancelled` is raised.

        Returns
        -------
        AssociationResult
            The per-combination and per-source tables.
        """
        cfg = self.config
        xr = inputs.xray
        n_src = len(xr)
        radius = float(inputs.radius_arcsec)
        surveys = tuple(s for s in SECONDARY_SURVEYS if s in inputs.neighbourhoods) + tuple(
            s for s in inputs.neighbourhoods if s not in SECONDARY_SURVEYS)
        x_ra = np.asarray(xr["ra"], float)
        x_dec = np.asarray(xr["dec"], float)
        xcov = covariances(xr, slice(None), cfg.ellipse_columns, cfg.systematic_arcsec.get("xray", 0.0))
        if "epoch" in xr.colnames:
            x_epoch = np.asarray(xr["epoch"], float)
        else:
            x_epoch = np.full(n_src, np.nan if cfg.xray_epoch is None else float(cfg.xray_epoch))

        per = [self._survey(s, inputs.neighbourhoods[s], xr, x_ra, x_dec, x_epoch, radius, n_src)
               for s in surveys]
        if progress:
            progress("association: candidates", 0.1)

        # per source: bound on how much later surveys can multiply a branch's odds (log)
        ns = len(per)
        ln_after = np.zeros((ns + 1, n_src))
        for j in range(ns - 1, -1, -1):
            ln_after[j] = ln_after[j + 1] + np.log1p(per[j]["u_sum"])
        cap_mass = np.zeros(n_src)
        for j, p in enumerate(per):
            # candidates removed by max_candidates: two-way odds times what all other surveys can add
            others = ln_after[0] - np.log1p(p["u_sum"])
            cap_mass += p["cap_odds"] * np.exp(np.minimum(others, 700.0))

        # chunks of sources whose (unpruned) growth fits in max_combinations
        growth = np.zeros(n_src)
        prod = np.ones(n_src)
        for p in per:
            prod = prod * (p["counts"] + 1.0)
            growth += prod
        cum = np.cumsum(growth)
        edges = [0]
        while edges[-1] < n_src:
            start = edges[-1]
            base = cum[start - 1] if start else 0.0
            end = int(np.searchsorted(cum, base + cfg.max_combinations, side="right"))
            edges.append(max(end, start + 1))
        if cfg.unrelated_correction and ns >= 2:
            for p in per:  # per source: the largest positional part of ln_u (bounds the correction tree)
                p["max_pos_u"] = seg_max(p["ln_u"] - p["ln_pi"], p["starts"], len(p["counts"]))

        def done(ab):
            if progress:
                progress("association: combinations", 0.1 + 0.8 * ab[1] / max(n_src, 1))

        parts = ordered_map(lambda ab: self._chunk(ab[0], ab[1], per, xcov, ln_after, radius, cap_mass),
                            list(zip(edges[:-1], edges[1:])), self._workers(), cancel=cancel, on_result=done)
        res = result_tables(xr, per, parts, n_src)
        if progress:
            progress("association: done", 1.0)
        return res


    def _survey(self, s, nb, xr, x_ra, x_dec, x_epoch, radius, n_src):
        """Candidates of one survey, sorted by source, with their covariances and prior odds."""
        cfg = self.config
        pull_radius = float(nb.meta.get("radius_arcsec", radius))
        xids = np.asarray(xr["xid"]).astype(str)
        order = np.argsort(xids, kind="stable")
        sorted_xids = xids[order]
        nb_x = np.asarray(nb["xid"])
        if nb_x.dtype.kind not in "U":
            nb_x = nb_x.astype(str)
        # neighbourhoods usually come grouped by source: match each run of equal ids once
        if len(nb_x):
            run_start = np.concatenate([[True], nb_x[1:] != nb_x[:-1]])
            run_ids = nb_x[run_start]
            pos = np.searchsorted(sorted_xids, run_ids)
            pos_c = np.minimum(pos, max(len(sorted_xids) - 1, 0))
            known = (len(sorted_xids) > 0) & (sorted_xids[pos_c] == run_ids)
            if not np.all(known):
                bad = run_ids[~known][0]
                raise InputError(f"{s} neighbourhood refers to X-ray source {bad!r}, which is not in the "
                                 "X-ray table")
            src_all = order[pos_c][np.cumsum(run_start) - 1]
        else:
            src_all = np.zeros(0, np.int64)
        sep_all = np.asarray(nb["sep"], float)
        inside = sep_all < radius
        c_j = float(cfg.completeness.get(s, COMPLETENESS.get(s, 0.8)))

        # densities nu, nu+ (arcsec^-2), per source
        nu, nu_plus = field_densities(cfg.density, s, src=src_all, sep=sep_all, nid=nb["nid"], inside=inside,
                                      n_src=n_src, radius=radius, pull_radius=pull_radius,
                                      annulus=cfg.local_annulus_arcsec, catalogue_density=cfg.catalogue_density,
                                      ra_deg=x_ra, dec_deg=x_dec, measured=cfg.global_counts.get(s))
        nu_plus_sr = nu_plus * ARCSEC2_PER_SR
        nu_sr = nu * ARCSEC2_PER_SR

        # magnitude priors and external ratios (learnt or read once, applied per block)
        priors = survey_mag_priors(cfg.mag_priors, s, nb, inside=inside, sep=sep_all, radius=radius,
                                   mag_radius_arcsec=cfg.mag_radius_arcsec, n_src=n_src, bins=cfg.mag_bins)
        ratio_col = cfg.ratio_columns.get(s)
        if ratio_col is not None and ratio_col not in nb.colnames:
            raise InputError(f"ratio column {ratio_col!r} not in the {s} neighbourhood table")
        ln_prior_src = math.log(c_j) - np.log(4.0 * math.pi * nu_plus_sr)
        if cfg.prior_mode == "independent":
            ln_prior_src = ln_prior_src - math.log1p(-c_j)
        pm = cfg.propagate_proper_motion and "pmra" in nb.colnames and "pmdec" in nb.colnames
        ep = nb.meta.get("epoch", SURVEYS[s].epoch if s in SURVEYS else None)
        nb_ra, nb_dec = np.asarray(nb["ra"], float), np.asarray(nb["dec"], float)
        xc_src = covariances(xr, slice(None), cfg.ellipse_columns, cfg.systematic_arcsec.get("xray", 0.0))

        def block(idx):
            """Per-candidate quantities of the neighbourhood rows ``idx`` (a cache-sized block)."""
            src = src_all[idx]
            dx, dy = tangent_offsets(x_ra, x_dec, nb_ra[idx], nb_dec[idx], owner=src)
            # proper motion to the X-ray epoch
            if pm:
                if "ref_epoch" in nb.colnames:
                    ep_arr = np.asarray(nb["ref_epoch"], float)[idx]
                else:
                    ep_arr = np.full(len(idx), np.nan if ep is None else float(ep))
                dt = x_epoch[src] - ep_arr
                pmra = np.asarray(nb["pmra"], float)[idx]
                pmdec = np.asarray(nb["pmdec"], float)[idx]
                ok = np.isfinite(dt) & np.isfinite(pmra) & np.isfinite(pmdec)
                dx = dx + np.where(ok, pmra * np.where(ok, dt, 0.0) / 1000.0, 0.0)
                dy = dy + np.where(ok, pmdec * np.where(ok, dt, 0.0) / 1000.0, 0.0)
                keep = dx**2 + dy**2 < radius**2
                idx, src, dx, dy = idx[keep], src[keep], dx[keep], dy[keep]
            sxx, sxy, syy = covariances(nb, idx, cfg.ellipse_columns, cfg.systematic_arcsec.get(s, 0.0))
            if priors or ratio_col is not None:
                ratio = np.ones(len(idx))
                for band, prior in priors:
                    ratio = ratio * prior(np.asarray(nb[band], float)[idx])
                if ratio_col is not None:
                    rc = np.asarray(nb[ratio_col], float)[idx]
                    if np.any(~np.isfinite(rc) | (rc < 0)):
                        raise InputError(f"ratio column {ratio_col!r} of {s} must be finite and non-negative")
                    ratio = ratio * rc
                with np.errstate(divide="ignore"):
                    ln_r = np.log(ratio)
                ln_pi = ln_prior_src[src] + ln_r
            else:  # log(1) = 0 exactly
                ln_r = None
                ln_pi = ln_prior_src[src]
            det = sxx * syy if sxy_zero else sxx * syy - sxy**2  # (minus 0.0 changes nothing)
            ln_u = LN_2K - 0.5 * np.log(det) + ln_pi  # bound on the factor this candidate can bring
            if cfg.max_candidates is None:
                ln_o2 = ln_u[:0]
            else:  # two-way odds, to rank the candidates
                cxx, cxy, cyy = xc_src[0][src] + sxx, xc_src[1][src] + sxy, xc_src[2][src] + syy
                cdet = cxx * cyy - cxy**2
                ln_o2 = (LN_2K - 0.5 * np.log(cdet) - 0.5 * (cyy * dx**2 - 2 * cxy * dx * dy + cxx * dy**2) / cdet
                         + ln_pi)
            if sxy_zero:  # circular: sxy is zero and syy is sxx (see covariances), neither is stored
                sxy = syy = None
            return idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u, ln_o2

        # without ellipse columns sxy is zero, without ratios ln_r is: neither is stored (None)
        sxy_zero = not all(c in nb.colnames for c in cfg.ellipse_columns)
        idx_all = np.nonzero(inside)[0]
        blocks = ordered_map(block, [idx_all[k:k + _BLOCK] for k in range(0, max(len(idx_all), 1), _BLOCK)],
                             self._workers())
        idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u, ln_o2 = (
            None if parts[0] is None else np.concatenate(parts) if len(blocks) > 1 else parts[0]
            for parts in zip(*blocks))

        # sort by source (then by two-way odds, best first), apply max_candidates
        if cfg.max_candidates is not None:
            key = np.lexsort((-ln_o2, src))
        elif np.all(src[1:] >= src[:-1]):
            key = slice(None)
        else:
            key = np.argsort(src, kind="stable")
        if not (isinstance(key, slice) and key == slice(None)):
            idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u = (
                None if a is None else a[key] for a in (idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u))
            ln_o2 = ln_o2[key] if len(ln_o2) else ln_o2
        counts = np.bincount(src, minlength=n_src)
        cap_odds = np.zeros(n_src)
        if cfg.max_candidates is not None:
            rank = np.arange(len(src)) - group_starts(counts)[src]
            keep = rank < cfg.max_candidates
            np.add.at(cap_odds, src[~keep], np.exp(np.minimum(ln_o2[~keep], 700.0)))
            idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u = (
                None if a is None else a[keep] for a in (idx, src, dx, dy, sxx, sxy, syy, ln_pi, ln_r, ln_u))
            counts = np.bincount(src, minlength=n_src)
        # (bincount adds in row order, as np.add.at does: the same sums, faster)
        u = np.minimum(ln_u, 700.0)
        u_sum = np.bincount(src, weights=np.exp(u, out=u), minlength=n_src).astype(float)
        del u
        n_c = len(src)
        return dict(name=s, nb=nb, src=src, row=idx, circular=sxy is None or not sxy.any(), dx=dx, dy=dy, sxx=sxx,
                    sxy=zeros(n_c) if sxy is None else sxy, syy=sxx if syy is None else syy, ln_pi=ln_pi,
                    ln_r=zeros(n_c) if ln_r is None else ln_r, ln_u=ln_u, counts=counts,
                    starts=group_starts(counts), u_sum=u_sum, cap_odds=cap_odds,
                    ln_nu=np.log(4 * math.pi * np.maximum(nu_sr, 1e-300)), ln_nu_plus=np.log(4 * math.pi * nu_plus_sr),
                    c=c_j, n_all=np.bincount(src_all if len(idx_all) == len(src_all) else src_all[inside],
                                             minlength=n_src))

    def _chunk(self, a, b, per, xcov, ln_after, radius, cap_mass):
        """Grow, correct and score the combinations of sources ``a:b`` (see :func:`score_chunk`)."""
        cfg = self.config
        n = b - a
        ns = len(per)
        # NWAY's elliptical approximation is not bounded by the exact factors: no pruning then
        prune = cfg.prune_threshold > 0 and cfg.ellipse == "exact"
        ln_thresh = math.log(cfg.prune_threshold) if prune else -np.inf
        pruned = np.zeros(n)
        nodes = root(a, b, xcov)
        for j, p in enumerate(per):
            nodes = grow(nodes, p, j, radius, per, ln_thresh, ln_after[j + 1], pruned, a,
                         pairwise_radius=cfg.pairwise_radius, last=j == ns - 1)

        # NWAY's correction for combinations leaving out two or more surveys
        corr = np.zeros(len(nodes.src))
        max_corr = np.zeros(n)
        if cfg.unrelated_correction and ns >= 2:
            # (n, 2**ns), ln units, >= 0
            best = unrelated_correction(a, b, per, radius, ellipse=cfg.ellipse, pairwise_radius=cfg.pairwise_radius)
            max_corr = best.max(axis=1)
            full = (1 << ns) - 1
            missing = full & ~nodes.mask
            nmiss = np.array([bin(m).count("1") for m in range(1 << ns)])[missing]
            corr = np.where(nmiss >= 2, best[nodes.src - a, missing], 0.0)
        if cfg.ellipse == "nway":
            nodes.ln_b = nway_ellipse_ln_b(nodes, per, xcov)
        return score_chunk(per, dict(src=nodes.src, ln_b=nodes.ln_b, ln_r=nodes.ln_r, mask=nodes.mask,
                                     choice=nodes.choice, corr=corr, pruned=pruned * np.exp(max_corr), a=a, b=b),
                           cap_mass, prior_mode=cfg.prior_mode, prob_ratio_secondary=cfg.prob_ratio_secondary)
