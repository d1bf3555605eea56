"""Per-source priors count the flux once, and a model trained on simulated skies records its no-counterpart share."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from xrbvo.core.schema import CLASSES
from xrbvo.stages.classify.priors import source_priors
from xrbvo.stages.probability import flux_evidence_priors
from xrbvo.workflows import ModelBundle, SciencePolicy, resolve_policy


@pytest.fixture(scope="module")
def bundle(small_model):
    model, ts = small_model
    ref = {c: float(ts.reference_priors.get(c, 0.0)) for c in CLASSES}
    return ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ref})


L, B, FLUX = np.full(3, 330.0), np.array([0.5, -0.5, 1.0]), np.array([1e-13, 2e-12, 5e-11])


def test_source_priors_divide_out_the_models_training_flux_likelihood(bundle):
    assert bundle.source.flux_likelihood_ is not None  # log_fx is among the small model's features
    r = resolve_policy(SciencePolicy(field_priors="source"), bundle, l_deg=L, b_deg=B, soft_flux=FLUX,
                       xray_survey="erass1")
    own, good = source_priors(L, B, FLUX, r.classes)
    assert good.all()
    want = flux_evidence_priors(own, np.log10(FLUX), bundle.source.flux_likelihood_, r.classes)
    np.testing.assert_allclose(r.field_priors, want)
    assert not np.allclose(r.field_priors, own)  # the training rows' flux distribution is not flat
    assert r.flux_once is True and r.header()["FLUXONCE"] == "yes"


def test_a_model_without_its_training_flux_likelihood_keeps_the_mix_and_says_so(bundle):
    model = copy.copy(bundle.source)
    model.flux_likelihood_ = None
    old = ModelBundle(model, dict(bundle.metadata))
    r = resolve_policy(SciencePolicy(field_priors="source"), old, l_deg=L, b_deg=B, soft_flux=FLUX,
                       xray_survey="erass1")
    own, _ = source_priors(L, B, FLUX, r.classes)
    np.testing.assert_allclose(r.field_priors, own)
    assert r.flux_once is False and r.header()["FLUXONCE"] == "no"
    assert any("count the flux a second time" in n for n in r.notes)


def test_field_priors_do_not_depend_on_the_flux_and_are_left_alone(bundle):
    r = resolve_policy(SciencePolicy(field_priors="model"), bundle, l_deg=L, b_deg=B, soft_flux=FLUX,
                       xray_survey="erass1")
    assert r.flux_once is None and "FLUXONCE" not in r.header()
    np.testing.assert_allclose(r.field_priors, np.broadcast_to(r.field_priors[0], r.field_priors.shape))


def test_joint_training_records_each_class_share_without_counterpart(training_sky):
    from xrbvo.pipeline import PipelineConfig
    from xrbvo.workflows.training import no_counterpart_share, sky_rows

    part = sky_rows(training_sky, PipelineConfig(counterparts="joint"))
    share = no_counterpart_share([part])
    truth = training_sky.truth
    y = np.asarray(truth["true_class"]).astype(str)
    assert set(share) == set(np.unique(y)) and all(0.0 <= v <= 1.0 for v in share.values())
    # a source with no counterpart in any survey is one; the simulated AGN mostly have one, the NS mostly not
    none = np.all([np.asarray(truth[f"ctp_{s}"]).astype(str) == "" for s in ("gaia", "2mass", "catwise")], axis=0)
    for c in share:
        assert share[c] >= np.mean(none[y == c]) - 1e-12
    assert share["NS"] > share["AGN"]
