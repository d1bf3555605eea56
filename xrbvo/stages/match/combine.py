"""The combination tree: candidate combinations grown survey by survey, with their Bayes factors.

:func:`root` starts one combination per X-ray source; :func:`grow` adds one
survey's choices ("none" or one candidate) to every combination of a chunk of
sources at once (numpy, no per-source loop), multiplies in the two-way
positional factor and updates the members' weighted mean (a Kalman update),
and drops branches below the pruning threshold while bounding what they held.
:func:`unrelated_correction` grows the positional-only tree of NWAY's
multi-catalogue correction and :func:`nway_ellipse_ln_b` gives NWAY's
approximation for elliptical errors.  The maths (Budavári & Szalay 2008,
the pruning bound) is in :mod:`xrbvo.stages.match.engine`.

The per-survey candidates ``per`` are dicts of arrays sorted by source, as
:class:`~xrbvo.stages.match.engine.BayesianAssociator` prepares them.
"""

from __future__ import annotations

import math

import numpy as np

from xrbvo.stages.match.geometry import ARCSEC2_PER_SR

__all__ = ["LN_2K", "Nodes", "root", "grow", "unrelated_correction", "nway_ellipse_ln_b"]

#: ``log(2 K)``: the constant of the two-way Bayes factor (``K`` = arcsec^2 per sr).
LN_2K = math.log(2.0 * ARCSEC2_PER_SR)


class Nodes:
    """Partial combinations of a chunk, grouped by source (struct of arrays).

    Attributes
    ----------
    src : numpy.ndarray
        X-ray source index of each combination.
    pxx, pxy, pyy : numpy.ndarray or None
        Covariance of the members' weighted mean position, arcsec^2 (None
        after the last survey).
    mx, my : numpy.ndarray or None
        The weighted mean position, arcsec on the source's tangent plane.
    ln_b : numpy.ndarray
        Log positional Bayes factor.
    ln_o : numpy.ndarray or None
        Log odds so far (Bayes factor times prior odds factors and ratios).
    ln_r : numpy.ndarray
        Log of the magnitude prior and ratio-column factors.
    mask : numpy.ndarray
        Bit ``j`` set when survey ``j`` has a member.
    choice : list of numpy.ndarray
        Per survey grown so far: the member's candidate index (-1 for none).
    nmem : numpy.ndarray or None
        Number of members.
    """

    __slots__ = ("src", "pxx", "pxy", "pyy", "mx", "my", "ln_b", "ln_o", "ln_r", "mask", "choice", "nmem")

    def take(self, idx) -> "Nodes":
        """The combinations at ``idx`` (a new :class:`Nodes`)."""
        out = Nodes()
        for k in self.__slots__:
            v = getattr(self, k)
            setattr(out, k, [c[idx] for c in v] if k == "choice" else None if v is None else v[idx])
        return out


def root(a: int, b: int, xcov=None, nmem: int = 1) -> Nodes:
    """One node per source ``a:b``: the X-ray position alone, or an empty tuple.

    Parameters
    ----------
    a, b : int
        The chunk's sources.
    xcov : tuple of numpy.ndarray, optional
        The X-ray covariances (sxx, sxy, syy) of all sources; None: an empty
        tuple (the multi-catalogue correction's tree).
    nmem : int, optional
        Members of each root.

    Returns
    -------
    Nodes
    """
    n = b - a
    r = Nodes()
    r.src = np.arange(a, b)
    if xcov is None:
        r.pxx, r.pxy, r.pyy = np.zeros(n), np.zeros(n), np.zeros(n)
    else:
        r.pxx, r.pxy, r.pyy = (np.asarray(v, float)[a:b].copy() for v in xcov)
    r.mx = np.zeros(n)
    r.my = np.zeros(n)
    r.ln_b = np.zeros(n)
    r.ln_o = np.zeros(n)
    r.ln_r = np.zeros(n)
    r.mask = np.zeros(n, np.int64)
    r.nmem = np.full(n, nmem, np.int64)
    r.choice = []
    return r


