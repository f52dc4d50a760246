"""Tests of the yahoo source (`yahoo.py`, `fred.py`, `constituents.py`), all offline.

Nothing in yfinance is patched; it runs its real download, cookie, crumb and parsing
code. Every HTTP request yfinance makes goes through the one curl_cffi Session that
`download(session=...)` installs in its `YfData` singleton, so the tests hand it a
`LocalSession`, whose `request` keeps each URL's path and query and replaces its scheme
and host with the stand-in server on 127.0.0.1 (the host it was meant for is sent along
and recorded). That one seam covers every host yfinance knows. Patching `_BASE_URL_`
would not: `scrapers/history.py` and `base.py` (the time-zone lookup) each bind their own
copy, the cookie and crumb hosts are literals in `data.py` (fc.yahoo.com,
guce.yahoo.com, query1/query2 `getcrumb`), and for a symbol without a time zone
yfinance falls back to `quoteSummary`, `v7/finance/quote` and `fundamentals-timeseries`
on query1/query2 (seen for SIX while writing these tests); a missed one would reach the
internet.

The stand-in serves recorded chart bodies (`tests/fixtures/yahoo/`) by symbol, a fixed
crumb, FRED and member-list fixtures by path, and 404 for anything else. It ignores
`period1`/`period2`, so a chart comes back whole whatever start was asked. yfinance's
time-zone and cookie caches go to a temporary directory, and its network retries are 0.
"""

from __future__ import annotations

import http.server
import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl
import pytest
import yfinance as yf
from curl_cffi.requests import Session
from pydantic import Field

from orchestration.defs.resources import MarketSource
from orchestration.defs.settings import resources_from_env
from orchestration.sources.base import RAW_SCHEMAS, REJECTS_SCHEMA, FetchRequest
from orchestration.sources.live.fred import FredFormatError, parse_fred_csv
from orchestration.sources.live.ishares import HoldingsEndpoints
from orchestration.sources.live.members import ListEndpoints
from orchestration.sources.live.wikipedia import parse_sp500_html
from orchestration.sources.live.yahoo import BENCHMARKS, RATE_SYMBOLS, YahooSource
from tests.conftest import all_assets, read_only_query
from tests.local_http import local_server

# yfinance 1.7 calls pandas with `inplace=`, deprecated in pandas 3.1: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")

FIXTURES = Path(__file__).parent / "fixtures"
YAHOO = FIXTURES / "yahoo"
FRED = FIXTURES / "fred"
MEMBERS = FIXTURES / "constituents"

AAPL = YAHOO / "yahoo_chart_AAPL_1d_2020-08-31_2020-11-06_split_dividend.body.json"
AAPL_NULL_OPEN = (
    YAHOO / "yahoo_chart_AAPL_1d_2020-08-31_2020-11-06_open_null_2020-09-15.derived.body.json"
)
QQQ = YAHOO / "yahoo_chart_QQQ_ETF_1d_2020_dividends.body.json"
MSFT = YAHOO / "yahoo_chart_MSFT_1d_2021-02-01_2022-01-31_dividends.body.json"
NOT_FOUND = YAHOO / "yahoo_chart_SIX_404_not_found.body.json"
NO_ROWS = YAHOO / "yahoo_chart_VXAPL_index_no_data.body.json"
SP500_2024 = MEMBERS / "wikipedia_sp500_rev1250356709_2024-10-09.tables.html"
SP500_2018 = MEMBERS / "wikipedia_sp500_rev821321383_2018-01-19_old_layout.tables.html"
SP500_3_ROWS = MEMBERS / "wikipedia_sp500_rev1250356709_2024-10-09.AAPL_BRK.B_MSFT.derived.html"
IWM_7_ROWS = MEMBERS / "ishares_IWM_holdings_2026-05-05.7_rows.derived.csv"
DGS2_OLD = FRED / "fred_DGS2_DATE-header_last-400-rows.trimmed.csv"
DGS2_NEW = FRED / "fred_DGS2_observation_date-header_2021-02-12_2026-02-12.csv"
DFF_OLD = FRED / "fred_DFF_DATE-header_2017-05-16_2022-05-16.csv"
CPI_NEW = FRED / "fred_CPIAUCSL_observation_date-header_1947-01-01_2026-01-01.csv"
HY_NEW = FRED / "fred_BAMLH0A0HYM2_observation_date-header_2021-02-12_2026-02-12.csv"
HY_OLD = FRED / "fred_BAMLH0A0HYM2_DATE-header_last-400-rows.trimmed.csv"
VIX_NEW = FRED / "fred_VIXCLS_observation_date-header_last-400-rows.trimmed.csv"
MRVL_FACTS = FIXTURES / "sec" / "sec_companyfacts_CIK0001835632_MRVL_2026-06-08.body.json"
COMPANYFACTS = "/api/xbrl/companyfacts"
CRUMB = b"stand-in-crumb"
TOO_MANY_REQUESTS = b"Edge: Too Many Requests"
HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>Error</title></head><body>Oops</body></html>\n"


