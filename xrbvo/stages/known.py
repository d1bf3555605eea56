"""Known or new: cross-match the X-ray sources with catalogues of known objects, one to one, by probability.

**The objects.**  The known-objects tables are stacked and de-duplicated
(:func:`dedupe_known`): rows at the same position within their errors (the 99%
circle of both errors, with the floor) and of compatible classes (the same, or one
empty) are one object, named by all its names (``"4U 1223-62 = GX 301-2"``) and
placed at its best-localised row.  An object whose 1-sigma error exceeds
:data:`MAX_KNOWN_ERR_ARCSEC` is too poorly localised to say which source it is: it
is set aside (counted in the ``KNOWNNBIG`` header keyword), never matched.

**The region.**  A source and a known object are *consistent* when their
separation is within the 99% circle of both errors, with a floor::

    radius = max(K99 * sqrt(pos_err**2 + known_pos_err**2), floor_arcsec)

where ``pos_err`` is the X-ray 1-sigma error per coordinate, ``known_pos_err`` the
object's own (0 when its catalogue gives none) and ``K99 = sqrt(-2 ln 0.01) = 3.035``.
Each pair is searched within its own radius (objects and sources grouped by error
class, one KD-tree search per pair of classes): one row with a large error widens
only its own search, so memory grows with the pairs found, not with the largest error.

**The probability.**  For a known object and the sources in its region, source
*i* is the object with probability::

    p_i = LR_i / (sum_j LR_j + (1 - PRIOR) / PRIOR),   LR_i = g(d_i; s_i) / rho

where ``g`` is the circular Gaussian density of the separation ``d_i`` with
``s_i**2 = pos_err_i**2 + known_pos_err**2`` (``s_i`` at least ``floor / K99``),
``rho`` the local density of X-ray sources around the object (from its
:data:`DENSITY_NEIGHBOURS` nearest sources after the nearest) and
:data:`DETECTION_PRIOR` the prior that the object is one of the sources at all.  The rest, ``1 - sum p``, is the probability that none is.

**The decision.**  ``known_match`` is ``unique`` for the source that is the only
consistent one or holds at least :data:`UNIQUE_PROB` of the object's probability,
``ambiguous`` for each of several sources sharing it, empty otherwise; a source
consistent with several objects lists the one it matches uniquely, else its most
probable.  A known object is therefore never the unique match of two sources.
``new`` is True unless the match is ``unique``.

The stage adds ``known_name``, ``known_class``, ``known_sep`` (arcsec),
``known_prob``, ``known_match`` and ``new``; :func:`known_summary` counts, per
candidate class, the known, the possibly known and the new candidates, and lists
the known X-ray binaries in the field that are not candidates, each object once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table, vstack

from xrbvo.core.errors import InputError
from xrbvo.core.geometry import K99
from xrbvo.core.schema import XRB_CLASSES
from xrbvo.io.known import KNOWN_COLUMNS
from xrbvo.stages.catalogue import input_columns_last

__all__ = ["K99", "FLOOR_ARCSEC", "MAX_KNOWN_ERR_ARCSEC", "UNIQUE_PROB", "DETECTION_PRIOR", "DENSITY_NEIGHBOURS",
           "match_radius_arcsec", "match_known", "known_summary", "KnownSummary", "MissedXrb", "KnownMatch",
           "stack_known", "dedupe_known", "match_objects"]


#: Smallest match radius (arcsec).
FLOOR_ARCSEC = 5.0
#: Known objects with a larger 1-sigma error (arcsec; 10 arcmin, a 99% region of 30 arcmin) are not matched.
MAX_KNOWN_ERR_ARCSEC = 600.0
#: The share of a known object's probability a source must hold to be its unique match.
UNIQUE_PROB = 0.9
#: Prior probability that a known object in the field is one of the X-ray sources.
DETECTION_PRIOR = 0.5
#: The local X-ray source density around a known object is k / (pi d_k**2), d_k the distance of its k-th nearest source.
DENSITY_NEIGHBOURS = 10


def match_radius_arcsec(pos_err_arcsec, known_pos_err_arcsec=0.0, *, floor_arcsec: float = FLOOR_ARCSEC):
    """The match radius (arcsec): ``max(K99 * sqrt(pos_err**2 + known_pos_err**2), floor_arcsec)``.

    NaN errors count as 0 (the floor then applies).

    >>> round(float(match_radius_arcsec(4.0)), 2)
    12.14
    >>> float(match_radius_arcsec(1.0, floor_arcsec=5.0))
    5.0

    Parameters
    ----------
    pos_err_arcsec : float or array
        1-sigma position error of the X-ray source, arcsec.
    known_pos_err_arcsec : float or array, optional
        1-sigma position error of the known object, arcsec.
    floor_arcsec : float, optional
        Smallest match radius, arcsec.

    Returns
    -------
    float or numpy.ndarray
        The match radius, arcsec.
    """
    a = np.nan_to_num(np.asarray(pos_err_arcsec, float), nan=0.0)
    k = np.nan_to_num(np.asarray(known_pos_err_arcsec, float), nan=0.0)
    return np.maximum(K99 * np.hypot(a, k), floor_arcsec)


def stack_known(known: Sequence[Table]) -> Table:
    """Several known-objects tables (:func:`xrbvo.io.known.read_known`) as one, their text columns as str.

    Parameters
    ----------
    known : sequence of astropy.table.Table
        The known-objects tables.

    Returns
    -------
    astropy.table.Table
        One table in the standard known-objects columns.
    """
    parts = []
    for t in known:
        missing = [c for c in KNOWN_COLUMNS if c not in t.colnames]
        if missing:
            raise InputError(f"known-objects table {t.meta.get('SOURCE', '')}: no {', '.join(missing)} column(s); "
                             "read it with xrbvo.io.known.read_known")
        sub = Table([t[c] for c in KNOWN_COLUMNS], names=KNOWN_COLUMNS, copy=False)
        for c in ("name", "known_class", "known_type"):
            sub[c] = np.asarray(sub[c]).astype(str).astype(object)
        sub.meta = {}
        parts.append(sub)
    out = vstack(parts, join_type="exact", metadata_conflicts="silent") if parts else Table(names=KNOWN_COLUMNS)
    for c in ("name", "known_class", "known_type"):
        out[c] = np.asarray(out[c]).astype(str)
    return out


def _coords(ra, dec) -> SkyCoord:
    return SkyCoord(np.asarray(ra, float) * u.deg, np.asarray(dec, float) * u.deg)


def _error_class(radius_arcsec: np.ndarray, floor_arcsec: float) -> np.ndarray:
    """Error classes: radii within a factor 2 share one (the class of the floor is 0)."""
    base = max(floor_arcsec, 1e-3)
    return np.ceil(np.log2(np.maximum(radius_arcsec, base) / base)).astype(int)


def _pairs_within(ra_a, dec_a, err_a, ra_b, dec_b, err_b, floor_arcsec: float):
    """Every pair (i of A, j of B) within its own match radius, and its separation (arcsec).

    A and B are grouped by error class (radii within a factor 2); each pair of classes
    is searched with the largest radius of the two classes, so a search radius is at
    most twice that of the pairs it looks for and memory follows the pairs found.
    """
    ea = np.nan_to_num(np.asarray(err_a, float), nan=0.0)
    eb = np.nan_to_num(np.asarray(err_b, float), nan=0.0)
    out_i, out_j, out_s = [np.zeros(0, int)], [np.zeros(0, int)], [np.zeros(0)]
    if len(ea) == 0 or len(eb) == 0:
        return out_i[0], out_j[0], out_s[0]
    ca, cb = _error_class(K99 * ea, floor_arcsec), _error_class(K99 * eb, floor_arcsec)
    groups_b = []
    for kb in np.unique(cb):
        jb = np.flatnonzero(cb == kb)
        groups_b.append((jb, _coords(np.asarray(ra_b, float)[jb], np.asarray(dec_b, float)[jb]),
                         float(np.max(eb[jb]))))
    for ka in np.unique(ca):
        ia = np.flatnonzero(ca == ka)
        coords_a = _coords(np.asarray(ra_a, float)[ia], np.asarray(dec_a, float)[ia])
        emax_a = float(np.max(ea[ia]))
        for jb, coords_b, emax_b in groups_b:
            radius = float(match_radius_arcsec(emax_a, emax_b, floor_arcsec=floor_arcsec))
            i_a, i_b, d2d, _ = coords_b.search_around_sky(coords_a, radius * u.arcsec)
            s = d2d.to_value(u.arcsec)
            gi, gj = ia[i_a], jb[i_b]
            ok = s <= match_radius_arcsec(ea[gi], eb[gj], floor_arcsec=floor_arcsec)
            out_i.append(gi[ok])
            out_j.append(gj[ok])
            out_s.append(s[ok])
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_s)


def _compatible(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Classes that can be one object's: the same, or one of them not given."""
    return (a == b) | (a == "") | (b == "")


