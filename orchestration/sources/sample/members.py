"""Point-in-time membership of the two universes, decided by market cap on change dates.

`large` changes a few names each quarter (the weakest members make way for bigger
outsiders, vacancies left by delistings are filled); `small` is rebuilt every June from the
companies below `large`, with a band that keeps incumbents. A small member promoted to
`large` leaves `small` the session before it joins (a graduation). A member that delists
leaves on its last trading day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orchestration.sources.sample.calendar import (
    Calendar,
    rebalance_days,
    reconstitution_days,
)
from orchestration.sources.sample.universe import Universe

LARGE, SMALL = 0, 1
UNIVERSE_NAMES = ("large", "small")
OPEN = -1  # valid_to of a current member
OUTSIDE = -1  # in no universe
RANK_LAG_DAYS = 40  # reconstitution ranks on caps this many sessions before it takes effect
SEASONING_DAYS = 126  # sessions since listing before joining `large`
MIN_REMAINING_DAYS = 10  # a company about to delist is not added
SWAP_MARGIN = np.log10(1.25)  # an outsider must be this much bigger than the member it replaces
SWAPS_PER_QUARTER = 0.01  # of the large universe
INCUMBENT_BAND = np.log10(1.15)  # small incumbents keep their seat unless clearly smaller


@dataclass(frozen=True)
class Membership:
    """Membership intervals in session indices (both ends inclusive)."""

    universe: np.ndarray  # LARGE or SMALL
    company: np.ndarray
    first: np.ndarray
    last: np.ndarray  # OPEN while still a member

    def mask(self, universe: int, size: int, n: int) -> np.ndarray:
        """Companies x sessions: member of `universe` on that session."""
        out = np.zeros((size, n), dtype=bool)
        pick = self.universe == universe
        for company, first, last in zip(
            self.company[pick], self.first[pick], self.last[pick], strict=True
        ):
            out[company, first : (n if last == OPEN else last + 1)] = True
        return out


def cap_rank_days(cal: Calendar) -> np.ndarray:
    """Sessions whose market caps decide membership."""
    recon = reconstitution_days(cal)
    return np.unique(
        np.concatenate([[0], rebalance_days(cal), np.maximum(recon - RANK_LAG_DAYS, 0)])
    )


class _Book:
    """Open intervals and the closed ones, as membership is decided session by session."""

    def __init__(self, size: int) -> None:
        self.universe = np.full(size, OUTSIDE)
        self.since = np.zeros(size, dtype=np.int64)
        self.rows: list[tuple[int, int, int, int]] = []

    def join(self, companies: np.ndarray, universe: int, day: int) -> None:
        """Open an interval from `day` for each company."""
        self.universe[companies] = universe
        self.since[companies] = day

    def leave(self, companies: np.ndarray, last: np.ndarray | int) -> None:
        """Close each company's open interval on `last` (OPEN: still a member at the end)."""
        lasts = np.broadcast_to(last, companies.shape)
        for company, day in zip(companies, lasts, strict=True):
            self.rows.append(
                (int(self.universe[company]), int(company), int(self.since[company]), int(day))
            )
        self.universe[companies] = OUTSIDE

    def members(self, universe: int) -> np.ndarray:
        """Companies currently in `universe`."""
        return np.flatnonzero(self.universe == universe)

    def inside(self) -> np.ndarray:
        """Companies currently in either universe."""
        return np.flatnonzero(self.universe != OUTSIDE)


def build_membership(
    cal: Calendar, u: Universe, last_day: np.ndarray, log_cap_at: Callable[[int], np.ndarray]
) -> Membership:
    """Decide who belongs to which universe on every change date of the history."""
    n = cal.n
    book = _Book(u.size)
    by_cap = np.argsort(-log_cap_at(0), kind="stable")
    listed = by_cap[u.list_day[by_cap] == 0]
    book.join(listed[: u.n_large], LARGE, 0)
    book.join(listed[u.n_large : u.n_large + u.n_small], SMALL, 0)
    max_swaps = max(1, round(SWAPS_PER_QUARTER * u.n_large))

    events = [(int(d), LARGE) for d in rebalance_days(cal)]
    events += [(int(d), SMALL) for d in reconstitution_days(cal)]
    for day, kind in sorted(events):
        gone = book.inside()
        gone = gone[last_day[gone] < day]
        book.leave(gone, last_day[gone])
        alive = last_day >= day + MIN_REMAINING_DAYS
        if kind == LARGE:
            cap = log_cap_at(day)
            inside = book.members(LARGE)
            inside = inside[np.argsort(cap[inside], kind="stable")]
            seasoned = u.list_day <= day - SEASONING_DAYS
            outside = np.flatnonzero((book.universe != LARGE) & seasoned & alive)
            outside = outside[np.argsort(-cap[outside], kind="stable")]
            vacancies = max(0, u.n_large - len(inside))
            swaps = 0
            while (
                swaps < min(max_swaps, len(inside))
                and vacancies + swaps < len(outside)
                and cap[outside[vacancies + swaps]] > cap[inside[swaps]] + SWAP_MARGIN
            ):
                swaps += 1
            added = outside[: vacancies + swaps]
            book.leave(inside[:swaps], day - 1)
            graduates = added[book.universe[added] == SMALL]
            book.leave(graduates, day - 1)
            book.join(added, LARGE, day)
        else:
            rank_day = max(0, day - RANK_LAG_DAYS)
            cap = log_cap_at(rank_day)
            candidates = np.flatnonzero((book.universe != LARGE) & (u.list_day <= rank_day) & alive)
            score = cap[candidates] + INCUMBENT_BAND * (book.universe[candidates] == SMALL)
            chosen = candidates[np.argsort(-score, kind="stable")[: u.n_small]]
            incumbents = book.members(SMALL)
            book.leave(np.setdiff1d(incumbents, chosen), day - 1)
            book.join(np.setdiff1d(chosen, incumbents), SMALL, day)

    remaining = book.inside()
    delisted = remaining[last_day[remaining] < n - 1]
    book.leave(delisted, last_day[delisted])
    book.leave(book.inside(), OPEN)
    rows = np.array(sorted(book.rows), dtype=np.int64).reshape(-1, 4)
    return Membership(universe=rows[:, 0], company=rows[:, 1], first=rows[:, 2], last=rows[:, 3])
