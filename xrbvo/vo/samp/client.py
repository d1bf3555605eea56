"""xrbvo's SAMP client: send tables, positions, rows and Aladin scripts; hear back rows.

:class:`SampClient` registers with the hub that :func:`~xrbvo.vo.samp.hub.find_hub`
finds and sends a table (``table.load.votable``, written as a VOTable with units
and UCDs and a stable table-id), a position (``coord.pointAt.sky``), a
highlighted row (``table.highlight.row``), a row selection
(``table.select.rowList``) and Aladin script commands (``script.aladin.send``),
to one named application or to every application that accepts the message.
Each answer is a :class:`Reply`.  :meth:`SampClient.on_rows` hands
``table.highlight.row`` and ``table.select.rowList`` messages that other
applications send about one of our tables to a callback
(:class:`RowSubscription`), run in the client's own receiving thread.
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

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.vo.samp.aladin import counterpart_commands, error_circle_commands
from xrbvo.vo.samp.errors import (
    ClientGoneError,
    ClientNotFoundError,
    NoHubError,
    SampError,
    SampRefusedError,
    SampTimeoutError,
    _reason,
)
from xrbvo.vo.samp.hub import HubInfo, _how_to_start, find_hub
from xrbvo.vo.samp.votable import votable_bytes

__all__ = [
    "MTYPE_LOAD_VOTABLE",
    "MTYPE_POINT_AT_SKY",
    "MTYPE_HIGHLIGHT_ROW",
    "MTYPE_SELECT_ROWS",
    "MTYPE_ALADIN_SCRIPT",
    "MTYPE_GET_STIL",
    "MTYPE_PING",
    "ClientInfo",
    "Reply",
    "SentTable",
    "RowEvent",
    "RowSubscription",
    "SampClient",
]

log = logging.getLogger(__name__)

MTYPE_LOAD_VOTABLE = "table.load.votable"
MTYPE_POINT_AT_SKY = "coord.pointAt.sky"
MTYPE_HIGHLIGHT_ROW = "table.highlight.row"
MTYPE_SELECT_ROWS = "table.select.rowList"
MTYPE_ALADIN_SCRIPT = "script.aladin.send"
MTYPE_GET_STIL = "table.get.stil"
MTYPE_PING = "samp.app.ping"
#: Never answered by xrbvo: it would hand out environment variables (see :meth:`SampClient.connect`).
MTYPE_ENV_GET = "client.env.get"

#: Seconds an application gets to answer the ping that tells "slow" from "gone".
_APP_PING_TIMEOUT_S = 2
#: Longest wait (seconds, and at most ``timeout_s``) for an application that registered with the hub but has
#: declared no subscriptions yet: TOPCAT and Aladin register first and subscribe a moment later (up to 0.25 s
#: apart on a loaded 2-core machine), and a message sent in between would find them accepting nothing.
_SUBSCRIBE_WAIT_S = 3.0

# --------------------------------------------------------------------------------------
# small result types

@dataclass(frozen=True)
class ClientInfo:
    """An application registered with the hub.

    Parameters
    ----------
    id : str
        Public client id given by the hub (e.g. ``cli#2``).
    name : str
        ``samp.name`` metadata (e.g. ``topcat``, ``Aladin``), or the id.
    description : str
        ``samp.description.text`` metadata, may be empty.
    subscriptions : frozenset, optional
        MTypes (possibly wildcards such as ``table.*``) the client accepts.
    """

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
    """One application's answer to one message.

    Parameters
    ----------
    client : ClientInfo
        Who answered (or failed to).
    mtype : str
        The message sent.
    status : str
        ``ok``, ``warning``, ``error`` (refused), ``timeout`` or ``gone``.
    result : dict, optional
        ``samp.result`` of the answer.
    message : str, optional
        Error text of a refusal, or a note (e.g. ``already loaded``).
    """

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
    """A table this client sent with ``table.load.votable``.

    Parameters
    ----------
    table_id : str
        The ``table-id`` the receivers know the table by.
    url : str
        The ``file://`` URL of the VOTable they read.
    name : str
        The table's name shown in the applications.
    n_rows : int
        Number of rows sent; row indices of later messages are 0-based into these.
    replies : tuple[Reply, ...], optional
        The receivers' answers.
    """

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
    """A row highlight or a row selection received from another application.

    Parameters
    ----------
    mtype : str
        ``table.highlight.row`` or ``table.select.rowList``.
    sender_id : str
        Public id of the sending application.
    sender_name : str
        Its ``samp.name``, or its id when it declared none.
    table_id : str | None
        The ``table-id`` of the message, when given.
    url : str | None
        The ``url`` of the message, when given.
    rows : tuple[int, ...]
        0-based row indices: one for a highlight, any number for a selection.
    """

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
    """A callback registered with :meth:`SampClient.on_rows`; :meth:`remove` ends it.

    Parameters
    ----------
    client : xrbvo.vo.samp.SampClient
        The client holding the subscription.
    callback : Callable[[RowEvent], Any]
        Called with each event.
    table_id : str | None
        The table's SAMP id.
    url : str
        URL of the table sent.
    mtypes : frozenset
        The SAMP message types.
    """

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
# the client


def _refuse_env_get(client) -> None:
    """Neither bind nor declare ``client.env.get`` on a pyvo ``SAMPClient`` not yet registered.

    pyvo binds it by default and answers it with the value of any environment
    variable named by any client on the hub.
    """
    try:
        client.unbind_receive_call(MTYPE_ENV_GET, declare=False)
    except KeyError:  # a pyvo that no longer binds it
        pass


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
    allow_remote_hub : bool
        Accept a hub whose lockfile names an address off the loopback (see
        :func:`~xrbvo.vo.samp.hub.find_hub`); off by default.

    Notes
    -----
    Use it as a context manager, or call :meth:`connect` and :meth:`close`.
    A failure (:class:`SampError`) never closes the client: the caller may try
    again.  Thread-safe for sending; callbacks of :meth:`on_rows` run in the
    client's receiving thread, never the caller's.
    """

    def __init__(self, *, name: str = "xrbvo",
                 description: str = "xrbvo: X-ray binary candidates from eROSITA and the Virtual Observatory",
                 lockfile: str | os.PathLike | None = None, timeout_s: float = 10.0,
                 allow_remote_hub: bool = False):
        if not timeout_s > 0:
            raise InputError(f"timeout_s must be positive, got {timeout_s}")
        self.name = name
        self.description = description
        self.lockfile = lockfile
        self.timeout_s = float(timeout_s)
        self.allow_remote_hub = bool(allow_remote_hub)
        self.hub: HubInfo | None = None
        self._proxy = None
        self._client = None
        self._lock = threading.RLock()
        self._subs: list[RowSubscription] = []
        self._bound = False
        self._names: dict[str, str] = {}
        self._unsubscribed: set[str] = set()  # ids that declared no subscriptions within the wait
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
        RemoteHubError
            If the hub is off the loopback and ``allow_remote_hub`` is False.

        Notes
        -----
        The client answers ``samp.app.ping`` and the row messages of
        :meth:`on_rows`, never ``client.env.get`` (pyvo's default answers it
        with any environment variable, API tokens included, to every client
        on the hub).
        """
        from pyvo.samp import SAMPClient, SAMPHubProxy, conf
        from pyvo.samp.errors import SAMPClientError, SAMPHubError

        if self.is_connected:
            return self
        info = find_hub(lockfile=self.lockfile, allow_remote_hub=self.allow_remote_hub)
        proxy = SAMPHubProxy()
        try:
            proxy.connect(hub_params=info.params, pool_size=4)
            from xrbvo import __version__

            metadata = {"samp.name": self.name, "samp.description.text": self.description,
                        "author.name": "xrbvo developers", "xrbvo.version": __version__}
            with conf.set_temp("use_internet", False):
                client = SAMPClient(proxy, metadata=metadata, addr="127.0.0.1", callable=True)
            _refuse_env_get(client)
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
        self._unsubscribed.clear()  # a new hub hands out the same ids again
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

    def _subscribed(self, present: list[ClientInfo], to: str | None = None) -> list[ClientInfo]:
        """``present`` once every application in it has declared its subscriptions.

        An application registered without subscriptions is still starting
        (TOPCAT and Aladin register, then subscribe); it is read again until it
        subscribes or leaves, for ``min(_SUBSCRIBE_WAIT_S, timeout_s)`` at
        most.  One that never subscribes (a client that cannot receive) is
        waited for once per connection.  With ``to`` (a name or client id),
        only the applications that may be it are waited for: that name, or no
        name yet.
        """
        def may_be_target(c: ClientInfo) -> bool:
            return to is None or to.lower() in ("all", "*") or c.id == to or c.name.lower() == to.lower() \
                or c.name == c.id  # no metadata yet: its name is not known

        waiting = [c.id for c in present
                   if not c.subscriptions and c.id not in self._unsubscribed and may_be_target(c)]
        if not waiting:
            return present
        current = {c.id: c for c in present}
        deadline = time.monotonic() + min(_SUBSCRIBE_WAIT_S, self.timeout_s)
        while waiting:
            if time.monotonic() >= deadline:
                self._unsubscribed.update(waiting)
                break
            time.sleep(0.05)
            still = []
            for k, cid in enumerate(waiting):
                if time.monotonic() >= deadline:  # a slow hub: the bound holds within a round too
                    still.extend(waiting[k:])
                    break
                info = self._client_info(cid)
                if info is None:  # it left meanwhile
                    current.pop(cid, None)
                    continue
                current[cid] = info  # its name too: TOPCAT registers before it declares its metadata
                if not info.subscriptions and may_be_target(info):
                    still.append(cid)
            waiting = still
        return list(current.values())

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
        ``samp.app.ping``.  An application that has registered but not yet
        declared its subscriptions (TOPCAT and Aladin, for a moment after they
        start) is waited for, a few seconds at most.

        Raises
        ------
        ClientNotFoundError
            If nobody matches or accepts ``mtype``.
        """
        present = self._subscribed(self.clients(), to)
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
                if not any(c.subscriptions for c in matching):
                    raise ClientNotFoundError(f"{matching[0].label} does not accept {mtype}: it has subscribed to no "
                                              "messages at all (still starting, or it cannot receive); try again "
                                              "in a moment")
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

        Radii hold ``confidence`` of each position (:func:`~xrbvo.vo.samp.aladin.error_radius_arcsec`).
        """
        cmds = error_circle_commands(ra_deg, dec_deg, pos_err_arcsec, confidence=confidence, plane=plane,
                                     color=color)
        return self.aladin_script(cmds, to=to, timeout_s=timeout_s)

    def mark_counterparts(self, ra_deg, dec_deg, *, labels: Sequence[str] | None = None,
                          plane: str = "counterparts", color: str = "green", size_arcsec: float = 1.0,
                          to: str | None = "aladin", timeout_s: float | None = None) -> str:
        """Mark chosen counterparts in Aladin with small circles (and labels)."""
        cmds = counterpart_commands(ra_deg, dec_deg, labels=labels, plane=plane, color=color,
                                    size_arcsec=size_arcsec)
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
