"""``xrbvo run`` on a simulated eRASS1 release of the Galactic plane: local files and the local DaCHS, side by side.

    PYTHONPATH=. python benchmarks/erass1_run.py [--model DIR] [--fields 7] [--tap-url http://127.0.0.1:8089/tap]
                                                 [--load]

What it does, in one process that starts each run as a child (``python -m xrbvo run``):

1. **The big field, local files.**  ``--fields`` adjacent 10 x 10 deg fields along the plane
   (l = 265 + 10 k, b = 0; xrbvo/sim/sky.py simulates at most ``MAX_AREA_DEG2`` = 100 deg2 at
   once) at the natural density of the simulator (no ``--boost``), each written by ``xrbvo
   simulate --format erass1``, then concatenated into one ``eRASS1_Main.fits`` /
   ``eRASS1_Hard.fits`` and one table per survey.  Identifiers are made unique: Main and Hard
   ``UID`` of field k get k x 10^12 added (their links ``UID_Hard`` / ``UID_1B`` keep their sign);
   the survey identifiers carry each field's seed already and are checked.  Seven fields hold
   12,848 X-ray sources.  Survey stars are simulated only within 60 arcsec of each field's
   own X-ray sources, so near a border between two fields the star density is up to twice the
   model's over a strip one arcminute wide; the effect on timing is small.
2. **The big field through the local DaCHS** (``--load``, as root): the big field's survey tables are
   loaded into the local DaCHS under the real services' names (``scripts/dachs/load.py --from``,
   PostgreSQL COPY; not timed), the same release is run with ``--provider tap`` and a cold cache,
   and the DaCHS's own tables are restored afterwards (``load.py --force``).  The DaCHS is shared by
   the tests, so nothing else may use it meanwhile.
3. **Without --load: the same run through the local DaCHS, on the fields it serves.**  The DaCHS that
   ``scripts/dachs/start.sh`` starts is shared (other tests and engineers use it), and
   ``scripts/dachs/load.py`` *replaces* its tables; so without ``--load`` the big field is not
   loaded into it.  It measures the DaCHS run on the sources of the fields the DaCHS already
   serves (``SKIES`` of load.py: ``demo``, 8 x 4 deg at l = 300 with HMXB x10 and LMXB x30, and
   ``bench``, 12 x 4 deg at l = 330 with field stars at 0.3 of the model's density), written as
   the eRASS1 release, and runs the same files locally too, so the two providers are compared on
   the same sources.  ``--tap-url none`` skips it.

For each run: wall time, peak memory (``ru_maxrss`` of that child, from ``os.wait4``), X-ray
sources in the Main table per second, and the time projected linearly to the 930,000-source
eRASS1 Main catalogue and to its |b| < 10 deg part.  The |b| < 10 deg count is derived from
xrbvo's population model (:func:`xrbvo.galaxy.census.census` of l = 180-360, |b| < 10, the
eROSITA-DE half of the sky, at eRASS1's default sensitivity) and, for
comparison, from the area share of 930,000 (the catalogue spread evenly over the half sky).

The model is ``--model DIR`` (a bundle, e.g. the ``model`` directory of ``xrbvo demo --out
DIR``); without it, ``xrbvo demo`` trains one first, and that time is not in the figures.
Runs use the defaults of ``xrbvo run`` (5 deg tiles, ``--counterparts`` default) and no
``--region``.  The fields are simulated ``--jobs`` at a time (not timed).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
N_ERASS1 = 930_000
#: the eROSITA-DE half of the sky (deg2) and its |b| < 10 deg part
HALF_SKY_DEG2 = 20_626.5
SURVEYS = {"gaia": "source_id", "2mass": "2MASS", "catwise": "Name"}


def _skies() -> dict:
    spec = importlib.util.spec_from_file_location("_load", ROOT / "scripts" / "dachs" / "load.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.SKIES


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _child(args: list[str], log: Path) -> tuple[float, float]:
    """Run ``python -m xrbvo ARGS``; its wall time (s) and peak resident memory (MiB)."""
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        p = subprocess.Popen([sys.executable, "-m", "xrbvo", *args], stdout=fh, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=_env())
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"xrbvo {' '.join(args[:3])} ... failed (exit {p.returncode}); see {log}:\n"
                         + log.read_text()[-3000:])
    return wall, ru.ru_maxrss / 1024.0  # Linux: KiB


def _renumber(main, hard, k: int) -> None:
    """Make the release's UIDs of field ``k`` unique across fields, keeping the links."""
    off = np.int64(k) * np.int64(10**12)

    def shift(v):
        v = np.asarray(v, np.int64)
        return np.where(v == 0, 0, np.sign(v) * (np.abs(v) + off))

    main["UID"] = shift(main["UID"])
    main["UID_Hard"] = shift(main["UID_Hard"])
    hard["UID"] = shift(hard["UID"])
    hard["UID_1B"] = shift(hard["UID_1B"])


