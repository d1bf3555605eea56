"""Neighbourhoods of 1,000 X-ray sources from the local DaCHS: chunked upload joins vs one cone per source.

    PYTHONPATH=. python benchmarks/tap_fetch.py [--tap-url http://127.0.0.1:8089/tap] [--n 1000]

Start the server first (``sudo bash scripts/dachs/start.sh 8089``).  The
sources are those of the ``bench`` field that ``scripts/dachs/load.py``
loads.  Both methods run in this one process, one after the other, without
cache, against the same table (Gaia DR3 ``gaia_source`` with the distance
join): xrbvo's :class:`~xrbvo.vo.tap.TapClient` (upload joins in chunks,
4 requests in flight) and the loop a user writes with astroquery/pyvo (one
synchronous cone query per source).  Prints rows per second of both and the
ratio; the target is a ratio of at least 20.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _bench_sky() -> dict:
    spec = importlib.util.spec_from_file_location("_load", ROOT / "scripts" / "dachs" / "load.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.SKIES["bench"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tap-url", default="http://127.0.0.1:8089/tap")
    ap.add_argument("--n", type=int, default=1000, help="number of X-ray sources")
    ap.add_argument("--radius", type=float, default=15.0, help="radius, arcsec")
    args = ap.parse_args(argv)

    import pyvo

    from xrbvo.io import standardise_xray
    from xrbvo.stages.neighbourhoods.tap import survey_columns
    from xrbvo.sim import SkyConfig, simulate_sky
    from xrbvo.core.surveys import get_survey
    from xrbvo.vo.tap import TapClient, cone_adql

    sky = simulate_sky(SkyConfig(**_bench_sky()))
    xray = standardise_xray(sky.xray)[: args.n]
    if len(xray) < args.n:
        print(f"the bench field has only {len(xray)} sources", file=sys.stderr)
    s = get_survey("gaia")
    cols, join = survey_columns(s)
    n = len(xray)

    t0 = time.perf_counter()
    client = TapClient(args.tap_url, cache=False, max_in_flight=4)
    rows_up = client.neighbourhood_rows(xray, s.table, cols, s.ra_column, s.dec_column, args.radius, join=join)
    # pairs, as the loop below counts them
    t_up = time.perf_counter() - t0

    svc = pyvo.dal.TAPService(args.tap_url)
    t0 = time.perf_counter()
    pairs_loop = 0
    ids_loop: set = set()
    for ra, dec in zip(np.asarray(xray["ra"]), np.asarray(xray["dec"])):
        r = svc.run_sync(cone_adql(s.table, cols, s.ra_column, s.dec_column, float(ra), float(dec), args.radius,
                                   join=join)).to_table()
        pairs_loop += len(r)
        ids_loop.update(np.asarray(r["source_id"]).tolist())
    t_loop = time.perf_counter() - t0

    ids_up = set(np.asarray(rows_up["source_id"]).tolist())
    print(f"sources: {n}, radius {args.radius} arcsec, table {s.table} (+ {join.table})")
    print(f"same neighbours in both: {ids_up == ids_loop} ({len(ids_up)} distinct rows; {pairs_loop} pairs)")
    print(f"{'method':<34}{'seconds':>10}{'requests':>10}{'rows/s':>12}")
    print(f"{'chunked upload joins (xrbvo)':<34}{t_up:>10.2f}{client.stats.requests:>10d}"
          f"{len(ids_up) / t_up:>12.0f}")
    print(f"{'one cone per source (loop)':<34}{t_loop:>10.2f}{n:>10d}{len(ids_loop) / t_loop:>12.0f}")
    print(f"speed-up: {t_loop / t_up:.1f}x (target >= 20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
