"""Point-in-time membership and index weights from the live lists (`wikipedia.py`,
`ishares.py`, `tickers.py`, `membership_history.py`, `members.py`, `http.py`) and
`capgap members`, on the real recorded responses in `tests/fixtures/constituents/`.

The endpoints are served by a local HTTP server; nothing reaches the internet.
"""

from __future__ import annotations

import argparse
import http.server
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from orchestration.defs.resources import MarketSource
from orchestration.sources.base import (
    RAW_SCHEMAS,
    STORED_HOLDINGS_SCHEMA,
    SourceError,
    empty_frame,
)
from orchestration.sources.files import FILE_SPECS
from orchestration.sources.live.http import FetchError, Http
from orchestration.sources.live.ishares import (
    IWM,
    HoldingsEndpoints,
    HoldingsFormatError,
    NoHoldings,
    fetch_holdings,
    parse_holdings,
)
from orchestration.sources.live.members import (
    ListEndpoints,
    fetch_lists,
    fetch_snapshots,
    month_ends,
)
from orchestration.sources.live.members_file import (
    MembersFileError,
    add_arguments,
    members_command,
    saved_snapshots,
)
from orchestration.sources.live.membership_history import (
    history_from_changes,
    history_from_snapshots,
)
from orchestration.sources.live.tickers import TickerForms, parse_sec_tickers, yahoo_symbol
from orchestration.sources.live.wikipedia import CHANGES_SCHEMA, parse_sp500_page
from tests.local_http import local_server

FIXTURES = Path(__file__).parent / "fixtures" / "constituents"
SP500_2024 = FIXTURES / "wikipedia_sp500_rev1250356709_2024-10-09.tables.html"
SP500_2018 = FIXTURES / "wikipedia_sp500_rev821321383_2018-01-19_old_layout.tables.html"
IWM_2026 = FIXTURES / "ishares_IWM_holdings_2026-05-05.csv"
IVV_2022 = FIXTURES / "ishares_IVV_holdings_2022-12-30_asOfDate_Shares-header.csv"
IVV_2024 = FIXTURES / "ishares_IVV_holdings_2024-12-06.csv"
SOXX_JSON = FIXTURES / "ishares_SOXX_product-data-api_2026-05-08_TRIMMED_transcribed.json"
SEC_TICKERS = FIXTURES / "sec_company_tickers_2024-05.json"
FJA_START_END = FIXTURES / "fja05680_sp500_ticker_start_end.csv"
FJA_CHANGES = FIXTURES / "fja05680_sp500_changes_since_2019.csv"
HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>iShares</title></head><body></body></html>\n"


def members_on(history: pl.DataFrame, day: date) -> set[str]:
    """The tickers whose row covers `day` (both ends inclusive)."""
    covers = (pl.col("valid_from") <= day) & (
        pl.col("valid_to").is_null() | (pl.col("valid_to") >= day)
    )
    return set(history.filter(covers)["ticker"])


# --- holdings files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "as_of", "equities", "weight_sum"),
    [
        (IVV_2022, date(2022, 12, 30), 503, 99.72),  # `Shares` header
        (IVV_2024, date(2024, 12, 6), 503, 99.75),  # `Quantity` header
        (IWM_2026, date(2026, 5, 5), 1921, 99.39),  # 1,924 equities, three with ticker "-"
    ],
    ids=["IVV-2022-Shares", "IVV-2024-Quantity", "IWM-2026"],
)
def test_holdings_csv_in_both_header_forms(
    path: Path, as_of: date, equities: int, weight_sum: float
) -> None:
    holdings = parse_holdings(path.read_bytes())

    assert holdings.as_of == as_of
    assert holdings.rows.height == equities
    assert holdings.rows["weight"].null_count() == 0
    assert holdings.rows["weight"].sum() == pytest.approx(weight_sum, abs=0.005)  # equities only
    assert not {"-", "XTSLA", "USD", "ETD_USD", "UBFUT"} & set(holdings.rows["ticker"])
    assert "Communication Services" in set(holdings.rows["sector"])


