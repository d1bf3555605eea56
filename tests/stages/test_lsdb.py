"""HATS catalogues through LSDB on Dask give the in-memory run's neighbourhoods, probabilities and candidates.

The survey catalogues of a small simulated sky are imported with hats-import (with margin caches) into a
temporary directory; X-ray sources are added on the Gaia catalogue's partition boundaries, where a search
cone reaches into a neighbouring partition.  Under CI=true lsdb is installed (the test extra) and nothing skips.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from astropy.table import Table, vstack

if os.environ.get("CI", "").lower() != "true":
    pytest.importorskip("lsdb", reason="pip install 'xrbvo[scale]'")

from xrbvo.core.schema import CLASSES  # noqa: E402
from xrbvo.core.surveys import get_survey  # noqa: E402
from xrbvo.sim import SkyConfig, simulate_sky  # noqa: E402
from xrbvo.stages.neighbourhoods import LocalProvider  # noqa: E402
from xrbvo.workflows import ModelBundle, analyse, pipeline_config  # noqa: E402

RADIUS = 20.0

# nested-pandas (under lsdb) still passes ``inplace=`` that pandas 3.1 deprecates: a third party's warning
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning",
                                        "ignore::pandas.errors.Pandas4Warning")


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client

    from xrbvo.workflows.scale import local_cluster

    # two real Dask workers (threads of this process: worker processes would pay the imports again)
    with local_cluster(2, processes=False, memory_limit=None) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def field(tmp_path_factory, client):
    """A 1 x 1 deg plane field as Parquet files and as HATS catalogues with 30-arcsec margins."""
    from hats_import.catalog.arguments import ImportArguments
    from hats_import.margin_cache.margin_cache_arguments import MarginCacheArguments
    from hats_import.pipeline import pipeline_with_client

    root = tmp_path_factory.mktemp("hats")
    sky = simulate_sky(SkyConfig(l_deg=300.0, b_deg=0.0, width_deg=1.0, height_deg=1.0,
                                 class_boost={"HMXB": 20, "LMXB": 60}, seed=11))
    for name, cat in sky.catalogs.items():
        s = get_survey(name)
        cat.write(root / f"{name}.parquet")
        with warnings.catch_warnings():  # hats-import notes its own slow path (a UserWarning) on small catalogues
            warnings.filterwarnings("ignore", "Computing partitions from catalog parquet files", UserWarning)
            _import(root, name, s, client, ImportArguments, MarginCacheArguments, pipeline_with_client)
    return sky, root


def _import(root, name, s, client, ImportArguments, MarginCacheArguments, pipeline_with_client):
    pipeline_with_client(ImportArguments(
        output_artifact_name=name, input_file_list=[str(root / f"{name}.parquet")], file_reader="parquet",
        ra_column=s.ra_column, dec_column=s.dec_column, output_path=str(root), pixel_threshold=1500,
        highest_healpix_order=8, progress_bar=False, resume=False, tmp_dir=str(root / "tmp")), client)
    pipeline_with_client(MarginCacheArguments(
        input_catalog_path=str(root / name), output_path=str(root), output_artifact_name=f"{name}_margin",
        margin_threshold=30.0, progress_bar=False, resume=False, tmp_dir=str(root / "tmp")), client)


def _boundary_sources(sky, root, n=10):
    """X-ray sources (copies of the first rows) midway between close Gaia pairs in different partitions.

    Each pair is met from both of its ends, so the sources come in twins at the same position (the
    same HEALPix index in LSDB): each twin must get its own neighbours, once.
    """
    import lsdb

    gaia = lsdb.open_catalog(root / "gaia").compute(progress_bar=False)
    pix = gaia.index.to_numpy(dtype=np.int64) >> (2 * (29 - 8))  # order-8 pixel of each row (partitions are <= 8)
    ra, dec = gaia["ra"].to_numpy(float), gaia["dec"].to_numpy(float)
    order = np.argsort(dec)
    found = []
    for a in order:
        near = np.nonzero((np.abs(dec - dec[a]) < 2 / 3600) & (np.abs(ra - ra[a]) < 2 / 3600) & (pix != pix[a]))[0]
        if len(near):
            found.append(((ra[a] + ra[near[0]]) / 2, (dec[a] + dec[near[0]]) / 2))
        if len(found) >= n:
            break
    assert len(found) >= 3, "the field should have partition boundaries inside it"
    assert len(set(found)) < len(found), "twins at one position"
    extra = Table(sky.xray[:len(found)], copy=True)
    extra["RA"] = [f[0] for f in found]
    extra["DEC"] = [f[1] for f in found]
    extra["IAUNAME"] = [f"BOUNDARY_{i}" for i in range(len(found))]
    return vstack([sky.xray, extra], metadata_conflicts="silent")


@pytest.fixture(scope="module")
def bundle(small_model):
    model, ts = small_model
    ref = {c: float(ts.reference_priors.get(c, 0.0)) for c in CLASSES}
    return ModelBundle(model, {"cuts": {"HMXB": 0.3, "LMXB": 0.3}, "reference_priors": ref})


@pytest.mark.slow
def test_lsdb_provider_and_partitioned_run_equal_the_in_memory_run(field, client, bundle, tmp_path):
    from xrbvo.cli import main
    from xrbvo.io import standardise_xray, write_table
    from xrbvo.stages.neighbourhoods.lsdb import LsdbProvider
    from xrbvo.workflows.scale import PartitionedPipeline

    sky, root = field
    xray = _boundary_sources(sky, root)
    surveys = tuple(sky.catalogs)
    local = LocalProvider({k: root / f"{k}.parquet" for k in surveys})
    hats = LsdbProvider({k: root / k for k in surveys}, xray_partition_rows=8, xray_highest_order=9)

    # milestone 1: the neighbourhoods, row for row
    xr = standardise_xray(xray)
    a_nb, b_nb = local.neighbourhoods(xr, RADIUS, surveys), hats.neighbourhoods(xr, RADIUS, surveys)
    boundary = [x for x in np.asarray(xr["xid"]).astype(str) if "BOUNDARY" in x]
    for s in surveys:
        assert a_nb[s].colnames == b_nb[s].colnames
        assert len(a_nb[s]) == len(b_nb[s]) > 0
        for c in a_nb[s].colnames:
            x, y = np.asarray(a_nb[s][c]), np.asarray(b_nb[s][c])
            if x.dtype.kind == "f":
                np.testing.assert_array_equal(x, y, err_msg=f"{s}.{c}")
            else:
                assert np.array_equal(x.astype(str), y.astype(str)), f"{s}.{c}"
    assert np.isin(boundary, np.asarray(b_nb["gaia"]["xid"]).astype(str)).all()

    # the pipeline per partition on the two workers
    cfg = pipeline_config(bundle, radius_arcsec=RADIUS, surveys=surveys, counterparts="nway")
    mem = analyse(xray, local, bundle, config=cfg)
    part = analyse(xray, hats, bundle, config=cfg, pipeline=PartitionedPipeline(client))
    assert hats.nested(xr, RADIUS, surveys).npartitions > 3
    for s in surveys:  # the partitions' neighbourhoods (LSDB's nested crossmatch), joined: the same rows
        a, b = mem.result.neighbourhoods[s], part.result.neighbourhoods[s]
        assert len(a) == len(b), s
        for c in ("xid", "nid"):
            assert np.array_equal(np.asarray(a[c]).astype(str), np.asarray(b[c]).astype(str)), f"{s}.{c}"
        np.testing.assert_array_equal(np.asarray(b["sep"], float), np.asarray(a["sep"], float), err_msg=s)
    ca, cb = mem.catalogue, part.catalogue
    assert list(ca["xid"]) == list(cb["xid"])
    for c in ("p_any", "p_i"):
        np.testing.assert_allclose(np.asarray(cb[c], float), np.asarray(ca[c], float), rtol=0, atol=1e-9)
        np.testing.assert_allclose(np.asarray(part.result.association.sources[c], float),
                                   np.asarray(mem.result.association.sources[c], float), rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.asarray(part.result.association.combinations["p_i"], float),
                               np.asarray(mem.result.association.combinations["p_i"], float), rtol=0, atol=1e-9)
    for c in CLASSES:
        np.testing.assert_allclose(np.asarray(cb[f"P_{c}"]), np.asarray(ca[f"P_{c}"]), rtol=0, atol=1e-9)
    assert np.array_equal(np.asarray(cb["candidate_class"]).astype(str), np.asarray(ca["candidate_class"]).astype(str))
    for s in surveys:
        assert np.array_equal(np.asarray(part.result.association.sources[f"nid_{s}"]).astype(str),
                              np.asarray(mem.result.association.sources[f"nid_{s}"]).astype(str))
    assert len(part.neighbours) == len(mem.neighbours)
    # per-source priors and a minimum purity reach every partition through the policy (issue 24, items 2 and 4)
    from xrbvo.workflows import SciencePolicy

    pol = SciencePolicy(field_priors="source", min_purity=0.3, sample="survey")
    ma, pa = analyse(xray, local, bundle, pol, config=cfg).catalogue, \
        analyse(xray, hats, bundle, pol, config=cfg, pipeline=PartitionedPipeline(client)).catalogue
    assert ma.meta["PRIORS"] == "source" and pa.meta["MINPUR"] == 0.3
    for c in CLASSES:
        np.testing.assert_allclose(np.asarray(pa[f"P_{c}_field"]), np.asarray(ma[f"P_{c}_field"]), rtol=0, atol=1e-9)
    assert np.array_equal(np.asarray(pa["candidate_class"]).astype(str), np.asarray(ma["candidate_class"]).astype(str))
    np.testing.assert_allclose(np.asarray(pa["expected_purity"], float), np.asarray(ma["expected_purity"], float),
                               rtol=0, atol=1e-9)

    # the command: --provider lsdb against the same scheduler writes the same candidates
    write_table(xray, tmp_path / "xray.fits")
    bundle.save(tmp_path / "model")
    args = ["-q", "run", str(tmp_path / "xray.fits"), "--model", str(tmp_path / "model"), "--provider", "lsdb",
            "--dask-scheduler", client.scheduler.address, "--counterparts", "nway", "--out", str(tmp_path / "out")]
    for s in surveys:
        args += ["--catalog", f"{s}={root / s}"]
    assert main(args) == 0
    run_cat = Table.read(tmp_path / "out" / "xrbvo_catalogue.fits")
    np.testing.assert_allclose(np.asarray(run_cat["p_any"], float), np.asarray(ca["p_any"], float), rtol=0, atol=1e-9)
    assert np.array_equal(np.asarray(run_cat["candidate_class"]).astype(str),
                          np.asarray(ca["candidate_class"]).astype(str))


@pytest.fixture(scope="module")
def binary_2mass(tmp_path_factory):
    """A one-partition 2MASS HATS collection whose designations are a binary (bytes) column, with a 120" margin."""
    import lsdb
    import pandas as pd
    import pyarrow as pa

    root = tmp_path_factory.mktemp("hats_binary")
    rng = np.random.default_rng(1)
    n = 30
    ids = [f"S{5824959269 + i:013d}".encode() for i in range(n)]
    df = pd.DataFrame({"2MASS": pd.Series(ids, dtype=pd.ArrowDtype(pa.binary())),
                       "RAJ2000": 180 + rng.uniform(-0.005, 0.005, n), "DEJ2000": -60 + rng.uniform(-0.005, 0.005, n),
                       "errMaj": np.full(n, 0.1), "errMin": np.full(n, 0.1), "errPA": np.zeros(n),
                       "Jmag": np.full(n, 14.0), "Hmag": np.full(n, 13.5), "Kmag": np.full(n, 13.0)})
    lsdb.from_dataframe(df, ra_column="RAJ2000", dec_column="DEJ2000", catalog_name="tm",
                        margin_threshold=120.0).write_catalog(root / "tm")
    return root / "tm", {i.decode() for i in ids}


