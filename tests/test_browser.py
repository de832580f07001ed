"""The report in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`,
driven by Selenium with both paths given, so nothing downloads a browser) opens report.html of a
run folder and of an experiment folder with the network off, and every image decodes, the page
logs no console error, and the headline numbers on the page are those of kpis.json or
summary.csv. A screenshot is saved beside each report.

Without Chromium, its driver or selenium the tests skip and say what to install; under
`CI=true` they fail instead, so CI cannot pass without running them.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from flexsim import metrics, report

pytestmark = pytest.mark.slow

APT = "apt-get install -y chromium chromium-driver"
BROWSERS = ("chromium", "chromium-browser")
# Chromium as root on a closed network: no sandbox, no GPU, nothing fetched in the background
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1100,900",
)
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def _missing() -> str:
    """What is missing to run a browser, or ''."""
    needs = []
    if not any(map(shutil.which, BROWSERS)) or not shutil.which("chromedriver"):
        needs.append(f"Chromium and its driver ({APT})")
    try:
        import selenium  # noqa: F401
    except ImportError:
        needs.append('selenium (pip install -e ".[dev]")')
    return " and ".join(needs)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium with a fresh profile and the network emulated offline."""
    if missing := _missing():
        message = f"the browser test needs {missing}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(next(filter(None, map(shutil.which, BROWSERS))))
    with tempfile.TemporaryDirectory() as profile:
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=shutil.which("chromedriver"))
        driver = webdriver.Chrome(service=service, options=options)
        try:
            driver.execute_cdp_cmd("Network.enable", {})
            offline = {
                "offline": True,
                "latency": 0,
                "downloadThroughput": 0,
                "uploadThroughput": 0,
            }
            driver.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
            yield driver
        finally:
            driver.quit()


def open_report(browser: Any, folder: Path) -> list[dict[str, str]]:
    """Open DIR/report.html, wait for its images, save DIR/report-screenshot.png, and return
    the headline values on the page (kpi, variant, value, text)."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get((folder / report.REPORT).resolve().as_uri())
    loaded = "return [...document.images].every(i => i.complete)"
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(loaded))
    sizes = browser.execute_script(
        "return [...document.images].map(i => [i.naturalWidth, i.naturalHeight])"
    )
    assert sizes and all(w > 0 and h > 0 for w, h in sizes), f"an image did not decode: {sizes}"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, f"the page logged errors: {errors}"
    fetched = browser.execute_script("return performance.getEntriesByType('resource').length")
    assert fetched == 0, "the page loaded a resource: it must be self-contained"
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1100, height)
    shot = folder / "report-screenshot.png"
    browser.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
    values: list[dict[str, str]] = browser.execute_script(
        "return [...document.querySelectorAll('.value[data-kpi]')].map(e => ({kpi: "
        "e.dataset.kpi, variant: e.dataset.variant || '', value: e.dataset.value, "
        "text: e.innerText}))"
    )
    return values


def shown(text: str) -> float:
    """A number as the page shows it: `4,283,175 CNY`, `81.4 %`, `320.4 h (13.4 days)`."""
    match = NUMBER.search(text)
    assert match, f"no number in {text!r}"
    number = float(match[0].replace(",", ""))
    return number / 100 if text[match.end() :].lstrip().startswith("%") else number


def assert_same(value: float, on_page: dict[str, str]) -> None:
    """The exact value behind a headline, and the number shown, rounded to what it shows."""
    where = f"{on_page['kpi']} {on_page['variant']}"
    if math.isnan(value):
        assert on_page["value"] == "" and on_page["text"].startswith(report.MISSING), where
        return
    assert float(on_page["value"]) == value, where
    assert shown(on_page["text"]) == pytest.approx(value, rel=6e-4, abs=6e-4), where


def test_a_run_report_in_chromium(browser: Any, reported_run: Path) -> None:
    folder = reported_run
    values = open_report(browser, folder)
    row = metrics.kpi_row(json.loads((folder / "kpis.json").read_text()))
    assert len(values) >= 8  # each factory's cash cycle and profit, two lines, three kinds
    for on_page in values:
        value = row[on_page["kpi"]]
        assert_same(math.nan if value is None else float(value), on_page)


def test_an_experiment_report_in_chromium(browser: Any, reported_experiment: Path) -> None:
    folder = reported_experiment
    values = open_report(browser, folder)
    summary = pd.read_csv(folder / "summary.csv").set_index(["kpi", "variant"])["mean"]
    assert len(values) == len(summary)
    for on_page in values:
        assert_same(float(summary[(on_page["kpi"], on_page["variant"])]), on_page)


def test_a_village_report_fits_the_window_in_chromium(
    browser: Any, reported_village: tuple[Path, str]
) -> None:
    """50 factories: nothing on the page is wider than the window; the table of factories
    scrolls in its own box."""
    folder, _ = reported_village
    browser.set_window_size(1280, 900)
    values = open_report(browser, folder)
    browser.set_window_size(1280, 900)
    width = browser.execute_script("return document.documentElement.clientWidth")
    assert browser.execute_script("return document.body.scrollWidth") <= width
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    box = browser.execute_script(
        "const b = document.querySelector('.rows'); return [b.clientWidth, b.scrollWidth]"
    )
    assert box[0] <= width
    row = metrics.kpi_row(json.loads((folder / "kpis.json").read_text()))
    # the factories' cash cycle and their lines' busy share together, the lead times
    kinds = {metrics.split_kpi_name(v["kpi"])[:2] for v in values}
    assert {("cash_cycle", "factories"), ("utilisation", "factories")} <= kinds
    assert all(key == "factories" or section == "lead_time" for section, key in kinds)
    for on_page in values:
        value = row[on_page["kpi"]]
        assert_same(math.nan if value is None else float(value), on_page)
