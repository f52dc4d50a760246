"""The offline `sample` source: a deterministic synthetic market that looks like a real one.

One seed draws a market: NYSE sessions, regimes (rallies, declines, small caps lagging and
catching up), rates that move with them, ~20 % large and ~80 % small members with sectors,
benchmarks and ETFs built from the members, and the awkward things real data has (splits,
dividends, halts, missing rows, listings, delistings, membership changes). The same
(members, years, seed, end) always gives the same frames.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from orchestration.sources.base import (
    ACTIONS_SCHEMA,
    MEMBERS_SCHEMA,
    RATES_SCHEMA,
    FetchRequest,
    RawBatch,
)
from orchestration.sources.sample.calendar import Calendar, history_start, nyse_calendar
from orchestration.sources.sample.fundamentals import QuarterlyReports
from orchestration.sources.sample.funds import FundBaskets, fund_frames, mid_size_mask
from orchestration.sources.sample.market import SECTORS, regime_path, simulate_factors
from orchestration.sources.sample.members import (
    LARGE,
    OPEN,
    SMALL,
    UNIVERSE_NAMES,
    Membership,
    build_membership,
    cap_rank_days,
)
from orchestration.sources.sample.prices import (
    ANNOUNCE_VOLUME,
    EARLY_CLOSE_RANGE,
    EARNINGS_VOLUME,
    GAP_NOISE,
    GAP_SHARE,
    HALT_GAP,
    HALT_VOLUME,
    MIN_PRICE,
    RANGE,
    Adjustment,
    Events,
    apply_splits,
    blocks,
    dividend_days,
    log10_caps,
    log_returns,
    plant_gaps,
    shift_paths,
    total_return_paths,
    volumes,
)
from orchestration.sources.sample.rates import CPI, cpi_released, simulate_rates
from orchestration.sources.sample.risk import simulate_risk
from orchestration.sources.sample.universe import Universe, make_universe
from orchestration.sources.sample.weights import WeightSnapshots

DEFAULT_END = date(2026, 11, 20)
MIN_MEMBERS = 10
# A stream added later goes last: each draws from its own child seed, so the others stay
# as they were.
STREAMS = (
    "regimes", "rates", "factors", "universe", "paths", "gaps", "volume", "ohlc", "funds", "risk",
    "fundamentals",
)  # fmt: skip


@dataclass(frozen=True)
class Rebasing:
    """How the adjusted history of each company with splits or dividends is based: on each
    session, the product of the factors of its later events (the `Adjustment`). Adjusted
    as of a date, a price is its fully adjusted value over the factor on that date, as a
    download on that date would give it; later events re-base the whole history."""

    tickers: np.ndarray  # the companies with events
    sessions: np.ndarray  # datetime64[D] of every session
    factors: np.ndarray  # those companies x sessions

    def on(self, cutoff: date) -> dict[str, float]:
        """Each company's factor on the last session up to `cutoff`, by ticker."""
        day = int(np.searchsorted(self.sessions, np.datetime64(cutoff, "D"), side="right")) - 1
        return dict(zip(self.tickers.tolist(), self.factors[:, max(day, 0)].tolist(), strict=True))


@dataclass(frozen=True)
class SampleMarket:
    """The whole generated history as the raw tables, and how its adjusted history is
    based."""

    prices: pl.DataFrame
    members: pl.DataFrame
    rates: pl.DataFrame
    actions: pl.DataFrame
    index_weights: pl.DataFrame
    fundamentals: pl.DataFrame
    rebasing: Rebasing


def _dates(cal: Calendar, days: np.ndarray) -> pl.Series:
    """The sessions at the given indices as a Date series."""
    return pl.Series(cal.sessions[days]).cast(pl.Date)


