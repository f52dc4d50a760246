"""Hand-checked tests of the price-fault reference, and of the faulty_market fixture.

Small cases use consecutive calendar days: ``day(k)`` is the date of bar k (1-based, as in
the rules). Volume is 1000 and high/low are 1 % either side of the close unless a case
says otherwise, so no bar is stale by accident.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from tests.fixtures.files import make_faulty_market as fixture
from tests.reference.faults import (
    OUTPUT_SCHEMA,
    FaultRules,
    kept_prices,
    reference_exclusions,
)

PRICE_SCHEMA = {
    "date": pl.Date,
    "ticker": pl.String,
    "open": pl.Float64,
    "high": pl.Float64,
    "low": pl.Float64,
    "close": pl.Float64,
    "volume": pl.Int64,
    "unadjusted_close": pl.Float64,
}
ACTION_SCHEMA = {"date": pl.Date, "ticker": pl.String, "kind": pl.String, "value": pl.Float64}


def day(k: int) -> dt.date:
    """The date of bar k of a small case."""
    return dt.date(2024, 1, 1) + dt.timedelta(days=k - 1)


def make_prices(
    closes: list[float],
    ticker: str = "T",
    volume: list[int | None] | None = None,
    high: list[float | None] | None = None,
    low: list[float | None] | None = None,
) -> pl.DataFrame:
    """One ticker's rows, bar k on ``day(k)``."""
    n = len(closes)
    volume = volume if volume is not None else [1000] * n
    high = high if high is not None else [c * 1.01 for c in closes]
    low = low if low is not None else [c * 0.99 for c in closes]
    rows = [
        (day(k + 1), ticker, closes[k], high[k], low[k], closes[k], volume[k], None)
        for k in range(n)
    ]
    return pl.DataFrame(rows, schema=PRICE_SCHEMA, orient="row")


def make_actions(rows: list[tuple[int, str, str, float]]) -> pl.DataFrame:
    """Action rows from (bar whose date it carries, ticker, kind, value)."""
    return pl.DataFrame(
        [(day(k), t, kind, v) for k, t, kind, v in rows], schema=ACTION_SCHEMA, orient="row"
    )


def spans(result: pl.DataFrame) -> list[tuple[str, str, str, dt.date, dt.date, int]]:
    """(ticker, rule, span, from_date, to_date, bars) per row, in output order."""
    return [
        (r["ticker"], r["rule"], r["span"], r["from_date"], r["to_date"], r["bars"])
        for r in result.iter_rows(named=True)
    ]


def level(*pieces: tuple[float, int]) -> list[float]:
    """A close series made of (price, number of bars) pieces."""
    return [price for price, count in pieces for _ in range(count)]


def test_output_columns_and_empty_inputs() -> None:
    empty = reference_exclusions(make_prices([]).clear(), None)
    assert empty.schema == pl.Schema(OUTPUT_SCHEMA)
    assert empty.height == 0
    quiet = make_prices([100.0, 101.0, 99.5, 100.2, 102.0])
    assert reference_exclusions(quiet, None).is_empty()
    assert reference_exclusions(quiet, make_actions([])).is_empty()
    assert kept_prices(quiet, reference_exclusions(quiet)).equals(quiet)


def test_suspected_split_history_before() -> None:
    prices = make_prices(level((100.0, 5), (50.0, 25)))  # 2-for-1 at bar 6, n = 30
    result = reference_exclusions(prices)
    assert spans(result) == [("T", "unadjusted_split", "history_before", day(1), day(5), 5)]
    assert result["event_date"].to_list() == [day(6)]
    assert kept_prices(prices, result)["date"].to_list() == [day(k) for k in range(6, 31)]


def test_since_jump_near_the_end_and_its_boundary() -> None:
    late = reference_exclusions(make_prices(level((100.0, 10), (300.0, 20))))  # k=11, n-k=19
    assert spans(late) == [("T", "unadjusted_split", "since_jump", day(11), day(30), 20)]
    edge = reference_exclusions(make_prices(level((100.0, 8), (300.0, 22))))  # k=9, n-k=21
    assert spans(edge) == [("T", "unadjusted_split", "history_before", day(1), day(8), 8)]


