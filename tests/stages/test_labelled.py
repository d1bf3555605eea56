import numpy as np
import pytest
from astropy.table import Table

from _mldata import HESS, LABELLED, need
from xrbvo.core.errors import InputError, MissingColumnError
from xrbvo.stages.features import FEATURES
from xrbvo.stages.classify.labelled import CLASS_MAP, csc_features, detect_layout, load_labelled, map_classes


def test_class_mapping_folds_hm_stars_into_early_and_refuses_unknown_labels():
    out = map_classes(["HM-STAR", "LM-STAR", "NS", "HMXB", " AGN "])
    assert list(out) == ["EARLY", "STAR", "NS", "HMXB", "AGN"]
    assert set(CLASS_MAP.values()) <= {"HMXB", "LMXB", "NS", "CV", "WR", "AGN", "EARLY", "STAR", "YSO"}
    assert "WR" not in CLASS_MAP.values()
    with pytest.raises(InputError, match="unknown class labels QSO"):
        map_classes(["AGN", "QSO"])
    assert list(map_classes(["QSO", "CV"], strict=False)) == ["", "CV"]


def _csc_rows():
    """Two CSC-labelled-like rows: the second has no Gaia and no 2MASS counterpart."""
    nan = np.nan
    return Table({"name": ["a", "b"], "ra": [266.4, 10.0], "dec": [-29.0, 41.0], "Class": ["LMXB", "AGN"],
                  "Fcsc_s": [1e-14, 2e-15], "Fcsc_m": [3e-14, 1e-15], "Fcsc_h": [8e-14, 6e-15],
                  "var_intra_prob": [0.2, nan], "var_inter_prob": [0.9, nan],
                  "Gmag": [17.0, nan], "BPmag": [17.8, nan], "RPmag": [16.2, nan], "RPlx": [5.0, nan],
                  "PM": [0.012, nan], "epsi": [0.0002, nan], "sepsi": [3.0, nan], "ruwe": [1.1, nan],
                  "rgeo": [2000.0, nan], "Jmag": [14.0, nan], "Hmag": [13.5, nan], "Kmag": [13.2, nan],
                  "W1mag": [13.0, 15.0], "W2mag": [12.9, 14.2]})


def test_features_of_rows_with_missing_bands_stay_missing_and_bands_are_mapped():
    t = _csc_rows()
    assert detect_layout(t) == "csc-labelled"
    f = csc_features(t, nh=np.array([1e22, 1e20]))
    assert f.colnames == list(FEATURES)
    soft0, hard0 = 1e-14 + 3e-14, 8e-14
    assert f["log_fx"][0] == pytest.approx(np.log10(soft0))
    assert f["hr"][0] == pytest.approx((hard0 - soft0) / (hard0 + soft0))
    assert f["pm_tot"][0] == pytest.approx(12.0)  # arcsec/yr in the file -> mas/yr
    assert f["log_epsi"][0] == pytest.approx(np.log10(0.2 + 1e-3))
    assert f["plx_sig"][0] == pytest.approx(5.0)
    assert f["xvar_prob"][0] == pytest.approx(0.9)
    assert f["G_K"][0] == pytest.approx(17.0 - 13.2)
    for name in ("G", "BP_RP", "J", "J_K", "G_W1", "plx_sig", "pm_tot", "log_fx_fg", "log_fx_fk", "xvar_prob"):
        assert np.isnan(f[name][1]), name
    assert f["W1_W2"][1] == pytest.approx(0.8)
    assert np.isfinite(f["log_fx_fw1"][1]) and np.isfinite(f["hr"][1])
    assert f["log_nh"][1] == pytest.approx(20.0)


def test_field_layout_uses_parallax_over_error_and_foreign_tables_are_refused():
    t = Table({"CSCv2_name": ["x"], "CSCv2_RA": [280.0], "CSCv2_DEC": [-5.0], "Fs": [1e-15], "Fm": [2e-15],
               "Fh": [4e-15], "P_intra": [0.5], "P_inter": [np.nan], "Plx": [1.5], "e_Plx": [0.5], "PM": [6.0],
               "Gmag": [18.0]})
    assert detect_layout(t) == "csc-field"
    f = csc_features(t)
    assert f["plx_sig"][0] == pytest.approx(3.0)
    assert f["pm_tot"][0] == pytest.approx(6.0)
    assert f["xvar_prob"][0] == pytest.approx(0.5)
    assert 20.5 < f["log_nh"][0] < 23.5  # HI4PI towards the inner plane
    with pytest.raises(MissingColumnError, match="neither the feature columns"):
        detect_layout(Table({"ra": [1.0], "dec": [2.0], "flux": [3.0]}))


