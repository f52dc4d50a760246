"""Point-in-time membership and index weights from the live lists, or from saved copies.

- The large universe: the S&P 500 page on Wikipedia, today's list walked back through its
  changes (`history_from_changes`).
- The small universe: IWM's holdings on the last session of every month, plus the latest
  (`history_from_snapshots`).
- Index weights: the same holdings files of IWM (small) and IVV (large).

Holdings tickers (`BRKB`) are put in Yahoo's form with the SEC's ticker map and the S&P
list (`tickers.py`). Only the month ends the warehouse does not hold yet are fetched; the
stored ones (`FetchRequest.stored_holdings`) take part in the membership as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from orchestration.sources.base import (
    INDEX_WEIGHTS_SCHEMA,
    MEMBERS_SCHEMA,
    REJECTS_SCHEMA,
    STORED_HOLDINGS_SCHEMA,
    SourceError,
    empty_frame,
    rejects_frame,
)
from orchestration.sources.live.http import FetchError, Http
from orchestration.sources.live.ishares import (
    FUNDS,
    IVV,
    IWM,
    Fund,
    Holdings,
    HoldingsEndpoints,
    NoHoldings,
    fetch_holdings,
)
from orchestration.sources.live.membership_history import (
    history_from_changes,
    history_from_snapshots,
)
from orchestration.sources.live.tickers import (
    SEC_TICKERS_URL,
    TickerForms,
    TickerListError,
    parse_sec_ciks,
    parse_sec_tickers,
)
from orchestration.sources.live.wikipedia import SP500_URL, PageFormatError, parse_sp500_page
from orchestration.warehouse.trading_calendar import nyse_sessions

GIVE_UP_AFTER = 3  # dates in a row an endpoint fails on before a fund is not asked again


@dataclass(frozen=True)
class ListEndpoints:
    """Where the lists are asked for (each a setting: a mirror or a proxy can stand in)."""

    sp500_url: str = SP500_URL
    holdings: HoldingsEndpoints = field(default_factory=HoldingsEndpoints)
    sec_tickers_url: str = SEC_TICKERS_URL


@dataclass(frozen=True)
class Lists:
    """What the lists brought: the S&P 500 page and holdings snapshots by fund and date."""

    sp500_page: bytes
    holdings: Mapping[str, Mapping[date, Holdings]]  # fund symbol: date: snapshot
    forms: TickerForms
    sec_tickers: bytes | None = None  # the SEC ticker map as it came (None: it did not)


@dataclass(frozen=True)
class Membership:
    """Both universes' membership rows, the weights of the snapshots brought, what was
    rejected, and what the construction could not reconcile (to log)."""

    members: pl.DataFrame
    weights: pl.DataFrame
    rejects: pl.DataFrame
    notes: list[str]
    ciks: Mapping[str, int] = field(default_factory=dict)  # ticker: SEC company, if known


def month_ends(start: date, today: date) -> list[date]:
    """The last NYSE session of each month from `start`'s month, those before `today`."""
    last: dict[tuple[int, int], date] = {}
    for session in nyse_sessions(start.replace(day=1), today):
        last[(session.year, session.month)] = session
    ends = sorted(last.values())
    if ends and (ends[-1].year, ends[-1].month) == (today.year, today.month):
        ends.pop()  # this month has not ended
    return [day for day in ends if day < today]