def test_holdings_json_of_the_product_data_api() -> None:
    holdings = parse_holdings(SOXX_JSON.read_bytes())

    assert holdings.as_of == date(2026, 5, 8)
    assert holdings.rows.height == 30  # XTSLA, USD, WFFUT and IXTM6 are not equities
    assert holdings.rows["ticker"].head(3).to_list() == ["MU", "AMD", "INTC"]
    # Its recorder kept five datapoints: no names, sectors or weights.
    assert holdings.rows.select("name", "sector", "weight").null_count().row(0) == (30, 30, 30)


def test_a_holdings_answer_that_is_not_holdings_is_a_clear_error() -> None:
    with pytest.raises(HoldingsFormatError, match="expected CSV, got an HTML page"):
        parse_holdings(HTML_PAGE)
    with pytest.raises(HoldingsFormatError, match="no componentsByNameMap"):
        parse_holdings(b'{"error": "not found"}')
    undated = IVV_2024.read_text(encoding="utf-8-sig").replace('"Dec 06, 2024"', '"-"', 1)
    with pytest.raises(NoHoldings, match="no holdings"):
        parse_holdings(undated)


# --- tickers -----------------------------------------------------------------------------


def test_class_shares_in_the_three_spellings() -> None:
    sec = parse_sec_tickers(SEC_TICKERS.read_bytes())

    assert [yahoo_symbol(t) for t in ("BRK.B", "brk-b", "BF.B")] == ["BRK-B", "BRK-B", "BF-B"]
    assert [sec.resolve(t) for t in ("BRKB", "BFB", "MOGA", "GEFB", "CRDA", "BRK.B")] == [
        "BRK-B", "BF-B", "MOG-A", "GEF-B", "CRD-A", "BRK-B",
    ]  # fmt: skip
    # Tickers that merely end in a class letter stay as they are.
    assert [sec.resolve(t) for t in ("META", "ZETA", "KELYA", "RUSHA", "BELFB")] == [
        "META", "ZETA", "KELYA", "RUSHA", "BELFB",
    ]  # fmt: skip
    # Without the SEC's map, the S&P list alone knows its own class shares.
    page = parse_sp500_page(SP500_2024.read_bytes(), date(2024, 10, 9))
    own = TickerForms.of(page.members["ticker"])
    assert [own.resolve(t) for t in ("BRKB", "BFB", "MOGA")] == ["BRK-B", "BF-B", "MOGA"]


def test_iwm_tickers_that_get_their_dash_back() -> None:
    sec = parse_sec_tickers(SEC_TICKERS.read_bytes())
    tickers = parse_holdings(IWM_2026.read_bytes()).rows["ticker"]

    changed = {t: sec.resolve(t) for t in tickers if sec.resolve(t) != t}

    assert changed == {"MOGA": "MOG-A", "GEFB": "GEF-B", "CRDA": "CRD-A"}


# --- the S&P 500 page and its history -----------------------------------------------------


def test_changes_table_in_both_layouts() -> None:
    new = parse_sp500_page(SP500_2024.read_bytes(), date(2024, 10, 9)).changes
    old = parse_sp500_page(SP500_2018.read_bytes(), date(2018, 1, 19)).changes

    assert new.height == 353
    assert (new["date"].min(), new["date"].max()) == (date(1997, 6, 17), date(2024, 10, 1))
    # 33 rows have only one side.
    assert new.filter(pl.col("added").is_null() | pl.col("removed").is_null()).height == 33
    assert new.row(0, named=True)["removed"] == "BBWI"
    assert old.height == 180
    # The old layout shares a date and a reason across rows through rowspans.
    dec_2000 = old.filter(pl.col("date") == date(2000, 12, 5))
    assert dec_2000.select("added", "removed").rows() == [
        ("INTU", "BS"), ("SBL", "OI"), ("AYE", "GRA"), ("ABK", "CCK"),
    ]  # fmt: skip
    assert set(dec_2000["reason"]) == {"Market Cap changes."}


