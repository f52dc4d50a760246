"""Treasury yields, the policy rate and CPI of the sample market, moving with its regimes.

Inflation follows a slow cycle; the 2-year yield is pulled towards a level set by inflation
half a year earlier and pushed by the regime (up while small caps lag, down before they
catch up); the Fed follows the 2-year in 25 bp steps; the curve flattens and inverts as
rates rise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from orchestration.sources.sample.calendar import Calendar, fomc_days
from orchestration.sources.sample.market import YIELD_DRIFT, ar1

YIELD_SERIES = ("ust_3m", "ust_2y", "ust_5y", "ust_10y", "ust_30y")
FED_FUNDS = "fed_funds"
CPI = "cpi_index"

INFLATION_FLOOR = 1.0  # percent a year
INFLATION_SWING = 6.0
INFLATION_SHAPE = 4  # higher: inflation stays low longer and spikes briefly
INFLATION_PERIOD_YEARS = (7.0, 10.0)
CPI_START = 242.0
CPI_NOISE = 0.0012  # monthly
CPI_LEAD_MONTHS = 13  # CPI starts before the prices, so year-on-year exists from day one
CPI_RELEASE_DAY = 15  # of the month after the one measured

RATE_LAG_MONTHS = 6
RATE_PER_INFLATION = 0.75
RATE_OFFSET = 0.4
TWO_YEAR_FLOOR = 0.05
REVERSION = 0.015
TWO_YEAR_VOL = 0.045
TERM_AT_PIVOT = 1.0  # 10-year minus 2-year when the 2-year is at the pivot
TERM_PIVOT = 2.0
TERM_SLOPE = 0.5
TERM_PERSISTENCE = 0.995
TERM_VOL = 0.025
FIVE_YEAR_TERM = 0.55
LONG_BOND_SPREAD = 0.2
LONG_BOND_TERM = 0.15
CURVE_NOISE = 0.012
TEN_YEAR_FLOOR = 0.3
BILL_PASS_THROUGH = 0.5
BILL_RANGE = 0.8
YIELD_FLOOR = 0.01

POLICY_STEP = 0.25
EFFECTIVE_ABOVE_FLOOR = 0.08  # the effective rate trades this far above the range's floor
HIKE_GAPS = (0.3, 0.8, 1.3)  # 2-year above mid-range by this much: one, two, three hikes
CUT_GAPS = (0.3, 0.9)


@dataclass(frozen=True)
class Rates:
    """Daily yields on sessions, the policy rate on calendar days, CPI by month."""

    yields: np.ndarray  # sessions x YIELD_SERIES, percent, rounded
    ten_year_change_bp: np.ndarray  # per session
    fed_days: np.ndarray  # datetime64[D], every calendar day
    fed_funds: np.ndarray
    cpi_months: np.ndarray  # datetime64[D], first of each month
    cpi: np.ndarray

    def frame(self, cal: Calendar, through: date) -> pl.DataFrame:
        """Observations known on `through` in long form (series, date, value), by key."""
        open_days = ~cal.bond_holiday
        parts = [
            pl.DataFrame(
                {
                    "series": name,
                    "date": cal.sessions[open_days],
                    "value": self.yields[open_days, k],
                }
            )
            for k, name in enumerate(YIELD_SERIES)
        ]
        parts.append(
            pl.DataFrame({"series": FED_FUNDS, "date": self.fed_days, "value": self.fed_funds})
        )
        parts.append(pl.DataFrame({"series": CPI, "date": self.cpi_months, "value": self.cpi}))
        return (
            pl.concat(parts)
            .with_columns(pl.col("date").cast(pl.Date))
            .filter((pl.col("series") != CPI) | cpi_released(through))
            .sort("series", "date")
        )


def cpi_released(cutoff: date) -> pl.Expr:
    """True for CPI rows published by `cutoff` (the 15th of the month after the one measured)."""
    release = pl.col("date").dt.offset_by("1mo").dt.offset_by(f"{CPI_RELEASE_DAY - 1}d")
    return release <= cutoff


def inflation_path(months: int, rng: np.random.Generator) -> np.ndarray:
    """Annualised monthly inflation in percent: a slow cycle with brief spikes."""
    period = rng.uniform(*INFLATION_PERIOD_YEARS) * 12
    phase = rng.uniform(0.0, 2 * np.pi)
    wave = (1.0 + np.sin(2 * np.pi * np.arange(months) / period + phase)) / 2
    return INFLATION_FLOOR + INFLATION_SWING * wave**INFLATION_SHAPE


def policy_floor(two_year: np.ndarray, decisions: np.ndarray) -> np.ndarray:
    """Floor of the policy range decided on each session (kept until the next decision)."""
    start = max(0.0, np.floor((two_year[0] - HIKE_GAPS[0]) / POLICY_STEP) * POLICY_STEP)
    floor = np.full(len(two_year), start)
    level = start
    for day in decisions:
        gap = two_year[day] - (level + POLICY_STEP / 2)
        steps = sum(gap > g for g in HIKE_GAPS) - sum(gap < -g for g in CUT_GAPS)
        level = max(0.0, level + POLICY_STEP * steps)
        floor[day:] = level
    return floor


def simulate_rates(cal: Calendar, regime: np.ndarray, end: date, rng: np.random.Generator) -> Rates:
    """Yields, fed funds and CPI for the sessions of `cal` (fed funds daily through `end`)."""
    n = cal.n
    session_months = cal.sessions.astype("datetime64[M]")
    first_month = session_months[0] - CPI_LEAD_MONTHS
    months = int((session_months[-1] - first_month).astype(int)) + 1
    inflation = inflation_path(months, rng)
    monthly = inflation / 1200 + rng.normal(0.0, CPI_NOISE, months)
    cpi = CPI_START * np.cumprod(1.0 + monthly)

    month_of_day = (session_months - first_month).astype(int)
    target = np.maximum(
        TWO_YEAR_FLOOR,
        RATE_PER_INFLATION * inflation[month_of_day - RATE_LAG_MONTHS] - RATE_OFFSET,
    )
    shocks = rng.standard_normal(n)
    two_year = np.empty(n)
    two_year[0] = target[0]
    for t in range(1, n):
        prev = two_year[t - 1]
        vol = TWO_YEAR_VOL * (0.3 + 0.7 * min(1.0, prev / 2))
        step = REVERSION * (target[t] - prev) + YIELD_DRIFT[regime[t]] + vol * shocks[t]
        two_year[t] = max(TWO_YEAR_FLOOR, prev + step)

    floor = policy_floor(two_year, fomc_days(cal))
    effective = floor + EFFECTIVE_ABOVE_FLOOR
    term = TERM_AT_PIVOT - TERM_SLOPE * (two_year - TERM_PIVOT)
    term += ar1(rng.normal(0.0, TERM_VOL, n), TERM_PERSISTENCE)
    ten_year = np.maximum(TEN_YEAR_FLOOR, two_year + term)
    bill = effective + BILL_PASS_THROUGH * np.clip(two_year - effective, -BILL_RANGE, BILL_RANGE)
    curve_noise = rng.normal(0.0, CURVE_NOISE, (n, 3))
    yields = np.column_stack(
        [
            bill + curve_noise[:, 0],
            two_year,
            two_year + FIVE_YEAR_TERM * term + curve_noise[:, 1],
            ten_year,
            ten_year + LONG_BOND_SPREAD + LONG_BOND_TERM * term + curve_noise[:, 2],
        ]
    )
    yields = np.round(np.maximum(yields, YIELD_FLOOR), 2)
    ten_year_change_bp = np.diff(yields[:, YIELD_SERIES.index("ust_10y")], prepend=np.nan) * 100
    ten_year_change_bp[0] = 0.0

    fed_days = np.arange(cal.sessions[0], np.datetime64(end, "D") + 1)
    # A decision on a session moves the effective rate from the next calendar day.
    changed = np.searchsorted(cal.sessions + 1, fed_days, side="right") - 1
    fed_funds = np.round(effective[np.maximum(changed, 0)], 2)
    return Rates(
        yields=yields,
        ten_year_change_bp=ten_year_change_bp,
        fed_days=fed_days,
        fed_funds=fed_funds,
        cpi_months=(first_month + np.arange(months)).astype("datetime64[D]"),
        cpi=np.round(cpi, 3),
    )
