"""The match stage as one call: pulled neighbourhoods in, association tables out."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable, Mapping

from astropy.table import Table

from xrbvo.core.surveys import MAG_PRIOR_BANDS

from xrbvo.stages.match import AssociationInput, AssociationResult, BayesConfig, BayesianAssociator

__all__ = ["default_association", "associate"]

Progress = Callable[[str, float], None]


def default_association() -> BayesConfig:
    """NWAY-like defaults: positional Bayes factors plus magnitude priors learnt from the data (G, W1).

    Returns
    -------
    BayesConfig
        The association options.
    """
    # Proper-motion propagation is off: at eRASS1's 2-8 arcsec errors the 4-yr Gaia-to-eRASS1 motion
    # is negligible, and with it on the simulated sky's counterparts were found less often
    # (0.16 vs 0.23 of true Gaia counterparts on the test field) -- still to be understood.
    return BayesConfig(mag_priors={key: "auto" for key in MAG_PRIOR_BANDS}, propagate_proper_motion=False,
                       prior_mode="independent")


def associate(xray: Table, neighbourhoods: Mapping[str, Table], radius_arcsec: float,
              config: BayesConfig | None = None, *, positional_only: bool = False,
              progress: Progress | None = None, cancel: threading.Event | None = None) -> AssociationResult:
    """Run the Bayesian association on pulled neighbourhoods.

    Parameters
    ----------
    xray : Table
        Standardised X-ray sources (:data:`xrbvo.core.schema.XRAY`).
    neighbourhoods : mapping
        Survey -> neighbourhood table (:data:`xrbvo.core.schema.NEIGHBOUR`).
    radius_arcsec : float
        Search radius around each X-ray position.
    config : BayesConfig, optional
        Options of the association (default :func:`default_association`).
    positional_only : bool
        Leave out the magnitude priors (positions, densities and completeness
        only): the input of the class-aware counterparts, which learn the
        photometry of true counterparts per class instead.
    progress : Progress, optional
        Progress callback ``(message, fraction)``.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).

    Returns
    -------
    AssociationResult
        Per source ``p_any`` and per combination ``p_i``, the match flags and the best counterparts.
    """
    cfg = config or default_association()
    if positional_only:
        cfg = replace(cfg, mag_priors={})
    engine = BayesianAssociator(cfg)
    return engine(AssociationInput(xray, dict(neighbourhoods), radius_arcsec), progress=progress, cancel=cancel)
