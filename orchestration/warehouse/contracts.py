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

import yaml

from orchestration.paths import MODELS_DIR
from orchestration.warehouse.validation import Check

LAYERS = ("staging", "marts")
RAW_LAYER = "raw"
VARIABLE_PATTERN = re.compile(r"getvariable\('([a-z_0-9]+)'\)")
# The columns every raw row carries about the load that wrote it.
LINEAGE = ("source", "load_id", "loaded_at")


@dataclass(frozen=True)
class Column:
    """One column of a contract."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Plot:
    """A small chart of the published table, shown on each materialization.

    `query` returns (series, date, value) rows; the series named in `secondary` are drawn
    on a right axis of their own.
    """

    name: str
    title: str
    query: str
    y_label: str = ""
    secondary: tuple[str, ...] = ()
    secondary_label: str = ""

    @classmethod
    def from_contract(cls, spec: dict) -> Plot:
        """A plot from its entry in a contract's `plots:`."""
        return cls(**{**spec, "secondary": tuple(spec.get("secondary", ()))})


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
    incremental_by: str | None = None
    scope_sql: str | None = None
    plots: tuple[Plot, ...] = ()
    rebuild_downstream_from: str | None = None
    # One row on every trading date: its latest date says how current it is.
    calendar_dated: bool = True

    @property
    def table(self) -> str:
        """The table's qualified name, `layer.name`."""
        return f"{self.layer}.{self.name}"

    @property
    def descriptions(self) -> dict[str, str]:
        """Each column's one-line meaning, by column name."""
        return {column.name: column.description for column in self.columns}

    @property
    def variables(self) -> tuple[str, ...]:
        """The settings the SQL and the checks read with `getvariable`."""
        texts = [self.sql, *(c.query or "" for c in self.checks)]
        texts += [expr for c in self.checks for expr in c.columns.values()]
        return tuple(sorted({v for text in texts for v in VARIABLE_PATTERN.findall(text)}))


def _load(contract_path: Path) -> Model:
    contract = yaml.safe_load(contract_path.read_text())
    sql_path = contract_path.with_suffix(".sql")
    scope_path = contract_path.with_suffix(".scope.sql")
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
        incremental_by=contract.get("incremental_by"),
        scope_sql=scope_path.read_text() if scope_path.exists() else None,
        plots=tuple(Plot.from_contract(p) for p in contract.get("plots", ())),
        rebuild_downstream_from=contract.get("rebuild_downstream_from"),
        calendar_dated=bool(contract.get("date_column", "date"))
        and contract.get("calendar_dated", True),
    )


@cache
def load_models() -> tuple[Model, ...]:
    """Every model under `models/` that is built by SQL, staging first."""
    return tuple(
        _load(path.with_suffix(".yml"))
        for layer in LAYERS
        for path in sorted((MODELS_DIR / layer).glob("*.sql"))
        if not path.name.endswith(".scope.sql")
    )


def mart_models() -> tuple[Model, ...]:
    """The models of the marts layer: the published tables."""
    return tuple(model for model in load_models() if model.layer == "marts")


@cache
def raw_contracts() -> dict[str, Model]:
    """The raw tables' contracts by table name (`prices`, `members`, ...)."""
    return {path.stem: _load(path) for path in sorted((MODELS_DIR / RAW_LAYER).glob("*.yml"))}
