"""Plane augmentation and field priors (issue 11): physics against hand calculations, no leakage, priors."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from xrbvo.core import physics
from xrbvo.stages.classify.augment import CHANDRA_BANDS, AugmentConfig, augment_rows
from xrbvo.stages.probability import shift_priors
from xrbvo.stages.features import FEATURES, features_from_photometry
from xrbvo.stages.classify.priors import em_priors, expected_field_priors, field_priors_for


def test_absorption_of_a_known_spectrum_matches_a_hand_calculation():
    # Morrison & McCammon (1983) at 1 keV (segment 0.867-1.303 keV): (120.6 + 169.3 - 47.7) 1e-24 = 2.422e-22 cm^2
    sigma = (120.6 + 169.3 * 1.0 - 47.7 * 1.0) * 1e-24
    nh = 1e21
    narrow = physics.band_flux_fraction(2.0, nh, (0.999, 1.001))[0]
    assert narrow == pytest.approx(np.exp(-nh * sigma), rel=1e-4)
    # a broad band: Gamma = 1.7 through 3e22 in 2-7 keV, integrated by scipy's adaptive quadrature
    from scipy.integrate import quad

    g, nh = 1.7, 3e22
    edges = [2.0, 2.471, 3.21, 4.038, 7.0]  # the cross-section's segment edges inside the band
    num = sum(quad(lambda e: e ** (1 - g) * np.exp(-nh * physics.sigma_mm83(e)), a, b)[0]
              for a, b in zip(edges[:-1], edges[1:]))
    den = (7.0 ** (2 - g) - 2.0 ** (2 - g)) / (2 - g)
    assert physics.band_flux_fraction(g, nh, (2.0, 7.0))[0] == pytest.approx(num / den, rel=2e-4)
    # the change of column acts multiplicatively
    t = physics.transmission_ratio(g, 1e20, nh, (2.0, 7.0))[0]
    assert t == pytest.approx(physics.band_flux_fraction(g, nh, (2.0, 7.0))[0]
                              / physics.band_flux_fraction(g, 1e20, (2.0, 7.0))[0])


def test_photon_index_is_recovered_from_the_hard_to_soft_ratio():
    g = np.array([0.5, 1.0, 1.8, 2.5, 3.0])
    nh = np.array([1e20, 1e21, 1e22, 5e21, 3e20])
    s, h = CHANDRA_BANDS
    ratio = (physics.absorbed_band_flux(1.0, g, nh, h) / physics.absorbed_band_flux(1.0, g, nh, s))
    np.testing.assert_allclose(physics.photon_index_from_ratio(ratio, nh, s, h), g, atol=0.051)
    assert physics.photon_index_from_ratio([np.nan], [1e21], s, h)[0] == 1.8


def _agn_rows(n=40, seed=0):
    rng = np.random.default_rng(seed)
    phot = {"G": rng.uniform(17, 19, n), "BP": rng.uniform(17.5, 19.5, n), "RP": rng.uniform(16.5, 18.5, n),
            "J": rng.uniform(15, 16, n), "H": rng.uniform(14, 15, n), "K": rng.uniform(13, 14, n),
            "W1": rng.uniform(12, 14, n), "W2": rng.uniform(11, 13, n), "plx_sig": rng.normal(0, 1, n),
            "pm": rng.uniform(0, 2, n), "epsi": rng.uniform(0, 1, n), "sepsi": rng.uniform(0, 2, n),
            "ruwe": rng.uniform(0.9, 1.2, n), "xvar_prob": np.arange(n) / 1e4}
    fs = 10 ** rng.uniform(-13.5, -12.5, n)
    feats = features_from_photometry(phot, fs, fs * 0.8, np.full(n, 2e20))
    return np.column_stack([np.asarray(feats[f], float) for f in FEATURES]), np.full(n, "AGN")


def test_moved_agn_are_absorbed_and_extinguished_by_their_new_column():
    X, y = _agn_rows()
    cfg = AugmentConfig(copies_extragalactic=3, xray_soft_limit=1e-20, xray_hard_limit=1e-20, seed=4)
    Xa, ya, par = augment_rows(X, y, FEATURES, cfg)
    c = {f: i for i, f in enumerate(FEATURES)}
    assert len(Xa) == 3 * len(X) and set(ya) == {"AGN"} and set(par) == set(range(len(X)))
    nh_new = 10 ** Xa[:, c["log_nh"]]
    d_av = (nh_new - 2e20) / physics.NH_PER_AV
    k = Xa[:, c["K"]]
    ok = np.isfinite(k)
    np.testing.assert_allclose(k[ok], X[par[ok], c["K"]] + 0.078 * d_av[ok], atol=1e-9)
    w1 = Xa[:, c["W1"]]
    np.testing.assert_allclose(w1[np.isfinite(w1)], (X[par, c["W1"]] + 0.039 * d_av)[np.isfinite(w1)])
    # soft X-rays lose more than hard ones, so the copies are harder
    more = nh_new > 3e21
    assert np.all(Xa[more, c["log_fx"]] < X[par[more], c["log_fx"]])
    assert np.all(Xa[more, c["hr"]] > X[par[more], c["hr"]])
    # what falls below Gaia's limit is missing, with its astrometry; unchanged: variability
    lost = ~np.isfinite(Xa[:, c["G"]])
    assert lost.any() and np.all(np.isnan(Xa[lost, c["plx_sig"]])) and np.all(np.isnan(Xa[lost, c["BP_RP"]]))
    np.testing.assert_array_equal(Xa[:, c["xvar_prob"]], X[par, c["xvar_prob"]])
    # a detection limit drops the copies that fall below it
    fs_new = 10 ** Xa[:, c["log_fx"]]
    lim = float(np.median(fs_new))
    Xb, _, _ = augment_rows(X, y, FEATURES, AugmentConfig(copies_extragalactic=3, xray_soft_limit=lim,
                                                          xray_hard_limit=1e-20, seed=4))
    assert len(Xb) == int(np.sum(fs_new >= lim))


class RecordingSampler(BaseEstimator):
    """Balancing oversampler that records the row ids (xvar_prob x 1e4) of what it is given."""

    seen: list = []

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit_resample(self, X, y):
        from imblearn.over_sampling import RandomOverSampler

        ids = np.rint(np.asarray(X)[:, FEATURES.index("xvar_prob")] * 1e4).astype(int)
        RecordingSampler.seen.append(ids)
        return RandomOverSampler(random_state=self.random_state).fit_resample(X, y)


def test_augmentation_never_uses_a_validation_source():
    from sklearn.model_selection import StratifiedKFold

    from xrbvo.stages.classify.train import cv_predictions

    n = 240
    X, _ = _agn_rows(n, seed=2)
    rng = np.random.default_rng(3)
    y = rng.choice(np.array(["AGN", "STAR", "YSO"]), n, p=[0.5, 0.3, 0.2])
    c = FEATURES.index("log_dist")
    X[y != "AGN", c] = np.log10(rng.uniform(100, 3000, np.sum(y != "AGN")))
    RecordingSampler.seen = []
    params = {"max_depth": 2, "n_estimators": 5, "augment": {"xray_soft_limit": 1e-20}}
    cv_predictions(X, y, params, n_splits=4, random_state=1, sampler=RecordingSampler(), n_jobs=1,
                   feature_names=FEATURES)
    folds = list(StratifiedKFold(n_splits=4, shuffle=True, random_state=1).split(X, y))
    assert len(RecordingSampler.seen) == 4
    for ids, (tr, va) in zip(RecordingSampler.seen, folds):
        assert len(ids) > 2 * len(tr)  # the copies are there (2 per AGN, 1 per Galactic source)
        assert set(ids) == set(tr)  # every row and copy comes from a training source
        assert not set(ids) & set(va)


def test_prior_correction_is_the_identity_at_the_training_priors():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), 500)
    s = np.array([0.5, 0.3, 0.15, 0.05])
    np.testing.assert_allclose(shift_priors(p, s, s), p, atol=1e-12)
    b = rng.uniform(-5, 5, 500)
    out, info = field_priors_for(p, list("ABCD"), s, np.zeros(500), b, "training")
    np.testing.assert_array_equal(out, p)
    assert info["n_rows"] == 0


def test_em_recovers_the_class_mix_of_an_unlabelled_sample():
    rng = np.random.default_rng(5)
    mu = np.array([-2.0, 0.0, 2.5])
    true_mix = np.array([0.7, 0.25, 0.05])
    n = 20000
    k = rng.choice(3, n, p=true_mix)
    x = rng.normal(mu[k], 1.0)
    lik = np.exp(-0.5 * (x[:, None] - mu[None, :]) ** 2)
    train = np.full(3, 1 / 3)
    proba = lik * train / (lik * train).sum(axis=1, keepdims=True)  # exact posteriors at uniform priors
    est, shifted, it = em_priors(proba, train)
    np.testing.assert_allclose(est, true_mix, atol=0.02)
    np.testing.assert_allclose(shifted.sum(axis=1), 1.0)


def test_expected_plane_mix_has_agn_far_above_x_ray_binaries():
    from xrbvo.core.schema import CLASSES

    pri = expected_field_priors([300.0, 301.0], [0.5, -0.5], CLASSES)
    assert sum(pri.values()) == pytest.approx(1.0)
    assert pri["AGN"] > 100 * pri["HMXB"] and pri["AGN"] > 100 * pri["LMXB"]


def test_expected_counts_are_the_simulated_sky_s():
    from xrbvo.sim.sky import SkyConfig, expected_counts, simulate_sky

    cfg = SkyConfig(l_deg=310.0, b_deg=1.0, width_deg=1.0, height_deg=1.0, seed=9)
    assert expected_counts(cfg) == pytest.approx(simulate_sky(cfg).expected_counts, rel=1e-12)
