"""Class-aware counterparts (joint posterior over class and counterpart)."""

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.pipeline import PipelineConfig, run_pipeline
from xrbvo.stages.classify.counterparts import (CounterpartClassifier, combination_table, fit_pair, joint_posterior,
                                                truth_combination_index)
from xrbvo.stages.features import nh_at
from xrbvo.stages.match.associate import associate
from xrbvo.stages.neighbourhoods import SimProvider
from xrbvo.workflows import ModelBundle
from xrbvo.workflows.training import sky_rows

CFG = PipelineConfig(counterparts="joint")


@pytest.fixture(scope="module")
def joint_models(training_sky):
    parts = [sky_rows(training_sky, CFG)]
    return fit_pair(parts, dict(n_estimators=80, max_depth=4, random_state=0),
                     dict(n_estimators=80, max_depth=4, random_state=0), np.random.default_rng(0))


def test_truth_rows_are_found_for_most_sources(small_sky, small_xray):
    nbs = SimProvider(small_sky).neighbourhoods(small_xray, 20.0, CFG.surveys)
    assoc = associate(small_xray, nbs, 20.0, CFG.association, positional_only=True)
    cr = combination_table(small_xray, assoc, nbs, nh_at(small_xray["ra"], small_xray["dec"]))
    ok = truth_combination_index(cr, nbs, small_sky.truth, small_xray)
    per_source = np.bincount(cr.src[ok], minlength=len(small_xray))
    assert per_source.max() == 1  # at most one true combination per source
    assert per_source.mean() > 0.8
    assert np.all(cr.w_pos[cr.is_none] == 1.0) and np.all(cr.w_pos >= 0)


