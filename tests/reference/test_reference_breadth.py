"""Hand-checked tests of the breadth reference, and of the edges the edge_market fixture hits.

Small cases use consecutive calendar days: ``day(i)`` is the i-th observation date (the
reference works on rows, not on a calendar). Volume is 100 unless a case says otherwise.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from tests.reference.breadth import reference_breadth
from tests.reference.sector_breadth import reference_sector_breadth

EDGE_MARKET = Path(__file__).parents[1] / "fixtures" / "files" / "edge_market"

COLUMNS = [
    "universe",
    "date",
    "issues",
    "advancers",
    "decliners",
    "unchanged",
    "net_advances",
    "ad_line",
    "ratio_adjusted_net_advances",
    "mcclellan_oscillator",
    "mcclellan_summation",
    "pct_above_sma50",
    "pct_above_sma200",
    "new_highs_52w",
    "new_lows_52w",
    "up_volume",
    "down_volume",
    "arms_index",
    "zweig_ema10",
    "zweig_thrust",
    "net_new_highs",
    "record_high_percent",
    "high_low_index",
    "arms_index_10d",
    "members",
    "coverage_pct",
]
INT_COLUMNS = {
    "issues",
    "advancers",
    "decliners",
    "unchanged",
    "net_advances",
    "ad_line",
    "new_highs_52w",
    "new_lows_52w",
    "up_volume",
    "down_volume",
    "net_new_highs",
    "members",
}


def day(i: int) -> dt.date:
    """The i-th observation date of a small case."""
    return dt.date(2024, 1, 1) + dt.timedelta(days=i)


def make_prices(
    closes: dict[str, list[float | None]], volumes: dict[str, list[int]] | None = None
) -> pl.DataFrame:
    """Price rows from close lists indexed by day; None means no row (halted, not listed)."""
    rows = [
        (ticker, day(i), float(c), (volumes or {}).get(ticker, [100] * len(series))[i])
        for ticker, series in closes.items()
        for i, c in enumerate(series)
        if c is not None
    ]
    return pl.DataFrame(
        rows,
        schema={"ticker": pl.String, "date": pl.Date, "close": pl.Float64, "volume": pl.Int64},
        orient="row",
    )


def make_members(
    rows: list[tuple[str, str, int, int | None]],
    sectors: dict[tuple[str, int], str] | None = None,
) -> pl.DataFrame:
    """Membership rows from (universe, ticker, first day, last day or None); the sector is
    "Tech" unless ``sectors`` has one for (ticker, first day)."""
    return pl.DataFrame(
        [
            (
                u,
                t,
                f"{t} Corp",
                (sectors or {}).get((t, start), "Tech"),
                day(start),
                None if end is None else day(end),
            )
            for u, t, start, end in rows
        ],
        schema={
            "universe": pl.String,
            "ticker": pl.String,
            "name": pl.String,
            "sector": pl.String,
            "valid_from": pl.Date,
            "valid_to": pl.Date,
        },
        orient="row",
    )


def column(frame: pl.DataFrame, name: str, universe: str = "large") -> list[object]:
    """One column of one universe, in date order."""
    return frame.filter(pl.col("universe") == universe)[name].to_list()


def test_columns_and_types() -> None:
    prices = make_prices({"A": [10, 11]})
    result = reference_breadth(prices, make_members([("large", "A", 0, None)]))
    assert result.columns == COLUMNS
    for name, dtype in result.schema.items():
        if name in INT_COLUMNS:
            assert dtype == pl.Int64, name
        elif name == "zweig_thrust":
            assert dtype == pl.Boolean
        elif name not in ("universe", "date"):
            assert dtype == pl.Float64, name
    empty = reference_breadth(prices.clear(), make_members([]))
    assert empty.columns == COLUMNS
    assert empty.height == 0


def test_advancers_decliners_tie_mcclellan_zweig_arms() -> None:
    prices = make_prices(
        {"A": [10, 11, 10], "B": [20, 19, 18], "C": [30, 30, 31], "D": [40, 41, 41]},
        {"A": [100] * 3, "B": [200, 200, 100], "C": [300] * 3, "D": [400] * 3},
    )
    members = make_members([("large", t, 0, None) for t in "ABCD"])
    result = reference_breadth(prices, members)
    # day 0: nobody has a previous close -> 0 issues, a row all the same.
    # day 1: A up (vol 100), B down (200), C tie, D up (400).
    # day 2: A down (100), B down (100), C up (300), D tie.
    assert column(result, "date") == [day(0), day(1), day(2)]
    assert column(result, "issues") == [0, 4, 4]
    assert column(result, "advancers") == [0, 2, 1]
    assert column(result, "decliners") == [0, 1, 2]
    assert column(result, "unchanged") == [0, 1, 1]
    assert column(result, "net_advances") == [0, 1, -1]
    assert column(result, "ad_line") == [0, 1, 0]
    assert column(result, "up_volume") == [0, 500, 300]
    assert column(result, "down_volume") == [0, 200, 200]
    # arms: (2/1)/(500/200) = 0.8; (1/2)/(300/200) = 1/3; day 0 has zero terms.
    assert column(result, "arms_index") == pytest.approx([None, 0.8, 1 / 3])
    # rana: 0, 1000*1/3, -1000/3.  EMA19 (alpha 0.1): 0, 100/3, -100/3 + 30 = -10/3.
    # EMA39 (alpha 0.05): 0, 50/3, -50/3 + 0.95*50/3 = -5/6.  osc: 0, 50/3, -10/3 + 5/6 = -2.5.
    assert column(result, "ratio_adjusted_net_advances") == pytest.approx([0, 1000 / 3, -1000 / 3])
    assert column(result, "mcclellan_oscillator") == pytest.approx([0, 50 / 3, -2.5])
    assert column(result, "mcclellan_summation") == pytest.approx([0, 50 / 3, 50 / 3 - 2.5])
    # zweig ratio: null, 2/3, 1/3.  EMA10 (alpha 2/11): seeded 2/3, then 2/33 + 18/33 = 20/33.
    assert column(result, "zweig_ema10") == pytest.approx([None, 2 / 3, 20 / 33])
    assert column(result, "zweig_thrust") == [None, False, False]
    assert column(result, "pct_above_sma50") == [None, None, None]
    assert column(result, "new_highs_52w") == [0, 0, 0]
    assert column(result, "record_high_percent") == [None, None, None]
    assert column(result, "high_low_index") == [None, None, None]
    assert column(result, "arms_index_10d") == [None, None, None]


def test_halted_day_uses_close_before_halt() -> None:
    prices = make_prices({"A": [10, None, 9, 9], "B": [5, 6, 6, 7]})
    result = reference_breadth(
        prices, make_members([("large", "A", 0, None), ("large", "B", 0, None)])
    )
    # day 1: A halted, B 5 -> 6 up.  day 2: A 10 (before the halt) -> 9 down, B tie.
    # day 3: A tie, B up.
    assert column(result, "issues") == [0, 1, 2, 2]
    assert column(result, "advancers") == [0, 1, 0, 1]
    assert column(result, "decliners") == [0, 0, 1, 0]
    assert column(result, "unchanged") == [0, 0, 1, 1]


def test_joining_member_windows_use_its_earlier_rows() -> None:
    # J: 100, 101, ..., 159 over days 0-59, a member from day 55 only.
    # K: 200, 199, ..., 141, a member throughout.
    # P: a member from day 0 whose first price is on day 57.
    prices = make_prices(
        {
            "J": [100 + i for i in range(60)],
            "K": [200 - i for i in range(60)],
            "P": [None] * 57 + [50, 51, 52],
        }
    )
    members = make_members(
        [("large", "K", 0, None), ("large", "J", 55, None), ("large", "P", 0, None)]
    )
    result = reference_breadth(prices, members)
    issues = column(result, "issues")
    pct50 = column(result, "pct_above_sma50")
    # days 1-54 only K is an issue; on day 55 J counts with its day-54 close as previous.
    assert issues[:56] == [0] + [1] * 54 + [2]
    assert column(result, "advancers")[55] == 1
    # K's SMA50 exists from day 49 (its 50th close): 151 < mean(200..151) = 175.5 -> 0 %.
    assert pct50[48] is None
    assert pct50[49:55] == [0.0] * 6
    # day 55: J's SMA50 runs over days 6-55 (106..155, mean 130.5), 155 above -> 1 of 2.
    assert pct50[55] == 50.0
    # P: no previous close on day 57 -> not an issue; an advancer on days 58 and 59.
    assert issues[56:] == [2, 2, 3, 3]
    assert column(result, "advancers")[56:] == [1, 1, 2, 2]


def test_leaving_member_and_rows_only_on_member_dates() -> None:
    prices = make_prices({"A": [10, 11, 12], "B": [10, 11, 12, 13, 14], "C": [1, 2, 3, 4, 5, 6]})
    members = make_members([("large", "A", 0, None), ("large", "B", 0, 1), ("small", "C", 0, None)])
    result = reference_breadth(prices, members)
    # B's last day (day 1) is inclusive; on days 3-4 only B has prices, and it has left.
    assert column(result, "date") == [day(0), day(1), day(2)]
    assert column(result, "issues") == [0, 2, 1]
    assert column(result, "date", "small") == [day(i) for i in range(6)]
    assert column(result, "advancers", "small") == [0, 1, 1, 1, 1, 1]
    assert result["universe"].to_list() == ["large"] * 3 + ["small"] * 6


def test_earliest_snapshot_counts_on_earlier_dates() -> None:
    prices = make_prices({"A": [10, 11, 12, 13, 14], "B": [10, 11, 12, 13, 14]})
    # A's row is the earliest snapshot (day 2), so A also counts on days 0-1; B joins on day 3.
    members = make_members([("large", "A", 2, None), ("large", "B", 3, None)])
    result = reference_breadth(prices, members)
    assert column(result, "date") == [day(i) for i in range(5)]
    assert column(result, "issues") == [0, 1, 1, 2, 2]


def test_overlapping_membership_rows_count_once() -> None:
    prices = make_prices({"A": [10, 11, 12, 13, 14], "B": [20, 21, 22, 23, 24]})
    # A has two rows overlapping on days 2-3.
    members = make_members([("large", "A", 0, 3), ("large", "A", 2, None), ("large", "B", 0, None)])
    result = reference_breadth(prices, members)
    assert column(result, "issues") == [0, 2, 2, 2, 2]
    assert column(result, "advancers") == [0, 2, 2, 2, 2]
    assert column(result, "up_volume") == [0, 200, 200, 200, 200]


def test_zweig_null_days_and_lookback_in_non_null_values() -> None:
    # A and B move together: day 1 both down, day 5 both unchanged (ratio null), else up.
    path = [10, 9, 10, 11, 12, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]
    prices = make_prices({"A": path, "B": path})
    result = reference_breadth(
        prices, make_members([("large", "A", 0, None), ("large", "B", 0, None)])
    )
    # EMA values e0.. over non-null days: e0 = 0 (day 1), then e_k = 1 - (9/11)^k on up days.
    e = [1 - (9 / 11) ** k for k in range(14)]
    expected_ema = [None, e[0], e[1], e[2], e[3], None, *e[4:]]
    assert column(result, "zweig_ema10") == pytest.approx(expected_ema)
    # e2 = 40/121 = 0.331 < 0.40 is the last low value; e3 = 0.452.  e5 = 0.633 > 0.615 first.
    # Day 14 (e12): the 10 previous non-null values are e2..e11 -> true (by rows it would be
    # e3..e11 with the null day 5 inside). Day 15 (e13): e3..e12 -> false.
    assert column(result, "zweig_thrust") == [
        None, False, False, False, False, None, False,
        True, True, True, True, True, True, True, True, False,
    ]  # fmt: skip
    # all-decline and all-advance days: a zero term makes the arms index null.
    assert column(result, "arms_index")[:3] == [None, None, None]


def test_arms_null_terms_and_ten_day_window() -> None:
    # A always up with volume 100; B always down with volume 100*i on day i -> arms_i = i.
    # Day 12: A's volume is 0, so up_volume is 0 and arms is null although A advanced.
    n = 13
    prices = make_prices(
        {"A": [10 + i for i in range(n)], "B": [100 - i for i in range(n)]},
        {"A": [100] * 12 + [0], "B": [100 * i for i in range(n)]},
    )
    result = reference_breadth(
        prices, make_members([("large", "A", 0, None), ("large", "B", 0, None)])
    )
    arms = column(result, "arms_index")
    assert arms == pytest.approx([None, *range(1, 12), None])
    # 10-row windows: rows 0-8 too few; row 9 includes row 0's null; row 10: mean(1..10) = 5.5;
    # row 11: mean(2..11) = 6.5; row 12 includes its own null.
    assert column(result, "arms_index_10d") == pytest.approx([None] * 10 + [5.5, 6.5, None])


def test_new_highs_lows_sma_strictness_and_high_low_index() -> None:
    # H rises 100..352, L falls 400..148, E is flat at 100 for days 0-252.
    n = 253
    prices = make_prices(
        {"H": [100 + i for i in range(n)], "L": [400 - i for i in range(n)], "E": [100] * n}
    )
    members = make_members([("large", t, 0, None) for t in "HLE"])
    result = reference_breadth(prices, members)
    highs = column(result, "new_highs_52w")
    lows = column(result, "new_lows_52w")
    # Day 251 is the first with 251 earlier closes: H 351 > 350, L 149 < 150, E 100 = 100.
    assert highs[250:] == [0, 1, 1]
    assert lows[250:] == [0, 1, 1]
    assert column(result, "net_new_highs")[251] == 0
    assert column(result, "record_high_percent")[250:] == [None, 50.0, 50.0]
    # rows 241-250 hold no record_high_percent -> null; rows 242-251 hold one (50) -> 50.
    assert column(result, "high_low_index")[250:] == [None, 50.0, 50.0]
    # SMA200 from day 199: H above, L below, E equal to its SMA (not above) -> 1 of 3.
    pct200 = column(result, "pct_above_sma200")
    assert pct200[198] is None
    assert pct200[199] == pytest.approx(100 / 3)
    assert column(result, "unchanged")[1:] == [1] * (n - 1)


def test_members_include_members_without_a_price_row() -> None:
    # B is halted on day 1; nobody has a price on day 3, so day 3 has no row at all.
    prices = make_prices({"A": [10, 11, 12, None, 14], "B": [20, None, 22, None, 24]})
    result = reference_breadth(
        prices, make_members([("large", "A", 0, None), ("large", "B", 0, None)])
    )
    assert column(result, "date") == [day(0), day(1), day(2), day(4)]
    # day 1: A and B are members, only A has a price row -> 100 * 1 / 2 = 50 %.
    assert column(result, "members") == [2, 2, 2, 2]
    assert column(result, "coverage_pct") == [100.0, 50.0, 100.0, 100.0]
    # the other columns only see the priced members: day 1 A up; day 2 A up, B 20 -> 22 up.
    assert column(result, "issues") == [0, 1, 2, 2]


def test_members_count_overlapping_rows_once() -> None:
    prices = make_prices({"A": [10, 11, 12, 13, 14], "B": [20, 21, 22, 23, 24]})
    # A's two rows overlap on days 2-3: A is still one member there, not two.
    members = make_members([("large", "A", 0, 3), ("large", "A", 2, None), ("large", "B", 0, None)])
    result = reference_breadth(prices, members)
    assert column(result, "members") == [2, 2, 2, 2, 2]
    assert column(result, "coverage_pct") == [100.0] * 5


def test_member_listed_after_its_membership_starts() -> None:
    # P is a member from day 0 but its first price is on day 2 (listed later).
    prices = make_prices({"A": [10, 11, 12, 13], "P": [None, None, 50, 51]})
    result = reference_breadth(
        prices, make_members([("large", "A", 0, None), ("large", "P", 0, None)])
    )
    # days 0-1: P is a member without a price row -> 1 of 2 priced = 50 %; then 2 of 2.
    assert column(result, "members") == [2, 2, 2, 2]
    assert column(result, "coverage_pct") == [50.0, 50.0, 100.0, 100.0]
    # P has no previous close on day 2 -> not an issue there.
    assert column(result, "issues") == [0, 1, 1, 2]


def test_members_earliest_snapshot_covers_earlier_dates() -> None:
    # A and C have the earliest snapshot rows (day 2), so they are members on days 0-1 too;
    # B's row starts on day 3 and is not back-filled. C's first price is on day 1.
    prices = make_prices(
        {"A": [10, 11, 12, 13, 14], "B": [10, 11, 12, 13, 14], "C": [None, 5, 6, 7, 8]}
    )
    members = make_members(
        [("large", "A", 2, None), ("large", "B", 3, None), ("large", "C", 2, None)]
    )
    result = reference_breadth(prices, members)
    assert column(result, "date") == [day(i) for i in range(5)]
    # day 0: members A, C, only A priced -> 50 %; days 1-2: A, C priced; days 3-4: A, B, C.
    # B's price rows on days 0-2 neither make it a member nor count as coverage.
    assert column(result, "members") == [2, 2, 2, 3, 3]
    assert column(result, "coverage_pct") == [50.0, 100.0, 100.0, 100.0, 100.0]


def test_sector_members_follow_the_latest_covering_row() -> None:
    # D is in Energy from day 0 and has a later, overlapping row in Tech from day 2: from
    # day 2 on it is a Tech member only. D is halted on day 3. H (Health) has prices on
    # days 0 and 3 only, so Health has no row on days 1-2 although H is a member there.
    prices = make_prices(
        {
            "A": [10, 11, 12, 13],
            "C": [5, 6, 7, 8],
            "D": [20, 21, 22, None],
            "H": [7, None, None, 8],
        }
    )
    members = make_members(
        [
            ("large", "A", 0, None),
            ("large", "C", 0, None),
            ("large", "D", 0, None),
            ("large", "D", 2, None),
            ("large", "H", 0, None),
        ],
        sectors={("C", 0): "Energy", ("D", 0): "Energy", ("H", 0): "Health"},
    )
    result = reference_sector_breadth(prices, members)
    assert result.columns[-2:] == ["members", "coverage_pct"]

    def sector_column(name: str, sector: str) -> list[object]:
        return result.filter(pl.col("sector") == sector)[name].to_list()

    # Energy: days 0-1 C and D; days 2-3 C only (D moved) -> all priced.
    assert sector_column("members", "Energy") == [2, 2, 1, 1]
    assert sector_column("coverage_pct", "Energy") == [100.0] * 4
    # Tech: days 0-1 A; days 2-3 A and D; day 3 D is halted -> 1 of 2 = 50 %.
    assert sector_column("members", "Tech") == [1, 1, 2, 2]
    assert sector_column("coverage_pct", "Tech") == [100.0, 100.0, 100.0, 50.0]
    assert sector_column("date", "Health") == [day(0), day(3)]
    assert sector_column("members", "Health") == [1, 1]
    # the universe counts D once on every day: A, C, D, H = 4; day 1-2 H has no price.
    breadth = reference_breadth(prices, members)
    assert column(breadth, "members") == [4, 4, 4, 4]
    assert column(breadth, "coverage_pct") == [100.0, 75.0, 75.0, 75.0]


def test_duplicate_price_rows_rejected() -> None:
    prices = pl.concat([make_prices({"A": [10, 11]})] * 2)
    with pytest.raises(ValueError, match="duplicate"):
        reference_breadth(prices, make_members([("large", "A", 0, None)]))


@pytest.fixture(scope="module")
def edge_market() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The edge_market prices, members and the reference breadth computed on them."""
    prices = pl.read_csv(EDGE_MARKET / "prices.csv", try_parse_dates=True)
    members = pl.read_csv(EDGE_MARKET / "members.csv", try_parse_dates=True)
    return prices, members, reference_breadth(prices, members)


