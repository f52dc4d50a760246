"""The sample's quarterly income statements, point in time by report date.

Each company listed through a calendar quarter reports it 20 to 45 days after the quarter
ends, on a session (a weekday before the history starts: a company listed on the first day
has reported the four quarters before it, so its trailing twelve months are known from
the start); a few report late (after the next quarter's report is due), a few
quarters are never reported, and a few are restated months later (a second row with its
own date). Revenue scales with the company's size; the margin is the company's own (small
companies lower and more spread: about four in ten lose money over a year) plus a part
that follows the quarter's stock return, so losses spread in the stretches where small
caps lag.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from orchestration.sources.base import FUNDAMENTALS_SCHEMA
from orchestration.sources.sample.universe import Universe

REPORT_DELAY_DAYS = (20, 46)  # calendar days after the quarter's end, upper bound excluded
LATE_SHARE, LATE_DELAY_DAYS = 0.03, (100, 140)
MISSING_SHARE = 0.01
RESTATED_SHARE, RESTATEMENT_DELAY_DAYS, RESTATEMENT_FACTOR = 0.015, (40, 200), (0.6, 1.1)
SALES_TO_CAP = (np.log(0.45), 0.5)  # yearly revenue over market cap, lognormal
MARGIN_AT_LOG_CAP = ((8.5, -0.01), (11.0, 0.13))  # mean margin by log10 cap, interpolated
MARGIN_SPREAD = (0.09, 0.05)  # sd of a company's own margin at those caps
CYCLE = 0.25  # margin per unit of the quarter's log return
MARGIN_NOISE, MARGIN_PERSISTENCE = 0.025, 0.6
RETURN_CLIP = 0.6
LEAD_QUARTERS = 4  # quarters reported before the history starts


def quarter_ends(sessions: np.ndarray) -> np.ndarray:
    """The calendar quarter ends (datetime64[D]) inside the sessions' span, after the
    `LEAD_QUARTERS` before it and the one that starts the first of those."""
    first = sessions[0].astype("datetime64[M]")
    months = np.arange(first - 3 * (LEAD_QUARTERS + 1), sessions[-1].astype("datetime64[M]"))
    ends = months[(months.astype(int) % 12) % 3 == 2]
    return (ends + 1).astype("datetime64[D]") - 1


class QuarterlyReports:
    """Market caps of every company at each quarter's end, gathered block by block."""

    def __init__(self, sessions: np.ndarray, shares: np.ndarray) -> None:
        self.sessions = sessions
        self.period_ends = quarter_ends(sessions)
        # The session each quarter's cap is read on: its last, or the first day for the
        # quarters before the history (whose cap is the first day's, unchanged over them).
        self.ends = np.maximum(np.searchsorted(sessions, self.period_ends, side="right") - 1, 0)
        self.shares = shares
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, block: slice, price: np.ndarray) -> None:
        """The caps of a block of companies (`price` split-adjusted, 0 while not listed) at
        the end of each quarter they trade through, and their growth over it."""
        at_end = price[:, self.ends]
        company, previous = np.nonzero((at_end[:, 1:] > 0) & (at_end[:, :-1] > 0))
        quarter = previous + 1
        cap = self.shares[block.start + company] * at_end[company, quarter]
        growth = at_end[company, quarter] / at_end[company, previous]
        self.parts.append((block.start + company, quarter, np.column_stack([cap, growth])))

    def frame(self, u: Universe, rng: np.random.Generator) -> pl.DataFrame:
        """One row per reported quarter (and per restatement) known by the last session."""
        company = np.concatenate([p[0] for p in self.parts])
        quarter = np.concatenate([p[1] for p in self.parts])
        cap, growth = np.concatenate([p[2] for p in self.parts]).T
        order = np.lexsort((quarter, company))
        company, quarter, cap, growth = company[order], quarter[order], cap[order], growth[order]

        (low_cap, low_margin), (high_cap, high_margin) = MARGIN_AT_LOG_CAP
        mean = np.interp(u.log_cap, [low_cap, high_cap], [low_margin, high_margin])
        spread = np.interp(u.log_cap, [low_cap, high_cap], list(MARGIN_SPREAD))
        own_margin = rng.normal(mean, spread)
        sales_to_cap = rng.lognormal(*SALES_TO_CAP, u.size)
        noise = rng.normal(0.0, MARGIN_NOISE, len(company))
        first = np.r_[True, company[1:] != company[:-1]]
        for k in np.flatnonzero(~first):
            noise[k] += MARGIN_PERSISTENCE * noise[k - 1]
        stock_move = np.clip(np.log(growth), -RETURN_CLIP, RETURN_CLIP)
        margin = own_margin[company] + CYCLE * stock_move + noise
        revenue = sales_to_cap[company] / 4 * cap
        net_income = revenue * margin

        period_end = self.period_ends[quarter]
        delay = rng.integers(*REPORT_DELAY_DAYS, len(company))
        late = rng.random(len(company)) < LATE_SHARE
        delay[late] = rng.integers(*LATE_DELAY_DAYS, late.sum())
        reported = rng.random(len(company)) >= MISSING_SHARE
        restated = rng.random(len(company)) < RESTATED_SHARE
        restatement_delay = rng.integers(*RESTATEMENT_DELAY_DAYS, len(company))
        restatement_factor = rng.uniform(*RESTATEMENT_FACTOR, len(company))

        n = len(self.sessions)

        def on_session(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """The first session on or after each day (before the history: the first
            weekday), and whether there is one by the last session."""
            index = np.searchsorted(self.sessions, days)
            before = np.busday_offset(days, 0, roll="forward")
            on = np.where(index == 0, before, self.sessions[np.minimum(index, n - 1)])
            return on.astype("datetime64[D]"), index < n

        first_report, first_known = on_session(period_end + delay)
        restatement, restatement_known = on_session(period_end + delay + restatement_delay)
        versions = [
            (reported & first_known, first_report, 1.0),
            (reported & restated & restatement_known, restatement, restatement_factor),
        ]
        year = period_end.astype("datetime64[Y]").astype(int) + 1970
        quarter_of_year = (period_end.astype("datetime64[M]").astype(int) % 12) // 3 + 1
        fiscal_periods = [f"{y}Q{q}" for y, q in zip(year, quarter_of_year, strict=True)]
        shares = self.shares[company]
        frames = []
        for keep, available_on, factor in versions:
            income = net_income * factor
            frames.append(
                pl.DataFrame(
                    {
                        "ticker": u.ticker[company],
                        "period_end": period_end,
                        "fiscal_period": fiscal_periods,
                        "available_on": available_on,
                        "net_income": np.round(income, -3),
                        "revenue": np.round(revenue, -3),
                        "diluted_eps": np.round(income / shares, 2),
                        "shares_outstanding": np.round(shares, -3),
                        "keep": keep,
                    }
                )
            )
        return (
            pl.concat(frames)
            .filter(pl.col("keep"))
            .drop("keep")
            .cast(FUNDAMENTALS_SCHEMA)
            .sort("ticker", "period_end", "available_on")
        )
