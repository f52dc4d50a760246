"""The `yahoo` source: yfinance prices and actions, FRED rates, S&P 500 and IWM members.

What yfinance 1.7 does that this module works around (read in `yfinance/multi.py`,
`scrapers/history.py` and `data.py`):

- `download()` never raises for a ticker. A failure, an HTTP 429 (`YFRateLimitError`)
  included, is caught per ticker, logged on the `yfinance` logger, and the ticker comes
  back as NaN rows. So a ticker without a price is reported in `RawBatch.missing`, and a
  rate limit is recognised by `YFRateLimitError`'s text among the errors yfinance logs
  during the call (a `yfinance` logger raised above ERROR hides it). While rate-limited,
  the tickers that did not come are asked again after an exponential backoff; those
  still missing when the attempts run out are reported missing, like any other, and an
  error is logged: the next load asks for them again, since nothing was stored.
- Its time-zone lookup goes through `YfData.cache_get`, an in-process LRU cache that also
  keeps failures: a symbol that failed once stays failed for the life of the process.
  The cache is cleared before every download attempt, so a retry asks again.
- Without a start it fetches one month: a start is always given.
- With `auto_adjust=True` prices come split- and dividend-adjusted, and there is no
  unadjusted close; `unadjusted_close` is null.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar

import pandas as pd
import polars as pl
import yfinance as yf
from yfinance.data import YfData
from yfinance.exceptions import YFRateLimitError

from orchestration.sources.base import (
    ACTIONS_SCHEMA,
    PRICES_SCHEMA,
    RATES_SCHEMA,
    REJECTS_SCHEMA,
    FetchRequest,
    RawBatch,
    SourceError,
    empty_frame,
    rejects_frame,
)
from orchestration.sources.live.fred import (
    FRED_SERIES,
    FRED_URL,
    FredFormatError,
    fetch_fred_series,
)
from orchestration.sources.live.http import USER_AGENT, FetchError, Http
from orchestration.sources.live.members import (
    ListEndpoints,
    Membership,
    build_membership,
    fetch_lists,
)
from orchestration.sources.live.sec_facts import (
    COMPANYFACTS_URL,
    REQUEST_INTERVAL,
    CompanyFacts,
    FundamentalsFetch,
    due_tickers,
)
from orchestration.warehouse.seeds import symbols

if TYPE_CHECKING:
    from curl_cffi.requests import Session

BENCHMARKS = symbols()
# Yahoo quotes these yields in percent (4.599 means 4.599 %); their closes go to rates.
RATE_SYMBOLS: dict[str, str] = {
    "^IRX": "ust_3m",
    "^FVX": "ust_5y",
    "^TNX": "ust_10y",
    "^TYX": "ust_30y",
}

_OHLC = ["open", "high", "low", "close"]
_YF_COLUMNS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Volume": "volume",
    "Dividends": "dividend",
    "Stock Splits": "split",
}
_LONG_SCHEMA: dict[str, pl.DataType] = {
    "ticker": pl.String(),
    "date": pl.Date(),
    **{column: pl.Float64() for column in _YF_COLUMNS.values()},
}
_RATE_LIMIT_TEXT = str(YFRateLimitError())
FUNDAMENTALS_LEAD_DAYS = 400  # four quarters and the weeks their reports take


@dataclass(frozen=True)
class YahooSource:
    """Live market data: point-in-time members and index weights from Wikipedia and
    iShares (`members.py`), prices from Yahoo, rates from Yahoo and FRED, quarterly
    figures from the SEC's XBRL companyfacts (`sec_facts.py`).

    `history_start` is where a ticker with nothing stored starts (None: ten years before
    the request's `today`). A chunk rate-limited by Yahoo, and any other endpoint that
    fails or throttles, is tried `retry_attempts` times in all, waiting `retry_base_delay`
    seconds, then twice that, and so on, by `sleep`. The URLs default to the public
    endpoints; every other endpoint is asked with `user_agent`, the SEC's no more often
    than every `sec_interval` seconds. `session` is handed to `yfinance.download` (None lets
    yfinance make its own).
    """

    name: ClassVar[str] = "yahoo"
    resumes: ClassVar[bool] = True

    history_start: date | None = None
    chunk_size: int = 100
    threads: bool | int = True
    retry_attempts: int = 4
    retry_base_delay: float = 10.0
    timeout: float = 30.0
    benchmarks: tuple[str, ...] = BENCHMARKS
    lists: ListEndpoints = field(default_factory=ListEndpoints)
    fred_url: str = FRED_URL
    sec_facts_url: str = COMPANYFACTS_URL
    sec_interval: float = REQUEST_INTERVAL
    user_agent: str = USER_AGENT
    session: Session | None = None
    sleep: Callable[[float], None] = time.sleep

    def fetch(self, request: FetchRequest) -> RawBatch:
        """Members, then prices, actions and rates of every member and benchmark, and the
        quarterly figures of the members whose next report is due.

        A member list that cannot be fetched or read fails the fetch (there would be
        nothing to ask for); a ticker or FRED series that does not come is reported in
        `missing` and logged, a company whose figures do not come is logged and asked again
        on a later run. With `only_tickers`, only those tickers' bars and actions.
        """
        if request.only_tickers is not None:
            return self.download(sorted(request.only_tickers), request)
        membership = self.fetch_members(request)
        members = membership.members
        in_window = pl.col("valid_to").is_null() | (pl.col("valid_to") >= self.first_date(request))
        symbols = [*members.filter(in_window)["ticker"].unique(maintain_order=True)]
        market = self.download([*symbols, *self.benchmarks, *RATE_SYMBOLS], request)
        fred_rates, fred_missing = self.fetch_fred(request)
        due = due_tickers(symbols, request.last_fundamental_periods, request.today)
        figures = self.fetch_fundamentals(due, membership.ciks, request)
        return RawBatch(
            prices=market.prices,
            members=members,
            rates=pl.concat([market.rates, fred_rates]),
            actions=market.actions,
            index_weights=membership.weights,
            fundamentals=figures.rows,
            rejects=pl.concat([membership.rejects, market.rejects, figures.rejects]),
            complete=("members",),
            requested={
                **market.requested,
                "members": dict(Counter(members["universe"])),
                "weight_snapshots": dict(
                    Counter(membership.weights.unique(["universe", "as_of"])["universe"])
                ),
                "rate_symbols": dict(RATE_SYMBOLS),
                "fred_series": dict(FRED_SERIES),
                "fundamentals": {
                    "due": len(due),
                    "companies_asked": figures.asked,
                    "without_figures": len(figures.missing),
                },
                "history_start": self.first_date(request).isoformat(),
            },
            missing=market.missing + fred_missing,
        )

    def first_date(self, request: FetchRequest) -> date:
        """The first date fetched for a ticker or series with nothing stored."""
        if self.history_start is not None:
            return self.history_start
        today = request.today
        try:
            return today.replace(year=today.year - 10)
        except ValueError:
            return today.replace(year=today.year - 10, day=28)

    def http(self, log: logging.Logger) -> Http:
        """How this source asks the endpoints other than Yahoo's."""
        return Http(
            user_agent=self.user_agent,
            timeout=self.timeout,
            attempts=self.retry_attempts,
            base_delay=self.retry_base_delay,
            sleep=self.sleep,
            log=log,
        )

    def fetch_members(self, request: FetchRequest) -> Membership:
        """Point-in-time members of both universes and the new index-weight snapshots."""
        try:
            lists = fetch_lists(
                self.http(request.log),
                self.lists,
                self.first_date(request),
                request.today,
                request.stored_holdings,
                request.log,
            )
        except FetchError as error:
            raise SourceError(f"yahoo source: {error}") from error
        membership = build_membership(lists, request.today, request.stored_holdings)
        for note in membership.notes:
            request.log.info(f"members: {note}")
        counts = Counter(membership.members.filter(pl.col("valid_to").is_null())["universe"])
        request.log.info(
            f"members: {counts['large']} large and {counts['small']} small today, "
            f"{membership.members.height} membership rows, "
            f"{membership.weights.height} new weight rows"
        )
        return membership

    def fetch_fundamentals(
        self, tickers: Sequence[str], ciks: Mapping[str, int], request: FetchRequest
    ) -> FundamentalsFetch:
        """The SEC's quarterly figures of `tickers`' companies, from a year before the
        history start (so a trailing twelve months exists on its first day)."""
        first = self.first_date(request) - timedelta(days=FUNDAMENTALS_LEAD_DAYS)
        request.log.info(f"fundamentals: {len(tickers)} members due a new quarter; asking the SEC")
        facts = CompanyFacts(self.http(request.log), self.sec_facts_url, self.sec_interval)
        return facts.fetch(tickers, ciks, first, request.log)

    def fetch_fred(self, request: FetchRequest) -> tuple[pl.DataFrame, list[str]]:
        """FRED's series from the history start, and the ids of those that did not come."""
        start = self.first_date(request)
        frames, missing = [empty_frame(RATES_SCHEMA)], []
        for series_id in FRED_SERIES:
            try:
                parsed = fetch_fred_series(self.http(request.log), series_id, self.fred_url)
            except (FetchError, FredFormatError) as err:
                request.log.error(f"FRED {series_id} did not come: {err}")
                missing.append(series_id)
                continue
            rows = parsed.rows.filter(pl.col("date") >= start)
            request.log.info(
                f"FRED {series_id}: {rows.height} values from {start}"
                f" ({parsed.missing_values} missing values in the file skipped)"
            )
            frames.append(rows)
        return pl.concat(frames), missing

    def download(self, symbols: Sequence[str], request: FetchRequest) -> RawBatch:
        """Prices, actions and Yahoo-quoted rates of `symbols`, only what `request` lacks.

        Each symbol starts `overlap_days` trading days (as 1.5 calendar days each) before
        its last stored date, or at the history start; symbols sharing a start are fetched
        together, `chunk_size` at a time.
        """
        starts = self.start_dates(list(dict.fromkeys(s.upper() for s in symbols)), request)
        chunks = _chunks(starts, self.chunk_size)
        frames, missing = [pl.DataFrame(schema=_LONG_SCHEMA)], []
        for number, (start, tickers) in enumerate(chunks, start=1):
            frame, lost = self._download_chunk(tickers, start, request.log)
            came = len(tickers) - len(lost)
            request.log.info(f"chunk {number}/{len(chunks)}: {len(tickers)} tickers, {came} came")
            if lost:
                request.log.warning(f"chunk {number}/{len(chunks)}: no data for {', '.join(lost)}")
            frames.append(frame)
            missing += lost
        prices, rates, actions, rejects = split_market_frame(pl.concat(frames))
        return RawBatch(
            prices=prices,
            rates=rates,
            actions=actions,
            rejects=rejects,
            requested={
                "tickers": len(starts),
                "start_dates": {
                    day.isoformat(): count
                    for day, count in sorted(Counter(starts.values()).items())
                },
            },
            missing=missing,
        )

    def start_dates(self, symbols: Sequence[str], request: FetchRequest) -> dict[str, date]:
        """The first date to fetch for each symbol."""
        first = self.first_date(request)
        stored = {**request.last_price_dates}
        stored.update(
            (symbol, request.last_rate_dates[series])
            for symbol, series in RATE_SYMBOLS.items()
            if series in request.last_rate_dates
        )
        return {symbol: request.start_date(stored.get(symbol), first) for symbol in symbols}

    def _download_chunk(
        self, tickers: list[str], start: date, log: logging.Logger
    ) -> tuple[pl.DataFrame, list[str]]:
        """One chunk, asked again after a backoff while Yahoo rate-limits.

        Returns the rows of the tickers that came and the tickers that did not.
        """
        attempts = self.retry_attempts
        frames, pending = [], list(tickers)
        for attempt in range(1, attempts + 1):
            YfData.cache_get.cache_clear()
            with _YfErrors() as errors:
                wide = yf.download(
                    pending,
                    start=start.isoformat(),
                    auto_adjust=True,
                    actions=True,
                    group_by="ticker",
                    threads=self.threads,
                    progress=False,
                    timeout=self.timeout,
                    session=self.session,
                )
            frame = long_frame(wide)
            came = set(frame.filter(pl.any_horizontal(pl.col(_OHLC).is_not_null()))["ticker"])
            frames.append(frame.filter(pl.col("ticker").is_in(came)))
            pending = [ticker for ticker in pending if ticker not in came]
            if not pending or not errors.rate_limited:
                break
            if attempt == attempts:
                log.error(
                    f"yahoo: still rate-limited after {attempts} attempts;"
                    f" {len(pending)} tickers reported missing"
                )
                break
            delay = self.retry_base_delay * 2 ** (attempt - 1)
            log.warning(
                f"yahoo: rate-limited (HTTP 429); {len(pending)} tickers again in {delay:g} s"
                f" (attempt {attempt + 1}/{attempts})"
            )
            self.sleep(delay)
        return pl.concat(frames), pending


def long_frame(wide: pd.DataFrame) -> pl.DataFrame:
    """yfinance's (ticker, field) columns as one row per ticker and date.

    Columns: ticker, date, open, high, low, close, volume, dividend, split (all floats,
    null where yfinance has NaN, including the rows it adds for a ticker that failed).
    """
    if wide.empty:
        return pl.DataFrame(schema=_LONG_SCHEMA)
    stacked = wide.stack(level=0, future_stack=True)
    stacked.index = stacked.index.set_names(["date", "ticker"])
    frame = pl.from_pandas(stacked.reset_index(), nan_to_null=True)
    return frame.select(
        pl.col("ticker"),
        pl.col("date").cast(pl.Date),
        *[
            (pl.col(name) if name in frame.columns else pl.lit(None)).alias(column)
            for name, column in _YF_COLUMNS.items()
        ],
    ).cast(_LONG_SCHEMA)


def split_market_frame(
    frame: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """A `long_frame` as (prices, rates, actions, rejects) in the raw schemas.

    Rows without any price are not rows (yfinance fills them in for a ticker that lacks a
    date another ticker has). A row with some prices null is rejected with a reason
    naming ticker, date and the null columns. `RATE_SYMBOLS` give their close as a rate.
    """
    is_rate = pl.col("ticker").is_in(list(RATE_SYMBOLS))
    complete = pl.all_horizontal(pl.col(_OHLC).is_not_null())
    rows = frame.filter(pl.any_horizontal(pl.col(_OHLC).is_not_null())).sort("ticker", "date")
    stocks, rates = rows.filter(~is_rate), rows.filter(is_rate)
    prices = stocks.filter(complete).select(
        "ticker",
        "date",
        *_OHLC,
        pl.col("volume").cast(pl.Int64),
        unadjusted_close=pl.lit(None, pl.Float64),
    )
    events = frame.filter(~is_rate).sort("ticker", "date")
    actions = pl.concat(
        [
            events.filter(pl.col(kind) > 0).select(
                "ticker", "date", kind=pl.lit(kind), value=pl.col(kind)
            )
            for kind in ("split", "dividend")
        ]
    )
    rate_rows = rates.filter(pl.col("close").is_not_null()).select(
        series=pl.col("ticker").replace_strict(RATE_SYMBOLS),
        date="date",
        value="close",
    )
    rejects = pl.concat(
        [
            _null_rejects("prices", stocks.filter(~complete), _OHLC),
            _null_rejects("rates", rates.filter(pl.col("close").is_null()), ["close"]),
        ]
    )
    return (
        prices.cast(PRICES_SCHEMA),
        rate_rows.cast(RATES_SCHEMA),
        actions.cast(ACTIONS_SCHEMA),
        rejects.cast(REJECTS_SCHEMA),
    )


def _null_rejects(table: str, rows: pl.DataFrame, required: list[str]) -> pl.DataFrame:
    """Rows lacking a required value, as rejects naming ticker, date and what is null."""
    records = rows.select("ticker", "date", *_OHLC, "volume").to_dicts()
    reasons = []
    for record in records:
        nulls = [column for column in required if record[column] is None]
        verb = "is" if len(nulls) == 1 else "are"
        reasons.append(f"{record['ticker']} {record['date']}: {', '.join(nulls)} {verb} null")
    return rejects_frame(table, records, "required_value", reasons)


def _chunks(starts: dict[str, date], size: int) -> list[tuple[date, list[str]]]:
    """Symbols grouped by start date, then cut into chunks of at most `size`."""
    groups: dict[date, list[str]] = {}
    for symbol, start in starts.items():
        groups.setdefault(start, []).append(symbol)
    return [
        (start, group[i : i + size])
        for start, group in sorted(groups.items())
        for i in range(0, len(group), size)
    ]


class _YfErrors(logging.Handler):
    """The errors yfinance logs during one `download()` call."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> _YfErrors:
        logging.getLogger("yfinance").addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        logging.getLogger("yfinance").removeHandler(self)

    @property
    def rate_limited(self) -> bool:
        """Whether any ticker failed with `YFRateLimitError` (HTTP 429)."""
        return any(_RATE_LIMIT_TEXT in message for message in self.messages)
