"""One workflow, one science policy: the same candidates from every entry point, and honest defaults."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.cli import main
from xrbvo.core.errors import InputError, XrbvoWarning
from xrbvo.core.schema import CLASSES
from xrbvo.stages.probability import shift_priors
from xrbvo.stages.select import expected_purity, pass_rates, select_candidates
from xrbvo.workflows import ModelBundle, SciencePolicy, analyse, parse_priors, resolve_policy
from xrbvo.workflows.policy import POLICY_VERSION


@pytest.fixture(scope="module")
def nway_bundle(small_model):
    model, ts = small_model
    ref = {c: float(ts.reference_priors.get(c, 0.0)) for c in CLASSES}
    return ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ref})


# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_run_python_api_and_demo_give_identical_probabilities_and_candidates(demo_run, tmp_path):
    from conftest import DEMO_FIELD

    from xrbvo.sim import SkyConfig, simulate_sky
    from xrbvo.stages.neighbourhoods import SimProvider

    f = DEMO_FIELD
    demo_cat = Table.read(demo_run / "xrbvo_demo_catalogue.fits")
    # the same field written as files, through `xrbvo run`
    sky_dir = tmp_path / "sky"
    args = ["-q", "simulate", "--out", str(sky_dir), "--seed", str(f["seed"]), "--l", str(f["l"]), "--b", str(f["b"]),
            "--width", str(f["width"]), "--height", str(f["height"])]
    for k, v in f["boost"].items():
        args += ["--boost", f"{k}={v:g}"]
    assert main(args) == 0
    assert main(["-q", "run", str(sky_dir / "xray.fits"), "--model", str(demo_run / "model"),
                 "--catalog", f"gaia={sky_dir / 'gaia.fits'}", "--catalog", f"2mass={sky_dir / '2mass.fits'}",
                 "--catalog", f"catwise={sky_dir / 'catwise.fits'}", "--out", str(tmp_path / "run")]) == 0
    run_cat = Table.read(tmp_path / "run" / "xrbvo_catalogue.fits")
    # the Python API as the README shows it
    sky = simulate_sky(SkyConfig(l_deg=f["l"], b_deg=f["b"], width_deg=f["width"], height_deg=f["height"],
                                 class_boost=f["boost"], seed=f["seed"]))
    bundle = ModelBundle.load(demo_run / "model")
    api_cat = analyse(sky.xray, SimProvider(sky), bundle).catalogue
    assert len(demo_cat) == len(run_cat) == len(api_cat) > 50
    cand = np.asarray(demo_cat["candidate"], bool)
    assert cand.any(), "the field should hold candidates for the comparison to mean something"
    for other in (run_cat, api_cat):
        assert list(np.asarray(other["xid"]).astype(str)) == list(np.asarray(demo_cat["xid"]).astype(str))
        for c in CLASSES:
            np.testing.assert_allclose(np.asarray(other[f"P_{c}"]), np.asarray(demo_cat[f"P_{c}"]), rtol=0,
                                       atol=1e-12)
            np.testing.assert_allclose(np.asarray(other[f"P_{c}_field"]), np.asarray(demo_cat[f"P_{c}_field"]),
                                       rtol=0, atol=1e-12)
        assert np.array_equal(np.asarray(other["candidate"], bool), cand)
        assert list(np.asarray(other["candidate_class"]).astype(str)) == \
            list(np.asarray(demo_cat["candidate_class"]).astype(str))
    for t in (demo_cat, run_cat):
        assert t.meta["PRIORS"] == "source" and t.meta["SAMPLE"] == "survey" and t.meta["COUNTERP"] == "joint"
        assert t.meta["MINPUR"] == 0.5 and t.meta["POLICY"] == POLICY_VERSION


# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("prior, message", [
    ("HMXB=nan", "finite number"),
    ("HMXB=-0.1", "between 0 and 1"),
    ("HMXB=1.5", "between 0 and 1"),
    ("FOO=0.1", "unknown class"),
    ("HMXB=abc", "must be a number"),
    ("HMXB", "write CLASS=SHARE"),
    ("HMXB=0", "all zero"),
])
def test_bad_priors_are_one_line_and_exit_2(prior, message, tmp_path, capsys):
    xr = tmp_path / "x.csv"
    Table({"ra": [10.0], "dec": [-60.0], "pos_err": [2.0], "flux_soft": [1e-13]}).write(xr)
    rc = main(["-q", "run", str(xr), "--model", str(tmp_path / "nomodel"), "--catalog", f"gaia={xr}",
               "--prior", prior, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err


def test_priors_that_leave_no_share_for_unnamed_classes_are_refused(nway_bundle):
    with pytest.raises(InputError, match="sum to 1.1 but leave"):
        resolve_policy(SciencePolicy(priors={"HMXB": 0.6, "AGN": 0.5}), nway_bundle, l_deg=[300.0], b_deg=[0.0])
    with pytest.raises(InputError, match="given twice"):
        parse_priors(["HMXB=0.1", "hmxb=0.2"])


def test_partial_priors_fill_the_other_classes_from_the_model_mix(nway_bundle):
    r = resolve_policy(SciencePolicy(priors={"HMXB": 0.01, "AGN": 0.3}), nway_bundle, l_deg=[300.0, 10.0],
                       b_deg=[0.0, 50.0])
    pri = dict(zip(r.classes, r.field_priors[0]))
    assert pri["HMXB"] == pytest.approx(0.01) and pri["AGN"] == pytest.approx(0.3)
    assert r.field_priors.sum(axis=1) == pytest.approx([1.0, 1.0])
    rest = [c for c in r.classes if c not in ("HMXB", "AGN")]
    assert set(r.filled) == set(rest)
    mix = nway_bundle.mix
    # the others keep the model's proportions between them: nobody is silently set to zero
    a, b = rest[0], rest[1]
    assert pri[a] / pri[b] == pytest.approx(mix[a] / mix[b])
    assert min(pri[c] for c in rest) > 0
    assert r.mode == "given" and "filled from the model's mix" in r.summary()


def test_auto_priors_follow_the_sample(nway_bundle):
    l, b = np.array([300.0, 300.0, 120.0]), np.array([0.5, -1.0, 60.0])
    flux = np.array([3e-14, 1e-11, 3e-14])
    blind = resolve_policy(SciencePolicy(), nway_bundle, l_deg=l, b_deg=b, soft_flux=flux, xray_survey="erass1")
    # a blind survey: every source its own priors (rule 3), and the candidates' own purity >= 0.5 (rule 6)
    assert blind.sample == "survey" and blind.mode == "source" and blind.n_shifted == 3 and blind.n_fallback == 0
    assert blind.min_purity == 0.5 and blind.header()["MINPUR"] == 0.5
    from xrbvo.stages.classify.priors import source_priors
    from xrbvo.stages.probability import flux_evidence_priors

    own, good = source_priors(l, b, flux, blind.classes)
    assert good.all()
    pri = [dict(zip(blind.classes, row)) for row in own]
    # the census's mix: the bright plane source is far more likely an X-ray binary than the faint one beside it
    assert pri[1]["HMXB"] + pri[1]["LMXB"] > 100 * (pri[0]["HMXB"] + pri[0]["LMXB"])
    assert pri[2]["AGN"] > 0.5  # high latitude, faint: mostly AGN
    # policy 4: the priors the shift goes to are that mix over the model's training flux likelihood
    assert blind.flux_once and blind.header()["FLUXONCE"] == "yes"
    np.testing.assert_allclose(blind.field_priors, flux_evidence_priors(
        own, np.log10(flux), nway_bundle.source.flux_likelihood_, blind.classes))
    sel = np.array([nway_bundle.selection_priors[c] for c in blind.classes])
    targeted = resolve_policy(SciencePolicy(), nway_bundle, l_deg=l, b_deg=b, layout="csc-field")
    assert targeted.sample == "targeted" and targeted.mode == "training" and targeted.n_shifted == 0
    assert targeted.min_purity is None and not targeted.notes  # the default min purity is silent where it is off
    np.testing.assert_allclose(targeted.field_priors, np.broadcast_to(sel, (3, len(sel))))
    forced = resolve_policy(SciencePolicy(sample="survey"), nway_bundle, l_deg=l, b_deg=b, layout="csc-field",
                            soft_flux=[1e-13, 2e-13, 3e-13])
    assert forced.mode == "source" and forced.min_purity == 0.5
    unknown = resolve_policy(SciencePolicy(), nway_bundle, l_deg=l, b_deg=b)
    assert unknown.sample == "targeted" and unknown.notes and "--sample survey" in unknown.notes[0]


def test_policy_2_is_still_one_option_away(nway_bundle):
    l, b = np.array([300.0, 300.0, 120.0]), np.array([0.5, -1.0, 60.0])
    old = resolve_policy(SciencePolicy(field_priors="model", min_purity="off"), nway_bundle, l_deg=l, b_deg=b,
                         soft_flux=[3e-14, 1e-11, 3e-14], xray_survey="erass1")
    assert old.mode == "population" and old.min_purity is None and "MINPUR" not in old.header()
    np.testing.assert_allclose(old.field_priors[0], old.field_priors[1])  # one vector for the field
    with pytest.raises(InputError, match="auto or off"):
        SciencePolicy(min_purity="sometimes").validate()


def test_sources_outside_the_surveys_coverage_are_flagged_and_never_candidates(small_sky, small_xray,
                                                                                nway_bundle):
    from astropy.table import vstack

    from xrbvo.pipeline import PipelineConfig
    from xrbvo.stages.neighbourhoods import SimProvider

    far = small_xray[:6].copy()
    far["xid"] = [f"far{i}" for i in range(6)]
    far["dec"] = np.asarray(far["dec"]) + 30.0  # no simulated catalogue reaches there
    xr = vstack([small_xray, far])
    xr.meta = dict(small_xray.meta)
    with pytest.warns(XrbvoWarning, match="no neighbour in any survey"):
        a = analyse(xr, SimProvider(small_sky), nway_bundle, config=PipelineConfig(counterparts="nway"))
    cat = a.catalogue
    cov = np.asarray(cat["coverage"], bool)
    assert not cov[-6:].any() and cov[:-6].mean() > 0.9
    assert not np.asarray(cat["candidate"], bool)[-6:].any()
    assert a.summary()["no_coverage"] == int((~cov).sum()) >= 6
    # without the coverage rule some of them would have passed a cut: the rule is what removes them
    p = np.column_stack([np.asarray(cat[f"P_{c}"]) for c in nway_bundle.classes])
    bare = select_candidates(p, nway_bundle.classes, {"HMXB": 0.0, "LMXB": 0.0})
    assert (bare[-6:] != "").all()


def test_cuts_apply_at_the_selection_priors_and_purity_uses_the_field_mix():
    classes = ["HMXB", "AGN", "STAR"]
    sel = np.array([0.2, 0.4, 0.4])
    p = np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.55, 0.05, 0.4]])
    cand = select_candidates(p, classes, {"HMXB": 0.5})
    assert list(cand) == ["HMXB", "", "HMXB"]
    field = np.array([0.001, 0.9, 0.099])
    pf = shift_priors(p, sel, field)
    assert pf[0, 0] < 0.05  # at the field's mix the first source is most probably an AGN ...
    assert select_candidates(pf, classes, {"HMXB": 0.5})[0] == ""  # ... and a cut there would drop it
    # purity: pi_c r_cc / sum_k pi_k r_kc
    rates = {"HMXB": {"HMXB": 0.8, "AGN": 0.01, "STAR": 0.02}}
    ep = expected_purity(cand, field, classes, rates)
    want = 0.001 * 0.8 / (0.001 * 0.8 + 0.9 * 0.01 + 0.099 * 0.02)
    assert ep[0] == pytest.approx(want) and np.isnan(ep[1])
    y = np.array(["HMXB", "AGN", "STAR"])
    assert pass_rates(y, p, classes, {"HMXB": 0.5}) == {"HMXB": {"AGN": 0.0, "HMXB": 1.0, "STAR": 1.0}}


def test_a_labelled_bundle_without_counterpart_model_says_so(small_sky, small_xray, small_model):
    from xrbvo.workflows import pipeline_config

    model, _ = small_model
    b = ModelBundle(model, {"cuts": {"HMXB": 0.5}, "trained_on": "labelled"})
    assert b.counterparts == "nway"
    with pytest.raises(InputError, match="no counterpart model"):
        pipeline_config(b, counterparts="joint")


# ---------------------------------------------------------------------------------------------
def _labelled_split_scores(n_splits=3, seed=0):
    """Balanced accuracy of classify's defaults and of the training mix, on held-out folds of the labelled set."""
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold

    from _mldata import LABELLED, need
    from xrbvo.io import read_table
    from xrbvo.stages.classify.labelled import csc_features, map_classes
    from xrbvo.stages.classify.train import QUICK_GRID, train_labelled
    from xrbvo.workflows.classify import classify_table

    t = read_table(need(LABELLED))
    raw = np.asarray(t["Class"].filled("") if hasattr(t["Class"], "filled") else t["Class"]).astype(str)
    t = t[np.char.strip(raw) != ""]
    y = map_classes(np.asarray(t["Class"]).astype(str))
    feats = csc_features(t)
    pred = {"auto": np.empty(len(y), "<U8"), "training": np.empty(len(y), "<U8")}
    for tr, te in StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
        model, meta = train_labelled(feats[tr], y[tr], grid=QUICK_GRID, inner_folds=3, random_state=seed)
        bundle = ModelBundle(model, meta)
        for mode in pred:
            res = classify_table(t[te], bundle, SciencePolicy(field_priors=mode))
            pred[mode][te] = res.predicted
    return {m: balanced_accuracy_score(y, p) for m, p in pred.items()}, res


@pytest.mark.slow
def test_classify_defaults_on_held_out_labelled_sources_match_the_training_mix():
    scores, last = _labelled_split_scores()
    # the labelled set is a targeted sample (Chandra pointings): the defaults keep the model's own mix
    assert last.policy.sample == "targeted" and last.policy.mode == "training"
    assert abs(scores["auto"] - scores["training"]) <= 0.02, scores
    assert scores["auto"] > 0.4, scores  # far above chance (1/8) on held-out sources
