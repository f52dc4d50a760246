"""The offline `sample` source: deterministic, on contract, and as awkward as real data."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import exchange_calendars as xcals
import numpy as np
import polars as pl
import pytest

from orchestration.sources.base import RATE_SERIES, RAW_SCHEMAS, FetchRequest, RawBatch
from orchestration.sources.sample.source import SampleSource
from orchestration.sources.sample.universe import fitting_lengths, make_tickers
from orchestration.warehouse.contracts import raw_contracts

END = date(2026, 11, 20)
AFTER_END = date(2030, 1, 1)
SMALL = {"members": 60, "years": 2}
MEDIUM = {"members": 300, "years": 10}
SIZES = {"small": SMALL, "medium": MEDIUM}
KEYS = {table: list(contract.key) for table, contract in raw_contracts().items()}
FUNDS = (
    "^GSPC",
    "^RUT",
    "SPY",
    "RSP",
    "IWM",
    "IWF",
    "IWD",
    "IJR",
    "MDY",
    "XLB",
    "XLC",
    "XLE",
    "XLF",
    "XLI",
    "XLK",
    "XLP",
    "XLRE",
    "XLU",
    "XLV",
    "XLY",
)
GICS = {
    "Energy",
    "Materials",
    "Industrials",
    "Consumer Discretionary",
    "Consumer Staples",
    "Health Care",
    "Financials",
    "Information Technology",
    "Communication Services",
    "Utilities",
    "Real Estate",
}
YIELDS = ("ust_3m", "ust_2y", "ust_5y", "ust_10y", "ust_30y")
STRETCH = 63
SPREAD = 0.05
BREADTH_HIGH, BREADTH_LOW = 0.6, 0.4
SMA_DAYS = 50
MIN_BREADTH_DATES = 100  # years with fewer dates with a 50-day average are not judged


def fetch(today: date = AFTER_END, **size: int) -> RawBatch:
    return SampleSource(**size).fetch(FetchRequest(today=today))


@pytest.fixture(scope="module")
def small() -> RawBatch:
    return fetch(**SMALL)


@pytest.fixture(scope="module")
def medium() -> RawBatch:
    return fetch(**MEDIUM)


def sessions(start: date, end: date) -> pl.Series:
    cal = xcals.get_calendar("XNYS", start=start.isoformat(), end=end.isoformat())
    return pl.Series("date", list(cal.sessions.date), dtype=pl.Date)


def member_prices(batch: RawBatch) -> pl.DataFrame:
    """Member rows on the days they were members, with their own previous close and SMA."""
    own = (
        batch.prices.filter(pl.col("ticker").is_in(batch.members["ticker"].implode()))
        .sort("ticker", "date")
        .with_columns(
            (pl.col("close") / pl.col("close").shift(1).over("ticker") - 1).alias("ret"),
            pl.col("close").rolling_mean(SMA_DAYS).over("ticker").alias("sma"),
        )
    )
    return own.join(batch.members, on="ticker").filter(
        (pl.col("date") >= pl.col("valid_from"))
        & (pl.col("valid_to").is_null() | (pl.col("date") <= pl.col("valid_to")))
    )


def nth_friday(year: int, month: int, nth: int) -> date:
    fridays = [date(year, month, d) for d in range(1, 29) if date(year, month, d).weekday() == 4]
    return fridays[nth - 1]


def previous_session(day: date, all_sessions: pl.Series) -> date:
    return all_sessions.filter(all_sessions < day).max()


def test_same_inputs_give_identical_frames(small: RawBatch) -> None:
    again = fetch(**SMALL)
    for table in RAW_SCHEMAS:
        assert again.table(table).equals(small.table(table)), table
    other_seed = SampleSource(seed=7, **SMALL).fetch(FetchRequest(today=AFTER_END))
    assert not other_seed.prices.equals(small.prices)


def test_too_small_a_market_is_refused() -> None:
    with pytest.raises(ValueError, match="members >= 10"):
        SampleSource(members=5, years=2)


def test_frames_match_the_raw_schemas_and_are_sorted_by_key(small: RawBatch) -> None:
    for table, schema in RAW_SCHEMAS.items():
        frame = small.table(table)
        assert list(frame.schema.items()) == list(schema.items()), table
        assert frame.height > 0, table
        assert frame.equals(frame.sort(KEYS[table])), table
        assert not frame.select(KEYS[table]).is_duplicated().any(), table
    assert small.rejects.is_empty()
    assert small.missing == []


@pytest.mark.parametrize("size", ["small", "medium"])
def test_prices_are_positive_and_consistent(size: str, request: pytest.FixtureRequest) -> None:
    prices = request.getfixturevalue(size).prices
    assert prices.null_count().sum_horizontal().item() == 0
    assert prices.select(pl.min_horizontal("open", "high", "low", "close").min()).item() > 0
    assert (prices["unadjusted_close"] > 0).all()
    assert prices.select((pl.col("high") >= pl.max_horizontal("open", "close")).all()).item()
    assert prices.select((pl.col("low") <= pl.min_horizontal("open", "close")).all()).item()
    assert (prices["volume"] >= 0).all()
    unchanged = prices.with_columns(
        (pl.col("close") == pl.col("close").shift(1).over("ticker")).alias("tie")
    )
    assert unchanged["tie"].sum() > 0  # cents rounding makes unchanged days happen


def test_every_price_date_is_an_nyse_session(small: RawBatch) -> None:
    all_sessions = sessions(END.replace(year=END.year - SMALL["years"]) + timedelta(days=1), END)
    assert small.prices["date"].is_in(all_sessions.implode()).all()
    assert set(small.prices["date"].unique()) == set(all_sessions)
    assert date(2025, 11, 28) in set(all_sessions)  # early close, present
    assert date(2025, 12, 25) not in set(small.prices["date"])
    funds = small.prices.filter(pl.col("ticker").is_in(FUNDS))
    assert set(funds["ticker"].unique()) == set(FUNDS)
    assert (funds.group_by("ticker").len()["len"] == len(all_sessions)).all()
    assert not small.members["ticker"].is_in(FUNDS).any()


def test_index_levels_are_plausible(medium: RawBatch) -> None:
    closes = medium.prices.group_by("ticker").agg(
        pl.col("close").min().alias("low"), pl.col("close").max().alias("high")
    )
    level = {ticker: (low, high) for ticker, low, high in closes.iter_rows()}
    assert level["^GSPC"][0] > 1000 and level["^GSPC"][1] < 12000
    assert level["^RUT"][0] > 500 and level["^RUT"][1] < 5000
    last = dict(medium.prices.group_by("ticker").agg(pl.col("close").last()).iter_rows())
    assert last["SPY"] == pytest.approx(last["^GSPC"] / 10, rel=0.05)
    assert last["IWM"] == pytest.approx(last["^RUT"] / 10, rel=0.05)


@pytest.mark.parametrize("size", ["small", "medium"])
def test_membership_intervals(size: str, request: pytest.FixtureRequest) -> None:
    batch = request.getfixturevalue(size)
    members = batch.members
    first_session = batch.prices["date"].min()
    assert (members["valid_to"].is_null() | (members["valid_to"] >= members["valid_from"])).all()
    for group in (("universe", "ticker"), ("ticker",)):  # one universe at a time, too
        ordered = members.sort(*group, "valid_from").with_columns(
            pl.col("valid_from").shift(1).over(group).alias("previous_from"),
            pl.col("valid_to").shift(1).over(group).alias("previous_to"),
        )
        later = ordered.filter(pl.col("previous_from").is_not_null())
        assert later["previous_to"].is_not_null().all(), group
        assert (later["valid_from"] > later["previous_to"]).all(), group
    at_start = members.filter(pl.col("valid_from") == first_session).group_by("universe").len()
    large = SIZES[size]["members"] // 5
    assert dict(at_start.iter_rows()) == {"large": large, "small": SIZES[size]["members"] - large}
    assert set(members["sector"]) <= GICS
    assert members["ticker"].str.contains(r"^[A-Z]{2,5}$").all()
    names = members.unique("ticker")
    assert names["name"].n_unique() == names.height


def test_rates(small: RawBatch) -> None:
    rates = small.rates
    assert set(rates["series"]) == set(RATE_SERIES)
    all_sessions = set(sessions(date(2024, 11, 21), END))
    bond_holidays = {date(2025, 10, 13), date(2025, 11, 11), date(2026, 10, 12), date(2026, 11, 11)}
    for series in YIELDS:
        days = set(rates.filter(pl.col("series") == series)["date"])
        assert days == all_sessions - bond_holidays, series
    fed = rates.filter(pl.col("series") == "fed_funds").sort("date")
    assert fed["date"].diff().drop_nulls().dt.total_days().unique().to_list() == [1]
    moves = fed["value"].diff().drop_nulls()
    assert ((moves.filter(moves != 0).abs() * 100).round(6) % 25 == 0).all()
    cpi = rates.filter(pl.col("series") == "cpi_index").sort("date")
    assert (cpi["date"].dt.day() == 1).all()
    assert cpi["date"].max() < date(END.year, END.month, 1)  # published data lags
    assert cpi["value"].is_between(200, 400).all()


def test_rate_cycles_over_ten_years(medium: RawBatch) -> None:
    rates = medium.rates
    fed = rates.filter(pl.col("series") == "fed_funds")["value"].diff().drop_nulls()
    assert (fed > 0).any() and (fed < 0).any()
    assert ((fed.filter(fed != 0).abs() * 100).round(6) % 25 == 0).all()
    wide = rates.filter(pl.col("series").is_in(["ust_2y", "ust_10y"])).pivot(
        on="series", index="date", values="value"
    )
    assert (wide["ust_10y"] < wide["ust_2y"]).any()  # an inversion
    assert (wide["ust_10y"] > wide["ust_2y"] + 1).any()  # and a steep curve
    cpi = rates.filter(pl.col("series") == "cpi_index").sort("date")["value"]
    yoy = (cpi / cpi.shift(12) - 1).drop_nulls() * 100
    assert yoy.min() < 2.5 and yoy.max() > 5


def test_reverse_split_jumps_unadjusted_but_not_adjusted(small: RawBatch) -> None:
    reverse = small.actions.filter((pl.col("kind") == "split") & (pl.col("value") < 1))
    assert reverse.height > 0
    prices = small.prices.sort("ticker", "date").with_columns(
        (pl.col("unadjusted_close") / pl.col("unadjusted_close").shift(1).over("ticker")).alias(
            "raw_move"
        ),
        (pl.col("close") / pl.col("close").shift(1).over("ticker")).alias("move"),
    )
    at_split = prices.join(reverse, on=["ticker", "date"])
    assert at_split.height == reverse.height
    assert (at_split["raw_move"] * at_split["value"]).is_between(0.5, 2.0).all()
    assert (at_split["raw_move"] >= 3).all()
    assert at_split["move"].is_between(0.6, 1.6).all()
    later = prices.join(reverse.select("ticker", pl.col("date").alias("split")), on="ticker")
    before = later.filter(pl.col("date") < pl.col("split"))
    assert (before["close"] > before["unadjusted_close"] * 4.99).all()


def test_dividends_among_large_caps(small: RawBatch) -> None:
    dividends = small.actions.filter(pl.col("kind") == "dividend")
    assert dividends.height > 0
    assert (dividends["value"] > 0).all()
    large = small.members.filter(pl.col("universe") == "large")["ticker"]
    assert dividends["ticker"].is_in(large.implode()).all()


def test_halts_missing_days_listings_and_delistings(small: RawBatch) -> None:
    all_sessions = small.prices.filter(pl.col("ticker") == "^GSPC")["date"]
    index = pl.DataFrame({"date": all_sessions}).with_row_index("k")
    own = small.prices.filter(pl.col("ticker").is_in(small.members["ticker"].implode()))
    gaps = (
        own.join(index, on="date")
        .sort("ticker", "date")
        .with_columns((pl.col("k") - pl.col("k").shift(1).over("ticker") - 1).alias("missing"))
    )
    assert gaps.filter(pl.col("missing") == 1).height > 0  # a single missing day
    assert gaps.filter(pl.col("missing").is_between(2, 5)).height > 0  # a halt
    assert gaps["missing"].max() <= 5

    life = own.group_by("ticker").agg(
        pl.col("date").min().alias("first"), pl.col("date").max().alias("last")
    )
    intervals = small.members.join(life, on="ticker")
    listed = intervals.filter(pl.col("first") > all_sessions.min())
    assert (listed["valid_from"] > listed["first"]).any()  # joined after listing
    delisted = intervals.filter(
        (pl.col("last") < all_sessions.max()) & (pl.col("valid_to") == pl.col("last"))
    )
    assert delisted.height > 0


def test_graduation_and_reconstitution(small: RawBatch) -> None:
    all_sessions = small.prices.filter(pl.col("ticker") == "^GSPC")["date"]
    members = small.members
    large = members.filter(pl.col("universe") == "large")
    small_rows = members.filter(pl.col("universe") == "small")
    graduations = [
        row
        for row in large.join(small_rows, on="ticker", suffix="_small").iter_rows(named=True)
        if row["valid_to_small"] is not None
        and row["valid_to_small"] == previous_session(row["valid_from"], all_sessions)
    ]
    assert graduations

    reconstitutions = [nth_friday(year, 6, 4) + timedelta(days=3) for year in (2025, 2026)]
    joined = small_rows.filter(pl.col("valid_from").is_in(reconstitutions))
    before = [previous_session(day, all_sessions) for day in reconstitutions]
    left = small_rows.filter(pl.col("valid_to").is_in(before))
    assert joined.height > 0 and left.height > 0


def test_fetch_stops_at_today(small: RawBatch) -> None:
    today = date(2025, 11, 5)
    batch = fetch(today=today, **SMALL)
    assert batch.prices["date"].max() <= today
    assert batch.actions["date"].max() <= today
    assert batch.members["valid_from"].max() <= today
    assert (batch.members["valid_to"].drop_nulls() <= today).all()
    assert batch.members.height < small.members.height or (
        batch.members["valid_to"].null_count() > small.members["valid_to"].null_count()
    )
    rates = batch.rates.filter(pl.col("series") != "cpi_index")
    assert rates["date"].max() <= today
    cpi = batch.rates.filter(pl.col("series") == "cpi_index")["date"].max()
    assert cpi == date(2025, 9, 1)  # October's CPI comes out on 15 November


def test_small_caps_lag_then_lead(medium: RawBatch) -> None:
    daily = (
        member_prices(medium)
        .group_by("universe", "date")
        .agg(pl.col("ret").mean())
        .pivot(on="universe", index="date", values="ret")
        .sort("date")
        .fill_null(0.0)
    )
    stretch = daily.select(
        (
            (pl.col("small").log1p().rolling_sum(STRETCH).exp() - 1)
            - (pl.col("large").log1p().rolling_sum(STRETCH).exp() - 1)
        ).alias("spread")
    )["spread"]
    assert stretch.min() <= -SPREAD
    assert stretch.max() >= SPREAD


def test_breadth_swings_every_year(medium: RawBatch) -> None:
    breadth = (
        member_prices(medium)
        .filter(pl.col("sma").is_not_null())
        .group_by("date")
        .agg((pl.col("close") > pl.col("sma")).mean().alias("above"))
    )
    years = breadth.group_by(pl.col("date").dt.year().alias("year")).agg(
        pl.len(), pl.col("above").max().alias("high"), pl.col("above").min().alias("low")
    )
    judged = years.filter(pl.col("len") >= MIN_BREADTH_DATES)
    assert judged.height >= MEDIUM["years"] - 1
    assert (judged["high"] >= BREADTH_HIGH).all(), judged
    assert (judged["low"] <= BREADTH_LOW).all(), judged


def test_history_is_adjusted_as_of_the_day_it_is_fetched() -> None:
    """A download on a day gives the history adjusted for the splits and dividends up to that
    day, as Yahoo does: the day after a split, every earlier bar of that ticker is re-based;
    with no event in between, two downloads agree bit for bit."""
    final = SampleSource(**SMALL).fetch(FetchRequest(today=AFTER_END))
    split = final.actions.filter(pl.col("kind") == "split").sort("date").row(-1, named=True)
    ticker, day = split["ticker"], split["date"]
    all_sessions = sessions(day - timedelta(days=30), day)
    before, on = previous_session(day, all_sessions), day

    def history(through: date) -> pl.DataFrame:
        batch = SampleSource(**SMALL, through=through).fetch(FetchRequest(today=AFTER_END))
        return batch.prices.filter((pl.col("ticker") == ticker) & (pl.col("date") < before))

    then, now = history(before), history(on)
    assert (then["close"] / now["close"]).to_list() == pytest.approx(
        [split["value"]] * then.height, rel=1e-12
    )
    assert then["close"].to_list() != now["close"].to_list()
    assert (then["unadjusted_close"] == now["unadjusted_close"]).all()
    quiet = final.prices.filter(pl.col("ticker") == "^GSPC")["date"].to_list()[-40]
    fund = SampleSource(**SMALL, through=quiet).fetch(FetchRequest(today=AFTER_END)).prices
    assert fund.filter(pl.col("ticker") == "^GSPC")["close"].to_list() == (
        final.prices.filter((pl.col("ticker") == "^GSPC") & (pl.col("date") <= quiet))[
            "close"
        ].to_list()
    )


def test_quarterly_reports_come_after_the_quarter_some_late_or_restated(medium: RawBatch) -> None:
    reports = medium.fundamentals.with_columns(
        delay=(pl.col("available_on") - pl.col("period_end")).dt.total_days(),
        version=pl.col("available_on").rank("ordinal").over("ticker", "period_end"),
    )
    first = reports.filter(pl.col("version") == 1)
    on_time = first.filter(pl.col("delay") <= 48)  # 45 days, moved on to a session
    assert first["delay"].min() >= 20
    assert 0.9 < on_time.height / first.height < 1.0  # a few are late
    assert reports.filter(pl.col("version") == 2).height > 0  # restated quarters
    assert set(reports["fiscal_period"].str.slice(4, 1)) == {"Q"}
    assert (reports["available_on"] <= reports["period_end"].max() + timedelta(days=400)).all()
    first_day = medium.prices["date"].min()
    inside = reports.filter(pl.col("available_on") >= first_day)
    before = reports.filter(pl.col("available_on") < first_day)
    trading = set(sessions(first_day, inside["available_on"].max()))
    assert set(inside["available_on"]) <= trading
    assert before["available_on"].dt.weekday().max() <= 5  # weekdays before the history


def test_companies_listed_on_the_first_day_have_reported_a_year_by_then(
    medium: RawBatch,
) -> None:
    """Four quarters reported before the history starts, so a trailing twelve months exists
    from the first day for the companies listed then (a few lack one: a quarter never or
    late reported)."""
    first_day = medium.prices["date"].min()
    priced = set(medium.prices.filter(pl.col("date") == first_day)["ticker"])
    listed = priced & set(medium.members["ticker"])  # companies, not funds or indices
    known = (
        medium.fundamentals.filter(
            pl.col("available_on") <= first_day, pl.col("ticker").is_in(listed)
        )
        .group_by("ticker")
        .agg(quarters=pl.col("period_end").n_unique(), latest=pl.col("period_end").max())
    )
    with_a_year = known.filter(pl.col("quarters") >= 4)
    assert with_a_year.height / len(listed) > 0.9
    assert (with_a_year["latest"] < first_day).all()


def test_mega_cap_weights_grow_while_small_caps_lag(medium: RawBatch) -> None:
    """The five largest S&P members of the first snapshot gain weight in the months the
    Russell 2000 lags the S&P 500, and less (or lose it) in the months it leads."""
    large = medium.index_weights.filter(pl.col("universe") == "large")
    first = large.filter(pl.col("as_of") == large["as_of"].min())
    mega = first.sort("weight", descending=True)["ticker"].head(5)
    weight = (
        large.filter(pl.col("ticker").is_in(mega.to_list()))
        .group_by("as_of")
        .agg(pl.col("weight").sum())
        .sort("as_of")
    )
    closes = (
        medium.prices.filter(
            pl.col("ticker").is_in(["^GSPC", "^RUT"]), pl.col("date").is_in(weight["as_of"])
        )
        .pivot("ticker", index="date", values="close")
        .sort("date")
    )
    months = (
        weight.join(closes, left_on="as_of", right_on="date")
        .with_columns(
            gain=pl.col("weight").diff(),
            small_minus_large=(pl.col("^RUT") / pl.col("^RUT").shift(1))
            - (pl.col("^GSPC") / pl.col("^GSPC").shift(1)),
        )
        .drop_nulls()
    )
    lagging = months["small_minus_large"] < months["small_minus_large"].median()

    assert months.filter(lagging)["gain"].mean() > months.filter(~lagging)["gain"].mean()
    assert weight["weight"][-1] > weight["weight"][0]


def test_tickers_are_unique_even_when_a_length_runs_out_of_symbols() -> None:
    """A 25,000-member panel wants 1,250 two-letter large caps from 676 symbols: those
    beyond 3/4 of them (507) get three letters; lengths with room keep their companies."""
    lengths = np.array([2] * 1_250 + [3] * 10)
    tickers = make_tickers(lengths, np.random.default_rng(7))
    assert len(set(tickers)) == len(tickers)
    assert sorted(Counter(len(t) for t in tickers).items()) == [(2, 507), (3, 753)]
    assert (fitting_lengths(np.array([2] * 100 + [4] * 5)) == [2] * 100 + [4] * 5).all()
