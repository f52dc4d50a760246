"""Tests of the SEC companyfacts reader (`sources/live/sec_facts.py`) on the recorded bodies.

The expected figures are read from the recorded JSON in the test by plain rules (first
filing of each three-month period, the year less its quarters), not by the parser's code.
"""

from __future__ import annotations

import http.server
import json
import logging
from datetime import date, timedelta
from pathlib import Path

import pytest

from orchestration.sources.base import FUNDAMENTALS_SCHEMA
from orchestration.sources.live.http import Http
from orchestration.sources.live.sec_facts import (
    ASK_EVERY_DAYS,
    NEXT_REPORT_DAYS,
    CompanyFacts,
    CompanyFactsError,
    due_tickers,
    parse_companyfacts,
)
from orchestration.sources.live.tickers import parse_sec_ciks
from tests.local_http import local_server

FIXTURES = Path(__file__).parent / "fixtures"
MRVL = FIXTURES / "sec" / "sec_companyfacts_CIK0001835632_MRVL_2026-06-08.body.json"
LPA = FIXTURES / "sec" / "sec_companyfacts_CIK0001997711_LPA_smallcap_ifrs_reserialised.json"
SEC_TICKERS = FIXTURES / "constituents" / "sec_company_tickers_2024-05.json"
FIRST = date(2016, 1, 1)
PERIODIC = ("10-Q", "10-K")


def mrvl_facts(concept: str = "NetIncomeLoss", unit: str = "USD") -> list[dict]:
    """MRVL's recorded facts of one us-gaap concept."""
    return json.loads(MRVL.read_bytes())["facts"]["us-gaap"][concept]["units"][unit]


def days(fact: dict) -> int:
    return (date.fromisoformat(fact["end"]) - date.fromisoformat(fact["start"])).days + 1


def first_filed(facts: list[dict]) -> dict[tuple[str, str], dict]:
    """Each period's fact from the first periodic report that gave it."""
    first: dict[tuple[str, str], dict] = {}
    for fact in sorted(facts, key=lambda f: f["filed"]):
        if fact["form"] in PERIODIC:
            first.setdefault((fact["start"], fact["end"]), fact)
    return first


def quarter_number(fiscal_period: str) -> int:
    return 4 * int(fiscal_period[:4]) + int(fiscal_period[5])


def test_mrvl_quarters_are_first_publications() -> None:
    """Every reported three-month net income lands once, dated by the first 10-Q or 10-K
    that gave it, with that filing's value: the later repeats (rounded to 0.1 M in the next
    year's comparatives) are not restatements, and the proxy's repeats are not reports."""
    figures = parse_companyfacts(MRVL.read_bytes(), "MRVL", FIRST)
    rows = {row["period_end"]: row for row in figures.rows.iter_rows(named=True)}
    quarters = {p: f for p, f in first_filed(mrvl_facts()).items() if 80 <= days(f) <= 100}

    assert figures.left_out is None and figures.rejects.is_empty()
    assert figures.rows.schema == FUNDAMENTALS_SCHEMA
    assert len(quarters) == 19
    for (_, end), fact in quarters.items():
        row = rows[date.fromisoformat(end)]
        assert (row["available_on"], row["net_income"]) == (
            date.fromisoformat(fact["filed"]),
            fact["val"],
        )
    assert date(2026, 5, 13) not in set(figures.rows["available_on"])  # the DEF 14A
    assert figures.rows.select("period_end").is_unique().all()


def test_mrvl_fourth_quarters_are_the_year_less_nine_months() -> None:
    """MRVL's 10-Ks give only the twelve months: the fourth quarter is the year less the
    nine months to the third quarter, known from the 10-K's filing."""
    figures = parse_companyfacts(MRVL.read_bytes(), "MRVL", FIRST)
    first = first_filed(mrvl_facts())
    years = {p: f for p, f in first.items() if 350 <= days(f) <= 380}
    nine_months = {p: f for p, f in first.items() if 265 <= days(f) <= 280}
    expected = {}
    for (start, end), year in years.items():
        to_q3 = [f for (s, _), f in nine_months.items() if s == start]
        if to_q3:
            expected[date.fromisoformat(end)] = (
                date.fromisoformat(year["filed"]),
                year["val"] - to_q3[0]["val"],
            )
    fourth = figures.rows.filter(figures.rows["fiscal_period"].str.ends_with("Q4"))

    assert len(expected) == 6
    assert {
        row["period_end"]: (row["available_on"], row["net_income"])
        for row in fourth.iter_rows(named=True)
    } == expected
    # Fiscal 2025's fourth quarter: -885.0 M for the year less -1,085.2 M to November.
    fy2025 = fourth.filter(fourth["period_end"] == date(2025, 2, 1)).row(0, named=True)
    assert fy2025["net_income"] == pytest.approx(200.2e6)
    assert fy2025["diluted_eps"] is None  # a ratio is not derived by subtraction
    assert fy2025["revenue"] == pytest.approx(1817.4e6)


