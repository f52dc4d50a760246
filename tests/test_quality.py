"""Great Expectations checks between the stages, as Dagster asset checks."""

import subprocess
import sys
from datetime import date

import dagster as dg
import duckdb
import pytest

from orchestration.outputs.summary import latest_day_summary
from orchestration.outputs.tape.sections import build_tape
from orchestration.warehouse.trading_calendar import nyse_sessions
from tests.conftest import materialize_into, read_only_query
from tests.test_files_source import MEMBERS, good_prices, write_dir

MARTS_SNAPSHOT = "SELECT * FROM marts.breadth_daily ORDER BY ALL"
# A sixth session: every series moves on by one, but AAA prints 100 times its close.
NEXT_CLOSES = {"^GSPC": 4705, "^RUT": 1955, "AAA": 5400, "BBB": 25, "CCC": 10}


def check_evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """The run's check evaluations by `table.check`."""
    return {
        f"{e.asset_key.path[-2]}.{e.asset_key.path[-1]}.{e.check_name}": e
        for e in result.get_asset_check_evaluations()
    }


@pytest.fixture
def good_warehouse(tmp_path):
    """A warehouse built from a clean directory, the directory, and the built marts."""
    files = write_dir(tmp_path / "in", good_prices())
    warehouse = tmp_path / "w.duckdb"
    materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    return warehouse, files, read_only_query(warehouse, MARTS_SNAPSHOT)


def test_every_check_reports_its_gx_result(good_warehouse):
    warehouse, files, _ = good_warehouse
    result = materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    evaluations = check_evaluations(result)
    assert {
        "raw.prices.close_positive",
        "staging.price_exclusions.faults_not_systemic",
        "marts.breadth_daily.issues_add_up",
        "marts.market_regime.known_regime",
    } <= set(evaluations)
    issues = evaluations["marts.breadth_daily.issues_add_up"]
    assert issues.passed
    assert issues.metadata["expectation"].value == "expect_column_pair_values_to_be_equal"
    assert {"rows_checked", "unexpected_count", "observed_value", "scope"} <= set(issues.metadata)


def test_a_fault_in_one_series_is_left_out_and_the_rest_published(good_warehouse):
    warehouse, files, _ = good_warehouse
    # A close 100 times the previous one, with no split: a valid row, an impossible series.
    next_day = [f"2024-01-09,{t},{c},{c},{c},{c},1000," for t, c in NEXT_CLOSES.items()]
    write_dir(files, [*good_prices(), *next_day])

    result = materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))

    evaluation = check_evaluations(result)["staging.price_exclusions.every_series_whole"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "AAA" in evaluation.description and "unadjusted_split" in evaluation.description
    assert read_only_query(
        warehouse, "SELECT ticker, rule, span, from_date::VARCHAR FROM staging.price_exclusions"
    ) == [("AAA", "unadjusted_split", "since_jump", "2024-01-09")]
    assert read_only_query(
        warehouse,
        "SELECT ticker, max(date)::VARCHAR FROM staging.price_series GROUP BY ticker ORDER BY 1",
    ) == [
        (t, "2024-01-09" if t != "AAA" else "2024-01-08")
        for t in ("AAA", "BBB", "CCC", "^GSPC", "^RUT")
    ]
    assert read_only_query(
        warehouse,
        "SELECT issues, coverage_pct FROM marts.breadth_daily "
        "WHERE universe = 'large' AND date = '2024-01-09'",
    ) == [(1, 50.0)]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        summary = latest_day_summary(con, "^GSPC", "^RUT")
    assert "priced 50.0%" in summary
    assert "left out of staging: 1 span(s) in 1 series" in summary
    assert "AAA unadjusted_split (since_jump): 2024-01-09 to 2024-01-09, 1 bar(s)" in summary
    thin = check_evaluations(result)["marts.breadth_daily.coverage_above_floor"]
    assert not thin.passed and thin.severity == dg.AssetCheckSeverity.WARN
    assert '"date": "2024-01-09"' in thin.description and '"unpriced": 1' in thin.description
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tape = build_tape(con)
    assert tape.summary[0] == (
        "Thin data: S&P 500 has prices for 1 of its 2 members today (50.0%, below 90%); "
        "its breadth counts only those."
    )


def test_a_systemic_fault_stops_downstream_and_publishes_nothing(good_warehouse):
    warehouse, files, marts_before = good_warehouse
    staged_before = read_only_query(warehouse, "SELECT * FROM staging.price_series ORDER BY ALL")
    # Both large members at 100x on one day: the feed, not the series.
    write_dir(
        files,
        [
            *good_prices(),
            "2024-01-09,AAA,5400,5400,5400,5400,1000,",
            "2024-01-09,BBB,2400,2400,2400,2400,1000,",
        ],
    )

    result = materialize_into(
        warehouse, raise_on_error=False, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files)
    )

    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "staging__price_exclusions"
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith(
        "staging.price_exclusions was not published, the previous version stays"
    )
    assert "faults_not_systemic" in message and "2024-01-09" in message
    evaluation = check_evaluations(result)["staging.price_exclusions.faults_not_systemic"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert "staging__trading_dates" in started
    assert not {"staging__price_series", "marts__breadth_daily", "marts__market_regime"} & started
    assert read_only_query(warehouse, "SELECT * FROM staging.price_series ORDER BY ALL") == (
        staged_before
    )
    assert read_only_query(warehouse, MARTS_SNAPSHOT) == marts_before
    tables = read_only_query(warehouse, "SELECT table_name FROM information_schema.tables")
    assert not [t for (t,) in tables if t.endswith("__candidate")]


def test_a_non_trading_day_is_quarantined(tmp_path):
    files = write_dir(tmp_path / "in", [*good_prices(), "2024-01-06,AAA,55,56,54,55,1000,"])
    warehouse = tmp_path / "w.duckdb"
    materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    assert read_only_query(warehouse, "SELECT rule, reason FROM raw.quarantine") == [
        ("trading_day", "prices: date 2024-01-06 is not an NYSE trading day (AAA 2024-01-06)")
    ]


def test_overlapping_membership_is_reported_not_blocking(tmp_path):
    members = MEMBERS + "small,CCC,Gamma Co,Industrials,2024-01-04,\n"
    files = write_dir(tmp_path / "in", good_prices(), members=members)
    result = materialize_into(
        tmp_path / "w.duckdb", CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files)
    )
    assert result.success
    overlap = check_evaluations(result)["raw.members.intervals_not_overlapping"]
    assert not overlap.passed
    assert overlap.severity == dg.AssetCheckSeverity.WARN
    assert overlap.metadata["unexpected_count"].value == 2
    assert {row["ticker"] for row in overlap.metadata["failing_rows_sample"].value} == {"CCC"}


