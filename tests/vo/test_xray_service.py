"""X-ray sources from a TAP service: ``xrbvo run SERVICE:TABLE --region`` (and ``explore``), through the local DaCHS
serving the simulated release under VizieR's column names, equal to the run on the file."""

from __future__ import annotations

import numpy as np
import pytest
from _dachs import dachs, skies  # noqa: F401  (dachs is a fixture)
from astropy.table import Table

from xrbvo.cli.entry import main
from xrbvo.core.regions import parse_region
from xrbvo.io import is_erass1_main, write_table
from xrbvo.io.erass1 import erass1_service_names
from xrbvo.vo.tap.adql import region_adql

REGION = "gal:299,301,-1,1"
#: VizieR's column names of J/A+A/682/A34/erass1-m that xrbvo reads.
VIZIER = ["IAUName", "DetUId", "RA_ICRS", "DE_ICRS", "RAJ2000", "DEJ2000", "posErr", "MLFlux1", "e_MLFlux1",
          "DetLike0", "ExtLike", "UIDHard", "FlagSpSnr", "FlagSpGcCons"]


def test_vizier_names_are_read_as_the_release():
    names = erass1_service_names(VIZIER)
    assert names["IAUName"] == "IAUNAME" and (names["RA_ICRS"], names["DE_ICRS"]) == ("RA", "DEC")
    assert (names["MLFlux1"], names["e_MLFlux1"], names["DetLike0"], names["ExtLike"]) == (
        "ML_FLUX_1", "ML_FLUX_ERR_1", "DET_LIKE_0", "EXT_LIKE")
    assert (names["UIDHard"], names["FlagSpGcCons"], names["posErr"]) == ("UID_Hard", "FLAG_SP_GC_CONS", "POS_ERR")
    assert "RAJ2000" not in names  # one position pair
    t = Table({c: [1.0] for c in VIZIER})
    t.rename_columns(list(names), list(names.values()))
    assert is_erass1_main(t)
    assert erass1_service_names(["IAUNAME", "RA", "DEC", "ML_FLUX_1"]) == {}  # the release's own names stay


def test_a_galactic_box_is_asked_as_a_cone_that_holds_it():
    r = parse_region("gal:350,10,-5,5")  # wraps through l = 0
    adql = region_adql("erass1.main", "RA", "DEC", r)
    ra0, dec0, rad = (float(x) for x in adql.split("CIRCLE('ICRS', ")[1].rstrip(")").split(", "))
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    lon, lat = np.meshgrid(np.linspace(350, 370, 41), np.linspace(-5, 5, 21))
    box = SkyCoord(l=lon.ravel() * u.deg, b=lat.ravel() * u.deg, frame="galactic")
    sep = SkyCoord(ra0 * u.deg, dec0 * u.deg).separation(box).deg
    assert sep.max() <= rad < sep.max() * 1.05


def test_a_service_without_a_region_is_one_line(tmp_path, capsys):
    rc = main(["-q", "explore", "vizier:J/A+A/682/A34/erass1-m", "--model", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "give --region" in err, err


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::xrbvo.core.errors.XrbvoWarning")
def test_run_on_a_service_table_equals_the_run_on_the_file(dachs, demo_run, tmp_path, capsys):
    """The DaCHS serves the demo field's release as erass1dr1.main under VizieR's names (scripts/dachs/load.py);
    `run URL:erass1dr1.main --region` pulls the region and gives the catalogue of `run eRASS1_Main.fits --region`.
    The file is written without header keywords, as a service's table carries none."""
    from xrbvo.cli._ui import UI
    from xrbvo.cli.commands.explore import explore_table
    from xrbvo.cli.entry import build_parser
    from xrbvo.sim import SkyConfig, simulate_sky
    from xrbvo.sim.erass1 import release_tables

    sky = simulate_sky(SkyConfig(**skies()["demo"]))
    main_t, hard_t = release_tables(sky)
    main_t.meta = {}
    write_table(main_t, tmp_path / "eRASS1_Main.fits")
    write_table(hard_t, tmp_path / "eRASS1_Hard.fits")
    for name, t in sky.catalogs.items():
        write_table(t, tmp_path / f"{name}.fits")
    service = f"{dachs.url}:erass1dr1.main"
    opts = ["--hard", str(tmp_path / "eRASS1_Hard.fits"), "--region", REGION]
    common = ["--model", str(demo_run / "model"), *opts, "--no-report", "--tile-deg", "0",
              *[a for s in ("gaia", "2mass", "catwise") for a in ("--catalog", f"{s}={tmp_path / (s + '.fits')}")]]
    assert main(["-q", "run", str(tmp_path / "eRASS1_Main.fits"), *common, "--out", str(tmp_path / "file")]) == 0
    assert main(["-q", "run", service, *common, "--cache", str(tmp_path / "cache"), "--timeout", "300",
                 "--out", str(tmp_path / "service")]) == 0
    out = capsys.readouterr().out
    assert "EXT_LIKE <= 0: removed" in out and f"region {REGION}" in out
    a, b = Table.read(tmp_path / "file" / "xrbvo_catalogue.fits"), Table.read(tmp_path / "service" /
                                                                             "xrbvo_catalogue.fits")
    assert 20 < len(a) == len(b) and {"xid", "P_HMXB", "candidate_class", "hr", "hard_assoc"} <= set(b.colnames)
    # in_row is the row of the input as read: the file holds the whole field, the service's answer only the
    # region's rows, so it differs by construction; every other column is the same
    for c in [c for c in a.colnames if c in b.colnames and c != "in_row"]:
        x, y = np.asarray(a[c]), np.asarray(b[c])
        same = np.array_equal(x, y, equal_nan=True) if x.dtype.kind == "f" else np.array_equal(x, y)
        assert same, f"column {c} differs"
    assert np.isfinite(np.asarray(b["hr"], float)).any() and b.meta["NRMEXT"] + b.meta["NRMFLAG"] > 0
    # explore reads the service's table as run does: the same sources
    args = build_parser().parse_args(["explore", service, "--model", str(demo_run / "model"), *opts,
                                      "--cache", str(tmp_path / "cache"), "--no-samp"])
    table = explore_table(args, UI(quiet=True))
    assert sorted(np.asarray(table["xid"]).astype(str)) == sorted(np.asarray(a["xid"]).astype(str))
