"""The simulated sky: populations of the nine classes and of field sources, truth kept."""

from xrbvo.galaxy.populations import CLASS_MODELS, ClassModel, LogNormalLF, SpatialModel
from xrbvo.sim.sky import SimulatedSky, SkyConfig, simulate_sky

__all__ = ["SkyConfig", "SimulatedSky", "simulate_sky", "CLASS_MODELS", "ClassModel", "LogNormalLF",
           "SpatialModel"]
