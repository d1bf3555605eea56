"""Class-aware counterparts: the joint posterior over (class, counterpart combination).

The problem (ARCHITECTURE.md): NWAY's magnitude priors are learnt from all X-ray
sources, most of them AGN or stars, so for X-ray binaries the chosen optical
counterpart is often wrong, and a classifier fed that counterpart misses the
binary.  Here every candidate combination ``k`` of a source (including "no
counterpart") is classified, and class and counterpart are decided together.

The model
---------
For a source with data D and hypotheses (class c, combination k)::

    P(c, k | D)  ~  pi_c  *  [ q_c(f_k) / s_c ]  *  r_X(f_k)  *  w_pos(k)

* ``k`` runs over multi-wavelength *objects* (a star seen by Gaia, 2MASS and
  CatWISE is one candidate; see :func:`combination_table`) and "none".
* ``w_pos(k)``: the positional odds of object k against "no counterpart": the
  Gaussian density of its offset over the sky density of objects (1 for
  "none").  Unlike NWAY's n-way combinations this does not reward a candidate
  for being detected in more surveys: detection depends on the class, and that
  dependence is learnt by the classifiers below.
* ``r_X(f_k)``: **P_XRAY_CTPT**, a classifier over (X-ray source, combination)
  pairs that tells X-ray emitters from field sources by their photometry,
  astrometry and X-ray-to-optical ratios; used as a likelihood ratio
  ``p_X(f) / p_field(f)`` (its odds divided by its training odds), i.e. a
  per-combination prior of the association.  Separation is *not* among its
  features: it is already in ``w_pos`` and would be counted twice.
* ``q_c(f_k) / s_c``: the source classifier trained on *true* counterparts,
  applied as if k were the counterpart, divided by its own training priors
  ``s_c``: the likelihood ratio ``p(f | c) / p_X(f)``.
* ``pi_c``: the target field's class priors.

Because ``p(f|c) / p_field(f) = [p(f|c) / p_X(f)] * [p_X(f) / p_field(f)]``,
the two classifiers multiply without counting anything twice.  Normalising over
k at fixed c gives the class-specific counterpart probability **P_c_CTPT**
("is k the counterpart, if the source is a c?"); summing over k gives the
source-level ``P_c``.  For "none" the photometric factors use the features of a
source without counterpart (all bands missing) and ``r_X = 1``.

Training uses simulated skies with truth (the training sky's counterparts are
known).  With real data, a user trains P_XRAY_CTPT on secure matches (e.g.
X-ray sources whose counterpart is confirmed by spectroscopy or by a < 1 arcsec
Chandra position) against the other candidates around them, and the source
classifier on the same confirmed counterparts: :func:`combination_table` builds
the rows, :class:`CounterpartClassifier` fits them from any labelled table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from astropy.table import Table

from xrbvo.core.errors import InputError, ModelError
from xrbvo.core.surveys import ALL_SECONDARY, LINK_RADIUS_ARCSEC
from xrbvo.stages.classify.estimator import Estimator
from xrbvo.stages.features import FEATURES, PHOT_FROM, feature_matrix, feature_names, features_from_photometry

__all__ = ["CombinationRows", "combination_table", "object_density", "object_count", "CounterpartClassifier", "JointResult", "joint_posterior",
           "truth_combination_index", "fit_pair", "SkyRows"]


@dataclass(frozen=True)
class CombinationRows:
    """Every candidate combination of every source, plus one "none" row per source.

    Parameters
    ----------
    src : numpy.ndarray
        Index of the X-ray source of each row.
    rows : dict[str, numpy.ndarray]
        Survey -> neighbourhood row of the member (-1 where the survey is absent).
    w_pos : numpy.ndarray
        Positional odds against "no counterpart" (1 for the "none" rows).
    features : astropy.table.Table
        :data:`FEATURES` of each combination (X-ray features of its source).
    is_none : numpy.ndarray
        True for the "none" row of each source (no counterpart in any survey).
    """

    src: np.ndarray
    """Index of the X-ray source of each row."""
    rows: dict[str, np.ndarray]
    """Survey -> neighbourhood row of the member (-1 where the survey is absent)."""
    w_pos: np.ndarray
    """Positional odds against "no counterpart" (1 for the "none" rows)."""
    features: Table
    """:data:`FEATURES` of each combination (X-ray features of its source)."""
    is_none: np.ndarray




def _vectors(ra, dec, src, sep_scale):
    ra, dec = np.radians(ra), np.radians(dec)
    cd = np.cos(dec)
    return np.column_stack([cd * np.cos(ra), cd * np.sin(ra), np.sin(dec), src * sep_scale])


def object_density(n_objects: int, n_sources: int, radius_arcsec: float) -> float:
    """Sky density of candidate objects (per arcsec^2): ``n_objects`` found within ``radius_arcsec`` of
    ``n_sources`` X-ray positions, as :func:`combination_table` measures it (the mean over the sources).

    Parameters
    ----------
    n_objects : int
        Number of candidate objects found.
    n_sources : int
        Number of X-ray sources.
    radius_arcsec : float
        Search radius, arcsec.

    Returns
    -------
    float
        Sky density of candidate objects (per arcsec^2): ``n_objects`` found within ``radius_arcsec`` of
        ``n_sources`` X-ray positions, as :func:`combination_table` measures it (the mean over the
        sources).
    """
    return max(n_objects, 1) / (max(n_sources, 1) * np.pi * radius_arcsec**2)


def combination_table(xray: Table, association, neighbourhoods: Mapping[str, Table], nh: np.ndarray,
                      radius_arcsec: float | None = None, object_density_arcsec2: float | None = None
                      ) -> CombinationRows:
    """Candidate counterparts as multi-wavelength *objects*, with features and positional odds.

    The surveys' sources around each X-ray position are first linked into
    objects (a 2MASS or CatWISE source within ``LINK_RADIUS_ARCSEC`` of an
    earlier survey's source is the same object), so that one star seen by
    Gaia, 2MASS and CatWISE is one candidate, not a product of catalogue
    entries.  Each object's positional odds against "no counterpart" are the
    Gaussian density of its offset (X-ray and object errors combined) over the
    sky density of objects; no completeness factor enters, because whether a
    counterpart is detected in a survey depends on its class and is left to the
    classifiers.  ``association`` is not used (kept for the call signature).

    The sky density of objects is the run's objects over its sources' search
    areas (:func:`object_density`); ``object_density_arcsec2`` replaces it with that of
    a larger run (a tiled run's whole input, the list the terminal UI scores a few
    sources of, a run split into partitions on Dask).

    Parameters
    ----------
    xray : astropy.table.Table
        The X-ray sources in the XRAY schema (:func:`xrbvo.io.standardise_xray`).
    association : xrbvo.stages.match.AssociationResult
        The association of the X-ray sources with their neighbours.
    neighbourhoods : Mapping[str, Table]
        Survey name -> neighbourhood table (:mod:`xrbvo.stages.neighbourhoods`).
    nh : numpy.ndarray
        Absorbing column, cm^-2.
    radius_arcsec : float, optional
        Search radius, arcsec.
    object_density_arcsec2 : float, optional
        Sky density of candidate objects (per arcsec^2); None: measured from the neighbourhoods.

    Returns
    -------
    CombinationRows
        Candidate counterparts as multi-wavelength *objects*, with features and positional odds.
    """
    from scipy.spatial import cKDTree

    xids = np.asarray(xray["xid"]).astype(str)
    index = {x: i for i, x in enumerate(xids)}
    n = len(xids)
    x_ra = np.asarray(xray["ra"], float)
    x_dec = np.asarray(xray["dec"], float)
    x_err = np.asarray(xray["pos_err"], float)
    surveys = [sv for sv in ALL_SECONDARY if sv in neighbourhoods] + [
        sv for sv in neighbourhoods if sv not in ALL_SECONDARY]
    radius = radius_arcsec
    if radius is None:
        radius = max(float(neighbourhoods[sv].meta.get("radius_arcsec", 0.0)) for sv in surveys) if surveys else 1.0
    scale = 1.0  # unit vectors of different sources never come closer than this in the 4th coordinate
    obj_src = np.zeros(0, int)
    obj_ra = np.zeros(0)
    obj_dec = np.zeros(0)
    obj_err = np.zeros(0)
    obj_rows = {sv: np.zeros(0, int) for sv in surveys}
    for sv in surveys:
        nb = neighbourhoods[sv]
        inside = np.asarray(nb["sep"], float) <= radius
        rows = np.nonzero(inside)[0]
        src = np.array([index[x] for x in np.asarray(nb["xid"]).astype(str)[rows]], dtype=int)
        ra = np.asarray(nb["ra"], float)[rows]
        dec = np.asarray(nb["dec"], float)[rows]
        err = np.asarray(nb["pos_err"], float)[rows]
        link = np.full(len(rows), -1)
        if len(obj_src) and len(rows) and sv in LINK_RADIUS_ARCSEC:
            tree = cKDTree(_vectors(obj_ra, obj_dec, obj_src, scale))
            chord = 2 * np.sin(np.radians(LINK_RADIUS_ARCSEC[sv] / 3600.0) / 2)
            d, j = tree.query(_vectors(ra, dec, src, scale), k=1, distance_upper_bound=chord)
            ok = np.isfinite(d)
            # one source per object: the closest wins
            for jj in np.unique(j[ok]):
                cand = np.nonzero(ok & (j == jj))[0]
                best = cand[np.argmin(d[cand])]
                if obj_rows[sv][jj] < 0:
                    link[best] = jj
        for k in obj_rows:
            if len(obj_rows[k]) < len(obj_src):
                obj_rows[k] = np.concatenate([obj_rows[k], np.full(len(obj_src) - len(obj_rows[k]), -1)])
        linked = link >= 0
        obj_rows[sv][link[linked]] = rows[linked]
        new = ~linked
        m = int(new.sum())
        obj_src = np.concatenate([obj_src, src[new]])
        obj_ra = np.concatenate([obj_ra, ra[new]])
        obj_dec = np.concatenate([obj_dec, dec[new]])
        obj_err = np.concatenate([obj_err, err[new]])
        for k in obj_rows:
            obj_rows[k] = np.concatenate([obj_rows[k], rows[new] if k == sv else np.full(m, -1)])
    n_obj = len(obj_src)
    # positional odds: Gaussian density of the offset over the sky density of objects
    dra = ((obj_ra - x_ra[obj_src] + 180.0) % 360.0) - 180.0
    dx = dra * np.cos(np.radians(x_dec[obj_src])) * 3600.0
    dy = (obj_dec - x_dec[obj_src]) * 3600.0
    s2 = x_err[obj_src] ** 2 + obj_err**2
    if object_density_arcsec2 is not None:
        nu = float(object_density_arcsec2)
    else:
        nu = object_density(n_obj, n, radius)  # objects per arcsec^2
    w_obj = np.exp(-(dx**2 + dy**2) / (2 * s2)) / (2 * np.pi * s2) / nu
    srcs = np.concatenate([obj_src, np.arange(n)])
    is_none = np.concatenate([np.zeros(n_obj, bool), np.ones(n, bool)])
    w = np.concatenate([w_obj, np.ones(n)])
    rows_out = {sv: np.concatenate([obj_rows[sv], np.full(n, -1)]) for sv in surveys}
    phot: dict[str, np.ndarray] = {}
    for sv in surveys:
        nb = neighbourhoods[sv]
        r = rows_out[sv]
        for col in PHOT_FROM.get(sv, ()):
            if col in nb.colnames and col not in phot:
                vals = np.asarray(nb[col], float)
                phot[col] = np.where(r >= 0, vals[np.maximum(r, 0)] if len(vals) else np.nan, np.nan)
    feats = features_from_photometry(phot, np.asarray(xray["flux_soft"], float)[srcs],
                                     np.asarray(xray["flux_hard"], float)[srcs], np.asarray(nh, float)[srcs],
                                     surveys=surveys)
    return CombinationRows(srcs, rows_out, w, feats, is_none)


def object_count(xray: Table, neighbourhoods: Mapping[str, Table]) -> int:
    """How many candidate objects :func:`combination_table` links around ``xray``'s sources (a sum over sources).

    Parameters
    ----------
    xray : astropy.table.Table
        The X-ray sources in the XRAY schema (:func:`xrbvo.io.standardise_xray`).
    neighbourhoods : Mapping[str, Table]
        Survey name -> neighbourhood table (:mod:`xrbvo.stages.neighbourhoods`).

    Returns
    -------
    int
        How many candidate objects :func:`combination_table` links around ``xray``'s sources (a sum over
        sources).
    """
    return int(np.sum(~combination_table(xray, None, neighbourhoods, np.zeros(len(xray))).is_none))


def truth_combination_index(cr: CombinationRows, neighbourhoods: Mapping[str, Table], truth: Table,
                            xray: Table) -> np.ndarray:
    """Boolean per combination row: its members are exactly the true counterparts (empty = none).

    Parameters
    ----------
    cr : CombinationRows
        The combination rows of the sky.
    neighbourhoods : Mapping[str, Table]
        Survey name -> neighbourhood table (:mod:`xrbvo.stages.neighbourhoods`).
    truth : astropy.table.Table
        The simulated sky's truth table (true counterpart ids per source).
    xray : astropy.table.Table
        The X-ray sources in the XRAY schema (:func:`xrbvo.io.standardise_xray`).

    Returns
    -------
    numpy.ndarray
        True for the combination made of the true counterparts.
    """
    xids = np.asarray(xray["xid"]).astype(str)
    t_index = {x: i for i, x in enumerate(np.asarray(truth["xid"]).astype(str))}
    tidx = np.array([t_index[x] for x in xids])
    ok = np.ones(len(cr.src), bool)
    for s, r in cr.rows.items():
        nids = np.asarray(neighbourhoods[s]["nid"]).astype(str)
        member = np.where(r >= 0, nids[np.maximum(r, 0)] if len(nids) else "", "")
        true = np.asarray(truth[f"ctp_{s}"]).astype(str)[tidx][cr.src]
        ok &= member == true
    return ok


CTPT_FORMAT = "xrbvo-ctpt/1"


class CounterpartClassifier(Estimator):
    """P_XRAY_CTPT: is this combination the X-ray emitter (versus field sources)?

    A binary gradient-boosted-trees classifier (the learner of
    :mod:`xrbvo.stages.classify.learner`; missing values handled natively) on
    :data:`FEATURES` of combinations, behind the trunk shared with the source
    classifier (:class:`xrbvo.stages.classify.estimator.Estimator`).
    ``likelihood_ratio`` returns the odds divided by the training odds
    (``p_X(f) / p_field(f)`` up to a constant).

    Parameters
    ----------
    n_estimators : int, optional
        Number of trees.
    max_depth : int, optional
        Maximum tree depth.
    learning_rate : float, optional
        Learning rate.
    random_state : int, optional
        Seed of the random draws.
    n_jobs : int, optional
        Number of parallel jobs.
    learner : type, optional
        The learner class; None: the default (XGBoost).
    """

    FORMAT = CTPT_FORMAT
    MODEL_FILE = "ctpt_model.json"
    META_FILE = "ctpt_metadata.json"
    TASK = "binary"
    UNSAVED_PARAMS = ("learner", "n_jobs")
    HASH_REQUIRED = False  # counterpart files written before the hash was recorded still load
    WHAT = "counterpart model"

    def __init__(self, n_estimators: int = 200, max_depth: int = 5, learning_rate: float = 0.1,
                 random_state: int = 0, n_jobs: int = 2, learner: type | None = None):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.learner = learner

    def fit(self, X: np.ndarray, y: np.ndarray) -> "CounterpartClassifier":
        """Fit on combination features ``X`` (:data:`FEATURES` order) and 0/1 labels ``y`` (1: the true one)."""
        y = np.asarray(y, dtype=int)
        pos = y.sum()
        if pos == 0 or pos == len(y):
            raise InputError("counterpart training needs both true and false combinations")
        self.train_odds_ = float(pos / (len(y) - pos))
        self.classes_ = np.array([0, 1])
        self.feature_names_ = list(FEATURES)
        self.learner_ = self._new_learner().fit(np.asarray(X, float), y)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n, 2) probabilities: columns "field source" and "X-ray emitter" (:attr:`classes_` 0 and 1)."""
        return self.learner_.predict_proba(np.asarray(X, float))

    def likelihood_ratio(self, X: np.ndarray) -> np.ndarray:
        """The odds of "X-ray emitter" over the training odds: ``p_X(f) / p_field(f)`` up to a constant."""
        p = np.clip(self.predict_proba(X)[:, 1], 1e-6, 1 - 1e-6)
        return (p / (1 - p)) / self.train_odds_

    def _metadata(self) -> dict:
        return {"train_odds": self.train_odds_}

    @classmethod
    def _check_metadata(cls, meta: dict, where: str) -> None:
        if meta.get("features") != list(FEATURES):
            raise ModelError(f"{where}/{cls.META_FILE}: a counterpart model of another feature list; retrain it")

    @classmethod
    def _restore(cls, meta: dict, fitted_learner, learner: type | None) -> "CounterpartClassifier":
        self = cls(**meta["params"])
        self.learner = learner
        self.learner_ = fitted_learner
        self.classes_ = np.array([0, 1])
        self.feature_names_ = list(FEATURES)
        self.train_odds_ = float(meta["train_odds"])
        if not (np.isfinite(self.train_odds_) and self.train_odds_ > 0):
            raise ValueError("training odds must be positive")
        if fitted_learner.n_classes_ != 2:
            raise ValueError("the counterpart model is not binary")
        return self


