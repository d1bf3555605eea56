"""More real XRBs (issue 24, items 3 and 5): Neumann et al. rows, duplicates, class-blind masking, no-counterpart copies."""

import numpy as np
import pytest
from astropy.table import Table

from tests._mldata import DATA, LABELLED, need
from xrbvo.core import physics
from xrbvo.core.errors import InputError
from xrbvo.stages.classify.augment import (XRAY_ONLY_FEATURES, AugmentConfig, PlaneAugmenter,
                                           catalogue_view_copies, no_counterpart_copies)
from xrbvo.stages.classify.xrbcats import load_neumann2023, soft_conversion
from xrbvo.stages.features import FEATURES

NEUMANN = DATA / "catalogs" / "xrbcats_hmxb_neumann2023.csv"


def _neumann_table(path):
    # four rows: one at a labelled position, one named by its Chandra ID, one new, one without an X-ray flux
    t = Table({"Name": ["Near", "Named", "New", "NoFlux"], "RAdeg": [10.0, 50.0, 100.0, 150.0],
               "DEdeg": [20.0, -30.0, 5.0, 1.0], "Gmag": [12.5, 13.0, 14.0, 15.0], "Jmag": [10.0, 11.0, 11.5, 12.0],
               "Hmag": [9.8, 10.8, 11.2, 11.9], "Kmag": [9.7, 10.7, 11.0, 11.8], "W1mag": [9.6, 10.6, 10.9, 11.7],
               "W2mag": [9.5, 10.5, 10.8, 11.6], "N_H": [np.nan, np.nan, 10.0, np.nan],
               "Min_Soft_Flux": [1.0, 1.0, 0.5, np.nan], "Max_Soft_Flux": [2.0, 2.0, 8.0, np.nan],
               "Mean_Dist": [2000.0, 3000.0, 4000.0, 5000.0],
               "Chandra_ID": ["", "J032000.0-300000", "", ""]})
    t.write(path, format="ascii.csv")
    return path


def test_neumann_rows_load_with_the_stated_conversions_and_without_duplicates(tmp_path):
    path = _neumann_table(tmp_path / "neumann.csv")
    ex = load_neumann2023(path, labelled_names=["2CXO J032000.0-300000", "2CXO J000000.0+000000"],
                          labelled_ra=[10.0 + 3.0 / 3600 / np.cos(np.radians(20.0)), 0.0], labelled_dec=[20.0, 0.0])
    assert ex.report["n_duplicate_position"] == 1 and ex.report["n_duplicate_name"] == 1
    assert ex.report["n_duplicate"] == 2 and ex.report["n_no_flux"] == 1 and ex.report["n_used"] == 1
    assert list(ex.names) == ["New"] and list(ex.labels) == ["HMXB"]
    f = ex.features
    assert f["G"][0] == 14.0 and f["K"][0] == 11.0 and f["W1"][0] == 10.9
    assert f["log_dist"][0] == pytest.approx(np.log10(4000.0))
    # soft flux: sqrt(min x max) x 1e-12 in 0.3-10 keV, to 0.5-2 keV through Gamma = 1 and N_H = 10 x 1e21
    f_ref = np.sqrt(0.5 * 8.0) * 1e-12
    ratio = (physics.absorbed_band_flux(1.0, 1.0, 1e22, (0.5, 2.0), ref_band=(0.3, 10.0))
             / physics.absorbed_band_flux(1.0, 1.0, 1e22, (0.3, 10.0), ref_band=(0.3, 10.0)))
    assert f["log_fx"][0] == pytest.approx(np.log10(f_ref * ratio[0]), abs=1e-9)
    assert 0.02 < soft_conversion(1e22)[0] < 0.2  # an absorbed hard spectrum keeps little below 2 keV
    # what the catalogue lacks is missing for every row, and named
    assert {"BP", "RP", "plx_sig", "pm_tot", "ruwe", "hr", "xvar_prob"} <= set(ex.absent)
    assert not np.isfinite(f["hr"][0]) and not np.isfinite(f["BP_RP"][0])
    assert "G" not in ex.absent and "log_fx" not in ex.absent


def test_the_shared_neumann_catalogue_adds_only_objects_not_labelled():
    from xrbvo.stages.classify.labelled import load_labelled

    ls = load_labelled(need(LABELLED))
    ex = load_neumann2023(need(NEUMANN), labelled_names=ls.names, labelled_ra=ls.ra, labelled_dec=ls.dec)
    # 25 of the 26 labelled HMXBs are in the catalogue, found both by position and by Chandra name
    assert ex.report["n_duplicate"] == ex.report["n_duplicate_position"] == ex.report["n_duplicate_name"] == 25
    assert ex.report["n_used"] == 169 - 25 - ex.report["n_no_flux"] > 100
    assert len(set(ex.names)) == len(ex.names)
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    import pandas as pd

    raw = pd.read_csv(NEUMANN).set_index("Name").loc[list(ex.names)]
    _, sep, _ = SkyCoord(raw["RAdeg"].values * u.deg, raw["DEdeg"].values * u.deg).match_to_catalog_sky(
        SkyCoord(ls.ra * u.deg, ls.dec * u.deg))
    assert sep.arcsec.min() > 5.0


