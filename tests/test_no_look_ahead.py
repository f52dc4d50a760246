"""No mart looks ahead: a row dated before T is the same whether the warehouse holds data
after T or not. The sample is built twice, through T and through its end; the rows the
first holds must be the second's rows up to T (within float rounding: the adjusted closes
of the two differ by a constant factor per ticker where a later dividend re-bases them)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import materialize_into

SAMPLE = {"CAPGAP_SAMPLE_MEMBERS": "80", "CAPGAP_SAMPLE_YEARS": "3"}
CUTOFF = "2025-09-15"
MARTS = ("marts.earnings_daily", "marts.concentration_daily", "marts.risk_appetite_daily")
KEYS = {"marts.risk_appetite_daily": ["date"]}


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample through CUTOFF, and the whole sample."""
    root = tmp_path_factory.mktemp("look_ahead")
    early, late = root / "through_cutoff.duckdb", root / "whole.duckdb"
    materialize_into(early, CAPGAP_SAMPLE_THROUGH=CUTOFF, **SAMPLE)
    materialize_into(late, **SAMPLE)
    return early, late


@pytest.mark.parametrize("table", MARTS)
def test_rows_before_the_cutoff_do_not_change_with_later_data(warehouses, table: str) -> None:
    key = KEYS.get(table, ["universe", "date"])
    frames = []
    for path in warehouses:
        with duckdb.connect(str(path), read_only=True) as con:
            frames.append(
                con.sql(f"SELECT * FROM {table} WHERE date <= DATE '{CUTOFF}'").pl().sort(key)
            )
    early, late = frames
    assert early.height > 200
    assert_frame_equal(early, late, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)
