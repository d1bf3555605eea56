"""Time to open a 100,000-row catalogue in `xrbvo tui` and to apply a filter.

Usage: ``python benchmarks/tui_load.py [--rows 100000]``.  Writes a seeded
synthetic catalogue (with counterparts and neighbours) to a temporary
directory once, then measures, in one run:

- open: from ``create_app(path)`` (reading the FITS files) until the app has
  mounted and drawn the first frame with the table and detail pane (headless);
- filter: ``P_HMXB > 0.5 and abs(b) < 2`` typed into the filter line, from
  Enter until the table and status line are updated;
- the filter in the view model alone (numpy), and a re-sort by another column.

Targets: open < 2 s, filter < 0.3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # tests/_synthetic.py: test data, not the library

from xrbvo.tui import create_app  # noqa: E402
from _synthetic import write_synthetic  # noqa: E402

OPEN_TARGET_S = 2.0
FILTER_TARGET_S = 0.3
FILTER = "P_HMXB > 0.5 and abs(b) < 2"


def measure(directory: str, rows: int) -> dict:
    """Write a catalogue of ``rows`` rows and time opening, filtering, a cursor move and a sort."""
    t = time.perf_counter()
    path = write_synthetic(directory, rows, seed=1, name=f"bench{rows}_catalogue")
    print(f"wrote a {rows:,}-row synthetic catalogue in {time.perf_counter() - t:.1f} s (not timed)")
    result: dict = {}

    async def run() -> None:
        t0 = time.perf_counter()
        app = create_app(path, samp=False)
        result["load"] = time.perf_counter() - t0
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.pause()
            result["open"] = time.perf_counter() - t0
            assert app.view.shown == rows
            t1 = time.perf_counter()
            await pilot.press("down")
            await pilot.pause()
            result["move"] = time.perf_counter() - t1
            app.query_one("#filter").value = FILTER
            await pilot.press("slash")
            t1 = time.perf_counter()
            await pilot.press("enter")
            await pilot.pause()
            result["filter"] = time.perf_counter() - t1
            result["shown"] = app.view.shown
            t2 = time.perf_counter()
            app.view.set_filter(FILTER)
            result["filter_model"] = time.perf_counter() - t2
            t3 = time.perf_counter()
            app.view.set_sort("flux_soft")
            result["sort"] = time.perf_counter() - t3

    asyncio.run(run())
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--small", type=int, default=1_000, help="rows of the comparison catalogue")
    args = ap.parse_args()
    import textual.app  # noqa: F401  (the library's import cost is not the catalogue's)

    with tempfile.TemporaryDirectory() as d:
        small = measure(d, args.small)
        big = measure(d, args.rows)
    print()
    print(f"{'measure (seconds)':<42}{args.small:>10,}{args.rows:>10,}{'ratio':>7}{'target':>8}{'big/tgt':>8}")
    rows = [("read files + build app", "load", None), ("open (read, mount, first frame)", "open", OPEN_TARGET_S),
            ("cursor move (redraw)", "move", None), ("filter in the UI (Enter to redrawn)", "filter", FILTER_TARGET_S),
            ("filter in the view model (numpy)", "filter_model", FILTER_TARGET_S), ("re-sort by flux_soft", "sort", None)]
    for label, key, target in rows:
        ratio = big[key] / small[key] if small[key] > 0 else float("nan")
        tgt = f"{target:>8.1f}{big[key] / target:>8.2f}" if target else ""
        print(f"{label:<42}{small[key]:>10.3f}{big[key]:>10.3f}{ratio:>7.1f}{tgt}")
    print(f"filter {FILTER!r}: {small['shown']:,} of {args.small:,} and {big['shown']:,} of {args.rows:,} rows shown")
    ok = big["open"] < OPEN_TARGET_S and big["filter"] < FILTER_TARGET_S
    print("targets met" if ok else "TARGETS MISSED (on this machine, at this load)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
