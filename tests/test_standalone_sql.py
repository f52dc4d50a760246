"""`capgap sql <table>`: each model as one standalone SELECT, which run by hand on a built
warehouse returns the published table's rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from orchestration.defs.resources import IndicatorSettings
from orchestration.warehouse.contracts import VARIABLE_PATTERN, load_models
from orchestration.warehouse.standalone_sql import UnknownTable, literal, standalone_sql
from tests.conftest import materialize_into

MODELS = {model.table: model for model in load_models()}
SETTINGS = IndicatorSettings().variables()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sample warehouse, built over two days so the incremental tables were built
    in part."""
    path = tmp_path_factory.mktemp("standalone") / "w.duckdb"
    small = {"CAPGAP_SAMPLE_MEMBERS": "60", "CAPGAP_SAMPLE_YEARS": "2"}
    materialize_into(path, CAPGAP_SAMPLE_THROUGH="2026-11-19", **small)
    materialize_into(path, CAPGAP_SAMPLE_THROUGH="2026-11-20", **small)
    return path


@pytest.mark.parametrize("table", sorted(MODELS))
def test_the_standalone_select_gives_the_published_rows(warehouse: Path, table: str) -> None:
    sql = standalone_sql(table, SETTINGS)
    key = list(MODELS[table].key)

    assert not VARIABLE_PATTERN.search(sql), "a variable is left in"
    assert "rebuild_scope AS (" in sql or MODELS[table].scope_sql is None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        by_hand = con.sql(sql).pl().sort(key)
        published = con.sql(f"SELECT * FROM {table}").pl().sort(key)
    assert by_hand.height > 0 or table == "staging.price_exclusions"
    assert_frame_equal(by_hand, published, check_exact=False, rel_tol=1e-12)


def test_settings_are_written_in_as_literals() -> None:
    sql = standalone_sql("marts.divergence_daily", {**SETTINGS, "large_benchmark": "^GSPC"})

    assert "'^GSPC'" in sql
    assert "large_benchmark = '^GSPC'" in sql.splitlines()[0]
    assert [literal(v) for v in (3, 0.5, "O'Neil", True)] == ["3", "0.5", "'O''Neil'", "true"]


def test_an_unknown_table_names_the_models() -> None:
    with pytest.raises(UnknownTable, match=r"no model builds 'marts\.nope'; the models are: "):
        standalone_sql("marts.nope", SETTINGS)


def test_the_command_prints_it() -> None:
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "capgap"), "sql", "marts.breadth_daily"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout == standalone_sql("marts.breadth_daily", SETTINGS)


# Each threshold setting, a value other than its default, the column it moves and, where the
# rule reads only the row, the rule written in polars (Kleene logic, as SQL's).
THRESHOLDS = [
    ("marts.market_regime", {"rate_relief_10y_change_bp": -5.0}, "rate_relief",
     (pl.col("ust_10y_change_21d_bp") <= -5) | (pl.col("fed_funds_change_63d_bp") < 0)),
    ("marts.market_regime", {"breadth_breakout_corr_21d": 0.3,
                             "breadth_breakout_pct_above_sma50": 45.0}, "breadth_breakout",
     (pl.col("corr_21d") >= 0.3) & (pl.col("small_pct_above_sma50") >= 45)),
    ("marts.market_regime", {"liquidity_high_volume_days": 1}, "liquidity_returning",
     pl.col("small_etf_high_volume_days_5d") >= 1),
    ("marts.market_regime", {"liquidity_relative_volume": 0.9}, "small_etf_high_volume_days_5d",
     None),
    ("marts.market_regime", {"regime_rally_pct_above_sma50": 30.0}, "regime", None),
    ("marts.small_cap_movers", {"catalyst_relative_volume": 1.5}, "catalyst_like",
     pl.col("relative_volume") >= 1.5),
    ("marts.liquidity_daily", {"light_volume_ratio": 1.0}, "light_volume", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "changed", "column", "rule"), THRESHOLDS, ids=[str(c[1]) for c in THRESHOLDS]
)
def test_every_threshold_is_read_from_the_settings(
    warehouse: Path, table: str, changed: dict, column: str, rule: pl.Expr | None
) -> None:
    key = list(MODELS[table].key)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = con.sql(f"SELECT * FROM {table}").pl().sort(key)
        rebuilt = con.sql(standalone_sql(table, {**SETTINGS, **changed})).pl().sort(key)

    assert not rebuilt[column].equals(published[column]), "the setting changed nothing"
    if rule is not None:
        assert rebuilt[column].equals(rebuilt.select(rule.alias(column))[column])
