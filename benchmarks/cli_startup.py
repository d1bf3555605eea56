"""Benchmark: how long the command line takes to print its help, and how much memory it takes.

Run from the repository root::

    PYTHONPATH=. python benchmarks/cli_startup.py [--repeats 7] [--code DIR]

Prints, for ``xrbvo --help`` and ``xrbvo run --help`` (and ``explore``, ``classify``), the median wall
time over the repeats, the peak resident memory of one run (``ru_maxrss`` of the child) and which heavy
libraries building the whole parser imports.  ``--code DIR`` measures another checkout of xrbvo (e.g. the
main branch) for a before/after comparison.  The target is < 0.3 s per help; the figure depends on the
machine and its load, so it is printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "astropy", "scipy", "pandas", "sklearn", "xgboost", "textual", "matplotlib", "pyvo", "rich")
COMMANDS = (("--help",), ("run", "--help"), ("explore", "--help"), ("classify", "--help"))


def one(args: tuple[str, ...], env: dict, cwd: Path) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MB) of one ``python -m xrbvo ARGS``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "xrbvo", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"xrbvo {' '.join(args)} exited with {proc.returncode}")
    return dt, usage.ru_maxrss / 1024.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="runs per command (the median is printed)")
    ap.add_argument("--code", type=Path, default=REPO, help="checkout of xrbvo to measure (default: this one)")
    a = ap.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=str(a.code.resolve()))
    probe = ("import sys; from xrbvo.cli.entry import build_parser; build_parser(); "
             f"print(','.join(m for m in {HEAVY!r} if m in sys.modules) or 'none')")
    heavy = subprocess.run([sys.executable, "-c", probe], env=env, cwd=a.code, capture_output=True, text=True, check=True)
    for _ in range(2):  # warm the file cache
        one(("--version",), env, a.code)
    print(f"xrbvo from {a.code.resolve()}; python {sys.version.split()[0]}; load average "
          f"{os.getloadavg()[0]:.2f}; {a.repeats} runs each")
    print(f"building the whole parser imports: {heavy.stdout.strip()}")
    print(f"{'command':<22} {'median s':>9} {'min s':>7} {'peak MB':>8}")
    for args in COMMANDS:
        runs = [one(args, env, a.code) for _ in range(a.repeats)]
        times = [r[0] for r in runs]
        print(f"xrbvo {' '.join(args):<16} {statistics.median(times):>9.3f} {min(times):>7.3f} "
              f"{max(r[1] for r in runs):>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