def grow(nodes: Nodes, p, j, radius, per, ln_thresh, ln_after_j, pruned, a, *, pairwise_radius: bool,
         positional_only=False, last=False) -> Nodes:
    """Add survey ``j``'s choices ("none" or one candidate) to every node; return the children.

    Children stay grouped by parent (the "none" child first, then the kept
    candidates in order).

    Parameters
    ----------
    nodes : Nodes
        The partial combinations of a chunk.
    p : dict
        Survey ``j``'s candidates (``per[j]``).
    j : int
        Index of the survey.
    radius : float
        The search radius, arcsec.
    per : list of dict
        All surveys' candidates (for the pairwise-radius test).
    ln_thresh : float
        A branch ends when its new member's log odds factor falls below this.
    ln_after_j : numpy.ndarray
        Per source: log bound on what later surveys can multiply a branch by.
    pruned : numpy.ndarray
        Per source of the chunk: bound on the pruned odds, added to in place.
    a : int
        First source of the chunk.
    pairwise_radius : bool
        Keep only combinations whose members are all within ``radius`` of
        each other.
    positional_only : bool, optional
        Grow the multi-catalogue correction's tree (positional factors over
        densities, no X-ray member) instead of the main tree.
    last : bool, optional
        No survey follows: the children's means and covariances (and in the
        main tree their odds and member counts) are not computed.

    Returns
    -------
    Nodes
    """
    n_par = len(nodes.src)
    kc = p["counts"][nodes.src]
    n_c = int(kc.sum())
    pc = np.repeat(np.arange(n_par), kc)  # parent of each candidate child

    def up(v):  # a parent's value for each of its candidate children
        return np.repeat(v, kc)

    first = p["starts"][nodes.src]
    if n_par and np.array_equal(nodes.src, np.arange(nodes.src[0], nodes.src[0] + n_par)):
        # one node per source (the roots): the children are a contiguous run of candidates
        cc = slice(int(first[0]), int(first[0]) + n_c)
    else:
        cc = up(first - (np.cumsum(kc) - kc)) + np.arange(n_c)

    ok = None
    cdx, cdy = p["dx"][cc], p["dy"][cc]
    if pairwise_radius and len(p["dx"]):
        r2 = radius**2
        for l, ch in enumerate(nodes.choice):
            q = per[l]
            if len(q["dx"]) == 0:
                continue
            prev = up(ch)
            has = prev >= 0
            pv = np.where(has, prev, 0)
            d2 = (q["dx"][pv] - cdx) ** 2 + (q["dy"][pv] - cdy) ** 2
            far = has & (d2 >= r2)
            ok = ~far if ok is None else ok & ~far
    empty = up(nodes.nmem == 0)
    any_empty = bool(empty.any())
    # two-way factor between the current mean (covariance P) and the candidate
    pxx, pxy, pyy = up(nodes.pxx), up(nodes.pxy), up(nodes.pyy)
    sxx, syy = p["sxx"][cc], p["syy"][cc]
    circ = p["circular"] and not nodes.pxy.any()
    cxx, cyy = pxx + sxx, pyy + syy
    ddx, ddy = cdx - up(nodes.mx), cdy - up(nodes.my)
    if circ:  # exact zeros dropped: the same numbers as the general expressions
        cxy = None
        det = cxx * cyy
        delta = (cyy * ddx**2 + cxx * ddy**2) / det
    else:
        sxy = p["sxy"][cc]
        cxy = pxy + sxy
        det = cxx * cyy - cxy**2
        delta = (cyy * ddx**2 - 2 * cxy * ddx * ddy + cxx * ddy**2) / det
    ln_f = LN_2K - 0.5 * np.log(det) - 0.5 * delta
    lnf_pos = np.where(empty, 0.0, ln_f) if any_empty else ln_f
    src_c = up(nodes.src)
    if positional_only:
        # unrelated-correction tree: first member has factor nu/nu+, later ones F / (4 pi nu+)
        ln_f = np.where(empty, p["ln_nu"][src_c] - p["ln_nu_plus"][src_c], ln_f - p["ln_nu_plus"][src_c])
        new_o = up(nodes.ln_o) + ln_f
        keep = empty | (new_o + ln_after_j[src_c] > 0.0)
        if ok is not None:
            keep &= ok
    else:
        ln_fo = ln_f + p["ln_pi"][cc]
        new_o = up(nodes.ln_o) + ln_fo
        drop = ln_fo < ln_thresh
        if ok is not None:
            drop &= ok
        if drop.any():
            w = np.exp(np.minimum(new_o[drop] + ln_after_j[src_c[drop]], 700.0))
            if j == 0:  # pruned is still zero: bincount gives np.add.at's sums, faster
                pruned += np.bincount(src_c[drop] - a, weights=w, minlength=len(pruned))
            else:
                np.add.at(pruned, src_c[drop] - a, w)
        keep = ~drop if ok is None else ok & ~drop

    # where the children go: parent q's "none" child, then its kept candidates
    kp = pc[keep]
    n_keep = len(kp)
    nk = np.bincount(kp, minlength=n_par)
    none_dest = np.arange(n_par) + (np.cumsum(nk) - nk)
    cand_dest = np.arange(n_keep) + kp + 1
    total = n_par + n_keep

    def merge(none_vals, cand_vals):
        o = np.empty(total, np.result_type(none_vals, cand_vals))
        o[none_dest] = none_vals
        o[cand_dest] = cand_vals
        return o

    out = Nodes()
    out.src = merge(nodes.src, nodes.src[kp])
    out.ln_b = merge(nodes.ln_b, nodes.ln_b[kp] + lnf_pos[keep])
    # after the last survey the main tree needs neither odds nor member counts (the correction tree does)
    final = last and not positional_only
    out.ln_o = None if final else merge(nodes.ln_o, new_o[keep])
    no_ratio = p["ln_r"].strides == (0,)  # all zero (see _zeros)
    out.ln_r = merge(nodes.ln_r, nodes.ln_r[kp] if no_ratio else nodes.ln_r[kp] + p["ln_r"][cc][keep])
    out.mask = merge(nodes.mask, nodes.mask[kp] | (1 << j))
    out.nmem = None if final else merge(nodes.nmem, nodes.nmem[kp] + 1)
    cand = np.flatnonzero(keep) + cc.start if isinstance(cc, slice) else cc[keep]
    out.choice = [merge(ch, ch[kp]) for ch in nodes.choice] + [merge(np.full(n_par, -1, np.int64), cand)]
    if last:
        out.pxx = out.pxy = out.pyy = out.mx = out.my = None
        return out
    # Kalman update of the mean and its covariance: G = P C^-1, P' = P - G P, m' = m + G d
    if circ:
        gxx, gyy = pxx * (cyy / det), pyy * (cxx / det)
        npxx = np.where(empty, sxx, pxx - gxx * pxx)
        npyy = np.where(empty, syy, pyy - gyy * pyy)
        npxy = np.zeros(len(npxx))
        nmx = np.where(empty, cdx, up(nodes.mx) + gxx * ddx)
        nmy = np.where(empty, cdy, up(nodes.my) + gyy * ddy)
    else:
        ixx, ixy, iyy = cyy / det, -cxy / det, cxx / det
        gxx = pxx * ixx + pxy * ixy
        gxy = pxx * ixy + pxy * iyy
        gyx = pxy * ixx + pyy * ixy
        gyy = pxy * ixy + pyy * iyy
        npxx = np.where(empty, sxx, pxx - (gxx * pxx + gxy * pxy))
        npxy = np.where(empty, sxy, pxy - (gxx * pxy + gxy * pyy))
        npyy = np.where(empty, syy, pyy - (gyx * pxy + gyy * pyy))
        nmx = np.where(empty, cdx, up(nodes.mx) + gxx * ddx + gxy * ddy)
        nmy = np.where(empty, cdy, up(nodes.my) + gyx * ddx + gyy * ddy)
    out.pxx = merge(nodes.pxx, npxx[keep])
    out.pxy = merge(nodes.pxy, npxy[keep])
    out.pyy = merge(nodes.pyy, npyy[keep])
    out.mx = merge(nodes.mx, nmx[keep])
    out.my = merge(nodes.my, nmy[keep])
    return out


