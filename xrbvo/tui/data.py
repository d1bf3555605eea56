"""What the terminal UI shows, without the UI: catalogue, companions, view state, details.

Importable without :mod:`textual`.  :class:`CatalogueData` holds one catalogue
the pipeline wrote plus its optional companions (the counterparts table, the
neighbourhood table, a catalogue of known objects); :class:`TableView` is the
shown subset (filter, name search, sort) as an index array, so a 100,000-row
catalogue is sorted and filtered with numpy and only the visible rows are ever
formatted; :meth:`CatalogueData.detail` gathers what the detail pane shows for
one source.

Companion files are found next to the catalogue: for ``NAME.fits`` (or
``NAME_catalogue.fits``) they are ``NAME_counterparts.fits`` and
``NAME_neighbours.fits`` in any table format :func:`xrbvo.io.read_table`
reads.  Missing companions or columns are not errors: the parts they feed are
marked "not available".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from astropy.table import MaskedColumn, Table

from xrbvo.core.errors import InputError, MissingColumnError
from xrbvo.io import read_table, write_table
from xrbvo.io.companions import CompanionPaths, companion_paths
from xrbvo.io.known import read_known
from xrbvo.core.schema import CLASSES, prob_column
from xrbvo.core.surveys import SURVEY_BANDS, SURVEY_SYMBOLS
from xrbvo.tui.filterlang import CompiledFilter, compile_filter
from xrbvo.tui.marks import MarkStore
from xrbvo.workflows.analyse import write_neighbours
from xrbvo.workflows.known import match_radius_arcsec

__all__ = [
    "CompanionPaths",
    "companion_paths",
    "CatalogueData",
    "TableView",
    "Candidate",
    "KnownMatch",
    "SourceDetail",
    "DEFAULT_COLUMNS",
    "SURVEY_SYMBOLS",
    "write_neighbours",
    "load_catalogue",
]

#: Columns shown in the source table by default (those present, in this order).
DEFAULT_COLUMNS: tuple[str, ...] = ("xid", "l", "b", "P_HMXB", "P_LMXB", "predicted_class", "P_max",
                                    "candidate_class", "expected_purity", "known_name", "new", "p_any",
                                    "pos_err", "flux_soft")

#: Magnitudes shown per survey in the counterpart list (the surveys' records; so is ``SURVEY_SYMBOLS``).
_SURVEY_MAGS = SURVEY_BANDS

def _column_array(col) -> np.ndarray:
    """A table column as a plain array: numbers as float with NaN, bools as bool, the rest as str."""
    kind = col.dtype.kind
    if kind == "b":
        arr = np.asarray(col.filled(False) if isinstance(col, MaskedColumn) else col, bool)
        return arr
    if kind in "fiu":
        if isinstance(col, MaskedColumn):
            return np.asarray(col.astype(float).filled(np.nan), float)
        return np.asarray(col, float)
    if isinstance(col, MaskedColumn):
        col = col.filled("")
    arr = np.asarray(col)
    if arr.dtype.kind == "S":
        try:
            arr = arr.astype(str)  # fast for ASCII, which FITS text is
        except UnicodeDecodeError:
            arr = np.char.decode(arr, "utf-8", "replace")
    if arr.dtype.kind != "U":
        arr = arr.astype(str)
    strip = getattr(getattr(np, "strings", None), "strip", None) or np.char.strip
    return strip(arr)


def _key_index(col) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys and their row order, for finding the rows of one source id fast.

    FITS text stays as bytes (sorting bytes is several times faster than
    decoding a few hundred thousand ids first).
    """
    arr = np.asarray(col.filled("") if isinstance(col, MaskedColumn) else col)
    if arr.dtype.kind == "S":
        arr = np.char.rstrip(arr) if arr.size and arr.dtype.itemsize and (arr[:100] != np.char.rstrip(arr[:100])).any() \
            else arr
    elif arr.dtype.kind != "U":
        arr = arr.astype(str)
    order = np.argsort(arr, kind="stable")
    return arr[order], order


