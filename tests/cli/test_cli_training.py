import numpy as np
import pytest

from _mldata import HESS, LABELLED, need
from xrbvo.cli.entry import COMMANDS, main


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("train") / "model"
    rc = main(["-q", "train", "--labels", str(need(LABELLED)), "--out", str(d), "--quick", "--threads", "2"])
    assert rc == 0
    return d


def test_commands_are_registered():
    for c in ("train", "evaluate", "classify"):
        assert c in COMMANDS


def test_train_writes_json_model_with_the_documented_metadata(trained):
    import json

    from xrbvo.stages.classify.labelled import file_sha256

    meta = json.loads((trained / "metadata.json").read_text())
    assert meta["training_file_sha256"] == file_sha256(LABELLED)
    assert meta["label_mapping"]["HM-STAR"] == "EARLY"
    assert "approximation" in meta["band_note"]
    # plane augmentation is on by default, so N_H is no latitude shortcut and stays a feature
    assert meta["excluded_features"] == [] and "log_nh" in meta["features"]
    assert meta["augmentation"]["b_max_deg"] == 10.0 and meta["augmentation"]["bands_kev"] == [[0.5, 2.0], [2.0, 7.0]]
    assert meta["params"]["augment"]["b_max_deg"] == 10.0
    # the Neumann et al. (2023) HMXBs beside the shared labels are added by default (--extra-hmxb auto)
    assert meta["extra_hmxb"]["option"] == "auto" and meta["extra_hmxb"]["file"].endswith("xrbcats_hmxb_neumann2023.csv")
    assert meta["extra_training_rows"]["n_rows"] == len(meta["params"]["augment"]["extra_rows"]) > 100
    assert meta["training_counts"]["HMXB"] == 26  # the class mix stays the labelled table's
    assert meta["field_priors"]["default"] == "auto"
    assert set(meta["cuts"]) == {"HMXB", "LMXB"} and 0 < meta["cuts"]["HMXB"] < 1
    assert meta["classes"] == sorted(meta["classes"]) and "WR" not in meta["classes"]
    for c, d in meta["cv_metrics"]["per_class"].items():
        assert 0 <= d["at_cut"]["completeness"] <= 1, c


