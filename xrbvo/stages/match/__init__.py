"""The association engine: which neighbour is the counterpart."""

from xrbvo.stages.match.base import AssociationInput, AssociationResult, Associator
from xrbvo.stages.match.engine import BayesConfig, BayesianAssociator
from xrbvo.stages.match.memory import keep_freed_memory
from xrbvo.stages.match.priors import MagPrior, learn_mag_prior, union_area_arcsec2

__all__ = ["AssociationInput", "AssociationResult", "Associator", "BayesConfig", "BayesianAssociator",
           "MagPrior", "learn_mag_prior", "union_area_arcsec2", "keep_freed_memory"]
