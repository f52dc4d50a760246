"""The companies of the sample market: tickers, names, sectors and how each one behaves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from orchestration.sources.sample.market import FUND_SYMBOLS, SECTOR_BETA, TRADING_DAYS

LARGE_SHARE = 0.2
POOL_SHARE = 0.15  # listed non-members below the small universe, candidates at reconstitution
MIN_POOL = 12
IPOS_PER_MEMBER_YEAR = 0.025
MIN_IPOS = 2
IPO_MARGIN_DAYS = 30
ROCKET_SHARE = 0.01  # small caps that grow fast (future graduations)
ROCKET_POOL = 0.1  # drawn from this top share of the small caps
DISTRESSED_SHARE = 0.015  # cheap small caps that keep falling (reverse splits, delistings)
MIN_SPECIAL = 2
ROCKET_DRIFT = 0.4 / TRADING_DAYS
DISTRESSED_DRIFT = -0.7 / TRADING_DAYS

# log10 market cap: the large/small boundary, the top, the smallest member, the pool's floor
CAP_BOUNDARY = 9.9
CAP_TOP = 12.4
CAP_SMALLEST = 8.2
CAP_POOL_FLOOR = 7.9
CAP_JITTER = 0.03
IPO_CAP = (8.6, 9.6)
SIZE_LOADING = (0.4, 0.9, 1.3)  # at the boundary, per decade of cap below it, cap

LARGE_PRICE = (90.0, 0.7, 10.0, 900.0)  # median, log sd, min, max
SMALL_PRICE = (25.0, 0.8, 2.0, 250.0)
POOL_PRICE = (10.0, 0.8, 1.5, 80.0)
IPO_PRICE = (10.0, 40.0)
DISTRESSED_PRICE = (1.3, 3.0)
LARGE_VOL, SMALL_VOL, DISTRESSED_VOL = 0.013, 0.024, 0.045
VOL_DISPERSION = 0.25
BETA_DISPERSION = 0.2
STYLE_LOADING = 0.6
TURNOVER = (0.007, 0.4)  # median share of the company traded a day, log sd
ACQUIRED_PER_YEAR = {"large": 0.012, "small": 0.03}
DIVIDEND_PAYERS = 0.6
DIVIDEND_YIELD = (0.008, 0.035)
FORWARD_SPLIT_PRICE = (300.0, 900.0)
REVERSE_SPLIT_PRICE = (0.5, 1.0)
QUARTER = 63

LARGE_SECTOR_WEIGHTS = (0.045, 0.05, 0.15, 0.1, 0.07, 0.12, 0.13, 0.14, 0.045, 0.06, 0.06)
SMALL_SECTOR_WEIGHTS = (0.05, 0.04, 0.16, 0.1, 0.04, 0.16, 0.17, 0.12, 0.03, 0.03, 0.06)

LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
LETTER_WEIGHTS = np.array(
    [8, 3, 6, 4, 7, 3, 3, 3, 5, 1, 2, 5, 5, 6, 5, 4, 1, 5, 7, 6, 3, 3, 2, 1, 2, 1], dtype=float
)
LARGE_LENGTHS = ((2, 3, 4), (0.25, 0.45, 0.3))
SMALL_LENGTHS = ((3, 4, 5), (0.25, 0.6, 0.15))

NAME_ROOTS = (
    "Ap",
    "Arc",
    "Bel",
    "Bright",
    "Cal",
    "Ced",
    "Clear",
    "Cor",
    "Crest",
    "Del",
    "Ever",
    "Fair",
    "Gran",
    "Harb",
    "Hel",
    "Iron",
    "Kel",
    "Lum",
    "Mar",
    "Nor",
    "Oak",
    "Pac",
    "Quan",
    "Riv",
    "Sil",
    "Sol",
    "Ter",
    "Tri",
    "Val",
    "Zen",
)
NAME_ENDINGS = (
    "ex",
    "ion",
    "ara",
    "ova",
    "ant",
    "ix",
    "ia",
    "on",
    "um",
    "ton",
    "wood",
    "field",
    "point",
    "stone",
)
SECTOR_WORDS = (
    ("Energy", "Petroleum", "Resources", "Oil & Gas", "Midstream"),
    ("Materials", "Chemicals", "Metals", "Mining", "Packaging"),
    ("Industries", "Aerospace", "Machinery", "Logistics", "Engineering"),
    ("Brands", "Retail", "Motors", "Leisure", "Apparel"),
    ("Foods", "Beverages", "Household", "Grocers", "Farms"),
    ("Therapeutics", "Health", "Biosciences", "Medical", "Pharma"),
    ("Financial", "Bancorp", "Capital", "Insurance", "Trust"),
    ("Systems", "Software", "Semiconductor", "Networks", "Technologies"),
    ("Media", "Communications", "Interactive", "Telecom", "Entertainment"),
    ("Power", "Utilities", "Electric", "Water", "Gas"),
    ("Realty", "Properties", "REIT", "Residential", "Land"),
)
NAME_SUFFIXES = ("Inc.", "Corp.", "Holdings", "Group", "Co.", "Ltd.", "plc")

INITIAL_LARGE, INITIAL_SMALL, POOL, IPO = range(4)


@dataclass(frozen=True)
class Universe:
    """Every company that ever trades, sorted by ticker; one array element per company."""

    n_large: int
    n_small: int
    ticker: np.ndarray  # str
    name: np.ndarray  # str
    sector: np.ndarray  # index into SECTORS
    list_day: np.ndarray  # first session with a price
    acquired_day: np.ndarray  # last session before an acquisition (n when none)
    log_cap: np.ndarray  # log10 market cap on the first day
    price: np.ndarray  # unadjusted price on the first day
    beta: np.ndarray
    size_loading: np.ndarray
    style: np.ndarray  # > 0 growth, < 0 value
    quality: np.ndarray  # > 0 profitable
    vol: np.ndarray  # own daily volatility
    drift: np.ndarray  # own daily log drift
    turnover: np.ndarray
    dividend_yield: np.ndarray  # annual, 0 for non-payers
    dividend_phase: np.ndarray
    earnings_phase: np.ndarray
    forward_split_price: np.ndarray  # inf for companies that never split forward
    reverse_split_price: np.ndarray  # 0 for companies that never reverse split

    @property
    def size(self) -> int:
        """Number of companies."""
        return len(self.ticker)


def unique_draws(
    count: int, draw: Callable[[int], list[str]], taken: frozenset[str] = frozenset()
) -> np.ndarray:
    """`count` distinct strings from `draw(k)` (which returns k candidates), in draw order."""
    seen = set(taken)
    out: list[str] = []
    while len(out) < count:
        for candidate in draw(count - len(out)):
            if candidate not in seen:
                seen.add(candidate)
                out.append(candidate)
    return np.array(out)


def fitting_lengths(lengths: np.ndarray) -> np.ndarray:
    """The lengths with each length's companies beyond 3/4 of its symbols moved one letter
    longer: the 676 two-letter symbols cannot name the 1,250 two-letter large companies of
    a 25,000-member panel. Lengths that fit are unchanged."""
    fitted = lengths.copy()
    length = int(fitted.min())
    while length <= fitted.max():
        taken = sum(len(symbol) == length for symbol in FUND_SYMBOLS)
        room = (len(LETTERS) ** length - taken) * 3 // 4
        fitted[np.flatnonzero(fitted == length)[room:]] = length + 1
        length += 1
    return fitted


def make_tickers(lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unique ticker-like symbols of the given lengths (or one letter longer where a
    length has run out, see `fitting_lengths`), avoiding the fund symbols."""
    weights = LETTER_WEIGHTS / LETTER_WEIGHTS.sum()
    lengths = fitting_lengths(lengths)
    by_length: dict[int, Iterator[str]] = {}
    for length in np.unique(lengths):
        wanted = int((lengths == length).sum())

        def draw(k: int, length: int = int(length)) -> list[str]:
            letters = rng.choice(LETTERS, size=(k, length), p=weights)
            return ["".join(row) for row in letters]

        by_length[length] = iter(unique_draws(wanted, draw, frozenset(FUND_SYMBOLS)))
    return np.array([next(by_length[length]) for length in lengths])


