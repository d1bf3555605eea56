"""What the terminal UI needs from SAMP, behind one small adapter.

:class:`SampBridge` wraps :class:`xrbvo.vo.samp.SampClient` (imported lazily,
only when the UI connects) into the four actions of the UI: send the shown
table to TOPCAT, point Aladin at a source, highlight a row in TOPCAT, and listen
for rows highlighted there.  It knows how rows of the table it sent map back to
catalogue rows.  When the SAMP module or a hub is missing, :meth:`connect`
raises :class:`SampUnavailable` and the UI keeps working without it; every
failure of an action is an :class:`~xrbvo.core.errors.XrbvoError` the UI shows as a
notification.

The methods block (they talk to other processes); the UI calls them from worker
threads, and the listener callback runs in the SAMP client's receiving thread,
so the UI must hand its events over to its own thread.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from typing import Callable

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import ServiceError, XrbvoError

__all__ = ["SampBridge", "SampUnavailable", "NullBridge"]


class SampUnavailable(ServiceError):
    """SAMP cannot be used: the SAMP module is missing or no hub runs."""


class NullBridge:
    """A bridge for sessions without SAMP (``--no-samp`` and the tests)."""

    status = "SAMP off"
    connected = False

    def connect(self) -> str:
        raise SampUnavailable("SAMP is switched off for this session (--no-samp)")

    def _off(self, *args, **kwargs):
        raise SampUnavailable("SAMP is switched off for this session; restart without --no-samp and with a "
                              "SAMP hub running (start TOPCAT, or `xrbvo samp hub`)")

    send_table = point_at = highlight = _off

    def listen(self, callback) -> None:
        return None

    def close(self) -> None:
        return None


class SampBridge:
    """The UI's SAMP actions on top of :mod:`xrbvo.vo.samp`.

    Parameters
    ----------
    name : str
        Name the UI registers under at the hub.
    module : str
        Module holding ``SampClient`` (replaceable for a different client).
    catalogue_path : path, optional
        The catalogue file: a row highlighted in a table TOPCAT loaded from
        this very file also selects the source.
    lockfile : path, optional
        The hub's lockfile (default: ``SAMP_HUB`` or ``~/.samp``).
    timeout_s : float, optional
        Time limit, seconds.
    """

    def __init__(self, *, name: str = "xrbvo-tui", module: str = "xrbvo.vo.samp",
                 catalogue_path: str | Path | None = None, lockfile: str | Path | None = None,
                 timeout_s: float = 10.0):
        self.name = name
        self.module = module
        self.catalogue_url = Path(catalogue_path).resolve().as_uri() if catalogue_path is not None else None
        self.lockfile = lockfile
        self.timeout_s = timeout_s
        self._client = None
        self._lock = threading.RLock()
        self._sent: tuple[str, str, np.ndarray] | None = None  # table_id, url, catalogue rows in sent order
        self._callback: Callable[[int], None] | None = None
        self.status = "SAMP: not connected"

    @property
    def connected(self) -> bool:
        c = self._client
        return bool(c is not None and getattr(c, "is_connected", False))

    def connect(self) -> str:
        """Register with the hub; returns a status line.

        Raises
        ------
        SampUnavailable
            Without the SAMP module, or when no hub answers.
        """
        with self._lock:
            if self.connected:
                return self.status
            try:
                mod = importlib.import_module(self.module)
            except ImportError:
                self.status = "SAMP: not available in this installation"
                raise SampUnavailable(f"SAMP support ({self.module}) is not installed in this version of xrbvo; "
                                      "the UI works without it") from None
            try:
                client = mod.SampClient(name=self.name, lockfile=self.lockfile, timeout_s=self.timeout_s)
                client.connect()
            except XrbvoError as exc:
                self.status = "SAMP: no hub"
                raise SampUnavailable(f"SAMP: {exc}") from None
            self._client = client
            if self._callback is not None:
                client.on_rows(self._on_rows)
            self.status = "SAMP: connected"
            return self.status

    def _need(self):
        if not self.connected:
            self.connect()
        return self._client

    def send_table(self, table: Table, rows: np.ndarray, *, name: str = "xrbvo candidates") -> str:
        """Send ``table`` (the shown rows, in order) to TOPCAT; returns a message.

        ``rows[i]`` is the catalogue row of row ``i`` of ``table``.
        """
        client = self._need()
        with self._lock:
            sent = client.send_table(table, name=name, to="topcat")
            self._sent = (sent.table_id, sent.url, np.asarray(rows, dtype=int))
        return f"sent {len(table)} rows to TOPCAT as {name!r}"

    def point_at(self, ra_deg: float, dec_deg: float) -> str:
        """Point Aladin at a position."""
        client = self._need()
        client.point_at(ra_deg, dec_deg, to="aladin")
        return f"Aladin points at {ra_deg:.5f} {dec_deg:+.5f}"

    def highlight(self, catalogue_row: int) -> str:
        """Highlight a catalogue row in the table last sent to TOPCAT."""
        client = self._need()
        with self._lock:
            if self._sent is None:
                raise SampUnavailable("no table sent to TOPCAT yet; press t to send the shown table first")
            table_id, _url, rows = self._sent
        hits = np.flatnonzero(rows == catalogue_row)
        if not len(hits):
            raise SampUnavailable("this source is not in the table sent to TOPCAT; press t to send the "
                                  "shown table again")
        client.highlight_row(table_id, int(hits[0]), to="topcat")
        return f"highlighted row {int(hits[0])} in TOPCAT"

    def listen(self, callback: Callable[[int], None]) -> None:
        """Call ``callback(catalogue_row)`` when TOPCAT highlights a row of our tables.

        The callback runs in the SAMP client's thread.
        """
        with self._lock:
            self._callback = callback
            if self.connected:
                self._client.on_rows(self._on_rows)

    def catalogue_row(self, table_id: str | None, url: str | None, row: int | None) -> int | None:
        """The catalogue row a highlighted ``row`` of a table stands for, or None."""
        if row is None or row < 0:
            return None
        sent = self._sent
        if sent is not None and ((table_id and table_id == sent[0]) or (url and url == sent[1])):
            return int(sent[2][row]) if row < len(sent[2]) else None
        if url and self.catalogue_url and url == self.catalogue_url:
            return int(row)
        return None

    def _on_rows(self, event) -> None:
        row = self.catalogue_row(getattr(event, "table_id", None), getattr(event, "url", None),
                                 getattr(event, "row", None))
        cb = self._callback
        if row is not None and cb is not None:
            cb(row)

    def close(self) -> None:
        """Unregister from the hub (harmless when not connected)."""
        with self._lock:
            c, self._client = self._client, None
        if c is not None:
            try:
                c.close()
            except XrbvoError:
                pass  # leaving: the hub may already be gone, which is what close wants anyway
