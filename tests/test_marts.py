"""Every mart against an independent polars/numpy computation, column by column.

The warehouse is built once through Dagster from each of two hand-made directories
(tests/conftest.py): `edge_market`, and `faulty_market` (the same plus series carrying
vendor faults). tests/reference/ computes the same tables straight from the CSV files, on
the rows its own fault oracle keeps. Rows are matched on each mart's key; floats agree to
1e-9, everything else exactly, and nulls must be null in both.
"""

import math
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.warehouse.contracts import load_models
from tests.conftest import EDGE_MARKET, FAULTY_MARKET, materialize_into, read_only_query
from tests.reference.breadth import reference_breadth
from tests.reference.concentration import reference_concentration
from tests.reference.divergence import reference_divergence
from tests.reference.earnings import reference_earnings
from tests.reference.faults import OUTPUT_SCHEMA as EXCLUSION_SCHEMA
from tests.reference.faults import kept_prices, reference_exclusions
from tests.reference.liquidity import reference_liquidity
from tests.reference.movers import reference_movers
from tests.reference.rates import reference_rate_sensitivity, reference_rates_daily
from tests.reference.regime import reference_regime
from tests.reference.risk_appetite import reference_risk_appetite
from tests.reference.rotation import reference_rotation
from tests.reference.sector_breadth import reference_sector_breadth
from tests.reference.signals import (
    reference_signal_days,
    reference_signal_events,
    reference_signal_scorecard,
)
from tests.test_files_source import good_prices, write_dir

SCHEMAS = {
    "prices": {
        "date": pl.Date, "ticker": pl.String, "open": pl.Float64, "high": pl.Float64,
        "low": pl.Float64, "close": pl.Float64, "volume": pl.Int64,
        "unadjusted_close": pl.Float64,
    },
    "members": {
        "universe": pl.String, "ticker": pl.String, "name": pl.String, "sector": pl.String,
        "valid_from": pl.Date, "valid_to": pl.Date,
    },
    "rates": {"date": pl.Date, "series": pl.String, "value": pl.Float64},
    "actions": {"date": pl.Date, "ticker": pl.String, "kind": pl.String, "value": pl.Float64},
    "weights": {"universe": pl.String, "ticker": pl.String, "as_of": pl.Date, "weight": pl.Float64},
    "fundamentals": {
        "ticker": pl.String, "period_end": pl.Date, "fiscal_period": pl.String,
        "available_on": pl.Date, "net_income": pl.Float64, "revenue": pl.Float64,
        "diluted_eps": pl.Float64, "shares_outstanding": pl.Float64,
    },
}  # fmt: skip

Inputs = dict[str, pl.DataFrame]


def signal_days(m: Inputs) -> pl.DataFrame:
    """The reference `signal_days` of a market's inputs, computed once for the three marts."""
    if "signal_days" not in m:
        m["signal_days"] = reference_signal_days(m["prices"], m["members"], m["rates"])
    return m["signal_days"]


REFERENCES: dict[str, Callable[[Inputs], pl.DataFrame]] = {
    "marts.breadth_daily": lambda m: reference_breadth(m["prices"], m["members"]),
    "marts.sector_breadth_daily": lambda m: reference_sector_breadth(m["prices"], m["members"]),
    "marts.divergence_daily": lambda m: reference_divergence(m["prices"], m["members"]),
    "marts.rotation_daily": lambda m: reference_rotation(m["prices"]),
    "marts.liquidity_daily": lambda m: reference_liquidity(m["prices"], m["members"]),
    "marts.rates_daily": lambda m: reference_rates_daily(m["prices"], m["rates"]),
    "marts.rate_sensitivity": lambda m: reference_rate_sensitivity(m["prices"], m["rates"]),
    "marts.small_cap_movers": lambda m: reference_movers(m["prices"], m["members"], m["actions"]),
    "marts.market_regime": lambda m: reference_regime(
        m["prices"], m["members"], m["rates"], fundamentals=m["fundamentals"], weights=m["weights"]
    ),
    "marts.risk_appetite_daily": lambda m: reference_risk_appetite(m["prices"], m["rates"]),
    "marts.concentration_daily": lambda m: reference_concentration(
        m["prices"], m["members"], m["weights"]
    ),
    "marts.earnings_daily": lambda m: reference_earnings(
        m["prices"], m["members"], m["fundamentals"]
    ),
    "marts.signal_days": signal_days,
    "marts.signal_events": lambda m: reference_signal_events(signal_days(m)),
    "marts.signal_scorecard": lambda m: reference_signal_scorecard(signal_days(m)),
}
MARTS = {m.table: m for m in load_models() if m.layer == "marts"}
CASES = [(table, column.name) for table, model in MARTS.items() for column in model.columns
         if column.name not in model.key]  # fmt: skip


