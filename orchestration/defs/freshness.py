"""Are the marts current? Each mart's latest date against the latest closed NYSE session.

A mart is current when its latest date (the `last_date` its latest materialization
recorded) is the latest NYSE session that closed more than `GRACE` ago: long enough for
the scheduled run after the close to finish. Holidays and weekends never make a mart
stale, since the calendar has no session then. The check `current_with_the_nyse` on
each mart says so; the sensor `marts_freshness` evaluates it every 15 minutes without
launching a run and records a result on the asset page whenever a mart's state changes.
A mart whose rows are not one per trading date (the signal firings, dated by event, and the
scorecard that summarises them) has no freshness of its own: it is as current as
`marts.signal_days`, which it is built from.
"""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from orchestration.defs.schedules import AFTER_CLOSE
from orchestration.warehouse.contracts import mart_models
from orchestration.warehouse.trading_calendar import latest_closed_session

CHECK_NAME = "current_with_the_nyse"
GRACE = AFTER_CLOSE + timedelta(hours=2)
MART_KEYS = [dg.AssetKey(m.table.split(".")) for m in mart_models() if m.calendar_dated]


@dataclass(frozen=True)
class Freshness:
    """How one mart stands against the NYSE calendar at a moment."""

    asset_key: dg.AssetKey
    last_date: date | None
    expected: date

    @property
    def current(self) -> bool:
        """Whether the mart reaches the latest session it should have."""
        return self.last_date is not None and self.last_date >= self.expected

    def _details(self) -> dict:
        if self.last_date is None:
            description = "no dated rows: never materialized, or empty"
        elif self.current:
            description = f"current through {self.last_date}"
        else:
            behind = (self.expected - self.last_date).days
            description = (
                f"stale: ends at {self.last_date}, the NYSE closed {self.expected} "
                f"({behind} calendar days later)"
            )
        return {
            "asset_key": self.asset_key,
            "check_name": CHECK_NAME,
            "passed": self.current,
            "severity": dg.AssetCheckSeverity.WARN,
            "description": description,
            "metadata": {
                "last_date": dg.MetadataValue.text(str(self.last_date)),
                "latest_closed_session": dg.MetadataValue.text(str(self.expected)),
            },
        }

    def evaluation(self) -> dg.AssetCheckEvaluation:
        """This state as a check evaluation, for the sensor to record."""
        return dg.AssetCheckEvaluation(**self._details())

    def result(self) -> dg.AssetCheckResult:
        """This state as a check result, for a run that executes the check."""
        return dg.AssetCheckResult(**self._details())


def mart_freshness(instance: dg.DagsterInstance, now: datetime) -> list[Freshness]:
    """Every mart's freshness at `now` (an aware datetime), from its latest materialization."""
    expected = latest_closed_session(now - GRACE)
    states = []
    for key in MART_KEYS:
        event = instance.get_latest_materialization_event(key)
        materialization = event.asset_materialization if event else None
        recorded = materialization.metadata.get("last_date") if materialization else None
        last_date = date.fromisoformat(recorded.value) if recorded else None
        states.append(Freshness(key, last_date, expected))
    return states


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=key,
            description="the mart's latest date is the latest NYSE session closed 2.5 h ago",
        )
        for key in MART_KEYS
    ],
    can_subset=True,
)
def marts_current(context: dg.AssetCheckExecutionContext):
    """Evaluate the freshness of the selected marts now."""
    for state in mart_freshness(context.instance, datetime.now(UTC)):
        if dg.AssetCheckKey(state.asset_key, CHECK_NAME) in context.selected_asset_check_keys:
            yield state.result()


@dg.sensor(
    name="marts_freshness",
    minimum_interval_seconds=15 * 60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records `current_with_the_nyse` on each mart when it turns stale or current.",
)
def marts_freshness(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Report the marts whose freshness changed since the last evaluation."""
    before = json.loads(context.cursor) if context.cursor else {}
    states = mart_freshness(context.instance, datetime.now(UTC))
    now = {state.asset_key.to_user_string(): state.current for state in states}
    changed = [s for s in states if before.get(s.asset_key.to_user_string()) != s.current]
    return dg.SensorResult(
        asset_events=[state.evaluation() for state in changed],
        cursor=json.dumps(now, sort_keys=True),
    )
