import json

import numpy as np
import pytest
from astropy.table import Table
from sklearn.base import BaseEstimator

from _mldata import LABELLED, need
from xrbvo.core.errors import ModelError
from xrbvo.stages.classify.calibration import apply_calibration, fit_calibration
from xrbvo.stages.classify.classifier import SourceClassifier
from xrbvo.stages.classify.explain import explain
from xrbvo.workflows import ModelBundle
from xrbvo.stages.classify.train import choose_class_cuts, cv_predictions, train_labelled

FAST = ({"max_depth": 3, "n_estimators": 20, "learning_rate": 0.3},)


class RecordingSampler(BaseEstimator):
    """Random oversampling that records the row ids (column 0) of every sample it is given."""

    seen: list = []

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit_resample(self, X, y):
        from imblearn.over_sampling import RandomOverSampler

        RecordingSampler.seen.append(np.asarray(X)[:, 0].astype(int).copy())
        return RandomOverSampler(random_state=self.random_state).fit_resample(X, y)


def _toy(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.choice(np.array(["A", "B", "C"]), size=n, p=[0.7, 0.2, 0.1])
    centre = {"A": 0.0, "B": 2.0, "C": -2.0}
    a = np.array([centre[c] for c in y]) + rng.normal(0, 0.7, n)
    b = rng.normal(0, 1, n)
    X = np.column_stack([np.arange(n), a, b])
    return X, y


def test_oversampling_never_sees_a_validation_row():
    from sklearn.model_selection import StratifiedKFold

    X, y = _toy()
    RecordingSampler.seen = []
    oof, classes = cv_predictions(X, y, FAST[0], n_splits=4, random_state=3, sampler=RecordingSampler())
    assert oof.shape == (len(y), 3) and np.allclose(oof.sum(axis=1), 1.0)
    folds = list(StratifiedKFold(n_splits=4, shuffle=True, random_state=3).split(X, y))
    assert len(RecordingSampler.seen) == len(folds)  # once per training fold, never at prediction
    for seen, (tr, va) in zip(RecordingSampler.seen, folds):
        assert set(seen) == set(tr)
        assert not set(seen) & set(va)
    # the whole training procedure (tuning, calibration, cuts, final fit) as well
    RecordingSampler.seen = []
    rows = np.arange(0, len(y), 2)
    feats = Table({"id": X[rows, 0], "a": X[rows, 1], "b": X[rows, 2]})
    train_labelled(feats, y[rows], feature_names=["id", "a", "b"], grid=FAST, inner_folds=3,
                   sampler=RecordingSampler(), n_jobs=1, augment=None)
    assert len(RecordingSampler.seen) == 4
    held_out = set(range(1, len(y), 2))
    assert all(not set(s) & held_out for s in RecordingSampler.seen)
    assert set(RecordingSampler.seen[-1]) == set(rows)  # the final fit sees every training row


def test_calibration_makes_overconfident_probabilities_reliable():
    rng = np.random.default_rng(1)
    n = 4000
    y = rng.choice(np.array(["A", "B"]), size=n, p=[0.8, 0.2])
    true_p = np.where(y == "B", rng.beta(5, 2, n), rng.beta(2, 5, n))
    raw = np.clip(true_p ** 0.3, 0, 1)  # overconfident for B
    proba = np.column_stack([1 - raw, raw])
    cal = fit_calibration(y, proba, ["A", "B"])
    json.dumps(cal)  # plain numbers only
    out = apply_calibration(proba, cal, ["A", "B"])
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    brier = lambda p: np.mean((p[:, 1] - (y == "B")) ** 2)  # noqa: E731
    assert brier(out) < brier(proba)
    hi = out[:, 1] > 0.8
    assert abs(np.mean(y[hi] == "B") - np.mean(out[hi, 1])) < 0.05


def test_cuts_reach_their_purity_target_or_say_so():
    rng = np.random.default_rng(2)
    y = np.array(["X"] * 50 + ["Y"] * 950)
    score = np.where(y == "X", rng.uniform(0.3, 1.0, 1000), rng.uniform(0.0, 0.5, 1000))
    cuts = choose_class_cuts(y, np.column_stack([score, 1 - score]), ["X", "Y"], {"X": 0.9, "Y": 0.999})
    assert cuts["X"]["target_reached"] and cuts["X"]["purity"] >= 0.9
    assert cuts["X"]["cut"] >= 0.45
    assert cuts["Y"]["purity_target"] == 0.999


def test_explanations_name_the_feature_that_decides():
    X, y = _toy(600, seed=4)
    X = X[:, 1:]
    X[::7, 1] = np.nan
    m = SourceClassifier(n_estimators=30, max_depth=3, n_jobs=1).fit(X, y, feature_names=["a", "b"])
    e = explain(m, X, top=2)
    assert len(e) == len(X) and set(e.colnames) == {"top_class", "top_features"}
    first = np.array([s.split(" ")[0] if s else "" for s in e["top_features"]])
    assert np.mean(first == "a") > 0.8
    assert any("(missing)" in s for s in e["top_features"][::7]) or np.all(first[::7] == "a")
    assert list(e["top_class"]) == list(m.predict(X))


@pytest.fixture(scope="module")
def labelled_model(tmp_path_factory):
    from xrbvo.stages.classify.labelled import load_labelled

    ls = load_labelled(need(LABELLED))
    model, meta = train_labelled(ls.features, ls.labels, grid=FAST, inner_folds=3, n_jobs=2)
    d = ModelBundle(model, meta).save(tmp_path_factory.mktemp("m") / "model")
    return model, meta, ls, d


def test_model_trained_on_real_sources_is_better_than_chance_and_reloads_identically(labelled_model):
    from xrbvo.stages.classify.labelled import model_matrix

    model, meta, ls, d = labelled_model
    cv = meta["cv_metrics"]
    assert cv["balanced_accuracy_uniform_priors"] > 0.55  # 8 classes: chance is 0.125
    assert set(meta["class_cuts"]) == set(model.classes_) and set(meta["cuts"]) == {"HMXB", "LMXB"}
    b = ModelBundle.load(d)
    loaded, lmeta = b.source, b.metadata
    X = model_matrix(ls.features, model.feature_names_)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict_proba(X, calibrated=False), model.predict_proba(X, calibrated=False))
    assert not np.allclose(model.predict_proba(X[:50]), model.predict_proba(X[:50], calibrated=False))
    assert lmeta["calibration"]["method"] == "isotonic"
    assert {p.suffix for p in d.iterdir()} == {".json"}


