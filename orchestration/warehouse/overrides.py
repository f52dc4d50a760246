"""The overrides file: a person's corrections to what the sources deliver, with reasons.

`overrides.csv` (CAPGAP_OVERRIDES, by default beside the warehouse) has the columns
`ticker, from, to, action, reason`, one correction per line:

- `exclude`: leave the ticker's bars from `from` to `to` (both inclusive; `to` empty: to its
  latest bar) out of staging, as a fault found by the rules would be;
- `keep`: do not apply the faults the rules find in the ticker with a move (or a stale run)
  dated from `from` to `to`: a real crash the rules took for a split.

Every run reads the file whole into `raw.overrides` (the file is the truth: a line removed
is an override withdrawn); `staging.price_exclusions` applies it and records each `exclude`
with its reason. A file that cannot be applied as written stops the run with one line naming
the file, the line and what to write: a correction must never be half applied.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from orchestration.sources.base import printable
from orchestration.warehouse.transactions import transaction

ACTIONS = ("exclude", "keep")
COLUMNS = ("ticker", "from", "to", "action", "reason")
OVERRIDES_SCHEMA = {
    "ticker": pl.String,
    "from_date": pl.Date,
    "to_date": pl.Date,
    "action": pl.String,
    "reason": pl.String,
    "line": pl.Int64,
}


class OverridesError(ValueError):
    """The overrides file cannot be applied as written; the message says where and why."""


def _date(path: Path, line: int, column: str, text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OverridesError(
            f"{path} line {line}: {column} {printable(text)!r} is not a date; write YYYY-MM-DD"
        ) from None


def _row(path: Path, line: int, fields: dict[str, str]) -> dict[str, object]:
    ticker, action, reason = fields["ticker"].upper(), fields["action"].lower(), fields["reason"]
    if not ticker:
        raise OverridesError(f"{path} line {line}: the ticker is empty")
    if action not in ACTIONS:
        raise OverridesError(
            f"{path} line {line}: action {printable(action)!r} is not one of {', '.join(ACTIONS)}"
        )
    if not reason:
        raise OverridesError(f"{path} line {line}: the reason is empty; say why, for the record")
    first = _date(path, line, "from", fields["from"])
    if first is None:
        raise OverridesError(f"{path} line {line}: from is empty; write the first date it covers")
    last = _date(path, line, "to", fields["to"])
    if last is not None and last < first:
        raise OverridesError(f"{path} line {line}: to {last} is before from {first}")
    return {
        "ticker": ticker,
        "from_date": first,
        "to_date": last,
        "action": action,
        "reason": reason,
        "line": line,
    }


def read_overrides(path: Path) -> pl.DataFrame:
    """The corrections of the overrides file (none when it does not exist)."""
    if not path.exists():
        return pl.DataFrame(schema=OVERRIDES_SCHEMA)
    try:
        text = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except (pl.exceptions.PolarsError, UnicodeDecodeError, OSError) as error:
        raise OverridesError(f"{path}: cannot be read as a CSV file: {error}") from None
    header = {name.strip().lower(): name for name in text.columns}
    lacking = [column for column in COLUMNS if column not in header]
    if lacking:
        raise OverridesError(
            f"{path} lacks the column(s) {', '.join(lacking)}; its header must be "
            f"{','.join(COLUMNS)}"
        )
    rows = [
        _row(path, number, {c: (values[header[c]] or "").strip() for c in COLUMNS})
        for number, values in enumerate(text.iter_rows(named=True), start=2)
    ]
    return pl.DataFrame(rows, schema=OVERRIDES_SCHEMA)


def land_overrides(con: duckdb.DuckDBPyConnection, overrides: pl.DataFrame, path: Path) -> None:
    """Replace `raw.overrides` with the file's corrections, in one transaction."""
    con.register("overrides_file", overrides.to_arrow())
    try:
        with transaction(con):
            con.execute("DELETE FROM raw.overrides")
            con.execute(
                "INSERT INTO raw.overrides SELECT *, ? AS file, now()::TIMESTAMP AS loaded_at "
                "FROM overrides_file",
                [str(path)],
            )
    finally:
        con.unregister("overrides_file")
