"""Where the shared real data lives, and the skip-or-fail rule for it (not a test module)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LABELLED = DATA / "labelled" / "csc_xray_mwl_labelled.csv"
HESS = DATA / "labelled" / "galactic_plane_field_hess.csv"


def need(path: Path) -> Path:
    """Return ``path``; skip when it is absent, or fail under CI=true (where the shared data is required)."""
    if path.exists():
        return path
    msg = (f"shared data file {path} is not available: place the project's shared data folder beside the "
           "repository (../shared/data)")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " (required under CI=true)")
    pytest.skip(msg)
