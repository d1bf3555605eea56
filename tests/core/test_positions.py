"""The one position parser (xrbvo.core.positions): X-ray files, survey catalogues, known objects and TAP answers."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.table import Table

from xrbvo.core.errors import InputError, XrbvoWarning
from xrbvo.core.positions import parse_angle, parse_angles
from xrbvo.io import read_table, standardise_xray
from xrbvo.io.known import read_known
from xrbvo.stages.neighbourhoods import standardise_catalogue

_VOT = ('<?xml version="1.0"?><VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
        '<RESOURCE type="results"><INFO name="QUERY_STATUS" value="OK"/><TABLE>'
        '<FIELD name="source_id" datatype="char" arraysize="*"/><FIELD name="ra" datatype="char" arraysize="*"/>'
        '<FIELD name="dec" datatype="char" arraysize="*"/><DATA><TABLEDATA>{rows}</TABLEDATA></DATA></TABLE>'
        '</RESOURCE></VOTABLE>')


def _tap_answer(rows) -> Table:
    """A TAP service's answer with positions as text, read by xrbvo's TAP client."""
    from xrbvo.vo.tap import TapClient

    body = "".join(f"<TR><TD>{i}</TD><TD>{r}</TD><TD>{d}</TD></TR>" for i, (r, d) in enumerate(rows))
    table, status = TapClient("http://127.0.0.1:9/tap")._parse(_VOT.format(rows=body).encode(), "http://x/sync")
    assert status == "OK"
    return table


@pytest.mark.parametrize("text, kind, deg", [
    ("185.24086", "ra", 185.24086), ("-62.5", "dec", -62.5), ("1.2e2", "ra", 120.0),
    ("12:30:00", "ra", 187.5), ("12 30 00", "ra", 187.5), ("12h30m00s", "ra", 187.5), ("12h30m", "ra", 187.5),
    ("12.5h", "ra", 187.5), ("187d30m", "ra", 187.5), ("+12:30", "ra", 187.5),
    ("-62:14:30.2", "dec", -(62 + 14 / 60 + 30.2 / 3600)), ("-00:30:00", "dec", -0.5), ("\u22120:30:00", "dec", -0.5),
    ("-61d23m45s", "dec", -(61 + 23 / 60 + 45 / 3600)), ("-61°23′45″", "dec", -(61 + 23 / 60 + 45 / 3600)),
    ("-71:46:60.0", "dec", -(71 + 47 / 60)),  # a rounding carry, as the Open CV Catalog holds
    ("+90:00:00", "dec", 90.0), ("", "ra", np.nan), ("nan", "dec", np.nan), ("--", "ra", np.nan),
])
def test_accepted_spellings(text, kind, deg):
    got = parse_angle(text, kind)
    assert (np.isnan(got) and np.isnan(deg)) or got == pytest.approx(deg, abs=1e-9)


@pytest.mark.parametrize("text, kind, why", [
    ("17:99:99", "ra", "99 minutes: minutes must be below 60"),
    ("-29:75:80", "dec", "75 minutes: minutes must be below 60"),
    ("-29:15:80", "dec", "80 seconds: seconds must be below 60"),
    ("12:60:00", "ra", "60 minutes"),
    ("-01:00:00", "ra", "a negative right ascension"),
    ("12,5", "ra", "a comma: write decimals with a point"),
    ("24:00:00", "ra", r"RA in hours must lie in \[0, 24\)"),
    ("360", "ra", r"RA must lie in \[0, 360\) degrees"),
    ("+91:00:00", "dec", r"Dec must lie in \[-90, 90\]"),
    ("12h", "dec", "a declination is in degrees, not hours"),
    ("12.5:30:00", "ra", "only the last field may have decimals"),
    ("inf", "ra", "not a number nor a sexagesimal angle"),
    ("1e400", "dec", "not a finite number"),
    ("12:30:00.5.5", "ra", "not a number nor a sexagesimal angle"),
])
def test_refused_spellings(text, kind, why):
    with pytest.raises(InputError, match=why):
        parse_angle(text, kind)


def test_a_column_names_the_table_the_row_and_the_column():
    with pytest.raises(InputError, match=r"^t\.csv: row 2: cannot read RAJ2000 '17:99:99' \(99 minutes"):
        parse_angles(["12:00:00", 187.5, "17:99:99"], "ra", source="t.csv", column="RAJ2000")
    got = parse_angles([b"12:00:00", 10, None, "x"], "ra", mask=[False, False, False, True])
    assert got[:2].tolist() == [180.0, 10.0] and np.isnan(got[2:]).all()


def test_decimal_text_beside_sexagesimal_is_degrees(tmp_path):
    """26.7: RA 185.24086 as text in a column that also holds sexagesimal RA was read as hours (258.61 deg)."""
    p = tmp_path / "x.csv"
    p.write_text("name,RA,DEC,POS_ERR,ML_FLUX_1,flux_hard\nA,12:00:00,-60:00:00,2,1e-13,1e-13\n"
                 "B,185.24086,-62:14:30.2,2,1e-13,1e-13\n")
    x = standardise_xray(read_table(p), source=str(p))
    assert x["ra"].tolist() == pytest.approx([180.0, 185.24086], abs=1e-9)
    assert x["dec"][1] == pytest.approx(-(62 + 14 / 60 + 30.2 / 3600), abs=1e-9)


@pytest.mark.parametrize("ra, dec, message", [
    ("17:99:99", "-29:00:00", r"row 1: cannot read RA '17:99:99' \(99 minutes"),
    ("17:45:00", "-29:75:80", r"row 1: cannot read DEC '-29:75:80' \(75 minutes"),
    ("-01:00:00", "10:00:00", r"row 1: cannot read RA '-01:00:00' \(a negative right ascension"),
    ('"12,5"', "-5", r"row 1: cannot read RA '12,5' \(a comma"),
])
def test_bad_positions_in_an_xray_file_are_refused(tmp_path, ra, dec, message):
    """26.7: each was read (17:99:99 as 18:40:39, -01:00:00 as 345 deg, 12,5 as 12) or refused without a reason."""
    p = tmp_path / "x.csv"
    p.write_text(f"name,RA,DEC\nA,12:00:00,-60:00:00\nB,{ra},{dec}\n")
    with pytest.raises(InputError, match=message):
        standardise_xray(read_table(p), source=str(p))


@pytest.mark.parametrize("ra, dec, message", [
    ("17:99:99", "-29:00:00", "row 2: cannot read RA '17:99:99'"),
    ("17:45:00", "-29:75:80", "row 2: cannot read Dec '-29:75:80'"),
    ("12,5", "-5", "row 2: cannot read RA '12,5'"),
    ("-01:00:00", "10:00:00", "row 2: cannot read RA '-01:00:00'"),
])
def test_bad_positions_in_a_known_table_from_a_file_or_tap_are_refused(tmp_path, ra, dec, message):
    """26.7: a known table (a file, or a Table as a TAP service answers) took 17:99:99 and -29:75:80, and read 12,5 as 12."""
    rows = [("12:00:00", "-60:00:00"), (ra, dec)]
    with pytest.raises(InputError, match=message):
        read_known(Table({"name": ["A", "B"], "ra": [r for r, _ in rows], "dec": [d for _, d in rows]}))
    p = tmp_path / "known.csv"
    p.write_text("name,ra,dec\n" + "".join(f'{n},"{r}","{d}"\n' for n, (r, d) in zip("AB", rows)))
    with pytest.raises(InputError, match=message):
        read_known(p)


def test_known_alternatives_give_the_first_and_a_decimal_comma_is_refused():
    t = read_known(Table({"name": ["A"], "ra": ["15:44:28.1324,15:44:28.10"], "dec": ["+33:57:24.302,+33:57:26.4"]}))
    assert t["ra"][0] == pytest.approx((15 + 44 / 60 + 28.1324 / 3600) * 15)
    with pytest.raises(InputError, match="a comma"):
        read_known(Table({"name": ["A"], "ra": ["12,13"], "dec": ["5"]}))


@pytest.mark.parametrize("ra, dec, message", [
    ("17:99:99", "-29:00:00", r"row 1: cannot read ra '17:99:99'"),
    ("17:45:00", "-29:75:80", r"row 1: cannot read dec '-29:75:80'"),
    ("-01:00:00", "10:00:00", r"row 1: cannot read ra '-01:00:00'"),
])
def test_bad_positions_in_a_tap_answer_are_refused(ra, dec, message):
    """26.7: a survey's TAP answer with positions as text goes through the same parser."""
    t = _tap_answer([("12:00:00", "-60:00:00"), (ra, dec)])
    with pytest.raises(InputError, match=message):
        standardise_catalogue(t, "gaia", source="TAP gaia")
    with pytest.warns(XrbvoWarning, match="no G/BP/RP magnitudes"):  # a positions-only answer
        good = standardise_catalogue(_tap_answer([("12:00:00", "-60:00:00"), ("185.24086", "-62:14:30.2")]), "gaia")
    assert good["ra"].tolist() == pytest.approx([180.0, 185.24086], abs=1e-9)


def test_typed_positions_use_the_same_parser():
    """A position typed in explore or given to `xrbvo samp point`: -01:00:00 was 345 deg there too."""
    from xrbvo.cli.commands.samp import parse_position as samp_position
    from xrbvo.workflows.live import parse_position

    p = parse_position("17h45m36s -29d00m00s")
    assert (p.ra_deg, p.dec_deg) == pytest.approx((266.4, -29.0))
    for text, why in (("-01:00:00 +10:00:00", "a negative right ascension"), ("12:00:00 -29:75:80", "75 minutes")):
        with pytest.raises(InputError, match=why):
            parse_position(text)
    assert samp_position("17:33:24", "-24:43:12") == pytest.approx((263.35, -24.72))
    with pytest.raises(InputError, match=r"cannot read the position '-01:00:00' '5': .*a negative right ascension"):
        samp_position("-01:00:00", "5")