def dedupe_known(known: Table, origin=None, *, floor_arcsec: float = FLOOR_ARCSEC) -> Table:
    """One row per known object: rows at the same position within their errors and of compatible classes merged.

    Two rows are one object when their separation is within their match radius
    (:func:`match_radius_arcsec` of both errors), their classes are the same or
    one is empty, and they come from different catalogues or bear the same name
    (the rows of one catalogue are its distinct objects, unless repeated); groups
    are closed transitively.  The object takes the
    position and error of its best-localised row (a row without an error counts
    as error 0), its non-empty class, all its distinct names joined by ``" = "``
    and all its distinct types joined by ``"; "``.  ``meta["NMERGED"]`` counts the
    rows merged away.  Rows with an error over :data:`MAX_KNOWN_ERR_ARCSEC` merge with nothing.

    Parameters
    ----------
    known : Table
        A table in :data:`xrbvo.io.known.KNOWN_COLUMNS` (:func:`stack_known`).
    origin : array of int, optional
        Per row, the catalogue it comes from (default: all from one).
    floor_arcsec : float
        The smallest match radius.

    Returns
    -------
    astropy.table.Table
        One row per object, in the order of each object's first row.
    """
    n = len(known)
    names = np.asarray(known["name"]).astype(str)
    cls = np.asarray(known["known_class"]).astype(str)
    types = np.asarray(known["known_type"]).astype(str)
    err = np.asarray(known["pos_err"], float)
    ok = np.flatnonzero(~(err > MAX_KNOWN_ERR_ARCSEC))  # the objects set aside merge with nothing
    ra, dec = np.asarray(known["ra"], float)[ok], np.asarray(known["dec"], float)[ok]
    i, j, _ = _pairs_within(ra, dec, err[ok], ra, dec, err[ok], floor_arcsec)
    i, j = ok[i], ok[j]
    origin = np.zeros(n, int) if origin is None else np.asarray(origin, int)
    keep = (i < j) & _compatible(cls[i], cls[j]) & ((origin[i] != origin[j]) | (names[i] == names[j]))
    i, j = i[keep], j[keep]
    if len(i) == 0:
        out = known.copy(copy_data=True)
        out.meta["NMERGED"] = 0
        return out
    parent = np.arange(n)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(i.tolist(), j.tolist()):
        ra_, rb = root(a), root(b)
        if ra_ != rb:
            parent[max(ra_, rb)] = min(ra_, rb)
    roots = np.array([root(x) for x in range(n)], int)  # a group's root is its first row
    groups, first_row, size = np.unique(roots, return_index=True, return_counts=True)
    if len(groups) == n:
        out = known.copy(copy_data=True)
        out.meta["NMERGED"] = 0
        return out
    pick = first_row.copy()  # per group (in the order of its first row): its best-localised row
    out_names, out_cls, out_types = names[first_row].copy(), cls[first_row].copy(), types[first_row].copy()
    out_names, out_cls, out_types = (out_names.astype(object), out_cls.astype(object), out_types.astype(object))
    by_group = np.argsort(roots, kind="stable")  # rows grouped, each group in the catalogues' order
    bounds = np.r_[0, np.cumsum(size)]
    for g in np.flatnonzero(size > 1):
        members = by_group[bounds[g]:bounds[g + 1]]
        pick[g] = members[np.argmin(np.nan_to_num(err[members], nan=0.0))]
        out_names[g] = " = ".join(dict.fromkeys(names[members]))
        out_cls[g] = next((c for c in cls[members] if c), "")
        out_types[g] = "; ".join(dict.fromkeys(t for t in types[members] if t))
    out = known[pick].copy(copy_data=True)
    out["name"] = out_names.astype(str)
    out["known_class"] = out_cls.astype(str)
    out["known_type"] = out_types.astype(str)
    out.meta["NMERGED"] = int(n - len(out))
    return out


