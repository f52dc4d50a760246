"""The S&P 500 page on Wikipedia: today's constituents and the "Selected changes" table.

Both tables are read by their header text, never by position, in the page's current layout
(tables with ids, a two-row header with Added/Removed spanning Ticker and Security) and its
older one (no ids, a first header row of only Added and Removed; rows sharing a date or a
reason through rowspans). Tickers come back in Yahoo's form (`BRK.B` becomes `BRK-B`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import lxml.html
import polars as pl

from orchestration.sources.base import MEMBERS_SCHEMA
from orchestration.sources.live.tickers import yahoo_symbol

SP500_URL = "https://en.wikipedia.org/wiki/List_of_S%26P_500_companies"
CHANGES_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "added": pl.String(),
    "added_name": pl.String(),
    "removed": pl.String(),
    "removed_name": pl.String(),
    "reason": pl.String(),
}

# Header texts of the constituents table, in the 2024 layout and the 2018 one.
_SYMBOL = ("symbol", "ticker symbol")
_SECURITY = ("security",)
_SECTOR = ("gics sector",)
_ADDED = ("date added", "date first added")
# Column headers of the changes table, once its header rows are joined.
_CHANGE_COLUMNS = {
    "date": ("date",),
    "added": ("added ticker",),
    "added_name": ("added security",),
    "removed": ("removed ticker",),
    "removed_name": ("removed security",),
    "reason": ("reason", "added removed reason"),
}
_FOOTNOTE = re.compile(r"\[[^\]]*\]")


class PageFormatError(ValueError):
    """A page that does not have the tables this parser knows."""


@dataclass(frozen=True)
class Sp500Page:
    """What the page says: today's members (valid_from the date each was added, when the
    page gives it) and the changes table, newest first as the page lists them."""

    members: pl.DataFrame  # MEMBERS_SCHEMA, universe large
    changes: pl.DataFrame  # CHANGES_SCHEMA


def parse_sp500_page(html: bytes | str, snapshot: date) -> Sp500Page:
    """Both tables of the page; `snapshot` is the day the page shows (today, when live)."""
    doc = _document(html)
    return Sp500Page(members=_constituents(doc, snapshot), changes=_changes(doc))


def parse_sp500_html(html: bytes | str, snapshot: date) -> pl.DataFrame:
    """Today's members from the constituents table (see `parse_sp500_page`)."""
    return _constituents(_document(html), snapshot)


def _document(html: bytes | str):
    text = html.decode("utf-8") if isinstance(html, bytes) else html
    if not text.strip():
        raise PageFormatError("S&P 500 page: the page is empty")
    return lxml.html.document_fromstring(text)


def _constituents(doc, snapshot: date) -> pl.DataFrame:
    """The constituents table: the one with `id="constituents"` or, in older layouts
    without ids, the first whose header names a symbol, the security and its GICS sector."""
    tables = doc.xpath('//table[@id="constituents"]') + doc.xpath("//table")
    for table in tables:
        rows = table.xpath(".//tr")
        if not rows:
            continue
        header = [_text(cell).lower() for cell in rows[0].xpath("./th|./td")]
        if all(_column(header, names) is not None for names in (_SYMBOL, _SECURITY, _SECTOR)):
            return _members(header, rows[1:], snapshot)
    raise PageFormatError(
        "S&P 500 page: no table with a Symbol, a Security and a GICS Sector column"
    )


def _members(header: list[str], rows: list, snapshot: date) -> pl.DataFrame:
    """Rows of the constituents table as members."""
    symbol, security, sector = (_column(header, names) for names in (_SYMBOL, _SECURITY, _SECTOR))
    added = _column(header, _ADDED)
    members = []
    for number, row in enumerate(rows, start=2):
        cells = [_text(cell) for cell in row.xpath("./td")]
        if not cells:
            continue
        if len(cells) != len(header):
            raise PageFormatError(
                f"S&P 500 page: table row {number} has {len(cells)} cells, header {len(header)}"
            )
        members.append(
            {
                "universe": "large",
                "ticker": yahoo_symbol(cells[symbol]),
                "valid_from": (_iso_date(cells[added]) if added is not None else None) or snapshot,
                "valid_to": None,
                "name": cells[security],
                "sector": cells[sector],
            }
        )
    if not members:
        raise PageFormatError("S&P 500 page: the constituents table has no rows")
    return pl.DataFrame(members, schema=MEMBERS_SCHEMA)


