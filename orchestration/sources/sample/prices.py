"""Member price paths: returns, corporate actions, gaps in the data, OHLC and volume.

Prices live in companies x sessions matrices (company-major, so one company's history is
contiguous) of log unadjusted prices. Splits, dividends and the gap after a halt shift a
company's path from their day on; the adjusted close is the rounded unadjusted close times
yfinance's adjustment factor (the product of the factors of every later split and
dividend), so it is continuous where the unadjusted one jumps. Large intermediate work is
done a block of companies at a time: it keeps the temporaries small.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from orchestration.sources.sample.market import SECTORS, Factors, ar1, fat_tails
from orchestration.sources.sample.members import OPEN, SMALL, Membership
from orchestration.sources.sample.universe import QUARTER, Universe

BLOCK = 256  # companies per block of work

EARNINGS_JUMP = 2.5  # in own daily vols
EARNINGS_VOLUME = 2.5
ANNOUNCE_LEAD_DAYS = 40  # an acquisition is announced this many sessions before delisting
TAKEOVER_PREMIUM = (0.15, 0.45)
MERGER_DAMPING = 0.15  # a target moves this fraction of its usual moves until it delists
MEGA_CAPS = 5  # the largest companies of the first day, which follow the mega-cap factor
ANNOUNCE_VOLUME = 6.0

SPLIT_LAG_DAYS = 20  # from the price crossing its threshold to the split
SPLIT_COOLDOWN_DAYS = 120
TRIPLE_SPLIT_PRICE = 600.0
DEEP_REVERSE_PRICE = 0.8
FORWARD_RATIOS = (2.0, 3.0)
REVERSE_RATIOS = (0.2, 0.1)
MAX_REVERSE_SPLITS = 2  # the next fall below the threshold delists the company
DELIST_LAG_DAYS = 10

HALTS_PER_MEMBER_YEAR = 0.0016
MIN_HALTS = 3
HALT_DAYS = (1, 5)
HALT_GAP = 0.15  # log sd of the move over a halt
HALT_VOLUME = 5.0
SMALL_HALT_SHARE = 0.8
MISSING_PER_ROW = 2e-5
MIN_MISSING = 3
QUIET_DAYS = 5  # no halt or missing row this close to another event of the company
MAX_ATTEMPTS = 50

GAP_SHARE = 0.35  # share of the day's return that happens overnight
GAP_NOISE = 0.25  # in own daily vols
RANGE = 0.5  # intraday range beyond open and close, in own daily vols
EARLY_CLOSE_RANGE = 0.6
EARLY_CLOSE_VOLUME = 0.55
VOLUME_NOISE = 0.25
VOLUME_PERSISTENCE = 0.6
VOLUME_MOVE = 0.6  # extra volume per own daily vol of move
SURGE_PROB = 0.003
SURGE_VOLUME = (3.0, 8.0)
MIN_PRICE = 0.01


@dataclass(frozen=True)
class Events:
    """Dated events of companies as parallel arrays (company, session, value)."""

    company: np.ndarray
    day: np.ndarray
    value: np.ndarray

    @classmethod
    def concat(cls, *parts: Events) -> Events:
        """All events of `parts`, in that order."""
        return cls(
            np.concatenate([p.company for p in parts]),
            np.concatenate([p.day for p in parts]),
            np.concatenate([p.value for p in parts]),
        )

    def of(self, companies: np.ndarray) -> Events:
        """The events of the companies flagged in `companies` (a mask over all of them)."""
        pick = companies[self.company]
        return Events(self.company[pick], self.day[pick], self.value[pick])

    def within(self, block: slice) -> Events:
        """The events of the companies in `block`, renumbered from its start."""
        pick = (self.company >= block.start) & (self.company < block.stop)
        return Events(self.company[pick] - block.start, self.day[pick], self.value[pick])


@dataclass(frozen=True)
class Gaps:
    """Member rows the data leaves out: halts and single missing days."""

    company: np.ndarray
    day: np.ndarray
    halt_company: np.ndarray
    halt_start: np.ndarray
    halt_days: np.ndarray


def blocks(size: int) -> Iterator[slice]:
    """Consecutive blocks of companies."""
    for start in range(0, size, BLOCK):
        yield slice(start, min(start + BLOCK, size))


def mega_caps(u: Universe) -> np.ndarray:
    """1.0 for the `MEGA_CAPS` largest companies listed from the first day, else 0.0."""
    listed = np.flatnonzero(u.list_day == 0)
    largest = listed[np.argsort(-u.log_cap[listed], kind="stable")[:MEGA_CAPS]]
    loading = np.zeros(u.size)
    loading[largest] = 1.0
    return loading


def total_return_paths(
    factors: Factors, u: Universe, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, Events, Events]:
    """Log price paths without corporate actions (companies x sessions), with the earnings
    days and the acquisition announcements."""
    loadings = np.column_stack(
        [u.beta, u.size_loading, u.style, mega_caps(u), np.eye(len(SECTORS))[u.sector]]
    )
    common = np.vstack(
        [factors.market, factors.size, factors.style, factors.mega, factors.sectors.T]
    )
    paths = np.empty((u.size, n))
    for block in blocks(u.size):
        own = fat_tails(rng, (block.stop - block.start, n))
        own *= u.vol[block, None]
        own *= factors.idio_scale
        own += u.drift[block, None]
        np.matmul(loadings[block], common, out=paths[block])
        paths[block] += own

    quarters = np.arange(n // QUARTER + 1)[:, None] * QUARTER + u.earnings_phase
    companies = np.broadcast_to(np.arange(u.size), quarters.shape)
    inside = quarters < n
    jump = EARNINGS_JUMP * u.vol[companies[inside]]
    earnings = Events(companies[inside], quarters[inside], jump * rng.standard_normal(len(jump)))
    paths[earnings.company, earnings.day] += earnings.value - jump**2 / 2

    acquired = np.flatnonzero(u.acquired_day < n)
    announce = np.maximum(u.acquired_day[acquired] - ANNOUNCE_LEAD_DAYS, u.list_day[acquired] + 1)
    premium = np.log1p(rng.uniform(*TAKEOVER_PREMIUM, len(acquired)))
    for company, day, jump_up in zip(acquired, announce, premium, strict=True):
        paths[company, day + 1 :] *= MERGER_DAMPING
        paths[company, day] += jump_up

    for company in np.flatnonzero(u.list_day > 0):
        paths[company, : u.list_day[company]] = 0.0
    paths[np.arange(u.size), u.list_day] = np.log(u.price)
    for block in blocks(u.size):
        np.cumsum(paths[block], axis=1, out=paths[block])
    return paths, earnings, Events(acquired, announce, premium)


def log10_caps(paths: np.ndarray, u: Universe, days: np.ndarray) -> dict[int, np.ndarray]:
    """log10 market caps on the given sessions (-inf before listing), from total-return paths."""
    out = {}
    for day in days:
        cap = u.log_cap + (paths[:, day] - np.log(u.price)) / np.log(10)
        out[int(day)] = np.where(u.list_day <= day, cap, -np.inf)
    return out


def first_crossings(
    paths: np.ndarray,
    companies: np.ndarray,
    start: np.ndarray,
    last_day: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For each company, the first session in [start, last_day] with a log price above
    `high` or below `low`: (companies that cross, their sessions)."""
    n = paths.shape[1]
    days = np.arange(n)
    hits, firsts = [], []
    for k in range(0, len(companies), BLOCK):
        part = companies[k : k + BLOCK]
        block = paths[part]
        crossing = (block > high[part, None]) | (block < low[part, None])
        crossing &= (days >= start[part, None]) & (days <= last_day[part, None])
        first = crossing.argmax(axis=1)
        hit = crossing[np.arange(len(part)), first]
        hits.append(part[hit])
        firsts.append(first[hit])
    return np.concatenate(hits), np.concatenate(firsts)


