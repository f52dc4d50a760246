"""The SQL models of `models/`: one SELECT per warehouse table, its contract beside it.

`models/<layer>/<table>.sql` builds `<layer>.<table>`; `<table>.yml` next to it is the
contract: what the table holds, its grain and key, what it is built from, and every
column with its type and meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import yaml

from orchestration.paths import MODELS_DIR

LAYERS = ("staging", "marts")
VARIABLE_PATTERN = re.compile(r"getvariable\('([a-z_0-9]+)'\)")


@dataclass(frozen=True)
class Column:
    """One column of a contract."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Model:
    """A warehouse table: its SELECT and its contract."""

    layer: str
    name: str
    sql: str
    description: str
    grain: str
    key: tuple[str, ...]
    depends_on: tuple[str, ...]
    columns: tuple[Column, ...]
    date_column: str | None

    @property
    def table(self) -> str:
        """The table's qualified name, `layer.name`."""
        return f"{self.layer}.{self.name}"

    @property
    def variables(self) -> tuple[str, ...]:
        """The settings the SQL reads with `getvariable`."""
        return tuple(sorted(set(VARIABLE_PATTERN.findall(self.sql))))


def _load(sql_path: Path) -> Model:
    contract = yaml.safe_load(sql_path.with_suffix(".yml").read_text())
    return Model(
        layer=sql_path.parent.name,
        name=sql_path.stem,
        sql=sql_path.read_text(),
        description=contract["description"].strip(),
        grain=contract["grain"],
        key=tuple(contract["key"]),
        depends_on=tuple(contract["depends_on"]),
        columns=tuple(Column(**c) for c in contract["columns"]),
        date_column=contract.get("date_column", "date"),
    )


@cache
def load_models() -> tuple[Model, ...]:
    """Every model under `models/`, staging first."""
    return tuple(
        _load(path) for layer in LAYERS for path in sorted((MODELS_DIR / layer).glob("*.sql"))
    )


def build_model(
    con: duckdb.DuckDBPyConnection, model: Model, settings: dict[str, str | int | float]
) -> None:
    """Rebuild the model's table from its SELECT in one transaction."""
    for name in model.variables:
        con.execute(f"SET VARIABLE {name} = ?", [settings[name]])
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {model.table} AS\n{model.sql}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