def test_price_jump_reverted_and_return_move_absorbed() -> None:
    prices = make_prices(level((100.0, 5), (1250.0, 3), (100.0, 12)))
    result = reference_exclusions(prices)
    # bar 6 (x12.5) reverts at bar 9; bar 9's move (x0.08) is absorbed: one row
    assert spans(result) == [("T", "price_jump", "reverted", day(6), day(8), 3)]
    assert result["event_date"].to_list() == [day(6)]
    assert kept_prices(prices, result).height == 17


def test_matched_split_needs_a_strong_split_action_in_the_window() -> None:
    prices = make_prices(level((150.0, 5), (100.0, 25)))  # x2/3 at bar 6
    expected = [("T", "unadjusted_split", "history_before", day(1), day(5), 5)]
    for bar in (6, 1, 11):  # on the day, 5 calendar days before, 5 after
        actions = make_actions([(bar, "T", "split", 1.5)])
        assert spans(reference_exclusions(prices, actions)) == expected, bar
    for actions in (
        [(12, "T", "split", 1.5)],  # 6 days after
        [(6, "T", "dividend", 1.5)],  # not a split
        [(6, "U", "split", 1.5)],  # another ticker's
        [(6, "T", "split", 1.2)],  # too weak a split to count
        [(6, "T", "split", 3.0)],  # a split, but its factor does not fit the move
    ):
        assert reference_exclusions(prices, make_actions(actions)).is_empty(), actions


def test_weak_split_bounds_are_inclusive() -> None:
    up = make_prices(level((125.0, 5), (100.0, 25)))  # x0.8 = 1/1.25
    assert spans(reference_exclusions(up, make_actions([(6, "T", "split", 1.25)])))
    down = make_prices(level((80.0, 5), (100.0, 25)))  # x1.25 = 1/0.8
    assert spans(reference_exclusions(down, make_actions([(6, "T", "split", 0.8)])))
    assert reference_exclusions(down).is_empty()


def test_real_crash_of_a_third_is_kept() -> None:
    prices = make_prices(level((150.0, 5), (100.0, 25)))  # -33 %: 2/3 is no strong factor
    result = reference_exclusions(prices, make_actions([(20, "T", "split", 1.5)]))
    assert result.is_empty()
    assert kept_prices(prices, result).equals(prices)


def test_tolerance_boundary_counts() -> None:
    exact = make_prices(level((100.0, 2), (206.0, 28)))  # 206 / 100 / 2 == 1.03 exactly
    assert spans(reference_exclusions(exact))[0][:3] == ("T", "unadjusted_split", "history_before")
    beyond = make_prices(level((100.0, 2), (206.5, 28)))  # 3.25 % from 2, below 10: nothing
    assert reference_exclusions(beyond).is_empty()
    looser = FaultRules(split_tolerance=0.04)
    assert spans(reference_exclusions(beyond, rules=looser))


def test_price_jump_against_strong_factors() -> None:
    def rule(after: float) -> list[str]:
        return reference_exclusions(make_prices([100.0, after] + [after] * 28))["rule"].to_list()

    assert rule(1100.0) == ["price_jump"]  # x11: 10 % from 10 and 12
    assert rule(1000.0) == ["unadjusted_split"]  # x10 is a strong factor
    assert rule(9.0) == ["price_jump"]  # x0.09: below 1/10, not within 3 % of 1/10 or 1/12
    assert rule(10.0) == ["unadjusted_split"]  # x0.1
    assert rule(1050.0) == ["price_jump"]  # x10.5: 5 % from 10, strictly above 10
    assert rule(250.0) == []  # x2.5: neither
    assert reference_exclusions(
        make_prices([100.0] + [1050.0] * 29), rules=FaultRules(max_daily_ratio=11.0)
    ).is_empty()


