"""The benchmark's pandas and polars versions of `marts.breadth_daily` agree with its SQL."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from bench import breadth_polars
from bench.run import (
    MEMBERS_QUERY,
    PRICES_QUERY,
    disagreements,
    land_raw,
    pandas_breadth,
    rebuild_sql,
    sample_panel,
    sql_breadth,
)
from bench.sec_cost import evening_load, first_load
from orchestration.sources.base import FetchRequest
from orchestration.sources.files import FilesSource

EDGE_MARKET = Path(__file__).parent / "fixtures" / "files" / "edge_market"


def edge_market_panel() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The edge_market fixture: halts, overlapping memberships, dates before the snapshot."""
    batch = FilesSource(EDGE_MARKET).fetch(FetchRequest(today=date(2026, 11, 20)))
    return batch.prices, batch.members


@pytest.mark.parametrize(
    "panel", [lambda: sample_panel(members=60, years=2), edge_market_panel], ids=["sample", "edge"]
)
def test_three_engines_agree(panel: Callable[[], tuple[pl.DataFrame, pl.DataFrame]]) -> None:
    prices, members = panel()
    with duckdb.connect() as con:
        land_raw(con, prices, members)
        rebuild_sql(con)
        expected = sql_breadth(con)
        prices, members = con.sql(PRICES_QUERY).pl(), con.sql(MEMBERS_QUERY).pl()

    assert expected.height > 400
    assert expected["zweig_thrust"].null_count() < expected.height
    assert disagreements(expected, breadth_polars.breadth_daily(prices, members), "polars") == []
    assert disagreements(expected, pandas_breadth(prices, members), "pandas") == []


def test_sec_cost_bench_runs_on_a_small_load() -> None:
    """`make bench-sec`'s two measurements run end to end (their figures are not asserted)."""
    first = first_load(4)
    evening = evening_load(members=60, years=2)

    assert first[0].startswith("first load, 4 companies from the local stand-in:")
    assert "50 quarter rows, 2 companies left out" in first[0]
    assert evening[0].startswith("evening load, ")
