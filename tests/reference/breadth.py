"""Independent reference implementation of ``marts.breadth_daily``.

Computed straight from raw prices and membership rows, following
the mart's published definition ("Breadth" and its edge rules) literally, with plain loops over the
dates of each universe. It is a test oracle: clarity over speed.

Ambiguities in the spec and the reading taken here:

1. "Dates before the first membership snapshot use the earliest snapshot": per universe, the
   membership rows whose ``valid_from`` equals that universe's earliest ``valid_from`` also
   count on every earlier date. Their ``valid_to`` still applies.
2. Membership is ``valid_from <= t <= valid_to`` with both ends inclusive; a null
   ``valid_to`` is open-ended. A ticker counts once per (universe, date), however many of its
   membership rows cover t.
3. A "price row" is a row with a non-null close; rows with a null close are dropped before
   anything else, so they neither create breadth rows nor count as observations in a
   member's windows. ``(ticker, date)`` must be unique in ``prices`` (else ``ValueError``).
4. A member's series is all of its own price rows in date order, member or not on those
   days: the previous close, SMA_50, SMA_200 and the previous 251 closes (52-week high/low)
   are taken over that series. A missing day (halt) is simply not an observation. Closes
   are compared exactly as float64 (equal decimal prices parse to equal doubles).
5. Rows exist for each date on which at least one point-in-time member of the universe has
   a price row, even if none of them is an issue (0 issues: ratio 0, Zweig ratio null,
   arms null). Dates with no member price row have no row, and every "n-day" or EMA
   window below runs over the universe's rows, not over calendar or benchmark dates.
6. ``pct_above_smaN``: the denominator is the members with a close on t and a non-null
   SMA_N on t; "above" is strict (``close > SMA``); null when the denominator is 0.
   The mean of the last N closes is exact in the decimals the closes are written in
   (2.00 against 24 closes of 1.99, 24 of 2.01 and two of 2.00 is a tie, not above),
   then compared in float64.
7. ``new_highs_52w`` / ``new_lows_52w`` need 251 earlier closes of the member's own series;
   comparisons are strict, so equalling the previous extreme is neither a high nor a low.
8. ``up_volume`` / ``down_volume`` are sums over advancers / decliners; an empty sum is 0
   (not null) and a null volume adds nothing. ``unchanged`` members add to neither.
9. ``arms_index`` is null when any of advancers, decliners, up_volume, down_volume is 0.
10. McClellan EMAs run over every row of the universe (RANA is never null), seeded with the
    first row's RANA; ``ad_line`` and ``mcclellan_summation`` are running sums from the
    first row.
11. Zweig: the ratio is null when advancers + decliners = 0; EMA_10 runs over the non-null
    ratios only (seeded with the first) and is null on null days. The thrust is null when
    the EMA is null; otherwise it is ``EMA > 0.615`` and some of the up to 10 previous
    non-null EMA values (counted in non-null values, not rows) is ``< 0.40``; false when
    there are none. Both comparisons are strict.
12. ``high_low_index``: over the last 10 rows of the universe including t, null until the
    universe has 10 rows; the mean of the non-null ``record_high_percent`` among them, null
    if all 10 are null.
13. ``arms_index_10d``: the mean of ``arms_index`` over the last 10 rows including t, null
    until 10 rows exist or if any of the 10 is null.
14. ``members`` counts the point-in-time members of the universe on t (the membership reading
    of notes 1-2, each ticker once however many of its rows cover t), whether or not they
    have a price row on t: a halted member, one not yet listed (its first price comes later)
    or one delisted while its membership row still covers t all count. ``coverage_pct`` is
    ``100 * (members with a price row on t) / members``, so it can be below 100; it is null
    when ``members`` is 0 (which a row never has, since a row needs a member price row).
    The row set is that of note 5: a date on which no member has a price row still has no row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

SMA_SHORT = 50
SMA_LONG = 200
HIGH_LOW_LOOKBACK = 251
MCCLELLAN_FAST = 19
MCCLELLAN_SLOW = 39
ZWEIG_SPAN = 10
ZWEIG_HIGH = 0.615
ZWEIG_LOW = 0.40
ZWEIG_LOOKBACK = 10
ROLLING_ROWS = 10

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "universe": pl.String(),
    "date": pl.Date(),
    "issues": pl.Int64(),
    "advancers": pl.Int64(),
    "decliners": pl.Int64(),
    "unchanged": pl.Int64(),
    "net_advances": pl.Int64(),
    "ad_line": pl.Int64(),
    "ratio_adjusted_net_advances": pl.Float64(),
    "mcclellan_oscillator": pl.Float64(),
    "mcclellan_summation": pl.Float64(),
    "pct_above_sma50": pl.Float64(),
    "pct_above_sma200": pl.Float64(),
    "new_highs_52w": pl.Int64(),
    "new_lows_52w": pl.Int64(),
    "up_volume": pl.Int64(),
    "down_volume": pl.Int64(),
    "arms_index": pl.Float64(),
    "zweig_ema10": pl.Float64(),
    "zweig_thrust": pl.Boolean(),
    "net_new_highs": pl.Int64(),
    "record_high_percent": pl.Float64(),
    "high_low_index": pl.Float64(),
    "arms_index_10d": pl.Float64(),
    "members": pl.Int64(),
    "coverage_pct": pl.Float64(),
}


@dataclass(frozen=True)
class Observation:
    """One price row of a ticker with the windows of its own series (None = not full)."""

    close: float
    volume: int | None
    prev_close: float | None
    sma50: float | None
    sma200: float | None
    prev_max251: float | None
    prev_min251: float | None


@dataclass(frozen=True)
class Membership:
    """One membership row, with the earliest-snapshot back-fill already applied.

    ``start`` is None for the universe's earliest snapshot; ``valid_from`` keeps the row's
    own date, which orders overlapping rows (``name`` and ``sector`` come from the latest).
    """

    ticker: str
    start: dt.date | None
    end: dt.date | None
    valid_from: dt.date | None = None
    name: str | None = None
    sector: str | None = None

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` falls in this row (both ends inclusive, None = open)."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def _none_if_nan(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _trailing_mean(closes: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values including each position, exact in the decimals
    the values are written in, then the nearest float; NaN until full."""
    out = np.full(len(closes), np.nan)
    written = [Fraction(repr(float(close))) for close in closes]
    total = Fraction(0)
    for i, value in enumerate(written):
        total += value
        if i >= window:
            total -= written[i - window]
        if i >= window - 1:
            out[i] = float(total / window)
    return out


