"""Fuzzing the readers: whatever the bytes or the table, only xrbvo's own errors come out."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xrbvo.core.errors import XrbvoError, XrbvoWarning
from xrbvo.io import read_table, standardise_xray, write_table

SUFFIXES = [".fits", ".vot", ".csv", ".ecsv", ".parquet"]


def _valid_bytes(suffix: str, tmp_path) -> bytes:
    t = Table({"name": ["a", "✓中文"], "ra": [1.0, 2.0], "dec": [-1.0, 1.0]})
    return write_table(t, tmp_path / f"seed{suffix}").read_bytes()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    d = tmp_path_factory.mktemp("seeds")
    return {s: _valid_bytes(s, d) for s in SUFFIXES}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from(SUFFIXES), data=st.data())
def test_random_bytes_give_only_xrbvo_errors(tmp_path, seeds, suffix, data):
    seed = seeds[suffix]
    how = data.draw(st.sampled_from(["random", "truncated", "mutated"]))
    if how == "random":
        content = data.draw(st.binary(max_size=3000))
    elif how == "truncated":
        content = seed[:data.draw(st.integers(0, len(seed)))]
    else:
        buf = bytearray(seed)
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(buf) - 1))
            buf[i] = data.draw(st.integers(0, 255))
        content = bytes(buf)
    p = tmp_path / f"fuzz{suffix}"
    p.write_bytes(content)
    try:
        t = read_table(p)
    except XrbvoError:
        return
    assert isinstance(t, Table) and len(t) > 0


_values = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
                    st.text(max_size=6), st.booleans())


@st.composite
def _tables(draw):
    n = draw(st.integers(0, 4))
    names = draw(st.lists(st.sampled_from(["ra", "dec", "RA", "DEC", "name", "xid", "IAUNAME", "POS_ERR", "pos_err",
                                           "ML_FLUX_1", "flux_soft", "other"]), max_size=7, unique=True))
    cols = {}
    for name in names:
        kind = draw(st.sampled_from(["float", "text", "int", "masked", "mixed", "bytes"]))
        if kind == "float":
            cols[name] = np.array(draw(st.lists(st.floats(), min_size=n, max_size=n)), dtype=float)
        elif kind == "int":
            cols[name] = np.array(draw(st.lists(st.integers(-2**62, 2**62), min_size=n, max_size=n)), dtype=np.int64)
        elif kind == "text":
            cols[name] = np.array(draw(st.lists(st.text(max_size=300), min_size=n, max_size=n)), dtype=str)
        elif kind == "bytes":
            cols[name] = np.array(draw(st.lists(st.binary(max_size=8), min_size=n, max_size=n)), dtype=bytes)
        elif kind == "masked":
            vals = draw(st.lists(st.floats(-100, 400), min_size=n, max_size=n))
            mask = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            cols[name] = MaskedColumn(np.array(vals, dtype=float), mask=mask)
        else:
            cols[name] = np.array(draw(st.lists(_values, min_size=n, max_size=n)) or [], dtype=object)
    return Table(cols) if cols else Table()


@settings(max_examples=100, deadline=None)
@given(table=_tables(), survey=st.sampled_from(["erass1", "gaia"]))
def test_random_tables_give_only_xrbvo_errors(table, survey):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XrbvoWarning)  # the warnings are tested elsewhere; other warnings stay errors
        try:
            x = standardise_xray(table, survey)
        except XrbvoError:
            return
    assert x.colnames[:4] == ["xid", "ra", "dec", "pos_err"] and len(x) == len(table)
    assert np.all(np.isfinite(x["ra"])) and x["xid"].dtype.kind == "U"
