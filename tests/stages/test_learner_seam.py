"""The training trunk: both trained models run on a second learner through the one seam.

scikit-learn's HistGradientBoostingClassifier stands in for XGBoost here, wrapped to the learner
contract of :mod:`xrbvo.stages.classify.learner`.  Its fitted models stay in memory (the "file" is a
key into a dict): nothing is pickled.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from xrbvo.core.errors import ModelError
from xrbvo.stages.classify.classifier import SourceClassifier
from xrbvo.stages.classify.counterparts import CTPT_FORMAT, CounterpartClassifier
from xrbvo.stages.features import FEATURES

_MODELS: dict[str, HistGradientBoostingClassifier] = {}


class HGBLearner(ClassifierMixin, BaseEstimator):
    """scikit-learn's histogram gradient boosting behind the learner contract (models kept in memory)."""

    name = "sklearn-hgb"

    def __init__(self, task="multiclass", n_estimators=None, max_depth=None, learning_rate=None, subsample=None,
                 colsample_bytree=None, min_child_weight=None, max_bin=None, random_state=0, n_jobs=1):
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

    def fit(self, X, y):
        self.model_ = HistGradientBoostingClassifier(max_iter=self.n_estimators or 100, max_depth=self.max_depth,
                                                     learning_rate=self.learning_rate or 0.1,
                                                     random_state=self.random_state).fit(X, y)
        self.n_classes_ = len(self.model_.classes_)
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(np.asarray(X, float))

    def importances(self):
        gain = np.zeros(self.model_.n_features_in_)
        for trees in self.model_._predictors:
            for tree in trees:
                split = ~tree.nodes["is_leaf"].astype(bool)
                np.add.at(gain, tree.nodes["feature_idx"][split], tree.nodes["gain"][split])
        return gain

    def set_threads(self, n_jobs):
        self.n_jobs = int(n_jobs)
        return self

    def to_bytes(self):
        key = uuid.uuid4().hex
        _MODELS[key] = self.model_
        return key.encode()

    @classmethod
    def from_bytes(cls, raw, *, task="multiclass", params=None):
        self = cls(task=task)
        self.model_ = _MODELS[bytes(raw).decode()]
        self.n_classes_ = len(self.model_.classes_)
        return self


def _split(n, rng):
    idx = rng.permutation(n)
    return idx[: n * 2 // 3], idx[n * 2 // 3:]


def test_both_models_train_predict_and_round_trip_with_a_second_learner():
    rng = np.random.default_rng(1)
    # the source classifier: three classes told apart by two of five features, some values missing
    n = 450
    y = np.repeat(np.array(["AGN", "HMXB", "STAR"]), n // 3)
    X = rng.normal(size=(n, 5))
    X[:, 0] += np.select([y == "AGN", y == "HMXB"], [2.5, -2.5], 0.0)
    X[:, 1] += np.where(y == "STAR", 2.5, 0.0)
    X[rng.random(X.shape) < 0.05] = np.nan
    tr, te = _split(n, rng)
    names = ["a", "b", "c", "d", "e"]
    src = SourceClassifier(n_estimators=40, max_depth=3, learning_rate=0.2, learner=HGBLearner)
    src.fit(X[tr], y[tr], feature_names=names)
    p = src.predict_proba(X[te])
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    assert balanced_accuracy_score(y[te], src.classes_[np.argmax(p, axis=1)]) > 0.7  # chance: 1/3
    imp = src.explain()
    assert max(imp, key=imp.get) in ("a", "b") and abs(sum(imp.values()) - 1.0) < 1e-9

    # the counterpart model: true combinations against field ones, on the FEATURES columns
    m = 600
    yc = (rng.random(m) < 0.3).astype(int)
    Xc = rng.normal(size=(m, len(FEATURES)))
    Xc[:, 2] += 2.0 * yc
    trc, tec = _split(m, rng)
    ctpt = CounterpartClassifier(n_estimators=40, max_depth=3, learner=HGBLearner).fit(Xc[trc], yc[trc])
    pc = ctpt.predict_proba(Xc[tec])
    np.testing.assert_allclose(pc.sum(axis=1), 1.0, atol=1e-9)
    assert roc_auc_score(yc[tec], pc[:, 1]) > 0.75  # chance: 0.5
    assert max(ctpt.explain(), key=ctpt.explain().get) == FEATURES[2]

    for model, X_te in ((src, X[te]), (ctpt, Xc[tec])):
        files = model.to_files()
        meta = json.loads(files[model.META_FILE])
        assert meta["learner"] == "sklearn-hgb" and meta["format"] == model.FORMAT
        assert set(meta) >= {"format", "learner", "classes", "features", "params", "model_sha256"}
        back, _ = type(model).from_files(files, learner=HGBLearner)
        np.testing.assert_array_equal(back.predict_proba(X_te), model.predict_proba(X_te))
        # without the learner that wrote it, the file is refused in one line
        with pytest.raises(ModelError, match="written by the learner 'sklearn-hgb'.*retrain") as err:
            type(model).from_files(files)
        assert "\n" not in str(err.value)


def test_only_the_learner_module_names_xgboost():
    import xrbvo

    root = Path(xrbvo.__file__).resolve().parent
    naming = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                    if re.search(r"^\s*(import xgboost|from xgboost)", p.read_text(), re.M))
    assert naming == ["stages/classify/learner.py"]


def test_a_counterpart_model_file_of_the_earlier_layout_still_loads():
    """Counterpart files written before the shared schema (no learner, classes or hash) load unchanged."""
    rng = np.random.default_rng(2)
    yc = (rng.random(300) < 0.3).astype(int)
    Xc = rng.normal(size=(300, len(FEATURES)))
    Xc[:, 0] += 2.0 * yc
    ctpt = CounterpartClassifier(n_estimators=10, max_depth=3).fit(Xc, yc)
    files = ctpt.to_files()
    old = {"format": CTPT_FORMAT, "train_odds": ctpt.train_odds_, "features": list(FEATURES),
           "params": {"n_estimators": 10, "max_depth": 3, "learning_rate": 0.1, "random_state": 0}}
    files["ctpt_metadata.json"] = json.dumps(old, indent=2).encode()
    back, _ = CounterpartClassifier.from_files(files)
    np.testing.assert_array_equal(back.likelihood_ratio(Xc), ctpt.likelihood_ratio(Xc))


def test_the_prior_shift_is_one_function_for_one_target_or_one_per_row():
    """One home (xrbvo.stages.probability): a vector for all rows equals the same vector given per row."""
    from xrbvo.core.errors import InputError
    from xrbvo.stages.probability import calibrate_at_training_mix, shift_priors

    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(3), size=20)
    s = np.array([0.5, 0.3, 0.2])
    t = np.array([0.01, 0.9, 0.09])
    np.testing.assert_array_equal(shift_priors(p, s, t), shift_priors(p, s, np.tile(t, (20, 1))))
    np.testing.assert_allclose(shift_priors(shift_priors(p, s, t), t, s), p, rtol=1e-12)
    identity = {"method": "isotonic", "maps": {c: {"x": [0.0, 1.0], "y": [0.0, 1.0]} for c in "abc"}}
    np.testing.assert_allclose(calibrate_at_training_mix(p, s, identity, "abc", s, t), shift_priors(p, s, t),
                               rtol=1e-12)
    with pytest.raises(InputError, match="sum to 1"):
        shift_priors(p, s, np.array([0.5, 0.5, 0.5]))
