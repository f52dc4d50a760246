"""Dagster resources: the DuckDB warehouse, the market-data source and the indicator settings."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO

import dagster as dg
import duckdb
from pydantic import Field, PrivateAttr

from orchestration.paths import DDL_DIR
from orchestration.sources.base import Source
from orchestration.sources.live.fred import FRED_URL
from orchestration.sources.live.http import USER_AGENT
from orchestration.sources.live.ishares import CSV_URL, PRODUCT_DATA_URL, HoldingsEndpoints
from orchestration.sources.live.members import ListEndpoints
from orchestration.sources.live.sec_facts import COMPANYFACTS_URL
from orchestration.sources.live.tickers import SEC_TICKERS_URL
from orchestration.sources.live.wikipedia import SP500_URL
from orchestration.sources.sample.rates import CPI_RELEASE_DAY
from orchestration.warehouse.screening import DateWindow
from orchestration.warehouse.warehouse_file import (
    WarehouseFileError,
    check_file,
    check_path,
    hold_run_lock,
)

# The steps that open the warehouse file carry this tag; the multiprocess executor runs one
# of them at a time (DuckDB allows one writer), and the bucket steps beside them.
WRITES_WAREHOUSE = {"capgap/writes": "warehouse"}
# How much memory each DuckDB connection may use before it spills to disk.
DEFAULT_MEMORY_LIMIT = "384MB"


class WarehouseBusy(dg.Failure):
    """Another process holds the warehouse file."""


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file every asset reads and writes (one run at a time).

    A run holds the warehouse's run lock from its start to its end (see
    `warehouse_file`): a second run waits up to `lock_wait_seconds` for it, then fails
    saying which run holds it. Within a run, DuckDB lets one process open the file
    read-write, or many read-only: an open read-only client (a BI tool) holds it too, and
    `connect` waits for it as long, then fails saying so. A path that cannot hold a
    warehouse is refused, and a run checks the file before it writes: a file cut short is
    refused. DuckDB's own memory is capped at `memory_limit` (it spills to disk beyond it),
    and it may reorder rows of a query without ORDER BY.
    """

    path: str
    lock_wait_seconds: float = 60.0
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    _run_lock: IO[str] | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Take the run lock for the whole run (the in-process executor sets up once)."""
        file = self._file()
        run_id = context.run_id or "outside a run"
        try:
            self._run_lock = hold_run_lock(
                file, run_id, self.lock_wait_seconds, context.log.info if context.log else print
            )
        except WarehouseFileError as error:
            raise WarehouseBusy(description=str(error)) from error
        try:
            check_file(file)
        except WarehouseFileError as error:
            self.teardown_after_execution(context)
            raise dg.Failure(description=str(error)) from error

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Release the run lock."""
        if self._run_lock is not None:
            self._run_lock.close()
            self._run_lock = None

    def _file(self) -> Path:
        try:
            return check_path(self.path)
        except WarehouseFileError as error:
            raise dg.Failure(description=str(error)) from error

    def _open(self, file: Path) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_wait_seconds
        while True:
            try:
                return duckdb.connect(str(file))
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        description=(
                            f"the warehouse {self.path} is in use by another process and stayed "
                            f"locked for {self.lock_wait_seconds:g} s: another capgap run, or "
                            "a client that opened it (even read-only, like a BI tool or the "
                            f"duckdb CLI). Close it or wait for the run to end. DuckDB: {error}"
                        )
                    ) from error
                time.sleep(min(1.0, self.lock_wait_seconds))

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the warehouse read-write, with the raw DDL applied."""
        file = self._file()
        file.parent.mkdir(parents=True, exist_ok=True)
        con = self._open(file)
        try:
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
            con.execute("SET preserve_insertion_order = false")
            for ddl in sorted(DDL_DIR.glob("*.sql")):
                con.execute(ddl.read_text())
            yield con
        finally:
            con.close()


class Bucketing(dg.ConfigurableResource):
    """Whether the per-ticker staging tables are built by bucket of tickers, in parallel.

    `buckets` 0 builds them in the warehouse file. With `buckets` 1 or more, each bucket is
    built by its own step (in parallel under the multiprocess executor, or on other
    machines under a cluster's executor) into Parquet files under `dataset`, a directory
    every worker reaches, and the warehouse holds views over those files. `workers` is how
    many steps run at once on this machine; each worker's DuckDB uses `memory_limit` and
    this machine's cores shared among the workers.
    """

    buckets: int = 0
    dataset: str = ""
    workers: int = 1
    memory_limit: str = DEFAULT_MEMORY_LIMIT

    def threads(self) -> int:
        """DuckDB threads for each worker: this machine's cores shared among its workers."""
        return max(1, (os.cpu_count() or 1) // max(1, min(self.workers, self.buckets)))


class MarketSource(dg.ConfigurableResource):
    """Which source fills the raw tables (`sample`, `files` or `yahoo`) and its settings:
    the `yahoo` source's endpoints (a mirror or a proxy can stand in for each) and the
    User-Agent it sends (the SEC asks for one with a contact).

    `files_reload` makes the `files` directory the truth again: the raw rows it no longer
    has are removed (and what was built from them rebuilt). `sample_cache` is where the
    drawn sample market is kept between runs (empty: drawn every run)."""

    kind: str = "sample"
    files_dir: str = ""
    files_reload: bool = False
    sample_members: int = 2500
    sample_years: int = 10
    sample_seed: int = 42
    sample_end: str = "2026-11-20"
    sample_through: str = ""
    sample_cache: str = ""
    yahoo_history_start: str = ""
    sp500_url: str = SP500_URL
    ishares_url: str = PRODUCT_DATA_URL
    ishares_csv_url: str = CSV_URL
    sec_tickers_url: str = SEC_TICKERS_URL
    fred_url: str = FRED_URL
    sec_facts_url: str = COMPANYFACTS_URL
    user_agent: str = USER_AGENT

    def list_endpoints(self) -> ListEndpoints:
        """Where the live member lists and holdings are asked for."""
        return ListEndpoints(
            sp500_url=self.sp500_url,
            holdings=HoldingsEndpoints(
                product_data_url=self.ishares_url, csv_url=self.ishares_csv_url
            ),
            sec_tickers_url=self.sec_tickers_url,
        )

    def build(self) -> Source:
        """The configured source, ready to fetch."""
        if self.kind == "sample":
            from orchestration.sources.sample.source import SampleSource

            return SampleSource(
                members=self.sample_members,
                years=self.sample_years,
                seed=self.sample_seed,
                end=date.fromisoformat(self.sample_end),
                through=date.fromisoformat(self.sample_through) if self.sample_through else None,
                cache_dir=Path(self.sample_cache) if self.sample_cache else None,
            )
        if self.kind == "files":
            from orchestration.sources.files import FilesSource

            if not self.files_dir:
                raise dg.Failure(
                    "CAPGAP_SOURCE=files needs CAPGAP_FILES_DIR: the directory to read"
                )
            return FilesSource(Path(self.files_dir), reload=self.files_reload)
        if self.kind == "yahoo":
            from orchestration.sources.live.yahoo import YahooSource

            start = (
                date.fromisoformat(self.yahoo_history_start) if self.yahoo_history_start else None
            )
            return YahooSource(
                history_start=start,
                lists=self.list_endpoints(),
                fred_url=self.fred_url,
                sec_facts_url=self.sec_facts_url,
                user_agent=self.user_agent,
            )
        raise dg.Failure(
            f"unknown source '{self.kind}': CAPGAP_SOURCE is one of sample, files, yahoo"
        )


class IndicatorSettings(dg.ConfigurableResource):
    """The configurable parameters of the indicators, with the documented defaults.

    The one place every threshold of the marts is set: the SQL models read them as DuckDB
    variables (`getvariable('large_benchmark')`), each published table records the values it
    was built with in `meta.settings`, and the tape words its rules from that record.
    """

    large_benchmark: str = Field("^GSPC", description="the large universe's benchmark")
    small_benchmark: str = Field("^RUT", description="the small universe's benchmark")
    small_etf: str = Field("IWM", description="the small-cap ETF whose volume the signals read")
    rotation_benchmark: str = Field("SPY", description="what the rotation ETFs are compared to")
    cpi_release_day: int = Field(
        CPI_RELEASE_DAY, description="day of the next month on which a month's CPI is public"
    )
    near_high_threshold: float = Field(
        0.02, description="large_near_high: within this fraction of the record high"
    )
    regime_decline_pct_above_sma50: float = Field(
        40.0, description="broad_decline: both universes at most this % above their SMA 50"
    )
    regime_rally_pct_above_sma50: float = Field(
        60.0, description="broad_rally: both universes at least this % above their SMA 50"
    )
    regime_leadership_spread_63d: float = Field(
        0.05, description="leadership: the 63-day return spread at least this far from 0"
    )
    rate_relief_10y_change_bp: float = Field(
        -25.0, description="rate_relief: the 10-year's 21-day change at or below this, in bp"
    )
    breadth_breakout_corr_21d: float = Field(
        0.8, description="breadth_breakout: the 21-day correlation at least this"
    )
    breadth_breakout_pct_above_sma50: float = Field(
        60.0, description="breadth_breakout: at least this % of small caps above their SMA 50"
    )
    liquidity_relative_volume: float = Field(
        1.2, description="liquidity_returning: a high-volume day's relative volume, at least"
    )
    liquidity_high_volume_days: int = Field(
        3, description="liquidity_returning: high-volume days among the last 5, at least"
    )
    catalyst_relative_volume: float = Field(
        3.0, description="catalyst_like: a mover's volume over its 50-day mean, at least"
    )
    light_volume_ratio: float = Field(
        0.8, description="light_volume: 5-day over 50-day mean volume below this"
    )
    coverage_floor_pct: float = Field(
        90.0, description="a universe priced below this % of its members has a thin day"
    )
    split_tolerance: float = Field(
        0.03, description="a move within this fraction of a whole split factor is suspect"
    )
    max_daily_ratio: float = Field(
        10.0,
        description="a move of more than this many times the close before (up or down) is suspect",
    )
    split_action_window_days: int = Field(
        5, description="a move undoing a split action dated within this many days is suspect"
    )
    reversal_bars: int = Field(
        21, description="a suspect move that reverts within this many bars is a misprint"
    )
    reversal_band: float = Field(
        0.3, description="reverting: back within this fraction of the close before the move"
    )
    stale_run_bars: int = Field(
        5, description="this many repeated closes in a row with no volume or range are stale"
    )
    fault_share_limit_pct: float = Field(
        5.0,
        description="faults on one date in more than this % of a universe's members stop the run",
    )

    def variables(self) -> dict[str, str | int | float]:
        """The settings as DuckDB variable names and values."""
        return self.model_dump()


class QualitySettings(dg.ConfigurableResource):
    """How much of each table the checks look at.

    By default only the new rows: those dated within `revalidate_days` of the latest date
    already published (a first build checks everything); an incremental table checks the rows
    it rebuilt. `full_validation` rebuilds the incremental tables in full and checks every row.
    A bar, rate or action dated before `earliest_date` is quarantined: no plausible history
    of these markets starts before it. `overrides_path` is the overrides file (see
    `overrides`); a run without one applies none.
    """

    full_validation: bool = False
    revalidate_days: int = 10
    earliest_date: str = "1980-01-01"
    overrides_path: str = "data/overrides.csv"

    def date_window(self, today: date) -> DateWindow:
        """The dates a raw row may carry: from `earliest_date` to `today`."""
        return DateWindow(earliest=date.fromisoformat(self.earliest_date), today=today)


class RebuildSettings(dg.ConfigurableResource):
    """How much a run fetches and recomputes; set in the launchpad or by the job.

    By default a run is incremental: each source resumes per symbol from its last stored
    date (with an overlap), and the incremental tables recompute only the rows whose inputs
    changed. `from_date` re-runs a range: everything from that date on is fetched again
    and recomputed (a window carries forward, so a range always runs to the latest date).
    `full` fetches the whole history and rebuilds every table from raw.
    """

    from_date: str = ""
    full: bool = False

    def rebuild_from(self) -> date | None:
        """`from_date` as a date, or None when no range is asked for."""
        if not self.from_date:
            return None
        try:
            return date.fromisoformat(self.from_date)
        except ValueError as error:
            raise dg.Failure(
                f"rebuild from_date '{self.from_date}' is not a date: write it as YYYY-MM-DD"
            ) from error
