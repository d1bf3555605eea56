"""The simulated sky: populations of the nine classes and of field sources, truth kept."""

from xrbvo.galaxy.populations import CLASS_MODELS, ClassModel, LogNormalLF, SpatialModel
from xrbvo.sim.sky import EXTRA_SURVEYS, SimulatedSky, SkyConfig, simulate_sky

__all__ = ["SkyConfig", "SimulatedSky", "simulate_sky", "EXTRA_SURVEYS", "CLASS_MODELS", "ClassModel", "LogNormalLF",
           "SpatialModel"]
