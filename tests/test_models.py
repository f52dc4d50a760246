"""Every SQL model keeps its contract: the columns, types and key its .yml states."""

import re
from functools import partial

import duckdb
import pytest

from orchestration.outputs.dictionary import DICTIONARY_PATH, render_dictionary
from orchestration.paths import DDL_DIR, PROJECT_ROOT
from orchestration.warehouse.contracts import load_models, raw_contracts
from tests.conftest import read_only_query

MODELS = load_models()


@pytest.fixture(scope="module")
def built(edge_warehouse):
    """The query function of the warehouse built from the edge_market directory."""
    return partial(read_only_query, edge_warehouse)


def test_every_layer_has_models():
    assert {m.layer for m in MODELS} == {"staging", "marts"}
    assert "marts.breadth_daily" in {m.table for m in MODELS}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.table)
def test_table_matches_its_contract(built, model):
    described = built(
        "SELECT column_name, data_type FROM information_schema.columns"
        f" WHERE table_schema = '{model.layer}' AND table_name = '{model.name}'"
        " ORDER BY ordinal_position"
    )
    assert described == [(c.name, c.type) for c in model.columns]
    assert all(c.description.strip() for c in model.columns)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.table)
def test_key_is_unique(built, model):
    key = ", ".join(model.key)
    duplicates = built(
        f"SELECT {key}, count(*) FROM {model.table} GROUP BY ALL HAVING count(*) > 1"
    )
    assert duplicates == []


# Written by every raw load alongside the raw tables, so reading them needs no declaration.
LOAD_BOOKKEEPING = {"raw.overrides", "raw.loads", "raw.quarantine"}
TABLE_NAME = re.compile(r"\b((?:raw|staging|marts)\.[a-z_][a-z0-9_]*)\b")
SQL_COMMENT = re.compile(r"--[^\n]*")


def _tables_read(model) -> set[str]:
    texts = [model.sql, model.scope_sql or ""]
    texts += [check.query or "" for check in model.checks]
    texts += [expression for check in model.checks for expression in check.columns.values()]
    named = {name for text in texts for name in TABLE_NAME.findall(SQL_COMMENT.sub("", text))}
    return named - {model.table} - LOAD_BOOKKEEPING


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.table)
def test_the_declared_dependencies_are_the_tables_the_sql_reads(model):
    """`depends_on` (the asset's upstream in Dagster) names exactly the tables its SELECT,
    its rebuild scope and its checks read."""
    known = {m.table for m in MODELS} | {f"raw.{t}" for t in raw_contracts()}
    assert set(model.depends_on) <= known
    assert set(model.depends_on) == _tables_read(model)


def test_the_raw_ddl_has_the_columns_of_the_raw_contracts():
    """The raw contracts are the one place the raw columns are written: the sources' polars
    schemas are read from them, and the DDL that creates the tables must agree."""
    con = duckdb.connect()
    for ddl in sorted(DDL_DIR.glob("*.sql")):
        con.execute(ddl.read_text())
    for table, contract in raw_contracts().items():
        created = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        assert created == [(c.name, c.type) for c in contract.columns], table


def test_data_dictionary_is_up_to_date():
    assert DICTIONARY_PATH.read_text() == render_dictionary(), "run `make docs`"


def test_readme_lists_exactly_the_warehouse_tables(built):
    readme = (PROJECT_ROOT / "README.md").read_text()
    listed = set(
        re.findall(r"^\| `((?:raw|meta|staging|marts)\.[a-z_0-9]+)` \|", readme, re.MULTILINE)
    )
    tables = {
        f"{schema}.{name}"
        for schema, name in built(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema IN ('raw', 'meta', 'staging', 'marts')"
        )
    }
    assert listed == tables


PERCENT_COLUMNS = [
    (model.table, column.name)
    for model in MODELS
    for column in model.columns
    if column.name.startswith("pct_") or column.name.endswith(("_percent", "_pct_above_sma50"))
]


@pytest.mark.parametrize(("table", "column"), PERCENT_COLUMNS, ids=lambda v: str(v))
def test_percentages_are_0_to_100(built, table, column):
    ((low, high, filled),) = built(
        f"SELECT min({column}), max({column}), count({column}) FROM {table}"
    )
    assert filled > 0 and low >= 0 and high <= 100


def test_a_check_on_helper_columns_says_what_it_checks_in_words():
    """The UI shows a check's description, or else its expectation and arguments: a check
    computing helper columns (not in the table) must say in words what it checks."""
    for model in MODELS:
        table_columns = {column.name for column in model.columns}
        for check in model.checks:
            helpers = set(check.columns) - table_columns
            if helpers or check.query is not None:
                assert check.description, (model.table, check.name, sorted(helpers))
