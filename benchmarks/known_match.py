"""Known or new at scale: memory and time of the match with one huge-error row, and of the sky map with many
undetected known X-ray binaries (issue 26, item 1 and "Also").

    PYTHONPATH=. python benchmarks/known_match.py [--known 300000] [--sources 100000] [--undetected 20000]

* match: ``--known`` known CVs over a 20 x 20 deg field with 1" errors, one of them at pos_err = 3e4" (the
  reproduction), and ``--sources`` X-ray sources at 5" over the same field; ``match_known`` then
  ``known_summary``.  Printed: wall time, peak RSS growth (resident set, from the kernel), pairs examined and the
  source 2 deg from every precise object (new before and after: it must stay new).
* sky map: ``--undetected`` known XRBs not detected, drawn by ``xrbvo.io.plots.sky_map`` (at most
  ``MAX_SKY_LABELS`` named).  Printed: wall time.
Each part runs in a child process so that its peak RSS is its own.  No assertion: it prints.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path

import numpy as np


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _match(n_known: int, n_src: int, out) -> None:
    from astropy.table import Table

    from xrbvo.core.schema import CLASSES
    from xrbvo.io.known import read_known
    from xrbvo.stages.known import known_summary, match_known, match_objects

    rng = np.random.default_rng(0)
    err = np.full(n_known, 1.0)
    err[0] = 3e4
    known = read_known(Table({"name": [f"CV{i}" for i in range(n_known)], "ra": rng.uniform(100, 120, n_known),
                              "dec": rng.uniform(-40, -20, n_known), "pos_err": err}), cls="CV")
    ra, dec = rng.uniform(100, 120, n_src), rng.uniform(-40, -20, n_src)
    ra[0], dec[0] = 130.0, -30.0  # far from every precise object, inside the huge one's 25 deg
    cat = Table({"xid": [f"X{i}" for i in range(n_src)], "ra": ra, "dec": dec, "pos_err": np.full(n_src, 5.0),
                 "coverage": np.ones(n_src, bool), "candidate_class": np.array(["LMXB"] + [""] * (n_src - 1))})
    for c in CLASSES:
        cat[f"P_{c}"] = np.full(n_src, 0.1)
    before = _rss_mb()
    t0 = time.perf_counter()
    match_known(cat, [known])
    s = known_summary(cat, [known])
    dt = time.perf_counter() - t0
    pairs = len(match_objects(cat, [known]).source)
    out.put({"time_s": dt, "rss_growth_mb": _rss_mb() - before, "pairs": pairs,
             "far_source": (str(cat["known_name"][0]) or "-", bool(cat["new"][0])),
             "unique": int(np.sum(np.asarray(cat["known_match"]) == "unique")),
             "ambiguous": int(np.sum(np.asarray(cat["known_match"]) == "ambiguous")),
             "set_aside": s.set_aside, "missed": len(s.missed)})


def _sky(n: int, out) -> None:
    from astropy.table import Table

    from xrbvo.io.plots import MAX_SKY_LABELS, KnownMark, sky_map

    rng = np.random.default_rng(1)
    marks = [KnownMark(f"U{i}", float(lv), float(bv), float("nan"), "not detected")
             for i, (lv, bv) in enumerate(zip(rng.uniform(290, 310, n), rng.uniform(-5, 5, n)))]
    cat = Table({"l": rng.uniform(290, 310, 2000), "b": rng.uniform(-5, 5, 2000),
                 "candidate_class": np.array(["HMXB"] * 20 + [""] * 1980), "new": np.ones(2000, bool)})
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        sky_map(cat, Path(d) / "sky.png", known=marks)
        out.put({"time_s": time.perf_counter() - t0, "labels": min(n, MAX_SKY_LABELS)})


def _child(fn, *args):
    q = mp.get_context("spawn").Queue()
    p = mp.get_context("spawn").Process(target=fn, args=(*args, q))
    p.start()
    res = q.get()
    p.join()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--known", type=int, default=300_000)
    ap.add_argument("--sources", type=int, default=100_000)
    ap.add_argument("--undetected", type=int, default=20_000)
    a = ap.parse_args()
    m = _child(_match, a.known, a.sources)
    print(f"match: {a.known} known rows (one at pos_err 3e4\"), {a.sources} sources: {m['time_s']:.1f} s, "
          f"peak RSS +{m['rss_growth_mb']:.0f} MB, {m['pairs']} pairs examined")
    print(f"  the source 2 deg from every precise object: known_name {m['far_source'][0]!r}, new {m['far_source'][1]}")
    print(f"  unique {m['unique']}, ambiguous {m['ambiguous']}, set aside {m['set_aside']}, "
          f"missed XRBs listed {m['missed']}")
    s = _child(_sky, a.undetected)
    print(f"sky map: {a.undetected} undetected known XRBs: {s['time_s']:.1f} s, {s['labels']} named")


if __name__ == "__main__":
    main()
