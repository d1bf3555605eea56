"""Known objects from a TAP service: ``--known SERVICE:TABLE`` and ``--known simbad``.

A catalogue of known objects can be a file (:func:`xrbvo.io.known.read_known`) or a
table of a TAP service, fetched whole with :class:`~xrbvo.vo.tap.TapClient` (cached
like every pull: delete the cache entry, or give another ``--cache``, to fetch a newer
version) and then read exactly as a file is:

=================================  =================================================================
``--known``                        what is fetched
=================================  =================================================================
``vizier:J/A+A/671/A149/table1``   ``SELECT * FROM "J/A+A/671/A149/table1"`` on VizieR's TAP service
``URL:SCHEMA.TABLE``               ``SELECT * FROM SCHEMA.TABLE`` on the TAP service at URL
``simbad``                         SIMBAD's ``basic`` table, objects of the types in :data:`SIMBAD_TYPES`
                                   (X-ray binaries, CVs, pulsars, Wolf-Rayet stars) with their
                                   ``main_id``, position and ``otype``; ``simbad:TABLE`` fetches a whole
                                   table instead
=================================  =================================================================

A fetch is bounded: a whole transfer (every request, retry and byte) ends within its
deadline (``--timeout``, default :data:`DEFAULT_TIMEOUT_S`), however slowly a server
trickles its answer, and a table of more than :data:`~xrbvo.io.known.MAX_KNOWN_ROWS`
rows is refused.  Credentials in a URL (``user:password@``, token parameters) are
never shown nor recorded (:func:`~xrbvo.vo.tap.client.redact_url`).

SERVICE is a URL or a named service of :data:`~xrbvo.vo.tap.SERVICES` (``vizier``,
``simbad``, ``gaia``, ``heasarc``).  A URL is split from its table at the last colon
(``http://127.0.0.1:8089/tap:erass1.main``).  A whole table is fetched, so give a
catalogue of known objects (hundreds to thousands of rows), not a survey.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from astropy.table import Table

from xrbvo.core.errors import InputError, ServiceError, XrbvoError
from xrbvo.io.known import MAX_KNOWN_ROWS, read_known, too_many_rows
from xrbvo.vo.sources import parse_service_table
from xrbvo.vo.tap.adql import quote_table
from xrbvo.vo.tap.client import TapClient, redact_url

__all__ = ["KnownService", "SIMBAD_TYPES", "DEFAULT_TIMEOUT_S", "parse_known_service", "fetch_known"]

#: Seconds a whole fetch of known objects may take when no ``--timeout`` is given.
DEFAULT_TIMEOUT_S = 300.0
#: Seconds the watchdog waits past the deadline for the client to end the transfer itself.
_GRACE_S = 5.0

#: SIMBAD object types (``basic.otype``) that ``--known simbad`` fetches; each means one of xrbvo's
#: classes (:data:`xrbvo.io.known.CLASS_ALIASES`).  Candidates (``HX?``, ``LX?``, ``CV?``) are left out.
SIMBAD_TYPES = ("HXB", "LXB", "CV*", "No*", "Psr", "WR*")

@dataclass(frozen=True)
class KnownService:
    """A ``--known`` item that names a TAP service (and a table).

    Parameters
    ----------
    spec : str
        The ``--known`` item as the user wrote it.
    url : str
        The service's TAP URL.
    table : str | None
        The table to fetch whole; None for SIMBAD's own selection (:data:`SIMBAD_TYPES`).
    """

    spec: str
    url: str
    table: str | None
    """The table to fetch whole; None for SIMBAD's own selection (:data:`SIMBAD_TYPES`)."""

    @property
    def shown(self) -> str:
        """The ``--known`` item as messages and outputs show it (credentials redacted)."""
        return redact_url(self.spec)

    @property
    def shown_url(self) -> str:
        """The service's URL, credentials redacted."""
        return redact_url(self.url)

    @property
    def adql(self) -> str:
        if self.table is None:
            types = ", ".join(f"'{t}'" for t in SIMBAD_TYPES)
            return f"SELECT main_id, ra, dec, otype FROM basic WHERE otype IN ({types})"
        return f"SELECT * FROM {quote_table(self.table)}"


