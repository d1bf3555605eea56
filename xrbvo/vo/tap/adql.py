"""ADQL for TAP pulls, as pure functions: identifier quoting, upload joins and cones.

Every string is built here and nowhere else, so tests check the ADQL as text
without a server.  Nothing touches the network.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Sequence

import numpy as np

from xrbvo.core.errors import InputError

__all__ = [
    "UPLOAD_NAME",
    "JoinSpec",
    "quote_identifier",
    "quote_table",
    "upload_join_adql",
    "cone_adql",
    "region_adql",
]

#: ADQL 2.1 reserved words (ADQL and SQL-92) that a bare identifier may not be.
_RESERVED = frozenset("""
ABS ACOS AREA ASIN ATAN ATAN2 BOX CEILING CENTROID CIRCLE CONTAINS COORD1 COORD2 COORDSYS COS COT
DEGREES DISTANCE EXP FLOOR INTERSECTS LOG LOG10 MOD PI POINT POLYGON POWER RADIANS REGION RAND ROUND
SIN SQRT TOP TAN TRUNCATE ABSOLUTE ACTION ADD ALL ALLOCATE ALTER AND ANY ARE AS ASC ASSERTION AT
AUTHORIZATION AVG BEGIN BETWEEN BIT BIT_LENGTH BOTH BY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER
CHAR_LENGTH CHARACTER_LENGTH CHECK CLOSE COALESCE COLLATE COLLATION COLUMN COMMIT CONNECT CONNECTION
CONSTRAINT CONSTRAINTS CONTINUE CONVERT CORRESPONDING COUNT CREATE CROSS CURRENT CURRENT_DATE
CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATE DAY DEALLOCATE DECIMAL DECLARE DEFAULT
DEFERRABLE DEFERRED DELETE DESC DESCRIBE DESCRIPTOR DIAGNOSTICS DISCONNECT DISTINCT DOMAIN DOUBLE DROP
ELSE END END-EXEC ESCAPE EXCEPT EXCEPTION EXEC EXECUTE EXISTS EXTERNAL EXTRACT FALSE FETCH FIRST FLOAT
FOR FOREIGN FOUND FROM FULL GET GLOBAL GO GOTO GRANT GROUP HAVING HOUR IDENTITY IMMEDIATE IN INDICATOR
INITIALLY INNER INPUT INSENSITIVE INSERT INT INTEGER INTERSECT INTERVAL INTO IS ISOLATION JOIN KEY
LANGUAGE LAST LEADING LEFT LEVEL LIKE LOCAL LOWER MATCH MAX MIN MINUTE MODULE MONTH NAMES NATIONAL
NATURAL NCHAR NEXT NO NOT NULL NULLIF NUMERIC OCTET_LENGTH OF ON ONLY OPEN OPTION OR ORDER OUTER
OUTPUT OVERLAPS PAD PARTIAL POSITION PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVILEGES PROCEDURE
PUBLIC READ REAL REFERENCES RELATIVE RESTRICT REVOKE RIGHT ROLLBACK ROWS SCHEMA SCROLL SECOND SECTION
SELECT SESSION SESSION_USER SET SIZE SMALLINT SOME SPACE SQL SQLCODE SQLERROR SQLSTATE SUBSTRING SUM
SYSTEM_USER TABLE TEMPORARY THEN TIME TIMESTAMP TIMEZONE_HOUR TIMEZONE_MINUTE TO TRAILING TRANSACTION
TRANSLATE TRANSLATION TRIM TRUE UNION UNIQUE UNKNOWN UPDATE UPPER USAGE USER USING VALUE VALUES VARCHAR
VARYING VIEW WHEN WHENEVER WHERE WITH WORK WRITE YEAR ZONE
""".split())

_REGULAR = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

#: Name of the uploaded table of positions (``TAP_UPLOAD.xrbvo_src``: ``ra``, ``dec``).
UPLOAD_NAME = "xrbvo_src"


def quote_identifier(name: str) -> str:
    """An ADQL identifier: bare when regular and not reserved, else double-quoted.

    Bare identifiers are matched case-insensitively by TAP services, so the
    registry's ``RAJ2000`` finds VizieR's ``RAJ2000`` and DaCHS's ``raj2000``;
    a name like ``2MASS`` must be a delimited identifier.

    >>> quote_identifier("RAJ2000"), quote_identifier("2MASS"), quote_identifier("external")
    ('RAJ2000', '"2MASS"', '"external"')

    Parameters
    ----------
    name : str
        A column name.

    Returns
    -------
    str
        An ADQL identifier: bare when regular and not reserved, else double-quoted.
    """
    name = str(name)
    if name.startswith('"') and name.endswith('"') and len(name) > 1:
        return name
    if _REGULAR.match(name) and name.upper() not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_table(name: str) -> str:
    """A qualified ADQL table name: ``schema.table`` parts quoted as needed.

    Names already quoted as a whole (VizieR's ``"II/246/out"``) are kept.

    >>> quote_table('"II/246/out"'), quote_table("external.gaiaedr3_distance")
    ('"II/246/out"', '"external".gaiaedr3_distance')

    Parameters
    ----------
    name : str
        A table name, optionally schema-qualified.

    Returns
    -------
    str
        A qualified ADQL table name: ``schema.table`` parts quoted as needed.
    """
    name = str(name).strip()
    if name.startswith('"'):
        return name
    return ".".join(quote_identifier(p) for p in name.split("."))


@dataclasses.dataclass(frozen=True)
class JoinSpec:
    """A table joined to the survey table by key (Gaia's Bailer-Jones distances).

    Parameters
    ----------
    table : str
        Qualified table name, e.g. ``external.gaiaedr3_distance``.
    key : str
        Column shared by both tables, e.g. ``source_id``.
    columns : tuple[str, ...]
        Columns taken from the joined table.
    """

    table: str
    """Qualified table name, e.g. ``external.gaiaedr3_distance``."""
    key: str
    """Column shared by both tables, e.g. ``source_id``."""
    columns: tuple[str, ...]
    """Columns taken from the joined table."""


def _select_list(columns: Sequence[str], join: JoinSpec | None) -> str:
    cols = [f"t.{quote_identifier(c)}" for c in columns]
    if join is not None:
        cols += [f"j.{quote_identifier(c)}" for c in join.columns]
    return ", ".join(cols)


def _join_clause(join: JoinSpec | None) -> str:
    if join is None:
        return ""
    k = quote_identifier(join.key)
    return f"\nLEFT OUTER JOIN {quote_table(join.table)} AS j ON j.{k} = t.{k}"


def upload_join_adql(table: str, columns: Sequence[str], ra_column: str, dec_column: str,
                     radius_arcsec: float, *, join: JoinSpec | None = None,
                     upload: str = UPLOAD_NAME) -> str:
    """ADQL joining an uploaded table of positions (``ra``, ``dec``) with ``table``.

    Every row of ``table`` within ``radius_arcsec`` of an uploaded position is
    returned once per position it neighbours.

    >>> print(upload_join_adql("twomass.psc", ["2MASS", "RAJ2000"], "RAJ2000", "DEJ2000", 3.6))
    SELECT t."2MASS", t.RAJ2000
    FROM TAP_UPLOAD.xrbvo_src AS u
    JOIN twomass.psc AS t
    ON 1 = CONTAINS(POINT('ICRS', t.RAJ2000, t.DEJ2000), CIRCLE('ICRS', u.ra, u.dec, 0.001))

    Parameters
    ----------
    table : str
        The service's table.
    columns : Sequence[str]
        Column names.
    ra_column : str
        The table's right-ascension column (degrees).
    dec_column : str
        The table's declination column (degrees).
    radius_arcsec : float
        Search radius, arcsec.
    join : JoinSpec, optional
        A second table joined for more columns; None: one table.
    upload : str, optional
        Name of the uploaded table.

    Returns
    -------
    str
        The ADQL query.
    """
    if not radius_arcsec > 0:
        raise InputError("search radius must be positive (arcsec)")
    r = radius_arcsec / 3600.0
    ra, dec = quote_identifier(ra_column), quote_identifier(dec_column)
    return (f"SELECT {_select_list(columns, join)}\n"
            f"FROM TAP_UPLOAD.{upload} AS u\n"
            f"JOIN {quote_table(table)} AS t\n"
            f"ON 1 = CONTAINS(POINT('ICRS', t.{ra}, t.{dec}), CIRCLE('ICRS', u.ra, u.dec, {r!r}))"
            f"{_join_clause(join)}")


def cone_adql(table: str, columns: Sequence[str] | None, ra_column: str, dec_column: str,
              ra_deg: float, dec_deg: float, radius_arcsec: float, *,
              join: JoinSpec | None = None) -> str:
    """ADQL for one cone around (``ra_deg``, ``dec_deg``); ``columns=None`` selects ``*``.

    >>> print(cone_adql("gaiadr3.gaia_source", ["source_id"], "ra", "dec", 10.0, -5.0, 36.0))
    SELECT t.source_id
    FROM gaiadr3.gaia_source AS t
    WHERE 1 = CONTAINS(POINT('ICRS', t.ra, t.dec), CIRCLE('ICRS', 10.0, -5.0, 0.01))

    Parameters
    ----------
    table : str
        The service's table.
    columns : Sequence[str] | None
        Column names.
    ra_column : str
        The table's right-ascension column (degrees).
    dec_column : str
        The table's declination column (degrees).
    ra_deg : float
        Right ascension (ICRS), degrees.
    dec_deg : float
        Declination (ICRS), degrees.
    radius_arcsec : float
        Search radius, arcsec.
    join : JoinSpec, optional
        A second table joined for more columns; None: one table.

    Returns
    -------
    str
        The ADQL query.
    """
    if not radius_arcsec > 0:
        raise InputError("search radius must be positive (arcsec)")
    if not (np.isfinite(ra_deg) and np.isfinite(dec_deg) and -90.0 <= dec_deg <= 90.0):
        raise InputError(f"cone centre ({ra_deg}, {dec_deg}) is not a sky position in degrees")
    r = radius_arcsec / 3600.0
    ra, dec = quote_identifier(ra_column), quote_identifier(dec_column)
    sel = "*" if columns is None else _select_list(columns, join)
    return (f"SELECT {sel}\nFROM {quote_table(table)} AS t{_join_clause(join)}\n"
            f"WHERE 1 = CONTAINS(POINT('ICRS', t.{ra}, t.{dec}), "
            f"CIRCLE('ICRS', {float(ra_deg)!r}, {float(dec_deg)!r}, {r!r}))")



def region_adql(table: str, ra_column: str, dec_column: str, region, *, top: int | None = None) -> str:
    """ADQL selecting every column of the rows of ``table`` in a sky region (``SELECT *``).

    ``region`` is a :class:`xrbvo.core.regions.Region` (or anything with its ``kind`` and
    ``values``): an ``eq`` box is selected exactly (a longitude range that wraps through 360 is
    two ranges); a ``cone`` is one CIRCLE; a ``gal`` box, which ADQL cannot state in ICRS, is the
    smallest cone around its centre that holds it (the caller keeps the rows inside the box).

    Parameters
    ----------
    table : str
        The table (quoted as needed by :func:`quote_table`).
    ra_column, dec_column : str
        The table's ICRS right ascension and declination columns (degrees).
    region : xrbvo.core.regions.Region
        The sky region.
    top : int, optional
        At most this many rows (``SELECT TOP``).

    Returns
    -------
    str
        The ADQL query.

    Examples
    --------
    >>> from xrbvo.core.regions import parse_region
    >>> print(region_adql('"J/A+A/682/A34/erass1-m"', "RA_ICRS", "DE_ICRS", parse_region("eq:350,10,-5,5")))
    SELECT *
    FROM "J/A+A/682/A34/erass1-m" AS t
    WHERE (t.RA_ICRS >= 350.0 OR t.RA_ICRS <= 10.0) AND t.DE_ICRS BETWEEN -5.0 AND 5.0
    >>> print(region_adql("erass1.main", "RA", "DEC", parse_region("cone:10,-5,0.5"), top=3))
    SELECT TOP 3 *
    FROM erass1.main AS t
    WHERE 1 = CONTAINS(POINT('ICRS', t.RA, t.DEC), CIRCLE('ICRS', 10.0, -5.0, 0.5))
    """
    ra, dec = f"t.{quote_identifier(ra_column)}", f"t.{quote_identifier(dec_column)}"
    head = f"SELECT {'' if top is None else f'TOP {int(top)} '}*\nFROM {quote_table(table)} AS t\nWHERE "
    kind, v = region.kind, tuple(float(x) for x in region.values)
    if kind == "eq":
        lon1, lon2 = v[0] % 360.0, v[1] % 360.0
        if region.width_deg >= 360.0:
            lon = ""
        elif lon1 < lon2:
            lon = f"{ra} BETWEEN {lon1!r} AND {lon2!r} AND "
        else:
            lon = f"({ra} >= {lon1!r} OR {ra} <= {lon2!r}) AND "
        return head + f"{lon}{dec} BETWEEN {v[2]!r} AND {v[3]!r}"
    if kind == "cone":
        ra0, dec0, r = v
    elif kind == "gal":
        ra0, dec0, r = _bounding_cone_of_gal_box(v, region.width_deg)
    else:
        raise InputError(f"region kind {kind!r}: give gal, eq or cone")
    return head + f"1 = CONTAINS(POINT('ICRS', {ra}, {dec}), CIRCLE('ICRS', {ra0!r}, {dec0!r}, {r!r}))"


def _bounding_cone_of_gal_box(values: tuple[float, ...], width_deg: float) -> tuple[float, float, float]:
    """(ra, dec, radius) in degrees of a cone holding the Galactic box ``values`` (l1, l2, b1, b2)."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    l1, _, b1, b2 = values
    lc, bc = (l1 + width_deg / 2.0) % 360.0, (b1 + b2) / 2.0
    centre = SkyCoord(l=lc * u.deg, b=bc * u.deg, frame="galactic")
    t = np.linspace(0.0, 1.0, 181)
    edge_l = np.concatenate([l1 + width_deg * t, l1 + width_deg * t, np.full(181, l1), np.full(181, l1 + width_deg)])
    edge_b = np.concatenate([np.full(181, b1), np.full(181, b2), b1 + (b2 - b1) * t, b1 + (b2 - b1) * t])
    inner = np.linspace(b1, b2, 181)  # the widest latitude of a box may lie inside it, on its central meridian
    edge_l = np.concatenate([edge_l, np.full(181, lc)])
    edge_b = np.concatenate([edge_b, inner])
    sep = centre.separation(SkyCoord(l=edge_l * u.deg, b=edge_b * u.deg, frame="galactic")).deg
    # edges sampled every 1/180 of their length: the margin covers the arc between samples
    r = min(180.0, float(sep.max()) * 1.01 + 1e-3)
    c = centre.icrs
    return float(c.ra.deg), float(c.dec.deg), r