def test_tampered_or_foreign_model_files_give_clear_errors(labelled_model, tmp_path):
    import hashlib
    import shutil

    model, meta, ls, d = labelled_model
    files = {p.name: p.read_bytes() for p in d.iterdir()}
    # below the manifest: metadata that lost a calibration map, and a foreign XGBoost model with a matching hash
    m = json.loads(files["metadata.json"])
    m["calibration"]["maps"].pop("HMXB")
    with pytest.raises(ModelError, match="incomplete or inconsistent"):
        SourceClassifier.from_files({**files, "metadata.json": json.dumps(m).encode()})
    from xgboost import XGBClassifier

    Xs = np.random.default_rng(0).normal(size=(30, len(model.feature_names_) + 3))
    foreign_path = tmp_path / "foreign.json"
    XGBClassifier(n_estimators=2, objective="multi:softprob").fit(Xs, np.arange(30) % 3).save_model(str(foreign_path))
    raw = foreign_path.read_bytes()
    m = json.loads(files["metadata.json"])
    m["model_sha256"] = hashlib.sha256(raw).hexdigest()
    with pytest.raises(ModelError, match="incomplete or inconsistent"):
        SourceClassifier.from_files({"model.json": raw, "metadata.json": json.dumps(m).encode()})
    # on disk, the manifest catches any edit: the model file, the cuts, the class list
    tampered = tmp_path / "tampered"
    shutil.copytree(d, tampered)
    raw = (tampered / "model.json").read_bytes()
    (tampered / "model.json").write_bytes(raw.replace(b"0", b"1", 1))
    with pytest.raises(ModelError, match="model.json: modified or corrupted"):
        ModelBundle.load(tampered)
    for edit in ({"cuts": {"HMXB": 0.01, "LMXB": 0.01}}, {"classes": list(reversed(meta["classes"]))}
                 if "classes" in meta else {"cuts": {}}):
        edited = tmp_path / f"edited{len(list(tmp_path.iterdir()))}"
        shutil.copytree(d, edited)
        m = json.loads((edited / "metadata.json").read_text())
        m.update(edit)
        (edited / "metadata.json").write_text(json.dumps(m))
        with pytest.raises(ModelError, match="metadata.json: modified or corrupted"):
            ModelBundle.load(edited)

