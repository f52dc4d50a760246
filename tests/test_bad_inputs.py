"""The bad-inputs corpus (`tests/fixtures/bad_inputs/`), each case run through Dagster on a
warehouse that already holds the good base.

Every case asserts (a) the outcome: the run fails, or it succeeds with rows quarantined, with
symbols reported missing, with a warning, or with nothing to report; (b) that what the run
says names what is wrong and where (stable fragments of one message); (c) that nothing is
lost: every raw row stored before is still there unchanged, the bad load revises nothing,
every row it received is landed or quarantined, and a failed run leaves
`marts.breadth_daily` as it was.

The good base is materialized once per source and copied for each case. A case's run
materializes the raw tables and what `marts.breadth_daily` is built from (every model would
double the file's time and see the same raw tables).
"""

from __future__ import annotations

import csv
import gzip
import io
import runpy
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from orchestration.defs.resources import MarketSource
from orchestration.defs.settings import resources_from_env
from orchestration.sources.base import RAW_SCHEMAS
from tests import test_source_yahoo as recorded
from tests.conftest import FIXTURES, all_assets, materialize_into

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")

CORPUS = FIXTURES / "bad_inputs"
SCRIPT = CORPUS / "make_bad_inputs.py"
FILES = CORPUS / "files"
BODIES = CORPUS / "yahoo"
GOOD_BASE = FILES / "good_base"
IWM_BASE = BODIES / "ishares_IWM_holdings.base.derived.csv"
RAW_TABLES = tuple(RAW_SCHEMAS)
# marts.breadth_daily and what it is built from; staging.member_prices' checks read
# staging.trading_dates too.
SELECTION = (
    dg.AssetSelection.groups("ingest")
    | dg.AssetSelection.keys("staging/trading_dates", "marts/breadth_daily").upstream()
)

# The stand-in of the yahoo tests (module-scoped there, so one here too).
server = recorded.server


class Outcome(Enum):
    """What a run does with a bad input."""

    FAILS = "the run fails with a message"
    QUARANTINES = "the run succeeds; the bad rows are in raw.quarantine"
    MISSING = "the run succeeds; the symbols are in raw.loads.missing"
    WARNS = "the run succeeds; a warning names the rows"
    LOADS = "the run succeeds; nothing to quarantine or report missing"


@dataclass(frozen=True)
class Expected:
    """A case's outcome; `says`: fragments one message must all contain; `count`: rows
    quarantined; `missing`: symbols newly missing."""

    outcome: Outcome
    says: tuple[str, ...]
    count: int = 0
    missing: tuple[str, ...] = ()