def _previous_extreme(closes: np.ndarray, window: int, func: np.ufunc) -> np.ndarray:
    """``func`` over the ``window`` values strictly before each position; NaN until full."""
    out = np.full(len(closes), np.nan)
    if len(closes) > window:
        out[window:] = func.reduce(sliding_window_view(closes[:-1], window), axis=1)
    return out


def ticker_observations(prices: pl.DataFrame) -> dict[str, dict[dt.date, Observation]]:
    """Per ticker, per date: the close, volume and the windows over its own series."""
    result: dict[str, dict[dt.date, Observation]] = {}
    for (ticker,), rows in prices.sort("ticker", "date").group_by("ticker", maintain_order=True):
        dates = rows["date"].to_list()
        volumes = rows["volume"].to_list()
        closes = rows["close"].to_numpy().astype(np.float64)
        prev = np.concatenate([[np.nan], closes[:-1]])
        sma50 = _trailing_mean(closes, SMA_SHORT)
        sma200 = _trailing_mean(closes, SMA_LONG)
        hi = _previous_extreme(closes, HIGH_LOW_LOOKBACK, np.maximum)
        lo = _previous_extreme(closes, HIGH_LOW_LOOKBACK, np.minimum)
        result[ticker] = {
            dates[i]: Observation(
                close=float(closes[i]),
                volume=None if volumes[i] is None else int(volumes[i]),
                prev_close=_none_if_nan(prev[i]),
                sma50=_none_if_nan(sma50[i]),
                sma200=_none_if_nan(sma200[i]),
                prev_max251=_none_if_nan(hi[i]),
                prev_min251=_none_if_nan(lo[i]),
            )
            for i in range(len(dates))
        }
    return result


