"""Quarterly income-statement figures from the SEC's XBRL `companyfacts`, dated by filing.

One request per company (`/api/xbrl/companyfacts/CIK##########.json`) returns every fact
the company ever filed in XBRL, each with the form and the day it was filed. That day is
what makes the figures point in time: a quarter counts from the filing that first reported
it, and a later filing that reports it with another value (a restatement) is a second
version dated by that filing.

What the recorded bodies show, and how this module reads them:

- The same period is repeated once per filing that reported it (a 10-Q shows last year's
  quarter beside this year's). Versions are the period's values in filing order, a repeat
  of the same value dropped.
- `fy`/`fp` describe the filing, not the period: a comparative quarter carries the fiscal
  year of the filing it appears in. A quarter is labelled only from the filing whose own
  period it is (its latest end); the others are counted back from the latest labelled one
  in steps of a quarter.
- 10-Qs report three-month quarters; the fourth quarter is usually only in the 10-K's
  twelve months, so it is the year less the three quarters inside it, versioned by
  whichever of the four was filed last.
- Proxy statements (DEF 14A) and prospectuses repeat income figures with `fy: null`: only
  periodic reports count.
- A foreign filer reporting annually (20-F, IFRS) has no quarters, and a company reporting
  in another currency than the dollar would be summed with dollars: neither is kept, and
  the reason is logged.
- `cik` is an integer in some bodies and a zero-padded string in others.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from orchestration.sources.base import (
    FUNDAMENTALS_SCHEMA,
    REJECTS_SCHEMA,
    empty_frame,
    printable,
    rejects_frame,
)
from orchestration.sources.live.http import FetchError, Http

COMPANYFACTS_URL = "https://data.sec.gov/api/xbrl/companyfacts"
# The SEC's fair-access rule: at most ten requests a second from one client.
REQUEST_INTERVAL = 0.1

# (taxonomy, concept) in order of preference; a period takes the first that reports it.
NET_INCOME = (
    ("us-gaap", "NetIncomeLoss"),
    ("us-gaap", "ProfitLoss"),
    ("us-gaap", "NetIncomeLossAvailableToCommonStockholdersBasic"),
    ("ifrs-full", "ProfitLossAttributableToOwnersOfParent"),
    ("ifrs-full", "ProfitLoss"),
)
REVENUE = (
    ("us-gaap", "Revenues"),
    ("us-gaap", "RevenueFromContractWithCustomerExcludingAssessedTax"),
    ("us-gaap", "RevenueFromContractWithCustomerIncludingAssessedTax"),
    ("us-gaap", "SalesRevenueNet"),
    ("ifrs-full", "Revenue"),
)
DILUTED_EPS = (
    ("us-gaap", "EarningsPerShareDiluted"),
    ("ifrs-full", "DilutedEarningsLossPerShare"),
)
SHARES = (("dei", "EntityCommonStockSharesOutstanding"),)
PERIODIC_FORMS = frozenset(
    f"{form}{amended}"
    for form in ("10-Q", "10-K", "10-KT", "10-QT", "20-F", "40-F", "6-K")
    for amended in ("", "/A")
)
CURRENCY = "USD"
QUARTER_DAYS = range(80, 101)  # 13 weeks, 14 in a 53-week year, or three calendar months
YEAR_DAYS = range(350, 380)
DAYS_PER_QUARTER = 365.25 / 4
# A company is asked again once its next quarter has ended and been reported by most.
NEXT_REPORT_DAYS = 91 + 20
ASK_EVERY_DAYS = 7
# A value filed again counts as a restatement when it moves more than this (rounding less).
RESTATED_REL = 0.005
RESTATED_ABS = 50_000.0


class CompanyFactsError(ValueError):
    """A companyfacts body this parser cannot read; the message says which and why."""


@dataclass(frozen=True)
class Fact:
    """One reported value: its period, the filing it came in and that filing's labels."""

    start: date | None
    end: date
    value: float
    accn: str
    filed: date
    form: str
    fy: int | None
    fp: str | None

    @property
    def days(self) -> int:
        """The period's length in days (0 for an instant)."""
        return (self.end - self.start).days + 1 if self.start else 0


