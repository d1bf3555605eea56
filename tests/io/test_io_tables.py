import warnings

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table

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
    t = Table({"ra": [10.0, 20.0], "dec": [-5.0, 5.0], "flux_soft": [1e-13, 2e-13]})
    with pytest.warns(XrbvoWarning, match=r"my\.csv: no identifier column .* named X0000000 to X0000001 in the "
                                          r"input's row order"), \
         pytest.warns(XrbvoWarning, match=r"my\.csv: no positional-error column .* default 1-sigma error of 4 arcsec"), \
         pytest.warns(XrbvoWarning, match=r"my\.csv: no hard-band \(2\.3-5 keV\) flux .* hardness ratio hr will be "
                                          r"missing"):
        x = standardise_xray(t, source="my.csv")
    assert list(x["xid"]) == ["X0000000", "X0000001"]
    assert np.all(x["pos_err"] == 4.0)  # the eRASS1 default when no error column is present
    t = Table({"ra": [10.0, 20.0], "dec": [-5.0, 5.0], "pos_err": [1.0, 2.0], "xid": ["a", "b"]})
    with pytest.warns(XrbvoWarning, match=r"my\.csv: no soft-band flux column"), \
         pytest.warns(XrbvoWarning, match=r"no hard-band"):
        x = standardise_xray(t, source="my.csv")
    assert np.all(np.isnan(x["flux_soft"]))


def test_missing_positional_errors_are_filled_and_counted():
    t = Table({"xid": ["a", "b", "c"], "ra": [10.0, 20.0, 30.0], "dec": [0.0, 1.0, 2.0], "POS_ERR": [2.5, np.nan, 0.0],
               "ML_FLUX_1": [1e-13, 2e-13, 3e-13], "flux_hard": [1e-13, 1e-13, 1e-13]})
    with pytest.warns(XrbvoWarning, match=r"2 row\(s\) have a missing or non-positive positional error in column "
                                          r"'POS_ERR'"):
        x = standardise_xray(t)
    assert list(x["pos_err"]) == [2.5, 4.0, 4.0]


def test_missing_soft_flux_warns():
    t = Table({"xid": ["a"], "ra": [10.0], "dec": [0.0], "POS_ERR": [2.0], "flux_hard": [1e-13]})
    with pytest.warns(XrbvoWarning, match=r"no soft-band flux column \(looked for flux_soft/ML_FLUX_1/"):
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


UNICODE_IDS = ["✓中文", "J1745-2900 é", "ASCII-only", "𝒳-ray ☃"]


@pytest.mark.parametrize("suffix", [".fits", ".fits.gz", ".vot", ".ecsv", ".csv", ".parquet"])
def test_unicode_ids_are_carried_unchanged(tmp_path, suffix):
    t = Table({"name": UNICODE_IDS, "ra": [1.0, 2.0, 3.0, 4.0], "dec": [0.0, 1.0, 2.0, 3.0],
               "POS_ERR": [1.0] * 4, "ML_FLUX_1": [1e-13] * 4, "flux_hard": [1e-13] * 4})
    back = read_table(write_table(t, tmp_path / f"t{suffix}"))
    assert [str(v) for v in back["name"]] == UNICODE_IDS
    x = standardise_xray(back, source=f"t{suffix}")
    assert x["xid"].tolist() == UNICODE_IDS and x["xid"].dtype.kind == "U"
    again = read_table(write_table(x, tmp_path / f"x{suffix}"))
    assert [str(v) for v in again["xid"]] == UNICODE_IDS


def test_fits_keeps_ascii_text_as_bytes_and_other_bytes_alone(tmp_path):
    p = tmp_path / "t.fits"
    Table({"a": np.array([b"abc", b"\xe9t\xe9"]), "b": ["x", "y"]}).write(p)  # Latin-1, not UTF-8
    back = read_table(p)
    assert back["a"].dtype.kind == "S" and bytes(np.asarray(back["a"])[1]) == b"\xe9t\xe9"
    assert back["b"].dtype.kind == "S"


