"""The command line starts at once and says what matters: the parser imports no heavy library, help texts say
each default once, the console shows every class prior and the cuts, counts and articles read right."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
from rich.console import Console

from xrbvo.cli._ui import UI
from xrbvo.cli.common import plural, print_policy
from xrbvo.cli.entry import COMMANDS, build_parser
from xrbvo.core.schema import CLASSES, column_spec, with_article

HEAVY = ("astropy", "numpy", "scipy", "pandas", "sklearn", "xgboost", "textual", "matplotlib", "pyvo", "rich")


def test_building_the_parser_imports_no_heavy_library():
    """Printing help must not import the science stack (benchmarks/cli_startup.py has the timings)."""
    probe = ("import sys; from xrbvo.cli.entry import build_parser, main; build_parser(); "
             "import contextlib, io\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    for a in (['--help'], ['run', '--help'], ['explore', '--help'], ['classify', '--help']):\n"
             "        try: main(a)\n"
             "        except SystemExit: pass\n"
             f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    loaded = {m for m in r.stdout.strip().split(",") if m}
    assert not loaded & {"astropy", "scipy", "pandas", "sklearn", "xgboost", "textual", "matplotlib", "pyvo",
                         "rich"}, loaded


def _helps():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        yield name, " ".join(p.format_help().split())


def test_help_says_each_default_once():
    seen = set()
    for name, text in _helps():
        seen.add(name)
        assert "(default: None)" not in text and "(default: False)" not in text, name
        assert "(default: [])" not in text, name
        for chunk in text.split(" --")[1:]:  # one option's help each
            assert chunk.count("default") <= 1 or "(default:" not in chunk, f"{name}: --{chunk[:200]}"
    assert seen == set(COMMANDS)


def test_counts_and_articles_read_right():
    assert plural(1, "X-ray-binary candidate") == "1 X-ray-binary candidate"
    assert plural(2, "source") == "2 sources" and plural(0, "source") == "0 sources"
    assert [with_article(c) for c in ("AGN", "HMXB", "LMXB", "NS", "EARLY", "CV", "WR", "STAR", "YSO")] == [
        "an AGN", "an HMXB", "an LMXB", "an NS", "an EARLY", "a CV", "a WR", "a STAR", "a YSO"]
    assert "is an AGN " in column_spec("P_AGN").description
    assert "is a CV " in column_spec("P_CV_field").description
    assert column_spec("P_HMXB_CTPT").description.startswith("Probability that ctp_HMXB is")
    assert column_spec("P_HMXB_CTPT").description.endswith("if the source is an HMXB")


def test_the_console_shows_every_class_prior_and_the_cuts(small_model):
    from xrbvo.workflows import ModelBundle, SciencePolicy, resolve_policy

    model, ts = small_model
    bundle = ModelBundle(model, {"cuts": {"HMXB": 0.4, "LMXB": 0.35}, "reference_priors": ts.reference_priors,
                                 "selection": {"method": "3-fold out-of-fold probabilities"}})
    l_deg, b_deg = np.array([300.0, 301.0, 150.0]), np.array([0.5, -1.0, 40.0])
    pol = resolve_policy(SciencePolicy(min_purity="off"), bundle, l_deg=l_deg, b_deg=b_deg,
                         soft_flux=np.full(3, 1e-13), meta={"SAMPLE": "survey"})
    ui = UI(quiet=True)
    ui.out = Console(file=io.StringIO(), width=200, color_system=None)
    print_policy(ui, pol, bundle)
    text = ui.out.file.getvalue()
    lines = text.splitlines()
    header = next(ln for ln in lines if ln.startswith("class priors"))
    assert header.split()[2:] == [c for c in CLASSES if c in bundle.classes]  # every class, none cut off
    assert len(header) <= 80  # compact: one terminal line
    selection = next(ln for ln in lines if ln.startswith("selection"))
    values = selection.split("(")[0].split()[1:]
    assert len(values) == len(bundle.classes) and all(float(v) > 0 for v in values)
    assert "P_HMXB >= 0.4, P_LMXB >= 0.35 at the selection priors" in text
    assert "3-fold out-of-fold probabilities" in text
    assert set(bundle.classes) <= set(CLASSES)
    # policy 3's default for a blind survey: the candidates' own purity, and the line says so instead of the cuts
    pol = resolve_policy(SciencePolicy(), bundle, l_deg=l_deg, b_deg=b_deg, soft_flux=np.full(3, 1e-13),
                         meta={"SAMPLE": "survey"})
    ui.out = Console(file=io.StringIO(), width=200, color_system=None)
    print_policy(ui, pol, bundle)
    text = ui.out.file.getvalue()
    assert "whose P_<class>_field at the source's own field priors is >= 0.5 (--min-purity)" in text
    assert "at the selection priors; a source is a candidate" not in text
