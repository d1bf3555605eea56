"""Issue 16: every column of the catalogue, counterparts and neighbours tables has a unit (or is declared
dimensionless), a UCD and a description from :mod:`xrbvo.core.schema`, in FITS and in VOTable.

The fast tests build small tables with every declared column and family; the slow ones run
``xrbvo demo`` once and walk the columns of the files it writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.io.votable import parse as parse_votable
from astropy.io.votable.ucd import check_ucd
from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.core.schema import (CATALOGUE, CLASSES, COUNTERPARTS, FEATURE_COLUMNS, NEIGHBOUR, NEIGHBOURS, PHOTOMETRY,
                               TRUTH, XRAY, ColumnSpec, column_spec, describe_table, undescribed_columns)
from xrbvo.core.surveys import SURVEYS
from xrbvo.io import read_table, write_table
from xrbvo.stages.features import FEATURES, PHOT_FROM
from xrbvo.stages.match.base import COMBINATION_COLUMNS, SOURCE_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
GROUPS = {"XRAY": XRAY, "NEIGHBOUR": NEIGHBOUR, "PHOTOMETRY": PHOTOMETRY, "CATALOGUE": CATALOGUE, "TRUTH": TRUTH,
          "FEATURE_COLUMNS": FEATURE_COLUMNS, "COUNTERPARTS": COUNTERPARTS, "NEIGHBOURS": NEIGHBOURS}
SECONDARY = sorted(s for s, v in SURVEYS.items() if v.kind == "secondary")
#: Family members: one name per class and per counterpart survey.
FAMILY_NAMES = ([f"P_{c}" for c in CLASSES] + [f"P_{c}_CTPT" for c in CLASSES] + [f"P_{c}_field" for c in CLASSES]
                + [f"ctp_{c}" for c in CLASSES]
                + [f"{k}_{s}" for s in SECONDARY for k in ("nid", "row", "sep")])
#: Columns the issue names for the catalogue (some not written yet).
NEW_CATALOGUE = ("ctp_ra", "ctp_dec", "ctp_sep", "ctp_survey", "coverage", "expected_purity", "known_name",
                 "known_class", "known_sep", "new")


def _all_specs():
    for group_name, group in GROUPS.items():
        for name, spec in group.items():
            yield f"{group_name}.{name}", spec
    for name in FAMILY_NAMES:
        yield f"family {name}", column_spec(name)


# -- the declarations ----------------------------------------------------------------------

@pytest.mark.parametrize("label,spec", list(_all_specs()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_declared_column_is_complete(label, spec):
    assert isinstance(spec, ColumnSpec), label
    assert spec.unit is not None, f"{label}: unit unknown; declare it, or '' for dimensionless"
    if spec.unit:
        unit = u.Unit(spec.unit)
        assert u.Unit(unit.to_string("fits"), format="fits") == unit, label
    assert spec.ucd and check_ucd(spec.ucd, check_controlled_vocabulary=True), f"{label}: bad UCD {spec.ucd!r}"
    assert spec.description and spec.description.isascii() and "\n" not in spec.description, label


def test_a_name_means_one_unit_whatever_the_table():
    seen: dict[str, tuple[str, str]] = {}
    for label, spec in _all_specs():
        if spec.name in seen:
            assert spec.unit == seen[spec.name][1], f"{label} and {seen[spec.name][0]} disagree on the unit"
        else:
            seen[spec.name] = (label, spec.unit)


def test_features_and_association_columns_are_declared():
    names = (set(FEATURES) | {c for cols in PHOT_FROM.values() for c in cols} | set(SOURCE_COLUMNS)
             | set(COMBINATION_COLUMNS) | set(FAMILY_NAMES) | set(NEW_CATALOGUE))
    assert sorted(n for n in names if column_spec(n) is None) == []


@pytest.mark.parametrize("name", ["P_FOO", "P_HMXB_ctpt", "nid_erass1", "nid_nosuchsurvey", "ctp_", "sep_", "log_fy"])
def test_unknown_names_are_not_described(name):
    assert column_spec(name) is None


def test_groups_come_before_the_catalogue_meaning():
    assert column_spec("xid").ucd == "meta.id;meta.main"
    assert column_spec("xid", COUNTERPARTS).ucd == "meta.id"
    assert column_spec("ra", NEIGHBOURS).description == NEIGHBOUR["ra"].description
    assert column_spec("ra", None, NEIGHBOURS) == column_spec("ra", NEIGHBOURS)
    assert column_spec("ctp_ra").unit == "deg" and column_spec("ctp_HMXB").unit == ""


# -- describe_table on small tables --------------------------------------------------------

def _value(spec: ColumnSpec, n: int):
    if spec.ucd.startswith(("meta.id", "src.class", "meta.note", "meta.dataset")):
        return np.array(["x"] * n)
    if spec.name in ("candidate", "new"):
        return np.zeros(n, bool)
    if spec.ucd.startswith(("meta.code", "meta.number", "meta.record")):
        return np.zeros(n, np.int16)
    return np.linspace(0.0, 1.0, n)


def _table(names, *groups, n=3) -> Table:
    return Table({name: _value(column_spec(name, *groups), n) for name in names})


def _check(table: Table, *groups) -> None:
    assert undescribed_columns(table, *groups) == []
    for name in table.colnames:
        spec = column_spec(name, *groups)
        col = table[name]
        assert " ".join(col.description.split()) == spec.description, name  # VOTable wraps long text
        assert col.meta["ucd"] == spec.ucd, name
        numeric = col.dtype.kind in "iuf"
        assert col.unit == (u.Unit(spec.unit) if numeric and spec.unit else None), name


def _catalogue_names():
    names = list(CATALOGUE) + [c for c in XRAY if c != "epoch"] + list(FEATURE_COLUMNS)
    names += [c for c in PHOTOMETRY if c not in names]
    return names + [n for n in FAMILY_NAMES if n not in names]


@pytest.mark.parametrize("which", ["catalogue", "counterparts", "neighbours"])
def test_describe_table_describes_every_column(which, tmp_path):
    if which == "catalogue":
        names, groups = _catalogue_names(), (CATALOGUE,)
    elif which == "counterparts":
        names = list(COUNTERPARTS) + [f"{k}_{s}" for s in SECONDARY for k in ("nid", "sep", "row")]
        groups = (COUNTERPARTS,)
    else:
        names, groups = list(NEIGHBOURS) + list(PHOTOMETRY), (NEIGHBOURS,)
    t = _table(names, *groups)
    assert set(undescribed_columns(t, *groups)) >= {n for n in names if column_spec(n, *groups).unit != ""}
    assert describe_table(t, *groups) is t
    _check(t, *groups)
    # and so it stays in the files
    for suffix in (".fits", ".vot"):
        back = read_table(write_table(t, tmp_path / f"{which}{suffix}"))
        assert back.colnames == t.colnames
        _check(back, *groups)
        if suffix == ".vot":
            assert _votable_problems(tmp_path / f"{which}{suffix}", groups) == {}
        else:
            assert _fits_problems(tmp_path / f"{which}{suffix}", groups) == {}


def test_describe_table_names_what_it_cannot_describe_and_changes_nothing():
    t = Table({"xid": ["a"], "mystery": [1.0], "P_FOO": [0.5], "ra": [10.0]})
    with pytest.raises(InputError, match="mystery, P_FOO"):
        describe_table(t)
    assert t["xid"].description is None and t["ra"].unit is None and not t["ra"].meta
    assert undescribed_columns(t) == ["xid", "mystery", "P_FOO", "ra"]


def test_describe_table_drops_a_unit_the_schema_does_not_declare():
    t = Table({"p_any": [0.5], "candidate": [True], "ra": [1.0]})
    t["p_any"].unit = "deg"
    t["ra"].unit = "rad"
    describe_table(t)
    assert t["p_any"].unit is None and t["ra"].unit == u.deg and t["candidate"].unit is None


def test_fits_carries_ucd_and_description_for_other_tools(tmp_path):
    """TOPCAT and Aladin read TUCDn/TCOMMn, not astropy's YAML comments."""
    t = describe_table(Table({"xid": ["a"], "ctp_sep": [1.5], "P_HMXB": [0.1]}))
    hdr = fits.getheader(write_table(t, tmp_path / "t.fits"), 1)
    assert (hdr["TUCD1"], hdr["TUCD2"], hdr["TUNIT2"], hdr["TUCD3"]) == ("meta.id;meta.main", "pos.angDistance",
                                                                         "arcsec", "stat.probability")
    assert hdr["TCOMM3"] == column_spec("P_HMXB").description
    # a FITS file written elsewhere (no astropy YAML block) gets them back on reading, and the meta stays clean
    plain = Table({"xid": ["a"], "ctp_sep": [1.5]}, meta={"TUCD2": "pos.angDistance", "TCOMM2": "a separation"})
    plain.write(tmp_path / "plain.fits")
    back = read_table(tmp_path / "plain.fits")
    assert back["ctp_sep"].meta["ucd"] == "pos.angDistance" and back["ctp_sep"].description == "a separation"
    assert "TUCD2" not in back.meta and "TCOMM2" not in back.meta


