"""Priors per source (issue 24, item 2): the population model's class mix at each source's own flux."""

from __future__ import annotations

import numpy as np

from xrbvo.core.schema import CLASSES
from xrbvo.stages.classify.priors import source_priors


def test_source_priors_favour_xrbs_at_high_flux_and_agn_or_stars_at_low_flux_in_the_plane():
    # two sources on one plane sight line, one at eRASS1's limit, one a thousand times brighter
    pri, ok = source_priors([330.0, 330.0], [0.5, 0.5], [5e-14, 5e-11], CLASSES)
    assert ok.all()
    p = {c: pri[:, i] for i, c in enumerate(CLASSES)}
    np.testing.assert_allclose(pri.sum(axis=1), 1.0)
    faint, bright = 0, 1
    xrb = p["HMXB"] + p["LMXB"]
    assert xrb[bright] > 0.1 and xrb[bright] > 30 * xrb[faint]
    assert p["AGN"][faint] + p["STAR"][faint] > 0.5
    assert p["AGN"][faint] > 10 * p["AGN"][bright]


def test_a_source_without_a_usable_flux_or_position_has_no_own_priors():
    pri, ok = source_priors([330.0, 330.0, np.nan, 330.0], [0.5, 0.5, 0.5, 0.5], [1e-13, np.nan, 1e-13, -1.0],
                            CLASSES)
    assert ok.tolist() == [True, False, False, False]
    assert np.isfinite(pri[0]).all() and np.isnan(pri[1:]).all()