def memberships(members: pl.DataFrame) -> dict[str, list[Membership]]:
    """Membership rows per universe; earliest-snapshot rows get an open start."""
    result: dict[str, list[Membership]] = {}
    for (universe,), rows in members.sort("universe").group_by("universe", maintain_order=True):
        earliest = rows["valid_from"].min()
        result[universe] = [
            Membership(
                ticker=row["ticker"],
                start=None if row["valid_from"] == earliest else row["valid_from"],
                end=row["valid_to"],
                valid_from=row["valid_from"],
                name=row.get("name"),
                sector=row.get("sector"),
            )
            for row in rows.iter_rows(named=True)
        ]
    return result


def members_by_date(
    rows: list[Membership], observations: dict[str, dict[dt.date, Observation]]
) -> dict[dt.date, dict[str, Observation]]:
    """Per date, the point-in-time members of one universe that have a price row on it."""
    by_date: dict[dt.date, dict[str, Observation]] = {}
    for ticker in sorted({m.ticker for m in rows}):
        own_rows = [m for m in rows if m.ticker == ticker]
        for day, obs in observations.get(ticker, {}).items():
            if any(m.covers(day) for m in own_rows):
                by_date.setdefault(day, {})[ticker] = obs
    return dict(sorted(by_date.items()))


def membership_on(rows: list[Membership], ticker: str, day: dt.date) -> Membership | None:
    """The row of ``ticker`` covering ``day`` with the latest ``valid_from`` (None if none)."""
    covering = [m for m in rows if m.ticker == ticker and m.covers(day)]
    return max(covering, key=lambda m: m.valid_from or dt.date.min, default=None)


def members_on(rows: list[Membership], day: dt.date) -> list[str]:
    """The point-in-time members of one universe on ``day``, each ticker once, sorted.

    Priced or not: a member with no price row on ``day`` is still a member.
    """
    return sorted({m.ticker for m in rows if m.covers(day)})


def coverage_pct(priced: int, members: int) -> float | None:
    """``100 * priced / members``: the share of members with a price row; None if no members."""
    return None if members == 0 else 100.0 * priced / members


def clean_prices(prices: pl.DataFrame) -> pl.DataFrame:
    """``ticker, date, close, volume`` typed, rows without a close dropped, keys unique."""
    prices = prices.select(
        pl.col("ticker").cast(pl.String),
        pl.col("date").cast(pl.Date),
        pl.col("close").cast(pl.Float64),
        pl.col("volume").cast(pl.Int64),
    ).filter(pl.col("close").is_not_null())
    if prices.select(pl.struct("ticker", "date").is_duplicated().any()).item():
        raise ValueError("prices has duplicate (ticker, date) rows")
    return prices


def clean_members(members: pl.DataFrame) -> pl.DataFrame:
    """Membership rows typed; ``name`` and ``sector`` are null when the frame has none."""
    return members.select(
        pl.col("universe").cast(pl.String),
        pl.col("ticker").cast(pl.String),
        pl.col("valid_from").cast(pl.Date),
        pl.col("valid_to").cast(pl.Date),
        *[
            pl.col(c).cast(pl.String) if c in members.columns else pl.lit(None, pl.String).alias(c)
            for c in ("name", "sector")
        ],
    )


def _ema(values: list[float], span: int) -> list[float]:
    """``ewm(span, adjust=False)``: seeded with the first value."""
    alpha = 2.0 / (span + 1)
    out: list[float] = []
    for x in values:
        out.append(x if not out else alpha * x + (1 - alpha) * out[-1])
    return out


def pct_above(closes_and_smas: list[tuple[float, float | None]]) -> float | None:
    """100 * share of (close, sma) pairs with a non-null SMA where close > SMA."""
    with_sma = [(close, sma) for close, sma in closes_and_smas if sma is not None]
    if not with_sma:
        return None
    return 100.0 * sum(close > sma for close, sma in with_sma) / len(with_sma)


