"""Configuration from the environment (documented in the README), checked before a run.

A variable that does not parse, or settings that contradict each other, raise
`SettingsError` with one line naming the variable, what it holds and what it should hold.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from orchestration.defs.resources import (
    DEFAULT_MEMORY_LIMIT,
    Bucketing,
    IndicatorSettings,
    MarketSource,
    QualitySettings,
    RebuildSettings,
    Warehouse,
)
from orchestration.sources.sample.source import MIN_MEMBERS
from orchestration.warehouse.warehouse_file import WarehouseFileError, check_path

DEFAULT_WAREHOUSE = "data/capgap.duckdb"
SOURCES = ("sample", "files", "yahoo")
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)
# The live source's endpoints and User-Agent: MarketSource field, environment variable.
ENDPOINT_VARIABLES = {
    "sp500_url": "CAPGAP_SP500_URL",
    "ishares_url": "CAPGAP_ISHARES_URL",
    "ishares_csv_url": "CAPGAP_ISHARES_CSV_URL",
    "sec_tickers_url": "CAPGAP_SEC_TICKERS_URL",
    "fred_url": "CAPGAP_FRED_URL",
    "sec_facts_url": "CAPGAP_SEC_FACTS_URL",
    "user_agent": "CAPGAP_USER_AGENT",
}


class SettingsError(ValueError):
    """A CAPGAP_* variable is unusable; the message names it and says what to write."""


def _whole_number(env: Mapping[str, str], name: str, default: int, least: int) -> int:
    text = env.get(name, "")
    if not text.strip():
        return default
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(
            f"{name}={text!r} is not a whole number; write e.g. {default}"
        ) from None
    if value < least:
        raise SettingsError(f"{name}={value} must be at least {least}")
    return value


def _date(env: Mapping[str, str], name: str, default: str) -> str:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise SettingsError(
            f"{name}={text!r} is not a date; write it as YYYY-MM-DD, e.g. {default or '2024-06-28'}"
        ) from None


def _memory_size(env: Mapping[str, str], name: str, default: str) -> str:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not MEMORY_SIZE.fullmatch(text):
        raise SettingsError(f"{name}={text!r} is not a memory size; write e.g. {default} or 4GB")
    return text


def _flag(env: Mapping[str, str], name: str) -> bool:
    """A yes/no variable: unset, empty, 0 or false is no."""
    return env.get(name, "").strip().lower() not in ("", "0", "false")


def _source_kind(env: Mapping[str, str]) -> str:
    kind = env.get("CAPGAP_SOURCE", "").strip()
    files_dir = env.get("CAPGAP_FILES_DIR", "").strip()
    if kind and kind not in SOURCES:
        raise SettingsError(f"CAPGAP_SOURCE={kind!r} is not one of {', '.join(SOURCES)}")
    if files_dir and kind not in ("", "files"):
        raise SettingsError(
            f"CAPGAP_FILES_DIR is set but CAPGAP_SOURCE={kind}: set CAPGAP_SOURCE=files to read "
            "that directory, or unset CAPGAP_FILES_DIR"
        )
    if kind == "files" and not files_dir:
        raise SettingsError("CAPGAP_SOURCE=files needs CAPGAP_FILES_DIR: the directory to read")
    return kind or ("files" if files_dir else MarketSource().kind)


def resources_from_env(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """The resources as the CAPGAP_* environment variables configure them."""
    env = os.environ if env is None else env
    sample = MarketSource()
    warehouse = env.get("CAPGAP_WAREHOUSE", DEFAULT_WAREHOUSE)
    try:
        check_path(warehouse)
    except WarehouseFileError as error:
        raise SettingsError(str(error)) from None
    return {
        "warehouse": Warehouse(
            path=warehouse,
            memory_limit=_memory_size(env, "CAPGAP_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        ),
        "market_source": MarketSource(
            kind=_source_kind(env),
            files_dir=env.get("CAPGAP_FILES_DIR", "").strip(),
            files_reload=_flag(env, "CAPGAP_FILES_RELOAD"),
            sample_members=_whole_number(
                env, "CAPGAP_SAMPLE_MEMBERS", sample.sample_members, least=MIN_MEMBERS
            ),
            sample_years=_whole_number(env, "CAPGAP_SAMPLE_YEARS", sample.sample_years, least=1),
            sample_seed=_whole_number(env, "CAPGAP_SAMPLE_SEED", sample.sample_seed, least=0),
            sample_end=_date(env, "CAPGAP_SAMPLE_END", sample.sample_end),
            sample_through=_date(env, "CAPGAP_SAMPLE_THROUGH", sample.sample_through),
            sample_cache=env.get("CAPGAP_SAMPLE_CACHE", "").strip()
            or str(Path(warehouse).parent / "sample-cache"),
            yahoo_history_start=_date(env, "CAPGAP_YAHOO_START", ""),
            **{
                field: env.get(variable, "").strip() or getattr(sample, field)
                for field, variable in ENDPOINT_VARIABLES.items()
            },
        ),
        "indicator_settings": IndicatorSettings(),
        "bucketing": Bucketing(
            buckets=_whole_number(env, "CAPGAP_BUCKETS", 0, least=0),
            dataset=env.get("CAPGAP_DATASET", "").strip()
            or str(Path(warehouse).parent / "dataset"),
            workers=_whole_number(env, "CAPGAP_WORKERS", os.cpu_count() or 1, least=1),
        ),
        "rebuild": RebuildSettings.configure_at_launch(),
        "quality_settings": QualitySettings(
            full_validation=_flag(env, "CAPGAP_FULL_VALIDATION"),
            earliest_date=_date(env, "CAPGAP_EARLIEST_DATE", QualitySettings().earliest_date),
            overrides_path=env.get("CAPGAP_OVERRIDES", "").strip()
            or str(Path(warehouse).parent / "overrides.csv"),
        ),
    }
