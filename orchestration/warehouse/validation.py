"""Data-quality checks: Great Expectations 1.x suites run in memory on the rows to check.

A check is declared in a table's contract (`models/<layer>/<table>.yml`, `checks:`): a name,
a severity (`error` blocks what depends on the table, `warn` is only reported), a GX
expectation (`expect` and its arguments) and the frame it looks at: either `columns`, SQL
expressions evaluated on the table's rows under check, or a `query` whose result is
checked. DuckDB computes the frame; GX validates it as a pandas dataframe batch (its SQL
datasource over duckdb_engine fails), each frame against a suite built for it, through one
ephemeral GX context kept for the process. GX is imported on first use only: it takes
seconds, and the definitions must load fast.
"""

from __future__ import annotations

import functools
import gc
import json
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

ROW_ID = "_row"
SAMPLE_ROWS = 5
CHUNK_ROWS = 500_000
CHUNK = "_chunk"
UNIQUENESS = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")


@dataclass(frozen=True)
class Check:
    """One expectation on a table, with the frame it looks at."""

    name: str
    expect: str
    arguments: dict[str, Any]
    severity: str = "error"
    columns: dict[str, str] = field(default_factory=dict)
    query: str | None = None
    reason: str | None = None
    description: str = ""

    @property
    def blocking(self) -> bool:
        """Whether a failure stops what depends on the table."""
        return self.severity == "error"

    def with_table(self, table: str) -> Check:
        """The check with `{table}` in its query replaced by `table`."""
        return replace(self, query=self.query.replace("{table}", table) if self.query else None)

    @property
    def quarantines(self) -> bool:
        """Whether the check judges incoming raw rows (those failing it are quarantined)."""
        return self.reason is not None

    @classmethod
    def from_contract(cls, spec: dict[str, Any]) -> Check:
        """A check from its contract entry.

        Without `columns`, the frame holds the table columns the expectation names; with
        one computed column and no `column` argument, the expectation is on that column.
        """
        known = {"name", "expect", "severity", "columns", "query", "reason", "description"}
        arguments = {k: v for k, v in spec.items() if k not in known}
        columns = dict(spec.get("columns") or {})
        if not columns and "query" not in spec:
            named = [arguments.get(k) for k in ("column", "column_A", "column_B")]
            named += arguments.get("column_list", [])
            columns = {name: name for name in named if name}
        if "column" not in arguments and len(columns) == 1 and "column_A" not in arguments:
            arguments["column"] = next(iter(columns))
        return cls(
            name=spec["name"],
            expect=spec["expect"],
            arguments=arguments,
            severity=spec.get("severity", "error"),
            columns=columns,
            query=spec.get("query"),
            reason=spec.get("reason"),
            description=spec.get("description", ""),
        )


@dataclass(frozen=True)
class Outcome:
    """What GX found for one check."""

    check: Check
    success: bool
    checked_rows: int
    unexpected_count: int
    observed: Any
    failing_rows: list[int]
    failing_values: dict[int, dict[str, Any]]

    def sample(self) -> list[dict[str, Any]]:
        """Up to five failing rows' checked values, for a person to read."""
        rows = list(self.failing_values.values())[:SAMPLE_ROWS]
        return json.loads(json.dumps(rows, default=str))


def _frame_sql(
    con: duckdb.DuckDBPyConnection, check_columns: dict[str, str], table: str, where: str
) -> str:
    selected = ", ".join(f"{expr} AS {name}" for name, expr in check_columns.items())
    has_row_ids = ROW_ID in {c for c, *_ in con.execute(f"DESCRIBE {table}").fetchall()}
    numbered = table if has_row_ids else f"(SELECT *, rowid AS {ROW_ID} FROM {table})"
    return f"SELECT {ROW_ID}, {selected} FROM {numbered} AS checked WHERE {where}"


@functools.cache
def _dataframe_batches() -> Any:
    """The batch definition every frame is validated through: one ephemeral GX context
    with one pandas dataframe asset, built on first use and kept for the process."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return (
        context.data_sources.add_pandas("capgap")
        .add_dataframe_asset("rows under check")
        .add_batch_definition_whole_dataframe("whole frame")
    )


def _validate(frame: Any, checks: list[Check], suite_name: str) -> list[dict[str, Any]]:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    batch = _dataframe_batches().get_batch(batch_parameters={"dataframe": frame})
    expectations = [
        ExpectationConfiguration(
            type=check.expect, kwargs=check.arguments, meta={"check": check.name}
        ).to_domain_obj()
        for check in checks
    ]
    suite = gx.ExpectationSuite(name=suite_name, expectations=expectations)
    result = batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    )
    by_check = {r.expectation_config.meta["check"]: r.to_json_dict() for r in result.results}
    return [by_check[check.name] for check in checks]


def _row_ids(result: dict[str, Any]) -> list[int]:
    indexed = result.get("result", {}).get("unexpected_index_list") or []
    return [int(item[ROW_ID]) if isinstance(item, dict) else int(item) for item in indexed]


def _chunk_key(checks: list[Check]) -> str:
    """An expression that sends rows a uniqueness check compares with each other (equal
    values of its columns) to the same chunk; without one, rows spread by their id."""
    compared = [
        column
        for check in checks
        if check.expect in UNIQUENESS
        for column in check.arguments.get("column_list") or [check.arguments["column"]]
    ]
    return f"hash({', '.join(dict.fromkeys(compared))})" if compared else f"hash({ROW_ID})"


def merge_outcomes(check: Check, parts: list[Outcome]) -> Outcome:
    """One check's outcomes on parts of the rows (chunks, buckets), as one outcome."""
    failing = [row for part in parts for row in part.failing_rows]
    values = {row: value for part in parts for row, value in part.failing_values.items()}
    return Outcome(
        check=check,
        success=all(part.success for part in parts),
        checked_rows=sum(part.checked_rows for part in parts),
        unexpected_count=sum(part.unexpected_count for part in parts),
        observed=next((part.observed for part in parts if part.observed is not None), None),
        failing_rows=failing,
        failing_values=values,
    )


