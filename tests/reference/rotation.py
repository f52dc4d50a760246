"""Independent reference implementation of ``marts.rotation_daily``.

From raw prices, following the mart's published definition ("Rotation" and its edge rule)
literally: an open approximation of relative rotation graphs, not the JdK formula.

Ambiguities in the spec and the reading taken here:

1. Symbols: the eleven sector ETFs and ``IWF IWD IJR MDY`` against ``benchmark`` (default
   ``SPY``), and ``IWM`` against ``small_etf_benchmark`` (default ``SPY``; the spec names
   SPY for IWM separately, so it stays SPY when ``benchmark`` is configured otherwise).
2. A symbol's rows are the dates on which both it and its benchmark have a close; every
   window (SMA_10, SMA_63, ``t-10``) counts those rows, not calendar dates. A symbol
   without such dates has no rows.
3. ``rs_ratio`` = ``100 * SMA_10(rs_line) / SMA_63(rs_line)``, null until 63 rows;
   ``rs_momentum`` = ``100 * rs_ratio(t) / rs_ratio(t-10)``, null until ``rs_ratio`` exists
   10 rows back (the 73rd row).
4. ``quadrant``: ``leading`` (ratio >= 100 and momentum >= 100), ``weakening`` (>= 100,
   < 100), ``lagging`` (< 100, < 100), ``improving`` (< 100, >= 100); both bounds inclusive
   at exactly 100; null while either is null.
5. Rows are ordered by ``symbol, date``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from tests.reference.divergence import own_series, rolling_mean

BENCHMARK = "SPY"
SECTOR_ETFS = ("XLB", "XLC", "XLE", "XLF", "XLI", "XLK", "XLP", "XLRE", "XLU", "XLV", "XLY")
STYLE_ETFS = ("IWF", "IWD", "IJR", "MDY")
SMALL_ETF = "IWM"
SHORT_SMA = 10
LONG_SMA = 63
MOMENTUM_LAG = 10
CENTER = 100.0

COLUMNS: list[str] = [
    "symbol",
    "date",
    "benchmark",
    "rs_line",
    "rs_ratio",
    "rs_momentum",
    "quadrant",
]
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "symbol": pl.String(),
    "date": pl.Date(),
    "benchmark": pl.String(),
    "rs_line": pl.Float64(),
    "rs_ratio": pl.Float64(),
    "rs_momentum": pl.Float64(),
    "quadrant": pl.String(),
}


def quadrant(ratio: float | None, momentum: float | None) -> str | None:
    """The rotation quadrant of a (ratio, momentum) point; None while either is null."""
    if ratio is None or momentum is None:
        return None
    if ratio >= CENTER:
        return "leading" if momentum >= CENTER else "weakening"
    return "improving" if momentum >= CENTER else "lagging"


def _symbol_rows(
    symbol: str, benchmark: str, closes: dict[dt.date, float], bench: dict[dt.date, float]
) -> list[dict[str, object]]:
    """The rows of one symbol against its benchmark, on the dates both have a close."""
    days = sorted(set(closes) & set(bench))
    rs_line = [closes[day] / bench[day] for day in days]
    short, long = rolling_mean(rs_line, SHORT_SMA), rolling_mean(rs_line, LONG_SMA)
    ratio = [
        None if s is None or lg is None else CENTER * s / lg
        for s, lg in zip(short, long, strict=True)
    ]
    out: list[dict[str, object]] = []
    for i, day in enumerate(days):
        back = ratio[i - MOMENTUM_LAG] if i >= MOMENTUM_LAG else None
        momentum = None if ratio[i] is None or back is None else CENTER * ratio[i] / back
        out.append(
            {
                "symbol": symbol,
                "date": day,
                "benchmark": benchmark,
                "rs_line": rs_line[i],
                "rs_ratio": ratio[i],
                "rs_momentum": momentum,
                "quadrant": quadrant(ratio[i], momentum),
            }
        )
    return out


def reference_rotation(
    prices: pl.DataFrame,
    *,
    benchmark: str = BENCHMARK,
    symbols: tuple[str, ...] = SECTOR_ETFS + STYLE_ETFS,
    small_etf: str = SMALL_ETF,
    small_etf_benchmark: str = BENCHMARK,
) -> pl.DataFrame:
    """Every column of ``marts.rotation_daily``, one row per (symbol, date), from raw prices."""
    pairs = [(symbol, benchmark) for symbol in symbols] + [(small_etf, small_etf_benchmark)]
    out: list[dict[str, object]] = []
    for symbol, bench in pairs:
        out += _symbol_rows(
            symbol, bench, dict(own_series(prices, symbol)), dict(own_series(prices, bench))
        )
    return pl.DataFrame(out, schema=OUTPUT_SCHEMA).sort("symbol", "date")
