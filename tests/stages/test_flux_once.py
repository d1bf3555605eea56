"""Per-source priors count the flux once (issue 24, the blind plane's over-confident LMXB purity).

A per-source prior is the class mix at the source's own flux; a classifier with the flux among its
features has learnt its training rows' flux distribution too.  Shifted to the per-source priors as it is,
the flux counts twice and the posteriors of bright sources are over-confident for the class that
dominates the bright end.  :func:`xrbvo.stages.probability.flux_evidence_priors` divides the model's
training flux likelihood out of the priors.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from xrbvo.core.errors import InputError
from xrbvo.stages.probability import FLUX_GRID, flux_evidence_priors, flux_likelihood, shift_priors

# two classes: A common and faint, B rare and bright; z is a second feature that tells them apart a little
MU = {"A": -13.5, "B": -12.0}
SIG = {"A": 0.4, "B": 0.5}
ZMU = {"A": 0.0, "B": 1.0}
NATURAL_B = 0.01   # B's share at natural density
TRAIN_B = 0.3      # B's share of the (boosted) training rows


def _draw(rng, n, share_b):
    y = np.where(rng.random(n) < share_b, "B", "A")
    b = y == "B"
    fx = np.where(b, MU["B"], MU["A"]) + np.where(b, SIG["B"], SIG["A"]) * rng.standard_normal(n)
    z = np.where(b, ZMU["B"], ZMU["A"]) + rng.standard_normal(n)
    return fx, z, y


def _posterior(fx, z, share_b):
    """Exact P(class | flux, z) at a class mix ``share_b`` (columns A, B)."""
    w = np.column_stack([(1 - share_b) * norm.pdf(fx, MU["A"], SIG["A"]) * norm.pdf(z, ZMU["A"]),
                         share_b * norm.pdf(fx, MU["B"], SIG["B"]) * norm.pdf(z, ZMU["B"])])
    return w / w.sum(axis=1, keepdims=True)


def _mix_at_flux(fx, share_b):
    """The population's class mix at each flux (the per-source prior, columns A, B)."""
    w = np.column_stack([(1 - share_b) * norm.pdf(fx, MU["A"], SIG["A"]), share_b * norm.pdf(fx, MU["B"], SIG["B"])])
    return w / w.sum(axis=1, keepdims=True)


def test_the_training_flux_likelihood_is_a_density_peaked_where_the_class_lies():
    rng = np.random.default_rng(1)
    fx, _, y = _draw(rng, 4000, TRAIN_B)
    rec = flux_likelihood(fx, y, ["A", "B"])
    grid = np.asarray(rec["log_fx"])
    assert grid[0] == FLUX_GRID[0] and abs(grid[-1] - FLUX_GRID[1]) < 1e-9
    for c in ("A", "B"):
        d = np.asarray(rec["density"][c])
        assert np.all(d > 0)  # no flux has zero likelihood
        assert np.trapezoid(d, grid) == pytest.approx(1.0, abs=0.01)
        assert np.trapezoid(grid * d, grid) == pytest.approx(MU[c], abs=0.05)  # its mean: where the rows lie
    assert rec["n_rows"]["A"] + rec["n_rows"]["B"] == 4000


def test_per_source_priors_over_the_training_flux_likelihood_give_the_exact_posterior():
    rng = np.random.default_rng(2)
    fx_tr, _, y_tr = _draw(rng, 20000, TRAIN_B)
    rec = flux_likelihood(fx_tr, y_tr, ["A", "B"])
    fx, z, y = _draw(rng, 20000, NATURAL_B)
    p_train = _posterior(fx, z, TRAIN_B)           # a perfect classifier at its training mix, flux a feature
    s = np.array([1 - TRAIN_B, TRAIN_B])
    t = _mix_at_flux(fx, NATURAL_B)                # the per-source priors: the class mix at each flux
    exact = _posterior(fx, z, NATURAL_B)[:, 1]
    twice = shift_priors(p_train, s, t)[:, 1]      # the flux counted twice
    once = shift_priors(p_train, s, flux_evidence_priors(t, fx, rec, ["A", "B"]))[:, 1]
    assert np.mean(np.abs(once - exact)) < 0.002
    assert np.mean(np.abs(twice - exact)) > 5 * np.mean(np.abs(once - exact))
    # the stated purity of the sources called B (posterior >= 0.5) against the measured one
    for p, ok in ((once, True), (twice, False)):
        called = p >= 0.5
        stated, measured = p[called].mean(), np.mean(y[called] == "B")
        assert bool(abs(stated - measured) < 0.1) is ok, (stated, measured)


def test_rows_without_a_flux_are_left_alone_and_bad_shapes_are_refused():
    rec = flux_likelihood(np.array([-13.0, -12.0]), np.array(["A", "B"]), ["A", "B"])
    t = np.array([[0.9, 0.1], [0.5, 0.5]])
    out = flux_evidence_priors(t, np.array([np.nan, -12.0]), rec, ["A", "B"])
    np.testing.assert_allclose(out[0], t[0])
    assert out[1, 1] < 0.5 and out[1].sum() == pytest.approx(1.0)  # B's training rows lie at -12: divided out
    with pytest.raises(InputError):
        flux_evidence_priors(t, np.array([-12.0]), rec, ["A", "B"])
    with pytest.raises(InputError):
        flux_evidence_priors(t, np.array([-12.0, -12.0]), rec, ["A", "C"])


def test_a_classifier_records_its_training_flux_likelihood_and_keeps_it_through_save_and_load():
    from xrbvo.stages.classify.classifier import SourceClassifier

    rng = np.random.default_rng(3)
    fx, z, y = _draw(rng, 600, TRAIN_B)
    y = np.where((y == "A") & (rng.random(len(y)) < 0.3), "C", y)  # three classes (the learner is multiclass)
    X = np.column_stack([fx, z])
    m = SourceClassifier(n_estimators=10, max_depth=2).fit(X, y, feature_names=["log_fx", "z"])
    rec = m.flux_likelihood_
    assert rec["n_rows"] == {c: int(np.sum(y == c)) for c in ("A", "B", "C")}
    back, meta = SourceClassifier.from_files(m.to_files())
    assert back.flux_likelihood_["density"] == rec["density"] and meta["flux_likelihood"] == rec
    no_flux = SourceClassifier(n_estimators=10, max_depth=2).fit(X[:, 1:], y, feature_names=["z"])
    assert no_flux.flux_likelihood_ is None
