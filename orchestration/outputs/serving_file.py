"""The serving file: the marts and the analyst views, published for analysts and BI tools.

The warehouse file can be open read-write by one process or read-only by many, never both:
a BI tool reading it would make the next run fail. So each run publishes a copy of what
readers need to a separate DuckDB file (`capgap_serving.duckdb` beside `capgap.duckdb`):

- `marts.*`: the marts, copied as the run checked them, their contracts as comments;
- `views.*`: the analyst views of `sql/views/*.sql`, over the tables in the same file;
- `meta.settings`: the settings each mart was built with, as the warehouse recorded them;
- `serving.published`: one row per table and view, with its row count and date range, the
  publish time, the warehouse it came from and the latest market date.

The new version is written whole to `<name>.tmp-<pid>`, checked on its own, synced, then
renamed over the published name (POSIX: the rename is atomic). A reader that has the old file
open keeps reading the old version; a new connection opens the new one. A publish that fails
half-way leaves the published file as it was. It is written in DuckDB's storage format
`STORAGE_VERSION` so that clients bundling an older DuckDB (BI drivers, the PyPI duckdb CLI)
can open it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.paths import VIEWS_DIR
from orchestration.warehouse.contracts import Model, mart_models

VIEWS_SCHEMA = "views"
RECORD_TABLE = "serving.published"
SETTINGS_TABLE = "meta.settings"
MARKET_DATE_TABLE = "marts.market_regime"
# Readable by DuckDB 1.0 and later; the default of DuckDB 2.0 (v2.0.0) is not readable by
# 1.x clients ("Trying to read a database file with version number 69").
STORAGE_VERSION = "v1.0.0"
SERVING_SUFFIX = "_serving.duckdb"
_ALIAS = "serving_next"


class ServingBusy(RuntimeError):
    """The serving file is open read-write by another process."""


@dataclass(frozen=True)
class PublishedObject:
    """One table or view of the serving file, as recorded in `serving.published`."""

    name: str
    kind: str
    row_count: int
    first_date: date | None
    last_date: date | None


@dataclass(frozen=True)
class ServingReport:
    """What one publish wrote."""

    path: Path
    published_at: datetime
    market_date: date | None
    objects: tuple[PublishedObject, ...]
    bytes: int
    seconds: float


@dataclass(frozen=True)
class AnalystView:
    """One `sql/views/<name>.sql`: a SELECT and the header comment that documents it."""

    name: str
    sql: str
    description: str


def serving_path_for(warehouse_path: str | Path) -> Path:
    """The serving file beside a warehouse: `data/capgap.duckdb` -> `data/capgap_serving.duckdb`."""
    path = Path(warehouse_path)
    stem = path.stem if path.suffix == ".duckdb" else path.name
    return path.with_name(stem + SERVING_SUFFIX)


def analyst_views(views_dir: Path = VIEWS_DIR) -> tuple[AnalystView, ...]:
    """The views of `views_dir`, each a SELECT under a header of `--` lines."""
    views = []
    for path in sorted(views_dir.glob("*.sql")):
        text = path.read_text()
        header = []
        for line in text.splitlines():
            if not line.startswith("--"):
                break
            header.append(line.removeprefix("--").strip())
        views.append(
            AnalystView(name=path.stem, sql=text.strip().rstrip(";"), description=" ".join(header))
        )
    return tuple(views)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _tmp_path(serving_path: Path, pid: int) -> Path:
    return serving_path.with_name(f"{serving_path.name}.tmp-{pid}")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_files(serving_path: Path) -> None:
    """Remove what a killed publish left: its tmp file and the tmp's WAL."""
    for tmp in serving_path.parent.glob(f"{serving_path.name}.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[1].removesuffix(".wal")
        if not pid.isdigit() or int(pid) == os.getpid() or not _pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _refuse_if_open_read_write(serving_path: Path) -> None:
    """Fail when a process holds the serving file read-write (DuckDB's exclusive lock).

    Its WAL would sit beside the new file and make every reader fail with "WAL does not
    match database file". Readers (shared locks) are fine. Closing the probe drops this
    process's own locks on the file (POSIX), which only matters to a reader in this process.
    """
    if not serving_path.exists():
        return
    descriptor = os.open(serving_path, os.O_RDONLY)
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as error:
        raise ServingBusy(
            f"the serving file {serving_path} is open read-write by another process; "
            "clients must open it read-only (duckdb -readonly, read_only=True, "
            "duckdb.read_only=true). Close that client and run again."
        ) from error
    finally:
        os.close(descriptor)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _copy_mart(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Copy one mart into the new file, with its contract as table and column comments."""
    target = f"{_ALIAS}.marts.{model.name}"
    con.execute(f"CREATE TABLE {target} AS SELECT * FROM {model.table}")
    comment = f"{model.description} Grain: {model.grain}. Key: {', '.join(model.key)}."
    con.execute(f"COMMENT ON TABLE {target} IS {_quote(comment)}")
    present = {row[0] for row in con.execute(f"DESCRIBE {target}").fetchall()}
    for column in model.columns:
        if column.name in present:
            con.execute(
                f'COMMENT ON COLUMN {target}."{column.name}" IS {_quote(column.description)}'
            )


def _copy_settings(con: duckdb.DuckDBPyConnection, marts: tuple[Model, ...]) -> None:
    """Copy the marts' rows of the warehouse's settings record into the new file."""
    target = f"{_ALIAS}.{SETTINGS_TABLE}"
    con.execute(f"CREATE SCHEMA {_ALIAS}.meta")
    con.execute(
        f"CREATE TABLE {target} AS SELECT * FROM {SETTINGS_TABLE} "
        "WHERE table_name IN (SELECT unnest(?)) ORDER BY table_name, name",
        [[m.table for m in marts]],
    )
    comment = "The settings each mart was built and checked with (name, value as text)."
    con.execute(f"COMMENT ON TABLE {target} IS {_quote(comment)}")


def _create_view(con: duckdb.DuckDBPyConnection, view: AnalystView) -> None:
    """Create one analyst view in the new file; its names resolve within that file."""
    target = f"{_ALIAS}.{VIEWS_SCHEMA}.{view.name}"
    con.execute(f"CREATE VIEW {target} AS\n{view.sql}")
    con.execute(f"COMMENT ON VIEW {target} IS {_quote(view.description)}")


def _describe(con: duckdb.DuckDBPyConnection, name: str, kind: str) -> PublishedObject:
    columns = {row[0]: row[1] for row in con.execute(f"DESCRIBE {name}").fetchall()}
    dates = "min(date), max(date)" if columns.get("date") == "DATE" else "NULL, NULL"
    count, first, last = con.execute(f"SELECT count(*), {dates} FROM {name}").fetchall()[0]
    return PublishedObject(name.removeprefix(f"{_ALIAS}."), kind, count, first, last)


def _record(
    con: duckdb.DuckDBPyConnection,
    objects: list[PublishedObject],
    published_at: datetime,
    warehouse: str,
    market_date: date | None,
) -> None:
    """Write `serving.published`: one row per table and view of this version."""
    when_and_where = (market_date, published_at, warehouse)
    con.execute(f"CREATE SCHEMA {_ALIAS}.serving")
    con.execute(
        f"""
        CREATE TABLE {_ALIAS}.{RECORD_TABLE} (
            object VARCHAR,
            kind VARCHAR,
            row_count BIGINT,
            first_date DATE,
            last_date DATE,
            market_date DATE,
            published_at TIMESTAMP,
            warehouse VARCHAR
        )
        """
    )
    con.executemany(
        f"INSERT INTO {_ALIAS}.{RECORD_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (o.name, o.kind, o.row_count, o.first_date, o.last_date, *when_and_where)
            for o in objects
        ],
    )
    comment = (
        "One row per table and view of this serving file, counted when it was published "
        "(published_at, UTC) from the warehouse file named; market_date is the latest date "
        f"of {MARKET_DATE_TABLE}."
    )
    con.execute(f"COMMENT ON TABLE {_ALIAS}.{RECORD_TABLE} IS {_quote(comment)}")


def _write_version(
    con: duckdb.DuckDBPyConnection,
    tmp: Path,
    marts: tuple[Model, ...],
    views: tuple[AnalystView, ...],
    warehouse: str,
) -> tuple[datetime, date | None, list[PublishedObject]]:
    """Write the whole new version into `tmp`, attached to the warehouse's connection."""
    con.execute(f"ATTACH {_quote(str(tmp))} AS {_ALIAS} (STORAGE_VERSION '{STORAGE_VERSION}')")
    try:
        con.execute(f"CREATE SCHEMA {_ALIAS}.marts")
        con.execute(f"CREATE SCHEMA {_ALIAS}.{VIEWS_SCHEMA}")
        for model in marts:
            _copy_mart(con, model)
        _copy_settings(con, marts)
        for view in views:
            _create_view(con, view)
        objects = [_describe(con, f"{_ALIAS}.{m.table}", "table") for m in marts]
        objects.append(_describe(con, f"{_ALIAS}.{SETTINGS_TABLE}", "table"))
        objects += [_describe(con, f"{_ALIAS}.{VIEWS_SCHEMA}.{v.name}", "view") for v in views]
        (market_date,) = con.execute(
            f"SELECT max(date) FROM {_ALIAS}.{MARKET_DATE_TABLE}"
        ).fetchall()[0]
        published_at = datetime.now(UTC).replace(tzinfo=None)
        _record(con, objects, published_at, warehouse, market_date)
        con.execute(f"CHECKPOINT {_ALIAS}")
    finally:
        con.execute(f"DETACH {_ALIAS}")
    return published_at, market_date, objects


def _verify(tmp: Path, objects: list[PublishedObject]) -> None:
    """Open the new file on its own and check every table and view against the record.

    A view that named a table outside the file would fail here, not in a reader's hands.
    """
    with duckdb.connect(str(tmp), read_only=True) as reader:
        recorded = dict(reader.execute(f"SELECT object, row_count FROM {RECORD_TABLE}").fetchall())
        for published in objects:
            (count,) = reader.execute(f"SELECT count(*) FROM {published.name}").fetchall()[0]
            if recorded.get(published.name) != count:
                raise RuntimeError(
                    f"serving file check: {published.name} has {count} rows, "
                    f"{RECORD_TABLE} says {recorded.get(published.name)}"
                )
    if _wal(tmp).exists():
        raise RuntimeError(f"serving file check: {_wal(tmp)} was left after the checkpoint")


def publish_serving_file(
    con: duckdb.DuckDBPyConnection,
    serving_path: Path,
    warehouse: str = "",
    views_dir: Path = VIEWS_DIR,
) -> ServingReport:
    """Publish the marts and the analyst views of the warehouse open on `con` to
    `serving_path`, replacing the previous version atomically; `warehouse` is recorded as
    where the data came from."""
    started = time.perf_counter()
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_files(serving_path)
    _refuse_if_open_read_write(serving_path)
    tmp = _tmp_path(serving_path, os.getpid())
    try:
        published_at, market_date, objects = _write_version(
            con, tmp, mart_models(), analyst_views(views_dir), warehouse
        )
        _verify(tmp, objects)
        _fsync(tmp)
        # A WAL left by a client that opened the old file read-write would be replayed
        # against the new file: DuckDB then refuses to open it.
        _wal(serving_path).unlink(missing_ok=True)
        os.replace(tmp, serving_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        _wal(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):
        _fsync(serving_path.parent)
    return ServingReport(
        path=serving_path,
        published_at=published_at,
        market_date=market_date,
        objects=tuple(objects),
        bytes=serving_path.stat().st_size,
        seconds=time.perf_counter() - started,
    )
