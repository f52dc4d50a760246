"""Point-in-time membership from the lists that still answer.

Two constructions, both ending in `raw.members` rows (both dates inclusive):

- **From a current list and its changes** (the S&P 500): walking the changes back from
  today's list, a ticker added on day D was a member from D, a ticker removed on D until
  the day before D. A member no change accounts for was one before the oldest change: its
  row starts on the day before that change, which makes it part of the universe's first
  snapshot (counted on every earlier date, see `staging.membership_spans`). Where the list
  dates an addition the changes table lacks, that date is not used: the member it replaced
  is unknown, and starting there would leave the universe short (against a maintained
  history, the universe agrees better without it).
- **From dated snapshots** (the Russell 2000 from IWM's monthly holdings): a ticker counts
  from the first snapshot that lists it until the day before the first later snapshot that
  does not, so the universe on any day is the latest snapshot's.

A company whose ticker changed keeps one ticker, today's, across its history, since Yahoo
keeps the whole history under it. A change is taken for a rename when the added and the
removed company have the same name (`Fiserv` leaving as `FI` and joining as `FISV`), or,
between two snapshots, when a ticker leaves and another with the same name joins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from orchestration.sources.base import MEMBERS_SCHEMA

_NAME_NOISE = re.compile(
    r"\b(inc|incorporated|corp|corporation|co|company|ltd|plc|llc|lp|holdings?|group|the|"
    r"sa|nv|ag)\b|[^a-z0-9 ]"
)


def company_key(name: str | None) -> str:
    """A company name without punctuation and legal forms, for matching (a share class
    stays: class A and class B are two members)."""
    if not name:
        return ""
    return " ".join(_NAME_NOISE.sub(" ", name.lower()).split())


@dataclass
class HistoryNotes:
    """What a construction could not reconcile, to say in the run's log."""

    renames: list[tuple[date, str, str]] = field(default_factory=list)  # (day, old, new)
    added_not_member: list[tuple[date, str]] = field(default_factory=list)
    removed_while_member: list[tuple[date, str]] = field(default_factory=list)
    oldest_change: date | None = None

    def lines(self) -> list[str]:
        """One line per kind of note, with examples."""
        said = []
        if self.oldest_change is not None:
            said.append(
                f"changes reach back to {self.oldest_change}; earlier dates use the members "
                "of that day (survivorship bias)"
            )
        kinds = (
            ("renames kept under today's ticker", [f"{o}->{n} ({d})" for d, o, n in self.renames]),
            (
                "additions of a ticker the later list lacks (its removal is not listed)",
                [f"{t} ({d})" for d, t in self.added_not_member],
            ),
            (
                "removals of a ticker the later list has (its return is not listed)",
                [f"{t} ({d})" for d, t in self.removed_while_member],
            ),
        )
        for label, items in kinds:
            if items:
                more = f" and {len(items) - 5} more" if len(items) > 5 else ""
                said.append(f"{len(items)} {label}: {', '.join(items[:5])}{more}")
        return said


def history_from_changes(
    current: pl.DataFrame, changes: pl.DataFrame, universe: str
) -> tuple[pl.DataFrame, HistoryNotes]:
    """Membership intervals of `universe` from its current members and its changes.

    `current` is in `MEMBERS_SCHEMA`; `changes` has date, added, added_name, removed,
    removed_name. Without changes, each current member starts on its own `valid_from`.
    """
    notes = HistoryNotes()
    names = dict(zip(current["ticker"], current["name"], strict=True))
    sectors = dict(zip(current["ticker"], current["sector"], strict=True))
    open_until: dict[str, date | None] = dict.fromkeys(current["ticker"])
    rows: list[dict] = []
    today_ticker: dict[str, str] = {}  # an old ticker: the ticker its company has today

    by_day = changes.sort("date", descending=True).partition_by("date", maintain_order=True)
    for day_changes in by_day:
        day = day_changes["date"][0]
        added, removed = [], []
        for change in day_changes.iter_rows(named=True):
            old, new = change["removed"], change["added"]
            if old and new and old != new and _same_company(change):
                notes.renames.append((day, old, new))
                today_ticker[old] = _today(today_ticker, new)
                continue
            if new:
                added.append(_today(today_ticker, new))
                names.setdefault(_today(today_ticker, new), change["added_name"])
            if old:
                removed.append(_today(today_ticker, old))
                names.setdefault(_today(today_ticker, old), change["removed_name"])
        both = set(added) & set(removed)  # a ticker passed from one company to another
        for ticker in (t for t in added if t not in both):
            if ticker not in open_until:
                notes.added_not_member.append((day, ticker))
                continue
            rows.append(_row(universe, ticker, day, open_until.pop(ticker)))
        for ticker in (t for t in removed if t not in both):
            if ticker in open_until:
                notes.removed_while_member.append((day, ticker))
                rows.append(_row(universe, ticker, day, open_until.pop(ticker)))
            open_until[ticker] = day - timedelta(days=1)
    oldest = changes["date"].min() if changes.height else None
    notes.oldest_change = oldest
    before_changes = oldest - timedelta(days=1) if oldest is not None else None
    listed = dict(zip(current["ticker"], current["valid_from"], strict=True))
    for ticker, until in open_until.items():
        rows.append(_row(universe, ticker, before_changes or listed[ticker], until))
    frame = pl.DataFrame(rows, schema={**MEMBERS_SCHEMA}).with_columns(
        name=pl.col("ticker").replace_strict(names, default=None, return_dtype=pl.String),
        sector=pl.col("ticker").replace_strict(sectors, default=None, return_dtype=pl.String),
    )
    return frame.sort("universe", "ticker", "valid_from"), notes