def _outcomes(frame: Any, group: list[Check], suite_name: str) -> list[Outcome]:
    """Validate one frame with GX; one outcome per check of the group."""
    outcomes = []
    for check, result in zip(group, _validate(frame, group, suite_name), strict=True):
        details = result.get("result", {})
        failing = _row_ids(result)
        failing_frame = frame[frame[ROW_ID].isin(failing)] if failing else frame.iloc[:0]
        values = (
            {int(row.pop(ROW_ID)): row for row in failing_frame.to_dict("records")}
            if failing
            else {
                i: {"value": v} for i, v in enumerate(details.get("partial_unexpected_list") or [])
            }
        )
        outcomes.append(
            Outcome(
                check=check,
                success=bool(result["success"]),
                checked_rows=int(details.get("element_count", len(frame))),
                unexpected_count=int(details.get("unexpected_count") or 0),
                observed=details.get("observed_value"),
                failing_rows=failing,
                failing_values=values,
            )
        )
    return outcomes


def _row_check_outcomes(
    con: duckdb.DuckDBPyConnection, checks: list[Check], sql: str, suite_name: str
) -> list[Outcome]:
    """Validate the rows of `sql` in chunks of about CHUNK_ROWS, so a first build of ten
    years is checked row by row without holding it all in pandas at once."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE rows_under_check AS {sql}")
    # GX keeps each batch in reference cycles: a collection after each chunk frees it, and
    # freezing what exists already keeps those collections from walking the whole heap.
    gc.freeze()
    try:
        (rows,) = con.execute("SELECT count(*) FROM rows_under_check").fetchall()[0]
        chunks = max(1, -(-rows // CHUNK_ROWS))
        # The rows are stored in chunk order, so each chunk reads only its own row groups
        # (a first build of a large panel has hundreds of chunks).
        con.execute(
            "CREATE OR REPLACE TEMP TABLE chunked_rows AS SELECT *, "
            f"{_chunk_key(checks)} % {chunks} AS {CHUNK} FROM rows_under_check ORDER BY {CHUNK}"
        )
        con.execute("DROP TABLE rows_under_check")
        parts = []
        for chunk in range(chunks):
            chunk_sql = f"SELECT * EXCLUDE ({CHUNK}) FROM chunked_rows WHERE {CHUNK} = {chunk}"
            frame = con.sql(chunk_sql).to_arrow_table().to_pandas()
            parts.append(_outcomes(frame, checks, suite_name))
            del frame
            gc.collect()
    finally:
        gc.unfreeze()
        con.execute("DROP TABLE IF EXISTS rows_under_check")
        con.execute("DROP TABLE IF EXISTS chunked_rows")
    return [merge_outcomes(check, [part[i] for part in parts]) for i, check in enumerate(checks)]


def run_checks(
    con: duckdb.DuckDBPyConnection,
    checks: list[Check],
    table: str,
    where: str = "true",
    suite_name: str | None = None,
) -> list[Outcome]:
    """Run the checks on `table` (the rows matching `where`, or each check's query).

    Row-level checks see the table as `checked`, its rows identified by its `_row` column
    when it has one, else by its DuckDB rowid; the outcomes list the failing row
    ids and, for each, the checked values.
    """
    suite_name = suite_name or table
    outcomes = []
    row_checks = [c for c in checks if c.query is None]
    if row_checks:
        columns = {name: expr for c in row_checks for name, expr in c.columns.items()}
        sql = _frame_sql(con, columns, table, where)
        outcomes += _row_check_outcomes(con, row_checks, sql, suite_name)
    for check in checks:
        if check.query is not None:
            numbered = f"SELECT row_number() OVER () - 1 AS {ROW_ID}, * FROM ({check.query})"
            frame = con.sql(numbered).to_arrow_table().to_pandas()
            outcomes += _outcomes(frame, [check], suite_name)
    by_name = {outcome.check.name: outcome for outcome in outcomes}
    return [by_name[check.name] for check in checks]