def _X(features: Table) -> np.ndarray:
    return feature_matrix(features, FEATURES)


@dataclass(frozen=True)
class JointResult:
    """The joint posterior, per source and per (source, combination).

    Parameters
    ----------
    proba : numpy.ndarray
        (n_sources, n_classes): source-level class probabilities, columns ``classes``.
    classes : tuple[str, ...]
        Class names, in the order of the probability columns.
    best : dict[str, numpy.ndarray]
        Class -> combination row index (into the CombinationRows) of its most probable counterpart.
    p_ctpt : dict[str, numpy.ndarray]
        Class -> P_c_CTPT of that most probable counterpart.
    joint : numpy.ndarray
        (n_rows, n_classes): P(c, k | D) per combination row.
    rows : CombinationRows
        The combination rows the probabilities are for.
    """

    proba: np.ndarray
    """(n_sources, n_classes): source-level class probabilities, columns ``classes``."""
    classes: tuple[str, ...]
    best: dict[str, np.ndarray]
    """Class -> combination row index (into the CombinationRows) of its most probable counterpart."""
    p_ctpt: dict[str, np.ndarray]
    """Class -> P_c_CTPT of that most probable counterpart."""
    joint: np.ndarray
    """(n_rows, n_classes): P(c, k | D) per combination row."""
    rows: CombinationRows