FILES_CASES: dict[str, Expected] = {
    "wrong_column_names": Expected(
        Outcome.FAILS,
        ("prices.csv lacks the column(s) ticker", "its header is date, symbol, open"),
    ),
    "missing_required_column": Expected(
        Outcome.FAILS, ("members.csv lacks the column(s) valid_from", "its header is")
    ),
    "text_in_close": Expected(
        Outcome.QUARANTINES,
        ("prices.csv line 40: column close: 'n/a' is not a number",),
        count=1,
    ),
    "missing_members_file": Expected(Outcome.FAILS, ("members.csv is missing from",)),
    "empty_file": Expected(Outcome.FAILS, ("rates.csv is empty (0 bytes)",)),
    "header_only": Expected(
        Outcome.FAILS, ("prices.csv has a header and no rows; nothing to load from it",)
    ),
    "duplicate_day_identical": Expected(
        Outcome.QUARANTINES,
        ("the row appears 2 times; one copy kept", "(AAA 2024-01-10)"),
        count=1,
    ),
    "duplicate_day_conflicting": Expected(
        Outcome.QUARANTINES,
        ("the key appears 2 times with different values", "(AAA 2024-01-10)"),
        count=2,
    ),
    "negative_price": Expected(
        Outcome.QUARANTINES, ("close -8.08 is not > 0", "(CCC 2024-01-10)"), count=1
    ),
    "zero_price": Expected(
        Outcome.QUARANTINES, ("open 0.0 is not > 0", "(DDD 2024-01-11)"), count=1
    ),
    "high_below_low": Expected(
        Outcome.QUARANTINES, ("high 122.89 is below low 124.36", "(BBB 2024-01-12)"), count=1
    ),
    "close_above_high": Expected(
        Outcome.QUARANTINES,
        ("close", "above high", "(AAA 2024-01-18)"),
        count=1,
    ),
    "future_date": Expected(
        Outcome.QUARANTINES, ("date 2099-01-02 is after today", "(AAA 2099-01-02)"), count=1
    ),
    "saturday": Expected(
        Outcome.QUARANTINES,
        ("date 2024-01-13 is not an NYSE trading day", "(AAA 2024-01-13)"),
        count=1,
    ),
    "market_holiday": Expected(
        Outcome.QUARANTINES,
        ("date 2024-01-15 is not an NYSE trading day", "(^GSPC 2024-01-15)"),
        count=6,
    ),
    "price_jump_100x": Expected(
        Outcome.WARNS, ("every_series_whole", "AAA", "unadjusted_split", "2024-02-14")
    ),
    "ticker_in_two_universes": Expected(
        Outcome.WARNS,
        ("AAA", "large", "small", "2024-01-16"),
    ),
    "overlapping_rows_one_universe": Expected(Outcome.WARNS, ("overlap", "AAA", "2024-01-16")),
    "valid_to_before_valid_from": Expected(
        Outcome.QUARANTINES,
        ("valid_to 2023-12-29 is before valid_from 2024-01-02", "(small CCC 2024-01-02)"),
        count=1,
    ),
    "unknown_universe": Expected(
        Outcome.QUARANTINES,
        ("universe 'mid' is not one of large, small", "(mid EEE 2024-01-02)"),
        count=1,
    ),
    "unknown_rate_series": Expected(
        Outcome.QUARANTINES, ("series 'dgs10' is not one of", "(dgs10 2024-01-02)"), count=1
    ),
    "implausible_rate": Expected(
        Outcome.QUARANTINES,
        ("value 410.0 is outside the plausible range for ust_10y", "(ust_10y 2024-01-10)"),
        count=1,
    ),
    "negative_volume": Expected(
        Outcome.QUARANTINES, ("volume -3000 is negative", "(CCC 2024-01-22)"), count=1
    ),
    "unparseable_date": Expected(
        Outcome.QUARANTINES,
        ("prices.csv line 38: column date: '01/10/2024' is not a date (YYYY-MM-DD)",),
        count=1,
    ),
    "latin1_encoding": Expected(
        Outcome.FAILS, ("members.csv is not UTF-8: line ", "has the byte 0xe9", "save the file")
    ),
    "utf16_bom": Expected(
        Outcome.FAILS,
        ("prices.csv", "UTF-16"),
    ),
    "utf8_bom": Expected(Outcome.LOADS, ("files brought 180 price rows",)),
    "ragged_line": Expected(
        Outcome.QUARANTINES,
        ("prices.csv line 38: 9 fields where the header has 8",),
        count=1,
    ),
    "truncated_file": Expected(
        Outcome.QUARANTINES,
        ("prices.csv line 181: 7 fields where the header has 8",),
        count=1,
    ),
    "html_instead_of_csv": Expected(Outcome.FAILS, ("prices.csv is an HTML page, not CSV",)),
    "corrupt_parquet": Expected(
        Outcome.FAILS,
        ("prices.parquet is not a readable Parquet file",),
    ),
    "csv_and_parquet": Expected(
        Outcome.FAILS, ("both prices.csv and prices.parquet are in", "keep one")
    ),
    "unknown_action_kind": Expected(
        Outcome.QUARANTINES,
        ("kind 'spinoff' is not one of split, dividend", "(CCC 2024-02-01 spinoff)"),
        count=1,
    ),
    "nan_close": Expected(
        Outcome.QUARANTINES,
        ("a price is not a finite number", "close nan", "(AAA 2024-01-10)"),
        count=1,
    ),
    "infinite_high": Expected(
        Outcome.QUARANTINES,
        ("a price is not a finite number", "high inf", "(BBB 2024-01-11)"),
        count=1,
    ),
    "overflowing_close": Expected(
        Outcome.QUARANTINES,
        ("a price is not a finite number", "close inf", "(CCC 2024-01-12)"),
        count=1,
    ),
    "huge_close": Expected(
        Outcome.QUARANTINES,
        ("a price of 1e+20 is not below 10,000,000: a misprint", "(DDD 2024-01-16)"),
        count=1,
    ),
    "infinite_volume": Expected(
        Outcome.QUARANTINES,
        ("prices.csv line 62: column volume: 'Infinity' is not a whole number",),
        count=1,
    ),
    "without_unadjusted_close": Expected(
        Outcome.WARNS,
        ("prices.csv has no unadjusted_close column", "stored values are kept"),
    ),
    "close_twice": Expected(
        Outcome.FAILS, ("prices.csv: the header names close twice (columns 6 and 9); keep one",)
    ),
    "close_in_two_cases": Expected(
        Outcome.FAILS, ("prices.csv: the header names close twice (columns 6 and 9); keep one",)
    ),
    "parquet_without_volume": Expected(
        Outcome.WARNS, ("prices.parquet has no volume column", "stored values are kept")
    ),
    "parquet_dates_as_timestamps": Expected(Outcome.LOADS, ("files brought 180 price rows",)),
    "dated_1900": Expected(
        Outcome.QUARANTINES,
        (
            "date 1900-01-02 is before the earliest date 1980-01-01 (CAPGAP_EARLIEST_DATE)",
            "(AAA 1900-01-02)",
        ),
        count=1,
    ),
    "dated_year_1": Expected(
        Outcome.QUARANTINES,
        ("date 0001-01-02 is before the earliest date 1980-01-01", "(AAA 0001-01-02)"),
        count=1,
    ),
    "lower_case_tickers": Expected(Outcome.LOADS, ("files brought 180 price rows, 4 membership",)),
    "saved_by_excel": Expected(Outcome.LOADS, ("files brought 180 price rows, 5 membership",)),
    "gzip_under_csv_name": Expected(
        Outcome.LOADS, ("prices.csv is gzip-compressed; reading it decompressed",)
    ),
    "newline_in_ticker": Expected(
        Outcome.QUARANTINES,
        ("a text value holds a control character", "(AA\\nA 2024-02-13)"),
        count=1,
    ),
    "nul_in_ticker": Expected(
        Outcome.QUARANTINES,
        ("a text value holds a control character", "(AA\\x00A 2024-02-13)"),
        count=1,
    ),
    "infinite_split": Expected(
        Outcome.QUARANTINES, ("split value inf is implausible", "(CCC 2024-02-01 split)"), count=1
    ),
    "tiny_split": Expected(
        Outcome.QUARANTINES, ("split value 1e-07 is implausible", "(DDD 2024-02-01 split)"), count=1
    ),
    "huge_dividend": Expected(
        Outcome.QUARANTINES,
        ("dividend value 1000000.0 is implausible", "(AAA 2024-02-01 dividend)"),
        count=1,
    ),
}


