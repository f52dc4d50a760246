"""Land a raw batch in the warehouse: screening, merge, quarantine and the loads record.

Everything one load writes happens in one transaction, so a load that fails half-way
leaves the raw tables as they were. Each table is merged on its key: new keys are
inserted, changed values replace the stored ones (a revision), identical rows are left
alone, so landing the same batch twice adds nothing. A table the batch delivers complete
(a `files` reload; a live source's membership) loses the stored rows whose key the batch
lacks, and hands on what they rebuild in `meta.pending_rebuilds`; a table with lines the
source could not read keeps its rows (their keys are unknown).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from orchestration.sources.base import RAW_SCHEMAS, REJECTS_SCHEMA, RawBatch
from orchestration.warehouse.builds import hand_on
from orchestration.warehouse.contracts import LINEAGE, raw_contracts
from orchestration.warehouse.screening import DateWindow, given_columns, screen
from orchestration.warehouse.transactions import transaction
from orchestration.warehouse.validation import Outcome


@dataclass(frozen=True)
class TableLoad:
    """What one load did to one raw table."""

    table: str
    received: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    quarantined_before: int = 0
    removed: int = 0
    removal_skipped: bool = False


@dataclass(frozen=True)
class LoadReport:
    """What one load did, table by table, with the rows it quarantined."""

    load_id: str
    source: str
    tables: dict[str, TableLoad]
    rejects: pl.DataFrame
    missing: list[str]
    outcomes: dict[str, list[Outcome]]


def new_load_id(source: str) -> str:
    """A unique, sortable load id: source, UTC time and a random suffix."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{source}-{stamp}-{uuid.uuid4().hex[:8]}"


STAMPS = [f"getvariable('lineage_{column}')" for column in LINEAGE]


def _stamp_lineage(
    con: duckdb.DuckDBPyConnection, source: str, load_id: str, started_at: datetime
) -> None:
    """Set the load's (source, load id, time), which every row it writes is stamped with."""
    for column, value in zip(LINEAGE, (source, load_id, started_at), strict=True):
        con.execute(f"SET VARIABLE lineage_{column} = ?", [value])


def _merge(
    con: duckdb.DuckDBPyConnection, table: str, rows: pl.DataFrame, absent: tuple[str, ...]
) -> tuple[int, int]:
    """Merge the rows into the raw table on its key, stamped with the load's lineage.

    The `absent` columns were not delivered: stored values of them are kept (never set to
    null), and they do not make a row count as changed.
    """
    key = raw_contracts()[table].key
    values = given_columns(table, absent)
    on = " AND ".join(f"target.{k} = incoming.{k}" for k in key)
    changed = " OR ".join(f"target.{c} IS DISTINCT FROM incoming.{c}" for c in values)
    updates = ", ".join(
        [f"{c} = incoming.{c}" for c in values]
        + [f"{c} = {stamp}" for c, stamp in zip(LINEAGE, STAMPS, strict=True)]
    )
    columns = ", ".join([*RAW_SCHEMAS[table], *LINEAGE])
    inserts = ", ".join([f"incoming.{c}" for c in RAW_SCHEMAS[table]] + STAMPS)
    con.register("incoming_rows", rows.to_arrow())
    try:
        before = con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0]
        affected = con.execute(
            f"""
            MERGE INTO raw.{table} AS target
            USING incoming_rows AS incoming ON {on}
            WHEN MATCHED AND ({changed}) THEN UPDATE SET {updates}
            WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({inserts})
            """
        ).fetchall()[0][0]
        after = con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0]
    finally:
        con.unregister("incoming_rows")
    inserted = after - before
    return inserted, affected - inserted


