"""Fuzzing the readers: whatever the bytes or the table, only xrbvo's own errors come out."""

from __future__ import annotations

import json
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


# -- the other readers: survey catalogues, labelled tables, model directories, marks files ------------------

@st.composite
def _catalogues(draw):
    n = draw(st.integers(0, 4))
    names = draw(st.lists(st.sampled_from(["ra", "dec", "source_id", "nid", "ra_error", "dec_error", "pos_err",
                                           "phot_g_mean_mag", "phot_g_n_obs", "phot_g_mean_flux_over_error",
                                           "var_G", "rgeo", "other"]), max_size=8, unique=True))
    return Table({name: draw(_column(n)) for name in names}) if names else Table()


def _column(n):
    floats = st.lists(st.floats(), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=float))
    ints = st.lists(st.integers(-2**62, 2**62), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.int64))
    text = st.lists(st.text(max_size=8), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=str))
    masked = st.tuples(st.lists(st.floats(-400, 400), min_size=n, max_size=n),
                       st.lists(st.booleans(), min_size=n, max_size=n)).map(
        lambda vm: MaskedColumn(np.array(vm[0], dtype=float), mask=vm[1]))
    mixed = st.lists(_values, min_size=n, max_size=n).map(lambda v: np.array(v or [], dtype=object))
    return st.one_of(floats, ints, text, masked, mixed)


@settings(max_examples=50, deadline=None)
@given(table=_catalogues(), survey=st.sampled_from(["gaia", "2mass", "catwise"]))
def test_random_survey_catalogues_give_only_xrbvo_errors(table, survey):
    from xrbvo.stages.neighbourhoods import standardise_catalogue

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NaN arithmetic of nonsense photometry is not the point
        warnings.simplefilter("ignore", XrbvoWarning)  # xrbvo's warnings (no id column, missing bands) are allowed
        try:
            c = standardise_catalogue(table, survey, source="fuzz")
        except XrbvoError:
            return
    assert c.colnames[:4] == ["nid", "ra", "dec", "pos_err"] and len(c) <= len(table)
    assert np.all((c["ra"] >= 0) & (c["ra"] < 360) & (np.abs(c["dec"]) <= 90))
    assert len(set(c["nid"])) == len(c)


_LABELLED_COLS = ["name", "ra", "dec", "Class", "Fcsc_s", "Fcsc_m", "Fcsc_h", "var_intra_prob", "var_inter_prob",
                  "Gmag", "RPlx", "PM", "epsi", "Jmag", "W1mag"]


@st.composite
def _labelled(draw):
    n = draw(st.integers(0, 4))
    names = draw(st.lists(st.sampled_from(_LABELLED_COLS), min_size=3, max_size=len(_LABELLED_COLS), unique=True))
    cols = {name: draw(_column(n)) for name in names}
    if "Class" in cols and draw(st.booleans()):
        cols["Class"] = np.array(draw(st.lists(st.sampled_from(["AGN", "LM-STAR", "HMXB", "", "QSO"]),
                                               min_size=n, max_size=n)), dtype=str)
    return Table(cols)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_labelled(), suffix=st.sampled_from([".csv", ".ecsv", ".fits"]))
def test_random_labelled_tables_give_only_xrbvo_errors(tmp_path, table, suffix):
    from xrbvo.stages.classify.labelled import csc_features, load_labelled

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            csc_features(table, source="fuzz")
        except XrbvoError:
            pass
        p = tmp_path / f"labelled{suffix}"
        try:
            table.write(p, overwrite=True)
        except Exception:  # a table the format cannot hold is not the reader's problem
            return
        try:
            ls = load_labelled(p)
        except XrbvoError:
            return
    assert len(ls.labels) == len(ls.features) <= len(table)


