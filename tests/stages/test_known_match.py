"""Known or new by probability, one to one (xrbvo.stages.known), and the known-objects surfaces a careless or hostile
user reaches: huge errors, duplicates across catalogues, empty columns, huge tables, slow services, credentials."""

from __future__ import annotations

import http.server
import threading
import time

import numpy as np
import pytest
from astropy.table import Table

from _mldata import DATA, need
from xrbvo.cli import main
from xrbvo.core.errors import InputError, ServiceError
from xrbvo.core.schema import CLASSES
from xrbvo.io.known import read_known
from xrbvo.stages.known import known_summary, match_known

HMXB_CAT = DATA / "catalogs" / "hmxbwebcat_fortin2023.csv"


def _catalogue(ra, dec, pos_err, cand=None):
    n = len(ra)
    t = Table({"xid": [f"X{i}" for i in range(n)], "ra": np.asarray(ra, float), "dec": np.asarray(dec, float),
               "pos_err": np.asarray(pos_err, float), "coverage": np.ones(n, bool),
               "candidate_class": np.asarray(cand if cand is not None else [""] * n, "<U8")})
    for c in CLASSES:
        t[f"P_{c}"] = np.full(n, 0.1)
    return t


def _offset(ra, dec, north_arcsec, east_arcsec=0.0):
    return ra + east_arcsec / 3600 / np.cos(np.radians(dec)), dec + north_arcsec / 3600


def test_igr_j12341_is_shared_by_two_unrelated_sources_not_given_to_both():
    """Issue 25 item 3: a 4' HMXB position made two sources 414" and 466" away both "IGR J12341-6143, not new"."""
    from xrbvo.workflows.report import known_marks

    hm = read_known(need(HMXB_CAT))
    igr = hm[hm["name"] == "IGR J12341-6143"][0]
    assert igr["pos_err"] > 200
    rng = np.random.default_rng(3)
    ra1, de1 = _offset(igr["ra"], igr["dec"], 414.0)
    ra2, de2 = _offset(igr["ra"], igr["dec"], -200.0, 420.0)  # 466" away
    bg_ra = igr["ra"] + rng.uniform(-1, 1, 200) / np.cos(np.radians(igr["dec"]))
    bg_de = igr["dec"] + rng.uniform(-1, 1, 200)
    far = np.hypot((bg_ra - igr["ra"]) * np.cos(np.radians(igr["dec"])), bg_de - igr["dec"]) * 3600 > 800
    cat = _catalogue(np.r_[ra1, ra2, bg_ra[far]], np.r_[de1, de2, bg_de[far]], np.full(2 + far.sum(), 5.0))
    match_known(cat, [hm])
    assert list(cat["known_match"][:2]) == ["ambiguous", "ambiguous"]
    assert list(cat["known_name"][:2]) == ["IGR J12341-6143"] * 2 and list(cat["new"][:2]) == [True, True]
    p = np.asarray(cat["known_prob"][:2], float)
    assert np.all((p > 0) & (p < 0.9)) and p.sum() <= 1 and p[0] > p[1]  # the nearer one more probable
    assert cat["known_sep"][0] == pytest.approx(414.0, abs=0.5)
    s = known_summary(cat, [hm])
    assert [m.name for m in s.missed].count("IGR J12341-6143") == 1
    m = next(m for m in s.missed if m.name == "IGR J12341-6143")
    assert (m.ra, m.dec) == (pytest.approx(igr["ra"]), pytest.approx(igr["dec"]))  # its own position
    marks = [k for k in known_marks(s) if k.name == "IGR J12341-6143"]
    assert len(marks) == 1 and marks[0].radius_arcsec > 600  # drawn once, with its error circle


def test_a_precise_object_is_the_unique_match_of_its_source_and_never_of_two():
    cat = _catalogue([100.0, 100.0, 100.0], [-30.0, -30.0 + 2 / 3600, -30.0 + 4 / 3600], [3.0, 3.0, 30.0])
    known = read_known(Table({"name": ["A"], "ra": [100.0], "dec": [-30.0 + 1 / 3600], "pos_err": [0.1]}),
                       cls="HMXB")
    match_known(cat, [known])
    assert list(cat["known_match"]).count("unique") <= 1
    assert np.nansum(np.asarray(cat["known_prob"], float)) <= 1 + 1e-12
    alone = _catalogue([100.0], [-30.0 + 2 / 3600], [3.0])
    match_known(alone, [known])
    assert alone["known_match"][0] == "unique" and not alone["new"][0] and alone["known_prob"][0] > 0.9


