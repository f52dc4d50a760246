"""The short summary of the latest day that `make run` prints."""

from __future__ import annotations

import duckdb

SUMMARY_SQL = """
WITH latest AS (
    SELECT max(date) AS date FROM marts.breadth_daily
),

benchmark_returns AS (
    SELECT
        max(ret_1d) FILTER (WHERE symbol = getvariable('large_benchmark')) AS large_ret,
        max(ret_1d) FILTER (WHERE symbol = getvariable('small_benchmark')) AS small_ret
    FROM staging.benchmark_prices
    WHERE date = (SELECT date FROM latest)
),

breadth AS (
    SELECT universe, advancers, decliners, unchanged, pct_above_sma50, coverage_pct
    FROM marts.breadth_daily
    WHERE date = (SELECT date FROM latest)
)

SELECT
    (SELECT date FROM latest) AS date,
    (SELECT large_ret FROM benchmark_returns) AS large_ret,
    (SELECT small_ret FROM benchmark_returns) AS small_ret,
    (SELECT list(breadth ORDER BY universe) FROM breadth) AS universes
"""


EXCLUSIONS_SQL = """
SELECT ticker, rule, span, from_date, to_date, bars
FROM staging.price_exclusions
ORDER BY event_date DESC, ticker
"""
EXCLUSIONS_SHOWN = 5


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:+.2f}%"


def latest_day_summary(con: duckdb.DuckDBPyConnection, large: str, small: str) -> str:
    """A few lines on the latest date: benchmark returns, their spread, and breadth."""
    con.execute("SET VARIABLE large_benchmark = ?", [large])
    con.execute("SET VARIABLE small_benchmark = ?", [small])
    day, large_ret, small_ret, universes = con.execute(SUMMARY_SQL).fetchall()[0]
    if day is None:
        return "The warehouse has no breadth rows yet."
    spread = None if large_ret is None or small_ret is None else small_ret - large_ret
    lines = [
        f"capgap, {day}",
        f"  {large} {_pct(large_ret)}   {small} {_pct(small_ret)}   "
        f"spread (small - large) {_pct(spread)}",
    ]
    for row in universes or []:
        above = "n/a" if row["pct_above_sma50"] is None else f"{row['pct_above_sma50']:.1f}%"
        covered = "n/a" if row["coverage_pct"] is None else f"{row['coverage_pct']:.1f}%"
        lines.append(
            f"  {row['universe']:<6} advancers {row['advancers']:>5}  decliners "
            f"{row['decliners']:>5}  unchanged {row['unchanged']:>4}  above SMA50 {above}"
            f"  priced {covered}"
        )
    return "\n".join(lines + _exclusion_lines(con))


def _exclusion_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The spans staging leaves out, latest first, the first few named."""
    spans = con.execute(EXCLUSIONS_SQL).fetchall()
    if not spans:
        return []
    series = len({ticker for ticker, *_ in spans})
    lines = [
        f"  left out of staging: {len(spans)} span(s) in {series} series "
        "(staging.price_exclusions has the rule and the evidence)"
    ]
    for ticker, rule, span, first, last, bars in spans[:EXCLUSIONS_SHOWN]:
        lines.append(f"    {ticker} {rule} ({span}): {first} to {last}, {bars} bar(s)")
    if len(spans) > EXCLUSIONS_SHOWN:
        lines.append(f"    and {len(spans) - EXCLUSIONS_SHOWN} more")
    return lines