@pytest.fixture(scope="module")
def model_files(tmp_path_factory, small_model):
    from xrbvo.workflows import ModelBundle

    model, ts = small_model
    d = ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ts.reference_priors}).save(
        tmp_path_factory.mktemp("bundle") / "m")
    return {p.name: p.read_bytes() for p in d.iterdir()}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_model_directories_give_only_xrbvo_errors(tmp_path_factory, model_files, data):
    """Files dropped, truncated, mutated or replaced, the manifest rehashed or not: a ModelError, or a whole model."""
    import hashlib
    import json

    from xrbvo.workflows import ModelBundle

    d = tmp_path_factory.mktemp("damaged")
    files = dict(model_files)
    for name in data.draw(st.lists(st.sampled_from(sorted(files)), max_size=3, unique=True)):
        how = data.draw(st.sampled_from(["drop", "truncate", "mutate", "random", "json"]))
        content = files[name]
        if how == "drop":
            del files[name]
            continue
        if how == "truncate":
            content = content[:data.draw(st.integers(0, len(content)))]
        elif how == "mutate":
            buf = bytearray(content)
            for _ in range(data.draw(st.integers(1, 6))):
                buf[data.draw(st.integers(0, len(buf) - 1))] = data.draw(st.integers(0, 255))
            content = bytes(buf)
        elif how == "random":
            content = data.draw(st.binary(max_size=300))
        else:
            content = json.dumps(data.draw(st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                max_leaves=8))).encode()
        files[name] = content
    if "manifest.json" in files and data.draw(st.booleans()):  # a consistent forgery: hashes that match
        try:
            man = json.loads(files["manifest.json"])
            man["files"] = {k: hashlib.sha256(v).hexdigest() for k, v in files.items() if k != "manifest.json"}
            files["manifest.json"] = json.dumps(man).encode()
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            pass
    for name, content in files.items():
        (d / name).write_bytes(content)
    try:
        b = ModelBundle.load(d)
    except XrbvoError:
        return
    assert b.classes and b.source is not None


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(
    st.binary(max_size=400),
    st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=6),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                 max_leaves=10).map(lambda doc: json.dumps(doc).encode()),
    st.dictionaries(st.text(max_size=6), st.one_of(
        st.none(), st.text(max_size=4), st.dictionaries(st.sampled_from(["status", "note", "time"]),
                                                        st.one_of(st.none(), st.text(max_size=10), st.integers(),
                                                                  st.sampled_from(["candidate", "rejected"])))),
        max_size=3).map(lambda marks: json.dumps({"format": "xrbvo-marks", "version": 1, "marks": marks}).encode())))
def test_random_marks_files_give_only_xrbvo_errors(tmp_path, content):
    from xrbvo.tui.marks import STATUSES, MarkStore

    p = tmp_path / "cat.marks.json"
    p.write_bytes(content)
    try:
        store = MarkStore(p)
    except XrbvoError:
        return
    for xid, rec in store.items():
        assert isinstance(xid, str) and rec["status"] in STATUSES and isinstance(rec["note"], str)


_VOT_HEAD = (b'<?xml version="1.0"?><VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
             b'<RESOURCE type="results"><INFO name="QUERY_STATUS" value="OK"/><TABLE>'
             b'<FIELD name="ra" datatype="double"/><FIELD name="nid" datatype="char" arraysize="*"/>'
             b'<DATA><TABLEDATA><TR><TD>10.5</TD><TD>a</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>')


@settings(max_examples=80, deadline=None)
@given(data=st.one_of(st.binary(max_size=600),
                      st.tuples(st.integers(0, len(_VOT_HEAD)), st.binary(max_size=40)).map(
                          lambda cut: _VOT_HEAD[:cut[0]] + cut[1] + _VOT_HEAD[cut[0] + len(cut[1]):])))
def test_random_tap_answers_give_only_xrbvo_errors(data):
    """A TAP answer (the VOTable bytes a service sends back) that is random, cut or mutated: xrbvo's errors only."""
    from xrbvo.vo.tap import TapClient

    from pyvo.dal.exceptions import DALQueryError

    client = TapClient("http://127.0.0.1:9/tap")  # never contacted: only the answer's parser runs
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table, status = client._parse(data, "http://127.0.0.1:9/tap/sync")
    except XrbvoError:
        return
    except DALQueryError:  # a status other than OK/OVERFLOW: _parse's documented outcome, the callers report it
        return
    assert isinstance(status, str) and len(table) >= 0


