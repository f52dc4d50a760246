"""The sample's index weights: each member's share of its universe's market cap on the last
session of every month, as an index fund's monthly holdings file states it."""

from __future__ import annotations

import numpy as np
import polars as pl

from orchestration.sources.base import INDEX_WEIGHTS_SCHEMA
from orchestration.sources.sample.members import UNIVERSE_NAMES
from orchestration.sources.sample.universe import Universe

WEIGHT_DECIMALS = 6


def month_end_days(sessions: np.ndarray) -> np.ndarray:
    """Indices of the last session of each month that ends inside `sessions`."""
    months = sessions.astype("datetime64[M]")
    return np.flatnonzero(months[:-1] != months[1:])


class WeightSnapshots:
    """Market caps of the members on the month-end sessions, gathered block by block."""

    def __init__(self, sessions: np.ndarray, shares: np.ndarray) -> None:
        self.days = month_end_days(sessions)
        self.sessions = sessions
        self.shares = shares
        self.parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, block: slice, price: np.ndarray, *members: np.ndarray) -> None:
        """The caps of a block of companies: `price` split-adjusted, one mask per universe
        (in `UNIVERSE_NAMES` order) saying who is a member on each session."""
        at_month_end = price[:, self.days]
        for universe, mask in enumerate(members):
            company, snapshot = np.nonzero(mask[:, self.days] & (at_month_end > 0))
            caps = self.shares[block.start + company] * at_month_end[company, snapshot]
            self.parts.append((universe, block.start + company, snapshot, caps))

    def frame(self, u: Universe) -> pl.DataFrame:
        """One row per member and month end: its weight in percent of its universe."""
        frames = [
            pl.DataFrame(
                {
                    "universe": UNIVERSE_NAMES[universe],
                    "ticker": u.ticker[company],
                    "as_of": self.sessions[self.days[snapshot]],
                    "cap": caps,
                }
            )
            for universe, company, snapshot, caps in self.parts
        ]
        caps = pl.concat(frames)
        share = 100 * pl.col("cap") / pl.col("cap").sum().over("universe", "as_of")
        return (
            caps.with_columns(weight=share.round(WEIGHT_DECIMALS))
            .drop("cap")
            .cast(INDEX_WEIGHTS_SCHEMA)
            .sort("universe", "ticker", "as_of")
        )
