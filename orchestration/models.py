"""The SQL models of `models/`: one SELECT per warehouse table, its contract beside it.

`models/<layer>/<table>.sql` builds `<layer>.<table>`; `<table>.yml` next to it is the
contract: what the table holds, its grain and key, what it is built from, every column with
its type and meaning, and the checks its rows must pass. The raw tables
(`models/raw/*.yml`) have contracts but no SELECT: sources fill them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import yaml

from orchestration.paths import MODELS_DIR
from orchestration.quality import Check

LAYERS = ("staging", "marts")
RAW_LAYER = "raw"
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
    checks: tuple[Check, ...]

    @property
    def table(self) -> str:
        """The table's qualified name, `layer.name`."""
        return f"{self.layer}.{self.name}"

    @property
    def variables(self) -> tuple[str, ...]:
        """The settings the SQL reads with `getvariable`."""
        return tuple(sorted(set(VARIABLE_PATTERN.findall(self.sql))))


def _load(contract_path: Path) -> Model:
    contract = yaml.safe_load(contract_path.read_text())
    sql_path = contract_path.with_suffix(".sql")
    return Model(
        layer=contract_path.parent.name,
        name=contract_path.stem,
        sql=sql_path.read_text() if sql_path.exists() else "",
        description=contract["description"].strip(),
        grain=contract["grain"],
        key=tuple(contract["key"]),
        depends_on=tuple(contract.get("depends_on", ())),
        columns=tuple(Column(**c) for c in contract["columns"]),
        date_column=contract.get("date_column", "date"),
        checks=tuple(Check.from_contract(c) for c in contract.get("checks", ())),
    )


@cache
def load_models() -> tuple[Model, ...]:
    """Every model under `models/` that is built by SQL, staging first."""
    return tuple(
        _load(path.with_suffix(".yml"))
        for layer in LAYERS
        for path in sorted((MODELS_DIR / layer).glob("*.sql"))
    )


@cache
def raw_contracts() -> dict[str, Model]:
    """The raw tables' contracts by table name (`prices`, `members`, ...)."""
    return {path.stem: _load(path) for path in sorted((MODELS_DIR / RAW_LAYER).glob("*.yml"))}


def candidate_table(model: Model) -> str:
    """Where a model is built and checked before it is published."""
    return f"{model.table}__candidate"


def build_candidate(
    con: duckdb.DuckDBPyConnection, model: Model, settings: dict[str, str | int | float]
) -> str:
    """Build the model's SELECT into its candidate table; return the candidate's name."""
    for name in model.variables:
        con.execute(f"SET VARIABLE {name} = ?", [settings[name]])
    candidate = candidate_table(model)
    con.execute(f"CREATE OR REPLACE TABLE {candidate} AS\n{model.sql}")
    return candidate


def publish_candidate(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Replace the published table with the checked candidate, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DROP TABLE IF EXISTS {model.table}")
        con.execute(f"ALTER TABLE {candidate_table(model)} RENAME TO {model.name}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def discard_candidate(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Drop a candidate that failed its checks; the published table stays as it was."""
    con.execute(f"DROP TABLE IF EXISTS {candidate_table(model)}")
