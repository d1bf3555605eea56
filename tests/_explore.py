"""Shared by the explore tests: the demo field's eRASS1 list as the local DaCHS serves it, and a run on it."""

from __future__ import annotations

import warnings

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord

from xrbvo.core.errors import XrbvoWarning


def demo_list(url: str, path, cache):
    """The X-ray sources of the demo field (erass1.main at 290 < l < 310), written to ``path`` (FITS)."""
    from xrbvo.vo.tap import TapClient

    t = TapClient(url, cache=cache).query("SELECT * FROM erass1.main")
    g = SkyCoord(np.asarray(t["RA"], float) * u.deg, np.asarray(t["DEC"], float) * u.deg).galactic
    t = t[(g.l.deg > 290) & (g.l.deg < 310)]
    t["IAUNAME"] = np.asarray(t["IAUNAME"]).astype(str)
    t.write(path, overwrite=True)
    return path


def reference(url: str, path, model, cache):
    """``xrbvo run``'s workflow on the whole list through the same TAP service: the catalogue."""
    from xrbvo.io import read_table
    from xrbvo.stages.neighbourhoods.tap import TapProvider
    from xrbvo.workflows import ModelBundle, analyse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XrbvoWarning)
        return analyse(read_table(path), TapProvider(url, cache=cache), ModelBundle.load(model),
                       source=str(path)).catalogue
