"""Load xrbvo's simulated sky into the local DaCHS under the real services' names.

Run as root with the project's Python (it imports :mod:`xrbvo`)::

    PYTHONPATH=. /path/to/venv/bin/python scripts/dachs/load.py

PostgreSQL must be running (``scripts/dachs/start.sh`` runs this script after
starting it).  The tables, one resource descriptor (RD) per schema in
``scripts/dachs/rd/``:

=============================  =========================================
local DaCHS                    real service
=============================  =========================================
gaiadr3.gaia_source            Gaia archive gaiadr3.gaia_source
external.gaiaedr3_distance     Gaia archive external.gaiaedr3_distance
twomass.psc                    VizieR "II/246/out"
catwise2020.main               VizieR "II/365/catwise"
vphas.dr2                      VizieR "II/341/vphasp" (VPHAS+ DR2)
erass1.main                    VizieR "J/A+A/682/A34/erass1-m"
erass1dr1.main                 VizieR "J/A+A/682/A34/erass1-m", the release
=============================  =========================================

``erass1.main`` holds the simulated sources under the release's FITS names (IAUNAME, RA, ...);
``erass1dr1.main`` holds them as the eRASS1 Main release (extended and flagged sources, UID_Hard
links: :func:`xrbvo.sim.erass1.release_tables`) under VizieR's column names (IAUName, RA_ICRS,
DetLike0, ExtLike, UIDHard, ...), for ``xrbvo run SERVICE:TABLE --region``.

Column names are the real ones (``"2MASS"`` as a delimited identifier); the
VizieR table names are not SQL identifiers, so the registry
(:data:`xrbvo.core.surveys.SURVEYS`, ``tap_aliases``) maps them.

The sky is the union of the fields in :data:`SKIES` (disjoint, different
seeds so identifiers never collide).  A stamp of the skies, the RDs and the
simulator's source is kept; an unchanged stamp skips the load (idempotent).
``--force`` reloads.  ``manifest.json`` next to the RDs records the skies, so
tests can simulate the same fields in-process and compare.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["SKIES", "main"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

def _demo_sky() -> dict:
    """The field of ``xrbvo demo`` with its defaults (:class:`xrbvo.workflows.demo.DemoConfig`)."""
    sys.path.insert(0, str(ROOT))
    from xrbvo.workflows.demo import DemoConfig

    d = DemoConfig()
    return {"l_deg": d.l_deg, "b_deg": d.b_deg, "width_deg": d.width_deg, "height_deg": d.height_deg,
            "class_boost": dict(d.boost), "seed": d.seed, "extra_surveys": ["vphas"]}


#: name -> SkyConfig keyword arguments.  ``demo`` is the field of ``xrbvo
#: demo`` (its defaults); ``bench`` is a wide field, disjoint from it, with
#: > 1,000 X-ray sources for benchmarks/tap_fetch.py.
SKIES: dict[str, dict] = {
    "demo": _demo_sky(),
    "bench": {"l_deg": 330.0, "b_deg": 0.0, "width_deg": 12.0, "height_deg": 4.0, "seed": 1,
              "field_density_scale": 0.3, "extra_surveys": ["vphas"]},
}

RDS = ("gaiadr3", "external", "twomass", "catwise2020", "vphas", "erass1", "erass1dr1")
#: RD -> (qualified table, data file name)
TABLES = {"gaiadr3": ("gaiadr3.gaia_source", "gaia_source"),
          "external": ("external.gaiaedr3_distance", "gaiaedr3_distance"),
          "twomass": ("twomass.psc", "psc"), "catwise2020": ("catwise2020.main", "catwise2020"),
          "vphas": ("vphas.dr2", "vphas"),
          "erass1": ("erass1.main", "erass1"), "erass1dr1": ("erass1dr1.main", "erass1dr1")}
ERASS1_COLUMNS = ("IAUNAME", "RA", "DEC", "POS_ERR", "ML_FLUX_1", "ML_FLUX_ERR_1", "flux_hard",
                  "flux_hard_err", "DET_LIKE_0")


def _stamp() -> str:
    h = hashlib.sha256(json.dumps(SKIES, sort_keys=True).encode())
    for p in sorted((HERE / "rd").glob("*.rd")) + sorted((ROOT / "xrbvo" / "sim").glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def _tables():
    import numpy as np
    from astropy.table import vstack

    from xrbvo.sim import SkyConfig, simulate_sky

    from xrbvo.sim.erass1 import release_tables

    parts: dict[str, list] = {k: [] for k in ("gaia_source", "gaiaedr3_distance", "psc", "catwise2020", "vphas",
                                              "erass1", "erass1dr1")}
    for name, kw in SKIES.items():
        sky = simulate_sky(SkyConfig(**kw))
        g = sky.catalogs["gaia"]
        parts["gaia_source"].append(g[[c for c in g.colnames if c != "r_med_geo"]])
        d = g[["source_id", "r_med_geo"]]
        parts["gaiaedr3_distance"].append(d[np.isfinite(d["r_med_geo"])])
        parts["psc"].append(sky.catalogs["2mass"])
        parts["catwise2020"].append(sky.catalogs["catwise"])
        parts["vphas"].append(sky.catalogs["vphas"])
        parts["erass1"].append(sky.xray[list(ERASS1_COLUMNS)])
        parts["erass1dr1"].append(vizier_release(release_tables(sky)[0]))
    out = {k: vstack(v, join_type="exact", metadata_conflicts="silent") for k, v in parts.items()}
    for key, col in (("gaia_source", "source_id"), ("psc", "2MASS"), ("catwise2020", "Name"), ("vphas", "VPHASDR2"),
                     ("erass1", "IAUNAME"), ("erass1dr1", "IAUName")):
        if len(np.unique(out[key][col])) != len(out[key]):
            raise SystemExit(f"load.py: identifiers of {key}.{col} collide between skies; change a seed")
    return out


#: The release's Main columns (xrbvo.sim.erass1) -> VizieR's names in J/A+A/682/A34/erass1-m.
VIZIER_NAMES = {"IAUNAME": "IAUName", "UID": "UID", "UID_Hard": "UIDHard", "RA": "RA_ICRS", "DEC": "DE_ICRS",
                "POS_ERR": "posErr", "RADEC_ERR": "RADECErr", "LII": "GLON", "BII": "GLAT", "MJD": "MJD", "EXT": "EXT",
                "EXT_LIKE": "ExtLike", "DET_LIKE_0": "DetLike0", "ML_CTS_1": "MLCts1", "ML_FLUX_1": "MLFlux1",
                "ML_FLUX_ERR_1": "e_MLFlux1", "FLAG_SP_SNR": "FlagSpSnr", "FLAG_SP_BPS": "FlagSpBps",
                "FLAG_SP_SCL": "FlagSpScl", "FLAG_SP_LGA": "FlagSpLga", "FLAG_SP_GC_CONS": "FlagSpGcCons"}


def vizier_release(main):
    """The simulated eRASS1 Main table under VizieR's column names (RAJ2000/DEJ2000 and DetUId added, as
    VizieR has them); no header keywords (a service's table carries none)."""
    import numpy as np
    from astropy.table import Table

    t = Table({v: main[k] for k, v in VIZIER_NAMES.items()})
    t.add_column(np.char.add("eb01_", np.asarray(main["UID"]).astype(str)), name="DetUId", index=1)
    t.add_column(t["RA_ICRS"], name="RAJ2000", index=6)
    t.add_column(t["DE_ICRS"], name="DEJ2000", index=7)
    t.meta = {}
    return t


def _pg_ident(name: str) -> str:
    """A column name as PostgreSQL knows it: DaCHS folds regular names to lower case."""
    import re

    return f'"{name.lower()}"' if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name) else f'"{name}"'


