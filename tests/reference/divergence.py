"""Independent reference implementation of ``marts.divergence_daily``.

Straight from raw prices and membership rows, following the mart's published definition
("Divergence" and the Calendar edge rule) literally. It also holds the small series helpers
(calendar, own-series returns, rolling windows) that the other references reuse.

Ambiguities in the spec and the reading taken here:

1. The calendar is the dates on which the large benchmark of the pair (default ``^GSPC``)
   has a price row with a close; one output row per such date, in date order.
2. Column order: ``date``, ``large_close``, ``small_close``, ``large_ret_{1,5,21,63,252}d``,
   then ``small_ret_{1,5,21,63,252}d``, then ``spread_{1,5,21,63,252}d``, then the rest in
   the table's order.
3. ``ret_nd``, closes and drawdowns of a benchmark come from its own price rows (a day it
   misses is not an observation: the next day's ``ret_1d`` spans the gap) and are
   left-joined onto the calendar, so they are null on a calendar date it misses. A date
   the benchmark has but the calendar lacks still counts in its own series, but has no row.
4. ``spread_nd`` and ``relative_strength`` are null when either side is null.
5. Rolling windows (``relative_strength_z63``, ``corr_21d``, ``corr_63d``) run over the
   last n rows of this mart (calendar dates) including t: null until n rows exist, null if
   any value in the window is null, null if a standard deviation (ddof = 1) is 0. The
   correlation is of ``large_ret_1d`` with ``small_ret_1d``.
6. A drawdown's running max starts at the benchmark's first stored close and includes t.
7. ``breadth_gap_sma50`` is ``pct_above_sma50`` of universe ``small`` minus that of
   ``large`` on t from ``breadth_daily``; null if either row is missing or null.
8. ``large_near_high`` is ``large_drawdown >= -near_high_threshold`` (inclusive), null when
   the drawdown is null.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl

from tests.reference.breadth import clean_prices, reference_breadth

LARGE_BENCHMARK = "^GSPC"
SMALL_BENCHMARK = "^RUT"
HORIZONS = (1, 5, 21, 63, 252)
Z_WINDOW = 63
CORR_WINDOWS = (21, 63)
NEAR_HIGH_THRESHOLD = 0.02

COLUMNS: list[str] = [
    "date",
    "large_close",
    "small_close",
    *[f"large_ret_{n}d" for n in HORIZONS],
    *[f"small_ret_{n}d" for n in HORIZONS],
    *[f"spread_{n}d" for n in HORIZONS],
    "relative_strength",
    "relative_strength_z63",
    "corr_21d",
    "corr_63d",
    "large_drawdown",
    "small_drawdown",
    "breadth_gap_sma50",
    "large_near_high",
]
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    c: pl.Date() if c == "date" else pl.Boolean() if c == "large_near_high" else pl.Float64()
    for c in COLUMNS
}

Value = float | None


def own_series(prices: pl.DataFrame, symbol: str) -> list[tuple[dt.date, float]]:
    """(date, close) of one symbol's own price rows with a close, in date order."""
    rows = clean_prices(prices).filter(pl.col("ticker") == symbol).sort("date")
    return list(zip(rows["date"].to_list(), rows["close"].to_list(), strict=True))


def trading_calendar(prices: pl.DataFrame, symbol: str = LARGE_BENCHMARK) -> list[dt.date]:
    """The trading dates: the dates of ``symbol`` (the large benchmark) with a close."""
    return [day for day, _ in own_series(prices, symbol)]


def own_returns(series: list[tuple[dt.date, float]], n: int) -> dict[dt.date, float]:
    """``close(t) / close(t-n) - 1`` over the series' own observations, where defined."""
    return {series[i][0]: series[i][1] / series[i - n][1] - 1 for i in range(n, len(series))}


def own_drawdowns(series: list[tuple[dt.date, float]]) -> dict[dt.date, float]:
    """``close / running max(close) - 1`` from the first stored close, including t."""
    out: dict[dt.date, float] = {}
    peak = -math.inf
    for day, close in series:
        peak = max(peak, close)
        out[day] = close / peak - 1
    return out


def windows(values: list[Value], n: int) -> list[list[Value] | None]:
    """For each position, the last ``n`` values including it; None until n exist."""
    return [values[i + 1 - n : i + 1] if i + 1 >= n else None for i in range(len(values))]


def complete(window: list[Value] | None) -> np.ndarray | None:
    """The window as an array, or None if it is missing or holds a null."""
    if window is None or any(v is None for v in window):
        return None
    return np.array(window, dtype=np.float64)


