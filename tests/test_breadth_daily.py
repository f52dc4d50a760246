"""marts.breadth_daily against an independent polars/numpy computation, column by column.

The warehouse is built through Dagster from the hand-made `edge_market` directory (windows
filling, ties, halts, members joining, leaving and moving between universes, overlapping
membership rows, a Zweig thrust, all-advance days); tests/reference/breadth.py computes the
same columns straight from the CSV files.
"""

import math

import duckdb
import polars as pl
import pytest

from tests.conftest import FIXTURES, materialize_into, read_only_query
from tests.reference.breadth import OUTPUT_SCHEMA, reference_breadth

EDGE_MARKET = FIXTURES / "files" / "edge_market"


@pytest.fixture(scope="module")
def warehouse_breadth(tmp_path_factory) -> pl.DataFrame:
    """marts.breadth_daily as the warehouse builds it from the edge_market files."""
    warehouse = tmp_path_factory.mktemp("edge") / "w.duckdb"
    materialize_into(warehouse, CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(EDGE_MARKET))
    assert read_only_query(warehouse, "SELECT count(*) FROM raw.quarantine") == [(0,)]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        result = con.sql("SELECT * FROM marts.breadth_daily ORDER BY universe, date")
        return pl.from_arrow(result.to_arrow_table())


@pytest.fixture(scope="module")
def expected_breadth() -> pl.DataFrame:
    """The independent computation on the same files."""
    prices = pl.read_csv(EDGE_MARKET / "prices.csv", try_parse_dates=True, infer_schema=False)
    prices = prices.with_columns(
        pl.col("date").str.to_date(),
        pl.col("close").cast(pl.Float64),
        pl.col("volume").cast(pl.Int64),
    )
    members = pl.read_csv(
        EDGE_MARKET / "members.csv",
        schema_overrides={"valid_from": pl.Date, "valid_to": pl.Date},
    )
    return reference_breadth(prices, members)


def test_same_rows_and_columns(warehouse_breadth, expected_breadth):
    assert warehouse_breadth.columns == expected_breadth.columns
    assert warehouse_breadth.select("universe", "date").equals(
        expected_breadth.select("universe", "date")
    )


@pytest.mark.parametrize("column", [c for c in OUTPUT_SCHEMA if c not in ("universe", "date")])
def test_column_matches_reference(warehouse_breadth, expected_breadth, column):
    got = warehouse_breadth.get_column(column).to_list()
    want = expected_breadth.get_column(column).to_list()
    keys = expected_breadth.select("universe", "date").rows()
    mismatches = [(key, g, w) for key, g, w in zip(keys, got, want, strict=True) if not _same(g, w)]
    assert not mismatches, f"{len(mismatches)} rows differ, first: {mismatches[:3]}"
    assert any(w is None for w in want) or column not in NULL_AT_START
    assert any(w is not None for w in want)


NULL_AT_START = {"pct_above_sma50", "pct_above_sma200", "high_low_index", "arms_index_10d"}


def _same(got: object, want: object) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, float):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    return got == want
