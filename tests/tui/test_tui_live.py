"""xrbvo.workflows.live: positions, Sesame offline, and on-demand scoring against the local DaCHS equal to a run."""

from __future__ import annotations

import socket
import threading
import warnings

import numpy as np
import pytest
from _dachs import dachs  # noqa: F401  (fixture)
from _explore import demo_list, reference

from xrbvo.core.errors import InputError, ServiceError, XrbvoWarning
from xrbvo.workflows.live import LiveScorer, Position, parse_position, resolve_name, session_path

IDS = np.array(["1eRASS J123938.3-624138", "1eRASS J120147.7-615122", "1eRASS J120147.9-610000"])
COORDS = {"1eRASS J123938.3-624138": (189.909, -62.694)}


def test_parse_position_forms():
    p = parse_position("266.4 -29.0")
    assert (p.ra_deg, p.dec_deg, p.xid) == (266.4, -29.0, None)
    s = parse_position("17:45:36 -29:00:00")
    assert s.ra_deg == pytest.approx(266.4) and s.dec_deg == pytest.approx(-29.0)
    h = parse_position("17h45m36s -29d00m00s")
    assert h.ra_deg == pytest.approx(266.4) and h.dec_deg == pytest.approx(-29.0)
    g = parse_position("gal 0 0")
    assert g.ra_deg == pytest.approx(266.405, abs=1e-3) and g.dec_deg == pytest.approx(-28.936, abs=1e-3)
    named = parse_position("j123938", IDS, coords=lambda x: COORDS[x])
    assert named == Position(189.909, -62.694, xid=str(IDS[0]), label=str(IDS[0]))
    with pytest.raises(InputError, match="2 source ids"):
        parse_position("J120147", IDS, coords=lambda x: (0.0, 0.0))
    assert parse_position("Cyg X-1", IDS, coords=lambda x: (0.0, 0.0)) == "Cyg X-1"  # a name for Sesame
    with pytest.raises(InputError, match="RA must be"):
        parse_position("400 10")


def test_sesame_unreachable_is_one_quick_error():
    with socket.socket() as s:  # a port nobody listens on: refused at once, like no network
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ServiceError, match="offline"):
        resolve_name("Cyg X-1", url=f"http://127.0.0.1:{port}/sesame?")


def test_sesame_answer_read_from_its_j_line():
    from xrbvo.vo.sesame import parse_answer

    body = "# Cyg X-1\n#=S=Simbad:    1\n%J 299.59031 +35.20160 = 19:58:21.67 +35:12:05.7\n%I.0 HD 226868\n"
    assert parse_answer(body) == (299.59031, 35.2016)
    assert parse_answer("#! *** Nothing found *** \n") is None
    assert parse_answer("%J garbage\n") is None


def test_session_path():
    assert session_path("/d/list.fits").name == "list.explore.fits"
    assert session_path("list.csv").name == "list.explore.fits"


