"""The TAP provider against a real DaCHS TAP server serving the simulated sky (integration)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
from _dachs import FaultProxy, dachs, skies  # noqa: F401  (dachs is a fixture)

from xrbvo.core.errors import InputError, ServiceError
from xrbvo.io import standardise_xray
from xrbvo.stages.neighbourhoods.base import cone_join, standardise_catalogue
from xrbvo.stages.neighbourhoods.sim import SimProvider
from xrbvo.stages.neighbourhoods.tap import TapProvider, survey_columns
from xrbvo.sim import SkyConfig, simulate_sky
from xrbvo.core.surveys import get_survey

# A socket of an abandoned HTTP connection (a split overflow query, a fault-proxy reset) can reach
# the garbage collector during a later test; its ResourceWarning is about hygiene, not results.
pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
              pytest.mark.filterwarnings("ignore::ResourceWarning")]

SURVEYS = ["gaia", "2mass", "catwise"]
RADIUS = 20.0


@pytest.fixture(scope="module")
def sky():
    return simulate_sky(SkyConfig(**skies()["demo"]))


@pytest.fixture(scope="module")
def xray(sky):
    x = standardise_xray(sky.xray)
    return x[:: max(1, len(x) // 60)]  # ~60 sources spread over the field


@pytest.fixture(scope="module")
def reference(sky, xray):
    return SimProvider(sky).neighbourhoods(xray, RADIUS, SURVEYS)


def assert_same(a, b, what=""):
    assert a.colnames == b.colnames, what
    assert len(a) == len(b), what
    for c in a.colnames:
        x, y = np.asarray(a[c]), np.asarray(b[c])
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), f"{what}: column {c} differs"
        else:
            assert np.array_equal(x, y), f"{what}: column {c} differs"


def test_upload_join_equals_sim_provider_and_a_direct_query(dachs, xray, reference, tmp_path):
    p = TapProvider(dachs.url, cache=tmp_path, mode="sync")
    got = p.neighbourhoods(xray, RADIUS, SURVEYS)
    for s in SURVEYS:
        assert len(got[s]) > 0
        assert_same(reference[s], got[s], s)
    # a direct query of the whole table region, joined locally, gives the same rows
    s = get_survey("2mass")
    cols, _ = survey_columns(s)
    client = p.client(s)
    ra, dec = np.asarray(xray["ra"]), np.asarray(xray["dec"])
    box = (f"SELECT {', '.join(client_cols(cols))} FROM twomass.psc WHERE RAJ2000 BETWEEN {ra.min() - 0.1} "
           f"AND {ra.max() + 0.1} AND DEJ2000 BETWEEN {dec.min() - 0.1} AND {dec.max() + 0.1}")
    direct = client.query(box, maxrec=10_000_000)
    assert len(direct) > len(got["2mass"])
    joined = cone_join(xray, standardise_catalogue(direct, s), RADIUS)
    assert_same(joined, got["2mass"], "direct query")


def client_cols(cols):
    return [f'"{c}"' if c[0].isdigit() else c for c in cols]


def test_sync_and_async_pulls_agree_and_async_jobs_are_deleted(dachs, xray, reference):
    p = TapProvider(dachs.url, cache=False, mode="async")
    got = p.neighbourhoods(xray, RADIUS, ["2mass"])
    assert_same(reference["2mass"], got["2mass"], "async")
    st = p.client("2mass").stats
    assert st.async_jobs >= 1 and len(st.deleted_jobs) == st.async_jobs
    for url in st.deleted_jobs:
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url, timeout=10)
        assert e.value.code == 404
        e.value.close()


def test_overflow_is_split_and_complete(dachs, xray, reference, tmp_path):
    _, per_source = np.unique(np.asarray(reference["gaia"]["xid"]), return_counts=True)
    maxrec = int(per_source.max()) + 5  # every source fits alone; the chunks do not
    assert len(reference["gaia"]) > 4 * maxrec
    p = TapProvider(dachs.url, cache=tmp_path, maxrec=maxrec, mode="sync")
    got = p.neighbourhoods(xray, RADIUS, ["gaia"])
    assert_same(reference["gaia"], got["gaia"], "overflow")
    st = p.client("gaia").stats
    assert st.splits > 0
    # a rerun splits at once from the cache's overflow markers: no request at all
    p2 = TapProvider(dachs.url, cache=tmp_path, maxrec=maxrec, mode="sync")
    again = p2.neighbourhoods(xray, RADIUS, ["gaia"])
    assert_same(reference["gaia"], again["gaia"], "overflow rerun")
    assert p2.client("gaia").stats.requests == 1  # the reachability check (TapClient.probe) only


def test_one_source_beyond_maxrec_is_an_error_not_a_partial_result(dachs, xray):
    p = TapProvider(dachs.url, cache=False, maxrec=2, mode="sync")
    with pytest.raises(ServiceError, match="MAXREC=2"):
        p.neighbourhoods(xray, 60.0, ["gaia"])


def test_second_run_with_the_cache_sends_no_request(dachs, xray, reference, tmp_path):
    with FaultProxy(dachs.url) as proxy:
        p1 = TapProvider(proxy.url, cache=tmp_path)
        first = p1.neighbourhoods(xray, RADIUS, SURVEYS)
        n_first = proxy.requests
        assert n_first > 0 and p1.client("gaia").stats.requests == n_first
        p2 = TapProvider(proxy.url, cache=tmp_path)
        second = p2.neighbourhoods(xray, RADIUS, SURVEYS)
        assert proxy.requests == n_first + 1  # counted at the wire: the reachability check only
        assert p2.client("gaia").stats.requests == 1
        p3 = TapProvider(proxy.url, cache=tmp_path, refresh=True)
        p3.neighbourhoods(xray, RADIUS, ["2mass"])
        assert proxy.requests > n_first
    for s in SURVEYS:
        assert_same(reference[s], first[s], s)
        assert_same(reference[s], second[s], s)


def test_cone_by_cone_fallback_gives_the_same_rows(dachs, xray, reference, tmp_path):
    sub = xray[:12]
    p = TapProvider(dachs.url, cache=False, upload=False)
    got = p.neighbourhoods(sub, RADIUS, ["catwise"])
    want = reference["catwise"][np.isin(np.asarray(reference["catwise"]["xid"]), np.asarray(sub["xid"]))]
    assert_same(want, got["catwise"], "cone fallback")
    assert p.client("catwise").stats.queries >= len(sub)


def test_service_without_the_table_is_a_clear_input_error(dachs):
    with pytest.raises(InputError, match=r"has no table \"II/348/vvv2\""):
        TapProvider(dachs.url, cache=False).validate(["vvv"])


def test_pull_resumes_after_the_server_restarts(dachs, xray, reference, tmp_path):
    if not dachs.owned:
        pytest.skip("needs a DaCHS started by this test session (unset XRBVO_TAP_URL)")
    opts = dict(cache=tmp_path, max_in_flight=1, retries=1, backoff_s=0.05, first_chunk=4, target_rows=40,
                mode="sync")
    p1 = TapProvider(dachs.url, **opts)
    done = []
    stopped = threading.Event()

    def progress(msg, frac):
        if "sources" in msg:
            done.append(msg)
            if len(done) == 3 and not stopped.is_set():
                stopped.set()
                dachs.stop()

    try:
        with pytest.raises(ServiceError, match=dachs.url.split("//")[1].split("/")[0]):
            p1.neighbourhoods(xray, RADIUS, ["gaia"], progress=progress)
    finally:
        dachs.start()
    st1 = p1.client("gaia").stats
    finished = set(st1.fetched_keys)
    assert len(finished) >= 3
    p2 = TapProvider(dachs.url, **opts)
    got = p2.neighbourhoods(xray, RADIUS, ["gaia"])
    st2 = p2.client("gaia").stats
    assert finished <= set(st2.cached_keys)          # every finished chunk came from the cache
    assert not finished & set(st2.fetched_keys)      # and none was downloaded again
    assert len(st2.fetched_keys) > 0                 # the rest was fetched
    assert_same(reference["gaia"], got["gaia"], "resumed")


def test_faults_between_client_and_server_do_not_change_the_rows(dachs, xray, reference):
    with FaultProxy(dachs.url, p500=0.15, preset=0.1, pdelay=0.1, delay_s=4.0, seed=3) as proxy:
        p = TapProvider(proxy.url, cache=False, retries=10, backoff_s=0.05, mode="sync", timeout_s=2.0,
                        first_chunk=8, target_rows=200)
        got = p.neighbourhoods(xray, RADIUS, SURVEYS)
    for s in SURVEYS:
        assert_same(reference[s], got[s], f"through faults: {s}")
    assert proxy.faults["500"] > 0 and proxy.faults["reset"] > 0 and proxy.faults["delay"] > 0
    # every fault was retried, but for one that may hit the reachability check (not retried: the server is there)
    assert p.client("gaia").stats.retries >= sum(proxy.faults.values()) - 1


def test_service_that_stays_down_is_named(dachs):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/tap"
    with pytest.raises(ServiceError, match=f"TAP service {url} is unreachable"):
        TapProvider(url, cache=False, retries=2, backoff_s=0.01).validate(["gaia"])


def test_the_vphas_table_equals_the_simulated_sky(dachs, sky, xray, tmp_path):
    """VPHAS+ DR2, added through the registry, is pulled from DaCHS (vphas.dr2) like the others."""
    got = TapProvider(dachs.url, cache=tmp_path, mode="sync").neighbourhoods(xray, RADIUS, ["vphas"])
    ref = SimProvider(sky).neighbourhoods(xray, RADIUS, ["vphas"])
    assert len(ref["vphas"]) > 0 and {"r", "Ha", "i"} <= set(ref["vphas"].colnames)
    assert_same(ref["vphas"], got["vphas"], "vphas")