def test_joint_probabilities_sum_to_one(small_sky, small_xray, joint_models):
    src_model, ctpt = joint_models
    nbs = SimProvider(small_sky).neighbourhoods(small_xray, 20.0, CFG.surveys)
    assoc = associate(small_xray, nbs, 20.0, CFG.association, positional_only=True)
    cr = combination_table(small_xray, assoc, nbs, nh_at(small_xray["ra"], small_xray["dec"]))
    jr = joint_posterior(cr, len(small_xray), src_model, ctpt, small_sky.class_priors(boosted=True))
    np.testing.assert_allclose(jr.proba.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(np.bincount(cr.src, weights=jr.joint.sum(axis=1)), 1.0, atol=1e-9)
    for c in jr.classes:
        assert np.all((jr.p_ctpt[c] >= 0) & (jr.p_ctpt[c] <= 1 + 1e-12))


def _constructed_field():
    """One hard, bright X-ray source; an OB star at 2 sigma and a faint red source at 0.5 sigma."""
    sig = 3.0
    ra0, dec0 = 180.0, -62.0
    x = Table({"xid": ["X1"], "ra": [ra0], "dec": [dec0], "pos_err": [sig], "flux_soft": [3e-12],
               "flux_soft_err": [1e-13], "flux_hard": [6e-12], "flux_hard_err": [5e-13], "epoch": [2020.0]})
    cosd = np.cos(np.radians(dec0))
    pos = {"ob": (2 * sig, 0.0), "red": (0.0, -0.5 * sig)}

    def radec(k):
        dx, dy = pos[k]
        return ra0 + dx / 3600 / cosd, dec0 + dy / 3600

    def nb(rows, extra):
        t = Table(rows=rows, names=["xid", "nid", "ra", "dec", "pos_err", "sep", *extra])
        t.meta["radius_arcsec"] = 20.0
        return t

    ob, red = radec("ob"), radec("red")
    gaia = nb([("X1", "g_ob", *ob, 0.01, 2 * sig, 11.5, 12.3, 10.6, 0.35, 0.03, 1.0, 1.0, 0.1, 0.5, 1.0, 0.04, 2500.0),
               ("X1", "g_red", *red, 0.3, 0.5 * sig, 20.6, np.nan, np.nan, 0.1, 0.6, 0.3, -0.2, 1.2, 3.0, 1.1, 0.15,
                3000.0)],
              ["G", "BP", "RP", "plx", "plx_err", "pmra", "pmdec", "epsi", "sepsi", "ruwe", "var_G", "rgeo"])
    tmass = nb([("X1", "t_ob", *ob, 0.08, 2 * sig, 9.6, 9.3, 9.1)], ["J", "H", "K"])
    wise = nb([("X1", "w_ob", *ob, 0.1, 2 * sig, 8.9, 8.8),
               ("X1", "w_red", *red, 0.3, 0.5 * sig, 14.6, 13.6)], ["W1", "W2"])
    return x, {"gaia": gaia, "2mass": tmass, "catwise": wise}


def test_constructed_field_ob_star_for_hmxb_red_source_for_agn(joint_models):
    src_model, ctpt = joint_models
    x, nbs = _constructed_field()
    assoc = associate(x, nbs, 20.0, CFG.association, positional_only=True)
    cr = combination_table(x, assoc, nbs, np.array([1.5e22]))
    jr = joint_posterior(cr, 1, src_model, ctpt, None)
    gaia = np.asarray(nbs["gaia"]["nid"])

    def gaia_of(cls):
        r = cr.rows["gaia"][jr.best[cls][0]]
        return gaia[r] if r >= 0 else "none"

    assert gaia_of("HMXB") == "g_ob"
    assert gaia_of("AGN") == "g_red"
    assert jr.proba[0].sum() == pytest.approx(1.0, abs=1e-12)


def test_pipeline_joint_mode_columns_and_errors(small_sky, small_xray, joint_models):
    src_model, ctpt = joint_models
    res = run_pipeline(small_xray, SimProvider(small_sky), src_model, ctpt_model=ctpt, config=CFG,
                       field_priors=np.array([small_sky.class_priors(boosted=True).get(c, 0.0)
                                              for c in src_model.classes_]), cuts={"HMXB": 0.5})
    cat = res.catalogue
    assert cat.meta["COUNTERP"] == "joint"
    for c in ("HMXB", "LMXB", "AGN"):
        assert f"ctp_{c}" in cat.colnames and f"P_{c}_CTPT" in cat.colnames
    p = np.column_stack([cat[f"P_{c}"] for c in ("HMXB", "LMXB", "NS", "CV", "WR", "AGN", "EARLY", "STAR", "YSO")])
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    # the chosen counterpart is the top class's most probable counterpart
    for i in range(len(cat)):
        top = cat["predicted_class"][i]
        label = cat[f"ctp_{top}"][i]
        nid = cat["nid_gaia"][i]
        assert (nid == "" and "gaia:" not in label) or f"gaia:{nid}" in label
    with pytest.raises(InputError, match="counterpart model"):
        run_pipeline(small_xray, SimProvider(small_sky), src_model, config=CFG)


def test_counterpart_model_round_trip(tmp_path, joint_models):
    _, ctpt = joint_models
    back, _ = CounterpartClassifier.from_files(ctpt.to_files())
    X = np.random.default_rng(0).normal(size=(5, len(__import__("xrbvo.stages.features", fromlist=["F"]).FEATURES)))
    np.testing.assert_allclose(back.likelihood_ratio(X), ctpt.likelihood_ratio(X))


def test_joint_posterior_takes_a_source_model_on_a_subset_of_the_features(small_sky, small_xray, joint_models):
    """A model trained on labelled data (its own feature list) works in the joint posterior."""
    from xrbvo.stages.classify.classifier import SourceClassifier
    from xrbvo.stages.features import FEATURES

    src_model, ctpt = joint_models
    nbs = SimProvider(small_sky).neighbourhoods(small_xray, 20.0, CFG.surveys)
    assoc = associate(small_xray, nbs, 20.0, CFG.association, positional_only=True)
    cr = combination_table(small_xray, assoc, nbs, nh_at(small_xray["ra"], small_xray["dec"]))
    names = [f for f in FEATURES if f not in ("xvar_prob", "log_var_G")]
    X = np.column_stack([np.asarray(cr.features[f], float) for f in names])
    rng = np.random.default_rng(0)
    y = rng.choice(np.asarray(src_model.classes_)[:3], len(X))
    sub = SourceClassifier(n_estimators=5, max_depth=2).fit(X, y, feature_names=names)
    jr = joint_posterior(cr, len(small_xray), sub, ctpt, None)
    assert jr.proba.shape == (len(small_xray), 3)
    np.testing.assert_allclose(jr.proba.sum(axis=1), 1.0, atol=1e-9)
    # the same numbers as the joint posterior computed by hand from the model's own columns
    from xrbvo.stages.classify.counterparts import _X

    r_x = np.where(cr.is_none, 1.0, ctpt.likelihood_ratio(_X(cr.features)))
    score = (sub.train_priors_ / sub.model_priors_)[None, :] * sub._raw_proba(X) * (r_x * cr.w_pos)[:, None]
    tot = np.bincount(cr.src, weights=score.sum(axis=1), minlength=len(small_xray))
    np.testing.assert_allclose(jr.joint, score / tot[cr.src, None], rtol=1e-12)


def test_run_with_a_separate_counterpart_model_uses_joint_counterparts(tmp_path, small_sky, small_model,
                                                                        joint_models):
    from xrbvo.cli.entry import main

    _, ctpt = joint_models
    model, ts = small_model  # a source model saved without any counterpart model (as `xrbvo train` writes)
    src_dir = ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}}).save(tmp_path / "source")
    ctpt_dir = ModelBundle(model, {}, ctpt).save(tmp_path / "ctpt")
    files = small_sky.write(tmp_path / "sky", fmt="fits")
    args = ["-q", "run", str(files["xray"]), "--model", str(src_dir), "--catalog", f"gaia={files['gaia']}",
            "--catalog", f"2mass={files['2mass']}", "--catalog", f"catwise={files['catwise']}",
            "--out", str(tmp_path / "o")]
    assert main(args + ["--counterpart-model", str(ctpt_dir)]) == 0
    t = Table.read(tmp_path / "o" / "xrbvo_catalogue.fits")
    assert t.meta["COUNTERP"] == "joint" and len(t) == len(small_sky.xray)
    assert main(args + ["--counterpart-model", str(tmp_path / "sky")]) == 2  # not a counterpart model: one line


def test_each_source_is_learnt_from_its_true_combination_else_its_none_row():
    from xrbvo.stages.classify.counterparts import CombinationRows, SkyRows

    src = np.array([0, 0, 0, 1, 1, 2, 3, 3])
    is_none = np.array([False, False, True, False, True, True, True, False])
    cr = CombinationRows(src, {}, np.ones(len(src)), Table(), is_none)
    is_true = np.array([False, True, False, False, False, False, False, True])
    part = SkyRows(cr, is_true, np.array(["AGN", "STAR", "CV", "HMXB"]), 4, {})
    assert part.source_rows().tolist() == [1, 4, 5, 7]
