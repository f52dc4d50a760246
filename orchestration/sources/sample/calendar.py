"""Trading days and scheduled dates of the sample market (NYSE sessions, index and Fed dates)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from orchestration.warehouse.trading_calendar import nyse

MONDAY, WEDNESDAY, FRIDAY = 0, 2, 4
RECONSTITUTION_MONTH = 6
REBALANCE_MONTHS = (3, 6, 9, 12)
# Approximate FOMC decision days (month, day); the effective rate moves the day after.
FOMC_DAYS = ((1, 31), (3, 20), (5, 3), (6, 14), (7, 26), (9, 20), (11, 1), (12, 13))
VETERANS_DAY = (11, 11)


@dataclass(frozen=True)
class Calendar:
    """The sessions of the history and what is special about each of them."""

    sessions: np.ndarray  # datetime64[D], ascending
    early_close: np.ndarray  # bool per session
    bond_holiday: np.ndarray  # bool per session: the bond market is closed

    @property
    def n(self) -> int:
        """Number of sessions."""
        return len(self.sessions)

    def index_on_or_after(self, day: date) -> int:
        """Index of the first session on or after `day` (n when there is none)."""
        return int(np.searchsorted(self.sessions, np.datetime64(day, "D")))

    def scheduled(self, days: list[date]) -> np.ndarray:
        """Session indices of the given days (rolled forward), strictly inside the history."""
        idx = np.unique([self.index_on_or_after(d) for d in days]).astype(np.int64)
        return idx[(idx > 0) & (idx < self.n)]

    @property
    def years(self) -> range:
        """Calendar years the history touches."""
        first = self.sessions[0].astype(object).year
        last = self.sessions[-1].astype(object).year
        return range(first, last + 1)


def history_start(end: date, years: int) -> date:
    """First calendar day of a history of `years` years ending on `end`."""
    try:
        back = end.replace(year=end.year - years)
    except ValueError:  # 29 February
        back = end.replace(year=end.year - years, day=28)
    return back + timedelta(days=1)


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The `nth` given weekday (Monday = 0) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def bond_holidays(years: range) -> np.ndarray:
    """Columbus Day and Veterans Day (observed): the NYSE trades, the bond market does not."""
    days = []
    for year in years:
        days.append(nth_weekday(year, 10, MONDAY, 2))
        veterans = date(year, *VETERANS_DAY)
        if veterans.weekday() == 6:
            days.append(veterans + timedelta(days=1))
        elif veterans.weekday() < 5:
            days.append(veterans)
    return np.array(days, dtype="datetime64[D]")


@functools.lru_cache(maxsize=8)
def nyse_calendar(start: date, end: date) -> Calendar:
    """XNYS sessions from `start` to `end` (both inclusive)."""
    cal = nyse(start, end)
    sessions = cal.sessions.values.astype("datetime64[D]")
    early = cal.early_closes.values.astype("datetime64[D]")
    years = range(start.year, end.year + 1)
    return Calendar(
        sessions=sessions,
        early_close=np.isin(sessions, early),
        bond_holiday=np.isin(sessions, bond_holidays(years)),
    )


def reconstitution_days(cal: Calendar) -> np.ndarray:
    """Small-universe reconstitutions: the Monday after the fourth Friday of June."""
    days = [nth_weekday(y, RECONSTITUTION_MONTH, FRIDAY, 4) + timedelta(days=3) for y in cal.years]
    return cal.scheduled(days)


def rebalance_days(cal: Calendar) -> np.ndarray:
    """Large-universe quarterly changes: the Monday after the third Friday of each quarter end."""
    days = [
        nth_weekday(y, m, FRIDAY, 3) + timedelta(days=3)
        for y in cal.years
        for m in REBALANCE_MONTHS
    ]
    return cal.scheduled(days)


def fomc_days(cal: Calendar) -> np.ndarray:
    """Sessions on which the policy rate may change (it takes effect the next calendar day)."""
    return cal.scheduled([date(y, m, d) for y in cal.years for m, d in FOMC_DAYS])
