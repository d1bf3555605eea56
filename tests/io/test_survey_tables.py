"""The survey tables users bring: VizieR and archive column names, exact ids, sexagesimal positions,
a table given under the wrong survey, and bands a table lacks (issue 18 part 2)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.coordinates import Angle
import astropy.units as u
from astropy.table import Table

from xrbvo.core.errors import InputError, XrbvoWarning
from xrbvo.core.surveys import guess_survey
from xrbvo.io import standardise_xray, write_table
from xrbvo.pipeline import PipelineConfig, run_pipeline
from xrbvo.sim import SkyConfig, simulate_sky
from xrbvo.stages.neighbourhoods import LocalProvider, SimProvider, standardise_catalogue

BIG = 6050296829033196032  # a real Gaia DR3 source_id, far above 2**53


@pytest.fixture(scope="module")
def sky():
    """A 1 x 1 deg plane field."""
    return simulate_sky(SkyConfig(l_deg=300.0, b_deg=0.0, width_deg=1.0, height_deg=1.0,
                                  class_boost={"HMXB": 20, "LMXB": 40}, seed=5))


@pytest.fixture(scope="module")
def xray(sky):
    return standardise_xray(sky.xray)


def _renamed(t: Table, names: dict[str, str], drop=()) -> Table:
    out = t.copy()
    out.remove_columns([c for c in drop if c in out.colnames])
    for a, b in names.items():
        out.rename_column(a, b)
    return out


def _gaia_big_ids(sky) -> Table:
    g = _renamed(sky.catalogs["gaia"], {"source_id": "SOURCE_ID"})
    g["SOURCE_ID"] = BIG + 3 * np.arange(len(g), dtype=np.int64)  # consecutive odd/even ids a float cannot tell apart
    return g


def _sexagesimal(ra_deg, dec_deg, sep=" "):
    ra = Angle(np.asarray(ra_deg) * u.deg).to_string(unit=u.hourangle, sep=sep, precision=4, pad=True)
    dec = Angle(np.asarray(dec_deg) * u.deg).to_string(unit=u.deg, sep=sep, precision=3, alwayssign=True, pad=True)
    return ra, dec


def test_gaia_source_ids_above_2_53_survive_to_the_catalogue(tmp_path, sky, xray, small_model):
    g = _gaia_big_ids(sky)
    assert int(float(BIG + 1)) != BIG + 1  # the ids really would change through float
    path = tmp_path / "gaia.fits"
    write_table(g, path)
    nb = LocalProvider({"gaia": path}).neighbourhoods(xray, 10.0, ["gaia"])["gaia"]
    want = {str(BIG + 3 * i) for i in range(len(g))}
    assert len(nb) and set(np.asarray(nb["nid"])) <= want
    model, ts = small_model
    res = run_pipeline(xray, LocalProvider({"gaia": path}), model, selection_priors=ts.reference_priors,
                       config=PipelineConfig(counterparts="nway", surveys=("gaia",)))
    chosen = [v for v in np.asarray(res.catalogue["nid_gaia"]) if v]
    assert chosen and set(chosen) <= want


def test_vizier_gaia_names(sky):
    g = _renamed(sky.catalogs["gaia"], {"source_id": "Source", "ra": "RA_ICRS", "dec": "DE_ICRS",
                                         "phot_g_mean_mag": "Gmag", "phot_bp_mean_mag": "BPmag",
                                         "phot_rp_mean_mag": "RPmag", "parallax": "Plx", "ruwe": "RUWE",
                                         "phot_g_mean_flux_over_error": "RFG", "phot_g_n_obs": "o_Gmag",
                                         "ra_error": "e_RA_ICRS", "dec_error": "e_DE_ICRS"})
    a = standardise_catalogue(g, "gaia")
    b = standardise_catalogue(sky.catalogs["gaia"], "gaia")
    assert list(a["nid"]) == list(b["nid"])
    for c in ("ra", "dec", "pos_err", "G", "BP", "RP", "plx", "ruwe", "var_G"):
        np.testing.assert_array_equal(np.asarray(a[c]), np.asarray(b[c]))


@pytest.mark.parametrize("id_name", ["_2MASS", "2MASS", "designation"])
def test_vizier_and_irsa_2mass_tables(sky, id_name):
    t = sky.catalogs["2mass"]
    if id_name == "designation":  # IRSA's spelling of every column
        v = _renamed(t, {"2MASS": "designation", "RAJ2000": "ra", "DEJ2000": "dec", "errMaj": "err_maj",
                         "Jmag": "j_m", "Hmag": "h_m", "Kmag": "k_m"})
    else:
        v = _renamed(t, {"2MASS": id_name}) if id_name != "2MASS" else t
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = standardise_catalogue(v, "2mass")
    assert list(a["nid"]) == [str(x) for x in t["2MASS"]]
    np.testing.assert_array_equal(np.asarray(a["J"]), np.asarray(t["Jmag"], float))
    np.testing.assert_allclose(np.asarray(a["pos_err"]), np.asarray(t["errMaj"], float))


def test_catwise_ii_365_and_irsa_tables(sky):
    t = sky.catalogs["catwise"]
    a = standardise_catalogue(t, "catwise")  # VizieR II/365: Name, RA_ICRS, DE_ICRS, W1mproPM, ...
    assert list(a["nid"]) == [str(x) for x in t["Name"]]
    irsa = _renamed(t, {"Name": "source_name", "RA_ICRS": "ra", "DE_ICRS": "dec", "e_RA_ICRS": "sigra",
                        "e_DE_ICRS": "sigdec", "W1mproPM": "w1mpro_pm", "W2mproPM": "w2mpro_pm"})
    b = standardise_catalogue(irsa, "catwise")
    assert list(b["nid"]) == list(a["nid"])
    for c in ("ra", "pos_err", "W1", "W2"):
        np.testing.assert_array_equal(np.asarray(a[c]), np.asarray(b[c]))


def test_sexagesimal_positions_of_a_survey_table(tmp_path, sky, xray):
    t = sky.catalogs["2mass"]
    v = _renamed(t, {"2MASS": "_2MASS"})
    ra, dec = _sexagesimal(t["RAJ2000"], t["DEJ2000"])
    v["RAJ2000"], v["DEJ2000"] = ra, dec
    v["RAJ2000"][1] = "12h34m56.7s"  # another spelling in the same column
    a = standardise_catalogue(v, "2mass")
    want_ra = np.asarray(t["RAJ2000"], float).copy()
    want_ra[1] = Angle("12h34m56.7s").deg
    np.testing.assert_allclose(np.asarray(a["ra"]), want_ra, atol=1e-6)
    np.testing.assert_allclose(np.asarray(a["dec"]), np.asarray(t["DEJ2000"], float), atol=1e-6)
    path = tmp_path / "2mass.ecsv"
    write_table(_renamed(v, {}, drop=[]), path)
    nb = LocalProvider({"2mass": path}).neighbourhoods(xray, 10.0, ["2mass"])["2mass"]
    assert len(nb)


def test_an_unreadable_sexagesimal_row_is_one_error(sky):
    v = sky.catalogs["catwise"].copy()
    ra, dec = _sexagesimal(v["RA_ICRS"], v["DE_ICRS"], sep=":")
    v["RA_ICRS"], v["DE_ICRS"] = ra, dec
    v["DE_ICRS"][4] = "-61 2x 45"
    with pytest.raises(InputError, match=r"cw\.fits: row 4: cannot read DE_ICRS '-61 2x 45'"):
        standardise_catalogue(v, "catwise", source="cw.fits")


def test_sexagesimal_xray_positions(sky):
    x = sky.xray.copy()
    ra, dec = _sexagesimal(x["RA"], x["DEC"])
    x["RA"], x["DEC"] = ra, dec
    a = standardise_xray(x)
    np.testing.assert_allclose(np.asarray(a["ra"]), np.asarray(sky.xray["RA"], float), atol=1e-6)
    np.testing.assert_allclose(np.asarray(a["dec"]), np.asarray(sky.xray["DEC"], float), atol=1e-6)
    x["RA"][2] = "not an angle"
    with pytest.raises(InputError, match=r"x\.fits: row 2: cannot read RA 'not an angle'"):
        standardise_xray(x, source="x.fits")


def test_guess_survey_and_the_wrong_survey_is_refused(sky):
    assert guess_survey(sky.catalogs["2mass"])[0] == "2mass"
    assert guess_survey(sky.catalogs["gaia"])[0] == "gaia"
    assert guess_survey(sky.catalogs["catwise"])[0] == "catwise"
    assert guess_survey(["nid", "ra", "dec", "G"]) == (None, ())
    with pytest.raises(InputError, match=r"^2mass\.fits looks like a 2MASS table \(has 2MASS, errMaj, Jmag, \.\.\.\), "
                                          r"not Gaia; give it as --catalog 2mass=2mass\.fits$"):
        standardise_catalogue(sky.catalogs["2mass"], "gaia", source="2mass.fits")


def test_wrong_survey_through_the_cli_is_one_line_exit_2(tmp_path, sky, small_model, capsys):
    from xrbvo.cli import main
    from xrbvo.workflows import ModelBundle

    model, ts = small_model
    mdir = ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ts.reference_priors}).save(
        tmp_path / "m")
    paths = sky.write(tmp_path / "sky", fmt="fits")
    code = main(["-q", "run", str(paths["xray"]), "--model", str(mdir), "--catalog", f"gaia={paths['2mass']}",
                 "--out", str(tmp_path / "out"), "--no-report"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "looks like a 2MASS table" in err[0] and f"--catalog 2mass={paths['2mass']}" in err[0]


def test_a_missing_band_is_one_warning_per_survey(tmp_path, sky, xray):
    g = sky.catalogs["gaia"].copy()
    g.remove_columns(["phot_bp_mean_mag", "phot_rp_mean_mag"])
    path = tmp_path / "gaia.fits"
    write_table(g, path)
    with pytest.warns(XrbvoWarning) as rec:
        LocalProvider({"gaia": path}).neighbourhoods(xray, 15.0, ["gaia"])
    msgs = [str(w.message) for w in rec if issubclass(w.category, XrbvoWarning)]
    assert len(msgs) == 1
    assert "gaia table has no BP/RP magnitudes" in msgs[0] and "the features BP, RP, BP_RP, G_RP stay missing" in msgs[0]


def test_a_table_without_ids_warns_once_and_numbers_the_sources(sky):
    t = sky.catalogs["catwise"].copy()
    t.remove_column("Name")
    with pytest.warns(XrbvoWarning, match="no identifier column") as rec:
        a = standardise_catalogue(t, "catwise")
    assert len(rec) == 1 and a["nid"][0] == "catwise-0"


def test_the_simulated_tables_need_no_warning(sky, xray):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SimProvider(sky).neighbourhoods(xray, 10.0, ["gaia", "2mass", "catwise"])