def test_the_shared_labelled_set_reads_with_the_documented_classes_and_bands():
    import pandas as pd

    from xrbvo.core.physics import galactic_nh
    from astropy.coordinates import SkyCoord
    import astropy.units as u

    path = need(LABELLED)
    ls = load_labelled(path)
    raw = pd.read_csv(path)
    assert len(ls.labels) == len(raw)
    counts = dict(zip(*np.unique(ls.labels, return_counts=True)))
    expect = raw["Class"].map(CLASS_MAP).value_counts().to_dict()
    assert counts == expect and counts["EARLY"] == int(np.sum(raw["Class"] == "HM-STAR"))
    i = int(np.flatnonzero(raw["Class"].to_numpy() == "HMXB")[0])
    soft = raw["Fcsc_s"][i] + raw["Fcsc_m"][i]
    assert ls.features["log_fx"][i] == pytest.approx(np.log10(soft))
    c = SkyCoord(ra=raw["ra"][i] * u.deg, dec=raw["dec"][i] * u.deg).galactic
    assert ls.features["log_nh"][i] == pytest.approx(np.log10(galactic_nh(c.l.deg, c.b.deg)[0]))
    no_gaia = raw["Gmag"].isna().to_numpy()
    assert np.all(np.isnan(np.asarray(ls.features["G"])[no_gaia]))
    assert len(ls.sha256) == 64


def test_the_hess_field_reads_as_a_field_table():
    path = need(HESS)
    from xrbvo.io import read_table

    t = read_table(path)
    assert detect_layout(t) == "csc-field"
    f = csc_features(t)
    assert len(f) == len(t)
    g = np.asarray(f["G"])
    assert np.isnan(g).sum() == int(np.sum(np.asarray(t["Gmag"].mask if hasattr(t["Gmag"], "mask") else
                                                       np.isnan(np.asarray(t["Gmag"], float)))))


def test_chandra_fluxes_convert_to_the_erass1_bands_of_the_same_absorbed_power_law():
    from xrbvo.core import physics
    from xrbvo.stages.classify.labelled import CHANDRA_HARD_KEV, CHANDRA_SOFT_KEV, chandra_to_erass1

    gamma = np.array([2.0, 1.4, 0.8, 2.6])
    nh = np.array([1e20, 3e21, 2e22, 5e20])
    unabs = np.array([1e-14, 3e-15, 2e-13, 5e-16])
    band = {b: physics.absorbed_band_flux(unabs, gamma, nh, b)
            for b in (CHANDRA_SOFT_KEV, CHANDRA_HARD_KEV, physics.ERASS1_SOFT_KEV, physics.ERASS1_HARD_KEV)}
    soft, hard = chandra_to_erass1(band[CHANDRA_SOFT_KEV], band[CHANDRA_HARD_KEV], nh)
    np.testing.assert_allclose(soft, band[physics.ERASS1_SOFT_KEV], rtol=0.02)
    np.testing.assert_allclose(hard, band[physics.ERASS1_HARD_KEV], rtol=0.02)
    # a missing hard flux stays missing; a missing soft flux gives no fluxes at all
    s2, h2 = chandra_to_erass1(np.array([1e-14, np.nan]), np.array([np.nan, 1e-14]), np.array([1e21, 1e21]))
    assert np.isfinite(s2[0]) and np.isnan(h2[0]) and np.isnan(s2[1])


def test_erass1_bands_make_a_chandra_source_softer_and_unknown_bands_are_refused():
    t = _csc_rows()
    chandra = csc_features(t, nh=np.array([1e22, 1e20]))
    erass1 = csc_features(t, nh=np.array([1e22, 1e20]), bands="erass1")
    # eRASS1's hard band (2.3-5 keV) holds less of a spectrum than Chandra's 2-7 keV, its soft band more
    assert np.all(np.asarray(erass1["hr"]) < np.asarray(chandra["hr"]))
    assert np.all(np.asarray(erass1["log_fx"]) > np.asarray(chandra["log_fx"]))
    np.testing.assert_array_equal(np.asarray(erass1["G"]), np.asarray(chandra["G"]))
    with pytest.raises(InputError, match="unknown X-ray bands"):
        csc_features(t, bands="xmm")