@dataclass(frozen=True)
class Candidate:
    """One candidate counterpart combination of a source.

    Parameters
    ----------
    rank : int
        1 for the most probable combination.
    ids : dict[str, str]
        Survey -> neighbour id ("" when the combination has none from that survey).
    seps_arcsec : dict[str, float]
        Survey -> separation from the X-ray position (NaN when none).
    mags : dict[str, float]
        Band -> magnitude of the neighbours in this combination (when a neighbourhood table is given).
    p_i : float
        Probability of this combination, given the source has a counterpart.
    match_flag : int
        1 best, 2 close second, 0 otherwise.
    class_probs : dict[str, float]
        Class-conditional counterpart probabilities (e.g. P_HMXB_CTPT), when the table has them.
    """

    rank: int
    """1 for the most probable combination."""
    ids: dict[str, str]
    """Survey -> neighbour id ("" when the combination has none from that survey)."""
    seps_arcsec: dict[str, float]
    """Survey -> separation from the X-ray position (NaN when none)."""
    mags: dict[str, float]
    """Band -> magnitude of the neighbours in this combination (when a neighbourhood table is given)."""
    p_i: float
    """Probability of this combination, given the source has a counterpart."""
    match_flag: int
    """1 best, 2 close second, 0 otherwise."""
    class_probs: dict[str, float]
    """Class-conditional counterpart probabilities (e.g. P_HMXB_CTPT), when the table has them."""


@dataclass(frozen=True)
class KnownMatch:
    """A known object near the source.

    Parameters
    ----------
    name : str
        Its name in the known-objects catalogue.
    kind : str
        Its class or type there ("" when the catalogue has none).
    sep_arcsec : float
        Separation from the X-ray position.
    """

    name: str
    """Its name in the known-objects catalogue."""
    kind: str
    """Its class or type there ("" when the catalogue has none)."""
    sep_arcsec: float
    """Separation from the X-ray position."""


@dataclass(frozen=True)
class Neighbour:
    """A neighbour drawn on the sky plot."""

    survey: str
    nid: str
    dx_arcsec: float
    """Offset towards east (arcsec)."""
    dy_arcsec: float
    """Offset towards north (arcsec)."""
    prob: float
    """Probability that it is (part of) the counterpart: p_any times the summed p_i of its combinations."""


@dataclass(frozen=True)
class SourceDetail:
    """Everything the detail pane shows about one source; None marks a part not available.

    Parameters
    ----------
    row : int
        Row index in the catalogue.
    xid : str
        The source's identifier.
    xray : dict[str, object]
        X-ray and association properties (name -> value) present in the catalogue.
    class_probs : dict[str, float] | None
        Class -> probability, in :data:`xrbvo.core.schema.CLASSES` order (None: no ``P_`` columns).
    predicted : str
        The most probable class.
    candidates : list[Candidate] | None
        Counterpart combinations, best first (None: no counterparts table).
    n_candidates_total : int
        Number of candidate counterpart combinations of the source.
    top_features : list[str] | None
        Explanations of the top class (None: the catalogue has no ``top_features`` column).
    known : list[KnownMatch] | None
        Known objects near it (None: no known-objects catalogue given).
    neighbours : list[Neighbour] | None
        Neighbours with offsets for the sky plot (None: no neighbourhood table).
    pos_err_arcsec : float
        1-sigma position error of the X-ray source, arcsec.
    radius_arcsec : float
        Plot radius (the largest neighbour offset, at least 3 error radii).
    mark : dict, optional
        The mark and note kept for it, if any.
    missing : list[str], optional
        Human-readable notes on what is not available and why.
    """

    row: int
    """Row index in the catalogue."""
    xid: str
    xray: dict[str, object]
    """X-ray and association properties (name -> value) present in the catalogue."""
    class_probs: dict[str, float] | None
    """Class -> probability, in :data:`xrbvo.core.schema.CLASSES` order (None: no ``P_`` columns)."""
    predicted: str
    candidates: list[Candidate] | None
    """Counterpart combinations, best first (None: no counterparts table)."""
    n_candidates_total: int
    top_features: list[str] | None
    """Explanations of the top class (None: the catalogue has no ``top_features`` column)."""
    known: list[KnownMatch] | None
    """Known objects near it (None: no known-objects catalogue given)."""
    neighbours: list[Neighbour] | None
    """Neighbours with offsets for the sky plot (None: no neighbourhood table)."""
    pos_err_arcsec: float
    radius_arcsec: float
    """Plot radius (the largest neighbour offset, at least 3 error radii)."""
    mark: dict | None = None
    """The mark and note kept for it, if any."""
    missing: list[str] = field(default_factory=list)
    """Human-readable notes on what is not available and why."""


