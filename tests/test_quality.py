"""Great Expectations checks between the stages, as Dagster asset checks."""

import subprocess
import sys

import dagster as dg
import pytest

from tests.conftest import materialize_into, read_only_query
from tests.test_files_source import MEMBERS, good_prices, write_dir

MARTS_SNAPSHOT = "SELECT * FROM marts.breadth_daily ORDER BY ALL"


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
        "staging.price_series.split_adjusted_series_continuous",
        "marts.breadth_daily.issues_add_up",
        "marts.market_regime.known_regime",
    } <= set(evaluations)
    issues = evaluations["marts.breadth_daily.issues_add_up"]
    assert issues.passed
    assert issues.metadata["expectation"].value == "expect_column_pair_values_to_be_equal"
    assert {"rows_checked", "unexpected_count", "observed_value", "scope"} <= set(issues.metadata)


def test_a_failing_blocking_check_stops_downstream_and_publishes_nothing(good_warehouse):
    warehouse, files, marts_before = good_warehouse
    staged_before = read_only_query(warehouse, "SELECT * FROM staging.price_series ORDER BY ALL")
    # A close 100 times the previous one, with no split: a valid row, an impossible series.
    write_dir(files, [*good_prices(), "2024-01-09,AAA,5400,5400,5400,5400,1000,"])

    result = materialize_into(
        warehouse, raise_on_error=False, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files)
    )

    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "staging__price_series"
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith("staging.price_series was not published, the previous version stays")
    assert "split_adjusted_series_continuous" in message and "AAA" in message
    evaluation = check_evaluations(result)["staging.price_series.split_adjusted_series_continuous"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["unexpected_count"].value == 1
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert "staging__trading_dates" in started
    assert not {"staging__member_prices", "marts__breadth_daily", "marts__market_regime"} & started
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
    """Flat bars for the two benchmarks and AAA on the given dates."""
    return [
        f"{day},{ticker},{close},{close},{close},{close},1000,"
        for day in days
        for ticker, close in (("^GSPC", 4705.0), ("^RUT", 1955.0), ("AAA", 55.0))
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
