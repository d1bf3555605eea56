"""The report (xrbvo.workflows.report, xrbvo.io.report, xrbvo.io.population): regions, links, population plots,
and ``xrbvo report`` redrawing it from a finished catalogue."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from _report import ODD_NAME, finished_catalogue
from xrbvo.cli import main
from xrbvo.workflows.report import ReportInputs, draw_report


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.srcs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a["href"])
        if tag == "img":
            self.srcs.append(a["src"])

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    cat, nb = finished_catalogue()
    d = tmp_path_factory.mktemp("rep")
    cat.write(d / "cat.fits")
    rep = draw_report(ReportInputs(cat, nb, source="test", files={"cat.fits": d / "cat.fits"}), d / "report")
    return cat, rep


def test_regions_file_has_each_candidates_circles_and_counterpart(report):
    from regions import CircleSkyRegion, PointSkyRegion, Regions

    cat, rep = report
    regs = Regions.read(rep.regions, format="ds9")
    circles = [r for r in regs if isinstance(r, CircleSkyRegion)]
    points = [r for r in regs if isinstance(r, PointSkyRegion)]
    # 4 candidates: 1-sigma and 99% circles, but the one without a positional error only its 10" circle
    assert len(circles) == 7 and len(points) == 3
    radii = sorted(round(c.radius.to_value("arcsec"), 2) for c in circles)
    assert radii == sorted([1.5, 2.0, 3.0, round(3.0349 * 1.5, 2), round(3.0349 * 2.0, 2), round(3.0349 * 3.0, 2),
                            10.0])
    labels = [r.meta.get("text", "") for r in circles if "text" in r.meta]
    assert "BRIGHT 1 HMXB" in labels and not any("{" in t or "}" in t for t in labels)
    assert any(abs(p.center.dec.deg - (-62.0)) < 1e-6 and p.meta["text"] == "gaia G0" for p in points)


def test_index_has_positions_links_and_safe_names(report):
    cat, rep = report
    text = rep.index.read_text("utf-8")
    page = _Page()
    page.feed(text)
    assert "12:00:00.00" in text and "-62:00:00.0" in text  # the bright star, sexagesimal
    assert "180.000000" in text and "-62.000000" in text  # and in degrees
    assert "00:00:00.00" in text  # RA 359.99999 rounds to 0h, not 24h
    assert ODD_NAME in "".join(page.text) and "<b>&" not in text  # shown as text, escaped in the source
    simbad = [h for h in page.hrefs if h.startswith("https://simbad.cds.unistra.fr/")]
    aladin = [h for h in page.hrefs if h.startswith("https://aladin.cds.unistra.fr/AladinLite/")]
    esasky = [h for h in page.hrefs if h.startswith("https://sky.esa.int/esasky/")]
    assert len(simbad) == len(aladin) == len(esasky) == 4
    assert parse_qs(urlparse(simbad[0]).query)["Coord"] == ["180.000000 -62.000000"]
    local = [h for h in page.hrefs + page.srcs if "://" not in h]
    assert "../cat.fits" in local and "candidates.reg" in local and "diagnostics/cmd.png" in local
    for h in local:
        assert (rep.index.parent / h).resolve().is_file(), h
    # every picture lies in the report directory under a plain name
    assert len(rep.pngs) == 4
    for p in rep.pngs.values():
        assert p.parent == rep.index.parent and re.fullmatch(r"[A-Za-z0-9._+-]+", p.name)
    assert "missing" not in text.lower()


def test_population_plots_and_a_catalogue_without_their_columns(report, tmp_path):
    from xrbvo.io.population import population_plots

    cat, rep = report
    assert sorted(p.name for p in rep.diagnostics.values()) == ["cmd.png", "fx_fopt_hr.png", "lx_distance.png"]
    for p in rep.diagnostics.values():
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bare = cat["xid", "ra", "dec", "l", "b", "candidate_class"]
    out = population_plots(bare, tmp_path)
    assert len(out) == 3 and all(p.exists() for p in out.values())


def test_report_command_redraws_from_the_catalogue_and_its_companions(tmp_path, capsys):
    cat, nb = finished_catalogue(n_field=20)
    cat.write(tmp_path / "run.fits")
    nb.write(tmp_path / "run_neighbours.fits")
    cat[:0].write(tmp_path / "run_counterparts.fits")  # present: nothing is said missing
    assert main(["-q", "report", str(tmp_path / "run.fits"), "--out", str(tmp_path / "rep")]) == 0
    cap = capsys.readouterr()
    assert cap.err == ""
    pngs = sorted(p.name for p in (tmp_path / "rep").glob("0*.png"))
    assert len(pngs) == 4 and (tmp_path / "rep" / "candidates.reg").exists()
    text = (tmp_path / "rep" / "index.html").read_text()
    assert 'href="../run_neighbours.fits"' in text and "4U 1700-37" in text and "GX 1+4" in text


def test_report_from_the_catalogue_alone_says_what_is_missing(tmp_path, capsys):
    cat, _ = finished_catalogue(n_field=20)
    cat.write(tmp_path / "alone.csv")
    assert main(["-q", "report", str(tmp_path / "alone.csv"), "--out", str(tmp_path / "rep")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "alone_neighbours.fits" in err[0] and "no candidate pictures" in err[0]
    assert "alone_counterparts.fits" in err[1] and "Traceback" not in "".join(err)
    rep = tmp_path / "rep"
    assert not list(rep.glob("0*.png")) and (rep / "sky_map.png").exists() and (rep / "diagnostics/cmd.png").exists()
    text = (rep / "index.html").read_text()
    assert "not drawn" in text and "Missing: no alone_neighbours.fits" in text
    assert ODD_NAME not in text and "BRIGHT 1" in text  # the CSV's names survive, escaped


@pytest.mark.parametrize("content, message", [
    ("ra,dec\n1,2\n", "not an xrbvo catalogue"),
    ("", "empty"),
])
def test_report_of_a_file_that_is_not_a_catalogue_is_one_line(tmp_path, capsys, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    assert main(["-q", "report", str(bad), "--out", str(tmp_path / "rep")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "rep").exists()


def test_a_finding_chart_shows_an_image_on_its_own_grid_and_sizes_stars_by_magnitude(tmp_path):
    from xrbvo.io.report import _chart_wcs, candidate_png, marker_areas

    cat, nb = finished_catalogue(n_field=20)
    row = {c: cat[c][0] for c in cat.colnames}
    mine = {c: np.asarray(nb[c])[np.asarray(nb["xid"]) == "BRIGHT 1"] for c in nb.colnames}
    plain = candidate_png(row, mine, tmp_path / "plain.png", chosen={"gaia": "G0"})
    sky = np.random.default_rng(1).normal(100.0, 5.0, (300, 300))
    with_image = candidate_png(row, mine, tmp_path / "image.png", chosen={"gaia": "G0"}, image=sky,
                               image_label="simulated")
    assert plain.read_bytes() != with_image.read_bytes()
    w = _chart_wcs(359.9999, 89.9, 20.0)  # north up, east left, across RA 0
    assert w.wcs.cdelt[0] < 0 < w.wcs.cdelt[1] and w.wcs.crval[0] == pytest.approx(359.9999)
    a = marker_areas([8.0, 14.0, 20.0, 25.0], "G")
    assert a[0] > a[1] > a[2] > a[3] - 1e-9 and a[3] == pytest.approx(10.0)


def test_a_symlinked_report_directory_is_refused_before_any_work(tmp_path, capsys):
    """Issue 26 ("Also"): OUT/report a link to elsewhere made the report write outside --out."""
    from xrbvo.cli import main

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "report").symlink_to(elsewhere)
    x = tmp_path / "x.csv"
    x.write_text("xid,ra,dec,pos_err,flux_soft\nA,10,10,4,1e-13\n")
    code = main(["run", str(x), "--model", str(tmp_path / "nomodel"), "--catalog", f"gaia={x}", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "symbolic link" in err and "Traceback" not in err
    assert list(elsewhere.iterdir()) == [] and not (out / "xrbvo_catalogue.fits").exists()


def test_a_known_match_without_a_recorded_separation_says_so_instead_of_nan():
    from xrbvo.io.report import known_line

    row = {"known_name": "4U 1700-37", "known_class": "HMXB", "known_sep": float("nan"), "new": False}
    line = known_line(row)
    assert "nan" not in line.lower() and "4U 1700-37 (HMXB)" in line and "separation not recorded" in line
    assert known_line({**row, "known_sep": 2.04}) == 'known: 4U 1700-37 (HMXB) at 2.0"'
    assert known_line({"known_name": "", "new": True}).startswith("new: no known object")
    assert known_line({"known_name": "X"}) == ""  # a run without --known
