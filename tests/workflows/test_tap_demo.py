"""``xrbvo demo --provider tap`` through the local DaCHS gives the catalogue of the sim provider."""

from __future__ import annotations

import numpy as np
import pytest
from _dachs import dachs  # noqa: F401  (fixture)
from astropy.table import Table

from xrbvo.cli.entry import main

pytestmark = [pytest.mark.integration, pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
              pytest.mark.filterwarnings("ignore::ResourceWarning")]


def test_demo_through_tap_equals_sim(dachs, tmp_path):
    train = tmp_path / "train"
    assert main(["-q", "demo", "--out", str(train)]) == 0
    model = train / "model"
    assert main(["-q", "demo", "--out", str(tmp_path / "sim"), "--model", str(model)]) == 0
    assert main(["-q", "demo", "--out", str(tmp_path / "tap"), "--model", str(model), "--provider", "tap",
                 "--tap-url", dachs.url, "--cache", str(tmp_path / "cache")]) == 0
    a = Table.read(tmp_path / "sim" / "xrbvo_demo_catalogue.fits")
    b = Table.read(tmp_path / "tap" / "xrbvo_demo_catalogue.fits")
    assert a.colnames == b.colnames and len(a) == len(b) > 0
    for c in a.colnames:
        x, y = np.asarray(a[c]), np.asarray(b[c])
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), c
        else:
            assert np.array_equal(x, y), c


def test_demo_tap_without_url_is_exit_2(capsys):
    assert main(["-q", "demo", "--provider", "tap"]) == 2
    assert "--tap-url" in capsys.readouterr().err
