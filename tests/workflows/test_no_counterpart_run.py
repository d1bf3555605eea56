"""No counterpart as evidence through the policy (issue 24, item 3): a blind survey's counterpart-less sources
get P(none | class, flux, sight line) over the model's training share in their priors, in every path."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from xrbvo.core.schema import CLASSES
from xrbvo.workflows import ModelBundle, SciencePolicy, analyse, resolve_policy

SHARE = {c: (1.0 if c == "NS" else 0.3) for c in CLASSES}
CTX = {"format": "xrbvo-context/1", "radius_arcsec": 20.0, "pull_radius_arcsec": 20.0,
       "surveys": ["gaia", "2mass", "catwise"], "counterparts": "joint", "association": "BayesConfig()",
       "xray_survey": "erass1", "n_sources": 3, "input_sha": "a" * 64, "model_sha": "m" * 16,
       "counterpart_sha": "c" * 16, "policy_sha": "p" * 16, "provider": {"provider": "local"}}


@pytest.fixture(scope="module")
def bundle(small_model):
    model, ts = small_model
    ref = {c: float(ts.reference_priors.get(c, 0.0)) for c in CLASSES}
    return ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.4}, "reference_priors": ref,
                               "no_counterpart_share": SHARE})


def test_the_policy_turns_it_on_for_a_blind_survey_only_and_says_so(bundle):
    kw = dict(l_deg=[330.0], b_deg=[0.5], soft_flux=[1e-13])
    survey = resolve_policy(SciencePolicy(), bundle, xray_survey="erass1", **kw)
    assert survey.sample == "survey" and survey.no_counterpart_share == {c: SHARE[c] for c in bundle.classes}
    assert survey.header()["NOCTP"] == "evidence" and "NS=1" in survey.header()["NOCTPQ"]
    targeted = resolve_policy(SciencePolicy(), bundle, layout="csc-field", **kw)
    assert targeted.no_counterpart_share is None and targeted.header()["NOCTP"] == "off"
    off = resolve_policy(SciencePolicy(no_counterpart="off"), bundle, xray_survey="erass1", **kw)
    assert off.no_counterpart_share is None
    forced = resolve_policy(SciencePolicy(no_counterpart="evidence"), bundle, layout="csc-field", **kw)
    assert forced.no_counterpart_share is not None
    old = ModelBundle(bundle.source, {k: v for k, v in bundle.metadata.items() if k != "no_counterpart_share"})
    r = resolve_policy(SciencePolicy(), old, xray_survey="erass1", **kw)
    assert r.no_counterpart_share is None and any("no-counterpart evidence is off" in n for n in r.notes)


def test_the_run_context_hands_it_to_every_piece():
    from xrbvo.pipeline import PipelineConfig
    from xrbvo.workflows.context import RunContext

    cfg = PipelineConfig()
    ctx = RunContext.from_dict({**CTX, "association": repr(cfg.association), "surveys": list(cfg.surveys),
                                "no_counterpart_share": {"NS": 1.0, "AGN": 0.34}})
    assert RunContext.from_json(ctx.to_json()) == ctx
    assert dict(ctx.configure(cfg).no_counterpart_share) == {"NS": 1.0, "AGN": 0.34}
    assert replace(ctx, no_counterpart_share=None).configure(cfg).no_counterpart_share is None
    from xrbvo.core.errors import InputError

    with pytest.raises(InputError, match="no_counterpart_share"):
        RunContext.from_dict({**CTX, "no_counterpart_share": {"NS": 2.0}})


def test_a_run_moves_only_counterpart_less_sources_and_by_the_likelihood_ratio(small_sky, bundle):
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    from xrbvo.galaxy.visibility import no_counterpart_probability
    from xrbvo.stages.neighbourhoods import SimProvider

    xray = small_sky.xray.copy()
    xray["DEC"][:5] = np.asarray(xray["DEC"][:5]) + 3.0  # moved off the simulated surveys: no neighbour at all
    from xrbvo.core.errors import XrbvoWarning

    with pytest.warns(XrbvoWarning, match="5 of .* no neighbour"):
        on = analyse(xray, SimProvider(small_sky), bundle, SciencePolicy(sample="survey")).catalogue
    with pytest.warns(XrbvoWarning, match="5 of .* no neighbour"):
        off = analyse(xray, SimProvider(small_sky), bundle,
                      SciencePolicy(sample="survey", no_counterpart="off")).catalogue
    assert on.meta["NOCTP"] == "evidence" and off.meta["NOCTP"] == "off"
    assert on.meta["CTPNONE"] > 0 and on.meta["CTPSECUR"] > on.meta["CTPNONE"]
    state = np.asarray(on["ctp_state"]).astype(str)
    assert set(state) <= {"secure", "ambiguous", "none"}
    none = state == "none"
    assert none[:5].all() and (~none).any()
    assert np.all(np.asarray(on["p_any"], float)[none] < on.meta["CTPNONE"])
    assert np.array_equal(np.asarray(off["ctp_state"]).astype(str), state)
    classes = bundle.classes
    p_on = np.column_stack([np.asarray(on[f"P_{c}_field"], float) for c in classes])
    p_off = np.column_stack([np.asarray(off[f"P_{c}_field"], float) for c in classes])
    np.testing.assert_allclose(p_on[~none], p_off[~none])
    g = SkyCoord(ra=np.asarray(on["ra"])[none] * u.deg, dec=np.asarray(on["dec"])[none] * u.deg).galactic
    L, ok = no_counterpart_probability(g.l.deg, g.b.deg, np.asarray(on["flux_soft"], float)[none], classes=classes)
    assert ok.all()
    q = np.array([SHARE[c] for c in classes])
    expect = p_off[none] * L / q
    expect /= expect.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p_on[none], expect, atol=1e-9)
    star = classes.index("STAR")  # stars at eRASS1 fluxes nearly always show a counterpart: without one, fewer
    assert np.mean(L[:, star]) < SHARE["STAR"] and np.mean(p_on[none, star]) < np.mean(p_off[none, star])