def apply_splits(paths: np.ndarray, u: Universe) -> tuple[Events, np.ndarray]:
    """Split companies whose price crosses their thresholds (forward above, reverse below;
    a company falling below after two reverse splits delists instead). Shifts `paths` in
    place; returns the splits (value = new/old shares) and every company's last session."""
    n = paths.shape[1]
    last_day = np.minimum(u.acquired_day, n - 1)
    start = u.list_day + 1
    reverse_done = np.zeros(u.size, dtype=np.int64)
    high = np.log(u.forward_split_price)
    low = np.log(np.maximum(u.reverse_split_price, np.finfo(float).tiny))
    splits: list[tuple[int, int, float]] = []
    candidates = np.flatnonzero(np.isfinite(high) | (u.reverse_split_price > 0))
    while len(candidates):
        crossed, firsts = first_crossings(paths, candidates, start, last_day, high, low)
        for company, day in zip(crossed, firsts, strict=True):
            reverse = paths[company, day] < low[company]
            price = np.exp(paths[company, day])
            effective = day + SPLIT_LAG_DAYS
            start[company] = effective + SPLIT_COOLDOWN_DAYS
            if reverse and reverse_done[company] >= MAX_REVERSE_SPLITS:
                last_day[company] = min(last_day[company], day + DELIST_LAG_DAYS)
                continue
            if effective > last_day[company]:
                continue
            if reverse:
                ratio = REVERSE_RATIOS[int(price < DEEP_REVERSE_PRICE)]
                reverse_done[company] += 1
            else:
                ratio = FORWARD_RATIOS[int(price > TRIPLE_SPLIT_PRICE)]
            paths[company, effective:] -= np.log(ratio)
            splits.append((company, effective, ratio))
        candidates = crossed[start[crossed] < last_day[crossed]]
    table = np.array(sorted(splits), dtype=float).reshape(-1, 3)
    events = Events(table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2])
    return events, last_day


