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

from xrbvo.core.defaults import DEFAULT_MAX_PNGS  # cap on candidate pictures (--report-max)
from xrbvo.core.errors import Cancelled, InputError
from xrbvo.io.plots import sky_map
from xrbvo.io.report import candidate_png, index_html, png_name, write_html
from xrbvo.workflows.analyse import Analysis

__all__ = ["DEFAULT_MAX_PNGS", "ReportFiles", "write_report", "candidate_order"]



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
    missed = analysis.summary()["known"].missed if analysis.known else ()
    undetected = [m for m in missed if not m.xid]
    if undetected:
        from astropy import units as u
        from astropy.coordinates import SkyCoord

        g = SkyCoord([m.ra for m in undetected] * u.deg, [m.dec for m in undetected] * u.deg).galactic
        undetected = [(m.name, lv, bv) for m, lv, bv in zip(undetected, g.l.deg, g.b.deg)]
    sky = sky_map(cat, d / "sky_map.png", title=f"{title}: {len(index_rows)} X-ray-binary candidates",
                  undetected=undetected)
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
    note = (f"{len(index_rows)} candidates among {len(cat)} X-ray sources (input: {analysis.source}). "
            f"P is at the model's selection priors (where the cuts apply), P_field at the field's priors.")
    if skipped:
        note += (f" {skipped} candidates have no picture: at most {max_pngs} are drawn, the most probable first "
                 "(--report-max).")
    index = write_html(index_html(rows, title=title, sky_map=sky.name, note=note, missed=[vars(m) for m in missed]),
                       d / "index.html")
    return ReportFiles(index, sky, pngs, skipped)
