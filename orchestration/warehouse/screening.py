"""Screen an incoming raw batch against its contract's row rules, before anything lands.

Rows the warehouse already holds exactly are left out first: they were screened when they
landed. The rules are the `checks` with a `reason` in `models/raw/<table>.yml`, run as one
Great Expectations suite over the batch. A row breaking a rule is rejected with the first
rule it breaks and a reason naming the row; exact copies of a row are collapsed to one
first (the extra copies are rejected as `duplicate_row`). Nothing is dropped without a
reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from orchestration.sources.base import RAW_SCHEMAS, printable, rejects_frame
from orchestration.warehouse.contracts import raw_contracts
from orchestration.warehouse.trading_calendar import nyse_sessions
from orchestration.warehouse.validation import ROW_ID, Outcome, run_checks

INCOMING = "incoming_rows"


@dataclass(frozen=True)
class DateWindow:
    """The dates a raw row may carry: from `earliest` (a setting) to `today`."""

    earliest: date
    today: date


@dataclass(frozen=True)
class Screened:
    """A raw table's batch split into what may land and what may not; `stored` counts the
    rows left out because the warehouse already holds them exactly."""

    good: pl.DataFrame
    rejects: pl.DataFrame
    outcomes: list[Outcome]
    stored: int = 0


def _key_text(table: str, row: dict) -> str:
    return " ".join(printable(row[k]) for k in raw_contracts()[table].key)


def _fill(template: str, values: dict) -> str:
    return template.format_map(
        {k: "null" if v is None else printable(v) for k, v in values.items()}
    )


def _rejects(table: str, rows: list[dict], rules: list[str], reasons: list[str]) -> pl.DataFrame:
    located = [
        f"{table}: {reason} ({_key_text(table, r)})"
        for reason, r in zip(reasons, rows, strict=True)
    ]
    return rejects_frame(table, rows, rules, located)


def _collapse_copies(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep one of rows that are exact copies; reject the others as `duplicate_row`.

    Only rows sharing their key with another row can be copies: DuckDB finds those keys
    (hashing millions of rows in polars costs a GB), then whole rows are compared among
    the few rows that have them.
    """
    key = raw_contracts()[table].key
    con.register(INCOMING, frame.to_arrow())
    try:
        shared = con.sql(
            f"SELECT {', '.join(key)} FROM {INCOMING} GROUP BY ALL HAVING count(*) > 1"
        ).pl()
    finally:
        con.unregister(INCOMING)
    if shared.is_empty():
        return frame, _rejects(table, [], [], [])
    position = "_position"
    indexed = frame.with_row_index(position)
    suspects = indexed.join(shared, on=list(key), how="semi", nulls_equal=True)
    whole_row = pl.struct(pl.exclude(position))
    copies = suspects.select(whole_row.len().over(whole_row)).to_series()
    extra_copy = ~suspects.select(whole_row.is_first_distinct()).to_series()
    rows = suspects.filter(extra_copy).drop(position).to_dicts()
    reasons = [f"the row appears {n} times; one copy kept" for n in copies.filter(extra_copy)]
    dropped = suspects.filter(extra_copy).get_column(position)
    kept = indexed.filter(~pl.col(position).is_in(dropped.implode())).drop(position)
    return kept, _rejects(table, rows, ["duplicate_row"] * len(rows), reasons)


def _register_sessions(
    con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, window: DateWindow
) -> None:
    dates = frame.get_column("date").drop_nulls() if "date" in frame.columns else None
    first = dates.min() if dates is not None and len(dates) else window.today
    sessions = nyse_sessions(min(max(first, window.earliest), window.today), window.today)
    con.register("nyse_sessions", pl.DataFrame({"session": sessions}).to_arrow())


def given_columns(table: str, absent: tuple[str, ...]) -> list[str]:
    """The raw table's value columns (not its key) that a batch gives: landing compares and
    sets these, and only these, against the stored row of the same key."""
    key = raw_contracts()[table].key
    return [c for c in RAW_SCHEMAS[table] if c not in key and c not in absent]


def _not_stored(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, absent: tuple[str, ...]
) -> pl.DataFrame:
    """The rows of `frame` the warehouse does not already hold exactly.

    A row equal to the stored row of its key in every column the batch gives, and whose key
    comes once in the batch, was screened when it landed and landing it again changes
    nothing (a source's overlap, a file delivered again), so it is not screened again.
    """
    key = raw_contracts()[table].key
    keys = ", ".join(key)
    same = " AND ".join(
        [f"stored.{k} = incoming.{k}" for k in key]
        + [f"stored.{c} IS NOT DISTINCT FROM incoming.{c}" for c in given_columns(table, absent)]
    )
    shared = " AND ".join(f"shared_keys.{k} = incoming.{k}" for k in key)
    con.register(INCOMING, frame.to_arrow())
    try:
        kept = con.sql(
            f"""
            WITH shared_keys AS (
                SELECT {keys} FROM {INCOMING} GROUP BY ALL HAVING count(*) > 1
            ),
            stored_exactly AS (
                SELECT {", ".join(f"incoming.{k}" for k in key)}
                FROM {INCOMING} AS incoming
                JOIN raw.{table} AS stored ON {same}
                ANTI JOIN shared_keys ON {shared}
            )
            SELECT * FROM {INCOMING} ANTI JOIN stored_exactly USING ({keys})
            """
        ).pl()
    finally:
        con.unregister(INCOMING)
    return kept.cast(dict(frame.schema))


def screen(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    window: DateWindow,
    absent: tuple[str, ...] = (),
) -> Screened:
    """Split `frame`, an incoming batch of raw `table`, by its contract's row rules; the
    rows already stored exactly are left out (`absent` columns are not compared)."""
    rules = [c for c in raw_contracts()[table].checks if c.quarantines]
    ((stored_rows,),) = con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()
    new = _not_stored(con, table, frame, absent) if frame.height and stored_rows else frame
    stored = frame.height - new.height
    unique, copies = _collapse_copies(con, table, new)
    if unique.is_empty():
        return Screened(unique, copies, [], stored)
    numbered = unique.with_row_index(ROW_ID)
    con.execute("SET VARIABLE today = ?", [window.today])
    con.execute("SET VARIABLE earliest_date = ?", [window.earliest])
    _register_sessions(con, unique, window)
    con.register(INCOMING, numbered.to_arrow())
    try:
        outcomes = run_checks(con, rules, INCOMING, suite_name=f"raw.{table}")
    finally:
        con.unregister(INCOMING)
        con.unregister("nyse_sessions")
    failing = sorted({row_id for outcome in outcomes for row_id in outcome.failing_rows})
    rows = dict(zip(failing, unique[failing].to_dicts(), strict=True))
    broken: dict[int, tuple[str, str]] = {}
    for outcome in outcomes:
        for row_id in outcome.failing_rows:
            values = {
                **rows[row_id],
                **outcome.failing_values[row_id],
                "today": window.today,
                "earliest_date": window.earliest,
            }
            broken.setdefault(row_id, (outcome.check.name, _fill(outcome.check.reason, values)))
    ids = sorted(broken)
    rejected = _rejects(
        table, [rows[i] for i in ids], [broken[i][0] for i in ids], [broken[i][1] for i in ids]
    )
    good = numbered.filter(~pl.col(ROW_ID).is_in(ids)).drop(ROW_ID) if ids else unique
    return Screened(good, pl.concat([copies, rejected]), outcomes, stored)