Version = tuple[date, float, str]  # (filed, value, accession)


@dataclass(frozen=True)
class Quarter:
    """One fiscal quarter's net-income versions, and its label once known."""

    start: date
    end: date
    versions: tuple[Version, ...]
    label: tuple[int, int] | None  # (fiscal year, quarter) from its own filing


@dataclass(frozen=True)
class CompanyFigures:
    """What one companyfacts body gives a ticker: rows in the raw schema, facts that could
    not be read, and why nothing is kept when that is so."""

    rows: pl.DataFrame
    rejects: pl.DataFrame
    left_out: str | None = None


def parse_companyfacts(data: bytes | str, ticker: str, first: date) -> CompanyFigures:
    """The quarters of a companyfacts body ending on or after `first`, as `ticker`'s rows.

    Raises `CompanyFactsError` when the body is not a companyfacts object.
    """
    try:
        body = json.loads(data)
        taxonomies = body["facts"]
        int(body["cik"])
    except (ValueError, KeyError, TypeError) as error:
        start = data[:60] if isinstance(data, str) else data[:60].decode("utf-8", "replace")
        raise CompanyFactsError(
            f"{ticker}: expected an SEC companyfacts object, got {printable(start.strip())!r}"
        ) from error
    if not isinstance(taxonomies, dict):
        raise CompanyFactsError(f"{ticker}: companyfacts 'facts' is not an object")
    bad: list[tuple[dict, str]] = []
    net_income, currency = _concept_facts(taxonomies, NET_INCOME, bad)
    if currency not in (None, CURRENCY):
        return _left_out(ticker, bad, f"reports net income in {currency}, not {CURRENCY}")
    quarters = _labelled(_quarters(net_income))
    if not quarters:
        reason = "files no quarterly figures" + (
            f" (its reports are {', '.join(sorted({f.form for f in net_income}))})"
            if net_income
            else " (no net income in its XBRL facts)"
        )
        return _left_out(ticker, bad, reason)
    revenue = _versions_by_period(_concept_facts(taxonomies, REVENUE, bad)[0])
    eps_facts = _concept_facts(taxonomies, DILUTED_EPS, bad, unit="USD/shares")[0]
    eps = _versions_by_period(eps_facts, fourth_quarters=False)
    shares = _shares_by_filing(_concept_facts(taxonomies, SHARES, bad, unit="shares")[0])
    records = [
        {
            "ticker": ticker,
            "period_end": quarter.end,
            "fiscal_period": f"{quarter.label[0]}Q{quarter.label[1]}",
            "available_on": filed,
            "net_income": value,
            "revenue": _as_of(revenue.get((quarter.start, quarter.end), ()), filed),
            "diluted_eps": _as_of(eps.get((quarter.start, quarter.end), ()), filed),
            "shares_outstanding": shares.get(accn),
        }
        for quarter in quarters
        if quarter.end >= first
        for filed, value, accn in quarter.versions
    ]
    return CompanyFigures(pl.DataFrame(records, schema=FUNDAMENTALS_SCHEMA), _rejects(ticker, bad))


def _left_out(ticker: str, bad: list[tuple[dict, str]], reason: str) -> CompanyFigures:
    return CompanyFigures(empty_frame(FUNDAMENTALS_SCHEMA), _rejects(ticker, bad), reason)


def _rejects(ticker: str, bad: list[tuple[dict, str]]) -> pl.DataFrame:
    records = [{"ticker": ticker, **record} for record, _ in bad]
    reasons = [f"{ticker}: {reason}" for _, reason in bad]
    return rejects_frame("fundamentals", records, "malformed_fact", reasons)


