"""The report of a run: something to look at beside the catalogue.

:func:`write_report` (``xrbvo run``, from an :class:`~xrbvo.workflows.analyse.Analysis`) and
:func:`report_from_files` (``xrbvo report CATALOGUE``, from a finished catalogue and its companion
tables) both draw through :func:`draw_report`, so the two write the same pictures into one directory:

- ``sky_map.png``: the field in Galactic coordinates, longitude increasing to the
  left, filled to its frame, sources sized by X-ray flux, candidates coloured by
  class, known and new ones marked differently (:func:`xrbvo.io.plots.sky_map`);
- one PNG per candidate (:func:`xrbvo.io.report.candidate_png`), at most
  ``max_pngs`` of them, the most probable first (``P_<candidate_class>``);
- ``candidates.reg``: a ds9 region file of the candidates' X-ray circles and counterparts;
- ``diagnostics/``: population plots (:func:`xrbvo.io.population.population_plots`);
- ``index.html``: every candidate, sorted by ``P_HMXB`` then ``P_LMXB``, in a
  sortable, filterable table with its position, class, probabilities, counterpart
  magnitudes, known or new, links to SIMBAD, Aladin Lite and ESASky, and its
  picture; links to the catalogue files; the known X-ray binaries in the field
  that are not candidates (when known objects were matched).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
from astropy.table import Table

from xrbvo.core.defaults import DEFAULT_MAX_PNGS  # cap on candidate pictures (--report-max)
from xrbvo.core.errors import Cancelled, InputError
from xrbvo.core.schema import XRB_CLASSES
from xrbvo.io.plots import sky_map
from xrbvo.io.population import population_plots
from xrbvo.io.report import INDEX_MAGS, candidate_png, chart_wcs, index_html, png_name, regions_text, write_html
from xrbvo.io.outputs import save_output
from xrbvo.vo.hips import DEFAULT_DEADLINE_S, CutoutJob, auto_images, fetch_cutouts, survey_label
from xrbvo.workflows.analyse import Analysis

__all__ = ["check_report_dir", "DEFAULT_MAX_PNGS", "ReportFiles", "ReportInputs", "write_report", "draw_report", "report_from_files",
           "read_report_inputs", "candidate_order", "known_marks", "possibly_known_rows"]



@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote.

    Parameters
    ----------
    index : Path
        The ``index.html`` page.
    sky_map : Path
        The sky map PNG.
    pngs : dict[str, Path]
        Candidate xid -> its picture.
    skipped : int
        Candidates without a picture (beyond ``max_pngs``).
    regions : Path, optional
        The ds9 region file of the candidates.
    diagnostics : dict[str, Path], optional
        Population plot name -> file.
    missing : tuple of str, optional
        What the report could not show, one sentence each.
    images : tuple of str, optional
        The surveys whose cutouts lie under at least one chart.
    images_note : str, optional
        One line on the sky images when some chart has none.
    """

    index: Path
    sky_map: Path
    pngs: dict[str, Path]
    """Candidate xid -> its picture."""
    skipped: int
    """Candidates without a picture (beyond ``max_pngs``)."""
    regions: Path | None = None
    """The ds9 region file of the candidates."""
    diagnostics: dict[str, Path] = field(default_factory=dict)
    """Population plot name -> file."""
    missing: tuple[str, ...] = ()
    """What the report could not show, one sentence each (e.g. no neighbours table: no candidate pictures)."""
    images: tuple[str, ...] = ()
    """The surveys whose cutouts lie under at least one chart."""
    images_note: str = ""
    """One line on the sky images when some chart has none (a survey unreachable, too slow or blank there)."""


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report is drawn from.

    Parameters
    ----------
    catalogue : astropy.table.Table
        The catalogue.
    neighbours : astropy.table.Table, optional
        Every pulled neighbour with a ``survey`` column (None: candidate pictures are not drawn).
    missed : tuple of xrbvo.stages.known.MissedXrb, optional
        Known X-ray binaries that are not candidates.
    source : str, optional
        Where the X-ray sources came from.
    files : mapping of str to Path, optional
        Label -> catalogue file to link from the index.
    missing : tuple of str, optional
        What is missing, one sentence each.
    objects : tuple of xrbvo.stages.known.MissedXrb, optional
        Known objects some candidate matches, each once at its own position.
    """

    catalogue: Table
    neighbours: Table | None = None
    """Every pulled neighbour with a ``survey`` column (None: candidate pictures are not drawn)."""
    missed: tuple = ()
    """Known X-ray binaries that are not candidates (:class:`xrbvo.stages.known.MissedXrb`)."""
    source: str = ""
    """Where the X-ray sources came from."""
    files: Mapping[str, Path] = field(default_factory=dict)
    """Label -> catalogue file to link from the index."""
    missing: tuple[str, ...] = ()
    """What is missing, one sentence each."""
    objects: tuple = ()
    """Known objects some candidate matches, each once at its own position (:class:`xrbvo.stages.known.MissedXrb`
    with ``reason`` ``known candidate`` or ``possibly a candidate``)."""


def candidate_order(catalogue) -> tuple[np.ndarray, np.ndarray]:
    """Catalogue rows of the candidates: (index order: by P_HMXB then P_LMXB, descending;
    picture order: by the probability of the candidate's own class, descending).

    Parameters
    ----------
    catalogue : astropy.table.Table
        The catalogue.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        Row indices in index order and in picture order.
    """
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
                 title: str = "xrbvo candidates", files: Mapping[str, Path] | None = None,
                 progress: Callable[[str, float], None] | None = None,
                 cancel: threading.Event | None = None, images: Sequence[str] | None = (),
                 images_deadline_s: float = DEFAULT_DEADLINE_S) -> ReportFiles:
    """Write the report of an analysis into ``directory`` (:func:`draw_report`).

    Parameters
    ----------
    analysis : Analysis
        What :func:`xrbvo.workflows.analyse` returned.
    directory : path
        Where the report goes (created).
    max_pngs : int
        Most candidate pictures to draw, the most probable first; the index
        lists every candidate and says how many have no picture.
    files : mapping, optional
        Kind -> path of the files the run wrote (``catalogue_fits``...), linked from the index.
    title : str, optional
        Title of the HTML page.
    progress : Callable[[str, float], None], optional
        Progress callback ``(message, fraction)``.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).
    images : sequence of str or None, optional
        Surveys cut under the finding charts (:func:`draw_report`).
    images_deadline_s : float, optional
        Seconds all the cutouts may take.

    Returns
    -------
    ReportFiles
        The files written.
    """
    summary = analysis.summary()["known"] if analysis.known else None
    inputs = ReportInputs(analysis.catalogue, analysis.neighbours, tuple(summary.missed) if summary else (),
                          analysis.source, dict(files or {}), objects=tuple(summary.objects) if summary else ())
    return draw_report(inputs, directory, max_pngs=max_pngs, title=title, progress=progress, cancel=cancel,
                       images=images, images_deadline_s=images_deadline_s)


def _links(files: Mapping[str, Path], directory: Path) -> dict[str, str]:
    out = {}
    for k, p in files.items():
        if p is None or not Path(p).exists():
            continue
        out[Path(p).name] = Path(os.path.relpath(Path(p).resolve(), directory.resolve())).as_posix()
    return out


def check_report_dir(directory: str | Path) -> Path:
    """The report directory, refused in one line where writing into it would write outside the output directory.

    A symbolic link (``OUT/report`` pointing elsewhere, or its ``diagnostics``) would make the report's files land
    wherever it points; a path that exists but is not a directory cannot hold them.

    Parameters
    ----------
    directory : str or Path
        The report directory (``OUT/report``).

    Returns
    -------
    Path
        The directory.

    Raises
    ------
    InputError
        When it, or its ``diagnostics`` or ``images`` folder, is a symbolic link or not a directory.
    """
    d = Path(directory)
    for p in (d, d / "diagnostics", d / "images"):
        if p.is_symlink():
            raise InputError(f"{p} is a symbolic link (to {os.readlink(p)}): xrbvo writes its report only inside "
                             "the output directory; remove the link or choose another --out")
        if p.exists() and not p.is_dir():
            raise InputError(f"{p} exists and is not a directory; remove it or choose another --out")
    return d


def draw_report(inputs: ReportInputs, directory: str | Path, *, max_pngs: int = DEFAULT_MAX_PNGS,
                title: str = "xrbvo candidates", progress: Callable[[str, float], None] | None = None,
                cancel: threading.Event | None = None, images: Sequence[str] | None = (),
                images_deadline_s: float = DEFAULT_DEADLINE_S) -> ReportFiles:
    """Write the sky map, the candidate pictures (at most ``max_pngs``), the region file, the population plots
    and ``index.html`` into ``directory``.

    With ``images`` each candidate's finding chart is drawn over a sky image: one cutout per candidate and survey
    (:func:`xrbvo.vo.hips.fetch_cutouts`), kept as FITS in ``images/`` (used again by the next report of the same
    charts) and linked from the index; the first survey with data there lies under the chart.  A survey that is
    unreachable or too slow leaves its charts on the catalogues alone, said once in ``images_note``.

    Parameters
    ----------
    inputs : ReportInputs
        What the report is drawn from.
    directory : str or Path
        Where the files go.
    max_pngs : int, optional
        Most candidate pictures drawn (the most probable first).
    title : str, optional
        Title of the index page and the sky map.
    progress : callable, optional
        Called with (message, fraction done) after each picture.
    cancel : threading.Event, optional
        Set to stop between pictures (raises :class:`xrbvo.core.errors.Cancelled`).
    images : sequence of str or None, optional
        Surveys to cut under the charts (:func:`xrbvo.vo.hips.parse_images`): () none (the default), None one
        optical and one infrared survey chosen per sight line (:func:`xrbvo.vo.hips.auto_images`).
    images_deadline_s : float, optional
        Seconds all the cutouts may take; the charts still without an image are drawn without one.

    Returns
    -------
    ReportFiles
        What was written.

    Raises
    ------
    InputError
        When ``max_pngs`` is negative.
    """
    if max_pngs < 0:
        raise InputError(f"--report-max {max_pngs}: give a number of pictures >= 0")
    from xrbvo.stages.known import KnownSummary

    d = check_report_dir(directory)
    cat = inputs.catalogue
    missing = list(inputs.missing)
    index_rows, picture_rows = candidate_order(cat)
    nb = inputs.neighbours
    drawn = picture_rows[:max_pngs] if nb is not None else picture_rows[:0]
    skipped = len(picture_rows) - len(drawn) if nb is not None else 0
    surveys = [c[4:] for c in cat.colnames if c.startswith("nid_")]
    pngs: dict[str, Path] = {}
    xids = np.asarray(cat["xid"]).astype(str)
    if nb is not None:
        nb_xid = np.asarray(nb["xid"]).astype(str)
        order = np.argsort(nb_xid, kind="stable")
        sorted_xid = nb_xid[order]
        mag_cols = [c for c in nb.colnames if c not in ("survey", "nid", "ra", "dec", "xid", "pos_err", "sep")]
        charts = []
        for r in drawn:
            xid = xids[r]
            lo, hi = np.searchsorted(sorted_xid, xid, "left"), np.searchsorted(sorted_xid, xid, "right")
            sel = order[lo:hi]
            mine = {c: np.asarray(nb[c])[sel] for c in ("survey", "nid", "ra", "dec", *mag_cols)}
            row = {c: cat[c][r] for c in cat.colnames}
            chosen = {s: str(cat[f"nid_{s}"][r]) for s in surveys}
            charts.append((int(r), xid, row, mine, chosen))
        sky_images = _sky_images(charts, d, images, images_deadline_s, progress, cancel)
        for k, (r, xid, row, mine, chosen) in enumerate(charts):
            if cancel is not None and cancel.is_set():
                raise Cancelled("report cancelled")
            under = next((c for c in sky_images.cutouts.get(xid, {}).values() if not c.blank), None)
            pngs[xid] = candidate_png(row, mine, d / png_name(r, xid), chosen=chosen,
                                      image=None if under is None else under.data,
                                      image_label="" if under is None else survey_label(under.survey))
            if progress is not None:
                progress(f"candidate pictures {k + 1}/{len(drawn)}", (k + 1) / max(len(drawn), 1))
    else:
        sky_images = _SkyImages()
    missed = inputs.missed
    marks = known_marks(KnownSummary({}, tuple(missed), tuple(inputs.objects))) if missed or inputs.objects else []
    sky = sky_map(cat, d / "sky_map.png", title=f"{title}: {len(index_rows)} X-ray-binary candidates",
                  known=marks)
    diagnostics = population_plots(cat, d / "diagnostics")
    has_known = "new" in cat.colnames
    rows, region_rows = [], []
    for r in index_rows:
        c = str(cat["candidate_class"][r])
        rec = {"xid": xids[r], "ra": cat["ra"][r], "dec": cat["dec"][r], "l": cat["l"][r], "b": cat["b"][r],
               "candidate_class": c, "P": cat[f"P_{c}"][r],
               "P_field": cat[f"P_{c}_field"][r] if f"P_{c}_field" in cat.colnames else np.nan,
               "expected_purity": cat["expected_purity"][r] if "expected_purity" in cat.colnames else np.nan,
               "png": pngs[xids[r]].name if xids[r] in pngs else ""}
        if sky_images.asked:
            rec["images"] = [(survey_label(c.survey) + (" (under the chart)" if i == 0 and not c.blank else
                                                       " (blank)" if c.blank else ""),
                              Path(os.path.relpath(c.path, d)).as_posix())
                             for i, c in enumerate(sky_images.cutouts.get(xids[r], {}).values())]
        rec.update({m: cat[m][r] for m in INDEX_MAGS if m in cat.colnames})
        if has_known:
            rec["known"] = "new" if bool(cat["new"][r]) else f"{cat['known_name'][r]} ({cat['known_class'][r]})"
        rows.append(rec)
        reg = {"xid": xids[r], "ra": cat["ra"][r], "dec": cat["dec"][r], "candidate_class": c,
               "pos_err": cat["pos_err"][r] if "pos_err" in cat.colnames else np.nan}
        if "ctp_ra" in cat.colnames and str(cat["ctp_survey"][r]).strip():
            s = str(cat["ctp_survey"][r]).strip()
            nid = str(cat[f"nid_{s}"][r]) if f"nid_{s}" in cat.colnames else ""
            reg.update(ctp_ra=cat["ctp_ra"][r], ctp_dec=cat["ctp_dec"][r], ctp_label=f"{s} {nid}".strip())
        region_rows.append(reg)
    regions = save_output(d / "candidates.reg", lambda t, text=regions_text(
        region_rows, header=f"xrbvo candidates of {inputs.source or title}"): Path(t).write_text(text, "utf-8"))
    possibly = possibly_known_rows(cat, index_rows)
    note = (f"{len(index_rows)} candidates among {len(cat)} X-ray sources (input: {inputs.source or 'not recorded'}). "
            f"P is at the model's selection priors (where the cuts apply), P_field at the field's priors.")
    if skipped:
        note += (f" {skipped} candidates have no picture: at most {max_pngs} are drawn, the most probable first "
                 "(--report-max).")
    if nb is None and not any("neighbours" in m for m in missing):
        missing.append("no neighbours table: the candidates have no pictures")
    if sky_images.asked:
        note += (" Sky images under the charts: " + (", ".join(survey_label(s) for s in sky_images.used) or "none")
                 + (f" ({sky_images.note})" if sky_images.note else "") + ".")
    if missing:
        note += " Missing: " + "; ".join(missing) + "."
    links = _links(inputs.files, d)
    links["candidates.reg (ds9)"] = regions.name
    diag_links = {k: f"diagnostics/{p.name}" for k, p in diagnostics.items()}
    index = write_html(index_html(rows, title=title, sky_map=sky.name, note=note, missed=[vars(m) for m in missed],
                                  possibly=possibly, files=links, diagnostics=diag_links), d / "index.html")
    return ReportFiles(index, sky, pngs, skipped, regions, diagnostics, tuple(missing), sky_images.used,
                       sky_images.note)


@dataclass(frozen=True)
class _SkyImages:
    """The cutouts of a report: xid -> survey -> Cutout (the survey under the chart first), the surveys used, one
    line on what went wrong, and whether images were asked for at all."""

    cutouts: Mapping = field(default_factory=dict)
    used: tuple[str, ...] = ()
    note: str = ""
    asked: bool = False


def _sky_images(charts, d: Path, images: Sequence[str] | None, deadline_s: float,
                progress: Callable[[str, float], None] | None, cancel: threading.Event | None) -> _SkyImages:
    """Cut (or read back) the sky images of the charts ``(row, xid, catalogue row, neighbours, chosen)``."""
    if images is not None and not len(images):
        return _SkyImages()
    jobs, wanted = [], {}
    for r, xid, row, mine, _ in charts:
        these = tuple(images) if images is not None else auto_images(float(row["dec"]), float(row["b"]))
        wanted[xid] = these
        stem = png_name(r, xid)[:-4]
        wcs = chart_wcs(row, mine)
        names: set[str] = set()
        for k, sv in enumerate(these):
            safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in survey_label(sv))
            safe = safe if safe not in names else f"{safe}_{k}"  # two HiPS directories of the same name
            names.add(safe)
            # a WCS of its own per job: astropy's WCS is not safe to share between threads
            jobs.append(CutoutJob(xid, sv, wcs.deepcopy(), d / "images" / f"{stem}_{safe}.fits"))
    if progress is not None:
        progress(f"sky images: {len(jobs)} cutouts", 0.0)
    got = fetch_cutouts(jobs, deadline_s=deadline_s, cancel=cancel)
    cutouts = {xid: {sv: got.cutouts[xid][sv] for sv in these if sv in got.cutouts.get(xid, {})}
               for xid, these in wanted.items()}
    for xid, cs in cutouts.items():  # the survey with data here first: it lies under the chart
        cutouts[xid] = dict(sorted(cs.items(), key=lambda kv: kv[1].blank))
    used = tuple(dict.fromkeys(c.survey for cs in cutouts.values() for c in list(cs.values())[:1] if not c.blank))
    without = sum(1 for cs in cutouts.values() if not any(not c.blank for c in cs.values()))
    parts = list(got.problems.values())
    blank = sorted({survey_label(c.survey) for cs in cutouts.values() if all(c.blank for c in cs.values())
                    for c in cs.values()})
    if blank:
        parts.append(f"no data at some candidates in {', '.join(blank)}")
    note = ""
    if without or got.problems:
        note = "; ".join(parts)
        if without:
            note += f": {without} of {len(charts)} charts drawn on the catalogues alone"
        if got.problems:
            note += " (--images none: no sky images)"
    return _SkyImages(cutouts, used, note, True)


def read_report_inputs(catalogue: str | Path) -> ReportInputs:
    """A finished catalogue and its companion tables (``NAME_neighbours.fits`` and ``NAME_counterparts.fits``
    beside ``NAME.fits``), ready for :func:`draw_report`; a missing companion is said in ``missing``.

    The pictures are drawn from the catalogue (the chosen counterpart, its ``p_any`` and ``p_i``) and the
    neighbours table; the counterparts table (every combination) is linked from the index.

    Parameters
    ----------
    catalogue : str or Path
        The finished catalogue (``NAME.fits``, ``.vot`` or ``.csv``).

    Returns
    -------
    ReportInputs
        The catalogue, its neighbours table (or None), the known objects from its ``known_*`` columns, and what
        is missing.

    Raises
    ------
    InputError
        When the file is not a table, or not an xrbvo catalogue (no ``candidate_class`` and ``P_<class>`` columns).
    """
    from xrbvo.io import read_table
    from xrbvo.stages.known import known_summary

    path = Path(catalogue)
    cat = read_table(path)
    need = ["xid", "ra", "dec", "l", "b", "candidate_class", *(f"P_{c}" for c in XRB_CLASSES)]
    lacking = [c for c in need if c not in cat.colnames]
    if lacking:
        raise InputError(f"{path}: not an xrbvo catalogue (no {', '.join(lacking)} column); give the catalogue "
                         "that `xrbvo run` or `xrbvo demo` wrote (NAME.fits, .vot or .csv)")
    cat["candidate_class"] = np.char.strip(np.asarray(np.ma.filled(cat["candidate_class"], "")).astype(str))
    for c in ("xid", "known_name", "known_class", "known_match", "ctp_survey"):
        if c in cat.colnames:
            cat[c] = np.char.strip(np.asarray(np.ma.filled(cat[c], "")).astype(str))
    if "new" in cat.colnames:  # True/False as text in a CSV
        new = np.asarray(np.ma.filled(cat["new"], True))
        cat["new"] = (np.isin(np.char.lower(new.astype(str)), ("true", "1", "t")) if new.dtype.kind in "USO"
                      else new.astype(bool))
    stem = path.with_suffix("")
    neighbours, missing, companions = None, [], {}
    for kind in ("neighbours", "counterparts"):  # the counterparts table is linked, not drawn from
        p = _companion(stem, kind)
        if p is None:
            missing.append(f"no {stem.name}_{kind}.fits beside the catalogue"
                           + (": no candidate pictures" if kind == "neighbours" else ""))
            continue
        companions[p.name] = p
        if kind == "neighbours":
            neighbours = read_table(p)
    summary = known_summary(cat) if {"new", "known_name", "known_class"} <= set(cat.colnames) else None
    missed = summary.missed if summary is not None else ()
    objects = summary.objects if summary is not None else ()
    files = {p.name: p for p in sorted(stem.parent.glob(f"{stem.name}.*")) if p.suffix in (
        ".fits", ".vot", ".csv", ".ecsv", ".parquet")}
    files.update(companions)
    return ReportInputs(cat, neighbours, tuple(missed),
                        str(cat.meta.get("INPUT", path.name)), files, tuple(missing), tuple(objects))


def _companion(stem: Path, kind: str) -> Path | None:
    """``NAME_<kind>.fits`` beside ``NAME.fits`` (``xrbvo run``), or ``BASE_<kind>.fits`` beside
    ``BASE_catalogue.fits`` (``xrbvo demo``); None when neither exists."""
    names = [f"{stem.name}_{kind}.fits"]
    if stem.name.endswith("_catalogue"):
        names.append(f"{stem.name[:-len('_catalogue')]}_{kind}.fits")
    for n in names:
        if (stem.parent / n).is_file():
            return stem.parent / n
    return None


def report_from_files(catalogue: str | Path, directory: str | Path, *, max_pngs: int = DEFAULT_MAX_PNGS,
                      title: str | None = None, progress: Callable[[str, float], None] | None = None,
                      cancel: threading.Event | None = None, images: Sequence[str] | None = (),
                      images_deadline_s: float = DEFAULT_DEADLINE_S) -> ReportFiles:
    """Redraw the whole report of a finished catalogue (:func:`read_report_inputs`, :func:`draw_report`).

    Parameters
    ----------
    catalogue : str or Path
        The finished catalogue.
    directory : str or Path
        Where the files go.
    max_pngs : int, optional
        Most candidate pictures drawn.
    title : str, optional
        Title (default: from the catalogue's input).
    progress : callable, optional
        Called with (message, fraction done).
    cancel : threading.Event, optional
        Set to stop between pictures.
    images : sequence of str or None, optional
        Surveys cut under the finding charts (:func:`draw_report`).
    images_deadline_s : float, optional
        Seconds all the cutouts may take.

    Returns
    -------
    ReportFiles
        What was written.
    """
    inputs = read_report_inputs(catalogue)
    return draw_report(inputs, directory, max_pngs=max_pngs, title=title or f"xrbvo candidates: {inputs.source}",
                       progress=progress, cancel=cancel, images=images, images_deadline_s=images_deadline_s)