def test_one_known_row_with_a_huge_error_sets_no_other_source_radius():
    """Issue 26 item 1: one row at pos_err = 3e4" made every source's radius 25 deg; a new LMXB became "known (CV)"."""
    rng = np.random.default_rng(1)
    n = 3000
    ra, dec = rng.uniform(100, 110, n), rng.uniform(-35, -25, n)
    err = np.full(n, 1.0)
    err[7] = 3e4
    known = read_known(Table({"name": [f"CV{i}" for i in range(n)], "ra": ra, "dec": dec, "pos_err": err}), cls="CV")
    src_ra, src_dec = rng.uniform(100, 110, 400), rng.uniform(-35, -25, 400)
    src_ra[0], src_dec[0] = ra[3], dec[3] + 1 / 3600  # at a catalogued CV
    src_ra[1], src_dec[1] = 120.0, -30.0  # two degrees from every CV but the poorly localised one
    cat = _catalogue(src_ra, src_dec, np.full(400, 5.0), cand=["", "LMXB"] + [""] * 398)
    match_known(cat, [known])
    assert cat["known_name"][1] == "" and cat["new"][1]
    assert cat["known_name"][0] == "CV3" and cat["known_match"][0] == "unique"
    assert cat.meta["KNOWNBIG"] == 1
    from xrbvo.stages.known import match_objects

    m = match_objects(cat, [known])
    assert len(m.source) < 50  # pairs follow the objects' own radii, not the largest error


def test_the_same_object_in_two_catalogues_or_repeated_is_one_object():
    """Issue 26 item 9: two names in two catalogues made a detected HMXB "not detected"; 50 duplicate rows were listed
    50 times."""
    cat = _catalogue([100.0, 100.5, 100.2], [-30.0, -30.0, -30.3], [2.0] * 3)
    one = read_known(Table({"name": ["4U 1223-62"], "ra": [100.0], "dec": [-30.0], "pos_err": [0.5]}), cls="HMXB")
    two = read_known(Table({"name": ["GX 301-2"], "ra": [100.0 + 0.3 / 3600], "dec": [-30.0]}), cls="HMXB")
    dup = read_known(Table({"name": ["X-1"] * 50, "ra": [100.3] * 50, "dec": [-30.2] * 50}), cls="LMXB")
    match_known(cat, [one, two, dup])
    assert cat["known_name"][0] == "4U 1223-62 = GX 301-2" and cat["known_match"][0] == "unique"
    assert cat.meta["KNOWNMRG"] == 50
    s = known_summary(cat, [one, two, dup])
    got = [(m.name, m.reason) for m in s.missed]
    assert sorted(got) == [("4U 1223-62 = GX 301-2", "below the cut"), ("X-1", "not detected")]


def test_a_known_csv_with_an_empty_type_column_reads(tmp_path):
    """Issue 26 item 14: an empty known_type column is read as masked integers ("Cannot convert fill_value nan")."""
    f = tmp_path / "known.csv"
    f.write_text("name,ra,dec,pos_err,known_class,known_type\nA,10.0,-60.0,1.0,HMXB,\nB,11.0,-60.0,,LMXB,\n")
    t = read_known(f)
    assert list(t["known_type"]) == ["", ""] and list(t["known_class"]) == ["HMXB", "LMXB"]


def test_a_known_table_over_the_row_cap_is_one_line():
    t = Table({"name": [f"S{i}" for i in range(11)], "ra": np.linspace(1, 2, 11), "dec": np.zeros(11)})
    with pytest.raises(InputError, match="more than the 10 a catalogue of known objects may have"):
        read_known(t, max_rows=10)


# ---------------------------------------------------------------------------------------------
# a local TAP-like server: real sockets, bounded loops