@dataclass(frozen=True)
class Serve:
    """What the stand-in answers differently from the good base: chart bodies by symbol
    (None: the 404 of an unknown symbol), files by request target, 429s by symbol."""

    charts: dict[str, Path | None] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)


DGS2 = "/fredgraph.csv?id=DGS2"
CONTENT_TYPES = {".csv": "text/csv", ".html": "text/html; charset=UTF-8"}
GOOD_CHARTS = {
    "AAPL": recorded.AAPL,
    "MSFT": recorded.MSFT,
    "^GSPC": recorded.QQQ,
    "^RUT": recorded.QQQ,
}
GOOD_FILES = {
    "/wiki/sp500": recorded.SP500_3_ROWS,
    recorded.LATEST_IWM_CSV: IWM_BASE,
    DGS2: recorded.DGS2_NEW,
    "/fredgraph.csv?id=DFF": recorded.DFF_OLD,
    "/fredgraph.csv?id=CPIAUCSL": recorded.CPI_NEW,
}

YAHOO_CASES: dict[str, tuple[Serve, Expected]] = {
    "fred_dot_and_empty_values": (
        Serve(files={DGS2: BODIES / "fred_dot_and_empty_values.DGS2.derived.csv"}),
        Expected(Outcome.LOADS, ("FRED DGS2: 41 values", "(4 missing values in the file skipped)")),
    ),
    "fred_html_page": (
        Serve(files={DGS2: BODIES / "fred_html_page.DGS2.html"}),
        Expected(
            Outcome.MISSING,
            (
                "FRED DGS2 did not come",
                "answered with an HTML page, not CSV (starting '<!DOCTYPE html>",
            ),
            missing=("DGS2",),
        ),
    ),
    "fred_other_series_header": (
        Serve(files={DGS2: BODIES / "fred_other_series_header.DGS2.derived.csv"}),
        Expected(
            Outcome.MISSING,
            ("FRED DGS2 did not come", "expected header", "got 'DATE,DFF'"),
            missing=("DGS2",),
        ),
    ),
    "yahoo_429_then_success": (
        Serve(throttled={"AAPL": 2}),
        Expected(Outcome.LOADS, ("yahoo: rate-limited (HTTP 429)", "again in 0 s")),
    ),
    "yahoo_429_never_clears": (
        Serve(throttled={"AAPL": 1_000}),
        Expected(
            Outcome.MISSING, ("yahoo: still rate-limited after 2 attempts",), missing=("AAPL",)
        ),
    ),
    "yahoo_404_delisted": (
        Serve(charts={"MSFT": None}),
        Expected(Outcome.MISSING, ("no data for", "MSFT"), missing=("MSFT",)),
    ),
    "yahoo_200_no_rows": (
        Serve(charts={"MSFT": recorded.NO_ROWS}),
        Expected(Outcome.MISSING, ("no data for", "MSFT"), missing=("MSFT",)),
    ),
    "yahoo_null_in_quote": (
        Serve(charts={"AAPL": recorded.AAPL_NULL_OPEN}),
        Expected(Outcome.QUARANTINES, ("AAPL 2020-09-15: open is null",), count=1),
    ),
    "yahoo_truncated_json": (
        Serve(charts={"AAPL": BODIES / "yahoo_truncated_json.AAPL.derived.body.json"}),
        Expected(Outcome.MISSING, ("no data for", "AAPL"), missing=("AAPL",)),
    ),
    "wikipedia_without_constituents": (
        Serve(files={"/wiki/sp500": BODIES / "wikipedia_without_constituents.derived.html"}),
        Expected(
            Outcome.FAILS,
            ("S&P 500 page: no table with a Symbol, a Security and a GICS Sector column",),
        ),
    ),
    "ishares_shares_header": (
        Serve(files={recorded.LATEST_IWM_CSV: BODIES / "ishares_shares_header.derived.csv"}),
        Expected(Outcome.LOADS, ("members: 3 large and 3 small today",)),
    ),
    "ishares_ticker_twice": (
        Serve(files={recorded.LATEST_IWM_CSV: BODIES / "ishares_ticker_twice.derived.csv"}),
        Expected(
            Outcome.QUARANTINES,
            ("IWM holdings of 2026-05-06: ADRO listed again (CHINOOK THERAPEUTICS INC CVR)",),
            count=1,
        ),
    ),
    "ishares_without_asset_class": (
        Serve(files={recorded.LATEST_IWM_CSV: BODIES / "ishares_without_asset_class.derived.csv"}),
        Expected(
            Outcome.LOADS,
            ("IWM holdings of the latest date", "iShares holdings: header lacks Asset Class"),
        ),
    ),
}


