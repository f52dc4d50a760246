"""The per-ticker models built bucket by bucket, each bucket by its own worker into Parquet.

Every window of `staging.price_series` and `staging.member_prices` is `PARTITION BY ticker`,
so a ticker's rows depend on its own rows only: the tickers are split into buckets by a
stable hash (`md5_number(ticker) % buckets`, the same in any engine and DuckDB version),
and each bucket is built alone with the warehouse's own SQL, in an in-memory DuckDB of its
own that reads the warehouse file read-only. A bucket's rows are written as one Parquet
file, `<dataset>/<table>/bucket=<n>/<table>.parquet`: written beside its place under a
temporary name, then renamed into it, so a reader sees a bucket whole or not at all and no
two workers ever write the same file. The union of the buckets is the table a single build
makes, row for row.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.warehouse.builds import build_candidate, build_scope
from orchestration.warehouse.contracts import Model, load_models

BUCKETED = ("staging.price_series", "staging.member_prices")


@dataclass(frozen=True)
class BucketBuild:
    """What one bucket's build wrote: rows per table, and the files."""

    bucket: int
    rows: dict[str, int]
    files: dict[str, Path]


def bucket_of(column: str, buckets: int) -> str:
    """The SQL expression giving the bucket of a ticker column."""
    return f"(md5_number({column}) % {buckets})"


def bucket_file(dataset: Path, table: str, bucket: int) -> Path:
    """Where a bucket's rows of `table` (`staging.price_series`) are kept."""
    name = table.split(".")[-1]
    return dataset / name / f"bucket={bucket:04d}" / f"{name}.parquet"


def bucketed_models() -> list[Model]:
    """The models built by bucket, in build order."""
    by_table = {model.table: model for model in load_models()}
    return [by_table[table] for table in BUCKETED]


def _inputs(models: list[Model]) -> list[str]:
    """The warehouse tables the bucketed models read, other than each other."""
    built = {model.table for model in models}
    return sorted({dep for model in models for dep in model.depends_on} - built)


def _attach_inputs(
    con: duckdb.DuckDBPyConnection, warehouse: Path, bucket: int, buckets: int
) -> None:
    """The models' inputs copied out of the warehouse file, only this bucket's tickers."""
    con.execute(f"ATTACH '{warehouse}' AS warehouse (READ_ONLY)")
    for schema in ("raw", "staging", "meta"):
        con.execute(f"CREATE SCHEMA {schema}")
    for table in _inputs(bucketed_models()):
        columns = {name for name, *_ in con.execute(f"DESCRIBE warehouse.{table}").fetchall()}
        where = f"WHERE {bucket_of('ticker', buckets)} = {bucket}" if "ticker" in columns else ""
        con.execute(f"CREATE TABLE {table} AS FROM warehouse.{table} {where}")
    con.execute("CREATE VIEW meta.pending_rebuilds AS FROM warehouse.meta.pending_rebuilds LIMIT 0")


def _write(con: duckdb.DuckDBPyConnection, table: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    con.execute(f"COPY {table} TO '{partial}' (FORMAT parquet)")
    partial.replace(target)


def build_bucket(
    warehouse: Path,
    dataset: Path,
    bucket: int,
    buckets: int,
    settings: Mapping[str, str | int | float],
    memory_limit: str = "384MB",
) -> BucketBuild:
    """Build the bucketed models for one bucket's tickers in full, from the warehouse's
    published inputs, and write each to its Parquet file in `dataset`."""
    rows, files = {}, {}
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        _attach_inputs(con, warehouse, bucket, buckets)
        for model in bucketed_models():
            build_scope(con, model, since=None, rebuild_from=None)
            candidate = build_candidate(con, model, settings)
            con.execute(f"ALTER TABLE {candidate} RENAME TO {model.name}")
            files[model.table] = bucket_file(dataset, model.table, bucket)
            _write(con, model.table, files[model.table])
            (rows[model.table],) = con.execute(f"SELECT count(*) FROM {model.table}").fetchall()[0]
    return BucketBuild(bucket, rows, files)


def read_dataset(dataset: Path, table: str) -> str:
    """A SQL table expression reading every bucket of `table` in `dataset`."""
    name = table.split(".")[-1]
    return f"read_parquet('{dataset / name}/bucket=*/{name}.parquet', hive_partitioning = false)"