@dataclass(frozen=True)
class KnownMatch:
    """The known objects and their pairs with the X-ray sources (:func:`match_objects`).

    Parameters
    ----------
    objects : astropy.table.Table
        One row per known object.
    matchable : numpy.ndarray
        Per object: its error is at most :data:`MAX_KNOWN_ERR_ARCSEC`.
    source, obj : numpy.ndarray
        Per pair: the X-ray source's row and the object's row.
    sep_arcsec, prob : numpy.ndarray
        Per pair: the separation (arcsec) and the probability that the source is the object.
    unique : numpy.ndarray
        Per pair: the source is the object's unique match.
    """

    objects: Table
    """One row per known object (:func:`dedupe_known`), the objects set aside included."""
    matchable: np.ndarray
    """Objects whose error is at most :data:`MAX_KNOWN_ERR_ARCSEC` (the others are never matched)."""
    source: np.ndarray
    """Per pair: the X-ray source's row."""
    obj: np.ndarray
    """Per pair: the known object's row in :attr:`objects`."""
    sep_arcsec: np.ndarray
    prob: np.ndarray
    """Per pair: the probability that the source is the object."""
    unique: np.ndarray
    """Per pair: the source is the object's unique match."""


def match_objects(catalogue: Table, known: Sequence[Table], *, floor_arcsec: float = FLOOR_ARCSEC) -> KnownMatch:
    """The known objects, every consistent (source, object) pair and its probability (the module's rules).

    Parameters
    ----------
    catalogue : astropy.table.Table
        The X-ray sources (``ra``, ``dec`` in degrees, ``pos_err`` in arcsec).
    known : sequence of astropy.table.Table
        Known-objects tables (:func:`xrbvo.io.known.read_known`), stacked and de-duplicated here.
    floor_arcsec : float
        The smallest match radius.

    Returns
    -------
    KnownMatch
        The objects and the pairs.
    """
    if not (math.isfinite(floor_arcsec) and floor_arcsec >= 0):
        raise InputError(f"known-objects match: floor {floor_arcsec!r} arcsec must be a number >= 0")
    origin = np.repeat(np.arange(len(known)), [len(t) for t in known])
    objects = dedupe_known(stack_known(known), origin, floor_arcsec=floor_arcsec)
    kerr = np.asarray(objects["pos_err"], float)
    matchable = ~(kerr > MAX_KNOWN_ERR_ARCSEC)
    m = np.flatnonzero(matchable)
    err = np.asarray(catalogue["pos_err"], float)
    ra, dec = np.asarray(catalogue["ra"], float), np.asarray(catalogue["dec"], float)
    i_src, k, sep = _pairs_within(ra, dec, err, np.asarray(objects["ra"], float)[m],
                                  np.asarray(objects["dec"], float)[m], kerr[m], floor_arcsec)
    k = m[k]
    prob = np.zeros(len(k))
    unique = np.zeros(len(k), bool)
    if len(k):
        s2 = np.nan_to_num(err[i_src], nan=0.0) ** 2 + np.nan_to_num(kerr[k], nan=0.0) ** 2
        s2 = np.maximum(s2, (floor_arcsec / K99) ** 2 if floor_arcsec > 0 else 1e-12)
        g = np.exp(-0.5 * sep ** 2 / s2) / (2 * np.pi * s2)
        rho = _density(ra, dec, objects, np.unique(k), floor_arcsec)
        lr = g / rho[k]
        total = np.bincount(k, weights=lr, minlength=len(objects))
        prob = lr / (total[k] + (1 - DETECTION_PRIOR) / DETECTION_PRIOR)
        count = np.bincount(k, minlength=len(objects))
        unique = (count[k] == 1) | (prob >= UNIQUE_PROB)
    return KnownMatch(objects, matchable, i_src, k, sep, prob, unique)


