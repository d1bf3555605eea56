"""Any X-ray table (issue 28): --columns, the names of common X-ray catalogues, ids never replaced in silence,
a survey catalogue given as the X-ray list refused, and every input column carried to the catalogue."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.cli.common import COLUMN_KEYS_HELP
from xrbvo.cli.entry import main
from xrbvo.core.errors import InputError, MissingColumnError, XrbvoWarning
from xrbvo.io import write_table
from xrbvo.io.xray import COLUMN_KEYS, apply_column_map, parse_column_map, standardise_xray


def vizier_table() -> Table:
    """eRASS1 Main as VizieR serves it (J/A+A/682/A34): its own column names."""
    t = Table({"1eRASS": ["1eRASS J120000.0-600000", "1eRASS J120100.0-600100"], "RAJ2000": [180.0, 180.25],
               "DEJ2000": [-60.0, -60.02], "e_pos": [1.5, 6.0], "Flux": [3e-13, 2e-14], "DetUId": [11, 12]})
    t["Flux"].unit = "mW / m2"  # VizieR's unit: the same number as erg/cm2/s
    t["Flux"].meta["ucd"] = "phot.flux;em.X-ray.soft"
    return t


def quiet_standardise(t, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = standardise_xray(t, source="viz.csv", **kw)
    return x, [str(w.message) for w in caught]


def test_vizier_names_are_recognised_and_ids_kept():
    x, said = quiet_standardise(vizier_table())
    assert list(x["xid"]) == ["1eRASS J120000.0-600000", "1eRASS J120100.0-600100"]
    assert np.allclose(x["pos_err"], [1.5, 6.0])  # eRASS1's 1-sigma per coordinate, not the 4" default
    assert np.allclose(x["flux_soft"], [3e-13, 2e-14])
    assert len(said) == 1 and "no hard-band" in said[0]  # nothing else is missing


@pytest.mark.parametrize("name, value, sigma", [("Err90", 4.292, 2.0), ("RADEC_ERR", 2 * np.sqrt(2.0), 2.0),
                                                ("err_ellipse_r0", 4.896, 2.0)])
def test_other_catalogues_errors_become_one_sigma_per_coordinate(name, value, sigma):
    t = Table({"name": ["a"], "RA": [10.0], "DEC": [-5.0], name: [value], "flux_soft": [1e-13]})
    x, _ = quiet_standardise(t)
    assert x["pos_err"][0] == pytest.approx(sigma, rel=1e-3)


def test_a_missing_id_column_is_one_warning_saying_what_ids_were_made():
    t = Table({"RAJ2000": [1.0, 2.0, 3.0], "DEJ2000": [0.0, 0.0, 0.0], "e_pos": [1.0, 1.0, 1.0], "Flux": [1e-13] * 3})
    x, said = quiet_standardise(t)
    ids = [s for s in said if "identifier" in s]
    assert len(ids) == 1 and "X0000000 to X0000002" in ids[0] and "--columns xid=COL" in ids[0]
    assert list(x["in_row"]) == [0, 1, 2]


def test_columns_map_any_names():
    t = Table({"src": ["p", "q"], "alpha": [10.0, 11.0], "delta": [1.0, 2.0], "sig": [2.0, 3.0], "f": [1e-13, 2e-13],
               "RA": [0.0, 0.0]})
    x, said = quiet_standardise(t, columns=parse_column_map("xid=src,ra=alpha,dec=delta,pos_err=sig,flux_soft=f"))
    assert list(x["xid"]) == ["p", "q"] and list(x["ra"]) == [10.0, 11.0] and list(x["pos_err"]) == [2.0, 3.0]
    assert list(x["flux_soft"]) == [1e-13, 2e-13] and x.meta["COLMAP"].startswith("xid=src;ra=alpha")
    assert all("identifier" not in s and "positional-error" not in s for s in said)
    # every input column follows, a clashing name prefixed
    assert x.colnames[x.colnames.index("in_row") + 1:] == ["src", "alpha", "delta", "sig", "f", "in_RA"]


@pytest.mark.parametrize("text, message", [
    ("colour=B", "--columns colour=B: unknown key 'colour'"),
    ("ra=a,ra=b", "--columns ra: given twice"),
    ("ra=a,dec=a", "--columns dec=a: column 'a' is already mapped to ra"),
    ("ra", "--columns 'ra': write KEY=COLUMN"),
])
def test_bad_columns_are_one_line_naming_the_key(text, message):
    with pytest.raises(InputError) as err:
        parse_column_map(text)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_columns_must_name_columns_of_the_table_and_numbers_where_needed():
    t = vizier_table()
    with pytest.raises(MissingColumnError, match=r"--columns pos_err=POSERR: viz.csv has no column 'POSERR'"):
        apply_column_map(t, {"pos_err": "POSERR"}, source="viz.csv")
    with pytest.raises(InputError, match=r"--columns flux_soft=1eRASS: column '1eRASS' holds text, and flux_soft "
                                         r"needs numbers"):
        apply_column_map(t, {"flux_soft": "1eRASS"}, source="viz.csv")
    assert set(COLUMN_KEYS_HELP.split(", ")) == set(COLUMN_KEYS)


def test_bad_columns_on_the_command_line_is_one_line_and_writes_nothing(tmp_path, capsys):
    x = write_table(vizier_table(), tmp_path / "viz.csv")
    out = tmp_path / "out"
    rc = main(["-q", "run", str(x), "--columns", "flux=Flux", "--model", str(tmp_path / "m"),
               "--catalog", f"gaia={tmp_path / 'g.fits'}", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "--columns flux=Flux: unknown key 'flux'" in err
    assert not out.exists()


def test_a_survey_catalogue_given_as_the_x_ray_list_is_named():
    gaia = Table({"source_id": [1, 2], "ra": [10.0, 10.1], "dec": [0.0, 0.1], "phot_g_mean_mag": [12.0, 13.0],
                  "parallax": [1.0, 2.0]})
    with pytest.raises(InputError) as err:
        standardise_xray(gaia, source="gaia.fits")
    text = str(err.value)
    assert "gaia.fits is a Gaia catalogue" in text and "--catalog gaia=gaia.fits" in text and "\n" not in text


def test_a_table_without_errors_or_fluxes_is_refused_naming_both():
    with pytest.raises(MissingColumnError) as err:
        standardise_xray(Table({"name": ["a"], "ra": [1.0], "dec": [2.0], "mag": [3.0]}), source="t.csv")
    text = str(err.value)
    assert "neither a positional-error column" in text and "nor an X-ray flux column" in text
    assert "--columns pos_err=COL,flux_soft=COL" in text


def test_every_input_column_reaches_the_catalogue_unchanged(tmp_path, small_model):
    """The release's columns (UID, DET_LIKE_0, ...) with their units and UCDs follow xrbvo's own; in_row gives the
    row of the release as read (before its selection); the catalogue's files keep them."""
    from xrbvo.io import read_release, read_table
    from xrbvo.sim import SkyConfig, simulate_sky
    from xrbvo.sim.erass1 import release_tables
    from xrbvo.stages.neighbourhoods import SimProvider
    from xrbvo.workflows import ModelBundle, analyse

    model, ts = small_model
    bundle = ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ts.reference_priors})
    sky = simulate_sky(SkyConfig(l_deg=300.0, b_deg=0.0, width_deg=0.6, height_deg=0.6, seed=5))
    main_t, hard_t = release_tables(sky)
    main_t["DET_LIKE_0"].meta["ucd"] = "stat.likelihood;meta.main"
    main_t["DET_LIKE_0"].description = "Detection likelihood, 0.2-2.3 keV"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XrbvoWarning)
        xr, _ = read_release(main_t, hard_t)
        a = analyse(xr, SimProvider(sky), bundle)
    cat = a.catalogue
    own_end = cat.colnames.index("expected_purity")
    carried = [c for c in main_t.colnames]
    names = [("in_" + c if c in ("RA", "DEC", "POS_ERR") else c) for c in carried]
    assert cat.colnames[-len(names):] == names and cat.colnames.index(names[0]) > own_end
    rows = np.asarray(cat["in_row"])
    assert np.array_equal(np.asarray(cat["UID"]), np.asarray(main_t["UID"])[rows])
    assert np.array_equal(np.asarray(cat["in_RA"]), np.asarray(main_t["RA"])[rows])
    assert cat["in_RA"].unit == "deg" and cat["DET_LIKE_0"].meta["ucd"] == "stat.likelihood;meta.main"
    assert cat["UID"].info.description == "from the input X-ray table: UID"
    paths = a.write(tmp_path / "o")
    for kind in ("catalogue_fits", "catalogue_votable"):
        back = read_table(paths[kind])
        assert back.colnames[-len(names):] == names
        assert str(back["in_POS_ERR"].unit) == "arcsec"
        assert back["DET_LIKE_0"].info.description == "Detection likelihood, 0.2-2.3 keV"


