"""Reading the eROSITA DR1 eRASS1 catalogues as released: Main (0.2-2.3 keV) joined with Hard (2.3-5 keV).

The column names are those of the DR1 data model (Merloni et al. 2024, A&A 682, A34, table D.1;
the eROSITA-DE DR1 pages ``eRASS1_Main`` and ``eRASS1_Hard``; docs/erass1.md lists what was checked
and where):

* Main: ``IAUNAME``, ``UID``, ``UID_Hard``, ``RA``, ``DEC``, ``POS_ERR``, ``EXT_LIKE``,
  ``DET_LIKE_0``, ``ML_FLUX_1`` / ``ML_FLUX_ERR_1`` (0.2-2.3 keV) and the ``FLAG_SP_*`` flags.
* ``UID_Hard`` is the Hard catalogue's ``UID`` for a strong association, ``-UID`` for a weak
  one, and 0 when the Hard catalogue has no counterpart.
* Hard: ``UID``, and the 2.3-5 keV flux ``ML_FLUX_3`` / ``ML_FLUX_ERR_3`` (the Hard catalogue is
  a three-band detection run: band 1 is 0.2-0.6 keV, band 2 0.6-2.3 keV, band 3 2.3-5 keV).

:func:`read_release` applies the selection (:class:`Selection`: point-like, detection
likelihood, spurious-source flags), joins the hard flux of strong associations as
``flux_hard`` / ``flux_hard_err`` and says in ``hard_assoc`` (``strong``, ``weak``, ``none``)
what the Hard catalogue holds for each source.  The result keeps the Main names that
:func:`xrbvo.io.standardise_xray` reads, and its meta records the selection
(:meth:`SelectionReport.header`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError, MissingColumnError, XrbvoWarning
from xrbvo.io.tables import as_float, read_table

__all__ = ["Selection", "SelectionStep", "SelectionReport", "is_erass1_main", "is_erass1_hard", "refuse_hard_as_main",
           "read_release", "select_release", "selection_header", "erass1_service_names", "SPURIOUS_FLAGS", "HARD_FLUX",
           "HARD_FLUX_ERR", "SELECTION_KEYS"]

#: Columns whose presence marks a table as the eRASS1 Main catalogue (DR1 data model).
MAIN_COLUMNS = ("RA", "DEC", "ML_FLUX_1", "DET_LIKE_0", "EXT_LIKE")
#: The spurious-source flags of the Main catalogue (1: the source lies in a region where spurious
#: detections are likely: supernova remnant, bright point source, star cluster, local galaxy,
#: galaxy cluster in the conservative mask).
SPURIOUS_FLAGS = ("FLAG_SP_SNR", "FLAG_SP_BPS", "FLAG_SP_SCL", "FLAG_SP_LGA", "FLAG_SP_GC_CONS")
#: The Hard catalogue's 2.3-5 keV flux and its error (band 3 of its three-band run).
HARD_FLUX = "ML_FLUX_3"
HARD_FLUX_ERR = "ML_FLUX_ERR_3"
#: Header keywords the selection writes (carried into every output by xrbvo.workflows.analyse).
SELECTION_KEYS = ("SELDET", "SELEXT", "SELFLAG", "NSELIN", "NRMDET", "NRMEXT", "NRMFLAG", "NSELOUT",
                  "HARDCAT", "NHARDSTR", "NHARDWK")


@dataclass(frozen=True)
class Selection:
    """Which eRASS1 Main sources are read: the defaults are documented in docs/erass1.md.

    Parameters
    ----------
    min_det_like : float, optional
        Keep sources with ``DET_LIKE_0 >= min_det_like`` (the Main catalogue's own limit is 6).
    max_ext_like : float, optional
        Keep sources with ``EXT_LIKE <= max_ext_like``: 0 keeps point-like sources only.
    drop_flagged : bool, optional
        Drop sources with any of :data:`SPURIOUS_FLAGS` set.
    """

    min_det_like: float = 6.0
    """Keep sources with ``DET_LIKE_0 >= min_det_like`` (the Main catalogue's own limit is 6)."""
    max_ext_like: float = 0.0
    """Keep sources with ``EXT_LIKE <= max_ext_like``: 0 keeps point-like sources only."""
    drop_flagged: bool = True
    """Drop sources with any of :data:`SPURIOUS_FLAGS` set."""

    def validate(self) -> None:
        """Raise :class:`InputError` (one line) for a NaN or negative threshold."""
        for name, value, option in (("min_det_like", self.min_det_like, "--min-det-like"),
                                    ("max_ext_like", self.max_ext_like, "--max-ext-like")):
            v = float(value)
            if math.isnan(v) or math.isinf(v):
                raise InputError(f"{option} {value}: give a finite number (a likelihood, >= 0)")
            if v < 0:
                raise InputError(f"{option} {value}: likelihoods are >= 0; give 0 or more")


class SelectionStep(NamedTuple):
    """One cut of the selection.

    Parameters
    ----------
    name : str
        ``det_like``, ``ext_like`` or ``flags``.
    rule : str
        The cut in words, e.g. ``DET_LIKE_0 >= 6``.
    removed : int
        How many of the sources left by the earlier cuts this one removed.
    """

    name: str
    """``det_like``, ``ext_like`` or ``flags``."""
    rule: str
    """The cut in words, e.g. ``DET_LIKE_0 >= 6``."""
    removed: int
    """How many of the sources left by the earlier cuts this one removed."""


@dataclass(frozen=True)
class SelectionReport:
    """What :func:`select_release` did: the cuts with their counts and the Hard catalogue's join.

    Parameters
    ----------
    source : str
        The Main table read.
    n_input : int
        Rows of the Main table.
    steps : tuple[SelectionStep, ...]
        The cuts in the order applied.
    n_kept : int
        Sources left.
    hard : str | None
        The Hard table joined (None: none given).
    n_hard_strong : int
        Kept sources with a strong Hard association (they get the 2.3-5 keV flux).
    n_hard_weak : int
        Kept sources with a weak Hard association (flagged, no hard flux taken).
    """

    source: str
    """The Main table read."""
    n_input: int
    """Rows of the Main table."""
    steps: tuple[SelectionStep, ...]
    """The cuts in the order applied."""
    n_kept: int
    """Sources left."""
    hard: str | None
    """The Hard table joined (None: none given)."""
    n_hard_strong: int
    """Kept sources with a strong Hard association (they get the 2.3-5 keV flux)."""
    n_hard_weak: int
    """Kept sources with a weak Hard association (flagged, no hard flux taken)."""

    def lines(self) -> list[str]:
        """One line per cut and one for the Hard join, for the user."""
        out = [f"{self.source}: {self.n_input} sources in the eRASS1 Main table"]
        out += [f"  {s.rule}: removed {s.removed}" for s in self.steps]
        out.append(f"  kept {self.n_kept}")
        if self.hard is not None:
            strong = f"{self.n_hard_strong} strong association{'' if self.n_hard_strong == 1 else 's'}"
            weak = f"{self.n_hard_weak} weak one{'' if self.n_hard_weak == 1 else 's'}"
            out.append(f"  {self.hard}: 2.3-5 keV flux for {strong}; {weak} flagged (hard_assoc=weak), without "
                       "hard flux")
        return out

    def header(self) -> dict[str, str | int | float]:
        """Header keywords (:data:`SELECTION_KEYS`) recording the selection."""
        by = {s.name: s for s in self.steps}
        h: dict[str, str | int | float] = {"NSELIN": self.n_input}
        if "det_like" in by:
            h["SELDET"], h["NRMDET"] = by["det_like"].rule, by["det_like"].removed
        if "ext_like" in by:
            h["SELEXT"], h["NRMEXT"] = by["ext_like"].rule, by["ext_like"].removed
        h["SELFLAG"] = by["flags"].rule if "flags" in by else "kept (--keep-flagged)"
        if "flags" in by:
            h["NRMFLAG"] = by["flags"].removed
        h["NSELOUT"] = self.n_kept
        if self.hard is not None:
            h["HARDCAT"] = Path(self.hard).name
            h["NHARDSTR"], h["NHARDWK"] = self.n_hard_strong, self.n_hard_weak
        return h


def is_erass1_main(table: Table) -> bool:
    """True when ``table`` has the eRASS1 Main catalogue's columns (``RA``, ``DEC``, ``ML_FLUX_1``,
    ``DET_LIKE_0``, ``EXT_LIKE``).

    Parameters
    ----------
    table : astropy.table.Table
        The table.

    Returns
    -------
    bool
        True when ``table`` has the eRASS1 Main catalogue's columns (``RA``, ``DEC``, ``ML_FLUX_1``,
        ``DET_LIKE_0``, ``EXT_LIKE``).
    """
    return all(c in table.colnames for c in MAIN_COLUMNS)


#: Main columns a TAP service may rename (VizieR J/A+A/682/A34/erass1-m: ``IAUName``, ``DetUId``, ``posErr``,
#: ``MLFlux1``, ``e_MLFlux1``, ``DetLike0``, ``ExtLike``, ...; HEASARC's copy in lower case): matched by
#: :func:`erass1_service_names` with case and underscores ignored.
_SERVICE_RENAMED = ("IAUNAME", "DETUID", "UID", "UID_Hard", "POS_ERR", "RADEC_ERR", "EXT", "EXT_LIKE", "DET_LIKE_0",
                    "ML_CTS_1", "ML_FLUX_1", "ML_FLUX_ERR_1", *SPURIOUS_FLAGS)
#: (RA, Dec) columns of the Main catalogue at the services, tried in order (case ignored).
_SERVICE_POSITIONS = (("RA", "DEC"), ("RA_ICRS", "DE_ICRS"), ("RAJ2000", "DEJ2000"))


def erass1_service_names(colnames) -> dict[str, str]:
    """Which columns of a service's copy of the eRASS1 Main catalogue are which Main columns.

    A service renames the release's columns: VizieR's ``J/A+A/682/A34/erass1-m`` has
    ``IAUName``, ``RA_ICRS``/``DE_ICRS`` (and ``RAJ2000``/``DEJ2000``), ``DetUId``, ``posErr``,
    ``MLFlux1``, ``e_MLFlux1``, ``DetLike0``, ``ExtLike``, ...; HEASARC's ``erass1main`` the
    release's names in lower case.  A column matches a Main column of the same name with case
    and underscores ignored (``DetLike0`` is ``DET_LIKE_0``), ``e_X`` matches the error ``X_ERR``.

    Parameters
    ----------
    colnames : iterable of str
        The columns of the service's table.

    Returns
    -------
    dict
        Service column -> Main column, for the columns that are not already under the Main
        name (empty for the release's own file); ``RA`` and ``DEC`` are the first position pair
        found.
    """
    names = [str(c) for c in colnames]
    have = set(names)

    def norm(c: str) -> str:
        return c.replace("_", "").lower()

    by_norm: dict[str, str] = {}
    for c in names:
        by_norm.setdefault(norm(c), c)
        if c.startswith("e_"):  # VizieR's error prefix: e_MLFlux1 is ML_FLUX_ERR_1
            by_norm.setdefault("err:" + norm(c[2:]), c)
    out: dict[str, str] = {}
    lower = {c.lower(): c for c in names}
    for ra, dec in _SERVICE_POSITIONS:
        if ra.lower() in lower and dec.lower() in lower:
            out[lower[ra.lower()]], out[lower[dec.lower()]] = "RA", "DEC"
            break
    for main in _SERVICE_RENAMED:
        key = "err:" + norm(main.replace("_ERR", "")) if "_ERR_" in main else norm(main)
        c = by_norm.get(key) or (by_norm.get(norm(main)) if "_ERR_" in main else None)
        if c is not None and c not in out:
            out[c] = main
    return {c: m for c, m in out.items() if c != m and m not in have}


def selection_header(meta) -> dict:
    """The selection keywords (:data:`SELECTION_KEYS`) found in a table's ``meta``.

    Parameters
    ----------
    meta : mapping, optional
        Table metadata.

    Returns
    -------
    dict
        The selection keywords (:data:`SELECTION_KEYS`) found in a table's ``meta``.
    """
    upper = {str(k).upper(): v for k, v in dict(meta or {}).items()}
    return {k: upper[k] for k in SELECTION_KEYS if k in upper}


def _cells(table: Table, col: str) -> tuple[np.ndarray, np.ndarray]:
    """A column's raw values and its mask (True where masked)."""
    c = table[col]
    mask = np.ma.getmaskarray(c) if hasattr(c, "mask") else np.zeros(len(c), bool)
    return np.asarray(c.data.data if hasattr(c, "mask") else c), mask


def _not_numeric(source: str, col: str, row: int, value, what: str) -> InputError:
    shown = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return InputError(f"{source}: column {col} is not numeric (row {row}: {shown[:40]!r}); {what}")


def _ints(table: Table, col: str, source: str = "table") -> np.ndarray:
    """An integer column (UID, UID_Hard, FLAG_SP_*) as int64; masked, empty or NaN values are 0.

    Raises
    ------
    InputError
        When a value is text that is not an integer, or a number that is not a whole one (or too large
        for a float to hold exactly).
    """
    data, mask = _cells(table, col)
    what = f"{col} holds whole numbers in the eRASS1 catalogues as released"
    if data.dtype.kind in "iu":
        return np.where(mask, 0, data).astype(np.int64)
    out = np.zeros(len(data), np.int64)
    for i, (v, m) in enumerate(zip(data.tolist(), mask.tolist())):
        if m:
            continue
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if isinstance(v, str):
            v = v.strip()
            if v.lower() in ("", "nan", "--", "null", "none"):
                continue
            try:
                out[i] = int(v)
                continue
            except ValueError:
                raise _not_numeric(source, col, i, v, what) from None
        if isinstance(v, bool):
            raise _not_numeric(source, col, i, v, what)
        f = float(v)
        if math.isnan(f):
            continue
        if not (f == math.floor(f) and abs(f) <= 2.0**53):
            raise InputError(f"{source}: column {col} holds {v!r} in row {i}, not a whole number; {what}")
        out[i] = int(f)
    return out


def _numbers(table: Table, col: str, source: str) -> np.ndarray:
    """A numeric column as floats (masked or empty values NaN); text that is not a number is refused."""
    data, mask = _cells(table, col)
    if data.dtype.kind in "fiub":
        return as_float(table[col])
    out = as_float(table[col])
    for i in np.flatnonzero(np.isnan(out) & ~mask):
        v = data[i]
        text = (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)).strip()
        if text.lower() not in ("", "nan", "--", "null", "none"):
            raise _not_numeric(source, col, int(i), v, "give the eRASS1 catalogue as released (numbers there)")
    return out


def _flagged(table: Table, source: str = "table") -> tuple[np.ndarray, list[str]]:
    flags = [f for f in SPURIOUS_FLAGS if f in table.colnames]
    bad = np.zeros(len(table), bool)
    for f in flags:
        bad |= _ints(table, f, source) != 0
    return bad, flags


def is_erass1_hard(table: Table) -> bool:
    """Whether ``table`` is the eRASS1 Hard catalogue.

    Parameters
    ----------
    table : Table
        Any table.

    Returns
    -------
    bool
        True when it has ``UID_1B`` (the Hard catalogue's link back to Main), or the three-band run's
        ``ML_FLUX_3`` beside ``ML_FLUX_1`` (0.2-0.6 keV there) without Main's ``UID_Hard``.
    """
    cols = set(table.colnames)
    return "UID_1B" in cols or (HARD_FLUX in cols and "ML_FLUX_1" in cols and "UID_Hard" not in cols)


def refuse_hard_as_main(table: Table, source: str) -> None:
    """Refuse the eRASS1 Hard catalogue given as the X-ray table (see :func:`is_erass1_hard`).

    Parameters
    ----------
    table : Table
        The table given as the X-ray sources.
    source : str
        How the message names it.

    Raises
    ------
    InputError
        One line, "this is the eRASS1 Hard catalogue ...; give it with --hard", when it is that.
    """
    if is_erass1_hard(table):
        raise InputError(f"{source}: this is the eRASS1 Hard catalogue (UID_1B/ML_FLUX_3; its ML_FLUX_1 is "
                         "0.2-0.6 keV, not Main's 0.2-2.3 keV); give it with --hard, and the Main catalogue as "
                         "the X-ray table")


def _join_hard(main: Table, hard: Table, hard_source: str, main_source: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """flux, error, association (strong/weak/none), the Hard UID of strong links, and whether the Hard
    catalogue's flux or error was unusable (negative or infinite), for every Main row."""
    if "UID_Hard" not in main.colnames:
        raise MissingColumnError(f"{main_source}: no UID_Hard column, so the Hard catalogue cannot be joined; "
                                 "give the eRASS1 Main table as released (it links each source to the Hard "
                                 "catalogue through UID_Hard)")
    missing = [c for c in ("UID", HARD_FLUX) if c not in hard.colnames]
    if missing:
        raise MissingColumnError(f"{hard_source}: no {' or '.join(missing)} column; give the eRASS1 Hard "
                                 f"catalogue as released (UID, and {HARD_FLUX}, the 2.3-5 keV flux)")
    link = _ints(main, "UID_Hard", main_source)
    uid = _ints(hard, "UID", hard_source)
    flux = _numbers(hard, HARD_FLUX, hard_source)
    err = _numbers(hard, HARD_FLUX_ERR, hard_source) if HARD_FLUX_ERR in hard.colnames else np.full(len(hard), np.nan)
    named = uid != 0
    values, first, counts = np.unique(uid[named], return_index=True, return_counts=True)
    if (counts > 1).any():
        dup = int(values[counts > 1][0])
        rows = np.flatnonzero(uid == dup)[:2]
        raise InputError(f"{hard_source}: {int((counts > 1).sum())} UID(s) occur more than once in the Hard "
                         f"catalogue (e.g. {dup} in rows {rows[0]} and {rows[1]}), so which 2.3-5 keV flux a Main "
                         "source gets would depend on the row order; give the Hard catalogue as released (each "
                         "source once)")
    # a flux is >= 0 and finite; an error > 0 and finite: anything else is no measurement (warned below)
    with np.errstate(invalid="ignore"):
        bad_flux = ~np.isnan(flux) & ~(np.isfinite(flux) & (flux >= 0))
        bad_err = ~np.isnan(err) & ~(np.isfinite(err) & (err > 0))
    flux = np.where(bad_flux, np.nan, flux)
    err = np.where(bad_flux | bad_err, np.nan, err)
    index = {int(u): i for i, u in enumerate(uid.tolist()) if u != 0}
    n = len(main)
    assoc = np.full(n, "none", dtype="<U6")
    out_f = np.full(n, np.nan)
    out_e = np.full(n, np.nan)
    out_uid = np.zeros(n, np.int64)
    unusable = np.zeros(n, bool)
    absent = 0
    for i, v in enumerate(link.tolist()):
        if v == 0:
            continue
        j = index.get(abs(v))
        if j is None:
            absent += 1
            continue
        if v > 0:
            assoc[i] = "strong"
            out_f[i], out_e[i], out_uid[i] = flux[j], err[j], v
            unusable[i] = bad_flux[j] or bad_err[j]
        else:
            assoc[i] = "weak"
    if absent:
        warnings.warn(f"{hard_source}: {absent} Main source(s) link through UID_Hard to Hard sources this table "
                      "does not hold; they get no 2.3-5 keV flux (give the whole Hard catalogue)",
                      XrbvoWarning, stacklevel=3)
    return out_f, out_e, assoc, out_uid, unusable


def _warn_hard_links(uid: np.ndarray, unusable: np.ndarray, hard_source: str) -> None:
    """Warn (one line each) about kept sources sharing one Hard source, and Hard fluxes taken as missing."""
    linked = uid[uid != 0]
    values, counts = np.unique(linked, return_counts=True)
    shared = counts > 1
    if shared.any():
        k = int(np.argmax(counts))
        warnings.warn(f"{hard_source}: {int(shared.sum())} Hard source(s) are the strong association of more than "
                      f"one kept Main source ({int(counts[shared].sum())} Main sources, e.g. UID {int(values[k])} "
                      f"for {int(counts[k])}); each of them gets that one 2.3-5 keV flux", XrbvoWarning, stacklevel=3)
    if unusable.any():
        warnings.warn(f"{hard_source}: {int(unusable.sum())} kept source(s) have a negative or infinite "
                      f"{HARD_FLUX} or {HARD_FLUX_ERR} in the Hard catalogue; it is taken as missing (no hardness "
                      "ratio from it)", XrbvoWarning, stacklevel=3)


def select_release(main: Table, hard: Table | None = None, selection: Selection | None = None, *,
                   source: str = "eRASS1 Main table", hard_source: str = "eRASS1 Hard table"
                   ) -> tuple[Table, SelectionReport]:
    """Select eRASS1 Main sources and join the Hard catalogue's 2.3-5 keV flux.

    Parameters
    ----------
    main : Table
        The Main catalogue as released (:func:`is_erass1_main`).
    hard : Table, optional
        The Hard catalogue as released (``UID``, ``ML_FLUX_3``, ``ML_FLUX_ERR_3``).
    selection : Selection, optional
        The cuts (default ``Selection()``).
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.
    hard_source : str, optional
        Name of the Hard table in messages.

    Returns
    -------
    table : Table
        The kept Main rows with their own columns, plus ``in_row`` (the row in ``main``), ``flux_hard``, ``flux_hard_err`` (strong
        associations; a ``flux_hard`` column already in the Main table fills the rest) and
        ``hard_assoc`` when ``hard`` is given; meta records the selection.
    report : SelectionReport

    Raises
    ------
    InputError
        For a bad selection value, a table without the columns it needs, the Hard catalogue given as
        ``main``, a ``DET_LIKE_0``/``EXT_LIKE``/``ML_FLUX_3`` column that is not numeric, a ``UID``,
        ``UID_Hard`` or flag that is not a whole number, or a UID that occurs twice in ``hard``.

    Warns
    -----
    XrbvoWarning
        When kept sources link to Hard sources ``hard`` does not hold, when several kept sources share one
        Hard source (each gets its flux; the count is given), or when a linked Hard flux or error is
        negative or infinite (taken as missing).
    """
    sel = selection or Selection()
    sel.validate()
    refuse_hard_as_main(main, source)
    if not is_erass1_main(main):
        missing = [c for c in MAIN_COLUMNS if c not in main.colnames]
        raise MissingColumnError(f"{source}: not an eRASS1 Main table (no {', '.join(missing)}); the selection "
                                 "(--min-det-like, --max-ext-like, --keep-flagged) and --hard apply to the "
                                 "eRASS1 Main catalogue as released")
    n0 = len(main)
    keep = np.ones(n0, bool)
    steps = []
    det = _numbers(main, "DET_LIKE_0", source)
    cut = keep & ~(det >= sel.min_det_like)
    steps.append(SelectionStep("det_like", f"DET_LIKE_0 >= {sel.min_det_like:g}", int(cut.sum())))
    keep &= ~cut
    ext = _numbers(main, "EXT_LIKE", source)
    cut = keep & ~(ext <= sel.max_ext_like)
    steps.append(SelectionStep("ext_like", f"EXT_LIKE <= {sel.max_ext_like:g}", int(cut.sum())))
    keep &= ~cut
    if sel.drop_flagged:
        bad, flags = _flagged(main, source)
        cut = keep & bad
        rule = (f"FLAG_SP_* == 0 ({','.join(f[8:] for f in flags)})" if flags else "FLAG_SP_*: no such column")
        steps.append(SelectionStep("flags", rule, int(cut.sum())))
        keep &= ~cut
    out = main[keep]
    out.meta = dict(main.meta)
    if "in_row" not in out.colnames:  # each source's row in the release as read (xrbvo.io.standardise_xray keeps it)
        out["in_row"] = np.nonzero(keep)[0].astype(np.int64)
    n_strong = n_weak = 0
    if hard is not None:
        f, e, assoc, uid, unusable = _join_hard(main, hard, hard_source, source)
        f, e, assoc = f[keep], e[keep], assoc[keep]
        _warn_hard_links(uid[keep], unusable[keep], hard_source)
        if "flux_hard" in out.colnames:  # the Main table's own hard band fills what the Hard catalogue lacks
            own = as_float(out["flux_hard"])
            own_e = as_float(out["flux_hard_err"]) if "flux_hard_err" in out.colnames else np.full(len(out), np.nan)
            f, e = np.where(np.isfinite(f), f, own), np.where(np.isfinite(f), e, own_e)
        out["flux_hard"] = f
        out["flux_hard"].unit = "erg / (s cm2)"
        out["flux_hard_err"] = e
        out["flux_hard_err"].unit = "erg / (s cm2)"
        out["hard_assoc"] = assoc
        n_strong, n_weak = int(np.sum(assoc == "strong")), int(np.sum(assoc == "weak"))
    report = SelectionReport(source, n0, tuple(steps), int(keep.sum()), hard_source if hard is not None else None,
                             n_strong, n_weak)
    out.meta.update(report.header())
    return out, report


def read_release(main: str | Path | Table, hard: str | Path | Table | None = None,
                 selection: Selection | None = None, *, source: str | None = None) -> tuple[Table, SelectionReport]:
    """Read the eRASS1 Main catalogue (and the Hard catalogue), select and join them.

    ``main`` and ``hard`` are file paths (any format :func:`xrbvo.io.read_table` reads) or tables
    already read; ``source`` names the Main table in messages (default: its path).  See
    :func:`select_release` for what is returned.

    Parameters
    ----------
    main : str | Path | Table
        The eRASS1 Main catalogue as released, or its file.
    hard : str, Path or astropy.table.Table, optional
        The Hard catalogue as released, or its file; None: no hard fluxes.
    selection : Selection, optional
        The release's cuts (default ``Selection()``).
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.

    Returns
    -------
    tuple[Table, SelectionReport]
        The selected sources (Hard fluxes joined) and the report of the selection.
    """
    sel = selection or Selection()
    sel.validate()  # before reading anything
    m = main if isinstance(main, Table) else read_table(main)
    h = hard if hard is None or isinstance(hard, Table) else read_table(hard)
    src = source or ("eRASS1 Main table" if isinstance(main, Table) else str(main))
    hsrc = "eRASS1 Hard table" if hard is None or isinstance(hard, Table) else str(hard)
    return select_release(m, h, sel, source=src, hard_source=hsrc)
