"""Every example query in sql/examples runs on a built warehouse."""

import pytest

from orchestration.paths import PROJECT_ROOT
from tests.test_files_source import good_prices, write_dir

EXAMPLES = sorted((PROJECT_ROOT / "sql" / "examples").glob("*.sql"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(tmp_path, materialize, query, example):
    materialize(
        CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(write_dir(tmp_path / "in", good_prices()))
    )
    query(example.read_text())