def joint_posterior(cr: CombinationRows, n_sources: int, source_model, ctpt_model: CounterpartClassifier,
                    priors: Mapping[str, float] | None) -> JointResult:
    """Joint posterior over class and counterpart (see the module docstring).

    Parameters
    ----------
    cr : CombinationRows
        Every candidate combination of every source.
    n_sources : int
        Number of X-ray sources.
    source_model : SourceClassifier
        The source classifier (class probabilities from a combination's features).
    ctpt_model : CounterpartClassifier
        The counterpart model (P_XRAY_CTPT).
    priors : Mapping[str, float] | None
        Class priors (class -> prior).

    Returns
    -------
    JointResult
        The joint probabilities, their class marginals and the best combination per class.
    """
    X = _X(cr.features)
    # the source model may use a subset of FEATURES (e.g. one trained on labelled data): its own columns
    names = list(getattr(source_model, "feature_names_", FEATURES))
    Xs = X if names == list(FEATURES) else feature_matrix(cr.features, names)
    raw = source_model._raw_proba(Xs)  # q_c at the model's own priors
    s = np.asarray(source_model.model_priors_, float)
    classes = tuple(str(c) for c in source_model.classes_)
    if priors is None:
        pi = np.asarray(source_model.train_priors_, float)
    else:
        pi = np.array([float(priors.get(c, 0.0)) for c in classes])
        if pi.sum() <= 0:
            raise InputError("class priors must not all be zero")
        pi = pi / pi.sum()
    r_x = np.where(cr.is_none, 1.0, ctpt_model.likelihood_ratio(X))
    score = (pi / s)[None, :] * raw * (r_x * cr.w_pos)[:, None]
    tot = np.zeros(n_sources)
    np.add.at(tot, cr.src, score.sum(axis=1))
    joint = score / np.where(tot > 0, tot, 1.0)[cr.src, None]
    proba = np.zeros((n_sources, len(classes)))
    np.add.at(proba, cr.src, joint)
    best, p_ctpt = {}, {}
    for j, c in enumerate(classes):
        col = joint[:, j]
        order = np.lexsort((-col, cr.src))
        first = np.ones(len(order), bool)
        first[1:] = cr.src[order][1:] != cr.src[order][:-1]
        b = np.full(n_sources, -1)
        b[cr.src[order][first]] = order[first]
        best[c] = b
        with np.errstate(invalid="ignore", divide="ignore"):
            p_ctpt[c] = np.where(proba[:, j] > 0, col[np.maximum(b, 0)] / proba[:, j], 0.0)
    return JointResult(proba, classes, best, p_ctpt, joint, cr)


