"""The survey and class registries keep their facts in one place, and a new survey works end to end.

The registry of surveys (``xrbvo.core.surveys``) and the class records (``xrbvo.core.schema``) are
the one home of what xrbvo knows about a survey or a class; docs/architecture.md's table "To change X,
touch these files" says where a change goes, and these tests keep it honest.  VPHAS+ DR2, added
through the registry alone (plus its simulated photometry), is the proof: it is drawn by the simulated
sky, read from local files, and its features reach the classifier.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from xrbvo.core.schema import CLASS_RECORDS, CLASSES, FEATURE_COLUMNS, PHOTOMETRY, XRB_CLASSES, with_article
from xrbvo.core.surveys import ALL_SECONDARY, SECONDARY_SURVEYS, SURVEYS, get_survey, limiting_magnitudes
from xrbvo.io import standardise_xray
from xrbvo.sim import EXTRA_SURVEYS, SkyConfig, simulate_sky
from xrbvo.stages.features import ALL_FEATURES, FEATURES, build_features, feature_names
from xrbvo.stages.neighbourhoods import LocalProvider
from xrbvo.stages.neighbourhoods.sim import SimProvider

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "xrbvo"
DOC = ROOT / "docs" / "architecture.md"

#: The most library files that may name a survey's registry name.  A new survey: 3 (its record, its
#: simulated photometry, one more).  The first surveys are named more often, by the simulator's own
#: photometry, the demo's truth check (Gaia), the TAP service names and the test catalogues of the TUI
#: (``tui/synthetic.py``); this ratchet keeps those from growing again.
MAX_FILES = {"vphas": 3, "vvv": 3, "catwise": 3, "2mass": 5, "gaia": 6}


def _library_files_naming(name: str) -> list[str]:
    """Library files that name ``name`` as a string literal (``"gaia"``, ``'vphas'``) or, for names that
    are not ordinary words, anywhere (docstrings and comments included)."""
    literal = re.compile(rf"[\"']{re.escape(name)}[\"']")
    word = re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
    everywhere = name not in ("gaia", "2mass", "catwise", "vvv", "erass1")  # their titles are words in prose
    out = []
    for p in sorted(LIBRARY.rglob("*.py")):
        text = p.read_text()
        if literal.search(text) or (everywhere and word.search(text)):
            out.append(p.relative_to(ROOT).as_posix())
    return out


def _change_table() -> dict[str, str]:
    """docs/architecture.md's "To change X, touch these files": row title -> its files column."""
    text = DOC.read_text()
    assert "## To change X, touch these files" in text
    section = text.split("## To change X, touch these files", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("to change", "---"):
            rows[cells[0]] = cells[1]
    return rows


def _paths(cell: str) -> list[str]:
    return [p for p in re.findall(r"`([^`]+)`", cell) if "/" in p]


@pytest.mark.parametrize("name", sorted(MAX_FILES))
def test_few_library_files_name_a_survey(name):
    files = _library_files_naming(name)
    assert "xrbvo/core/surveys.py" in files
    assert len(files) <= MAX_FILES[name], f"{name} is named in {len(files)} library files: {files}"


def test_the_new_survey_is_named_only_where_the_docs_say():
    rows = _change_table()
    listed = set(_paths(rows["add a counterpart survey *"]))
    assert {"xrbvo/core/surveys.py", "xrbvo/sim/sky.py"} <= listed
    files = _library_files_naming("vphas")
    assert files and set(files) <= listed, f"vphas is named in {files}, the docs list {sorted(listed)}"


def test_every_path_in_the_change_table_exists():
    rows = _change_table()
    assert len(rows) >= 6
    for title, cell in rows.items():
        for p in _paths(cell):
            assert (ROOT / p.rstrip("/")).exists(), f"{title!r} lists {p}, which does not exist"
    # the fact-only rows name one file
    assert _paths(rows["change a class's colour, display name, article or target flag *"]) == ["xrbvo/core/schema.py"]
    assert _paths(rows["change a survey's error model, depth, completeness, link radius, confusion loss, footprint "
                       "or plot style *"]) == ["xrbvo/core/surveys.py"]


@pytest.mark.parametrize("name", ALL_SECONDARY)
def test_every_counterpart_survey_record_has_every_fact(name):
    s = get_survey(name)
    assert s.bands and set(s.bands) <= set(s.columns) and set(s.bands) <= set(s.depth)
    assert set(s.bands) <= set(PHOTOMETRY), "every band is a declared photometric column"
    assert s.feeds and set(s.feeds) <= set(PHOTOMETRY)
    assert set(s.extra_features) <= set(ALL_FEATURES) and not set(s.extra_features) & set(FEATURES)
    for f in s.extra_features:
        assert set(f.split("_")) <= set(s.bands) and (f in PHOTOMETRY or f in FEATURE_COLUMNS)
    assert 0.0 < s.completeness < 1.0
    assert s.error.default_arcsec > 0
    assert len(s.symbol) == 1 and s.marker and s.colour and s.size_band in s.bands
    assert set(s.confusion_loss_mag) <= set(s.bands)
    for l0, l1, b0, b1 in s.footprint_gal:
        assert 0 <= l0 < 360 and 0 <= l1 <= 360 and -90 <= b0 < b1 <= 90
    assert s.label and s.title and s.reference and s.signature
    first = ALL_SECONDARY[0]
    assert (s.link_radius_arcsec is None) == (name == first), "every survey but the first links to earlier ones"
    assert get_survey(name.upper()) is s and all(get_survey(a) is s for a in s.aliases)


def test_survey_facts_that_must_be_unique_are():
    secondary = [SURVEYS[n] for n in ALL_SECONDARY]
    assert len({s.symbol for s in secondary}) == len(secondary)
    assert len({s.position_rank for s in secondary}) == len(secondary)
    assert len({(s.marker, s.colour) for s in secondary}) == len(secondary)
    aliases = [a for s in SURVEYS.values() for a in (s.name, *s.aliases)]
    assert len(aliases) == len(set(aliases))


def test_every_class_record_has_every_fact():
    assert CLASSES == tuple(CLASS_RECORDS) and len(CLASSES) == 9
    assert XRB_CLASSES == ("HMXB", "LMXB")
    assert len({c.colour for c in CLASS_RECORDS.values()}) == len(CLASSES)
    for c in CLASS_RECORDS.values():
        assert c.display and c.description and c.colour.startswith("#") and c.article in ("a", "an")
    assert with_article("HMXB") == "an HMXB" and with_article("CV") == "a CV" and with_article("EARLY") == "an EARLY"


def test_the_new_survey_is_opt_in_and_in_the_southern_plane():
    v = get_survey("VPHAS+")
    assert v.name == "vphas" and v.opt_in and v.name not in SECONDARY_SURVEYS and v.name in EXTRA_SURVEYS
    assert not any(SURVEYS[s].opt_in for s in SECONDARY_SURVEYS)
    assert v.table == '"II/341/vphasp"' and v.bands == ("r", "Ha", "i")
    # l = 300 (the demo's field) and the bulge are in; the northern plane and high latitudes are out
    assert v.covers([300.0, 5.0, 100.0, 300.0], [0.0, -8.0, 0.0, 20.0]).tolist() == [True, True, False, False]
    lim = limiting_magnitudes([0.0, 30.0], ("vphas",))
    assert lim["r"][0] < lim["r"][1] == pytest.approx(v.depth["r"]), "the plane's crowding costs depth"


@pytest.fixture(scope="module")
def skies():
    """The same 1 x 1 deg plane field without and with VPHAS+."""
    kw = {"l_deg": 300.0, "b_deg": 0.0, "width_deg": 1.0, "height_deg": 1.0, "seed": 5,
          "class_boost": {"HMXB": 30, "CV": 5}}
    return simulate_sky(SkyConfig(**kw)), simulate_sky(SkyConfig(**kw, extra_surveys=("vphas",)))


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def test_drawing_the_new_survey_leaves_the_rest_of_the_sky_unchanged(skies):
    plain, with_v = skies
    assert set(with_v.catalogs) == set(plain.catalogs) | {"vphas"}
    for name, t in plain.catalogs.items():
        assert all(_same(t[c], with_v.catalogs[name][c]) for c in t.colnames), name
    assert all(_same(plain.xray[c], with_v.xray[c]) for c in plain.xray.colnames)
    assert all(_same(plain.truth[c], with_v.truth[c]) for c in plain.truth.colnames)
    assert (np.asarray(with_v.truth["ctp_vphas"]) != "").sum() > 0


def test_the_new_survey_from_local_files_equals_the_simulated_sky(skies, tmp_path):
    sky = skies[1]
    xr = standardise_xray(sky.xray)
    paths = sky.write(tmp_path, fmt="fits")
    local = LocalProvider({"vphas": paths["vphas"], "gaia": paths["gaia"]}).neighbourhoods(xr, 10.0, ["vphas"])
    ref = SimProvider(sky).neighbourhoods(xr, 10.0, ["vphas"])
    a, b = local["vphas"], ref["vphas"]
    assert len(a) == len(b) > 0
    assert list(a["nid"]) == list(b["nid"])
    for c in ("sep", "pos_err", "r", "Ha", "i"):
        assert np.allclose(np.asarray(a[c], float), np.asarray(b[c], float), equal_nan=True), c


def test_the_new_survey_feeds_its_features_and_only_it(skies):
    sky = skies[1]
    xr = standardise_xray(sky.xray)
    truth = {x: i for i, x in enumerate(np.asarray(sky.truth["xid"]).astype(str))}
    nb = SimProvider(sky).neighbourhoods(xr, 10.0, ["gaia", "vphas"])
    # choose each source's true VPHAS+ counterpart (when it has one in the neighbourhood)
    ctp = np.asarray(sky.truth["ctp_vphas"]).astype(str)
    nid = np.asarray(nb["vphas"]["nid"]).astype(str)
    where = {v: i for i, v in enumerate(nid)}
    rows = np.array([where.get(ctp[truth[x]], -1) for x in np.asarray(xr["xid"]).astype(str)])
    assert (rows >= 0).sum() > 5
    f = build_features(xr, {"vphas": rows}, nb)
    assert ALL_FEATURES == FEATURES + ("r_Ha", "r_i") and f.colnames == list(FEATURES) + ["r_Ha", "r_i"]
    assert feature_names(f) == list(ALL_FEATURES)
    got = rows >= 0
    r, ha = np.asarray(nb["vphas"]["r"])[rows[got]], np.asarray(nb["vphas"]["Ha"])[rows[got]]
    assert np.allclose(np.asarray(f["r_Ha"])[got], r - ha, equal_nan=True)
    assert np.isnan(np.asarray(f["r_Ha"])[~got]).all()
    # in a run without the survey its features do not exist: a model trained on it has exactly the
    # features of a model trained before the survey was registered (XGBoost's column sampling would
    # notice even an all-missing column)
    f0 = build_features(xr, {"gaia": np.full(len(xr), -1)}, {"gaia": nb["gaia"]})
    assert f0.colnames == list(FEATURES) == feature_names(f0)


def test_emission_line_classes_stand_out_in_r_minus_halpha(skies):
    """The simulated photometry carries the physics the features are for: HMXBs (Be stars) and CVs
    lie above the main-sequence locus of r - H-alpha against r - i, field stars on it."""
    sky = skies[1]
    v = sky.catalogs["vphas"]
    row = {x: i for i, x in enumerate(np.asarray(v["VPHASDR2"]).astype(str))}
    cls = np.asarray(sky.truth["true_class"]).astype(str)
    ctp = np.asarray(sky.truth["ctp_vphas"]).astype(str)
    excess = {}
    for c in ("HMXB", "STAR"):
        idx = [row[x] for x in ctp[(cls == c) & (ctp != "")]]
        r, ha, i = (np.asarray(v[k], float)[idx] for k in ("rmag", "Hamag", "imag"))
        excess[c] = np.nanmedian(r - ha - 0.33 * (r - i))
    assert excess["HMXB"] > excess["STAR"] + 0.1


def test_an_unknown_extra_survey_is_one_clear_error():
    from xrbvo.core.errors import InputError

    with pytest.raises(InputError, match="cannot draw survey 'vvv'"):
        SkyConfig(extra_surveys=("vvv",)).validate()


def test_a_model_that_learnt_an_opt_in_survey_refuses_a_run_without_it():
    from types import SimpleNamespace

    from xrbvo.core.errors import InputError
    from xrbvo.workflows.analyse import check_model_surveys
    from xrbvo.workflows.bundle import ModelBundle

    learnt = ModelBundle(SimpleNamespace(feature_names_=[*FEATURES, "r_Ha", "r_i"]), {}, None)
    with pytest.raises(InputError, match="learnt the features of vphas; add vphas to --surveys"):
        check_model_surveys(learnt, SECONDARY_SURVEYS)
    check_model_surveys(learnt, (*SECONDARY_SURVEYS, "vphas"))
    check_model_surveys(ModelBundle(SimpleNamespace(feature_names_=list(FEATURES)), {}, None), SECONDARY_SURVEYS)


def test_the_neighbours_table_has_an_opt_in_surveys_magnitudes_only_in_runs_with_it(skies):
    from xrbvo.stages.catalogue import neighbours_table

    sky = skies[1]
    xr = standardise_xray(sky.xray)
    nb = SimProvider(sky).neighbourhoods(xr, 10.0, ["gaia", "2mass", "catwise", "vphas"])
    without = neighbours_table({s: nb[s] for s in ("gaia", "2mass", "catwise")})
    assert without.colnames == ["survey", "xid", "nid", "ra", "dec", "pos_err", "sep",
                                "G", "BP", "RP", "J", "H", "K", "W1", "W2"]  # as before VPHAS+ was registered
    with_v = neighbours_table(nb)
    assert with_v.colnames == without.colnames + ["r", "Ha", "i"]
    assert np.isfinite(np.asarray(with_v["r"])[np.asarray(with_v["survey"]) == "vphas"]).any()