def _concept_facts(
    taxonomies: Mapping,
    concepts: Sequence[tuple[str, str]],
    bad: list[tuple[dict, str]],
    unit: str | None = None,
) -> tuple[list[Fact], str | None]:
    """The periodic-report facts of the first concept reporting each period, and the unit
    they are in (`unit`, or the dollar when reported in dollars, else the one currency)."""
    by_period: dict[tuple[date | None, date], list[Fact]] = {}
    chosen_unit = None
    for taxonomy, concept in concepts:
        units = (taxonomies.get(taxonomy) or {}).get(concept, {}).get("units") or {}
        name = unit if unit is not None else _currency(units)
        if name is None or name not in units:
            continue
        chosen_unit = chosen_unit or name
        if name != chosen_unit:
            continue
        found: dict[tuple[date | None, date], list[Fact]] = {}
        for raw in units[name]:
            fact = _fact(raw, f"{taxonomy}:{concept}", bad)
            if fact is not None and fact.form in PERIODIC_FORMS:
                found.setdefault((fact.start, fact.end), []).append(fact)
        for period, facts in found.items():
            by_period.setdefault(period, facts)
    return [fact for facts in by_period.values() for fact in facts], chosen_unit


def _currency(units: Mapping[str, object]) -> str | None:
    """The dollar if a concept is reported in it, else its only currency unit."""
    currencies = [name for name in units if "/" not in name and name not in ("shares", "pure")]
    if CURRENCY in currencies:
        return CURRENCY
    return currencies[0] if len(currencies) == 1 else None