def _density(ra, dec, objects: Table, rows: np.ndarray, floor_arcsec: float) -> np.ndarray:
    """X-ray sources per arcsec**2 around the objects ``rows`` (others: NaN).

    ``k / (pi d**2)`` with ``d`` the distance of the (k+1)-th nearest source, ``k`` =
    :data:`DENSITY_NEIGHBOURS` (the nearest is left out: it may be the object itself);
    with fewer sources, as many as there are; with one source, one per square degree.
    """
    rho = np.full(len(objects), np.nan)
    n = len(ra)
    kth = min(DENSITY_NEIGHBOURS + 1, n)
    if kth < 2:
        rho[rows] = 1.0 / 3600.0 ** 2
        return rho
    src = _coords(ra, dec)
    at = _coords(np.asarray(objects["ra"], float)[rows], np.asarray(objects["dec"], float)[rows])
    _, d, _ = at.match_to_catalog_sky(src, nthneighbor=kth)
    d = np.maximum(d.to_value(u.arcsec), max(floor_arcsec, 1.0))
    rho[rows] = (kth - 1) / (np.pi * d ** 2)
    return rho


def _per_source(n: int, match: KnownMatch) -> tuple[np.ndarray, np.ndarray]:
    """Per source: its pair (-1: none), the object it matches uniquely, else its most probable one."""
    best = np.full(n, -1)
    if len(match.source):
        order = np.lexsort((-match.prob, ~match.unique, match.source))
        src = match.source[order]
        first = np.ones(len(src), bool)
        first[1:] = src[1:] != src[:-1]
        best[src[first]] = order[first]
    return best, best >= 0


