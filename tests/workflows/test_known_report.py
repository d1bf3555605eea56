"""Known or new (xrbvo.io.known, xrbvo.stages.known) and the report of a run (xrbvo.workflows.report)."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest
from astropy.table import Table

from _mldata import DATA, need
from xrbvo.cli import main
from xrbvo.core.errors import InputError, MissingColumnError
from xrbvo.core.schema import CLASSES
from xrbvo.io.known import read_known
from xrbvo.io.plots import galactic_longitudes
from xrbvo.stages.known import K99, known_summary, match_known, match_radius_arcsec

HMXB_CAT = DATA / "catalogs" / "hmxbwebcat_fortin2023.csv"
CV_CAT = DATA / "catalogs" / "open_cv_catalog.csv"


def _catalogue(ra, dec, pos_err, cand=None, p_hmxb=None):
    n = len(ra)
    t = Table({"xid": [f"X{i}" for i in range(n)], "ra": np.asarray(ra, float), "dec": np.asarray(dec, float),
               "pos_err": np.asarray(pos_err, float), "coverage": np.ones(n, bool),
               "candidate_class": np.asarray(cand if cand is not None else [""] * n, "<U8")})
    for c in CLASSES:
        t[f"P_{c}"] = np.asarray(p_hmxb if (c == "HMXB" and p_hmxb is not None) else np.zeros(n), float)
    return t


def test_a_source_at_a_catalogued_hmxb_is_known_and_one_far_away_is_new():
    known = read_known(need(HMXB_CAT))
    row = known[known["name"] == "GX 301-2"][0]
    # 2 arcsec north of GX 301-2 with a 1.5 arcsec error: inside 3.035 * 1.5 = 4.6 < the 5 arcsec floor
    cat = _catalogue([row["ra"], row["ra"], 10.0], [row["dec"] + 2 / 3600, row["dec"] + 30 / 3600, -80.0],
                     [1.5, 1.5, 1.5], cand=["HMXB", "", "HMXB"], p_hmxb=[0.9, 0.1, 0.8])
    match_known(cat, [known])
    assert list(cat["known_name"]) == ["GX 301-2", "", ""]
    assert list(cat["known_class"]) == ["HMXB", "", ""]
    assert cat["known_sep"][0] == pytest.approx(2.0, abs=0.01) and np.isnan(cat["known_sep"][1:]).all()
    assert list(cat["new"]) == [False, True, True]
    s = known_summary(cat, [known])
    assert s.counts["HMXB"]["known"] == 1 and s.counts["HMXB"]["new"] == 1
    assert s.counts["LMXB"] == {"known": 0, "possibly_known": 0, "new": 0, "known_as": {}}


def test_radius_is_the_99_percent_circle_of_both_errors_with_a_floor_and_the_nearest_wins():
    assert K99 == pytest.approx(3.0349, abs=1e-4)  # sqrt(-2 ln 0.01)
    assert match_radius_arcsec(4.0, 3.0) == pytest.approx(5 * K99)
    assert match_radius_arcsec(0.5) == 5.0 and match_radius_arcsec(np.nan) == 5.0
    cat = _catalogue([100.0], [-30.0], [4.0])
    near, far, beyond = 6.0, 9.0, 12.5  # arcsec north; radius 3.035 * 4 = 12.1 arcsec
    known = read_known(Table({"name": ["far", "near", "beyond"], "ra": [100.0] * 3,
                              "dec": [-30 + far / 3600, -30 + near / 3600, -30 + beyond / 3600]}), cls="LMXB")
    match_known(cat, [known])
    assert cat["known_name"][0] == "near" and cat["known_class"][0] == "LMXB" and not cat["new"][0]
    match_known(cat, [known[known["name"] == "beyond"]])
    assert cat["new"][0]


def test_summary_lists_known_xrbs_that_are_not_candidates():
    cat = _catalogue([100.0, 100.1, 100.2], [-30.0, -30.0, -30.0], [2.0] * 3, cand=["HMXB", "", "LMXB"],
                     p_hmxb=[0.9, 0.05, 0.3])
    known = read_known(Table({"name": ["A", "B", "C", "D"], "ra": [100.0, 100.1, 100.2, 100.15],
                              "dec": [-30.0, -30.0, -30.0, -30.01], "class": ["HMXB", "HMXB", "HMXB", "LMXB"]}))
    match_known(cat, [known])
    s = known_summary(cat, [known])
    assert s.counts["HMXB"]["known"] == 1 and s.counts["LMXB"]["known_as"] == {"HMXB": 1}
    got = {m.name: (m.xid, m.reason) for m in s.missed}
    assert got == {"B": ("X1", "below the cut"), "C": ("X2", "candidate as LMXB"), "D": ("", "not detected")}


def test_sexagesimal_positions_and_the_shared_layouts_parse():
    t = read_known(Table({"Name": ["Sgr A*", "south"], "RA": ["17:45:40.04", "00 00 01.5"],
                          "DEC": ["-29:00:28.2", "-00:30:00"], "OTYPE": ["LXB", "QSO"]}))
    assert t["ra"][0] == pytest.approx(266.41683, abs=1e-5) and t["dec"][0] == pytest.approx(-29.00783, abs=1e-5)
    assert t["ra"][1] == pytest.approx(1.5 * 15 / 3600) and t["dec"][1] == pytest.approx(-0.5)
    assert list(t["known_class"]) == ["LMXB", "AGN"]
    cv = read_known(need(CV_CAT))
    assert cv.meta["KNOWNCAT"] == "open-cv-catalog" and len(cv) > 14000 and set(cv["known_class"]) == {"CV"}
    # the first row of the Open CV Catalog: 01:33:08.72 +38:32:17.2
    assert cv["ra"][0] == pytest.approx((1 + 33 / 60 + 8.72 / 3600) * 15) and cv["dec"][0] > 38.5
    hm = read_known(need(HMXB_CAT))
    assert hm.meta["KNOWNCAT"] == "fortin2023-hmxb" and set(hm["known_class"]) == {"HMXB"}
    assert np.nanmax(hm["pos_err"]) < 600  # PosErr is in degrees there: converted to arcsec


@pytest.mark.parametrize("content, message", [
    ("name,ra,dec\nA,12:00:00,-60:00:00\nB,not-a-position,-60\n", "row 2: cannot read RA"),
    ("name,x,y\nA,1,2\n", "no RA/Dec columns"),
    ("name,ra,dec\nA,400,-60\n", "out of range"),
])
def test_a_malformed_known_file_is_one_line_and_exit_2(content, message, tmp_path, capsys):
    bad = tmp_path / "known.csv"
    bad.write_text(content)
    with pytest.raises(InputError, match=message):
        read_known(bad)
    xr = tmp_path / "x.csv"
    Table({"ra": [10.0], "dec": [-60.0], "pos_err": [2.0], "flux_soft": [1e-13]}).write(xr)
    model = tmp_path / "nomodel"  # the known file is read before the model's own checks would matter
    rc = main(["-q", "run", str(xr), "--model", str(model), "--catalog", f"gaia={xr}", "--known", str(bad),
               "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "Traceback" not in err


def test_known_service_specs_are_parsed_without_a_request():
    from xrbvo.vo.known import SIMBAD_TYPES, parse_known_service
    from xrbvo.vo.tap import SERVICES

    v = parse_known_service("vizier:J/A+A/671/A149/table1")
    assert v.url == SERVICES["vizier"] and v.table == "J/A+A/671/A149/table1"
    assert v.adql == 'SELECT * FROM "J/A+A/671/A149/table1"'
    s = parse_known_service("simbad")
    assert s.url == SERVICES["simbad"] and s.table is None
    assert "FROM basic" in s.adql and all(f"'{t}'" in s.adql for t in SIMBAD_TYPES)
    u = parse_known_service("http://127.0.0.1:8089/tap:erass1.main")
    assert u.url == "http://127.0.0.1:8089/tap" and u.table == "erass1.main"
    assert parse_known_service("catalogs/hmxb.csv") is None and parse_known_service("hmxb.fits") is None
    for bad in ("http://127.0.0.1:8089/tap", "vizier", "vizier: ", "https://example.org:tab"):
        with pytest.raises(InputError, match="--known"):
            parse_known_service(bad)
    # an object type SIMBAD's selection fetches means one of xrbvo's classes
    t = read_known(Table({"main_id": list(SIMBAD_TYPES), "ra": [1.0] * len(SIMBAD_TYPES),
                          "dec": [2.0] * len(SIMBAD_TYPES), "otype": list(SIMBAD_TYPES)}))
    assert all(str(c) in CLASSES for c in t["known_class"])


def test_known_from_an_unreachable_service_is_one_line_before_the_long_work(tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    xr = tmp_path / "x.csv"
    Table({"ra": [10.0], "dec": [-60.0], "pos_err": [2.0], "flux_soft": [1e-13]}).write(xr)
    rc = main(["-q", "run", str(xr), "--model", str(tmp_path / "nomodel"), "--catalog", f"gaia={xr}",
               "--known", f"http://127.0.0.1:{port}/tap:known.table", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and len(err.splitlines()) == 1 and "unreachable" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_malformed_known_arguments_are_refused():
    with pytest.raises(MissingColumnError):
        read_known(Table({"name": ["x"]}))
    with pytest.raises(InputError, match="not a class"):
        read_known(Table({"ra": [1.0], "dec": [2.0]}), cls="BLAZAR-ish")


def test_sky_map_longitude_runs_from_high_to_low():
    l, (left, right) = galactic_longitudes([296.0, 300.0, 304.0])
    assert left > 304 > 296 > right and left < 305 and right > 295  # not -56 .. -64
    l, (left, right) = galactic_longitudes([359.5, 0.5, 1.0])  # across l = 0: one piece, labels modulo 360
    np.testing.assert_allclose(l - l[0], [0.0, 1.0, 1.5])
    np.testing.assert_allclose(l % 360, [359.5, 0.5, 1.0])
    assert left > right


# ---------------------------------------------------------------------------------------------
class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.rows, self._in_candidates = [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._in_candidates = a.get("id") == "candidates"
        if tag == "a" and self._in_candidates:
            self.links.append(a["href"])
        if tag == "tr" and self._in_candidates:
            self.rows.append(a.get("class", ""))


@pytest.fixture(scope="module")
def nway_analysis(small_sky, small_xray, small_model):
    from xrbvo.pipeline import PipelineConfig
    from xrbvo.stages.neighbourhoods import SimProvider
    from xrbvo.workflows import ModelBundle, analyse

    model, ts = small_model
    ref = {c: float(ts.reference_priors.get(c, 0.0)) for c in CLASSES}
    # cuts for a test of the known/new marking, not of the cuts: since the sky's coronal stars were grounded
    # (issue 24), the few-tree model gives the 3 x 2 deg sky's HMXBs P_HMXB 0.19-0.71 at the selection priors
    # (one above 0.4, whatever the policy), and the marking needs a few candidates: cuts at 0.2, as a targeted
    # sample (a blind survey's per-source priors and --min-purity would leave one)
    from xrbvo.workflows.policy import SciencePolicy

    bundle = ModelBundle(model, {"cuts": {"HMXB": 0.2, "LMXB": 0.2}, "reference_priors": ref})
    policy = SciencePolicy(sample="targeted")
    plain = analyse(small_xray, SimProvider(small_sky), bundle, policy, config=PipelineConfig(counterparts="nway"))
    cand = np.flatnonzero(np.asarray(plain.catalogue["candidate"], bool))
    assert len(cand) >= 3, "the small sky should hold a few candidates"
    # known objects at the first candidate and at one non-candidate
    other = int(np.flatnonzero(~np.asarray(plain.catalogue["candidate"], bool))[0])
    rows = [int(cand[0]), other]
    known = read_known(Table({"name": ["KNOWN-1", "KNOWN-2"], "ra": plain.catalogue["ra"][rows],
                              "dec": plain.catalogue["dec"][rows]}), cls="HMXB")
    return analyse(small_xray, SimProvider(small_sky), bundle, policy, config=PipelineConfig(counterparts="nway"),
                   known=[known]), rows


def test_analyse_with_known_marks_known_and_new_and_counts_them(nway_analysis):
    a, (c0, other) = nway_analysis
    cat = a.catalogue
    assert cat["known_name"][c0] == "KNOWN-1" and not cat["new"][c0]
    assert int(np.sum(~np.asarray(cat["new"], bool))) == 2
    s = a.summary()["known"]
    n_cand = a.summary()["candidates"]
    for c in ("HMXB", "LMXB"):
        assert s.counts[c]["known"] + s.counts[c]["new"] == n_cand[c]
    assert s.counts[str(cat["candidate_class"][c0])]["known"] == 1
    assert [m.name for m in s.missed] == ["KNOWN-2"] and s.missed[0].reason == "below the cut"
    assert cat["known_sep"].unit == "arcsec" and cat.meta["KNOWNFLR"] == 5.0


@pytest.mark.slow
def test_report_has_a_picture_for_every_candidate_and_an_index_linking_them(nway_analysis, tmp_path):
    from xrbvo.workflows.report import candidate_order, write_report

    a, (c0, _) = nway_analysis
    n_cand = int(np.sum(np.asarray(a.catalogue["candidate"], bool)))
    rep = write_report(a, tmp_path / "report")
    assert rep.skipped == 0 and len(rep.pngs) == n_cand and rep.sky_map.exists()
    for p in rep.pngs.values():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    parser = _Links()
    parser.feed(rep.index.read_text())
    pngs = {p.name for p in rep.pngs.values()}
    assert len(parser.rows) == n_cand + 1  # header row and one per candidate
    assert pngs == {h for h in parser.links if "://" not in h}  # every picture linked, no other local file
    assert sum("simbad" in h for h in parser.links) == n_cand  # and each candidate's position at SIMBAD
    assert parser.rows.count("known") == 1
    index_rows, _ = candidate_order(a.catalogue)
    ph = np.asarray(a.catalogue["P_HMXB"])[index_rows]
    assert np.all(np.diff(ph) <= 0)
    capped = write_report(a, tmp_path / "capped", max_pngs=0)
    assert capped.skipped == n_cand and not capped.pngs
    text = capped.index.read_text()
    assert text.count("not drawn") == n_cand and f"{n_cand} candidates have no picture" in text


def test_a_table_in_the_standard_columns_keeps_its_types_and_is_normalised():
    """read_known on its own output keeps the catalogue's types (several --known stacked for explore); any
    table with those column names is still normalised: classes mapped, bad errors dropped, names as text."""
    from xrbvo.stages.known import stack_known

    t = read_known(HMXB_CAT) if HMXB_CAT.exists() else read_known(
        Table({"Name": ["A"], "RA": [1.0], "DEC": [2.0], "Type": ["HXB"]}))
    again = read_known(t)
    assert list(again["known_type"]) == list(t["known_type"]) and list(again["name"]) == list(t["name"])
    odd = Table({"name": [531, 7], "ra": [1.0, 2.0], "dec": [3.0, 4.0], "pos_err": ["<1", "2"],
                 "known_class": ["hxb", "HighMassXBin"], "known_type": ["a", "b"]})
    r = read_known(odd)
    assert list(r["known_class"]) == ["HMXB", "HMXB"] and np.all(np.isnan(r["pos_err"]))
    assert list(r["name"]) == ["531", "7"]
    both = stack_known([t, r])
    assert len(both) == len(t) + 2 and "531" in list(both["name"])
    with pytest.raises(InputError, match="out of range"):
        bad = t.copy()
        bad["dec"][0] = 95.0
        read_known(bad)
