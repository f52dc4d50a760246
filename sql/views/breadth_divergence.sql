-- views.breadth_divergence: are small caps following? Each universe's breadth beside the
-- benchmarks' returns and the large benchmark's distance from its record, on every trading
-- date (marts.divergence_daily, marts.breadth_daily). Two flags, as in sql/examples:
-- large_strong_small_weak (large_pct_above_sma50 > 60 and small_pct_above_sma50 < 40) and
-- record_on_narrow_breadth (large_near_high and small_pct_above_sma50 < 50); each is null
-- when an input is.
-- Grain: one row per trading date (the dates of marts.divergence_daily).
WITH breadth_by_universe AS (
    SELECT
        divergence.date,
        large.pct_above_sma50 AS large_pct_above_sma50,
        small.pct_above_sma50 AS small_pct_above_sma50,
        large.pct_above_sma200 AS large_pct_above_sma200,
        small.pct_above_sma200 AS small_pct_above_sma200,
        large.net_new_highs AS large_net_new_highs,
        small.net_new_highs AS small_net_new_highs,
        large.mcclellan_summation AS large_mcclellan_summation,
        small.mcclellan_summation AS small_mcclellan_summation
    FROM marts.divergence_daily AS divergence
    LEFT JOIN marts.breadth_daily AS large
        ON large.date = divergence.date AND large.universe = 'large'
    LEFT JOIN marts.breadth_daily AS small
        ON small.date = divergence.date AND small.universe = 'small'
)

SELECT
    divergence.date,
    breadth_by_universe.large_pct_above_sma50,
    breadth_by_universe.small_pct_above_sma50,
    divergence.breadth_gap_sma50,
    breadth_by_universe.large_pct_above_sma200,
    breadth_by_universe.small_pct_above_sma200,
    breadth_by_universe.large_net_new_highs,
    breadth_by_universe.small_net_new_highs,
    breadth_by_universe.large_mcclellan_summation,
    breadth_by_universe.small_mcclellan_summation,
    divergence.large_ret_21d,
    divergence.small_ret_21d,
    divergence.spread_21d,
    divergence.spread_63d,
    divergence.relative_strength_z63,
    divergence.large_drawdown,
    divergence.large_near_high,
    breadth_by_universe.large_pct_above_sma50 > 60
        AND breadth_by_universe.small_pct_above_sma50 < 40 AS large_strong_small_weak,
    divergence.large_near_high
        AND breadth_by_universe.small_pct_above_sma50 < 50 AS record_on_narrow_breadth
FROM marts.divergence_daily AS divergence
JOIN breadth_by_universe USING (date)
ORDER BY date
