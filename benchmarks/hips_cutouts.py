"""Benchmark: the finding charts' sky images from a HiPS served over HTTP (xrbvo.vo.hips, ``--images``).

Usage::

    python benchmarks/hips_cutouts.py [--charts 40] [--workers 4]

Makes a HiPS with reproject (``reproject_to_hips``) from a simulated 3' x 3' image with a Gaussian star
every few arcseconds, serves it on 127.0.0.1 (never the network), and times :func:`xrbvo.vo.hips.fetch_cutouts`
for ``--charts`` charts of 300 x 300 pixels spread over the image: cold (every tile fetched), then again from the
FITS cache (no request).  Prints the time, the requests the server saw and the time per chart.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--charts", type=int, default=40)
    ap.add_argument("--workers", type=int, default=4)
    a = ap.parse_args()
    from astropy.wcs import WCS
    from reproject import reproject_interp
    from reproject.hips import reproject_to_hips

    from xrbvo.io.report import chart_wcs
    from xrbvo.vo.hips import CutoutJob, fetch_cutouts

    ra0, dec0, n, scale = 250.0, -45.0, 540, 1 / 3 / 3600
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra0, dec0]
    w.wcs.crpix = [(n + 1) / 2, (n + 1) / 2]
    w.wcs.cdelt = [-scale, scale]
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:n, 0:n]
    img = rng.normal(1.0, 0.02, (n, n))
    for x, y, f in zip(rng.uniform(0, n, 300), rng.uniform(0, n, 300), 10 ** rng.uniform(-2, 1, 300)):
        img += f * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 18.0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        reproject_to_hips((img, w), coord_system_out="equatorial", reproject_function=reproject_interp,
                          output_directory=str(root / "hips"), tile_size=128)
        print(f"HiPS made by reproject_to_hips: {time.perf_counter() - t:.1f} s")
        count = [0]

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                count[0] += 1
                super().do_GET()

            def log_message(self, *args):
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_address[1]}/hips"
        cosd = np.cos(np.radians(dec0))
        jobs = [CutoutJob(str(i), url, chart_wcs({"ra": ra0 + dx / 3600 / cosd, "dec": dec0 + dy / 3600,
                                                        "pos_err": 4.0}, {}),
                          root / "cache" / f"{i}.fits")
                for i, (dx, dy) in enumerate(rng.uniform(-70, 70, (a.charts, 2)))]
        for label in ("cold", "from the cache"):
            before = count[0]
            t = time.perf_counter()
            got = fetch_cutouts(jobs, workers=a.workers)
            dt = time.perf_counter() - t
            ok = sum(len(v) for v in got.cutouts.values())
            print(f"{label:15s} {a.charts} charts ({ok} cutouts, problems: {len(got.problems)}): {dt:.2f} s, "
                  f"{count[0] - before} requests, {1000 * dt / a.charts:.0f} ms per chart")
        httpd.shutdown()
        httpd.server_close()


if __name__ == "__main__":
    main()
