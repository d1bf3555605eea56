"""The report of a run: something to look at beside the catalogue.

:func:`write_report` writes into one directory (``xrbvo run`` uses ``OUT/report``):

- ``sky_map.png``: the field in Galactic coordinates, longitude increasing to the
  left, candidates coloured by class, known and new ones marked differently
  (:func:`xrbvo.io.plots.sky_map`);
- one PNG per candidate (:func:`xrbvo.io.report.candidate_png`), at most
  ``max_pngs`` of them, the most probable first (``P_<candidate_class>``);
- ``index.html``: every candidate, sorted by ``P_HMXB`` then ``P_LMXB``, with
  its main columns and a link to its picture, and the known X-ray binaries in
  the field that are not candidates (when known objects were matched).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from xrbvo.core.errors import Cancelled, InputError
from xrbvo.io.plots import sky_map
from xrbvo.io.report import candidate_png, index_html, png_name, write_html
from xrbvo.workflows.analyse import Analysis

__all__ = ["DEFAULT_MAX_PNGS", "ReportFiles", "write_report", "candidate_order", "known_marks",
           "possibly_known_rows"]

#: Default cap on the number of candidate pictures (``--report-max``).
DEFAULT_MAX_PNGS = 200


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    index: Path
    sky_map: Path
    pngs: dict[str, Path]
    """Candidate xid -> its picture."""
    skipped: int
    """Candidates without a picture (beyond ``max_pngs``)."""


def candidate_order(catalogue) -> tuple[np.ndarray, np.ndarray]:
    """Catalogue rows of the candidates: (index order: by P_HMXB then P_LMXB, descending;
    picture order: by the probability of the candidate's own class, descending)."""
    cand = np.asarray(catalogue["candidate_class"]).astype(str)
    rows = np.flatnonzero(cand != "")
    ph = np.nan_to_num(np.asarray(catalogue["P_HMXB"], float)[rows], nan=-1.0)
    pl = np.nan_to_num(np.asarray(catalogue["P_LMXB"], float)[rows], nan=-1.0)
    index = rows[np.lexsort((-pl, -ph))]
    own = np.array([float(catalogue[f"P_{cand[r]}"][r]) for r in rows])
    pictures = rows[np.argsort(-np.nan_to_num(own, nan=-1.0), kind="stable")]
    return index, pictures


def known_marks(summary) -> list:
    """The known objects the sky map draws, each once at its own position (:class:`xrbvo.io.plots.KnownMark`):
    those a candidate matches, and the known X-ray binaries that are not candidates.

    Parameters
    ----------
    summary : xrbvo.stages.known.KnownSummary
        The run's known-objects summary.

    Returns
    -------
    list of xrbvo.io.plots.KnownMark
        One per object.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    from xrbvo.core.geometry import K99
    from xrbvo.io.plots import KnownMark

    objs, seen = [], set()
    for m in list(summary.objects) + [m for m in summary.missed]:
        key = (m.name, m.ra, m.dec)
        if key not in seen:
            seen.add(key)
            objs.append(m)
    if not objs:
        return []
    g = SkyCoord([m.ra for m in objs] * u.deg, [m.dec for m in objs] * u.deg).galactic
    return [KnownMark(m.name, float(lv), float(bv), K99 * m.pos_err,
                      m.reason if m.reason in ("known candidate", "possibly a candidate", "not detected")
                      else "not a candidate") for m, lv, bv in zip(objs, g.l.deg, g.b.deg)]


def possibly_known_rows(catalogue, rows) -> list[dict]:
    """The candidates (of ``rows``, in that order) that possibly are a known object (``known_match`` ambiguous).

    Parameters
    ----------
    catalogue : astropy.table.Table
        The catalogue after the known-or-new match.
    rows : sequence of int
        Catalogue rows of the candidates, in the index's order.

    Returns
    -------
    list of dict
        ``xid``, ``candidate_class``, ``P``, ``known_name``, ``known_class``, ``known_prob``, ``known_sep``.
    """
    if "known_match" not in catalogue.colnames:
        return []
    kind = np.asarray(catalogue["known_match"]).astype(str)
    out = []
    for r in rows:
        if kind[r] == "ambiguous":
            c = str(catalogue["candidate_class"][r])
            out.append({"xid": str(catalogue["xid"][r]), "candidate_class": c, "P": catalogue[f"P_{c}"][r],
                        "known_name": str(catalogue["known_name"][r]), "known_class": str(catalogue["known_class"][r]),
                        "known_prob": catalogue["known_prob"][r], "known_sep": catalogue["known_sep"][r]})
    return out


def write_report(analysis: Analysis, directory: str | Path, *, max_pngs: int = DEFAULT_MAX_PNGS,
                 title: str = "xrbvo candidates", progress: Callable[[str, float], None] | None = None,
                 cancel: threading.Event | None = None) -> ReportFiles:
    """Write the sky map, one PNG per candidate (at most ``max_pngs``) and ``index.html`` into ``directory``.

    Parameters
    ----------
    analysis : Analysis
        What :func:`xrbvo.workflows.analyse` returned.
    directory : path
        Where the report goes (created).
    max_pngs : int
        Most candidate pictures to draw, the most probable first; the index
        lists every candidate and says how many have no picture.
    """
    if max_pngs < 0:
        raise InputError(f"--report-max {max_pngs}: give a number of pictures >= 0")
    d = Path(directory)
    cat = analysis.catalogue
    index_rows, picture_rows = candidate_order(cat)
    drawn = picture_rows[:max_pngs]
    skipped = len(picture_rows) - len(drawn)
    nb = analysis.neighbours
    nb_xid = np.asarray(nb["xid"]).astype(str)
    order = np.argsort(nb_xid, kind="stable")
    sorted_xid = nb_xid[order]
    surveys = [c[4:] for c in cat.colnames if c.startswith("nid_")]
    pngs: dict[str, Path] = {}
    xids = np.asarray(cat["xid"]).astype(str)
    for k, r in enumerate(drawn):
        if cancel is not None and cancel.is_set():
            raise Cancelled("report cancelled")
        xid = xids[r]
        lo, hi = np.searchsorted(sorted_xid, xid, "left"), np.searchsorted(sorted_xid, xid, "right")
        sel = order[lo:hi]
        mine = {c: np.asarray(nb[c])[sel] for c in ("survey", "nid", "ra", "dec")}
        row = {c: cat[c][r] for c in cat.colnames}
        chosen = {s: str(cat[f"nid_{s}"][r]) for s in surveys}
        pngs[xid] = candidate_png(row, mine, d / png_name(int(r), xid), chosen=chosen)
        if progress is not None:
            progress(f"candidate pictures {k + 1}/{len(drawn)}", (k + 1) / max(len(drawn), 1))
    summary = analysis.summary()["known"] if analysis.known else None
    missed = summary.missed if summary is not None else ()
    sky = sky_map(cat, d / "sky_map.png", title=f"{title}: {len(index_rows)} X-ray-binary candidates",
                  known=known_marks(summary) if summary is not None else ())
    has_known = "new" in cat.colnames
    rows = []
    for r in index_rows:
        c = str(cat["candidate_class"][r])
        rec = {"xid": xids[r], "l": cat["l"][r], "b": cat["b"][r], "candidate_class": c, "P": cat[f"P_{c}"][r],
               "P_field": cat[f"P_{c}_field"][r], "expected_purity": cat["expected_purity"][r],
               "png": pngs[xids[r]].name if xids[r] in pngs else ""}
        if has_known:
            rec["known"] = "new" if bool(cat["new"][r]) else f"{cat['known_name'][r]} ({cat['known_class'][r]})"
        rows.append(rec)
    possibly = possibly_known_rows(cat, index_rows)
    note = (f"{len(index_rows)} candidates among {len(cat)} X-ray sources (input: {analysis.source}). "
            f"P is at the model's selection priors (where the cuts apply), P_field at the field's priors.")
    if skipped:
        note += (f" {skipped} candidates have no picture: at most {max_pngs} are drawn, the most probable first "
                 "(--report-max).")
    index = write_html(index_html(rows, title=title, sky_map=sky.name, note=note, missed=[vars(m) for m in missed],
                                  possibly=possibly), d / "index.html")
    return ReportFiles(index, sky, pngs, skipped)
