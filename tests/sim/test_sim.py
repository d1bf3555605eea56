import math
from collections import Counter

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
import astropy.units as u

from xrbvo.core.errors import InputError
from xrbvo.stages.match import union_area_arcsec2
from xrbvo.sim import SkyConfig, simulate_sky
from xrbvo.sim.sky import gaia_density_target


def test_same_seed_same_sky_different_seed_different_sky():
    cfg = SkyConfig(width_deg=1.0, height_deg=1.0, seed=3)
    a, b = simulate_sky(cfg), simulate_sky(cfg)
    assert len(a.xray) == len(b.xray) and np.array_equal(a.xray["RA"], b.xray["RA"])
    assert np.array_equal(a.catalogs["gaia"]["source_id"], b.catalogs["gaia"]["source_id"])
    c = simulate_sky(SkyConfig(width_deg=1.0, height_deg=1.0, seed=4))
    assert len(c.xray) != len(a.xray) or not np.array_equal(c.xray["RA"], a.xray["RA"])


def test_truth_is_consistent_with_the_catalogues(small_sky):
    t = small_sky.truth
    assert len(t) == len(small_sky.xray)
    assert np.array_equal(np.asarray(t["xid"]), np.asarray(small_sky.xray["IAUNAME"]))
    assert set(np.unique(t["true_class"])) <= {"HMXB", "LMXB", "NS", "CV", "WR", "AGN", "EARLY", "STAR", "YSO"}
    ids = {"gaia": set(small_sky.catalogs["gaia"]["source_id"].astype(str)),
           "2mass": set(small_sky.catalogs["2mass"]["2MASS"]),
           "catwise": set(small_sky.catalogs["catwise"]["Name"])}
    for s in ids:
        ctp = [x for x in np.asarray(t[f"ctp_{s}"]).astype(str) if x]
        assert ctp, f"no counterpart at all in {s}"
        assert set(ctp) <= ids[s]
        assert len(set(ctp)) == len(ctp)
    # isolated neutron stars have no optical/IR counterpart
    ns = np.asarray(t["true_class"]) == "NS"
    assert all(x == "" for x in np.asarray(t["ctp_gaia"])[ns])


def test_true_counterparts_lie_within_the_x_ray_errors(small_sky):
    x, t, g = small_sky.xray, small_sky.truth, small_sky.catalogs["gaia"]
    idx = {str(s): i for i, s in enumerate(g["source_id"])}
    has = np.array([c != "" for c in np.asarray(t["ctp_gaia"]).astype(str)])
    rows = np.array([idx[c] for c in np.asarray(t["ctp_gaia"]).astype(str)[has]])
    cx = SkyCoord(np.asarray(x["RA"])[has] * u.deg, np.asarray(x["DEC"])[has] * u.deg)
    cg = SkyCoord(np.asarray(g["ra"])[rows] * u.deg, np.asarray(g["dec"])[rows] * u.deg)
    norm = cx.separation(cg).arcsec / np.asarray(x["POS_ERR"][has])
    # separation / sigma of a 2-D Gaussian follows a Rayleigh distribution: median sqrt(2 ln 2)
    assert np.median(norm) == pytest.approx(math.sqrt(2 * math.log(2)), rel=0.25)
    assert np.mean(norm < 4) > 0.98


def test_gaia_density_in_the_patches_matches_the_model(small_sky):
    x, g = small_sky.xray, small_sky.catalogs["gaia"]
    r = small_sky.config.patch_radius_arcsec
    area_deg2 = union_area_arcsec2(np.asarray(x["RA"]), np.asarray(x["DEC"]), r) / 3600.0**2
    n_field = len(g) - sum(1 for c in small_sky.truth["ctp_gaia"] if c)
    density = n_field / area_deg2
    target = np.mean(gaia_density_target(np.asarray(x["BII"])))
    assert density == pytest.approx(target, rel=0.15)
    assert 1e5 < density < 1e6
    # 2MASS and CatWISE are shallower than Gaia in this model but not empty
    assert 0.1 * len(g) < len(small_sky.catalogs["2mass"]) < len(g)


