"""The NYSE trading calendar (exchange_calendars' XNYS)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import exchange_calendars as xcals

EXCHANGE = "XNYS"


@lru_cache(maxsize=16)
def nyse_sessions(start: date, end: date) -> list[date]:
    """The NYSE sessions from `start` to `end`, both inclusive (end capped a year ahead)."""
    calendar = xcals.get_calendar(EXCHANGE, start=start.isoformat())
    first = calendar.first_session.date()
    last = min(end, calendar.last_session.date())
    if first > last:
        return []
    return [s.date() for s in calendar.sessions_in_range(first, last)]