# -- what the files say --------------------------------------------------------------------

def _problem(name: str, unit, ucd, description, groups) -> str | None:
    spec = column_spec(name, *groups)
    missing = []
    if not unit and not (spec is not None and spec.dimensionless):
        missing.append("unit (and not declared dimensionless)")
    if not ucd:
        missing.append("UCD")
    if not description:
        missing.append("description")
    if unit and spec is not None and spec.unit is not None and u.Unit(unit) != u.Unit(spec.unit or ""):
        missing.append(f"the schema's unit ({unit!r} written, {spec.unit!r} declared)")
    return ", ".join(missing) or None


def _fits_problems(path: Path, groups) -> dict[str, str]:
    hdr = fits.getheader(path, 1)
    out = {}
    for i in range(1, hdr["TFIELDS"] + 1):
        name = hdr[f"TTYPE{i}"]
        p = _problem(name, hdr.get(f"TUNIT{i}"), hdr.get(f"TUCD{i}"), hdr.get(f"TCOMM{i}"), groups)
        if p:
            out[name] = p
    return out


def _votable_problems(path: Path, groups) -> dict[str, str]:
    out = {}
    for field in parse_votable(str(path)).get_first_table().fields:
        unit = field.unit.to_string() if field.unit is not None else None
        p = _problem(field.name, unit, field.ucd, field.description, groups)
        if p:
            out[field.name] = p
    return out


