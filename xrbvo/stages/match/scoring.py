"""Scoring: probabilities, posteriors and flags of one chunk's combinations.

From the combinations' positional Bayes factors, NWAY's multi-catalogue
correction and the priors (``prior_mode`` ``nway`` or ``independent``)
:func:`score_chunk` computes ``p_any``, ``p_i``, ``dist_post``, ``p_single``,
``match_flag`` and the bound ``pruned_mass``; the maths is in
:mod:`xrbvo.stages.match.engine`.
"""

from __future__ import annotations

import math

import numpy as np

from xrbvo.stages.match.arrays import seg_max, seg_sum
from xrbvo.stages.match.tables import nb_column, nb_rows

__all__ = ["score_chunk"]


def score_chunk(per, q, cap_mass, *, prior_mode: str, prob_ratio_secondary: float) -> dict:
    """Probabilities of one chunk's combinations (its sources are complete in it), compacted.

    Parameters
    ----------
    per : list of dict
        The surveys' candidates.
    q : dict
        The chunk's combinations: ``src``, ``ln_b``, ``ln_r``, ``mask``,
        ``choice`` (as in :class:`~xrbvo.stages.match.combine.Nodes`), ``corr``
        (log multi-catalogue correction), ``pruned`` (bound on the pruned
        odds per source) and the chunk's sources ``a``, ``b``.
    cap_mass : numpy.ndarray
        Per source (all sources): bound on the odds of candidates removed by
        ``max_candidates``.
    prior_mode : str
        ``nway`` or ``independent``.
    prob_ratio_secondary : float
        ``match_flag`` 2 for combinations with ``p_i`` above this fraction of
        the best.

    Returns
    -------
    dict
        Arrays of the combinations with a counterpart (the output rows:
        ``n_rows`` per source, ``nid_*``/``row_*`` as neighbourhood rows,
        ``sep_*``, ``ncat``, ``dist_bayesfactor``,
        ``dist_bayesfactor_corrected``, ``prior``, ``dist_post``,
        ``p_single``, ``p_i``, ``match_flag``) and the per-source summaries
        of sources ``a:b`` (``s_p_any``, ``s_p_i``, ``s_match_flag``,
        ``s_pruned_mass``, ``s_row_*``), for
        :func:`~xrbvo.stages.match.tables.result_tables`.
    """
    a, b = q["a"], q["b"]
    n = b - a
    src, ln_b, ln_r, mask = q["src"], q["ln_b"], q["ln_r"], q["mask"]
    loc = src - a
    none = mask == 0

    # prior of each combination (as NWAY's 'prior' column) and its odds against 'no counterpart':
    # they depend on the source and the surveys present only, so they are tabulated per (source, mask)
    n_mask = 1 << len(per)
    masks = np.arange(n_mask)
    t_prior = np.zeros((n, n_mask))
    t_podds = np.zeros((n, n_mask))
    for j, p in enumerate(per):
        has = ((masks >> j) & 1 == 1)[None, :]
        lp = (math.log(p["c"]) - p["ln_nu_plus"][a:b])[:, None]
        ln_1mc = math.log1p(-p["c"]) if prior_mode == "independent" else 0.0
        t_prior += np.where(has, lp, ln_1mc)
        t_podds += np.where(has, lp - ln_1mc, 0.0)
    flat = loc * n_mask + mask
    ln_prior = t_prior.ravel()[flat]
    ln_podds = t_podds.ravel()[flat]
    ln_bc = ln_b + q["corr"]  # corrected positional evidence
    ln_odds = ln_bc + ln_podds + ln_r

    starts = np.searchsorted(loc, np.arange(n))
    mx = seg_max(ln_odds, starts, n)
    mx = np.where(np.isfinite(mx), mx, 0.0)
    e = np.exp(ln_odds - mx[loc])
    tot = seg_sum(e, starts, n)
    some = seg_sum(np.where(none, 0.0, e), starts, n)  # summed directly: no cancellation
    with np.errstate(invalid="ignore", divide="ignore"):
        p_any = np.clip(np.where(tot > 0, some / tot, 0.0), 0.0, 1.0)
        some_c = some[loc]
        p_i = np.clip(np.where(none | (some_c <= 0), 0.0, e / some_c), 0.0, 1.0)
    prior = np.exp(t_prior).ravel()[flat]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        dist_post = 1.0 / (1.0 + (1.0 - prior) * np.exp(-(ln_bc + ln_prior)))
        dist_post = np.clip(np.nan_to_num(dist_post), 0.0, 1.0)
        if ln_r.any():
            p_single = 1.0 / (1.0 + (1.0 - prior) * np.exp(-(ln_bc + ln_r + ln_prior)))
            p_single = np.clip(np.nan_to_num(p_single), 0.0, 1.0)
        else:  # no magnitude priors or ratios: the same numbers
            p_single = dist_post.copy()

    # flags: 1 for the best (ties included), 2 for p_i > prob_ratio_secondary * best
    score = np.where(none, -1.0, p_i)
    best_p = seg_max(score, starts, n)
    bp = best_p[loc]
    match_flag = np.where(none | (bp <= 0), 0, np.where(p_i == bp, 1,
                          np.where(p_i > prob_ratio_secondary * bp, 2, 0))).astype(np.int16)
    # the single best combination per source: the first one reaching the best p_i
    top = np.flatnonzero((score == bp) & (bp > 0))
    top = top[np.concatenate([[True], loc[top][1:] != loc[top][:-1]])] if len(top) else top
    best_idx = np.full(n, -1)
    best_idx[loc[top]] = top
    has_best = best_idx >= 0
    bi = np.maximum(best_idx, 0)

    retained = tot * np.exp(mx)
    with np.errstate(invalid="ignore", divide="ignore"):
        pm = (q["pruned"] + cap_mass[a:b]) / retained
    keep = ~none
    out = {"n_rows": np.bincount(loc[keep], minlength=n)}
    for j, p in enumerate(per):
        rows = nb_rows(p, q["choice"][j][keep])
        out[f"nid_{p['name']}"] = rows  # turned into ids once, at the end
        out[f"sep_{p['name']}"] = nb_column(p, rows, "sep", np.nan)
        out[f"row_{p['name']}"] = rows
    out["ncat"] = (1 + np.array([bin(m).count("1") for m in range(1 << len(per))])[mask[keep]]).astype(np.int16)
    out["dist_bayesfactor"] = ln_b[keep] / math.log(10.0)
    out["dist_bayesfactor_corrected"] = ln_bc[keep] / math.log(10.0)
    for name, v in (("prior", prior), ("dist_post", dist_post), ("p_single", p_single), ("p_i", p_i),
                    ("match_flag", match_flag)):
        out[name] = v[keep]
    # per source
    out["s_p_any"] = p_any
    out["s_p_i"] = np.where(has_best, p_i[bi] if len(p_i) else 0.0, 0.0)
    out["s_match_flag"] = has_best.astype(np.int16)
    out["s_pruned_mass"] = np.nan_to_num(pm, nan=0.0, posinf=1.0)
    for j, p in enumerate(per):
        out[f"s_row_{p['name']}"] = nb_rows(p, np.where(has_best, q["choice"][j][bi] if len(src) else -1, -1))
    return out