def _member_rows(
    cal: Calendar,
    u: Universe,
    block: slice,
    rows: np.ndarray,
    close: np.ndarray,
    returns: np.ndarray,
    volume: np.ndarray,
    adjust: np.ndarray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Price rows of a block of companies, sorted by (ticker, date): OHLC drawn around the
    close and rounded to cents unadjusted, then scaled by the adjustment factor."""
    company, day = np.nonzero(rows)
    company += block.start
    unadjusted = close[rows]
    factor = adjust[rows]
    own_vol = u.vol[company]
    size = len(company)
    open_ = unadjusted * np.exp(
        GAP_NOISE * own_vol * rng.standard_normal(size) - (1.0 - GAP_SHARE) * returns[rows]
    )
    spread = RANGE * own_vol * np.where(cal.early_close[day], EARLY_CLOSE_RANGE, 1.0)
    high = np.maximum(open_, unadjusted) * np.exp(spread * np.abs(rng.standard_normal(size)))
    low = np.minimum(open_, unadjusted) * np.exp(-spread * np.abs(rng.standard_normal(size)))

    def cents(x: np.ndarray) -> np.ndarray:
        return np.maximum(np.round(x, 2), MIN_PRICE) * factor

    return pl.DataFrame(
        {
            "ticker": pl.Series(u.ticker).gather(company),
            "date": _dates(cal, day),
            "open": cents(open_),
            "high": cents(high),
            "low": cents(low),
            "close": unadjusted * factor,
            "volume": np.rint(volume[rows]).astype(np.int64),
            "unadjusted_close": unadjusted,
        }
    )


def _interleave(
    members: list[pl.DataFrame], row_counts: np.ndarray, u: Universe, funds: dict[str, pl.DataFrame]
) -> pl.DataFrame:
    """Member blocks (sorted, in ticker order) with each fund's rows put in its place."""
    merged = pl.concat(members)
    offsets = np.concatenate([[0], np.cumsum(row_counts)])
    parts, start = [], 0
    for symbol in sorted(funds):
        at = int(offsets[np.searchsorted(u.ticker, symbol)])
        parts += [merged.slice(start, at - start), funds[symbol]]
        start = at
    parts.append(merged.slice(start))
    return pl.concat(parts, rechunk=False)


def _members_frame(cal: Calendar, u: Universe, members: Membership) -> pl.DataFrame:
    closed = members.last != OPEN
    valid_to = np.where(closed, cal.sessions[members.last], np.datetime64("NaT", "D"))
    return (
        pl.DataFrame(
            {
                "universe": np.array(UNIVERSE_NAMES)[members.universe],
                "ticker": u.ticker[members.company],
                "valid_from": _dates(cal, members.first),
                "valid_to": valid_to,
                "name": u.name[members.company],
                "sector": np.array(SECTORS)[u.sector[members.company]],
            }
        )
        .cast(MEMBERS_SCHEMA)
        .sort("universe", "ticker", "valid_from")
    )


def _actions_frame(
    cal: Calendar, u: Universe, splits: Events, dividends: Events, priced: np.ndarray
) -> pl.DataFrame:
    """Splits and dividends of the companies that have prices."""
    splits, dividends = (e.of(priced) for e in (splits, dividends))
    parts = [
        pl.DataFrame(
            {
                "ticker": u.ticker[a.company],
                "date": _dates(cal, a.day),
                "kind": kind,
                "value": a.value,
            },
            schema=ACTIONS_SCHEMA,
        )
        for kind, a in (("split", splits), ("dividend", dividends))
    ]
    return pl.concat(parts).sort("ticker", "date", "kind")


def as_of(market: SampleMarket, cutoff: date) -> SampleMarket:
    """What was known on `cutoff`: later rows dropped, later exits not yet known, CPI only
    once released, and prices adjusted only for the splits and dividends by then."""
    on_time = pl.col("date") <= cutoff
    adjusted = ("open", "high", "low", "close")
    base = pl.col("ticker").replace_strict(
        market.rebasing.on(cutoff), default=1.0, return_dtype=pl.Float64
    )
    prices = market.prices.filter(on_time).with_columns(pl.col(adjusted) / base)
    return SampleMarket(
        prices=prices,
        members=market.members.filter(pl.col("valid_from") <= cutoff).with_columns(
            pl.when(pl.col("valid_to") <= cutoff).then(pl.col("valid_to")).alias("valid_to")
        ),
        rates=market.rates.filter(
            pl.when(pl.col("series") == CPI).then(cpi_released(cutoff)).otherwise(on_time)
        ),
        actions=market.actions.filter(on_time),
        index_weights=market.index_weights.filter(pl.col("as_of") <= cutoff),
        fundamentals=market.fundamentals.filter(pl.col("available_on") <= cutoff),
        rebasing=market.rebasing,
    )


def generate(members: int, years: int, seed: int, end: date) -> SampleMarket:
    """Draw the whole market history: the same arguments always give the same frames."""
    cal = nyse_calendar(history_start(end, years), end)
    n = cal.n
    seeds = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(STREAMS, seeds, strict=True)}

    regime = regime_path(n, rng["regimes"])
    rates = simulate_rates(cal, regime, end, rng["rates"])
    factors = simulate_factors(regime, rates.ten_year_change_bp, rng["factors"])
    u = make_universe(members, years, n, rng["universe"])

    paths, earnings, announced = total_return_paths(factors, u, n, rng["paths"])
    log_caps = log10_caps(paths, u, cap_rank_days(cal))
    splits, last_day = apply_splits(paths, u)
    membership = build_membership(cal, u, last_day, log_caps.__getitem__)

    priced = np.zeros(u.size, dtype=bool)  # companies that are ever members
    priced[membership.company] = True
    busy: dict[int, list[int]] = {}
    for company, day in zip(splits.company, splits.day, strict=True):
        busy.setdefault(int(company), []).append(int(day))
    life_rows = int((last_day - u.list_day + 1)[priced].sum())
    gaps = plant_gaps(membership, u, last_day, busy, years, life_rows, n, rng["gaps"])
    payers, ex_days = dividend_days(u, last_day)
    quarter_yield = u.dividend_yield[payers] / 4
    resumed = Events(
        gaps.halt_company,
        gaps.halt_start + gaps.halt_days,
        rng["gaps"].normal(0.0, HALT_GAP, len(gaps.halt_company)),
    )
    shift_paths(paths, Events.concat(Events(payers, ex_days, np.log1p(-quarter_yield)), resumed))

    days = np.arange(n)
    alive = (days >= u.list_day[:, None]) & (days <= last_day[:, None])
    close = paths  # from here on: unadjusted close, rounded to cents, 0 outside listing
    for block in blocks(u.size):
        np.exp(close[block], out=close[block])
        np.round(close[block], 2, out=close[block])
        np.maximum(close[block], MIN_PRICE, out=close[block])
        close[block][~alive[block]] = 0.0
    amounts = np.round(quarter_yield * close[payers, ex_days - 1], 2)
    paid = amounts >= MIN_PRICE
    dividends = Events(payers[paid], ex_days[paid], amounts[paid])
    split_adjustment = Adjustment.of(Events(splits.company, splits.day, 1.0 / splits.value), n)
    dividend_factors = 1.0 - dividends.value / close[dividends.company, dividends.day - 1]
    adjustment = Adjustment.of(
        Events.concat(
            Events(splits.company, splits.day, 1.0 / splits.value),
            Events(dividends.company, dividends.day, dividend_factors),
        ),
        n,
    )

    rows = alive & priced[:, None]
    for company, start, length in zip(
        gaps.halt_company, gaps.halt_start, gaps.halt_days, strict=True
    ):
        rows[company, start : start + length] = False
    rows[gaps.company, gaps.day] = False

    large = membership.mask(LARGE, u.size, n)
    small = membership.mask(SMALL, u.size, n)
    mid = mid_size_mask(large, small, log_caps, u.n_large)
    first_price = close[np.arange(u.size), u.list_day] * split_adjustment.on(u.list_day)
    shares = 10.0**u.log_cap / first_price  # counted in today's shares
    baskets = FundBaskets(u, shares, n)
    weights = WeightSnapshots(cal.sessions, shares)
    reports = QuarterlyReports(cal.sessions, shares)
    index_volume = {"^GSPC": np.zeros(n), "^RUT": np.zeros(n)}
    news = ((earnings, EARNINGS_VOLUME), (announced, ANNOUNCE_VOLUME), (resumed, HALT_VOLUME))
    member_frames = []
    for block in blocks(u.size):
        # Split-adjusted, dividends not: what market caps and price indices follow.
        price = close[block] * split_adjustment.block(block)
        returns = log_returns(price)
        volume = volumes(
            returns,
            u.turnover[block] * shares[block],
            u.vol[block],
            u.size_loading[block],
            factors,
            cal.early_close,
            tuple((events.within(block), multiple) for events, multiple in news),
            rng["volume"],
        )
        volume[~rows[block]] = 0.0
        baskets.add(block, price, large[block], small[block], mid[block])
        weights.add(block, price, large[block], small[block])
        reports.add(block, price)
        index_volume["^GSPC"] += (volume * large[block]).sum(axis=0)
        index_volume["^RUT"] += (volume * small[block]).sum(axis=0)
        member_frames.append(
            _member_rows(
                cal,
                u,
                block,
                rows[block],
                close[block],
                returns,
                volume,
                adjustment.block(block),
                rng["ohlc"],
            )
        )
    closes = baskets.closes(rng["funds"])
    risk = simulate_risk(cal, closes["^GSPC"], closes["^RUT"], rng["risk"])
    funds = fund_frames(
        closes,
        index_volume,
        factors,
        _dates(cal, days),
        cal.early_close,
        rng["funds"],
    )
    return SampleMarket(
        prices=_interleave(member_frames, rows.sum(axis=1), u, funds),
        members=_members_frame(cal, u, membership),
        rates=pl.concat([rates.frame(cal, end), risk]).sort("series", "date").cast(RATES_SCHEMA),
        actions=_actions_frame(cal, u, splits, dividends, priced),
        index_weights=weights.frame(u),
        fundamentals=reports.frame(u, rng["fundamentals"]),
        rebasing=Rebasing(u.ticker[adjustment.companies], cal.sessions, adjustment.factors),
    )


