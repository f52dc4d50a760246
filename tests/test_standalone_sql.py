"""`capgap sql <table>`: each model as one standalone SELECT, which run by hand on a built
warehouse returns the published table's rows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from polars.testing import assert_frame_equal

from orchestration.models import VARIABLE_PATTERN, load_models
from orchestration.resources import IndicatorSettings
from orchestration.standalone_sql import UnknownTable, literal, standalone_sql
from tests.conftest import materialize_into

MODELS = {model.table: model for model in load_models()}
SETTINGS = IndicatorSettings().variables()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sample warehouse, built over two days so the incremental tables were built
    in part."""
    path = tmp_path_factory.mktemp("standalone") / "w.duckdb"
    small = {"CAPGAP_SAMPLE_MEMBERS": "60", "CAPGAP_SAMPLE_YEARS": "2"}
    materialize_into(path, CAPGAP_SAMPLE_THROUGH="2026-11-19", **small)
    materialize_into(path, CAPGAP_SAMPLE_THROUGH="2026-11-20", **small)
    return path


@pytest.mark.parametrize("table", sorted(MODELS))
def test_the_standalone_select_gives_the_published_rows(warehouse: Path, table: str) -> None:
    sql = standalone_sql(table, SETTINGS)
    key = list(MODELS[table].key)

    assert not VARIABLE_PATTERN.search(sql), "a variable is left in"
    assert "rebuild_scope AS (" in sql or MODELS[table].scope_sql is None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        by_hand = con.sql(sql).pl().sort(key)
        published = con.sql(f"SELECT * FROM {table}").pl().sort(key)
    assert by_hand.height > 0 or table == "staging.price_exclusions"
    assert_frame_equal(by_hand, published, check_exact=False, rel_tol=1e-12)


def test_settings_are_written_in_as_literals() -> None:
    sql = standalone_sql("marts.divergence_daily", {**SETTINGS, "large_benchmark": "^GSPC"})

    assert "'^GSPC'" in sql
    assert "large_benchmark = '^GSPC'" in sql.splitlines()[0]
    assert [literal(v) for v in (3, 0.5, "O'Neil", True)] == ["3", "0.5", "'O''Neil'", "true"]


def test_an_unknown_table_names_the_models() -> None:
    with pytest.raises(UnknownTable, match=r"no model builds 'marts\.nope'; the models are: "):
        standalone_sql("marts.nope", SETTINGS)


def test_the_command_prints_it() -> None:
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "capgap"), "sql", "marts.breadth_daily"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout == standalone_sql("marts.breadth_daily", SETTINGS)
