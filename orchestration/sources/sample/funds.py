"""Benchmark indices and ETFs built from the members' split-adjusted closes and market caps."""

from __future__ import annotations

import numpy as np
import polars as pl

from orchestration.sources.base import PRICES_SCHEMA
from orchestration.sources.sample.market import SECTOR_ETFS, SECTORS, TRADING_DAYS, Factors, ar1
from orchestration.sources.sample.prices import EARLY_CLOSE_RANGE, EARLY_CLOSE_VOLUME, GAP_SHARE
from orchestration.sources.sample.universe import Universe

# Level on the first session; SPY and IWM follow their index, less their fee.
START_LEVEL = {
    "^GSPC": 2150.0,
    "^RUT": 1300.0,
    "RSP": 85.0,
    "IWF": 105.0,
    "IWD": 105.0,
    "IJR": 65.0,
    "MDY": 290.0,
    "XLE": 70.0,
    "XLB": 50.0,
    "XLI": 62.0,
    "XLY": 80.0,
    "XLP": 52.0,
    "XLV": 70.0,
    "XLF": 22.0,
    "XLK": 48.0,
    "XLC": 50.0,
    "XLU": 48.0,
    "XLRE": 31.0,
}
TRACKERS = {"SPY": ("^GSPC", 0.0009), "IWM": ("^RUT", 0.0019)}  # index, annual fee
TRACKER_SCALE = 0.1
TRACKING_NOISE = 0.0002
BASE_VOLUME = {
    "SPY": 70e6,
    "IWM": 25e6,
    "RSP": 6e6,
    "IWF": 2e6,
    "IWD": 2.5e6,
    "IJR": 4e6,
    "MDY": 1.2e6,
    "XLE": 15e6,
    "XLB": 6e6,
    "XLI": 9e6,
    "XLY": 4e6,
    "XLP": 9e6,
    "XLV": 8e6,
    "XLF": 40e6,
    "XLK": 8e6,
    "XLC": 4e6,
    "XLU": 12e6,
    "XLRE": 5e6,
}
SMALL_ETFS = ("IWM", "IJR")
SMALL_ETF_SURGE = 1.0  # extra volume per unit of the market's small-cap surge
VOLUME_MOVE = 25.0  # extra volume per unit of absolute daily return
VOLUME_NOISE = 0.15
VOLUME_PERSISTENCE = 0.7
SURGE_PROB = 0.005
SURGE_VOLUME = (2.0, 4.0)
GAP_NOISE = 0.1  # in the fund's daily vol
MIN_VOL = 1e-4
RANGE = 0.45
MID_RANKS = (0.6, 2.0)  # mid-size: members ranked this many large-universe sizes by cap


class BasketSums:
    """Per basket and session, the value today and yesterday of the basket's members of
    today, summed a block of companies at a time; their ratio is the basket's return."""

    def __init__(self, baskets: int, n: int) -> None:
        self.today = np.zeros((baskets, n - 1))
        self.yesterday = np.zeros((baskets, n - 1))

    def add(self, price: np.ndarray, member: np.ndarray, weights: np.ndarray) -> None:
        """Add a block of companies (price is 0 where a company has no price)."""
        held = member[:, 1:] & (price[:, :-1] > 0)
        self.today += weights.T @ (price[:, 1:] * held)
        self.yesterday += weights.T @ (price[:, :-1] * held)

    def add_equal(self, price: np.ndarray, member: np.ndarray) -> None:
        """Add a block of companies to a single equal-weight basket."""
        held = member[:, 1:] & (price[:, :-1] > 0)
        relative = np.ones_like(price[:, 1:])
        np.divide(price[:, 1:], price[:, :-1], out=relative, where=held)
        self.today[0] += (relative * held).sum(axis=0)
        self.yesterday[0] += held.sum(axis=0)

    def returns(self) -> np.ndarray:
        """Daily returns per basket (baskets x sessions; 0 on the first session). A basket
        with no member on a session (a sector a small sample leaves empty) moves with the
        first basket, the whole index, rather than printing the same close day after day."""
        out = np.zeros((self.today.shape[0], self.today.shape[1] + 1))
        held = self.yesterday > 0
        np.divide(self.today, self.yesterday, out=out[:, 1:], where=held)
        out[:, 1:][held] -= 1.0
        out[:, 1:] = np.where(held, out[:, 1:], out[0, 1:])
        return out


