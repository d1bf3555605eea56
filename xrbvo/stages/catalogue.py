"""The output catalogue: one row per X-ray source, with units and UCDs, written to files."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.io import write_table
from xrbvo.stages.match.base import AssociationResult
from xrbvo.core.schema import CATALOGUE, CLASSES, PHOTOMETRY, XRAY, apply_schema, prob_column

__all__ = ["build_catalogue", "write_catalogue", "CATALOGUE_FORMATS"]

#: Output format name -> file suffix.
CATALOGUE_FORMATS = {"fits": ".fits", "votable": ".vot", "csv": ".csv", "ecsv": ".ecsv", "parquet": ".parquet"}


def build_catalogue(xray: Table, association: AssociationResult, features: Table, proba: np.ndarray,
                    classes: Sequence[str], *, cuts: Mapping[str, float], nh: np.ndarray | None = None,
                    extra: Mapping[str, np.ndarray] | None = None) -> Table:
    """Assemble the catalogue from the stages' outputs.

    Parameters
    ----------
    xray : Table
        Standardised X-ray sources.
    association : AssociationResult
        The association's per-source table supplies p_any, p_i and the best
        counterpart ids (``nid_<survey>``).
    features : Table
        One row per source (:data:`xrbvo.stages.classify.FEATURES`).
    proba : ndarray
        Class probabilities, columns in ``classes`` order.
    cuts : mapping
        Class -> probability cut; a source is a candidate of class c when
        ``P_c >= cuts[c]`` (the highest-probability such class is named).
    """
    n = len(xray)
    if len(association.sources) != n or len(features) != n or len(proba) != n:
        raise InputError("stage outputs disagree on the number of sources")
    c = SkyCoord(ra=np.asarray(xray["ra"], float) * u.deg, dec=np.asarray(xray["dec"], float) * u.deg).galactic
    t = Table()
    t["xid"] = np.asarray(xray["xid"]).astype(str)
    t["ra"] = np.asarray(xray["ra"], float)
    t["dec"] = np.asarray(xray["dec"], float)
    t["l"] = c.l.deg
    t["b"] = c.b.deg
    t["pos_err"] = np.asarray(xray["pos_err"], float)
    for col in ("flux_soft", "flux_soft_err", "flux_hard", "flux_hard_err"):
        t[col] = np.asarray(xray[col], float)
    src = association.sources
    for col in ("p_any", "p_i", "match_flag", "n_candidates"):
        t[col] = src[col]
    for s in association.surveys:
        t[f"nid_{s}"] = np.asarray(src[f"nid_{s}"]).astype(str)
    if nh is not None:
        t["nh"] = np.asarray(nh, float)
    for f in features.colnames:
        t[f] = np.asarray(features[f], float)
    cls_list = list(classes)
    full = np.zeros((n, len(CLASSES)))
    for i, cname in enumerate(CLASSES):
        if cname in cls_list:
            full[:, i] = proba[:, cls_list.index(cname)]
    for i, cname in enumerate(CLASSES):
        t[prob_column(cname)] = full[:, i]
        t[prob_column(cname)].description = f"Probability that the source is a {cname}"
        t[prob_column(cname)].meta["ucd"] = "stat.probability"
    t["predicted_class"] = np.asarray(CLASSES)[np.argmax(full, axis=1)] if n else np.zeros(0, str)
    t["P_max"] = full.max(axis=1) if n else np.zeros(0)
    cand_class = np.full(n, "", dtype="<U8")
    best = np.full(n, -1.0)
    for cname, cut in cuts.items():
        if cname not in CLASSES:
            raise InputError(f"cut names unknown class {cname!r}")
        p = full[:, CLASSES.index(cname)]
        sel = (p >= cut) & (p > best)
        cand_class[sel] = cname
        best[sel] = p[sel]
    t["candidate"] = cand_class != ""
    t["candidate_class"] = cand_class
    for k, v in (extra or {}).items():
        t[k] = v
    t.meta["CLASSES"] = ",".join(CLASSES)
    t.meta["CUTS"] = ";".join(f"{k}={v:.4f}" for k, v in cuts.items())
    return apply_schema(t, CATALOGUE, XRAY, PHOTOMETRY)


def write_catalogue(table: Table, directory: str | Path, name: str = "xrbvo_catalogue",
                    formats: Sequence[str] = ("fits", "votable", "csv")) -> dict[str, Path]:
    """Write the catalogue in each format; returns format -> path."""
    out = {}
    for fmt in formats:
        if fmt not in CATALOGUE_FORMATS:
            raise InputError(f"unknown catalogue format {fmt!r}; choose from {', '.join(CATALOGUE_FORMATS)}")
        out[fmt] = write_table(table, Path(directory) / f"{name}{CATALOGUE_FORMATS[fmt]}")
    return out