def _quarantine(con: duckdb.DuckDBPyConnection, rejects: pl.DataFrame) -> dict[str, int]:
    """Quarantine the rejected rows raw.quarantine does not hold yet (a reload of the same
    file brings the same rejects); return, per table, how many it already held."""
    con.register("rejected_rows", rejects.to_arrow())
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE rejected_before AS
            SELECT rejected.*,
                   EXISTS (
                       SELECT 1 FROM raw.quarantine AS kept
                       WHERE kept.table_name = rejected.table_name
                         AND kept.record::VARCHAR = rejected.record
                         AND kept.rule = rejected.rule
                   ) AS held
            FROM rejected_rows AS rejected
            """
        )
        con.execute(
            f"""
            INSERT INTO raw.quarantine
            SELECT table_name, record::JSON, rule, reason, {", ".join(STAMPS)}
            FROM rejected_before
            WHERE NOT held
            """
        )
        held = con.execute(
            "SELECT table_name, count(*) FROM rejected_before WHERE held GROUP BY table_name"
        ).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS rejected_before")
        con.unregister("rejected_rows")
    return dict(held)


# What a removed raw row makes the incremental tables rebuild, per ticker: a removed bar
# from its date; a removed membership row the whole history of its universe's tickers (the
# universe's first snapshot, which also counts before its date, may have moved).
REMOVED_REBUILDS = {
    "prices": "SELECT ticker, min(date) AS rebuild_from FROM removed_rows GROUP BY ticker",
    "members": (
        "SELECT ticker, DATE '-infinity' AS rebuild_from FROM raw.members "
        "WHERE universe IN (SELECT universe FROM removed_rows) "
        "UNION SELECT ticker, DATE '-infinity' FROM removed_rows"
    ),
}


def _remove_missing(con: duckdb.DuckDBPyConnection, table: str, delivered: pl.DataFrame) -> int:
    """Remove the stored rows whose key a batch delivering `table` complete lacks; hand on
    what they rebuild."""
    key = raw_contracts()[table].key
    con.register("delivered_keys", delivered.select(key).to_arrow())
    try:
        on = " AND ".join(f"delivered.{k} = stored.{k}" for k in key)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE removed_rows AS SELECT stored.* FROM raw.{table} "
            f"AS stored ANTI JOIN delivered_keys AS delivered ON {on}"
        )
        (removed,) = con.execute("SELECT count(*) FROM removed_rows").fetchall()[0]
        if removed and table in REMOVED_REBUILDS:
            hand_on(con, f"raw.{table}", REMOVED_REBUILDS[table])
        where = " AND ".join(f"removed_rows.{k} = stored.{k}" for k in key)
        con.execute(
            f"DELETE FROM raw.{table} AS stored WHERE EXISTS "
            f"(SELECT 1 FROM removed_rows WHERE {where})"
        )
    finally:
        con.execute("DROP TABLE IF EXISTS removed_rows")
        con.unregister("delivered_keys")
    return removed


def land_batch(
    con: duckdb.DuckDBPyConnection, batch: RawBatch, source: str, window: DateWindow
) -> LoadReport:
    """Screen, merge and record one batch in a single transaction; return what it did."""
    load_id = new_load_id(source)
    started_at = datetime.now(UTC).replace(tzinfo=None)
    checked = {
        t: screen(con, t, batch.table(t), window, batch.absent.get(t, ())) for t in RAW_SCHEMAS
    }
    rejects = pl.concat(
        [batch.rejects.cast(REJECTS_SCHEMA)] + [s.rejects for s in checked.values()]
    )
    tables: dict[str, TableLoad] = {}
    _stamp_lineage(con, source, load_id, started_at)
    with transaction(con):
        held_before = _quarantine(con, rejects) if rejects.height else {}
        for table, screened in checked.items():
            good = screened.good
            inserted, updated = _merge(con, table, good, batch.absent.get(table, ()))
            unreadable = batch.rejects.filter(pl.col("table_name") == table).height
            removed = (
                _remove_missing(con, table, batch.table(table))
                if table in batch.complete and not unreadable
                else 0
            )
            received = batch.table(table).height + unreadable
            rejected = rejects.filter(pl.col("table_name") == table).height
            tables[table] = TableLoad(
                table=table,
                received=received,
                inserted=inserted,
                updated=updated,
                unchanged=good.height + screened.stored - inserted - updated,
                quarantined=rejected - held_before.get(table, 0),
                quarantined_before=held_before.get(table, 0),
                removed=removed,
                removal_skipped=table in batch.complete and bool(unreadable),
            )
        _record_load(con, load_id, source, started_at, batch, tables)
    outcomes = {t: s.outcomes for t, s in checked.items()}
    return LoadReport(load_id, source, tables, rejects, list(batch.missing), outcomes)


def _record_load(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    source: str,
    started_at: datetime,
    batch: RawBatch,
    tables: dict[str, TableLoad],
) -> None:
    finished_at = datetime.now(UTC).replace(tzinfo=None)
    requested = json.dumps(batch.requested, default=str, sort_keys=True)
    con.executemany(
        "INSERT INTO raw.loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                load_id,
                source,
                t.table,
                started_at,
                finished_at,
                requested,
                list(batch.missing),
                t.received,
                t.inserted,
                t.updated,
                t.unchanged,
                t.quarantined,
                t.quarantined_before,
                t.removed,
            ]
            for t in tables.values()
        ],
    )
