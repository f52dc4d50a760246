"""Independent reference implementation of ``marts.earnings_daily``.

From raw prices (the calendar), membership rows and quarterly fundamentals, following the
mart's published definition ("Earnings risk") literally, with plain loops.

Readings taken where the definition leaves a choice:

1. Rows: every trading date (the dates of ``^GSPC``) for each universe with membership rows,
   when the fundamentals hold any row at all; none otherwise.
2. Members on t: ``breadth.py``'s point-in-time reading (earliest snapshot back-filled),
   priced or not.
3. A version of a quarter is known on t when ``available_on <= t``; of a quarter published
   more than once (same ticker and ``fiscal_period``), the known version with the latest
   ``available_on`` counts. The quarters are ordered by ``fiscal_period`` (year, then
   quarter); the TTM on t is the sum of the latest four known, when they are four
   consecutive quarters; else None.
4. ``unprofitable_pct`` counts TTM < 0 (a TTM of exactly 0 is not a loss).
5. ``ttm_net_income_yoy_pct`` pairs each member on t that has a TTM on t with its TTM as
   known on the trading date 252 rows earlier; members without both are left out of both
   sums. Null when there are fewer than 252 earlier rows or the earlier sum is <= 0 (an
   empty sum is 0).
6. ``reported_21d``: members on t whose latest known quarter (by ``fiscal_period``) was first
   published (its earliest ``available_on``) after the trading date 21 rows back and on or
   before t; null in the first 21 rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl

from tests.reference.breadth import clean_members, members_on, memberships
from tests.reference.divergence import trading_calendar

YEAR_ROWS = 252
REPORT_ROWS = 21

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "universe": pl.String(),
    "date": pl.Date(),
    "members": pl.Int64(),
    "members_with_ttm": pl.Int64(),
    "unprofitable_pct": pl.Float64(),
    "ttm_net_income": pl.Float64(),
    "ttm_net_income_yoy_pct": pl.Float64(),
    "reported_21d": pl.Int64(),
}
Version = tuple[dt.date, float]  # (available_on, net_income)


def _quarter_number(fiscal_period: str) -> int:
    return 4 * int(fiscal_period[:4]) + int(fiscal_period[5])


def _versions(fundamentals: pl.DataFrame) -> dict[str, dict[int, list[Version]]]:
    by_ticker: dict[str, dict[int, list[Version]]] = defaultdict(lambda: defaultdict(list))
    for row in fundamentals.iter_rows(named=True):
        quarter = _quarter_number(row["fiscal_period"])
        by_ticker[row["ticker"]][quarter].append((row["available_on"], row["net_income"]))
    return by_ticker


def known_quarters(quarters: dict[int, list[Version]], day: dt.date) -> dict[int, list[Version]]:
    """The versions of each quarter known on ``day`` (quarters with none left out)."""
    known = {q: [v for v in versions if v[0] <= day] for q, versions in quarters.items()}
    return {q: versions for q, versions in known.items() if versions}


def ttm(quarters: dict[int, list[Version]], day: dt.date) -> float | None:
    """The sum of the latest four quarters known on ``day``, if they are consecutive."""
    known = known_quarters(quarters, day)
    latest = sorted(known, reverse=True)[:4]
    if len(latest) < 4 or latest[0] - latest[3] != 3:
        return None
    return sum(max(known[q])[1] for q in latest)


def latest_first_report(quarters: dict[int, list[Version]], day: dt.date) -> dt.date | None:
    """When the latest quarter known on ``day`` was first published."""
    known = known_quarters(quarters, day)
    return min(known[max(known)])[0] if known else None


def reference_earnings(
    prices: pl.DataFrame, members: pl.DataFrame, fundamentals: pl.DataFrame
) -> pl.DataFrame:
    """Every column of ``marts.earnings_daily`` from raw inputs."""
    if fundamentals.is_empty():
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    calendar = trading_calendar(prices)
    versions = _versions(fundamentals)
    rows = []
    for universe, spans in sorted(memberships(clean_members(members)).items()):
        for i, day in enumerate(calendar):
            on_day = members_on(spans, day)
            now = {t: ttm(versions[t], day) for t in on_day if t in versions}
            now = {t: v for t, v in now.items() if v is not None}
            with_ttm = len(now)
            yoy = None
            if i >= YEAR_ROWS:
                then = {t: ttm(versions[t], calendar[i - YEAR_ROWS]) for t in now}
                paired = [t for t, v in then.items() if v is not None]
                earlier = sum(then[t] for t in paired)
                if earlier > 0:
                    yoy = 100 * (sum(now[t] for t in paired) / earlier - 1)
            reported = None
            if i >= REPORT_ROWS:
                back = calendar[i - REPORT_ROWS]
                firsts = [latest_first_report(versions[t], day) for t in on_day if t in versions]
                reported = sum(1 for d in firsts if d is not None and back < d <= day)
            rows.append(
                {
                    "universe": universe,
                    "date": day,
                    "members": len(on_day),
                    "members_with_ttm": with_ttm,
                    "unprofitable_pct": (
                        100 * sum(1 for v in now.values() if v < 0) / with_ttm if with_ttm else None
                    ),
                    "ttm_net_income": sum(now.values()) if now else None,
                    "ttm_net_income_yoy_pct": yoy,
                    "reported_21d": reported,
                }
            )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
