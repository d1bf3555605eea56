"""Sky images under the finding charts (xrbvo.vo.hips, --images): a HiPS made by reproject from a simulated image
of the hand-made sky (tests/_report.py), served on 127.0.0.1; never the network."""

from __future__ import annotations

import re
import socket
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from _report import ODD_NAME, finished_catalogue
from xrbvo.cli import main
from xrbvo.io.report import chart_wcs
from xrbvo.workflows.report import ReportInputs, draw_report

pytest.importorskip("reproject")

SIGMA_ARCSEC = 1.0


def _make_hips(directory, nb, xid, ra0, dec0, frame="equatorial"):
    """A HiPS (reproject_to_hips) of a 1'-wide image around ``xid``: a Gaussian blob at each of its neighbours."""
    from astropy.wcs import WCS
    from reproject import reproject_interp
    from reproject.hips import reproject_to_hips

    n, scale = 120, 0.5 / 3600
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra0, dec0]
    w.wcs.crpix = [(n + 1) / 2, (n + 1) / 2]
    w.wcs.cdelt = [-scale, scale]
    mine = nb[np.asarray(nb["xid"]) == xid]
    yy, xx = np.mgrid[0:n, 0:n]
    img = np.full((n, n), 0.01)
    bx, by = w.world_to_pixel_values(np.asarray(mine["ra"], float), np.asarray(mine["dec"], float))
    for x, y in zip(bx, by):
        img += np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * (SIGMA_ARCSEC / 3600 / scale) ** 2))
    reproject_to_hips((img, w), coord_system_out=frame, reproject_function=reproject_interp,
                      output_directory=str(directory), tile_size=64)
    return mine