class FundBaskets:
    """Every benchmark and ETF basket, filled a block of companies at a time."""

    def __init__(self, u: Universe, shares: np.ndarray, n: int) -> None:
        growth = (u.style > 0).astype(float)
        sectors = np.eye(len(SECTORS))[u.sector]
        self.large_weights = shares[:, None] * np.column_stack(
            [np.ones(u.size), growth, 1.0 - growth, sectors]
        )
        self.small_weights = shares[:, None] * np.column_stack(
            [np.ones(u.size), (u.quality > 0).astype(float)]
        )
        self.mid_weights = shares[:, None]
        self.large = BasketSums(self.large_weights.shape[1], n)
        self.small = BasketSums(self.small_weights.shape[1], n)
        self.mid = BasketSums(1, n)
        self.equal = BasketSums(1, n)

    def add(
        self, block: slice, price: np.ndarray, large: np.ndarray, small: np.ndarray, mid: np.ndarray
    ) -> None:
        """Add the companies of `block` (their prices and memberships)."""
        self.large.add(price, large, self.large_weights[block])
        self.small.add(price, small, self.small_weights[block])
        self.mid.add(price, mid, self.mid_weights[block])
        self.equal.add_equal(price, large)

    def closes(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Close of every benchmark and ETF on every session."""
        large, small = self.large.returns(), self.small.returns()
        returns = {
            "^GSPC": large[0],
            "IWF": large[1],
            "IWD": large[2],
            **{etf: large[3 + k] for k, etf in enumerate(SECTOR_ETFS)},
            "^RUT": small[0],
            "IJR": small[1],
            "MDY": self.mid.returns()[0],
            "RSP": self.equal.returns()[0],
        }
        closes = {
            symbol: START_LEVEL[symbol] * np.cumprod(1.0 + ret) for symbol, ret in returns.items()
        }
        n = len(returns["^GSPC"])
        for symbol, (index, fee) in TRACKERS.items():
            ret = returns[index] - fee / TRADING_DAYS + rng.normal(0.0, TRACKING_NOISE, n)
            ret[0] = 0.0
            closes[symbol] = START_LEVEL[index] * TRACKER_SCALE * np.cumprod(1.0 + ret)
        return closes


def mid_size_mask(
    large: np.ndarray, small: np.ndarray, log_caps: dict[int, np.ndarray], n_large: int
) -> np.ndarray:
    """Members ranked between MID_RANKS large-universe sizes by cap, re-chosen on each cap
    date (companies x sessions)."""
    n = large.shape[1]
    out = np.zeros_like(large)
    days = sorted(log_caps)
    low, high = (round(r * n_large) for r in MID_RANKS)
    for start, stop in zip(days, [*days[1:], n], strict=True):
        member = large[:, start] | small[:, start]
        ranked = np.flatnonzero(member)[np.argsort(-log_caps[start][member], kind="stable")]
        out[ranked[low:high], start:stop] = True
    out &= large | small
    return out


def fund_frames(
    closes: dict[str, np.ndarray],
    member_volume: dict[str, np.ndarray],
    factors: Factors,
    sessions: pl.Series,
    early_close: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, pl.DataFrame]:
    """OHLCV rows of every benchmark and ETF (indices carry their members' total volume)."""
    n = len(sessions)
    frames = {}
    for symbol in sorted(closes):
        close = closes[symbol]
        log_ret = np.diff(np.log(close), prepend=np.log(close[0]))
        vol = max(float(np.std(log_ret[1:])), MIN_VOL)
        gap = GAP_SHARE * log_ret + GAP_NOISE * vol * rng.standard_normal(n)
        open_ = close * np.exp(gap - log_ret)
        spread = RANGE * vol * np.where(early_close, EARLY_CLOSE_RANGE, 1.0)
        high = np.maximum(open_, close) * np.exp(spread * np.abs(rng.standard_normal(n)))
        low = np.minimum(open_, close) * np.exp(-spread * np.abs(rng.standard_normal(n)))
        if symbol in member_volume:
            volume = member_volume[symbol]
        else:
            noise = np.exp(ar1(rng.normal(0.0, VOLUME_NOISE, n), VOLUME_PERSISTENCE))
            surge = 1.0 + (SMALL_ETF_SURGE * factors.small_surge if symbol in SMALL_ETFS else 0.0)
            volume = BASE_VOLUME[symbol] * factors.volume * surge * noise
            volume *= 1.0 + VOLUME_MOVE * np.abs(log_ret)
            volume *= np.where(early_close, EARLY_CLOSE_VOLUME, 1.0)
            volume *= np.where(rng.random(n) < SURGE_PROB, rng.uniform(*SURGE_VOLUME, n), 1.0)
        rounded = np.round(close, 2)
        frames[symbol] = pl.DataFrame(
            {
                "ticker": symbol,
                "date": sessions,
                "open": np.round(open_, 2),
                "high": np.round(high, 2),
                "low": np.round(low, 2),
                "close": rounded,
                "volume": np.rint(volume).astype(np.int64),
                "unadjusted_close": rounded,
            },
            schema=PRICES_SCHEMA,
        )
    return frames