# -- sexagesimal strings: the one position parser (xrbvo.core.positions) against an oracle ---------------------

@st.composite
def _sexagesimal(draw):
    """(kind, text, expected degrees or None when the text must be refused), from drawn fields and a spelling."""
    kind = draw(st.sampled_from(["ra", "dec"]))
    sign = draw(st.sampled_from(["", "+", "-", "\u2212"]))
    n = draw(st.integers(1, 3))
    style = draw(st.sampled_from(["colon", "space", "letters"])) if n > 1 else "letters"
    a, b = draw(st.integers(0, 400)), draw(st.integers(0, 99))
    c = f"{draw(st.integers(0, 9999)) / 100:.2f}"
    first = "d" if kind == "dec" else draw(st.sampled_from(["h", "h", "d", "°"]))
    if kind == "dec" and draw(st.integers(0, 9)) == 0:
        first = "h"  # a declination in hours: refused
    fields = [str(a), str(b), c][:n]
    if style == "colon":
        body = ":".join(fields)
    elif style == "space":
        body = " ".join(fields)
    else:
        body = "".join(f + m for f, m in zip(fields, [first, "m", "s"]))
    text = sign + body
    hours = kind == "ra" and (style != "letters" or first == "h")
    ok = not (kind == "dec" and style == "letters" and first == "h")
    minutes = b if n > 1 else 0
    seconds = float(c) if n > 2 else 0.0
    ok &= minutes < 60 or (minutes == 60 and n == 2)  # the last field may read 60 (a rounding carry)
    ok &= seconds <= 60
    value = float(a) + minutes / 60.0 + seconds / 3600.0
    negative = sign in ("-", "\u2212")
    if kind == "ra":
        ok &= not negative and (value < 24 and 15.0 * value < 360 if hours else value < 360)
        deg = 15.0 * value if hours else value
    else:
        deg = -value if negative else value
        ok &= -90 <= deg <= 90
    return kind, text, deg if ok else None


@settings(max_examples=300, deadline=None)
@given(case=_sexagesimal())
def test_sexagesimal_strings_match_the_oracle(case):
    from xrbvo.core.errors import InputError
    from xrbvo.core.positions import parse_angle

    kind, text, want = case
    if want is None:
        with pytest.raises(InputError):
            parse_angle(text, kind)
    else:
        assert parse_angle(text, kind) == pytest.approx(want, abs=1e-9), text


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=20), st.text(alphabet="0123456789:+-., hdms°′″'\"eE\u2212", max_size=16)),
       kind=st.sampled_from(["ra", "dec"]))
def test_any_position_text_gives_a_position_in_range_or_one_xrbvo_error(text, kind):
    from xrbvo.core.positions import parse_angle

    try:
        deg = parse_angle(text, kind)
    except XrbvoError as exc:
        assert "\n" not in str(exc)
        return
    assert np.isnan(deg) or (0 <= deg < 360 if kind == "ra" else -90 <= deg <= 90)


# -- Hard catalogues: the eRASS1 release join (xrbvo.io.erass1.select_release) -----------------------------------

_UIDS = [200_000_000_001, 200_000_000_002, 200_000_000_003]


def _link_column(n):
    ints = st.lists(st.sampled_from([0, *_UIDS, *(-u for u in _UIDS), 200_000_000_009]), min_size=n, max_size=n)
    return st.one_of(
        ints.map(lambda v: np.array(v, dtype=np.int64)),
        ints.map(lambda v: np.array(v, dtype=float)),
        st.lists(st.sampled_from([0.0, float(_UIDS[0]), np.nan, 1.5]), min_size=n, max_size=n).map(np.array),
        st.lists(st.sampled_from(["0", str(_UIDS[1]), "", "abc"]), min_size=n, max_size=n).map(
            lambda v: np.array(v, dtype=object)))


def _flux_column(n):
    return st.one_of(
        st.lists(st.sampled_from([1e-13, 0.0, -1e-13, np.inf, -np.inf, np.nan]), min_size=n, max_size=n).map(np.array),
        st.lists(st.sampled_from(["1e-13", "", "high"]), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=object)))


