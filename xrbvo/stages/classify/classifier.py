"""The nine-class source classifier: imputation with missingness indicators, SMOTE, XGBoost.

Design
------
* **Missing values.**  XGBoost handles NaN, SMOTE does not.  The first step,
  :class:`MedianImputer`, fills each feature's NaN with its training median and
  appends a 0/1 indicator column for every feature that had missing values in
  training, so that "not detected in Gaia" stays visible to the trees after
  oversampling.  SMOTE then interpolates between real rows only.
* **Imbalance.**  SMOTE (imbalanced-learn) runs inside an imblearn
  ``Pipeline``: it acts only in ``fit``, so a validation fold never holds a
  synthetic row.  After SMOTE every class has the majority's count, so the
  model's implicit class priors are uniform.
* **Priors.**  :meth:`SourceClassifier.predict_proba` returns probabilities
  for the *target field's* class priors: the uniform training priors are
  replaced by ``priors`` (Saerens, Latinne & Decaestecker 2002, eq. 2.4); with
  no priors given, those stored at fit time (the training sample's own class
  mix) are used.
* **Calibration.**  An optional per-class calibration (isotonic maps fitted
  on out-of-fold predictions, :mod:`xrbvo.stages.classify.calibration`) is applied to the
  probabilities at the training mix before the shift to the target priors;
  it is stored as plain numbers in the metadata JSON.
* **Flux.**  Each class's training flux distribution (``flux_likelihood_``,
  :func:`xrbvo.stages.probability.flux_likelihood`) is kept in the metadata, so that
  per-source priors, which are the class mix at the source's own flux, do not count the
  flux a second time (:func:`xrbvo.stages.probability.flux_evidence_priors`).
* **Learner and persistence.**  The trees come from the learner
  (:mod:`xrbvo.stages.classify.learner`, XGBoost unless the ``learner``
  parameter names another), behind the trunk shared with the counterpart
  model (:class:`xrbvo.stages.classify.estimator.Estimator`).  The learner's
  file is XGBoost JSON, the imputer and the metadata are JSON; loading never
  unpickles anything.  A SHA-256 of the model file is kept in the metadata and
  checked on load.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import LabelEncoder

from xrbvo.core.errors import InputError, ModelError
from xrbvo.core.schema import CLASSES
from xrbvo.stages.classify.estimator import Estimator
from xrbvo.stages.probability import calibrate_at_training_mix, flux_likelihood, shift_priors

__all__ = ["MedianImputer", "SourceClassifier", "MODEL_FORMAT"]

MODEL_FORMAT = "xrbvo-source-classifier/1"


class MedianImputer(TransformerMixin, BaseEstimator):
    """Fill NaN with training medians and append missingness indicators."""

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        finite = np.isfinite(X)
        med = np.zeros(X.shape[1])
        for j in np.nonzero(finite.any(axis=0))[0]:  # all-missing features get 0 (and an indicator)
            med[j] = np.median(X[finite[:, j], j])
        self.medians_ = np.where(np.isfinite(med), med, 0.0)
        self.indicator_features_ = np.nonzero((~np.isfinite(X)).any(axis=0))[0]
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=float)
        if X.shape[1] != self.n_features_in_:
            raise InputError(f"expected {self.n_features_in_} features, got {X.shape[1]}")
        miss = ~np.isfinite(X)
        filled = np.where(miss, self.medians_[None, :], X)
        return np.hstack([filled, miss[:, self.indicator_features_].astype(float)])

    def to_dict(self) -> dict:
        return {"medians": self.medians_.tolist(), "indicator_features": self.indicator_features_.tolist(),
                "n_features_in": int(self.n_features_in_)}

    @classmethod
    def from_dict(cls, d: Mapping) -> "MedianImputer":
        self = cls()
        self.medians_ = np.asarray(d["medians"], dtype=float)
        self.indicator_features_ = np.asarray(d["indicator_features"], dtype=int)
        self.n_features_in_ = int(d["n_features_in"])
        return self


class SourceClassifier(Estimator):
    """Nine-class (or any-class) gradient-boosted-trees classifier with SMOTE inside the fit.

    Parameters
    ----------
    n_estimators, max_depth, learning_rate, subsample, colsample_bytree
        Tree parameters of the learner (XGBoost's names).
    smote_k : int
        Neighbours used by SMOTE (reduced automatically for tiny classes).
    oversample : bool
        Apply SMOTE (True) or train on the raw mix (False).
    random_state : int
        Seed of SMOTE and XGBoost.
    n_jobs : int
        Threads of the learner.
    min_child_weight, max_bin
        Tree parameters of the learner.
    augment : dict, optional
        Physical augmentation settings (:class:`xrbvo.stages.classify.augment.AugmentConfig`
        as a dict; ``{}`` for the defaults): copies of the training rows moved
        onto Galactic-plane sight lines are added inside ``fit``, before
        imputation and SMOTE.  Needs ``feature_names`` in ``fit``, including
        ``log_nh``, ``log_fx`` and ``hr``.  None: no augmentation.
    sampler : imblearn sampler, optional
        Replaces SMOTE (cloned at each fit; for tests and experiments: it must
        balance the classes, since the model then assumes uniform implicit
        priors).  Not saved with the model.
    learner : type, optional
        The learner class (:mod:`xrbvo.stages.classify.learner`); None: the default (XGBoost).
        Recorded in the metadata by name.
    """

    FORMAT = MODEL_FORMAT
    MODEL_FILE = "model.json"
    META_FILE = "metadata.json"
    TASK = "multiclass"
    UNSAVED_PARAMS = ("learner", "sampler")
    HASH_REQUIRED = True
    WHAT = "source-classifier model"

    def __init__(self, n_estimators: int = 250, max_depth: int = 5, learning_rate: float = 0.08,
                 subsample: float = 0.9, colsample_bytree: float = 0.8, smote_k: int = 5,
                 oversample: bool = True, random_state: int = 0, n_jobs: int = 2, min_child_weight: float = 1.0,
                 max_bin: int = 256, augment: Mapping | None = None, sampler=None, learner: type | None = None):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.smote_k = smote_k
        self.oversample = oversample
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.min_child_weight = min_child_weight
        self.max_bin = max_bin
        self.augment = augment
        self.sampler = sampler
        self.learner = learner

    @property
    def learner_(self):
        """The fitted learner (the pipeline's last step)."""
        return self.pipeline_.named_steps["learner"]

    def fit(self, X, y, feature_names: Sequence[str] | None = None):
        from imblearn.over_sampling import SMOTE
        from imblearn.pipeline import Pipeline

        X = np.asarray(X, dtype=float)
        y = np.asarray(y).astype(str)
        if X.ndim != 2 or len(X) != len(y):
            raise InputError("X must be 2-D with one row per label")
        self.encoder_ = LabelEncoder().fit(y)
        self.classes_ = self.encoder_.classes_
        if len(self.classes_) < 2:
            raise InputError("training needs at least two classes")
        yi = self.encoder_.transform(y)
        counts = np.bincount(yi, minlength=len(self.classes_))
        self.train_priors_ = counts / counts.sum()
        steps = []
        if self.augment is not None:
            from xrbvo.stages.classify.augment import AugmentConfig, PlaneAugmenter

            if feature_names is None:
                raise InputError("augmentation needs the feature names (pass feature_names to fit)")
            cfg = AugmentConfig.from_dict({"seed": self.random_state, **dict(self.augment)})
            steps.append(("augment", PlaneAugmenter(feature_names, self.classes_, cfg)))
        steps.append(("impute", MedianImputer()))
        if self.oversample and self.sampler is not None:
            from sklearn.base import clone

            steps.append(("smote", clone(self.sampler)))
        elif self.oversample:
            k = int(max(1, min(self.smote_k, counts.min() - 1)))
            if counts.min() < 2:
                raise InputError(f"class {self.classes_[counts.argmin()]!r} has a single training row; "
                                 "SMOTE needs at least two per class")
            steps.append(("smote", SMOTE(k_neighbors=k, random_state=self.random_state)))
        steps.append(("learner", self._new_learner()))
        self.pipeline_ = Pipeline(steps).fit(X, yi)
        # after SMOTE, every class has the majority's count: uniform implicit priors
        self.model_priors_ = (np.full(len(self.classes_), 1.0 / len(self.classes_)) if self.oversample
                              else self.train_priors_.copy())
        self.feature_names_ = list(feature_names) if feature_names is not None else [f"f{i}" for i in range(X.shape[1])]
        self.n_features_in_ = X.shape[1]
        self.calibration_ = None
        # each class's training flux distribution, divided out of per-source priors (xrbvo.stages.probability)
        self.flux_likelihood_ = (flux_likelihood(X[:, self.feature_names_.index("log_fx")], y, self.classes_)
                                 if "log_fx" in self.feature_names_ else None)
        return self

    # -------------------------------------------------------------------------------
    def _raw_proba(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise InputError(f"expected {self.n_features_in_} feature columns, got "
                             f"{X.shape[1] if X.ndim == 2 else X.ndim}")
        Z = self.pipeline_.named_steps["impute"].transform(X)
        if len(Z) == 0:
            return np.zeros((0, len(self.classes_)))
        return np.asarray(self.learner_.predict_proba(Z), dtype=float).reshape(len(Z), len(self.classes_))

    def predict_proba(self, X, priors: Mapping[str, float] | np.ndarray | None = None, *,
                      calibrated: bool = True) -> np.ndarray:
        """Class probabilities (columns follow :attr:`classes_`) for the given class priors.

        Parameters
        ----------
        X : array (n_samples, n_features)
            Features in :attr:`feature_names_` order; NaN = missing.
        priors : mapping or array, optional
            Class -> prior, or an array in ``classes_`` order; default: the
            training sample's class mix.
        calibrated : bool
            Apply the stored calibration (if any).
        """
        p = self._raw_proba(X)
        target = self._prior_vector(priors)
        cal = getattr(self, "calibration_", None)
        if calibrated and cal:
            return calibrate_at_training_mix(p, self.model_priors_, cal, self.classes_, self.train_priors_, target)
        return shift_priors(p, self.model_priors_, target)

    def set_threads(self, n_jobs: int) -> "SourceClassifier":
        """Number of threads used for prediction (and stored with the model)."""
        self.n_jobs = int(n_jobs)
        self.learner_.set_threads(self.n_jobs)
        return self

    def set_calibration(self, calibration: Mapping | None) -> "SourceClassifier":
        """Attach a calibration (from :func:`xrbvo.stages.classify.calibration.fit_calibration`), or remove it with None."""
        if calibration is not None:
            from xrbvo.stages.probability import check_calibration

            check_calibration(calibration, self.classes_)
        self.calibration_ = dict(calibration) if calibration is not None else None
        return self

    def predict(self, X, priors=None):
        return self.classes_[np.argmax(self.predict_proba(X, priors), axis=1)]

    def _prior_vector(self, priors) -> np.ndarray:
        if priors is None:
            return self.train_priors_
        if isinstance(priors, Mapping):
            unknown = set(priors) - set(self.classes_)
            if unknown:
                raise InputError(f"priors name unknown classes: {', '.join(sorted(unknown))}")
            v = np.array([float(priors.get(c, 0.0)) for c in self.classes_])
        else:
            v = np.asarray(priors, dtype=float)
        if v.sum() <= 0:
            raise InputError("class priors must not all be zero")
        return v / v.sum()

    def contributions(self, X) -> np.ndarray:
        """Per-feature contributions (tree SHAP values from the learner) to each class's margin.

        Shape (n_samples, n_classes, n_features + n_indicators + 1); the last entry is the bias.

        Raises
        ------
        ModelError
            If the learner gives no per-source contributions.
        """
        if not hasattr(self.learner_, "contributions"):
            raise ModelError(f"the learner {type(self.learner_).__name__} gives no per-source contributions; "
                             "explanations need the default learner")
        Z = self.pipeline_.named_steps["impute"].transform(np.asarray(X, dtype=float))
        return self.learner_.contributions(Z)

    def _learner_feature_names(self) -> list[str]:
        return self.expanded_feature_names_

    @property
    def expanded_feature_names_(self) -> list[str]:
        imp = self.pipeline_.named_steps["impute"]
        return list(self.feature_names_) + [f"missing_{self.feature_names_[i]}" for i in imp.indicator_features_]

    # -------------------------------------------------------------------------------
    def _metadata(self) -> dict:
        """The source classifier's part of the metadata: label mapping, imputer, priors, calibration."""
        return {"label_mapping": {str(c): i for i, c in enumerate(self.classes_)},
                "imputer": self.pipeline_.named_steps["impute"].to_dict(),
                "train_priors": self.train_priors_.tolist(),
                "model_priors": self.model_priors_.tolist(),
                "calibration": getattr(self, "calibration_", None),
                "flux_likelihood": getattr(self, "flux_likelihood_", None)}

    @classmethod
    def _restore(cls, meta: dict, fitted_learner, learner: type | None) -> "SourceClassifier":
        from imblearn.pipeline import Pipeline

        self = cls(**meta["params"])
        self.learner = learner
        imputer = MedianImputer.from_dict(meta["imputer"])
        self.pipeline_ = Pipeline([("impute", imputer), ("learner", fitted_learner)])
        self.classes_ = np.asarray([str(c) for c in meta["classes"]])
        self.encoder_ = LabelEncoder().fit(self.classes_)
        self.train_priors_ = np.asarray(meta["train_priors"], dtype=float)
        self.model_priors_ = np.asarray(meta["model_priors"], dtype=float)
        self.feature_names_ = [str(f) for f in meta["features"]]
        self.n_features_in_ = len(self.feature_names_)
        self.calibration_ = None
        fl = meta.get("flux_likelihood")  # absent in models written before it was recorded
        self.flux_likelihood_ = dict(fl) if isinstance(fl, dict) and fl.get("density") else None
        if meta.get("calibration"):
            self.set_calibration(meta["calibration"])
        if (fitted_learner.n_classes_ != len(self.classes_) or imputer.n_features_in_ != self.n_features_in_
                or self.train_priors_.shape != (len(self.classes_),)
                or self.model_priors_.shape != (len(self.classes_),)):
            raise ValueError("booster, classes, priors and features disagree")
        return self


def default_class_order() -> tuple[str, ...]:
    """The nine classes in catalogue order."""
    return CLASSES