def plant_gaps(
    members: Membership,
    u: Universe,
    last_day: np.ndarray,
    busy: dict[int, list[int]],
    years: int,
    total_rows: int,
    n: int,
    rng: np.random.Generator,
) -> Gaps:
    """Halts (a member without rows for 1-5 sessions) and scattered single missing rows,
    inside membership, away from listings, delistings, splits and each other."""
    members_count = u.n_large + u.n_small
    n_halts = max(MIN_HALTS, round(HALTS_PER_MEMBER_YEAR * members_count * years))
    n_missing = max(MIN_MISSING, round(MISSING_PER_ROW * total_rows))
    weight = np.where(members.universe == SMALL, SMALL_HALT_SHARE, 1 - SMALL_HALT_SHARE)
    weight = weight / weight.sum()
    picked: list[tuple[int, int, int]] = []
    for _ in range(MAX_ATTEMPTS * (n_halts + n_missing)):
        if len(picked) == n_halts + n_missing:
            break
        row = rng.choice(len(weight), p=weight)
        company = int(members.company[row])
        length = int(rng.integers(HALT_DAYS[0], HALT_DAYS[1] + 1)) if len(picked) < n_halts else 1
        first = max(int(members.first[row]), int(u.list_day[company])) + 1
        end = int(last_day[company] if members.last[row] == OPEN else members.last[row])
        last = min(end, int(last_day[company]), n - 1) - 1 - length
        if last <= first:
            continue
        day = int(rng.integers(first, last + 1))
        taken = busy.setdefault(company, [])
        if any(abs(day - other) < QUIET_DAYS + length for other in taken):
            continue
        taken.append(day)
        picked.append((company, day, length))
    halts, missing = picked[:n_halts], picked[n_halts:]
    return Gaps(
        company=np.array([c for c, _, _ in missing], dtype=np.int64),
        day=np.array([d for _, d, _ in missing], dtype=np.int64),
        halt_company=np.array([c for c, _, _ in halts], dtype=np.int64),
        halt_start=np.array([d for _, d, _ in halts], dtype=np.int64),
        halt_days=np.array([k for _, _, k in halts], dtype=np.int64),
    )