MARKETS = {"edge_market": (EDGE_MARKET, "edge_warehouse"),
           "faulty_market": (FAULTY_MARKET, "faulty_warehouse")}  # fmt: skip


@pytest.fixture(scope="module", params=sorted(MARKETS))
def market(request) -> tuple[Inputs, Path]:
    """A market's files read plainly with their documented types, and its warehouse."""
    directory, warehouse = MARKETS[request.param]
    files = {
        name: pl.read_csv(directory / f"{name}.csv", schema_overrides=schema)
        for name, schema in SCHEMAS.items()
    }
    return files, request.getfixturevalue(warehouse)


@pytest.fixture(scope="module")
def exclusions(market) -> pl.DataFrame:
    """The spans the reference fault oracle leaves out of the market's files."""
    files, _ = market
    return reference_exclusions(files["prices"], files["actions"])


@pytest.fixture(scope="module")
def inputs(market, exclusions) -> Inputs:
    """The market's files, its prices without the spans the oracle leaves out."""
    files, _ = market
    return {**files, "prices": kept_prices(files["prices"], exclusions)}


@pytest.fixture(scope="module")
def compared(market, inputs) -> dict[str, pl.DataFrame]:
    """Per mart, the warehouse's rows joined on the key with the reference's (`_expected`)."""
    joined = {}
    _, warehouse = market
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table, reference in REFERENCES.items():
            key = list(MARTS[table].key)
            got = pl.from_arrow(con.sql(f"SELECT * FROM {table}").to_arrow_table())
            want = reference(inputs)
            assert got.height == want.height, f"{table}: {got.height} rows, expected {want.height}"
            joined[table] = got.join(
                want, on=key, how="full", suffix="_expected", nulls_equal=True, coalesce=False
            )
    return joined


def test_excluded_spans_match_the_fault_oracle(market, exclusions):
    _, warehouse = market
    columns = ", ".join(EXCLUSION_SCHEMA)
    sql = f"SELECT {columns} FROM staging.price_exclusions ORDER BY ticker, event_date, rule"
    got = read_only_query(warehouse, sql)
    assert got == exclusions.select(*EXCLUSION_SCHEMA).rows()


def test_every_mart_has_a_reference():
    assert set(REFERENCES) == set(MARTS)


@pytest.mark.parametrize("table", sorted(REFERENCES))
def test_same_keys_and_columns(compared, table):
    frame = compared[table]
    key = MARTS[table].key
    unmatched = frame.filter(
        pl.any_horizontal(pl.col(k).is_null() | pl.col(f"{k}_expected").is_null() for k in key)
    )
    assert unmatched.height == 0, unmatched.select(*key, *[f"{k}_expected" for k in key]).head(3)
    expected_columns = {c[: -len("_expected")] for c in frame.columns if c.endswith("_expected")}
    assert expected_columns == {c.name for c in MARTS[table].columns}


@pytest.mark.parametrize(("table", "column"), CASES, ids=[f"{t}.{c}" for t, c in CASES])
def test_column_matches_reference(compared, table, column):
    frame = compared[table]
    key = list(MARTS[table].key)
    mismatches = [
        (row[:-2], row[-2], row[-1])
        for row in frame.select(*key, column, f"{column}_expected").iter_rows()
        if not _same(row[-2], row[-1])
    ]
    assert not mismatches, f"{len(mismatches)} of {frame.height} rows differ: {mismatches[:3]}"


