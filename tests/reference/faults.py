"""Reference for the price-fault exclusions: plain loops over each ticker's rows.

An independent oracle for the warehouse's fault rules, written for clarity, not speed. It
finds suspect moves (unadjusted splits and price jumps) and stale prints in each ticker's
price series and returns the spans of rows to exclude; ``kept_prices`` drops them.

The rules, per ticker, over its price rows sorted by date and numbered k = 1..n:

1. The move at bar k >= 2 is ``r_k = close_k / close_{k-1}``.
2. A move is suspect with the first rule that applies:
   a. ``unadjusted_split`` (matched): the ticker has a split action of value v with
      ``v >= 1.25`` or ``v <= 0.8``, dated within ``action_window_days`` calendar days of
      date_k (either side, inclusive), and ``|ln(r_k * v)| <= ln(1 + split_tolerance)``;
   b. ``unadjusted_split`` (suspected): ``|ln(r_k / f)| <= ln(1 + split_tolerance)`` for
      some f in ``STRONG`` or 1/f for f in ``STRONG``;
   c. ``price_jump``: ``r_k > max_daily_ratio`` or ``r_k < 1 / max_daily_ratio``.
3. A suspect move k reverts at the smallest j with ``k < j <= min(n, k + reversal_bars)``
   and ``|ln(close_j / close_{k-1})| <= ln(1 + reversal_band)``; else it does not revert.
4. A suspect move m is absorbed when some reverting suspect move k of the same ticker has
   ``k < m <= j_k``. Absorbed moves give no span.
5. Every other suspect move k gives one span with event_date = date_k: bars k..j-1
   (``reverted``) if it reverts at j; else bars 1..k-1 (``history_before``) when
   ``n - k >= reversal_bars``; else bars k..n (``since_jump``).
6. Bar k >= 2 is stale when ``close_k == close_{k-1}`` and (``volume_k == 0`` or
   ``high_k == low_k``). A maximal run of consecutive stale bars at least
   ``stale_run_bars`` long is one span of exactly its bars (rule ``stale_prints``, span
   ``run``, event_date = the date of its first bar).

Readings taken where the rules leave room:

- Floating point: every comparison is made in float64 on the values as given (parsed
  from the CSV text), with Python's ``math.log``; the thresholds are computed the same way
  (``math.log(1 + split_tolerance)``, ``1 / max_daily_ratio``, ``1 / f``). All threshold
  comparisons are inclusive as written (``<=``, ``>=``), so a move of exactly the
  tolerance counts; only the price-jump ratios are strict (``>``, ``<``).
- Rule (b) tests ``r_k / f`` with f the float ``1 / f`` for the reciprocals (not
  ``r_k * f``); rule (a) tests ``r_k * v`` with v the action's value as given.
- Rule (a) is the ticker's own ``kind = 'split'`` actions only (dividends never match);
  an action with a null value, or a value in (0.8, 1.25), is ignored. Several matching
  actions or factors change nothing: the rule is the same. "Matched" and "suspected" are
  one rule in the output; rule (a) only adds factors outside ``STRONG`` (such as 1.5).
- "Within d calendar days" is ``|action_date - date_k| <= d`` days.
- Bars are the ticker's rows, not trading days: a halt (a missing row) is no bar, and n,
  ``reversal_bars`` and ``stale_run_bars`` count rows. Reversion compares with the close
  of bar k-1 (the level before the move), never with a later bar.
- Absorption is judged against every reverting suspect move, absorbed or not, so a chain
  of moves each reverting the previous one is absorbed from the second on even where the
  last of them is never undone.
- Spans may overlap (a stale run inside a ``history_before`` span, a reverted span inside
  another's history); each is one output row and ``kept_prices`` drops their union.
- Stale prints: equality is exact float64 equality; a null volume, high or low makes its
  own comparison false (the other one may still make the bar stale). Bar 1 is never stale.
- Rows are sorted by date per ticker; duplicate (ticker, date) rows, a null close or a
  close that is not positive are errors (a ratio of them has no logarithm).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import polars as pl

STRONG: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 100)
FACTORS: tuple[float, ...] = tuple(float(f) for f in STRONG) + tuple(1 / f for f in STRONG)
SPLIT_MIN_UP = 1.25
SPLIT_MAX_DOWN = 0.8

UNADJUSTED_SPLIT = "unadjusted_split"
PRICE_JUMP = "price_jump"
STALE_PRINTS = "stale_prints"

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "ticker": pl.String(),
    "event_date": pl.Date(),
    "rule": pl.String(),
    "span": pl.String(),
    "from_date": pl.Date(),
    "to_date": pl.Date(),
    "bars": pl.Int64(),
}


@dataclass(frozen=True)
class FaultRules:
    """The settings of the fault rules."""

    split_tolerance: float = 0.03
    max_daily_ratio: float = 10.0
    reversal_bars: int = 21
    reversal_band: float = 0.3
    stale_run_bars: int = 5
    action_window_days: int = 5


@dataclass(frozen=True)
class Bar:
    """One price row of a ticker, with the values the rules look at."""

    date: dt.date
    close: float
    high: float | None
    low: float | None
    volume: int | None


def _bars_by_ticker(prices: pl.DataFrame) -> dict[str, list[Bar]]:
    """Each ticker's rows sorted by date (checked: unique dates, positive closes)."""
    out: dict[str, list[Bar]] = {}
    for row in prices.iter_rows(named=True):
        close = row["close"]
        if close is None or not float(close) > 0:
            raise ValueError(f"{row['ticker']} {row['date']}: close must be positive")
        out.setdefault(row["ticker"], []).append(
            Bar(
                date=row["date"],
                close=float(close),
                high=None if row.get("high") is None else float(row["high"]),
                low=None if row.get("low") is None else float(row["low"]),
                volume=None if row.get("volume") is None else int(row["volume"]),
            )
        )
    for ticker, bars in out.items():
        bars.sort(key=lambda b: b.date)
        dates = [b.date for b in bars]
        if len(set(dates)) != len(dates):
            raise ValueError(f"{ticker}: duplicate dates in prices")
    return out