class CatalogueData:
    """A catalogue and its companions, as arrays ready for fast filtering.

    Use :func:`load_catalogue` to build one from files.

    Parameters
    ----------
    table : astropy Table
        The catalogue (one row per X-ray source, ``xid`` column required).
    counterparts, neighbours, known : Table, optional
        Companions; see :mod:`xrbvo.tui.data`.
    path : Path, optional
        The catalogue file (names the marks side file and default export paths).
    marks : MarkStore, optional
        Marks and notes; default: the side file next to ``path`` (in memory
        when there is no path).
    known_radius_arcsec : float, optional
        Match radius against the known objects, arcsec.
    """

    def __init__(self, table: Table, *, counterparts: Table | None = None, neighbours: Table | None = None,
                 known: Table | None = None, path: str | Path | None = None, marks: MarkStore | None = None,
                 known_radius_arcsec: float | None = None):
        if "xid" not in table.colnames:
            raise MissingColumnError(f"{path or 'catalogue'}: no xid column; give a catalogue written by "
                                     "`xrbvo run` or `xrbvo demo`")
        self.table = table
        self.path = Path(path) if path is not None else None
        self.n = len(table)
        self.colnames: list[str] = list(table.colnames)
        self._cols: dict[str, np.ndarray] = {}
        self.xid = self.column("xid")
        self._row_of: dict[str, int] | None = None
        self.classes = tuple(c for c in CLASSES if prob_column(c) in self.colnames)
        self.counterparts = counterparts
        self.surveys: tuple[str, ...] = ()
        self._cp_index = None
        self._cp_cols: dict[str, np.ndarray] = {}
        if counterparts is not None:
            if "xid" not in counterparts.colnames:
                raise MissingColumnError("counterparts table: no xid column; give the *_counterparts file "
                                         "written with the catalogue")
            self.surveys = tuple(c[4:] for c in counterparts.colnames if c.startswith("nid_"))
            self._cp_index = _key_index(counterparts["xid"])
        elif any(c.startswith("nid_") for c in self.colnames):
            self.surveys = tuple(c[4:] for c in self.colnames if c.startswith("nid_"))
        self.neighbours = neighbours
        self._nb_index = None
        if neighbours is not None:
            need = {"xid", "nid", "ra", "dec"}
            if not need <= set(neighbours.colnames):
                raise MissingColumnError(f"neighbourhood table: needs columns {', '.join(sorted(need))} "
                                         "(plus survey); write it with xrbvo.tui.data.write_neighbours")
            self._nb_index = _key_index(neighbours["xid"])
        self.known = known
        self._known = read_known(known) if known is not None else None
        self.known_radius_arcsec = known_radius_arcsec
        if marks is None:
            marks = MarkStore(companion_paths(self.path).marks if self.path is not None else None)
        self.marks = marks

    # -- columns -------------------------------------------------------------------------
    def column(self, name: str) -> np.ndarray:
        """A whole column as an array (cached); ``mark`` and ``note`` come from the marks."""
        if name == "mark":
            return self.marks.status_array(self.xid, self.row_of)
        if name == "note":
            return self.marks.note_array(self.xid, self.row_of)
        arr = self._cols.get(name)
        if arr is None:
            if name not in self.colnames:
                raise MissingColumnError(f"catalogue has no column {name!r}")
            arr = _column_array(self.table[name])
            self._cols[name] = arr
        return arr

    def set_values(self, rows: Sequence[int] | np.ndarray, values: dict[str, Sequence]) -> None:
        """Overwrite ``values[column]`` at catalogue ``rows`` (results scored while the UI runs)."""
        idx = np.asarray(rows, dtype=int)
        for name, vals in values.items():
            self.table[name][idx] = vals
            self._cols.pop(name, None)

    @property
    def filter_columns(self) -> list[str]:
        """Names a filter or sort may use (catalogue columns plus ``mark`` and ``note``)."""
        return self.colnames + [c for c in ("mark", "note") if c not in self.colnames]

    def row_of(self, xid: str) -> int | None:
        """Row index of a source id, or None."""
        if self._row_of is None:
            self._row_of = {str(x): i for i, x in enumerate(self.xid)}
        return self._row_of.get(str(xid))

    def default_columns(self) -> list[str]:
        """The columns shown by default (those of :data:`DEFAULT_COLUMNS` present)."""
        cols = [c for c in DEFAULT_COLUMNS if c in self.colnames]
        return cols or self.colnames[:10]

    def default_sort(self) -> str | None:
        """Sort column by default: ``P_HMXB``, else the first class probability, else none."""
        for c in ("P_HMXB", "P_LMXB", "P_max"):
            if c in self.colnames:
                return c
        return None

    # -- details -------------------------------------------------------------------------
    def _group(self, index, xid: str) -> np.ndarray:
        keys, order = index
        if keys.dtype.kind == "S":
            xid = xid.encode("utf-8")
        lo = np.searchsorted(keys, xid, side="left")
        hi = np.searchsorted(keys, xid, side="right")
        return order[lo:hi]

    def _value(self, name: str, row: int) -> float:
        if name not in self.colnames:
            return float("nan")
        v = self.column(name)[row]
        try:
            return float(v)
        except (TypeError, ValueError):
            return float("nan")

    def detail(self, row: int) -> SourceDetail:
        """What the detail pane shows for catalogue row ``row``."""
        if not 0 <= row < self.n:
            raise InputError(f"row {row} is outside the catalogue (0..{self.n - 1})")
        xid = str(self.xid[row])
        missing: list[str] = []
        xray: dict[str, object] = {}
        for name in ("ra", "dec", "l", "b", "pos_err", "flux_soft", "flux_soft_err", "flux_hard", "flux_hard_err",
                     "nh", "p_any", "p_i", "match_flag", "ctp_state", "n_candidates"):
            if name in self.colnames:
                xray[name] = self.column(name)[row]
        for s in self.surveys:
            if f"nid_{s}" in self.colnames:
                xray[f"nid_{s}"] = self.column(f"nid_{s}")[row]
        probs = {c: self._value(prob_column(c), row) for c in self.classes} if self.classes else None
        if probs is None:
            missing.append("class probabilities: the catalogue has no P_<class> columns")
        predicted = str(self.column("predicted_class")[row]) if "predicted_class" in self.colnames else (
            max(probs, key=lambda c: probs[c]) if probs else "")
        p_any = self._value("p_any", row)
        # counterparts
        candidates: list[Candidate] | None = None
        nb_rows = self._group(self._nb_index, xid) if self._nb_index is not None else None
        nb_lookup = self._neighbour_lookup(nb_rows) if nb_rows is not None else {}
        prob_of: dict[tuple[str, str], float] = {}
        n_total = 0
        if self._cp_index is not None:
            rows = self._group(self._cp_index, xid)
            cp = self.counterparts
            pi = self._cp("p_i")[rows] if "p_i" in cp.colnames else np.full(len(rows), np.nan)
            order = rows[np.argsort(-np.nan_to_num(pi, nan=-1.0), kind="stable")]
            ctpt_cols = [c for c in cp.colnames if c.upper().endswith("_CTPT")]
            candidates = []
            for rank, r in enumerate(order, start=1):
                ids, seps, mags = {}, {}, {}
                for s in self.surveys:
                    nid = str(self._cp(f"nid_{s}")[r]) if f"nid_{s}" in cp.colnames else ""
                    nid = "" if nid in ("-1", "None", "nan", "--", "N/A") else nid
                    ids[s] = nid
                    seps[s] = float(self._cp(f"sep_{s}")[r]) if f"sep_{s}" in cp.colnames else float("nan")
                    if nid and (s, nid) in nb_lookup:
                        rec = nb_lookup[(s, nid)]
                        for band in _SURVEY_MAGS.get(s, ()):
                            if band in rec and math.isfinite(rec[band]):
                                mags[band] = rec[band]
                p = float(self._cp("p_i")[r]) if "p_i" in cp.colnames else float("nan")
                flag = self._cp("match_flag")[r] if "match_flag" in cp.colnames else 0
                flag = int(flag) if np.isfinite(flag) else 0
                cprobs = {c: float(self._cp(c)[r]) for c in ctpt_cols}
                candidates.append(Candidate(rank, ids, seps, mags, p, flag, cprobs))
                for s, nid in ids.items():
                    if nid and math.isfinite(p):
                        prob_of[(s, nid)] = prob_of.get((s, nid), 0.0) + p * (p_any if math.isfinite(p_any) else 1)
            n_total = len(candidates)
            if candidates and not any(c.class_probs for c in candidates):
                self._ctpt_from_catalogue(row, candidates)
            if candidates and not any(c.class_probs for c in candidates):
                missing.append("class-conditional counterpart probabilities: not in the counterparts table")
            if nb_rows is None:
                missing.append("magnitudes: no neighbourhood table next to the catalogue")
        else:
            missing.append("counterparts: no counterparts table next to the catalogue")
        # explanations
        top: list[str] | None = None
        if "top_features" in self.colnames:
            text = str(self.column("top_features")[row])
            top = [t.strip() for t in text.replace(";", "\n").replace("|", "\n").splitlines() if t.strip()]
        else:
            missing.append("explanations: the catalogue has no top_features column")
        # known objects
        known = self._known_near(row) if self.known is not None else self._known_in_catalogue(row)
        # sky plot
        pos_err = self._value("pos_err", row)
        neighbours: list[Neighbour] | None = None
        radius = 3.0 * (pos_err if math.isfinite(pos_err) else 1.0) * 3.03
        if nb_rows is not None:
            neighbours = []
            ra0, dec0 = self._value("ra", row), self._value("dec", row)
            for (s, nid), rec in nb_lookup.items():
                dx = (rec["ra"] - ra0) * math.cos(math.radians(dec0)) * 3600.0
                if dx > 180 * 3600:
                    dx -= 360 * 3600
                elif dx < -180 * 3600:
                    dx += 360 * 3600
                dy = (rec["dec"] - dec0) * 3600.0
                neighbours.append(Neighbour(s, nid, dx, dy, prob_of.get((s, nid), 0.0)))
            if neighbours:
                radius = max(radius, max(math.hypot(n.dx_arcsec, n.dy_arcsec) for n in neighbours) * 1.05)
        else:
            missing.append("sky plot: no neighbourhood table next to the catalogue")
        return SourceDetail(row=row, xid=xid, xray=xray, class_probs=probs, predicted=predicted,
                            candidates=candidates, n_candidates_total=n_total, top_features=top, known=known,
                            neighbours=neighbours, pos_err_arcsec=pos_err, radius_arcsec=radius,
                            mark=self.marks.get(xid), missing=missing)

    def _known_in_catalogue(self, row: int) -> list[KnownMatch] | None:
        """The known object a run with ``--known`` matched (``known_name``, ``known_class``, ``known_sep``
        columns); None when the catalogue has none of them."""
        if "known_name" not in self.colnames:
            return None
        name = str(self.column("known_name")[row]).strip()
        if not name:
            return []
        kind = str(self.column("known_class")[row]).strip() if "known_class" in self.colnames else ""
        return [KnownMatch(name, kind, self._value("known_sep", row))]

    def _ctpt_from_catalogue(self, row: int, candidates: list[Candidate]) -> None:
        """Put the catalogue's ``P_<class>_CTPT`` on the combination its ``ctp_<class>`` names (the class-aware
        counterparts of a run write them to the catalogue, not to the counterparts table)."""
        for c in CLASSES:
            p_col, ctp_col = f"P_{c}_CTPT", f"ctp_{c}"
            if p_col not in self.colnames or ctp_col not in self.colnames:
                continue
            label = str(self.column(ctp_col)[row]).strip()
            want = frozenset() if label in ("", "none") else frozenset(x for x in label.split(";") if x)
            for cand in candidates:
                if frozenset(f"{s}:{nid}" for s, nid in cand.ids.items() if nid) == want:
                    cand.class_probs[p_col] = self._value(p_col, row)
                    break

    def _cp(self, name: str) -> np.ndarray:
        arr = self._cp_cols.get(name)
        if arr is None:
            arr = self._cp_cols[name] = _column_array(self.counterparts[name])
        return arr

    def _neighbour_lookup(self, rows: np.ndarray) -> dict[tuple[str, str], dict[str, float]]:
        nb = self.neighbours
        out = {}
        has_survey = "survey" in nb.colnames
        for r in rows:
            s = str(nb["survey"][r]).strip() if has_survey else "?"
            nid = str(nb["nid"][r]).strip()
            rec = {}
            for c in ("ra", "dec", "sep") + tuple(b for bands in _SURVEY_MAGS.values() for b in bands):
                if c in nb.colnames:
                    v = nb[c][r]
                    try:
                        rec[c] = float(v) if v is not np.ma.masked else float("nan")
                    except (TypeError, ValueError):
                        rec[c] = float("nan")
            out[(s, nid)] = rec
        return out

    def _known_near(self, row: int) -> list[KnownMatch]:
        kn = self._known
        ra_k, dec_k = np.asarray(kn["ra"], float), np.asarray(kn["dec"], float)
        ra0, dec0 = math.radians(self._value("ra", row)), math.radians(self._value("dec", row))
        radius = self.known_radius_arcsec
        if radius is None:  # the run's rule (xrbvo.workflows.known): the 99% circle of both errors, >= 5 arcsec
            radius = match_radius_arcsec(self._value("pos_err", row), np.asarray(kn["pos_err"], float))
        # haversine separation in arcsec
        r1, d1 = np.radians(ra_k), np.radians(dec_k)
        h = np.sin((d1 - dec0) / 2) ** 2 + math.cos(dec0) * np.cos(d1) * np.sin((r1 - ra0) / 2) ** 2
        sep = np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))) * 3600.0
        idx = np.flatnonzero(sep <= radius)
        idx = idx[np.argsort(sep[idx])]
        out = []
        for i in idx:
            c, t = str(kn["known_class"][i]), str(kn["known_type"][i])
            kind = c if not t or t == c else f"{c} ({t})" if c else t
            out.append(KnownMatch(str(kn["name"][i]), kind, float(sep[i])))
        return out

    # -- export --------------------------------------------------------------------------
    def export(self, rows: Sequence[int] | np.ndarray, path: str | Path) -> Path:
        """Write catalogue rows (with their marks and notes) to a table file.

        Parameters
        ----------
        rows : sequence of int
            Catalogue row indices, in the order to write.
        path : path
            Output file; its suffix names the format (FITS, VOTable, ECSV,
            CSV, Parquet).

        Raises
        ------
        InputError
            When there is nothing to write or the file cannot be written.
        """
        idx = np.asarray(rows, dtype=int)
        if len(idx) == 0:
            raise InputError(f"{path}: nothing to export (no rows); mark sources or widen the filter first")
        out = self.table[idx]
        out["mark"] = self.column("mark")[idx]
        out["note"] = self.column("note")[idx]
        out.meta["XRBVO_FROM"] = str(self.path) if self.path is not None else "memory"
        return write_table(out, path)

    def marked_rows(self) -> np.ndarray:
        """Catalogue rows that carry a mark, in catalogue order."""
        return np.flatnonzero(self.column("mark") != "")


