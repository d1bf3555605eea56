"""NWAY-style Bayesian association (Budavári & Szalay 2008; Salvato et al. 2018).

For an X-ray source and every combination of candidates from the secondary
surveys ("none" allowed per survey), with circular Gaussian errors
``sigma_i`` (weights ``w_i = 1 / sigma_i**2`` in sr^-1) and tangent-plane
positions ``r_i``, the positional Bayes factor of Budavári & Szalay (2008, eq.
18) is::

    B = 2**(n-1) * prod(w_i) / sum(w_i) * exp(-q / 2),
    q = sum_{i<j} w_i w_j |r_i - r_j|**2 / sum(w_i)
      = sum(w_i |r_i|**2) - |sum(w_i r_i)|**2 / sum(w_i)

(the closed form of the pairwise sum makes it one pass over the members).  The
prior of a combination that holds the surveys S is
``P = c_S / prod_{j in S} (4 pi nu_j)`` with ``nu_j`` the survey's sky density
(sr^-1) and ``c_S`` the probability that the counterpart is detected in exactly
the surveys S (independent per-survey completeness ``c_j``).  Odds against "no
counterpart in any survey" are ``w = B * P / c_none * prod(mag ratios)``;
``p_any = sum(w) / (1 + sum(w))`` and ``p_i = w / sum(w)`` over the source's
combinations.

Densities are either global (candidates over the union of the search cones,
not the survey area) or local (counted per source in an annulus).  Magnitude
priors are the ratio of the magnitude distribution of counterparts to that of
field sources, learnt from the data as NWAY's ``--mag ... auto`` does (sources
within ``mag_radius_arcsec`` minus the field expectation, versus sources
outside), or supplied as tables.

Everything is vectorised over sources and combinations and processed in chunks
of at most ``max_combinations`` combinations.  Candidates per survey and source
are pruned to the ``max_candidates`` with the highest two-way Bayes factor; the
probability mass a pruned candidate could carry is bounded by its two-way odds,
which is reported as ``pruned_mass`` per source.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
from astropy.table import Table
from scipy.spatial import cKDTree

from ..errors import InputError
from ..surveys import SECONDARY_SURVEYS
from .base import AssociationInput, AssociationResult, Associator

__all__ = ["MagPrior", "BayesConfig", "BayesianAssociator", "learn_mag_prior", "union_area_arcsec2"]

ARCSEC2_PER_SR = (180.0 * 3600.0 / math.pi) ** 2


@dataclass(frozen=True)
class MagPrior:
    """A magnitude prior: ratio of counterpart to field magnitude densities per bin.

    ``edges`` are bin edges (mag); ``ratio`` has ``len(edges) + 1`` entries: one
    per bin, values below the first and above the last edge use the end bins,
    and the last entry is for candidates without a measurement (NaN).
    """

    edges: np.ndarray
    ratio: np.ndarray

    def __call__(self, mags: np.ndarray) -> np.ndarray:
        mags = np.asarray(mags, dtype=float)
        nb = len(self.edges) - 1
        idx = np.clip(np.searchsorted(self.edges, mags, side="right") - 1, 0, nb - 1)
        idx = np.where(np.isfinite(mags), idx, nb)
        return self.ratio[idx]


@dataclass(frozen=True)
class BayesConfig:
    """Options of the Bayesian association."""

    completeness: Mapping[str, float] = field(default_factory=lambda: {"gaia": 0.8, "2mass": 0.6, "catwise": 0.8})
    """Per survey: probability that an X-ray source's counterpart is in it."""
    density: str = "global"
    """``global`` (union of the search cones) or ``local`` (annulus per source)."""
    local_annulus_arcsec: tuple[float, float] | None = None
    """Annulus (inner, outer) for local densities; outer must not exceed the pull radius.
    Default: (radius, pull radius of the neighbourhood table)."""
    mag_priors: Mapping[tuple[str, str], MagPrior | str] = field(default_factory=dict)
    """(survey, band) -> a :class:`MagPrior` or ``"auto"`` to learn it from the data."""
    mag_radius_arcsec: float = 3.5
    """Radius inside which candidates count as likely counterparts when learning priors."""
    mag_bins: int = 12
    ratio_columns: Mapping[str, str] = field(default_factory=dict)
    """Survey -> neighbourhood column whose values multiply a candidate's odds (a likelihood ratio)."""
    max_candidates: int = 10
    """Candidates kept per survey and source (highest two-way Bayes factor first)."""
    max_combinations: int = 2_000_000
    """Combinations evaluated per chunk (bounds memory)."""


