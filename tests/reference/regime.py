"""Independent reference implementation of ``marts.market_regime``, the daily tape.

Built only from the other references (``divergence.py``, ``breadth.py``, ``rates.py``,
``liquidity.py``), following the mart's published definition ("Regime") literally.

Ambiguities in the spec and the reading taken here:

1. One row per trading date (the dates of the large benchmark, ``^GSPC``); every input is
   left-joined on date, so a date missing from a source mart gives nulls.
2. ``large_pct_above_sma50`` / ``small_pct_above_sma50`` are ``pct_above_sma50`` of the
   universes ``large`` / ``small`` in ``breadth_daily``.
3. ``regime``: null if any of ``large_ret_21d, small_ret_21d, large_pct_above_sma50,
   small_pct_above_sma50, spread_63d`` is null; else the first that holds of
   ``broad_decline`` (both returns < 0, both pcts <= 40), ``broad_rally`` (both returns > 0,
   both pcts >= 60), ``small_cap_leadership`` (spread_63d >= 0.05),
   ``large_cap_leadership`` (spread_63d <= -0.05), ``mixed``. Comparisons as written (strict
   for the returns, inclusive for the thresholds).
4. Signals are SQL three-valued: ``rate_relief = (ust_10y_change_21d_bp <= -25) OR
   (fed_funds_change_63d_bp < 0)``, ``breadth_breakout = (corr_21d >= 0.8) AND
   (small_pct_above_sma50 >= 60)``, ``liquidity_returning = days_5d >= 3``; a comparison
   with a null is null, ``true OR null`` is true, ``false AND null`` is false.
5. ``small_etf_relative_volume`` is the small ETF's (``IWM``) ``relative_volume`` in
   ``liquidity_daily`` on t. ``small_etf_high_volume_days_5d`` is computed on the ETF's own
   liquidity rows (the 5 rows ending at its row on t, as a benchmark's returns are) and
   left-joined: null when the ETF has no row on t, fewer than 5 rows so far, or a null
   ``relative_volume`` among the 5; else the count with ``relative_volume >= 1.2``.
6. ``headline``, a deterministic template, the clauses joined by ``"; "`` and ended by
   ``"."``; a clause whose input is null is left out, and the headline is null when all three
   are. ``%+.1f``, ``%.1f`` and ``%.0f`` are C ``printf`` formats of the double shown
   (correctly rounded; DuckDB ``printf`` and Python's ``%`` / f-strings agree), except that a
   return rounding to zero is written ``+0.0`` whatever its sign (never ``-0.0``)::

       clause 1, needs spread_1d (so both 1-day returns):
           "<verb>: Russell 2000 <%+.1f of 100 * small_ret_1d>% vs S&P 500
            <%+.1f of 100 * large_ret_1d>%"
           verb: "Small caps lead" if spread_1d > 0, "Small caps lag" if < 0,
                 "Small caps match" if = 0
       clause 2, needs large_drawdown (its running max starts at the first stored close,
       whose month and year are <since>, e.g. "Jan 2023"):
           "S&P 500 at its high since <since>" if large_drawdown = 0, else
           "S&P 500 <%.1f of -100 * large_drawdown>% below its high since <since>"
       clause 3, needs small_etf_relative_volume (rv):
           "IWM volume <%.0f of 100 * (rv - 1)>% over its 50-day average" if rv >= 1, else
           "IWM volume <%.0f of 100 * (1 - rv)>% under its 50-day average"

   e.g. "Small caps lag: Russell 2000 -0.3% vs S&P 500 +0.8%; S&P 500 0.4% below its
   high since Jan 2023; IWM volume 18% under its 50-day average." The names are the defaults of
   ``small_name``, ``large_name`` and ``small_etf``. A rounded value may read ``-0.0%``
   or ``0%``; it is still the template.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from tests.reference.breadth import reference_breadth
from tests.reference.concentration import reference_concentration
from tests.reference.divergence import (
    LARGE_BENCHMARK,
    SMALL_BENCHMARK,
    reference_divergence,
    windows,
)
from tests.reference.earnings import reference_earnings
from tests.reference.liquidity import reference_liquidity
from tests.reference.rates import reference_rates_daily
from tests.reference.risk_appetite import reference_risk_appetite

SMALL_ETF = "IWM"
LARGE_NAME = "S&P 500"
SMALL_NAME = "Russell 2000"
BROAD_DECLINE_PCT = 40.0
BROAD_RALLY_PCT = 60.0
LEADERSHIP_SPREAD = 0.05
RATE_RELIEF_BP = -25.0
BREAKOUT_CORR = 0.8
BREAKOUT_PCT = 60.0
HIGH_VOLUME = 1.2
HIGH_VOLUME_ROWS = 5
LIQUIDITY_DAYS = 3
REGIMES = (
    "broad_decline",
    "broad_rally",
    "small_cap_leadership",
    "large_cap_leadership",
    "mixed",
)

COLUMNS: list[str] = [
    "date",
    "large_ret_1d",
    "small_ret_1d",
    "spread_1d",
    "large_drawdown",
    "large_ret_21d",
    "small_ret_21d",
    "spread_63d",
    "large_pct_above_sma50",
    "small_pct_above_sma50",
    "regime",
    "ust_10y_change_21d_bp",
    "fed_funds_change_63d_bp",
    "rate_relief",
    "corr_21d",
    "breadth_breakout",
    "small_etf_relative_volume",
    "small_etf_high_volume_days_5d",
    "liquidity_returning",
    "unprofitable_small_pct",
    "top10_weight_large_pct",
    "flight_to_safety",
    "headline",
]
TEXT_COLUMNS = ("regime", "headline")
FLAG_COLUMNS = ("rate_relief", "breadth_breakout", "liquidity_returning", "flight_to_safety")
COUNT_COLUMNS = ("small_etf_high_volume_days_5d",)


def _dtype(column: str) -> pl.DataType:
    if column == "date":
        return pl.Date()
    if column in TEXT_COLUMNS:
        return pl.String()
    if column in FLAG_COLUMNS:
        return pl.Boolean()
    return pl.Int64() if column in COUNT_COLUMNS else pl.Float64()


OUTPUT_SCHEMA: dict[str, pl.DataType] = {c: _dtype(c) for c in COLUMNS}

Flag = bool | None


def sql_and(*values: Flag) -> Flag:
    """SQL ``AND``: false if any is false, else null if any is null, else true."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def sql_or(*values: Flag) -> Flag:
    """SQL ``OR``: true if any is true, else null if any is null, else false."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def at_least(value: float | None, bound: float) -> Flag:
    """``value >= bound`` with a null value giving null."""
    return None if value is None else value >= bound


def at_most(value: float | None, bound: float) -> Flag:
    """``value <= bound`` with a null value giving null."""
    return None if value is None else value <= bound


def classify(
    large_ret_21d: float | None,
    small_ret_21d: float | None,
    large_pct: float | None,
    small_pct: float | None,
    spread_63d: float | None,
    *,
    decline_pct: float = BROAD_DECLINE_PCT,
    rally_pct: float = BROAD_RALLY_PCT,
    leadership_spread: float = LEADERSHIP_SPREAD,
) -> str | None:
    """The regime label: the first rule that holds, null if any input is null."""
    if None in (large_ret_21d, small_ret_21d, large_pct, small_pct, spread_63d):
        return None
    if large_ret_21d < 0 and small_ret_21d < 0 and max(large_pct, small_pct) <= decline_pct:
        return "broad_decline"
    if large_ret_21d > 0 and small_ret_21d > 0 and min(large_pct, small_pct) >= rally_pct:
        return "broad_rally"
    if spread_63d >= leadership_spread:
        return "small_cap_leadership"
    if spread_63d <= -leadership_spread:
        return "large_cap_leadership"
    return "mixed"


def _signed(percent: float) -> str:
    """`%+.1f`, with a value that rounds to zero written +0.0 whatever its sign."""
    shown = f"{percent:+.1f}"
    return "+0.0" if shown == "-0.0" else shown


def headline(
    row: dict[str, object],
    *,
    small_name: str = SMALL_NAME,
    large_name: str = LARGE_NAME,
    small_etf: str = SMALL_ETF,
    since: str = "Jan 2024",
) -> str | None:
    """The daily sentence of the template in the module docstring."""
    clauses: list[str] = []
    spread, small, large = row["spread_1d"], row["small_ret_1d"], row["large_ret_1d"]
    if spread is not None:
        verb = "lead" if spread > 0 else "lag" if spread < 0 else "match"
        returns = f"{small_name} {_signed(100 * small)}% vs {large_name} {_signed(100 * large)}%"
        clauses.append(f"Small caps {verb}: {returns}")
    drawdown = row["large_drawdown"]
    if drawdown is not None:
        where = "at" if drawdown == 0 else f"{-100 * drawdown:.1f}% below"
        clauses.append(f"{large_name} {where} its high since {since}")
    rv = row["small_etf_relative_volume"]
    if rv is not None:
        amount = f"{100 * (rv - 1):.0f}% over" if rv >= 1 else f"{100 * (1 - rv):.0f}% under"
        clauses.append(f"{small_etf} volume {amount} its 50-day average")
    unprofitable = row.get("unprofitable_small_pct")
    if unprofitable is not None:
        clauses.append(f"{unprofitable:.0f}% of {small_name} members lose money over the last year")
    top10 = row.get("top10_weight_large_pct")
    if top10 is not None:
        clauses.append(f"the top 10 hold {top10:.1f}% of the {large_name}")
    safety = row.get("flight_to_safety")
    if safety is not None:
        clauses.append(
            "flight to safety: mega caps and defensives lead" if safety else "no flight to safety"
        )
    return "; ".join(clauses) + "." if clauses else None


def high_volume_days(
    relative_volumes: list[float | None], *, n: int = HIGH_VOLUME_ROWS, bound: float = HIGH_VOLUME
) -> list[int | None]:
    """Per row, how many of the last n rows have ``relative_volume >= bound``; null unless
    all n exist and are non-null."""
    return [
        None if w is None or None in w else sum(v >= bound for v in w)
        for w in windows(relative_volumes, n)
    ]


def _of_universe(frame: pl.DataFrame, universe: str, column: str) -> dict[dt.date, object]:
    """One universe's values of a per-universe reference table, by date."""
    rows = frame.filter(pl.col("universe") == universe)
    return dict(zip(rows["date"], rows[column], strict=True))