def parse_known_service(item: str) -> KnownService | None:
    """``item`` as a service and table, or None when it does not name a service (then it is a file).

    Parameters
    ----------
    item : str
        A ``--known`` item: ``SERVICE:TABLE``, ``simbad``, or a file.

    Returns
    -------
    KnownService | None
        The service and table; None for a file.

    Raises
    ------
    InputError
        For a URL without a table, or a service name without one (except ``simbad``).
    """
    got = parse_service_table(item, option="--known", bare=("simbad",))
    return None if got is None else KnownService(item, got.url, got.table)


def fetch_known(service: KnownService, *, cls: str | None = None, client: TapClient | None = None,
                timeout_s: float | None = None, max_rows: int = MAX_KNOWN_ROWS) -> Table:
    """Fetch a service's table of known objects and read it as :func:`~xrbvo.io.known.read_known` reads a file.

    Parameters
    ----------
    service : KnownService
        The service and table to fetch.
    cls : str, optional
        The class of every row (``--known-class``).
    client : xrbvo.vo.tap.TapClient, optional
        The client to fetch with (default: a new one, closed afterwards).
    timeout_s : float, optional
        Seconds the whole fetch may take (default: the client's ``deadline_s``,
        else :data:`DEFAULT_TIMEOUT_S`); a watchdog ends it then even when a
        server trickles its answer or never answers.
    max_rows : int
        Most rows accepted: the query's MAXREC; a table truncated at it (or larger) is refused.

    Returns
    -------
    astropy.table.Table
        The known objects in the standard columns.

    Raises
    ------
    ServiceError
        When the service is unreachable or the fetch outlasts its deadline.
    InputError
        When the service refuses the query (no such table), the table has more
        than ``max_rows`` rows, or it has no positions.
    """
    own = client is None
    client = client if client is not None else TapClient(service.url)
    deadline = timeout_s if timeout_s is not None else client.deadline_s or DEFAULT_TIMEOUT_S
    if not (isinstance(deadline, (int, float)) and 0 < deadline < float("inf")):
        raise InputError(f"--timeout must be a positive number of seconds, not {deadline!r}")
    if client.deadline_s is None or client.deadline_s > deadline:
        client.deadline_s = float(deadline)  # the client's own bound: every request, retry and read within it
    what = f"--known {service.shown}"
    maxrec = min(client.maxrec, max_rows) if client.maxrec else max_rows
    box: dict = {}

    def work() -> None:  # on its own thread: the watchdog below bounds the whole transfer
        try:
            box["table"] = client.query(service.adql, maxrec=maxrec)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, re-raised there
            box["error"] = exc

    worker = threading.Thread(target=work, name="xrbvo-known-fetch", daemon=True)
    try:
        worker.start()
        worker.join(deadline + _GRACE_S)
        if worker.is_alive():
            raise ServiceError(f"{what}: {service.shown_url} did not deliver the table within {deadline:g} s; "
                               "try again later, or allow more time with --timeout SECONDS")
    finally:
        if own:
            client.close()
    exc = box.get("error")
    if exc is not None:
        if isinstance(exc, ServiceError) and "MAXREC" in str(exc):
            if maxrec < max_rows:  # the client's own limit
                raise ServiceError(f"{what}: the table has more rows than {service.shown_url} returns at once "
                                   f"({maxrec}); give a catalogue of known objects (hundreds to thousands of rows), "
                                   "not a survey") from None
            raise InputError(too_many_rows(what, None, max_rows)) from None
        if isinstance(exc, ServiceError) and "deadline" in str(exc):
            raise ServiceError(f"{what}: {service.shown_url} did not deliver the table within {deadline:g} s; "
                               "try again later, or allow more time with --timeout SECONDS") from None
        if isinstance(exc, XrbvoError):
            raise exc
        raise ServiceError(f"{what}: fetching from {service.shown_url} failed ({type(exc).__name__}: "
                           f"{redact_url(str(exc))[:200]})") from exc
    known = read_known(box["table"], cls=cls, label=service.shown, max_rows=max_rows)
    known.meta["SOURCE"] = f"{service.shown_url} ({service.adql})"
    return known
