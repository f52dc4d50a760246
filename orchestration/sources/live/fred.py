"""FRED's public `fredgraph.csv` (no API key): fetch and parse one series.

Two file forms are in use: the older `DATE,<ID>` header with `.` for a missing
observation, and the newer `observation_date,<ID>` header with an empty field. Both are
read; a missing observation is skipped and counted, never landed as a value.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import quote

import polars as pl

from orchestration.sources.base import RATES_SCHEMA
from orchestration.sources.live.http import Http

FRED_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
FRED_SERIES: dict[str, str] = {
    "DGS2": "ust_2y",
    "DFF": "fed_funds",
    "CPIAUCSL": "cpi_index",
    "VIXCLS": "vix",
    "BAMLH0A0HYM2": "hy_oas",
}

_DATE_HEADERS = ("observation_date", "DATE")
_MISSING_MARKS = ("", ".")


class FredFormatError(ValueError):
    """A FRED response that is not the CSV of the series that was asked for."""


@dataclass(frozen=True)
class FredSeries:
    """One parsed series: rows in `RATES_SCHEMA` and how many observations were missing."""

    series_id: str
    rows: pl.DataFrame
    missing_values: int


def fred_csv_url(series_id: str, base_url: str = FRED_URL) -> str:
    """The `fredgraph.csv` address of one series."""
    return f"{base_url}?id={quote(series_id)}"


def fetch_fred_series(
    http: Http, series_id: str, base_url: str = FRED_URL, series: str | None = None
) -> FredSeries:
    """Download and parse one FRED series (see `parse_fred_csv`)."""
    body = http.get(fred_csv_url(series_id, base_url), f"FRED {series_id}", "csv")
    return parse_fred_csv(body.decode("utf-8-sig", errors="replace"), series_id, series)


def parse_fred_csv(text: str, series_id: str, series: str | None = None) -> FredSeries:
    """Parse a `fredgraph.csv` body of `series_id` into rates rows named `series`.

    `series` defaults to the `raw.rates` name in `FRED_SERIES`. Raises `FredFormatError`
    naming the series and what came when the body is not that series' CSV.
    """
    series = series or FRED_SERIES[series_id]
    text = text.lstrip("\ufeff")
    header = text.split("\n", 1)[0].strip()
    columns = tuple(part.strip() for part in header.split(","))
    if columns not in {(date_header, series_id) for date_header in _DATE_HEADERS}:
        raise FredFormatError(_unexpected(series_id, text))
    try:
        raw = pl.read_csv(
            io.StringIO(text),
            new_columns=["date", "value"],
            schema_overrides=[pl.String, pl.String],
        )
    except pl.exceptions.PolarsError as err:
        raise FredFormatError(f"FRED {series_id}: unreadable CSV: {err}") from err
    raw = raw.with_row_index("line", offset=2).with_columns(
        pl.col("value").fill_null("").str.strip_chars()
    )
    missing = raw.filter(pl.col("value").is_in(_MISSING_MARKS))
    observed = raw.filter(~pl.col("value").is_in(_MISSING_MARKS)).with_columns(
        parsed_date=pl.col("date").str.to_date("%Y-%m-%d", strict=False),
        parsed_value=pl.col("value").cast(pl.Float64, strict=False),
    )
    bad = observed.filter(pl.col("parsed_date").is_null() | pl.col("parsed_value").is_null())
    if bad.height:
        first = bad.row(0, named=True)
        raise FredFormatError(
            f"FRED {series_id}: {bad.height} unreadable rows, first at line {first['line']}: "
            f"{first['date']!r},{first['value']!r}"
        )
    rows = observed.select(
        series=pl.lit(series), date=pl.col("parsed_date"), value=pl.col("parsed_value")
    ).cast(RATES_SCHEMA)
    return FredSeries(series_id=series_id, rows=rows, missing_values=missing.height)


def _unexpected(series_id: str, text: str) -> str:
    """The error message for a body that is not a FRED CSV of `series_id`."""
    start = text.lstrip()
    if start.startswith("<"):
        return f"FRED {series_id}: expected CSV, got an HTML page starting {start[:80]!r}"
    expected = " or ".join(f"'{date_header},{series_id}'" for date_header in _DATE_HEADERS)
    first_line = start.split("\n", 1)[0][:80]
    return f"FRED {series_id}: expected header {expected}, got {first_line!r}"
