"""Reading user tables and turning them into the stage schema, with clear errors."""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Iterator, Mapping

import numpy as np
from astropy.table import MaskedColumn, Table

from xrbvo.core.errors import InputError, MissingColumnError, XrbvoError, XrbvoWarning
from xrbvo.core.schema import XRAY, apply_schema
from xrbvo.core.surveys import Survey, get_survey
from xrbvo.io.fitsmeta import restore_column_keywords, with_column_keywords

__all__ = ["read_table", "write_table", "save_output", "save_files", "rescue_outputs", "check_writable", "standardise_xray",
           "FORMATS", "as_float"]

#: File suffix -> astropy format name.
FORMATS = {
    ".fits": "fits", ".fit": "fits", ".fts": "fits", ".fits.gz": "fits",
    ".vot": "votable", ".votable": "votable", ".xml": "votable",
    ".ecsv": "ascii.ecsv", ".csv": "ascii.csv", ".txt": "ascii",
    ".parquet": "parquet", ".pq": "parquet",
}


def _format_for(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


def read_table(path: str | Path) -> Table:
    """Read a FITS, VOTable, ECSV, CSV or Parquet table.

    Raises
    ------
    InputError
        If the file is missing, empty or cannot be parsed; the message names the
        file and the formats understood.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; give the path of a FITS, VOTable, ECSV, CSV or Parquet table")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a table file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty")
    fmt = _format_for(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = Table.read(p, format=fmt) if fmt else Table.read(p)
            if fmt == "fits":
                restore_column_keywords(t)
    except Exception as exc:  # astropy raises many kinds; all mean "unreadable"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            f"{p}: cannot read it as a {fmt or 'table'} ({first}); "
            "give a FITS, VOTable, ECSV, CSV or Parquet file with one row per source"
        ) from None
    if len(t) == 0:
        raise InputError(f"{p}: the table has no rows")
    return t


def write_table(table: Table, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write ``table`` in the format its suffix names (see :data:`FORMATS`).

    Returns the path written: under :func:`rescue_outputs`, a failed write
    (full disk, lost mount) goes to the rescue directory instead.
    """
    p = Path(path)
    fmt = _format_for(p)
    if fmt is None:
        raise InputError(f"{p}: unknown output format; use one of {', '.join(sorted(FORMATS))}")

    def write(target: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (with_column_keywords(table) if fmt == "fits" else table).write(target, format=fmt, overwrite=overwrite)

    return save_output(p, write)


# -- outputs that must not be lost ---------------------------------------------------------

class _Rescue:
    """Where the outputs of one command go when their own place cannot take them."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.failures: list[tuple[Path, str]] = []   # (intended path, reason)
        self.saved: list[Path] = []
        self.targets: dict[Path, Path] = {}
        self.lost: list[tuple[Path, str]] = []

    def save(self, path: Path, write: Callable[[Path], None], reason: str) -> Path:
        self.failures.append((path, reason))
        target, fresh = None, False
        try:
            if self.directory is None:
                self.directory = Path(tempfile.mkdtemp(prefix="xrbvo-rescue-"))
            target = self.targets.get(path)  # the same place again (a model directory): the same rescue
            if target is None:
                target = self.directory / path.name
                n = 1
                while target.exists():  # two outputs of one name from different directories: keep both
                    target = self.directory / f"{path.stem}-{n}{path.suffix}"
                    n += 1
                self.targets[path] = target
            fresh = not target.exists()
            write(target)
        except OSError as exc:
            self.lost.append((path, _reason(exc)))
            if target is not None and fresh:  # nothing half-written may pass for a result here either
                with contextlib.suppress(OSError):
                    if target.is_dir():
                        shutil.rmtree(target)
                    else:
                        target.unlink()
            return path
        if target not in self.saved:
            self.saved.append(target)
        return target

    def error(self) -> InputError:
        first, reason = self.failures[0]
        more = f" and {len(self.failures) - 1} more output(s)" if len(self.failures) > 1 else ""
        text = f"{first}: cannot write ({reason}){more}"
        if self.saved:
            text += (f"; {len(self.saved)} result file(s) were saved to {self.directory} instead: move them, "
                     "then free disk space or choose another output path")
        if self.lost:
            text += (f"; {len(self.lost)} could not be saved anywhere ({self.lost[0][1]}): free disk space and "
                     "run again")
        return InputError(text)


_RESCUE: contextvars.ContextVar[_Rescue | None] = contextvars.ContextVar("xrbvo_rescue", default=None)


def _reason(exc: OSError) -> str:
    text = str(exc)
    if exc.errno is None and ("written" in text or "space on disk" in text):
        # numpy's short write and astropy's space check carry no errno, only byte counts
        return "the disk is full or a file-size limit was reached"
    return exc.strerror or text or type(exc).__name__


def _stamp(p: Path) -> tuple[int, int] | None:
    try:
        st = p.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size) if p.is_file() else None


def save_output(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Create ``path`` (a file or a directory) with ``write(path)``; returns where it went.

    A failure (``OSError``: full disk, no permission, lost mount) raises
    :class:`~xrbvo.core.errors.InputError` naming the path, after removing a
    partial file.  Under :func:`rescue_outputs` it does not raise: the output
    is written to a rescue directory instead, and the error comes at the end.
    """
    p = Path(path)
    before = _stamp(p)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        write(p)
        return p
    except OSError as exc:
        reason = _reason(exc)
        after = _stamp(p)
        if after is not None and after != before:
            with contextlib.suppress(OSError):
                p.unlink()  # this write began the file and did not finish it: it must not pass for a result
    rescue = _RESCUE.get()
    if rescue is None:
        raise InputError(f"{p}: cannot write ({reason}); free disk space or choose another path")
    return rescue.save(p, write, reason)


def save_files(directory: str | Path, files: Mapping[str, bytes | str]) -> Path:
    """Write ``files`` (name -> content) into ``directory`` as one output (see :func:`save_output`)."""
    def write(target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (target / name).write_bytes(data.encode() if isinstance(data, str) else data)

    return save_output(directory, write)


@contextlib.contextmanager
def rescue_outputs() -> Iterator[None]:
    """Keep every output of the enclosed work, even when its own place cannot take it.

    Writes through :func:`save_output` (and :func:`write_table`) that fail go
    to one ``xrbvo-rescue-*`` directory under the system's temporary directory
    and the work goes on; at the end one :class:`~xrbvo.core.errors.InputError`
    says what failed and where the results are.
    """
    rescue = _Rescue()
    token = _RESCUE.set(rescue)
    try:
        yield
    except XrbvoError as exc:
        if rescue.failures:  # say where the saved outputs are, as well as what went wrong after
            raise InputError(f"{exc}; before that: {rescue.error()}") from None
        raise
    finally:
        _RESCUE.reset(token)
    if rescue.failures:
        raise rescue.error()


def check_writable(directory: str | Path, what: str = "output directory") -> Path:
    """Create ``directory`` and check that a file can be written in it, before long work starts."""
    d = Path(directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".xrbvo-probe-", dir=d)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{d}: cannot write to this {what} ({_reason(exc)}); choose another one") from None
    return d


def as_float(col) -> np.ndarray:
    """A column as a float array with masked or empty values as NaN."""
    if isinstance(col, MaskedColumn):
        data = col.filled(np.nan) if col.dtype.kind == "f" else col
        if col.dtype.kind != "f":
            arr = np.array([np.nan if m else _tofloat(v) for v, m in zip(col.data, col.mask)], dtype=float)
            return arr
        return np.asarray(data, dtype=float)
    arr = np.asarray(col)
    if arr.dtype.kind in "fiu":
        return arr.astype(float)
    if arr.dtype.kind == "b":
        return arr.astype(float)
    return np.array([_tofloat(v) for v in arr], dtype=float)


def _tofloat(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


_POS_PAIRS = (("ra", "dec"), ("RA", "DEC"), ("RA_ICRS", "DE_ICRS"), ("RAJ2000", "DEJ2000"),
              ("raj2000", "dej2000"), ("RA_deg", "DEC_deg"), ("Ra", "Dec"))


def _find(table: Table, *names: str) -> str | None:
    lower = {c.lower(): c for c in table.colnames}
    for n in names:
        if n in table.colnames:
            return n
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def standardise_xray(table: Table, survey: str | Survey = "erass1", *, sys_floor_arcsec: float | None = None,
                     default_pos_err_arcsec: float | None = None, source: str = "input table") -> Table:
    """Turn a user's X-ray source table into the :data:`xrbvo.core.schema.XRAY` schema.

    Columns are found under the survey's native names (``IAUNAME``, ``RA``,
    ``POS_ERR``, ``ML_FLUX_1``...) or under the standard names (``xid``, ``ra``,
    ``dec``, ``pos_err``, ``flux_soft``...).  The survey's error model turns the
    native positional error into a 1-sigma per-coordinate error with its floor.

    Raises
    ------
    MissingColumnError
        If no position columns are found.
    InputError
        If a position is NaN or out of range, or identifiers are duplicated.

    Warns
    -----
    XrbvoWarning
        If the positional-error column is absent or some of its values are
        missing or not positive (those sources get the survey's default
        error), or if there is no soft-band flux.
    """
    s = survey if isinstance(survey, Survey) else get_survey(survey)
    ra_c = _find(table, s.ra_column, *[p[0] for p in _POS_PAIRS])
    dec_c = _find(table, s.dec_column, *[p[1] for p in _POS_PAIRS])
    if ra_c is None or dec_c is None:
        raise MissingColumnError(
            f"{source}: no position columns found (looked for {s.ra_column}/{s.dec_column}, ra/dec, "
            f"RA_ICRS/DE_ICRS, RAJ2000/DEJ2000); add right ascension and declination in degrees"
        )
    ra = as_float(table[ra_c])
    dec = as_float(table[dec_c])
    bad = ~np.isfinite(ra) | ~np.isfinite(dec)
    if bad.any():
        i = int(np.nonzero(bad)[0][0])
        raise InputError(f"{source}: {int(bad.sum())} row(s) have a missing or NaN position (first: row {i}); "
                         "remove them or fill in their coordinates")
    out_of_range = (ra < 0) | (ra >= 360) | (dec < -90) | (dec > 90)
    if out_of_range.any():
        i = int(np.nonzero(out_of_range)[0][0])
        raise InputError(f"{source}: {int(out_of_range.sum())} row(s) have coordinates out of range "
                         f"(first: row {i}, ra={ra[i]}, dec={dec[i]}); RA must be in [0, 360) and Dec in "
                         "[-90, 90] degrees")
    id_c = _find(table, "xid", s.id_column, "name", "IAUNAME", "IAUName", "id", "source_id")
    if id_c is None:
        xid = np.array([f"X{i:07d}" for i in range(len(table))])
    else:
        xid = np.array([str(v).strip() for v in table[id_c]])
    if len(set(xid.tolist())) != len(xid):
        raise InputError(f"{source}: source identifiers in column {id_c!r} are not unique; make them unique "
                         "or drop the column to have xrbvo number the sources")
    err_c = _find(table, "pos_err", *(c for c in (s.error.column,) if c))
    model = s.error
    if sys_floor_arcsec is not None:
        from dataclasses import replace
        model = replace(model, floor_arcsec=sys_floor_arcsec)
    if default_pos_err_arcsec is not None:
        from dataclasses import replace
        model = replace(model, default_arcsec=default_pos_err_arcsec)
    native = as_float(table[err_c]) if err_c else None
    default = f"the default 1-sigma error of {model.default_arcsec:g} arcsec (survey {s.name})"
    if native is None and default_pos_err_arcsec is None:
        looked = "pos_err" + (f"/{s.error.column}" if s.error.column else "")
        warnings.warn(f"{source}: no positional-error column (looked for {looked}); every source gets {default}, "
                      "which sets the counterpart search and association; add the column if you have it",
                      XrbvoWarning, stacklevel=2)
    elif native is not None:
        n_bad = int(np.count_nonzero(~(np.isfinite(native) & (native > 0))))
        if n_bad:
            warnings.warn(f"{source}: {n_bad} row(s) have a missing or non-positive positional error in column "
                          f"{err_c!r}; they get {default}", XrbvoWarning, stacklevel=2)
    if err_c == "pos_err":
        pos_err = np.where(np.isfinite(native) & (native > 0), native, model.default_arcsec)
    else:
        pos_err = model.apply(native)
        pos_err = np.broadcast_to(pos_err, ra.shape).copy()
    out = Table({"xid": xid, "ra": ra, "dec": dec, "pos_err": pos_err})
    for std in ("flux_soft", "flux_soft_err", "flux_hard", "flux_hard_err"):
        c = _find(table, std, s.columns.get(std, std))
        out[std] = as_float(table[c]) if c else np.full(len(table), np.nan)
        if std == "flux_soft" and c is None:
            native = s.columns.get(std)
            warnings.warn(f"{source}: no soft-band flux column (looked for flux_soft"
                          f"{'/' + native if native else ''}); the classifier loses its X-ray-to-optical/IR flux "
                          "ratios and luminosity and classifies from the counterparts alone", XrbvoWarning,
                          stacklevel=2)
    out["epoch"] = np.full(len(table), s.epoch)
    out.meta["xray_survey"] = s.name
    return apply_schema(out, XRAY)
