import warnings

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.core.errors import InputError, MissingColumnError, XrbvoWarning
from xrbvo.io import read_table, standardise_xray, write_table


def test_standardise_erass1_native_names(small_sky):
    x = standardise_xray(small_sky.xray, "erass1")
    assert x.colnames[:4] == ["xid", "ra", "dec", "pos_err"]
    assert np.allclose(x["pos_err"], small_sky.xray["POS_ERR"])  # no extra floor by default
    assert np.allclose(x["flux_soft"], small_sky.xray["ML_FLUX_1"])
    assert x["ra"].unit == "deg" and x["ra"].meta["ucd"] == "pos.eq.ra;meta.main"
    floor = standardise_xray(small_sky.xray, "erass1", sys_floor_arcsec=1.0)
    assert np.allclose(floor["pos_err"], np.hypot(small_sky.xray["POS_ERR"], 1.0))


def test_standardise_plain_names_and_missing_optional_columns():
    t = Table({"ra": [10.0, 20.0], "dec": [-5.0, 5.0]})
    with pytest.warns(XrbvoWarning, match=r"my\.csv: no soft-band flux column"), \
         pytest.warns(XrbvoWarning, match=r"my\.csv: no positional-error column .* default 1-sigma error of 4 arcsec"):
        x = standardise_xray(t, source="my.csv")
    assert list(x["xid"]) == ["X0000000", "X0000001"]
    assert np.all(np.isnan(x["flux_soft"]))
    assert np.all(x["pos_err"] == 4.0)  # the eRASS1 default when no error column is present


def test_missing_positional_errors_are_filled_and_counted():
    t = Table({"ra": [10.0, 20.0, 30.0], "dec": [0.0, 1.0, 2.0], "POS_ERR": [2.5, np.nan, 0.0],
               "ML_FLUX_1": [1e-13, 2e-13, 3e-13]})
    with pytest.warns(XrbvoWarning, match=r"2 row\(s\) have a missing or non-positive positional error in column "
                                          r"'POS_ERR'"):
        x = standardise_xray(t)
    assert list(x["pos_err"]) == [2.5, 4.0, 4.0]


def test_missing_soft_flux_warns():
    t = Table({"ra": [10.0], "dec": [0.0], "POS_ERR": [2.0]})
    with pytest.warns(XrbvoWarning, match=r"no soft-band flux column \(looked for flux_soft/ML_FLUX_1\)"):
        x = standardise_xray(t)
    assert np.isnan(x["flux_soft"][0])


def test_complete_positional_errors_give_no_warning(small_sky):
    with warnings.catch_warnings():
        warnings.simplefilter("error", XrbvoWarning)
        standardise_xray(small_sky.xray, "erass1")


@pytest.mark.parametrize("table, exc, match", [
    (Table({"x": [1.0], "y": [2.0]}), MissingColumnError, "no position columns"),
    (Table({"ra": [1.0, np.nan], "dec": [2.0, 3.0]}), InputError, "NaN position"),
    (Table({"ra": [361.0], "dec": [2.0]}), InputError, "out of range"),
    (Table({"ra": [1.0], "dec": [-91.0]}), InputError, "out of range"),
    (Table({"name": ["a", "a"], "ra": [1.0, 2.0], "dec": [2.0, 3.0]}), InputError, "not unique"),
])
def test_bad_tables_give_clear_errors(table, exc, match):
    with pytest.raises(exc, match=match):
        standardise_xray(table, source="my.fits")


@pytest.mark.parametrize("suffix", [".fits", ".vot", ".ecsv", ".csv", ".parquet"])
def test_every_format_round_trips(tmp_path, suffix):
    t = Table({"ra": [1.5, 2.5], "dec": [-1.0, 1.0], "name": ["a", "b"]})
    p = write_table(t, tmp_path / f"t{suffix}")
    back = read_table(p)
    assert np.allclose(back["ra"], t["ra"]) and list(back["name"]) == ["a", "b"]


def test_unreadable_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "nope.fits")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "bad.fits").write_bytes(b"not a fits file at all")
    with pytest.raises(InputError, match="cannot read"):
        read_table(tmp_path / "bad.fits")
    with pytest.raises(InputError, match="unknown output format"):
        write_table(Table({"a": [1]}), tmp_path / "x.unknown")
