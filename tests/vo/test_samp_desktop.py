"""Round trips with the real TOPCAT and Aladin under Xvfb (marked ``integration``).

The module starts Xvfb, ``xrbvo samp hub``, TOPCAT and Aladin once, in a
private home directory, and stops exactly those processes at the end.  Without
them installed the tests skip (or fail when ``CI=true``); install them with
``bash scripts/samp/install.sh``.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy import units as u

from xrbvo import cli
from xrbvo.vo.samp import MTYPE_HIGHLIGHT_ROW, MTYPE_SELECT_ROWS, SampClient, votable_bytes

try:
    from . import _samp_apps as apps
except ImportError:
    import _samp_apps as apps

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def desktop(tmp_path_factory, catalogue):
    missing = apps.missing_desktop()
    if missing:
        apps.require("SAMP desktop tests need " + ", ".join(missing))
    desk = apps.start_desktop(tmp_path_factory.mktemp("samp-desktop"),
                              probe_ra_deg=list(catalogue["ra"][:2]), probe_dec_deg=list(catalogue["dec"][:2]))
    yield desk
    desk.stop()


@pytest.fixture(scope="module")
def catalogue():
    """A simulated eRASS1-like field, standardised: ra/dec/pos_err with units and UCDs."""
    from xrbvo.io import standardise_xray
    from xrbvo.sim import SkyConfig, simulate_sky

    sky = simulate_sky(SkyConfig(l_deg=300.0, b_deg=0.0, width_deg=1.0, height_deg=1.0, seed=7))
    t = standardise_xray(sky.xray)
    assert len(t) >= 5, "the simulated field should hold a handful of sources"
    return t


@pytest.fixture(scope="module")
def samp(desktop):
    with SampClient(name="xrbvo-tests", lockfile=desktop.lockfile, timeout_s=20) as c:
        yield c


@pytest.fixture(scope="module")
def sent(samp, catalogue):
    """The catalogue, loaded in TOPCAT and Aladin."""
    return samp.send_table(catalogue, name="erass_cands")


def aladin_planes(status: str) -> dict[str, dict[str, str]]:
    """Blocks of Aladin's ``status`` output, by PlaneID (and ViewID)."""
    out = {}
    for block in status.strip().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            key, _, value = line.partition(" ")
            fields[key] = value.strip()
        name = fields.get("PlaneID") or fields.get("ViewID")
        if name:
            out[name] = fields
    return out


def test_both_applications_registered(desktop, samp):
    names = {c.name.lower() for c in samp.clients()}
    assert {"topcat", "aladin"} <= names
    assert desktop.startup_s < 120


def test_catalogue_really_loaded_in_topcat(samp, sent, catalogue):
    assert {r.client.name.lower() for r in sent.replies} >= {"topcat", "aladin"}
    assert all(r.ok for r in sent.replies)
    back = samp.fetch_table(sent.table_id, to="topcat")
    assert len(back) == len(catalogue)
    assert list(back["xid"]) == list(catalogue["xid"])
    for col in ("ra", "dec", "pos_err", "flux_soft"):
        assert np.allclose(np.asarray(back[col], float), np.asarray(catalogue[col], float), rtol=1e-12, equal_nan=True)
    # TOPCAT kept what makes positions recognisable
    assert back["ra"].unit == u.deg and back["pos_err"].unit == u.arcsec
    assert back["ra"].meta.get("ucd") == "pos.eq.ra;meta.main"
    assert back["dec"].meta.get("ucd") == "pos.eq.dec;meta.main"


def test_aladin_pointed_at_a_source_reports_the_plane(samp, sent, catalogue):
    i = len(catalogue) // 2
    ra, dec = float(catalogue["ra"][i]), float(catalogue["dec"][i])
    replies = samp.point_at(ra, dec, to="aladin")
    assert replies[0].ok
    planes = aladin_planes(samp.aladin_script("status"))
    plane = planes[sent.name]
    assert plane["Type"] == "Catalog" and int(plane["NbObj"]) == len(catalogue)
    view = next(p for p in planes.values() if "Centre" in p)
    centre = SkyCoord(view["Centre"], unit=(u.hourangle, u.deg))
    assert centre.separation(SkyCoord(ra * u.deg, dec * u.deg)) < 1 * u.arcmin


