"""Benchmark: xrbvo's Bayesian association against NWAY, side by side in one run.

Usage::

    python benchmarks/match_vs_nway.py [--quick] [--scales 1e4,1e5,1e6] [--skip-nway] [--workers N]

Cases (the issue's): 1,800 X-ray sources against 560,000 optical sources over
2 deg^2 with a 20" radius (2-way), and the same plus 345,000 infrared sources
(3-way).  Each program runs in its own subprocess on the same FITS files; wall
time includes reading the files and finding the neighbours (NWAY does both), and
peak memory is the subprocess's maximum resident set size.  Then xrbvo alone is
scaled to 1e4, 1e5, 1e6 X-ray sources with ~100 candidates each (2-way), fed in
chunks of 20,000 sources so that memory stays bounded (``--workers``: threads of
the association, default 1).  A first line gives the floor that importing
numpy, astropy.table and xrbvo's matching costs the xrbvo child.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

NWAY_CHILD = textwrap.dedent(r"""
    import os, resource, runpy, sys, time, json
    script, workdir, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    os.chdir(workdir)
    sys.argv = [script] + args
    t0 = time.perf_counter()
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise
    dt = time.perf_counter() - t0
    print(json.dumps({"wall_s": dt, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

XRBVO_CHILD = textwrap.dedent(r"""
    import json, resource, sys, time
    t0 = time.perf_counter()
    import numpy as np
    from astropy.table import Table
    from xrbvo.stages.match import AssociationInput, BayesConfig, BayesianAssociator, keep_freed_memory
    from xrbvo.stages.neighbourhoods.base import cone_join
    keep_freed_memory()  # as the xrbvo command does
    workdir, names, radius, area = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    def load(name):
        t = Table.read(f"{workdir}/{name}.fits", hdu=1)
        out = Table({"ra": t["RA"], "dec": t["DEC"], "pos_err": t["pos_err"]})
        out["xid" if name == "xray" else "nid"] = np.asarray(t["ID"]).astype(str)
        return out
    xr = load("xray")
    nbs = {}
    surveys = {"OPT": "gaia", "IR": "catwise"}
    for n in names:
        nbs[surveys[n]] = cone_join(xr, load(n), radius)
    cfg = BayesConfig(completeness={"gaia": 0.8, "catwise": 0.8}, density="catalogue",
                      catalogue_density={surveys[n]: (len(Table.read(f"{workdir}/{n}.fits", hdu=1)), area)
                                         for n in names})
    res = BayesianAssociator(cfg)(AssociationInput(xr, nbs, radius))
    dt = time.perf_counter() - t0
    print(json.dumps({"wall_s": dt, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "n_comb": len(res.combinations)}))
""")

IMPORT_CHILD = textwrap.dedent(r"""
    import json, resource, time
    t0 = time.perf_counter()
    import numpy as np
    from astropy.table import Table
    from xrbvo.stages.match import AssociationInput, BayesConfig, BayesianAssociator, keep_freed_memory
    from xrbvo.stages.neighbourhoods.base import cone_join
    keep_freed_memory()  # as the xrbvo command does
    print(json.dumps({"wall_s": time.perf_counter() - t0,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

SCALE_CHILD = textwrap.dedent(r"""
    import json, math, resource, sys, time
    import numpy as np
    from astropy.table import Table
    from xrbvo.stages.match import AssociationInput, BayesConfig, BayesianAssociator, keep_freed_memory
    keep_freed_memory()  # as the xrbvo command does
    n_total, per, chunk, workers = int(float(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = np.random.default_rng(1)
    r = 20.0
    cfg = BayesConfig(completeness={"gaia": 0.8}, density="catalogue", workers=workers,
                      catalogue_density={"gaia": (per * 1e6 / (math.pi * r * r / 3600.0**2), 1e6)})
    eng = BayesianAssociator(cfg)
    t_gen = 0.0
    t0 = time.perf_counter()
    n_comb = 0
    for start in range(0, n_total, chunk):
        g0 = time.perf_counter()
        n = min(chunk, n_total - start)
        ra = rng.uniform(0, 360, n)
        dec = np.degrees(np.arcsin(rng.uniform(-0.9, 0.9, n)))
        xids = np.arange(start, start + n).astype(str)
        xr = Table({"xid": xids, "ra": ra, "dec": dec, "pos_err": rng.uniform(1, 5, n)}, copy=False)
        k = rng.poisson(per, n)
        owner = np.repeat(np.arange(n), k)
        m = len(owner)
        rr = r * np.sqrt(rng.random(m))
        th = rng.uniform(0, 2 * np.pi, m)
        dra = rr * np.cos(th) / 3600.0 / np.cos(np.radians(dec[owner]))
        nb = Table({"xid": xids[owner], "nid": np.arange(m).astype(str), "ra": ra[owner] + dra,
                    "dec": dec[owner] + rr * np.sin(th) / 3600.0, "pos_err": np.full(m, 0.05), "sep": rr},
                   copy=False)
        t_gen += time.perf_counter() - g0
        res = eng(AssociationInput(xr, {"gaia": nb}, r))
        n_comb += len(res.combinations)
        del res, nb, xr
    dt = time.perf_counter() - t0 - t_gen
    print(json.dumps({"wall_s": dt, "gen_s": t_gen, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "n_comb": n_comb}))
""")


def write_fits(path, ids, ra, dec, err, extname, area):
    from astropy.io import fits

    cols = [fits.Column(name="ID", format="K", array=ids), fits.Column(name="RA", format="D", array=ra),
            fits.Column(name="DEC", format="D", array=dec), fits.Column(name="pos_err", format="D", array=err)]
    hdu = fits.BinTableHDU.from_columns(cols)
    hdu.header["EXTNAME"] = extname
    hdu.header["SKYAREA"] = area
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path, overwrite=True)


def make_inputs(workdir: Path, n_x, n_opt, n_ir, area, seed=0):
    rng = np.random.default_rng(seed)
    side = np.sqrt(area)
    ra0, dec0 = 266.0, -29.0
    cosd = np.cos(np.radians(dec0))

    def pos(n):
        return ra0 + rng.uniform(-side / 2, side / 2, n) / cosd, dec0 + rng.uniform(-side / 2, side / 2, n)

    xra, xdec = pos(n_x)
    xerr = rng.uniform(1.0, 5.0, n_x)
    write_fits(workdir / "xray.fits", np.arange(1, n_x + 1), xra, xdec, xerr, "XRAY", area)
    has = rng.random(n_x) < 0.6
    for name, n, err in (("OPT", n_opt, 0.05), ("IR", n_ir, 0.3)):
        if not n:
            continue
        ra, dec = pos(n - has.sum())
        off = rng.normal(0, 1, (has.sum(), 2)) * xerr[has, None] / 3600.0
        ra = np.concatenate([ra, xra[has] + off[:, 0] / cosd])
        dec = np.concatenate([dec, xdec[has] + off[:, 1]])
        write_fits(workdir / f"{name}.fits", np.arange(1, n + 1), ra, dec, np.full(n, err), name, area)


def run_child(args, cwd=None, env=None):
    proc = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a tenth of the sizes (smoke run)")
    ap.add_argument("--skip-nway", action="store_true")
    ap.add_argument("--scales", default="1e4,1e5,1e6", help="X-ray source counts for the scaling run")
    ap.add_argument("--workers", type=int, default=1, help="BayesConfig.workers for the scaling run (threads)")
    args = ap.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg")
    f = 0.1 if args.quick else 1.0
    n_x, n_opt, n_ir, area, radius = int(1800 * f), int(560_000 * f), int(345_000 * f), 2.0 * f, 20.0
    nway = shutil.which("nway.py") or str(Path(sys.executable).with_name("nway.py"))
    print(f"# xrbvo vs NWAY: {n_x} X-ray sources, {area:g} deg^2, radius {radius:g} arcsec")
    base = run_child([sys.executable, "-c", IMPORT_CHILD], env=env)
    print(f"# floor: importing numpy, astropy.table and xrbvo's matching alone takes {base['wall_s']:.2f} s "
          f"and {base['peak_mb']:.0f} MB (included in xrbvo's rows)")
    print(f"{'case':<10}{'program':<8}{'wall s':>10}{'peak MB':>10}{'combinations':>14}")
    for case, names in (("2-way", ["OPT"]), ("3-way", ["OPT", "IR"])):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            make_inputs(tmp, n_x, n_opt, n_ir if "IR" in names else 0, area)
            (tmp / "I_will_check_for_NWAY_updates_myself_thank_you").touch()
            x = run_child([sys.executable, "-c", XRBVO_CHILD, str(tmp), json.dumps(names), str(radius), str(area)],
                          env=env)
            print(f"{case:<10}{'xrbvo':<8}{x['wall_s']:>10.2f}{x['peak_mb']:>10.0f}{x['n_comb']:>14}")
            if args.skip_nway or not Path(nway).exists():
                print(f"{case:<10}{'nway':<8}{'(skipped: nway.py not installed or --skip-nway)':>34}")
                continue
            nargs = ["xray.fits", ":pos_err"]
            for nm in names:
                nargs += [f"{nm}.fits", ":pos_err"]
            nargs += ["--radius", str(radius), "--prior-completeness", ":".join(["0.8"] * len(names)),
                      "--out", "out.fits"]
            n = run_child([sys.executable, "-c", NWAY_CHILD, nway, str(tmp), json.dumps(nargs)], cwd=tmp, env=env)
            print(f"{case:<10}{'nway':<8}{n['wall_s']:>10.2f}{n['peak_mb']:>10.0f}{'':>14}")
            print(f"{case:<10}{'ratio':<8}{n['wall_s'] / x['wall_s']:>9.1f}x{x['peak_mb'] / n['peak_mb']:>9.2f}x"
                  "   (time: nway/xrbvo; memory: xrbvo/nway)")
    print()
    print(f"# xrbvo scaling, 2-way, ~100 candidates per source, chunks of 20,000 sources, workers={args.workers}")
    print(f"{'sources':>10}{'wall s':>10}{'peak MB':>10}{'us/source':>11}{'combinations':>14}")
    for s in args.scales.split(","):
        n = int(float(s) * (f if args.quick else 1.0))
        r = run_child([sys.executable, "-c", SCALE_CHILD, str(n), "100", "20000", str(args.workers)], env=env)
        print(f"{n:>10}{r['wall_s']:>10.2f}{r['peak_mb']:>10.0f}{1e6 * r['wall_s'] / n:>11.1f}{r['n_comb']:>14}")


if __name__ == "__main__":
    main()