def cases(table: dict[str, Expected] | dict[str, tuple[Serve, Expected]]) -> list:
    """The cases of a table as pytest params."""
    return [pytest.param(case_id, value, id=case_id) for case_id, value in table.items()]


# --- running a case and reading what it did ----------------------------------------------


@dataclass(frozen=True)
class Said:
    """What a run said: step failures, its log, its failed asset checks."""

    success: bool
    failures: list[str]
    log: list[str]
    checks: list[str]


def run(warehouse: Path, market_source: MarketSource, instance: dg.DagsterInstance) -> Said:
    """Materialize the selection into `warehouse` from `market_source`; what the run said."""
    resources = resources_from_env({"CAPGAP_WAREHOUSE": str(warehouse)})
    resources["market_source"] = market_source
    result = dg.materialize(
        all_assets(),
        selection=SELECTION,
        resources=resources,
        instance=instance,
        raise_on_error=False,
    )
    failures = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data:
                failures.append(data.user_failure_data.description)
            error = data.error
            while error is not None:
                failures.append(error.message)
                error = error.cause
    log = [e.user_message for e in instance.all_logs(result.run_id) if e.dagster_event is None]
    checks = [
        f"{check.check_name} on {check.asset_key.to_user_string()}: "
        + "; ".join(f"{k}: {v.value}" for k, v in check.metadata.items())
        for check in result.get_asset_check_evaluations()
        if not check.passed
    ]
    return Said(result.success, failures, log, checks)


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> set[tuple]:
    """A query's rows as a set (lists made tuples)."""
    return {
        tuple(tuple(v) if isinstance(v, list) else v for v in row)
        for row in con.execute(sql).fetchall()
    }


@dataclass(frozen=True)
class State:
    """The raw tables (without lineage), the loads, the quarantine and the breadth mart."""

    raw: dict[str, set[tuple]]
    loads: set[tuple]
    quarantine: set[tuple]
    breadth: list[tuple]


