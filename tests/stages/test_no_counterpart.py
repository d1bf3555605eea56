"""No counterpart as evidence, not a class (issue 24, item 3): the population model's P(none | class, flux,
sight line), the posterior it enters, and ``ctp_state``."""

from __future__ import annotations

import numpy as np
import pytest

from xrbvo.core.errors import InputError
from xrbvo.galaxy.visibility import default_no_counterpart_rates, no_counterpart_probability
from xrbvo.stages.catalogue import CTP_NONE_P_ANY, CTP_SECURE_P, counterpart_state
from xrbvo.stages.probability import no_counterpart_evidence, shift_priors

STELLAR = ("STAR", "CV")


def test_stellar_classes_lose_their_counterparts_deeper_in_the_plane_and_at_lower_flux():
    b = np.array([30.0, 10.0, 3.0, 0.2])  # towards the plane: more column in front, brighter confusion limits
    p_b, ok = no_counterpart_probability(np.full(4, 330.0), b, np.full(4, 1e-14), classes=STELLAR)
    assert ok.all()
    for j, c in enumerate(STELLAR):
        assert np.all(np.diff(p_b[:, j]) > 0), (c, p_b[:, j])
    flux = np.array([1e-12, 1e-13, 1e-14, 1e-15])  # fainter in X-rays: nearer the limits in the optical too
    p_s, _ = no_counterpart_probability(np.full(4, 330.0), np.full(4, 0.2), flux, classes=STELLAR)
    for j, c in enumerate(STELLAR):
        assert np.all(np.diff(p_s[:, j]) > 0), (c, p_s[:, j])


def test_faint_agn_deep_in_the_plane_have_no_counterpart_and_bright_ones_do():
    p, _ = no_counterpart_probability([330.0, 330.0, 200.0], [0.2, 0.2, 60.0], [1e-16, 1e-12, 1e-12],
                                      classes=("AGN",))
    assert p[0, 0] > 0.9
    assert p[1, 0] < 0.05 and p[2, 0] < 0.05


def test_isolated_neutron_stars_never_have_one_and_bad_input_is_reported():
    p, ok = no_counterpart_probability([300.0, 300.0, np.nan], [1.0, 1.0, 1.0], [1e-13, np.nan, 1e-13],
                                       classes=("NS", "AGN"))
    assert ok.tolist() == [True, False, False]
    assert p[0, 0] == pytest.approx(1.0) and np.isnan(p[1:]).all()
    with pytest.raises(InputError):
        no_counterpart_probability([1.0], [1.0, 2.0], [1e-13])
    with pytest.raises(InputError):
        no_counterpart_probability([1.0], [1.0], [1e-13], classes=("PULSAR",))


def test_the_default_training_rates_come_from_the_model_and_keep_the_floor():
    from xrbvo.stages.classify.augment import NO_COUNTERPART_FLOOR
    from xrbvo.stages.classify.augment import default_no_counterpart_rates as training_rates

    pop = default_no_counterpart_rates(("NS", "CV", "STAR"))
    assert pop["NS"] == pytest.approx(1.0) and pop["CV"] > pop["STAR"]
    tr = training_rates(("NS", "CV", "STAR"))
    assert tr["NS"] == pytest.approx(1.0) and tr["STAR"] == NO_COUNTERPART_FLOOR
    assert tr["CV"] == pytest.approx(max(NO_COUNTERPART_FLOOR, pop["CV"]))


def test_ctp_state_from_p_any_the_best_counterpart_and_the_calibrated_cut():
    p_any = np.array([0.95, 0.95, 0.5, 0.05, 0.95, 0.95, np.nan])
    p_i = np.array([0.9, 0.5, 0.9, 0.9, 0.9, 0.0, np.nan])
    flag = np.array([1, 1, 1, 1, 1, 0, 0])
    assert counterpart_state(p_any, p_i, flag).tolist() == [
        "secure", "ambiguous", "ambiguous", "none", "secure", "ambiguous", "none"]
    # below the calibrated cut: no counterpart chosen, but the neighbours may hold it: ambiguous, not none
    above_cut = np.array([True, True, True, True, False, True, True])
    assert counterpart_state(p_any, p_i, flag, above_cut)[4] == "ambiguous"
    assert 0 < CTP_NONE_P_ANY < CTP_SECURE_P <= 1


def test_a_counterpart_less_source_moves_from_neutron_star_to_the_classes_the_model_expects_without_one():
    classes = ("AGN", "CV", "NS", "STAR")
    # a classifier that learnt "no photometry means NS": at its training mix most of the mass on NS
    proba = np.array([[0.15, 0.1, 0.7, 0.05], [0.15, 0.1, 0.7, 0.05]])
    train_mix = np.full(4, 0.25)
    field = np.array([0.5, 0.1, 0.001, 0.399])
    q = np.array([0.34, 0.49, 1.0, 0.34])  # share of each class's training rows without a counterpart
    L = np.array([[0.9, 0.95, 1.0, 0.3], [0.9, 0.95, 1.0, 0.3]])  # faint, deep in the plane
    mask = np.array([True, False])
    pri = no_counterpart_evidence(field, L, q, mask)
    np.testing.assert_allclose(pri[1], field)  # a source with a counterpart keeps its priors
    np.testing.assert_allclose(pri.sum(axis=1), 1.0)
    before = shift_priors(proba, train_mix, np.broadcast_to(field, proba.shape))
    after = shift_priors(proba, train_mix, pri)
    np.testing.assert_allclose(after[1], before[1])
    # Bayes: after / before is proportional to L / q, class by class
    r = after[0] / before[0] / (L[0] / q)
    np.testing.assert_allclose(r, r[0])
    assert after[0, 2] < before[0, 2]  # NS: its training share was all counterpart-less, no bonus
    assert after[0, 0] > before[0, 0]  # AGN gain
    gain = after[0] / before[0]
    assert gain[1] > gain[2] and gain[1] > gain[3]  # CVs against NS and stars (which mostly keep a counterpart)
    assert after[0, 3] < before[0, 3]


def test_unknown_likelihood_leaves_the_row_alone_and_shapes_are_checked():
    pri = no_counterpart_evidence(np.array([0.5, 0.5]), np.array([[np.nan, np.nan]]), np.array([0.3, 0.3]),
                                  np.array([True]))
    np.testing.assert_allclose(pri, [[0.5, 0.5]])
    with pytest.raises(InputError):
        no_counterpart_evidence(np.array([0.5, 0.5]), np.ones((1, 2)), np.array([0.3, 1.3]), np.array([True]))
    with pytest.raises(InputError):
        no_counterpart_evidence(np.array([0.5, 0.5]), np.ones((1, 2)), np.array([0.3]), np.array([True]))
