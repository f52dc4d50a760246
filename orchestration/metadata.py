"""What a materialization shows in the Dagster UI: size, dates, schema and a preview."""

from __future__ import annotations

import dagster as dg
import duckdb

PREVIEW_ROWS = 10


def _markdown_table(columns: list[str], rows: list[tuple]) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.6g}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def table_metadata(
    con: duckdb.DuckDBPyConnection, table: str, date_column: str | None = "date"
) -> dict[str, dg.MetadataValue]:
    """Row count, date range, column schema and the latest rows of a warehouse table."""
    row_count = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    described = con.execute(f"DESCRIBE {table}").fetchall()
    columns = [name for name, *_ in described]
    metadata: dict[str, dg.MetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(row_count),
        "dagster/column_schema": dg.MetadataValue.table_schema(
            dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind, *_ in described])
        ),
    }
    order = ""
    if date_column and date_column in columns:
        first, last = con.execute(
            f"SELECT min({date_column}), max({date_column}) FROM {table}"
        ).fetchall()[0]
        metadata["first_date"] = dg.MetadataValue.text(str(first))
        metadata["last_date"] = dg.MetadataValue.text(str(last))
        order = f" ORDER BY {date_column} DESC"
    rows = con.execute(f"SELECT * FROM {table}{order} LIMIT {PREVIEW_ROWS}").fetchall()
    metadata["preview"] = dg.MetadataValue.md(_markdown_table(columns, rows))
    return metadata