def test_history_walks_the_changes_back_from_todays_list() -> None:
    page = parse_sp500_page(SP500_2024.read_bytes(), date(2024, 10, 9))

    history, notes = history_from_changes(page.members, page.changes, "large")

    rows = {(r["ticker"], r["valid_from"]): r["valid_to"] for r in history.iter_rows(named=True)}
    assert rows[("PLTR", date(2024, 9, 23))] is None  # added that day
    assert rows[("AAL", date(2015, 3, 23))] == date(2024, 9, 22)  # removed the next
    assert rows[("BBWI", date(1997, 6, 16))] == date(2024, 9, 30)  # before the oldest change
    assert members_on(history, date(2024, 10, 9)) == set(page.members["ticker"])
    assert notes.oldest_change == date(1997, 6, 17)
    # DowDuPont became DuPont (DD): one ticker, today's, across the history.
    assert notes.renames == [(date(2019, 6, 3), "DWDP", "DD")]
    assert "DWDP" not in set(history["ticker"])
    assert not history.filter(pl.col("valid_to") < pl.col("valid_from")).height


def test_history_from_the_old_layout() -> None:
    page = parse_sp500_page(SP500_2018.read_bytes(), date(2018, 1, 19))

    history, _ = history_from_changes(page.members, page.changes, "large")

    assert members_on(history, date(2018, 1, 19)) == set(page.members["ticker"])
    assert "HII" in members_on(history, date(2018, 1, 3)) - members_on(history, date(2018, 1, 2))
    assert "BCR" in members_on(history, date(2018, 1, 2)) - members_on(history, date(2018, 1, 3))


def maintained_history(day: date) -> set[str]:
    """The S&P 500 on `day` by a maintained history (fja05680/sp500): end dates exclusive,
    tickers with a dot made Yahoo's."""
    spans = pl.read_csv(FJA_START_END, try_parse_dates=True)
    on = spans.filter(
        (pl.col("start_date") <= day) & (pl.col("end_date").is_null() | (pl.col("end_date") > day))
    )
    return {yahoo_symbol(t) for t in on["ticker"]}


# The share of the maintained history's members on each date that the walk-back of the
# 2024-10-09 page also has (measured; the rest are mostly tickers the history writes as they
# were then, FB for META, and changes the table does not list).
AGREEMENT = {
    date(2001, 1, 2): 0.63,
    date(2005, 6, 30): 0.73,
    date(2010, 6, 30): 0.91,
    date(2015, 6, 30): 0.93,
    date(2019, 6, 28): 0.95,
    date(2022, 6, 30): 0.98,
    date(2024, 6, 28): 0.99,
}


@pytest.mark.parametrize("day", sorted(AGREEMENT), ids=str)
def test_history_agrees_with_a_maintained_history(day: date) -> None:
    page = parse_sp500_page(SP500_2024.read_bytes(), date(2024, 10, 9))
    history, _ = history_from_changes(page.members, page.changes, "large")

    ours, theirs = members_on(history, day), maintained_history(day)

    assert len(ours & theirs) / len(theirs) >= AGREEMENT[day]
    assert 495 <= len(ours) <= 520


def test_changes_since_2019_agree_with_the_maintained_changes() -> None:
    """Of the tickers both lists add between 2019 and the page's date, nine in ten (88 of
    97, measured) are added on the same day; six differ by one to five days (spin-offs such
    as SOLV, GEV), and UBER, JBL and BLDR by two months: the maintained list has 2023-10-18,
    the page 2023-12-18, the day they joined."""
    page = parse_sp500_page(SP500_2024.read_bytes(), date(2024, 10, 9)).changes
    theirs = pl.read_csv(FJA_CHANGES, try_parse_dates=True).filter(
        pl.col("date") <= date(2024, 10, 9)
    )
    added = {
        (yahoo_symbol(t), day)
        for day, field_ in theirs.select("date", "add").iter_rows()
        if field_
        for t in field_.split(",")
    }
    ours = {(t, day) for day, t in page.select("date", "added").iter_rows() if t}
    common = {t for t, _ in added} & {t for t, _ in ours}
    assert len(common) >= 90
    dated_alike = {t for t, day in added if t in common and (t, day) in ours}
    assert len(dated_alike) / len(common) >= 0.9


# --- holdings snapshots ------------------------------------------------------------------


