"""Marks and notes on sources, kept in a side file next to the catalogue.

Each change is written at once and atomically (a temporary file in the same
directory, flushed to disk, then renamed over the side file, by
:func:`xrbvo.io.atomic_write_bytes`), so nothing is
lost when the terminal UI exits or crashes, and a crash mid-write never leaves
a half-written file.  The side file is JSON::

    {"format": "xrbvo-marks", "version": 1,
     "marks": {"<xid>": {"status": "candidate", "note": "Be star?", "time": "2025-...Z"}}}
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from xrbvo.core.errors import InputError
from xrbvo.io import atomic_write_bytes

__all__ = ["MarkStore", "STATUSES"]

#: The marks a source can carry.
STATUSES: tuple[str, ...] = ("candidate", "rejected")


class MarkStore:
    """Marks (``candidate`` or ``rejected``) and notes per source id.

    Parameters
    ----------
    path : path or None
        The side file; read when it exists, written on every change.  None
        keeps the marks in memory only.

    Raises
    ------
    InputError
        When the side file exists but is not a marks file (the message names
        it; move it away to start afresh).
    """

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path is not None else None
        self._marks: dict[str, dict] = {}
        self.version = 0
        """Increases on every change (lets views know when to recompute)."""
        if self.path is not None and self.path.exists():
            try:
                doc = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f"{self.path}: cannot read the marks file ({exc}); move it away to start "
                                 "with no marks") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("marks"), dict):
                raise InputError(f"{self.path}: not an xrbvo marks file (no 'marks' object); move it away "
                                 "to start with no marks")
            for xid, rec in doc["marks"].items():
                if isinstance(rec, dict) and rec.get("status") in STATUSES:
                    self._marks[str(xid)] = {"status": rec["status"], "note": str(rec.get("note", "")),
                                             "time": str(rec.get("time", ""))}
        self._arrays: dict[str, tuple[int, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self._marks)

    def __contains__(self, xid: str) -> bool:
        return str(xid) in self._marks

    def get(self, xid: str) -> dict | None:
        """The mark of ``xid`` (status, note, time) or None."""
        rec = self._marks.get(str(xid))
        return dict(rec) if rec else None

    def items(self):
        """(xid, mark) pairs."""
        return [(k, dict(v)) for k, v in self._marks.items()]

    def set(self, xid: str, status: str, note: str = "") -> None:
        """Mark ``xid`` as ``candidate`` or ``rejected`` with a note, and save."""
        if status not in STATUSES:
            raise InputError(f"mark {status!r} is unknown; use one of {', '.join(STATUSES)}")
        self._marks[str(xid)] = {"status": status, "note": str(note),
                                 "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        self._changed()

    def clear(self, xid: str) -> bool:
        """Remove the mark of ``xid`` (and save); returns whether it had one."""
        if self._marks.pop(str(xid), None) is None:
            return False
        self._changed()
        return True

    def _changed(self) -> None:
        self.version += 1
        self._arrays.clear()
        self.save()

    def save(self) -> None:
        """Write the side file atomically (no-op for an in-memory store)."""
        if self.path is None:
            return
        doc = {"format": "xrbvo-marks", "version": 1, "marks": self._marks}
        data = json.dumps(doc, indent=1, sort_keys=True).encode("utf-8")
        try:
            atomic_write_bytes(self.path, data)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot write marks ({exc.strerror or exc}); free disk space or make "
                             f"{self.path.parent} writable") from None

    def _array(self, kind: str, xids: np.ndarray, row_of: Callable[[str], int | None]) -> np.ndarray:
        got = self._arrays.get(kind)
        if got is not None and got[0] == self.version and len(got[1]) == len(xids):
            return got[1]
        out = np.full(len(xids), "", dtype=object)
        for xid, rec in self._marks.items():
            r = row_of(xid)
            if r is not None:
                out[r] = rec[kind]
        arr = out.astype(str) if len(out) else np.zeros(0, dtype="<U1")
        self._arrays[kind] = (self.version, arr)
        return arr

    def status_array(self, xids: np.ndarray, row_of: Callable[[str], int | None]) -> np.ndarray:
        """Status per row ("" when unmarked), aligned with ``xids``."""
        return self._array("status", xids, row_of)

    def note_array(self, xids: np.ndarray, row_of: Callable[[str], int | None]) -> np.ndarray:
        """Note per row ("" when none), aligned with ``xids``."""
        return self._array("note", xids, row_of)