def _report(problems: dict[str, str]) -> str:
    return f"{len(problems)} column(s) lack metadata:\n" + "\n".join(f"  {k}: no {v}" for k, v in problems.items())


@pytest.fixture(scope="module")
def demo_out(demo_run):
    """The shared demo run (conftest.demo_run); the companions are written as FITS only: their VOTable,
    through xrbvo's writer, from what xrbvo reads back."""
    for which in ("counterparts", "neighbours"):
        write_table(read_table(demo_run / f"xrbvo_demo_{which}.fits"), demo_run / f"xrbvo_demo_{which}.vot")
    return demo_run


@pytest.mark.slow
def test_the_catalogue_votable_carries_the_policy(demo_out):
    from astropy.io.votable import parse

    infos = {i.name: i.value for r in parse(str(demo_out / "xrbvo_demo_catalogue.vot")).resources for i in r.infos}
    for key in ("POLICY", "SAMPLE", "PRIORS", "SELPRIOR", "CUTS", "MODEL", "MODELSHA", "COUNTERP"):
        assert infos.get(key), f"the VOTable carries no INFO {key}"
    assert infos["POLICY"].startswith("xrbvo-policy/")
    hdr = fits.getheader(demo_out / "xrbvo_demo_catalogue.fits", 1)
    assert hdr["POLICY"] == infos["POLICY"] and hdr["CUTS"] == infos["CUTS"]


OUTPUTS = [("catalogue", CATALOGUE), ("counterparts", COUNTERPARTS), ("neighbours", NEIGHBOURS)]


@pytest.mark.slow
@pytest.mark.parametrize("which,group", OUTPUTS, ids=[o[0] for o in OUTPUTS])
@pytest.mark.parametrize("suffix", [".fits", ".vot"])
def test_demo_outputs_describe_every_column(demo_out, which, group, suffix):
    path = demo_out / f"xrbvo_demo_{which}{suffix}"
    problems = (_fits_problems if suffix == ".fits" else _votable_problems)(path, (group,))
    assert problems == {}, f"{path.name}: {_report(problems)}"
    assert undescribed_columns(read_table(path), group) == []


@pytest.mark.slow
def test_demo_catalogue_gives_the_chosen_counterparts_position(demo_out):
    t = read_table(demo_out / "xrbvo_demo_catalogue.fits")
    missing = [c for c in ("ctp_ra", "ctp_dec", "ctp_sep", "ctp_survey") if c not in t.colnames]
    assert missing == [], f"the catalogue lacks {', '.join(missing)}"
    has = np.asarray(t["ctp_survey"]).astype(str) != ""
    sep = np.asarray(t["ctp_sep"], float)[has]
    assert has.any() and np.all((sep >= 0) & (sep <= 20.0))  # within the demo's search radius