def make_names(sector: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Distinct company names that fit their sector."""
    out = np.empty(len(sector), dtype=object)
    for s, words in enumerate(SECTOR_WORDS):
        where = np.flatnonzero(sector == s)

        def draw(k: int, words: tuple[str, ...] = words) -> list[str]:
            parts = (NAME_ROOTS, NAME_ENDINGS, words, NAME_SUFFIXES)
            picks = [rng.integers(len(p), size=k) for p in parts]
            return [
                f"{NAME_ROOTS[a]}{NAME_ENDINGS[b]} {words[c]} {NAME_SUFFIXES[d]}"
                for a, b, c, d in zip(*picks, strict=True)
            ]

        out[where] = unique_draws(len(where), draw)
    return out.astype(str)


def initial_log_caps(n_large: int, members: int, total: int) -> np.ndarray:
    """log10 caps by rank: a steep top, a long small-cap tail, the pool below the members."""
    rank = (np.arange(total) + 0.5) / total
    large_q, member_q = n_large / total, members / total
    caps = np.empty(total)
    top = rank < large_q
    caps[top] = CAP_BOUNDARY + (CAP_TOP - CAP_BOUNDARY) * ((large_q - rank[top]) / large_q) ** 2.2
    mid = (rank >= large_q) & (rank < member_q)
    frac = (rank[mid] - large_q) / (member_q - large_q)
    caps[mid] = CAP_BOUNDARY - (CAP_BOUNDARY - CAP_SMALLEST) * frac**0.8
    low = rank >= member_q
    frac = (rank[low] - member_q) / max(1.0 - member_q, 1e-9)
    caps[low] = CAP_SMALLEST - (CAP_SMALLEST - CAP_POOL_FLOOR) * frac
    return caps


def lognormal_price(spec: tuple[float, ...], count: int, rng: np.random.Generator) -> np.ndarray:
    """Prices around a median, clipped to a range, in cents."""
    median, spread, low, high = spec
    return np.round(np.clip(median * np.exp(rng.normal(0.0, spread, count)), low, high), 2)


def make_universe(members: int, years: int, n_days: int, rng: np.random.Generator) -> Universe:
    """Draw every company of a market with `members` members over `n_days` sessions."""
    n_large = round(LARGE_SHARE * members)
    n_small = members - n_large
    n_pool = max(MIN_POOL, round(POOL_SHARE * n_small))
    n_ipo = max(MIN_IPOS, round(IPOS_PER_MEMBER_YEAR * members * years))
    n_initial = members + n_pool
    total = n_initial + n_ipo
    origin = np.repeat(
        [INITIAL_LARGE, INITIAL_SMALL, POOL, IPO], [n_large, n_small, n_pool, n_ipo]
    ).astype(np.int8)
    large = origin == INITIAL_LARGE
    small_like = ~large

    log_cap = np.empty(total)
    log_cap[:n_initial] = initial_log_caps(n_large, members, n_initial)
    log_cap[n_initial:] = rng.uniform(*IPO_CAP, n_ipo)
    log_cap += rng.normal(0.0, CAP_JITTER, total)
    list_day = np.zeros(total, dtype=np.int64)
    list_day[n_initial:] = np.sort(rng.integers(IPO_MARGIN_DAYS, n_days - IPO_MARGIN_DAYS, n_ipo))

    price = np.empty(total)
    price[large] = lognormal_price(LARGE_PRICE, n_large, rng)
    price[origin == INITIAL_SMALL] = lognormal_price(SMALL_PRICE, n_small, rng)
    price[origin == POOL] = lognormal_price(POOL_PRICE, n_pool, rng)
    price[origin == IPO] = np.round(rng.uniform(*IPO_PRICE, n_ipo), 2)

    # Rockets start among the biggest small caps (close enough to graduate), distressed
    # companies in the lower half.
    small_ids = np.flatnonzero(origin == INITIAL_SMALL)  # by cap, biggest first
    n_rocket = max(MIN_SPECIAL, round(ROCKET_SHARE * n_small))
    n_distressed = max(MIN_SPECIAL, round(DISTRESSED_SHARE * n_small))
    top = small_ids[: max(n_rocket, round(ROCKET_POOL * n_small))]
    lower = small_ids[n_small // 2 :]
    rockets = rng.choice(top, size=min(n_rocket, len(top)), replace=False)
    distressed = rng.choice(lower, size=min(n_distressed, len(lower)), replace=False)
    price[distressed] = np.round(rng.uniform(*DISTRESSED_PRICE, len(distressed)), 2)

    weights = np.where(large[:, None], LARGE_SECTOR_WEIGHTS, SMALL_SECTOR_WEIGHTS)
    weights /= weights.sum(axis=1, keepdims=True)
    sector = (rng.random(total)[:, None] > np.cumsum(weights, axis=1)).sum(axis=1).astype(np.int8)
    beta = SECTOR_BETA[sector] * np.exp(rng.normal(0.0, BETA_DISPERSION, total))
    low, per_decade, cap = SIZE_LOADING
    size_loading = np.clip(low - per_decade * (log_cap - CAP_BOUNDARY), 0.0, cap)

    vol = np.where(large, LARGE_VOL, SMALL_VOL) * np.exp(rng.normal(0.0, VOL_DISPERSION, total))
    vol[distressed] = DISTRESSED_VOL
    drift = -(vol**2) / 2  # zero mean arithmetic return: indices follow the factors
    drift[rockets] += ROCKET_DRIFT
    drift[distressed] += DISTRESSED_DRIFT

    hazard = np.where(large, ACQUIRED_PER_YEAR["large"], ACQUIRED_PER_YEAR["small"]) / TRADING_DAYS
    acquired_day = list_day + rng.geometric(hazard)
    acquired_day[acquired_day >= n_days] = n_days

    payer = large & (rng.random(total) < DIVIDEND_PAYERS)
    dividend_yield = np.where(payer, rng.uniform(*DIVIDEND_YIELD, total), 0.0)
    forward = np.where(large, rng.uniform(*FORWARD_SPLIT_PRICE, total), np.inf)
    reverse = np.where(small_like, rng.uniform(*REVERSE_SPLIT_PRICE, total), 0.0)

    lengths = np.where(
        large,
        rng.choice(LARGE_LENGTHS[0], total, p=LARGE_LENGTHS[1]),
        rng.choice(SMALL_LENGTHS[0], total, p=SMALL_LENGTHS[1]),
    )
    ticker = make_tickers(lengths, rng)
    order = np.argsort(ticker)
    fields = dict(
        ticker=ticker,
        name=make_names(sector, rng),
        sector=sector,
        list_day=list_day,
        acquired_day=acquired_day,
        log_cap=log_cap,
        price=price,
        beta=beta,
        size_loading=size_loading,
        style=STYLE_LOADING * rng.standard_normal(total),
        quality=rng.standard_normal(total),
        vol=vol,
        drift=drift,
        turnover=TURNOVER[0] * np.exp(rng.normal(0.0, TURNOVER[1], total)),
        dividend_yield=dividend_yield,
        dividend_phase=rng.integers(0, QUARTER, total),
        earnings_phase=rng.integers(0, QUARTER, total),
        forward_split_price=forward,
        reverse_split_price=reverse,
    )
    return Universe(n_large=n_large, n_small=n_small, **{k: v[order] for k, v in fields.items()})
