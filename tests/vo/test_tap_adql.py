"""TAP building blocks that need no server: ADQL strings, quoting, the cache, service names."""

from __future__ import annotations

import os

import numpy as np
import pytest

from xrbvo.core.errors import InputError, XrbvoWarning
from xrbvo.stages.neighbourhoods.tap import survey_columns
from xrbvo.core.surveys import get_survey
from xrbvo.vo.tap import (ChunkCache, JoinSpec, SERVICES, TapClient, cone_adql, quote_identifier, quote_table,
                          resolve_service, upload_join_adql)


@pytest.mark.parametrize("name, quoted", [("ra", "ra"), ("RAJ2000", "RAJ2000"), ("2MASS", '"2MASS"'),
                                          ("external", '"external"'), ("dec", "dec"), ("size", '"size"'),
                                          ('"II/246/out"', '"II/246/out"'), ("e-mag", '"e-mag"')])
def test_quote_identifier(name, quoted):
    assert quote_identifier(name) == quoted


def test_quote_table_keeps_vizier_names_and_quotes_reserved_schemas():
    assert quote_table('"II/246/out"') == '"II/246/out"'
    assert quote_table("external.gaiaedr3_distance") == '"external".gaiaedr3_distance'
    assert quote_table("gaiadr3.gaia_source") == "gaiadr3.gaia_source"


def test_upload_join_adql_for_gaia_joins_distances():
    s = get_survey("gaia")
    cols, join = survey_columns(s)
    adql = upload_join_adql(s.table, cols, s.ra_column, s.dec_column, 7.2, join=join)
    assert adql.startswith("SELECT t.source_id, t.ra, t.dec, t.ra_error, t.dec_error, t.phot_g_mean_mag")
    assert "FROM TAP_UPLOAD.xrbvo_src AS u\nJOIN gaiadr3.gaia_source AS t\n" in adql
    assert "CONTAINS(POINT('ICRS', t.ra, t.dec), CIRCLE('ICRS', u.ra, u.dec, 0.002))" in adql
    assert adql.endswith('LEFT OUTER JOIN "external".gaiaedr3_distance AS j ON j.source_id = t.source_id')
    assert "j.r_med_geo" in adql and "t.r_med_geo" not in adql


def test_upload_join_adql_quotes_2mass_id():
    s = get_survey("2mass")
    cols, join = survey_columns(s)
    assert join is None
    adql = upload_join_adql(s.table, cols, s.ra_column, s.dec_column, 3.6)
    assert adql.splitlines()[0] == 'SELECT t."2MASS", t.RAJ2000, t.DEJ2000, t.errMaj, t.Jmag, t.Hmag, t.Kmag'
    assert 'JOIN "II/246/out" AS t' in adql


def test_cone_adql_and_bad_input():
    q = cone_adql("twomass.psc", None, "RAJ2000", "DEJ2000", 10.5, -20.25, 1.8)
    assert q == ("SELECT *\nFROM twomass.psc AS t\nWHERE 1 = CONTAINS(POINT('ICRS', t.RAJ2000, t.DEJ2000), "
                 "CIRCLE('ICRS', 10.5, -20.25, 0.0005))")
    with pytest.raises(InputError, match="radius"):
        cone_adql("t", None, "ra", "dec", 1.0, 2.0, 0.0)
    with pytest.raises(InputError, match="sky position"):
        cone_adql("t", None, "ra", "dec", 1.0, 95.0, 1.0)
    with pytest.raises(InputError, match="radius"):
        upload_join_adql("t", ["a"], "ra", "dec", -1.0)


def test_join_spec_columns_selected_from_join_alias():
    q = upload_join_adql("a.b", ["id"], "ra", "dec", 1.0, join=JoinSpec("c.d", "id", ("x", "y")))
    assert q.splitlines()[0] == "SELECT t.id, j.x, j.y"


def test_resolve_service():
    assert resolve_service("gaia") == SERVICES["gaia"]
    assert resolve_service("VizieR") == SERVICES["vizier"]
    assert resolve_service("2mass") == get_survey("2mass").tap_url
    assert resolve_service("http://127.0.0.1:1/tap/") == "http://127.0.0.1:1/tap"
    with pytest.raises(InputError, match="unknown TAP service 'nowhere'"):
        resolve_service("nowhere")


def test_cache_keys_depend_on_service_adql_and_positions(tmp_path):
    p = np.array([[10.0, 20.0], [11.0, 21.0]])
    k = ChunkCache.key("http://a/tap", "SELECT 1", p)
    assert k == ChunkCache.key("http://a/tap/", "SELECT 1", p.copy())
    assert k != ChunkCache.key("http://b/tap", "SELECT 1", p)
    assert k != ChunkCache.key("http://a/tap", "SELECT 2", p)
    p2 = p.copy()
    p2[1, 1] = np.nextafter(21.0, 22.0)
    assert k != ChunkCache.key("http://a/tap", "SELECT 1", p2)


def test_cache_writes_atomically_and_leaves_no_temporary_files(tmp_path):
    c = ChunkCache(tmp_path)
    key = ChunkCache.key("u", "q")
    assert c.get(key) is None
    c.put(key, b"<VOTABLE/>")
    assert c.get(key) == b"<VOTABLE/>"
    c.put(key, b"<VOTABLE>2</VOTABLE>")
    assert c.get(key) == b"<VOTABLE>2</VOTABLE>"
    assert not c.is_split(key)
    c.mark_split(key)
    assert c.is_split(key)
    names = [f for _, _, files in os.walk(tmp_path) for f in files]
    assert not [n for n in names if n.startswith(".tmp-")]
    assert all(n.endswith((".vot.gz", ".json")) for n in names)


def test_damaged_cache_entry_is_a_miss_with_a_warning(tmp_path):
    c = ChunkCache(tmp_path)
    key = ChunkCache.key("u", "q")
    c.put(key, b"x")
    path = next(tmp_path.rglob("*.vot.gz"))
    path.write_bytes(b"not gzip")
    with pytest.warns(XrbvoWarning, match=r"TAP cache entry .*\.vot\.gz is damaged .*fetched again"):
        assert c.get(key) is None


def test_default_cache_dir_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert TapClient("http://127.0.0.1:1/tap").cache.directory == tmp_path / "xrbvo" / "tap"
    assert TapClient("http://127.0.0.1:1/tap", cache=False).cache is None


def test_client_rejects_bad_options():
    with pytest.raises(InputError, match="mode"):
        TapClient("http://127.0.0.1:1/tap", mode="fast")
    with pytest.raises(InputError, match="max_in_flight"):
        TapClient("http://127.0.0.1:1/tap", max_in_flight=0)


def test_cache_sweeps_a_killed_writers_old_temporaries_only(tmp_path):
    """A .tmp-* file older than STALE_TEMP_S is debris and goes; a young one may be another process's write."""
    import os
    import time

    from xrbvo.vo.tap.cache import STALE_TEMP_S, ChunkCache

    d = tmp_path / "cache" / "ab"
    d.mkdir(parents=True)
    old, young = d / ".tmp-old", d / ".tmp-young"
    old.write_bytes(b"half")
    young.write_bytes(b"half")
    t = time.time() - STALE_TEMP_S - 60
    os.utime(old, (t, t))
    entry = d / ("ab" + "0" * 62 + ".vot.gz")
    entry.write_bytes(b"x")
    os.utime(entry, (t, t))
    ChunkCache(tmp_path / "cache")
    assert not old.exists() and young.exists() and entry.exists()