def unrelated_correction(a: int, b: int, per, radius: float, *, ellipse: str, pairwise_radius: bool) -> np.ndarray:
    """NWAY's multi-catalogue correction, per source and subset of surveys.

    Parameters
    ----------
    a, b : int
        The chunk's sources.
    per : list of dict
        The surveys' candidates (each with ``max_pos_u``).
    radius : float
        The search radius, arcsec.
    ellipse : str
        ``exact`` or ``nway`` (NWAY's elliptical approximation; no pruning).
    pairwise_radius : bool
        Keep only tuples whose members are all within ``radius`` of each other.

    Returns
    -------
    numpy.ndarray
        ``(b - a, 2**len(per))``: per source and subset ``A`` of surveys (a bit
        mask), ``max(0, max over candidate tuples of two or more members from
        the surveys in A of their log posterior)``.
    """
    ns = len(per)
    n = b - a
    r = root(a, b, None, nmem=0)
    # bound on what later surveys can add (positional factor / density), per source
    later = np.zeros((ns + 1, b - a + 0))
    for j in range(ns - 1, -1, -1):
        p = per[j]
        mx_u = p["max_pos_u"][a:b] - p["ln_nu_plus"][a:b]
        later[j] = later[j + 1] + np.maximum(mx_u, 0.0)
    nodes = r
    dummy = np.zeros(n)
    for j, p in enumerate(per):
        lj = np.zeros(len(per[0]["counts"]))
        # NWAY's elliptical approximation is not bounded by the exact factors: no pruning then
        lj[a:b] = np.inf if ellipse == "nway" else later[j + 1]
        nodes = grow(nodes, p, j, radius, per, -np.inf, lj, dummy, a, pairwise_radius=pairwise_radius,
                     positional_only=True, last=j == ns - 1)
    best = np.zeros((n, 1 << ns))
    sel = nodes.nmem >= 2
    if sel.any():
        val = nodes.ln_o[sel]
        if ellipse == "nway":
            sub = nodes.take(np.nonzero(sel)[0])
            val = val - sub.ln_b + nway_ellipse_ln_b(sub, per, None)
        flat = (nodes.src[sel] - a) * (1 << ns) + nodes.mask[sel]
        vals = np.full(n * (1 << ns), 0.0)
        np.maximum.at(vals, flat, val)
        best = vals.reshape(n, 1 << ns)
    # best over subsets of each mask
    out = np.zeros_like(best)
    for m in range(1 << ns):
        subs = [s for s in range(1 << ns) if s & m == s]
        out[:, m] = best[:, subs].max(axis=1)
    return out


