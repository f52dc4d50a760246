"""No mart looks ahead: a row dated before T is the same whether the warehouse holds data
after T or not. The sample is built twice, through T and through its end; the rows the
first holds must be the second's rows up to T (within float rounding: the adjusted closes
of the two differ by a constant factor per ticker where a later dividend re-bases them).
The forward spreads (`fwd_` columns) are the exception, by definition. One more column
moves with later data without looking ahead: a dollar volume is priced at the adjusted
close, which a later dividend re-bases (as every vendor's adjusted history is)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from polars.testing import assert_frame_equal

from orchestration.warehouse.contracts import mart_models
from tests.conftest import materialize_into

SAMPLE = {"CAPGAP_SAMPLE_MEMBERS": "80", "CAPGAP_SAMPLE_YEARS": "3"}
CUTOFF = "2025-09-15"
DATED = {model.table: model for model in mart_models() if model.date_column}
FORWARD = "fwd_"
ADJUSTED_DOLLARS = {"marts.liquidity_daily": "dollar_volume"}


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample through CUTOFF, and the whole sample."""
    root = tmp_path_factory.mktemp("look_ahead")
    early, late = root / "through_cutoff.duckdb", root / "whole.duckdb"
    materialize_into(early, CAPGAP_SAMPLE_THROUGH=CUTOFF, **SAMPLE)
    materialize_into(late, **SAMPLE)
    return early, late


def _rows_to_cutoff(path: Path, table: str, columns: str) -> list:
    model = DATED[table]
    with duckdb.connect(str(path), read_only=True) as con:
        return (
            con.sql(f"SELECT {columns} FROM {table} WHERE {model.date_column} <= DATE '{CUTOFF}'")
            .pl()
            .sort(list(model.key))
        )


@pytest.mark.parametrize("table", sorted(DATED))
def test_rows_before_the_cutoff_do_not_change_with_later_data(warehouses, table: str) -> None:
    columns = ", ".join(
        c.name
        for c in DATED[table].columns
        if not c.name.startswith(FORWARD) and c.name != ADJUSTED_DOLLARS.get(table)
    )
    early, late = (_rows_to_cutoff(path, table, columns) for path in warehouses)
    assert early.height > 0
    assert_frame_equal(early, late, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)


def test_the_forward_spreads_do_look_ahead(warehouses) -> None:
    """Firings in the last weeks before the cutoff have no 21-day window through it, and
    one with the whole sample: the `fwd_` columns are the ones that change."""
    early, late = (_rows_to_cutoff(path, "marts.signal_events", "*") for path in warehouses)
    assert early["fwd_spread_21d"].null_count() > late["fwd_spread_21d"].null_count()
