"""The Dagster UI as `make dev` serves it, opened in headless Chromium after an evening run.

Two `capgap run`s (the second one session later) record their materializations in a
temporary DAGSTER_HOME; the webserver then serves the project's workspace, and the test
looks at what a data engineer would: the breadth mart's latest materialization with its
metadata and plot, and the automation page with the NYSE schedule and the freshness
sensor. `make screenshots` keeps the screenshots under docs/screenshots/.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from orchestration.paths import PROJECT_ROOT
from tests.conftest import chromium

BIN = Path(sys.executable).parent
SAMPLE = {"CAPGAP_SAMPLE_MEMBERS": "120", "CAPGAP_SAMPLE_YEARS": "2"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ui(tmp_path_factory) -> Iterator[str]:
    """The URL of a Dagster webserver over two recorded runs of the sample."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        **SAMPLE,
        "DAGSTER_HOME": str(home),
        "CAPGAP_WAREHOUSE": str(home / "w.duckdb"),
    }
    for through in ("2026-11-19", "2026-11-20"):
        run = subprocess.run(
            [str(BIN / "capgap"), "run"],
            env={**env, "CAPGAP_SAMPLE_THROUGH": through},
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr[-2000:]
    port = free_port()
    webserver = [str(BIN / "dagster-webserver"), "-w", "workspace.yaml"]
    server = subprocess.Popen(
        [*webserver, "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the webserver did not start in 90 s"
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with chromium() as browser:
        yield browser.new_page(viewport={"width": 1400, "height": 1000})


def open_page(page: Page, url: str) -> None:
    """Open a UI page, past the newsletter dialog the UI shows on a browser's first visit."""
    page.goto(url, wait_until="networkidle")
    with contextlib.suppress(PlaywrightTimeout):
        page.get_by_role("button", name="Skip").click(timeout=5000)


def test_the_breadth_mart_shows_its_metadata_and_plot(ui, page, screenshots):
    open_page(page, f"{ui}/assets/marts/breadth_daily?view=events")
    for name in ("dagster/row_count", "last_date", "rows_added", "source", "load_id"):
        page.get_by_role("cell", name=name, exact=True).wait_for()
    page.screenshot(path=screenshots / "asset-breadth-daily.png")

    page.locator("tr", has_text="plot/pct_above_sma50").get_by_text("Show Markdown").click()
    plot = page.locator("img[alt^='% of members above their 50-day SMA']")
    plot.wait_for()
    assert plot.evaluate("img => img.complete && img.naturalWidth") > 0
    page.screenshot(path=screenshots / "asset-breadth-daily-plot.png")


def test_the_automation_page_lists_the_schedule_and_the_sensor(ui, page, screenshots):
    open_page(page, f"{ui}/automation")
    page.get_by_text("after_nyse_close").first.wait_for()
    page.get_by_text("marts_freshness").first.wait_for()
    page.screenshot(path=screenshots / "automation.png")
