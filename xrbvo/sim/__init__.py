"""The simulated sky: populations of the nine classes and of field sources, truth kept."""

from .populations import CLASS_MODELS, ClassModel, LogNormalLF, SpatialModel
from .sky import SimulatedSky, SkyConfig, simulate_sky

__all__ = ["SkyConfig", "SimulatedSky", "simulate_sky", "CLASS_MODELS", "ClassModel", "LogNormalLF",
           "SpatialModel"]