def bars(days: list[str]) -> list[str]:
    """Bars for the two benchmarks and AAA on the given dates, rising a little each day
    (repeated flat bars would be stale prints)."""
    return [
        f"{day},{ticker},{base + i},{base + i + 1},{base + i - 1},{base + i},1000,"
        for i, day in enumerate(days)
        for ticker, base in (("^GSPC", 4705.0), ("^RUT", 1955.0), ("AAA", 55.0))
    ]


def test_only_new_rows_are_checked_unless_asked(tmp_path):
    january = [f"2024-01-{d}" for d in ("09", "10", "11", "12", "16", "17", "18", "19", "22")]
    february = ["2024-02-01", "2024-02-02"]
    warehouse = tmp_path / "w.duckdb"
    files = write_dir(tmp_path / "in", [*good_prices(), *bars(january)])
    materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    write_dir(files, [*good_prices(), *bars(january), *bars(february)])

    def key_check(**env: str) -> dg.AssetCheckEvaluation:
        result = materialize_into(
            warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files), **env
        )
        return check_evaluations(result)["staging.price_series.key_unique"]

    incremental, full = key_check(), key_check(CAPGAP_FULL_VALIDATION="1")
    assert incremental.metadata["scope"].value == "the rebuilt rows"
    assert incremental.metadata["rows_checked"].value == 3 * 2  # February's new bars
    assert full.metadata["scope"].value == "every row"
    assert full.metadata["rows_checked"].value == 25 + 3 * 9 + 3 * 2


def test_the_definitions_load_without_great_expectations():
    code = "import sys, orchestration.definitions; print('great_expectations' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.strip() == "False"


def test_raw_prices_without_the_large_benchmark_block_staging(tmp_path):
    prices = [line for line in good_prices() if line.split(",")[1] != "^GSPC"]
    files = write_dir(tmp_path / "in", prices)
    result = materialize_into(
        tmp_path / "w.duckdb",
        raise_on_error=False,
        CAPGAP_SOURCE="files",
        CAPGAP_FILES_DIR=str(files),
    )
    assert not result.success
    evaluation = check_evaluations(result)["raw.prices.large_benchmark_present"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert started == {"raw_tables"}


def test_a_close_equal_to_its_sma_to_the_cent_is_not_above_it(tmp_path):
    """24 closes of 1.99, 24 of 2.01, then 2.00 twice: the SMA 50 on the 50th day is 2.00,
    the close, so the member is not above it (an average of decimals that divides in
    binary gives 1.9999999999999998)."""
    sessions = nyse_sessions(date(2024, 1, 2), date(2024, 4, 30))[:50]
    closes = [1.99] * 24 + [2.01] * 24 + [2.00, 2.00]
    lines = ["date,ticker,open,high,low,close,volume,unadjusted_close"]
    for i, (day, close) in enumerate(zip(sessions, closes, strict=True)):
        lines.append(f"{day},AAA,{close},{close + 0.01:.2f},{close - 0.01:.2f},{close},1000,")
        lines.append(f"{day},^GSPC,{4700 + i},{4701 + i},{4699 + i},{4700 + i},1000,")
    members = (
        "universe,ticker,name,sector,valid_from,valid_to\nlarge,AAA,Alpha,Energy,2024-01-02,\n"
    )
    files = write_dir(tmp_path / "in", lines, members=members)
    warehouse = tmp_path / "w.duckdb"
    materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    last = sessions[-1].isoformat()
    assert read_only_query(
        warehouse,
        f"SELECT close, sma_50 FROM staging.price_series WHERE ticker = 'AAA' AND date = '{last}'",
    ) == [(2.0, 2.0)]
    assert read_only_query(
        warehouse, f"SELECT pct_above_sma50 FROM marts.breadth_daily WHERE date = '{last}'"
    ) == [(0.0,)]
