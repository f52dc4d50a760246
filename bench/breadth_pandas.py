"""`marts.breadth_daily` in plain pandas, from the raw panel (as its contract defines it).

Input: `prices` (ticker, date, close, volume) and `members` (universe, ticker, valid_from,
valid_to, ...). Output: the mart's columns, in its order, one row per (universe, date).
"""

from __future__ import annotations

import pandas as pd

from bench.breadth_polars import COLUMNS


def _series(prices: pd.DataFrame) -> pd.DataFrame:
    """Each ticker's bars with the windows of its own series (NaN until full)."""
    bars = prices[["ticker", "date", "close", "volume"]].sort_values(
        ["ticker", "date"], ignore_index=True
    )
    close = bars.groupby("ticker", sort=False)["close"]
    bars["prev_close"] = close.shift(1)
    bars["sma_50"] = close.rolling(50, min_periods=50).mean().droplevel(0)
    bars["sma_200"] = close.rolling(200, min_periods=200).mean().droplevel(0)
    previous = bars.groupby("ticker", sort=False)["prev_close"].rolling(251, min_periods=251)
    bars["prior_high"] = previous.max().droplevel(0)
    bars["prior_low"] = previous.min().droplevel(0)
    return bars


def _spans(members: pd.DataFrame) -> pd.DataFrame:
    """The days each membership row counts: rows of a universe's earliest snapshot also
    count before it (survivorship bias)."""
    spans = members[["universe", "ticker", "valid_from", "valid_to"]].copy()
    earliest = spans.groupby("universe")["valid_from"].transform("min")
    spans["counts_from"] = spans["valid_from"].where(spans["valid_from"] != earliest)
    return spans


def _covering(days: pd.DataFrame, spans: pd.DataFrame, **merge: object) -> pd.DataFrame:
    """Each row of `days` with the membership rows covering its date, once per (universe,
    ticker, date)."""
    days = days.merge(spans, **merge)
    inside = (days["counts_from"].isna() | (days["date"] >= days["counts_from"])) & (
        days["valid_to"].isna() | (days["date"] <= days["valid_to"])
    )
    return days[inside].drop_duplicates(["universe", "ticker", "date"])


def _member_days(bars: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """The bars of point-in-time members, once per (universe, ticker, date)."""
    return _covering(bars, _spans(members), on="ticker")


def _member_counts(days: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Point-in-time members of each universe on each date a member has a bar, priced or not."""
    dates = days[["date"]].drop_duplicates()
    covered = _covering(dates, _spans(members), how="cross")
    return (
        covered.groupby(["universe", "date"], as_index=False)
        .size()
        .rename(columns={"size": "members"})
    )


def _daily_counts(days: pd.DataFrame) -> pd.DataFrame:
    """The cross-sectional counts of each (universe, date)."""
    close, prev = days["close"], days["prev_close"]
    advancing, declining = close > prev, close < prev
    flags = days[["universe", "date"]].assign(
        priced=1,
        issues=prev.notna(),
        advancers=advancing,
        decliners=declining,
        unchanged=close == prev,
        above_sma50=close > days["sma_50"],
        with_sma50=days["sma_50"].notna(),
        above_sma200=close > days["sma_200"],
        with_sma200=days["sma_200"].notna(),
        new_highs_52w=close > days["prior_high"],
        new_lows_52w=close < days["prior_low"],
        up_volume=days["volume"].where(advancing, 0),
        down_volume=days["volume"].where(declining, 0),
    )
    daily = flags.groupby(["universe", "date"], as_index=False).sum()
    for n in (50, 200):
        with_sma = daily.pop(f"with_sma{n}")
        daily[f"pct_above_sma{n}"] = (
            100.0 * daily.pop(f"above_sma{n}") / with_sma.where(with_sma > 0)
        )
    return daily


def _zweig(daily: pd.DataFrame) -> pd.DataFrame:
    """Zweig EMA over the non-null advance shares; thrust against its previous 10 values."""
    shares = daily.loc[daily["advance_share"].notna(), ["universe", "advance_share"]]
    ema = (
        shares.groupby("universe", sort=False)["advance_share"]
        .ewm(span=10, adjust=False)
        .mean()
        .droplevel(0)
    )
    previous_low = (
        ema.groupby(shares["universe"])
        .shift(1)
        .groupby(shares["universe"])
        .rolling(10, min_periods=1)
        .min()
        .droplevel(0)
    )
    thrust = (ema > 0.615) & (previous_low < 0.40)
    return pd.DataFrame({"zweig_ema10": ema, "zweig_thrust": thrust.astype("boolean")})


def breadth_daily(prices: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Every column of `marts.breadth_daily`, sorted by (universe, date)."""
    days = _member_days(_series(prices), members)
    daily = _daily_counts(days).merge(_member_counts(days, members), on=["universe", "date"])
    daily["coverage_pct"] = 100.0 * daily["priced"] / daily["members"]
    adv, dec = daily["advancers"], daily["decliners"]
    up, down = daily["up_volume"], daily["down_volume"]
    highs, lows = daily["new_highs_52w"], daily["new_lows_52w"]
    decided = (adv + dec).where(adv + dec > 0)
    daily["net_advances"] = adv - dec
    daily["ratio_adjusted_net_advances"] = (1000.0 * (adv - dec) / decided).fillna(0.0)
    daily["advance_share"] = adv / decided
    daily["arms_index"] = ((adv / dec) / (up / down)).where(
        (adv > 0) & (dec > 0) & (up > 0) & (down > 0)
    )
    daily["net_new_highs"] = highs - lows
    daily["record_high_percent"] = 100.0 * highs / (highs + lows).where(highs + lows > 0)

    by_universe = daily.groupby("universe", sort=False)
    rana = by_universe["ratio_adjusted_net_advances"]
    daily["ad_line"] = by_universe["net_advances"].cumsum()
    daily["mcclellan_oscillator"] = (
        rana.ewm(span=19, adjust=False).mean() - rana.ewm(span=39, adjust=False).mean()
    ).droplevel(0)
    daily["mcclellan_summation"] = daily.groupby("universe")["mcclellan_oscillator"].cumsum()
    high_low = by_universe["record_high_percent"].rolling(10, min_periods=1).mean().droplevel(0)
    daily["high_low_index"] = high_low.where(by_universe.cumcount() >= 9)
    daily["arms_index_10d"] = (
        by_universe["arms_index"].rolling(10, min_periods=10).mean().droplevel(0)
    )
    daily = daily.join(_zweig(daily))
    return daily[list(COLUMNS)]