def _requests(provider) -> int:
    return sum(s.requests for s in provider.stats.values())


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::astropy.units.UnitsWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::xrbvo.core.errors.XrbvoWarning")
def test_scores_equal_run_cache_and_session(dachs, demo_run, tmp_path):
    from xrbvo.io import read_table
    from xrbvo.stages.neighbourhoods.tap import TapProvider
    from xrbvo.workflows import ModelBundle

    cache = tmp_path / "cache"
    path = demo_list(dachs.url, tmp_path / "list.fits", cache)
    model = demo_run / "model"
    ref = reference(dachs.url, path, model, cache)
    ids = list(np.asarray(ref["xid"]).astype(str))
    top = np.argsort(-np.asarray(ref["P_HMXB"]))
    pick = [ids[top[0]], ids[len(ids) // 2]]
    bundle = ModelBundle.load(model)
    prov = TapProvider(dachs.url, cache=tmp_path / "cache2")  # cold cache: real requests
    sc = LiveScorer(read_table(path), bundle, prov, source=str(path))
    res = sc.score(pick)
    for x in pick:
        want, got = ref[ids.index(x)], res[x].catalogue[0]
        for c in ref.colnames:  # every column, bit for bit
            a, b = want[c], got[c]
            same = (a == b) or (isinstance(a, float) and np.isnan(a) and np.isnan(b))
            assert same, (x, c, a, b)
        assert len(res[x].counterparts) and len(res[x].neighbours)
    n = _requests(prov)
    assert n > 0
    again = sc.score(pick)  # a cache hit sends no request
    assert _requests(prov) == n and again[pick[0]] is res[pick[0]]
    assert sc.prefetch_ids(ids, pick[0], 3) == [x for x in ids[ids.index(pick[0]) + 1:] if x not in pick][:3]
    # the session catalogue: saved, then a new session resumes with no pull of the list
    saved = sc.save(session_path(path))
    prov2 = TapProvider(dachs.url, cache=tmp_path / "cache3")
    sc2 = LiveScorer(read_table(path), bundle, prov2, source=str(path))
    assert sc2.resume(saved) == 2 and sc2.context_ready
    assert float(sc2.result(pick[0]).catalogue["P_HMXB"][0]) == float(want_p := ref["P_HMXB"][ids.index(pick[0])])
    assert _requests(prov2) == 0
    # a cold source in the resumed session: its own neighbourhood pulled on demand, still run's numbers
    other = ids[top[1]]
    got = sc2.score([other])[other].catalogue[0]
    assert _requests(prov2) > 0 and want_p >= got["P_HMXB"]
    for c in ("P_HMXB", "P_LMXB_field", "p_any", "P_HMXB_CTPT", "candidate_class", "nid_gaia"):
        assert got[c] == ref[ids.index(other)][c], c
    # a typed position: a one-row table, its neighbourhood
    ra, dec = float(ref["ra"][top[0]]) + 0.01, float(ref["dec"][top[0]])
    pos = sc2.score_position(ra, dec)
    assert pos.position and len(pos.catalogue) == 1 and len(pos.neighbours) > 0


def test_known_objects_show_in_the_explore_pane(demo_run):
    """explore --known: a known object at a source's position is named in its detail pane (the run's match
    radius); a source with none near says so; without --known the pane says how to give them."""
    from astropy.table import Table

    from conftest import DEMO_FIELD
    from xrbvo.io.known import read_known
    from xrbvo.sim import SkyConfig, simulate_sky
    from xrbvo.stages.neighbourhoods.sim import SimProvider
    from xrbvo.tui.explore import pane_parts
    from xrbvo.workflows.live import LiveScorer
    from xrbvo.workflows import ModelBundle

    f = DEMO_FIELD
    sky = simulate_sky(SkyConfig(l_deg=f["l"], b_deg=f["b"], width_deg=f["width"], height_deg=f["height"],
                                 class_boost=f["boost"], seed=f["seed"]))
    x = sky.xray[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XrbvoWarning)
        sc = LiveScorer(x, ModelBundle.load(demo_run / "model"), SimProvider(sky), source="test")
        ids = list(sc.xids)
        res = sc.score(ids)
    ra0, dec0 = float(x["RA"][0]), float(x["DEC"][0])
    known = read_known(Table({"Name": ["Test X-1"], "RA": [ra0 + 1.0 / 3600], "DEC": [dec0],
                              "Type": ["HXB"]}))
    shown = pane_parts(res[ids[0]], known=known)["#d-known"].plain
    assert "Test X-1" in shown and "HMXB" in shown
    assert "none within the match radius" in pane_parts(res[ids[1]], known=known)["#d-known"].plain
    assert "--known" in pane_parts(res[ids[0]])["#d-known"].plain


class _Relay:
    """A TCP relay from a local port to a server: the service comes back on the port that refused."""

    def __init__(self, port: int, target_port: int):
        self.target_port = target_port
        self.server = socket.create_server(("127.0.0.1", port))
        self.server.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                a, _ = self.server.accept()
            except OSError:  # the accept timed out: look at the stop flag
                continue
            b = socket.create_connection(("127.0.0.1", self.target_port))
            for src, dst in ((a, b), (b, a)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def __enter__(self) -> "_Relay":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.server.close()


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::astropy.units.UnitsWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::xrbvo.core.errors.XrbvoWarning")
def test_a_service_down_is_one_notification_and_scoring_resumes_when_it_is_back(dachs, demo_run, tmp_path):
    """explore with its TAP service refusing connections: one notification for the failure (not one per source and
    prefetch), the selected source's pane says what failed instead of "scoring..."; once the service answers on
    that port (the local DaCHS through a relay), the selected source is scored without any key pressed."""
    import asyncio
    from urllib.parse import urlsplit

    from textual.widgets import Static

    from xrbvo.tui.explore import create_explore_app

    path = demo_list(dachs.url, tmp_path / "list.fits", tmp_path / "cache")
    with socket.socket() as s:  # a port nobody listens on: refused at once, like a service that is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_explore_app(path, demo_run / "model", tap_url=f"http://127.0.0.1:{port}/tap",
                             cache=tmp_path / "cache2", samp=False, deadline_s=120)

    sent = []  # every notification posted (a shown one expires after its timeout)
    notify = app.notify

    def record(message, **kw):
        sent.append((str(message), kw.get("severity")))
        return notify(message, **kw)

    app.notify = record

    def errors():
        return [m for m, severity in sent if severity == "error"]

    def pane() -> str:
        return str(app.query_one("#d-xray", Static).render())

    async def until(pilot, cond, seconds):
        for _ in range(int(seconds / 0.25)):
            if cond():
                return True
            await pilot.pause(0.25)
        return cond()

    async def go():
        async with app.run_test(size=(150, 44)) as pilot:
            assert await until(pilot, lambda: errors() and "not scored" in pane(), 60), pane()
            for _ in range(3):  # other sources fail the same way: no new notification
                await pilot.press("down")
                assert await until(pilot, lambda: "not scored" in pane(), 60), pane()
            await pilot.pause(1.0)
            (note,) = errors()
            assert "unreachable" in note
            assert "unreachable" in pane() and "trying again" in pane()
            xid = str(app.data.xid[app.current_row])
            with _Relay(port, urlsplit(dachs.url).port):
                assert await until(pilot, lambda: app.scorer.result(xid) is not None, 300)
                assert await until(pilot, lambda: "not scored" not in pane(), 30), pane()
            assert xid in pane() and len(errors()) == 1

    asyncio.run(go())