def load_catalogue(path: str | Path, *, counterparts: str | Path | None = None,
                   neighbours: str | Path | None = None, known: str | Path | None = None,
                   known_radius_arcsec: float | None = None) -> CatalogueData:
    """Read a catalogue and its companions.

    Parameters
    ----------
    path : path
        A catalogue written by ``xrbvo run`` or ``xrbvo demo`` (FITS, VOTable,
        ECSV, CSV or Parquet).
    counterparts, neighbours : path, optional
        Companion tables; default: found next to the catalogue (see
        :func:`companion_paths`), else not available.
    known : path, optional
        A catalogue of known objects (read by :func:`xrbvo.io.known.read_known`:
        RA/Dec in degrees or sexagesimal, a name, a class), e.g. the HMXB/LMXB
        catalogues.
    known_radius_arcsec : float, optional
        Match radius for known objects; default: the run's rule,
        :func:`xrbvo.workflows.known.match_radius_arcsec` (the 99% circle of the
        X-ray and the known object's errors, at least 5 arcsec).

    Returns
    -------
    CatalogueData
        The catalogue with its companion tables.
    """
    comp = companion_paths(path)
    table = read_table(path)
    cp = read_table(counterparts) if counterparts is not None else (
        read_table(comp.counterparts) if comp.counterparts is not None else None)
    nb = read_table(neighbours) if neighbours is not None else (
        read_table(comp.neighbours) if comp.neighbours is not None else None)
    kn = read_known(known) if known is not None else None
    return CatalogueData(table, counterparts=cp, neighbours=nb, known=kn, path=path,
                         known_radius_arcsec=known_radius_arcsec)