def test_classify_takes_columns_for_ids_and_positions(tmp_path, capsys):
    """Issue 28 item 2: --columns on classify too (ids and positions; its photometry is the layout's own)."""
    from astropy.table import Table

    from xrbvo.cli import main
    from xrbvo.cli.commands.classify import rename_columns
    from xrbvo.core.errors import InputError

    t = Table({"Name": ["a", "b"], "RAJ2000": [10.0, 11.0], "DEJ2000": [-5.0, -6.0], "G": [12.0, 13.0]})
    out = rename_columns(t, "xid=Name,ra=RAJ2000,dec=DEJ2000", "t.csv")
    assert {"xid", "ra", "dec"} <= set(out.colnames) and "RAJ2000" not in out.colnames
    assert list(out["ra"]) == [10.0, 11.0] and list(t.colnames)[:3] == ["Name", "RAJ2000", "DEJ2000"]
    with pytest.raises(InputError, match="classify maps only"):
        rename_columns(t, "flux_soft=G", "t.csv")
    with pytest.raises(InputError, match="Nope"):
        rename_columns(t, "ra=Nope", "t.csv")
    csv = tmp_path / "t.csv"
    t.write(csv)
    code = main(["classify", str(csv), "--model", str(tmp_path / "m"), "--out", str(tmp_path / "o.fits"),
                 "--columns", "flux_soft=G"])
    err = capsys.readouterr().err
    assert code == 2 and "classify maps only" in err and "Traceback" not in err
