"""Where neighbourhoods come from: one interface, one output schema."""

from xrbvo.stages.neighbourhoods.base import Provider, PulledProvider, cone_join, standardise_catalogue
from xrbvo.stages.neighbourhoods.local import LocalProvider
from xrbvo.stages.neighbourhoods.sim import SimProvider
from xrbvo.stages.neighbourhoods.tap import TapProvider

__all__ = ["Provider", "PulledProvider", "SimProvider", "LocalProvider", "TapProvider", "LsdbProvider", "cone_join",
           "standardise_catalogue"]


def __getattr__(name):
    # LsdbProvider needs the optional `scale` extra (lsdb): imported only when asked for
    if name == "LsdbProvider":
        from xrbvo.stages.neighbourhoods.lsdb import LsdbProvider

        return LsdbProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
