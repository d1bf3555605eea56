"""Aladin script commands: error circles and counterpart marks (pure functions)."""

from __future__ import annotations

import math

import numpy as np

from xrbvo.core.errors import InputError

__all__ = ["error_radius_arcsec", "error_circle_commands", "counterpart_commands"]


def error_radius_arcsec(pos_err_arcsec, confidence: float = 0.99) -> np.ndarray:
    """Radius of the circle holding ``confidence`` of a circular Gaussian position.

    ``pos_err_arcsec`` is the 1-sigma error per coordinate; the radius is
    ``sigma * sqrt(-2 ln(1 - confidence))`` (Rayleigh distribution): 3.03 sigma
    for 99 %.

    Parameters
    ----------
    pos_err_arcsec : float or array
        1-sigma position error (per coordinate), arcsec.
    confidence : float, optional
        Probability that the true position lies in the circle.

    Returns
    -------
    numpy.ndarray
        The circle's radius, arcsec.
    """
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must lie between 0 and 1, got {confidence}")
    return np.asarray(pos_err_arcsec, dtype=float) * math.sqrt(-2.0 * math.log1p(-confidence))


def _plane_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)
    return cleaned or "xrbvo"



def error_circle_commands(ra_deg, dec_deg, pos_err_arcsec, *, confidence: float = 0.99,
                          plane: str = "xray_errors", color: str = "red") -> list[str]:
    """Aladin commands drawing error circles of ``confidence`` in a draw plane of their own.

    Positions that are not finite are skipped.

    Parameters
    ----------
    ra_deg : float or array
        Right ascension (ICRS), degrees.
    dec_deg : float or array
        Declination (ICRS), degrees.
    pos_err_arcsec : float or array
        1-sigma position error of each source, arcsec.
    confidence : float, optional
        Probability that the true position lies in the circle.
    plane : str, optional
        Name of the Aladin draw plane.
    color : str, optional
        Colour of the circles.

    Returns
    -------
    list[str]
        Aladin script commands, one per line.
    """
    ra, dec = np.atleast_1d(np.asarray(ra_deg, float)), np.atleast_1d(np.asarray(dec_deg, float))
    radius = np.broadcast_to(error_radius_arcsec(pos_err_arcsec, confidence), ra.shape)
    cmds = [f"draw newtool({_plane_name(plane)})"]
    cmds += [f"draw {color} circle({a:.7f} {d:+.7f} {r:.3f}arcsec)"
             for a, d, r in zip(ra, dec, radius) if np.isfinite(a) and np.isfinite(d) and np.isfinite(r)]
    return cmds


def counterpart_commands(ra_deg, dec_deg, *, labels=None, plane: str = "counterparts", color: str = "green",
                         size_arcsec: float = 1.0) -> list[str]:
    """Aladin commands marking counterparts with small circles (and labels) in a draw plane.

    Parameters
    ----------
    ra_deg : float or array
        Right ascension (ICRS), degrees.
    dec_deg : float or array
        Declination (ICRS), degrees.
    labels : sequence of str, optional
        Text shown next to each circle.
    plane : str, optional
        Name of the Aladin draw plane.
    color : str, optional
        Colour of the circles and labels.
    size_arcsec : float, optional
        Radius of each circle, arcsec.

    Returns
    -------
    list[str]
        Aladin script commands, one per line.
    """
    ra, dec = np.atleast_1d(np.asarray(ra_deg, float)), np.atleast_1d(np.asarray(dec_deg, float))
    cmds = [f"draw newtool({_plane_name(plane)})"]
    for i, (a, d) in enumerate(zip(ra, dec)):
        if not (np.isfinite(a) and np.isfinite(d)):
            continue
        cmds.append(f"draw {color} circle({a:.7f} {d:+.7f} {size_arcsec:.3f}arcsec)")
        if labels is not None:
            label = str(labels[i]).replace('"', "'").replace(";", ",")
            cmds.append(f'draw {color} string({a:.7f},{d:+.7f},"{label}")')
    return cmds