def fetch_lists(
    http: Http,
    endpoints: ListEndpoints,
    start: date,
    today: date,
    stored: pl.DataFrame,
    log: logging.Logger,
) -> Lists:
    """The S&P 500 page, the SEC ticker map and the holdings of each month end from `start`
    the warehouse does not hold (`stored`: universe, ticker, as_of, ...), and the latest.

    A page that cannot be fetched or read fails (there would be no large universe); a
    month without holdings is logged and asked again next run.
    """
    page = http.get(endpoints.sp500_url, "the S&P 500 page", "html")
    sec_tickers = sec_ticker_map(http, endpoints.sec_tickers_url, log)
    holdings = {}
    for fund in FUNDS:
        held = set(stored.filter(pl.col("universe") == fund.universe)["as_of"])
        snapshots, problems = fetch_snapshots(
            http, endpoints.holdings, fund, start, today, held, log
        )
        if fund is IWM and not snapshots and not held:
            raise SourceError(
                f"live members: no IWM holdings came and none are stored, so the small "
                f"universe would be empty: {problems[0] if problems else 'no date had any'}"
            )
        holdings[fund.symbol] = snapshots
    return Lists(
        sp500_page=page,
        holdings=holdings,
        forms=sec_ticker_forms(sec_tickers, log),
        sec_tickers=sec_tickers,
    )


def sec_ticker_map(http: Http, url: str, log: logging.Logger) -> bytes | None:
    """The SEC's `company_tickers.json` as it came; None, with a warning, when it did not."""
    try:
        return http.get(url, "the SEC ticker map", "json")
    except FetchError as error:
        log.warning(f"{error}; class-share tickers written without a dash stay as written")
        return None


def sec_ticker_forms(data: bytes | None, log: logging.Logger) -> TickerForms:
    """The SEC ticker map's forms; none, with a warning, when the map is missing or cannot be
    read: class shares written without a dash then stay as written."""
    if data is None:
        return TickerForms.of([])
    try:
        return parse_sec_tickers(data)
    except TickerListError as error:
        log.warning(f"{error}; class-share tickers written without a dash stay as written")
        return TickerForms.of([])


def fetch_snapshots(
    http: Http,
    endpoints: HoldingsEndpoints,
    fund: Fund,
    start: date,
    today: date,
    held: set[date],
    log: logging.Logger,
) -> tuple[dict[date, Holdings], list[str]]:
    """The fund's holdings on the latest date, then on each month end from `start` to
    `today`, newest first, skipping the dates in `held`; after `GIVE_UP_AFTER` failures
    in a row the rest is not asked. Also what the endpoints answered that was not holdings."""
    days = sorted((day for day in month_ends(start, today) if day not in held), reverse=True)
    snapshots: dict[date, Holdings] = {}
    missing: list[str] = []
    problems: list[str] = []
    failures = 0
    for number, day in enumerate([None, *days], start=1):
        try:
            holdings = fetch_holdings(http, endpoints, fund, day)
        except NoHoldings as error:
            missing.append(str(day or "latest"))
            log.debug(str(error))
            continue
        except FetchError as error:
            missing.append(str(day or "latest"))
            problems.append(str(error))
            log.warning(str(error))
            failures += 1
            if failures == GIVE_UP_AFTER:
                log.error(
                    f"{fund.symbol} holdings: not asked again this run after {failures} "
                    "failures in a row"
                )
                break
            continue
        failures = 0
        if holdings.as_of not in held:
            snapshots[holdings.as_of] = holdings
        if number % 12 == 0:
            log.info(f"{fund.symbol} holdings: {number}/{len(days) + 1} dates asked")
    log.info(
        f"{fund.symbol} holdings: {len(snapshots)} new snapshots"
        + (f", none for {len(missing)} dates ({', '.join(missing[:6])}"
           + (" ..." if len(missing) > 6 else "") + ")" if missing else "")
    )  # fmt: skip
    return snapshots, problems


