"""Sphinx configuration of the xrbvo documentation site.

Build it with ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors; the
same command runs in the test suite, tests/project/test_docs.py). The Markdown pages are read by
MyST, the tutorial notebook by MyST-NB without executing it (the test suite executes it with
nbmake), and the API reference (docs/api/, written here at every build, not kept in git) has
one page per public module, documenting its ``__all__``.
"""

import importlib
import inspect
import pkgutil
from pathlib import Path

import xrbvo

HERE = Path(__file__).parent

# the layers, top down (docs/architecture.md); a module's page sits under its layer's heading
LAYERS = {
    "cli": "Command line",
    "tui": "Terminal UI",
    "workflows": "Workflows",
    "pipeline": "Pipeline",
    "stages": "Stages",
    "sim": "Simulated skies",
    "vo": "Virtual Observatory (TAP, SAMP)",
    "galaxy": "Galaxy models",
    "io": "Input and output",
    "core": "Core",
}


def public_modules():
    """Every public xrbvo module that has an ``__all__``, in the order of the layers.

    Returns
    -------
    list of (str, bool)
        The module's dotted name and whether it is a package.
    """
    found = []
    for info in pkgutil.walk_packages(xrbvo.__path__, "xrbvo."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        if hasattr(importlib.import_module(info.name), "__all__"):
            found.append((info.name, info.ispkg))
    order = list(LAYERS)
    return sorted(found, key=lambda item: (order.index(item[0].split(".")[1]), item[0]))


def _write(path, text):
    """Write ``text`` to ``path`` unless it already holds it (keeps incremental builds quick)."""
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def write_api_pages():
    """Write docs/api/: an index by layer and one page per public module.

    A package's page shows its docstring and what it defines itself; the names it re-exports
    are documented on the page of the module that defines them.
    """
    out = HERE / "api"
    out.mkdir(exist_ok=True)
    modules = public_modules()
    lines = [
        "API reference",
        "=============",
        "",
        "The public API is the ``__all__`` of each module, grouped by layer (top down, as in",
        ":doc:`../architecture`): a module imports only from the layers below it. Packages",
        "re-export the names of their modules; each name is documented where it is defined.",
        "",
        ".. toctree::",
        "   :hidden:",
        "",
    ]
    lines += [f"   {name}" for name, _ in modules]
    for layer, title in LAYERS.items():
        names = [name for name, _ in modules if name.split(".")[1] == layer]
        if names:
            lines += ["", title, "-" * len(title), "", ".. autosummary::", ""]
            lines += [f"   {name}" for name in names]
    _write(out / "index.rst", "\n".join(lines) + "\n")
    for name, ispkg in modules:
        page = [name, "=" * len(name), "", f".. automodule:: {name}"]
        if ispkg:
            module = importlib.import_module(name)
            own = [
                member
                for member in module.__all__
                if getattr(getattr(module, member), "__module__", None) == name
            ]
            page += [f"   :members: {', '.join(own)}" if own else "   :no-members:"]
        _write(out / f"{name}.rst", "\n".join(page) + "\n")


write_api_pages()

project = "xrbvo"
author = "xrbvo developers"
copyright = "xrbvo developers"
version = release = xrbvo.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",  # the module tables of the API index (no generated pages)
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",  # Markdown pages (MyST) and the notebook
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

# the notebook is executed by the test suite (nbmake), not by the build: the site builds in seconds
nb_execution_mode = "off"
# GitHub-style heading anchors, so that links such as usage.md#science-policy resolve
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# API reference: one page per public module, its members are its __all__
autosummary_generate = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
autodoc_inherit_docstrings = False  # a method without its own docstring is left out
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = "xrbvo"
html_theme_options = {"navigation_with_keys": False}


def _skip_foreign(app, what, name, obj, skip, options):
    """Leave out members a class got from another library (scikit-learn's ``set_*_request``).

    Returns
    -------
    bool or None
        True to skip the member; None leaves the decision to autodoc.
    """
    module = getattr(obj, "__module__", None)
    if what == "class" and callable(obj) and module and not module.startswith("xrbvo"):
        return True
    return None


def setup(app):
    """Connect the member filter.

    Parameters
    ----------
    app : sphinx.application.Sphinx
        The Sphinx application.
    """
    app.connect("autodoc-skip-member", _skip_foreign)
