"""Independent reference implementation of ``marts.liquidity_daily``.

From raw prices and membership rows, following the mart's published definition ("Liquidity" and
its edge rule) literally.

Ambiguities in the spec and the reading taken here:

1. Symbols: ``SPY RSP IWM ^GSPC ^RUT`` (configurable), each with one row per own price row
   (with a close); a listed symbol without prices has no rows. Plus ``universe:large`` and
   ``universe:small``, with a row on each date on which at least one point-in-time member
   of the universe has a price row (membership as in ``breadth.py``: earliest snapshot
   back-filled, both ends inclusive, a ticker once per date).
2. A universe row's ``volume`` is the sum of its members' volumes on t and its
   ``dollar_volume`` the sum of their ``close * volume``; null volumes add nothing, and the
   sums are null when every member's volume is null (SQL ``sum``).
3. A symbol row's ``dollar_volume`` is ``close * volume`` (null with the volume).
4. ``volume_sma20``, ``volume_sma50`` and the SMA_5 of ``light_volume`` run over the last n
   rows of that symbol including t: null until n rows exist and while any of the n volumes
   is null. Not calendar-aligned: a day a symbol misses is simply not one of its rows.
5. ``relative_volume`` = ``volume / volume_sma50`` and ``light_volume`` =
   ``SMA_5(volume) / volume_sma50 < 0.8`` (strict); both null while ``volume_sma50`` is null
   or 0 (and ``relative_volume`` also when the volume is null).
6. Rows are ordered by ``symbol`` (byte order: letters, then ``^``, then ``universe:``), then
   ``date``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from tests.reference.breadth import (
    Membership,
    Observation,
    clean_members,
    clean_prices,
    members_by_date,
    memberships,
    ticker_observations,
)
from tests.reference.divergence import rolling_mean

LIQUIDITY_SYMBOLS = ("SPY", "RSP", "IWM", "^GSPC", "^RUT")
UNIVERSE_PREFIX = "universe:"
SHORT_SMA = 20
LONG_SMA = 50
LIGHT_SMA = 5
LIGHT_VOLUME_RATIO = 0.8

COLUMNS: list[str] = [
    "symbol",
    "date",
    "volume",
    "dollar_volume",
    "volume_sma20",
    "volume_sma50",
    "relative_volume",
    "light_volume",
]
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "symbol": pl.String(),
    "date": pl.Date(),
    "volume": pl.Int64(),
    "dollar_volume": pl.Float64(),
    "volume_sma20": pl.Float64(),
    "volume_sma50": pl.Float64(),
    "relative_volume": pl.Float64(),
    "light_volume": pl.Boolean(),
}

Day = tuple[dt.date, int | None, float | None]


def volume_windows(rows: list[Day], symbol: str) -> list[dict[str, object]]:
    """The output rows of one symbol from its (date, volume, dollar volume) in date order."""
    volumes: list[float | None] = [v for _, v, _ in rows]
    sma5 = rolling_mean(volumes, LIGHT_SMA)
    sma20 = rolling_mean(volumes, SHORT_SMA)
    sma50 = rolling_mean(volumes, LONG_SMA)
    out: list[dict[str, object]] = []
    for i, (day, volume, dollar_volume) in enumerate(rows):
        usable = sma50[i] is not None and sma50[i] != 0
        out.append(
            {
                "symbol": symbol,
                "date": day,
                "volume": volume,
                "dollar_volume": dollar_volume,
                "volume_sma20": sma20[i],
                "volume_sma50": sma50[i],
                "relative_volume": volume / sma50[i] if usable and volume is not None else None,
                "light_volume": sma5[i] / sma50[i] < LIGHT_VOLUME_RATIO if usable else None,
            }
        )
    return out


def _symbol_days(prices: pl.DataFrame, symbol: str) -> list[Day]:
    rows = prices.filter(pl.col("ticker") == symbol).sort("date")
    return [
        (day, volume, None if volume is None else close * volume)
        for day, close, volume in rows.select("date", "close", "volume").iter_rows()
    ]


def _universe_days(
    rows: list[Membership], observations: dict[str, dict[dt.date, Observation]]
) -> list[Day]:
    out: list[Day] = []
    for day, today in members_by_date(rows, observations).items():
        traded = [o for o in today.values() if o.volume is not None]
        out.append(
            (
                day,
                sum(o.volume for o in traded) if traded else None,
                sum(o.close * o.volume for o in traded) if traded else None,
            )
        )
    return out


def reference_liquidity(
    prices: pl.DataFrame,
    members: pl.DataFrame,
    *,
    symbols: tuple[str, ...] = LIQUIDITY_SYMBOLS,
    universes: tuple[str, ...] = ("large", "small"),
) -> pl.DataFrame:
    """Every column of ``marts.liquidity_daily``, one row per (symbol, date), from raw inputs."""
    prices = clean_prices(prices)
    by_universe = memberships(clean_members(members))
    observations = ticker_observations(prices)
    out: list[dict[str, object]] = []
    for symbol in symbols:
        out += volume_windows(_symbol_days(prices, symbol), symbol)
    for universe in universes:
        days = _universe_days(by_universe.get(universe, []), observations)
        out += volume_windows(days, UNIVERSE_PREFIX + universe)
    return pl.DataFrame(out, schema=OUTPUT_SCHEMA).sort("symbol", "date")