def test_history_from_snapshots_counts_the_latest_snapshot_each_day() -> None:
    def snapshot(*tickers: str) -> pl.DataFrame:
        names = {"D": "DELTA CORP", "E": "DELTA CORP"}
        return pl.DataFrame(
            {"ticker": tickers, "name": [names.get(t, f"{t} INC") for t in tickers]}
        ).with_columns(sector=pl.lit("Energy"))

    days = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 28)]
    snapshots = dict(
        zip(
            days,
            [snapshot("A", "C", "D"), snapshot("A", "B", "E"), snapshot("B", "C", "E")],
            strict=True,
        )
    )

    history, notes = history_from_snapshots(snapshots, "small")

    assert history.select("ticker", "valid_from", "valid_to").rows() == [
        ("A", date(2024, 1, 31), date(2024, 3, 27)),
        ("B", date(2024, 2, 29), None),
        ("C", date(2024, 1, 31), date(2024, 2, 28)),
        ("C", date(2024, 3, 28), None),
        ("E", date(2024, 1, 31), None),  # D renamed E: one ticker, today's
    ]
    assert notes.renames == [(date(2024, 2, 29), "D", "E")]
    for day, frame in snapshots.items():
        expected = {"E" if t == "D" else t for t in frame["ticker"]}
        assert members_on(history, day) == expected


def test_two_real_snapshots_find_a_ticker_change() -> None:
    """Fiserv's ticker went from FISV to FI in 2023: between IVV's holdings of 2022 and 2024
    it leaves under one ticker and joins under the other with the same name."""
    snapshots = {
        h.as_of: h.rows.select("ticker", "name", "sector")
        for h in (parse_holdings(IVV_2022.read_bytes()), parse_holdings(IVV_2024.read_bytes()))
    }

    history, notes = history_from_snapshots(snapshots, "large")

    assert (date(2024, 12, 6), "FISV", "FI") in notes.renames
    assert members_on(history, date(2022, 12, 30)) >= {"FI", "BRKB"}
    assert len(members_on(history, date(2022, 12, 30))) == 503
    assert len(members_on(history, date(2024, 12, 6))) == 503


# --- endpoints ---------------------------------------------------------------------------


@dataclass
class Endpoint:
    """A local server answering scripted (status, body) pairs by path and query."""

    url: str = ""
    answers: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)

    def answer(self, target: str) -> tuple[int, bytes]:
        self.asked.append(target)
        script = self.answers.get(target)
        if not script:
            return 404, b"not here"
        return script.pop(0) if len(script) > 1 else script[0]


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    state = Endpoint()

    def answer(target: str, request: http.server.BaseHTTPRequestHandler):
        state.agents.append(request.headers.get("User-Agent", ""))
        return (*state.answer(target), "application/octet-stream")

    with local_server(answer) as url:
        state.url = url
        yield state


def quick_http(waits: list[float]) -> Http:
    return Http(user_agent="capgap-test (dev@example.org)", timeout=5.0, sleep=waits.append)


def test_a_throttled_endpoint_is_asked_again_after_a_backoff(endpoint: Endpoint) -> None:
    endpoint.answers["/page"] = [(503, b"busy"), (429, b"slow down"), (200, b"<html>ok</html>")]
    waits: list[float] = []

    body = quick_http(waits).get(f"{endpoint.url}/page", "the page", "html")

    assert body == b"<html>ok</html>"
    assert waits == [2.0, 4.0]
    assert set(endpoint.agents) == {"capgap-test (dev@example.org)"}


def test_an_endpoint_that_stays_down_is_one_clear_error(endpoint: Endpoint) -> None:
    endpoint.answers["/page"] = [(503, b"busy")]
    waits: list[float] = []

    with pytest.raises(
        FetchError, match=r"the page: .*/page answered HTTP 503 .* after 4 attempts"
    ):
        quick_http(waits).get(f"{endpoint.url}/page", "the page", "csv")
    assert waits == [2.0, 4.0, 8.0]


def test_a_missing_page_is_not_asked_again(endpoint: Endpoint) -> None:
    waits: list[float] = []

    with pytest.raises(FetchError, match="answered HTTP 404"):
        quick_http(waits).get(f"{endpoint.url}/gone", "the page", "csv")
    assert waits == [] and endpoint.asked == ["/gone"]


@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        (HTML_PAGE, "csv", "answered with an HTML page, not CSV"),
        (HTML_PAGE, "json", "answered with an HTML page, not JSON"),
        (b"Ticker,Name\n", "json", "not JSON"),
        (b"  \n", "csv", "answered with an empty body"),
    ],
    ids=["html-for-csv", "html-for-json", "csv-for-json", "empty"],
)
def test_an_answer_that_is_not_what_was_asked_is_named(
    endpoint: Endpoint, body: bytes, kind: str, message: str
) -> None:
    endpoint.answers["/file"] = [(200, body)]

    with pytest.raises(FetchError, match=message):
        quick_http([]).get(f"{endpoint.url}/file", "the file", kind)


