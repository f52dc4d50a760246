"""Every SQL model keeps its contract: the columns, types and key its .yml states."""

import pytest

from orchestration.models import load_models
from tests.test_files_source import good_prices, write_dir

MODELS = load_models()


@pytest.fixture
def built(tmp_path, materialize, query):
    """A warehouse built from a small clean `files` directory."""
    materialize(
        CAPGAP_SOURCE="files", CAPGAP_FILES_DIR=str(write_dir(tmp_path / "in", good_prices()))
    )
    return query


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


def test_dependencies_are_known_tables():
    known = {m.table for m in MODELS} | {
        f"raw.{t}" for t in ("prices", "members", "rates", "actions")
    }
    for model in MODELS:
        assert set(model.depends_on) <= known, model.table