def test_reversion_window_is_inclusive() -> None:
    inside = make_prices(level((100.0, 2), (1250.0, 21), (100.0, 37)))  # back at k + 21
    assert spans(reference_exclusions(inside)) == [
        ("T", "price_jump", "reverted", day(3), day(23), 21)
    ]
    outside = make_prices(level((100.0, 2), (1250.0, 22), (100.0, 36)))  # back at k + 22
    # neither move reverts: two overlapping history_before spans
    assert spans(reference_exclusions(outside)) == [
        ("T", "price_jump", "history_before", day(1), day(2), 2),
        ("T", "price_jump", "history_before", day(1), day(24), 24),
    ]


def test_reversal_band_boundary() -> None:
    back = make_prices(level((100.0, 2), (1250.0, 2), (130.0, 26)))  # exactly +30 %
    assert spans(reference_exclusions(back)) == [("T", "price_jump", "reverted", day(3), day(4), 2)]
    short = make_prices(level((100.0, 2), (1250.0, 2), (131.0, 26)))  # 131/1250 is no fault
    assert spans(reference_exclusions(short)) == [
        ("T", "price_jump", "history_before", day(1), day(2), 2)
    ]


def test_absorption_is_judged_against_absorbed_moves_too() -> None:
    nested = make_prices(level((100.0, 1), (1500.0, 1), (15000.0, 1), (1500.0, 1), (100.0, 26)))
    assert spans(reference_exclusions(nested)) == [
        ("T", "unadjusted_split", "reverted", day(2), day(4), 3)
    ]
    # bar 2 (x15) reverts at 3 and absorbs bar 3 (x1/15), which reverts at 4 and absorbs
    # bar 4 (x15), although bar 4 is never undone: no span for it
    chain = make_prices(level((100.0, 1), (1500.0, 1), (100.0, 1), (1500.0, 27)))
    result = reference_exclusions(chain)
    assert spans(result) == [("T", "unadjusted_split", "reverted", day(2), day(2), 1)]
    assert kept_prices(chain, result).height == 29


def test_stale_run_of_volume_zero_or_no_range() -> None:
    closes = level((100.0, 3), (101.0, 6), (102.0, 21))  # bars 4-9 at 101: 5 repeats
    volume = [1000] * 30
    volume[4:9] = [0] * 5  # bars 5-9
    result = reference_exclusions(make_prices(closes, volume=volume))
    assert spans(result) == [("T", "stale_prints", "run", day(5), day(9), 5)]
    assert result["event_date"].to_list() == [day(5)]

    # high == low instead of volume 0, and a null volume on one of them
    volume = [1000] * 30
    volume[6] = None
    high = [c * 1.01 for c in closes]
    low = [c * 0.99 for c in closes]
    high[4:9] = low[4:9] = closes[4:9]
    result = reference_exclusions(make_prices(closes, volume=volume, high=high, low=low))
    assert spans(result) == [("T", "stale_prints", "run", day(5), day(9), 5)]


def test_stale_run_needs_five_and_nulls_compare_false() -> None:
    closes = level((100.0, 3), (101.0, 6), (102.0, 21))
    four = [1000] * 30
    four[4:8] = [0] * 4  # bars 5-8 only
    assert reference_exclusions(make_prices(closes, volume=four)).is_empty()

    broken = [1000] * 30
    broken[4:9] = [0, 0, 1000, 0, 0]  # bar 7 trades: two runs of two
    assert reference_exclusions(make_prices(closes, volume=broken)).is_empty()

    nulls: list[int | None] = [1000] * 30
    nulls[4:9] = [None] * 5  # null volume, high != low: not stale
    assert reference_exclusions(make_prices(closes, volume=nulls)).is_empty()

    high: list[float | None] = [c * 1.01 for c in closes]
    high[4:9] = [None] * 5  # null high, but volume 0: stale
    zero = [1000] * 30
    zero[4:9] = [0] * 5
    result = reference_exclusions(make_prices(closes, volume=zero, high=high))
    assert spans(result) == [("T", "stale_prints", "run", day(5), day(9), 5)]


