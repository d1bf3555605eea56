"""The report's index page in a real browser: headless Chromium (Debian's chromium and chromium-driver,
scripts/ci/chromium.sh) driven by Selenium opens index.html from disk; the table sorts and filters, every
link and image resolves, and no script error is logged."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from _report import ODD_NAME, finished_catalogue
from conftest import require
from xrbvo.workflows.report import ReportInputs, draw_report


def _chromium():
    try:
        import selenium  # noqa: F401
    except ImportError:
        selenium_ok = False
    else:
        selenium_ok = True
    require(selenium_ok, "Selenium", "pip install -e '.[test]' (selenium is in the test extra)")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    require(bool(binary and driver), "headless Chromium",
            "install Debian's chromium and chromium-driver (bash scripts/ci/chromium.sh, as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
              "--allow-file-access-from-files"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingOptions", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=opts)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    cat, nb = finished_catalogue(n_field=30)
    d = tmp_path_factory.mktemp("browser")
    cat.write(d / "run.fits")
    rep = draw_report(ReportInputs(cat, nb, source="browser test", files={"run.fits": d / "run.fits"}), d / "report")
    drv = _chromium()
    try:
        drv.get(rep.index.as_uri())
        yield drv, rep
    finally:
        drv.quit()


def _column(drv, header: str) -> list[str]:
    heads = [th.text.strip().rstrip(" ▲▼") for th in drv.find_elements("css selector", "#candidates thead th")]
    k = heads.index(header)
    return [tr.find_elements("tag name", "td")[k].text for tr in
            drv.find_elements("css selector", "#candidates tbody tr") if tr.is_displayed()]


def _click(drv, header: str) -> None:
    for th in drv.find_elements("css selector", "#candidates thead th"):
        if th.text.strip().rstrip(" ▲▼") == header:
            th.click()
            return
    raise AssertionError(f"no column {header}")


def test_the_table_sorts_and_filters(page):
    drv, rep = page
    assert len(_column(drv, "xid")) == 4
    _click(drv, "G")  # numeric, descending first
    g = [float(v) if v else float("-inf") for v in _column(drv, "G")]
    assert g == sorted(g, reverse=True) and g[0] == 20.4
    _click(drv, "G")
    assert [float(v) if v else float("-inf") for v in _column(drv, "G")] == sorted(g)
    _click(drv, "xid")
    assert _column(drv, "xid") == ["NOCTP 3", ODD_NAME, "FAINT 2", "BRIGHT 1"]  # text, descending first
    from selenium.webdriver.support.ui import Select

    Select(drv.find_element("id", "filter-class")).select_by_value("LMXB")
    assert sorted(_column(drv, "class")) == ["LMXB", "LMXB"]
    assert drv.find_element("id", "shown").text == "2"
    Select(drv.find_element("id", "filter-class")).select_by_value("")
    box = drv.find_element("id", "filter-text")
    box.send_keys("bright")
    assert _column(drv, "xid") == ["BRIGHT 1"]
    box.clear()
    box.send_keys(" ")  # an input event with an empty query: every row again
    assert len(_column(drv, "xid")) == 4
    Select(drv.find_element("id", "filter-known")).select_by_value("known")
    assert _column(drv, "xid") == ["BRIGHT 1"]
    Select(drv.find_element("id", "filter-known")).select_by_value("")


def test_every_link_and_image_resolves_and_no_script_error(page):
    drv, rep = page
    hrefs = [a.get_attribute("href") for a in drv.find_elements("tag name", "a")]
    external = [h for h in hrefs if not h.startswith("file:")]
    local = [h for h in hrefs if h.startswith("file:")]
    assert len(external) == 12 and len(local) >= 4 + 4 + 3 + 2  # pictures twice, population plots, files
    for h in external:
        u = urlparse(h)
        assert u.scheme == "https" and u.netloc in ("simbad.cds.unistra.fr", "aladin.cds.unistra.fr", "sky.esa.int")
        assert u.query and " " not in h
    for h in local:
        assert Path(unquote(urlparse(h).path)).is_file(), h
    for img in drv.find_elements("tag name", "img"):
        drv.execute_script("arguments[0].scrollIntoView();", img)
        ok = drv.execute_script("var i = arguments[0]; return i.complete && i.naturalWidth > 0;", img)
        if not ok:
            from selenium.webdriver.support.ui import WebDriverWait

            WebDriverWait(drv, 20).until(lambda d: d.execute_script(
                "var i = arguments[0]; return i.complete && i.naturalWidth > 0;", img))
    errors = [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    drv.execute_script("window.scrollTo(0, 0);")
    drv.save_screenshot(str(rep.index.parent / "screenshot.png"))
