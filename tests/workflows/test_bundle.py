"""Model bundles: one manifest hashing every file; any damage is one line naming the file."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from xrbvo.cli import main
from xrbvo.core.errors import ModelError
from xrbvo.workflows import ModelBundle
from xrbvo.workflows.bundle import MANIFEST


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory, small_model, training_sky):
    from xrbvo.pipeline import PipelineConfig
    from xrbvo.stages.classify.counterparts import fit_pair
    from xrbvo.workflows.training import sky_rows

    model, ts = small_model
    _, ctpt = fit_pair([sky_rows(training_sky, PipelineConfig())], dict(n_estimators=5, max_depth=2),
                       dict(n_estimators=10, max_depth=3), np.random.default_rng(0))
    meta = {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": dict(ts.reference_priors)}
    return ModelBundle(model, meta, ctpt).save(tmp_path_factory.mktemp("bundle") / "m")


def test_a_bundle_round_trips_with_every_file_hashed(bundle_dir, small_model):
    model, ts = small_model
    b = ModelBundle.load(bundle_dir)
    files = {p.name for p in bundle_dir.iterdir()}
    assert files == {MANIFEST, "model.json", "metadata.json", "ctpt_model.json", "ctpt_metadata.json"}
    assert set(b.manifest["files"]) == files - {MANIFEST}
    assert b.counterparts == "joint" and b.cuts == {"HMXB": 0.4, "LMXB": 0.4}
    X = np.column_stack([np.asarray(ts.features[f], float) for f in model.feature_names_])[:100]
    np.testing.assert_array_equal(b.source.predict_proba(X), model.predict_proba(X))
    assert b.describe()["COUNTERP"] == "joint" and len(b.describe()["MODELSHA"]) == 16


def _damaged(bundle_dir, tmp_path, how):
    d = tmp_path / "m"
    shutil.copytree(bundle_dir, d)
    how(d)
    return d


def _set_json(name, value):
    return lambda d: (d / name).write_text(json.dumps(value))


DAMAGE = {
    "metadata is a list": (_set_json("metadata.json", [1, 2]), "metadata.json: modified or corrupted"),
    "metadata is binary": (lambda d: (d / "metadata.json").write_bytes(b"\x00\xff\xfe" * 50),
                           "metadata.json: modified or corrupted"),
    "a directory for a file": (lambda d: ((d / "model.json").unlink(), (d / "model.json").mkdir()),
                               "model.json: missing or not a file"),
    "counterpart model missing": (lambda d: (d / "ctpt_model.json").unlink(), "ctpt_model.json: missing"),
    "counterpart model edited": (lambda d: (d / "ctpt_model.json").write_bytes(
        (d / "ctpt_model.json").read_bytes().replace(b"1", b"2", 3)), "ctpt_model.json: modified or corrupted"),
    "cuts edited": (lambda d: (d / "metadata.json").write_text((d / "metadata.json").read_text().replace(
        '"HMXB": 0.4', '"HMXB": 0.0001', 1)), "metadata.json: modified or corrupted"),
    "manifest is not JSON": (lambda d: (d / MANIFEST).write_bytes(b"{{{"), "manifest.json: unreadable"),
    "manifest is foreign": (_set_json(MANIFEST, {"format": "other/1", "files": {}}), "not an xrbvo model manifest"),
    "manifest points outside": (_set_json(MANIFEST, {"format": "xrbvo-model-bundle/1", "files": {"../x": "0"}}),
                                "outside the model directory"),
    "no manifest": (lambda d: (d / MANIFEST).unlink(), "without a manifest"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_any_damage_is_one_model_error_naming_the_file(case, bundle_dir, tmp_path):
    how, message = DAMAGE[case]
    d = _damaged(bundle_dir, tmp_path, how)
    with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ModelBundle.load(d)


def test_a_damaged_model_on_the_command_line_is_one_line_and_exit_2(bundle_dir, tmp_path, capsys):
    from astropy.table import Table

    d = _damaged(bundle_dir, tmp_path, DAMAGE["cuts edited"][0])
    x = tmp_path / "x.csv"
    Table({"ra": [10.0], "dec": [-60.0], "pos_err": [2.0], "flux_soft": [1e-13]}).write(x)
    rc = main(["-q", "run", str(x), "--model", str(d), "--catalog", f"gaia={x}", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "metadata.json: modified or corrupted" in err


def test_cuts_that_are_not_probabilities_or_name_unknown_classes_are_refused_on_save(small_model, tmp_path):
    model, _ = small_model
    for meta, msg in (({"cuts": {"HMXB": 1.5}}, "not a probability"), ({"cuts": {"QSO": 0.5}}, "does not have"),
                      ({"cuts": {"HMXB": float("nan")}}, "not a probability"), ({"cuts": [0.5]}, "must map")):
        with pytest.raises(ModelError, match=msg):
            ModelBundle(model, meta).save(tmp_path / "bad")


def test_a_simulated_sky_model_states_its_real_data_figures_in_one_line(small_model, tmp_path):
    model, ts = small_model
    meta = {"cuts": {"HMXB": 0.4}, "reference_priors": dict(ts.reference_priors), "trained_on": "simulated"}
    bare = ModelBundle(model, dict(meta))
    assert "has not been measured on real labelled sources" in bare.real_data_line
    assert bare.xray_bands == "erass1"
    rec = {"n": 2345, "file": "csc_xray_mwl_labelled.csv", "balanced_accuracy": 0.713,
           "recall": {"HMXB": [5, 26], "LMXB": [7, 48], "AGN": [900, 1197]}}
    b = ModelBundle.load(ModelBundle(model, dict(meta, real_labelled=rec)).save(tmp_path / "m"))
    line = b.real_data_line
    assert "trained on simulated skies only" in line and "balanced accuracy 0.71" in line
    assert "HMXB recall 5/26" in line and "LMXB recall 7/48" in line and "\n" not in line
    assert b.describe()["REALBACC"] == "0.713"
    labelled = ModelBundle(model, dict(meta, trained_on="labelled", training_file="x.csv"))
    assert labelled.real_data_line is None and labelled.xray_bands == "chandra"