def test_first_bar_is_never_stale() -> None:
    five = make_prices([50.0] * 5, volume=[0] * 5)  # bars 2-5 only: four
    assert reference_exclusions(five).is_empty()
    six = make_prices([50.0] * 6, volume=[0] * 6)
    assert spans(reference_exclusions(six)) == [("T", "stale_prints", "run", day(2), day(6), 5)]


def test_null_volume_high_low_do_not_matter_to_moves() -> None:
    n = 30
    prices = make_prices(
        level((100.0, 5), (50.0, 25)), volume=[None] * n, high=[None] * n, low=[None] * n
    ).with_columns(pl.lit(None, pl.Float64).alias("open"))
    assert spans(reference_exclusions(prices)) == [
        ("T", "unadjusted_split", "history_before", day(1), day(5), 5)
    ]


def test_tickers_apart_sorted_and_kept_rows_in_given_order() -> None:
    b = make_prices(level((100.0, 5), (1250.0, 2), (100.0, 23)), ticker="B")
    a = make_prices(level((40.0, 25), (120.0, 5)), ticker="A")
    prices = pl.concat([b, a]).sample(fraction=1.0, shuffle=True, seed=7)
    result = reference_exclusions(prices)
    assert spans(result) == [
        ("A", "unadjusted_split", "since_jump", day(26), day(30), 5),
        ("B", "price_jump", "reverted", day(6), day(7), 2),
    ]
    kept = kept_prices(prices, result)
    assert kept.columns == prices.columns
    expected = prices.filter(
        ~((pl.col("ticker") == "A") & (pl.col("date") >= day(26)))
        & ~((pl.col("ticker") == "B") & pl.col("date").is_between(day(6), day(7)))
    )
    assert kept.equals(expected)


def test_duplicate_dates_are_an_error() -> None:
    prices = make_prices([100.0, 101.0])
    with pytest.raises(ValueError, match="duplicate"):
        reference_exclusions(pl.concat([prices, prices]))


def read_market(directory: Path) -> dict[str, pl.DataFrame]:
    """``prices`` and ``actions`` of a market directory, with their documented types."""
    return {
        "prices": pl.read_csv(directory / "prices.csv", schema=PRICE_SCHEMA),
        "actions": pl.read_csv(directory / "actions.csv", schema=ACTION_SCHEMA),
    }


def test_faulty_market_gives_exactly_the_injected_faults() -> None:
    market = read_market(fixture.OUT_DIR)
    found = reference_exclusions(market["prices"], market["actions"])
    keys = [
        (r["ticker"], r["rule"], r["span"], r["event_date"]) for r in found.iter_rows(named=True)
    ]
    assert sorted(keys) == sorted(fixture.INJECTED)
    assert found.equals(fixture.expected_exclusions())
    assert len({event for *_, event in fixture.INJECTED}) == len(fixture.INJECTED)

    edge = read_market(fixture.EDGE_DIR)
    assert reference_exclusions(edge["prices"], edge["actions"]).is_empty()
    crash = market["prices"].filter(pl.col("ticker") == fixture.KEPT_TICKER)
    assert kept_prices(crash, found).equals(crash)
    ratio = crash.filter(pl.col("date") >= dt.date(2023, 9, 20))["close"].head(2).to_list()
    assert abs(ratio[1] / ratio[0] - 2 / 3) < 0.001


def test_generator_reproduces_the_fixture(tmp_path: Path) -> None:
    fixture.write(tmp_path)
    for name in fixture.FILES:
        written = (tmp_path / name).read_bytes()
        assert written == (fixture.OUT_DIR / name).read_bytes(), name
        assert written.startswith((fixture.EDGE_DIR / name).read_bytes()), name
