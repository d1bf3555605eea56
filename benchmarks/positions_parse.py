"""Benchmark: reading positions written as text (xrbvo.io.as_degrees, the one position parser).

Run from the repository root::

    PYTHONPATH=. python benchmarks/positions_parse.py [--rows 100000]

Prints, measured in this one run, the time to read a column pair of sexagesimal text (RA hh:mm:ss.ss,
Dec +dd:mm:ss.ss) and of decimal degrees as text, and the largest difference from the true positions.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from astropy.table import Table

from xrbvo.io import as_degrees


def _sexagesimal(values: np.ndarray, hours: bool) -> list[str]:
    v = values / 15.0 if hours else values
    sign = np.where(v < 0, "-", "" if hours else "+")
    a = np.abs(v)
    d = np.floor(a)
    m = np.floor((a - d) * 60)
    s = np.minimum(((a - d) * 60 - m) * 60, 59.99)
    return [f"{si}{int(di):02d}:{int(mi):02d}:{se:05.2f}" for si, di, mi, se in zip(sign, d, m, s)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    n = p.parse_args().rows
    rng = np.random.default_rng(0)
    ra, dec = rng.uniform(0, 360, n), rng.uniform(-90, 90, n)
    for what, t in (("sexagesimal", Table({"ra": _sexagesimal(ra, True), "dec": _sexagesimal(dec, False)})),
                    ("decimal text", Table({"ra": [f"{v:.7f}" for v in ra], "dec": [f"{v:.7f}" for v in dec]}))):
        t0 = time.perf_counter()
        r, d = as_degrees(t["ra"], t["dec"])
        dt = time.perf_counter() - t0
        worst = max(np.abs(r - ra).max(), np.abs(d - dec).max()) * 3600
        print(f"{what:>12}: {n} rows in {dt:.2f} s ({dt / n * 1e6:.1f} us/row); largest error {worst:.3f} arcsec "
              "(the text's rounding)")


if __name__ == "__main__":
    main()