def _run(*cmd: str) -> None:
    print("load.py:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def _release_tables(rel: Path) -> dict:
    """The survey tables of a release directory (``xrbvo simulate --format erass1``: gaia.fits, 2mass.fits,
    catwise.fits), under load.py's table names."""
    import numpy as np
    from astropy.table import Table

    g = Table.read(rel / "gaia.fits")
    d = g[["source_id", "r_med_geo"]]
    return {"gaia_source": g[[c for c in g.colnames if c != "r_med_geo"]],
            "gaiaedr3_distance": d[np.isfinite(d["r_med_geo"])],
            "psc": Table.read(rel / "2mass.fits"), "catwise2020": Table.read(rel / "catwise.fits")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inputs", default="/var/gavo/inputs", help="DaCHS inputs directory")
    ap.add_argument("--user", default="dachsroot", help="user that runs dachs imp/pub")
    ap.add_argument("--database", default="gavo", help="PostgreSQL database of DaCHS")
    ap.add_argument("--force", action="store_true", help="reload even when the stamp is unchanged")
    ap.add_argument("--from", dest="release", type=Path, metavar="DIR",
                    help="serve the survey tables of this release directory (gaia.fits, 2mass.fits, "
                         "catwise.fits) instead of SKIES' (benchmarks/erass1_run.py --load); erass1.main is "
                         "left as it is, and the next plain run of load.py or start.sh restores SKIES' tables")
    args = ap.parse_args(argv)
    resdir = Path(args.inputs) / "xrbvo"
    stamp_file = resdir / "stamp"
    if args.release is not None:
        rel = args.release.resolve()
        stamp = "from " + str(rel)  # never equal to _stamp(): a plain run reloads SKIES
        rds = ("gaiadr3", "external", "twomass", "catwise2020")  # erass1 and erass1dr1 left as they are
        tables = _release_tables(rel)
    else:
        stamp = _stamp()
        rds = RDS
        if not args.force and stamp_file.exists() and stamp_file.read_text().strip() == stamp:
            print("load.py: tables are current", flush=True)
            return 0
        tables = _tables()
    (resdir / "data").mkdir(parents=True, exist_ok=True)
    stamp_file.unlink(missing_ok=True)  # a load cut short leaves no stamp: the next run loads again
    for name, t in tables.items():
        for fmt, suffix in (("fits", "fits"), ("ascii.csv", "csv")):
            tmp = resdir / "data" / f".{name}.{suffix}.tmp"
            t.write(tmp, format=fmt, overwrite=True)
            os.replace(tmp, resdir / "data" / f"{name}.{suffix}")
    for rd in RDS:
        shutil.copyfile(HERE / "rd" / f"{rd}.rd", resdir / f"{rd}.rd")
    if args.release is None:
        (resdir / "manifest.json").write_text(json.dumps({"skies": SKIES}, indent=1))
    _run("chown", "-R", f"{args.user}:gavo", str(resdir))
    _run("chmod", "-R", "a+rX", str(resdir))
    for rd in rds:
        # DaCHS creates the table, its metadata and indexes from one row; PostgreSQL's
        # COPY then loads the rows (DaCHS alone ingests ~1,000 rows/s, COPY ~100x more).
        _run("runuser", "-u", args.user, "--", "dachs", "imp", "-M", "1", f"xrbvo/{rd}")
        qualified, name = TABLES[rd]
        csv = resdir / "data" / f"{name}.csv"
        cols = ", ".join(_pg_ident(c) for c in tables[name].colnames)
        _run("runuser", "-u", "postgres", "--", "psql", "-d", args.database, "-q", "-v", "ON_ERROR_STOP=1",
             "-c", f"TRUNCATE {qualified}",
             "-c", f"\\copy {qualified} ({cols}) FROM '{csv}' WITH (FORMAT csv, HEADER true)",
             "-c", f"ANALYZE {qualified}")
    _run("runuser", "-u", args.user, "--", "dachs", "pub", *[f"xrbvo/{rd}" for rd in rds])
    stamp_file.write_text(stamp + "\n")
    print("load.py: loaded", ", ".join(rds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