def test_evaluate_prints_metrics_warns_on_training_data_and_writes_plots(trained, tmp_path, capsys):
    rc = main(["-q", "evaluate", "--model", str(trained), str(LABELLED), "--plots", str(tmp_path / "p")])
    assert rc == 0
    cap = capsys.readouterr()
    assert "balanced accuracy" in cap.out and "confusion matrix" in cap.out
    assert "HMXB: completeness and purity against the cut" in cap.out
    assert "training file" in cap.err and "cross-validated (stored with the model)" in cap.out
    for name in ("confusion_matrix.png", "completeness_purity.png", "reliability.png"):
        png = (tmp_path / "p" / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_classify_a_field_gives_probabilities_candidates_and_explanations(trained, tmp_path, capsys):
    from astropy.table import Table

    out = tmp_path / "hess_classified.fits"
    rc = main(["-q", "classify", "--model", str(trained), str(need(HESS)), "--out", str(out)])
    assert rc == 0
    cap = capsys.readouterr()
    assert "agreement with the published classes" in cap.out
    t = Table.read(out)
    assert len(t) == 2000
    import re

    for pattern in (r"P_[A-Z]+", r"P_[A-Z]+_field"):
        p = np.column_stack([t[c] for c in t.colnames if re.fullmatch(pattern, c)])
        assert p.shape[1] == 9
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
    # every candidate passes its cut on the probability the catalogue shows at the selection priors
    from xrbvo.workflows import ModelBundle

    cuts = ModelBundle.load(trained).cuts
    cc = np.asarray(t["candidate_class"]).astype(str)
    for c, cut in cuts.items():
        assert np.all(np.asarray(t[f"P_{c}"])[cc == c] >= cut)
    # ra/dec carry units and UCDs; the output records how it was made
    assert str(t["ra"].unit) == "deg" and t.meta["SAMPLE"] == "targeted" and t.meta["PRIORS"] == "training"
    assert "CUTS" in t.meta and "SELPRIOR" in t.meta and "MODEL" in t.meta
    strs = lambda c: np.asarray(c.filled("") if hasattr(c, "filled") else c).astype(str)  # noqa: E731
    assert set(np.unique(strs(t["candidate_class"]))) <= {"", "HMXB", "LMXB"}
    top = strs(t["top_features"])
    assert np.mean([len(s) > 0 for s in top]) > 0.9


def test_train_without_augmentation_leaves_out_nh(tmp_path):
    import json

    d = tmp_path / "plain"
    # without the Neumann rows too (on by default): their masked copies are a step of the training pipeline
    assert main(["-q", "train", "--labels", str(need(LABELLED)), "--out", str(d), "--quick", "--no-augment",
                 "--extra-hmxb", "none"]) == 0
    meta = json.loads((d / "metadata.json").read_text())
    assert meta["augmentation"] is None and meta["params"]["augment"] is None
    assert "log_nh" in meta["excluded_features"] and "log_nh" not in meta["features"]


def test_classify_shifts_plane_sources_to_their_field_priors(trained, tmp_path, capsys):
    from astropy.table import Table

    outs = {}
    for mode in ("training", "model"):
        out = tmp_path / f"{mode}.fits"
        assert main(["-q", "classify", "--model", str(trained), str(need(HESS)), "--out", str(out),
                     "--field-priors", mode]) == 0
        outs[mode] = Table.read(out)
    cap = capsys.readouterr().out
    assert "field priors: xrbvo's population model for the 2000 sources" in cap
    assert outs["training"].meta["PRIORS"] == "training" and outs["model"].meta["PRIORS"] == "population"
    pri = dict(kv.split("=") for kv in outs["model"].meta["FLDPRIOR"].split(";"))
    # the population model: AGN behind the plane far outnumber X-ray binaries
    assert float(pri["AGN"]) > 100 * float(pri["HMXB"])
    t, m = outs["training"], outs["model"]
    # stars dominate a flux-limited plane field (prior ~0.8 vs a quarter of the training set), XRBs are rare
    assert np.mean(m["P_STAR_field"]) > np.mean(t["P_STAR_field"])
    assert np.mean(m["P_HMXB_field"]) < 0.1 * np.mean(t["P_HMXB_field"])
    # the probabilities the cuts apply to do not move with the field's priors
    np.testing.assert_allclose(np.asarray(m["P_HMXB"]), np.asarray(t["P_HMXB"]))
    # candidates use the cut where it was chosen (training-mix probabilities): the same in both
    assert list(np.asarray(m["candidate_class"]).astype(str)) == list(np.asarray(t["candidate_class"]).astype(str))


def test_classify_refuses_a_table_without_features(trained, tmp_path, capsys):
    from astropy.table import Table

    bad = tmp_path / "bad.csv"
    Table({"ra": [1.0], "dec": [2.0], "flux": [3.0]}).write(bad)
    rc = main(["-q", "classify", "--model", str(trained), str(bad), "--out", str(tmp_path / "o.csv")])
    assert rc == 2
    assert "neither the feature columns" in capsys.readouterr().err
    rc = main(["-q", "classify", "--model", str(tmp_path), str(bad), "--out", str(tmp_path / "o.csv")])
    assert rc == 2
    assert "not an xrbvo model directory" in capsys.readouterr().err


def test_pipeline_catalogue_carries_explanations(small_model, small_sky, small_xray):
    from xrbvo.pipeline import PipelineConfig, run_pipeline
    from xrbvo.stages.neighbourhoods import SimProvider

    model, _ = small_model
    res = run_pipeline(small_xray, SimProvider(small_sky), model, cuts={"HMXB": 0.5},
                       config=PipelineConfig(counterparts="nway"))
    top = np.asarray(res.catalogue["top_features"]).astype(str)
    assert len(top) == len(res.catalogue)
    names = set(model.feature_names_)
    firsts = {s.split(" ")[0] for s in top if s}
    assert firsts and firsts <= names


def test_classify_defaults_on_a_targeted_chandra_field_keep_the_model_mix(trained, tmp_path, capsys):
    """The H.E.S.S. file is a targeted sample (Chandra pointings): auto priors are the model's own mix, not
    the population model of a blind survey (which called half of it CV and got 2 of 24 known classes right)."""
    from astropy.table import Table

    outs = {}
    for mode in ("auto", "training"):
        out = tmp_path / f"{mode}.fits"
        assert main(["-q", "classify", "--model", str(trained), str(need(HESS)), "--out", str(out),
                     "--field-priors", mode]) == 0
        outs[mode] = Table.read(out)
    cap = capsys.readouterr().out
    assert "targeted sample" in cap
    a, t = outs["auto"], outs["training"]
    assert a.meta["SAMPLE"] == "targeted" and a.meta["PRIORS"] == "training"
    assert list(np.asarray(a["predicted_class"]).astype(str)) == list(np.asarray(t["predicted_class"]).astype(str))
    pred = np.asarray(a["predicted_class"]).astype(str)
    assert np.mean(pred == "CV") < 0.2  # not the population model's CV flood
