"""What a materialization shows in the Dagster UI: size, dates, schema, a preview, the rows
a build changed, the load it read and the contract's plots."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from orchestration.sources.base import printable

if TYPE_CHECKING:
    from orchestration.warehouse.contracts import Plot

PREVIEW_ROWS = 10


MARKDOWN_SPECIAL = str.maketrans(
    {c: f"&#{ord(c)};" for c in "|<>&*_`[]\\#"} | {"\n": " ", "\r": " "}
)


def markdown_text(value: object) -> str:
    """`value` as literal text in a markdown table cell: a `|`, HTML or emphasis in a name
    is shown as written, never interpreted, and a line break never splits the row."""
    return printable(str(value).translate(MARKDOWN_SPECIAL))


def _markdown_table(columns: list[str], rows: list[tuple]) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.6g}"
        return "" if value is None else markdown_text(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def table_metadata(
    con: duckdb.DuckDBPyConnection,
    table: str,
    date_column: str | None = "date",
    descriptions: dict[str, str] | None = None,
) -> dict[str, dg.MetadataValue]:
    """Row count, date range, column schema (with the contract's `descriptions`) and the
    latest rows of a warehouse table."""
    descriptions = descriptions or {}
    row_count = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    described = con.execute(f"DESCRIBE {table}").fetchall()
    columns = [name for name, *_ in described]
    metadata: dict[str, dg.MetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(row_count),
        "dagster/column_schema": dg.MetadataValue.table_schema(
            dg.TableSchema(
                columns=[
                    dg.TableColumn(name, kind, description=descriptions.get(name))
                    for name, kind, *_ in described
                ]
            )
        ),
    }
    order = ""
    if date_column and date_column in columns:
        first, last = con.execute(
            f"SELECT min({date_column}), max({date_column}) FROM {table}"
        ).fetchall()[0]
        if last is not None:
            metadata["first_date"] = dg.MetadataValue.text(str(first))
            metadata["last_date"] = dg.MetadataValue.text(str(last))
        order = f" ORDER BY {date_column} DESC"
    rows = con.execute(f"SELECT * FROM {table}{order} LIMIT {PREVIEW_ROWS}").fetchall()
    metadata["preview"] = dg.MetadataValue.md(_markdown_table(columns, rows))
    return metadata


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [name for name, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def row_changes(
    con: duckdb.DuckDBPyConnection, candidate: str, published: str | None, key: tuple[str, ...]
) -> dict[str, dg.MetadataValue]:
    """Rows the candidate adds, changes and removes against the published rows it replaces
    (`published` is a table or a parenthesised SELECT; None when nothing is published)."""
    (candidate_rows,) = con.execute(f"SELECT count(*) FROM {candidate}").fetchall()[0]
    if published is None:
        counts = {"rows_added": candidate_rows, "rows_changed": 0, "rows_removed": 0}
    elif _columns(con, candidate) != _columns(con, f"{published} AS old"):
        return {"rows_changed": dg.MetadataValue.text("the columns changed: every row")}
    else:
        joined = ", ".join(key)
        added, removed, differing = con.execute(
            f"""
            SELECT
                (SELECT count(*) FROM {candidate} ANTI JOIN {published} AS old USING ({joined})),
                (SELECT count(*) FROM {published} AS old ANTI JOIN {candidate} USING ({joined})),
                (SELECT count(*) FROM (
                    SELECT * FROM {candidate} EXCEPT SELECT * FROM {published} AS old
                ))
            """
        ).fetchall()[0]
        counts = {"rows_added": added, "rows_changed": differing - added, "rows_removed": removed}
    return {name: dg.MetadataValue.int(count) for name, count in counts.items()}


def load_metadata(con: duckdb.DuckDBPyConnection) -> dict[str, dg.MetadataValue]:
    """The source and load id of the latest raw load, which a build reads up to."""
    rows = con.execute(
        "SELECT source, load_id FROM raw.loads ORDER BY started_at DESC LIMIT 1"
    ).fetchall()
    if not rows:
        return {}
    source, load_id = rows[0]
    return {"source": dg.MetadataValue.text(source), "load_id": dg.MetadataValue.text(load_id)}


def _metadata_name(series: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", series.lower()).strip("_")


def plots(con: duckdb.DuckDBPyConnection, specs: tuple[Plot, ...]) -> dict[str, dg.MetadataValue]:
    """The contract's plots of the published table: each as a markdown image (inline SVG),
    and each series' latest value as a number (`<plot>/<series>`, e.g.
    `pct_above_sma50/small`), which Dagster draws across materializations on its Plots tab."""
    from orchestration.outputs.charts import line_chart, svg_data_uri

    rendered: dict[str, dg.MetadataValue] = {}
    for spec in specs:
        lines: dict[str, list[tuple[date, float | None]]] = {}
        for series, day, value in con.execute(spec.query).fetchall():
            lines.setdefault(series, []).append((day, value))
        left = {name: points for name, points in lines.items() if name not in spec.secondary}
        right = {name: points for name, points in lines.items() if name in spec.secondary}
        svg = line_chart(
            spec.title,
            left,
            y_label=spec.y_label,
            secondary=right or None,
            secondary_label=spec.secondary_label,
        )
        rendered[f"plot/{spec.name}"] = dg.MetadataValue.md(f"![{spec.title}]({svg_data_uri(svg)})")
        for series, points in lines.items():
            _, latest = max(points, key=lambda point: point[0])
            if latest is not None:
                name = f"{spec.name}/{_metadata_name(series)}"
                rendered[name] = dg.MetadataValue.float(float(latest))
    return rendered
