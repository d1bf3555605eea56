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