def _resumed(
    frame: pl.DataFrame, key: str, last_stored: dict[str, date], request: FetchRequest
) -> pl.DataFrame:
    """The rows of `frame` from the date each `key` resumes at (see FetchRequest)."""
    if not last_stored and request.refetch_from is None:
        return frame
    starts = pl.DataFrame(
        {
            key: list(last_stored),
            "resume_from": [request.start_date(d, date.min) for d in last_stored.values()],
        },
        schema={key: pl.String(), "resume_from": pl.Date()},
    )
    return (
        frame.join(starts, on=key, how="left", maintain_order="left")
        .filter(pl.col("resume_from").is_null() | (pl.col("date") >= pl.col("resume_from")))
        .drop("resume_from")
    )


class SampleSource:
    """The offline source: a synthetic market generated in-process from a seed."""

    name = "sample"
    resumes = True

    def __init__(
        self,
        members: int = 2500,
        years: int = 10,
        seed: int = 42,
        end: date = DEFAULT_END,
        through: date | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        if members < MIN_MEMBERS or years < 1:
            raise ValueError(
                f"sample source needs members >= {MIN_MEMBERS} and years >= 1, "
                f"got members={members}, years={years}"
            )
        self.members = members
        self.years = years
        self.seed = seed
        self.end = end
        self.through = through
        self.cache_dir = cache_dir
        self._market: SampleMarket | None = None

    def market(self) -> SampleMarket:
        """The whole drawn market, drawn (or read from `cache_dir`) once per source."""
        if self._market is None:
            from orchestration.sources.sample.cache import cached_market

            self._market = cached_market(
                self.cache_dir, self.members, self.years, self.seed, self.end
            )
        return self._market

    def fetch(self, request: FetchRequest) -> RawBatch:
        """What was known on min(end, through, today), only what the request lacks.

        The market is drawn whole from `end`, so a later `through` continues the same
        history: running day after day with `through` moving on replays it. Prices and
        rates start where `request` says each symbol resumes; the small membership and
        actions tables come whole, and the warehouse's merge keeps re-loading idempotent.
        """
        started = time.perf_counter()
        market = self.market()
        cutoff = min(self.end, request.today, self.through or self.end)
        if cutoff < self.end:
            market = as_of(market, cutoff)
        prices = market.prices
        if request.only_tickers is not None:
            prices = prices.filter(pl.col("ticker").is_in(sorted(request.only_tickers)))
        batch = RawBatch(
            prices=_resumed(prices, "ticker", request.last_price_dates, request),
            members=market.members,
            rates=_resumed(market.rates, "series", request.last_rate_dates, request),
            actions=market.actions,
            index_weights=market.index_weights,
            fundamentals=market.fundamentals,
            requested={
                "source": self.name,
                "members": self.members,
                "years": self.years,
                "seed": self.seed,
                "end": self.end.isoformat(),
                "through": cutoff.isoformat(),
            },
        )
        request.log.info(
            "sample: %d price, %d member, %d rate, %d action, %d weight and %d fundamentals rows"
            " through %s in %.2f s",
            batch.prices.height,
            batch.members.height,
            batch.rates.height,
            batch.actions.height,
            batch.index_weights.height,
            batch.fundamentals.height,
            cutoff,
            time.perf_counter() - started,
        )
        return batch