def match_known(catalogue: Table, known: Sequence[Table], *, floor_arcsec: float = FLOOR_ARCSEC) -> Table:
    """Add ``known_name``, ``known_class``, ``known_sep``, ``known_prob``, ``known_match`` and ``new``
    to the catalogue (in place; returned).

    Parameters
    ----------
    catalogue : Table
        The catalogue (``ra``, ``dec`` in degrees, ``pos_err`` in arcsec).
    known : sequence of Table
        Known-objects tables as :func:`xrbvo.io.known.read_known` returns them,
        stacked and de-duplicated (:func:`dedupe_known`) and matched by the
        module's rules.
    floor_arcsec : float
        The smallest match radius.

    Returns
    -------
    astropy.table.Table
        The catalogue, with the six columns added.
    """
    match = match_objects(catalogue, known, floor_arcsec=floor_arcsec)
    n = len(catalogue)
    pair, hit = _per_source(n, match)
    p = pair[hit]
    kn = match.objects
    name = np.full(n, "", dtype=object)
    cls = np.full(n, "", dtype=object)
    kind = np.full(n, "", dtype=object)
    sep = np.full(n, np.nan)
    prob = np.full(n, np.nan)
    name[hit] = np.asarray(kn["name"]).astype(str)[match.obj[p]]
    cls[hit] = np.asarray(kn["known_class"]).astype(str)[match.obj[p]]
    kind[hit] = np.where(match.unique[p], "unique", "ambiguous")
    sep[hit] = match.sep_arcsec[p]
    prob[hit] = match.prob[p]
    for col, values in (("known_name", name), ("known_class", cls), ("known_match", kind)):
        catalogue[col] = values.astype(str) if n else np.zeros(0, "<U1")
    catalogue["known_sep"] = sep
    catalogue["known_prob"] = prob
    catalogue["new"] = kind != "unique"
    catalogue.meta["KNOWN"] = ",".join(str(t.meta.get("SOURCE", "table")) for t in known)
    catalogue.meta["KNOWNFLR"] = float(floor_arcsec)
    catalogue.meta["KNOWNUNQ"] = UNIQUE_PROB
    catalogue.meta["KNOWNPRI"] = DETECTION_PRIOR
    catalogue.meta["KNOWNMXE"] = MAX_KNOWN_ERR_ARCSEC
    catalogue.meta["KNOWNOBJ"] = int(len(kn))
    catalogue.meta["KNOWNMRG"] = int(kn.meta.get("NMERGED", 0))
    catalogue.meta["KNOWNBIG"] = int(np.sum(~match.matchable))
    return input_columns_last(catalogue)  # the input table's own columns stay after xrbvo's


