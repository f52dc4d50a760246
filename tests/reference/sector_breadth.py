"""Independent reference implementation of ``marts.sector_breadth_daily``.

The breadth columns ``issues, advancers, decliners, pct_above_sma50, pct_above_sma200,
members, coverage_pct`` of ``breadth.py`` per (universe, sector, date), reusing its
membership and observation logic.

Ambiguities in the spec and the reading taken here:

1. A member's sector on t comes from its membership row in that universe that covers t
   and has the latest ``valid_from`` (point in time, so a ticker whose later row moves it to
   another sector counts in the old sector before that row starts and in the new one
   from its first day on, overlap included). Earliest-snapshot rows cover earlier dates.
2. A row exists for each (universe, sector, date) on which at least one point-in-time
   member of that universe with that sector has a price row (0 issues possible, e.g. on
   the first date of history or when its only member has no previous close).
3. A null sector is a group of its own (as SQL ``GROUP BY`` groups nulls); it sorts first.
4. Every definition is the one of ``breadth.py`` (previous close of the member's own series,
   SMAs over its own series, strict comparisons, ``pct_above_smaN`` null when no member of
   the group has a non-null SMA).
5. Rows are ordered by ``universe, sector, date``.
6. ``members`` counts the point-in-time members of the universe on t whose sector on t (note
   1) is the row's sector, each ticker once however many of its rows cover t, whether or not
   they have a price row on t (halted, not yet listed, delisted while a row still covers t).
   A ticker whose later row moves it to another sector counts only in the new sector from
   that row's first day on. ``coverage_pct`` is ``100 * (those members with a price row on
   t) / members`` (below 100 when some have none), null when ``members`` is 0. Rows stay as
   in note 2: a sector whose members on t all lack a price row has no row on t.
"""

from __future__ import annotations

import polars as pl

from tests.reference.breadth import (
    Observation,
    clean_members,
    clean_prices,
    coverage_pct,
    members_by_date,
    members_on,
    membership_on,
    memberships,
    pct_above,
    ticker_observations,
)

COLUMNS: list[str] = [
    "universe",
    "sector",
    "date",
    "issues",
    "advancers",
    "decliners",
    "pct_above_sma50",
    "pct_above_sma200",
    "members",
    "coverage_pct",
]
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "universe": pl.String(),
    "sector": pl.String(),
    "date": pl.Date(),
    "issues": pl.Int64(),
    "advancers": pl.Int64(),
    "decliners": pl.Int64(),
    "pct_above_sma50": pl.Float64(),
    "pct_above_sma200": pl.Float64(),
    "members": pl.Int64(),
    "coverage_pct": pl.Float64(),
}


def _group_row(members_today: list[Observation]) -> dict[str, object]:
    issues = [o for o in members_today if o.prev_close is not None]
    return {
        "issues": len(issues),
        "advancers": sum(1 for o in issues if o.close > o.prev_close),
        "decliners": sum(1 for o in issues if o.close < o.prev_close),
        "pct_above_sma50": pct_above([(o.close, o.sma50) for o in members_today]),
        "pct_above_sma200": pct_above([(o.close, o.sma200) for o in members_today]),
    }


def reference_sector_breadth(prices: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Every column of ``marts.sector_breadth_daily``, from raw prices and membership rows."""
    observations = ticker_observations(clean_prices(prices))
    out: list[dict[str, object]] = []
    for universe, rows in memberships(clean_members(members)).items():
        for day, today in members_by_date(rows, observations).items():
            by_sector: dict[str | None, list[Observation]] = {}
            for ticker, obs in today.items():
                sector = membership_on(rows, ticker, day).sector
                by_sector.setdefault(sector, []).append(obs)
            sector_members: dict[str | None, int] = {}
            for ticker in members_on(rows, day):
                sector = membership_on(rows, ticker, day).sector
                sector_members[sector] = sector_members.get(sector, 0) + 1
            for sector, group in by_sector.items():
                count = sector_members[sector]
                out.append(
                    {
                        "universe": universe,
                        "sector": sector,
                        "date": day,
                        **_group_row(group),
                        "members": count,
                        "coverage_pct": coverage_pct(len(group), count),
                    }
                )
    return pl.DataFrame(out, schema=OUTPUT_SCHEMA).sort(
        "universe", "sector", "date", nulls_last=False
    )
