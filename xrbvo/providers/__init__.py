"""Where neighbourhoods come from: one interface, one output schema."""

from .base import Provider, cone_join, standardise_catalogue
from .local import LocalProvider
from .sim import SimProvider
from .tap import TapProvider

__all__ = ["Provider", "SimProvider", "LocalProvider", "TapProvider", "cone_join", "standardise_catalogue"]
