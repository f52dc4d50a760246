"""`marts.breadth_daily` in idiomatic polars, from the raw panel (as its contract defines it).

Input: `prices` (ticker, date, close, volume) and `members` (universe, ticker, valid_from,
valid_to, ...). Output: the mart's columns, in its order, one row per (universe, date).
"""

from __future__ import annotations

import polars as pl

from orchestration.warehouse.contracts import load_models

BREADTH = next(m for m in load_models() if m.table == "marts.breadth_daily")
COLUMNS = tuple(column.name for column in BREADTH.columns)
COUNT_COLUMNS = (
    "issues",
    "advancers",
    "decliners",
    "unchanged",
    "new_highs_52w",
    "new_lows_52w",
    "up_volume",
    "down_volume",
)


def _series(prices: pl.LazyFrame) -> pl.LazyFrame:
    """Each ticker's bars with the windows of its own series (null until full)."""
    close = pl.col("close")
    return (
        prices.select("ticker", "date", "close", "volume")
        .sort("ticker", "date")
        .with_columns(
            close.shift(1).over("ticker").alias("prev_close"),
            close.rolling_mean(50, min_samples=50).over("ticker").alias("sma_50"),
            close.rolling_mean(200, min_samples=200).over("ticker").alias("sma_200"),
            close.shift(1).rolling_max(251, min_samples=251).over("ticker").alias("prior_high"),
            close.shift(1).rolling_min(251, min_samples=251).over("ticker").alias("prior_low"),
        )
    )


def _spans(members: pl.LazyFrame) -> pl.LazyFrame:
    """The days each membership row counts: rows of a universe's earliest snapshot also
    count before it (survivorship bias)."""
    return members.select(
        "universe",
        "ticker",
        pl.when(pl.col("valid_from") != pl.col("valid_from").min().over("universe"))
        .then(pl.col("valid_from"))
        .alias("counts_from"),
        pl.col("valid_to").alias("counts_to"),
    )


def _covering(days: pl.LazyFrame, spans: pl.LazyFrame, on: str | None) -> pl.LazyFrame:
    """Each row of `days` with the membership rows covering its date (joined on `on`, or
    every row with every span), once per (universe, ticker, date)."""
    date = pl.col("date")
    joined = days.join(spans, on=on) if on else days.join(spans, how="cross")
    return joined.filter(
        (pl.col("counts_from").is_null() | (date >= pl.col("counts_from")))
        & (pl.col("counts_to").is_null() | (date <= pl.col("counts_to")))
    ).unique(["universe", "ticker", "date"])


def _member_days(series: pl.LazyFrame, members: pl.LazyFrame) -> pl.LazyFrame:
    """The bars of point-in-time members, once per (universe, ticker, date)."""
    return _covering(series, _spans(members), on="ticker")


def _member_counts(member_days: pl.LazyFrame, members: pl.LazyFrame) -> pl.LazyFrame:
    """Point-in-time members of each universe on each date a member has a bar, priced or not."""
    dates = member_days.select("date").unique()
    return (
        _covering(dates, _spans(members), on=None)
        .group_by("universe", "date")
        .agg(pl.len().cast(pl.Int64).alias("members"))
    )


def _daily_counts(member_days: pl.LazyFrame) -> pl.LazyFrame:
    """The cross-sectional counts of each (universe, date)."""
    close, prev = pl.col("close"), pl.col("prev_close")

    def pct_above(sma: str) -> pl.Expr:
        with_sma = pl.col(sma).count()
        return pl.when(with_sma > 0).then(100.0 * (close > pl.col(sma)).sum() / with_sma)

    return (
        member_days.group_by("universe", "date")
        .agg(
            pl.len().alias("priced"),
            prev.count().alias("issues"),
            (close > prev).sum().alias("advancers"),
            (close < prev).sum().alias("decliners"),
            (close == prev).sum().alias("unchanged"),
            pct_above("sma_50").alias("pct_above_sma50"),
            pct_above("sma_200").alias("pct_above_sma200"),
            (close > pl.col("prior_high")).sum().alias("new_highs_52w"),
            (close < pl.col("prior_low")).sum().alias("new_lows_52w"),
            pl.col("volume").filter(close > prev).sum().alias("up_volume"),
            pl.col("volume").filter(close < prev).sum().alias("down_volume"),
        )
        .with_columns(pl.col(COUNT_COLUMNS).cast(pl.Int64))
        .sort("universe", "date")
    )


def _zweig(daily: pl.LazyFrame) -> pl.LazyFrame:
    """Zweig EMA over the non-null advance shares; thrust against its previous 10 values."""
    ema = pl.col("zweig_ema10")
    was_low = ema.shift(1).rolling_min(10, min_samples=1).over("universe") < 0.40
    return (
        daily.filter(pl.col("advance_share").is_not_null())
        .select(
            "universe",
            "date",
            pl.col("advance_share")
            .ewm_mean(span=10, adjust=False)
            .over("universe")
            .alias("zweig_ema10"),
        )
        .with_columns(((ema > 0.615) & was_low.fill_null(False)).alias("zweig_thrust"))
    )


def breadth_daily(prices: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Every column of `marts.breadth_daily`, sorted by (universe, date)."""
    member_days = _member_days(_series(prices.lazy()), members.lazy())
    adv, dec = pl.col("advancers"), pl.col("decliners")
    up, down = pl.col("up_volume"), pl.col("down_volume")
    highs, lows = pl.col("new_highs_52w"), pl.col("new_lows_52w")
    rana = pl.col("ratio_adjusted_net_advances")
    daily = _daily_counts(member_days).with_columns(
        (adv - dec).alias("net_advances"),
        pl.when(adv + dec > 0)
        .then(1000.0 * (adv - dec) / (adv + dec))
        .otherwise(0.0)
        .alias("ratio_adjusted_net_advances"),
        pl.when(adv + dec > 0).then(adv / (adv + dec)).alias("advance_share"),
        pl.when((adv > 0) & (dec > 0) & (up > 0) & (down > 0))
        .then((adv / dec) / (up / down))
        .alias("arms_index"),
        (highs - lows).alias("net_new_highs"),
        pl.when(highs + lows > 0).then(100.0 * highs / (highs + lows)).alias("record_high_percent"),
    )
    oscillator = rana.ewm_mean(span=19, adjust=False) - rana.ewm_mean(span=39, adjust=False)
    series = daily.with_columns(
        pl.col("net_advances").cum_sum().over("universe").alias("ad_line"),
        oscillator.over("universe").alias("mcclellan_oscillator"),
        pl.when(pl.int_range(pl.len()).over("universe") >= 9)
        .then(pl.col("record_high_percent").rolling_mean(10, min_samples=1).over("universe"))
        .alias("high_low_index"),
        pl.col("arms_index")
        .rolling_mean(10, min_samples=10)
        .over("universe")
        .alias("arms_index_10d"),
    ).with_columns(
        pl.col("mcclellan_oscillator").cum_sum().over("universe").alias("mcclellan_summation")
    )
    return (
        series.join(_zweig(daily), on=["universe", "date"], how="left")
        .join(_member_counts(member_days, members.lazy()), on=["universe", "date"], how="left")
        .with_columns((100.0 * pl.col("priced") / pl.col("members")).alias("coverage_pct"))
        .select(COLUMNS)
        .sort("universe", "date")
        .collect()
    )