def test_mrvl_fiscal_quarters_follow_the_periods_not_the_filings() -> None:
    """The 2020 quarters first appear as comparatives in fiscal 2022's 10-Qs (`fy` 2022),
    yet are fiscal 2021's: the labels count back from the latest own filing, one a quarter."""
    rows = parse_companyfacts(MRVL.read_bytes(), "MRVL", FIRST).rows.sort("period_end")
    numbers = [quarter_number(p) for p in rows["fiscal_period"]]

    assert rows["fiscal_period"][0] == "2021Q1" and rows["period_end"][0] == date(2020, 5, 2)
    assert rows["fiscal_period"][-1] == "2027Q1" and rows["period_end"][-1] == date(2026, 5, 2)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def test_mrvl_revenue_eps_and_shares_of_the_same_filing() -> None:
    """Revenue and diluted EPS are the quarter's as known on the day; shares are those on
    the cover of the filing that brought the figure."""
    rows = parse_companyfacts(MRVL.read_bytes(), "MRVL", FIRST).rows
    latest = rows.filter(rows["period_end"] == date(2026, 5, 2)).row(0, named=True)
    dei = json.loads(MRVL.read_bytes())["facts"]["dei"]
    shares = dei["EntityCommonStockSharesOutstanding"]["units"]["shares"]
    cover = [f for f in shares if f["filed"] == "2026-05-28"]

    assert latest["available_on"] == date(2026, 5, 28)
    assert latest["net_income"] == pytest.approx(34.5e6)
    assert latest["diluted_eps"] == pytest.approx(0.04)
    assert latest["shares_outstanding"] == sum(f["val"] for f in cover)


def test_first_date_drops_older_quarters() -> None:
    rows = parse_companyfacts(MRVL.read_bytes(), "MRVL", date(2025, 1, 1)).rows
    assert rows["period_end"].min() == date(2025, 2, 1)


def test_restatement_is_a_second_version() -> None:
    """A 10-Q/A that files a quarter again with another value is a second row dated by the
    amendment; the first stays, so the days before it still see the first figure. The next
    10-Q, recorded with the first figure as its comparative, is a third."""
    body = json.loads(MRVL.read_bytes())
    facts = body["facts"]["us-gaap"]["NetIncomeLoss"]["units"]["USD"]
    original = next(f for f in facts if f["end"] == "2024-08-03" and days(f) < 100)
    facts.append({**original, "val": -250e6, "form": "10-Q/A", "filed": "2024-10-15"})
    rows = parse_companyfacts(json.dumps(body), "MRVL", FIRST).rows
    versions = rows.filter(rows["period_end"] == date(2024, 8, 3)).sort("available_on")

    assert versions.select("available_on", "net_income").rows() == [
        (date(2024, 8, 30), -193.3e6),
        (date(2024, 10, 15), -250e6),
        (date(2024, 12, 4), -193.3e6),
    ]


def test_unreadable_fact_is_a_reject_and_the_rest_is_kept() -> None:
    body = json.loads(MRVL.read_bytes())
    facts = body["facts"]["us-gaap"]["NetIncomeLoss"]["units"]["USD"]
    facts.append({**facts[-1], "val": "n/a", "end": "2026-08-01"})
    figures = parse_companyfacts(json.dumps(body), "MRVL", FIRST)

    assert figures.rows.height == 25
    (reason,) = figures.rejects["reason"]
    assert reason == "MRVL: us-gaap:NetIncomeLoss fact unreadable: val 'n/a' is not a number"
    assert set(figures.rejects["rule"]) == {"malformed_fact"}