@dataclass(frozen=True)
class MissedXrb:
    """A known X-ray binary in the field that is not a candidate of its class, at its own position.

    Parameters
    ----------
    name : str
        Name of the known object.
    known_class : str
        Class of the known object (HMXB or LMXB).
    xid : str
        Its most probable X-ray source ("" when no source lies in its region).
    reason : str
        Why it is not a candidate: ``below the cut``, ``no coverage``, ``candidate as <class>``, ``not
        detected``.
    p : float
        The source's P_<known_class> (NaN when no source lies in its region).
    ra : float
        The known object's own right ascension (deg, ICRS).
    dec : float
        The known object's own declination (deg, ICRS).
    pos_err : float, optional
        The known object's 1-sigma error (arcsec; NaN: not given).
    """

    name: str
    known_class: str
    xid: str
    """Its most probable X-ray source ("" when no source lies in its region)."""
    reason: str
    """Why it is not a candidate: ``below the cut``, ``no coverage``, ``candidate as <class>``, ``not detected``."""
    p: float
    """The source's P_<known_class> (NaN when no source lies in its region)."""
    ra: float
    """The known object's own position (deg, ICRS)."""
    dec: float
    pos_err: float = float("nan")
    """The known object's 1-sigma error (arcsec; NaN: not given)."""


@dataclass(frozen=True)
class KnownSummary:
    """Known and new candidates, and the known X-ray binaries the selection missed.

    Parameters
    ----------
    counts : dict[str, dict[str, int]]
        Candidate class -> {"known": n, "possibly_known": n, "new": n, "known_as": {class: n}} (known: a
        unique match; possibly_known: an ambiguous one, counted among the new too).
    missed : tuple[MissedXrb, ...]
        Known X-ray binaries in the field that are not candidates of their class, each once, most probable first.
    objects : tuple[MissedXrb, ...], optional
        Every known object some candidate matches, each once, at its own position.
    set_aside : int, optional
        Known objects too poorly localised to match.
    """

    counts: dict[str, dict[str, int]]
    """Candidate class -> {"known": n, "possibly_known": n, "new": n, "known_as": {class: n}} (known: a unique
    match; possibly_known: an ambiguous one, counted among the new too; known_as counts the known class)."""
    missed: tuple[MissedXrb, ...]
    """Known X-ray binaries in the field that are not candidates of their class, each once, most probable first."""
    objects: tuple[MissedXrb, ...] = ()
    """Every known object some candidate matches (uniquely or ambiguously), each once, with its own position;
    ``reason`` is ``known candidate`` or ``possibly a candidate``."""
    set_aside: int = 0
    """Known objects too poorly localised to match (error over :data:`MAX_KNOWN_ERR_ARCSEC`)."""