LOADS_COLUMNS = "load_id, table_name, missing, received, inserted, updated, unchanged, quarantined"


def state(warehouse: Path) -> State:
    """What the warehouse holds now."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return State(
            raw={
                t: rows(con, f"SELECT * EXCLUDE (source, load_id, loaded_at) FROM raw.{t}")
                for t in RAW_TABLES
            },
            loads=rows(con, f"SELECT {LOADS_COLUMNS} FROM raw.loads"),
            quarantine=rows(
                con, "SELECT table_name, record::VARCHAR, reason, load_id FROM raw.quarantine"
            ),
            breadth=con.execute("SELECT * FROM marts.breadth_daily ORDER BY ALL").fetchall(),
        )


@dataclass(frozen=True)
class Load:
    """What the bad load did, table by table, and what it quarantined and reported missing."""

    tables: dict[str, tuple[int, int, int, int, int]]
    reasons: list[str]
    missing: set[str]


def new_load(before: State, after: State) -> Load | None:
    """The load the bad run added, if it got as far as landing."""
    added = after.loads - before.loads
    if not added:
        return None
    assert len({row[0] for row in added}) == 1, "one run, one load"
    load_id = next(iter(added))[0]
    return Load(
        tables={row[1]: row[3:] for row in added},
        reasons=sorted(reason for _, _, reason, lid in after.quarantine if lid == load_id),
        missing=set(next(iter(added))[2] or ()),
    )


def base_missing(before: State) -> set[str]:
    """The symbols the good base's load reported missing."""
    return {symbol for row in before.loads for symbol in row[2] or ()}


def one_message_says(messages: list[str], fragments: tuple[str, ...]) -> bool:
    """Whether one of the messages contains every fragment."""
    return any(all(f in message for f in fragments) for message in messages)


def check_case(expected: Expected, said: Said, before: State, after: State) -> Load | None:
    """Assert (a) the outcome, (b) the message and (c) that nothing was lost."""
    load = new_load(before, after)
    newly_missing = (load.missing - base_missing(before)) if load else set()
    quarantined = len(load.reasons) if load else 0
    # (a) the outcome class
    if expected.outcome is Outcome.FAILS:
        assert not said.success, "the run was expected to fail"
    else:
        assert said.success, said.failures
        assert load is not None
        assert quarantined == expected.count, load.reasons
        assert newly_missing == set(expected.missing)
    # (b) what the run says
    channel = {
        Outcome.FAILS: said.failures,
        Outcome.QUARANTINES: load.reasons if load else [],
        Outcome.MISSING: said.log,
        Outcome.WARNS: said.checks + said.log,
        Outcome.LOADS: said.log,
    }[expected.outcome]
    assert one_message_says(channel, expected.says), channel
    # (c) nothing lost, earlier data untouched
    for table in RAW_TABLES:
        lost = before.raw[table] - after.raw[table]
        assert not lost, f"raw.{table} lost or changed {len(lost)} rows: {sorted(lost)[:3]}"
    assert before.loads <= after.loads
    assert before.quarantine <= after.quarantine
    if load is None:
        assert after.raw == before.raw
    else:
        for table, (
            received,
            inserted,
            updated,
            unchanged,
            quarantined_rows,
        ) in load.tables.items():
            assert updated == 0, f"the bad load revised {updated} stored {table} rows"
            landed = inserted + updated + unchanged
            assert received == landed + quarantined_rows, (table, load.tables[table])
    if not said.success:
        assert after.breadth == before.breadth
    return load


# --- the files cases ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def instance() -> dg.DagsterInstance:
    """One Dagster instance for the module's runs (making one takes a tenth of a second)."""
    return dg.DagsterInstance.ephemeral()


@dataclass(frozen=True)
class Base:
    """A warehouse holding a good base, and what it holds."""

    warehouse: Path
    state: State

    def copy(self, directory: Path) -> Path:
        """A copy of the warehouse file in `directory`, for one case to run on."""
        return Path(shutil.copy(self.warehouse, directory / "w.duckdb"))


@pytest.fixture(scope="module")
def files_base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    """A warehouse materialized, through Dagster, from `files/good_base`."""
    warehouse = tmp_path_factory.mktemp("files-base") / "w.duckdb"
    assert materialize_into(
        warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(GOOD_BASE)
    ).success
    return Base(warehouse, state(warehouse))