def _concat(dirs: list[Path], out: Path) -> int:
    """Concatenate simulated releases into one release and one table per survey; the Main size."""
    from astropy.table import Table, vstack

    from xrbvo.io import write_table

    out.mkdir(parents=True, exist_ok=True)
    mains, hards = [], []
    for k, d in enumerate(dirs):
        m, h = Table.read(d / "eRASS1_Main.fits"), Table.read(d / "eRASS1_Hard.fits")
        _renumber(m, h, k)
        mains.append(m)
        hards.append(h)
    main = vstack(mains, join_type="exact", metadata_conflicts="silent")
    for key in ("NEXTINJ", "NFLGINJ", "NWEAKINJ"):
        main.meta[key] = int(sum(int(m.meta[key]) for m in mains))
    hard = vstack(hards, join_type="exact", metadata_conflicts="silent")
    for t, col in ((main, "IAUNAME"), (main, "UID"), (hard, "UID")):
        if len(np.unique(np.asarray(t[col]))) != len(t):
            raise SystemExit(f"identifiers {col} collide between fields")
    write_table(main, out / "eRASS1_Main.fits")
    write_table(hard, out / "eRASS1_Hard.fits")
    for s, col in SURVEYS.items():
        t = vstack([Table.read(d / f"{s}.fits") for d in dirs], join_type="exact", metadata_conflicts="silent")
        if len(np.unique(np.asarray(t[col]))) != len(t):
            raise SystemExit(f"{s} identifiers {col} collide between fields")
        write_table(t, out / f"{s}.fits")
    return len(main)


def compare_catalogues(a: Path, b: Path) -> str:
    """One line: do the catalogues in output directories ``a`` and ``b`` agree (sources, candidates, P_*)?"""
    from astropy.table import Table

    ta, tb = Table.read(a / "xrbvo_catalogue.fits"), Table.read(b / "xrbvo_catalogue.fits")
    if len(ta) != len(tb) or list(np.asarray(ta["xid"])) != list(np.asarray(tb["xid"])):
        return f"{len(ta)} vs {len(tb)} sources: NOT the same sources"
    cand = np.asarray(ta["candidate_class"]) == np.asarray(tb["candidate_class"])
    pcols = [c for c in ta.colnames if c.startswith("P_") and c in tb.colnames]
    dp = max(float(np.nanmax(np.abs(np.asarray(ta[c], float) - np.asarray(tb[c], float)), initial=0.0))
             for c in pcols)
    n_cand = int(np.sum(np.asarray(ta["candidate_class"]).astype(str) != ""))
    return (f"{len(ta)} sources, {n_cand} candidates; candidate class equal for {int(cand.sum())} of {len(ta)}; "
            f"largest |difference| over {len(pcols)} P_* columns {dp:.3g}")


def _load_dachs(args: list[str], log: Path) -> None:
    """``scripts/dachs/load.py ARGS`` (replaces the tables the local DaCHS serves)."""
    with open(log, "w") as fh:
        p = subprocess.run([sys.executable, str(ROOT / "scripts" / "dachs" / "load.py"), *args], stdout=fh,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_env())
    if p.returncode != 0:
        raise SystemExit(f"load.py {' '.join(args)} failed (exit {p.returncode}); see {log}:\n"
                         + log.read_text()[-3000:])


def _dachs_release(out: Path) -> int:
    """The fields the local DaCHS serves, as one eRASS1 release with their survey tables; the Main size."""
    from xrbvo.io import write_table
    from xrbvo.sim import SkyConfig, simulate_sky
    from xrbvo.sim.erass1 import release_tables

    dirs = []
    for name, kw in _skies().items():
        d = out / name
        d.mkdir(parents=True, exist_ok=True)
        sky = simulate_sky(SkyConfig(**kw))
        main, hard = release_tables(sky)
        for fname, t in [("eRASS1_Main", main), ("eRASS1_Hard", hard), *((s, sky.catalogs[s]) for s in SURVEYS)]:
            write_table(t, d / f"{fname}.fits")
        dirs.append(d)
    return _concat(dirs, out / "all")


