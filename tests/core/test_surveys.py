import numpy as np
import pytest

from xrbvo.core.errors import UnknownSurveyError
from xrbvo.core.surveys import SURVEYS, ErrorModel, get_survey


def test_registry_holds_the_five_surveys_with_real_names():
    assert {"gaia", "2mass", "vvv", "catwise", "erass1"} <= set(SURVEYS)
    g = get_survey("Gaia_DR3")
    assert g.table == "gaiadr3.gaia_source" and g.columns["G"] == "phot_g_mean_mag" and g.epoch == 2016.0
    assert get_survey("2MASS").table == '"II/246/out"'
    assert get_survey("catwise2020").columns["W1"] == "W1mproPM"
    assert get_survey("erass1").columns["flux_soft"] == "ML_FLUX_1"
    assert set(get_survey("gaia").bands) == {"G", "BP", "RP"}


def test_unknown_survey_names_the_known_ones():
    with pytest.raises(UnknownSurveyError, match="choose one of 2mass, catwise, erass1, gaia, vphas, vvv"):
        get_survey("hubble")


def test_error_model_units_floor_and_defaults():
    m = ErrorModel(column="e", unit="mas", floor_arcsec=0.3)
    out = m.apply(np.array([400.0, np.nan, -1.0]))
    assert out[0] == pytest.approx(np.hypot(0.4, 0.3))
    assert out[1] == pytest.approx(np.hypot(m.default_arcsec, 0.3))
    assert out[2] == pytest.approx(np.hypot(m.default_arcsec, 0.3))
    rms = ErrorModel(column="a", column2="b", combine="mean2").apply(np.array([3.0]), np.array([4.0]))
    assert rms[0] == pytest.approx(np.sqrt(12.5))
