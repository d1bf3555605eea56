"""The learner: the one module that names the gradient-boosting library (XGBoost).

Both trained models of xrbvo, the source classifier
(:class:`xrbvo.stages.classify.classifier.SourceClassifier`) and the counterpart model
(:class:`xrbvo.stages.classify.counterparts.CounterpartClassifier`), share one trunk
(:class:`xrbvo.stages.classify.estimator.Estimator`) that fits its *learner* on a plain
matrix.  The learner is the seam: swapping XGBoost for another library means writing one class
like :class:`XGBoostLearner` here and naming it in :data:`DEFAULT_LEARNER` (or giving it as the
estimators' ``learner`` parameter).

The learner contract
--------------------
``Learner(task=..., **params)``
    ``task`` is ``"multiclass"`` (probabilities for every class, whatever their number) or
    ``"binary"``; ``params`` are the generic tree parameters ``n_estimators``, ``max_depth``,
    ``learning_rate``, ``subsample``, ``colsample_bytree``, ``min_child_weight``, ``max_bin``,
    ``random_state``, ``n_jobs`` (None: the library's default; a learner ignores those it has no
    equivalent of).
``fit(X, y)``
    ``y`` holds integer labels 0..k-1 (the estimator owns the label encoder); returns self.
``predict_proba(X)``
    (n, k) probabilities, columns in label order.
``importances()``
    One non-negative number per column of ``X``: how much the trees rely on it.
``contributions(X)`` (optional)
    Per-row additive contributions to each class's margin, (n, k, n_features + 1); the last entry
    is the bias.
``set_threads(n)``
    Threads used from now on.
``to_bytes()`` / ``Learner.from_bytes(raw)``
    The fitted learner as bytes and back.  Model files are read from user paths: the format must
    not execute anything when loaded (XGBoost JSON here; never pickle).
``name``
    The class attribute recorded in the model's metadata (``learner``), to refuse a model file
    written by another learner.
"""

from __future__ import annotations

import json
from typing import Mapping

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

__all__ = ["XGBoostLearner", "DEFAULT_LEARNER", "LEARNERS", "learner_class", "LEARNER_PARAMS"]

#: The generic tree parameters a learner takes (besides ``task``).
LEARNER_PARAMS: tuple[str, ...] = ("n_estimators", "max_depth", "learning_rate", "subsample", "colsample_bytree",
                                   "min_child_weight", "max_bin", "random_state", "n_jobs")


class XGBoostLearner(ClassifierMixin, BaseEstimator):
    """Gradient-boosted trees from XGBoost (``tree_method="hist"``; NaN handled natively).

    Parameters
    ----------
    task : str
        ``"multiclass"`` (``multi:softprob``) or ``"binary"`` (``binary:logistic``).
    n_estimators, max_depth, learning_rate, subsample, colsample_bytree, min_child_weight, max_bin
        XGBoost parameters (None: XGBoost's default).
    random_state : int
        Seed of XGBoost.
    n_jobs : int
        Threads of XGBoost.
    """

    name = "xgboost"

    def __init__(self, task: str = "multiclass", n_estimators: int | None = None, max_depth: int | None = None,
                 learning_rate: float | None = None, subsample: float | None = None,
                 colsample_bytree: float | None = None, min_child_weight: float | None = None,
                 max_bin: int | None = None, random_state: int = 0, n_jobs: int = 2):
        self.task = task
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.max_bin = max_bin
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _model(self):
        from xgboost import XGBClassifier

        task = ({"objective": "multi:softprob", "eval_metric": "mlogloss"} if self.task == "multiclass"
                else {"eval_metric": "logloss"})
        return XGBClassifier(n_estimators=self.n_estimators, max_depth=self.max_depth,
                             learning_rate=self.learning_rate, subsample=self.subsample,
                             colsample_bytree=self.colsample_bytree, tree_method="hist",
                             random_state=self.random_state, n_jobs=self.n_jobs,
                             min_child_weight=self.min_child_weight, max_bin=self.max_bin, **task)

    def fit(self, X, y) -> "XGBoostLearner":
        """Fit on ``X`` with integer labels ``y`` (0..k-1); returns self."""
        self.model_ = self._model().fit(X, y)
        self.n_classes_ = _booster_classes(self.model_)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """(n, k) probabilities, columns in label order."""
        X = np.asarray(X, dtype=float)
        if self.task == "binary":
            return self.model_.predict_proba(X)
        p = self.model_.get_booster().inplace_predict(X)
        return np.asarray(p, dtype=float).reshape(len(X), self.n_classes_)

    def contributions(self, X) -> np.ndarray:
        """Tree-SHAP contributions to each class's margin, (n, k, n_features + 1)."""
        import xgboost as xgb

        return self.model_.get_booster().predict(xgb.DMatrix(np.asarray(X, dtype=float)), pred_contribs=True)

    def importances(self) -> np.ndarray:
        """XGBoost's feature importances (total gain share), one per column of ``X``."""
        return np.asarray(self.model_.feature_importances_, dtype=float)

    def set_threads(self, n_jobs: int) -> "XGBoostLearner":
        """Threads used from now on."""
        self.n_jobs = int(n_jobs)
        self.model_.set_params(n_jobs=self.n_jobs)
        self.model_.get_booster().set_param("nthread", self.n_jobs)
        return self

    def to_bytes(self) -> bytes:
        """The booster as XGBoost JSON."""
        return bytes(self.model_.get_booster().save_raw(raw_format="json"))

    @classmethod
    def from_bytes(cls, raw: bytes, *, task: str = "multiclass", params: Mapping | None = None) -> "XGBoostLearner":
        """A fitted learner from XGBoost JSON (raises ValueError when the bytes are not a booster)."""
        from xgboost import XGBClassifier
        from xgboost.core import XGBoostError

        self = cls(task=task, **{k: v for k, v in dict(params or {}).items() if k in LEARNER_PARAMS})
        try:
            self.model_ = XGBClassifier()
            self.model_.load_model(bytearray(raw))
            self.n_classes_ = _booster_classes(self.model_)
        except XGBoostError as exc:
            raise ValueError(str(exc).splitlines()[0] if str(exc) else "not an XGBoost model") from None
        return self


def _booster_classes(xgbc) -> int:
    """Number of classes of a fitted or loaded XGBoost classifier (2 for a binary one)."""
    cfg = json.loads(xgbc.get_booster().save_config())
    return int(cfg["learner"]["learner_model_param"]["num_class"]) or 2


#: The learner a model is trained with unless told otherwise.
DEFAULT_LEARNER = XGBoostLearner

#: Learner name (as recorded in a model's metadata) -> class, for loading model files.
LEARNERS: dict[str, type] = {XGBoostLearner.name: XGBoostLearner}


def learner_class(name: str | None) -> type | None:
    """The learner class a model's metadata names (None, for files written before it was recorded: XGBoost).

    Parameters
    ----------
    name : str or None
        The metadata's ``learner`` entry.

    Returns
    -------
    type or None
        The class, or None when no learner of that name is known.
    """
    return LEARNERS.get(XGBoostLearner.name if name is None else str(name))
