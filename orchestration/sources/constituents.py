"""The two member lists: Wikipedia's S&P 500 page (large) and iShares' IWM holdings (small).

Both parsers read columns by their header text, never by position, and return rows in
`MEMBERS_SCHEMA` with tickers in Yahoo's form (`BRK.B` becomes `BRK-B`).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import lxml.html
import polars as pl

from orchestration.sources.base import MEMBERS_SCHEMA
from orchestration.sources.fred import http_get

SP500_URL = "https://en.wikipedia.org/wiki/List_of_S%26P_500_companies"
IWM_HOLDINGS_URL = (
    "https://www.ishares.com/us/products/239710/ishares-russell-2000-etf/1467271812596.ajax"
    "?fileType=csv&fileName=IWM_holdings&dataType=fund"
)

# Header texts of the S&P 500 table, in the 2024 layout and the 2018 one.
_SYMBOL = ("symbol", "ticker symbol")
_SECURITY = ("security",)
_SECTOR = ("gics sector",)
_ADDED = ("date added", "date first added")
# iShares names one GICS sector differently from the S&P list.
_ISHARES_SECTORS = {"Communication": "Communication Services"}


class ConstituentsFormatError(ValueError):
    """A member list that does not have the shape this parser knows."""


def yahoo_ticker(symbol: str) -> str:
    """A listed symbol in Yahoo's form: upper case, class shares with a dash."""
    return symbol.strip().upper().replace(".", "-")


def fetch_sp500(url: str, snapshot: date, timeout: float = 30.0) -> pl.DataFrame:
    """Download and parse the S&P 500 page (see `parse_sp500_html`)."""
    return parse_sp500_html(http_get(url, timeout), snapshot)


def fetch_iwm_holdings(url: str, timeout: float = 30.0) -> pl.DataFrame:
    """Download and parse the IWM holdings file (see `parse_ishares_holdings`)."""
    return parse_ishares_holdings(http_get(url, timeout))


def parse_sp500_html(html: bytes | str, snapshot: date) -> pl.DataFrame:
    """Large-universe members from the constituents table of the S&P 500 page.

    The table is the one with `id="constituents"` or, in older layouts without ids, the
    first whose header names a symbol, the security and its GICS sector. `valid_from` is
    the date the company was added when the page gives one, else `snapshot`.
    """
    text = html.decode("utf-8") if isinstance(html, bytes) else html
    doc = lxml.html.document_fromstring(text)
    tables = doc.xpath('//table[@id="constituents"]') + doc.xpath("//table")
    for table in tables:
        rows = table.xpath(".//tr")
        if not rows:
            continue
        header = [_header_text(cell) for cell in rows[0].xpath("./th|./td")]
        if all(_column(header, names) is not None for names in (_SYMBOL, _SECURITY, _SECTOR)):
            return _sp500_members(header, rows[1:], snapshot)
    raise ConstituentsFormatError(
        "S&P 500 page: no table with a Symbol, a Security and a GICS Sector column"
    )


def parse_ishares_holdings(data: bytes | str) -> pl.DataFrame:
    """Small-universe members from an iShares holdings CSV: equities with a ticker.

    The file has a preamble (whose "Fund Holdings as of" date becomes `valid_from`), a
    header row, the holdings, then a legal footer; the holdings end at the first row
    that does not have the header's width.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    as_of = _holdings_date(rows)
    start = next((i for i, row in enumerate(rows) if row[:1] == ["Ticker"]), None)
    if start is None:
        raise ConstituentsFormatError("iShares holdings: no header row starting with 'Ticker'")
    header = rows[start]
    missing = [name for name in ("Ticker", "Name", "Sector", "Asset Class") if name not in header]
    if missing:
        raise ConstituentsFormatError(f"iShares holdings: header lacks {', '.join(missing)}")
    ticker, name, sector, asset_class = (
        header.index(c) for c in ("Ticker", "Name", "Sector", "Asset Class")
    )
    members = []
    for row in rows[start + 1 :]:
        if len(row) != len(header):
            break
        if row[asset_class].strip() != "Equity" or row[ticker].strip() in ("", "-"):
            continue
        members.append(
            {
                "ticker": yahoo_ticker(row[ticker]),
                "name": row[name].strip(),
                "sector": _ISHARES_SECTORS.get(row[sector].strip(), row[sector].strip()),
            }
        )
    return _members_frame("small", members, as_of)


def _sp500_members(header: list[str], rows: list, snapshot: date) -> pl.DataFrame:
    """Rows of the S&P 500 constituents table as members."""
    symbol, security, sector = (_column(header, names) for names in (_SYMBOL, _SECURITY, _SECTOR))
    added = _column(header, _ADDED)
    members = []
    for number, row in enumerate(rows, start=2):
        cells = [cell.text_content().strip() for cell in row.xpath("./td")]
        if not cells:
            continue
        if len(cells) != len(header):
            raise ConstituentsFormatError(
                f"S&P 500 page: table row {number} has {len(cells)} cells, header {len(header)}"
            )
        members.append(
            {
                "ticker": yahoo_ticker(cells[symbol]),
                "name": cells[security],
                "sector": cells[sector],
                "valid_from": _iso_date(cells[added]) if added is not None else None,
            }
        )
    return _members_frame("large", members, snapshot)


def _members_frame(universe: str, members: list[dict], default_from: date) -> pl.DataFrame:
    """Member dicts as a `MEMBERS_SCHEMA` frame, current (no `valid_to`)."""
    return pl.DataFrame(
        [
            {
                "universe": universe,
                "ticker": m["ticker"],
                "valid_from": m.get("valid_from") or default_from,
                "valid_to": None,
                "name": m["name"],
                "sector": m["sector"],
            }
            for m in members
        ],
        schema=MEMBERS_SCHEMA,
    )


def _header_text(cell) -> str:
    """A header cell's text, lower case, without footnote marks or repeated spaces."""
    text = re.sub(r"\[[^\]]*\]", "", cell.text_content())
    return " ".join(text.split()).lower()


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    """Index of the first header cell named one of `names`, if any."""
    return next((i for i, text in enumerate(header) if text in names), None)


def _iso_date(text: str) -> date | None:
    """The leading YYYY-MM-DD date of a cell, if it starts with a valid one."""
    match = re.match(r"\d{4}-\d{2}-\d{2}", text)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group())
    except ValueError:
        return None


def _holdings_date(rows: list[list[str]]) -> date:
    """The "Fund Holdings as of" date of an iShares preamble."""
    for row in rows:
        if len(row) >= 2 and row[0].strip() == "Fund Holdings as of":
            try:
                return datetime.strptime(row[1].strip(), "%b %d, %Y").date()
            except ValueError as err:
                raise ConstituentsFormatError(
                    f"iShares holdings: unreadable 'Fund Holdings as of' date {row[1]!r}"
                ) from err
    raise ConstituentsFormatError("iShares holdings: no 'Fund Holdings as of' line")
