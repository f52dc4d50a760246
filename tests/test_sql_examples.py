"""Every example query in sql/examples runs on a built warehouse and returns rows."""

import pytest

from orchestration.paths import PROJECT_ROOT
from tests.conftest import read_only_query

EXAMPLES = sorted((PROJECT_ROOT / "sql" / "examples").glob("*.sql"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(edge_warehouse, example):
    assert read_only_query(edge_warehouse, example.read_text())
