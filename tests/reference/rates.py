"""Independent reference implementations of ``marts.rates_daily`` and ``marts.rate_sensitivity``.

From raw prices (for the calendar and the benchmark spread) and raw rates, following
the mart's published definition ("Rates" and the Rates / Rate sensitivity edge rules) literally.

Ambiguities in the spec and the reading taken here:

1. One row per trading date (the dates of ``^GSPC``, see ``divergence.py``), date order.
2. Column order is the table's: ``ust_3m, ust_5y, ust_10y, ust_30y, ust_2y, fed_funds,
   cpi_index, curve_10y_2y, curve_10y_3m, ust_10y_change_21d_bp, fed_funds_change_63d_bp,
   cpi_yoy`` (after ``date``).
3. Daily series (all but ``cpi_index``) are known from their observation date: the value on
   t is the one with the latest date <= t (weekend and holiday observations count), null
   before the first observation. Rows with a null value are ignored; series not listed
   above are ignored.
4. ``cpi_index`` rows are monthly: a row's month is the (year, month) of its date, and it is
   known from day ``cpi_release_day`` (default 15) of the following month. The value on t is
   that of the latest month whose release is <= t.
5. ``cpi_yoy`` = 100 * (CPI(M) / CPI(M-12) - 1) with M the month used for ``cpi_index`` on
   t and CPI(M-12) the row of the month twelve months earlier (its own release long past);
   null when that row does not exist.
6. Curves are ``ust_10y - ust_2y`` and ``ust_10y - ust_3m`` on the as-of values, null if
   either side is null. The n-day changes are ``100 * (x(t) - x(t-n))`` with ``t-n`` n rows
   back in this mart; null until n earlier rows exist or when either value is null.
7. Rate sensitivity: x(t) = ``100 * (ust_10y(t) - ust_10y(t-1))`` on consecutive rows of the
   as-of series (so 0 on a day with no new yield; null on the first row or before the first
   yield); y(t) = ``spread_1d`` of the benchmark pair (``divergence.py``). Over the last 63
   rows including t, ``beta_63d`` = cov(x, y) / var(x) and ``corr_63d`` = Pearson r; both
   null until 63 rows exist, if any x or y in the window is null, or if var(x) is 0 (and
   the correlation also if var(y) is 0).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from tests.reference.divergence import (
    LARGE_BENCHMARK,
    SMALL_BENCHMARK,
    benchmark_rows,
    complete,
    difference,
    rolling_corr,
    trading_calendar,
    windows,
)

DAILY_SERIES = ("ust_3m", "ust_5y", "ust_10y", "ust_30y", "ust_2y", "fed_funds")
MONTHLY_SERIES = "cpi_index"
CPI_RELEASE_DAY = 15
MONTHS_PER_YEAR = 12
UST_10Y_CHANGE_DAYS = 21
FED_FUNDS_CHANGE_DAYS = 63
BASIS_POINTS = 100.0
SENSITIVITY_WINDOW = 63

COLUMNS: list[str] = [
    "date",
    *DAILY_SERIES,
    MONTHLY_SERIES,
    "curve_10y_2y",
    "curve_10y_3m",
    "ust_10y_change_21d_bp",
    "fed_funds_change_63d_bp",
    "cpi_yoy",
]
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    c: pl.Date() if c == "date" else pl.Float64() for c in COLUMNS
}
SENSITIVITY_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "beta_63d": pl.Float64(),
    "corr_63d": pl.Float64(),
}

Month = tuple[int, int]


def _observations(rates: pl.DataFrame, series: str) -> list[tuple[dt.date, float]]:
    """(date, value) of one series with a value, in date order."""
    rows = (
        rates.select(
            pl.col("series").cast(pl.String),
            pl.col("date").cast(pl.Date),
            pl.col("value").cast(pl.Float64),
        )
        .filter((pl.col("series") == series) & pl.col("value").is_not_null())
        .sort("date")
    )
    return list(zip(rows["date"].to_list(), rows["value"].to_list(), strict=True))


def as_of(observations: list[tuple[dt.date, float]], day: dt.date) -> float | None:
    """The value with the latest date on or before ``day``; None before the first."""
    known = [value for date, value in observations if date <= day]
    return known[-1] if known else None


def release_date(month: Month, release_day: int) -> dt.date:
    """The day a monthly value is known: ``release_day`` of the following month."""
    year, m = month
    return dt.date(year + m // MONTHS_PER_YEAR, m % MONTHS_PER_YEAR + 1, release_day)


def month_back(month: Month, months: int) -> Month:
    """The month ``months`` before ``month``."""
    index = month[0] * MONTHS_PER_YEAR + month[1] - 1 - months
    return index // MONTHS_PER_YEAR, index % MONTHS_PER_YEAR + 1


def change_bp(values: list[float | None], n: int) -> list[float | None]:
    """``100 * (x(t) - x(t-n))`` with t-n n rows back; null until then or on a null."""
    out: list[float | None] = []
    for i, value in enumerate(values):
        delta = difference(value, values[i - n]) if i >= n else None
        out.append(None if delta is None else BASIS_POINTS * delta)
    return out


def reference_rates_daily(
    prices: pl.DataFrame,
    rates: pl.DataFrame,
    *,
    calendar_symbol: str = LARGE_BENCHMARK,
    cpi_release_day: int = CPI_RELEASE_DAY,
) -> pl.DataFrame:
    """Every column of ``marts.rates_daily``, one row per trading date, from raw inputs."""
    calendar = trading_calendar(prices, calendar_symbol)
    rows: list[dict[str, object]] = [{"date": day} for day in calendar]
    for series in DAILY_SERIES:
        observations = _observations(rates, series)
        for row in rows:
            row[series] = as_of(observations, row["date"])

    cpi = {(d.year, d.month): v for d, v in _observations(rates, MONTHLY_SERIES)}
    for row in rows:
        known = [m for m in cpi if release_date(m, cpi_release_day) <= row["date"]]
        latest = max(known, default=None)
        base = None if latest is None else cpi.get(month_back(latest, MONTHS_PER_YEAR))
        row[MONTHLY_SERIES] = None if latest is None else cpi[latest]
        row["cpi_yoy"] = None if base is None else 100.0 * (cpi[latest] / base - 1)
        row["curve_10y_2y"] = difference(row["ust_10y"], row["ust_2y"])
        row["curve_10y_3m"] = difference(row["ust_10y"], row["ust_3m"])

    ust_change = change_bp([row["ust_10y"] for row in rows], UST_10Y_CHANGE_DAYS)
    fed_change = change_bp([row["fed_funds"] for row in rows], FED_FUNDS_CHANGE_DAYS)
    for row, ust, fed in zip(rows, ust_change, fed_change, strict=True):
        row["ust_10y_change_21d_bp"] = ust
        row["fed_funds_change_63d_bp"] = fed
    return pl.DataFrame([{c: row[c] for c in COLUMNS} for row in rows], schema=OUTPUT_SCHEMA)


def rolling_beta(x: list[float | None], y: list[float | None], n: int) -> list[float | None]:
    """OLS slope of y on x with intercept, cov / var, over the last n rows."""
    out: list[float | None] = []
    for wx, wy in zip(windows(x, n), windows(y, n), strict=True):
        ax, ay = complete(wx), complete(wy)
        if ax is None or ay is None:
            out.append(None)
            continue
        dx = ax - ax.mean()
        var = float((dx * dx).sum())
        out.append(None if var == 0 else float((dx * (ay - ay.mean())).sum() / var))
    return out


def reference_rate_sensitivity(
    prices: pl.DataFrame,
    rates: pl.DataFrame,
    *,
    large_benchmark: str = LARGE_BENCHMARK,
    small_benchmark: str = SMALL_BENCHMARK,
) -> pl.DataFrame:
    """``marts.rate_sensitivity``: per trading date, ``beta_63d`` and ``corr_63d``."""
    daily = reference_rates_daily(prices, rates, calendar_symbol=large_benchmark)
    ust = daily["ust_10y"].to_list()
    x = change_bp(ust, 1)
    spread = benchmark_rows(
        prices, large_benchmark=large_benchmark, small_benchmark=small_benchmark
    )
    y = [row["spread_1d"] for row in spread]
    return pl.DataFrame(
        {
            "date": daily["date"],
            "beta_63d": rolling_beta(x, y, SENSITIVITY_WINDOW),
            "corr_63d": rolling_corr(x, y, SENSITIVITY_WINDOW),
        },
        schema=SENSITIVITY_SCHEMA,
    )
