"""The association per partition on Dask (LSDB, HATS) against Gaia-like catalogues, side by side.

Generates Gaia-like catalogues (uniform positions in a Galactic-plane strip, Gaia-like G magnitudes and
errors) as HATS catalogues with margin caches (hats-import), X-ray sources in the same strip, and runs
neighbourhoods + association per partition on a local Dask cluster of 2 worker processes
(:class:`xrbvo.stages.neighbourhoods.lsdb.LsdbProvider`, :mod:`xrbvo.workflows.context`).
Prints wall time, peak memory per worker, rows per second, the ratio to the in-memory engine where it
fits, and a linear projection to all 930,000 eRASS1 sources against Gaia DR3 (1.8e9 rows).

    PYTHONPATH=$PWD python benchmarks/scale_lsdb.py [--cases 1e4x1e6,1e5x1e6,1e5x1e7] [--dir /tmp/xrbvo-scale]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

STRIP = (300.0, 310.0, -1.0, 1.0)  # l_min, l_max, b_min, b_max (20 deg^2)
RADIUS = 20.0


def _strip_positions(n, rng):
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    l0, l1, b0, b1 = STRIP
    l = rng.uniform(l0, l1, n)
    b = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(b0)), np.sin(np.radians(b1)), n)))
    c = SkyCoord(l=l * u.deg, b=b * u.deg, frame="galactic").icrs
    return c.ra.deg, c.dec.deg


def make_gaia(path: Path, n: int, client, seed=1):
    """A Gaia-like HATS catalogue of ``n`` rows with a margin cache at ``path`` (reused when present)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from hats_import.catalog.arguments import ImportArguments
    from hats_import.margin_cache.margin_cache_arguments import MarginCacheArguments
    from hats_import.pipeline import pipeline_with_client

    if (path / "hats.properties").exists() and Path(str(path) + "_margin").exists():
        return
    raw = path.parent / f"{path.name}_raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    files = []
    for k in range(0, n, chunk):
        m = min(chunk, n - k)
        ra, dec = _strip_positions(m, rng)
        g = 21.0 - rng.exponential(2.0, m).clip(0, 12)
        err = 0.02 * 10 ** (0.2 * (g - 15)).clip(0.3, 40)  # mas, Gaia-like
        t = pa.table({"source_id": np.arange(k, k + m, dtype=np.int64) + 10**15, "ra": ra, "dec": dec,
                      "ra_error": err, "dec_error": err, "phot_g_mean_mag": g})
        f = raw / f"part{k // chunk:04d}.parquet"
        pq.write_table(t, f)
        files.append(str(f))
    pipeline_with_client(ImportArguments(output_artifact_name=path.name, input_file_list=files, file_reader="parquet",
                                         output_path=str(path.parent), pixel_threshold=300_000,
                                         highest_healpix_order=9, progress_bar=False, resume=False,
                                         tmp_dir=str(path.parent / "tmp")), client)
    pipeline_with_client(MarginCacheArguments(input_catalog_path=str(path), output_path=str(path.parent),
                                              output_artifact_name=f"{path.name}_margin", margin_threshold=30.0,
                                              progress_bar=False, resume=False, tmp_dir=str(path.parent / "tmp")),
                         client)


def make_xray(n: int, seed=2):
    from astropy.table import Table

    rng = np.random.default_rng(seed)
    ra, dec = _strip_positions(n, rng)
    t = Table({"xid": np.array([f"X{i:07d}" for i in range(n)]), "ra": ra, "dec": dec,
               "pos_err": rng.uniform(2.0, 6.0, n)})
    return t


def _task(part, radius, natives, cfg_stats):
    from xrbvo.stages.neighbourhoods.lsdb import partition_neighbourhoods

    return partition_neighbourhoods(part, ("gaia",), radius, natives)


def _pipeline_config(cfg):
    from xrbvo.pipeline import PipelineConfig

    return PipelineConfig(radius_arcsec=RADIUS, surveys=("gaia",), counterparts="nway", association=cfg)


def _stats(nb, radius, cfg):
    from astropy.table import Table

    from xrbvo.workflows.context import measure_part

    rows, nbs = nb
    return measure_part(Table({"row": np.asarray(rows["row"], int)}), nbs, _pipeline_config(cfg))


def _assoc(nb, xray, cfg, radius):
    from xrbvo.stages.match import AssociationInput, BayesianAssociator

    rows, nbs = nb
    if not len(rows):
        return 0, 0
    x = xray[np.asarray(rows["row"], int)]
    res = BayesianAssociator(cfg)(AssociationInput(x, nbs, radius))
    return len(res.sources), len(nbs["gaia"])


