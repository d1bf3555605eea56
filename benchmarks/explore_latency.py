"""Latency of `xrbvo explore` against the local DaCHS: through xrbvo.workflows.live (what the UI's workers call) and
through the UI itself (Textual's Pilot, headless).

    PYTHONPATH=. python benchmarks/explore_latency.py --tap-url http://127.0.0.1:PORT/tap --model DIR
    PYTHONPATH=. python benchmarks/explore_latency.py --sim --model DIR   # UI figures only, no server

* cold: a source never scored, its neighbourhood not in the TAP cache (a fresh cache directory), in a
  session whose list context is known (the densities, as after the first pull or in a resumed session,
  and the science policy resolved for the list once, as the UI does at start): one pull of its
  neighbourhood (3 surveys, concurrently) plus the workflow;
* prefetched: a source the prefetch already scored, selected in the UI (Pilot presses Down): from the key
  to the detail pane showing it (its widgets updated and the screen's messages processed), with the next
  prefetch starting in the background as in use; also the bare result look-up;
* score all: N sources of the DaCHS's wide `bench` field in upload-join chunks (one context pull plus
  SCORE_CHUNK-source workflow calls) against one by one (extrapolated from a sample of cold selections).
With ``--sim`` only the prefetched figures, on the demo's simulated sky (``xrbvo demo``'s field, its
neighbourhoods served by the simulation): no TAP service needed.
Targets: cold median < 2 s, prefetched < 0.3 s.  No assertion: it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


def _pct(v, q):
    return float(np.percentile(np.asarray(v), q))


async def _pilot_prefetched(scorer, steps: int, wait_s: float = 120.0, *, painted: bool = False) -> list[float]:
    """Step Down through the list in the UI ``steps`` times, each time once the next source is prefetched;
    the time from the key to the detail pane showing it.

    ``painted=False``: Pilot presses Down (``Pilot.press`` returns once the whole process, worker threads
    included, has been idle for a moment), then the pane shows the source and the screen's messages are
    processed.  ``painted=True``: the key event goes to the driver as a terminal's would, and the time is
    taken when the screen has laid out and drawn the pane showing the source (its layout-refresh signal).
    """
    from textual import events

    from xrbvo.tui.explore import ExploreApp, list_data
    from xrbvo.tui.samp_bridge import NullBridge

    data = list_data(scorer, None)
    app = ExploreApp(data, scorer, samp=NullBridge(), columns=["xid", "l", "b", "P_HMXB", "predicted_class",
                                                                 "flux_soft"], sort="flux_soft")
    out = []
    async with app.run_test(size=(180, 60)) as pilot:
        for _ in range(steps):
            pos = app.table.cursor
            nxt = str(data.xid[app.view.rows[pos + 1]])
            deadline = time.monotonic() + wait_s
            while scorer.result(nxt) is None:  # scored ahead by the prefetch (or, the first time, cold)
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{nxt} was not prefetched within {wait_s:g} s")
                await asyncio.sleep(0.02)
            await pilot.pause(0.2)  # the prefetch's Scored message handled
            if painted:
                drawn = asyncio.Event()
                signal = app.screen.screen_layout_refresh_signal
                signal.subscribe(app, lambda _s: drawn.set() if app._showing == nxt else None, immediate=True)
                key = events.Key("down", None)
                key.set_sender(app)
                t0 = time.perf_counter()
                app._driver.send_message(key)
                try:
                    await asyncio.wait_for(drawn.wait(), wait_s)
                except asyncio.TimeoutError:
                    raise RuntimeError(f"the pane never showed {nxt}") from None
                out.append(time.perf_counter() - t0)
                signal.unsubscribe(app)
                await pilot._wait_for_screen()
                continue
            t0 = time.perf_counter()
            await pilot.press("down")
            while app._showing != nxt:
                if time.perf_counter() - t0 > wait_s:
                    raise RuntimeError(f"the pane never showed {nxt}")
                await asyncio.sleep(0.001)
            await pilot._wait_for_screen()
            out.append(time.perf_counter() - t0)
    return out


def _prefetched_report(make_scorer, steps: int):
    """The two prefetched figures, each in a fresh session from ``make_scorer()`` (context known); returns
    the first session's scorer."""
    scorer = make_scorer()
    pre_ui = asyncio.run(_pilot_prefetched(scorer, steps))
    pre_paint = asyncio.run(_pilot_prefetched(make_scorer(), steps, painted=True))
    print(f"prefetched select -> pane shown (Pilot, Down key to the detail pane updated): median "
          f"{statistics.median(pre_ui) * 1e3:.1f} ms, p90 {_pct(pre_ui, 90) * 1e3:.1f} ms (n={len(pre_ui)}; "
          f"target < 0.3 s)")
    print(f"prefetched select -> pane drawn (key event to the screen's layout and drawing of the pane, no "
          f"wait for the process to go idle): median {statistics.median(pre_paint) * 1e3:.1f} ms, p90 "
          f"{_pct(pre_paint, 90) * 1e3:.1f} ms (n={len(pre_paint)})")
    return scorer


