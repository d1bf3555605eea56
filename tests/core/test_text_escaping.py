"""Text from users and data is shown as it is, never obeyed (issue 26: items 3, 11 and 12, HARDCAT).

Names, ids and file names holding rich/Textual markup, matplotlib mathtext or
control characters go through :mod:`xrbvo.core.text` on their way to the
console, the TUI, the report and the VOTable and FITS writers.
"""

from __future__ import annotations

import asyncio
import math
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xrbvo.cli import main
from xrbvo.cli._ui import UI
from xrbvo.cli.common import print_known
from xrbvo.core.text import escape_control, for_console, for_fits_header, for_mathtext, for_xml, one_line
from xrbvo.io import read_table, write_table
from xrbvo.stages.known import KnownSummary, MissedXrb

ESC = "\x1b"
#: Names a hostile or careless user gives: markup that fails, markup that acts, a fake error line,
#: a terminal title (OSC), colours (CSI), mathtext that fails to parse.
HOSTILE = ["[/]oops", "field_[l300]", "[link=http://evil.example]click[/link]", "[bold red]error:[/] fake",
           f"t{ESC}]0;TITLE\x07x", f"c{ESC}[31mred", r"J1$\foo$", r"$\undefinedcmd{x}$"]


def _no_control(text: str) -> bool:
    return not any((ord(c) < 32 and c not in "\n") or 0x7f <= ord(c) <= 0x9f for c in text)


# -- 26.3: the console ------------------------------------------------------------------------

@pytest.mark.parametrize("name", HOSTILE)
def test_a_path_with_markup_or_escapes_is_one_plain_error_line_exit_2(name, tmp_path, capsys):
    model = tmp_path / name
    rc = main(["classify", str(tmp_path / "x.fits"), "--model", str(model), "--out", str(tmp_path / "o.fits")])
    out = capsys.readouterr()
    assert rc == 2 and out.out == ""
    assert out.err.count("\n") == 1 and out.err.startswith("error: ")
    assert one_line(str(model)) in out.err  # shown as it is: '[l300]' kept, '[/]' not an error, ESC escaped
    assert _no_control(out.err)


def test_known_names_with_markup_and_escapes_are_printed_as_they_are(capsys):
    names = HOSTILE + ["two\nerror: lines"]
    missed = tuple(MissedXrb(n, "HMXB", f"X{i}[/]", "below the cut", 0.1, 10.0, -60.0) for i, n in enumerate(names))
    print_known(UI(quiet=True), KnownSummary({"HMXB": {"known": 0, "new": 1, "known_as": {}}}, missed))
    out = capsys.readouterr().out
    assert _no_control(out)
    for i, n in enumerate(names):
        assert one_line(n) in out and f"X{i}[/]" in out
    assert not any(line.startswith("error:") for line in out.splitlines())


def test_the_error_line_survives_a_console_that_fails(capsys):
    """The CLI's last handler cannot raise: when the console itself fails, a plain ASCII line goes to stderr."""
    from xrbvo.cli.entry import _say

    ui = UI()
    broken = open(__file__)  # noqa: SIM115 - closed at once: writing to it raises
    broken.close()
    ui.err.file = broken
    _say(ui, f"internal error ([/]oops {ESC}]0;x\x07 é)")
    err = capsys.readouterr().err
    assert err == "error: internal error ([/]oops \\x1b]0;x\\x07 \\xe9)\n"


def test_the_tui_status_bar_and_cells_show_a_file_name_and_ids_as_they_are(tmp_path):
    from xrbvo.tui import create_app
    from xrbvo.tui.render import format_value
    from _synthetic import write_synthetic

    name = "field_[l300]_[@click=app.quit]_[b]x"
    path = write_synthetic(tmp_path, 20, seed=1, name=name)
    app = create_app(path, samp=False)

    async def go():
        async with app.run_test(size=(150, 44)) as pilot:
            await pilot.pause()
            assert path.name in str(app.query_one("#status").render())
            app.notify("bad filter [/]oops [@click=app.quit]x")  # an error message quoting what was typed
            await pilot.pause()
            assert app.is_running
            assert any("[/]oops [@click=app.quit]x" in str(n.message) for n in app._notifications)
    asyncio.run(go())
    assert format_value(f"J1{ESC}[31m") == "J1\\x1b[31m"


# -- 26.11: the report ------------------------------------------------------------------------

