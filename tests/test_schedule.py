"""The NYSE schedule, the freshness signal and the jobs a data engineer looks for."""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.defs.freshness import (
    CHECK_NAME,
    MART_KEYS,
    mart_freshness,
    marts_current,
    marts_freshness,
)
from orchestration.defs.schedules import session_run
from orchestration.defs.settings import resources_from_env
from tests.conftest import all_assets

NEW_YORK = ZoneInfo("America/New_York")


def tick(day: date, hour: int, minute: int = 30) -> dg.RunRequest | dg.SkipReason:
    when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)
    return session_run(dg.build_schedule_context(scheduled_execution_time=when))


@pytest.mark.parametrize(
    ("day", "hour", "runs"),
    [
        (date(2026, 11, 24), 16, True),  # a regular Tuesday, after the 16:00 close
        (date(2026, 11, 24), 13, False),  # the same day, before its close
        (date(2026, 11, 26), 16, False),  # Thanksgiving: the exchange is closed
        (date(2026, 11, 27), 13, True),  # the day after: early close at 13:00
        (date(2026, 12, 24), 13, True),  # Christmas Eve: early close
        (date(2026, 12, 25), 16, False),  # Christmas
        (date(2027, 1, 18), 16, False),  # Martin Luther King Jr. Day
    ],
)
def test_the_schedule_runs_once_after_each_close(day, hour, runs):
    result = tick(day, hour)
    assert isinstance(result, dg.RunRequest) == runs, result
    if runs:
        assert result.run_key == f"session-{day.isoformat()}"
        assert result.tags["capgap/session"] == day.isoformat()


def test_an_early_close_and_the_later_tick_share_one_run_key():
    early, late = tick(date(2026, 11, 27), 13), tick(date(2026, 11, 27), 16)
    assert early.run_key == late.run_key
    assert early.tags["capgap/close"] == "13:00 (early close)"


def test_a_holiday_says_why_it_was_skipped():
    assert "not an NYSE session" in tick(date(2026, 11, 26), 16).skip_message


def test_the_schedule_targets_the_daily_refresh_in_new_york_time():
    schedule = defs.resolve_schedule_def("after_nyse_close")
    assert schedule.job_name == "daily_refresh"
    assert schedule.execution_timezone == "America/New_York"


def test_the_jobs_a_data_engineer_looks_for():
    marts = set(MART_KEYS)
    rebuild = defs.resolve_job_def("rebuild_marts").asset_layer.executable_asset_keys
    assert set(rebuild) >= marts
    assert dg.AssetKey(["raw", "prices"]) not in rebuild
    daily = defs.resolve_job_def("daily_refresh").asset_layer.executable_asset_keys
    assert dg.AssetKey(["raw", "prices"]) in daily
    assert defs.resolve_job_def("full_backfill")


@pytest.fixture(scope="module")
def instance_with_marts(tmp_path_factory) -> dg.DagsterInstance:
    """An instance holding one materialization of every asset, the sample ending 2026-11-20."""
    instance = dg.DagsterInstance.ephemeral()
    warehouse = tmp_path_factory.mktemp("fresh") / "w.duckdb"
    resources = resources_from_env(
        {
            "CAPGAP_WAREHOUSE": str(warehouse),
            "CAPGAP_SAMPLE_MEMBERS": "40",
            "CAPGAP_SAMPLE_YEARS": "1",
        }
    )
    dg.materialize(all_assets(), resources=resources, instance=instance)
    return instance


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


def test_marts_are_current_until_the_next_close_plus_grace(instance_with_marts):
    # The sample ends Friday 2026-11-20: current through the weekend and Monday's session,
    # stale once Monday's close is 2.5 hours old.
    for when in (at(date(2026, 11, 21), 12), at(date(2026, 11, 23), 18, 29)):
        assert all(s.current for s in mart_freshness(instance_with_marts, when)), when
    stale = mart_freshness(instance_with_marts, at(date(2026, 11, 23), 18, 31))
    assert not any(s.current for s in stale)
    evaluation = stale[0].evaluation()
    assert evaluation.check_name == CHECK_NAME
    assert evaluation.description == (
        "stale: ends at 2026-11-20, the NYSE closed 2026-11-23 (3 calendar days later)"
    )


def test_a_holiday_does_not_make_the_marts_stale(instance_with_marts):
    # Had the marts reached Wednesday 2026-11-25, Thanksgiving and the Friday early close
    # before its close would leave them current: the calendar has no newer closed session.
    states = mart_freshness(instance_with_marts, at(date(2026, 11, 27), 15))
    assert {s.expected for s in states} == {date(2026, 11, 25)}


def test_the_sensor_records_a_result_only_when_a_mart_changes(instance_with_marts):
    context = dg.build_sensor_context(instance=instance_with_marts)
    first = marts_freshness(context)
    assert len(first.asset_events) == len(MART_KEYS)
    again = marts_freshness(
        dg.build_sensor_context(instance=instance_with_marts, cursor=first.cursor)
    )
    assert again.asset_events == []
    assert set(json.loads(first.cursor)) == {k.to_user_string() for k in MART_KEYS}


def test_a_mart_never_built_is_not_current():
    states = mart_freshness(dg.DagsterInstance.ephemeral(), datetime.now(UTC) - timedelta(days=1))
    assert [s.evaluation().description for s in states] == [
        "no dated rows: never materialized, or empty"
    ] * len(MART_KEYS)


def test_the_check_runs_in_a_run_too(instance_with_marts):
    checks_only = dg.define_asset_job(
        "freshness", selection=dg.AssetSelection.checks(marts_current)
    )
    job = dg.Definitions(
        assets=all_assets(),
        asset_checks=[marts_current],
        jobs=[checks_only],
        resources=resources_from_env({}),
    ).resolve_job_def("freshness")
    result = job.execute_in_process(instance=instance_with_marts)
    assert {e.asset_key for e in result.get_asset_check_evaluations()} == set(MART_KEYS)
    assert marts_current in defs.asset_checks


def test_every_job_tags_its_runs_with_the_source_and_the_warehouse() -> None:
    """Runs against other warehouses, in one Dagster instance, can be told apart."""
    from orchestration.definitions import RESOURCES, defs

    for name in ("daily_refresh", "full_backfill", "rebuild_marts"):
        tags = defs.resolve_job_def(name).tags
        assert tags["capgap/source"] == RESOURCES["market_source"].kind, name
        assert tags["capgap/warehouse"] == RESOURCES["warehouse"].path, name
