"""Sky geometry shared by every layer."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["unit_vectors", "K99"]

#: Radius, in sigmas per coordinate, of the circle holding 99% of a circular 2-D Gaussian (a Rayleigh
#: distribution): sqrt(-2 ln 0.01) = 3.035.  The "99% error circle" of an X-ray position.
K99 = math.sqrt(-2.0 * math.log(0.01))


def unit_vectors(ra_deg, dec_deg) -> np.ndarray:
    """Cartesian unit vectors of sky positions (n, 3).

    Parameters
    ----------
    ra_deg : array_like
        Right ascension, degrees.
    dec_deg : array_like
        Declination, degrees.

    Returns
    -------
    numpy.ndarray
        Unit vectors, shape (n, 3).
    """
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    cd = np.cos(dec)
    return np.column_stack([cd * np.cos(ra), cd * np.sin(ra), np.sin(dec)])