_VOTABLE = ('<?xml version="1.0"?><VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
            '<RESOURCE type="results"><INFO name="QUERY_STATUS" value="OK"/><TABLE>'
            '<FIELD name="name" datatype="char" arraysize="*"/><FIELD name="ra" datatype="double"/>'
            '<FIELD name="dec" datatype="double"/><DATA><TABLEDATA>'
            '<TR><TD>A</TD><TD>10</TD><TD>-60</TD></TR><TR><TD>B</TD><TD>11</TD><TD>-60</TD></TR>'
            '</TABLEDATA></DATA></TABLE>{after}</RESOURCE></VOTABLE>')


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length", 0) or 0)
        if length:
            self.rfile.read(length)
        mode, stop = self.server.mode, self.server.stop
        try:
            if mode == "silent":  # never answers
                for _ in range(100):
                    if stop.wait(0.1):
                        return
                return
            if mode == "trickle":  # a 200 and then a byte every 0.1 s
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.end_headers()
                for _ in range(100):
                    if stop.wait(0.1):
                        return
                    self.wfile.write(b" ")
                    self.wfile.flush()
                return
            body = _VOTABLE.format(after='<INFO name="QUERY_STATUS" value="OVERFLOW"/>' if mode == "overflow"
                                   else "").encode()
            self.server.seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = _answer


@pytest.fixture
def tap_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.mode, server.stop, server.seen = "ok", threading.Event(), []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def _url(server, auth=""):
    return f"http://{auth}127.0.0.1:{server.server_address[1]}/tap"


@pytest.mark.parametrize("mode", ["trickle", "silent"])
def test_a_trickling_or_silent_known_service_ends_within_the_timeout(tap_server, mode):
    """Issue 26 item 4: a server trickling a byte every 2 s held --known URL:TABLE for ever."""
    from xrbvo.vo.known import fetch_known, parse_known_service
    from xrbvo.vo.tap import TapClient

    tap_server.mode = mode
    service = parse_known_service(_url(tap_server) + ":known.table")
    with TapClient(service.url, cache=False, retries=1, backoff_s=0.05) as client:
        start = time.monotonic()
        with pytest.raises(ServiceError, match="did not deliver the table within 1 s"):
            fetch_known(service, client=client, timeout_s=1.0)
        assert time.monotonic() - start < 9  # the server would go on for 10 s