# --------------------------------------------------------------------------------------------
# training on simulated skies


@dataclass(frozen=True)
class SkyRows:
    """Combination rows of one simulated sky, with truth (the training input of :func:`fit_pair`).

    Parameters
    ----------
    cr : CombinationRows
        The sky's combination rows.
    is_true : numpy.ndarray
        True for the combination row made of the source's true counterparts.
    labels : numpy.ndarray
        per source
    n_sources : int
        Number of X-ray sources.
    expected : dict
        Expected number of X-ray sources per class in the sky (without boost).
    """

    cr: CombinationRows
    is_true: np.ndarray
    labels: np.ndarray  # per source
    n_sources: int
    expected: dict

    def source_rows(self) -> np.ndarray:
        """The row the source classifier learns each source from: its true combination, else its "none" row.

        Returns
        -------
        numpy.ndarray
            One index into the combination rows per X-ray source, in source order.
        """
        true_row = np.full(self.n_sources, -1)
        idx = np.nonzero(self.is_true)[0]
        true_row[self.cr.src[idx]] = idx
        none_row = np.nonzero(self.cr.is_none)[0]
        none_of = np.empty(self.n_sources, int)
        none_of[self.cr.src[none_row]] = none_row
        return np.where(true_row >= 0, true_row, none_of)