def _day_row(members_today: list[Observation]) -> dict[str, object]:
    """The cross-sectional columns of one (universe, date) from its members' observations."""
    issues = [o for o in members_today if o.prev_close is not None]
    adv = [o for o in issues if o.close > o.prev_close]
    dec = [o for o in issues if o.close < o.prev_close]
    unch = [o for o in issues if o.close == o.prev_close]
    up_volume = sum(o.volume for o in adv if o.volume is not None)
    down_volume = sum(o.volume for o in dec if o.volume is not None)
    highs = sum(1 for o in members_today if o.prev_max251 is not None and o.close > o.prev_max251)
    lows = sum(1 for o in members_today if o.prev_min251 is not None and o.close < o.prev_min251)
    a, d = len(adv), len(dec)
    arms = None if 0 in (a, d, up_volume, down_volume) else (a / d) / (up_volume / down_volume)
    return {
        "issues": len(issues),
        "advancers": a,
        "decliners": d,
        "unchanged": len(unch),
        "net_advances": a - d,
        "ratio_adjusted_net_advances": 0.0 if a + d == 0 else 1000.0 * (a - d) / (a + d),
        "pct_above_sma50": pct_above([(o.close, o.sma50) for o in members_today]),
        "pct_above_sma200": pct_above([(o.close, o.sma200) for o in members_today]),
        "new_highs_52w": highs,
        "new_lows_52w": lows,
        "up_volume": up_volume,
        "down_volume": down_volume,
        "arms_index": arms,
        "zweig_ratio": None if a + d == 0 else a / (a + d),
        "net_new_highs": highs - lows,
        "record_high_percent": None if highs + lows == 0 else 100.0 * highs / (highs + lows),
    }


def _add_time_series(rows: list[dict[str, object]]) -> None:
    """Fill the columns that depend on earlier rows of the same universe, in place."""
    rana = [float(r["ratio_adjusted_net_advances"]) for r in rows]
    fast, slow = _ema(rana, MCCLELLAN_FAST), _ema(rana, MCCLELLAN_SLOW)
    oscillator = [f - s for f, s in zip(fast, slow, strict=True)]
    ad_line = 0
    summation = 0.0
    zweig_prev: float | None = None
    zweig_history: list[float] = []
    for i, row in enumerate(rows):
        ad_line += int(row["net_advances"])
        summation += oscillator[i]
        row["ad_line"] = ad_line
        row["mcclellan_oscillator"] = oscillator[i]
        row["mcclellan_summation"] = summation

        ratio = row.pop("zweig_ratio")
        if ratio is None:
            row["zweig_ema10"] = None
            row["zweig_thrust"] = None
        else:
            alpha = 2.0 / (ZWEIG_SPAN + 1)
            ema = ratio if zweig_prev is None else alpha * ratio + (1 - alpha) * zweig_prev
            lookback = zweig_history[-ZWEIG_LOOKBACK:]
            row["zweig_ema10"] = ema
            row["zweig_thrust"] = ema > ZWEIG_HIGH and any(v < ZWEIG_LOW for v in lookback)
            zweig_history.append(ema)
            zweig_prev = ema

        if i + 1 < ROLLING_ROWS:
            row["high_low_index"] = None
            row["arms_index_10d"] = None
            continue
        window = rows[i + 1 - ROLLING_ROWS : i + 1]
        rhp = [w["record_high_percent"] for w in window if w["record_high_percent"] is not None]
        row["high_low_index"] = sum(rhp) / len(rhp) if rhp else None
        arms = [w["arms_index"] for w in window]
        row["arms_index_10d"] = None if None in arms else sum(arms) / len(arms)


def reference_breadth(prices: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Every column of ``marts.breadth_daily``, one row per (universe, date), from raw inputs.

    ``prices`` needs ``ticker, date, close, volume``; ``members`` needs
    ``universe, ticker, valid_from, valid_to``. Other columns are ignored.
    """
    observations = ticker_observations(clean_prices(prices))

    out: list[dict[str, object]] = []
    for universe, rows_of_universe in sorted(memberships(clean_members(members)).items()):
        by_date = members_by_date(rows_of_universe, observations)
        rows: list[dict[str, object]] = []
        for day, today in by_date.items():
            count = len(members_on(rows_of_universe, day))
            rows.append(
                {
                    "universe": universe,
                    "date": day,
                    **_day_row(list(today.values())),
                    "members": count,
                    "coverage_pct": coverage_pct(len(today), count),
                }
            )
        _add_time_series(rows)
        out.extend(rows)

    return pl.DataFrame(out, schema=OUTPUT_SCHEMA)
