"""The whole path on a small sample market, through Dagster: sources to the breadth mart."""

from functools import partial

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import defs
from orchestration.outputs.summary import latest_day_summary
from tests.conftest import SMALL_SAMPLE, materialize_into, read_only_query

TABLES = [
    "raw.prices",
    "raw.members",
    "raw.rates",
    "raw.actions",
    "staging.price_series",
    "staging.trading_dates",
    "staging.member_prices",
    "staging.benchmark_prices",
    "staging.rates_asof",
    "marts.breadth_daily",
]


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory):
    """A small sample warehouse, materialized twice; returns (query, first run's counts)."""
    warehouse = tmp_path_factory.mktemp("sample") / "w.duckdb"
    query = partial(read_only_query, warehouse)
    result = materialize_into(warehouse, **SMALL_SAMPLE)
    assert result.success
    counts = {t: query(f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}
    materialize_into(warehouse, **SMALL_SAMPLE)
    return warehouse, query, counts


def test_every_table_is_filled(sample_warehouse):
    _, _, counts = sample_warehouse
    assert all(n > 0 for n in counts.values()), counts


def test_rerun_adds_no_rows(sample_warehouse):
    _, query, counts = sample_warehouse
    assert {t: query(f"SELECT count(*) FROM {t}")[0][0] for t in TABLES} == counts
    second = query(
        "SELECT sum(inserted), sum(updated) FROM raw.loads"
        " WHERE started_at = (SELECT max(started_at) FROM raw.loads)"
    )
    assert second == [(0, 0)]


def test_breadth_has_both_universes_every_trading_date(sample_warehouse):
    _, query, _ = sample_warehouse
    missing = query(
        "SELECT universe, count(*) FROM staging.trading_dates"
        " CROSS JOIN (VALUES ('large'), ('small')) AS u(universe)"
        " ANTI JOIN marts.breadth_daily USING (universe, date) GROUP BY universe"
    )
    assert missing == []


def test_summary_names_the_latest_day(sample_warehouse):
    warehouse, query, _ = sample_warehouse
    with duckdb.connect(str(warehouse), read_only=True) as con:
        text = latest_day_summary(con, "^GSPC", "^RUT")
    ((latest,),) = query("SELECT max(date) FROM marts.breadth_daily")
    assert text.startswith(f"capgap, {latest}")
    assert "large  advancers" in text and "small  advancers" in text


def test_assets_are_grouped_by_layer():
    groups = {
        key.path[0]: spec.group_name
        for assets_def in defs.assets
        for spec in assets_def.specs
        for key in [spec.key]
    }
    assert groups == {
        "raw": "ingest",
        "staging": "staging",
        "marts": "marts",
        "serving": "serving",
        "reports": "reports",
    }


def test_definitions_load_as_the_ui_loads_them():
    dg.Definitions.validate_loadable(defs)


def test_ten_years_of_sample_show_every_regime_and_signal(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    materialize_into(warehouse, CAPGAP_SAMPLE_MEMBERS="300")
    regimes = {
        r for (r,) in read_only_query(warehouse, "SELECT DISTINCT regime FROM marts.market_regime")
    }
    assert regimes >= {
        "broad_decline",
        "broad_rally",
        "small_cap_leadership",
        "large_cap_leadership",
        "mixed",
    }
    signals = read_only_query(
        warehouse,
        "SELECT bool_or(rate_relief), bool_or(breadth_breakout), bool_or(liquidity_returning),"
        " bool_or(NOT rate_relief), bool_or(NOT breadth_breakout), bool_or(NOT liquidity_returning)"
        " FROM marts.market_regime",
    )
    assert signals == [(True,) * 6]
    zero_returns = read_only_query(
        warehouse,
        "SELECT count(*) FILTER (WHERE headline LIKE '%-0.0\\%%' ESCAPE '\\'),"
        " count(*) FILTER (WHERE large_ret_1d BETWEEN -0.0005 AND -1e-12"
        "   AND headline LIKE '%S&P 500 +0.0\\%%' ESCAPE '\\')"
        " FROM marts.market_regime",
    )
    ((negative_zeros, small_losses_as_zero),) = zero_returns
    assert negative_zeros == 0, "a return that rounds to zero is +0.0%, never -0.0%"
    assert small_losses_as_zero > 0
