"""How a model is built, checked and published: into a candidate table first, then
swapped in whole or, for an incremental table, row range by row range.

A model whose contract says `incremental_by: ticker` is rebuilt in part: `<table>.scope.sql`
beside it lists, per ticker, the first date whose inputs changed since the raw load the
table last consumed (`rebuild_from`), and its SELECT reads that list as `rebuild_scope`
and returns only the rows from those dates on. A first build lists every ticker.

What changes outside the raw loads is handed on in `meta.pending_rebuilds`: a published
incremental build hands its scope on to the incremental tables that read it, and a table
whose contract says `rebuild_downstream_from: <date column>` hands on, for each ticker whose
rows changed, the earliest such date. The scope reads them as `pending_rebuilds`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import polars as pl

from orchestration.warehouse.contracts import Model, load_models
from orchestration.warehouse.transactions import transaction

# The indicator settings by DuckDB variable name, as `IndicatorSettings.variables()` gives them.
Settings = Mapping[str, str | int | float]


@dataclass(frozen=True)
class Build:
    """One build of an incremental table, recorded in `meta.builds` when it is published."""

    consumed_through: datetime
    mode: str
    rebuilt_from: date | None
    rows_rebuilt: int


def candidate_table(model: Model) -> str:
    """Where a model is built and checked before it is published."""
    return f"{model.table}__candidate"


def relation_type(con: duckdb.DuckDBPyConnection, model: Model) -> str | None:
    """How the model's table is published: `BASE TABLE`, `VIEW` (over its buckets), or
    None when it is not."""
    rows = con.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_schema = ? AND table_name = ?",
        [model.layer, model.name],
    ).fetchall()
    return rows[0][0] if rows else None


def is_published(con: duckdb.DuckDBPyConnection, model: Model) -> bool:
    """Whether the model's table exists in the warehouse."""
    return relation_type(con, model) is not None