def test_annual_ifrs_filer_is_left_out_with_its_reason() -> None:
    """LPA files 20-Fs (IFRS, annual only), with `cik` a string: read, nothing kept."""
    figures = parse_companyfacts(LPA.read_bytes(), "LPA", FIRST)

    assert figures.rows.is_empty()
    assert figures.left_out == "files no quarterly figures (its reports are 20-F)"


def test_figures_in_another_currency_are_left_out() -> None:
    body = json.loads(MRVL.read_bytes())
    concept = body["facts"]["us-gaap"]["NetIncomeLoss"]
    concept["units"] = {"COP": concept["units"]["USD"]}
    body["facts"]["us-gaap"] = {"NetIncomeLoss": concept}
    figures = parse_companyfacts(json.dumps(body), "MRVL", FIRST)

    assert figures.rows.is_empty()
    assert figures.left_out == "reports net income in COP, not USD"


@pytest.mark.parametrize(
    "body", [b"<!DOCTYPE html><html>blocked</html>", b'{"cik": 1}', b'{"facts": {}}', b"[]"]
)
def test_a_body_that_is_not_companyfacts_is_a_clear_error(body: bytes) -> None:
    with pytest.raises(CompanyFactsError, match=r"^MRVL: "):
        parse_companyfacts(body, "MRVL", FIRST)


def test_due_tickers() -> None:
    """Nothing stored: all. Then a ticker is asked once a week, on its own weekday, from
    `NEXT_REPORT_DAYS` after its latest quarter (or at once when it has none)."""
    today = date(2026, 8, 20)
    latest = {"OLD": today - timedelta(days=NEXT_REPORT_DAYS), "NEW": today - timedelta(days=30)}
    week = [today + timedelta(days=n) for n in range(ASK_EVERY_DAYS)]

    assert due_tickers(["OLD", "NEW", "NONE"], {}, today) == ["OLD", "NEW", "NONE"]
    asked = {t: [d for d in week if due_tickers([t], latest, d)] for t in ("OLD", "NEW", "NONE")}
    assert len(asked["OLD"]) == 1 and len(asked["NONE"]) == 1
    assert asked["NEW"] == []


def test_fetch_asks_each_company_once_at_the_sec_pace(caplog: pytest.LogCaptureFixture) -> None:
    """Through a local stand-in of data.sec.gov with the real ticker map: a ticker without a
    CIK, a company without facts (404), an annual filer and a second share class are each
    named; MRVL's figures come; requests are paced and carry the User-Agent."""
    caplog.set_level(logging.INFO, logger="capgap.test")
    log = logging.getLogger("capgap.test")
    ciks = parse_sec_ciks(SEC_TICKERS.read_bytes())
    bodies = {"/CIK0001835632.json": MRVL.read_bytes(), "/CIK0001997711.json": LPA.read_bytes()}
    agents: list[str] = []

    def answer(target: str, request: http.server.BaseHTTPRequestHandler):
        agents.append(request.headers["User-Agent"])
        if target in bodies:
            return 200, bodies[target], "application/json"
        return 404, b'{"message": "Not Found"}', "application/json"

    waits: list[float] = []
    http_client = Http(user_agent="capgap-test ops@example.org", attempts=1, sleep=waits.append)
    with local_server(answer) as url:
        facts = CompanyFacts(http_client, url, interval=0.1, clock=lambda: 0.0)
        fetched = facts.fetch(["GOOG", "MRVL", "NOPE", "LPA", "GOOGL"], ciks, FIRST, log)

    assert fetched.asked == 3 and agents == ["capgap-test ops@example.org"] * 3
    assert waits == [0.1, 0.1]
    assert sorted(fetched.missing) == ["GOOGL", "LPA", "NOPE"]
    assert set(fetched.rows["ticker"]) == {"MRVL"} and fetched.rows.height == 25
    text = caplog.text
    assert "1 tickers have no CIK in the SEC ticker map" in text and "NOPE" in text
    assert "GOOG is GOOGL's company; counted once" in text
    assert "the SEC facts of GOOGL" in text and "HTTP 404" in text
    assert "LPA left out: files no quarterly figures" in text