def history_from_snapshots(
    snapshots: dict[date, pl.DataFrame], universe: str
) -> tuple[pl.DataFrame, HistoryNotes]:
    """Membership intervals of `universe` from dated snapshots of its members (each a frame
    of ticker, name, sector): names and sectors are those of a ticker's latest snapshot."""
    notes = HistoryNotes()
    days = sorted(snapshots)
    listed = [set(snapshots[day]["ticker"]) for day in days]
    today_ticker: dict[str, str] = {}
    for i in range(1, len(days)):
        left = _by_company(snapshots[days[i - 1]], listed[i - 1] - listed[i])
        joined = _by_company(snapshots[days[i]], listed[i] - listed[i - 1])
        for key in left.keys() & joined.keys():
            notes.renames.append((days[i], left[key], joined[key]))
            today_ticker[left[key]] = joined[key]

    renamed = {old: _today(today_ticker, old) for old in today_ticker}
    frames = [
        snapshots[day].select(
            pl.col("ticker").replace(renamed), "name", "sector", pl.lit(i).alias("snapshot")
        )
        for i, day in enumerate(days)
    ]
    if not frames:
        return pl.DataFrame(schema=MEMBERS_SCHEMA), notes
    seen = pl.concat(frames).unique(["ticker", "snapshot"], keep="last").sort("ticker", "snapshot")
    starts = pl.lit(days, dtype=pl.List(pl.Date))
    runs = (
        seen.with_columns(run=(pl.col("snapshot").diff().over("ticker") != 1).fill_null(True))
        .with_columns(run=pl.col("run").cum_sum().over("ticker"))
        .group_by("ticker", "run")
        .agg(
            first=pl.col("snapshot").min(),
            last=pl.col("snapshot").max(),
            name=pl.col("name").last(),
            sector=pl.col("sector").last(),
        )
    )
    last = len(days) - 1
    frame = runs.select(
        universe=pl.lit(universe),
        ticker="ticker",
        valid_from=starts.list.get(pl.col("first")),
        valid_to=pl.when(pl.col("last") < last).then(
            starts.list.get(pl.col("last") + 1) - pl.duration(days=1)
        ),
        name="name",
        sector="sector",
    )
    return frame.cast(MEMBERS_SCHEMA).sort("universe", "ticker", "valid_from"), notes


def _today(renames: dict[str, str], ticker: str) -> str:
    """The ticker `ticker`'s company has today, following renames (a company that went
    back to an old ticker, FISV to FI to FISV, ends where it started)."""
    seen = set()
    while ticker in renames and ticker not in seen:
        seen.add(ticker)
        ticker = renames[ticker]
    return ticker


def _same_company(change: dict) -> bool:
    key = company_key(change["added_name"])
    return bool(key) and key == company_key(change["removed_name"])


def _by_company(snapshot: pl.DataFrame, tickers: set[str]) -> dict[str, str]:
    """The tickers of `snapshot` among `tickers`, by company name (names held by one only)."""
    rows = snapshot.filter(pl.col("ticker").is_in(sorted(tickers)))
    keys = [company_key(name) for name in rows["name"]]
    unique = {k for k in keys if k and keys.count(k) == 1}
    return {k: t for k, t in zip(keys, rows["ticker"], strict=True) if k in unique}


def _row(universe: str, ticker: str, start: date | None, end: date | None) -> dict:
    return {"universe": universe, "ticker": ticker, "valid_from": start, "valid_to": end}