def _drop(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Drop the published table or view, if there is one."""
    kind = "VIEW" if relation_type(con, model) == "VIEW" else "TABLE"
    con.execute(f"DROP {kind} IF EXISTS {model.table}")


def consumed_through(con: duckdb.DuckDBPyConnection, model: Model) -> datetime | None:
    """The latest raw load the published table has consumed, if it was built incrementally."""
    rows = con.execute(
        "SELECT consumed_through FROM meta.builds WHERE table_name = ?", [model.table]
    ).fetchall()
    return rows[0][0] if rows and is_published(con, model) else None


def latest_load(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the latest raw load started: every raw row was loaded at or before it."""
    return con.execute("SELECT max(started_at) FROM raw.loads").fetchall()[0][0]


def consumable_through(con: duckdb.DuckDBPyConnection, model: Model) -> datetime | None:
    """The latest raw load a build of the model consumes: the newest load, or an earlier
    one when an incremental table the model reads has not consumed the newest yet (that
    table was not rebuilt since, or a run was cut short), so that the rows it will rebuild
    later are rebuilt here too."""
    inputs = [
        consumed_through(con, upstream)
        for upstream in load_models()
        if upstream.table in model.depends_on and upstream.incremental_by
    ]
    marks = [mark for mark in [latest_load(con), *inputs] if mark is not None]
    return min(marks, default=None)


def build_scope(
    con: duckdb.DuckDBPyConnection,
    model: Model,
    since: datetime | None,
    rebuild_from: date | None,
) -> tuple[int, date | None]:
    """List what an incremental model rebuilds as the temp table `rebuild_scope`.

    `since` is the load the table last consumed (None: rebuild every ticker);
    `rebuild_from` adds every ticker from that date on. Returns the number of tickers
    listed and the earliest date rebuilt.
    """
    con.execute(
        "SET VARIABLE consumed_through = "
        + ("'-infinity'::TIMESTAMP" if since is None else f"TIMESTAMP '{since.isoformat()}'")
    )
    con.execute(
        "SET VARIABLE rebuild_from = "
        + ("'infinity'::DATE" if rebuild_from is None else f"DATE '{rebuild_from.isoformat()}'")
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE pending_rebuilds AS "
        "SELECT ticker, rebuild_from FROM meta.pending_rebuilds WHERE table_name = ?",
        [model.table],
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE rebuild_scope AS\n{model.scope_sql}")
    tickers, earliest = con.execute(
        "SELECT count(*), min(rebuild_from) FROM rebuild_scope"
    ).fetchall()[0]
    return tickers, earliest


def build_candidate(con: duckdb.DuckDBPyConnection, model: Model, settings: Settings) -> str:
    """Build the model's SELECT into its candidate table; return the candidate's name."""
    for name in model.variables:
        con.execute(f"SET VARIABLE {name} = ?", [settings[name]])
    candidate = candidate_table(model)
    con.execute(f"CREATE OR REPLACE TABLE {candidate} AS\n{model.sql}")
    return candidate


def _record_settings(con: duckdb.DuckDBPyConnection, model: Model, settings: Settings) -> None:
    con.execute("DELETE FROM meta.settings WHERE table_name = ?", [model.table])
    rows = [(model.table, name, str(settings[name])) for name in model.variables]
    if rows:
        con.executemany("INSERT INTO meta.settings VALUES (?, ?, ?)", rows)


def _record_build(con: duckdb.DuckDBPyConnection, model: Model, build: Build) -> None:
    con.execute(
        "INSERT OR REPLACE INTO meta.builds VALUES (?, ?, now()::TIMESTAMP, ?, ?, ?)",
        [model.table, build.consumed_through, build.mode, build.rebuilt_from, build.rows_rebuilt],
    )


def hand_on(con: duckdb.DuckDBPyConnection, table: str, changed_sql: str) -> None:
    """Add `changed_sql`'s (ticker, rebuild_from) rows to the pending rebuilds of the
    incremental models that read `table`, keeping each ticker's earliest date."""
    readers = [m for m in load_models() if m.incremental_by and table in m.depends_on]
    for reader in readers:
        con.execute(
            "INSERT INTO meta.pending_rebuilds "
            f"SELECT ?, ticker, min(rebuild_from) FROM ({changed_sql}) GROUP BY ticker "
            "ON CONFLICT DO UPDATE SET rebuild_from = least(rebuild_from, excluded.rebuild_from)",
            [reader.table],
        )


def _hand_on(con: duckdb.DuckDBPyConnection, model: Model, changed_sql: str) -> None:
    """Clear the model's own pending rebuilds (its build rebuilt them) and hand on what it
    changed to its readers."""
    con.execute("DELETE FROM meta.pending_rebuilds WHERE table_name = ?", [model.table])
    hand_on(con, model.table, changed_sql)


def _changed_rows(model: Model, published: bool) -> str:
    """The tickers whose rows differ between the candidate and the published table, each
    from its earliest `rebuild_downstream_from` date among the differing rows."""
    candidate, since = candidate_table(model), model.rebuild_downstream_from
    if not published:
        return f"SELECT ticker, {since} AS rebuild_from FROM {candidate}"
    return (
        f"SELECT ticker, {since} AS rebuild_from FROM "
        f"((SELECT * FROM {model.table} EXCEPT SELECT * FROM {candidate}) "
        f"UNION ALL (SELECT * FROM {candidate} EXCEPT SELECT * FROM {model.table}))"
    )


def publish_candidate(
    con: duckdb.DuckDBPyConnection, model: Model, settings: Settings, build: Build | None = None
) -> None:
    """Replace the published table with the checked candidate, in one transaction, and
    record the `settings` it was built with."""
    with transaction(con):
        _record_settings(con, model, settings)
        if model.rebuild_downstream_from:
            _hand_on(con, model, _changed_rows(model, is_published(con, model)))
        elif build is not None:
            _hand_on(con, model, "SELECT ticker, rebuild_from FROM rebuild_scope")
        _drop(con, model)
        con.execute(f"ALTER TABLE {candidate_table(model)} RENAME TO {model.name}")
        if build is not None:
            _record_build(con, model, build)


def publish_view(
    con: duckdb.DuckDBPyConnection,
    model: Model,
    settings: Settings,
    layout: Mapping[str, str],
    build: Build,
    rows_sql: str,
    rebuilt: pl.DataFrame,
) -> None:
    """Publish the table as a view over `rows_sql` (its bucketed files), in one
    transaction with the `settings` and bucket `layout` it was built with, its build, and
    the rows it rebuilt (`rebuilt`: ticker, rebuild_from) handed on to its readers."""
    with transaction(con):
        _record_settings(con, model, settings)
        con.executemany(
            "INSERT INTO meta.settings VALUES (?, ?, ?)",
            [(model.table, name, value) for name, value in layout.items()],
        )
        con.register("rebuilt_rows", rebuilt)
        _hand_on(con, model, "SELECT ticker, rebuild_from FROM rebuilt_rows")
        con.unregister("rebuilt_rows")
        _drop(con, model)
        con.execute(f"CREATE VIEW {model.table} AS SELECT * FROM {rows_sql}")
        _record_build(con, model, build)


def _in_scope(model: Model, alias: str) -> str:
    key, when = model.incremental_by, model.date_column
    return f"{alias}.{key} = rebuild_scope.{key} AND {alias}.{when} >= rebuild_scope.rebuild_from"


def rows_in_scope(model: Model) -> str:
    """The published rows an incremental build replaces, as a parenthesised SELECT."""
    return (
        f"(SELECT published.* FROM {model.table} AS published "
        f"JOIN rebuild_scope ON {_in_scope(model, 'published')})"
    )


def publish_rebuilt_rows(
    con: duckdb.DuckDBPyConnection, model: Model, settings: Settings, build: Build
) -> None:
    """Replace the scoped rows of the published table with the checked candidate's.

    The delete, the insert, the build record and the `settings` record commit together: a run
    killed half-way leaves the table as it was, never with the rebuilt rows missing.
    """
    with transaction(con):
        _record_settings(con, model, settings)
        _hand_on(con, model, "SELECT ticker, rebuild_from FROM rebuild_scope")
        con.execute(
            f"DELETE FROM {model.table} AS published USING rebuild_scope "
            f"WHERE {_in_scope(model, 'published')}"
        )
        con.execute(f"INSERT INTO {model.table} BY NAME SELECT * FROM {candidate_table(model)}")
        con.execute(f"DROP TABLE {candidate_table(model)}")
        _record_build(con, model, build)


def discard_candidate(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Drop a candidate that failed its checks; the published table stays as it was."""
    con.execute(f"DROP TABLE IF EXISTS {candidate_table(model)}")