def fit_pair(parts: Sequence, source_params: dict, ctpt_params: dict, rng: np.random.Generator,
              neg_fraction: float = 0.05):
    """Fit the source classifier and the counterpart model on the combination rows of simulated skies.

    The source classifier learns from each source's true combination (its "none" row when no
    candidate is its counterpart); the counterpart model from the true combinations and a random
    ``neg_fraction`` of the others.

    Parameters
    ----------
    parts : sequence of SkyRows
        Combination rows of simulated skies, with truth (:func:`xrbvo.workflows.training.sky_rows`).
    source_params : dict
        Options of the :class:`~xrbvo.stages.classify.classifier.SourceClassifier`.
    ctpt_params : dict
        Options of the :class:`CounterpartClassifier`.
    rng : numpy.random.Generator
        Draws the false combinations kept.
    neg_fraction : float, optional
        Fraction of the false combinations the counterpart model is trained on.

    Returns
    -------
    tuple of (SourceClassifier, CounterpartClassifier)
        The fitted source classifier and counterpart model.
    """
    from xrbvo.stages.classify.classifier import SourceClassifier

    Xs, ys, Xc, yc, picks = [], [], [], [], []
    for p in parts:
        X = _X(p.cr.features)
        pick = p.source_rows()  # each source's true combination ("none" if it is not a candidate)
        picks.append(pick)
        Xs.append(X[pick])
        ys.append(p.labels)
        cand = ~p.cr.is_none
        keep = cand & (p.is_true | (rng.random(len(cand)) < neg_fraction))
        Xc.append(X[keep])
        yc.append(p.is_true[keep].astype(int))
    # the source classifier also learns the run's opt-in surveys' features (xrbvo.core.surveys.Survey.extra_features)
    extra = [f for f in feature_names(parts[0].cr.features) if f not in FEATURES] if parts else []
    if extra:
        Xs = [np.hstack([x, np.column_stack([np.asarray(p.cr.features[f], float) for f in extra])[pick]])
              for x, p, pick in zip(Xs, parts, picks)]
    src_model = SourceClassifier(**source_params).fit(np.vstack(Xs), np.concatenate(ys),
                                                      feature_names=[*FEATURES, *extra])
    ctpt = CounterpartClassifier(**ctpt_params).fit(np.vstack(Xc), np.concatenate(yc))
    return src_model, ctpt