def test_highlight_and_selection_reach_both(samp, sent, catalogue):
    row = len(catalogue) - 1
    replies = samp.highlight_row(sent.table_id, row)
    assert {r.client.name.lower(): r.status for r in replies} == {"topcat": "ok", "aladin": "ok"}
    replies = samp.select_rows(sent.table_id, [0, row])
    assert {r.client.name.lower(): r.status for r in replies} == {"topcat": "ok", "aladin": "ok"}


def test_unknown_table_is_refused_by_topcat(samp):
    from xrbvo.vo.samp import SampRefusedError

    with pytest.raises(SampRefusedError) as err:
        samp.highlight_row("no-such-table", 0, to="topcat", retry_s=0)
    assert "no-such-table" in str(err.value) and err.value.replies[0].status == "error"


def test_error_circles_and_counterparts_drawn_in_aladin(samp, sent, catalogue):
    samp.draw_error_circles(catalogue["ra"], catalogue["dec"], catalogue["pos_err"], plane="xray_err")
    samp.mark_counterparts(catalogue["ra"][:3] + 1e-4, catalogue["dec"][:3], labels=["a", "b", "c"],
                           plane="ctpts")
    planes = aladin_planes(samp.aladin_script("status"))
    assert int(planes["xray_err"]["NbObj"]) == len(catalogue)
    assert int(planes["ctpts"]["NbObj"]) == 6  # a circle and a label each


def test_highlight_from_another_client_reaches_the_callback(desktop, samp, sent):
    got = []
    done = threading.Event()

    def on_row(event):
        got.append(event)
        done.set()

    sub = samp.on_rows(on_row, table_id=sent.table_id)
    try:
        with SampClient(name="xrbvo-tests-peer", lockfile=desktop.lockfile, timeout_s=10) as other:
            other.call(MTYPE_HIGHLIGHT_ROW, {"table-id": sent.table_id, "row": "4"}, to=samp.client_id)
            assert done.wait(5)
            assert got[-1].rows == (4,) and got[-1].sender_name == "xrbvo-tests-peer"
            done.clear()
            other.call(MTYPE_SELECT_ROWS, {"url": sent.url, "row-list": ["1", "3"]}, to=samp.client_id)
            assert done.wait(5) and got[-1].rows == (1, 3)
    finally:
        sub.remove()


def test_cli_status_send_point(desktop, catalogue, tmp_path, capsys, monkeypatch):
    import importlib

    monkeypatch.setattr(importlib.import_module("xrbvo.cli.entry"), "COMMANDS", ("samp",))
    lock = str(desktop.lockfile)
    assert cli.main(["samp", "status", "--lockfile", lock]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\btopcat\b", out) and "Aladin" in out

    from xrbvo.io import read_table, write_table

    path = write_table(catalogue, tmp_path / "cli_cands.fits")
    assert cli.main(["samp", "send", str(path), "--to", "topcat", "--lockfile", lock]) == 0
    out = capsys.readouterr().out
    assert "sent cli_cands" in out and "topcat" in out and "Aladin" not in out
    # the table-id is the content digest: the same one computed here
    import hashlib

    table_id = "xrbvo-" + hashlib.sha256(votable_bytes(read_table(path), name="cli_cands")).hexdigest()[:12]
    assert table_id in out
    with SampClient(lockfile=desktop.lockfile, timeout_s=20) as c:
        assert len(c.fetch_table(table_id)) == len(catalogue)

    ra, dec = float(catalogue["ra"][0]), float(catalogue["dec"][0])
    assert cli.main(["samp", "point", f"{ra}", f"{dec}", "--lockfile", lock]) == 0
    out = capsys.readouterr().out
    assert "topcat" in out and "Aladin" in out
