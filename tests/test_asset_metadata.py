"""What a data engineer sees on each asset in the Dagster UI after an evening run."""

import base64
import re

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.sources.base import RAW_SCHEMAS
from orchestration.warehouse.contracts import load_models
from tests.conftest import materialize_into

SAMPLE = {"CAPGAP_SAMPLE_MEMBERS": "60", "CAPGAP_SAMPLE_YEARS": "2"}
MODELS = {model.table: model for model in load_models()}
# The tables with a date column to show a last date of; raw.members' dates are intervals.
DATED = {table for table, model in MODELS.items() if model.date_column} | {
    "raw.prices",
    "raw.rates",
    "raw.actions",
    "raw.index_weights",
}
# The sample market has no vendor faults, so nothing is left out of it.
CLEAN_SAMPLE_EMPTY = "staging.price_exclusions"


@pytest.fixture(scope="module")
def evening(tmp_path_factory) -> dict[str, dict[str, dg.MetadataValue]]:
    """Each asset's metadata from the run of 2026-11-20 on a warehouse built through the 19th."""
    warehouse = tmp_path_factory.mktemp("evening") / "w.duckdb"
    materialize_into(warehouse, CAPGAP_SAMPLE_THROUGH="2026-11-19", **SAMPLE)
    result = materialize_into(warehouse, CAPGAP_SAMPLE_THROUGH="2026-11-20", **SAMPLE)
    return {
        event.asset_key.to_user_string().replace("/", "."): event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }


def test_every_table_shows_its_size_dates_source_and_load(evening):
    tables = {t: m for t, m in evening.items() if t.split(".")[0] in ("raw", "staging", "marts")}
    assert len(tables) == len(RAW_SCHEMAS) + len(MODELS)
    for table, metadata in tables.items():
        if table != CLEAN_SAMPLE_EMPTY:
            assert metadata["dagster/row_count"].value > 0, table
        assert metadata["source"].value == "sample", table
        assert metadata["load_id"].value.startswith("sample-"), table
        if table in DATED:
            assert metadata["last_date"].value <= "2026-11-20", table
    for table in ("raw.prices", "staging.member_prices", "marts.market_regime"):
        assert evening[table]["last_date"].value == "2026-11-20", table
        assert "|" in evening[table]["preview"].value, table
    assert evening["serving.file"]["market_date"].value == "2026-11-20"
    assert evening["reports.tape"]["date"].value == "2026-11-20"


def test_every_model_says_what_the_run_changed(evening):
    for table in MODELS:
        assert {"rows_added", "rows_changed", "rows_removed"} <= set(evening[table]), table
    # One new session: two breadth rows (a universe each), one divergence row, nothing
    # revised, and price_series rebuilt only the new day's bars.
    assert evening["marts.breadth_daily"]["rows_added"].value == 2
    assert evening["marts.divergence_daily"]["rows_added"].value == 1
    assert evening["marts.breadth_daily"]["rows_changed"].value == 0
    series = evening["staging.price_series"]
    assert series["build_mode"].value == "incremental"
    assert series["rebuilt_from"].value == "2026-11-20"
    assert series["rows_rebuilt"].value == series["rows_added"].value


def svg_of(value: dg.MetadataValue) -> str:
    (encoded,) = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", value.value)
    return base64.b64decode(encoded).decode()


@pytest.mark.parametrize(
    ("table", "plots"),
    [
        ("marts.breadth_daily", ["plot/pct_above_sma50", "plot/ad_lines"]),
        ("marts.divergence_daily", ["plot/relative_strength"]),
    ],
)
def test_breadth_and_divergence_show_their_plots(evening, table, plots):
    for name in plots:
        svg = svg_of(evening[table][name])
        points = int(re.search(r'data-points="(\d+)"', svg).group(1))
        assert points > 200, name  # about a year of sessions per line


def test_asset_descriptions_come_from_the_contracts():
    for assets_def in defs.assets:
        for spec in assets_def.specs:
            table = ".".join(spec.key.path)
            if table in MODELS:
                assert spec.description.startswith(MODELS[table].description)
                assert spec.kinds == {"duckdb", "sql"}


def test_the_latest_values_are_numbers_dagster_plots(evening):
    breadth = evening["marts.breadth_daily"]
    for universe in ("large", "small"):
        value = breadth[f"pct_above_sma50/{universe}"]
        assert isinstance(value, dg.FloatMetadataValue), universe
        assert 0 <= value.value <= 100
        assert isinstance(breadth[f"ad_lines/{universe}"], dg.FloatMetadataValue)
    divergence = evening["marts.divergence_daily"]
    assert divergence["relative_strength/relative_strength"].value > 0
    assert isinstance(divergence["relative_strength/z_score_63d"], dg.FloatMetadataValue)
