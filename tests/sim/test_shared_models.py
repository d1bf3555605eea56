"""The pieces the simulated sky, the class mix and the visibility tables share (sky cells, the AGN model)."""

import math

import numpy as np
import pytest

from xrbvo.core import physics
from xrbvo.core.errors import InputError
from xrbvo.galaxy.census import cells_holding, read_off_by_cell, sources_in_flux_range
from xrbvo.galaxy.populations import AGN_SED, BANDS


def test_cells_of_a_full_grid_tile_the_sphere_and_halve_their_area_at_their_latitude():
    cell = 10.0
    l, b = np.meshgrid(np.arange(5.0, 360.0, cell), np.arange(-85.0, 90.0, cell), indexing="ij")
    lon, lat, omega, idx = cells_holding(l.ravel(), b.ravel(), cell_deg=cell)
    assert len(lon) == l.size and sorted(idx.tolist()) == list(range(l.size))
    assert math.isclose(omega.sum(), 4.0 * math.pi, rel_tol=1e-12)
    np.testing.assert_allclose(lon[idx], l.ravel())  # each centre, at its own cell
    b_lo = np.floor(b.ravel() / cell) * cell
    below = math.radians(cell) * (np.sin(np.radians(lat[idx])) - np.sin(np.radians(b_lo)))
    np.testing.assert_allclose(below, 0.5 * omega[idx], rtol=1e-12)


def test_sources_in_one_cell_share_it_and_the_poles_and_l_360_wrap():
    lon, lat, _, idx = cells_holding([0.1, 1.9, 360.0, 2.1, 10.0, 10.0], [0.1, 1.9, 0.5, 0.5, 90.0, 89.0],
                                     cell_deg=2.0)
    assert idx[0] == idx[1] == idx[2] != idx[3]
    assert idx[4] == idx[5] and lat[idx[4]] < 90.0 and lon[idx[0]] == 1.0
    with pytest.raises(InputError):
        cells_holding([1.0, np.nan], [0.0, 0.0], cell_deg=2.0)
    with pytest.raises(InputError):
        cells_holding([1.0], [0.0], cell_deg=0.0)


def test_tables_are_read_off_linearly_in_log_flux_and_held_beyond_the_ends():
    log_mid = np.array([-14.0, -13.5, -13.0])
    table = np.array([[[1.0, 2.0, 4.0], [10.0, 20.0, 40.0]]])  # (k=1, cell=2, bin=3)
    got = read_off_by_cell(table, np.array([0, 1, 0, 1]), np.array([-13.75, -13.25, -16.0, -12.0]), log_mid, 0.5)
    np.testing.assert_allclose(got, [[1.5, 30.0, 1.0, 40.0]])


def test_sources_outside_the_flux_range_or_without_a_position_are_not_ok():
    _, _, _, ok = sources_in_flux_range([1.0, np.nan, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [1e-13, 1e-13, 1e-20, np.nan],
                                        (1e-17, 1e-8), caller="f")
    assert ok.tolist() == [True, False, False, False]
    with pytest.raises(InputError, match="f needs one l, b and flux"):
        sources_in_flux_range([1.0, 2.0], [0.0], [1e-13], (1e-17, 1e-8), caller="f")


def test_agn_draws_keep_their_order_and_dim_only_the_obscured():
    obscured = np.array([True, False] * 50)
    got = AGN_SED.draw(np.random.default_rng(11), obscured)
    rng = np.random.default_rng(11)  # the order the simulated skies were made with
    x, dim = rng.normal(0.0, 0.5, 100), rng.normal(1.5, 0.7, 100)
    assert np.array_equal(got["x"], x) and np.array_equal(got["dimming"], np.where(obscured, dim, 0.0))
    for name, (mean, sd) in {"BP_RP": (0.7, 0.2), "G_J": (1.5, 0.3), "J_K": (1.6, 0.25), "K_W1": (1.4, 0.3),
                             "W1_W2": (1.0, 0.25)}.items():
        assert np.array_equal(got[name], rng.normal(mean, sd, 100)), name


def test_agn_magnitudes_follow_maccacaro_and_their_colours():
    d = AGN_SED.draw(np.random.default_rng(2), np.zeros(20, bool))
    m = AGN_SED.magnitudes(1e-13, d)
    assert list(m) == list(BANDS)
    # log(F_X/F_opt) = log F_X + G/2.5 + 5.37 gives back x for an unobscured AGN
    np.testing.assert_allclose(-13.0 + m["G"] / 2.5 + 5.37, d["x"], atol=1e-12)
    np.testing.assert_allclose(m["BP"] - m["RP"], d["BP_RP"], atol=1e-12)
    np.testing.assert_allclose(m["J"] - m["K"], d["J_K"], atol=1e-12)
    np.testing.assert_allclose(m["W1"] - m["W2"], d["W1_W2"], atol=1e-12)
    red = AGN_SED.magnitudes(1e-13, d, av=2.0, bands=("G", "K"))
    assert list(red) == ["G", "K"]
    np.testing.assert_allclose(red["K"] - m["K"], 2.0 * physics.EXTINCTION_RATIOS["K"], atol=1e-12)
    # a (flux, AGN) grid: ten times fainter in X-rays, 2.5 mag fainter in G
    grid = AGN_SED.magnitudes(np.array([[1e-13], [1e-14]]), d, bands=("G",))["G"]
    assert grid.shape == (2, 20)
    np.testing.assert_allclose(grid[1] - grid[0], 2.5, atol=1e-12)
