"""Where neighbourhoods come from: one interface, one output schema."""

from xrbvo.stages.neighbourhoods.base import Provider, cone_join, standardise_catalogue
from xrbvo.stages.neighbourhoods.local import LocalProvider
from xrbvo.stages.neighbourhoods.sim import SimProvider
from xrbvo.stages.neighbourhoods.tap import TapProvider

__all__ = ["Provider", "SimProvider", "LocalProvider", "TapProvider", "cone_join", "standardise_catalogue"]
