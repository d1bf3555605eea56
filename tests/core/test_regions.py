"""Sky regions of ``xrbvo run --region``: parsing, wrapping longitudes, edges, errors (pure, no I/O)."""

from __future__ import annotations

import numpy as np
import pytest

from xrbvo.core.errors import InputError
from xrbvo.core.regions import Region, parse_region, select_region


def test_galactic_box_wraps_through_360():
    r = parse_region("gal:350,10,-5,5")
    assert r == Region("gal", (350.0, 10.0, -5.0, 5.0)) and r.width_deg == 20.0
    inside = r.contains_lonlat([350.0, 355.0, 0.0, 10.0, 10.5, 349.5, 180.0, 0.0], [0, 0, 0, 5, 0, 0, 0, 5.01])
    assert inside.tolist() == [True, True, True, True, False, False, False, False]


def test_longitudes_are_taken_modulo_360_and_0_360_is_everything():
    assert parse_region("gal:-10,10,-1,1").contains_lonlat([355.0, 5.0, 15.0], [0, 0, 0]).tolist() == \
        [True, True, False]
    full = parse_region("eq:0,360,-90,90")
    assert full.width_deg == 360.0
    assert full.contains_lonlat([0.0, 123.0, 359.999], [-90.0, 0.0, 90.0]).all()


def test_equatorial_box_and_cone_select_icrs_positions():
    ra = np.array([10.0, 10.0, 30.0, 359.5, 0.5])
    dec = np.array([0.0, 25.0, 0.0, 0.0, 0.0])
    assert select_region("eq:5,15,-20,20", ra, dec).tolist() == [True, False, False, False, False]
    assert select_region("eq:359,1,-1,1", ra, dec).tolist() == [False, False, False, True, True]
    assert select_region("cone:0,0,0.6", ra, dec).tolist() == [False, False, False, True, True]
    # a point on the cone's edge belongs to it
    assert parse_region("cone:10,0,20").contains([30.0], [0.0]).tolist() == [True]


def test_galactic_box_uses_galactic_coordinates():
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    c = SkyCoord(l=[300.0, 300.0, 5.0] * u.deg, b=[0.0, 3.0, 0.0] * u.deg, frame="galactic").icrs
    assert select_region("gal:295,305,-1,1", c.ra.deg, c.dec.deg).tolist() == [True, False, False]
    assert select_region("gal:355,10,-1,1", c.ra.deg, c.dec.deg).tolist() == [False, False, True]


def test_missing_positions_are_outside():
    assert parse_region("cone:0,0,5").contains([np.nan, 0.0], [0.0, np.nan]).tolist() == [False, False]


@pytest.mark.parametrize("text, match", [
    ("box:1,2,3,4", "write gal:"),
    ("gal 1,2,3,4", "write gal:"),
    ("gal:1,2,3", "takes 4 numbers"),
    ("cone:1,2", "takes 3 numbers"),
    ("eq:a,2,3,4", "must be a number"),
    ("eq:1,2,nan,4", "finite"),
    ("gal:1,2,5,-5", "b1 must be below b2"),
    ("eq:1,2,-95,0", "dec1 and dec2 must lie in -90..90"),
    ("gal:10,10,-1,1", "is empty"),
    ("cone:1,95,1", "declination"),
    ("cone:1,2,0", r"radius must be in \(0, 180\]"),
])
def test_bad_regions_are_one_clear_input_error(text, match):
    with pytest.raises(InputError, match=match):
        parse_region(text)


def test_str_round_trips():
    for text in ("gal:350,10,-5,5", "eq:1.5,2,-3,4", "cone:266.4,-29,0.5"):
        assert parse_region(str(parse_region(text))) == parse_region(text)
