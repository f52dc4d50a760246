"""When capgap runs: every NYSE session, once it has closed (America/New_York).

The schedule ticks at 13:30 and 16:30 New York time on weekdays. A tick on an exchange
holiday is skipped; a tick before the session's close plus `AFTER_CLOSE` is skipped; the
first tick after it asks for the session's run. Early closes (13:00: the day after
Thanksgiving, Christmas Eve, the eve of Independence Day) run at 13:30, regular sessions
at 16:30, and the run key (the session date) keeps a session from running twice.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration.warehouse.trading_calendar import NEW_YORK, is_session, session_close

AFTER_CLOSE = timedelta(minutes=30)
TICKS = ["30 13 * * 1-5", "30 16 * * 1-5"]


def session_run(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """The run of the session whose close the tick follows, or why there is none."""
    now = context.scheduled_execution_time.astimezone(ZoneInfo(NEW_YORK))
    day = now.date()
    if not is_session(day):
        return dg.SkipReason(f"{day} is not an NYSE session (exchange holiday)")
    close = session_close(day)
    if now < close + AFTER_CLOSE:
        return dg.SkipReason(
            f"the {day} session closes at {close:%H:%M} New York time; "
            f"its run starts at {close + AFTER_CLOSE:%H:%M}"
        )
    early = " (early close)" if close.hour < 16 else ""
    return dg.RunRequest(
        run_key=f"session-{day.isoformat()}",
        tags={"capgap/session": day.isoformat(), "capgap/close": f"{close:%H:%M}{early}"},
    )


def nyse_close_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """The schedule that runs `job` after every NYSE session's close."""
    return dg.ScheduleDefinition(
        name="after_nyse_close",
        job=job,
        cron_schedule=TICKS,
        execution_timezone=NEW_YORK,
        execution_fn=session_run,
        description=(
            "Runs daily_refresh once per NYSE session, 30 minutes after its close "
            "(16:00, or 13:00 on early closes), New York time; skips exchange holidays."
        ),
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
