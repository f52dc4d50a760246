"""Hand-checked tests of the mart references, and of the edges the edge_market fixture hits.

Small cases use consecutive calendar days: ``day(i)`` is the i-th observation date (the
references work on rows, not on a calendar). Volume is 100 unless a case says otherwise.
Expected values are worked by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

import polars as pl
import pytest

from tests.reference import divergence, liquidity, movers, rates, regime, rotation
from tests.reference import sector_breadth as sector
from tests.reference.breadth import reference_breadth
from tests.reference.divergence import (
    reference_divergence,
    rolling_corr,
    rolling_mean,
    rolling_zscore,
)
from tests.reference.liquidity import reference_liquidity
from tests.reference.movers import reference_movers
from tests.reference.rates import reference_rate_sensitivity, reference_rates_daily
from tests.reference.regime import (
    classify,
    headline,
    high_volume_days,
    reference_regime,
    sql_and,
    sql_or,
)
from tests.reference.rotation import quadrant, reference_rotation
from tests.reference.sector_breadth import reference_sector_breadth

EDGE_MARKET = Path(__file__).parents[1] / "fixtures" / "files" / "edge_market"
QUADRANTS = {"leading", "weakening", "lagging", "improving"}

Closes = dict[str, list[float | None]]


def day(i: int) -> dt.date:
    """The i-th observation date of a small case."""
    return dt.date(2024, 1, 1) + dt.timedelta(days=i)


def make_prices(closes: Closes, volumes: dict[str, list[int]] | None = None) -> pl.DataFrame:
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
    rows: list[tuple[str, str, int, int | None, str | None]],
    names: dict[tuple[str, int], str] | None = None,
) -> pl.DataFrame:
    """Membership rows from (universe, ticker, first day, last day or None, sector); the
    name is "<ticker> Corp" unless ``names`` has one for (ticker, first day)."""
    return pl.DataFrame(
        [
            (
                u,
                t,
                (names or {}).get((t, start), f"{t} Corp"),
                s,
                day(start),
                None if end is None else day(end),
            )
            for u, t, start, end, s in rows
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


NO_MEMBERS = make_members([])


def make_rates(rows: list[tuple[str, dt.date, float]]) -> pl.DataFrame:
    """Rate rows from (series, date, value)."""
    return pl.DataFrame(
        rows, schema={"series": pl.String, "date": pl.Date, "value": pl.Float64}, orient="row"
    )


def make_actions(rows: list[tuple[str, int, str, float]]) -> pl.DataFrame:
    """Action rows from (ticker, day, kind, value)."""
    return pl.DataFrame(
        [(t, day(d), k, v) for t, d, k, v in rows],
        schema={"ticker": pl.String, "date": pl.Date, "kind": pl.String, "value": pl.Float64},
        orient="row",
    )


def col(frame: pl.DataFrame, name: str, **where: object) -> list[object]:
    """One column of the rows matching ``where`` (column == value), in frame order."""
    for key, value in where.items():
        frame = frame.filter(
            pl.col(key).is_null() if value is None else pl.col(key) == pl.lit(value)
        )
    return frame[name].to_list()


# --- columns --------------------------------------------------------------------------


def test_column_orders() -> None:
    assert sector.COLUMNS == [
        "universe", "sector", "date", "issues", "advancers", "decliners",
        "pct_above_sma50", "pct_above_sma200", "members", "coverage_pct",
    ]  # fmt: skip
    assert divergence.COLUMNS[:8] == [
        "date", "large_close", "small_close", "large_ret_1d", "large_ret_5d", "large_ret_21d",
        "large_ret_63d", "large_ret_252d",
    ]  # fmt: skip
    assert divergence.COLUMNS[-8:] == [
        "relative_strength", "relative_strength_z63", "corr_21d", "corr_63d",
        "large_drawdown", "small_drawdown", "breadth_gap_sma50", "large_near_high",
    ]  # fmt: skip
    assert rotation.COLUMNS == [
        "symbol", "date", "benchmark", "rs_line", "rs_ratio", "rs_momentum", "quadrant",
    ]  # fmt: skip
    assert liquidity.COLUMNS == [
        "symbol", "date", "volume", "dollar_volume", "volume_sma20", "volume_sma50",
        "relative_volume", "light_volume",
    ]  # fmt: skip
    assert rates.COLUMNS == [
        "date", "ust_3m", "ust_5y", "ust_10y", "ust_30y", "ust_2y", "fed_funds", "cpi_index",
        "curve_10y_2y", "curve_10y_3m", "ust_10y_change_21d_bp", "fed_funds_change_63d_bp",
        "cpi_yoy",
    ]  # fmt: skip
    assert movers.COLUMNS == [
        "date", "ticker", "rank", "name", "sector", "ret_1d", "relative_volume",
        "catalyst_like", "split_ratio", "reverse_split",
    ]  # fmt: skip
    assert regime.COLUMNS[:11] == [
        "date", "large_ret_1d", "small_ret_1d", "spread_1d", "large_drawdown",
        "large_ret_21d", "small_ret_21d", "spread_63d", "large_pct_above_sma50",
        "small_pct_above_sma50", "regime",
    ]  # fmt: skip
    assert regime.COLUMNS[11:] == [
        "ust_10y_change_21d_bp", "fed_funds_change_63d_bp", "rate_relief", "corr_21d",
        "breadth_breakout", "small_etf_relative_volume", "small_etf_high_volume_days_5d",
        "liquidity_returning", "unprofitable_small_pct", "top10_weight_large_pct",
        "flight_to_safety", "headline",
    ]  # fmt: skip


# --- sector breadth ---------------------------------------------------------------------


def test_sector_breadth_counts_in_point_in_time_sector() -> None:
    prices = make_prices(
        {
            "A": [10, 11, 12],
            "B": [10, 9, 9],
            "C": [5, 6, 5],
            "D": [20, 21, 22],
            "E": [3, 3, 4],
        }
    )
    # D is in Energy, and from day 2 also has a later (overlapping) row in Tech: it counts
    # once, in Tech. E has no sector: a group of its own.
    members = make_members(
        [
            ("large", "A", 0, None, "Tech"),
            ("large", "B", 0, None, "Tech"),
            ("large", "C", 0, None, "Energy"),
            ("large", "D", 0, None, "Energy"),
            ("large", "D", 2, None, "Tech"),
            ("small", "E", 0, None, None),
        ]
    )
    result = reference_sector_breadth(prices, members)
    assert result.columns == sector.COLUMNS
    assert result.select("universe", "sector").unique(maintain_order=True).rows() == [
        ("large", "Energy"),
        ("large", "Tech"),
        ("small", None),
    ]
    # Energy: day 0 nobody has a previous close; day 1 C and D up; day 2 only C (down).
    assert col(result, "issues", sector="Energy") == [0, 2, 1]
    assert col(result, "advancers", sector="Energy") == [0, 2, 0]
    assert col(result, "decliners", sector="Energy") == [0, 0, 1]
    # Tech: day 1 A up, B down; day 2 A up, B tie, D up (its Tech row started).
    assert col(result, "issues", sector="Tech") == [0, 2, 3]
    assert col(result, "advancers", sector="Tech") == [0, 1, 2]
    assert col(result, "decliners", sector="Tech") == [0, 1, 0]
    assert col(result, "issues", universe="small") == [0, 1, 1]
    assert col(result, "advancers", universe="small") == [0, 0, 1]
    assert result["pct_above_sma50"].null_count() == result.height


def test_sector_breadth_sma_share_and_groups_without_sma() -> None:
    # A rises 1..51, B falls 100..50 (Tech); C is listed on day 45 only (Energy).
    prices = make_prices(
        {
            "A": [1 + i for i in range(51)],
            "B": [100 - i for i in range(51)],
            "C": [None] * 45 + [5, 6, 7, 8, 9, 10],
        }
    )
    members = make_members(
        [
            ("large", "A", 0, None, "Tech"),
            ("large", "B", 0, None, "Tech"),
            ("large", "C", 0, None, "Energy"),
        ]
    )
    result = reference_sector_breadth(prices, members)
    tech = col(result, "pct_above_sma50", sector="Tech")
    # day 49: A 50 > mean(1..50) = 25.5, B 51 < mean(100..51) = 75.5 -> 1 of 2.
    assert tech[48] is None
    assert tech[49:] == [50.0, 50.0]
    # C has no SMA_50 yet: its group's share is null; its rows start on its first price.
    assert col(result, "date", sector="Energy") == [day(i) for i in range(45, 51)]
    assert col(result, "pct_above_sma50", sector="Energy") == [None] * 6
    assert col(result, "issues", sector="Energy") == [0, 1, 1, 1, 1, 1]


# --- divergence -------------------------------------------------------------------------


def test_divergence_returns_spreads_drawdowns_with_a_missing_small_day() -> None:
    large = [100, 110, 99, 99, 110, 121, 100]
    small = [50, 40, None, 60, 30, 60, 90]
    result = reference_divergence(make_prices({"^GSPC": large, "^RUT": small}), NO_MEMBERS)
    assert result.columns == divergence.COLUMNS
    assert result["date"].to_list() == [day(i) for i in range(7)]
    assert col(result, "small_close") == [50, 40, None, 60, 30, 60, 90]
    assert col(result, "large_ret_1d") == pytest.approx(
        [None, 0.1, 99 / 110 - 1, 0.0, 110 / 99 - 1, 0.1, 100 / 121 - 1]
    )
    # ^RUT's own observations: day 3's return spans the missing day 2 (60 / 40 - 1).
    assert col(result, "small_ret_1d") == pytest.approx([None, -0.2, None, 0.5, -0.5, 1.0, 0.5])
    # 5 observations back: ^GSPC from day 5; ^RUT only on day 6 (its 6th observation).
    assert col(result, "large_ret_5d") == pytest.approx([None] * 5 + [0.21, 100 / 110 - 1])
    assert col(result, "small_ret_5d") == pytest.approx([None] * 6 + [0.8])
    assert col(result, "spread_1d") == pytest.approx(
        [None, -0.3, None, 0.5, -0.5 - (110 / 99 - 1), 0.9, 0.5 - (100 / 121 - 1)]
    )
    assert col(result, "spread_5d") == pytest.approx([None] * 6 + [0.8 - (100 / 110 - 1)])
    assert col(result, "relative_strength") == pytest.approx(
        [0.5, 40 / 110, None, 60 / 99, 30 / 110, 60 / 121, 0.9]
    )
    # running max 100, 110, 110, 110, 110, 121, 121; ^RUT 50, 50, -, 60, 60, 60, 90.
    assert col(result, "large_drawdown") == pytest.approx(
        [0, 0, 99 / 110 - 1, 99 / 110 - 1, 0, 0, 100 / 121 - 1]
    )
    assert col(result, "small_drawdown") == pytest.approx([0, -0.2, None, 0, -0.5, 0, 0])
    assert col(result, "large_near_high") == [True, True, False, False, True, True, False]
    for name in ("large_ret_252d", "corr_21d", "relative_strength_z63", "breadth_gap_sma50"):
        assert col(result, name) == [None] * 7
    # a 10 % threshold takes in the -9.1 % days.
    wide = reference_divergence(
        make_prices({"^GSPC": large, "^RUT": small}), NO_MEMBERS, near_high_threshold=0.1
    )
    assert col(wide, "large_near_high") == [True, True, True, True, True, True, False]


def test_divergence_calendar_is_the_large_benchmark() -> None:
    # ^RUT trades on day 2, ^GSPC does not: no row, but it is ^RUT's own observation.
    prices = make_prices({"^GSPC": [100, 101, None, 102], "^RUT": [10, 11, 12, 15]})
    result = reference_divergence(prices, NO_MEMBERS)
    assert result["date"].to_list() == [day(0), day(1), day(3)]
    assert col(result, "small_ret_1d") == pytest.approx([None, 0.1, 0.25])
    assert col(result, "large_ret_1d") == pytest.approx([None, 0.01, 102 / 101 - 1])


def test_rolling_helpers_by_hand() -> None:
    # mean / z over 3: [1, 2, 3] -> mean 2, std 1 -> z = 1; a null poisons its windows.
    assert rolling_mean([1, 2, 3, 4], 3) == [None, None, 2.0, 3.0]
    assert rolling_zscore([1, 2, 3, 4], 3) == pytest.approx([None, None, 1.0, 1.0])
    assert rolling_zscore([1, None, 3, 4, 5], 3) == pytest.approx([None, None, None, None, 1.0])
    assert rolling_zscore([2, 2, 2], 3) == [None, None, None]
    # corr over 3: (1,2,3) vs (2,4,6) = 1; (2,3,4) vs (4,6,9): sxy = 5, sxx = 2,
    # syy = 114/9 -> 5 / sqrt(228/9) = 15 / sqrt(228).
    assert rolling_corr([1, 2, 3, 4], [2, 4, 6, 9], 3) == pytest.approx(
        [None, None, 1.0, 15 / 228**0.5]
    )
    assert rolling_corr([1, 2, 3], [5, 5, 5], 3) == [None, None, None]


def test_divergence_windows_zero_deviation_and_breadth_gap() -> None:
    n = 70
    large = [100 + i + 3 * (i % 2) for i in range(n)]
    # ^RUT is exactly half of ^GSPC: identical daily returns, relative strength 0.5 always.
    prices = make_prices(
        {
            "^GSPC": large,
            "^RUT": [c / 2 for c in large],
            "L": large,
            "S": [200 - i for i in range(n)],
        }
    )
    members = make_members([("large", "L", 0, None, "Tech"), ("small", "S", 0, None, "Tech")])
    result = reference_divergence(prices, members)
    corr21 = col(result, "corr_21d")
    # row 0 has no return, so the first full window is rows 1-21.
    assert corr21[:21] == [None] * 21
    assert corr21[21:] == pytest.approx([1.0] * (n - 21))
    assert col(result, "corr_63d")[62] is None
    assert col(result, "corr_63d")[63] == pytest.approx(1.0)
    # rs is constant: its 63-day deviation is 0, so the z-score stays null.
    assert col(result, "relative_strength_z63") == [None] * n
    # breadth: from day 49 L is above its SMA_50 (100 %), S below (0 %) -> 0 - 100.
    gap = col(result, "breadth_gap_sma50")
    assert gap[:49] == [None] * 49
    assert gap[49:] == [-100.0] * (n - 49)


def test_divergence_null_in_window_nulls_correlation() -> None:
    n = 70
    large = [100 + i + 3 * (i % 2) for i in range(n)]
    small = [c / 2 for c in large]
    small[30] = None
    result = reference_divergence(make_prices({"^GSPC": large, "^RUT": small}), NO_MEMBERS)
    corr21 = col(result, "corr_21d")
    # row 30 (no ^RUT) is inside the windows of rows 30-50; row 31's return spans 2 days.
    assert corr21[29] == pytest.approx(1.0)
    assert corr21[30:51] == [None] * 21
    assert corr21[51] is not None and corr21[51] < 1
    assert corr21[52:] == pytest.approx([1.0] * (n - 52))
    assert col(result, "corr_63d") == [None] * n


# --- rotation ---------------------------------------------------------------------------


def test_quadrant_boundaries() -> None:
    assert quadrant(100.0, 100.0) == "leading"
    assert quadrant(100.0, 99.9) == "weakening"
    assert quadrant(99.9, 99.9) == "lagging"
    assert quadrant(99.9, 100.0) == "improving"
    assert quadrant(None, 100.0) is None
    assert quadrant(100.0, None) is None


def test_rotation_windows_count_common_rows() -> None:
    # SPY misses day 5, XLK day 7: 78 common rows. rs_line is 1 on rows 0-62, 2 after.
    n = 80
    spy = [100.0] * n
    spy[5] = None
    xlk: list[float | None] = []
    common = 0
    for i in range(n):
        if i in (5, 7):
            xlk.append(None if i == 7 else 555.0)
            continue
        xlk.append(100.0 if common < 63 else 200.0)
        common += 1
    result = reference_rotation(make_prices({"SPY": spy, "XLK": xlk}))
    assert result.columns == rotation.COLUMNS
    assert set(result["symbol"]) == {"XLK"}
    assert result.height == 78
    assert day(5) not in result["date"] and day(7) not in result["date"]
    assert set(result["benchmark"]) == {"SPY"}
    ratio = col(result, "rs_ratio")
    momentum = col(result, "rs_momentum")
    assert ratio[:62] == [None] * 62
    # row 62: SMA_10 = SMA_63 = 1 -> 100.  row 63: SMA_10 = (9 + 2) / 10 = 1.1,
    # SMA_63 over rows 1-63 = 64 / 63 -> 100 * 1.1 * 63 / 64 = 108.28125.
    # row 72: SMA_10 = 2, SMA_63 over rows 10-72 = (53 + 20) / 63 -> 100 * 126 / 73.
    assert ratio[62] == pytest.approx(100.0)
    assert ratio[63] == pytest.approx(108.28125)
    assert ratio[72] == pytest.approx(12600 / 73)
    assert momentum[:72] == [None] * 72
    # momentum on row 72: ratio(72) / ratio(62) = 126 / 73 -> leading.
    assert momentum[72] == pytest.approx(12600 / 73)
    assert col(result, "quadrant")[:72] == [None] * 72
    assert col(result, "quadrant")[72] == "leading"


def test_rotation_iwm_stays_against_spy() -> None:
    prices = make_prices(
        {"SPY": [100, 100], "RSP": [25, 50], "XLK": [50, 50], "IWM": [20, 30], "XLE": [None, 9]}
    )
    result = reference_rotation(prices, benchmark="RSP")
    assert result.select("symbol", "benchmark").unique(maintain_order=True).rows() == [
        ("IWM", "SPY"),
        ("XLE", "RSP"),
        ("XLK", "RSP"),
    ]
    assert col(result, "rs_line", symbol="XLK") == [2.0, 1.0]
    assert col(result, "rs_line", symbol="IWM") == [0.2, 0.3]
    assert col(result, "rs_line", symbol="XLE") == [9 / 50]


# --- liquidity --------------------------------------------------------------------------


def test_liquidity_volume_smas_relative_and_light_volume() -> None:
    volumes = [100] * 50 + [200] + [10] * 4
    prices = make_prices({"SPY": [10] * 55}, {"SPY": volumes})
    result = reference_liquidity(prices, NO_MEMBERS)
    assert result.columns == liquidity.COLUMNS
    assert set(result["symbol"]) == {"SPY"}
    assert col(result, "dollar_volume")[:2] == [1000.0, 1000.0]
    sma20, sma50 = col(result, "volume_sma20"), col(result, "volume_sma50")
    rv, light = col(result, "relative_volume"), col(result, "light_volume")
    assert sma20[18] is None and sma20[19] == 100.0
    assert sma50[48] is None and rv[48] is None and light[48] is None
    # day 49: SMA_50 = 100, SMA_5 = 100 -> 1.0 and not light.
    assert (sma50[49], rv[49], light[49]) == (100.0, 1.0, False)
    # day 50: SMA_50 = (49*100 + 200)/50 = 102, SMA_20 = (19*100 + 200)/20 = 105,
    # SMA_5 = (400 + 200)/5 = 120 -> 120/102 > 0.8.
    assert (sma20[50], sma50[50]) == pytest.approx((105.0, 102.0))
    assert rv[50] == pytest.approx(200 / 102)
    assert light[50] is False
    # day 54: SMA_50 over days 5-54 = (45*100 + 200 + 40)/50 = 94.8, SMA_5 = 240/5 = 48.
    assert sma50[54] == pytest.approx(94.8)
    assert rv[54] == pytest.approx(10 / 94.8)
    assert light[54] is True


def test_liquidity_zero_sma_and_universe_rows() -> None:
    prices = make_prices(
        {
            "RSP": [50] * 50,
            "A": [10, 10, 10],
            "B": [20, None, 20],
            "C": [5, 5, 5],
            "X": [1, 1, 1, 1],
        },
        {"RSP": [0] * 50, "A": [100] * 3, "B": [300] * 3, "C": [1000] * 3, "X": [9] * 4},
    )
    # C is a member on day 0 only; B is halted on day 1; X is no member.
    members = make_members(
        [
            ("large", "A", 0, None, "Tech"),
            ("large", "B", 0, None, "Tech"),
            ("large", "C", 0, 0, "Tech"),
        ]
    )
    result = reference_liquidity(prices, members)
    assert result["symbol"].unique(maintain_order=True).to_list() == ["RSP", "universe:large"]
    # RSP: SMA_50 is 0 on day 49 -> relative and light volume null.
    assert col(result, "volume_sma50", symbol="RSP")[49] == 0.0
    assert col(result, "relative_volume", symbol="RSP") == [None] * 50
    assert col(result, "light_volume", symbol="RSP") == [None] * 50
    # day 0: 100 + 300 + 1000; dollars 1000 + 6000 + 5000.  day 1: A.  day 2: A + B.
    assert col(result, "date", symbol="universe:large") == [day(0), day(1), day(2)]
    assert col(result, "volume", symbol="universe:large") == [1400, 100, 400]
    assert col(result, "dollar_volume", symbol="universe:large") == [12000.0, 1000.0, 7000.0]


# --- rates ------------------------------------------------------------------------------


def test_rates_as_of_and_cpi_release_lag() -> None:
    dates = [dt.date(2023, 1, 13), dt.date(2023, 1, 17), dt.date(2023, 2, 14), dt.date(2023, 2, 15)]
    prices = pl.DataFrame(
        {"ticker": "^GSPC", "date": dates, "close": 100.0, "volume": 1},
        schema_overrides={"volume": pl.Int64},
    )
    raw = make_rates(
        [
            ("ust_10y", dt.date(2023, 1, 13), 3.50),
            ("ust_10y", dt.date(2023, 1, 16), 3.40),  # a holiday observation still counts
            ("ust_10y", dt.date(2023, 2, 15), 3.60),
            ("ust_2y", dt.date(2023, 1, 17), 4.00),
            ("ust_3m", dt.date(2023, 2, 16), 4.70),  # after every date: never used
            ("cpi_index", dt.date(2021, 12, 1), 100.0),
            ("cpi_index", dt.date(2022, 1, 1), 101.0),
            ("cpi_index", dt.date(2022, 11, 1), 108.0),
            ("cpi_index", dt.date(2022, 12, 1), 110.0),
            ("cpi_index", dt.date(2023, 1, 1), 111.0),
            ("cpi_index", dt.date(2023, 2, 1), 112.0),
        ]
    )
    result = reference_rates_daily(prices, raw)
    assert result.columns == rates.COLUMNS
    assert col(result, "ust_10y") == [3.50, 3.40, 3.40, 3.60]
    assert col(result, "ust_2y") == [None, 4.0, 4.0, 4.0]
    assert col(result, "curve_10y_2y") == pytest.approx([None, -0.6, -0.6, -0.4])
    assert col(result, "ust_3m") == [None] * 4
    assert col(result, "curve_10y_3m") == [None] * 4
    # 2022-11 is known from 2022-12-15, 2022-12 from 2023-01-15 (a Sunday: used from the
    # 17th), 2023-01 from 2023-02-15 (not on the 14th); 2023-02 not before 2023-03-15.
    assert col(result, "cpi_index") == [108.0, 110.0, 110.0, 111.0]
    # yoy: 2022-11 has no 2021-11 -> null; 110/100 -> 10 %; 111/101.
    assert col(result, "cpi_yoy") == pytest.approx([None, 10.0, 10.0, 100 * (111 / 101 - 1)])
    assert col(result, "ust_10y_change_21d_bp") == [None] * 4
    later = reference_rates_daily(prices, raw, cpi_release_day=20)
    assert col(later, "cpi_index") == [108.0, 108.0, 110.0, 110.0]


def test_rates_changes_count_trading_rows() -> None:
    # Trading dates are every other calendar day; ust_10y is observed daily, falling 1 bp a
    # calendar day, so 21 rows back is 42 days back: -42 bp (not -21).
    n_rows = 64
    prices = make_prices({"^GSPC": [100 if i % 2 == 0 else None for i in range(2 * n_rows)]})
    raw = make_rates(
        [("ust_10y", day(d), 4.00 - 0.01 * d) for d in range(2 * n_rows)]
        + [("fed_funds", day(0), 5.33), ("fed_funds", day(80), 5.08)]
    )
    result = reference_rates_daily(prices, raw)
    ust = col(result, "ust_10y_change_21d_bp")
    assert ust[:21] == [None] * 21
    assert ust[21:] == pytest.approx([-42.0] * (n_rows - 21))
    # fed funds: the cut is on day 80 (row 40); 63 rows back only exists on row 63.
    fed = col(result, "fed_funds_change_63d_bp")
    assert fed[:63] == [None] * 63
    assert fed[63] == pytest.approx(-25.0)
    assert col(result, "fed_funds")[39:41] == [5.33, 5.08]


def _sensitivity_market(ust: list[float | None], n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """^GSPC flat (large_ret 0) and ^RUT with ret = 0.0002 * x + 0.001, x the bp change."""
    as_of: list[float] = []
    for value in ust:
        as_of.append(as_of[-1] if value is None else value)
    small = [100.0]
    for t in range(1, n):
        x = 100 * (as_of[t] - as_of[t - 1])
        small.append(small[-1] * (1 + 0.0002 * x + 0.001))
    prices = make_prices({"^GSPC": [100.0] * n, "^RUT": small})
    raw = make_rates([("ust_10y", day(d), v) for d, v in enumerate(ust) if v is not None])
    return prices, raw


def test_rate_sensitivity_beta_corr_and_no_new_yield() -> None:
    # yields alternate 4.0 / 4.1; none observed on day 40, so x(40) = 0 (not null) and
    # x(41) is the change since day 39.
    n = 70
    ust: list[float | None] = [4.0 + 0.1 * (d % 2) for d in range(n)]
    ust[40] = None
    prices, raw = _sensitivity_market(ust, n)
    result = reference_rate_sensitivity(prices, raw)
    assert result.columns == ["date", "beta_63d", "corr_63d"]
    beta, corr = col(result, "beta_63d"), col(result, "corr_63d")
    # x(0) and y(0) are null: the first full window is rows 1-63.
    assert beta[:63] == [None] * 63
    assert corr[:63] == [None] * 63
    # y = 0.0002 x + 0.001 exactly (up to float): slope 0.0002, correlation 1.
    assert beta[63:] == pytest.approx([0.0002] * (n - 63), rel=1e-6)
    assert corr[63:] == pytest.approx([1.0] * (n - 63))


def test_rate_sensitivity_null_on_zero_variance() -> None:
    n = 66
    prices, raw = _sensitivity_market([4.0] * n, n)
    result = reference_rate_sensitivity(prices, raw)
    assert col(result, "beta_63d") == [None] * n
    assert col(result, "corr_63d") == [None] * n


# --- movers -----------------------------------------------------------------------------


def _movers_market() -> tuple[pl.DataFrame, pl.DataFrame]:
    prices = make_prices(
        {
            "A": [10, 11, 11],  # +10 %, then 0
            "B": [20, 22, 22],  # +10 %: exactly A's double, then 0
            "C": [10, 8.5, 8.5],  # -15 %
            "D": [4, 4, 4.4],  # 0, then +10 % (4.4 / 4 is the double of 1.1 too)
            "E": [5, None, 5.5],  # halted on day 1; day 2 against the close before: +10 %
            "L": [10, 20, 40],  # large: never a small mover
            "X": [10, 30, 90],  # no member
            "Q": [10, 30, 90],  # left the small universe after day 0
        }
    )
    members = make_members(
        [
            ("small", "A", 0, None, "Tech"),
            ("small", "B", 0, None, "Tech"),
            ("small", "B", 2, None, "Energy"),
            ("small", "C", 0, None, "Tech"),
            ("small", "D", 0, None, "Tech"),
            ("small", "E", 0, None, "Tech"),
            ("small", "Q", 0, 0, "Tech"),
            ("large", "L", 0, None, "Tech"),
        ],
        names={("B", 2): "B Inc"},
    )
    return prices, members


def test_movers_rank_ties_and_columns() -> None:
    prices, members = _movers_market()
    actions = make_actions(
        [("A", 1, "split", 0.5), ("C", 1, "split", 2.0), ("D", 1, "dividend", 0.1)]
    )
    result = reference_movers(prices, members, actions)
    assert result.columns == movers.COLUMNS
    # day 0: nobody has a previous close -> no rows.
    assert result["date"].unique().to_list() == [day(1), day(2)]
    # day 1: C |-0.15|, then the A/B tie broken by ticker, then D (0).  n = 4 < 20.
    assert col(result, "ticker", date=day(1)) == ["C", "A", "B", "D"]
    assert col(result, "rank", date=day(1)) == [1, 2, 3, 4]
    ret = col(result, "ret_1d", date=day(1))
    assert ret == pytest.approx([-0.15, 0.1, 0.1, 0.0])
    assert ret[1] == ret[2]
    # day 2: D and E tie at +10 %, then A, B, C tie at 0.
    assert col(result, "ticker", date=day(2)) == ["D", "E", "A", "B", "C"]
    # B's later row (valid from day 2) names it from day 2.
    assert col(result, "name", ticker="B") == ["B Corp", "B Inc"]
    assert col(result, "sector", ticker="B") == ["Tech", "Energy"]
    # splits on day 1: C forward (2), A reverse (0.5); D's dividend is no split.
    assert col(result, "split_ratio", date=day(1)) == [2.0, 0.5, None, None]
    assert col(result, "reverse_split", date=day(1)) == [False, True, False, False]
    assert col(result, "reverse_split", date=day(2)) == [False] * 5
    # fewer than 50 observations: relative volume and catalyst_like null.
    assert result["relative_volume"].null_count() == result.height
    assert result["catalyst_like"].null_count() == result.height


def test_movers_cut_splits_a_tie_and_no_actions_gives_nulls() -> None:
    prices, members = _movers_market()
    top2 = reference_movers(prices, members, None, top_n=2)
    # the A/B tie at ranks 2-3 is cut after A (ticker order).
    assert col(top2, "ticker", date=day(1)) == ["C", "A"]
    assert col(top2, "ticker", date=day(2)) == ["D", "E"]
    assert top2["split_ratio"].null_count() == top2.height
    assert top2["reverse_split"].null_count() == top2.height
    empty = reference_movers(prices, members, make_actions([]))
    assert empty["reverse_split"].null_count() == empty.height


def test_movers_relative_volume_and_catalyst() -> None:
    volumes = [100] * 50 + [400, 100]
    prices = make_prices({"A": [10 + i % 2 for i in range(52)]}, {"A": volumes})
    members = make_members([("small", "A", 0, None, "Tech")])
    result = reference_movers(prices, members, make_actions([]))
    rv, catalyst = col(result, "relative_volume"), col(result, "catalyst_like")
    # rows are days 1-51 (row k is day k + 1).  day 48: 49 observations -> null.
    assert (rv[47], catalyst[47]) == (None, None)
    # day 49: SMA_50 = 100 -> 1.0.  day 50: SMA_50 = (4900 + 400)/50 = 106 -> 400/106 >= 3.
    # day 51: days 2-51 = 4800 + 400 + 100 = 5300 -> 106 -> 100/106.
    assert (rv[48], catalyst[48]) == (1.0, False)
    assert rv[49] == pytest.approx(400 / 106) and catalyst[49] is True
    assert rv[50] == pytest.approx(100 / 106) and catalyst[50] is False


# --- regime -----------------------------------------------------------------------------


def test_sql_three_valued_logic() -> None:
    assert sql_or(True, None) is True
    assert sql_or(False, None) is None
    assert sql_or(False, False) is False
    assert sql_and(False, None) is False
    assert sql_and(True, None) is None
    assert sql_and(True, True) is True


def test_classify_order_thresholds_and_nulls() -> None:
    # broad decline also has spread <= -0.05, but comes first; 40 is inclusive.
    assert classify(-0.01, -0.02, 40.0, 30.0, -0.10) == "broad_decline"
    assert classify(0.01, 0.02, 60.0, 75.0, 0.10) == "broad_rally"
    assert classify(0.01, -0.02, 70.0, 70.0, 0.05) == "small_cap_leadership"
    assert classify(0.01, 0.02, 59.9, 70.0, -0.05) == "large_cap_leadership"
    # a 0 return is not < 0: no broad decline.
    assert classify(0.0, -0.02, 30.0, 30.0, 0.0) == "mixed"
    assert classify(None, -0.02, 30.0, 30.0, 0.0) is None
    assert classify(-0.01, -0.02, 30.0, 30.0, None) is None
    assert classify(0.01, 0.02, 60.0, 60.0, 0.0, rally_pct=70.0) == "mixed"


def _tape(
    small: float | None, large: float | None, drawdown: float | None, rv: float | None
) -> dict[str, object]:
    spread = None if small is None or large is None else small - large
    return {
        "small_ret_1d": small,
        "large_ret_1d": large,
        "spread_1d": spread,
        "large_drawdown": drawdown,
        "small_etf_relative_volume": rv,
    }


def test_headline_template() -> None:
    assert headline(_tape(-0.003, 0.008, -0.004, 0.82)) == (
        "Small caps lag: Russell 2000 -0.3% vs S&P 500 +0.8%; "
        "S&P 500 0.4% below its high since Jan 2024; IWM volume 18% under its 50-day average."
    )
    assert headline(_tape(0.012, 0.0049, 0.0, 1.5)) == (
        "Small caps lead: Russell 2000 +1.2% vs S&P 500 +0.5%; S&P 500 at its high since Jan 2024; "
        "IWM volume 50% over its 50-day average."
    )
    assert headline(_tape(0.0, 0.0, None, 1.0)) == (
        "Small caps match: Russell 2000 +0.0% vs S&P 500 +0.0%; "
        "IWM volume 0% over its 50-day average."
    )
    # a tiny loss rounds to zero, written +0.0% (the verb still says it lags).
    assert headline(_tape(-0.0001, 0.0, None, None)) == (
        "Small caps lag: Russell 2000 +0.0% vs S&P 500 +0.0%."
    )
    assert (
        headline(_tape(None, 0.01, -0.1234, None)) == "S&P 500 12.3% below its high since Jan 2024."
    )
    assert headline(_tape(None, None, None, None)) is None


def test_high_volume_days_need_five_non_null_rows() -> None:
    values = [1.3, 1.2, 1.0, 1.5, 1.25, None, 1.3, 1.3, 1.3, 1.3, 1.3]
    # row 4: 1.3, 1.2, 1.0, 1.5, 1.25 -> 4 (1.2 counts); rows 5-9 hold the null.
    assert high_volume_days(values) == [None] * 4 + [4] + [None] * 5 + [5]


def test_regime_tiny_market_rows_and_headlines() -> None:
    prices = make_prices({"^GSPC": [100, 102, 101], "^RUT": [50, 49.5, 50]})
    result = reference_regime(prices, NO_MEMBERS, make_rates([]))
    assert result.columns == regime.COLUMNS
    assert result.height == 3
    assert col(result, "headline") == [
        "S&P 500 at its high since Jan 2024.",
        "Small caps lag: Russell 2000 -1.0% vs S&P 500 +2.0%; S&P 500 at its high since Jan 2024.",
        "Small caps lead: Russell 2000 +1.0% vs S&P 500 -1.0%; S&P 500 1.0% below its high "
        "since Jan 2024.",
    ]
    for name in ("regime", "rate_relief", "breadth_breakout", "small_etf_relative_volume"):
        assert col(result, name) == [None] * 3
    assert col(result, "liquidity_returning") == [None] * 3


# --- the edge_market fixture ------------------------------------------------------------


@pytest.fixture(scope="module")
def market() -> dict[str, pl.DataFrame]:
    """The edge_market files, as the files source lays them out."""
    return {
        name: pl.read_csv(EDGE_MARKET / f"{name}.csv", try_parse_dates=True)
        for name in ("prices", "members", "rates", "actions")
    }


@pytest.fixture(scope="module")
def calendar(market: dict[str, pl.DataFrame]) -> list[dt.date]:
    """The dates of ^GSPC."""
    return market["prices"].filter(pl.col("ticker") == "^GSPC")["date"].sort().to_list()


RUT_MISSING = dt.date(2023, 5, 26)
IWM_MISSING = dt.date(2023, 12, 1)
XLRE_MISSING = dt.date(2023, 9, 21)
NEW_RATES_MISSING = dt.date(2023, 10, 19)


def test_edge_market_sector_breadth(market: dict[str, pl.DataFrame]) -> None:
    prices, members = market["prices"], market["members"]
    result = reference_sector_breadth(prices, members)
    breadth = reference_breadth(prices, members)
    for universe in ("large", "small"):
        assert result.filter(pl.col("universe") == universe)["sector"].n_unique() == 11
    # summed over sectors, every (universe, date) matches breadth_daily: each ticker once.
    totals = result.group_by("universe", "date").agg(pl.col("issues", "advancers").sum())
    joined = breadth.join(totals, on=["universe", "date"], how="left", suffix="_s")
    assert joined["issues"].to_list() == joined["issues_s"].to_list()
    assert joined["advancers"].to_list() == joined["advancers_s"].to_list()
    # SOVLP's Industrials row starts 2023-07-12 (overlapping its Real Estate row).
    switch = dt.date(2023, 7, 12)
    before = dt.date(2023, 7, 11)
    assert members.filter((pl.col("ticker") == "SOVLP") & (pl.col("sector") == "Industrials"))[
        "valid_from"
    ].to_list() == [switch]
    small = result.filter(pl.col("universe") == "small")
    assert col(small, "issues", sector="Real Estate", date=before) == [4]
    assert col(small, "issues", sector="Real Estate", date=switch) == [3]
    assert col(small, "issues", sector="Industrials", date=before) == [4]
    assert col(small, "issues", sector="Industrials", date=switch) == [5]
    # every sector's first row has 0 issues; SMA windows fill on the 50th date.
    first = result.group_by("universe", "sector").agg(pl.all().sort_by("date").first())
    assert set(first["issues"]) == {0}
    dates = sorted(set(result["date"]))
    assert result.filter(pl.col("date") < dates[49])["pct_above_sma50"].null_count() == (
        result.filter(pl.col("date") < dates[49]).height
    )
    assert result.filter(pl.col("date") >= dates[49])["pct_above_sma50"].drop_nulls().len() > 0


def test_edge_market_divergence(market: dict[str, pl.DataFrame], calendar: list[dt.date]) -> None:
    prices = market["prices"]
    result = reference_divergence(prices, market["members"])
    assert result["date"].to_list() == calendar
    i = calendar.index(RUT_MISSING)
    row = result.row(i, named=True)
    # the row exists, ^RUT's side is null, ^GSPC's is not.
    assert row["large_close"] is not None and row["large_ret_1d"] is not None
    for name in ("small_close", "small_ret_1d", "small_ret_21d", "spread_1d", "small_drawdown"):
        assert row[name] is None, name
    rut = dict(prices.filter(pl.col("ticker") == "^RUT").select("date", "close").iter_rows())
    assert col(result, "small_ret_1d")[i + 1] == pytest.approx(
        rut[calendar[i + 1]] / rut[calendar[i - 1]] - 1
    )
    # the null sits in the 21 (63) windows from that row on.
    corr21, z63 = col(result, "corr_21d"), col(result, "relative_strength_z63")
    assert corr21[:21] == [None] * 21 and None not in corr21[21:i]
    assert corr21[i : i + 21] == [None] * 21 and corr21[i + 21] is not None
    assert z63[:62] == [None] * 62 and None not in z63[62:i]
    assert z63[i : i + 63] == [None] * 63 and z63[i + 63] is not None
    # windows fill: 252 observations back first exists on row 252.
    assert col(result, "large_ret_252d")[:252] == [None] * 252
    assert None not in col(result, "large_ret_252d")[252:]
    # records, and ^GSPC within 2 % of its record while small caps crash.
    drawdown = col(result, "large_drawdown")
    assert sum(d == 0 for d in drawdown[1:]) > 10
    weak = result.filter(
        pl.col("large_near_high") & (pl.col("large_drawdown") < 0) & (pl.col("spread_21d") < -0.1)
    )
    assert weak.height > 0
    assert not result["large_near_high"].all()
    assert col(result, "breadth_gap_sma50")[:49] == [None] * 49
    assert col(result, "breadth_gap_sma50")[49] is not None


def test_edge_market_rotation(market: dict[str, pl.DataFrame], calendar: list[dt.date]) -> None:
    result = reference_rotation(market["prices"])
    symbols = set(rotation.SECTOR_ETFS) | set(rotation.STYLE_ETFS) | {"IWM"}
    assert set(result["symbol"]) == symbols
    assert set(result["benchmark"]) == {"SPY"}
    for symbol in symbols:
        rows = result.filter(pl.col("symbol") == symbol)
        assert set(rows["quadrant"].drop_nulls()) == QUADRANTS, symbol
        assert rows["rs_ratio"][:62].null_count() == 62
        assert rows["rs_ratio"][62:].null_count() == 0
        assert rows["rs_momentum"][:72].null_count() == 72
        assert rows["rs_momentum"][72:].null_count() == 0
    heights = dict(result.group_by("symbol").len().iter_rows())
    # XLRE, IWM and XLU (the defensive side of marts.risk_appetite_daily) miss a day each
    assert heights.pop("XLRE") == heights.pop("IWM") == heights.pop("XLU") == len(calendar) - 1
    assert set(heights.values()) == {len(calendar)}
    assert XLRE_MISSING not in col(result, "date", symbol="XLRE")
    assert IWM_MISSING not in col(result, "date", symbol="IWM")


def test_edge_market_liquidity(market: dict[str, pl.DataFrame], calendar: list[dt.date]) -> None:
    prices, members = market["prices"], market["members"]
    result = reference_liquidity(prices, members)
    heights = dict(result.group_by("symbol").len().iter_rows())
    assert heights == {
        "IWM": 319,
        "RSP": 320,
        "SPY": 320,
        "^GSPC": 320,
        "^RUT": 319,
        "universe:large": 320,
        "universe:small": 320,
    }
    assert RUT_MISSING not in col(result, "date", symbol="^RUT")
    for symbol in heights:
        rows = result.filter(pl.col("symbol") == symbol)
        assert rows["volume_sma50"][:49].null_count() == 49
        assert rows["volume_sma50"][49:].null_count() == 0
        assert rows["relative_volume"][:49].null_count() == 49
    assert set(result["light_volume"].drop_nulls()) == {True, False}
    # universe:small on one date against a plain point-in-time sum.
    on = dt.date(2024, 1, 19)
    tickers = (
        members.filter(
            (pl.col("universe") == "small")
            & (pl.col("valid_from") <= on)
            & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= on))
        )["ticker"]
        .unique()
        .implode()
    )
    today = prices.filter((pl.col("date") == on) & pl.col("ticker").is_in(tickers))
    assert col(result, "volume", symbol="universe:small", date=on) == [today["volume"].sum()]
    assert col(result, "dollar_volume", symbol="universe:small", date=on) == pytest.approx(
        [(today["close"] * today["volume"]).sum()]
    )


def test_edge_market_rates(market: dict[str, pl.DataFrame], calendar: list[dt.date]) -> None:
    raw = market["rates"]
    result = reference_rates_daily(market["prices"], raw)
    assert result["date"].to_list() == calendar

    def value(series: str, on: dt.date) -> float:
        return col(raw, "value", series=series, date=on)[0]

    def cpi(year: int, month: int) -> float:
        return value("cpi_index", dt.date(year, month, 1))

    # the CPI of 2023-01 is not used before 2023-02-15; 2022-12's not before the 15th of
    # January (a Sunday; the 16th a holiday), and only then does cpi_yoy exist.
    assert col(result, "cpi_index", date=dt.date(2023, 2, 14)) == [cpi(2022, 12)]
    assert col(result, "cpi_index", date=dt.date(2023, 2, 15)) == [cpi(2023, 1)]
    assert col(result, "cpi_index", date=dt.date(2023, 1, 13)) == [cpi(2022, 11)]
    assert col(result, "cpi_yoy", date=dt.date(2023, 1, 13)) == [None]
    assert col(result, "cpi_yoy", date=dt.date(2023, 1, 17)) == pytest.approx(
        [100 * (cpi(2022, 12) / cpi(2021, 12) - 1)]
    )
    assert result.filter(pl.col("cpi_yoy").is_null())["date"].max() == dt.date(2023, 1, 13)
    assert not {cpi(2024, 3), cpi(2024, 4)} & set(result["cpi_index"])
    # a missing trading day takes the last known value.
    previous = dt.date(2023, 10, 18)
    for series in ("ust_3m", "ust_5y", "ust_30y"):
        assert not col(raw, "value", series=series, date=NEW_RATES_MISSING)
        assert col(result, series, date=NEW_RATES_MISSING) == [value(series, previous)]
    assert col(result, "ust_10y", date=dt.date(2023, 2, 15)) == [
        value("ust_10y", dt.date(2023, 2, 14))
    ]
    # a fall of 25 bp or more in 21 days, never exactly on the threshold; the cut.
    ust = result["ust_10y_change_21d_bp"]
    assert ust[:21].null_count() == 21 and ust[21:].null_count() == 0
    assert (ust <= -25).any()
    assert ((ust + 25).abs() > 1e-6).all()
    fed = result["fed_funds_change_63d_bp"]
    assert fed[:63].null_count() == 63
    assert col(result, "fed_funds_change_63d_bp", date=dt.date(2024, 3, 20)) == [0.0]
    assert col(result, "fed_funds_change_63d_bp", date=dt.date(2024, 3, 21))[0] < 0
    assert (fed.drop_nulls() > 0).any()


def test_edge_market_rate_sensitivity(
    market: dict[str, pl.DataFrame], calendar: list[dt.date]
) -> None:
    result = reference_rate_sensitivity(market["prices"], market["rates"])
    assert result["date"].to_list() == calendar
    i = calendar.index(RUT_MISSING)
    for name in ("beta_63d", "corr_63d"):
        values = col(result, name)
        assert values[:63] == [None] * 63
        assert None not in values[63:i]
        assert values[i : i + 63] == [None] * 63
        assert None not in values[i + 63 :]


def test_edge_market_movers(market: dict[str, pl.DataFrame]) -> None:
    prices, members, actions = market["prices"], market["members"], market["actions"]
    result = reference_movers(prices, members, actions)
    small = reference_breadth(prices, members).filter(pl.col("universe") == "small")
    # exactly min(20, n) rows per date, n the small members with a previous close.
    expected = {d: min(20, n) for d, n in small.select("date", "issues").iter_rows() if n > 0}
    assert dict(result.group_by("date").len().iter_rows()) == expected
    # n >= 20 on every date of the fixture (n < 20 is in test_movers_rank_ties_and_columns).
    assert set(expected.values()) == {20}
    # ordered by abs(ret_1d), ties by ticker; ranks 1..k.
    pairs = 0
    for (_,), rows in result.group_by("date", maintain_order=True):
        assert rows["rank"].to_list() == list(range(1, rows.height + 1))
        keys = [(-abs(r), t) for r, t in zip(rows["ret_1d"], rows["ticker"], strict=True)]
        assert keys == sorted(keys)
        pairs += sum(a[0] == b[0] for a, b in itertools.pairwise(keys))
    assert pairs > 100
    # the twin S00 ties S02 and comes first; on some dates the cut leaves S02 out.
    both = result.filter(pl.col("ticker").is_in(["S00", "S02"]))
    by_date = both.group_by("date").agg(pl.col("ticker"), pl.col("rank"))
    tied = [r for r in by_date.iter_rows(named=True) if len(r["ticker"]) == 2]
    assert tied and all(
        dict(zip(r["ticker"], r["rank"], strict=True))["S02"]
        == dict(zip(r["ticker"], r["rank"], strict=True))["S00"] + 1
        for r in tied
    )
    assert any(r["ticker"] == ["S00"] and r["rank"] == [20] for r in by_date.iter_rows(named=True))
    # the 1-for-10 reverse split of a small member, on its day.
    split = result.filter(pl.col("split_ratio").is_not_null())
    assert split.select("date", "ticker", "split_ratio", "reverse_split").rows() == [
        (dt.date(2023, 11, 2), "SRSPL", 0.1, True)
    ]
    assert result["reverse_split"].null_count() == 0
    # relative volume needs 50 own observations; a catalyst somewhere.
    dates = sorted(set(prices["date"]))
    assert result.filter(pl.col("date") < dates[49])["relative_volume"].null_count() == (
        result.filter(pl.col("date") < dates[49]).height
    )
    assert result["catalyst_like"].any()
    # SOVLP's name follows its membership rows.
    assert set(col(result, "name", ticker="SOVLP")) == {"Sovlp Corp", "Sovlp Inc"}
    no_actions = reference_movers(prices, members, None)
    assert no_actions["reverse_split"].null_count() == no_actions.height


HEADLINE = re.compile(
    r"^(Small caps (lead|lag|match): Russell 2000 [+-]\d+\.\d% vs S&P 500 [+-]\d+\.\d%; )?"
    r"S&P 500 (at|\d+\.\d% below) its high since Jan 2023"
    r"(; IWM volume \d+% (over|under) its 50-day average)?"
    r"(; \d+% of Russell 2000 members lose money over the last year)?"
    r"(; the top 10 hold \d+\.\d% of the S&P 500)?"
    r"(; (flight to safety: mega caps and defensives lead|no flight to safety))?\.$"
)


def test_edge_market_regime(market: dict[str, pl.DataFrame], calendar: list[dt.date]) -> None:
    result = reference_regime(market["prices"], market["members"], market["rates"])
    assert result["date"].to_list() == calendar
    assert set(result["regime"]) == {*regime.REGIMES, None}
    for name in ("rate_relief", "breadth_breakout", "liquidity_returning"):
        assert set(result[name]) == {True, False, None}, name
    # true OR null, false AND null.
    assert result.filter(pl.col("rate_relief") & pl.col("fed_funds_change_63d_bp").is_null()).height
    assert result.filter(pl.col("breadth_breakout").not_() & pl.col("corr_21d").is_null()).height
    # ^RUT's missing day: no regime that day, one on its neighbours.
    i = calendar.index(RUT_MISSING)
    regimes = col(result, "regime")
    assert regimes[i] is None and None not in (regimes[i - 1], regimes[i + 1])
    # IWM's missing day: its columns null that day, its own last 5 rows the next.
    j = calendar.index(IWM_MISSING)
    assert col(result, "small_etf_relative_volume")[j] is None
    assert col(result, "small_etf_high_volume_days_5d")[j] is None
    assert col(result, "small_etf_high_volume_days_5d")[j + 1] is not None
    # the volume surge of the crash: liquidity returning on 3+ of 5 days.
    crash = result.filter(pl.col("date").is_between(dt.date(2024, 1, 19), dt.date(2024, 2, 12)))
    assert crash["liquidity_returning"].any()
    assert crash["small_etf_high_volume_days_5d"].max() == 5
    # the breadth share sits exactly on 60 on some rally rows: the inclusive bound matters.
    assert result.filter(
        (pl.col("small_pct_above_sma50") == 60.0) & (pl.col("regime") == "broad_rally")
    ).height
    # every headline follows the template, and each variant occurs.
    lines = result["headline"].to_list()
    assert all(HEADLINE.match(line) for line in lines)
    assert lines[0] == "S&P 500 at its high since Jan 2023."
    for fragment in ("Small caps lead:", "Small caps lag:", "at its high since", "% below its"):
        assert any(fragment in line for line in lines), fragment
    assert any(" over its" in line for line in lines)
    assert any(" under its" in line for line in lines)