def nway_ellipse_ln_b(nodes: Nodes, per, xcov) -> np.ndarray:
    """Log Bayes factors by NWAY's elliptical approximation.

    Errors are circularised and pairwise separations rescaled by the errors
    along the separation, as NWAY does.

    Parameters
    ----------
    nodes : Nodes
        The combinations (their ``src`` and ``choice``).
    per : list of dict
        The surveys' candidates.
    xcov : tuple of numpy.ndarray or None
        The X-ray covariances (sxx, sxy, syy) of all sources; None: the X-ray
        source is not a member (the multi-catalogue correction).

    Returns
    -------
    numpy.ndarray
        Log Bayes factor per combination (0 for fewer than two members).
    """
    n = len(nodes.src)
    if xcov is None:  # secondaries only (the multi-catalogue correction)
        xs, ys, cov, present = [], [], [], []
    else:
        xs = [np.zeros(n)]
        ys = [np.zeros(n)]
        cov = [tuple(np.asarray(v, float)[nodes.src] for v in xcov)]
        present = [np.ones(n, bool)]
    for j, p in enumerate(per):
        ch = nodes.choice[j]
        has = ch >= 0
        k = np.where(has, ch, 0)
        if len(p["dx"]) == 0:
            xs.append(np.zeros(n)), ys.append(np.zeros(n))
            cov.append((np.ones(n), np.zeros(n), np.ones(n)))
        else:
            xs.append(p["dx"][k]), ys.append(p["dy"][k])
            cov.append((p["sxx"][k], p["sxy"][k], p["syy"][k]))
        present.append(has)
    m = len(xs)
    wc = [np.where(present[i], 2.0 / (cov[i][0] + cov[i][2]), 0.0) for i in range(m)]
    wsum = np.sum(wc, axis=0)
    nmem = np.sum(present, axis=0)
    with np.errstate(divide="ignore"):
        slog = np.sum([np.where(present[i], np.log(np.where(present[i], wc[i], 1.0)), 0.0) for i in range(m)],
                      axis=0) - np.log(wsum)
    q = np.zeros(n)
    for i in range(m):
        for k in range(i + 1, m):
            both = present[i] & present[k]
            vx, vy = xs[k] - xs[i], ys[k] - ys[i]
            d2 = vx**2 + vy**2
            dn = np.sqrt(d2)
            ux = np.where(dn == 0, 2**-0.5, vx / np.where(dn == 0, 1.0, dn))
            uy = np.where(dn == 0, 2**-0.5, vy / np.where(dn == 0, 1.0, dn))

            def inv_along(c):
                sxx, sxy, syy = c
                det = sxx * syy - sxy**2
                return (syy * ux**2 - 2 * sxy * ux * uy + sxx * uy**2) / det

            wi, wk = inv_along(cov[i]), inv_along(cov[k])
            sc2 = (cov[i][0] + cov[i][2]) / 2 + (cov[k][0] + cov[k][2]) / 2
            d2n = d2 * (1 / wi + 1 / wk) / sc2
            q += np.where(both, wc[i] * wc[k] * np.where(both, d2n, 0.0), 0.0)
    ln_b = (nmem - 1) * LN_2K + slog - q / (2 * wsum)
    return np.where(nmem > 1, ln_b, 0.0)
