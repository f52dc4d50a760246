"""Shared test helpers: materialize capgap through Dagster into a temporary DuckDB file."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import defs, project_assets
from orchestration.defs.settings import resources_from_env

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_SAMPLE = {"CAPGAP_SAMPLE_MEMBERS": "60", "CAPGAP_SAMPLE_YEARS": "2"}

Materialize = Callable[..., dg.ExecuteInProcessResult]


def all_assets() -> list[dg.AssetsDefinition]:
    """Every asset of the project's definitions."""
    return list(defs.assets)


def materialize_into(
    warehouse: Path,
    raise_on_error: bool = True,
    rebuild: dict | None = None,
    selection: dg.AssetSelection | None = None,
    **env: str,
) -> dg.ExecuteInProcessResult:
    """Materialize every asset (or the `selection`) into `warehouse`, configured like the
    CAPGAP_* environment; `rebuild` is the run's config of the rebuild resource
    (`from_date`, `full`)."""
    resources = resources_from_env({"CAPGAP_WAREHOUSE": str(warehouse), **env})
    run_config = {"resources": {"rebuild": {"config": rebuild}}} if rebuild else None
    return dg.materialize(
        project_assets(bucketed=bool(resources["bucketing"].buckets)),
        selection=selection,
        resources=resources,
        raise_on_error=raise_on_error,
        run_config=run_config,
    )


def read_only_query(warehouse: Path, sql: str) -> list[tuple]:
    """Run a query on a warehouse file, read-only."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    """A fresh warehouse file for one test."""
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def materialize(warehouse_path: Path) -> Materialize:
    """Materialize every asset with resources configured like the CAPGAP_* environment."""

    def run(raise_on_error: bool = True, **env: str) -> dg.ExecuteInProcessResult:
        return materialize_into(warehouse_path, raise_on_error, **env)

    return run


@pytest.fixture
def query(warehouse_path: Path) -> Callable[[str], list[tuple]]:
    """Run a query on the test warehouse, read-only."""

    def run(sql: str) -> list[tuple]:
        return read_only_query(warehouse_path, sql)

    return run


EDGE_MARKET = FIXTURES / "files" / "edge_market"
FAULTY_MARKET = FIXTURES / "files" / "faulty_market"


@pytest.fixture(scope="session")
def edge_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse built once, through Dagster, from the hand-made edge_market directory."""
    warehouse = tmp_path_factory.mktemp("edge") / "w.duckdb"
    materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(EDGE_MARKET))
    return warehouse


@pytest.fixture(scope="session")
def faulty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse built once from faulty_market: edge_market plus series with vendor faults."""
    warehouse = tmp_path_factory.mktemp("faulty") / "w.duckdb"
    materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(FAULTY_MARKET))
    return warehouse


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium, headless, driven by Playwright (`make test` installs it)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save their screenshots: a temporary directory, or the one
    CAPGAP_SCREENSHOTS names (`make screenshots` sets docs/screenshots), so a test run
    leaves the tracked files alone."""
    chosen = os.environ.get("CAPGAP_SCREENSHOTS")
    directory = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