def records(directory: Path, table: str) -> int:
    """The records of a table's file in a case's directory (0 without one): the rows of a
    Parquet file, or the CSV records after the header (gzip-compressed or not)."""
    parquet, text = directory / f"{table}.parquet", directory / f"{table}.csv"
    if parquet.exists():
        return pl.read_parquet(parquet).height
    if not text.exists():
        return 0
    data = text.read_bytes()
    data = gzip.decompress(data) if data.startswith(b"\x1f\x8b") else data
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return len([row for row in reader if row]) - 1


@pytest.mark.parametrize(("case_id", "expected"), cases(FILES_CASES))
def test_files_case(
    case_id: str,
    expected: Expected,
    files_base: Base,
    instance: dg.DagsterInstance,
    tmp_path: Path,
) -> None:
    warehouse = files_base.copy(tmp_path)

    said = run(warehouse, MarketSource(kind="files", files_dir=str(FILES / case_id)), instance)

    load = check_case(expected, said, files_base.state, state(warehouse))
    if load is not None:
        for table, (_, inserted, updated, unchanged, quarantined) in load.tables.items():
            sent = records(FILES / case_id, table)
            assert inserted + updated + unchanged + quarantined == sent, table


def test_corpus_is_what_the_script_writes() -> None:
    script = runpy.run_path(str(SCRIPT))
    base = script["base_layout"]()
    layouts = {GOOD_BASE.name: base} | {c.id: c.make(base) for c in script["FILES_CASES"]}

    assert layouts.keys() == {p.name for p in FILES.iterdir()}
    assert layouts.keys() - {GOOD_BASE.name} == FILES_CASES.keys()
    for case_id, layout in layouts.items():
        on_disk = {p.name: p.read_bytes() for p in (FILES / case_id).iterdir()}
        assert on_disk.keys() == layout.keys(), case_id
        for name, data in layout.items():
            if not name.endswith(".parquet"):  # its bytes depend on the polars version
                assert on_disk[name] == data, f"{case_id}/{name}"
    assert {c.id for c in script["YAHOO_CASES"]} == YAHOO_CASES.keys()
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert all(f"| `{case_id}` |" in readme for case_id in [*FILES_CASES, *YAHOO_CASES])


# --- the yahoo cases ---------------------------------------------------------------------


def stand_in_source(url: str) -> recorded.StandInMarketSource:
    """The `yahoo` source on the stand-in, asking for the two indices only (not the ETFs)
    and trying a rate-limited chunk twice, without waiting."""
    return recorded.StandInMarketSource(
        kind="yahoo", stand_in_url=url, benchmarks=["^GSPC", "^RUT"], retry_attempts=2
    )


@pytest.fixture(scope="module")
def local_only() -> Iterator[None]:
    """Looking up any host but 127.0.0.1 fails, for the whole module."""
    lookup = socket.getaddrinfo

    def local(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            raise OSError(f"a test tried to reach {host}")
        return lookup(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", local)
        yield


def serve(stand_in: recorded.StandIn, changes: Serve) -> None:
    """Make the stand-in answer as for the good base, with `changes`."""
    charts = {**GOOD_CHARTS, **changes.charts}
    files = {**GOOD_FILES, **changes.files}
    stand_in.charts = {symbol: body for symbol, body in charts.items() if body is not None}
    stand_in.files = {
        t: (body.read_bytes(), CONTENT_TYPES[body.suffix]) for t, body in files.items()
    }
    stand_in.throttled = dict(changes.throttled)
    stand_in.requests = []


@pytest.fixture(scope="module")
def yahoo_base(
    server: recorded.StandIn,
    local_only: None,
    instance: dg.DagsterInstance,
    tmp_path_factory: pytest.TempPathFactory,
) -> Base:
    """A warehouse materialized, through Dagster, from the good base on the stand-in."""
    warehouse = tmp_path_factory.mktemp("yahoo-base") / "w.duckdb"
    serve(server, Serve())
    said = run(warehouse, stand_in_source(server.url), instance)
    assert said.success, said.failures
    return Base(warehouse, state(warehouse))


@pytest.mark.parametrize(("case_id", "case"), cases(YAHOO_CASES))
def test_yahoo_case(
    case_id: str,
    case: tuple[Serve, Expected],
    server: recorded.StandIn,
    yahoo_base: Base,
    instance: dg.DagsterInstance,
    tmp_path: Path,
) -> None:
    changes, expected = case
    warehouse = yahoo_base.copy(tmp_path)
    serve(server, changes)

    said = run(warehouse, stand_in_source(server.url), instance)

    check_case(expected, said, yahoo_base.state, state(warehouse))
