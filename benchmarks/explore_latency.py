"""Latency of `xrbvo explore` against the local DaCHS, through xrbvo.tui.live (the UI's workers call the same).

    PYTHONPATH=. python benchmarks/explore_latency.py --tap-url http://127.0.0.1:PORT/tap --model DIR

* cold: a source never scored, its neighbourhood not in the TAP cache (a fresh cache directory), in a
  session whose list densities are known (as after the first pull or a resumed session): one pull of its
  neighbourhood (3 surveys) plus the workflow;
* prefetched: a source the prefetch already scored: the time to fetch the result (the UI then renders it);
* score all: N sources of the DaCHS's wide `bench` field in upload-join chunks (one context pull plus
  SCORE_CHUNK-source workflow calls) against one by one (extrapolated from a sample of cold selections).
Targets: cold median < 2 s, prefetched < 0.3 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


def _pct(v, q):
    return float(np.percentile(np.asarray(v), q))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tap-url", required=True)
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--n-all", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=20)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    from xrbvo.stages.neighbourhoods.tap import TapProvider
    from xrbvo.tui.explore import SCORE_CHUNK
    from xrbvo.tui.live import LiveScorer
    from xrbvo.vo.tap import TapClient
    from xrbvo.workflows import ModelBundle

    bundle = ModelBundle.load(args.model)
    tmp = Path(tempfile.mkdtemp(prefix="xrbvo-explore-bench-"))
    t = TapClient(args.tap_url, cache=False).query("SELECT * FROM erass1.main")
    t["IAUNAME"] = np.asarray(t["IAUNAME"]).astype(str)
    g = SkyCoord(np.asarray(t["RA"], float) * u.deg, np.asarray(t["DEC"], float) * u.deg).galactic
    bench = t[(g.l.deg > 320)][: args.n_all]
    print(f"list: {len(bench)} sources of the DaCHS bench field; model {args.model}")

    # score all shown: one context pull (upload-join chunks) + chunked workflow calls, cold cache
    sc = LiveScorer(bench, bundle, TapProvider(args.tap_url, cache=tmp / "all"))
    ids = list(sc.xids)
    t0 = time.perf_counter()
    sc.context()
    t_ctx = time.perf_counter() - t0
    for i in range(0, len(ids), SCORE_CHUNK):
        sc.score(ids[i:i + SCORE_CHUNK])
    t_all = time.perf_counter() - t0
    print(f"score all {len(ids)}: {t_all:.1f} s (of which the list's neighbourhood pull {t_ctx:.1f} s)")

    # cold selections: densities known, neighbourhood not cached, result not cached
    rng = np.random.default_rng(1)
    sample = [ids[i] for i in rng.choice(len(ids), size=min(args.sample, len(ids)), replace=False)]
    ctx = sc.context()
    cold_sc = LiveScorer(bench, bundle, TapProvider(args.tap_url, cache=tmp / "cold"), densities=ctx.densities,
                         object_density=ctx.object_density)
    cold = []
    for x in sample:
        t0 = time.perf_counter()
        cold_sc.score([x])
        cold.append(time.perf_counter() - t0)
    # prefetched: the prefetch (3 ahead) scored them; selecting returns the cached result
    pre = []
    nxt = cold_sc.prefetch_ids(ids, sample[0], 3)
    cold_sc.score(nxt)
    for x in nxt * 5:
        t0 = time.perf_counter()
        cold_sc.result(x)
        pre.append(time.perf_counter() - t0)
    print(f"cold select -> result: median {statistics.median(cold):.3f} s, p90 {_pct(cold, 90):.3f} s "
          f"(n={len(cold)}; target median < 2 s)")
    print(f"prefetched select -> result: median {statistics.median(pre) * 1e3:.3f} ms, p90 "
          f"{_pct(pre, 90) * 1e3:.3f} ms (n={len(pre)}; target < 0.3 s; rendering the pane adds ~10-30 ms)")
    one_by_one = statistics.mean(cold) * len(ids)
    print(f"one by one, {len(ids)} sources: ~{one_by_one:.0f} s (extrapolated: mean of {len(cold)} cold "
          f"selections x {len(ids)}) vs score all {t_all:.1f} s ({one_by_one / t_all:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
