"""The one interface every source implements, and the raw batch it returns."""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

import polars as pl

from orchestration.warehouse.contracts import LINEAGE, raw_contracts

# The raw tables' columns as polars types, read from their contracts (models/raw/*.yml),
# the one place they are written; the lineage columns are the warehouse's, not a source's.
POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "DATE": pl.Date(),
    "DOUBLE": pl.Float64(),
    "BIGINT": pl.Int64(),
}
RAW_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    table: {c.name: POLARS_TYPES[c.type] for c in contract.columns if c.name not in LINEAGE}
    for table, contract in raw_contracts().items()
}
PRICES_SCHEMA = RAW_SCHEMAS["prices"]
MEMBERS_SCHEMA = RAW_SCHEMAS["members"]
RATES_SCHEMA = RAW_SCHEMAS["rates"]
ACTIONS_SCHEMA = RAW_SCHEMAS["actions"]
INDEX_WEIGHTS_SCHEMA = RAW_SCHEMAS["index_weights"]
FUNDAMENTALS_SCHEMA = RAW_SCHEMAS["fundamentals"]
STORED_HOLDINGS_SCHEMA: dict[str, pl.DataType] = {
    "universe": pl.String(),
    "ticker": pl.String(),
    "as_of": pl.Date(),
    "name": pl.String(),
    "sector": pl.String(),
}
REJECTS_SCHEMA: dict[str, pl.DataType] = {
    "table_name": pl.String(),
    "record": pl.String(),
    "rule": pl.String(),
    "reason": pl.String(),
}


# The rate series the raw contract accepts (its `known_series` check), in its order.
RATE_SERIES: tuple[str, ...] = tuple(
    next(c for c in raw_contracts()["rates"].checks if c.name == "known_series").arguments[
        "value_set"
    ]
)


CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def printable(text: object) -> str:
    """`text` with control characters written as escapes (a newline as `\\n`), so a value
    quoted in a message or a log line never breaks or forges a line."""
    return CONTROL_CHARACTERS.sub(lambda m: m.group().encode("unicode_escape").decode(), str(text))


def empty_frame(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with the given schema."""
    return pl.DataFrame(schema=schema)


def rejects_frame(
    table_name: str, records: list[dict], rule: str | list[str], reasons: list[str]
) -> pl.DataFrame:
    """Rejected rows ready for the quarantine table: one rule for all, or one per row."""
    rules = [rule] * len(records) if isinstance(rule, str) else rule
    return pl.DataFrame(
        {
            "table_name": [table_name] * len(records),
            "record": [json.dumps(r, default=str, sort_keys=True) for r in records],
            "rule": rules,
            "reason": reasons,
        },
        schema=REJECTS_SCHEMA,
    )


@dataclass(frozen=True)
class RawBatch:
    """What one load of a source brings: the raw tables, and what it could not parse.

    Frames follow the schemas above (column order included). `rejects` holds rows the
    source itself could not read; the raw contract rejects more before landing.
    `requested` says what was asked (for the loads table) and `missing` lists the
    tickers or series that were asked for and did not come. `absent` names, per table, the
    value columns the source did not deliver at all (a file without that column): landing
    keeps the stored values of those columns, and new rows have them null. `complete` names
    the tables the batch delivers whole, everything the warehouse should hold (all of them
    in a reload of a `files` directory; the membership a live source derives afresh each
    run): landing removes the stored rows of those tables whose key the batch lacks.
    """

    prices: pl.DataFrame = field(default_factory=lambda: empty_frame(PRICES_SCHEMA))
    members: pl.DataFrame = field(default_factory=lambda: empty_frame(MEMBERS_SCHEMA))
    rates: pl.DataFrame = field(default_factory=lambda: empty_frame(RATES_SCHEMA))
    actions: pl.DataFrame = field(default_factory=lambda: empty_frame(ACTIONS_SCHEMA))
    index_weights: pl.DataFrame = field(default_factory=lambda: empty_frame(INDEX_WEIGHTS_SCHEMA))
    fundamentals: pl.DataFrame = field(default_factory=lambda: empty_frame(FUNDAMENTALS_SCHEMA))
    rejects: pl.DataFrame = field(default_factory=lambda: empty_frame(REJECTS_SCHEMA))
    requested: dict = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    absent: dict[str, tuple[str, ...]] = field(default_factory=dict)
    complete: tuple[str, ...] = ()

    def table(self, name: str) -> pl.DataFrame:
        """One of the raw tables by name."""
        return getattr(self, name)


@dataclass(frozen=True)
class FetchRequest:
    """What the warehouse already holds, so a source can fetch only what is missing.

    `last_price_dates` maps each ticker to its last stored date, `last_rate_dates` each
    rate series to its last stored observation; `overlap_days` is how
    many trading days before that to fetch again, to catch revisions. `refetch_from`, when
    set, asks again for everything from that date on (a re-run of a range). `only_tickers`,
    when set, asks for the bars of those tickers only (a history fetched again whole after a
    re-basing). `last_fundamental_periods` maps each ticker to the end of its latest stored
    quarter. `stored_holdings` lists the index-weight snapshots the warehouse holds
    (universe, ticker, as_of, with the name and sector membership gives the ticker), so a
    live source asks only for the others. `log` takes progress messages (Dagster's run log
    when run as an asset).
    """

    today: date
    last_price_dates: dict[str, date] = field(default_factory=dict)
    last_rate_dates: dict[str, date] = field(default_factory=dict)
    last_fundamental_periods: dict[str, date] = field(default_factory=dict)
    overlap_days: int = 5
    refetch_from: date | None = None
    only_tickers: frozenset[str] | None = None
    stored_holdings: pl.DataFrame = field(
        default_factory=lambda: empty_frame(STORED_HOLDINGS_SCHEMA)
    )
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("capgap.sources"))

    def start_date(self, last_stored: date | None, first: date) -> date:
        """The first date to fetch for a symbol whose last stored date is `last_stored`.

        Nothing stored: `first`. Otherwise `overlap_days` trading days (1.5 calendar days
        each) before the last stored date, or `refetch_from` if that is earlier.
        """
        if last_stored is None:
            return first
        start = last_stored - timedelta(days=math.ceil(self.overlap_days * 1.5))
        if self.refetch_from is not None:
            start = min(start, self.refetch_from)
        return start


class Source(Protocol):
    """A market-data source: one call lands one raw batch.

    A source that `resumes` brings each ticker's bars from its last stored date on (with an
    overlap): a stored bar that comes back with another adjusted close means the vendor
    re-based the history (a split or a dividend since), and the warehouse asks for that
    ticker's history again whole. A source that does not resume brings everything each time.
    """

    name: str
    resumes: bool

    def fetch(self, request: FetchRequest) -> RawBatch:
        """Fetch what the request asks for and return it as a raw batch."""
        ...


class SourceError(Exception):
    """A source could not be read at all; the message says what, where, and what to do."""
