"""`make bench`: how long `marts.breadth_daily` takes in SQL, pandas and polars, measured.

For each size, the sample market is generated once and its raw prices and members are landed
in a fresh DuckDB file (not timed). Each engine then runs in its own subprocess, so its peak
RSS is its own: `sql` rebuilds the warehouse's three models in order, `sql-views` runs the
same SQL as one query without writing the staging tables, and `pandas` and `polars` read the
raw panel out of that file (timed apart, not in their time) and compute the mart from the
frames in memory. Every engine repeats and reports its median; each result is then compared
with the SQL one, column by column.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from pathlib import Path

import duckdb
import polars as pl

from bench import breadth_pandas, breadth_polars
from bench.daily import daily_report
from bench.fanout import fanout_report
from bench.files_daily import files_report
from orchestration.defs.resources import IndicatorSettings
from orchestration.paths import DDL_DIR, PROJECT_ROOT
from orchestration.peak_memory import peak_rss_mib, status_mib
from orchestration.sources.base import FetchRequest
from orchestration.sources.sample.source import DEFAULT_END, SampleSource
from orchestration.warehouse.builds import build_candidate, build_scope, publish_candidate
from orchestration.warehouse.contracts import Model, load_models

SEED = 42
SQL_MODELS = (
    "staging.price_exclusions",
    "staging.price_series",
    "staging.membership_spans",
    "staging.member_prices",
    "staging.member_counts",
    "marts.breadth_daily",
)
SETTINGS = IndicatorSettings().variables()
ENGINES = ("sql", "sql-views", "pandas", "polars")
KEY = ("universe", "date")
REL_TOL = 1e-9
ABS_TOL = 1e-12
PRICES_QUERY = "SELECT ticker, date, close, volume FROM raw.prices"
MEMBERS_QUERY = "SELECT universe, ticker, valid_from, valid_to, name, sector FROM raw.members"
LIBRARIES = ("duckdb", "polars", "pandas", "numpy", "pyarrow")


@dataclass(frozen=True)
class Size:
    """One sample market to time, and how many times each engine runs on it."""

    label: str
    members: int
    years: int
    repeats: int


SIZES = (Size("1x", 2_500, 10, 3), Size("4x", 10_000, 10, 3))
# The fan-out's panel: ten times the default sample's members, in 8 buckets; its marts need
# more than the default 384 MB of DuckDB memory (marts.earnings_daily runs out).
FANOUT = Size("10x", 25_000, 10, 1)
FANOUT_BUCKETS = 8
FANOUT_MEMORY = "4GB"


@dataclass(frozen=True)
class EngineRun:
    """What one engine's subprocess measured."""

    seconds: list[float]
    read_seconds: float | None
    inputs_rss_mib: float
    peak_rss_mib: float
    model_seconds: dict[str, float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def sample_panel(members: int, years: int, seed: int = SEED) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The sample market's raw prices and members, as the sample source fetches them."""
    batch = SampleSource(members, years, seed).fetch(FetchRequest(today=DEFAULT_END))
    return batch.prices, batch.members


def land_raw(con: duckdb.DuckDBPyConnection, prices: pl.DataFrame, members: pl.DataFrame) -> None:
    """Create the raw tables with the warehouse's DDL and insert the panel into them."""
    for ddl in sorted(DDL_DIR.glob("*.sql")):
        con.execute(ddl.read_text())
    lineage = "'sample' AS source, 'bench' AS load_id, now()::TIMESTAMP AS loaded_at"
    con.register("bench_prices", prices)
    con.register("bench_members", members)
    con.execute(f"INSERT INTO raw.prices BY NAME SELECT *, {lineage} FROM bench_prices")
    con.execute(f"INSERT INTO raw.members BY NAME SELECT *, {lineage} FROM bench_members")
    con.unregister("bench_prices")
    con.unregister("bench_members")


def sql_models() -> list[Model]:
    """The three models that build `marts.breadth_daily`, in build order."""
    by_table = {model.table: model for model in load_models()}
    return [by_table[table] for table in SQL_MODELS]


def rebuild_sql(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Rebuild the three models as the warehouse does (candidate, then publish), without the
    GX checks; return the seconds each took."""
    seconds = {}
    for model in sql_models():
        started = time.perf_counter()
        if model.incremental_by:
            build_scope(con, model, since=None, rebuild_from=None)
        build_candidate(con, model, SETTINGS)
        publish_candidate(con, model, SETTINGS)
        seconds[model.table] = time.perf_counter() - started
    return seconds


def _view_sql(model: Model) -> str:
    """The model's SELECT over its full rebuild scope, as one query."""
    if model.scope_sql is None:
        return model.sql
    return f"WITH rebuild_scope AS (\n{model.scope_sql}\n)\nSELECT * FROM (\n{model.sql}\n)"


def sql_breadth(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The published `marts.breadth_daily`, sorted by its key."""
    return con.sql("SELECT * FROM marts.breadth_daily ORDER BY universe, date").pl()


def pandas_breadth(prices: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """The pandas engine on polars frames, its result as a polars frame (not timed: tests)."""
    return pl.from_pandas(breadth_pandas.breadth_daily(prices.to_pandas(), members.to_pandas()))


def _normalize(frame: pl.DataFrame, like: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(name).cast(dtype) for name, dtype in like.schema.items())


def _mismatch(column: str, dtype: pl.DataType) -> pl.Expr:
    left, right = pl.col(column), pl.col(f"{column}_right")
    if dtype.is_float():
        tolerance = pl.max_horizontal(REL_TOL * left.abs(), REL_TOL * right.abs(), ABS_TOL)
        return (left.is_null() != right.is_null()) | ((left - right).abs() > tolerance)
    return left.ne_missing(right)


def sma_ties(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """Per `pct_above_smaN` column, the (universe, date) rows with a member whose close equals
    its SMA_N up to float rounding (1e-12 relative), from `staging.member_prices`: there
    `close > sma` depends on how the mean was summed."""
    return {
        f"pct_above_sma{n}": con.sql(
            f"SELECT DISTINCT universe, date FROM staging.member_prices "
            f"WHERE abs(close - sma_{n}) <= 1e-12 * abs(close)"
        ).pl()
        for n in (50, 200)
    }


@dataclass(frozen=True)
class Disagreement:
    """Rows on which an engine differs from SQL in one column (or in the keys)."""

    column: str
    rows: int
    tied: int
    message: str

    @property
    def only_ties(self) -> bool:
        """Whether every differing row is on a date where a member's close ties its SMA."""
        return self.tied == self.rows


def disagreements(
    expected: pl.DataFrame,
    actual: pl.DataFrame,
    name: str = "actual",
    ties: dict[str, pl.DataFrame] | None = None,
) -> list[Disagreement]:
    """How `actual` differs from `expected`: missing or extra rows, and per column the rows
    whose values differ (ints and booleans exactly, floats to 1e-9 relative or 1e-12
    absolute near 0, nulls in the same places), with how many of them are SMA ties (see
    `sma_ties`). Empty when they agree."""
    actual = _normalize(actual, expected)
    ties = ties or {}
    problems = []
    for side, left, right in (("missing from", expected, actual), ("extra in", actual, expected)):
        rows = left.join(right, on=KEY, how="anti")
        if rows.height:
            message = f"{rows.height} rows {side} {name}, e.g. {rows.row(0)[:2]}"
            problems.append(Disagreement("(rows)", rows.height, 0, message))
    both = expected.join(actual, on=KEY, how="inner")
    for column, dtype in expected.schema.items():
        if column in KEY:
            continue
        rows = both.filter(_mismatch(column, dtype))
        if not rows.height:
            continue
        first = rows.row(0, named=True)
        message = (
            f"{column}: {rows.height} rows differ in {name}, e.g. {first['universe']} "
            f"{first['date']}: sql={first[column]!r} {name}={first[f'{column}_right']!r}"
        )
        tied = rows.join(ties[column], on=KEY, how="semi").height if column in ties else 0
        if tied:
            message += f"; {tied} of them on a date where a member's close ties its SMA"
        problems.append(Disagreement(column, rows.height, tied, message))
    return problems


def _rss_mib() -> float:
    return status_mib("VmRSS")


def _timed(compute: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(repeats):
        del result
        gc.collect()
        started = time.perf_counter()
        result = compute()
        seconds.append(time.perf_counter() - started)
    return seconds, result


@dataclass
class _Measured:
    seconds: list[float]
    inputs_rss_mib: float
    read_seconds: float | None = None
    model_seconds: dict[str, float] | None = None


def _sql_run(database: Path, out: Path, repeats: int) -> _Measured:
    """The warehouse's rebuild: the three models as tables in the DuckDB file."""
    model_seconds: dict[str, list[float]] = {}
    seconds = []
    with duckdb.connect(str(database)) as con:
        inputs_rss = _rss_mib()
        for _ in range(repeats):
            started = time.perf_counter()
            for table, took in rebuild_sql(con).items():
                model_seconds.setdefault(table, []).append(took)
            seconds.append(time.perf_counter() - started)
        sql_breadth(con).write_parquet(out)
    medians = {table: statistics.median(s) for table, s in model_seconds.items()}
    return _Measured(seconds, inputs_rss, model_seconds=medians)


def _sql_views_run(database: Path, out: Path, repeats: int) -> _Measured:
    """The same SQL as one query: the staging models as views in an in-memory database over
    the file's raw tables, so only the mart (a few thousand rows) is written."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{database}' AS warehouse (READ_ONLY)")
        for schema in ("raw", "staging", "marts"):
            con.execute(f"CREATE SCHEMA {schema}")
        for table in ("prices", "members", "actions"):
            con.execute(f"CREATE VIEW raw.{table} AS FROM warehouse.raw.{table}")
        *staging, mart = sql_models()
        con.execute("SET VARIABLE consumed_through = '-infinity'::TIMESTAMP")
        con.execute("SET VARIABLE rebuild_from = 'infinity'::DATE")
        for name, value in SETTINGS.items():
            con.execute(f"SET VARIABLE {name} = ?", [value])
        con.execute("CREATE TEMP TABLE pending_rebuilds (ticker VARCHAR, rebuild_from DATE)")
        for model in staging:
            con.execute(f"CREATE VIEW {model.table} AS {_view_sql(model)}")
        inputs_rss = _rss_mib()
        seconds, _ = _timed(lambda: build_candidate(con, mart, SETTINGS), repeats)
        publish_candidate(con, mart, SETTINGS)
        sql_breadth(con).write_parquet(out)
    return _Measured(seconds, inputs_rss)


def _frame_run(engine: str, database: Path, out: Path, repeats: int) -> _Measured:
    """pandas or polars on the raw panel, read out of the file first (timed apart)."""
    with duckdb.connect(str(database), read_only=True) as con:
        started = time.perf_counter()
        if engine == "polars":
            prices, members = con.sql(PRICES_QUERY).pl(), con.sql(MEMBERS_QUERY).pl()
        else:
            prices, members = con.sql(PRICES_QUERY).df(), con.sql(MEMBERS_QUERY).df()
        read_seconds = time.perf_counter() - started
    inputs_rss = _rss_mib()
    module = breadth_polars if engine == "polars" else breadth_pandas
    seconds, result = _timed(lambda: module.breadth_daily(prices, members), repeats)
    frame = result if engine == "polars" else pl.from_pandas(result)
    frame.write_parquet(out)
    return _Measured(seconds, inputs_rss, read_seconds=read_seconds)


def worker(engine: str, database: Path, out: Path, repeats: int) -> dict[str, object]:
    """Run one engine `repeats` times on the panel in `database`; write its last result to
    `out` (parquet) and return what it measured."""
    if engine == "sql":
        measured = _sql_run(database, out, repeats)
    elif engine == "sql-views":
        measured = _sql_views_run(database, out, repeats)
    else:
        measured = _frame_run(engine, database, out, repeats)
    return {
        "seconds": measured.seconds,
        "read_seconds": measured.read_seconds,
        "inputs_rss_mib": measured.inputs_rss_mib,
        "peak_rss_mib": peak_rss_mib(),
        "model_seconds": measured.model_seconds or {},
    }


def _run_worker(engine: str, database: Path, out: Path, repeats: int) -> EngineRun | str:
    """One engine in a subprocess: its measurements, or why it failed."""
    command = [sys.executable, "-m", "bench.run", "--worker", engine, str(database), str(out)]
    done = subprocess.run(
        [*command, "--repeats", str(repeats)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"{engine} failed (exit {done.returncode}): {tail}"
    return EngineRun(**json.loads(done.stdout.strip().splitlines()[-1]))


def _machine() -> list[str]:
    with open("/proc/cpuinfo") as cpuinfo:
        cpu = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
            "unknown",
        )
    with open("/proc/meminfo") as meminfo:
        total_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    libraries = "  ".join(f"{name} {version(name)}" for name in LIBRARIES)
    cores = len(os.sched_getaffinity(0))
    lines = [
        f"machine: {cores} cores (nproc), {cpu}, {total_kib / 2**20:.1f} GiB memory",
        f"python {platform.python_version()}  {libraries}",
    ]
    blas = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    if blas:
        lines.append("env: " + " ".join(f"{k}={v}" for k, v in sorted(blas.items())))
    return lines


def _ratio(sql: EngineRun | str, other: EngineRun | str) -> str:
    if isinstance(sql, str) or isinstance(other, str):
        return "-"
    return f"{sql.median / other.median:.2f}"


def _seconds(run: EngineRun | str) -> str:
    return "failed" if isinstance(run, str) else f"{run.median:.2f}"


def bench_size(size: Size, workdir: Path) -> tuple[list[str], list[str], list[str]]:
    """Time the three engines on one size; return its table row, its details, and its
    failures and disagreements."""
    prices, members = sample_panel(size.members, size.years)
    panel_rows, member_rows = prices.height, members.height
    database = workdir / f"bench_{size.label}.duckdb"
    with duckdb.connect(str(database)) as con:
        land_raw(con, prices, members)
    del prices, members
    gc.collect()

    load_before = os.getloadavg()[0]
    runs = {
        engine: _run_worker(
            engine, database, workdir / f"{size.label}_{engine}.parquet", size.repeats
        )
        for engine in ENGINES
    }
    failures = [run for run in runs.values() if isinstance(run, str)]
    problems: list[Disagreement] = []
    if failures:
        agreement = "not checked"
    else:
        expected = pl.read_parquet(workdir / f"{size.label}_sql.parquet")
        with duckdb.connect(str(database), read_only=True) as con:
            ties = sma_ties(con)
        for engine in ENGINES[1:]:
            actual = pl.read_parquet(workdir / f"{size.label}_{engine}.parquet")
            problems += disagreements(expected, actual, engine, ties)
        if not problems:
            agreement = f"yes ({expected.height} rows)"
        elif all(problem.only_ties for problem in problems):
            agreement = f"SMA ties only ({sum(problem.rows for problem in problems)} values)"
        else:
            agreement = f"NO ({len(problems)} columns)"
    database.unlink()

    sql, pd_run, pl_run = runs["sql"], runs["pandas"], runs["polars"]
    row = [
        f"{size.label} ({size.members} x {size.years}y)",
        f"{panel_rows:,}",
        _seconds(sql),
        _seconds(pd_run),
        _seconds(pl_run),
        _ratio(sql, pl_run),
        _ratio(sql, pd_run),
        agreement,
    ]
    details = [
        f"{size.label}: {panel_rows:,} price rows, {member_rows:,} membership rows; 1-min load "
        f"average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 = both cores busy)"
    ]
    for engine, run in runs.items():
        if isinstance(run, str):
            continue
        times = " ".join(f"{s:.2f}" for s in run.seconds)
        line = (
            f"  {engine:<9} runs {times} s; peak RSS {run.peak_rss_mib:,.0f} MiB "
            f"(inputs loaded: {run.inputs_rss_mib:,.0f} MiB)"
        )
        if run.read_seconds is not None:
            line += f"; reading the panel out of DuckDB: {run.read_seconds:.2f} s (not timed)"
        details.append(line)
        details += [
            f"            {table:<22} {took:.2f} s (median)"
            for table, took in run.model_seconds.items()
        ]
    return row, details, failures + [problem.message for problem in problems]


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def main(sizes: tuple[Size, ...] = SIZES) -> None:
    """Benchmark the sizes and print the report."""
    print(f"capgap bench, marts.breadth_daily, {date.today().isoformat()}")
    for line in _machine():
        print(line)
    print(
        "SQL       = CREATE OR REPLACE of staging.price_series, staging.member_prices and\n"
        "            marts.breadth_daily in the DuckDB file, in order, with the warehouse's SQL\n"
        "            (orchestration.warehouse.builds: build_candidate + publish_candidate),\n"
        "            no GX checks;\n"
        "            the staging tables are written with all their columns, as in the warehouse.\n"
        "sql-views = (details only) the same three SELECTs as one query: the staging models as\n"
        "            views in an in-memory database over the file's raw tables; only the mart\n"
        "            is written.\n"
        "pandas, polars = bench/breadth_{pandas,polars}.py on the raw panel already in memory;\n"
        "            reading it out of DuckDB is not included (shown in the details).\n"
        "Each engine runs in its own subprocess, so its peak RSS is its own; times are medians.\n"
        "Agreement, each engine against SQL: ints and booleans exact, floats to "
        f"{REL_TOL:g} relative\n"
        f"            ({ABS_TOL:g} absolute near 0), nulls in the same places."
    )
    header = ["size", "panel rows", "SQL s", "pandas s", "polars s", "SQL/polars", "SQL/pandas"]
    rows, details, problems = [[*header, "agreement"]], [], []
    with tempfile.TemporaryDirectory(prefix="capgap-bench-") as workdir:
        for size in sizes:
            print(
                f"... {size.label}: {size.members} members x {size.years} years, "
                f"{size.repeats} runs per engine",
                flush=True,
            )
            row, size_details, size_problems = bench_size(size, Path(workdir))
            rows.append(row)
            details += size_details
            problems += [f"{size.label}: {problem}" for problem in size_problems]
    print()
    print("\n".join(_table(rows)))
    print()
    print("\n".join(details))
    print()
    print("failures and disagreements:" + ("" if problems else " none"))
    for problem in problems:
        print(f"  {problem}")
    with tempfile.TemporaryDirectory(prefix="capgap-daily-") as workdir:
        for size in sizes:
            print(f"... daily run, {size.label}", flush=True)
            print()
            print("\n".join(daily_report(Path(workdir), size.label, size.members, size.years)))
        files = SIZES[0]
        print(f"... files source's evening run, {files.label}", flush=True)
        print()
        print("\n".join(files_report(Path(workdir), files.label, files.members, files.years)))
        print(f"... fan-out, {FANOUT.label}", flush=True)
        print()
        workers = os.cpu_count() or 1
        fanout = fanout_report(
            Path(workdir),
            FANOUT.label,
            FANOUT.members,
            FANOUT.years,
            FANOUT_BUCKETS,
            workers,
            FANOUT_MEMORY,
        )
        print("\n".join(fanout))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "DATABASE", "OUT"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", nargs="+", choices=[size.label for size in SIZES])
    args = parser.parse_args()
    if args.worker:
        engine, database, out = args.worker
        print(json.dumps(worker(engine, Path(database), Path(out), args.repeats)))
    else:
        main(tuple(size for size in SIZES if not args.sizes or size.label in args.sizes))