def _sim(model: Path, steps: int) -> int:
    from xrbvo.sim import SkyConfig, simulate_sky
    from xrbvo.stages.neighbourhoods.sim import SimProvider
    from xrbvo.workflows.live import LiveScorer
    from xrbvo.workflows import ModelBundle
    from xrbvo.workflows.demo import DEMO_BOOST, DemoConfig

    bundle = ModelBundle.load(model)
    f = DemoConfig()
    sky = simulate_sky(SkyConfig(l_deg=f.l_deg, b_deg=f.b_deg, width_deg=f.width_deg, height_deg=f.height_deg,
                                 class_boost=dict(DEMO_BOOST), seed=f.seed))
    ctx = LiveScorer(sky.xray, bundle, SimProvider(sky)).context()
    print(f"list: the demo sky's {len(sky.xray)} sources (simulated neighbourhoods); model {model}")

    def make():
        sc = LiveScorer(sky.xray, bundle, SimProvider(sky), context=ctx.run)
        sc.context()
        return sc

    _prefetched_report(make, steps)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--tap-url")
    where.add_argument("--sim", action="store_true", help="the demo's simulated sky: prefetched figures only")
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--n-all", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--steps", type=int, default=15, help="prefetched selections through the UI")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if args.sim:
        return _sim(args.model, args.steps)
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    from xrbvo.stages.neighbourhoods.tap import TapProvider
    from xrbvo.tui.explore import SCORE_CHUNK
    from xrbvo.workflows.live import LiveScorer
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

    # cold selections: context known (densities, policy), neighbourhood not cached, result not cached
    rng = np.random.default_rng(1)
    sample = [ids[i] for i in rng.choice(len(ids), size=min(args.sample, len(ids)), replace=False)]
    ctx = sc.context()
    cold_sc = LiveScorer(bench, bundle, TapProvider(args.tap_url, cache=tmp / "cold"), context=ctx.run)
    cold_sc.context()  # the list's policy, resolved once per session (the UI does it at start): no request
    cold = []
    for x in sample:
        t0 = time.perf_counter()
        cold_sc.score([x])
        cold.append(time.perf_counter() - t0)
    print(f"cold select -> result: median {statistics.median(cold):.3f} s, p90 {_pct(cold, 90):.3f} s "
          f"(n={len(cold)}; target median < 2 s)")
    # prefetched, through the UI: fresh sessions (context known, nothing scored, a cold cache) on the bench list
    caches = iter(["ui", "paint"])

    def make():
        sc = LiveScorer(bench, bundle, TapProvider(args.tap_url, cache=tmp / next(caches)), context=ctx.run)
        sc.context()
        return sc

    ui_sc = _prefetched_report(make, args.steps)
    lookup = []
    for x in list(ui_sc._results)[:20]:
        t0 = time.perf_counter()
        ui_sc.result(x)
        lookup.append(time.perf_counter() - t0)
    print(f"the result look-up alone: median {statistics.median(lookup) * 1e6:.1f} us")
    one_by_one = statistics.mean(cold) * len(ids)
    print(f"one by one, {len(ids)} sources: ~{one_by_one:.0f} s (extrapolated: mean of {len(cold)} cold "
          f"selections x {len(ids)}) vs score all {t_all:.1f} s ({one_by_one / t_all:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