def _splits_by_ticker(actions: pl.DataFrame | None) -> dict[str, list[tuple[dt.date, float]]]:
    """Each ticker's split actions strong enough for rule (a): (date, value)."""
    out: dict[str, list[tuple[dt.date, float]]] = {}
    if actions is None or actions.is_empty():
        return out
    for row in actions.iter_rows(named=True):
        value = row["value"]
        if row["kind"] != "split" or value is None:
            continue
        value = float(value)
        if value >= SPLIT_MIN_UP or value <= SPLIT_MAX_DOWN:
            out.setdefault(row["ticker"], []).append((row["date"], value))
    return out


def suspect_rule(
    ratio: float,
    day: dt.date,
    splits: list[tuple[dt.date, float]],
    rules: FaultRules,
) -> str | None:
    """The rule that makes a move of ``ratio`` on ``day`` suspect (None if none does)."""
    tolerance = math.log(1 + rules.split_tolerance)
    window = dt.timedelta(days=rules.action_window_days)
    for action_date, value in splits:
        if abs(action_date - day) <= window and abs(math.log(ratio * value)) <= tolerance:
            return UNADJUSTED_SPLIT
    for factor in FACTORS:
        if abs(math.log(ratio / factor)) <= tolerance:
            return UNADJUSTED_SPLIT
    if ratio > rules.max_daily_ratio or ratio < 1 / rules.max_daily_ratio:
        return PRICE_JUMP
    return None


def _reverts_at(bars: list[Bar], k: int, rules: FaultRules) -> int | None:
    """The bar (1-based) at which suspect move k reverts, None if it does not."""
    n = len(bars)
    band = math.log(1 + rules.reversal_band)
    before = bars[k - 2].close  # close_{k-1}
    for j in range(k + 1, min(n, k + rules.reversal_bars) + 1):
        if abs(math.log(bars[j - 1].close / before)) <= band:
            return j
    return None