@st.composite
def _release(draw):
    n_main, n_hard = draw(st.integers(1, 5)), draw(st.integers(0, 4))
    main = Table({"IAUNAME": [f"S{i}" for i in range(n_main)], "RA": np.linspace(10, 11, n_main),
                  "DEC": np.full(n_main, -5.0), "POS_ERR": np.full(n_main, 2.0),
                  "ML_FLUX_1": np.full(n_main, 1e-13), "EXT_LIKE": np.zeros(n_main),
                  "DET_LIKE_0": draw(st.one_of(
                      st.just(np.full(n_main, 20.0)),
                      st.lists(st.sampled_from(["20", "3", "", "high"]), min_size=n_main, max_size=n_main).map(
                          lambda v: np.array(v, dtype=object)))),
                  "UID_Hard": draw(_link_column(n_main))})
    hard = Table({"UID": np.array(draw(st.lists(st.sampled_from(_UIDS), min_size=n_hard, max_size=n_hard)), np.int64),
                  "ML_FLUX_3": draw(_flux_column(n_hard)), "ML_FLUX_ERR_3": draw(_flux_column(n_hard))})
    if draw(st.booleans()):  # the Hard catalogue's link back to Main
        hard["UID_1B"] = np.zeros(n_hard, np.int64)
    return main, hard


@settings(max_examples=150, deadline=None)
@given(tables=_release(), swapped=st.booleans())
def test_random_hard_catalogues_give_only_xrbvo_errors(tables, swapped):
    from xrbvo.io.erass1 import select_release

    main, hard = tables
    if swapped:  # the Hard file given as the X-ray table
        main = Table(hard, copy=True)
        for c, v in (("RA", 10.0), ("DEC", -5.0), ("ML_FLUX_1", 1e-13), ("DET_LIKE_0", 20.0), ("EXT_LIKE", 0.0)):
            main[c] = np.full(len(hard), v)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XrbvoWarning)  # the counts are tested in test_erass1.py
        if swapped:
            with pytest.raises(XrbvoError, match="this is the eRASS1 Hard catalogue"):
                select_release(main, hard)
            return
        try:
            out, report = select_release(main, hard)
        except XrbvoError as exc:
            assert "\n" not in str(exc)
            return
    f = np.asarray(out["flux_hard"], float)
    assert np.all(np.isnan(f) | (np.isfinite(f) & (f >= 0)))  # never a negative or infinite hard flux
    assoc = np.asarray(out["hard_assoc"]).astype(str)
    assert np.isnan(f[assoc != "strong"]).all() and report.n_hard_strong == int((assoc == "strong").sum())
    assert len(set(np.asarray(hard["UID"]).tolist())) == len(hard)  # a repeated UID is refused, never joined
# -- known-objects tables (xrbvo.io.known, xrbvo.stages.known) ------------------------------------------------

@st.composite
def _known_tables(draw):
    n = draw(st.integers(0, 5))
    names = draw(st.lists(st.sampled_from(["name", "ra", "dec", "RA", "DEC", "pos_err", "known_class", "known_type",
                                           "otype", "Main_ID", "RAdeg", "DEdeg", "Status", "Bursts", "PosErr"]),
                          max_size=8, unique=True))
    cols = {}
    for name in names:
        kind = draw(st.sampled_from(["float", "text", "sexagesimal", "int", "masked", "masked-int", "mixed"]))
        if kind == "float":
            cols[name] = np.array(draw(st.lists(st.floats(), min_size=n, max_size=n)), dtype=float)
        elif kind == "int":
            cols[name] = np.array(draw(st.lists(st.integers(-2**40, 2**40), min_size=n, max_size=n)), dtype=np.int64)
        elif kind == "text":
            cols[name] = np.array(draw(st.lists(st.text(max_size=40), min_size=n, max_size=n)), dtype=str)
        elif kind == "sexagesimal":
            cols[name] = np.array(draw(st.lists(st.from_regex(r"-?\d{1,3}[: ]\d{1,2}[: ]\d{1,2}(\.\d{0,3})?",
                                                              fullmatch=True), min_size=n, max_size=n)), dtype=str)
        elif kind == "masked":
            vals = draw(st.lists(st.floats(-100, 400), min_size=n, max_size=n))
            cols[name] = MaskedColumn(np.array(vals, dtype=float),
                                      mask=draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        elif kind == "masked-int":  # an empty column as astropy reads it from a CSV
            cols[name] = MaskedColumn(np.zeros(n, dtype=np.int64), mask=np.ones(n, bool))
        else:
            cols[name] = np.array(draw(st.lists(_values, min_size=n, max_size=n)) or [], dtype=object)
    return Table(cols) if cols else Table()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_known_tables(), as_file=st.booleans())
