"""Shared fixtures: a small simulated sky, its standardised X-ray table, a small trained model."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings as _hyp_settings

from xrbvo.io import standardise_xray
from xrbvo.sim import SkyConfig, simulate_sky

IN_CI = os.environ.get("CI", "").lower() == "true"

# The report's sky images (--images, default auto: CDS hips2fits): no test touches the network, subprocesses
# included; tests/workflows/test_report_images.py serves its own HiPS on 127.0.0.1.
os.environ["XRBVO_IMAGES"] = "none"

# Fuzz tests (tests/io/test_io_fuzz.py): random examples on a developer's machine find new faults; under CI the
# examples are derived from each test's name, so a run of main is reproducible and fails only on a real change.
_hyp_settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    _hyp_settings.load_profile("ci")


def require(available: bool, what: str, hint: str) -> None:
    """Skip (or fail under CI=true) when a real service or data set is missing."""
    if available:
        return
    msg = f"{what} is not available: {hint}"
    if IN_CI:
        pytest.fail(msg + " (required under CI=true)")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def small_sky():
    """A 3 x 2 deg plane field with injected X-ray binaries (seed 11)."""
    return simulate_sky(SkyConfig(l_deg=300.0, b_deg=0.0, width_deg=3.0, height_deg=2.0,
                                  class_boost={"HMXB": 20, "LMXB": 60}, seed=11))


@pytest.fixture(scope="session")
def small_xray(small_sky):
    return standardise_xray(small_sky.xray)


@pytest.fixture(scope="session")
def training_sky():
    """A boosted training field with every class present (seed 21, never used for testing)."""
    return simulate_sky(SkyConfig(l_deg=305.0, b_deg=1.0, width_deg=8.0, height_deg=3.0,
                                  class_boost={"HMXB": 40, "LMXB": 150, "NS": 20, "WR": 15, "YSO": 2}, seed=21))


@pytest.fixture(scope="session")
def small_model(training_sky):
    """A quickly trained classifier (few trees) on the training field."""
    from xrbvo.stages.classify.classifier import SourceClassifier
    from xrbvo.stages.features import FEATURES
    from xrbvo.workflows.training import training_set_from_sky

    ts = training_set_from_sky([training_sky])
    X = np.column_stack([np.asarray(ts.features[f], float) for f in FEATURES])
    model = SourceClassifier(n_estimators=60, max_depth=4, random_state=1).fit(X, ts.labels, feature_names=FEATURES)
    return model, ts


# ---- SAMP (tests/vo/test_samp.py, tests/cli/test_samp_cli.py)
@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private home: no test touches the user's ~/.samp."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SAMP_HUB", raising=False)
    return tmp_path


@pytest.fixture
def hub(home):
    """An in-process SAMP hub whose lock file lies in the private home."""
    from xrbvo.vo.samp import SampHub

    h = SampHub(lockfile=home / ".samp")
    h.start()
    yield h
    h.stop()


# ---- one demo run shared by the workflow and output-metadata tests (the demo trains its models: ~1 min)
DEMO_FIELD = {"seed": 7, "l": 300.0, "b": 0.0, "width": 3.0, "height": 2.0, "boost": {"HMXB": 10.0, "LMXB": 30.0}}


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``xrbvo demo`` on a 3 x 2 deg field: its output directory (catalogue, companions, model)."""
    from xrbvo.cli import main

    out = tmp_path_factory.mktemp("demo") / "out"
    f = DEMO_FIELD
    args = ["-q", "demo", "--out", str(out), "--seed", str(f["seed"]), "--l", str(f["l"]), "--b", str(f["b"]),
            "--width", str(f["width"]), "--height", str(f["height"])]
    for k, v in f["boost"].items():
        args += ["--boost", f"{k}={v:g}"]
    assert main(args) == 0
    return out