class _Server:
    """A HiPS served over HTTP on 127.0.0.1, counting the requests; ``delay_s`` makes it slow."""

    def __init__(self, root, delay_s: float = 0.0):
        self.requests = 0
        self.delay_s = delay_s
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests += 1
                if server.delay_s:
                    time.sleep(server.delay_s)
                super().do_GET()

            def log_message(self, *args):  # quiet
                pass

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # a client that gave up (the slow case): not a fault
                pass

        self.httpd = Quiet(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def sky(tmp_path_factory):
    """The hand-made catalogue, its neighbours, and a HiPS of the bright candidate's field served on 127.0.0.1."""
    cat, nb = finished_catalogue(n_field=20)
    root = tmp_path_factory.mktemp("hips")
    _make_hips(root / "bright", nb, "BRIGHT 1", 180.0, -62.0)
    server = _Server(root)
    yield cat, nb, root, server
    server.close()


def _peak_checks(data, wcs, mine):
    """Each neighbour's blob is on its own pixel, and not at its east-west mirror image (orientation)."""
    c0 = (wcs.pixel_shape[0] - 1) / 2
    px, py = wcs.world_to_pixel_values(np.asarray(mine["ra"], float), np.asarray(mine["dec"], float))
    background = np.nanmedian(data)
    for x, y in zip(px, py):
        assert data[int(round(y)), int(round(x))] > background + 0.5
    for x, y, ra in zip(px, py, np.asarray(mine["ra"], float)):
        mirror = int(round(2 * c0 - x))
        if abs(x - c0) > 20 and 0 <= mirror < data.shape[1]:
            assert data[int(round(y)), mirror] < background + 0.2


def test_chart_image_has_each_neighbour_where_it_is_north_up_east_left_and_the_cache_is_used(sky, tmp_path):
    from astropy.io import fits
    from astropy.wcs import WCS

    cat, nb, _, server = sky
    url = f"{server.url}/bright"
    before = server.requests
    rep = draw_report(ReportInputs(cat, nb, source="test"), tmp_path / "rep", images=(url,))
    assert server.requests > before and rep.images == (url,)
    assert "no data at some candidates" in rep.images_note and "3 of 4 charts" in rep.images_note  # the others
    cut = sorted((tmp_path / "rep" / "images").glob("*BRIGHT_1*.fits"))
    assert len(cut) == 1
    with fits.open(cut[0]) as h:
        data, w = h[0].data, WCS(h[0].header)
        assert h[0].header["HIPS"] == url
    w.pixel_shape = data.shape[::-1]
    assert w.wcs.cdelt[0] < 0 < w.wcs.cdelt[1]  # east left, north up
    mine = nb[np.asarray(nb["xid"]) == "BRIGHT 1"]
    _peak_checks(data, w, mine)
    east = np.asarray(mine["ra"], float).argmax()  # the most easterly neighbour lies left of the centre
    assert w.world_to_pixel_values(mine["ra"][east], mine["dec"][east])[0] < (data.shape[1] - 1) / 2
    text = (tmp_path / "rep" / "index.html").read_text()
    assert "Sky images under the charts: HiPS bright" in text and "(under the chart)" in text
    links = re.findall(r'href="(images/[^"]+)"', text)
    assert len(links) == 4 and all((tmp_path / "rep" / h).is_file() for h in links)  # one cutout per candidate
    # the second report of the same charts asks the server for nothing
    asked = server.requests
    again = draw_report(ReportInputs(cat, nb, source="test"), tmp_path / "rep", images=(url,))
    assert server.requests == asked and again.images == (url,)


def test_a_slow_or_unreachable_service_leaves_the_catalogue_charts_and_says_so_once(sky, tmp_path, capsys,
                                                                                    monkeypatch):
    from astroquery.hips2fits import hips2fitsClass

    cat, nb, root, _ = sky
    cat.write(tmp_path / "run.fits")
    nb.write(tmp_path / "run_neighbours.fits")
    cat[:0].write(tmp_path / "run_counterparts.fits")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # the CDS surveys' service (its address pointed at that port: no network), a HiPS URL there, and a slow HiPS
    monkeypatch.setattr(hips2fitsClass, "server", f"http://127.0.0.1:{port}/hips2fits")
    slow = _Server(root, delay_s=3.0)
    try:
        assert main(["-q", "report", str(tmp_path / "run.fits"), "--out", str(tmp_path / "rep"), "--images",
                     f"{slow.url}/bright,http://127.0.0.1:{port}/hips,dss2,CDS/P/2MASS/K",
                     "--images-deadline", "1"]) == 0
    finally:
        slow.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning: sky images:") and "Traceback" not in err[0], err
    assert f"{slow.url}/bright: too slow" in err[0] and f"http://127.0.0.1:{port}/hips: unreachable" in err[0]
    assert err[0].count("the CDS hips2fits service is unreachable (127.0.0.1:") == 1
    assert "4 of 4 charts drawn on the catalogues alone" in err[0]
    assert len(list((tmp_path / "rep").glob("0*.png"))) == 4
    assert "Sky images under the charts: none" in (tmp_path / "rep" / "index.html").read_text()


@pytest.mark.parametrize("spec, message", [
    ("nonsense", "not a survey"),
    ("", "none"),
])
def test_a_bad_images_option_is_one_line_before_any_work(sky, tmp_path, capsys, spec, message):
    cat, nb, root, _ = sky
    cat.write(tmp_path / "run.fits")
    (tmp_path / "nohips").mkdir()
    args = ["-q", "report", str(tmp_path / "run.fits"), "--out", str(tmp_path / "rep"), "--images"]
    if spec == "":  # a directory that is not a HiPS
        spec, message = str(tmp_path / "nohips"), "no 'properties' file"
    assert main(args + [spec]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "rep").exists()
    # `xrbvo run` says it before reading the model or the X-ray table
    assert main(["-q", "run", str(tmp_path / "absent.fits"), "--model", str(tmp_path / "absent"), "--out",
                 str(tmp_path / "out"), "--images", spec]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and not (tmp_path / "out").exists()


def test_cutouts_at_the_pole_across_ra_0_and_of_a_galactic_hips_show_their_neighbours(sky, tmp_path):
    from xrbvo.vo.hips import HipsTiles

    cat, nb, _, _ = sky
    for xid, ra0, dec0, name, frame in (("NOCTP 3", 45.0, -90.0, "pole", "equatorial"),
                                        (ODD_NAME, 359.99999, -0.5, "ra0", "equatorial"),
                                        ("BRIGHT 1", 180.0, -62.0, "galactic", "galactic")):
        mine = _make_hips(tmp_path / name, nb, xid, ra0, dec0, frame)
        i = int(np.flatnonzero(np.asarray(cat["xid"]) == xid)[0])
        row = {c: cat[c][i] for c in cat.colnames}
        w = chart_wcs(row, {c: np.asarray(mine[c]) for c in mine.colnames})
        data = HipsTiles(f"file://{tmp_path / name}").cutout(w, time.monotonic() + 30)
        assert np.isfinite(data).all()
        _peak_checks(data, w, mine)