def union_area_arcsec2(ra_deg, dec_deg, radius_arcsec: float, *, samples_per_cone: int = 64,
                       seed: int = 0) -> float:
    """Area of the union of equal cones (arcsec^2), by sampling points in each cone.

    A point sampled in cone i counts only if no cone of lower index contains it,
    so overlaps are counted once.
    """
    from ..providers.base import unit_vectors

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
    # nearest lower-index cone containing the point: query the few nearest cones
    kq = min(8, n)
    d, j = tree.query(pts, k=kq)
    d = d.reshape(len(pts), kq)
    j = j.reshape(len(pts), kq)
    inside_lower = ((d <= chord) & (j < owner[:, None])).any(axis=1)
    frac = 1.0 - inside_lower.reshape(n, k).mean(axis=1)
    return float(np.sum(math.pi * radius_arcsec**2 * frac))


def learn_mag_prior(mags: np.ndarray, sep_arcsec: np.ndarray, radius_arcsec: float, mag_radius_arcsec: float,
                    n_sources: int, *, bins: int = 12) -> MagPrior:
    """Learn a magnitude prior from candidates near and far from the X-ray sources.

    Candidates within ``mag_radius_arcsec`` hold the counterparts plus field
    sources; the field's share there is the outer candidates' histogram scaled
    by the area ratio.  The ratio of the (field-subtracted) inner density to the
    outer density is the prior; bins are quantiles of all magnitudes.
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


class BayesianAssociator(Associator):
    """The Bayesian association engine (see the module docstring for the maths)."""

    def __init__(self, config: BayesConfig | None = None):
        self.config = config or BayesConfig()

    def validate(self, inputs: AssociationInput) -> None:
        super().validate(inputs)
        cfg = self.config
        if cfg.density not in ("global", "local"):
            raise InputError(f"density must be 'global' or 'local', not {cfg.density!r}")
        for s, c in cfg.completeness.items():
            if not 0.0 < c < 1.0:
                raise InputError(f"completeness of {s} must be strictly between 0 and 1, not {c}")
        if cfg.max_candidates < 1:
            raise InputError("max_candidates must be at least 1")

    # ------------------------------------------------------------------------------
    def perform(self, inputs: AssociationInput, *, progress: Callable[[str, float], None] | None = None,
                cancel: threading.Event | None = None) -> AssociationResult:
        cfg = self.config
        xr = inputs.xray
        n_src = len(xr)
        radius = float(inputs.radius_arcsec)
        surveys = tuple(s for s in SECONDARY_SURVEYS if s in inputs.neighbourhoods) + tuple(
            s for s in inputs.neighbourhoods if s not in SECONDARY_SURVEYS)
        xids = np.asarray(xr["xid"]).astype(str)
        order = np.argsort(xids)
        sorted_xids = xids[order]
        x_ra = np.asarray(xr["ra"], float)
        x_dec = np.asarray(xr["dec"], float)
        x_w = ARCSEC2_PER_SR / np.asarray(xr["pos_err"], float) ** 2  # sr^-1 ... per arcsec^2 scaled

        per: list[dict] = []
        for s in surveys:
            nb = inputs.neighbourhoods[s]
            pull_radius = float(nb.meta.get("radius_arcsec", radius))
            src_all = order[np.searchsorted(sorted_xids, np.asarray(nb["xid"]).astype(str))] if len(nb) else \
                np.zeros(0, int)
            sep_all = np.asarray(nb["sep"], float)
            inside = sep_all <= radius
            # density (sr^-1), per source
            if cfg.density == "local":
                inner, outer = cfg.local_annulus_arcsec or (radius, pull_radius)
                if outer > pull_radius + 1e-9 or outer <= inner:
                    raise InputError(f"local density annulus ({inner}, {outer}) arcsec needs neighbourhoods "
                                     f"pulled to at least {outer} arcsec (got {pull_radius})")
                ann = (sep_all > inner) & (sep_all <= outer)
                counts = np.bincount(src_all[ann], minlength=n_src).astype(float)
                area = math.pi * (outer**2 - inner**2)
                nu_arcsec = (counts + 1.0) / area
            else:
                uniq = len(np.unique(np.asarray(nb["nid"])[inside]))
                area = union_area_arcsec2(x_ra, x_dec, radius)
                nu_arcsec = np.full(n_src, max(uniq, 1) / max(area, 1e-9))
            nu_sr = nu_arcsec * ARCSEC2_PER_SR
            # keep candidates within the radius
            idx = np.nonzero(inside)[0]
            src = src_all[idx]
            ra = np.asarray(nb["ra"], float)[idx]
            dec = np.asarray(nb["dec"], float)[idx]
            dra = ((ra - x_ra[src] + 180.0) % 360.0) - 180.0
            dx = dra * np.cos(np.radians(x_dec[src])) * 3600.0
            dy = (dec - x_dec[src]) * 3600.0
            w = ARCSEC2_PER_SR / np.asarray(nb["pos_err"], float)[idx] ** 2
            # two-way log Bayes factor, for pruning and for the report
            wx = x_w[src]
            ln_b2 = math.log(2.0) + np.log(w) + np.log(wx) - np.log(w + wx) - 0.5 * (w * wx / (w + wx)) * (
                (dx**2 + dy**2) / ARCSEC2_PER_SR)
            # magnitude priors and external ratios
            ratio = np.ones(len(idx))
            for (ps, band), prior in cfg.mag_priors.items():
                if ps != s or band not in nb.colnames:
                    continue
                if isinstance(prior, str):
                    if prior != "auto":
                        raise InputError(f"magnitude prior for {ps}:{band} must be a MagPrior or 'auto'")
                    prior = learn_mag_prior(np.asarray(nb[band], float)[inside], sep_all[inside], radius,
                                            cfg.mag_radius_arcsec, n_src, bins=cfg.mag_bins)
                ratio = ratio * prior(np.asarray(nb[band], float)[idx])
            if s in cfg.ratio_columns:
                col = cfg.ratio_columns[s]
                if col not in nb.colnames:
                    raise InputError(f"ratio column {col!r} not in the {s} neighbourhood table")
                ratio = ratio * np.asarray(nb[col], float)[idx]
            # prune: top max_candidates by ln_b2 per source
            key = np.lexsort((-ln_b2, src))
            src, idx, dx, dy, w, ln_b2, ratio = (a[key] for a in (src, idx, dx, dy, w, ln_b2, ratio))
            counts = np.bincount(src, minlength=n_src)
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            rank = np.arange(len(src)) - starts[src]
            keep = rank < cfg.max_candidates
            c_j = float(cfg.completeness.get(s, 0.8))
            lodds2 = ln_b2 + math.log(c_j / (1 - c_j)) - np.log(4 * math.pi * nu_sr[src]) + np.log(ratio)
            pruned = np.zeros(n_src)
            np.add.at(pruned, src[~keep], np.exp(np.clip(lodds2[~keep], -700, 700)))
            src, idx, dx, dy, w, ratio = (a[keep] for a in (src, idx, dx, dy, w, ratio))
            counts = np.bincount(src, minlength=n_src)
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            per.append(dict(name=s, src=src, row=idx, dx=dx, dy=dy, w=w, ratio=ratio, counts=counts,
                            starts=starts, nu=nu_sr, c=c_j, pruned=pruned, nb=nb,
                            n_all=np.bincount(src_all[inside], minlength=n_src)))
        if progress:
            progress("association: candidates", 0.2)

        m = np.stack([p["counts"] + 1 for p in per], axis=0) if per else np.ones((0, n_src), int)
        total = np.prod(m, axis=0) if per else np.ones(n_src, int)
        c_none = float(np.prod([1.0 - p["c"] for p in per])) if per else 1.0

        # chunks of sources whose combinations fit in max_combinations
        cum = np.cumsum(total)
        chunk_edges = [0]
        while chunk_edges[-1] < n_src:
            start = chunk_edges[-1]
            base = cum[start - 1] if start else 0
            end = int(np.searchsorted(cum, base + cfg.max_combinations, side="right"))
            chunk_edges.append(max(end, start + 1))
        out_parts = []
        for ci in range(len(chunk_edges) - 1):
            if cancel is not None and cancel.is_set():
                raise InputError("association cancelled")
            a, b = chunk_edges[ci], chunk_edges[ci + 1]
            out_parts.append(self._combinations(a, b, total, m, per, x_w, c_none))
            if progress:
                progress("association: combinations", 0.2 + 0.8 * b / n_src)
        comb = {k: np.concatenate([p[k] for p in out_parts]) for k in out_parts[0]} if out_parts else {}
        return self._tables(xr, per, comb, surveys, n_src)

    # ------------------------------------------------------------------------------
    @staticmethod
    def _combinations(a, b, total, m, per, x_w, c_none):
        tot = total[a:b]
        n = int(tot.sum())
        src = np.repeat(np.arange(a, b), tot)
        q = np.arange(n) - np.repeat(np.cumsum(tot) - tot, tot)
        sw = x_w[src].copy()
        swx = np.zeros(n)
        swy = np.zeros(n)
        swr2 = np.zeros(n)
        sum_lnw = np.log(x_w[src])
        nmem = np.ones(n, int)
        ln_prior = np.zeros(n)
        ln_ratio = np.zeros(n)
        choice_rows = []
        stride = np.ones(n, int)
        for j, p in enumerate(per):
            mj = m[j][src]
            choice = (q // stride) % mj
            stride = stride * mj
            present = choice > 0
            cand = np.where(present, p["starts"][src] + choice - 1, 0)
            w = np.where(present, p["w"][cand] if len(p["w"]) else 0.0, 0.0)
            dx = np.where(present, p["dx"][cand] if len(p["dx"]) else 0.0, 0.0)
            dy = np.where(present, p["dy"][cand] if len(p["dy"]) else 0.0, 0.0)
            # positions enter in arcsec; weights are sr^-1: scale r^2 to sr
            sw += w
            swx += w * dx
            swy += w * dy
            swr2 += w * (dx**2 + dy**2)
            sum_lnw += np.where(present, np.log(np.where(present, w, 1.0)), 0.0)
            nmem += present
            ln_prior += np.where(present, math.log(p["c"]) - np.log(4 * math.pi * p["nu"][src]),
                                 math.log(1 - p["c"]))
            ln_ratio += np.where(present, np.log(p["ratio"][cand]) if len(p["ratio"]) else 0.0, 0.0)
            choice_rows.append(np.where(present, p["row"][cand] if len(p["row"]) else -1, -1))
        qstat = (swr2 - (swx**2 + swy**2) / sw) / ARCSEC2_PER_SR
        ln_b = (nmem - 1) * math.log(2.0) + sum_lnw - np.log(sw) - 0.5 * qstat
        ln_b = np.where(nmem > 1, ln_b, 0.0)
        ln_odds = ln_b + ln_prior - math.log(c_none) + ln_ratio
        ln_odds = np.where(nmem > 1, ln_odds, 0.0)  # the all-none combination has odds 1
        ln_p = ln_prior - math.log(c_none) + math.log(c_none)  # prior of the combination itself
        return {"src": src, "q": q, "ln_b": ln_b, "ln_odds": ln_odds, "ln_prior": ln_p, "nmem": nmem,
                **{f"row{j}": r for j, r in enumerate(choice_rows)}}

    # ------------------------------------------------------------------------------
    @staticmethod
    def _tables(xr, per, comb, surveys, n_src):
        src = comb["src"]
        ln_odds = comb["ln_odds"]
        # per-source log-sum-exp over all combinations (the all-none one has odds 1)
        mx = np.full(n_src, -np.inf)
        np.maximum.at(mx, src, ln_odds)
        e = np.exp(ln_odds - mx[src])
        tot = np.zeros(n_src)
        np.add.at(tot, src, e)
        none = comb["nmem"] == 1
        none_e = np.zeros(n_src)
        np.add.at(none_e, src[none], e[none])
        p_none = none_e / tot
        p_any = 1.0 - p_none
        some = tot - none_e
        with np.errstate(invalid="ignore", divide="ignore"):
            p_i = np.where(none, 0.0, e / some[src])
        p_i = np.nan_to_num(p_i)
        ln_prior = comb["ln_prior"]
        prior = np.exp(np.clip(ln_prior, -700, 0))
        ln_b = comb["ln_b"]
        with np.errstate(over="ignore"):
            dist_post = np.where(none, 0.0, 1.0 / (1.0 + (1.0 - prior) / np.exp(np.clip(ln_b + ln_prior, -700, 700))))
            p_single = np.where(none, 0.0, 1.0 / (1.0 + np.exp(-np.clip(ln_odds, -700, 700))))
        # best combination per source (excluding all-none)
        score = np.where(none, -1.0, p_i)
        key = np.lexsort((-score, src))
        first = np.ones(len(key), bool)
        first[1:] = src[key][1:] != src[key][:-1]
        best = key[first]
        best_p = np.zeros(n_src)
        best_idx = np.full(n_src, -1)
        has = ~none[best]
        best_idx[src[best][has]] = best[has]
        best_p[src[best][has]] = p_i[best][has]
        match_flag = np.zeros(len(src), int)
        match_flag[best[has]] = 1
        second = (~none) & (match_flag == 0) & (p_i > 0.5 * best_p[src])
        match_flag[second] = 2

        xids = np.asarray(xr["xid"]).astype(str)
        keep = ~none
        ctab = Table()
        ctab["xid"] = xids[src[keep]]
        for j, p in enumerate(per):
            rows = comb[f"row{j}"][keep]
            nids = np.asarray(p["nb"]["nid"]).astype(str)
            ctab[f"nid_{p['name']}"] = np.where(rows >= 0, nids[np.maximum(rows, 0)] if len(nids) else "", "")
            seps = np.asarray(p["nb"]["sep"], float)
            ctab[f"sep_{p['name']}"] = np.where(rows >= 0, seps[np.maximum(rows, 0)] if len(seps) else np.nan, np.nan)
        ctab["dist_bayesfactor"] = ln_b[keep] / math.log(10.0)
        ctab["prior"] = prior[keep]
        ctab["dist_post"] = dist_post[keep]
        ctab["p_single"] = p_single[keep]
        ctab["p_i"] = p_i[keep]
        ctab["match_flag"] = match_flag[keep]
        ctab["dist_bayesfactor"].description = "log10 positional Bayes factor (Budavari & Szalay 2008)"
        ctab["p_i"].description = "Probability of this combination given the source has a counterpart"

        stab = Table()
        stab["xid"] = xids
        stab["p_any"] = p_any
        stab["p_i"] = best_p
        stab["match_flag"] = (best_idx >= 0).astype(int)
        stab["n_candidates"] = np.sum([p["n_all"] for p in per], axis=0).astype(int) if per else np.zeros(n_src, int)
        stab["pruned_mass"] = np.sum([p["pruned"] for p in per], axis=0) / np.maximum(tot * np.exp(mx), 1e-300) \
            if per else np.zeros(n_src)
        for j, p in enumerate(per):
            rows = np.where(best_idx >= 0, comb[f"row{j}"][np.maximum(best_idx, 0)], -1)
            nids = np.asarray(p["nb"]["nid"]).astype(str)
            stab[f"nid_{p['name']}"] = np.where(rows >= 0, nids[np.maximum(rows, 0)] if len(nids) else "", "")
            stab[f"row_{p['name']}"] = rows
        return AssociationResult(ctab, stab, tuple(p["name"] for p in per))
