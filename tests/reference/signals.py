"""Independent reference implementation of ``marts.signal_days``, ``marts.signal_events`` and
``marts.signal_scorecard``.

From the reference regime, breadth and divergence tables (themselves computed from the raw
files), following the published definition ("Evidence") literally, with plain loops.

Readings taken where the definition leaves a choice:

1. The dates are the trading calendar; a signal whose table has no row on a date is null
   there. ``regime:<name>`` is ``regime == name`` (null where the regime is).
2. A firing is a date on which the signal is true and the previous trading date's value is
   not true; the first date counts as following a "not true".
3. ``fwd_spread_h`` on the date at index i uses the closes at i and i + h in the calendar;
   null when i + h is past the last date or any of the four closes is null.
4. The scorecard's ``days_on`` counts true dates, ``firings`` the firings with a non-null
   forward spread, the means and the median are over those, the base mean over every date
   with a non-null spread, and ``first_firing``/``last_firing`` over all firings.
"""

from __future__ import annotations

import datetime as dt
import statistics

import polars as pl

from tests.reference.breadth import reference_breadth
from tests.reference.divergence import reference_divergence, trading_calendar
from tests.reference.regime import reference_regime

REGIMES = ("broad_rally", "broad_decline", "small_cap_leadership", "large_cap_leadership", "mixed")
REGIME_SIGNALS = ("rate_relief", "breadth_breakout", "liquidity_returning", "flight_to_safety")
SIGNALS = (
    *REGIME_SIGNALS,
    "zweig_thrust_small",
    "zweig_thrust_large",
    *(f"regime:{name}" for name in REGIMES),
)
HORIZONS = (5, 21, 63)

DAYS_SCHEMA: dict[str, pl.DataType] = {
    "signal": pl.String(),
    "date": pl.Date(),
    "is_on": pl.Boolean(),
    "fires": pl.Boolean(),
    **{f"fwd_spread_{h}d": pl.Float64() for h in HORIZONS},
}
SCORECARD_SCHEMA: dict[str, pl.DataType] = {
    "signal": pl.String(),
    "horizon": pl.Int32(),
    "days_on": pl.Int64(),
    "firings": pl.Int64(),
    "mean_fwd_spread": pl.Float64(),
    "median_fwd_spread": pl.Float64(),
    "hit_rate_pct": pl.Float64(),
    "base_mean_fwd_spread": pl.Float64(),
    "edge": pl.Float64(),
    "first_firing": pl.Date(),
    "last_firing": pl.Date(),
}


def _by_date(frame: pl.DataFrame, column: str) -> dict[dt.date, object]:
    return dict(zip(frame["date"], frame[column], strict=True))


def _signal_values(
    prices: pl.DataFrame, members: pl.DataFrame, regime: pl.DataFrame
) -> dict[str, dict[dt.date, bool | None]]:
    breadth = reference_breadth(prices, members)
    values: dict[str, dict[dt.date, bool | None]] = {
        name: _by_date(regime, name) for name in REGIME_SIGNALS
    }
    for universe in ("small", "large"):
        rows = breadth.filter(pl.col("universe") == universe)
        values[f"zweig_thrust_{universe}"] = _by_date(rows, "zweig_thrust")
    regimes = _by_date(regime, "regime")
    for name in REGIMES:
        values[f"regime:{name}"] = {
            day: None if value is None else value == name for day, value in regimes.items()
        }
    return values


def _forward_spreads(
    days: list[dt.date], large: dict[dt.date, float | None], small: dict[dt.date, float | None]
) -> dict[int, list[float | None]]:
    spreads: dict[int, list[float | None]] = {}
    for h in HORIZONS:
        out: list[float | None] = []
        for i, day in enumerate(days):
            later = days[i + h] if i + h < len(days) else None
            closes = [large.get(day), small.get(day), large.get(later), small.get(later)]
            if later is None or any(c is None for c in closes):
                out.append(None)
                continue
            large_now, small_now, large_then, small_then = closes
            out.append((small_then / small_now - 1) - (large_then / large_now - 1))
        spreads[h] = out
    return spreads


def reference_signal_days(
    prices: pl.DataFrame, members: pl.DataFrame, rates: pl.DataFrame, **regime_inputs
) -> pl.DataFrame:
    """Every column of ``marts.signal_days``: each signal on each trading date."""
    days = trading_calendar(prices)
    regime = reference_regime(prices, members, rates, **regime_inputs)
    divergence = reference_divergence(prices, members)
    spreads = _forward_spreads(
        days, _by_date(divergence, "large_close"), _by_date(divergence, "small_close")
    )
    rows = []
    for signal, values in _signal_values(prices, members, regime).items():
        before = None
        for i, day in enumerate(days):
            is_on = values.get(day)
            rows.append(
                {
                    "signal": signal,
                    "date": day,
                    "is_on": is_on,
                    "fires": is_on is True and before is not True,
                    **{f"fwd_spread_{h}d": spreads[h][i] for h in HORIZONS},
                }
            )
            before = is_on
    return pl.DataFrame(rows, schema=DAYS_SCHEMA)


def reference_signal_events(signal_days: pl.DataFrame) -> pl.DataFrame:
    """``marts.signal_events``: the firing rows of ``reference_signal_days``."""
    return signal_days.filter(pl.col("fires")).drop("is_on", "fires")


def reference_signal_scorecard(signal_days: pl.DataFrame) -> pl.DataFrame:
    """``marts.signal_scorecard`` from ``reference_signal_days``, with plain loops."""
    records = signal_days.to_dicts()
    rows = []
    for h in HORIZONS:
        column = f"fwd_spread_{h}d"
        per_date = {r["date"]: r[column] for r in records}
        complete = [v for v in per_date.values() if v is not None]
        base = sum(complete) / len(complete) if complete else None
        for signal in SIGNALS:
            mine = [r for r in records if r["signal"] == signal]
            fired = [r for r in mine if r["fires"]]
            after = [r[column] for r in fired if r[column] is not None]
            mean = sum(after) / len(after) if after else None
            rows.append(
                {
                    "signal": signal,
                    "horizon": h,
                    "days_on": sum(1 for r in mine if r["is_on"] is True),
                    "firings": len(after),
                    "mean_fwd_spread": mean,
                    "median_fwd_spread": statistics.median(after) if after else None,
                    "hit_rate_pct": 100 * sum(1 for v in after if v > 0) / len(after)
                    if after
                    else None,
                    "base_mean_fwd_spread": base,
                    "edge": None if mean is None or base is None else mean - base,
                    "first_firing": min((r["date"] for r in fired), default=None),
                    "last_firing": max((r["date"] for r in fired), default=None),
                }
            )
    return pl.DataFrame(rows, schema=SCORECARD_SCHEMA)