def test_variable_length_text_goes_to_fits(tmp_path):
    """A TAP answer's char arraysize="*" columns arrive as Python objects; FITS gets fixed-width text."""
    names = np.array(["J0001+0002", None, "J1234-5678x", "ü-name"], dtype=object)
    t = Table({"id": MaskedColumn(names, mask=[False, False, True, False]), "x": [1.0, 2.0, 3.0, 4.0]})
    t["id"].description = "an identifier"
    back = read_table(write_table(t, tmp_path / "t.fits"))
    got = [None if m else str(v) for v, m in zip(np.asarray(back["id"]).tolist(), np.ma.getmaskarray(back["id"]))]
    assert got[0] == "J0001+0002" and got[3] == "ü-name"
    assert got[2] in (None, "") and got[1] in (None, "")
    assert back["id"].description == "an identifier"


def test_ids_are_limited_in_length_and_present(tmp_path):
    from xrbvo.io import MAX_ID_LENGTH

    ok = "J" * MAX_ID_LENGTH
    x = standardise_xray(Table({"name": [ok, "b"], "ra": [1.0, 2.0], "dec": [0.0, 0.0], "POS_ERR": [1.0, 1.0],
                                "ML_FLUX_1": [1e-13, 1e-13], "flux_hard": [1e-13, 1e-13]}))
    assert x["xid"].dtype.itemsize // 4 == MAX_ID_LENGTH  # as wide as the longest id, no wider
    long_ = Table({"name": ["a", "b" * (MAX_ID_LENGTH + 1)], "ra": [1.0, np.nan], "dec": [0.0, 0.0]})
    with pytest.raises(InputError) as err:
        standardise_xray(long_, source="my.fits")  # refused before the NaN position is even looked at
    text = str(err.value)
    assert "my.fits" in text and "row 1" in text and f"at most {MAX_ID_LENGTH}" in text and "\n" not in text
    missing = Table({"name": MaskedColumn(["a", "b"], mask=[False, True]), "ra": [1.0, 2.0], "dec": [0.0, 0.0]})
    with pytest.raises(InputError, match=r"row 1 has no identifier in column 'name'"):
        standardise_xray(missing)


def test_parquet_is_read_and_written_without_pandas(tmp_path):
    """With pandas unimportable (as where it is not installed), xrbvo's Parquet still round-trips."""
    import os
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    hidden = tmp_path / "hide" / "pandas"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('pandas is hidden by this test')\n")
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        from astropy.table import MaskedColumn, Table
        from xrbvo.io import read_table, write_table
        try:
            import pandas
        except ImportError as exc:
            print("no pandas:", exc)
        p = {str(tmp_path / "t.parquet")!r}
        t = Table({{"xid": ["✓中文", "b"], "ra": [1.5, 2.5],
                   "flux": MaskedColumn([1e-13, 0.0], mask=[False, True]),
                   "n": MaskedColumn([3, 0], mask=[False, True])}})
        t["ra"].unit = "deg"
        t["ra"].description = "Right ascension"
        t.meta["survey"] = "erass1"
        import astropy.io.misc.parquet as astropy_parquet
        astropy_parquet.HAS_PANDAS = False  # what astropy finds where pandas is not installed
        write_table(t, p)
        try:
            Table.read(p, format="parquet")
        except ModuleNotFoundError as exc:
            print("astropy's reader:", exc)
        back = read_table(p)
        assert back["xid"].tolist() == ["✓中文", "b"], back["xid"]
        assert str(back["ra"].unit) == "deg" and back["ra"].description == "Right ascension"
        assert back.meta["survey"] == "erass1"
        assert back["flux"].mask.tolist() == [False, True] and back["flux"][0] == 1e-13
        assert back["n"].mask.tolist() == [False, True] and back["n"].dtype.kind == "i"
        print("pandas" in sys.modules)
    """)
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(hidden.parent), str(root)]))
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert "no pandas: pandas is hidden by this test" in r.stdout
    assert "astropy's reader: pandas is required" in r.stdout  # so read_table did not go through it
    assert r.stdout.strip().endswith("False")


def test_parquet_written_by_astropy_is_read(tmp_path):
    t = Table({"ra": MaskedColumn([1.0, 2.0], mask=[False, True], unit="deg"), "name": ["a", "b"]})
    t.write(tmp_path / "a.parquet")
    back = read_table(tmp_path / "a.parquet")
    assert back["ra"].mask.tolist() == [False, True] and str(back["ra"].unit) == "deg"
    assert back["name"].tolist() == ["a", "b"]
