"""Market regimes and the common factors that drive every sample price."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.warehouse.seeds import sector_etfs, symbols

TRADING_DAYS = 252

REGIMES = (
    "mixed",
    "broad_rally",
    "broad_decline",
    "small_lag",
    "rate_relief",
    "small_leadership",
)
MIXED, RALLY, DECLINE, SMALL_LAG, RELIEF, LEADERSHIP = range(len(REGIMES))
UP_REGIMES = (RALLY, LEADERSHIP)
DOWN_REGIMES = (DECLINE, SMALL_LAG)

# Per regime, in the order of REGIMES. Drifts and vols are daily log returns.
MARKET_DRIFT = np.array([0.0002, 0.0013, -0.0032, 0.0006, 0.0004, 0.0010])
MARKET_VOL = np.array([0.008, 0.006, 0.016, 0.008, 0.009, 0.008])
SIZE_DRIFT = np.array([0.0, 0.0002, -0.0008, -0.0014, 0.0003, 0.0020])
SIZE_VOL = np.array([0.004, 0.003, 0.006, 0.004, 0.005, 0.005])
YIELD_DRIFT = np.array([0.0, 0.002, -0.015, 0.012, -0.03, -0.006])  # 2-year, points per day
# The few mega caps' extra drift: they carry the index while small caps lag, and give
# some of it back when small caps lead.
MEGA_DRIFT = np.array([0.0, 0.0002, 0.0, 0.0010, 0.0, -0.0004])
VOLUME_LEVEL = np.array([1.0, 0.9, 1.5, 1.0, 1.1, 1.3])
IDIO_VOL_SCALE = np.array([1.0, 0.9, 1.35, 1.0, 1.05, 1.05])
DURATION = np.array([[20, 60], [30, 100], [10, 40], [40, 110], [10, 25], [40, 90]])
TRANSITIONS = np.array(  # from the row's regime to the column's
    [
        [0.0, 0.3, 0.2, 0.3, 0.2, 0.0],
        [0.3, 0.0, 0.3, 0.4, 0.0, 0.0],
        [0.2, 0.4, 0.0, 0.0, 0.4, 0.0],
        [0.1, 0.0, 0.2, 0.0, 0.7, 0.0],
        [0.0, 0.1, 0.0, 0.0, 0.0, 0.9],
        [0.35, 0.4, 0.25, 0.0, 0.0, 0.0],
    ]
)
# A year without a rally or without a decline would not look like a market: force one.
FORCE_AFTER_DAYS = 110
# A decline that turns into a rally ends in a capitulation and turns in a breadth thrust;
# a small-cap catch-up starts with a burst.
CAPITULATION_DAYS = 4
CAPITULATION_MARKET = -0.012
THRUST_DAYS = 7
THRUST_MARKET = 0.011
CATCH_UP_DAYS = 6
CATCH_UP_MARKET = 0.004
CATCH_UP_SIZE = 0.004
SMALL_SURGE_DAYS = 15
SMALL_SURGE = 0.8  # extra small-cap volume at the start of a catch-up

TAIL_PROB = 0.03  # share of days whose shock is scaled up (fat tails)
TAIL_SCALE = 3.0
LARGE_GROWTH = 0.085  # log growth per year the market factor is pinned to
SIZE_GROWTH = -0.08  # log growth per year of small minus large
SIZE_RATE_BETA = 0.0003  # small-minus-large per basis point of the 10-year yield
STYLE_RATE_BETA = 0.0001
STYLE_DRIFT_SD = 0.0004
STYLE_VOL = 0.004
SECTOR_DRIFT_SD = 0.0005
VOLUME_MOVE_SENSITIVITY = 8.0
VOLUME_NOISE = 0.08
VOLUME_PERSISTENCE = 0.97

SECTORS = (
    "Energy",
    "Materials",
    "Industrials",
    "Consumer Discretionary",
    "Consumer Staples",
    "Health Care",
    "Financials",
    "Information Technology",
    "Communication Services",
    "Utilities",
    "Real Estate",
)
SECTOR_ETFS = tuple(sector_etfs()[sector] for sector in SECTORS)  # in SECTORS' order
FUND_SYMBOLS = symbols()
SECTOR_BETA = np.array([1.1, 1.05, 1.05, 1.15, 0.65, 0.85, 1.1, 1.25, 1.0, 0.55, 0.85])
SECTOR_VOL = np.array([0.013, 0.008, 0.006, 0.007, 0.005, 0.006, 0.007, 0.008, 0.007, 0.007, 0.008])
SECTOR_RATE_BETA = np.array(  # per basis point of the 10-year yield
    [0.0001, 0.0, 0.0, -0.0001, -0.0001, 0.0, 0.0003, -0.0002, -0.0001, -0.0004, -0.0004]
)


@dataclass(frozen=True)
class Factors:
    """Daily common factors (log returns) and market-wide volume levels."""

    market: np.ndarray
    size: np.ndarray  # small minus large
    style: np.ndarray  # growth minus value
    sectors: np.ndarray  # sessions x sectors
    mega: np.ndarray  # the mega caps' own drift
    idio_scale: np.ndarray  # multiplies every stock's own volatility
    volume: np.ndarray  # market-wide volume level
    small_surge: np.ndarray  # extra volume of small caps (and their ETFs)


def fat_tails(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """Unit-variance shocks with fat tails: normals, a few of them scaled up."""
    shocks = rng.standard_normal(size)
    flat = shocks.reshape(-1)
    flat[rng.integers(0, flat.size, rng.binomial(flat.size, TAIL_PROB))] *= TAIL_SCALE
    shocks /= np.sqrt(1.0 + TAIL_PROB * (TAIL_SCALE**2 - 1.0))
    return shocks


def ar1(shocks: np.ndarray, persistence: float) -> np.ndarray:
    """An AR(1) path along the first axis driven by `shocks` (overwritten and returned)."""
    for t in range(1, len(shocks)):
        shocks[t] += persistence * shocks[t - 1]
    return shocks


def regime_path(n: int, rng: np.random.Generator) -> np.ndarray:
    """A sequence of regimes lasting weeks to months, with a rally and a decline every year."""
    out = np.empty(n, dtype=np.int8)
    state = int(rng.choice([MIXED, RALLY, SMALL_LAG]))
    day, last_up, last_down = 0, 0, 0
    while day < n:
        low, high = DURATION[state]
        length = int(rng.integers(low, high + 1))
        out[day : day + length] = state
        day += length
        if state in UP_REGIMES:
            last_up = day
        if state in DOWN_REGIMES:
            last_down = day
        if day - last_down >= FORCE_AFTER_DAYS and state not in DOWN_REGIMES:
            state = int(rng.choice(DOWN_REGIMES))
        elif day - last_up >= FORCE_AFTER_DAYS and state not in UP_REGIMES:
            state = RALLY
        else:
            state = int(rng.choice(len(REGIMES), p=TRANSITIONS[state]))
    return out


@dataclass(frozen=True)
class Segments:
    """Per session: its regime segment's number, sessions since it began and until it
    ends, and the regimes of the segments before and after (-1 at the ends)."""

    number: np.ndarray
    age: np.ndarray
    left: np.ndarray
    before: np.ndarray
    after: np.ndarray

    @classmethod
    def of(cls, regime: np.ndarray) -> Segments:
        """The segments of a regime path."""
        number = np.concatenate([[0], np.cumsum(regime[1:] != regime[:-1])])
        starts = np.flatnonzero(np.diff(number, prepend=-1))
        stops = np.append(starts[1:], len(regime))
        day = np.arange(len(regime))
        kind = regime[starts]
        return cls(
            number=number,
            age=day - starts[number],
            left=stops[number] - 1 - day,
            before=np.concatenate([[-1], kind[:-1]])[number],
            after=np.append(kind[1:], -1)[number],
        )


def simulate_factors(
    regime: np.ndarray, yield_change_bp: np.ndarray, rng: np.random.Generator
) -> Factors:
    """Market, size, style and sector factors following the regimes and the 10-year yield."""
    n = len(regime)
    seg = Segments.of(regime)
    capitulation = (regime == DECLINE) & (seg.after == RALLY) & (seg.left < CAPITULATION_DAYS)
    thrust = (regime == RALLY) & (seg.before == DECLINE) & (seg.age < THRUST_DAYS)
    catch_up = (regime == LEADERSHIP) & (seg.age < CATCH_UP_DAYS)

    market = MARKET_DRIFT[regime] + MARKET_VOL[regime] * fat_tails(rng, n)
    market += CAPITULATION_MARKET * capitulation + THRUST_MARKET * thrust
    market += CATCH_UP_MARKET * catch_up
    market += (LARGE_GROWTH * n / TRADING_DAYS - market.sum()) / n
    size = SIZE_DRIFT[regime] + SIZE_VOL[regime] * fat_tails(rng, n) + CATCH_UP_SIZE * catch_up
    size -= SIZE_RATE_BETA * yield_change_bp
    size += (SIZE_GROWTH * n / TRADING_DAYS - size.sum()) / n

    count = int(seg.number[-1]) + 1
    style_drift = rng.normal(0.0, STYLE_DRIFT_SD, count)[seg.number]
    style = style_drift + STYLE_VOL * rng.standard_normal(n) - STYLE_RATE_BETA * yield_change_bp
    sector_drift = rng.normal(0.0, SECTOR_DRIFT_SD, (count, len(SECTORS)))[seg.number]
    sectors = sector_drift + SECTOR_VOL * fat_tails(rng, (n, len(SECTORS)))
    sectors += np.outer(yield_change_bp, SECTOR_RATE_BETA)
    sectors -= sectors.mean(axis=0)

    noise = ar1(rng.normal(0.0, VOLUME_NOISE, n), VOLUME_PERSISTENCE)
    volume = VOLUME_LEVEL[regime] * (1.0 + VOLUME_MOVE_SENSITIVITY * np.abs(market)) * np.exp(noise)
    small_surge = SMALL_SURGE * ((regime == LEADERSHIP) & (seg.age < SMALL_SURGE_DAYS))
    return Factors(
        market=market,
        size=size,
        style=style,
        sectors=sectors,
        mega=MEGA_DRIFT[regime],
        idio_scale=IDIO_VOL_SCALE[regime],
        volume=volume,
        small_surge=small_surge,
    )