@dataclass
class StandIn:
    """What the local server answers, and what it was asked."""

    url: str
    charts: dict[str, Path] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)

    def answer(self, meant_for: str, target: str) -> tuple[int, bytes, str]:
        """Status, body and content type for one request."""
        path = urlsplit(target).path
        if path.startswith("/v8/finance/chart/"):
            symbol = unquote(path.rsplit("/", 1)[1])
            if self.throttled.get(symbol, 0) > 0:
                self.throttled[symbol] -= 1
                status, body, kind = 429, TOO_MANY_REQUESTS, "text/plain"
            elif symbol in self.charts:
                status, body, kind = 200, self.charts[symbol].read_bytes(), "application/json"
            else:
                status, body, kind = 404, NOT_FOUND.read_bytes(), "application/json"
        elif path == "/v1/test/getcrumb":
            status, body, kind = 200, CRUMB, "text/plain"
        elif target in self.files:
            status, (body, kind) = 200, self.files[target]
        else:
            status, body, kind = 404, b"not in the stand-in", "text/plain"
        self.requests.append((meant_for, target, status))
        return status, body, kind

    def chart_requests(self, symbol: str) -> list[tuple[str, int]]:
        """(query, status) of each chart request for `symbol`."""
        prefix = f"/v8/finance/chart/{symbol.replace('^', '%5E')}?"
        return [
            (target.split("?", 1)[1], status)
            for _, target, status in self.requests
            if target.startswith(prefix)
        ]


class LocalSession(Session):
    """A curl_cffi session that sends every request to the stand-in instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__(impersonate="chrome")
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        headers = {**dict(kwargs.pop("headers", None) or {}), "X-Meant-For": parts.netloc}
        local = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, local, *args, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    """The stand-in on 127.0.0.1, and yfinance set up to stay on this machine."""
    yf.set_tz_cache_location(str(tmp_path_factory.mktemp("yfinance-cache")))
    yf.config.network.retries = 0
    state = StandIn(url="")

    def answer(target: str, request: http.server.BaseHTTPRequestHandler):
        return state.answer(request.headers.get("X-Meant-For", ""), target)

    with local_server(answer) as url:
        state.url = url
        yield state


@pytest.fixture(autouse=True)
def local_names_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Looking up any host but 127.0.0.1 fails (urllib; yfinance goes via LocalSession)."""
    lookup = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            raise OSError(f"a test tried to reach {host}")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture
def stand_in(server: StandIn) -> StandIn:
    """The stand-in, emptied for one test, with the recorded charts served by symbol."""
    server.charts = {"AAPL": AAPL, "QQQ": QQQ, "MSFT": MSFT, "^VXAPL": NO_ROWS}
    server.files, server.throttled, server.requests = {}, {}, []
    return server


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> logging.Logger:
    """The request log, captured."""
    caplog.set_level(logging.INFO, logger="capgap.test")
    return logging.getLogger("capgap.test")


LATEST_IWM_CSV = (
    "/ishares/239710/ishares-russell-2000-etf/1467271812596.ajax"
    "?fileType=csv&fileName=IWM_holdings&dataType=fund"
)


def stand_in_lists(url: str) -> ListEndpoints:
    """The member lists' endpoints, on the stand-in."""
    return ListEndpoints(
        sp500_url=f"{url}/wiki/sp500",
        holdings=HoldingsEndpoints(
            product_data_url=f"{url}/product-data", csv_url=f"{url}/ishares"
        ),
        sec_tickers_url=f"{url}/sec/company_tickers.json",
    )