def test_catalogue_masking_is_the_same_for_every_class():
    rng = np.random.default_rng(1)
    view = ["BP", "RP", "plx_sig", "hr"]
    cols = [FEATURES.index(f) for f in view]
    X = rng.normal(size=(60, len(FEATURES)))
    y = np.array(["HMXB"] * 10 + ["AGN"] * 40 + ["CV"] * 10)
    X[:5, cols] = np.nan  # five HMXB rows come from a catalogue that lacks these features
    Xc, yc = catalogue_view_copies(X, y, FEATURES, view, rng)
    Xa, ya = np.vstack([X, Xc]), np.concatenate([y, yc])
    in_view = np.all(np.isnan(Xa[:, cols]), axis=1)
    for c in ("HMXB", "AGN", "CV"):
        assert np.mean(in_view[ya == c]) == pytest.approx(0.5)  # P(view | class) the same for every class
    other = [i for i in range(len(FEATURES)) if i not in cols]
    assert np.isfinite(Xc[:, other]).all()  # only the catalogue's absent features are blanked
    # without a view, nothing is added (the default training is unchanged)
    assert len(catalogue_view_copies(X, y, FEATURES, (), rng)[1]) == 0


def test_no_counterpart_copies_reach_each_class_rate_and_keep_the_xray_features():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, len(FEATURES)))
    y = np.array(["AGN"] * 50 + ["STAR"] * 30 + ["NS"] * 20)
    ctp = [i for i, f in enumerate(FEATURES) if f not in XRAY_ONLY_FEATURES]
    X[80:, ctp] = np.nan  # the NS have no counterpart
    rates = {"AGN": 0.3, "STAR": 0.25, "NS": 0.25}
    Xc, yc = no_counterpart_copies(X, y, FEATURES, rates, rng)
    Xa, ya = np.vstack([X, Xc]), np.concatenate([y, yc])
    none = np.all(np.isnan(Xa[:, ctp]), axis=1)
    assert 0.3 <= np.mean(none[ya == "AGN"]) < 0.32 and 0.25 <= np.mean(none[ya == "STAR"]) < 0.27
    assert np.sum(yc == "NS") == 0  # already above its rate
    xo = [FEATURES.index(f) for f in XRAY_ONLY_FEATURES]
    assert np.isfinite(Xc[:, xo]).all()


def test_extra_rows_enter_the_fit_only_and_keep_the_labelled_class_mix():
    from xrbvo.stages.classify.classifier import SourceClassifier

    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, len(FEATURES)))
    y = np.array(["AGN"] * 30 + ["HMXB"] * 10 + ["STAR"] * 20)
    extra = rng.normal(size=(12, len(FEATURES)))
    extra[:, FEATURES.index("hr")] = np.nan
    aug = {"copies_extragalactic": 0, "copies_galactic": 0, "extra_features": list(FEATURES),
           "extra_rows": [[None if not np.isfinite(v) else float(v) for v in r] for r in extra],
           "extra_labels": ["HMXB"] * 12, "view_features": ["hr"]}
    m = SourceClassifier(n_estimators=5, max_depth=2, augment=aug, n_jobs=1).fit(X, y, feature_names=FEATURES)
    step = m.pipeline_.named_steps["augment"]
    assert step.n_extra_ == 12 and step.n_view_copies_ == 60 + 12  # every labelled row copied, HMXB balanced
    np.testing.assert_allclose(m.train_priors_, [0.5, 10 / 60, 20 / 60])  # the labelled mix, extra rows aside
    assert m.predict_proba(X[:3]).shape == (3, 3)
    with pytest.raises(InputError, match="classes the labelled set lacks"):
        PlaneAugmenter(FEATURES, ["AGN", "STAR"], AugmentConfig.from_dict(aug)).fit_resample(X[:50], y[:50])


def test_train_command_adds_the_neumann_hmxbs_and_counterpart_less_copies_and_records_them(tmp_path):
    import json

    from xrbvo.cli.entry import main

    d = tmp_path / "model"
    rc = main(["-q", "train", "--labels", str(need(LABELLED)), "--out", str(d), "--quick", "--no-augment",
               "--counterpart-model", "none", "--extra-hmxb", str(need(NEUMANN)), "--no-counterpart-copies"])
    assert rc == 0
    meta = json.loads((d / "metadata.json").read_text())
    assert meta["extra_training_rows"]["report"]["n_duplicate"] == 25
    assert meta["extra_training_rows"]["n_rows"] == len(meta["params"]["augment"]["extra_rows"]) > 100
    assert "hr" in meta["extra_training_rows"]["masked_for_every_class"]
    assert meta["no_counterpart_rates"]["NS"] == 1.0 and meta["no_counterpart_rates"]["AGN"] > 0.3
    assert meta["training_counts"]["HMXB"] == 26  # the class mix is the labelled table's


def test_extra_hmxb_option_finds_the_shared_catalogue_beside_the_labels_or_says_none(tmp_path):
    from xrbvo.cli.commands.train import NEUMANN_FILE, extra_hmxb_file
    from xrbvo.core.errors import InputError

    labels = tmp_path / "labelled" / "l.csv"
    labels.parent.mkdir()
    labels.write_text("x\n")
    path, note = extra_hmxb_file("auto", labels)
    assert path is None and NEUMANN_FILE in note and "--extra-hmxb FILE" in note
    cat = tmp_path / "catalogs" / NEUMANN_FILE
    cat.parent.mkdir()
    cat.write_text("Name\n")
    path, note = extra_hmxb_file("auto", labels)
    assert path == cat.resolve() and str(cat.resolve()) in note
    assert extra_hmxb_file("none", labels) == (None, "--extra-hmxb none")
    assert extra_hmxb_file(str(cat), labels)[0] == cat
    with pytest.raises(InputError, match="no such file"):
        extra_hmxb_file(str(tmp_path / "missing.csv"), labels)
