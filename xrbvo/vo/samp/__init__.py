"""SAMP: send results to TOPCAT and Aladin, and hear back which row a person picked.

The Simple Application Messaging Protocol lets desktop applications on one
machine talk through a *hub*.  This package wraps :mod:`pyvo.samp` (astropy 8
deprecates :mod:`astropy.samp` in its favour) into a small client with clear
errors.  Its modules: :mod:`~xrbvo.vo.samp.hub` (lockfiles, finding and running
a hub), :mod:`~xrbvo.vo.samp.client` (the client, its replies and row
listeners), :mod:`~xrbvo.vo.samp.votable` (tables as VOTable bytes),
:mod:`~xrbvo.vo.samp.aladin` (Aladin draw commands) and
:mod:`~xrbvo.vo.samp.errors`; this module only re-exports them.

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
with a one-line message: no hub, a hub off the loopback (refused unless
``allow_remote_hub=True``), the named application absent or gone, a refusal,
or a time-out.  The client stays usable after any of them, and the
temporary VOTables it wrote are removed by :meth:`SampClient.close`.

Examples
--------
>>> from xrbvo.vo.samp import SampClient        # doctest: +SKIP
>>> with SampClient() as samp:                  # doctest: +SKIP
...     sent = samp.send_table(catalogue, name="candidates")
...     samp.highlight_row(sent.table_id, 3)
...     samp.point_at(245.1, -52.3)
"""

from xrbvo.vo.samp.aladin import error_radius_arcsec
from xrbvo.vo.samp.client import (
    MTYPE_ALADIN_SCRIPT,
    MTYPE_GET_STIL,
    MTYPE_HIGHLIGHT_ROW,
    MTYPE_LOAD_VOTABLE,
    MTYPE_PING,
    MTYPE_POINT_AT_SKY,
    MTYPE_SELECT_ROWS,
    ClientInfo,
    Reply,
    RowEvent,
    RowSubscription,
    SampClient,
    SentTable,
)
from xrbvo.vo.samp.errors import (
    ClientGoneError,
    ClientNotFoundError,
    HubRunningError,
    NoHubError,
    RemoteHubError,
    SampError,
    SampRefusedError,
    SampTimeoutError,
)
from xrbvo.vo.samp.hub import HubInfo, SampHub, find_hub, hub_lockfile, run_hub
from xrbvo.vo.samp.votable import votable_bytes

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
    "RemoteHubError",
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