def member_and_fred_files() -> dict[str, tuple[bytes, str]]:
    """The recorded member lists and FRED series, served by path: the IWM file as the
    latest holdings of the CSV endpoint (the product-data API and dated files answer 404)."""
    return {
        "/wiki/sp500": (SP500_3_ROWS.read_bytes(), "text/html; charset=UTF-8"),
        LATEST_IWM_CSV: (IWM_7_ROWS.read_bytes(), "text/csv"),
        "/fredgraph.csv?id=DGS2": (DGS2_NEW.read_bytes(), "text/csv"),
        "/fredgraph.csv?id=DFF": (DFF_OLD.read_bytes(), "text/csv"),
        "/fredgraph.csv?id=CPIAUCSL": (CPI_NEW.read_bytes(), "text/csv"),
        "/fredgraph.csv?id=VIXCLS": (VIX_NEW.read_bytes(), "text/csv"),
        "/fredgraph.csv?id=BAMLH0A0HYM2": (HY_NEW.read_bytes(), "text/csv"),
    }


def source_for(stand_in: StandIn, sleeps: list[float] | None = None, **config) -> YahooSource:
    """A yahoo source whose every URL points at the stand-in."""
    settings = {
        "lists": stand_in_lists(stand_in.url),
        "fred_url": f"{stand_in.url}/fredgraph.csv",
        "sec_facts_url": f"{stand_in.url}{COMPANYFACTS}",
        "sec_interval": 0.0,
        "retry_base_delay": 1.0,
        "timeout": 5.0,
        **config,
    }
    waits = sleeps if sleeps is not None else []
    return YahooSource(**settings, session=LocalSession(stand_in.url), sleep=waits.append)


def request_on(today: date, log: logging.Logger, **kwargs) -> FetchRequest:
    """A fetch request with the captured log."""
    return FetchRequest(today=today, log=log, **kwargs)


# --- yfinance through the stand-in -------------------------------------------------------


def test_split_and_dividend_become_actions(stand_in: StandIn, log: logging.Logger) -> None:
    batch = source_for(stand_in).download(["AAPL"], request_on(date(2020, 11, 9), log))

    assert batch.missing == []
    assert batch.prices.height == 49
    assert batch.prices["date"].min() == date(2020, 8, 31)
    assert batch.prices["date"].max() == date(2020, 11, 6)
    assert batch.prices["unadjusted_close"].null_count() == 49
    assert batch.actions.rows() == [
        ("AAPL", date(2020, 8, 31), "split", 4.0),
        ("AAPL", date(2020, 11, 6), "dividend", 0.205),
    ]
    # auto_adjust: closes before the ex-dividend day are scaled down by yfinance.
    before = batch.prices.filter(pl.col("date") == date(2020, 11, 5)).row(0, named=True)
    assert before["close"] < 119.03  # the recorded, unadjusted close of 2020-11-05
    assert batch.rejects.is_empty()


def test_etf_prices_and_dividends(stand_in: StandIn, log: logging.Logger) -> None:
    batch = source_for(stand_in).download(["QQQ"], request_on(date(2021, 1, 4), log))

    assert batch.missing == []
    assert batch.prices.height == 253
    assert batch.prices["volume"].dtype == pl.Int64
    assert batch.prices["volume"].min() > 0
    dividends = batch.actions.filter(pl.col("kind") == "dividend")
    assert dividends.height == 3
    assert batch.actions.filter(pl.col("kind") == "split").is_empty()


@pytest.mark.parametrize(
    ("symbol", "status"),
    [("SIX", 404), ("^VXAPL", 200)],
    ids=["404-no-data-found", "200-without-rows"],
)
def test_symbol_without_data_is_reported_missing(
    stand_in: StandIn,
    log: logging.Logger,
    caplog: pytest.LogCaptureFixture,
    symbol: str,
    status: int,
) -> None:
    batch = source_for(stand_in).download(["AAPL", symbol], request_on(date(2020, 11, 9), log))

    assert batch.missing == [symbol]
    assert set(batch.prices["ticker"]) == {"AAPL"}
    assert {s for _, s in stand_in.chart_requests(symbol)} == {status}
    assert f"no data for {symbol}" in caplog.text
    assert "chunk 1/1: 2 tickers, 1 came" in caplog.text


