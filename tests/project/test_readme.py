"""README's "Using it" block and its Python example, run exactly as written (parsed from README.md, so this
test breaks when README drifts from the code).

What cannot run here, and why:

* ``source .venv/bin/activate``: the test runs in the environment it was started in (command (1) of README
  makes ``.venv``; its ``xrbvo`` is the one imported here);
* ``xrbvo demo --out xrbvo-demo`` (command (1)): the session's demo run (``demo_run`` in conftest.py: the same
  command on a smaller field) stands in for ``xrbvo-demo``;
* ``--provider tap`` lines go to the local DaCHS (``--tap-url``, tests/_dachs.py) instead of the Gaia archive
  and VizieR; ``--known simbad`` needs SIMBAD on the internet and is left out of that line;
* ``xrbvo explore`` and ``xrbvo tui`` are interactive (tests/tui/ drive them).
"""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

from _dachs import dachs  # noqa: F401  (a fixture, asked for only by the TAP lines)

from xrbvo.cli.entry import main
from xrbvo.core.errors import XrbvoWarning

README = Path(__file__).resolve().parents[2] / "README.md"
INTERACTIVE = ("explore", "tui")


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    nxt = text.find("\n## ", start + 1)
    return text[start: nxt if nxt > 0 else len(text)]


def fenced(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def commands(block: str) -> list[list[str]]:
    """The shell lines of a block: continuations joined, comments dropped, split as the shell splits."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [shlex.split(line, comments=True) for line in joined.splitlines() if line.strip()]


def test_readme_using_it_runs_as_written(tmp_path, monkeypatch, demo_run, request, capsys):
    block = fenced(section("Using it"), "bash")[0]  # the next blocks (LSDB) need the scale extra and the internet
    lines = commands(block)
    assert lines[0] == ["source", ".venv/bin/activate"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "xrbvo-demo").symlink_to(demo_run)  # command (1)'s output directory
    ran = []
    for argv in lines[1:]:
        assert argv[0] == "xrbvo", argv
        args = argv[1:]
        if args[0] in INTERACTIVE:
            continue
        if "--provider" in args and args[args.index("--provider") + 1] == "tap":
            dachs = request.getfixturevalue("dachs")  # skips (fails under CI) without DaCHS, after the lines above
            i = args.index("--known")
            assert args[i + 1] == "simbad"
            del args[i:i + 2]
            args += ["--tap-url", dachs.url, "--cache", str(tmp_path / "tapcache")]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", XrbvoWarning)  # the command line shows them; they are not failures
            rc = main(args)
        out = capsys.readouterr()
        assert rc == 0, f"xrbvo {' '.join(args)} failed: {out.err}"
        ran.append(args[0])
    assert ran.count("run") == 3 and ran.count("simulate") == 2
    assert (tmp_path / "erass1" / "xrbvo_catalogue.fits").exists() and (tmp_path / "erass1" / "report").is_dir()
    assert (tmp_path / "plane" / "xrbvo_catalogue.fits").exists()


def test_readme_python_example_runs_as_written(tmp_path, monkeypatch, demo_run, capsys):
    blocks = fenced(README.read_text(encoding="utf-8"), "python")
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    (tmp_path / "xrbvo-demo").symlink_to(demo_run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XrbvoWarning)
        exec(compile(blocks[0], str(README), "exec"), {"__name__": "readme_example"})
    assert "n_sources" in capsys.readouterr().out
    assert (tmp_path / "results-python" / "xrbvo_catalogue.fits").exists()


def test_readme_uses_one_model_directory():
    """Command (1) writes xrbvo-demo; everything else uses its model (issue 28: demo-out/model did not exist)."""
    text = README.read_text(encoding="utf-8")
    assert "xrbvo demo --out xrbvo-demo" in text
    assert "demo-out" not in text
    using = section("Using it") + "".join(fenced(text, "python"))
    models = set(re.findall(r"--model (\S+)", using)) | set(re.findall(r'ModelBundle\.load\("([^"]+)"\)', using))
    assert models == {"xrbvo-demo/model"}, models
