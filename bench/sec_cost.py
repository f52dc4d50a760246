"""`make bench-sec`: what the live quarterly figures cost, measured against a local stand-in.

A local HTTP server answers every companyfacts request with one of the two recorded bodies
(MRVL's 1.28 MB us-gaap filing history for a large company, LPA's 0.27 MB for a small one,
in turn), and the real `CompanyFacts.fetch` asks it for `--companies` companies without the
SEC's pause between requests: that is this machine's cost of downloading and reading them.
The SEC's fair-access limit (ten requests a second) then bounds the real first load.

How many companies an evening asks is counted on the sample's ten years of reports: each
session, `due_tickers` over the members with the quarters known by that day.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

from orchestration.paths import PROJECT_ROOT
from orchestration.sources.base import FetchRequest
from orchestration.sources.live.http import Http
from orchestration.sources.live.sec_facts import (
    REQUEST_INTERVAL,
    CompanyFacts,
    due_tickers,
    parse_companyfacts,
)
from orchestration.sources.sample.source import DEFAULT_END, SampleSource
from tests.local_http import local_server

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "sec"
BODIES = (
    FIXTURES / "sec_companyfacts_CIK0001835632_MRVL_2026-06-08.body.json",
    FIXTURES / "sec_companyfacts_CIK0001997711_LPA_smallcap_ifrs_reserialised.json",
)
FIRST = date(2015, 1, 1)


def _answer(bodies: list[bytes]) -> Callable[[str, object], tuple[int, bytes, str]]:
    """The stand-in's answer: CIK n gets body n mod len(bodies)."""

    def answer(target: str, _: object) -> tuple[int, bytes, str]:
        cik = int(target.rsplit("CIK", 1)[1].split(".")[0])
        return 200, bodies[cik % len(bodies)], "application/json"

    return answer


def first_load(companies: int) -> list[str]:
    """Download and read `companies` companies' facts from the stand-in; the report lines."""
    bodies = [path.read_bytes() for path in BODIES]
    tickers = [f"T{n:05d}" for n in range(companies)]
    ciks = {ticker: n for n, ticker in enumerate(tickers, start=1)}
    log = logging.getLogger("bench.sec")
    with local_server(_answer(bodies)) as url:
        started = time.perf_counter()
        fetched = CompanyFacts(Http(attempts=1), url, interval=0.0).fetch(tickers, ciks, FIRST, log)
        seconds = time.perf_counter() - started
    parse = []
    for body in bodies:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            parse_companyfacts(body, "X", FIRST)
            times.append(time.perf_counter() - t0)
        parse.append(statistics.median(times))
    megabytes = sum(len(bodies[n % len(bodies)]) for n in range(1, companies + 1)) / 1e6
    at_sec_pace = companies * REQUEST_INTERVAL
    return [
        f"first load, {companies:,} companies from the local stand-in: {seconds:.1f} s "
        f"({seconds / companies * 1000:.1f} ms a company), {megabytes:,.0f} MB, "
        f"{fetched.rows.height:,} quarter rows, {len(fetched.missing):,} companies left out "
        "(the annual IFRS filer)",
        f"reading one body: {parse[0] * 1000:.0f} ms (MRVL, {len(bodies[0]) / 1e6:.2f} MB), "
        f"{parse[1] * 1000:.0f} ms (LPA, {len(bodies[1]) / 1e6:.2f} MB)",
        f"at the SEC's limit of {1 / REQUEST_INTERVAL:.0f} requests a second: at least "
        f"{max(at_sec_pace, seconds):.0f} s for the same load",
    ]


def evening_load(members: int, years: int) -> list[str]:
    """How many companies `due_tickers` asks on each session of the sample's history."""
    batch = SampleSource(members=members, years=years).fetch(FetchRequest(today=DEFAULT_END))
    reports = batch.fundamentals.select("ticker", "period_end", "available_on")
    tickers = sorted(set(batch.members["ticker"]))
    sessions = sorted(set(batch.prices["date"]))
    counted = [day for day in sessions if day >= sessions[0] + timedelta(days=400)]
    asked = []
    for day in counted:
        known = reports.filter(pl.col("available_on") <= day)
        latest = dict(known.group_by("ticker").agg(pl.col("period_end").max()).iter_rows())
        asked.append(len(due_tickers(tickers, latest, day)))
    return [
        f"evening load, {len(tickers):,} sample members over {len(counted):,} sessions: "
        f"{statistics.mean(asked):.0f} companies asked a session on average "
        f"(median {statistics.median(asked):.0f}, most {max(asked)}), "
        f"{statistics.mean(asked) * REQUEST_INTERVAL:.0f} s on average at the SEC's limit",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=2_500)
    parser.add_argument("--members", type=int, default=2_500)
    parser.add_argument("--years", type=int, default=3)
    args = parser.parse_args()
    print(f"capgap bench-sec, {date.today().isoformat()}")
    for line in [*first_load(args.companies), *evening_load(args.members, args.years)]:
        print(line)


if __name__ == "__main__":
    main()