def holdings_endpoints(endpoint: Endpoint) -> HoldingsEndpoints:
    return HoldingsEndpoints(
        product_data_url=f"{endpoint.url}/product-data", csv_url=f"{endpoint.url}/ishares"
    )


def path_of(url: str, endpoint: Endpoint) -> str:
    return url.removeprefix(endpoint.url)


def test_holdings_of_another_date_are_not_taken_for_the_date_asked(endpoint: Endpoint) -> None:
    """The product-data API answers a date without holdings with the latest date's."""
    endpoints = holdings_endpoints(endpoint)
    asked = date(2026, 5, 1)
    endpoint.answers[path_of(endpoints.json_url(IWM, asked), endpoint)] = [
        (200, SOXX_JSON.read_bytes())
    ]

    with pytest.raises(NoHoldings, match="as of 2026-05-08, not 2026-05-01"):
        fetch_holdings(quick_http([]), endpoints, IWM, asked)


def test_the_csv_download_stands_in_when_the_api_fails(endpoint: Endpoint) -> None:
    endpoints = holdings_endpoints(endpoint)
    day = date(2026, 5, 5)
    endpoint.answers[path_of(endpoints.json_url(IWM, day), endpoint)] = [(200, HTML_PAGE)]
    endpoint.answers[path_of(endpoints.csv_file_url(IWM, day), endpoint)] = [
        (200, IWM_2026.read_bytes())
    ]

    holdings = fetch_holdings(quick_http([]), endpoints, IWM, day)

    assert holdings.as_of == day and holdings.rows.height == 1921


def test_neither_holdings_endpoint_answering_names_both(endpoint: Endpoint) -> None:
    with pytest.raises(
        FetchError, match=r"IWM holdings of 2026-05-05: no endpoint answered: .*404.*404"
    ):
        fetch_holdings(quick_http([]), holdings_endpoints(endpoint), IWM, date(2026, 5, 5))


def test_only_the_month_ends_not_stored_are_asked(endpoint: Endpoint) -> None:
    endpoints = holdings_endpoints(endpoint)
    endpoint.answers[path_of(endpoints.csv_file_url(IWM, None), endpoint)] = [
        (200, IWM_2026.read_bytes())
    ]
    log = logging.getLogger("capgap.test")

    snapshots, _ = fetch_snapshots(
        quick_http([]), endpoints, IWM, date(2026, 2, 1), date(2026, 5, 6),
        {date(2026, 2, 27), date(2026, 3, 31)}, log,
    )  # fmt: skip

    assert list(snapshots) == [date(2026, 5, 5)]  # the latest
    dates_asked = [t.split("asOfDate=")[1] for t in endpoint.asked if "asOfDate=" in t]
    assert dates_asked == ["20260430", "20260430"]  # the API, then the CSV download


def test_an_endpoint_that_keeps_failing_is_left_after_three_dates(endpoint: Endpoint) -> None:
    endpoint.answers = {}  # everything 404
    snapshots, problems = fetch_snapshots(
        quick_http([]), holdings_endpoints(endpoint), IWM, date(2024, 1, 1), date(2026, 5, 6),
        set(), logging.getLogger("capgap.test"),
    )  # fmt: skip

    assert snapshots == {}
    assert len(problems) == 3 and "answered HTTP 404" in problems[0]
    assert len(endpoint.asked) == 3 * 2  # the latest and two month ends, each at both


def test_a_first_run_without_any_iwm_holdings_stops_with_the_reason(endpoint: Endpoint) -> None:
    lists = ListEndpoints(
        sp500_url=f"{endpoint.url}/wiki/sp500",
        holdings=holdings_endpoints(endpoint),
        sec_tickers_url=f"{endpoint.url}/sec.json",
    )
    endpoint.answers["/wiki/sp500"] = [(200, SP500_2024.read_bytes())]
    endpoint.answers[path_of(lists.holdings.json_url(IWM, None), endpoint)] = [(200, HTML_PAGE)]

    with pytest.raises(SourceError, match=r"no IWM holdings came and none are stored.*HTML page"):
        fetch_lists(
            quick_http([]), lists, date(2026, 1, 1), date(2026, 5, 6),
            empty_frame(STORED_HOLDINGS_SCHEMA), logging.getLogger("capgap.test"),
        )  # fmt: skip


