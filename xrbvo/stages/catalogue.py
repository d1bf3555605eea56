"""The catalogue stage: one row per X-ray source, with units and UCDs; and the neighbours table.

The catalogue gathers what the earlier stages decided; it decides nothing
itself (candidates come from :mod:`xrbvo.stages.select`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table, vstack

from xrbvo.core.errors import InputError, MissingColumnError
from xrbvo.core.schema import CATALOGUE, CLASSES, NEIGHBOURS, describe_table, is_input_column, prob_column
from xrbvo.core.surveys import BY_ASTROMETRY, SURVEY_BANDS, SURVEYS
from xrbvo.io import write_table
from xrbvo.stages.match import AssociationResult

__all__ = ["build_catalogue", "add_class_columns", "input_columns_last", "write_catalogue", "write_neighbours", "neighbours_table", "CATALOGUE_FORMATS",
           "COUNTERPART_ORDER", "NEIGHBOUR_MAGS", "counterpart_state", "CTP_STATES", "CTP_NONE_P_ANY",
           "CTP_SECURE_P"]

#: Values of ``ctp_state``.
CTP_STATES = ("secure", "ambiguous", "none")
#: ``ctp_state`` is ``none`` when ``p_any`` is below this (no neighbour, or none the association finds
#: likely): the source has no counterpart in any survey, the evidence of policy rule 7.
CTP_NONE_P_ANY = 0.1
#: ``ctp_state`` is ``secure`` when a counterpart is chosen and both ``p_any`` and its ``p_i`` reach this; else
#: ``ambiguous``.
CTP_SECURE_P = 0.8

#: Output format name -> file suffix.
CATALOGUE_FORMATS = {"fits": ".fits", "votable": ".vot", "csv": ".csv", "ecsv": ".ecsv", "parquet": ".parquet"}

#: Whose position is given as the chosen counterpart's (best astrometry first: the surveys' records).
COUNTERPART_ORDER: tuple[str, ...] = BY_ASTROMETRY

#: Magnitudes kept per survey in the neighbours table (the surveys' records).
NEIGHBOUR_MAGS: dict[str, tuple[str, ...]] = SURVEY_BANDS


def _full(proba: np.ndarray, classes: Sequence[str], n: int) -> np.ndarray:
    cls_list = [str(c) for c in classes]
    full = np.zeros((n, len(CLASSES)))
    for i, cname in enumerate(CLASSES):
        if cname in cls_list:
            full[:, i] = np.asarray(proba)[:, cls_list.index(cname)]
    return full


def _counterpart_position(association: AssociationResult, neighbourhoods: Mapping[str, Table] | None, n: int):
    ra = np.full(n, np.nan)
    dec = np.full(n, np.nan)
    sep = np.full(n, np.nan)
    survey = np.full(n, "", dtype="<U8")
    if not neighbourhoods:
        return ra, dec, sep, survey
    src = association.sources
    for s in reversed([x for x in COUNTERPART_ORDER if x in association.surveys]):
        if f"row_{s}" not in src.colnames or s not in neighbourhoods:
            continue
        nb = neighbourhoods[s]
        rows = np.asarray(src[f"row_{s}"], dtype=int)
        ok = rows >= 0
        if not ok.any() or len(nb) == 0:
            continue
        r = rows[ok]
        ra[ok] = np.asarray(nb["ra"], float)[r]
        dec[ok] = np.asarray(nb["dec"], float)[r]
        sep[ok] = np.asarray(nb["sep"], float)[r]
        survey[ok] = s
    return ra, dec, sep, survey


def counterpart_state(p_any, p_i, match_flag, associated=None) -> np.ndarray:
    """``secure`` / ``ambiguous`` / ``none`` per source, from p_any and the chosen counterpart's probability.

    ``none``: ``p_any`` < :data:`CTP_NONE_P_ANY` (no neighbour, or none the association finds likely: the
    source has no counterpart in any survey).  ``secure``: a counterpart is chosen (``match_flag`` > 0, at or
    above the run's calibrated cut when there is one) and ``p_any`` and ``p_i`` (the chosen combination's
    probability given a counterpart exists) are both >= :data:`CTP_SECURE_P`.  ``ambiguous``: the rest, among
    them sources below the calibrated p_any cut, which are classified without a counterpart although one of
    their neighbours may be it (in the Galactic plane, most of eRASS1's).  Missing values count as 0.

    Parameters
    ----------
    p_any, p_i : array
        Per source.
    match_flag : array of int
        Per source (0: no counterpart chosen).
    associated : array of bool, optional
        Per source: at or above the calibrated cut (None: no cut).

    Returns
    -------
    numpy.ndarray
        One of :data:`CTP_STATES` per source.
    """
    pa = np.nan_to_num(np.asarray(p_any, dtype=float), nan=0.0)
    pi = np.nan_to_num(np.asarray(p_i, dtype=float), nan=0.0)
    mf = np.asarray(match_flag)
    none = pa < CTP_NONE_P_ANY
    chosen = mf != 0
    if associated is not None:
        chosen &= np.asarray(associated, bool)
    secure = ~none & chosen & (pa >= CTP_SECURE_P) & (pi >= CTP_SECURE_P)
    return np.where(none, "none", np.where(secure, "secure", "ambiguous")).astype("<U9")


def build_catalogue(xray: Table, association: AssociationResult, features: Table, proba: np.ndarray,
                    classes: Sequence[str], *, candidate_class: np.ndarray, proba_field: np.ndarray | None = None,
                    expected_purity: np.ndarray | None = None, coverage: np.ndarray | None = None,
                    nh: np.ndarray | None = None, neighbourhoods: Mapping[str, Table] | None = None,
                    extra: Mapping[str, np.ndarray] | None = None) -> Table:
    """Assemble the catalogue from the stages' outputs.

    Parameters
    ----------
    xray : Table
        Standardised X-ray sources.
    association : AssociationResult
        Per-source p_any, p_i and the chosen counterpart (``nid_<survey>``,
        ``row_<survey>``).
    features : Table
        One row per source (:data:`xrbvo.stages.features.FEATURES`).
    proba : ndarray
        Class probabilities at the priors the candidate cuts were chosen at
        (columns ``classes``): ``P_<class>``.
    candidate_class : ndarray of str
        From :func:`xrbvo.stages.select.select_candidates` ('' for none).
    proba_field : ndarray, optional
        Probabilities at the field's class priors: ``P_<class>_field``,
        ``predicted_class`` and ``P_max`` (default: ``proba``).
    expected_purity : ndarray, optional
        Expected purity of each candidate's selection at the field's priors.
    coverage : ndarray of bool, optional
        False where the source has no neighbour in any survey (outside the
        surveys' coverage).
    neighbourhoods : mapping, optional
        Survey -> neighbourhood table, for the chosen counterpart's position
        (``ctp_ra``, ``ctp_dec``, ``ctp_sep``, ``ctp_survey``).
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    nh : numpy.ndarray, optional
        Absorbing column, cm^-2.
    extra : Mapping[str, numpy.ndarray], optional
        More columns (name -> one value per source) to add, e.g. the per-class counterpart columns.

    Returns
    -------
    astropy.table.Table
        The catalogue, one row per X-ray source, its columns described by the schema.
    """
    n = len(xray)
    if len(association.sources) != n or len(features) != n or len(proba) != n or len(candidate_class) != n:
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
    if "hard_assoc" in xray.colnames:  # eRASS1 release: the Hard catalogue's association (xrbvo.io.read_release)
        t["hard_assoc"] = np.asarray(xray["hard_assoc"]).astype(str)
    src = association.sources
    for col in ("p_any", "p_i", "match_flag", "n_candidates"):
        t[col] = src[col]
    t["coverage"] = np.ones(n, bool) if coverage is None else np.asarray(coverage, bool)
    for s in association.surveys:
        t[f"nid_{s}"] = np.asarray(src[f"nid_{s}"]).astype(str)
    t["ctp_ra"], t["ctp_dec"], t["ctp_sep"], t["ctp_survey"] = _counterpart_position(association, neighbourhoods, n)
    if nh is not None:
        t["nh"] = np.asarray(nh, float)
    for f in features.colnames:
        t[f] = np.asarray(features[f], float)
    add_class_columns(t, proba, classes, candidate_class=candidate_class, proba_field=proba_field,
                      expected_purity=expected_purity)
    for k, v in (extra or {}).items():
        t[k] = v
    t.add_column(counterpart_state(t["p_any"], t["p_i"], t["match_flag"],
                                   t["associated"] if "associated" in t.colnames else None),
                 name="ctp_state", index=t.colnames.index("match_flag") + 1)
    t.meta["CTPNONE"] = CTP_NONE_P_ANY
    t.meta["CTPSECUR"] = CTP_SECURE_P
    if "in_row" in xray.colnames:
        t.add_column(np.asarray(xray["in_row"], np.int64), name="in_row", index=t.colnames.index("pos_err") + 1)
    for name in xray.colnames:  # the input table's own columns, unchanged, after xrbvo's (xrbvo.io.standardise_xray)
        if is_input_column(xray[name]):
            t.add_column(xray[name], name=name, copy=False)
    t.meta["CLASSES"] = ",".join(CLASSES)
    return describe_table(t, CATALOGUE)


def add_class_columns(t: Table, proba: np.ndarray, classes: Sequence[str], *, candidate_class: np.ndarray,
                      proba_field: np.ndarray | None = None, expected_purity: np.ndarray | None = None) -> Table:
    """Append the classification columns every catalogue carries (the one place they are built).

    ``P_<class>`` and ``P_<class>_field`` for the nine classes (0 for a class the model lacks),
    ``predicted_class`` and ``P_max`` (at the field's priors), ``candidate``, ``candidate_class`` and
    ``expected_purity``, in that order.  :func:`build_catalogue` and
    :func:`xrbvo.workflows.classify.classify_table` both call it.

    Parameters
    ----------
    t : astropy.table.Table
        The table to extend (changed in place), one row per source.
    proba : numpy.ndarray
        Class probabilities at the priors the candidate cuts were chosen at (columns ``classes``).
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    candidate_class : numpy.ndarray
        Candidate class per source ('' for none).
    proba_field : numpy.ndarray, optional
        Probabilities at the field's class priors (default: ``proba``).
    expected_purity : numpy.ndarray, optional
        Expected purity of each candidate's selection at the field's priors (default: NaN).

    Returns
    -------
    astropy.table.Table
        ``t``.
    """
    n = len(proba)
    full = _full(proba, classes, n)
    field = full if proba_field is None else _full(proba_field, classes, n)
    for i, cname in enumerate(CLASSES):
        t[prob_column(cname)] = full[:, i]
    for i, cname in enumerate(CLASSES):
        t[f"{prob_column(cname)}_field"] = field[:, i]
    t["predicted_class"] = np.asarray(CLASSES)[np.argmax(field, axis=1)] if n else np.zeros(0, str)
    t["P_max"] = field.max(axis=1) if n else np.zeros(0)
    cand = np.asarray(candidate_class).astype(str)
    t["candidate"] = cand != ""
    t["candidate_class"] = cand.astype("<U8")
    t["expected_purity"] = np.full(n, np.nan) if expected_purity is None else np.asarray(expected_purity, float)
    return t


def input_columns_last(table: Table) -> Table:
    """Move the columns carried from the input X-ray table (:func:`xrbvo.core.schema.is_input_column`) after
    all of xrbvo's own, in place (after a later stage added columns, e.g. ``known_name``).

    Parameters
    ----------
    table : astropy.table.Table
        The catalogue (changed in place).

    Returns
    -------
    astropy.table.Table
        ``table``.
    """
    names = [n for n in table.colnames if is_input_column(table[n])]
    for name in names:
        col = table[name]
        table.remove_column(name)
        table.add_column(col, name=name, copy=False)
    return table


def write_catalogue(table: Table, directory: str | Path, name: str = "xrbvo_catalogue",
                    formats: Sequence[str] = ("fits", "votable", "csv")) -> dict[str, Path]:
    """Write the catalogue in each format; returns format -> path.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    directory : str | Path
        The directory.
    name : str, optional
        Base name of the files.
    formats : Sequence[str], optional
        Formats to write: ``fits``, ``votable``, ``csv``.

    Returns
    -------
    dict[str, Path]
        Format -> file written.
    """
    out = {}
    for fmt in formats:
        if fmt not in CATALOGUE_FORMATS:
            raise InputError(f"unknown catalogue format {fmt!r}; choose from {', '.join(CATALOGUE_FORMATS)}")
        out[fmt] = write_table(table, Path(directory) / f"{name}{CATALOGUE_FORMATS[fmt]}")
    return out


def neighbours_table(neighbourhoods: Mapping[str, Table]) -> Table:
    """The pipeline's neighbourhoods as one table with a ``survey`` column.

    Parameters
    ----------
    neighbourhoods : mapping
        Survey -> neighbourhood table (:data:`xrbvo.core.schema.NEIGHBOUR`
        columns and photometry), as returned by a provider.

    Returns
    -------
    astropy.table.Table
        The pipeline's neighbourhoods as one table with a ``survey`` column.
    """
    # every survey's magnitudes, an opt-in survey's only in runs with it
    mags = tuple(b for s, v in NEIGHBOUR_MAGS.items() if s in neighbourhoods or not SURVEYS[s].opt_in for b in v)
    keep = ("xid", "nid", "ra", "dec", "pos_err", "sep") + mags
    keep = tuple(dict.fromkeys(keep))
    parts = []
    for survey, t in neighbourhoods.items():
        sub = Table()
        n = len(t)
        sub["survey"] = np.array([survey] * n, dtype="<U8")
        for c in keep:
            if c in t.colnames:
                col = t[c]
                if c in ("xid", "nid"):
                    sub[c] = np.asarray(col).astype(str)
                else:
                    sub[c] = np.asarray(np.ma.filled(np.ma.asarray(col).astype(float), np.nan), float)
            elif c in ("xid", "nid"):
                raise MissingColumnError(f"neighbourhood of {survey}: no {c} column")
            else:
                sub[c] = np.full(n, np.nan)
        parts.append(sub)
    if not parts:
        raise InputError("no neighbourhoods to write")
    return describe_table(vstack(parts, join_type="exact"), NEIGHBOURS)


def write_neighbours(neighbourhoods: Mapping[str, Table], path: str | Path) -> Path:
    """Write :func:`neighbours_table` (e.g. ``NAME_neighbours.fits`` next to ``NAME.fits``, where ``xrbvo tui``
    finds it).

    Parameters
    ----------
    neighbourhoods : Mapping[str, Table]
        Survey name -> neighbourhood table (:mod:`xrbvo.stages.neighbourhoods`).
    path : str | Path
        The file.

    Returns
    -------
    Path
        The file written.
    """
    return write_table(neighbours_table(neighbourhoods), path)