class TableView:
    """The shown rows of a catalogue: filter, name search and sort, as an index array.

    Parameters
    ----------
    data : CatalogueData
    sort : str, optional
        Column to sort by (default: :meth:`CatalogueData.default_sort`).
    descending : bool
        Sort direction (default: descending, so the most probable come first).

    Notes
    -----
    :attr:`rows` holds catalogue row indices in display order.  Missing
    values (NaN, empty text) sort last in either direction.
    """

    def __init__(self, data: CatalogueData, *, sort: str | None = None, descending: bool = True):
        self.data = data
        self.sort_column: str | None = sort if sort is not None else data.default_sort()
        self.descending = descending
        self.filter: CompiledFilter | None = None
        self.search = ""
        self._order_cache: dict[tuple[str, bool], np.ndarray] = {}
        self._filter_mask: np.ndarray | None = None
        self.rows: np.ndarray = np.arange(data.n)
        self._recompute()

    @property
    def total(self) -> int:
        return self.data.n

    @property
    def shown(self) -> int:
        return len(self.rows)

    def _order(self) -> np.ndarray:
        col = self.sort_column
        if col is None:
            return np.arange(self.data.n)
        key = (col, self.descending)
        if col in ("mark", "note"):
            self._order_cache.pop(key, None)
        got = self._order_cache.get(key)
        if got is not None:
            return got
        arr = self.data.column(col)
        if arr.dtype.kind in "US":
            missing = arr == ""
            codes = np.unique(arr, return_inverse=True)[1].ravel()
            order = np.argsort(-codes if self.descending else codes, kind="stable")
        else:
            v = np.asarray(arr, float)
            missing = np.isnan(v)
            order = np.argsort(-v if self.descending else v, kind="stable")
        order = np.concatenate([order[~missing[order]], order[missing[order]]])
        self._order_cache[key] = order
        return order

    def _recompute(self) -> None:
        order = self._order()
        mask = self._filter_mask
        if self.search:
            s = np.char.find(np.char.lower(self.data.xid), self.search.lower()) >= 0
            mask = s if mask is None else (mask & s)
        self.rows = order if mask is None else order[mask[order]]

    def set_sort(self, column: str | None, *, descending: bool | None = None) -> None:
        """Sort by ``column`` (any catalogue column, ``mark`` or ``note``)."""
        if column is not None and column not in self.data.filter_columns:
            folded = [c for c in self.data.filter_columns if c.lower() == column.lower()]
            if len(folded) != 1:
                raise InputError(f"cannot sort by {column!r}: no such column; columns are "
                                 f"{', '.join(self.data.filter_columns[:20])}, ...")
            column = folded[0]
        if descending is None:
            descending = not self.descending if column == self.sort_column else True
        self.sort_column, self.descending = column, descending
        self._recompute()

    def set_filter(self, text: str | None) -> None:
        """Apply a filter expression (``None`` or blank: show every row).

        Raises
        ------
        FilterError
            The previous filter stays in force.
        """
        if text is None or not text.strip():
            self.filter, self._filter_mask = None, None
        else:
            f = compile_filter(text, self.data.filter_columns)
            mask = f.mask(self.data.column, self.data.n)
            self.filter, self._filter_mask = f, mask
        self._recompute()

    def refresh_filter(self) -> None:
        """Re-evaluate the filter (after marks changed, when it reads ``mark``/``note``)."""
        if self.filter is not None and ({"mark", "note"} & set(self.filter.columns)):
            self._filter_mask = self.filter.mask(self.data.column, self.data.n)
        if self.sort_column in ("mark", "note"):
            self._order_cache.pop((self.sort_column, self.descending), None)
        self._recompute()

    def values_changed(self) -> None:
        """Re-sort and re-filter after :meth:`CatalogueData.set_values` changed columns."""
        self._order_cache.clear()
        if self.filter is not None:
            self._filter_mask = self.filter.mask(self.data.column, self.data.n)
        self._recompute()

    def set_search(self, text: str) -> None:
        """Show only sources whose id contains ``text`` (case-insensitive)."""
        self.search = (text or "").strip()
        self._recompute()

    def position_of(self, row: int) -> int | None:
        """Display position of catalogue row ``row``, or None when it is not shown."""
        hits = np.flatnonzero(self.rows == row)
        return int(hits[0]) if len(hits) else None