def rolling_mean(values: list[Value], n: int) -> list[Value]:
    """``SMA_n``: null until n values exist and while any of the n is null."""
    out: list[Value] = []
    for window in windows(values, n):
        w = complete(window)
        out.append(None if w is None else float(w.mean()))
    return out


def rolling_zscore(values: list[Value], n: int) -> list[Value]:
    """``(x - SMA_n(x)) / std_n(x)`` (ddof 1); null on a null in the window or a 0 std."""
    out: list[Value] = []
    for window in windows(values, n):
        w = complete(window)
        std = None if w is None else float(w.std(ddof=1))
        out.append(None if w is None or std == 0 else float((w[-1] - w.mean()) / std))
    return out


def rolling_corr(x: list[Value], y: list[Value], n: int) -> list[Value]:
    """Pearson correlation over the last n pairs; null on a null or a 0 deviation."""
    out: list[Value] = []
    for wx, wy in zip(windows(x, n), windows(y, n), strict=True):
        ax, ay = complete(wx), complete(wy)
        if ax is None or ay is None:
            out.append(None)
            continue
        dx, dy = ax - ax.mean(), ay - ay.mean()
        sxx, syy = float((dx * dx).sum()), float((dy * dy).sum())
        out.append(None if sxx == 0 or syy == 0 else float((dx * dy).sum() / math.sqrt(sxx * syy)))
    return out


def difference(a: Value, b: Value) -> Value:
    """``a - b``, null if either is null."""
    return None if a is None or b is None else a - b


def benchmark_rows(
    prices: pl.DataFrame,
    *,
    large_benchmark: str = LARGE_BENCHMARK,
    small_benchmark: str = SMALL_BENCHMARK,
) -> list[dict[str, object]]:
    """Per calendar date: closes, returns, spreads, relative strength, correlations, drawdowns."""
    large = own_series(prices, large_benchmark)
    small = own_series(prices, small_benchmark)
    calendar = [day for day, _ in large]
    sides = {"large": large, "small": small}
    rows: list[dict[str, object]] = [{"date": day} for day in calendar]
    for side, series in sides.items():
        closes = dict(series)
        drawdowns = own_drawdowns(series)
        returns = {n: own_returns(series, n) for n in HORIZONS}
        for row in rows:
            day = row["date"]
            row[f"{side}_close"] = closes.get(day)
            row[f"{side}_drawdown"] = drawdowns.get(day)
            for n in HORIZONS:
                row[f"{side}_ret_{n}d"] = returns[n].get(day)
    for row in rows:
        for n in HORIZONS:
            row[f"spread_{n}d"] = difference(row[f"small_ret_{n}d"], row[f"large_ret_{n}d"])
        small_close, large_close = row["small_close"], row["large_close"]
        row["relative_strength"] = (
            None if small_close is None or large_close is None else small_close / large_close
        )
    rs = [row["relative_strength"] for row in rows]
    large_ret = [row["large_ret_1d"] for row in rows]
    small_ret = [row["small_ret_1d"] for row in rows]
    for i, z in enumerate(rolling_zscore(rs, Z_WINDOW)):
        rows[i]["relative_strength_z63"] = z
    for n in CORR_WINDOWS:
        for i, corr in enumerate(rolling_corr(large_ret, small_ret, n)):
            rows[i][f"corr_{n}d"] = corr
    return rows


def reference_divergence(
    prices: pl.DataFrame,
    members: pl.DataFrame,
    *,
    large_benchmark: str = LARGE_BENCHMARK,
    small_benchmark: str = SMALL_BENCHMARK,
    near_high_threshold: float = NEAR_HIGH_THRESHOLD,
) -> pl.DataFrame:
    """Every column of ``marts.divergence_daily``, one row per trading date, from raw inputs."""
    rows = benchmark_rows(prices, large_benchmark=large_benchmark, small_benchmark=small_benchmark)
    breadth = reference_breadth(prices, members)
    pct50 = {
        (u, d): v for u, d, v in breadth.select("universe", "date", "pct_above_sma50").iter_rows()
    }
    for row in rows:
        day = row["date"]
        row["breadth_gap_sma50"] = difference(pct50.get(("small", day)), pct50.get(("large", day)))
        drawdown = row["large_drawdown"]
        row["large_near_high"] = None if drawdown is None else drawdown >= -near_high_threshold
    return pl.DataFrame([{c: row[c] for c in COLUMNS} for row in rows], schema=OUTPUT_SCHEMA)
