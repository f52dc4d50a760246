"""Independent reference implementation of ``marts.risk_appetite_daily``.

From raw prices (the calendar and the ETFs' closes) and raw rates, following the mart's
published definition ("Risk appetite") literally.

Readings taken where the definition leaves a choice:

1. One row per trading date (the dates of ``^GSPC`` with a close), date order.
2. ``vix_close`` and ``hy_oas`` are the series' values as known on t: the observation with
   the latest date <= t (weekend observations count), null before the first; rows with a
   null value are ignored.
3. ``vix_change_5d`` = ``vix_close(t) - vix_close(t-5)`` and ``hy_oas_change_21d_bp`` =
   ``100 * (hy_oas(t) - hy_oas(t-21))``, with t-n n rows back in this mart; null until n
   earlier rows exist or when either value is null.
4. An ETF's ``ret_21d`` on t is ``close(t) / close(21 own bars earlier) - 1``, null when it
   has no bar on t or fewer than 21 earlier bars. ``cap_minus_equal_etf_21d`` is SPY's minus
   RSP's. A side's mean (XLU XLP XLV defensive, XLY XLK XLI cyclical) is null unless all
   three are non-null.
5. ``flight_to_safety`` = A and B and (C or D) in Kleene logic, A = cap_minus_equal > 0,
   B = defensive_minus_cyclical > 0, C = vix_change_5d > 0, D = hy_oas_change_21d_bp > 0.
"""

from __future__ import annotations

import polars as pl

from tests.reference.divergence import difference, own_returns, own_series, trading_calendar
from tests.reference.rates import _observations, as_of, change_bp

CAP_WEIGHTED, EQUAL_WEIGHTED = "SPY", "RSP"
DEFENSIVE = ("XLU", "XLP", "XLV")
CYCLICAL = ("XLY", "XLK", "XLI")
RETURN_DAYS = 21
VIX_DAYS = 5
OAS_DAYS = 21

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "vix_close": pl.Float64(),
    "vix_change_5d": pl.Float64(),
    "hy_oas": pl.Float64(),
    "hy_oas_change_21d_bp": pl.Float64(),
    "cap_minus_equal_etf_21d": pl.Float64(),
    "defensive_minus_cyclical_21d": pl.Float64(),
    "flight_to_safety": pl.Boolean(),
}


def _positive(value: float | None) -> bool | None:
    return None if value is None else value > 0


def _and(*values: bool | None) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(*values: bool | None) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _mean_of_all(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else sum(values) / len(values)


def reference_risk_appetite(prices: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """Every column of ``marts.risk_appetite_daily``, one row per trading date."""
    calendar = trading_calendar(prices)
    symbols = (CAP_WEIGHTED, EQUAL_WEIGHTED, *DEFENSIVE, *CYCLICAL)
    returns = {s: own_returns(own_series(prices, s), RETURN_DAYS) for s in symbols}
    vix_seen, oas_seen = _observations(rates, "vix"), _observations(rates, "hy_oas")
    vix = [as_of(vix_seen, day) for day in calendar]
    oas = [as_of(oas_seen, day) for day in calendar]
    vix_change = [difference(v, vix[i - VIX_DAYS]) if i >= VIX_DAYS else None
                  for i, v in enumerate(vix)]  # fmt: skip
    oas_change = change_bp(oas, OAS_DAYS)
    rows = []
    for i, day in enumerate(calendar):
        on_day = {s: returns[s].get(day) for s in symbols}
        cap_minus_equal = difference(on_day[CAP_WEIGHTED], on_day[EQUAL_WEIGHTED])
        defensive_minus_cyclical = difference(
            _mean_of_all([on_day[s] for s in DEFENSIVE]),
            _mean_of_all([on_day[s] for s in CYCLICAL]),
        )
        rows.append(
            {
                "date": day,
                "vix_close": vix[i],
                "vix_change_5d": vix_change[i],
                "hy_oas": oas[i],
                "hy_oas_change_21d_bp": oas_change[i],
                "cap_minus_equal_etf_21d": cap_minus_equal,
                "defensive_minus_cyclical_21d": defensive_minus_cyclical,
                "flight_to_safety": _and(
                    _positive(cap_minus_equal),
                    _positive(defensive_minus_cyclical),
                    _or(_positive(vix_change[i]), _positive(oas_change[i])),
                ),
            }
        )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