def build_membership(lists: Lists, today: date, stored: pl.DataFrame | None = None) -> Membership:
    """Both universes' membership and the new snapshots' weights from what the lists brought
    (`stored`: the snapshots the warehouse holds, which take part in the small universe)."""
    stored = stored if stored is not None else empty_frame(STORED_HOLDINGS_SCHEMA)
    try:
        page = parse_sp500_page(lists.sp500_page, today)
    except PageFormatError as error:
        raise SourceError(f"live members: {error}") from error
    forms = lists.forms.merged(
        TickerForms.of([*page.members["ticker"], *page.changes["added"].drop_nulls()])
    )
    large, large_notes = history_from_changes(page.members, page.changes, "large")
    notes = [f"S&P 500: {line}" for line in large_notes.lines()]
    weights, rejects = [empty_frame(INDEX_WEIGHTS_SCHEMA)], [empty_frame(REJECTS_SCHEMA)]
    snapshots: dict[date, pl.DataFrame] = {}
    large_sectors = stored.filter(pl.col("universe") == "large").select("ticker", "sector")
    for fund in FUNDS:
        for day, holdings in sorted(lists.holdings.get(fund.symbol, {}).items()):
            rows, repeated = _resolved(holdings, forms, fund)
            rejects.append(repeated)
            if fund is IVV:
                large_sectors = pl.concat([large_sectors, rows.select("ticker", "sector")])
            weights.append(
                rows.filter(pl.col("weight").is_not_null()).select(
                    universe=pl.lit(fund.universe),
                    ticker="ticker",
                    as_of=pl.lit(day),
                    weight="weight",
                )
            )
            if fund is IWM:
                snapshots[day] = rows.select("ticker", "name", "sector")
    for (day,), rows in stored.filter(pl.col("universe") == IWM.universe).group_by("as_of"):
        snapshots.setdefault(day, rows.select("ticker", "name", "sector"))
    if not snapshots:
        raise SourceError(
            "live members: no IWM holdings, so the small universe would be empty; check the "
            "iShares endpoints (CAPGAP_ISHARES_URL, CAPGAP_ISHARES_CSV_URL) or give saved "
            "holdings files"
        )
    large = _with_holdings_sectors(large, large_sectors)
    small, small_notes = history_from_snapshots(snapshots, IWM.universe)
    notes += [f"Russell 2000: {len(snapshots)} IWM snapshots, {min(snapshots)} to {max(snapshots)}"]
    notes += [f"Russell 2000: {line}" for line in small_notes.lines()]
    return Membership(
        members=pl.concat([large, small]).cast(MEMBERS_SCHEMA),
        weights=pl.concat(weights).cast(INDEX_WEIGHTS_SCHEMA).sort("universe", "ticker", "as_of"),
        rejects=pl.concat(rejects),
        notes=notes,
        ciks=_sec_ciks(lists.sec_tickers),
    )


def _sec_ciks(data: bytes | None) -> dict[str, int]:
    """Each ticker's CIK from the SEC ticker map; none when the map did not come or cannot be
    read (`sec_ticker_forms` has warned)."""
    try:
        return parse_sec_ciks(data) if data is not None else {}
    except TickerListError:
        return {}


def _with_holdings_sectors(members: pl.DataFrame, sectors: pl.DataFrame) -> pl.DataFrame:
    """Members without a sector (former S&P 500 members) given the last sector a holdings
    file states for their ticker."""
    known = sectors.drop_nulls("sector").unique("ticker", keep="last")
    by_ticker = dict(zip(known["ticker"], known["sector"], strict=True))
    held = pl.col("ticker").replace_strict(by_ticker, default=None, return_dtype=pl.String)
    return members.with_columns(sector=pl.coalesce("sector", held))


def _resolved(
    holdings: Holdings, forms: TickerForms, fund: Fund
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The snapshot's rows with tickers in Yahoo's form, a ticker listed twice kept once
    (the first, the larger holding), the others as rejects."""
    rows = holdings.rows.with_columns(
        pl.col("ticker").map_elements(forms.resolve, return_dtype=pl.String)
    )
    first = rows.select(pl.col("ticker").is_first_distinct()).to_series()
    repeated = rows.filter(~first)
    rejects = rejects_frame(
        "index_weights",
        [{**r, "as_of": holdings.as_of, "fund": fund.symbol} for r in repeated.to_dicts()],
        "duplicate_key",
        [
            f"{fund.symbol} holdings of {holdings.as_of}: {r['ticker']} listed again ({r['name']})"
            for r in repeated.iter_rows(named=True)
        ],
    )
    return rows.filter(first), rejects