def _in_field(catalogue: Table, known: Table, floor_arcsec: float) -> np.ndarray:
    """Known objects that lie within the field: closer to some X-ray source than the sources' typical spacing."""
    if len(catalogue) < 2 or len(known) == 0:
        return np.zeros(len(known), bool)
    src = _coords(catalogue["ra"], catalogue["dec"])
    kn = _coords(known["ra"], known["dec"])
    _, d_src, _ = src.match_to_catalog_sky(src, nthneighbor=2)
    spacing = float(np.nanpercentile(d_src.to_value(u.arcsec), 90))
    _, d, _ = kn.match_to_catalog_sky(src)
    return d.to_value(u.arcsec) <= max(2 * spacing, floor_arcsec)


def _missed_from_columns(catalogue: Table, cand: np.ndarray, kcls: np.ndarray, kind: np.ndarray) -> tuple:
    """Without the known-objects tables (a finished catalogue read back): the known X-ray binaries its
    ``known_*`` columns name that are not candidates of their class, each once, at its most probable source."""
    kname = np.asarray(catalogue["known_name"]).astype(str)
    prob = (np.asarray(catalogue["known_prob"], float) if "known_prob" in catalogue.colnames
            else np.ones(len(kname)))
    cov = np.asarray(catalogue["coverage"], bool) if "coverage" in catalogue.colnames else np.ones(len(cand), bool)
    xid = np.asarray(catalogue["xid"]).astype(str)
    rows = np.flatnonzero(np.isin(kcls, XRB_CLASSES) & (kname != ""))
    missed = []
    for name in dict.fromkeys(kname[rows]):
        mine = rows[kname[rows] == name]
        c = kcls[mine[0]]
        if np.any(cand[mine] == c):
            continue
        i = int(mine[np.lexsort((-np.nan_to_num(prob[mine], nan=-1.0), kind[mine] != "unique"))[0]])
        reason = f"candidate as {cand[i]}" if cand[i] else "no coverage" if not cov[i] else "below the cut"
        missed.append(MissedXrb(str(name), str(c), str(xid[i]), reason, float(catalogue[f"P_{c}"][i]),
                                float(catalogue["ra"][i]), float(catalogue["dec"][i])))
    missed.sort(key=lambda m: (-np.nan_to_num(m.p, nan=-1.0), m.name))
    return tuple(missed)


