"""The census of a region: expected X-ray detections per class from the population model (``xrbvo census``)."""

from __future__ import annotations

from typing import Callable

from xrbvo.galaxy.census import WESTERN_HEMISPHERE, CensusResult, Sensitivity, census

__all__ = ["run_census", "DEFAULT_REGION", "DEFAULT_FLUX_LIMIT"]

#: The region a census covers unless told: eROSITA-DE's half of the sky (Galactic longitude 180-360 deg).
DEFAULT_REGION = WESTERN_HEMISPHERE
#: eRASS1's 0.2-2.3 keV flux limit (erg/s/cm2) at 50% completeness at the median exposure (Merloni et al. 2024).
DEFAULT_FLUX_LIMIT = Sensitivity().flux_limit


def run_census(region: str = DEFAULT_REGION, *, flux_limit: float = DEFAULT_FLUX_LIMIT, exposure: str = "erass1",
               step_deg: float = 2.0, progress: Callable[[str, float], None] | None = None) -> CensusResult:
    """Expected detections per class in ``region`` at a survey's sensitivity.

    Parameters
    ----------
    region : str
        The region, in the syntax of ``xrbvo run --region`` (:func:`xrbvo.core.regions.parse_region`).
    flux_limit : float, optional
        0.2-2.3 keV flux (erg/s/cm2) at 50% completeness at the median exposure.
    exposure : str, optional
        ``erass1`` (deeper towards the ecliptic poles) or ``flat`` (one limit everywhere).
    step_deg : float, optional
        Largest side (deg) of the sky cells integrated over.
    progress : callable, optional
        Called as ``progress(message, fraction_done)``.

    Returns
    -------
    xrbvo.galaxy.census.CensusResult
        The census.

    Raises
    ------
    xrbvo.core.errors.InputError
        For a region that does not parse or holds no area, or a flux limit that is not a positive number.
    """
    sens = Sensitivity(flux_limit=float(flux_limit), exposure=exposure)
    sens.validate()  # before the region's cells, so a bad limit is named first
    return census(region, sens, step_deg=step_deg, progress=progress)
