-- The line charts' data: the last `lookback_sessions` trading dates ending on the report date.
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20';
--              SET VARIABLE lookback_sessions = 252; then this query.
WITH sessions AS (
    SELECT date
    FROM marts.divergence_daily
    WHERE date <= getvariable('report_date')
    ORDER BY date DESC
    LIMIT getvariable('lookback_sessions')
),

breadth_by_universe AS (
    SELECT
        date,
        max(pct_above_sma50) FILTER (WHERE universe = 'large') AS large_pct_above_sma50,
        max(pct_above_sma50) FILTER (WHERE universe = 'small') AS small_pct_above_sma50,
        max(ad_line) FILTER (WHERE universe = 'large') AS large_ad_line,
        max(ad_line) FILTER (WHERE universe = 'small') AS small_ad_line
    FROM marts.breadth_daily
    WHERE date IN (SELECT date FROM sessions)
    GROUP BY date
),

earnings_by_universe AS (
    SELECT
        date,
        max(unprofitable_pct) FILTER (WHERE universe = 'large') AS large_unprofitable_pct,
        max(unprofitable_pct) FILTER (WHERE universe = 'small') AS small_unprofitable_pct
    FROM marts.earnings_daily
    WHERE date IN (SELECT date FROM sessions)
    GROUP BY date
),

large_concentration AS (
    SELECT date, top10_weight_pct AS large_top10_weight_pct,
        cap_minus_equal_21d AS large_cap_minus_equal_21d
    FROM marts.concentration_daily
    WHERE universe = 'large' AND date IN (SELECT date FROM sessions)
)

SELECT
    sessions.date,
    divergence.relative_strength,
    divergence.relative_strength_z63,
    divergence.spread_63d,
    rates.ust_10y,
    breadth_by_universe.large_pct_above_sma50,
    breadth_by_universe.small_pct_above_sma50,
    breadth_by_universe.large_ad_line,
    breadth_by_universe.small_ad_line,
    earnings_by_universe.large_unprofitable_pct,
    earnings_by_universe.small_unprofitable_pct,
    large_concentration.large_top10_weight_pct,
    large_concentration.large_cap_minus_equal_21d
FROM sessions
LEFT JOIN marts.divergence_daily AS divergence USING (date)
LEFT JOIN marts.rates_daily AS rates USING (date)
LEFT JOIN breadth_by_universe USING (date)
LEFT JOIN earnings_by_universe USING (date)
LEFT JOIN large_concentration USING (date)
ORDER BY sessions.date
