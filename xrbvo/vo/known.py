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

SERVICE is a URL or a named service of :data:`~xrbvo.vo.tap.SERVICES` (``vizier``,
``simbad``, ``gaia``, ``heasarc``).  A URL is split from its table at the last colon
(``http://127.0.0.1:8089/tap:erass1.main``).  A whole table is fetched, so give a
catalogue of known objects (hundreds to thousands of rows), not a survey.
"""

from __future__ import annotations

from dataclasses import dataclass

from astropy.table import Table

from xrbvo.core.errors import ServiceError
from xrbvo.io.known import read_known
from xrbvo.vo.sources import parse_service_table
from xrbvo.vo.tap.adql import quote_table
from xrbvo.vo.tap.client import TapClient

__all__ = ["KnownService", "SIMBAD_TYPES", "parse_known_service", "fetch_known"]

#: SIMBAD object types (``basic.otype``) that ``--known simbad`` fetches; each means one of xrbvo's
#: classes (:data:`xrbvo.io.known.CLASS_ALIASES`).  Candidates (``HX?``, ``LX?``, ``CV?``) are left out.
SIMBAD_TYPES = ("HXB", "LXB", "CV*", "No*", "Psr", "WR*")

@dataclass(frozen=True)
class KnownService:
    """A ``--known`` item that names a TAP service (and a table)."""

    spec: str
    url: str
    table: str | None
    """The table to fetch whole; None for SIMBAD's own selection (:data:`SIMBAD_TYPES`)."""

    @property
    def adql(self) -> str:
        if self.table is None:
            types = ", ".join(f"'{t}'" for t in SIMBAD_TYPES)
            return f"SELECT main_id, ra, dec, otype FROM basic WHERE otype IN ({types})"
        return f"SELECT * FROM {quote_table(self.table)}"


def parse_known_service(item: str) -> KnownService | None:
    """``item`` as a service and table, or None when it does not name a service (then it is a file).

    Raises
    ------
    InputError
        For a URL without a table, or a service name without one (except ``simbad``).
    """
    got = parse_service_table(item, option="--known", bare=("simbad",))
    return None if got is None else KnownService(item, got.url, got.table)


def fetch_known(service: KnownService, *, cls: str | None = None, client: TapClient | None = None) -> Table:
    """Fetch a service's table of known objects and read it as :func:`~xrbvo.io.known.read_known` reads a file.

    Raises
    ------
    ServiceError
        When the service is unreachable or the table is larger than the service's row limit.
    InputError
        When the service refuses the query (no such table) or the table has no positions.
    """
    own = client is None
    client = client if client is not None else TapClient(service.url)
    try:
        table = client.query(service.adql)
    except ServiceError as exc:
        if "MAXREC" not in str(exc):
            raise
        raise ServiceError(f"--known {service.spec}: the table has more rows than {service.url} returns at once; "
                           "give a catalogue of known objects (hundreds to thousands of rows), not a survey") from None
    finally:
        if own:
            client.close()
    known = read_known(table, cls=cls, label=service.spec)
    known.meta["SOURCE"] = f"{service.url} ({service.adql})"
    return known