def _changes(doc) -> pl.DataFrame:
    """The "Selected changes" table: `id="changes"`, or the table whose header names a
    date, an added ticker and a removed ticker. A page without one has no changes."""
    tables = doc.xpath('//table[@id="changes"]') + doc.xpath("//table")
    for table in tables:
        grid = _grid(table)
        body = next((i for i, row in enumerate(grid) if row and _long_date(row[0])), None)
        if body is None or body == 0:
            continue
        header = _joined_header(grid[:body])
        at = {name: _column(header, names) for name, names in _CHANGE_COLUMNS.items()}
        if at["date"] is None or at["added"] is None or at["removed"] is None:
            continue
        return _change_rows(grid[body:], at)
    return pl.DataFrame(schema=CHANGES_SCHEMA)


def _change_rows(rows: list[list[str]], at: dict[str, int | None]) -> pl.DataFrame:
    changes = []
    for row in rows:
        day = _long_date(row[at["date"]]) if len(row) > at["date"] else None
        if day is None:
            continue

        def cell(name: str, row: list[str] = row) -> str:
            position = at[name]
            return row[position] if position is not None and position < len(row) else ""

        added, removed = cell("added"), cell("removed")
        if not added and not removed:
            continue
        changes.append(
            {
                "date": day,
                "added": yahoo_symbol(added) if added else None,
                "added_name": cell("added_name") or None,
                "removed": yahoo_symbol(removed) if removed else None,
                "removed_name": cell("removed_name") or None,
                "reason": cell("reason") or None,
            }
        )
    return pl.DataFrame(changes, schema=CHANGES_SCHEMA)


def _grid(table) -> list[list[str]]:
    """The table's cells row by row, a cell spanning rows or columns repeated in each."""
    grid = []
    carried: dict[int, tuple[int, str]] = {}  # column: (rows still to fill, text)
    for tr in table.xpath(".//tr"):
        row: dict[int, str] = {}
        column = 0

        def fill(at: int, row: dict[int, str] = row) -> None:
            left, text = carried[at]
            row[at] = text
            if left > 1:
                carried[at] = (left - 1, text)
            else:
                del carried[at]

        for cell in tr.xpath("./th|./td"):
            while column in carried:
                fill(column)
                column += 1
            text = _text(cell)
            down = _span(cell, "rowspan")
            for _ in range(_span(cell, "colspan")):
                row[column] = text
                if down > 1:
                    carried[column] = (down - 1, text)
                column += 1
        for at in sorted(at for at in carried if at not in row):
            fill(at)
        grid.append([row.get(i, "") for i in range(max(row) + 1)] if row else [])
    return grid


def _joined_header(rows: list[list[str]]) -> list[str]:
    """One name per column from stacked header rows ("Added" over "Ticker": "added ticker")."""
    width = max(len(row) for row in rows)
    names = []
    for i in range(width):
        parts = []
        for row in rows:
            text = row[i].lower() if i < len(row) else ""
            if text and text not in parts:
                parts.append(text)
        names.append(" ".join(parts))
    return names


def _span(cell, attribute: str) -> int:
    try:
        return max(int(cell.get(attribute, "1")), 1)
    except ValueError:
        return 1


def _text(cell) -> str:
    """A cell's text without footnote marks or repeated spaces."""
    return " ".join(_FOOTNOTE.sub("", cell.text_content()).split())


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


def _long_date(text: str) -> date | None:
    """A date written out ("October 1, 2024", "Oct 1, 2024"), if the cell is one."""
    cleaned = text.replace(",", ", ").replace("  ", " ").strip()
    for form in ("%B %d, %Y", "%b %d, %Y"):
        try:
            return datetime.strptime(cleaned, form).date()
        except ValueError:
            continue
    return None
