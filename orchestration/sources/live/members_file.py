"""`capgap members`: the point-in-time membership the live source uses, written as the
`files` source's `members.csv` (and its index weights as `weights.csv` beside it).

From the live lists, or from saved copies: a saved S&P 500 page, saved holdings files of
IWM and IVV (CSV downloads or product-data JSON answers, one snapshot each), a saved SEC
ticker map. A list without a saved copy is asked for live, at the endpoints the `CAPGAP_*`
settings name.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import polars as pl

from orchestration.defs.resources import MarketSource
from orchestration.sources.live.http import Http
from orchestration.sources.live.ishares import (
    FUNDS,
    IVV,
    IWM,
    Holdings,
    HoldingsFormatError,
    NoHoldings,
    parse_holdings,
)
from orchestration.sources.live.members import (
    Lists,
    build_membership,
    fetch_snapshots,
    sec_ticker_forms,
    sec_ticker_map,
)

MEMBERS_COLUMNS = ("universe", "ticker", "name", "sector", "valid_from", "valid_to")
WEIGHTS_COLUMNS = ("universe", "ticker", "as_of", "weight")


class MembersFileError(ValueError):
    """A saved list that cannot be used; the message names the file."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `capgap members`."""
    parser.add_argument("--out", type=Path, help="where to write members.csv")
    parser.add_argument("--sp500-page", type=Path, help="a saved Wikipedia S&P 500 page")
    parser.add_argument(
        "--iwm-holdings", type=Path, nargs="+", default=[], help="saved IWM holdings files"
    )
    parser.add_argument(
        "--ivv-holdings", type=Path, nargs="+", default=[], help="saved IVV holdings files"
    )
    parser.add_argument("--sec-tickers", type=Path, help="a saved SEC company_tickers.json")
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        help="first month end to ask live holdings for (default: ten years ago)",
    )


def members_command(args: argparse.Namespace, source: MarketSource, today: date) -> list[str]:
    """Build the membership as `args` say, write it, and return what to print."""
    if args.out is None:
        raise MembersFileError("capgap members needs --out PATH (where to write members.csv)")
    log = logging.getLogger("capgap.members")
    http = Http(user_agent=source.user_agent, log=log)
    endpoints = source.list_endpoints()
    page = (
        _read(args.sp500_page)
        if args.sp500_page
        else http.get(endpoints.sp500_url, "the S&P 500 page", "html")
    )
    saved = {IWM.symbol: args.iwm_holdings, IVV.symbol: args.ivv_holdings}
    start = args.start or today.replace(year=today.year - 10)
    holdings = {}
    for fund in FUNDS:
        if saved[fund.symbol]:
            holdings[fund.symbol] = saved_snapshots(saved[fund.symbol])
        else:
            holdings[fund.symbol], _ = fetch_snapshots(
                http, endpoints.holdings, fund, start, today, set(), log
            )
    sec_tickers = (
        _read(args.sec_tickers)
        if args.sec_tickers
        else sec_ticker_map(http, endpoints.sec_tickers_url, log)
    )
    forms = sec_ticker_forms(sec_tickers, log)
    membership = build_membership(Lists(page, holdings, forms), today)
    written = write_members(membership.members, membership.weights, args.out)
    return [*membership.notes, *coverage_lines(membership.members, today), *written]


def saved_snapshots(paths: Sequence[Path]) -> dict[date, Holdings]:
    """Saved holdings files by the date each is as of; two files of one date are refused."""
    snapshots: dict[date, Holdings] = {}
    where: dict[date, Path] = {}
    for path in paths:
        try:
            holdings = parse_holdings(_read(path))
        except (HoldingsFormatError, NoHoldings) as error:
            raise MembersFileError(f"{path}: {error}") from error
        if holdings.as_of in snapshots:
            raise MembersFileError(
                f"{path} and {where[holdings.as_of]} are both holdings of {holdings.as_of}; "
                "give one file per date"
            )
        snapshots[holdings.as_of], where[holdings.as_of] = holdings, path
    return snapshots


def write_members(members: pl.DataFrame, weights: pl.DataFrame, out: Path) -> list[str]:
    """`members.csv` at `out` and, when there are weights, `weights.csv` beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    members.select(MEMBERS_COLUMNS).sort("universe", "ticker", "valid_from").write_csv(out)
    said = [f"wrote {members.height} membership rows to {out}"]
    if weights.height:
        beside = out.with_name("weights.csv")
        weights.select(WEIGHTS_COLUMNS).write_csv(beside)
        said.append(f"wrote {weights.height} weight rows to {beside}")
    return said


def coverage_lines(members: pl.DataFrame, today: date) -> list[str]:
    """How many members each universe counts at the end of each year (and today), the rows
    of a universe's earliest snapshot also before their date, as the warehouse counts."""
    if members.is_empty():
        return []
    counted_from = (
        pl.when(pl.col("valid_from") == pl.col("valid_from").min().over("universe"))
        .then(pl.lit(date.min))
        .otherwise(pl.col("valid_from"))
    )
    spans = members.with_columns(counted_from=counted_from)
    first = members["valid_from"].min()
    days = [date(year, 12, 31) for year in range(first.year, today.year)] + [today]
    lines = ["members counted by date (large / small):"]
    for day in days:
        on = spans.filter(
            (pl.col("counted_from") <= day)
            & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= day))
        )
        counts: Mapping[str, int] = dict(on.group_by("universe").len().iter_rows())
        lines.append(f"  {day}: {counts.get('large', 0)} / {counts.get('small', 0)}")
    return lines


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise MembersFileError(f"{path} could not be read: {error.strerror}") from error
