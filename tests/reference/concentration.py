"""Independent reference implementation of ``marts.concentration_daily``.

From raw prices, membership rows and index weight snapshots, following the mart's published
definition ("Flight to safety") literally, with plain loops.

Readings taken where the definition leaves a choice:

1. Rows: every trading date (the dates of ``^GSPC``) for each universe that has at least one
   weight snapshot; a universe without snapshots has no rows.
2. "Members on t" are the point-in-time members with a price row on t (``breadth.py``'s
   membership reading, earliest snapshot back-filled). A member has a weight on t when the
   universe's latest snapshot s <= t lists it and its own series has a close on s and on t;
   ``w(t) = weight(s) * close(t) / close(s)``, renormalized to 100 over those members.
   Before the first snapshot no member has a weight: ``members_weighted`` is 0.
3. ``top10_weight_pct``: the sum of the min(10, n) largest ``w(t)``; null when n = 0.
4. Returns on t: the members on t with a ``ret_1d`` (``close / previous own close - 1``) and
   a weight on the previous trading date t-1; their ``w(t-1)`` renormalized to 1 over that
   set. ``cap_weighted_ret_1d`` = the weighted sum, ``equal_weighted_ret_1d`` the plain mean,
   both null on an empty set (and on the first trading date). The top 10 are the 10 largest
   ``w(t-1)`` of the set, ties by ticker (ascending); their part is their terms of the sum.
5. ``cap_minus_equal_21d`` = prod(1 + cap) - prod(1 + equal) and ``top10_contribution_21d``
   = the sum of the top 10's parts, over the universe's last 21 rows; null unless all 21
   rows have the values.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from tests.reference.breadth import (
    clean_members,
    clean_prices,
    members_by_date,
    memberships,
    ticker_observations,
)
from tests.reference.divergence import trading_calendar

TOP = 10
WINDOW = 21

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "universe": pl.String(),
    "date": pl.Date(),
    "members_weighted": pl.Int64(),
    "top10_weight_pct": pl.Float64(),
    "cap_weighted_ret_1d": pl.Float64(),
    "equal_weighted_ret_1d": pl.Float64(),
    "cap_minus_equal_21d": pl.Float64(),
    "top10_contribution_21d": pl.Float64(),
}
Weights = dict[str, float]


def _snapshots(weights: pl.DataFrame, universe: str) -> dict[dt.date, Weights]:
    rows = weights.filter(pl.col("universe") == universe)
    snapshots: dict[dt.date, Weights] = {}
    for row in rows.iter_rows(named=True):
        snapshots.setdefault(row["as_of"], {})[row["ticker"]] = row["weight"]
    return snapshots


def drifted_weights(
    day: dt.date,
    priced: dict[str, object],
    snapshots: dict[dt.date, Weights],
    closes: dict[str, dict[dt.date, float]],
) -> Weights:
    """Each member's weight on ``day`` in percent, from the latest snapshot on or before it."""
    held = [s for s in snapshots if s <= day]
    if not held:
        return {}
    snapshot_day = max(held)
    raw = {
        ticker: weight * closes[ticker][day] / closes[ticker][snapshot_day]
        for ticker, weight in snapshots[snapshot_day].items()
        if ticker in priced and snapshot_day in closes.get(ticker, {})
    }
    total = sum(raw.values())
    return {ticker: 100 * value / total for ticker, value in raw.items()}


def _returns_day(prior: Weights, returns: dict[str, float]) -> tuple[float, float, float] | None:
    """(cap-weighted, equal-weighted, top 10's part) of one day's returns, or None."""
    both = sorted(t for t in returns if t in prior)
    if not both:
        return None
    total = sum(prior[t] for t in both)
    terms = {t: prior[t] / total * returns[t] for t in both}
    top = sorted(both, key=lambda t: (-prior[t], t))[:TOP]
    return (
        sum(terms.values()),
        sum(returns[t] for t in both) / len(both),
        sum(terms[t] for t in top),
    )


def reference_concentration(
    prices: pl.DataFrame, members: pl.DataFrame, weights: pl.DataFrame
) -> pl.DataFrame:
    """Every column of ``marts.concentration_daily`` from raw inputs."""
    calendar = trading_calendar(prices)
    observations = ticker_observations(clean_prices(prices))
    closes = {t: {d: o.close for d, o in days.items()} for t, days in observations.items()}
    by_universe = memberships(clean_members(members))
    rows = []
    for universe in sorted(set(weights["universe"].to_list())):
        snapshots = _snapshots(weights, universe)
        priced_by_date = members_by_date(by_universe.get(universe, []), observations)
        prior: Weights = {}
        days = []
        for day in calendar:
            priced = priced_by_date.get(day, {})
            today = drifted_weights(day, priced, snapshots, closes)
            returns = {
                t: o.close / o.prev_close - 1 for t, o in priced.items() if o.prev_close is not None
            }
            day_returns = _returns_day(prior, returns)
            cap, equal, top_part = day_returns if day_returns else (None, None, None)
            days.append(
                {
                    "universe": universe,
                    "date": day,
                    "members_weighted": len(today),
                    "top10_weight_pct": sum(sorted(today.values())[-TOP:]) if today else None,
                    "cap_weighted_ret_1d": cap,
                    "equal_weighted_ret_1d": equal,
                    "top_part": top_part,
                }
            )
            prior = today
        parts = [row.pop("top_part") for row in days]
        for i, row in enumerate(days):
            window = days[i + 1 - WINDOW : i + 1] if i + 1 >= WINDOW else []
            full = bool(window) and all(r["cap_weighted_ret_1d"] is not None for r in window)
            row["cap_minus_equal_21d"] = (
                math.prod(1 + r["cap_weighted_ret_1d"] for r in window)
                - math.prod(1 + r["equal_weighted_ret_1d"] for r in window)
                if full
                else None
            )
            row["top10_contribution_21d"] = sum(parts[i + 1 - WINDOW : i + 1]) if full else None
        rows += days
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