def plane_count() -> tuple[float, float]:
    """Sources of xrbvo's population model at |b| < 10 deg, l = 180-360; and the area (deg2)."""
    from xrbvo.galaxy.census import census

    c = census("gal:180,360,-10,10", step_deg=1.0)
    return c.total, c.area_deg2


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, help="model bundle (default: train one with xrbvo demo, not timed)")
    ap.add_argument("--work", type=Path, default=Path("erass1-bench-work"), help="working directory")
    ap.add_argument("--fields", type=int, default=7, help="adjacent 10 x 10 deg fields (default 7)")
    ap.add_argument("--jobs", type=int, default=2, help="fields simulated at once (default 2)")
    ap.add_argument("--tap-url", default="http://127.0.0.1:8089/tap", help="the local DaCHS, or 'none'")
    ap.add_argument("--load", action="store_true",
                    help="load the big field's survey tables into the local DaCHS (as root; replaces the tables "
                         "it serves, so nothing else may use it meanwhile), run the big field through it, and "
                         "restore the DaCHS's own tables afterwards")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)

    model = args.model
    if model is None:
        model = work / "demo" / "model"
        if not model.exists():
            print("training a model with xrbvo demo (not timed) ...", flush=True)
            _child(["-q", "demo", "--out", str(work / "demo")], work / "demo.log")
    model = Path(model).resolve()

    print(f"simulating {args.fields} adjacent 10 x 10 deg fields at b = 0 (natural density) ...", flush=True)
    t0 = time.perf_counter()
    dirs = [work / "fields" / f"f{k}" for k in range(args.fields)]
    todo = [(k, d) for k, d in enumerate(dirs) if not (d / "eRASS1_Main.fits").exists()]
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        list(pool.map(lambda kd: _child(["-q", "simulate", "--format", "erass1", "--out", str(kd[1]),
                                         "--seed", str(1000 + kd[0]), "--l", str(265 + 10 * kd[0]), "--b", "0",
                                         "--width", "10", "--height", "10"], work / f"sim{kd[0]}.log"), todo))
    big = work / "big"
    n_big = _concat(dirs, big)
    print(f"  {n_big} X-ray sources in eRASS1_Main.fits over {100 * args.fields} deg2 "
          f"({time.perf_counter() - t0:.0f} s, not in the figures)", flush=True)

    runs = []  # (label, n, wall, peak MiB)

    def run(label: str, rel: Path, n: int, extra: list[str]) -> None:
        out = work / "out" / label.replace(" ", "_").replace(",", "")
        args_ = ["-q", "run", str(rel / "eRASS1_Main.fits"), "--hard", str(rel / "eRASS1_Hard.fits"),
                 "--model", str(model), "--out", str(out), *extra]
        print(f"running: {label} ...", flush=True)
        wall, peak = _child(args_, work / f"{out.name}.log")
        runs.append((label, n, wall, peak))

    def local(rel: Path) -> list[str]:
        return [a for s in SURVEYS for a in ("--catalog", f"{s}={rel / (s + '.fits')}")]

    run(f"local files, {args.fields} plane fields", big, n_big, local(big))
    if args.tap_url.lower() != "none" and args.load:
        print("loading the big field's survey tables into the local DaCHS (load.py --from; not timed) ...",
              flush=True)
        t0 = time.perf_counter()
        _load_dachs(["--from", str(big)], work / "load.log")
        print(f"  loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        try:
            shutil.rmtree(work / "tapcache-big", ignore_errors=True)  # a cold cache: every chunk is fetched
            run(f"DaCHS TAP, {args.fields} plane fields", big, n_big,
                ["--provider", "tap", "--tap-url", args.tap_url, "--cache", str(work / "tapcache-big"),
                 "--timeout", "3600"])
        finally:
            print("restoring the DaCHS's own tables (load.py --force) ...", flush=True)
            _load_dachs(["--force"], work / "restore.log")
    elif args.tap_url.lower() != "none":
        n_sub = _dachs_release(work / "served")
        sub = work / "served" / "all"
        run("local files, DaCHS fields", sub, n_sub, local(sub))
        shutil.rmtree(work / "tapcache", ignore_errors=True)  # a cold cache: every chunk is fetched
        run("DaCHS TAP, DaCHS fields", sub, n_sub, ["--provider", "tap", "--tap-url", args.tap_url,
                                                     "--cache", str(work / "tapcache"), "--timeout", "3600"])

    n_plane, area_plane = plane_count()
    print()
    print(f"eRASS1 Main catalogue: {N_ERASS1:,} sources; |b| < 10 deg (l = 180-360, {area_plane:.0f} deg2):")
    print(f"  {n_plane:,.0f} sources from xrbvo's population model (galaxy.census, eRASS1 sensitivity) "
          f"- used below")
    print(f"  {N_ERASS1 * area_plane / HALF_SKY_DEG2:,.0f} sources if the catalogue were spread evenly "
          f"(area share, for comparison)")
    print()
    print(f"{'run':<36}{'sources':>9}{'wall s':>9}{'peak MiB':>10}{'src/s':>8}"
          f"{'930k: h':>10}{'|b|<10: h':>11}")
    for label, n, wall, peak in runs:
        rate = n / wall
        print(f"{label:<36}{n:>9d}{wall:>9.1f}{peak:>10.0f}{rate:>8.1f}"
              f"{N_ERASS1 / rate / 3600:>10.1f}{n_plane / rate / 3600:>11.1f}")
    print("(wall time includes start-up, reading the model and writing the outputs; projections are linear)")
    for label, a, b in (("7 plane fields", "local_files_{f}_plane_fields", "DaCHS_TAP_{f}_plane_fields"),
                        ("DaCHS fields", "local_files_DaCHS_fields", "DaCHS_TAP_DaCHS_fields")):
        da, db = (work / "out" / x.format(f=args.fields) for x in (a, b))
        if (da / "xrbvo_catalogue.fits").exists() and (db / "xrbvo_catalogue.fits").exists() \
                and any(r[0].startswith("DaCHS TAP") and label in r[0] for r in runs):
            print(f"TAP vs local files, {label}: {compare_catalogues(da, db)}")
    print(f"machine: {os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "(1, 5, 15 min) at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
