"""X-ray sources from a TAP service, region by region: ``xrbvo run SERVICE:TABLE --region ...``.

``SERVICE:TABLE`` names a table the way ``--known`` does (:mod:`xrbvo.vo.known`): a service of
:data:`~xrbvo.vo.tap.SERVICES` and its table (``vizier:J/A+A/682/A34/erass1-m``,
``heasarc:erass1main``) or a URL and a table split at the last colon
(``http://127.0.0.1:8089/tap:erass1.main``).  :func:`fetch_region` asks the service for
one row to learn the table's position columns, then for the rows of the region
(:func:`~xrbvo.vo.tap.adql.region_adql`), through :class:`~xrbvo.vo.tap.TapClient`
(cached, within its deadline), and keeps the rows inside the region exactly.  The table is
returned with the service's own column names: the caller reads it as it reads a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError, ServiceError
from xrbvo.core.regions import Region
from xrbvo.io.erass1 import erass1_service_names
from xrbvo.io.tables import as_float
from xrbvo.vo.tap.adql import quote_table, region_adql
from xrbvo.vo.tap.client import SERVICES, TapClient, redact_url, resolve_service

__all__ = ["ServiceTable", "parse_service_table", "fetch_region"]

_NAMED = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)\s*(?::\s*(.*))?$")


@dataclass(frozen=True)
class ServiceTable:
    """A table of a TAP service, as a user named it.

    Parameters
    ----------
    spec : str
        The text given (``vizier:J/A+A/682/A34/erass1-m``).
    url : str
        The service's TAP URL.
    table : str or None
        The table; None when the text named only the service.
    """

    spec: str
    """The text given (``vizier:J/A+A/682/A34/erass1-m``)."""
    url: str
    """The service's TAP URL."""
    table: str | None
    """The table; None when the text named only the service (allowed for some, e.g. ``simbad``)."""


def parse_service_table(item: str, *, option: str, bare: tuple[str, ...] = ()) -> ServiceTable | None:
    """``item`` as a service and table, or None when it names no service (then it is a file name).

    Parameters
    ----------
    item : str
        ``NAME:TABLE`` (NAME one of :data:`~xrbvo.vo.tap.SERVICES`) or ``URL:TABLE``.
    option : str
        The option in messages (``--known``, ``xray``).
    bare : tuple of str
        Services that may be named without a table (``table`` is then None).

    Returns
    -------
    ServiceTable or None
        The service and table; None when ``item`` names no service (a file name).

    Raises
    ------
    InputError
        For a URL without a table, or a service name without one (except those in ``bare``).
    """
    s = item.strip()
    if re.match(r"^https?://", s, re.I):
        url, sep, table = s.rpartition(":")
        if not sep or "://" not in url or "/" not in url.split("://", 1)[1] or not table.strip() \
                or re.match(r"^\d+(/|$)", table):
            raise InputError(f"{option} {redact_url(item)}: give URL:TABLE, e.g. http://127.0.0.1:8089/tap:erass1.main "
                             "(the service's URL, a colon, the table to fetch)")
        return ServiceTable(item, resolve_service(url), table.strip())
    m = _NAMED.match(s)
    if m is None:
        return None
    name, table = m.group(1).lower(), m.group(2)
    if name not in SERVICES:
        return None  # not a service: a file name
    if table is None or not table.strip():
        if name in bare:
            return ServiceTable(item, resolve_service(name), None)
        raise InputError(f"{option} {item}: give {name}:TABLE, e.g. vizier:J/A+A/671/A149/table1 "
                         "(the service, a colon, the table to fetch)")
    return ServiceTable(item, resolve_service(name), table.strip())


def _position_columns(colnames, spec: str) -> tuple[str, str]:
    """The table's RA and Dec columns (the eRASS1 names of the services, else ``ra``/``dec``)."""
    renamed = erass1_service_names(colnames)
    pos = {v: k for k, v in renamed.items() if v in ("RA", "DEC")}
    lower = {str(c).lower(): str(c) for c in colnames}
    ra = pos.get("RA") or lower.get("ra")
    dec = pos.get("DEC") or lower.get("dec")
    if ra is None or dec is None:
        raise InputError(f"{spec}: no position columns found among {', '.join(list(map(str, colnames))[:12])}, ...; "
                         "give a table of X-ray sources with RA/Dec (RA_ICRS/DE_ICRS, RAJ2000/DEJ2000 or ra/dec)")
    return ra, dec


def fetch_region(service: ServiceTable, region: Region, *, client: TapClient) -> Table:
    """The rows of ``service.table`` inside ``region``, with the service's columns.

    One ``TOP 1`` query learns the position columns; one region query pulls the rows (both cached
    by ``client``); rows outside the region (a Galactic box is asked as the cone around it) are dropped.

    Parameters
    ----------
    service : ServiceTable
        The service and its table (a table is required).
    region : xrbvo.core.regions.Region
        The sky region whose rows are pulled.
    client : xrbvo.vo.tap.TapClient
        The client that asks (its cache and deadline apply).

    Returns
    -------
    astropy.table.Table
        The rows inside ``region`` with the service's own columns; ``meta['SOURCE']`` records the
        service's URL and the query.

    Raises
    ------
    InputError
        When the service refuses the query (no such table) or the table has no positions.
    ServiceError
        When the service is unreachable, outlasts the client's deadline, or the region holds more
        rows than the service returns at once.
    """
    if service.table is None:
        raise InputError(f"{service.spec}: give SERVICE:TABLE, the table of X-ray sources to read")
    one = client.query(f"SELECT TOP 1 * FROM {quote_table(service.table)}")
    ra, dec = _position_columns(one.colnames, service.spec)
    adql = region_adql(service.table, ra, dec, region)
    try:
        table = client.query(adql)
    except ServiceError as exc:
        if "MAXREC" not in str(exc):
            raise
        raise ServiceError(f"{service.spec}: the region {region} holds more rows than {service.url} returns at once; "
                           "give a smaller --region") from None
    keep = region.contains(as_float(table[ra]), as_float(table[dec])) if len(table) else np.zeros(0, bool)
    out = table[keep]
    out.meta["SOURCE"] = f"{service.url} ({adql.replace(chr(10), ' ')})"
    return out