def test_report_pictures_sky_map_and_index_take_mathtext_names(tmp_path):
    from xrbvo.core.schema import CLASSES
    from xrbvo.io.plots import KnownMark, sky_map
    from xrbvo.io.report import candidate_png, index_html

    xid, known = r"J1$\foo$", r"$\undefinedcmd{x}$"
    row = {"xid": xid, "ra": 100.0, "dec": -30.0, "l": 240.0, "b": -10.0, "pos_err": 2.0, "candidate_class": "HMXB",
           "known_name": known, "known_class": "HMXB", "known_sep": 1.0, "new": False, "expected_purity": 0.8,
           "top_features": r"G $\alpha$ +0.3", **{f"P_{c}": 0.1 for c in CLASSES},
           **{f"P_{c}_field": 0.1 for c in CLASSES}}
    nb = {"survey": np.array(["gaia"]), "nid": np.array(["g$1"]), "ra": np.array([100.0]),
          "dec": np.array([-30.0001])}
    png = candidate_png(row, nb, tmp_path / "c.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    cat = Table({"l": [240.0, 241.0], "b": [-10.0, -9.0], "candidate_class": ["HMXB", ""], "new": [False, True],
                 "known_name": [known, ""], "known_class": ["HMXB", ""]})
    sky = sky_map(cat, tmp_path / "sky.png", title=r"in$\foo${x}.fits: 1 candidate",
                  known=[KnownMark(r"$\undefinedcmd$", 242.0, -9.5, float("nan"), "not detected")])
    assert sky.read_bytes()[:4] == b"\x89PNG"
    page = index_html([{"xid": xid, "l": 240.0, "b": -10.0, "candidate_class": "HMXB", "P": 0.9, "known": known,
                        "png": "c.png"}], title=f"run on in{ESC}put.fits", missed=[])
    assert xid in page and known in page and ESC not in page


def test_report_charts_show_counterpart_ids_image_source_and_classes_as_written(tmp_path):
    """The finding chart's counterpart ids and image label, and class names in the legends, read no mathtext."""
    from xrbvo.core.schema import CLASSES
    from xrbvo.io.plots import sky_map
    from xrbvo.io.population import population_plots
    from xrbvo.io.report import candidate_png

    odd = r"$\undefinedcmd{x}$"
    row = {"xid": "J1", "ra": 100.0, "dec": -30.0, "l": 240.0, "b": -10.0, "pos_err": 2.0, "candidate_class": "HMXB",
           **{f"P_{c}": 0.1 for c in CLASSES}}
    nb = {"survey": np.array(["gaia"]), "nid": np.array([odd]), "ra": np.array([100.0]),
          "dec": np.array([-30.0001])}
    sky = np.random.default_rng(1).normal(100.0, 5.0, (300, 300))
    png = candidate_png(row, nb, tmp_path / "c.png", chosen={"gaia": odd}, image=sky, image_label=f"DSS {odd}")
    assert png.read_bytes()[:4] == b"\x89PNG"
    cat = Table({"l": [240.0, 241.0], "b": [-10.0, -9.0], "candidate_class": [odd, ""], "new": [True, False],
                 "known_name": ["", "X"], "known_class": ["", "HMXB"], "BP_RP": [1.0, 1.2], "G": [14.0, 15.0]})
    assert sky_map(cat, tmp_path / "sky.png", title="t").read_bytes()[:4] == b"\x89PNG"
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in population_plots(cat, tmp_path / "pop").values())


@pytest.mark.parametrize("name", ["[/]oops", f"c{ESC}[31mred"])
def test_the_report_command_prints_its_paths_as_they_are(name, tmp_path, capsys):
    from _report import finished_catalogue

    cat, nb = finished_catalogue(n_field=20)
    d = tmp_path / name
    d.mkdir(parents=True)
    cat.write(d / "run.fits")
    nb.write(d / "run_neighbours.fits")
    cat[:0].write(d / "run_counterparts.fits")
    assert main(["-q", "report", str(d / "run.fits"), "--out", str(d / "rep"), "--report-max", "1"]) == 0
    out = capsys.readouterr().out
    assert f"report: {one_line(d / 'rep' / 'index.html')} " in out and _no_control(out)


def test_mathtext_escape_keeps_the_text_as_written():
    from matplotlib.text import Text

    for s in [r"J1$\foo$", "$", r"a\$b$c$", "100$", r"$\undefinedcmd{x}$ and $x$"]:
        shown, is_math = Text(text=for_mathtext(s))._preprocess_math(for_mathtext(s))
        assert not is_math and shown == s


# -- 26.12: VOTable and FITS ------------------------------------------------------------------

def test_control_characters_give_a_well_formed_votable_and_keep_fits_header_values(tmp_path):
    t = Table({"xid": ["J1\x01", f"J2{ESC}[31m", "J3"], "ra": [1.0, 2.0, 3.0]})
    t.meta.update(INPUT=f"in{ESC}put.fits", HARDCAT="Hard_é–ß.fits", MODEL="m")
    vot = write_table(t, tmp_path / "c.vot")
    ET.parse(vot)  # well-formed XML
    back = read_table(vot)
    assert list(back["xid"]) == ["J1\\x01", "J2\\x1b[31m", "J3"]
    assert back.meta["INPUT"] == "in\\x1bput.fits" and back.meta["MODEL"] == "m"
    assert "xid" in back.meta["TEXTESC"] and "INPUT" in back.meta["TEXTESC"]
    h = fits.getheader(write_table(t, tmp_path / "c.fits"), 1)
    assert h["HARDCAT"] == "Hard_\\xe9\\u2013\\xdf.fits" and h["INPUT"] == "in\\x1bput.fits"
    assert "HARDCAT" in h["TEXTESC"]
    clean = Table({"xid": ["J1"]}, meta={"INPUT": "a.fits"})
    assert "TEXTESC" not in read_table(write_table(clean, tmp_path / "clean.vot")).meta