def _peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def run_case(n_x, gaia_path, client, cfg):
    import dask

    from xrbvo.stages.neighbourhoods.lsdb import LsdbProvider
    from xrbvo.workflows.context import measure

    xray = make_xray(n_x)
    prov = LsdbProvider({"gaia": str(gaia_path)}, xray_partition_rows=20_000, xray_highest_order=7)
    t0 = time.perf_counter()
    nested = prov.nested(xray, RADIUS, ("gaia",))
    natives = prov.natives(("gaia",))
    nbs = [dask.delayed(_task, pure=True)(p, RADIUS, natives, None) for p in nested.to_delayed()]
    nb_f = client.compute(nbs)
    stats = client.gather(client.compute([dask.delayed(_stats, pure=True)(n, RADIUS, cfg) for n in nbs]))
    pcfg = _pipeline_config(cfg)
    ident = {"radius_arcsec": RADIUS, "pull_radius_arcsec": pcfg.pull_radius_arcsec, "surveys": ["gaia"],
             "counterparts": "nway", "association": repr(cfg), "xray_survey": "erass1", "n_sources": len(xray),
             "input_sha": "", "model_sha": "", "counterpart_sha": "", "policy_sha": "", "provider": {}}
    fixed = measure(xray, stats, pcfg, identity=ident).configure(pcfg).association  # the run context's numbers
    [xr_f] = client.scatter([xray], broadcast=True)
    out = client.gather([client.submit(_assoc, f, xr_f, fixed, RADIUS, pure=False) for f in nb_f])
    wall = time.perf_counter() - t0
    n_src = sum(o[0] for o in out)
    n_pairs = sum(o[1] for o in out)
    peaks = client.run(_peak_rss_gb)
    return dict(wall=wall, n_src=n_src, n_pairs=n_pairs, peak=max(peaks.values()), parts=nested.npartitions,
                xray=xray)


def in_memory(xray, gaia_raw_dir, cfg):
    import pyarrow.parquet as pq
    from astropy.table import Table

    from xrbvo.stages.match import AssociationInput, BayesianAssociator
    from xrbvo.stages.neighbourhoods.base import cone_join, standardise_catalogue

    t0 = time.perf_counter()
    tab = Table(pq.read_table(sorted(gaia_raw_dir.glob("*.parquet"))).to_pydict())
    cat = standardise_catalogue(tab, "gaia")
    nb = cone_join(xray, cat, RADIUS)
    res = BayesianAssociator(cfg)(AssociationInput(xray, {"gaia": nb}, RADIUS))
    return time.perf_counter() - t0, res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="1e4x1e6,1e5x1e6,1e5x1e7")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/xrbvo-scale"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="4GB")
    args = ap.parse_args()
    from dask.distributed import Client

    from xrbvo.stages.match import BayesConfig
    from xrbvo.workflows.scale import local_cluster

    cfg = BayesConfig(mag_priors={("gaia", "G"): "auto"}, propagate_proper_motion=False, prior_mode="independent")
    cases = [tuple(int(float(v)) for v in c.split("x")) for c in args.cases.split(",")]
    print(f"{'X-ray':>8} {'Gaia':>10} {'parts':>5} {'pairs':>9} {'wall s':>8} {'peak GB/worker':>14} "
          f"{'X-ray/s':>8} {'Gaia rows/s':>11} {'in-mem s':>8} {'ratio':>6}")
    rows = []
    with local_cluster(args.workers, processes=True, memory_limit=args.memory_limit) as cluster, \
            Client(cluster) as client:
        for n_x, n_g in cases:
            path = args.dir / f"gaia_{n_g:.0e}".replace("+", "")
            make_gaia(path, n_g, client)
            r = run_case(n_x, path, client, cfg)
            mem_s, ratio = float("nan"), float("nan")
            if n_g <= 1_000_000:
                mem_s, res = in_memory(r["xray"], Path(str(path) + "_raw"), cfg)
                ratio = r["wall"] / mem_s
            rows.append((n_x, n_g, r))
            print(f"{n_x:>8.0e} {n_g:>10.0e} {r['parts']:>5d} {r['n_pairs']:>9d} {r['wall']:>8.1f} "
                  f"{r['peak']:>14.2f} {n_x / r['wall']:>8.0f} {n_g / r['wall']:>11.0f} {mem_s:>8.1f} "
                  f"{ratio:>6.2f}", flush=True)
    # projection: wall = a * Gaia rows + b * X-ray sources (least squares over the cases), on 2 workers
    A = np.array([[n_g, n_x] for n_x, n_g, _ in rows], float)
    y = np.array([r["wall"] for *_, r in rows])
    coef = np.linalg.lstsq(A, y, rcond=None)[0] if len(rows) >= 2 else np.array([y[0] / A[0, 0], 0.0])
    coef = np.maximum(coef, 0)
    full = coef @ np.array([1.8e9, 930_000.0]) * args.workers  # core-seconds
    print(f"linear model on {args.workers} workers: {coef[0]:.3g} s per Gaia row + {coef[1]:.3g} s per X-ray source")
    for cores in (16, 128):
        print(f"projected 930,000 eRASS1 x 1.8e9 Gaia DR3 on {cores} cores: {full / cores / 3600:.2f} h "
              f"({full / 3600:.0f} core-hours)")


if __name__ == "__main__":
    main()
