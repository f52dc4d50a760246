"""The NYSE trading calendar (exchange_calendars' XNYS): sessions, closes, early closes."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

EXCHANGE = "XNYS"
NEW_YORK = "America/New_York"


@lru_cache(maxsize=16)
def nyse(start: date, end: date | None = None) -> xcals.ExchangeCalendar:
    """The XNYS calendar from `start` (to `end`, or exchange_calendars' default horizon)."""
    return xcals.get_calendar(
        EXCHANGE, start=start.isoformat(), end=end.isoformat() if end else None
    )


@lru_cache(maxsize=16)
def nyse_sessions(start: date, end: date) -> list[date]:
    """The NYSE sessions from `start` to `end`, both inclusive (end capped a year ahead)."""
    calendar = nyse(start)
    first = calendar.first_session.date()
    last = min(end, calendar.last_session.date())
    if first > last:
        return []
    return [s.date() for s in calendar.sessions_in_range(first, last)]


def is_session(day: date) -> bool:
    """Whether the NYSE trades on `day`."""
    return bool(nyse(day.replace(day=1)).is_session(pd.Timestamp(day)))


def session_close(day: date) -> datetime:
    """When the session of `day` closes, in New York time (13:00 on an early close)."""
    close = nyse(day.replace(day=1)).session_close(pd.Timestamp(day))
    return close.tz_convert(NEW_YORK).to_pydatetime()


def latest_closed_session(now: datetime) -> date:
    """The latest session that closed before `now` (an aware datetime)."""
    calendar = nyse(now.date().replace(year=now.year - 1))
    return calendar.previous_close(pd.Timestamp(now)).tz_convert(NEW_YORK).date()
