"""``xrbvo query`` against the local DaCHS: results, and one clear line with exit 2 on bad input."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from _dachs import dachs, skies  # noqa: F401  (dachs is a fixture)
from astropy.table import Table

from xrbvo.cli.entry import main
from xrbvo.io import standardise_xray
from xrbvo.stages.neighbourhoods.sim import SimProvider
from xrbvo.sim import SkyConfig, simulate_sky


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error:")
    return err


def test_show_adql_sends_nothing(capsys):
    port = _closed_port()
    rc = main(["query", "cone", "--service", f"http://127.0.0.1:{port}/tap", "--table", "gaiadr3.gaia_source",
               "10", "-20", "36", "--show-adql"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "CIRCLE('ICRS', 10.0, -20.0, 0.01)" in out and "FROM gaiadr3.gaia_source AS t" in out
    rc = main(["query", "neighbours", "missing.fits", "--surveys", "2mass", "--radius", "3.6", "--show-adql"])
    out = capsys.readouterr().out
    assert rc == 0 and 'JOIN "II/246/out" AS t' in out and "TAP_UPLOAD.xrbvo_src" in out


@pytest.mark.parametrize("argv, table, ra, dec", [
    (["--service", "2mass"], '"II/246/out"', "RAJ2000", "DEJ2000"),
    (["--service", "catwise"], '"II/365/catwise"', "RA_ICRS", "DE_ICRS"),
    (["--service", "vizier", "--table", '"II/246/out"'], '"II/246/out"', "RAJ2000", "DEJ2000"),
    (["--service", "gaia"], "gaiadr3.gaia_source", "ra", "dec"),
    (["--service", "erass1"], '"J/A+A/682/A34/erass1-m"', "RA_ICRS", "DE_ICRS"),  # VizieR renames RA
    (["--service", "http://127.0.0.1:1/tap", "--table", "twomass.psc"], "twomass.psc", "RAJ2000", "DEJ2000"),
    (["--service", "vizier", "--table", "B/other", "--dec-column", "DEdeg"], '"B/other"', "ra", "DEdeg"),
])
def test_cone_uses_the_registry_position_columns(capsys, argv, table, ra, dec):
    assert main(["query", "cone", *argv, "10", "-20", "36", "--show-adql"]) == 0
    assert capsys.readouterr().out.split() == " ".join([
        "SELECT * FROM", table, "AS t WHERE 1 = CONTAINS(POINT('ICRS',", f"t.{ra},", f"t.{dec}),",
        "CIRCLE('ICRS', 10.0, -20.0, 0.01))"]).split()


def test_cone_without_table_needs_a_survey_service(capsys):
    assert main(["query", "cone", "--service", "vizier", "10", "-20", "36", "--show-adql"]) == 2
    assert "--table is required" in one_error_line(capsys)


def test_unknown_service_name_is_exit_2(capsys):
    assert main(["query", "adql", "--service", "nowhere", "SELECT 1"]) == 2
    assert "unknown TAP service 'nowhere'" in one_error_line(capsys)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.integration
def test_adql_to_file(dachs, tmp_path, capsys):
    out = tmp_path / "t.ecsv"
    rc = main(["-q", "query", "adql", "--service", dachs.url, "--no-cache", "-o", str(out),
               "SELECT TOP 7 source_id, ra, dec FROM gaiadr3.gaia_source"])
    assert rc == 0
    t = Table.read(out)
    assert len(t) == 7 and t.colnames == ["source_id", "ra", "dec"]


@pytest.mark.integration
def test_adql_to_fits_with_variable_length_text(dachs, tmp_path):
    """DaCHS sends text as char arraysize="*": it is written to FITS (no variable-length text there)."""
    out = tmp_path / "t.fits"
    rc = main(["-q", "query", "adql", "--service", dachs.url, "--no-cache", "-o", str(out),
               'SELECT TOP 5 "2MASS", RAJ2000 FROM twomass.psc ORDER BY "2MASS"'])
    assert rc == 0
    t = Table.read(out)
    ids = [v.decode() if isinstance(v, bytes) else str(v) for v in t["2MASS"]]
    assert len(t) == 5 and ids == sorted(ids) and all(len(i) > 0 for i in ids)


@pytest.mark.integration
def test_cone_with_format_option(dachs, tmp_path):
    sky = simulate_sky(SkyConfig(**skies()["demo"]))
    x = sky.xray[0]
    out = tmp_path / "cone.dat"
    rc = main(["-q", "query", "cone", "--service", dachs.url, "--table", "twomass.psc", "--ra-column", "RAJ2000",
               "--dec-column", "DEJ2000", str(x["RA"]), str(x["DEC"]), "30", "--format", "ascii.ecsv",
               "--cache", str(tmp_path / "c"), "-o", str(out)])
    assert rc == 0
    t = Table.read(out, format="ascii.ecsv")
    c = sky.catalogs["2mass"]
    d = np.hypot((c["RAJ2000"] - x["RA"]) * np.cos(np.radians(x["DEC"])), c["DEJ2000"] - x["DEC"]) * 3600
    assert sorted(t["2MASS"]) == sorted(c["2MASS"][d < 30 - 1e-6])


@pytest.mark.integration
def test_neighbours_of_a_file(dachs, tmp_path):
    sky = simulate_sky(SkyConfig(**skies()["demo"]))
    src = tmp_path / "xray.ecsv"
    sky.xray[:20].write(src)
    rc = main(["-q", "query", "neighbours", str(src), "--tap-url", dachs.url, "--surveys", "2mass,gaia",
               "--radius", "15", "--cache", str(tmp_path / "c"), "-o", str(tmp_path / "nb.fits")])
    assert rc == 0
    ref = SimProvider(sky).neighbourhoods(standardise_xray(sky.xray[:20]), 15.0, ["2mass", "gaia"])
    for s in ("2mass", "gaia"):
        got = Table.read(tmp_path / f"nb_{s}.fits")
        assert len(got) == len(ref[s]) > 0
        assert list(np.asarray(got["nid"]).astype(str)) == list(np.asarray(ref[s]["nid"]).astype(str))


@pytest.mark.integration
@pytest.mark.parametrize("case", ["not_tap", "unreachable", "no_table", "malformed", "survey_table_missing"])
def test_bad_input_is_one_line_and_exit_2(dachs, tmp_path, capsys, case):
    base = dachs.url.rsplit("/tap", 1)[0]
    argv = {
        "not_tap": ["query", "adql", "--service", f"{base}/nothing/here", "SELECT 1"],
        "unreachable": ["query", "adql", "--service", f"http://127.0.0.1:{_closed_port()}/tap", "--retries", "1",
                        "SELECT 1"],
        "no_table": ["query", "adql", "--service", dachs.url, "SELECT * FROM nowhere.nothing"],
        "malformed": ["query", "adql", "--service", dachs.url, "SELEKT ra FROM gaiadr3.gaia_source"],
        "survey_table_missing": ["query", "neighbours", str(tmp_path / "x.fits"), "--tap-url", dachs.url,
                                 "--surveys", "vvv"],
    }[case]
    if case == "survey_table_missing":
        Table({"RA": [270.0], "DEC": [-20.0], "IAUNAME": ["a"], "POS_ERR": [3.0],
               "ML_FLUX_1": [1e-13], "flux_hard": [2e-14]}).write(tmp_path / "x.fits")
    rc = main(["-q", *argv, "--no-cache"])
    assert rc == 2
    line = one_error_line(capsys)
    expected = {"not_tap": "not a TAP service", "unreachable": "unreachable", "no_table": "nowhere.nothing",
                "malformed": "refused the query", "survey_table_missing": "has no table"}[case]
    assert expected in line


@pytest.mark.integration
def test_known_objects_from_a_service_table(dachs, tmp_path):
    """--known URL:TABLE fetches the table whole (cached) and reads it as a file: the demo field's X-ray
    sources, served as erass1.main, are each their own known object."""
    from types import SimpleNamespace

    from xrbvo.cli.common import known_from_args
    from xrbvo.core.errors import InputError
    from xrbvo.stages.known import match_known

    sky = simulate_sky(SkyConfig(**skies()["demo"]))
    args = SimpleNamespace(known=[f"{dachs.url}:erass1.main"], known_class="HMXB", cache=tmp_path / "c",
                           timeout=None)
    [known] = known_from_args(args)
    assert set(np.asarray(sky.xray["IAUNAME"]).astype(str)) <= set(np.asarray(known["name"]).astype(str))
    assert set(np.asarray(known["known_class"]).astype(str)) == {"HMXB"}
    x = standardise_xray(sky.xray)
    cat = Table({"xid": x["xid"], "ra": x["ra"], "dec": x["dec"], "pos_err": x["pos_err"],
                 "candidate_class": np.full(len(x), "", "<U8")})
    matched = match_known(cat, [known])
    assert np.all(np.asarray(matched["known_name"]).astype(str) == np.asarray(sky.xray["IAUNAME"]).astype(str))
    assert np.all(np.asarray(matched["known_sep"]) < 1e-3)
    assert any((tmp_path / "c").rglob("*.vot.gz"))  # fetched through the cache
    with pytest.raises(InputError):
        known_from_args(SimpleNamespace(known=[f"{dachs.url}:nowhere.nothing"], known_class=None,
                                        cache=tmp_path / "c", timeout=None))
    # a table larger than the service returns at once (a survey, not known objects): one line that says so
    from xrbvo.core.errors import ServiceError
    from xrbvo.vo.known import fetch_known, parse_known_service
    from xrbvo.vo.tap import TapClient

    with TapClient(dachs.url, cache=False, maxrec=5) as small, pytest.raises(ServiceError, match="more rows"):
        fetch_known(parse_known_service(f"{dachs.url}:erass1.main"), client=small)
