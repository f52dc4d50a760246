"""iShares fund holdings: IWM (Russell 2000, the small universe) and IVV (S&P 500, the large
universe), as members and index weights, current or as of a date.

Two forms are read, both by column name, never by position:
- the CSV download: a preamble (whose "Fund Holdings as of" line dates the file), a header
  row, the holdings, a legal footer. The share count is headed `Quantity` since 2024 and
  `Shares` before; a date without holdings says `Fund Holdings as of,"-"`.
- BlackRock's product-data JSON: `componentsByNameMap.holdings.containersByNameMap.all.
  dataPointsByNameMap`, one datapoint per column, each with a `value` array aligned by
  holding (`ticker`, `assetClass`, `issueName`, `sectorName`, `holdingPercent`, ...) and a
  scalar `asOfDate` (20240628). Asked for a date without holdings, it answers with the
  latest date's instead: a snapshot is only kept when its date is the date asked.

Only rows whose asset class is Equity and that have a ticker are holdings here (cash, money
market funds, futures and collateral are not members).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from orchestration.sources.live.http import FetchError, Http

PRODUCT_DATA_URL = (
    "https://www.blackrock.com/varnish-api/uk-retail01-product-data/product-data/api/v2/"
    "get-product-data"
)
CSV_URL = "https://www.ishares.com/us/products"
HOLDINGS_SCHEMA: dict[str, pl.DataType] = {
    "ticker": pl.String(),
    "name": pl.String(),
    "sector": pl.String(),
    "weight": pl.Float64(),
}
# iShares names one GICS sector differently from the S&P list.
_SECTORS = {"Communication": "Communication Services"}
_CSV_COLUMNS = {"ticker": "Ticker", "name": "Name", "sector": "Sector", "weight": "Weight (%)"}
_JSON_COLUMNS = {
    "ticker": "ticker",
    "name": "issueName",
    "sector": "sectorName",
    "weight": "holdingPercent",
}


class HoldingsFormatError(ValueError):
    """A holdings file that does not have the shape this parser knows."""


class NoHoldings(LookupError):
    """The fund has no holdings for the date asked (a holiday, before the archive, a date
    the endpoint answered with another date's)."""


@dataclass(frozen=True)
class Fund:
    """An iShares fund: its symbol, the universe it tracks and where its holdings are."""

    symbol: str
    universe: str
    portfolio_id: int
    slug: str


IWM = Fund("IWM", "small", 239710, "ishares-russell-2000-etf")
IVV = Fund("IVV", "large", 239726, "ishares-core-sp-500-etf")
FUNDS = (IVV, IWM)


@dataclass(frozen=True)
class Holdings:
    """One snapshot of a fund's equity holdings: tickers as the file writes them."""

    as_of: date
    rows: pl.DataFrame  # HOLDINGS_SCHEMA


def parse_holdings(data: bytes | str) -> Holdings:
    """A holdings snapshot from a CSV download or a product-data JSON answer."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    if text.lstrip().startswith("{"):
        return parse_holdings_json(text)
    return parse_holdings_csv(text)


def parse_holdings_csv(data: bytes | str) -> Holdings:
    """A holdings snapshot from an iShares CSV download (either header form)."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    if text.lstrip()[:1] == "<":
        raise HoldingsFormatError(
            f"iShares holdings: expected CSV, got an HTML page starting {text.lstrip()[:60]!r}"
        )
    rows = list(csv.reader(io.StringIO(text)))
    as_of = _csv_date(rows)
    start = next((i for i, row in enumerate(rows) if row[:1] == ["Ticker"]), None)
    if start is None:
        raise HoldingsFormatError("iShares holdings: no header row starting with 'Ticker'")
    header = rows[start]
    missing = [c for c in ("Ticker", "Name", "Sector", "Asset Class") if c not in header]
    if missing:
        raise HoldingsFormatError(f"iShares holdings: header lacks {', '.join(missing)}")
    at = {name: header.index(column) for name, column in _CSV_COLUMNS.items() if column in header}
    asset_class = header.index("Asset Class")
    holdings = []
    for row in rows[start + 1 :]:
        if len(row) != len(header):
            break
        if row[asset_class].strip() == "Equity":
            holdings.append({name: row[i] for name, i in at.items()})
    return Holdings(as_of, _holdings_frame(holdings))


def parse_holdings_json(data: bytes | str) -> Holdings:
    """A holdings snapshot from a product-data JSON answer."""
    try:
        answer = json.loads(data)
        points = answer["componentsByNameMap"]["holdings"]["containersByNameMap"]["all"][
            "dataPointsByNameMap"
        ]
    except (ValueError, KeyError, TypeError) as error:
        raise HoldingsFormatError(
            "product-data answer: no componentsByNameMap.holdings.containersByNameMap.all."
            "dataPointsByNameMap"
        ) from error
    as_of = _json_date(points.get("asOfDate", {}).get("value"))
    missing = [name for name in ("ticker", "assetClass") if name not in points]
    if missing:
        raise HoldingsFormatError(f"product-data answer: no {' or '.join(missing)} datapoint")
    columns = {
        name: points[point].get("value") or []
        for name, point in _JSON_COLUMNS.items()
        if point in points
    }
    classes = points["assetClass"].get("value") or []
    if any(len(values) != len(classes) for values in columns.values()):
        raise HoldingsFormatError("product-data answer: datapoints of different lengths")
    holdings = [
        {name: values[i] for name, values in columns.items()}
        for i, asset_class in enumerate(classes)
        if asset_class == "Equity"
    ]
    return Holdings(as_of, _holdings_frame(holdings))


def _holdings_frame(holdings: list[dict]) -> pl.DataFrame:
    """Equity holdings with a ticker, text stripped, weights as numbers, sectors renamed."""
    rows = []
    for holding in holdings:
        ticker = str(holding.get("ticker") or "").strip()
        if ticker in ("", "-"):
            continue
        sector = str(holding.get("sector") or "").strip() or None
        rows.append(
            {
                "ticker": ticker,
                "name": str(holding.get("name") or "").strip() or None,
                "sector": _SECTORS.get(sector, sector) if sector else None,
                "weight": _number(holding.get("weight")),
            }
        )
    return pl.DataFrame(rows, schema=HOLDINGS_SCHEMA)


def _number(value: object) -> float | None:
    """A weight as a number: `1.93`, `"1.93"` or `"1,234.5"`; `-` or nothing is none."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace(",", "").strip()
    try:
        return float(text)
    except ValueError:
        return None


def _csv_date(rows: list[list[str]]) -> date:
    """The "Fund Holdings as of" date of a CSV preamble."""
    for row in rows:
        if len(row) >= 2 and row[0].strip() == "Fund Holdings as of":
            text = row[1].strip()
            if text in ("", "-"):
                raise NoHoldings("iShares holdings: the file has no holdings ('as of -')")
            try:
                return datetime.strptime(text, "%b %d, %Y").date()
            except ValueError as err:
                raise HoldingsFormatError(
                    f"iShares holdings: unreadable 'Fund Holdings as of' date {row[1]!r}"
                ) from err
    raise HoldingsFormatError("iShares holdings: no 'Fund Holdings as of' line")


def _json_date(value: object) -> date:
    """The `asOfDate` of a product-data answer (20240628)."""
    try:
        return datetime.strptime(str(value), "%Y%m%d").date()
    except ValueError as err:
        raise HoldingsFormatError(f"product-data answer: unreadable asOfDate {value!r}") from err


@dataclass(frozen=True)
class HoldingsEndpoints:
    """Where holdings are asked for: the product-data API first, the CSV download second."""

    product_data_url: str = PRODUCT_DATA_URL
    csv_url: str = CSV_URL

    def json_url(self, fund: Fund, day: date | None) -> str:
        """The product-data address of `fund`'s holdings on `day` (None: the latest)."""
        dated = f"&asOfDate={day:%Y%m%d}" if day is not None else ""
        return (
            f"{self.product_data_url}?portfolioId={fund.portfolio_id}&component=holdings"
            f"&targetSite=ishares-us{dated}"
        )

    def csv_file_url(self, fund: Fund, day: date | None) -> str:
        """The CSV download address of `fund`'s holdings on `day` (None: the latest)."""
        dated = f"&asOfDate={day:%Y%m%d}" if day is not None else ""
        return (
            f"{self.csv_url}/{fund.portfolio_id}/{fund.slug}/1467271812596.ajax"
            f"?fileType=csv&fileName={fund.symbol}_holdings&dataType=fund{dated}"
        )


def fetch_holdings(
    http: Http, endpoints: HoldingsEndpoints, fund: Fund, day: date | None
) -> Holdings:
    """`fund`'s holdings on `day` (None: the latest), from the product-data API, else the
    CSV download.

    Raises `NoHoldings` when an endpoint answers for another date than `day` (it has none
    for it) or with no equity holdings, and `FetchError` naming both endpoints when neither
    gives a readable answer.
    """
    what = f"{fund.symbol} holdings of {day or 'the latest date'}"
    problems = []
    for url, kind in (
        (endpoints.json_url(fund, day), "json"),
        (endpoints.csv_file_url(fund, day), "csv"),
    ):
        try:
            holdings = parse_holdings(http.get(url, what, kind))
        except (FetchError, HoldingsFormatError) as error:
            problems.append(str(error))
            continue
        if day is not None and holdings.as_of != day:
            raise NoHoldings(f"{what}: the answer is as of {holdings.as_of}, not {day}")
        if holdings.rows.is_empty():
            raise NoHoldings(f"{what}: the answer lists no equity holdings")
        return holdings
    raise FetchError(f"{what}: no endpoint answered: " + "; ".join(problems))