def test_rate_limit_is_retried_after_a_backoff(stand_in: StandIn, log: logging.Logger) -> None:
    # yfinance asks twice per attempt (the second time with its other cookie strategy).
    stand_in.throttled["MSFT"] = 2
    sleeps: list[float] = []
    source = source_for(stand_in, sleeps, retry_attempts=3, retry_base_delay=2.0)

    batch = source.download(["MSFT"], request_on(date(2022, 2, 1), log))

    assert batch.missing == []
    assert batch.prices.height == 252
    assert batch.actions.filter(pl.col("kind") == "dividend").height == 4
    assert sleeps == [2.0]
    assert [s for _, s in stand_in.chart_requests("MSFT")][:2] == [429, 429]


def test_rate_limit_that_lasts_reports_the_ticker_missing(
    stand_in: StandIn, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    stand_in.throttled["MSFT"] = 1_000
    sleeps: list[float] = []
    source = source_for(stand_in, sleeps, retry_attempts=3, retry_base_delay=2.0)

    batch = source.download(["MSFT", "AAPL"], request_on(date(2022, 2, 1), log))

    assert batch.missing == ["MSFT"]
    assert set(batch.prices["ticker"]) == {"AAPL"}
    assert sleeps == [2.0, 4.0]
    assert "still rate-limited after 3 attempts; 1 tickers reported missing" in caplog.text
    assert {s for _, s in stand_in.chart_requests("MSFT")} == {429}


def test_row_with_a_null_price_is_rejected(stand_in: StandIn, log: logging.Logger) -> None:
    stand_in.charts["AAPL"] = AAPL_NULL_OPEN

    batch = source_for(stand_in).download(["AAPL"], request_on(date(2020, 11, 9), log))

    assert batch.prices.height == 48
    assert date(2020, 9, 15) not in batch.prices["date"].to_list()
    assert batch.rejects.height == 1
    reject = batch.rejects.row(0, named=True)
    assert reject["table_name"] == "prices"
    assert reject["reason"] == "AAPL 2020-09-15: open is null"
    assert '"ticker": "AAPL"' in reject["record"]


def test_only_what_is_missing_is_asked(
    stand_in: StandIn, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    request = request_on(
        date(2020, 11, 9), log, last_price_dates={"AAPL": date(2020, 11, 6)}, overlap_days=5
    )
    source = source_for(stand_in, chunk_size=1, history_start=date(2020, 1, 1))

    batch = source.download(["AAPL", "QQQ"], request)

    # 5 trading days as 8 calendar days before the last stored date; QQQ has nothing.
    assert batch.requested == {
        "tickers": 2,
        "start_dates": {"2020-01-01": 1, "2020-10-29": 1},
    }
    new_york = ZoneInfo("America/New_York")
    for symbol, start in (("AAPL", date(2020, 10, 29)), ("QQQ", date(2020, 1, 1))):
        query, _ = stand_in.chart_requests(symbol)[-1]
        midnight = datetime(start.year, start.month, start.day, tzinfo=new_york)
        assert parse_qs(query)["period1"] == [str(int(midnight.timestamp()))]
    assert "chunk 1/2: 1 tickers, 1 came" in caplog.text
    assert "chunk 2/2: 1 tickers, 1 came" in caplog.text


def test_fetch_builds_a_raw_batch_in_the_raw_schemas(
    stand_in: StandIn, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    stand_in.files = member_and_fred_files()
    # No recording of ^TNX exists: the AAPL body served under its name checks only that
    # a rate symbol's closes land in rates, not in prices.
    stand_in.charts["^TNX"] = AAPL
    source = source_for(stand_in, chunk_size=10, history_start=date(2020, 1, 1))

    batch = source.fetch(request_on(date(2026, 5, 6), log))

    for name, schema in RAW_SCHEMAS.items():
        assert batch.table(name).schema == pl.Schema(schema), name
    assert batch.rejects.schema == pl.Schema(REJECTS_SCHEMA)
    assert set(batch.prices["ticker"]) == {"AAPL", "MSFT"}
    assert batch.members.select("universe", "ticker", "valid_from").rows() == [
        ("large", "AAPL", date(1982, 11, 30)),
        ("large", "BRK-B", date(2010, 2, 16)),
        ("large", "MSFT", date(1994, 6, 1)),
        ("small", "ADRO", date(2026, 5, 5)),
        ("small", "BE", date(2026, 5, 5)),
        ("small", "SATS", date(2026, 5, 5)),
    ]
    assert batch.complete == ("members",)
    assert batch.index_weights.select("ticker", "as_of", "weight").rows() == [
        ("ADRO", date(2026, 5, 5), 0.0),
        ("BE", date(2026, 5, 5), 1.93),
        ("SATS", date(2026, 5, 5), 0.48),
    ]
    # The share and its CVR are both ADRO: the first (the larger holding) is kept.
    assert batch.rejects.select("table_name", "rule").rows() == [("index_weights", "duplicate_key")]
    assert "IWM holdings of 2026-05-05: ADRO listed again" in batch.rejects["reason"][0]
    assert batch.actions.group_by("ticker", "kind").len().sort("ticker", "kind").rows() == [
        ("AAPL", "dividend", 1),
        ("AAPL", "split", 1),
        ("MSFT", "dividend", 4),
    ]
    rates = batch.rates.group_by("series").agg(pl.len(), pl.col("date").min()).sort("series")
    assert rates.rows() == [
        ("cpi_index", 72, date(2020, 1, 1)),
        ("fed_funds", 867, date(2020, 1, 1)),
        ("hy_oas", 1308, date(2021, 2, 12)),
        ("ust_10y", 49, date(2020, 8, 31)),
        ("ust_2y", 1250, date(2021, 2, 12)),
        ("vix", 395, date(2024, 9, 4)),
    ]
    expected_missing = {"BRK-B", "BE", "SATS", "ADRO", *BENCHMARKS, *RATE_SYMBOLS} - {"^TNX"}
    assert sorted(batch.missing) == sorted(expected_missing)
    assert batch.requested["tickers"] == 3 + 3 + len(BENCHMARKS) + len(RATE_SYMBOLS)
    assert batch.requested["members"] == {"large": 3, "small": 3}
    assert batch.requested["start_dates"] == {"2020-01-01": batch.requested["tickers"]}
    assert json.loads(json.dumps(batch.requested)) == batch.requested
    assert "chunk 3/3: 10 tickers" in caplog.text
    meant_for = {host for host, _, _ in stand_in.requests}
    assert meant_for >= {"query2.finance.yahoo.com", "fc.yahoo.com"}
    # Every other request came from urllib (FRED, member lists), which names no host.
    assert {host for host in meant_for if not host.endswith("yahoo.com")} == {""}


def test_fred_series_that_fails_is_reported_missing(
    stand_in: StandIn, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    stand_in.files = {
        "/fredgraph.csv?id=DGS2": (HTML_PAGE, "text/html"),
        "/fredgraph.csv?id=DFF": (DFF_OLD.read_bytes(), "text/csv"),
    }
    source = source_for(stand_in, history_start=date(2022, 1, 1))

    rates, missing = source.fetch_fred(request_on(date(2022, 5, 17), log))

    assert missing == ["DGS2", "CPIAUCSL", "VIXCLS", "BAMLH0A0HYM2"]
    assert set(rates["series"]) == {"fed_funds"}
    assert rates["date"].min() == date(2022, 1, 1)
    assert "FRED DGS2 did not come: FRED DGS2: " in caplog.text
    assert "answered with an HTML page, not CSV" in caplog.text
    assert "FRED CPIAUCSL did not come: FRED CPIAUCSL: " in caplog.text
    assert "answered HTTP 404" in caplog.text


# --- FRED --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "series_id", "header", "values", "missing"),
    [
        (DGS2_OLD, "DGS2", "DATE", 382, 18),
        (DFF_OLD, "DFF", "DATE", 1827, 0),
        (DGS2_NEW, "DGS2", "observation_date", 1250, 55),
        (CPI_NEW, "CPIAUCSL", "observation_date", 948, 1),
        (HY_NEW, "BAMLH0A0HYM2", "observation_date", 1308, 14),
        (HY_OLD, "BAMLH0A0HYM2", "DATE", 396, 4),
        (VIX_NEW, "VIXCLS", "observation_date", 395, 5),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else None,
)
def test_fred_csv_both_header_forms(
    file: Path, series_id: str, header: str, values: int, missing: int
) -> None:
    text = file.read_text()
    assert text.startswith(f"{header},{series_id}\n")

    parsed = parse_fred_csv(text, series_id)

    assert parsed.rows.schema == pl.Schema(RAW_SCHEMAS["rates"])
    assert parsed.rows.height == values
    assert parsed.missing_values == missing
    assert parsed.rows["value"].null_count() == 0
    assert parsed.rows["date"].is_sorted()


def test_fred_missing_values_are_skipped_not_landed() -> None:
    dot = parse_fred_csv(DGS2_OLD.read_text(), "DGS2")
    empty = parse_fred_csv(CPI_NEW.read_text(), "CPIAUCSL")

    assert date(2021, 1, 1) not in dot.rows["date"].to_list()  # `2021-01-01,.`
    assert date(2025, 10, 1) not in empty.rows["date"].to_list()  # `2025-10-01,`
    assert set(dot.rows["series"]) == {"ust_2y"}
    assert set(empty.rows["series"]) == {"cpi_index"}


def test_fred_risk_series_keep_their_weekend_month_ends() -> None:
    """ICE publishes the high-yield spread on month-ends that fall on a weekend: the rows
    land (the as-of join uses them on the next session), and the VIX is named vix."""
    spread = parse_fred_csv(HY_NEW.read_text(), "BAMLH0A0HYM2")
    vix = parse_fred_csv(VIX_NEW.read_text(), "VIXCLS")

    weekend = spread.rows.filter(pl.col("date").dt.weekday() >= 6)
    assert weekend.height == 17
    assert date(2021, 2, 28) in weekend["date"].to_list()
    assert set(spread.rows["series"]) == {"hy_oas"} and set(vix.rows["series"]) == {"vix"}
    assert date(2024, 12, 25) not in vix.rows["date"].to_list()  # `2024-12-25,`


def test_fred_header_of_another_series_is_a_clear_error() -> None:
    with pytest.raises(FredFormatError, match=r"FRED DGS2: expected header .* got 'DATE,DFF'"):
        parse_fred_csv(DFF_OLD.read_text(), "DGS2")


# --- member lists ------------------------------------------------------------------------


def test_sp500_2024_layout() -> None:
    members = parse_sp500_html(SP500_2024.read_bytes(), snapshot=date(2024, 10, 10))

    assert members.schema == pl.Schema(RAW_SCHEMAS["members"])
    assert members.height == 503
    assert members["ticker"].n_unique() == 503
    assert {"BRK-B", "BF-B"} <= set(members["ticker"])
    assert not members["ticker"].str.contains(r"\.").any()
    assert members.filter(pl.col("ticker") == "MMM").row(0) == (
        "large",
        "MMM",
        date(1957, 3, 4),
        None,
        "3M",
        "Industrials",
    )
    assert set(members["universe"]) == {"large"}
    assert members["valid_to"].null_count() == 503
    assert members["sector"].n_unique() == 11


def test_sp500_2018_layout_without_ids() -> None:
    snapshot = date(2018, 1, 19)
    members = parse_sp500_html(SP500_2018.read_bytes(), snapshot=snapshot)

    assert members.height == 505
    assert {"BRK-B", "BF-B"} <= set(members["ticker"])
    by_ticker = {row["ticker"]: row for row in members.iter_rows(named=True)}
    assert by_ticker["ABT"]["valid_from"] == date(1964, 3, 31)
    assert by_ticker["MMM"]["valid_from"] == snapshot  # "Date first added" is empty
    assert by_ticker["MMM"]["name"] == "3M Company"
    assert by_ticker["MMM"]["sector"] == "Industrials"
    assert members.filter(pl.col("valid_from") == snapshot).height == 136


def test_yahoo_rate_symbols_start_from_their_last_stored_rate() -> None:
    request = FetchRequest(
        today=date(2024, 6, 3),
        last_price_dates={"AAPL": date(2024, 5, 31)},
        last_rate_dates={"ust_10y": date(2024, 5, 30)},
        overlap_days=2,
    )
    starts = YahooSource(history_start=date(2014, 1, 2)).start_dates(
        ["AAPL", "^TNX", "^IRX"], request
    )
    assert starts == {
        "AAPL": date(2024, 5, 28),
        "^TNX": date(2024, 5, 27),
        "^IRX": date(2014, 1, 2),
    }


# --- the yahoo source through Dagster ----------------------------------------------------


class StandInMarketSource(MarketSource):
    """The `yahoo` source, every URL pointed at the stand-in; `benchmarks` and
    `retry_attempts` replace the source's own when set."""

    stand_in_url: str
    benchmarks: list[str] = Field(default_factory=list)
    retry_attempts: int = 0

    def build(self) -> YahooSource:
        options = {}
        if self.benchmarks:
            options["benchmarks"] = tuple(self.benchmarks)
        if self.retry_attempts:
            options["retry_attempts"] = self.retry_attempts
        return YahooSource(
            lists=stand_in_lists(self.stand_in_url),
            fred_url=f"{self.stand_in_url}/fredgraph.csv",
            sec_facts_url=f"{self.stand_in_url}{COMPANYFACTS}",
            sec_interval=0.0,
            history_start=date(2020, 1, 1),
            session=LocalSession(self.stand_in_url),
            retry_base_delay=0.0,
            timeout=5.0,
            **options,
        )


LATEST_IVV_CSV = (
    "/ishares/239726/ishares-core-sp-500-etf/1467271812596.ajax"
    "?fileType=csv&fileName=IVV_holdings&dataType=fund"
)
SP500_WITH_A_CHANGE = (
    MEMBERS / "wikipedia_sp500_rev1250356709_2024-10-09.4_rows_1_change.derived.html"
)
IVV_2024 = MEMBERS / "ishares_IVV_holdings_2024-12-06.csv"
SEC_TICKERS = MEMBERS / "sec_company_tickers_2024-05.json"


def test_yahoo_source_materializes_through_dagster(stand_in: StandIn, tmp_path: Path) -> None:
    stand_in.files = {
        **member_and_fred_files(),
        # A page whose changes table has one row: PLTR replaced AAL on 2024-09-23.
        "/wiki/sp500": (SP500_WITH_A_CHANGE.read_bytes(), "text/html; charset=UTF-8"),
        LATEST_IVV_CSV: (IVV_2024.read_bytes(), "text/csv"),
        "/sec/company_tickers.json": (SEC_TICKERS.read_bytes(), "application/json"),
        # No AAPL companyfacts recording exists: MRVL's stands in for it.
        f"{COMPANYFACTS}/CIK0000320193.json": (MRVL_FACTS.read_bytes(), "application/json"),
    }
    # No index recording exists: QQQ's 2020 chart stands in for both benchmarks.
    stand_in.charts.update({"^GSPC": QQQ, "^RUT": QQQ})
    warehouse = tmp_path / "yahoo.duckdb"
    resources = resources_from_env({"CAPGAP_WAREHOUSE": str(warehouse)})
    resources["market_source"] = StandInMarketSource(kind="yahoo", stand_in_url=stand_in.url)

    assert dg.materialize(all_assets(), resources=resources).success

    assert read_only_query(warehouse, "SELECT DISTINCT source FROM raw.prices") == [("yahoo",)]
    assert read_only_query(
        warehouse, "SELECT ticker, count(*) FROM raw.prices GROUP BY ticker ORDER BY ticker"
    ) == [("AAPL", 49), ("MSFT", 252), ("^GSPC", 253), ("^RUT", 253)]
    (missing,) = read_only_query(warehouse, "SELECT DISTINCT missing FROM raw.loads")[0]
    assert {"BRK-B", "BE", "SPY"} <= set(missing)
    assert read_only_query(
        warehouse, "SELECT value FROM raw.actions WHERE ticker = 'AAPL' AND kind = 'split'"
    ) == [(4.0,)]
    assert read_only_query(
        warehouse, "SELECT universe, count(*), sum(issues) FROM marts.breadth_daily GROUP BY ALL"
    ) == [("large", 301, 299)]
    # January 2020's CPI is released on 2020-02-15: the days before it have no CPI yet.
    assert read_only_query(
        warehouse,
        "SELECT count(*), count(fed_funds), count(cpi_index), min(date) FILTER (cpi_index > 0)"
        " FROM staging.rates_asof",
    ) == [(253, 253, 222, date(2020, 2, 18))]
    assert read_only_query(
        warehouse,
        "SELECT universe, ticker, valid_from, valid_to FROM raw.members"
        " WHERE universe = 'large' ORDER BY ticker",
    ) == [
        ("large", "AAL", date(2024, 9, 22), date(2024, 9, 22)),
        ("large", "AAPL", date(2024, 9, 22), None),
        ("large", "BRK-B", date(2024, 9, 22), None),
        ("large", "MSFT", date(2024, 9, 22), None),
        ("large", "PLTR", date(2024, 9, 23), None),
    ]
    assert read_only_query(
        warehouse,
        "SELECT universe, as_of, count(*), count(*) FILTER (ticker = 'BRK-B')"
        " FROM raw.index_weights GROUP BY ALL ORDER BY ALL",
    ) == [("large", date(2024, 12, 6), 503, 1), ("small", date(2026, 5, 5), 3, 0)]
    # Quarters from a year before the history start, each dated by its first filing.
    assert read_only_query(
        warehouse,
        "SELECT ticker, count(*), min(period_end), max(available_on), min(fiscal_period)"
        " FROM raw.fundamentals GROUP BY ALL",
    ) == [("AAPL", 25, date(2020, 5, 2), date(2026, 5, 28), "2021Q1")]
    asked = [t for _, t, _ in stand_in.requests if t.startswith(COMPANYFACTS)]
    assert len(asked) == 7  # the members with a CIK (BRK-B's comes with its dash)
    members = "SELECT * EXCLUDE (load_id, loaded_at) FROM raw.members ORDER BY ALL"
    stored = read_only_query(warehouse, members)

    assert dg.materialize(all_assets(), resources=resources).success

    # Again: nothing new, nothing twice; the stored snapshot is not landed again, and a
    # company is asked again only on its day of the week (`due_tickers`).
    assert read_only_query(warehouse, members) == stored
    assert read_only_query(warehouse, "SELECT count(*) FROM raw.fundamentals") == [(25,)]
    assert read_only_query(warehouse, "SELECT count(*) FROM raw.index_weights") == [(506,)]
    assert read_only_query(
        warehouse,
        "SELECT table_name, inserted, removed FROM raw.loads WHERE table_name IN"
        " ('members', 'index_weights') AND started_at = (SELECT max(started_at) FROM raw.loads)"
        " ORDER BY 1",
    ) == [("index_weights", 0, 0), ("members", 0, 0)]


AMZN_BEFORE = (
    YAHOO / "yahoo_chart_AMZN_1d_2020-01-02_recorded-2021-11-21_before-20for1-split.body.json"
)
AMZN_AFTER = (
    YAHOO / "yahoo_chart_AMZN_1d_2020-01-02_recorded-2025-02-20_after-20for1-split.body.json"
)
GOOG_2024 = YAHOO / "yahoo_chart_GOOG_1d_2020-01-02_recorded-2024-09-16_after-split.body.json"
GOOG_2025 = YAHOO / "yahoo_chart_GOOG_1d_2020-01-02_recorded-2025-02-20_after-split.body.json"


def history_queries(stand_in: StandIn, symbol: str) -> list[list[str]]:
    """The `period1` of each chart request for `symbol` that asked for a range of bars."""
    asked = [parse_qs(query) for query, _ in stand_in.chart_requests(symbol)]
    return [query["period1"] for query in asked if "period1" in query]


@pytest.mark.parametrize(
    ("symbol", "stored", "served", "close"),
    [
        ("AMZN", AMZN_BEFORE, AMZN_AFTER, 94.90049743652344),  # a 20-for-1 split since
        ("GOOG", GOOG_2024, GOOG_2025, 68.12371826171875),  # dividends since
    ],
)
def test_a_rebased_history_is_fetched_again_whole(
    stand_in: StandIn, tmp_path: Path, symbol: str, stored: Path, served: Path, close: float
) -> None:
    """The same 2020-01-02 bar recorded before and after Yahoo re-based the history: an
    evening run that sees a stored bar come back with another adjusted close asks for the
    ticker's whole history again, so the warehouse holds what a fresh download gives."""
    stand_in.files = member_and_fred_files()
    stand_in.charts.update({"^GSPC": QQQ, "^RUT": QQQ, symbol: stored})
    warehouse = tmp_path / "yahoo.duckdb"
    resources = resources_from_env({"CAPGAP_WAREHOUSE": str(warehouse)})
    resources["market_source"] = StandInMarketSource(
        kind="yahoo", stand_in_url=stand_in.url, benchmarks=["^GSPC", "^RUT", symbol]
    )
    assert dg.materialize(all_assets(), resources=resources).success
    before = len(history_queries(stand_in, symbol))

    stand_in.charts[symbol] = served
    assert dg.materialize(all_assets(), resources=resources).success

    queries = history_queries(stand_in, symbol)
    history_start = datetime(2020, 1, 1, tzinfo=ZoneInfo("America/New_York")).timestamp()
    assert len(queries) == before + 2  # the evening's overlap, then the whole history
    assert queries[-2] != [str(int(history_start))]
    assert queries[-1] == [str(int(history_start))]
    assert read_only_query(
        warehouse, f"SELECT date::VARCHAR, close FROM raw.prices WHERE ticker = '{symbol}'"
    ) == [("2020-01-02", close)]
