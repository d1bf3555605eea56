import numpy as np
import pytest
from astropy.table import Table

from xrbvo.stages.catalogue import write_catalogue
from xrbvo.core.errors import InputError
from xrbvo.pipeline import PipelineConfig, run_pipeline
from xrbvo.stages.neighbourhoods import SimProvider
from xrbvo.core.schema import CLASSES


def test_pipeline_on_a_small_sky(tmp_path, small_sky, small_xray, small_model):
    model, ts = small_model
    calls = []
    res = run_pipeline(small_xray, SimProvider(small_sky), model, selection_priors=ts.reference_priors,
                       config=PipelineConfig(counterparts="nway"), cuts={"HMXB": 0.5, "LMXB": 0.5},
                       progress=lambda m, f: calls.append((m, f)))
    cat = res.catalogue
    assert len(cat) == len(small_xray) and list(cat["xid"]) == list(small_xray["xid"])
    p = np.column_stack([cat[f"P_{c}"] for c in CLASSES])
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
    assert np.all((cat["p_any"] >= 0) & (cat["p_any"] <= 1))
    cand = np.asarray(cat["candidate"])
    for c in ("HMXB", "LMXB"):
        sel = np.asarray(cat["candidate_class"]) == c
        assert np.all(np.asarray(cat[f"P_{c}"])[sel] >= 0.5)
    assert not np.any(cand & ((cat["P_HMXB"] < 0.5) & (cat["P_LMXB"] < 0.5)))
    assert calls and calls[-1][1] == 1.0
    # the best counterpart's ids are real neighbours of the source
    gaia = res.neighbourhoods["gaia"]
    pairs = set(zip(np.asarray(gaia["xid"]), np.asarray(gaia["nid"])))
    for x, n in zip(cat["xid"], cat["nid_gaia"]):
        assert n == "" or (x, n) in pairs
    # the catalogue finds more true HMXBs than chance would
    true = np.asarray(small_sky.truth["true_class"])
    hmxb_cand = np.asarray(cat["candidate_class"]) == "HMXB"
    if hmxb_cand.any():
        assert np.mean(true[hmxb_cand] == "HMXB") > np.mean(true == "HMXB")
    paths = write_catalogue(cat, tmp_path, "c")
    for fmt, path in paths.items():
        back = Table.read(path) if fmt != "votable" else Table.read(path, format="votable")
        assert len(back) == len(cat) and "P_HMXB" in back.colnames and "p_any" in back.colnames
    vot = Table.read(paths["votable"], format="votable")
    assert vot["ra"].meta.get("ucd") == "pos.eq.ra;meta.main" and str(vot["ra"].unit) == "deg"


def test_pipeline_config_errors(small_sky, small_xray, small_model):
    model, _ = small_model
    with pytest.raises(InputError, match="radius"):
        run_pipeline(small_xray, SimProvider(small_sky), model, config=PipelineConfig(radius_arcsec=-1))
    with pytest.raises(InputError, match="not a counterpart survey"):
        run_pipeline(small_xray, SimProvider(small_sky), model, config=PipelineConfig(surveys=("erass1",)))
    with pytest.raises(InputError, match="does not know"):
        run_pipeline(small_xray, SimProvider(small_sky), model, cuts={"QSO": 0.5},
                     config=PipelineConfig(counterparts="nway"))
