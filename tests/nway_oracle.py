"""Helpers to run NWAY (the reference program, a test-only dependency) on generated inputs.

NWAY is AGPL-licensed; xrbvo never imports it.  The tests only run its
``nway.py`` script in a subprocess on FITS files they write, and read its
output back, so the comparison uses NWAY exactly as astronomers run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.table import Table

from xrbvo.stages.match import AssociationInput

__all__ = ["nway_script", "make_field", "write_fits", "prepare_nway", "run_nway", "to_xrbvo", "GENERATED_NAMES"]

GENERATED_NAMES = {"gaia": "GAIA", "2mass": "TMASS", "catwise": "WISE"}


def nway_script() -> str | None:
    """Path of ``nway.py`` next to this interpreter, or on PATH; None when NWAY is not installed."""
    cand = Path(sys.executable).with_name("nway.py")
    if cand.exists():
        return str(cand)
    return shutil.which("nway.py")


def make_field(rng, *, n_x, densities_deg2, area_deg2=0.04, dec0=0.0, ra0=150.0, x_err=(1.5, 4.0),
               errs=None, frac_ctp=0.7, ellipse=False, mags=False):
    """An X-ray catalogue and secondary catalogues over a square field.

    ``densities_deg2``: survey -> density (deg^-2).  A fraction ``frac_ctp`` of
    the X-ray sources get a true counterpart in every survey.
    """
    side = float(np.sqrt(area_deg2))
    cosd = np.cos(np.radians(dec0))
    errs = errs or {"gaia": 0.05, "2mass": 0.2, "catwise": 0.5}

    def uniform(n):
        return (ra0 + rng.uniform(-side / 2, side / 2, n) / cosd, dec0 + rng.uniform(-side / 2, side / 2, n))

    # keep X-ray sources 30" away from the field edge, so every cone is inside the catalogues
    margin = 30.0 / 3600.0
    xra = ra0 + rng.uniform(-side / 2 + margin, side / 2 - margin, n_x) / cosd
    xdec = dec0 + rng.uniform(-side / 2 + margin, side / 2 - margin, n_x)
    xerr = rng.uniform(*x_err, n_x)
    xray = Table({"ID": np.arange(1, n_x + 1), "RA": xra, "DEC": xdec, "pos_err": xerr})
    has = rng.random(n_x) < frac_ctp
    cats = {}
    for s, dens in densities_deg2.items():
        n = rng.poisson(dens * area_deg2)
        ra, dec = uniform(n)
        # true counterparts, offset by the X-ray error
        k = int(has.sum())
        off = rng.normal(0, 1, (k, 2)) * xerr[has, None]
        cra = xra[has] + off[:, 0] / 3600.0 / cosd
        cdec = xdec[has] + off[:, 1] / 3600.0
        ra = np.concatenate([ra, cra])
        dec = np.concatenate([dec, cdec])
        m = len(ra)
        e = errs[s] * rng.uniform(0.5, 2.0, m)
        t = Table({"ID": np.arange(1, m + 1), "RA": ra, "DEC": dec, "pos_err": e})
        if ellipse:
            t["err_maj"] = e * rng.uniform(1.0, 3.0, m)
            t["err_min"] = e * rng.uniform(0.3, 1.0, m)
            t["err_pa"] = rng.uniform(0.0, 180.0, m)
        if mags:
            mag = rng.uniform(14, 22, m)
            mag[-k:] = rng.uniform(12, 17, k)
            mag[rng.random(m) < 0.05] = np.nan
            t["mag"] = mag
        cats[s] = t
    return xray, cats


def write_fits(table: Table, path: Path, extname: str, area_deg2: float) -> None:
    """Write a table as NWAY reads it: float64 columns, EXTNAME, SKYAREA in deg^2."""
    cols = []
    for name in table.colnames:
        arr = np.asarray(table[name])
        fmt = "K" if arr.dtype.kind in "iu" else "D"
        cols.append(fits.Column(name=name, format=fmt, array=arr))
    hdu = fits.BinTableHDU.from_columns(cols)
    hdu.header["EXTNAME"] = extname
    hdu.header["SKYAREA"] = area_deg2
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path, overwrite=True)


_DRIVER = r"""
import os, runpy, sys, json
script = sys.argv[1]
for workdir, argv in json.loads(sys.stdin.read()):
    os.chdir(workdir)
    sys.argv = [script] + argv
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise
"""


def prepare_nway(workdir: Path, xray: Table, cats: dict, *, radius, area_deg2, completeness, ellipse=False,
                 mag_files=None) -> tuple[str, list[str]]:
    """Write NWAY's input files in ``workdir``; return (workdir, nway.py arguments)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "I_will_check_for_NWAY_updates_myself_thank_you").touch()
    write_fits(xray, workdir / "xray.fits", "XRAY", area_deg2)
    args = ["xray.fits", ":pos_err"]
    for s, t in cats.items():
        name = GENERATED_NAMES[s]
        t2 = t.copy()
        if ellipse:
            # NWAY's angle convention: PA east of north = NWAY angle + 90 deg (see docs/match.md)
            t2["nway_pa"] = np.asarray(t2["err_pa"], float) - 90.0
        write_fits(t2, workdir / f"{name}.fits", name, area_deg2)
        args += [f"{name}.fits", ":err_maj:err_min:nway_pa" if ellipse else ":pos_err"]
    args += ["--radius", str(radius), "--prior-completeness",
             ":".join(str(completeness[s]) for s in cats), "--out", "out.fits"]
    for (s, band), path in (mag_files or {}).items():
        args += ["--mag", f"{GENERATED_NAMES[s]}:{band}", str(path)]
    return str(workdir), args


def run_nway(cases: list[tuple[str, list[str]]], *, timeout=900) -> list[Table]:
    """Run nway.py on prepared cases, all in one interpreter (NWAY's imports are slow); return outputs."""
    import json

    script = nway_script()
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-c", _DRIVER, script], input=json.dumps(cases), capture_output=True,
                          text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"nway.py failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return [Table.read(Path(w) / "out.fits", hdu=1) for w, _ in cases]


def to_xrbvo(xray: Table, cats: dict, radius: float, *, pull_radius=None):
    """The same inputs as xrbvo's AssociationInput (neighbourhoods by brute-force cone search)."""
    from astropy.coordinates import SkyCoord
    import astropy.units as u

    xr = Table({"xid": np.asarray(xray["ID"]).astype(str), "ra": xray["RA"], "dec": xray["DEC"],
                "pos_err": xray["pos_err"]})
    xc = SkyCoord(np.asarray(xray["RA"]) * u.deg, np.asarray(xray["DEC"]) * u.deg)
    nbs = {}
    for s, t in cats.items():
        cc = SkyCoord(np.asarray(t["RA"]) * u.deg, np.asarray(t["DEC"]) * u.deg)
        ix, ic, sep, _ = cc.search_around_sky(xc, (pull_radius or radius) * u.arcsec)
        nb = Table({"xid": xr["xid"][ix], "nid": np.asarray(t["ID"]).astype(str)[ic],
                    "ra": np.asarray(t["RA"])[ic], "dec": np.asarray(t["DEC"])[ic],
                    "pos_err": np.asarray(t["pos_err"])[ic], "sep": sep.to_value(u.arcsec)})
        for c in t.colnames:
            if c not in ("ID", "RA", "DEC", "pos_err"):
                nb[c] = np.asarray(t[c])[ic]
        nb.meta["radius_arcsec"] = float(pull_radius or radius)
        nbs[s] = nb
    return AssociationInput(xr, nbs, radius)