def reference_regime(
    prices: pl.DataFrame,
    members: pl.DataFrame,
    rates: pl.DataFrame,
    *,
    large_benchmark: str = LARGE_BENCHMARK,
    small_benchmark: str = SMALL_BENCHMARK,
    small_etf: str = SMALL_ETF,
    decline_pct: float = BROAD_DECLINE_PCT,
    rally_pct: float = BROAD_RALLY_PCT,
    leadership_spread: float = LEADERSHIP_SPREAD,
    rate_relief_bp: float = RATE_RELIEF_BP,
    breakout_corr: float = BREAKOUT_CORR,
    breakout_pct: float = BREAKOUT_PCT,
    high_volume: float = HIGH_VOLUME,
    liquidity_days: int = LIQUIDITY_DAYS,
    small_name: str = SMALL_NAME,
    large_name: str = LARGE_NAME,
    fundamentals: pl.DataFrame | None = None,
    weights: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every column of ``marts.market_regime``, one row per trading date, from raw inputs
    (without `fundamentals` or `weights`, their columns are null)."""
    divergence = reference_divergence(
        prices, members, large_benchmark=large_benchmark, small_benchmark=small_benchmark
    )
    breadth = reference_breadth(prices, members)
    pct50: dict[tuple[str, dt.date], float | None] = {
        (u, d): v for u, d, v in breadth.select("universe", "date", "pct_above_sma50").iter_rows()
    }
    rates_daily = reference_rates_daily(prices, rates, calendar_symbol=large_benchmark)
    rates_by_date = {r["date"]: r for r in rates_daily.iter_rows(named=True)}
    etf = reference_liquidity(prices, members, symbols=(small_etf,), universes=())
    etf_rv = dict(zip(etf["date"], etf["relative_volume"], strict=True))
    etf_days = dict(
        zip(
            etf["date"],
            high_volume_days(etf["relative_volume"].to_list(), bound=high_volume),
            strict=True,
        )
    )

    unprofitable = (
        {}
        if fundamentals is None
        else _of_universe(
            reference_earnings(prices, members, fundamentals), "small", "unprofitable_pct"
        )
    )
    top10 = (
        {}
        if weights is None
        else _of_universe(
            reference_concentration(prices, members, weights), "large", "top10_weight_pct"
        )
    )
    risk = reference_risk_appetite(prices, rates)
    safety = dict(zip(risk["date"], risk["flight_to_safety"], strict=True))

    first_close = prices.filter(pl.col("ticker") == large_benchmark)["date"].min()
    since = first_close.strftime("%b %Y") if first_close else ""
    out: list[dict[str, object]] = []
    for d in divergence.iter_rows(named=True):
        day = d["date"]
        rates_today = rates_by_date.get(day, {})
        row: dict[str, object] = {c: d[c] for c in COLUMNS if c in d}
        row["large_pct_above_sma50"] = pct50.get(("large", day))
        row["small_pct_above_sma50"] = pct50.get(("small", day))
        row["regime"] = classify(
            row["large_ret_21d"],
            row["small_ret_21d"],
            row["large_pct_above_sma50"],
            row["small_pct_above_sma50"],
            row["spread_63d"],
            decline_pct=decline_pct,
            rally_pct=rally_pct,
            leadership_spread=leadership_spread,
        )
        ust = rates_today.get("ust_10y_change_21d_bp")
        fed = rates_today.get("fed_funds_change_63d_bp")
        row["ust_10y_change_21d_bp"] = ust
        row["fed_funds_change_63d_bp"] = fed
        row["rate_relief"] = sql_or(at_most(ust, rate_relief_bp), None if fed is None else fed < 0)
        row["breadth_breakout"] = sql_and(
            at_least(row["corr_21d"], breakout_corr),
            at_least(row["small_pct_above_sma50"], breakout_pct),
        )
        row["small_etf_relative_volume"] = etf_rv.get(day)
        days = etf_days.get(day)
        row["small_etf_high_volume_days_5d"] = days
        row["liquidity_returning"] = None if days is None else days >= liquidity_days
        row["unprofitable_small_pct"] = unprofitable.get(day)
        row["top10_weight_large_pct"] = top10.get(day)
        row["flight_to_safety"] = safety.get(day)
        row["headline"] = headline(
            row, small_name=small_name, large_name=large_name, small_etf=small_etf, since=since
        )
        out.append({c: row[c] for c in COLUMNS})
    return pl.DataFrame(out, schema=OUTPUT_SCHEMA)