def test_samp_votable_bytes_are_well_formed():
    from xrbvo.vo.samp.votable import votable_bytes

    data = votable_bytes(Table({"xid": ["J1\x01", "J\x02"], "ra": [1.0, 2.0], "dec": [0.0, 1.0]}), name="t\x03")
    ET.fromstring(data)


# -- fuzz: names and ids with markup, mathtext and control characters --------------------------

_PIECES = st.sampled_from(["[", "]", "[/]", "[b]", "[@click=app.quit]", "[link=x]", "$", r"\\", "\\", "{", "}",
                           "_", "^", r"\foo", ESC, "\x07", "\x01", "\x00", "\x7f", "\x9b", "\n", "\t", "\r",
                           "\u202e", "é", "&", "<", ">", '"', "'", ":smile:", "a", "Z", "0", " ", "-"])
NAMES = st.lists(_PIECES, min_size=1, max_size=12).map("".join)

_FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FUZZ
@given(name=NAMES)
def test_fuzz_console_shows_the_name_as_it_is(name):
    from io import StringIO

    from rich.table import Table as RichTable

    from xrbvo.cli._ui import PlainConsole

    buf = StringIO()
    console = PlainConsole(file=buf, width=400, color_system=None)
    console.print(f"name: {name}", soft_wrap=True)
    out = buf.getvalue()
    assert _no_control(out)  # rich expands tabs
    assert out == ("name: " + for_console(name)).expandtabs(8) + "\n"
    cell = RichTable("id")
    cell.add_row(one_line(name))  # a table cell, not a printed string: the same path
    buf.seek(0), buf.truncate()
    console.print(cell)
    assert one_line(name).strip() in buf.getvalue()
    ui_buf = StringIO()
    ui = UI()
    ui.err = PlainConsole(file=ui_buf, width=400, color_system=None)
    ui.error(name)
    assert ui_buf.getvalue() == f"error: {one_line(name)}\n"


@_FUZZ
@given(name=NAMES)
def test_fuzz_markup_escape_round_trips_through_rich(name):
    from rich.text import Text

    from xrbvo.core.text import for_markup

    assert Text.from_markup(f"[b]{for_markup(name)}[/b]", emoji=False).plain == escape_control(name)


@_FUZZ
@given(name=NAMES)
def test_fuzz_matplotlib_draws_any_name(name):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1), dpi=20)
    fig.text(0.1, 0.5, for_mathtext(name))
    fig.suptitle(for_mathtext(name))
    fig.canvas.draw()  # a mathtext error would raise here


@_FUZZ
@given(names=st.lists(NAMES, min_size=1, max_size=4), meta=NAMES)
def test_fuzz_votable_and_fits_writers_keep_every_name_readably(tmp_path_factory, names, meta):
    d = tmp_path_factory.mktemp("fuzz")
    t = Table({"xid": names, "ra": np.arange(len(names), dtype=float)})
    t.meta["INPUT"] = meta
    vot = write_table(t, d / "t.vot")
    ET.parse(vot)
    back = read_table(vot)
    # astropy strips the ends of a cell and reads an empty one as masked; XML reads CR as a newline
    def norm(v):
        return "" if v is np.ma.masked else str(v).replace("\r\n", "\n").replace("\r", "\n").strip()

    # (compared with the column as stored: numpy text drops trailing NULs before any writer sees them)
    assert [norm(v) for v in back["xid"]] == [norm(for_xml(n)) for n in t["xid"]]
    h = fits.getheader(write_table(t, d / "t.fits"), 1)
    assert h["INPUT"].rstrip() == for_fits_header(meta).rstrip()


@_FUZZ
@given(name=NAMES)
def test_fuzz_report_index_holds_the_name_as_text(name):
    from xrbvo.io.report import index_html

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.cells: list[str] = []
            self._in = False

        def handle_starttag(self, tag, attrs):
            self._in = tag == "td"
            if self._in:
                self.cells.append("")

        def handle_data(self, data):
            if self._in:
                self.cells[-1] += data

    p = Cells()
    p.feed(index_html([{"xid": name, "l": 1.0, "b": math.nan, "candidate_class": "HMXB", "P": 0.5,
                        "png": ""}], title=name))
    assert p.cells[1] == escape_control(name)


@pytest.mark.parametrize("name", ["\\\\[", "\\[", "a\\\\[x", "\\\\[\\[b]", "[[\\"])
def test_backslashes_before_a_bracket_that_is_no_tag_are_shown_as_written(name):
    """Found by a random fuzz run: rich turns the last "\\[" of plain text into "[", eating a backslash."""
    from rich.text import Text

    from xrbvo.core.text import for_markup

    assert Text.from_markup(f"[b]{for_markup(name)}[/b]", emoji=False).plain == escape_control(name)
