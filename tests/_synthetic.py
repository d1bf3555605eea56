"""Seeded synthetic catalogues in the pipeline's output layout, for UI tests and benchmarks.

They have the columns of a catalogue ``xrbvo run`` writes (positions, fluxes,
association summary, nine class probabilities, candidate flags), a counterparts
table and a neighbourhood table, but no science: the numbers are random draws,
so they are only fit for exercising the terminal UI at any size quickly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from xrbvo.io import write_table
from xrbvo.core.schema import CATALOGUE, CLASSES, XRAY, apply_schema, prob_column

__all__ = ["SyntheticCatalogue", "synthetic_catalogue", "write_synthetic"]

_SURVEYS = ("gaia", "2mass", "catwise")


@dataclass(frozen=True)
class SyntheticCatalogue:
    """A synthetic catalogue and its companions.

    Parameters
    ----------
    catalogue : astropy.table.Table
        The catalogue.
    counterparts : astropy.table.Table
        The catalogue's counterparts companion table.
    neighbours : astropy.table.Table
        The catalogue's neighbours companion table.
    """

    catalogue: Table
    counterparts: Table
    neighbours: Table


def synthetic_catalogue(n: int, *, seed: int = 1, explanations: bool = True,
                        max_neighbours: int = 3) -> SyntheticCatalogue:
    """Make ``n`` synthetic sources with counterparts and neighbours.

    Parameters
    ----------
    n : int
        Number of X-ray sources.
    seed : int
        Seed of the random draws (same seed, same tables).
    explanations : bool
        Whether to add the ``top_features`` column.
    max_neighbours : int
        At most this many neighbours per survey and source.

    Returns
    -------
    SyntheticCatalogue
        The catalogue with its counterparts and neighbours tables.
    """
    rng = np.random.default_rng(seed)
    l = (300.0 + rng.uniform(-4, 4, n)) % 360
    b = rng.uniform(-2, 2, n)
    c = SkyCoord(l=l * u.deg, b=b * u.deg, frame="galactic").icrs
    ra, dec = c.ra.deg, c.dec.deg
    t = Table()
    t["xid"] = np.array([f"1eRASS J{r:08.4f}{d:+08.4f}" for r, d in zip(ra, dec)])
    t["ra"], t["dec"], t["l"], t["b"] = ra, dec, l, b
    t["pos_err"] = np.round(rng.uniform(1.0, 6.0, n), 2)
    t["flux_soft"] = 10 ** rng.uniform(-14, -11, n)
    t["flux_soft_err"] = t["flux_soft"] * rng.uniform(0.05, 0.4, n)
    t["flux_hard"] = 10 ** rng.uniform(-14, -11, n)
    t["flux_hard_err"] = t["flux_hard"] * rng.uniform(0.05, 0.6, n)
    # neighbours per survey
    nb_parts = []
    counts = {}
    for s in _SURVEYS:
        k = rng.integers(0, max_neighbours + 1, n)
        counts[s] = k
        src = np.repeat(np.arange(n), k)
        m = len(src)
        r = t["pos_err"][src] * np.sqrt(rng.uniform(0, 1, m)) * 5
        a = rng.uniform(0, 2 * np.pi, m)
        ndec = dec[src] + r * np.sin(a) / 3600
        nra = ra[src] + r * np.cos(a) / 3600 / np.cos(np.radians(dec[src]))
        part = Table()
        part["survey"] = np.array([s] * m, dtype="<U8")
        part["xid"] = t["xid"][src]
        part["nid"] = np.array([f"{s[0].upper()}{seed}-{i}" for i in range(m)])
        part["ra"], part["dec"], part["sep"] = nra, ndec, r
        part["pos_err"] = rng.uniform(0.05, 0.5, m)
        for band, lo, hi in (("G", 12, 21), ("BP", 12.5, 22), ("RP", 11.5, 20), ("J", 9, 17), ("H", 8.5, 16.5),
                             ("K", 8, 16), ("W1", 8, 16), ("W2", 8, 16)):
            part[band] = rng.uniform(lo, hi, m)
        nb_parts.append(part)
    from astropy.table import vstack

    nb = vstack(nb_parts)
    # combinations: per source the empty one plus one per gaia neighbour (others: their first neighbour)
    cp_rows = []
    nb_x = np.asarray(nb["xid"])
    nb_s = np.asarray(nb["survey"]).tolist()
    nb_nid = np.asarray(nb["nid"]).tolist()
    nb_sep = np.asarray(nb["sep"], float).tolist()
    xids = np.asarray(t["xid"]).tolist()
    order = np.lexsort((nb_s, nb_x))
    starts = np.searchsorted(nb_x[order], np.asarray(t["xid"]), side="left")
    ends = np.searchsorted(nb_x[order], np.asarray(t["xid"]), side="right")
    p_any = rng.uniform(0, 1, n)
    best_p = np.zeros(n)
    best_ids = {s: np.full(n, "", dtype=object) for s in _SURVEYS}
    n_cand = np.zeros(n, int)
    draws = iter(rng.random(n * (max_neighbours + 2)).tolist())
    for i in range(n):
        idx = order[starts[i]:ends[i]].tolist()
        n_cand[i] = len(idx)
        by = {s: [j for j in idx if nb_s[j] == s] for s in _SURVEYS}
        combos = [{s: None for s in _SURVEYS}]
        for j in by["gaia"]:
            combos.append({"gaia": j, "2mass": by["2mass"][0] if by["2mass"] else None,
                           "catwise": by["catwise"][0] if by["catwise"] else None})
        if not by["gaia"] and (by["2mass"] or by["catwise"]):
            combos.append({"gaia": None, "2mass": by["2mass"][0] if by["2mass"] else None,
                           "catwise": by["catwise"][0] if by["catwise"] else None})
        w = [0.0] + [-math.log(1.0 - next(draws)) for _ in combos[1:]] if len(combos) > 1 else [1.0]
        tot = sum(w)
        w = [x / tot for x in w]
        top = max(range(len(w)), key=w.__getitem__)
        for k, (comb, p) in enumerate(zip(combos, w)):
            cp_rows.append((xids[i], comb, p, 1 if k == top else (2 if p > 0.5 * w[top] else 0)))
        best_p[i] = w[top]
        for s in _SURVEYS:
            j = combos[top][s]
            best_ids[s][i] = nb_nid[j] if j is not None else ""
    cp = Table()
    cp["xid"] = np.array([r[0] for r in cp_rows])
    for s in _SURVEYS:
        js = [r[1][s] for r in cp_rows]
        cp[f"nid_{s}"] = np.array([nb_nid[j] if j is not None else "" for j in js])
        cp[f"sep_{s}"] = np.array([nb_sep[j] if j is not None else np.nan for j in js])
    cp["p_i"] = np.array([r[2] for r in cp_rows])
    cp["match_flag"] = np.array([r[3] for r in cp_rows], dtype=np.int16)
    t["p_any"] = p_any
    t["p_i"] = best_p
    t["match_flag"] = np.ones(n, dtype=np.int16)
    t["n_candidates"] = n_cand
    for s in _SURVEYS:
        t[f"nid_{s}"] = best_ids[s].astype(str)
    t["nh"] = 10 ** rng.uniform(21, 23, n)
    alpha = np.array([0.3, 0.3, 0.1, 0.4, 0.05, 2.0, 0.5, 1.5, 0.4])
    proba = rng.dirichlet(alpha, n)
    for k, cname in enumerate(CLASSES):
        t[prob_column(cname)] = proba[:, k]
    t["predicted_class"] = np.asarray(CLASSES)[np.argmax(proba, axis=1)]
    t["P_max"] = proba.max(axis=1)
    cand = np.where(proba[:, 0] >= 0.47, "HMXB", np.where(proba[:, 1] >= 0.5, "LMXB", ""))
    t["candidate"] = cand != ""
    t["candidate_class"] = cand
    if explanations:
        feats = ("G-K", "W1-W2", "HR", "log Fx/Fopt", "BP-RP", "nh", "sepsi")
        picks = rng.integers(0, len(feats), (n, 3))
        shifts = rng.normal(0, 0.3, (n, 3))
        t["top_features"] = np.array([
            "; ".join(f"{feats[a]} {s:+.2f}" for a, s in zip(pk, sh)) for pk, sh in zip(picks, shifts)])
    apply_schema(t, CATALOGUE, XRAY)
    return SyntheticCatalogue(t, cp, nb)


def write_synthetic(directory: str | Path, n: int, *, seed: int = 1, name: str = "synthetic",
                    explanations: bool = True, companions: bool = True) -> Path:
    """Write a synthetic catalogue (and companions) as FITS; returns the catalogue path.

    Parameters
    ----------
    directory : str | Path
        The directory.
    n : int
        Number of sources.
    seed : int, optional
        Seed of the random draws; the same seed gives the same result.
    name : str, optional
        Base name of the catalogue file.
    explanations : bool, optional
        Also make the ``top_features`` column.
    companions : bool, optional
        Also write the counterparts and neighbours files next to the catalogue.

    Returns
    -------
    Path
        The catalogue file.
    """
    d = Path(directory)
    s = synthetic_catalogue(n, seed=seed, explanations=explanations)
    path = write_table(s.catalogue, d / f"{name}.fits")
    if companions:  # like `xrbvo demo`: NAME_catalogue.fits beside NAME_counterparts.fits
        base = name[: -len("_catalogue")] if name.endswith("_catalogue") else name
        write_table(s.counterparts, d / f"{base}_counterparts.fits")
        write_table(s.neighbours, d / f"{base}_neighbours.fits")
    return path
