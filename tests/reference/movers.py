"""Independent reference implementation of ``marts.small_cap_movers``.

From raw prices, membership rows and (optionally) corporate actions, following
the mart's published definition ("Movers" and its edge rule) literally, reusing the membership and
observation logic of ``breadth.py``.

Ambiguities in the spec and the reading taken here:

1. Candidates on t: point-in-time members of the small universe (as in ``breadth.py``:
   earliest snapshot back-filled, both ends inclusive, once per ticker) with a close on t
   and a previous close in their own series (after a halt, the close before it).
2. ``ret_1d`` = ``close / previous close - 1`` on adjusted closes, in float64.
   ``rank`` orders by ``abs(ret_1d)`` descending, then ``ticker`` ascending (byte order);
   ranks are 1..min(20, n) with no gaps and no shared ranks.
3. ``relative_volume`` = ``volume / SMA_50(volume)`` over the member's own last 50 price
   rows including t; null until 50 exist, while any of them has a null volume, when the
   SMA is 0 or the volume null. ``catalyst_like`` = ``relative_volume >= 3``, null with it.
4. ``name`` and ``sector`` come from the small-universe membership row covering t with the
   latest ``valid_from``.
5. Actions are "ingested" when ``actions`` is a frame with at least one row (any kind).
   Then ``split_ratio`` is the ``value`` of the ``split`` action on (ticker, t), null when
   there is none, and ``reverse_split`` is ``split_ratio < 1``, false when there is no split.
   When ``actions`` is None or empty, both are null on every row.
6. Rows are ordered by ``date, rank``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from tests.reference.breadth import (
    clean_members,
    clean_prices,
    members_by_date,
    membership_on,
    memberships,
    ticker_observations,
)
from tests.reference.divergence import rolling_mean

UNIVERSE = "small"
TOP_N = 20
CATALYST_RELATIVE_VOLUME = 3.0
VOLUME_SMA = 50
SPLIT = "split"

COLUMNS: list[str] = [
    "date",
    "ticker",
    "rank",
    "name",
    "sector",
    "ret_1d",
    "relative_volume",
    "catalyst_like",
    "split_ratio",
    "reverse_split",
]
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "ticker": pl.String(),
    "rank": pl.Int64(),
    "name": pl.String(),
    "sector": pl.String(),
    "ret_1d": pl.Float64(),
    "relative_volume": pl.Float64(),
    "catalyst_like": pl.Boolean(),
    "split_ratio": pl.Float64(),
    "reverse_split": pl.Boolean(),
}


def relative_volumes(prices: pl.DataFrame) -> dict[tuple[str, dt.date], float | None]:
    """``volume / SMA_50(volume)`` per (ticker, date) over each ticker's own rows."""
    out: dict[tuple[str, dt.date], float | None] = {}
    for (ticker,), rows in prices.sort("ticker", "date").group_by("ticker", maintain_order=True):
        volumes = rows["volume"].to_list()
        for day, volume, sma in zip(
            rows["date"].to_list(), volumes, rolling_mean(volumes, VOLUME_SMA), strict=True
        ):
            usable = volume is not None and sma is not None and sma != 0
            out[(ticker, day)] = volume / sma if usable else None
    return out


def _splits(actions: pl.DataFrame | None) -> dict[tuple[str, dt.date], float] | None:
    """Split ratios by (ticker, date); None when no actions were ingested."""
    if actions is None or actions.height == 0:
        return None
    rows = actions.select(
        pl.col("ticker").cast(pl.String),
        pl.col("date").cast(pl.Date),
        pl.col("kind").cast(pl.String),
        pl.col("value").cast(pl.Float64),
    ).filter(pl.col("kind") == SPLIT)
    return {(t, d): v for t, d, _, v in rows.iter_rows()}


def reference_movers(
    prices: pl.DataFrame,
    members: pl.DataFrame,
    actions: pl.DataFrame | None = None,
    *,
    universe: str = UNIVERSE,
    top_n: int = TOP_N,
    catalyst_relative_volume: float = CATALYST_RELATIVE_VOLUME,
) -> pl.DataFrame:
    """Every column of ``marts.small_cap_movers``: per date the top movers of the universe."""
    prices = clean_prices(prices)
    rows = memberships(clean_members(members)).get(universe, [])
    relative = relative_volumes(prices)
    splits = _splits(actions)
    out: list[dict[str, object]] = []
    for day, today in members_by_date(rows, ticker_observations(prices)).items():
        candidates = [
            (ticker, obs.close / obs.prev_close - 1)
            for ticker, obs in today.items()
            if obs.prev_close is not None
        ]
        candidates.sort(key=lambda c: (-abs(c[1]), c[0]))
        for rank, (ticker, ret) in enumerate(candidates[:top_n], start=1):
            membership = membership_on(rows, ticker, day)
            rv = relative[(ticker, day)]
            ratio = None if splits is None else splits.get((ticker, day))
            out.append(
                {
                    "date": day,
                    "ticker": ticker,
                    "rank": rank,
                    "name": membership.name,
                    "sector": membership.sector,
                    "ret_1d": ret,
                    "relative_volume": rv,
                    "catalyst_like": None if rv is None else rv >= catalyst_relative_volume,
                    "split_ratio": ratio,
                    "reverse_split": None if splits is None else ratio is not None and ratio < 1,
                }
            )
    return pl.DataFrame(out, schema=OUTPUT_SCHEMA)
