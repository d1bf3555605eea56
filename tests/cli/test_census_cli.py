"""``xrbvo census``: the table, --json and one-line errors."""

import json
import subprocess
import sys

import pytest


def _run(*args):
    return subprocess.run([sys.executable, "-m", "xrbvo", "-q", "census", *args], capture_output=True, text=True,
                          timeout=600)


def test_census_json_has_the_documented_keys():
    r = _run("--region", "gal:200,204,40,44", "--exposure", "flat", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["region"] == "gal:200,204,40,44" and d["flux_limit"] == 5e-14
    assert set(d["expected"]) >= {"AGN", "STAR", "HMXB", "LMXB", "CV"}
    assert d["total"] == pytest.approx(sum(d["expected"].values()))
    assert d["expected"]["AGN"] > d["expected"]["STAR"] > 0


def test_census_table_names_every_class_and_the_total():
    r = _run("--region", "gal:200,204,40,44")
    assert r.returncode == 0, r.stderr
    for word in ("AGN", "STAR", "HMXB", "total", "ecliptic"):
        assert word in r.stdout


@pytest.mark.parametrize("args,match", [
    (("--flux-limit", "nan"), "flux limit"),
    (("--flux-limit", "0"), "flux limit"),
    (("--flux-limit=-5e-14",), "flux limit"),
    (("--region", "gal:10,10,0,1"), "empty"),
    (("--region", "gal:10,20,5,5"), "below"),
    (("--region", "box:1,2"), "region"),
    (("--step-deg", "0"), "step"),
])
def test_census_bad_input_is_one_line_and_exit_2(args, match, capsys):
    from xrbvo.cli.entry import main

    assert main(["-q", "census", *args]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