def known_summary(catalogue: Table, known: Sequence[Table] = (), *, floor_arcsec: float = FLOOR_ARCSEC
                  ) -> KnownSummary:
    """Count known, possibly known and new candidates per class and list the known X-ray binaries that are not
    candidates, each known object once.

    Parameters
    ----------
    catalogue : Table
        A catalogue that went through :func:`match_known`.
    known : sequence of Table
        The known-objects tables it was matched with (none: the known X-ray
        binaries the catalogue's ``known_*`` columns name, each once, at its
        source's position; no ``not detected`` ones).  A known X-ray binary is
        listed when some source lies in its region (with its most probable
        source and why that source is not a candidate of its class, unless one
        of its sources is) or, with no source in its region, when it lies in the
        field: within twice the 90th percentile of the sources' nearest-neighbour
        spacing of an X-ray source (``not detected``).
    floor_arcsec : float, optional
        Smallest match radius, arcsec.

    Returns
    -------
    KnownSummary
        Known, possibly known and new candidates per class, the known objects the candidates match, and the
        missed known X-ray binaries.
    """
    cand = np.asarray(catalogue["candidate_class"]).astype(str)
    kcls = np.asarray(catalogue["known_class"]).astype(str)
    new = np.asarray(catalogue["new"], bool)
    kind = (np.asarray(catalogue["known_match"]).astype(str) if "known_match" in catalogue.colnames
            else np.where(new, "", "unique"))
    counts = {}
    for c in XRB_CLASSES:
        sel = cand == c
        as_ = {k: int(np.sum(sel & ~new & (kcls == k))) for k in sorted(set(kcls[sel & ~new]))}
        counts[c] = {"known": int(np.sum(sel & ~new)), "possibly_known": int(np.sum(sel & (kind == "ambiguous"))),
                     "new": int(np.sum(sel & new)), "known_as": as_}
    if not known:
        return KnownSummary(counts, _missed_from_columns(catalogue, cand, kcls, kind))
    match = match_objects(catalogue, known, floor_arcsec=floor_arcsec)
    objs = match.objects
    o_name = np.asarray(objs["name"]).astype(str)
    o_cls = np.asarray(objs["known_class"]).astype(str)
    o_ra, o_dec = np.asarray(objs["ra"], float), np.asarray(objs["dec"], float)
    o_err = np.asarray(objs["pos_err"], float)
    cov = np.asarray(catalogue["coverage"], bool) if "coverage" in catalogue.colnames else np.ones(len(cand), bool)
    xid = np.asarray(catalogue["xid"]).astype(str)
    pair, hit = _per_source(len(catalogue), match)
    listed = np.zeros(len(match.source), bool)  # the pairs the catalogue shows (each source's chosen object)
    listed[pair[hit]] = True
    missed, shown = [], []
    order = np.lexsort((-match.prob, match.obj))  # per object, most probable source first
    starts = np.flatnonzero(np.r_[True, match.obj[order][1:] != match.obj[order][:-1]]) if len(order) else []
    has_pairs = np.zeros(len(objs), bool)
    for a, b in zip(starts, list(starts[1:]) + [len(order)]):
        pp = order[a:b]
        k = int(match.obj[pp[0]])
        has_pairs[k] = True
        srcs = match.source[pp]
        c = o_cls[k]
        of_class = cand[srcs] == c if c else np.zeros(len(srcs), bool)
        if (listed[pp] & (cand[srcs] != "")).any():
            lp = pp[listed[pp] & (cand[srcs] != "")][0]
            shown.append(MissedXrb(str(o_name[k]), str(c), str(xid[match.source[lp]]),
                                   "known candidate" if match.unique[lp] else "possibly a candidate",
                                   float(match.prob[lp]), float(o_ra[k]), float(o_dec[k]), float(o_err[k])))
        if c not in XRB_CLASSES or of_class.any():
            continue
        i = int(srcs[0])
        reason = f"candidate as {cand[i]}" if cand[i] else "no coverage" if not cov[i] else "below the cut"
        missed.append(MissedXrb(str(o_name[k]), str(c), str(xid[i]), reason, float(catalogue[f"P_{c}"][i]),
                                float(o_ra[k]), float(o_dec[k]), float(o_err[k])))
    rest = np.flatnonzero(~has_pairs & match.matchable & np.isin(o_cls, XRB_CLASSES))
    if len(rest):
        inside = rest[_in_field(catalogue, objs[rest], floor_arcsec)]
        for k in inside:
            missed.append(MissedXrb(str(o_name[k]), str(o_cls[k]), "", "not detected", float("nan"),
                                    float(o_ra[k]), float(o_dec[k]), float(o_err[k])))
    missed.sort(key=lambda m: (-np.nan_to_num(m.p, nan=-1.0), m.name))
    return KnownSummary(counts, tuple(missed), tuple(shown), int(np.sum(~match.matchable)))
