"""Configuration from the environment (documented in the README)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from orchestration.resources import (
    IndicatorSettings,
    MarketSource,
    QualitySettings,
    RebuildSettings,
    Warehouse,
)

DEFAULT_WAREHOUSE = "data/capgap.duckdb"


def resources_from_env(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """The resources as the CAPGAP_* environment variables configure them."""
    env = os.environ if env is None else env
    sample = MarketSource()
    return {
        "warehouse": Warehouse(path=env.get("CAPGAP_WAREHOUSE", DEFAULT_WAREHOUSE)),
        "market_source": MarketSource(
            kind=env.get("CAPGAP_SOURCE", sample.kind),
            files_dir=env.get("CAPGAP_FILES_DIR", ""),
            sample_members=int(env.get("CAPGAP_SAMPLE_MEMBERS", sample.sample_members)),
            sample_years=int(env.get("CAPGAP_SAMPLE_YEARS", sample.sample_years)),
            sample_seed=int(env.get("CAPGAP_SAMPLE_SEED", sample.sample_seed)),
            sample_end=env.get("CAPGAP_SAMPLE_END", sample.sample_end),
            sample_through=env.get("CAPGAP_SAMPLE_THROUGH", sample.sample_through),
            yahoo_history_start=env.get("CAPGAP_YAHOO_START", ""),
        ),
        "indicator_settings": IndicatorSettings(),
        "rebuild": RebuildSettings.configure_at_launch(),
        "quality_settings": QualitySettings(
            full_validation=env.get("CAPGAP_FULL_VALIDATION", "") not in ("", "0", "false")
        ),
    }