def _one_source():
    from xrbvo.io import standardise_xray

    return standardise_xray(Table({"xid": ["X1"], "ra": [180.0], "dec": [-60.0], "pos_err": [5.0],
                                   "flux_soft": [1e-13], "flux_hard": [1e-13]}))


@pytest.mark.slow
def test_binary_ids_of_a_hats_catalogue_are_text(binary_2mass):
    """26.6: --provider lsdb gave nid_2mass = "b'S0005824959269'" for a HATS catalogue with binary columns."""
    from xrbvo.stages.neighbourhoods.lsdb import LsdbProvider

    path, ids = binary_2mass
    nb = LsdbProvider({"2mass": path}).neighbourhoods(_one_source(), 60.0, ["2mass"])["2mass"]
    got = set(np.asarray(nb["nid"]).astype(str).tolist())
    assert len(nb) == len(ids) and got == ids  # "S0005824959269", not "b'S0005824959269'"


def test_a_margin_catalogue_given_as_the_survey_is_one_line(binary_2mass):
    """26.14: a HATS margin cache given as the survey raised LSDB's TypeError (a traceback, exit 1)."""
    from xrbvo.core.errors import InputError
    from xrbvo.stages.neighbourhoods.lsdb import LsdbProvider

    path, _ = binary_2mass
    (margin,) = [p for p in path.iterdir() if p.name.startswith("tm_120")]
    with pytest.raises(InputError) as err:
        LsdbProvider({"2mass": margin}).neighbourhoods(_one_source(), 60.0, ["2mass"])
    text = str(err.value)
    assert "\n" not in text and "is a HATS margin catalogue" in text
    assert text.endswith(f"give the catalogue itself: --catalog 2mass={path} (its margin is found beside it)")
