"""Known or new: cross-match the X-ray sources with catalogues of known objects.

The match radius of a source and a known object is the 99% error circle of their
combined positional error, with a floor::

    radius = max(K99 * sqrt(pos_err**2 + known_pos_err**2), floor_arcsec)

where ``pos_err`` is the X-ray 1-sigma error per coordinate, ``known_pos_err`` the
known object's own error (0 when its catalogue gives none) and
``K99 = sqrt(-2 ln 0.01) = 3.035`` the radius, in sigmas, that holds 99% of a
circular 2-D Gaussian (a Rayleigh distribution).  The floor (default
:data:`FLOOR_ARCSEC`, 5 arcsec) covers the systematics of old catalogue positions.
The nearest known object within its radius wins.

The stage adds ``known_name``, ``known_class``, ``known_sep`` (arcsec) and ``new``
(True when no known object matched) to the catalogue; :func:`known_summary` counts,
per candidate class, the known and the new candidates, and lists the known X-ray
binaries in the field that are not candidates.
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

__all__ = ["K99", "FLOOR_ARCSEC", "match_radius_arcsec", "match_known", "known_summary", "KnownSummary",
           "MissedXrb", "stack_known"]


#: Smallest match radius (arcsec).
FLOOR_ARCSEC = 5.0


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


def _nearest(catalogue: Table, known: Table, floor_arcsec: float):
    """For each source: index of the nearest known object within its radius (-1: none) and its separation."""
    n = len(catalogue)
    idx = np.full(n, -1)
    sep = np.full(n, np.nan)
    if n == 0 or len(known) == 0:
        return idx, sep
    src = SkyCoord(np.asarray(catalogue["ra"], float) * u.deg, np.asarray(catalogue["dec"], float) * u.deg)
    kn = SkyCoord(np.asarray(known["ra"], float) * u.deg, np.asarray(known["dec"], float) * u.deg)
    err = np.asarray(catalogue["pos_err"], float)
    kerr = np.asarray(known["pos_err"], float)
    rmax = float(np.max(match_radius_arcsec(np.nanmax(np.append(err, 0.0)), np.nanmax(np.append(kerr, 0.0)),
                                            floor_arcsec=floor_arcsec)))
    i_src, i_kn, d2d, _ = kn.search_around_sky(src, rmax * u.arcsec)  # (index into src, index into kn, ...)
    s = d2d.to_value(u.arcsec)
    ok = s <= match_radius_arcsec(err[i_src], kerr[i_kn], floor_arcsec=floor_arcsec)
    i_src, i_kn, s = i_src[ok], i_kn[ok], s[ok]
    order = np.lexsort((s, i_src))  # by source, nearest first
    i_src, i_kn, s = i_src[order], i_kn[order], s[order]
    first = np.ones(len(i_src), bool)
    first[1:] = i_src[1:] != i_src[:-1]
    idx[i_src[first]] = i_kn[first]
    sep[i_src[first]] = s[first]
    return idx, sep


def match_known(catalogue: Table, known: Sequence[Table], *, floor_arcsec: float = FLOOR_ARCSEC) -> Table:
    """Add ``known_name``, ``known_class``, ``known_sep`` and ``new`` to the catalogue (in place; returned).

    Parameters
    ----------
    catalogue : Table
        The catalogue (``ra``, ``dec`` in degrees, ``pos_err`` in arcsec).
    known : sequence of Table
        Known-objects tables as :func:`xrbvo.io.known.read_known` returns them;
        all are searched together and the nearest object within its radius
        (:func:`match_radius_arcsec`) wins.
    floor_arcsec : float
        The smallest match radius.

    Returns
    -------
    astropy.table.Table
        The catalogue, with the four columns added.
    """
    if not (math.isfinite(floor_arcsec) and floor_arcsec >= 0):
        raise InputError(f"known-objects match: floor {floor_arcsec!r} arcsec must be a number >= 0")
    kn = stack_known(known)
    idx, sep = _nearest(catalogue, kn, floor_arcsec)
    hit = idx >= 0
    n = len(catalogue)
    name = np.full(n, "", dtype=object)
    cls = np.full(n, "", dtype=object)
    name[hit] = np.asarray(kn["name"])[idx[hit]]
    cls[hit] = np.asarray(kn["known_class"])[idx[hit]]
    catalogue["known_name"] = name.astype(str) if n else np.zeros(0, "<U1")
    catalogue["known_class"] = cls.astype(str) if n else np.zeros(0, "<U1")
    catalogue["known_sep"] = sep
    catalogue["new"] = ~hit
    catalogue.meta["KNOWN"] = ",".join(str(t.meta.get("SOURCE", "table")) for t in known)
    catalogue.meta["KNOWNFLR"] = float(floor_arcsec)
    return input_columns_last(catalogue)  # the input table's own columns stay after xrbvo's


@dataclass(frozen=True)
class MissedXrb:
    """A known X-ray binary in the field that is not a candidate of its class (its position: the X-ray source's
    when one matched it, else the known object's).

    Parameters
    ----------
    name : str
        Name of the known object.
    known_class : str
        Class of the known object (HMXB or LMXB).
    xid : str
        The X-ray source it matched ("" when no source matched it).
    reason : str
        Why it is not a candidate: ``below the cut``, ``no coverage``, ``candidate as <class>``, ``not
        detected``.
    p : float
        The source's P_<known_class> (NaN when no source matched it).
    ra : float
        The known object's position (deg, ICRS).
    dec : float
        Declination, degrees.
    """

    name: str
    known_class: str
    xid: str
    """The X-ray source it matched ("" when no source matched it)."""
    reason: str
    """Why it is not a candidate: ``below the cut``, ``no coverage``, ``candidate as <class>``, ``not detected``."""
    p: float
    """The source's P_<known_class> (NaN when no source matched it)."""
    ra: float
    """The known object's position (deg, ICRS)."""
    dec: float


@dataclass(frozen=True)
class KnownSummary:
    """Known and new candidates, and the known X-ray binaries the selection missed.

    Parameters
    ----------
    counts : dict[str, dict[str, int]]
        Candidate class -> {"known": n, "new": n, "known_as": {class: n}} (known_as counts the known
        class).
    missed : tuple[MissedXrb, ...]
        Known X-ray binaries in the field that are not candidates of their class, most probable first.
    """

    counts: dict[str, dict[str, int]]
    """Candidate class -> {"known": n, "new": n, "known_as": {class: n}} (known_as counts the known class)."""
    missed: tuple[MissedXrb, ...]
    """Known X-ray binaries in the field that are not candidates of their class, most probable first."""


def _in_field(catalogue: Table, known: Table, floor_arcsec: float) -> np.ndarray:
    """Known objects that lie within the field: closer to some X-ray source than the sources' typical spacing."""
    if len(catalogue) < 2 or len(known) == 0:
        return np.zeros(len(known), bool)
    src = SkyCoord(np.asarray(catalogue["ra"], float) * u.deg, np.asarray(catalogue["dec"], float) * u.deg)
    kn = SkyCoord(np.asarray(known["ra"], float) * u.deg, np.asarray(known["dec"], float) * u.deg)
    _, d_src, _ = src.match_to_catalog_sky(src, nthneighbor=2)
    spacing = float(np.nanpercentile(d_src.to_value(u.arcsec), 90))
    _, d, _ = kn.match_to_catalog_sky(src)
    return d.to_value(u.arcsec) <= max(2 * spacing, floor_arcsec)


def known_summary(catalogue: Table, known: Sequence[Table] = (), *, floor_arcsec: float = FLOOR_ARCSEC
                  ) -> KnownSummary:
    """Count known and new candidates per class and list the known X-ray binaries that are not candidates.

    Parameters
    ----------
    catalogue : Table
        A catalogue that went through :func:`match_known`.
    known : sequence of Table
        The known-objects tables (to find known X-ray binaries in the field that
        no X-ray source matched: ``not detected``).  "In the field" means within
        twice the 90th percentile of the sources' nearest-neighbour spacing of an
        X-ray source.
    floor_arcsec : float, optional
        Smallest match radius, arcsec.

    Returns
    -------
    KnownSummary
        Known and new candidates per class, and the missed known X-ray binaries.
    """
    cand = np.asarray(catalogue["candidate_class"]).astype(str)
    kname = np.asarray(catalogue["known_name"]).astype(str)
    kcls = np.asarray(catalogue["known_class"]).astype(str)
    new = np.asarray(catalogue["new"], bool)
    counts = {}
    for c in XRB_CLASSES:
        sel = cand == c
        as_ = {k: int(np.sum(sel & ~new & (kcls == k))) for k in sorted(set(kcls[sel & ~new]))}
        counts[c] = {"known": int(np.sum(sel & ~new)), "new": int(np.sum(sel & new)), "known_as": as_}
    missed = []
    cov = np.asarray(catalogue["coverage"], bool) if "coverage" in catalogue.colnames else np.ones(len(cand), bool)
    xid = np.asarray(catalogue["xid"]).astype(str)
    for i in np.flatnonzero(np.isin(kcls, XRB_CLASSES) & (cand != kcls)):
        reason = (f"candidate as {cand[i]}" if cand[i] else "no coverage" if not cov[i] else "below the cut")
        missed.append(MissedXrb(str(kname[i]), str(kcls[i]), str(xid[i]), reason,
                                float(catalogue[f"P_{kcls[i]}"][i]), float(catalogue["ra"][i]),
                                float(catalogue["dec"][i])))
    if known:
        kn = stack_known(known)
        xrb = np.isin(np.asarray(kn["known_class"]), XRB_CLASSES) & ~np.isin(np.asarray(kn["name"]), kname)
        inside = _in_field(catalogue, kn[xrb], floor_arcsec)
        for r in kn[xrb][inside]:
            missed.append(MissedXrb(str(r["name"]), str(r["known_class"]), "", "not detected", float("nan"),
                                    float(r["ra"]), float(r["dec"])))
    missed.sort(key=lambda m: (-np.nan_to_num(m.p, nan=-1.0), m.name))
    return KnownSummary(counts, tuple(missed))
