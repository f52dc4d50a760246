"""The per-ticker models built bucket by bucket, each bucket by its own worker into Parquet.

Every window of `staging.price_series` and `staging.member_prices` is `PARTITION BY ticker`,
so a ticker's rows depend on its own rows only: the tickers are split into buckets by a
stable hash (`md5_number(ticker) % buckets`, the same in any engine and DuckDB version),
and each bucket is built alone with the warehouse's own SQL.

A build has three parts. `plan_buckets` (the one step that reads the warehouse) writes the
models' inputs, split by bucket, as Parquet under the dataset. `build_bucket` (one worker
per bucket, in parallel, on any machine that reaches the dataset) builds, checks and writes
one bucket in an in-memory DuckDB of its own, incrementally when the bucket's published
files and build marks allow. `publish_buckets` (back in the warehouse) makes each table a
view over its buckets and records the build. A bucket's rows of a table are one Parquet
file, `<dataset>/<table>/buckets=<N>/bucket=<n>/<table>.parquet`, written beside its place
under a temporary name and renamed into it: a reader sees a bucket whole or not at all,
and no two workers ever write the same file. A change of bucket count is a new layout
folder, built in full; the old one is removed once the view reads the new.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from orchestration.paths import DDL_DIR
from orchestration.peak_memory import peak_rss_mib
from orchestration.warehouse.builds import (
    Build,
    build_candidate,
    build_scope,
    consumable_through,
    consumed_through,
    publish_candidate,
    publish_rebuilt_rows,
    publish_view,
    relation_type,
)
from orchestration.warehouse.contracts import Model, load_models
from orchestration.warehouse.validation import Outcome, merge_outcomes, run_checks

BUCKETED = ("staging.price_series", "staging.member_prices")
PENDING = "meta.pending_rebuilds"
INPUTS = "_inputs"


@dataclass(frozen=True)
class BucketTask:
    """What one worker builds: a bucket, where its inputs are, and from which marks."""

    bucket: int
    buckets: int
    inputs: Path
    dataset: Path
    since: dict[str, datetime | None]
    consumes: dict[str, datetime]
    rebuild_from: date | None
    settings: Mapping[str, str | int | float]
    memory_limit: str
    threads: int


@dataclass(frozen=True)
class BucketOutcome:
    """What one bucket's build found and wrote, per table."""

    bucket: int
    checks: dict[str, list[Outcome]]
    rows: dict[str, int] = field(default_factory=dict)
    rows_rebuilt: dict[str, int] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    scopes: dict[str, list[tuple[str, date]]] = field(default_factory=dict)
    peak_mib: int = 0

    @property
    def published(self) -> bool:
        """Whether every table's checks passed and the bucket's files were written."""
        return len(self.rows) == len(BUCKETED)


def bucket_of(column: str, buckets: int) -> str:
    """The SQL expression giving the bucket of a ticker column."""
    return f"(md5_number({column}) % {buckets})"


def layout_folder(dataset: Path, table: str, buckets: int) -> Path:
    """Where `table`'s files split into `buckets` buckets are kept: a layout of its own,
    so a change of bucket count never mixes the two in one read."""
    return dataset / table.split(".")[-1] / f"buckets={buckets:04d}"


def bucket_file(dataset: Path, table: str, bucket: int, buckets: int) -> Path:
    """Where a bucket's rows of `table` (`staging.price_series`) are kept."""
    name = table.split(".")[-1]
    return layout_folder(dataset, table, buckets) / f"bucket={bucket:04d}" / f"{name}.parquet"


def read_dataset(dataset: Path, table: str, buckets: int) -> str:
    """A SQL table expression reading every bucket of `table` in `dataset`."""
    files = bucket_file(dataset, table, 0, buckets).as_posix().replace("bucket=0000", "bucket=*")
    return f"read_parquet('{files}', hive_partitioning = false)"


def bucketed_models() -> list[Model]:
    """The models built by bucket, in build order."""
    by_table = {model.table: model for model in load_models()}
    return [by_table[table] for table in BUCKETED]


def _inputs() -> list[str]:
    """The warehouse tables the bucketed models read, other than each other."""
    models = bucketed_models()
    built = {model.table for model in models}
    return [*sorted({dep for model in models for dep in model.depends_on} - built), PENDING]


