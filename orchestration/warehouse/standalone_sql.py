"""`capgap sql <table>`: a model as one SELECT an analyst can run by hand on the warehouse.

A model's SQL reads its settings as DuckDB variables (`getvariable('large_benchmark')`), and
an incremental model reads the temp tables `rebuild_scope` and `pending_rebuilds` a run
fills. Here the settings are written in as literals and the scope is the full build's (every
ticker from its first bar, nothing handed on), so the SELECT returns the published table's
rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from orchestration.warehouse.contracts import VARIABLE_PATTERN, load_models

# A full build: every raw row counts as new, no re-run date, nothing handed on.
FULL_BUILD = {"consumed_through": "'-infinity'::TIMESTAMP", "rebuild_from": "'infinity'::DATE"}
NOTHING_HANDED_ON = (
    "pending_rebuilds AS (\n"
    "    SELECT NULL::VARCHAR AS ticker, NULL::DATE AS rebuild_from WHERE false\n"
    ")"
)
_LEADING_WITH = re.compile(r"\A((?:\s*--[^\n]*\n)*\s*)WITH\s", re.IGNORECASE)


class UnknownTable(LookupError):
    """A table that no model builds; the message lists those that do."""


def literal(value: object) -> str:
    """A setting as a SQL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def standalone_sql(table: str, settings: Mapping[str, object]) -> str:
    """The model of `table` (`marts.breadth_daily`) as one standalone SELECT."""
    models = {model.table: model for model in load_models()}
    if table not in models:
        raise UnknownTable(f"no model builds {table!r}; the models are: {', '.join(models)}")
    model = models[table]
    sql = model.sql.strip()
    if model.scope_sql is not None:
        scope = _filled(model.scope_sql.strip(), {}, FULL_BUILD)
        sql = _with_first(sql, [NOTHING_HANDED_ON, f"rebuild_scope AS (\n{_indented(scope)}\n)"])
    used = sorted(set(VARIABLE_PATTERN.findall(sql)))
    said = ", ".join(f"{name} = {literal(settings[name])}" for name in used) or "none"
    header = (
        f"-- {table} as one standalone SELECT: its full build, settings written in ({said})."
        "\n-- Run on the warehouse, it returns the rows of the published table.\n"
    )
    return header + _filled(sql, settings, {}) + "\n"


def _filled(sql: str, settings: Mapping[str, object], raw: Mapping[str, str]) -> str:
    """`sql` with each `getvariable('name')` replaced by its value."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in raw:
            return raw[name]
        if name not in settings:
            raise KeyError(f"the model reads the variable {name!r}, which is no setting")
        return literal(settings[name])

    return VARIABLE_PATTERN.sub(value, sql)


def _with_first(sql: str, ctes: list[str]) -> str:
    """`sql` with `ctes` before its own (it may start with comments and a WITH)."""
    joined = ",\n".join(ctes)
    match = _LEADING_WITH.match(sql)
    if match is None:
        return f"WITH {joined}\n{sql}"
    return f"{match.group(1)}WITH {joined},\n{sql[match.end() :]}"


def _indented(sql: str) -> str:
    return "\n".join(f"    {line}" if line else line for line in sql.splitlines())
