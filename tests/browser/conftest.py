"""A real headless Chromium (Debian's, driven by its own chromedriver through Selenium;
nothing downloaded) against the compose file's api and worker on the embedded default.
On a failure the page's screenshot and the browser's console log are saved beside the
test output (``<tmp>/browser-failures``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.processes import Deployment, embedded_deployment

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
#: Where a failing test's screenshot and console log go (kept after the run).
FAILURES = Path(__file__).resolve().parents[2] / "test-output" / "browser"


def new_browser(width: int = 1280, height: int = 900) -> webdriver.Chrome:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail("Debian's chromium and chromium-driver are needed (.ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    if width < 500:  # a headless window is at least 500 px wide: emulate a phone's viewport
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    return driver


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with embedded_deployment(tmp_path_factory.mktemp("dashboard")) as d:
        yield d


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator[webdriver.Chrome]:
    driver = new_browser()
    try:
        yield driver
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            save_failure(driver, request.node.name)
        driver.quit()


def save_failure(driver: webdriver.Chrome, name: str) -> None:
    FAILURES.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(FAILURES / f"{name}.png"))
    lines = [f"{e['level']} {e['message']}" for e in driver.get_log("browser")]
    (FAILURES / f"{name}.console.log").write_text("\n".join(lines) + "\n")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    setattr(item, f"rep_{report.when}", report)  # type: ignore[attr-defined]
    return report
