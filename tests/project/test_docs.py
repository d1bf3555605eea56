"""The documentation: every public docstring complete, the Sphinx site without warnings, the notebook runs.

The public API is every function and class named in the ``__all__`` of an xrbvo module (not
``xrbvo.x._private`` ones). Each is checked with numpydoc's own validation, with these checks:

- GL08: it has a docstring;
- PR01: every parameter is documented (a class: the parameters of its constructor, in the
  class docstring);
- PR02: no parameter is documented that the signature does not have;
- RT01: a function that returns something has a Returns section (a function without
  parameters needs no Parameters section).

The style checks of numpydoc (summary on one line, full stops, section order, ...) are left out:
they say nothing about whether the API is documented.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import pkgutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from conftest import require

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ("GL08", "PR01", "PR02", "RT01")


def _public_api() -> dict[str, object]:
    """Every function and class in an ``__all__`` of a public xrbvo module, by the name where it is defined."""
    import xrbvo

    found: dict[str, object] = {}
    with warnings.catch_warnings():  # what third-party libraries say when imported (lsdb, dask) is not checked here
        warnings.simplefilter("ignore")
        for info in pkgutil.walk_packages(xrbvo.__path__, "xrbvo."):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            module = importlib.import_module(info.name)
            for name in getattr(module, "__all__", ()):
                obj = getattr(module, name)
                if inspect.isfunction(obj) or inspect.isclass(obj):
                    found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return found


def test_every_public_function_and_class_has_numpydoc_parameters_and_returns():
    numpydoc_validate = pytest.importorskip("numpydoc.validate")
    api = _public_api()
    assert len(api) > 300  # the walk found the package (376 names when this test was written)
    missing = []
    for name in sorted(api):
        errors = [f"{code} {msg}" for code, msg in numpydoc_validate.validate(name)["errors"] if code in CHECKS]
        if errors:
            missing.append(f"{name}: {'; '.join(errors)}")
    documented = 100.0 * (len(api) - len(missing)) / len(api)
    assert not missing, (f"{documented:.1f}% of the {len(api)} public functions and classes are documented; "
                         "complete the numpydoc sections of:\n" + "\n".join(missing))


def _with_repo_on_path() -> dict[str, str]:
    """The environment of a subprocess that imports this checkout's xrbvo (also in a notebook kernel)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


@pytest.mark.slow
def test_sphinx_site_builds_without_warnings(tmp_path):
    have = all(importlib.util.find_spec(m) for m in ("sphinx", "numpydoc", "myst_nb", "pydata_sphinx_theme"))
    require(have, "the documentation tools", "pip install -e '.[test]' (sphinx, numpydoc, myst-nb, pydata-sphinx-theme)")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(tmp_path / "html")],
                          cwd=ROOT, env=_with_repo_on_path(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    html = tmp_path / "html"
    assert (html / "tutorial.html").exists()
    page = (html / "api" / "xrbvo.workflows.analyse.html").read_text()  # the API reference, numpydoc rendered
    assert 'id="xrbvo.workflows.analyse.analyse"' in page
    assert "Parameters" in page and "Returns" in page


@pytest.mark.slow
def test_tutorial_notebook_runs():
    have = all(importlib.util.find_spec(m) for m in ("nbmake", "ipykernel"))
    require(have, "nbmake and ipykernel", "pip install -e '.[test]'")
    done = subprocess.run([sys.executable, "-m", "pytest", "--nbmake", "--nbmake-timeout=900", "-q",
                           "-p", "no:cacheprovider", str(ROOT / "docs" / "tutorial.ipynb")],
                          cwd=ROOT, env=_with_repo_on_path(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