def test_run_with_local_files_takes_timeout_for_a_known_service(tap_server, tmp_path, capsys):
    """Issue 26 item 4: `run --provider local` refused --timeout, so --known SERVICE:TABLE had no bound."""
    from argparse import Namespace

    from xrbvo.cli.common import known_from_args

    tap_server.mode = "trickle"
    xr = tmp_path / "x.csv"
    Table({"ra": [10.0], "dec": [-60.0], "pos_err": [2.0], "flux_soft": [1e-13]}).write(xr)
    service = _url(tap_server) + ":known.table"
    rc = main(["-q", "run", str(xr), "--model", str(tmp_path / "nomodel"), "--catalog", f"gaia={xr}",
               "--known", service, "--timeout", "1", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "--timeout" not in err and "--cache" not in err  # taken (the missing model stops it)
    args = Namespace(known=[service], known_class=None, timeout=1.0, cache=tmp_path / "c")
    with pytest.raises(ServiceError, match="within 1 s"):
        known_from_args(args)


def test_a_known_service_table_over_the_cap_and_credentials_are_handled(tap_server):
    """Issue 26 "Also": a 1,000,000-row table from TAP was accepted; a password in a --known URL reached every
    output header."""
    from xrbvo.vo.known import fetch_known, parse_known_service
    from xrbvo.vo.tap import TapClient

    service = parse_known_service(_url(tap_server, "me:s3cret@") + ":known.table")
    with TapClient(service.url, cache=False) as client:
        t = fetch_known(service, client=client, timeout_s=30)
    assert list(t["name"]) == ["A", "B"]
    assert "s3cret" not in t.meta["SOURCE"] and "127.0.0.1" in t.meta["SOURCE"]
    cat = _catalogue([10.0], [-60.0], [2.0])
    match_known(cat, [t])
    assert "s3cret" not in cat.meta["KNOWN"]
    tap_server.mode = "overflow"
    with TapClient(service.url, cache=False) as client:
        with pytest.raises(InputError, match="a catalogue of known objects may have") as exc:
            fetch_known(service, client=client, timeout_s=30, max_rows=1)
    assert "s3cret" not in str(exc.value)


# ---------------------------------------------------------------------------------------------
# the report: possibly known candidates listed apart, known objects drawn once with bounded labels

def test_the_sky_map_names_a_bounded_number_of_known_objects(tmp_path):
    """Issue 26 "Also": 20,000 undetected known XRBs drew 20,000 labels (39 s)."""
    from xrbvo.io.plots import KnownMark, labelled_marks, sky_map

    rng = np.random.default_rng(0)
    marks = [KnownMark(f"U{i}", float(l), float(b), float("nan"), "not detected")
             for i, (l, b) in enumerate(zip(rng.uniform(299, 301, 3000), rng.uniform(-1, 1, 3000)))]
    marks.append(KnownMark("big", 300.0, 0.0, 1800.0, "not a candidate"))
    marks.append(KnownMark("cand", 300.2, 0.1, 2.0, "known candidate"))
    chosen = labelled_marks(marks, 40)
    assert len(chosen) == 40 and [marks[i].name for i in chosen[:2]] == ["cand", "big"]
    cat = Table({"l": [299.5, 300.5], "b": [0.0, 0.5], "candidate_class": ["HMXB", ""], "new": [True, True]})
    png = sky_map(cat, tmp_path / "sky.png", known=marks)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_possibly_known_candidates_are_listed_apart_in_the_index():
    from html.parser import HTMLParser

    from xrbvo.io.report import index_html
    from xrbvo.workflows.report import possibly_known_rows

    hm = Table({"name": ["P"], "ra": [200.0], "dec": [-60.0], "pos_err": [200.0]})
    cat = _catalogue([200.0, 200.0, 201.0], [-60.0 + 300 / 3600, -60.0 - 320 / 3600, -60.0], [5.0] * 3,
                     cand=["HMXB", "", "LMXB"])
    match_known(cat, [read_known(hm, cls="HMXB")])
    assert list(cat["known_match"]) == ["ambiguous", "ambiguous", ""]
    rows = possibly_known_rows(cat, [0, 2])
    assert [r["xid"] for r in rows] == ["X0"] and rows[0]["known_name"] == "P"
    text = index_html([], title="t", possibly=rows)

    class _Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids, self.cells, self._id = [], [], None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self._id = dict(attrs).get("id")
                self.ids.append(self._id)

        def handle_data(self, data):
            if self._id == "possibly-known" and data.strip():
                self.cells.append(data.strip())

    parser = _Rows()
    parser.feed(text)
    assert "possibly-known" in parser.ids and "X0" in parser.cells and "P" in parser.cells


def test_bad_known_errors_are_counted_for_the_stated_fallback():
    """Issue 25 "Bad input": NaN, zero or negative errors are matched as if not given, and counted to say so."""
    t = read_known(Table({"name": list("ABCD"), "ra": [1.0, 2.0, 3.0, 4.0], "dec": [0.0] * 4,
                          "pos_err": [1.0, 0.0, -2.0, np.nan]}))
    assert t.meta["NBADERR"] == 3 and np.isnan(t["pos_err"][1:]).all()
    assert read_known(t).meta["NBADERR"] == 3  # read again (several --known stacked): counted once


def test_a_finished_catalogue_alone_lists_each_missed_xrb_once():
    """`xrbvo report` on a catalogue read back has no known tables: the known_* columns give the missed XRBs."""
    hm = Table({"name": ["P"], "ra": [200.0], "dec": [-60.0], "pos_err": [200.0]})
    cat = _catalogue([200.0, 200.0], [-60.0 + 300 / 3600, -60.0 - 320 / 3600], [5.0] * 2)
    match_known(cat, [read_known(hm, cls="HMXB")])
    s = known_summary(cat)
    assert [(m.name, m.xid, m.reason) for m in s.missed] == [("P", "X0", "below the cut")]