def _fact(raw: object, concept: str, bad: list[tuple[dict, str]]) -> Fact | None:
    """One fact, or None (recorded in `bad` with why) when a field cannot be read."""
    try:
        value = raw["val"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"val {value!r} is not a number")
        start = raw.get("start")
        return Fact(
            start=date.fromisoformat(start) if start else None,
            end=date.fromisoformat(raw["end"]),
            value=float(value),
            accn=str(raw["accn"]),
            filed=date.fromisoformat(raw["filed"]),
            form=str(raw["form"]),
            fy=int(raw["fy"]) if raw.get("fy") is not None else None,
            fp=raw.get("fp"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        record = raw if isinstance(raw, dict) else {"fact": raw}
        bad.append(({"concept": concept, **record}, f"{concept} fact unreadable: {error}"))
        return None


def _versions(facts: Iterable[Fact]) -> tuple[Version, ...]:
    """A period's values in filing order, each repeat of the value before it dropped."""
    versions: list[Version] = []
    for fact in sorted(facts, key=lambda f: (f.filed, f.accn)):
        if not versions or _restated(versions[-1][1], fact.value):
            versions.append((fact.filed, fact.value, fact.accn))
    return tuple(versions)


def _restated(before: float, after: float) -> bool:
    """Whether `after` is another figure than `before`, not the same one rounded: a later
    filing often shows last year's quarter in millions to one decimal, 88.242 M as 88.2 M."""
    return not math.isclose(before, after, rel_tol=RESTATED_REL, abs_tol=RESTATED_ABS)


def _versions_by_period(
    facts: Iterable[Fact], fourth_quarters: bool = True
) -> dict[tuple[date, date], tuple[Version, ...]]:
    """Quarterly facts' versions by period, with the fourth quarters derived from the years
    when `fourth_quarters` (not for a ratio like earnings per share, which does not add)."""
    return {
        (quarter.start, quarter.end): quarter.versions
        for quarter in _quarters(list(facts), fourth_quarters)
    }


def _as_of(versions: Sequence[Version], day: date) -> float | None:
    """The value known on `day`: the latest version filed by then."""
    known = [value for filed, value, _ in versions if filed <= day]
    return known[-1] if known else None


def _shares_by_filing(facts: Iterable[Fact]) -> dict[str, float]:
    """Shares outstanding on each filing's cover, summed over its share classes."""
    latest: dict[str, date] = {}
    for fact in facts:
        latest[fact.accn] = max(latest.get(fact.accn, fact.end), fact.end)
    totals: dict[str, float] = {}
    for fact in facts:
        if fact.end == latest[fact.accn]:
            totals[fact.accn] = totals.get(fact.accn, 0.0) + fact.value
    return totals


def _quarters(facts: Sequence[Fact], fourth_quarters: bool = True) -> list[Quarter]:
    """The three-month periods reported and (with `fourth_quarters`) each fourth quarter:
    the year's figure less its three reported quarters, versioned as of every filing of
    any of the four."""
    own_end: dict[str, date] = {}
    for fact in facts:
        own_end[fact.accn] = max(own_end.get(fact.accn, fact.end), fact.end)
    grouped: dict[tuple[date, date], list[Fact]] = {}
    for fact in facts:
        if fact.start is not None and (fact.days in QUARTER_DAYS or fact.days in YEAR_DAYS):
            grouped.setdefault((fact.start, fact.end), []).append(fact)
    quarters = {
        period: Quarter(period[0], period[1], _versions(group), _own_label(group, own_end))
        for period, group in grouped.items()
        if group[0].days in QUARTER_DAYS
    }
    reported_ends = {end for _, end in quarters}
    years = [
        (period, group)
        for period, group in grouped.items()
        if fourth_quarters and group[0].days in YEAR_DAYS and period[1] not in reported_ends
    ]
    for (start, end), group in years:
        fourth = _fourth_quarter(start, end, group, quarters, own_end)
        if fourth is not None:
            quarters[(fourth.start, fourth.end)] = fourth
    return sorted(quarters.values(), key=lambda q: q.end)


def _own_label(facts: Sequence[Fact], own_end: Mapping[str, date]) -> tuple[int, int] | None:
    """(fiscal year, quarter) from the filing whose own period this is, if one reported it."""
    for fact in facts:
        own = fact.end == own_end[fact.accn]
        if own and fact.fy is not None and fact.fp in ("Q1", "Q2", "Q3", "Q4", "FY"):
            return fact.fy, 4 if fact.fp == "FY" else int(fact.fp[1])
    return None


def _fourth_quarter(
    start: date,
    end: date,
    year: Sequence[Fact],
    quarters: Mapping[tuple[date, date], Quarter],
    own_end: Mapping[str, date],
) -> Quarter | None:
    """The year less its three reported quarters, when they tile its first nine months."""
    inside = sorted(
        (q for (s, e), q in quarters.items() if s >= start and e < end), key=lambda q: q.end
    )
    if len(inside) != 3 or inside[0].start != start:
        return None
    if any(b.start - a.end != timedelta(days=1) for a, b in itertools.pairwise(inside)):
        return None
    parts = [_versions(year), *(q.versions for q in inside)]
    known_from = max(versions[0][0] for versions in parts)
    days = sorted({filed for versions in parts for filed, _, _ in versions if filed >= known_from})
    versions: list[Version] = []
    for day in days:
        year_value = _as_of(parts[0], day)
        value = year_value - sum(_as_of(versions_, day) for versions_ in parts[1:])
        if not versions or _restated(versions[-1][1], value):
            accn = next(accn for filed, _, accn in reversed(parts[0]) if filed <= day)
            versions.append((day, value, accn))
    label = _own_label(year, own_end)
    return Quarter(inside[-1].end + timedelta(days=1), end, tuple(versions), label)


def _labelled(quarters: list[Quarter]) -> list[Quarter]:
    """Every quarter labelled by counting quarters from the latest one its own filing
    labelled (none labelled: no quarters)."""
    anchors = [q for q in quarters if q.label is not None]
    if not anchors:
        return []
    anchor = anchors[-1]
    number = 4 * anchor.label[0] + anchor.label[1] - 1
    labelled = []
    for quarter in quarters:
        steps = round((anchor.end - quarter.end).days / DAYS_PER_QUARTER)
        year, index = divmod(number - steps, 4)
        labelled.append(Quarter(quarter.start, quarter.end, quarter.versions, (year, index + 1)))
    return labelled


def due_tickers(tickers: Sequence[str], latest: Mapping[str, date], today: date) -> list[str]:
    """The tickers whose companies may have filed a quarter the warehouse lacks.

    With nothing stored, all of them. Otherwise a ticker is due once its next quarter has
    ended and a report could have come (`NEXT_REPORT_DAYS` after its latest stored quarter,
    or at once when it has none), and then asked once every `ASK_EVERY_DAYS` days, on a day
    of its own, until the quarter lands: a few requests a company a quarter, not one a day.
    """
    if not latest:
        return list(tickers)
    return [
        ticker
        for ticker in tickers
        if (ticker not in latest or (today - latest[ticker]).days >= NEXT_REPORT_DAYS)
        and (today.toordinal() + zlib.crc32(ticker.encode())) % ASK_EVERY_DAYS == 0
    ]


@dataclass(frozen=True)
class FundamentalsFetch:
    """What the companyfacts of a list of tickers brought."""

    rows: pl.DataFrame
    rejects: pl.DataFrame
    missing: list[str]
    asked: int


@dataclass(frozen=True)
class CompanyFacts:
    """The companyfacts endpoint: asked through `http`, no faster than one request per
    `interval` seconds (the SEC's fair-access limit by default)."""

    http: Http
    url: str = COMPANYFACTS_URL
    interval: float = REQUEST_INTERVAL
    clock: Callable[[], float] = time.monotonic

    def fetch(
        self,
        tickers: Sequence[str],
        ciks: Mapping[str, int],
        first: date,
        log: logging.Logger,
    ) -> FundamentalsFetch:
        """The quarters ending on or after `first` of each ticker's company.

        A ticker without a CIK, a company whose facts do not come or cannot be read, and one
        with no quarterly dollar figures are reported in `missing` with the reason logged;
        the others' figures are kept. A company with several listed share classes is asked
        once, for the first of them in the SEC's map.
        """
        companies: dict[int, str] = {}
        missing: list[str] = []
        in_map = {ticker: position for position, ticker in enumerate(ciks)}
        for ticker in sorted(tickers, key=lambda t: in_map.get(t, len(in_map))):
            cik = ciks.get(ticker)
            if cik is None:
                missing.append(ticker)
            elif cik in companies:
                log.info(f"fundamentals: {ticker} is {companies[cik]}'s company; counted once")
            else:
                companies[cik] = ticker
        if missing:
            log.warning(
                f"fundamentals: {len(missing)} tickers have no CIK in the SEC ticker map "
                f"(funds, foreign listings, former names): {', '.join(missing[:10])}"
                + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            )
        rows, rejects = [empty_frame(FUNDAMENTALS_SCHEMA)], [empty_frame(REJECTS_SCHEMA)]
        last_asked = None
        for number, (cik, ticker) in enumerate(companies.items(), start=1):
            wait = 0.0 if last_asked is None else self.interval - (self.clock() - last_asked)
            if wait > 0:
                self.http.sleep(wait)
            last_asked = self.clock()
            figures = self._company(cik, ticker, first, log)
            if figures is None or figures.left_out is not None:
                missing.append(ticker)
            if figures is not None:
                rows.append(figures.rows)
                rejects.append(figures.rejects)
            if number % 100 == 0 or number == len(companies):
                log.info(f"fundamentals: {number}/{len(companies)} companies asked")
        return FundamentalsFetch(pl.concat(rows), pl.concat(rejects), missing, len(companies))

    def _company(
        self, cik: int, ticker: str, first: date, log: logging.Logger
    ) -> CompanyFigures | None:
        url = f"{self.url}/CIK{cik:010d}.json"
        try:
            body = self.http.get(url, f"the SEC facts of {ticker}", "json")
            figures = parse_companyfacts(body, ticker, first)
        except (FetchError, CompanyFactsError) as error:
            log.warning(f"fundamentals: {error}")
            return None
        if figures.left_out is not None:
            log.info(f"fundamentals: {ticker} left out: {figures.left_out}")
        return figures