def test_month_ends_are_the_last_sessions_of_ended_months() -> None:
    assert month_ends(date(2024, 1, 15), date(2024, 5, 31)) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 28),  # Good Friday, 29 March, is a holiday
        date(2024, 4, 30),
    ]


# --- capgap members ----------------------------------------------------------------------


def members_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_members_command_writes_a_files_source_members_csv(tmp_path: Path) -> None:
    out = tmp_path / "lists" / "members.csv"
    args = members_args(
        "--out", str(out),
        "--sp500-page", str(SP500_2024),
        "--iwm-holdings", str(IWM_2026),
        "--ivv-holdings", str(IVV_2022), str(IVV_2024),
        "--sec-tickers", str(SEC_TICKERS),
    )  # fmt: skip

    said = members_command(args, MarketSource(kind="yahoo"), date(2026, 5, 6))

    members = pl.read_csv(out, try_parse_dates=True)
    assert tuple(members.columns) == (
        "universe",
        "ticker",
        "name",
        "sector",
        "valid_from",
        "valid_to",
    )
    assert set(FILE_SPECS["members"].required) <= set(members.columns)
    assert members.select(pl.struct("universe", "ticker", "valid_from").is_unique().all()).item()
    today = members.filter(pl.col("valid_to").is_null())
    assert today.group_by("universe").len().sort("universe").rows() == [
        ("large", 503),
        ("small", 1920),
    ]
    assert {"BRK-B", "MOG-A"} <= set(members["ticker"])
    # A former member's sector comes from a holdings file that held it.
    aal = members.filter(pl.col("ticker") == "AAL").row(0, named=True)
    assert (aal["valid_to"], aal["sector"]) == (date(2024, 9, 22), "Industrials")
    weights = pl.read_csv(out.with_name("weights.csv"), try_parse_dates=True)
    assert tuple(weights.columns) == tuple(RAW_SCHEMAS["index_weights"])
    assert weights.group_by("universe", "as_of").len().sort("as_of").rows() == [
        ("large", date(2022, 12, 30), 503),
        ("large", date(2024, 12, 6), 503),
        ("small", date(2026, 5, 5), 1920),
    ]
    assert "BRK-B" in set(weights.filter(pl.col("universe") == "large")["ticker"])
    assert any(line.startswith("wrote 2754 membership rows") for line in said)
    assert "  2024-12-31: 503 / 1920" in said


def test_members_command_refuses_two_files_of_one_date(tmp_path: Path) -> None:
    with pytest.raises(MembersFileError, match="both holdings of 2024-12-06"):
        saved_snapshots([IVV_2024, IVV_2024])


def test_a_company_back_on_an_old_ticker_keeps_one_ticker() -> None:
    """Fiserv: FISV until 2023, FI until 2025, then FISV again (the maintained changes list
    records both): one ticker across the history, and the walk ends."""
    current = pl.DataFrame(
        {"universe": "large", "ticker": ["FISV"], "valid_from": [date(2001, 4, 2)],
         "valid_to": [None], "name": ["Fiserv"], "sector": ["Financials"]},
        schema=RAW_SCHEMAS["members"],
    )  # fmt: skip
    changes = pl.DataFrame(
        {
            "date": [date(2025, 11, 11), date(2023, 6, 7), date(2001, 4, 2)],
            "added": ["FISV", "FI", "FISV"],
            "added_name": ["Fiserv", "Fiserv", "Fiserv"],
            "removed": ["FI", "FISV", None],
            "removed_name": ["Fiserv", "Fiserv", None],
            "reason": [None, None, None],
        },
        schema=CHANGES_SCHEMA,
    )

    history, notes = history_from_changes(current, changes, "large")

    assert history.select("ticker", "valid_from", "valid_to").rows() == [
        ("FISV", date(2001, 4, 2), None)
    ]
    assert [(old, new) for _, old, new in notes.renames] == [("FI", "FISV"), ("FISV", "FI")]