def _input_files(inputs: Path, table: str, bucket: int | None) -> Path:
    """The Parquet files of an exported input: one bucket's, or the whole table's."""
    folder = inputs / table
    return folder / "all.parquet" if bucket is None else folder / f"bucket={bucket}" / "*.parquet"


def _has_ticker(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return "ticker" in {name for name, *_ in con.execute(f"DESCRIBE {table}").fetchall()}


def _copy(con: duckdb.DuckDBPyConnection, select: str, target: Path) -> None:
    """Write a SELECT as one Parquet file, renamed into place once whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    con.execute(f"COPY ({select}) TO '{partial}' (FORMAT parquet)")
    partial.replace(target)


def _published_as(
    con: duckdb.DuckDBPyConnection, model: Model, dataset: Path, buckets: int
) -> bool:
    """Whether the table is published as a view over these buckets of this dataset."""
    if relation_type(con, model) != "VIEW":
        return False
    recorded = dict(
        con.execute(
            "SELECT name, value FROM meta.settings WHERE table_name = ? "
            "AND name IN ('buckets', 'dataset')",
            [model.table],
        ).fetchall()
    )
    return recorded == {"buckets": str(buckets), "dataset": str(dataset)}


def plan_buckets(
    con: duckdb.DuckDBPyConnection,
    dataset: Path,
    buckets: int,
    run_id: str,
    settings: Mapping[str, str | int | float],
    full: bool,
    rebuild_from: date | None,
    memory_limit: str,
    threads: int,
) -> list[BucketTask]:
    """Export the models' inputs by bucket under the dataset and say what each worker
    builds: incrementally from each table's consumed load when it is published over the
    same buckets, else in full."""
    inputs = dataset / INPUTS / run_id
    shutil.rmtree(dataset / INPUTS, ignore_errors=True)
    for unfinished in dataset.glob("*/buckets=*/bucket=*/.*.partial"):
        unfinished.unlink()
    inputs.mkdir(parents=True)
    ticker_tables = [table for table in _inputs() if _has_ticker(con, table)]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ticker_buckets AS "
        f"SELECT ticker, {bucket_of('ticker', buckets)} AS bucket FROM ("
        + " UNION ".join(f"SELECT ticker FROM {table}" for table in ticker_tables)
        + ")"
    )
    for table in _inputs():
        if table not in ticker_tables:
            _copy(con, f"FROM {table}", _input_files(inputs, table, None))
            continue
        where = f"WHERE table_name IN {BUCKETED}" if table == PENDING else ""
        con.execute(
            f"COPY (SELECT rows.*, ticker_buckets.bucket FROM {table} AS rows "
            f"JOIN ticker_buckets USING (ticker) {where}) TO '{inputs / table}' "
            "(FORMAT parquet, PARTITION_BY (bucket))"
        )
        for bucket in range(buckets):
            files = _input_files(inputs, table, bucket)
            if not files.parent.exists():
                _copy(con, f"FROM {table} LIMIT 0", files.with_name("empty.parquet"))
    models = bucketed_models()
    since = {
        model.table: None
        if full or not _published_as(con, model, dataset, buckets)
        else consumed_through(con, model)
        for model in models
    }
    # Both tables are built from the same inputs in one pass, so both consume the loads the
    # first one can (the second reads only the first among incremental tables).
    consumed = consumable_through(con, models[0])
    consumes = {model.table: consumed for model in models}
    return [
        BucketTask(
            bucket,
            buckets,
            inputs,
            dataset,
            since,
            consumes,
            rebuild_from,
            dict(settings),
            memory_limit,
            threads,
        )
        for bucket in range(buckets)
    ]


def _open_inputs(con: duckdb.DuckDBPyConnection, task: BucketTask) -> None:
    """The bucket's inputs as the warehouse's tables, read from their Parquet files."""
    con.execute((DDL_DIR / "state.sql").read_text())
    for schema in ("raw", "staging"):
        con.execute(f"CREATE SCHEMA {schema}")
    for table in _inputs():
        files = _input_files(task.inputs, table, task.bucket)
        if not files.parent.exists():
            files = _input_files(task.inputs, table, None)
        rows = f"read_parquet('{files}', hive_partitioning = false)"
        if table == PENDING:
            con.execute(f"INSERT INTO {table} SELECT table_name, ticker, rebuild_from FROM {rows}")
        else:
            con.execute(f"CREATE VIEW {table} AS FROM {rows}")


def _build_model(
    con: duckdb.DuckDBPyConnection, model: Model, task: BucketTask, outcome: BucketOutcome
) -> bool:
    """Build, check and publish one model in the worker's database; False if a blocking
    check failed (the candidate is dropped, the bucket's files stay as they were)."""
    published = bucket_file(task.dataset, model.table, task.bucket, task.buckets)
    since = task.since[model.table] if published.exists() else None
    if since is not None:
        rows = f"read_parquet('{published}', hive_partitioning = false)"
        con.execute(f"CREATE TABLE {model.table} AS FROM {rows}")
    _, earliest = build_scope(con, model, since, task.rebuild_from)
    candidate = build_candidate(con, model, task.settings)
    checks = [c if c.query is None else c.with_table(candidate) for c in model.checks]
    outcome.checks[model.table] = run_checks(con, checks, candidate, suite_name=model.table)
    if any(o.check.blocking and not o.success for o in outcome.checks[model.table]):
        return False
    (rows,) = con.execute(f"SELECT count(*) FROM {candidate}").fetchall()[0]
    mode = "full" if since is None else "incremental"
    build = Build(
        consumed_through=task.consumes[model.table],
        mode=mode,
        rebuilt_from=earliest,
        rows_rebuilt=rows,
    )
    outcome.rows_rebuilt[model.table], outcome.modes[model.table] = rows, mode
    outcome.scopes[model.table] = con.execute(
        "SELECT ticker, rebuild_from FROM rebuild_scope"
    ).fetchall()
    if since is None:
        publish_candidate(con, model, task.settings, build)
    else:
        publish_rebuilt_rows(con, model, task.settings, build)
    return True


def build_bucket(task: BucketTask) -> BucketOutcome:
    """Build the bucketed models for one bucket's tickers and write each to its file in
    the dataset; nothing is written unless every blocking check passed."""
    outcome = BucketOutcome(task.bucket, checks={})
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{task.memory_limit}'")
        con.execute(f"SET threads = {task.threads}")
        con.execute("SET preserve_insertion_order = false")
        _open_inputs(con, task)
        if all(_build_model(con, model, task, outcome) for model in bucketed_models()):
            for model in bucketed_models():
                file = bucket_file(task.dataset, model.table, task.bucket, task.buckets)
                _copy(con, f"FROM {model.table}", file)
                (outcome.rows[model.table],) = con.execute(
                    f"SELECT count(*) FROM {model.table}"
                ).fetchall()[0]
    return replace(outcome, peak_mib=round(peak_rss_mib()))


def merged_checks(outcomes: list[BucketOutcome], table: str) -> list[Outcome]:
    """Each check's outcomes over every bucket, as one outcome."""
    per_bucket = [o.checks[table] for o in outcomes if table in o.checks]
    return [merge_outcomes(parts[0].check, list(parts)) for parts in zip(*per_bucket, strict=True)]


def publish_buckets(
    con: duckdb.DuckDBPyConnection,
    tasks: list[BucketTask],
    outcomes: list[BucketOutcome],
) -> None:
    """Make each bucketed table a view over its buckets and record the build (what it
    consumed, what it rebuilt, the settings and bucket layout it was built with)."""
    task = tasks[0]
    layout = {"buckets": str(task.buckets), "dataset": str(task.dataset)}
    for model in bucketed_models():
        rebuilt = pl.DataFrame(
            [row for o in outcomes for row in o.scopes[model.table]],
            schema={"ticker": pl.String, "rebuild_from": pl.Date},
            orient="row",
        )
        modes = {o.modes[model.table] for o in outcomes}
        build = Build(
            consumed_through=task.consumes[model.table],
            mode="incremental" if modes == {"incremental"} else "full",
            rebuilt_from=rebuilt["rebuild_from"].min(),
            rows_rebuilt=sum(o.rows_rebuilt[model.table] for o in outcomes),
        )
        rows_sql = read_dataset(task.dataset, model.table, task.buckets)
        publish_view(con, model, task.settings, layout, build, rows_sql, rebuilt)
        current = layout_folder(task.dataset, model.table, task.buckets)
        for replaced in current.parent.glob("buckets=*"):
            if replaced != current:
                shutil.rmtree(replaced)
    shutil.rmtree(task.inputs, ignore_errors=True)
