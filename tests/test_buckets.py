"""The per-ticker models built bucket by bucket into Parquet equal the single-node
warehouse's tables, bit for bit, whatever the number of buckets."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from orchestration.defs.resources import IndicatorSettings
from orchestration.warehouse.buckets import (
    bucket_file,
    bucket_of,
    bucketed_models,
    build_bucket,
    read_dataset,
)
from tests.conftest import materialize_into

BUCKET_COUNTS = (1, 3, 7)
SETTINGS = IndicatorSettings().variables()


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample market of 80 members over two years, built on one node."""
    warehouse = tmp_path_factory.mktemp("sample") / "w.duckdb"
    materialize_into(warehouse, CAPGAP_SAMPLE_MEMBERS="80", CAPGAP_SAMPLE_YEARS="2")
    return warehouse


@pytest.fixture(params=["sample_warehouse", "edge_warehouse", "faulty_warehouse"])
def warehouse(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def ordered(con: duckdb.DuckDBPyConnection, table_sql: str, key: list[str]) -> pl.DataFrame:
    return con.sql(f"SELECT * FROM {table_sql} ORDER BY {', '.join(key)}").pl()


@pytest.mark.parametrize("buckets", BUCKET_COUNTS)
def test_the_buckets_together_equal_the_single_node_tables(
    warehouse: Path, tmp_path: Path, buckets: int
) -> None:
    for bucket in range(buckets):
        build_bucket(warehouse, tmp_path, bucket, buckets, SETTINGS)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for model in bucketed_models():
            key = list(model.key)
            bucketed = ordered(con, read_dataset(tmp_path, model.table), key)
            assert bucketed.height > 0
            assert_frame_equal(bucketed, ordered(con, model.table, key), check_exact=True)


def test_each_bucket_holds_its_own_tickers_and_only_whole_files(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    buckets = 3
    built = [build_bucket(sample_warehouse, tmp_path, b, buckets, SETTINGS) for b in range(3)]
    with duckdb.connect() as con:
        for build in built:
            for table, path in build.files.items():
                assert path == bucket_file(tmp_path, table, build.bucket)
                (wrong, rows) = con.execute(
                    f"SELECT count(*) FILTER (WHERE {bucket_of('ticker', buckets)} "
                    f"<> {build.bucket}), count(*) FROM '{path}'"
                ).fetchall()[0]
                assert (wrong, rows) == (0, build.rows[table])
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]