def test_class_conditional_photometry_is_plausible(training_sky):
    t, cats = training_sky.truth, training_sky.catalogs
    g = {str(s): v for s, v in zip(cats["gaia"]["source_id"], cats["gaia"]["phot_g_mean_mag"])}
    w = {n: (a - b) for n, a, b in zip(cats["catwise"]["Name"], cats["catwise"]["W1mproPM"],
                                       cats["catwise"]["W2mproPM"])}
    cls = np.asarray(t["true_class"]).astype(str)

    def med(mapping, survey, c):
        vals = [mapping[i] for i, k in zip(np.asarray(t[f"ctp_{survey}"]).astype(str), cls) if k == c and i]
        vals = [v for v in vals if np.isfinite(v)]
        return np.median(vals), len(vals)

    g_hmxb, n1 = med(g, "gaia", "HMXB")
    g_lmxb, n2 = med(g, "gaia", "LMXB")
    assert n1 > 5 and n2 > 5
    assert g_hmxb < g_lmxb  # bright reddened OB stars versus faint disc-dominated LMXBs
    w12_agn, n3 = med(w, "catwise", "AGN")
    w12_star, _ = med(w, "catwise", "STAR")
    assert n3 > 10 and w12_agn > 0.7 and w12_star < 0.3
    # AGN are rarely detected by Gaia behind the plane; stars nearly always
    agn = cls == "AGN"
    star = cls == "STAR"
    in_gaia = np.asarray(t["ctp_gaia"]).astype(str) != ""
    assert in_gaia[agn].mean() < 0.6 < in_gaia[star].mean()


def test_x_ray_binaries_are_rare_without_boost_and_boost_scales_them():
    plain = simulate_sky(SkyConfig(width_deg=6.0, height_deg=2.0, seed=5))
    counts = Counter(np.asarray(plain.truth["true_class"]).astype(str))
    total = sum(counts.values())
    assert counts.get("HMXB", 0) + counts.get("LMXB", 0) <= max(3, 0.02 * total)
    assert counts["STAR"] > counts.get("CV", 0)
    boosted = simulate_sky(SkyConfig(width_deg=6.0, height_deg=2.0, seed=5, class_boost={"HMXB": 50}))
    assert boosted.expected_counts["HMXB"] == pytest.approx(plain.expected_counts["HMXB"], rel=0.15)
    assert Counter(np.asarray(boosted.truth["true_class"]))["HMXB"] > 5
    pri = boosted.class_priors(boosted=True)
    assert pri["HMXB"] > boosted.class_priors()["HMXB"]
    assert sum(pri.values()) == pytest.approx(1.0)


def test_plane_absorbs_agn_more_than_high_latitude():
    low = simulate_sky(SkyConfig(b_deg=0.0, width_deg=6, height_deg=1, seed=8))
    high = simulate_sky(SkyConfig(b_deg=15.0, width_deg=6, height_deg=1, seed=8))
    n_low = np.sum(np.asarray(low.truth["true_class"]) == "AGN") / low.config.area_deg2
    n_high = np.sum(np.asarray(high.truth["true_class"]) == "AGN") / high.config.area_deg2
    assert n_high > 2 * n_low
    assert np.median(low.truth["nh_los"][np.asarray(low.truth["true_class"]) == "AGN"]) > 5e21


@pytest.mark.parametrize("kwargs, match", [
    (dict(width_deg=0.0), "size"),
    (dict(b_deg=89.5), "poles"),
    (dict(flux_limit=-1.0), "flux_limit"),
    (dict(class_boost={"QSO": 2}), "unknown class"),
])
def test_bad_sky_configs_are_refused(kwargs, match):
    with pytest.raises(InputError, match=match):
        simulate_sky(SkyConfig(**kwargs))
