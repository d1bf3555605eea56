"""A small hand-made finished catalogue and its neighbours, for the report tests (not a test module).

Four candidates chosen for the report's hard cases: a bright star, a faint counterpart, one without
a counterpart (at the south pole) and one at RA 0/360 whose name holds characters HTML and file
systems treat specially; plus a hundred ordinary sources and a known X-ray binary below the cut.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from xrbvo.core.schema import CLASSES

#: The awkward name of the fourth candidate.
ODD_NAME = 'J0000<b>&"x\'/..\\evil'


def finished_catalogue(n_field: int = 100, seed: int = 3) -> tuple[Table, Table]:
    """(catalogue, neighbours) in the columns ``xrbvo run`` writes."""
    rng = np.random.default_rng(seed)
    n = 4 + n_field
    ra = np.concatenate([[180.0, 181.0, 45.0, 359.99999], rng.uniform(179.0, 182.0, n_field)])
    dec = np.concatenate([[-62.0, -62.3, -90.0, -0.5], rng.uniform(-63.0, -61.0, n_field)])
    g = SkyCoord(ra * u.deg, dec * u.deg).galactic
    xid = ["BRIGHT 1", "FAINT 2", "NOCTP 3", ODD_NAME] + [f"F{i}" for i in range(n_field)]
    cand = ["HMXB", "LMXB", "HMXB", "LMXB"] + [""] * n_field
    cat = Table({"xid": xid, "ra": ra, "dec": dec, "l": g.l.deg, "b": g.b.deg,
                 "pos_err": np.concatenate([[1.5, 2.0, 3.0, np.nan], rng.uniform(1, 4, n_field)]),
                 "candidate_class": np.asarray(cand, "<U8"), "candidate": np.asarray(cand) != ""})
    for c in CLASSES:
        p = rng.uniform(0, 0.2, n)
        cat[f"P_{c}"] = p
        cat[f"P_{c}_field"] = p / 2
    cat["P_HMXB"][:4] = [0.95, 0.3, 0.7, 0.1]
    cat["P_LMXB"][:4] = [0.01, 0.8, 0.1, 0.6]
    cat["expected_purity"] = np.where(cat["candidate"], 0.6, np.nan)
    cat["p_any"] = np.concatenate([[0.99, 0.7, 0.02, 0.9], rng.uniform(0, 1, n_field)])
    cat["p_i"] = np.concatenate([[0.98, 0.6, np.nan, 0.8], rng.uniform(0, 1, n_field)])
    has = np.ones(n, bool)
    has[2] = False
    cat["G"] = np.where(has, np.concatenate([[10.2, 20.4, np.nan, 15.0], rng.uniform(12, 21, n_field)]), np.nan)
    cat["BP_RP"] = np.where(has, rng.uniform(0.2, 3.0, n), np.nan)
    cat["K"] = np.where(has, cat["G"] - 2.5, np.nan)
    cat["W1"] = np.where(has, cat["G"] - 2.8, np.nan)
    cat["rgeo"] = np.where(has, rng.uniform(500, 8000, n), np.nan)
    cat["log_fx"] = rng.uniform(-14.0, -12.0, n)
    cat["hr"] = rng.uniform(-1, 1, n)
    cat["log_fx_fg"] = cat["log_fx"] + cat["G"] / 2.5 + 5.37
    cat["log_lx"] = cat["log_fx"] + np.log10(4 * np.pi) + 2 * np.log10(cat["rgeo"] * 3.0857e18)
    cat["nid_gaia"] = np.where(has, [f"G{i}" for i in range(n)], "")
    cat["nid_2mass"] = np.where(has, [f"M{i}" for i in range(n)], "")
    cat["ctp_survey"] = np.where(has, "gaia", "")
    cat["ctp_ra"] = np.where(has, ra + 0.5 / 3600, np.nan)
    cat["ctp_dec"] = np.where(has, dec, np.nan)
    cat["ctp_sep"] = np.where(has, 0.5, np.nan)
    cat["known_name"] = np.asarray([""] * n, "<U16")
    cat["known_class"] = np.asarray([""] * n, "<U8")
    cat["known_name"][0], cat["known_class"][0] = "4U 1700-37", "HMXB"
    cat["known_name"][10], cat["known_class"][10] = "GX 1+4", "LMXB"
    cat["new"] = cat["known_name"] == ""
    cat.meta["INPUT"] = "hand-made <test> catalogue"
    rows = []
    for i in range(4):
        if i == 2:  # no counterpart: one far neighbour
            rows.append((xid[i], "gaia", "far", ra[i], dec[i] + 15 / 3600, 19.5, np.nan, np.nan))
            continue
        cosd = max(np.cos(np.radians(dec[i])), 1e-3)
        rows.append((xid[i], "gaia", f"G{i}", ra[i] + 0.5 / 3600, dec[i], cat["G"][i], np.nan, np.nan))
        rows.append((xid[i], "2mass", f"M{i}", ra[i] + 0.6 / 3600, dec[i] + 0.1 / 3600, np.nan, cat["K"][i], np.nan))
        for k in range(5):
            rows.append((xid[i], "gaia", f"n{i}_{k}", ra[i] + (k - 2) * 3 / 3600 / cosd, dec[i] + (k - 1) * 2 / 3600,
                         14.0 + k, np.nan, np.nan))
        rows.append((xid[i], "catwise", f"W{i}", ra[i] - 4 / 3600 / cosd, dec[i] - 3 / 3600, np.nan, np.nan, 13.0))
    nb = Table(rows=rows, names=("xid", "survey", "nid", "ra", "dec", "G", "K", "W1"))
    nb["ra"] = nb["ra"] % 360.0
    return cat, nb
