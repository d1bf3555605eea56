"""Sky regions that select X-ray sources: a Galactic box, an equatorial box or a cone.

Pure functions: a region is parsed from text (``xrbvo run --region``) and tells
which positions it holds.  The syntax, in degrees:

``gal:l1,l2,b1,b2``
    Galactic longitude from ``l1`` to ``l2`` (increasing, through 360 when
    ``l1 > l2``: ``gal:350,10,-5,5`` is 20 deg wide around l = 0) and
    latitude from ``b1`` to ``b2``.  ``gal:0,360,-5,5`` is the whole band.
``eq:ra1,ra2,dec1,dec2``
    The same in ICRS right ascension and declination.
``cone:ra,dec,radius_deg``
    Everything within ``radius_deg`` of an ICRS position.

Edges belong to the region.  Longitudes may be given outside 0..360 (they are
taken modulo 360); latitudes must lie in -90..90 with the first below the
second, and a cone's radius in (0, 180].

>>> r = parse_region("gal:350,10,-5,5")
>>> r.width_deg
20.0
>>> r.contains_lonlat([355.0, 5.0, 20.0], [0.0, 0.0, 0.0]).tolist()
[True, True, False]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from typing import TYPE_CHECKING

from xrbvo.core.errors import InputError

if TYPE_CHECKING:  # numpy is imported where it is used: the command line's help needs only REGION_SYNTAX
    import numpy as np

__all__ = ["Region", "parse_region", "select_region", "REGION_SYNTAX"]

#: The syntax in one line, for help texts and error messages.
REGION_SYNTAX = "gal:l1,l2,b1,b2 | eq:ra1,ra2,dec1,dec2 | cone:ra,dec,radius_deg (degrees)"

_ARITY = {"gal": 4, "eq": 4, "cone": 3}


@dataclass(frozen=True)
class Region:
    """A parsed region (see the module docstring for the syntax).

    Parameters
    ----------
    kind : str
        ``gal``, ``eq`` or ``cone``.
    values : tuple[float, ...]
        The numbers as given: (lon1, lon2, lat1, lat2) for boxes, (ra, dec, radius_deg) for a cone.
    """

    kind: str
    """``gal``, ``eq`` or ``cone``."""
    values: tuple[float, ...]
    """The numbers as given: (lon1, lon2, lat1, lat2) for boxes, (ra, dec, radius_deg) for a cone."""

    @property
    def width_deg(self) -> float:
        """A box's extent in longitude (deg, 0 < width <= 360); a cone's diameter."""
        if self.kind == "cone":
            return 2.0 * self.values[2]
        lon1, lon2 = self.values[0], self.values[1]
        w = (lon2 - lon1) % 360.0
        return 360.0 if w == 0.0 else w

    def contains_lonlat(self, lon_deg, lat_deg) -> np.ndarray:
        """Whether points in the region's own frame (Galactic for ``gal``, ICRS otherwise) lie in it."""
        import numpy as np

        from xrbvo.core.geometry import unit_vectors

        lon = np.asarray(lon_deg, dtype=float)
        lat = np.asarray(lat_deg, dtype=float)
        if self.kind == "cone":
            ra0, dec0, r = self.values
            v = unit_vectors(np.atleast_1d(lon), np.atleast_1d(lat))
            c = unit_vectors(np.array([ra0]), np.array([dec0]))[0]
            # compare cosines with a hair of slack so that a point on the edge stays inside
            inside = v @ c >= math.cos(math.radians(r)) - 1e-15
            return inside.reshape(lon.shape) & np.isfinite(lon) & np.isfinite(lat)
        lon1, _, lat1, lat2 = self.values
        dl = np.mod(lon - lon1, 360.0)
        return np.isfinite(lon) & np.isfinite(lat) & (dl <= self.width_deg) & (lat >= lat1) & (lat <= lat2)

    def contains(self, ra_deg, dec_deg) -> np.ndarray:
        """Whether ICRS positions lie in the region (boolean array)."""
        import numpy as np

        ra = np.asarray(ra_deg, dtype=float)
        dec = np.asarray(dec_deg, dtype=float)
        if self.kind != "gal":
            return self.contains_lonlat(ra, dec)
        from astropy import units as u
        from astropy.coordinates import SkyCoord

        g = SkyCoord(ra=ra * u.deg, dec=dec * u.deg).galactic
        return self.contains_lonlat(g.l.deg, g.b.deg)

    def __str__(self) -> str:
        return f"{self.kind}:" + ",".join(f"{v:g}" for v in self.values)


def parse_region(text: str) -> Region:
    """A :class:`Region` from ``gal:l1,l2,b1,b2``, ``eq:ra1,ra2,dec1,dec2`` or ``cone:ra,dec,radius_deg``.

    Parameters
    ----------
    text : str
        The region, e.g. ``gal:340,20,-2,2``.

    Returns
    -------
    Region
        A :class:`Region` from ``gal:l1,l2,b1,b2``, ``eq:ra1,ra2,dec1,dec2`` or
        ``cone:ra,dec,radius_deg``.

    Raises
    ------
    InputError
        If the text does not follow the syntax or a value is out of range;
        the message shows the syntax.
    """
    s = str(text).strip()
    kind, sep, rest = s.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in _ARITY:
        raise InputError(f"region {text!r}: write {REGION_SYNTAX}")
    parts = [p.strip() for p in rest.split(",")]
    if len(parts) != _ARITY[kind]:
        raise InputError(f"region {text!r}: {kind} takes {_ARITY[kind]} numbers; write {REGION_SYNTAX}")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise InputError(f"region {text!r}: every value must be a number of degrees; write {REGION_SYNTAX}"
                         ) from None
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"region {text!r}: values must be finite numbers of degrees")
    if kind == "cone":
        _, dec, r = values
        if not -90.0 <= dec <= 90.0:
            raise InputError(f"region {text!r}: the cone's declination must lie in -90..90 deg")
        if not 0.0 < r <= 180.0:
            raise InputError(f"region {text!r}: the cone's radius must be in (0, 180] deg")
        return Region(kind, values)
    lon1, lon2, lat1, lat2 = values
    name = "b" if kind == "gal" else "dec"
    if not (-90.0 <= lat1 <= 90.0 and -90.0 <= lat2 <= 90.0):
        raise InputError(f"region {text!r}: {name}1 and {name}2 must lie in -90..90 deg")
    if not lat1 < lat2:
        raise InputError(f"region {text!r}: {name}1 must be below {name}2")
    if lon1 == lon2:
        raise InputError(f"region {text!r}: the longitude range {lon1:g}..{lon2:g} is empty; "
                         "write 0,360 for all longitudes")
    return Region(kind, values)


def select_region(region: Region | str, ra_deg, dec_deg) -> np.ndarray:
    """Boolean mask of the ICRS positions inside ``region`` (a :class:`Region` or its text).

    Parameters
    ----------
    region : Region | str
        The region, or its text (e.g. ``gal:340,20,-2,2``).
    ra_deg : float or array
        Right ascension (ICRS), degrees.
    dec_deg : float or array
        Declination (ICRS), degrees.

    Returns
    -------
    numpy.ndarray
        True for the positions inside the region.
    """
    r = parse_region(region) if isinstance(region, str) else region
    return r.contains(ra_deg, dec_deg)