def dividend_days(u: Universe, last_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quarterly ex-dividend sessions of the payers: (companies, sessions), by company."""
    payers = np.flatnonzero(u.dividend_yield > 0)
    quarters = np.arange(int(last_day.max()) // QUARTER + 1)[:, None] * QUARTER
    days = quarters + u.dividend_phase[payers]
    companies = np.broadcast_to(payers, days.shape)
    keep = (days > u.list_day[payers]) & (days <= last_day[payers])
    order = np.lexsort((days[keep], companies[keep]))
    return companies[keep][order], days[keep][order]


def shift_paths(paths: np.ndarray, shifts: Events) -> None:
    """Add each event's value to its company's log path from its day on (in place)."""
    n = paths.shape[1]
    for company in np.unique(shifts.company):
        pick = shifts.company == company
        step = np.zeros(n)
        np.add.at(step, shifts.day[pick], shifts.value[pick])
        paths[company] += np.cumsum(step)


@dataclass(frozen=True)
class Adjustment:
    """yfinance's adjustment of past prices: on each session, the product of the factors
    (event values: 1/ratio for a split, 1 - cash / previous close for a dividend) of every
    later event of the company. Kept only for the companies with events."""

    companies: np.ndarray
    factors: np.ndarray  # those companies x sessions

    @classmethod
    def of(cls, events: Events, n: int) -> Adjustment:
        """The adjustment for `events` over `n` sessions."""
        companies = np.unique(events.company)
        log_step = np.zeros((len(companies), n))
        rows = np.searchsorted(companies, events.company)
        np.add.at(log_step, (rows, events.day - 1), np.log(events.value))
        return cls(companies, np.exp(np.cumsum(log_step[:, ::-1], axis=1)[:, ::-1]))

    def block(self, block: slice) -> np.ndarray:
        """Factors of the companies in `block` (1 for those without events)."""
        out = np.ones((block.stop - block.start, self.factors.shape[1]))
        pick = (self.companies >= block.start) & (self.companies < block.stop)
        out[self.companies[pick] - block.start] = self.factors[pick]
        return out

    def on(self, days: np.ndarray) -> np.ndarray:
        """Factor of every company on its session in `days`."""
        out = np.ones(len(days))
        out[self.companies] = self.factors[np.arange(len(self.companies)), days[self.companies]]
        return out


def log_returns(price: np.ndarray) -> np.ndarray:
    """Daily log returns of each row (0 where either day has no price)."""
    out = np.zeros_like(price)
    both = (price[:, 1:] > 0) & (price[:, :-1] > 0)
    np.divide(price[:, 1:], price[:, :-1], out=out[:, 1:], where=both)
    np.log(out[:, 1:], out=out[:, 1:], where=both)
    return out


def volumes(
    returns: np.ndarray,
    base: np.ndarray,
    vol: np.ndarray,
    size_loading: np.ndarray,
    factors: Factors,
    early_close: np.ndarray,
    news: tuple[tuple[Events, float], ...],
    rng: np.random.Generator,
) -> np.ndarray:
    """Share volume (companies x sessions) around each company's `base`: higher on big
    moves, in busy markets, on news (events with a volume multiple) and in surges."""
    volume = ar1(rng.normal(0.0, VOLUME_NOISE, returns.shape).T, VOLUME_PERSISTENCE).T
    np.exp(volume, out=volume)
    volume *= base[:, None]
    volume *= factors.volume
    volume *= 1.0 + np.outer(size_loading, factors.small_surge)
    volume *= 1.0 + VOLUME_MOVE * np.abs(returns) / vol[:, None]
    volume[:, early_close] *= EARLY_CLOSE_VOLUME
    flat = volume.reshape(-1)
    surges = rng.integers(0, flat.size, rng.binomial(flat.size, SURGE_PROB))
    flat[surges] *= rng.uniform(*SURGE_VOLUME, len(surges))
    for events, multiple in news:
        volume[events.company, events.day] *= multiple
    return volume
