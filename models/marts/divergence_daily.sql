-- marts.divergence_daily: the small-cap benchmark against the large one. Key (date).
-- One row per trading date. Each benchmark's returns and drawdown use its own observations
-- and are left-joined; a rolling z-score or correlation is null if any value in its window
-- is null (or its deviation is 0). Benchmarks: getvariable('large_benchmark') and
-- getvariable('small_benchmark'), ^GSPC and ^RUT by default.
WITH benchmark_series AS (
    SELECT
        symbol,
        date,
        close,
        close / lag(close, 1) OVER own_series - 1 AS ret_1d,
        close / lag(close, 5) OVER own_series - 1 AS ret_5d,
        close / lag(close, 21) OVER own_series - 1 AS ret_21d,
        close / lag(close, 63) OVER own_series - 1 AS ret_63d,
        close / lag(close, 252) OVER own_series - 1 AS ret_252d,
        close / max(close) OVER (own_series ROWS UNBOUNDED PRECEDING) - 1 AS drawdown
    FROM staging.benchmark_prices
    WHERE symbol IN (getvariable('large_benchmark'), getvariable('small_benchmark'))
    WINDOW own_series AS (PARTITION BY symbol ORDER BY date)
),

large AS (
    SELECT * FROM benchmark_series WHERE symbol = getvariable('large_benchmark')
),

small AS (
    SELECT * FROM benchmark_series WHERE symbol = getvariable('small_benchmark')
),

breadth_gap AS (
    SELECT
        date,
        max(pct_above_sma50) FILTER (WHERE universe = 'small')
            - max(pct_above_sma50) FILTER (WHERE universe = 'large') AS breadth_gap_sma50
    FROM marts.breadth_daily
    GROUP BY date
),

pairs AS (
    SELECT
        trading_dates.date,
        large.close AS large_close,
        small.close AS small_close,
        large.ret_1d AS large_ret_1d,
        large.ret_5d AS large_ret_5d,
        large.ret_21d AS large_ret_21d,
        large.ret_63d AS large_ret_63d,
        large.ret_252d AS large_ret_252d,
        small.ret_1d AS small_ret_1d,
        small.ret_5d AS small_ret_5d,
        small.ret_21d AS small_ret_21d,
        small.ret_63d AS small_ret_63d,
        small.ret_252d AS small_ret_252d,
        small.close / large.close AS relative_strength,
        large.drawdown AS large_drawdown,
        small.drawdown AS small_drawdown,
        breadth_gap.breadth_gap_sma50
    FROM staging.trading_dates AS trading_dates
    LEFT JOIN large USING (date)
    LEFT JOIN small USING (date)
    LEFT JOIN breadth_gap USING (date)
),

rolling AS (
    SELECT
        *,
        count(relative_strength) OVER last_63 AS rs_count_63,
        avg(relative_strength) OVER last_63 AS rs_mean_63,
        stddev_samp(relative_strength) OVER last_63 AS rs_std_63,
        count(large_ret_1d + small_ret_1d) OVER last_21 AS returns_count_21,
        least(stddev_samp(small_ret_1d) OVER last_21, stddev_samp(large_ret_1d) OVER last_21)
            AS returns_min_std_21,
        corr(small_ret_1d, large_ret_1d) OVER last_21 AS returns_corr_21,
        count(large_ret_1d + small_ret_1d) OVER last_63 AS returns_count_63,
        least(stddev_samp(small_ret_1d) OVER last_63, stddev_samp(large_ret_1d) OVER last_63)
            AS returns_min_std_63,
        corr(small_ret_1d, large_ret_1d) OVER last_63 AS returns_corr_63
    FROM pairs
    WINDOW
        last_21 AS (ORDER BY date ROWS BETWEEN 20 PRECEDING AND CURRENT ROW),
        last_63 AS (ORDER BY date ROWS BETWEEN 62 PRECEDING AND CURRENT ROW)
)

SELECT
    date,
    large_close,
    small_close,
    large_ret_1d,
    large_ret_5d,
    large_ret_21d,
    large_ret_63d,
    large_ret_252d,
    small_ret_1d,
    small_ret_5d,
    small_ret_21d,
    small_ret_63d,
    small_ret_252d,
    small_ret_1d - large_ret_1d AS spread_1d,
    small_ret_5d - large_ret_5d AS spread_5d,
    small_ret_21d - large_ret_21d AS spread_21d,
    small_ret_63d - large_ret_63d AS spread_63d,
    small_ret_252d - large_ret_252d AS spread_252d,
    relative_strength,
    CASE
        WHEN rs_count_63 = 63 AND rs_std_63 > 0
            THEN (relative_strength - rs_mean_63) / rs_std_63
    END AS relative_strength_z63,
    CASE WHEN returns_count_21 = 21 AND returns_min_std_21 > 0 THEN returns_corr_21 END AS corr_21d,
    CASE WHEN returns_count_63 = 63 AND returns_min_std_63 > 0 THEN returns_corr_63 END AS corr_63d,
    large_drawdown,
    small_drawdown,
    breadth_gap_sma50,
    large_drawdown >= -getvariable('near_high_threshold') AS large_near_high
FROM rolling
ORDER BY date