def test_edge_market_breadth_edges(
    edge_market: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    prices, members, breadth = edge_market
    first_price = prices["date"].min()
    for universe in ("large", "small"):
        b = breadth.filter(pl.col("universe") == universe)
        assert b["date"][0] == first_price
        assert b["issues"][0] == 0
        assert b["unchanged"].max() > 0
        assert b.filter(pl.col("issues") > 0)["arms_index"].null_count() > 0
        assert b["zweig_thrust"].any()
        assert b["new_highs_52w"].sum() > 0
        assert b["new_lows_52w"].sum() > 0
        # windows fill: SMA200 on the 200th date, 251 earlier closes on the 252nd.
        assert b["pct_above_sma200"][:199].null_count() == 199
        assert b["pct_above_sma200"][199:].null_count() == 0
        assert b["new_highs_52w"][:251].sum() + b["new_lows_52w"][:251].sum() == 0
        assert b["high_low_index"][:9].null_count() == 9
        assert b["high_low_index"][260:].null_count() < b.height - 260
        assert b["arms_index_10d"].drop_nulls().len() > 0
        # members without a price row (halts, late listings) pull coverage below 100.
        assert b["coverage_pct"].max() == 100.0
        assert 90.0 < b["coverage_pct"].min() < 100.0
        assert (b["members"] >= b["issues"]).all()
    large_earliest = members.filter(pl.col("universe") == "large")["valid_from"].min()
    assert first_price < large_earliest
    small = breadth.filter(pl.col("universe") == "small")
    assert (small["decliners"] == 0).any() and (small["advancers"] == 0).any()
    assert small["high_low_index"][260:].null_count() > 0
    # no Zweig EMA sits on a threshold, so float noise cannot flip the thrust.
    ema = breadth["zweig_ema10"].drop_nulls()
    assert ((ema - 0.615).abs().min() > 1e-6) and ((ema - 0.40).abs().min() > 1e-6)


def test_edge_market_fixture_shapes(
    edge_market: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    prices, members, _ = edge_market
    stocks = prices.join(members.select("ticker").unique(), on="ticker").sort("ticker", "date")
    # OHLC valid, volumes non-negative integers, every index and ETF present.
    assert prices["volume"].dtype == pl.Int64 and prices["volume"].min() >= 0
    valid = prices.select(
        (pl.col("low") > 0)
        & (pl.col("high") >= pl.max_horizontal("open", "close"))
        & (pl.col("low") <= pl.min_horizontal("open", "close"))
    ).to_series()
    assert valid.all()
    assert {"^GSPC", "^RUT", "SPY", "IWM"} <= set(prices["ticker"])
    # no close equals its own SMA50/SMA200 exactly (in cents), so float means cannot flip.
    cents = stocks.with_columns((pl.col("close") * 100).round().cast(pl.Int64).alias("c"))
    for n in (50, 200):
        window_sum = pl.col("c").rolling_sum(n).over("ticker")
        assert cents.filter(pl.col("c") * n == window_sum).height == 0
    # halts: a member missing 1-3 trading days inside its own history.
    calendar = prices.filter(pl.col("ticker") == "^GSPC")["date"].sort()
    index = {d: i for i, d in enumerate(calendar)}
    gaps = stocks.with_columns(
        pl.col("date").replace_strict(index).diff().over("ticker").alias("gap")
    )
    assert set(gaps["gap"].drop_nulls().unique()) >= {1, 2, 3, 4}
    # membership: overlapping rows, a mover small -> large, joiners and leavers in each
    # universe, a first price after valid_from.
    overlap = members.join(members, on=["universe", "ticker"]).filter(
        (pl.col("valid_from") < pl.col("valid_from_right"))
        & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col("valid_from_right")))
    )
    assert overlap.height > 0
    assert members.filter(pl.col("ticker") == "MOVER")["universe"].sort().to_list() == [
        "large",
        "small",
    ]
    for universe in ("large", "small"):
        u = members.filter(pl.col("universe") == universe)
        assert (u["valid_from"] > u["valid_from"].min()).any()
        assert u["valid_to"].null_count() < u.height
    first_seen = stocks.group_by("ticker").agg(pl.col("date").min().alias("first"))
    late = members.join(first_seen, on="ticker").filter(pl.col("first") > pl.col("valid_from"))
    assert "SIPO" in late["ticker"].to_list()
    # reverse split: adjusted close continuous, unadjusted close jumps tenfold.
    actions = pl.read_csv(EDGE_MARKET / "actions.csv", try_parse_dates=True)
    split = actions.filter((pl.col("kind") == "split") & (pl.col("value") < 1)).row(0, named=True)
    rows = stocks.filter(pl.col("ticker") == split["ticker"])
    at = rows["date"].to_list().index(split["date"])
    before, after = rows.row(at - 1, named=True), rows.row(at, named=True)
    assert 0.7 < after["close"] / before["close"] < 1.3
    assert 7 < after["unadjusted_close"] / before["unadjusted_close"] < 13
    rates = pl.read_csv(EDGE_MARKET / "rates.csv")
    assert set(rates["series"]) == {
        "ust_3m", "ust_2y", "ust_5y", "ust_10y", "ust_30y", "fed_funds", "cpi_index", "vix",
        "hy_oas",
    }  # fmt: skip


def test_edge_market_mcclellan_matches_pandas_ewm(
    edge_market: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    _, _, breadth = edge_market
    for universe in ("large", "small"):
        b = breadth.filter(pl.col("universe") == universe)
        rana = pd.Series(b["ratio_adjusted_net_advances"].to_list())
        osc = rana.ewm(span=19, adjust=False).mean() - rana.ewm(span=39, adjust=False).mean()
        assert b["mcclellan_oscillator"].to_list() == pytest.approx(osc.tolist())
        assert b["mcclellan_summation"].to_list() == pytest.approx(osc.cumsum().tolist())
        assert b["ad_line"].to_list() == b["net_advances"].cum_sum().to_list()


def test_a_close_equal_to_its_sma_to_the_cent_is_not_above_it() -> None:
    # 24 closes of 1.99, 24 of 2.01, then 2.00 twice: the mean of the last 50 is exactly
    # 2.00, the close on the 50th day; a float average gives 1.9999999999999998.
    closes = [1.99] * 24 + [2.01] * 24 + [2.00, 2.00]
    prices = make_prices({"AAA": closes})
    members = make_members([("large", "AAA", 0, None)])
    result = reference_breadth(prices, members)
    assert result["pct_above_sma50"].to_list()[-1] == 0.0
