import numpy as np
import pytest
from astropy.coordinates import SkyCoord
import astropy.units as u

from xrbvo.core.errors import InputError, UnknownSurveyError
from xrbvo.stages.neighbourhoods import LocalProvider, SimProvider, cone_join, standardise_catalogue
from xrbvo.core.schema import NEIGHBOUR


def test_sim_provider_returns_the_neighbourhood_schema(small_sky, small_xray):
    nbs = SimProvider(small_sky).neighbourhoods(small_xray, 15.0, ["gaia", "2mass", "catwise"])
    assert set(nbs) == {"gaia", "2mass", "catwise"}
    for name, t in nbs.items():
        assert t.colnames[:6] == list(NEIGHBOUR)
        assert np.all(t["sep"] <= 15.0 + 1e-9)
        assert set(np.asarray(t["xid"])) <= set(np.asarray(small_xray["xid"]))
        assert t["sep"].unit == "arcsec"
    assert {"G", "BP", "RP", "plx", "var_G"} <= set(nbs["gaia"].colnames)
    assert {"J", "H", "K"} <= set(nbs["2mass"].colnames)
    assert {"W1", "W2"} <= set(nbs["catwise"].colnames)


def test_cone_join_equals_brute_force(small_sky, small_xray):
    cat = standardise_catalogue(small_sky.catalogs["2mass"], "2mass")
    nb = cone_join(small_xray[:20], cat, 12.0)
    cx = SkyCoord(np.asarray(small_xray["ra"][:20]) * u.deg, np.asarray(small_xray["dec"][:20]) * u.deg)
    cc = SkyCoord(np.asarray(cat["ra"]) * u.deg, np.asarray(cat["dec"]) * u.deg)
    pairs = set()
    for i, c in enumerate(cx):
        sep = c.separation(cc).arcsec
        for j in np.nonzero(sep <= 12.0)[0]:
            pairs.add((str(small_xray["xid"][i]), str(cat["nid"][j])))
    got = {(str(a), str(b)) for a, b in zip(nb["xid"], nb["nid"])}
    assert got == pairs
    # sorted by source then separation
    for x in np.unique(nb["xid"]):
        s = np.asarray(nb["sep"])[np.asarray(nb["xid"]) == x]
        assert np.all(np.diff(s) >= 0)


@pytest.mark.parametrize("fmt", ["fits", "ecsv", "parquet", "vot"])
def test_local_provider_matches_sim_provider(tmp_path, small_sky, small_xray, fmt):
    paths = small_sky.write(tmp_path, fmt=fmt)
    local = LocalProvider({s: paths[s] for s in ("gaia", "2mass", "catwise")})
    a = local.neighbourhoods(small_xray, 10.0, ["gaia", "catwise"])
    b = SimProvider(small_sky).neighbourhoods(small_xray, 10.0, ["gaia", "catwise"])
    for s in a:
        assert len(a[s]) == len(b[s])
        assert list(a[s]["nid"]) == list(b[s]["nid"])
        assert np.allclose(a[s]["sep"], b[s]["sep"])
        assert np.allclose(np.nan_to_num(a[s]["W1" if s == "catwise" else "G"], nan=-1),
                           np.nan_to_num(b[s]["W1" if s == "catwise" else "G"], nan=-1))


def test_gaia_variability_proxy_and_errors_are_derived(small_sky):
    g = standardise_catalogue(small_sky.catalogs["gaia"], "gaia")
    raw = small_sky.catalogs["gaia"]
    assert np.allclose(g["var_G"], np.sqrt(raw["phot_g_n_obs"]) / raw["phot_g_mean_flux_over_error"])
    assert np.allclose(g["pos_err"], raw["ra_error"] / 1000.0)


def test_provider_errors(tmp_path, small_sky, small_xray):
    with pytest.raises(InputError, match="no local file given for survey 2mass"):
        LocalProvider({"gaia": tmp_path / "g.fits"}).neighbourhoods(small_xray, 5.0, ["2mass"])
    with pytest.raises(InputError, match="no such file"):
        LocalProvider({"gaia": tmp_path / "g.fits"}).neighbourhoods(small_xray, 5.0, ["gaia"])
    with pytest.raises(UnknownSurveyError):
        SimProvider(small_sky).neighbourhoods(small_xray, 5.0, ["sdss"])
    with pytest.raises(InputError, match="no vvv catalogue"):
        SimProvider(small_sky).neighbourhoods(small_xray, 5.0, ["vvv"])
    with pytest.raises(InputError, match="radius must be positive"):
        SimProvider(small_sky).neighbourhoods(small_xray, 0.0, ["gaia"])