def test_random_known_tables_give_only_xrbvo_errors(tmp_path, table, as_file):
    from xrbvo.io.known import KNOWN_COLUMNS, read_known

    source = table
    if as_file:
        source = tmp_path / "known.csv"
        try:
            table.write(source, overwrite=True)
        except Exception:  # noqa: BLE001 - a table astropy cannot write as CSV is not what this tests
            return
    try:
        k = read_known(source)
    except XrbvoError:
        return
    assert tuple(k.colnames) == KNOWN_COLUMNS and np.all(np.isfinite(k["ra"])) and np.all(np.isfinite(k["dec"]))
    assert k["name"].dtype.kind == "U" and k["known_type"].dtype.kind == "U"


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_random_known_objects_are_matched_one_to_one(data):
    """Whatever the positions and errors: a known object is the unique match of at most one source, a probability
    is in [0, 1], ``new`` is exactly "not a unique match", and the summary lists each object once."""
    from xrbvo.io.known import read_known
    from xrbvo.stages.known import known_summary, match_known

    n_src, n_kn = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 8))
    off = st.floats(-0.05, 0.05)  # degrees around (200, -60): everything within a few arcmin of everything
    src = Table({"xid": [f"X{i}" for i in range(n_src)],
                 "ra": 200 + np.array(data.draw(st.lists(off, min_size=n_src, max_size=n_src))),
                 "dec": -60 + np.array(data.draw(st.lists(off, min_size=n_src, max_size=n_src))),
                 "pos_err": data.draw(st.lists(st.floats(0.1, 300), min_size=n_src, max_size=n_src)),
                 "coverage": np.ones(n_src, bool),
                 "candidate_class": data.draw(st.lists(st.sampled_from(["", "HMXB", "LMXB"]), min_size=n_src,
                                                       max_size=n_src))})
    for c in ("HMXB", "LMXB"):
        src[f"P_{c}"] = np.full(n_src, 0.5)
    kn = read_known(Table({"name": [f"K{i}" for i in range(n_kn)],
                           "ra": 200 + np.array(data.draw(st.lists(off, min_size=n_kn, max_size=n_kn))),
                           "dec": -60 + np.array(data.draw(st.lists(off, min_size=n_kn, max_size=n_kn))),
                           "pos_err": data.draw(st.lists(st.one_of(st.floats(0.01, 2000), st.just(float("nan"))),
                                                         min_size=n_kn, max_size=n_kn)),
                           "class": data.draw(st.lists(st.sampled_from(["HMXB", "LMXB", ""]), min_size=n_kn,
                                                       max_size=n_kn))}))
    match_known(src, [kn, kn[:1]])
    unique = np.asarray(src["known_match"]) == "unique"
    names = list(np.asarray(src["known_name"])[unique])
    assert len(names) == len(set(names))
    p = np.asarray(src["known_prob"], float)
    hit = np.asarray(src["known_match"]) != ""
    assert np.all((p[hit] >= 0) & (p[hit] <= 1)) and np.all(np.isnan(p[~hit]))
    assert np.array_equal(np.asarray(src["new"], bool), ~unique)
    s = known_summary(src, [kn, kn[:1]])
    assert len({m.name for m in s.missed}) == len(s.missed)