def _move_spans(
    bars: list[Bar], splits: list[tuple[dt.date, float]], rules: FaultRules
) -> list[tuple[int, str, str, int, int]]:
    """(event bar, rule, span kind, first bar, last bar) of the ticker's suspect moves."""
    n = len(bars)
    suspects: dict[int, str] = {}
    for k in range(2, n + 1):
        ratio = bars[k - 1].close / bars[k - 2].close
        rule = suspect_rule(ratio, bars[k - 1].date, splits, rules)
        if rule is not None:
            suspects[k] = rule
    reverts = {k: _reverts_at(bars, k, rules) for k in suspects}
    spans: list[tuple[int, str, str, int, int]] = []
    for m, rule in suspects.items():
        absorbed = any(
            j is not None and k < m <= j for k, j in reverts.items()
        )  # every reverting suspect move, absorbed or not
        if absorbed:
            continue
        j = reverts[m]
        if j is not None:
            spans.append((m, rule, "reverted", m, j - 1))
        elif n - m >= rules.reversal_bars:
            spans.append((m, rule, "history_before", 1, m - 1))
        else:
            spans.append((m, rule, "since_jump", m, n))
    return spans


def _is_stale(bar: Bar, previous: Bar) -> bool:
    """Same close as the bar before, and no volume or no range (null compares false)."""
    no_volume = bar.volume is not None and bar.volume == 0
    no_range = bar.high is not None and bar.low is not None and bar.high == bar.low
    return bar.close == previous.close and (no_volume or no_range)


def _stale_spans(bars: list[Bar], rules: FaultRules) -> list[tuple[int, str, str, int, int]]:
    """(first bar, rule, span kind, first bar, last bar) of the long runs of stale bars."""
    spans: list[tuple[int, str, str, int, int]] = []
    run_start: int | None = None
    for k in range(2, len(bars) + 2):  # one step past the end closes the last run
        stale = k <= len(bars) and _is_stale(bars[k - 1], bars[k - 2])
        if stale and run_start is None:
            run_start = k
        elif not stale and run_start is not None:
            if k - run_start >= rules.stale_run_bars:
                spans.append((run_start, STALE_PRINTS, "run", run_start, k - 1))
            run_start = None
    return spans


def reference_exclusions(
    prices: pl.DataFrame,
    actions: pl.DataFrame | None = None,
    rules: FaultRules = FaultRules(),  # frozen: a safe default
) -> pl.DataFrame:
    """One row per excluded span: ``ticker, event_date, rule, span, from_date, to_date, bars``.

    ``prices`` needs ``date, ticker, close`` and uses ``high, low, volume`` (which may be
    null); ``actions`` needs ``date, ticker, kind, value`` and may be empty or None. Sorted
    by ticker, event_date, rule.
    """
    splits = _splits_by_ticker(actions)
    rows: list[dict[str, object]] = []
    for ticker, bars in _bars_by_ticker(prices).items():
        spans = _move_spans(bars, splits.get(ticker, []), rules) + _stale_spans(bars, rules)
        for event, rule, kind, first, last in spans:
            rows.append(
                {
                    "ticker": ticker,
                    "event_date": bars[event - 1].date,
                    "rule": rule,
                    "span": kind,
                    "from_date": bars[first - 1].date,
                    "to_date": bars[last - 1].date,
                    "bars": last - first + 1,
                }
            )
    rows.sort(key=lambda r: (r["ticker"], r["event_date"], r["rule"]))
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)


def kept_prices(prices: pl.DataFrame, exclusions: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``prices`` inside no span of their ticker; columns and order as given."""
    spans: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for row in exclusions.iter_rows(named=True):
        spans.setdefault(row["ticker"], []).append((row["from_date"], row["to_date"]))
    keep = [
        not any(start <= day <= end for start, end in spans.get(ticker, []))
        for ticker, day in zip(prices["ticker"].to_list(), prices["date"].to_list(), strict=True)
    ]
    return prices.filter(pl.Series(keep, dtype=pl.Boolean))