def _same(got: object, want: object) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, float):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    return got == want


def test_cpi_is_not_used_before_its_release(edge_warehouse):
    """January 2023's CPI is released on 2023-02-15: on the 14th the latest known is December's."""
    rows = read_only_query(
        edge_warehouse,
        "SELECT marts.date, marts.cpi_index, raw.date FROM marts.rates_daily AS marts"
        " JOIN raw.rates AS raw ON raw.series = 'cpi_index' AND raw.value = marts.cpi_index"
        " WHERE marts.date IN ('2023-02-14', '2023-02-15') ORDER BY marts.date",
    )
    assert [(day.isoformat(), month.isoformat()) for day, _, month in rows] == [
        ("2023-02-14", "2022-12-01"),
        ("2023-02-15", "2023-01-01"),
    ]


def test_settings_used_are_recorded_with_the_materialization(tmp_path):
    files = write_dir(tmp_path / "in", good_prices())
    result = materialize_into(
        tmp_path / "w.duckdb", CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files)
    )
    (event,) = result.asset_materializations_for_node("marts__divergence_daily")
    recorded = {k: v.value for k, v in event.metadata.items() if k.startswith("setting/")}
    assert recorded == {
        "setting/large_benchmark": "^GSPC",
        "setting/near_high_threshold": "0.02",
        "setting/small_benchmark": "^RUT",
    }


def test_the_edge_market_exercises_the_signal_edges(edge_warehouse):
    """The comparisons above cover signals null on some dates and firings too close to the
    end for a forward window (a 5-day window complete, the 63-day one not)."""
    null_days, cut_short = read_only_query(
        edge_warehouse,
        "SELECT (SELECT count(DISTINCT signal) FROM marts.signal_days WHERE is_on IS NULL),"
        " (SELECT count(*) FROM marts.signal_events"
        "  WHERE fwd_spread_5d IS NOT NULL AND fwd_spread_63d IS NULL)",
    )[0]
    assert null_days >= 1 and cut_short >= 1


SIGNAL_MARTS = ("marts.signal_days", "marts.signal_events", "marts.signal_scorecard")


def test_signals_on_a_short_history_where_some_never_fire(tmp_path):
    """The edge market cut to its first 100 trading dates: signals that never fire still
    have their scorecard rows (no firings, null means), and every column agrees with the
    reference."""
    files = tmp_path / "short"
    shutil.copytree(EDGE_MARKET, files)
    prices = pl.read_csv(files / "prices.csv", schema_overrides=SCHEMAS["prices"])
    cut = sorted(set(prices.filter(pl.col("ticker") == "^GSPC")["date"]))[99]
    prices.filter(pl.col("date") <= cut).write_csv(files / "prices.csv")
    warehouse = tmp_path / "short.duckdb"
    materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(files))
    inputs = {
        name: pl.read_csv(files / f"{name}.csv", schema_overrides=schema)
        for name, schema in SCHEMAS.items()
    }
    inputs["prices"] = kept_prices(
        inputs["prices"], reference_exclusions(inputs["prices"], inputs["actions"])
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in SIGNAL_MARTS:
            key = list(MARTS[table].key)
            got = pl.from_arrow(con.sql(f"SELECT * FROM {table}").to_arrow_table()).sort(key)
            want = REFERENCES[table](inputs).sort(key)
            assert got.columns == want.columns and got.height == want.height, table
            for column in got.columns:
                pairs = zip(got[column].to_list(), want[column].to_list(), strict=True)
                assert all(_same(a, b) for a, b in pairs), f"{table}.{column}"
        never = con.sql(
            "SELECT signal FROM marts.signal_scorecard WHERE horizon = 5 AND days_on = 0"
        ).fetchall()
    assert len(never) >= 1
