"""SAMP: send results to TOPCAT and Aladin, and hear back which row a person picked.

The Simple Application Messaging Protocol lets desktop applications on one
machine talk through a *hub*.  This module wraps :mod:`pyvo.samp` (astropy 8
deprecates :mod:`astropy.samp` in its favour) into a small client with clear
errors:

- :func:`find_hub` locates a running hub through ``SAMP_HUB`` or the standard
  lockfile ``~/.samp``; :class:`SampHub` starts one in this process
  (``xrbvo samp hub``).
- :class:`SampClient` registers with the hub and sends a table
  (``table.load.votable``, written as a VOTable with units and UCDs and a
  stable table-id), a position (``coord.pointAt.sky``), a highlighted row
  (``table.highlight.row``), a row selection (``table.select.rowList``) and
  Aladin script commands (``script.aladin.send``), to one named application or
  to every application that accepts the message.
- :meth:`SampClient.on_rows` hands ``table.highlight.row`` and
  ``table.select.rowList`` messages that other applications send about one of
  our tables to a callback, run in the client's own receiving thread.

Every failure is an :class:`SampError` (a :class:`~xrbvo.core.errors.ServiceError`)
with a one-line message: no hub, the named application absent or gone, a
refusal, or a time-out.  The client stays usable after any of them, and the
temporary VOTables it wrote are removed by :meth:`SampClient.close`.

Examples
--------
>>> from xrbvo.vo.samp import SampClient        # doctest: +SKIP
>>> with SampClient() as samp:                  # doctest: +SKIP
...     sent = samp.send_table(catalogue, name="candidates")
...     samp.highlight_row(sent.table_id, 3)
...     samp.point_at(245.1, -52.3)
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import shutil
import tempfile
import threading
import time
import urllib.request
import warnings
import weakref
import xmlrpc.client as xmlrpc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import urlparse
from urllib.request import url2pathname

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError, ServiceError

__all__ = [
    "MTYPE_LOAD_VOTABLE",
    "MTYPE_POINT_AT_SKY",
    "MTYPE_HIGHLIGHT_ROW",
    "MTYPE_SELECT_ROWS",
    "MTYPE_ALADIN_SCRIPT",
    "MTYPE_GET_STIL",
    "MTYPE_PING",
    "SampError",
    "NoHubError",
    "HubRunningError",
    "ClientNotFoundError",
    "ClientGoneError",
    "SampRefusedError",
    "SampTimeoutError",
    "HubInfo",
    "ClientInfo",
    "Reply",
    "SentTable",
    "RowEvent",
    "RowSubscription",
    "SampClient",
    "SampHub",
    "hub_lockfile",
    "find_hub",
    "run_hub",
    "votable_bytes",
    "error_radius_arcsec",
]

log = logging.getLogger(__name__)

MTYPE_LOAD_VOTABLE = "table.load.votable"
MTYPE_POINT_AT_SKY = "coord.pointAt.sky"
MTYPE_HIGHLIGHT_ROW = "table.highlight.row"
MTYPE_SELECT_ROWS = "table.select.rowList"
MTYPE_ALADIN_SCRIPT = "script.aladin.send"
MTYPE_GET_STIL = "table.get.stil"
MTYPE_PING = "samp.app.ping"

#: Seconds a hub gets to answer a ping before it is called dead.
_HUB_PING_TIMEOUT_S = 3.0
#: Seconds an application gets to answer the ping that tells "slow" from "gone".
_APP_PING_TIMEOUT_S = 2


# --------------------------------------------------------------------------------------
# errors


class SampError(ServiceError):
    """A SAMP exchange failed; :attr:`replies` holds every answer collected."""

    def __init__(self, message: str, replies: Sequence["Reply"] = ()):
        super().__init__(message)
        self.replies: tuple[Reply, ...] = tuple(replies)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NoHubError(SampError):
    """No SAMP hub runs, or the one named by the lockfile stopped answering."""


class HubRunningError(SampError):
    """A hub is already running where a new one was to be started."""


class ClientNotFoundError(SampError):
    """No registered application matches the recipient, or none accepts the message."""


class ClientGoneError(SampError):
    """The receiving application left the hub or stopped answering."""


class SampRefusedError(SampError):
    """The receiving application answered with ``samp.error``."""


class SampTimeoutError(SampError, TimeoutError):
    """The receiving application did not answer in time."""


# --------------------------------------------------------------------------------------
# small result types


@dataclass(frozen=True)
class HubInfo:
    """A running SAMP hub, as its lockfile describes it."""

    lockfile: Path
    """The lockfile that names the hub."""
    url: str
    """XML-RPC address of the hub."""
    label: str
    """Human-readable name (``hub.label``), empty when the hub gives none."""
    params: dict = field(repr=False, compare=False)
    """Every key of the lockfile, the secret included (never print it)."""


@dataclass(frozen=True)
class ClientInfo:
    """An application registered with the hub."""

    id: str
    """Public client id given by the hub (e.g. ``cli#2``)."""
    name: str
    """``samp.name`` metadata (e.g. ``topcat``, ``Aladin``), or the id."""
    description: str
    """``samp.description.text`` metadata, may be empty."""
    subscriptions: frozenset = frozenset()
    """MTypes (possibly wildcards such as ``table.*``) the client accepts."""

    def accepts(self, mtype: str) -> bool:
        """Whether the client subscribed to ``mtype`` (wildcards honoured)."""
        if mtype in self.subscriptions or "*" in self.subscriptions:
            return True
        parts = mtype.split(".")
        return any(".".join(parts[:i]) + ".*" in self.subscriptions for i in range(1, len(parts)))

    @property
    def label(self) -> str:
        """``name (id)`` for messages."""
        return f"{self.name} ({self.id})"


@dataclass(frozen=True)
class Reply:
    """One application's answer to one message."""

    client: ClientInfo
    """Who answered (or failed to)."""
    mtype: str
    """The message sent."""
    status: str
    """``ok``, ``warning``, ``error`` (refused), ``timeout`` or ``gone``."""
    result: dict = field(default_factory=dict)
    """``samp.result`` of the answer."""
    message: str = ""
    """Error text of a refusal, or a note (e.g. ``already loaded``)."""

    @property
    def ok(self) -> bool:
        """True for ``ok`` and ``warning``."""
        return self.status in ("ok", "warning")


@dataclass(frozen=True)
class SentTable:
    """A table this client sent with ``table.load.votable``."""

    table_id: str
    """The ``table-id`` the receivers know the table by."""
    url: str
    """The ``file://`` URL of the VOTable they read."""
    name: str
    """The table's name shown in the applications."""
    n_rows: int
    """Number of rows sent; row indices of later messages are 0-based into these."""
    replies: tuple[Reply, ...] = ()
    """The receivers' answers."""


@dataclass(frozen=True)
class RowEvent:
    """A row highlight or a row selection received from another application."""

    mtype: str
    """``table.highlight.row`` or ``table.select.rowList``."""
    sender_id: str
    """Public id of the sending application."""
    sender_name: str
    """Its ``samp.name``, or its id when it declared none."""
    table_id: str | None
    """The ``table-id`` of the message, when given."""
    url: str | None
    """The ``url`` of the message, when given."""
    rows: tuple[int, ...]
    """0-based row indices: one for a highlight, any number for a selection."""

    @property
    def row(self) -> int | None:
        """The first row, or None for an empty selection."""
        return self.rows[0] if self.rows else None


class RowSubscription:
    """A callback registered with :meth:`SampClient.on_rows`; :meth:`remove` ends it."""

    def __init__(self, client: "SampClient", callback: Callable[[RowEvent], Any],
                 table_id: str | None, url: str | None, mtypes: frozenset):
        self._client = client
        self.callback = callback
        self.table_id = table_id
        self.url = url
        self.mtypes = mtypes

    def matches(self, mtype: str, table_id: str | None, url: str | None) -> bool:
        """Whether a message about ``table_id``/``url`` is for this subscription."""
        if mtype not in self.mtypes:
            return False
        if self.table_id is None and self.url is None:
            return True
        return bool((table_id and table_id == self.table_id) or (url and url == self.url))

    def remove(self) -> None:
        """Stop receiving; calling it twice is harmless."""
        self._client._remove_subscription(self)


# --------------------------------------------------------------------------------------
# hub discovery and hub running


class _TimeoutTransport(xmlrpc.Transport):
    def __init__(self, timeout_s: float):
        super().__init__()
        self._timeout_s = timeout_s

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self._timeout_s
        return conn


def hub_lockfile(lockfile: str | os.PathLike | None = None) -> Path:
    """The lockfile that names the hub to use.

    ``lockfile`` if given, else the one in ``SAMP_HUB`` (``std-lockurl:file://...``),
    else the standard ``~/.samp``.

    Raises
    ------
    NoHubError
        If ``SAMP_HUB`` is set but is not a local ``std-lockurl``.
    """
    if lockfile is not None:
        return Path(lockfile).expanduser()
    env = os.environ.get("SAMP_HUB", "").strip()
    if env:
        if not env.startswith("std-lockurl:"):
            raise NoHubError(f"SAMP_HUB={env!r} is not a 'std-lockurl:' value; unset SAMP_HUB to use ~/.samp")
        url = env[len("std-lockurl:"):]
        parsed = urlparse(url)
        if parsed.scheme not in ("", "file"):
            raise NoHubError(f"SAMP_HUB={env!r} names a remote lockfile; only local (file:) lockfiles are supported")
        return Path(url2pathname(parsed.path) if parsed.scheme else url).expanduser()
    return Path.home() / ".samp"


def _read_lockfile(path: Path) -> dict[str, str]:
    params: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            params[key.strip()] = value.strip()
    return params


def _how_to_start() -> str:
    return "start TOPCAT or Aladin (each starts a hub) or run 'xrbvo samp hub'"


def find_hub(*, lockfile: str | os.PathLike | None = None) -> HubInfo:
    """Locate a running hub and check that it answers.

    Parameters
    ----------
    lockfile : path, optional
        Lockfile to read; default: ``SAMP_HUB``, else ``~/.samp``.

    Raises
    ------
    NoHubError
        If no lockfile exists, it is malformed, or its hub does not answer.
    """
    path = hub_lockfile(lockfile)
    try:
        params = _read_lockfile(path)
    except FileNotFoundError:
        raise NoHubError(f"no SAMP hub is running (no lockfile {path}); {_how_to_start()}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NoHubError(f"cannot read the SAMP lockfile {path} ({exc}); {_how_to_start()}") from None
    url = params.get("samp.hub.xmlrpc.url", "").replace("\\", "")
    if not url or "samp.secret" not in params:
        raise NoHubError(f"the SAMP lockfile {path} lacks samp.hub.xmlrpc.url or samp.secret; "
                         f"delete it and {_how_to_start()}")
    proxy = xmlrpc.ServerProxy(url, transport=_TimeoutTransport(_HUB_PING_TIMEOUT_S), allow_none=True)
    try:
        proxy.samp.hub.ping()
    except xmlrpc.ProtocolError:
        pass  # an HTTP-level answer: the server is alive
    except (OSError, xmlrpc.Fault) as exc:
        raise NoHubError(f"the SAMP hub named by {path} ({url}) does not answer ({_reason(exc)}); "
                         f"it has stopped: {_how_to_start()}") from None
    finally:
        proxy("close")()
    params["samp.hub.xmlrpc.url"] = url
    return HubInfo(lockfile=path, url=url, label=params.get("hub.label", ""), params=params)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, xmlrpc.Fault):
        return exc.faultString
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


_HUB_CLASS = None


def _hub_server_class():
    """pyvo's ``SAMPHubServer`` with the synchronous-call race closed.

    pyvo 1.9's hub dispatches a ``callAndWait`` message before it records the
    message id it waits for; an application that answers within that gap has
    its answer dropped and the caller waits until its time-out.  Here a reply
    to a synchronous call waits (briefly) until the id is recorded.
    """
    global _HUB_CLASS
    if _HUB_CLASS is None:
        from pyvo.samp import SAMPHubServer

        class _HubServer(SAMPHubServer):
            def _reply_(self, responder_private_key, msg_id, response):
                heap = getattr(self, "_sync_msg_ids_heap", None)
                if heap is not None and isinstance(msg_id, str) and msg_id.endswith(";;samp::sync::call"):
                    deadline = time.monotonic() + 5.0
                    while msg_id not in heap and self.is_running and time.monotonic() < deadline:
                        time.sleep(0.002)
                return super()._reply_(responder_private_key, msg_id, response)

        _HUB_CLASS = _HubServer
    return _HUB_CLASS


class SampHub:
    """A SAMP hub run by this process (pyvo's ``SAMPHubServer``) on 127.0.0.1.

    Parameters
    ----------
    lockfile : path, optional
        Where to write the lockfile; default: ``SAMP_HUB``, else ``~/.samp``
        (where TOPCAT and Aladin look).
    web_profile : bool
        Also serve the SAMP Web Profile (port 21012, for browser clients); each
        web client then asks for consent on the terminal.
    label : str
        ``hub.label`` written to the lockfile.
    """

    def __init__(self, *, lockfile: str | os.PathLike | None = None, web_profile: bool = False,
                 label: str = "xrbvo SAMP hub"):
        self.lockfile = hub_lockfile(lockfile)
        self.web_profile = web_profile
        self.label = label
        self._server = None

    def start(self) -> HubInfo:
        """Start the hub in background threads and write the lockfile.

        Raises
        ------
        HubRunningError
            If a hub already answers at that lockfile.
        InputError
            If ``SAMP_HUB`` names a different lockfile than ``lockfile``
            (pyvo would silently use ``SAMP_HUB``).
        """
        from pyvo.samp import conf

        try:
            running = find_hub(lockfile=self.lockfile)
        except NoHubError:
            running = None
        if running is not None:
            raise HubRunningError(f"a SAMP hub already runs at {running.url} (lockfile {running.lockfile}); "
                                  "use it, or stop it first")
        if os.environ.get("SAMP_HUB") and hub_lockfile(None) != self.lockfile:
            raise InputError(f"SAMP_HUB names {hub_lockfile(None)} but the hub was asked to write {self.lockfile}; "
                             "unset SAMP_HUB or give the same lockfile")
        self.lockfile.parent.mkdir(parents=True, exist_ok=True)
        if self.lockfile.exists():  # a dead hub's lockfile: pyvo would refuse to start
            self.lockfile.unlink()
        with conf.set_temp("use_internet", False):
            server = _hub_server_class()(addr="127.0.0.1", lockfile=str(self.lockfile), web_profile=self.web_profile,
                                   label=self.label)
            server.start(wait=False)
        self._server = server
        return find_hub(lockfile=self.lockfile)

    @property
    def is_running(self) -> bool:
        """Whether this object's hub runs."""
        return self._server is not None and self._server.is_running

    def stop(self) -> None:
        """Tell the clients, stop the hub and remove its lockfile (harmless twice)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> "SampHub":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def run_hub(*, lockfile: str | os.PathLike | None = None, web_profile: bool = False,
            stop: threading.Event | None = None, on_start: Callable[[HubInfo], None] | None = None) -> None:
    """Run a hub until ``stop`` is set or the process is interrupted (Ctrl-C).

    Parameters
    ----------
    lockfile, web_profile
        As for :class:`SampHub`.
    stop : threading.Event, optional
        Set it to stop the hub.
    on_start : callable, optional
        Called with the :class:`HubInfo` once the hub answers.
    """
    hub = SampHub(lockfile=lockfile, web_profile=web_profile)
    info = hub.start()
    try:
        if on_start is not None:
            on_start(info)
        stop = stop or threading.Event()
        while not stop.wait(0.5):
            if not hub.is_running:
                break
    finally:
        hub.stop()


# --------------------------------------------------------------------------------------
# VOTables

_RA_NAMES = ("ra", "raj2000", "ra_icrs", "ra_deg", "radeg", "ra_j2000")
_DEC_NAMES = ("dec", "dej2000", "decj2000", "de_icrs", "dec_icrs", "dec_deg", "dedeg", "dec_j2000")


def _ensure_position_ucds(table: Table) -> None:
    ucds = [str(table[c].meta.get("ucd", "")) for c in table.colnames]
    for prefix, names in (("pos.eq.ra", _RA_NAMES), ("pos.eq.dec", _DEC_NAMES)):
        if any(u.startswith(prefix) for u in ucds):
            continue
        for c in table.colnames:
            if c.lower() in names and np.issubdtype(table[c].dtype, np.number):
                table[c].meta["ucd"] = f"{prefix};meta.main"
                if table[c].unit is None:
                    table[c].unit = "deg"
                break


def votable_bytes(table: Table, *, name: str) -> bytes:
    """``table`` as VOTable bytes with units, UCDs and descriptions.

    Columns keep their ``unit``, ``meta['ucd']`` and ``description``; when no
    column carries a ``pos.eq.ra``/``pos.eq.dec`` UCD, columns named like
    ``ra``/``dec`` (``RAJ2000``, ``RA_ICRS``, ...) get ``pos.eq.ra;meta.main`` /
    ``pos.eq.dec;meta.main`` (and ``deg`` if unitless) so TOPCAT and Aladin find
    the positions.
    """
    from astropy.io.votable import from_table

    if not isinstance(table, Table):
        raise InputError(f"cannot send a {type(table).__name__} as a table; give an astropy Table or a table file")
    t = Table(table, copy=True)
    _ensure_position_ucds(t)
    with warnings.catch_warnings():
        # astropy warns about units that VOUnit deprecates (erg) but writes them fine
        warnings.simplefilter("ignore")
        try:
            vot = from_table(t)
        except (TypeError, ValueError) as exc:
            raise InputError(f"table {name!r} cannot be written as a VOTable ({exc}); "
                             "drop or convert the offending column") from None
        vot.resources[0].tables[0].name = name
        buf = io.BytesIO()
        vot.to_xml(buf)
    return buf.getvalue()


def error_radius_arcsec(pos_err_arcsec, confidence: float = 0.99) -> np.ndarray:
    """Radius of the circle holding ``confidence`` of a circular Gaussian position.

    ``pos_err_arcsec`` is the 1-sigma error per coordinate; the radius is
    ``sigma * sqrt(-2 ln(1 - confidence))`` (Rayleigh distribution): 3.03 sigma
    for 99 %.
    """
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must lie between 0 and 1, got {confidence}")
    return np.asarray(pos_err_arcsec, dtype=float) * math.sqrt(-2.0 * math.log1p(-confidence))


# --------------------------------------------------------------------------------------
# the client


def _as_rows(values: Iterable[Any]) -> tuple[int, ...]:
    out = []
    for v in values:
        i = int(str(v).strip())
        if i < 0:
            raise ValueError(f"negative row index {i}")
        out.append(i)
    return tuple(out)


class SampClient:
    """A SAMP client of xrbvo: registers with the hub, sends and listens.

    Parameters
    ----------
    name : str
        ``samp.name`` shown to other applications.
    description : str
        ``samp.description.text``.
    lockfile : path, optional
        The hub's lockfile; default: ``SAMP_HUB``, else ``~/.samp``.
    timeout_s : float
        Seconds each application gets to answer a message (whole seconds are
        used; at least 1).

    Notes
    -----
    Use it as a context manager, or call :meth:`connect` and :meth:`close`.
    A failure (:class:`SampError`) never closes the client: the caller may try
    again.  Thread-safe for sending; callbacks of :meth:`on_rows` run in the
    client's receiving thread, never the caller's.
    """

    def __init__(self, *, name: str = "xrbvo",
                 description: str = "xrbvo: X-ray binary candidates from eROSITA and the Virtual Observatory",
                 lockfile: str | os.PathLike | None = None, timeout_s: float = 10.0):
        if not timeout_s > 0:
            raise InputError(f"timeout_s must be positive, got {timeout_s}")
        self.name = name
        self.description = description
        self.lockfile = lockfile
        self.timeout_s = float(timeout_s)
        self.hub: HubInfo | None = None
        self._proxy = None
        self._client = None
        self._lock = threading.RLock()
        self._subs: list[RowSubscription] = []
        self._bound = False
        self._names: dict[str, str] = {}
        self._tables: dict[str, SentTable] = {}
        self._tmpdir: Path | None = None
        self._tmp_finalizer = None

    # -- connection -------------------------------------------------------------------

    def connect(self) -> "SampClient":
        """Find the hub and register with it.

        Raises
        ------
        NoHubError
            If no hub runs or it refuses the registration.
        """
        from pyvo.samp import SAMPClient, SAMPHubProxy, conf
        from pyvo.samp.errors import SAMPClientError, SAMPHubError

        if self.is_connected:
            return self
        info = find_hub(lockfile=self.lockfile)
        proxy = SAMPHubProxy()
        try:
            proxy.connect(hub_params=info.params, pool_size=4)
            from xrbvo import __version__

            metadata = {"samp.name": self.name, "samp.description.text": self.description,
                        "author.name": "xrbvo developers", "xrbvo.version": __version__}
            with conf.set_temp("use_internet", False):
                client = SAMPClient(proxy, metadata=metadata, addr="127.0.0.1", callable=True)
            client.start()
            try:
                client.register()
            except BaseException:
                client.stop()
                raise
        except (OSError, xmlrpc.Fault, SAMPHubError, SAMPClientError) as exc:
            proxy.disconnect()
            raise NoHubError(f"cannot register with the SAMP hub at {info.url} ({_reason(exc)}); "
                             f"{_how_to_start()}") from None
        self.hub, self._proxy, self._client = info, proxy, client
        self._bound = False
        if self._subs:
            self._bind_row_handlers()
        return self

    @property
    def is_connected(self) -> bool:
        """Whether the client is registered with a hub."""
        return self._client is not None and self._client.is_registered

    @property
    def client_id(self) -> str | None:
        """Our public id on the hub."""
        return self._client.get_public_id() if self._client is not None else None

    def close(self) -> None:
        """Unregister, stop listening and remove temporary VOTables (harmless twice)."""
        from pyvo.samp.errors import SAMPClientError, SAMPHubError

        with self._lock:
            client, proxy = self._client, self._proxy
            self._client = self._proxy = None
            if client is not None:
                if client.is_registered:
                    try:
                        client.unregister()
                    except (OSError, xmlrpc.Fault, SAMPHubError, SAMPClientError) as exc:
                        log.debug("unregistering from the SAMP hub failed: %s", exc)
                try:
                    client.stop(timeout=5.0)
                except SAMPClientError as exc:
                    log.debug("the SAMP client thread did not stop: %s", exc)
            if proxy is not None:
                proxy.disconnect()
            self._tables.clear()
            if self._tmp_finalizer is not None:
                self._tmp_finalizer()
                self._tmp_finalizer = None
                self._tmpdir = None

    def __enter__(self) -> "SampClient":
        return self.connect()

    def __exit__(self, *exc) -> None:
        self.close()

    def _require(self):
        if not self.is_connected:
            raise NoHubError("the SAMP client is not connected; call connect() first")
        return self._proxy, self._client.get_private_key()

    def _hub_call(self, what: str, fn: Callable, *args):
        """Run one hub call, turning a dead hub into NoHubError."""
        from pyvo.samp.errors import SAMPClientError, SAMPHubError

        try:
            return fn(*args)
        except (OSError, SAMPHubError, SAMPClientError) as exc:
            raise NoHubError(f"the SAMP hub at {self.hub.url if self.hub else '?'} stopped answering while "
                             f"{what} ({_reason(exc)}); {_how_to_start()}") from None

    # -- who is there -----------------------------------------------------------------

    def clients(self) -> list[ClientInfo]:
        """The other applications registered with the hub (the hub itself excluded)."""
        proxy, key = self._require()
        hub_id = getattr(self._client, "_hub_id", None)  # pyvo keeps it from the registration
        ids = self._hub_call("listing clients", proxy.get_registered_clients, key)
        out = []
        for cid in ids:
            if cid in (hub_id, self.client_id):
                continue
            info = self._client_info(cid)
            if info is not None:
                out.append(info)
        return out

    def _client_info(self, cid: str) -> ClientInfo | None:
        proxy, key = self._require()
        try:
            meta = self._hub_call("reading metadata", proxy.get_metadata, key, cid) or {}
            subs = self._hub_call("reading subscriptions", proxy.get_subscriptions, key, cid) or {}
        except xmlrpc.Fault:  # the client left meanwhile
            return None
        name = str(meta.get("samp.name") or cid)
        self._names[cid] = name
        return ClientInfo(id=cid, name=name, description=str(meta.get("samp.description.text") or ""),
                          subscriptions=frozenset(subs))

    def _name_of(self, cid: str) -> str:
        if cid not in self._names:
            try:
                self._client_info(cid)
            except (SampError, xmlrpc.Fault):
                return cid
        return self._names.get(cid, cid)

    def ping(self, client: ClientInfo | str, *, timeout_s: float = _APP_PING_TIMEOUT_S) -> bool:
        """Whether ``client`` answers ``samp.app.ping`` within ``timeout_s``."""
        proxy, key = self._require()
        cid = client.id if isinstance(client, ClientInfo) else client
        msg = {"samp.mtype": MTYPE_PING, "samp.params": {}}
        try:
            resp = self._hub_call("pinging", proxy.call_and_wait, key, cid, msg, str(max(1, math.ceil(timeout_s))))
        except xmlrpc.Fault:
            return False
        return resp.get("samp.status") in ("samp.ok", "samp.warning")

    def resolve(self, to: str | None, mtype: str) -> list[ClientInfo]:
        """The applications a message goes to.

        Parameters
        ----------
        to : str or None
            ``None``/``"all"``: every application that accepts ``mtype``;
            otherwise a ``samp.name`` (case-insensitive, e.g. ``topcat``,
            ``aladin``) or a client id.
        mtype : str
            The message type.

        Notes
        -----
        An application registered twice under one name (Aladin does so at
        times) is reached once, through the registration that answers
        ``samp.app.ping``.

        Raises
        ------
        ClientNotFoundError
            If nobody matches or accepts ``mtype``.
        """
        present = self.clients()
        names = ", ".join(c.label for c in present) or "none"
        if to is None or to.lower() in ("all", "*"):
            chosen = [c for c in present if c.accepts(mtype)]
            if not chosen:
                raise ClientNotFoundError(f"no application on the SAMP hub accepts {mtype} (registered: {names}); "
                                          "start TOPCAT or Aladin")
        else:
            matching = [c for c in present if c.id == to or c.name.lower() == to.lower()]
            if not matching:
                raise ClientNotFoundError(f"no application called {to!r} is registered with the SAMP hub "
                                          f"(registered: {names}); start it, or send to one of those")
            chosen = [c for c in matching if c.accepts(mtype)]
            if not chosen:
                raise ClientNotFoundError(f"{matching[0].label} does not accept {mtype}; send it to another "
                                          "application")
        return self._dedupe(chosen)

    def _dedupe(self, clients: list[ClientInfo]) -> list[ClientInfo]:
        groups: dict[str, list[ClientInfo]] = {}
        for c in clients:
            groups.setdefault(c.name.lower(), []).append(c)
        out = []
        for group in groups.values():
            if len(group) == 1:
                out.append(group[0])
                continue
            alive = [c for c in group if self.ping(c)]
            out.append(alive[0] if alive else group[-1])
        return out

    # -- sending ----------------------------------------------------------------------

    def call(self, mtype: str, params: dict, *, to: str | None = "all", timeout_s: float | None = None,
             retry_s: float = 0.0) -> tuple[Reply, ...]:
        """Send ``mtype`` with ``params`` and wait for every recipient's answer.

        Parameters
        ----------
        mtype : str
            The message type.
        params : dict
            ``samp.params`` (strings, lists and maps of strings).
        to : str or None
            Recipient, see :meth:`resolve`.
        timeout_s : float, optional
            Per-recipient time-out; default :attr:`timeout_s`.
        retry_s : float
            Keep retrying a refused message for this long (TOPCAT accepts a
            table slightly before its table-id can be used).

        Returns
        -------
        tuple of Reply
            One per recipient, all successful.

        Raises
        ------
        SampRefusedError, SampTimeoutError, ClientGoneError
            If any recipient failed; the message names each failure and who
            did receive it, and the exception's ``replies`` holds them all.
        ClientNotFoundError, NoHubError
        """
        targets = self.resolve(to, mtype)
        replies = tuple(self._call_one(c, mtype, params, timeout_s or self.timeout_s, retry_s) for c in targets)
        failed = [r for r in replies if not r.ok]
        if failed:
            parts = []
            for r in failed:
                if r.status == "timeout":
                    parts.append(f"{r.client.label} did not answer {mtype} within "
                                 f"{max(1, math.ceil(timeout_s or self.timeout_s))} s")
                elif r.status == "gone":
                    parts.append(f"{r.client.label} {r.message}")
                else:
                    parts.append(f"{r.client.label} refused {mtype}: {r.message}")
            done = [r.client.label for r in replies if r.ok]
            text = "; ".join(parts) + (f" (delivered to {', '.join(done)})" if done else "")
            kinds = {r.status for r in failed}
            cls = (ClientGoneError if kinds == {"gone"} else SampTimeoutError if kinds <= {"timeout", "gone"}
                   and "timeout" in kinds else SampRefusedError)
            raise cls(text, replies)
        return replies

    def _call_one(self, client: ClientInfo, mtype: str, params: dict, timeout_s: float,
                  retry_s: float) -> Reply:
        proxy, key = self._require()
        msg = {"samp.mtype": mtype, "samp.params": params}
        deadline = time.monotonic() + retry_s
        while True:
            try:
                resp = self._hub_call(f"sending {mtype}", proxy.call_and_wait, key, client.id, msg,
                                      str(max(1, math.ceil(timeout_s))))
            except xmlrpc.Fault as exc:
                if "timeout" in exc.faultString.lower() or "timed out" in exc.faultString.lower():
                    return self._diagnose_silence(client, mtype)
                if not self._still_registered(client):
                    return Reply(client, mtype, "gone", message="left the SAMP hub; start it again")
                return Reply(client, mtype, "error", message=f"the hub refused to deliver it ({exc.faultString})")
            status = str(resp.get("samp.status", ""))
            result = resp.get("samp.result") or {}
            if status in ("samp.ok", "samp.warning"):
                err = (resp.get("samp.error") or {}).get("samp.errortxt", "")
                return Reply(client, mtype, status[5:], dict(result), str(err))
            text = str((resp.get("samp.error") or {}).get("samp.errortxt") or "no reason given")
            text = text.splitlines()[0] if text.strip() else "no reason given"
            if mtype == MTYPE_LOAD_VOTABLE and "duplicate table-id" in text.lower():
                # TOPCAT already holds this very table (same content, same table-id)
                return Reply(client, mtype, "ok", dict(result), "already loaded")
            if time.monotonic() >= deadline:
                return Reply(client, mtype, "error", dict(result), text)
            time.sleep(0.25)

    def _still_registered(self, client: ClientInfo) -> bool:
        proxy, key = self._require()
        return client.id in self._hub_call("listing clients", proxy.get_registered_clients, key)

    def _diagnose_silence(self, client: ClientInfo, mtype: str) -> Reply:
        if not self._still_registered(client):
            return Reply(client, mtype, "gone", message="left the SAMP hub before answering; start it again")
        if not self.ping(client):
            return Reply(client, mtype, "gone",
                         message="no longer answers (not even a ping): it has probably crashed; restart it")
        return Reply(client, mtype, "timeout")

    def _tmp(self) -> Path:
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="xrbvo-samp-"))
            self._tmp_finalizer = weakref.finalize(self, shutil.rmtree, str(self._tmpdir), True)
        return self._tmpdir

    def send_table(self, table: Table | str | os.PathLike, *, name: str | None = None,
                   table_id: str | None = None, to: str | None = "all", timeout_s: float | None = None,
                   progress: Callable[[str, float], None] | None = None) -> SentTable:
        """Send a table with ``table.load.votable``.

        Parameters
        ----------
        table : astropy Table or path
            The table (e.g. the output catalogue), or a table file (FITS,
            VOTable, ECSV, CSV, Parquet).
        name : str, optional
            Name shown in the applications; default: the table's
            ``meta['name']``, the file's stem, or ``xrbvo``.
        table_id : str, optional
            Default: ``xrbvo-`` and a digest of the VOTable, so the same table
            always gets the same id.
        to : str or None
            Recipient, see :meth:`resolve`.
        progress : callable, optional
            ``(message, fraction)`` callback.

        Returns
        -------
        SentTable
            Its ``table_id`` and ``url`` identify the table in later
            highlights, selections and in :meth:`on_rows`.

        Notes
        -----
        The VOTable is written to a private temporary directory and removed by
        :meth:`close` (at once if nobody loaded it).
        """
        from xrbvo.io import read_table

        report = progress or (lambda msg, frac: None)
        if not isinstance(table, Table):
            path = Path(table)
            table = read_table(path)
            name = name or path.stem
        name = name or str(table.meta.get("name") or "xrbvo")
        report("writing VOTable", 0.0)
        data = votable_bytes(table, name=name)
        table_id = table_id or "xrbvo-" + hashlib.sha256(data).hexdigest()[:12]
        self._require()
        with self._lock:
            path = self._tmp() / f"{table_id}.vot"
            path.write_bytes(data)
        url = path.as_uri()
        report("sending", 0.3)
        params = {"url": url, "table-id": table_id, "name": name}
        try:
            replies = self.call(MTYPE_LOAD_VOTABLE, params, to=to, timeout_s=timeout_s)
        except SampError as exc:
            if not any(r.ok for r in exc.replies):
                path.unlink(missing_ok=True)
            else:
                self._tables[table_id] = SentTable(table_id, url, name, len(table), exc.replies)
            raise
        sent = SentTable(table_id, url, name, len(table), replies)
        self._tables[table_id] = sent
        report("sent", 1.0)
        return sent

    def sent_tables(self) -> dict[str, SentTable]:
        """Tables sent by this client, by table-id (until :meth:`close`)."""
        return dict(self._tables)

    def _table_params(self, table_id: str) -> dict:
        params = {"table-id": str(table_id)}
        if table_id in self._tables:
            params["url"] = self._tables[table_id].url
        return params

    def _check_rows(self, table_id: str, rows: Sequence[int]) -> list[int]:
        out = []
        for r in rows:
            if isinstance(r, (bool, np.bool_)) or not isinstance(r, (int, np.integer)) or r < 0:
                raise InputError(f"row indices must be non-negative integers, got {r!r}")
            sent = self._tables.get(table_id)
            if sent is not None and r >= sent.n_rows:
                raise InputError(f"row {r} is out of range: table {sent.name!r} has {sent.n_rows} rows (0-based)")
            out.append(int(r))
        return out

    def highlight_row(self, table_id: str, row: int, *, to: str | None = "all", timeout_s: float | None = None,
                      retry_s: float = 5.0) -> tuple[Reply, ...]:
        """Highlight one 0-based ``row`` of a table sent earlier (``table.highlight.row``)."""
        (row,) = self._check_rows(table_id, [row])
        params = self._table_params(table_id) | {"row": str(row)}
        return self.call(MTYPE_HIGHLIGHT_ROW, params, to=to, timeout_s=timeout_s, retry_s=retry_s)

    def select_rows(self, table_id: str, rows: Sequence[int], *, to: str | None = "all",
                    timeout_s: float | None = None, retry_s: float = 5.0) -> tuple[Reply, ...]:
        """Select 0-based ``rows`` of a table sent earlier (``table.select.rowList``)."""
        rows = self._check_rows(table_id, list(rows))
        params = self._table_params(table_id) | {"row-list": [str(r) for r in rows]}
        return self.call(MTYPE_SELECT_ROWS, params, to=to, timeout_s=timeout_s, retry_s=retry_s)

    def point_at(self, ra_deg: float, dec_deg: float, *, to: str | None = "all",
                 timeout_s: float | None = None) -> tuple[Reply, ...]:
        """Point the applications at an ICRS position (``coord.pointAt.sky``)."""
        ra, dec = float(ra_deg), float(dec_deg)
        if not (math.isfinite(ra) and 0.0 <= ra <= 360.0):
            raise InputError(f"RA must lie in [0, 360] deg, got {ra_deg}")
        if not (math.isfinite(dec) and -90.0 <= dec <= 90.0):
            raise InputError(f"Dec must lie in [-90, 90] deg, got {dec_deg}")
        return self.call(MTYPE_POINT_AT_SKY, {"ra": repr(ra), "dec": repr(dec)}, to=to, timeout_s=timeout_s)

    def aladin_script(self, script: str | Sequence[str], *, to: str | None = "aladin",
                      timeout_s: float | None = None) -> str:
        """Run Aladin script commands (``script.aladin.send``); returns their output.

        ``script`` is one command string or a sequence of commands (joined
        with ``;``).  Aladin does not answer commands whose result is empty
        in a way it cannot report (a bare position, ``get target``): those end
        in :class:`SampTimeoutError`; point with :meth:`point_at` instead.
        """
        text = script if isinstance(script, str) else ";".join(script)
        replies = self.call(MTYPE_ALADIN_SCRIPT, {"script": text}, to=to, timeout_s=timeout_s)
        return "".join(str(r.result.get("script.result", "")) for r in replies)

    def draw_error_circles(self, ra_deg, dec_deg, pos_err_arcsec, *, confidence: float = 0.99,
                           plane: str = "xray_errors", color: str = "red", to: str | None = "aladin",
                           timeout_s: float | None = None) -> str:
        """Draw X-ray error circles in Aladin, in a draw plane of their own.

        Radii hold ``confidence`` of each position (:func:`error_radius_arcsec`).
        """
        ra, dec = np.atleast_1d(np.asarray(ra_deg, float)), np.atleast_1d(np.asarray(dec_deg, float))
        radius = np.broadcast_to(error_radius_arcsec(pos_err_arcsec, confidence), ra.shape)
        cmds = [f"draw newtool({_plane_name(plane)})"]
        cmds += [f"draw {color} circle({a:.7f} {d:+.7f} {r:.3f}arcsec)"
                 for a, d, r in zip(ra, dec, radius) if np.isfinite(a) and np.isfinite(d) and np.isfinite(r)]
        return self.aladin_script(cmds, to=to, timeout_s=timeout_s)

    def mark_counterparts(self, ra_deg, dec_deg, *, labels: Sequence[str] | None = None,
                          plane: str = "counterparts", color: str = "green", size_arcsec: float = 1.0,
                          to: str | None = "aladin", timeout_s: float | None = None) -> str:
        """Mark chosen counterparts in Aladin with small circles (and labels)."""
        ra, dec = np.atleast_1d(np.asarray(ra_deg, float)), np.atleast_1d(np.asarray(dec_deg, float))
        cmds = [f"draw newtool({_plane_name(plane)})"]
        for i, (a, d) in enumerate(zip(ra, dec)):
            if not (np.isfinite(a) and np.isfinite(d)):
                continue
            cmds.append(f"draw {color} circle({a:.7f} {d:+.7f} {size_arcsec:.3f}arcsec)")
            if labels is not None:
                label = str(labels[i]).replace('"', "'").replace(";", ",")
                cmds.append(f'draw {color} string({a:.7f},{d:+.7f},"{label}")')
        return self.aladin_script(cmds, to=to, timeout_s=timeout_s)

    def fetch_table(self, table_id: str, *, to: str | None = "topcat", timeout_s: float | None = None,
                    retry_s: float = 5.0) -> Table:
        """Fetch a loaded table back from TOPCAT (``table.get.stil``) as an astropy Table.

        TOPCAT answers ``table.load.votable`` before the table joins its list,
        so a refusal is retried for ``retry_s`` seconds (as for row messages).
        """
        from astropy.io.votable.exceptions import VOWarning

        (reply,) = self.call(MTYPE_GET_STIL, {"table-id": str(table_id), "format": "votable"}, to=to,
                             timeout_s=timeout_s, retry_s=retry_s)[:1]
        url = str(reply.result.get("url", ""))
        if not url:
            raise SampRefusedError(f"{reply.client.label} answered {MTYPE_GET_STIL} without a url", (reply,))
        try:
            with urllib.request.urlopen(url, timeout=timeout_s or self.timeout_s) as resp:
                data = resp.read()
        except OSError as exc:
            raise ClientGoneError(f"cannot read table {table_id!r} back from {reply.client.label} at {url} "
                                  f"({_reason(exc)})", (reply,)) from None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", VOWarning)
            return Table.read(io.BytesIO(data), format="votable")

    # -- listening --------------------------------------------------------------------

    def on_rows(self, callback: Callable[[RowEvent], Any], *, table_id: str | None = None,
                url: str | None = None,
                mtypes: Iterable[str] = (MTYPE_HIGHLIGHT_ROW, MTYPE_SELECT_ROWS)) -> RowSubscription:
        """Call ``callback(RowEvent)`` when another application highlights or selects rows.

        Parameters
        ----------
        callback : callable
            Runs in the client's receiving thread: a UI must hand the event
            over to its own thread (Textual: ``app.call_from_thread``) and
            return at once; the sender may be waiting for the answer, so do
            not send SAMP messages from inside the callback.  If it raises,
            the sender gets ``samp.error`` with the reason.
        table_id, url : str, optional
            Only messages about this table (either matches).  A ``table_id``
            sent by this client also matches its URL.  Neither: every table.
        mtypes : iterable of str
            Which of ``table.highlight.row`` and ``table.select.rowList``.

        Returns
        -------
        RowSubscription
            Call its ``remove()`` to stop.
        """
        mtypes = frozenset(mtypes)
        unknown = mtypes - {MTYPE_HIGHLIGHT_ROW, MTYPE_SELECT_ROWS}
        if unknown or not mtypes:
            raise InputError(f"on_rows listens to {MTYPE_HIGHLIGHT_ROW} and {MTYPE_SELECT_ROWS} only, "
                             f"got {sorted(unknown) or 'none'}")
        if url is None and table_id is not None and table_id in self._tables:
            url = self._tables[table_id].url
        sub = RowSubscription(self, callback, table_id, url, mtypes)
        with self._lock:
            self._subs.append(sub)
            if self.is_connected and not self._bound:
                self._bind_row_handlers()
        return sub

    def _remove_subscription(self, sub: RowSubscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def _bind_row_handlers(self) -> None:
        from pyvo.samp.errors import SAMPClientError, SAMPHubError

        try:
            for mtype in (MTYPE_HIGHLIGHT_ROW, MTYPE_SELECT_ROWS):
                self._client.bind_receive_message(mtype, self._receive_rows)
        except (OSError, xmlrpc.Fault, SAMPClientError, SAMPHubError) as exc:
            raise NoHubError(f"cannot subscribe to row messages at the SAMP hub ({_reason(exc)})") from None
        self._bound = True

    def _receive_rows(self, private_key, sender_id, msg_id, mtype, params, extra) -> None:
        try:
            table_id = params.get("table-id") or None
            url = params.get("url") or None
            rows = _as_rows([params["row"]] if mtype == MTYPE_HIGHLIGHT_ROW else params.get("row-list", []))
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            self._answer(msg_id, False, f"malformed {mtype} message ({exc})")
            return
        with self._lock:
            subs = [s for s in self._subs if s.matches(mtype, table_id, url)]
        if not subs:
            self._answer(msg_id, False, f"{self.name} has no table with table-id={table_id} or url={url}")
            return
        event = RowEvent(mtype=mtype, sender_id=sender_id, sender_name=self._name_of(sender_id),
                         table_id=table_id, url=url, rows=rows)
        errors = []
        for sub in subs:
            try:
                sub.callback(event)
            except Exception as exc:  # a UI callback must not kill the receiving thread
                log.exception("SAMP row callback failed")
                errors.append(f"{type(exc).__name__}: {exc}")
        self._answer(msg_id, not errors, "; ".join(errors))

    def _answer(self, msg_id: str | None, ok: bool, text: str = "") -> None:
        if msg_id is None or self._client is None:
            return
        resp = {"samp.status": "samp.ok", "samp.result": {}} if ok else \
            {"samp.status": "samp.error", "samp.result": {}, "samp.error": {"samp.errortxt": text}}
        try:
            self._proxy.reply(self._client.get_private_key(), msg_id, resp)
        except (OSError, xmlrpc.Fault, AttributeError) as exc:
            log.debug("could not answer SAMP message %s: %s", msg_id, exc)


def _plane_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)
    return cleaned or "xrbvo"
