-- marts.market_regime: a readable summary of each trading day, built only from the marts.
-- Key (date). The regime is the first that holds, in order; its thresholds and the signals'
-- are settings (getvariable('regime_...'), getvariable('rate_relief_...'), ...). Signals follow SQL's three-valued logic (true OR null is
-- true). The headline joins the clauses whose inputs exist with "; " and ends with ".";
-- a return that rounds to zero is written +0.0 % whatever its sign (never "-0.0%"), and the
-- large benchmark's distance is from its high since the first stored close ("since Nov 2016").
WITH divergence AS (
    SELECT
        date,
        large_ret_1d,
        small_ret_1d,
        spread_1d,
        large_drawdown,
        large_ret_21d,
        small_ret_21d,
        spread_63d,
        corr_21d
    FROM marts.divergence_daily
),

breadth AS (
    SELECT
        date,
        max(pct_above_sma50) FILTER (WHERE universe = 'large') AS large_pct_above_sma50,
        max(pct_above_sma50) FILTER (WHERE universe = 'small') AS small_pct_above_sma50
    FROM marts.breadth_daily
    GROUP BY date
),

rate_changes AS (
    SELECT date, ust_10y_change_21d_bp, fed_funds_change_63d_bp
    FROM marts.rates_daily
),

-- The two other whys: earnings risk and flight to safety.
earnings AS (
    SELECT date, max(unprofitable_pct) FILTER (WHERE universe = 'small') AS unprofitable_small_pct
    FROM marts.earnings_daily
    GROUP BY date
),

concentration AS (
    SELECT date, max(top10_weight_pct) FILTER (WHERE universe = 'large') AS top10_weight_large_pct
    FROM marts.concentration_daily
    GROUP BY date
),

risk_appetite AS (
    SELECT date, flight_to_safety
    FROM marts.risk_appetite_daily
),

-- The small ETF's last 5 rows are its own rows in liquidity_daily, ending on the date.
small_etf_volume AS (
    SELECT
        date,
        relative_volume AS small_etf_relative_volume,
        CASE
            WHEN count(relative_volume) OVER last_5_rows = 5
                THEN count(*) FILTER (
                    WHERE relative_volume >= getvariable('liquidity_relative_volume')
                ) OVER last_5_rows
        END AS small_etf_high_volume_days_5d
    FROM marts.liquidity_daily
    WHERE symbol = getvariable('small_etf')
    WINDOW last_5_rows AS (ORDER BY date ROWS BETWEEN 4 PRECEDING AND CURRENT ROW)
),

benchmark_names AS (
    SELECT
        max(description) FILTER (WHERE symbol = getvariable('large_benchmark')) AS large_name,
        max(description) FILTER (WHERE symbol = getvariable('small_benchmark')) AS small_name,
        -- the drawdown's running max starts at the first stored close: the headline names
        -- its high since then, not a record it cannot see
        strftime(min(date) FILTER (WHERE symbol = getvariable('large_benchmark')), '%b %Y')
            AS high_since
    FROM staging.benchmark_prices
),

day_inputs AS (
    SELECT
        divergence.date,
        divergence.large_ret_1d,
        divergence.small_ret_1d,
        divergence.spread_1d,
        divergence.large_drawdown,
        divergence.large_ret_21d,
        divergence.small_ret_21d,
        divergence.spread_63d,
        breadth.large_pct_above_sma50,
        breadth.small_pct_above_sma50,
        rate_changes.ust_10y_change_21d_bp,
        rate_changes.fed_funds_change_63d_bp,
        divergence.corr_21d,
        small_etf_volume.small_etf_relative_volume,
        small_etf_volume.small_etf_high_volume_days_5d,
        earnings.unprofitable_small_pct,
        concentration.top10_weight_large_pct,
        risk_appetite.flight_to_safety
    FROM divergence
    LEFT JOIN breadth USING (date)
    LEFT JOIN rate_changes USING (date)
    LEFT JOIN small_etf_volume USING (date)
    LEFT JOIN earnings USING (date)
    LEFT JOIN concentration USING (date)
    LEFT JOIN risk_appetite USING (date)
),

classified AS (
    SELECT
        *,
        CASE
            WHEN large_ret_21d IS NULL OR small_ret_21d IS NULL OR spread_63d IS NULL
                OR large_pct_above_sma50 IS NULL OR small_pct_above_sma50 IS NULL
                THEN NULL
            WHEN large_ret_21d < 0 AND small_ret_21d < 0
                AND large_pct_above_sma50 <= getvariable('regime_decline_pct_above_sma50')
                AND small_pct_above_sma50 <= getvariable('regime_decline_pct_above_sma50')
                THEN 'broad_decline'
            WHEN large_ret_21d > 0 AND small_ret_21d > 0
                AND large_pct_above_sma50 >= getvariable('regime_rally_pct_above_sma50')
                AND small_pct_above_sma50 >= getvariable('regime_rally_pct_above_sma50')
                THEN 'broad_rally'
            WHEN spread_63d >= getvariable('regime_leadership_spread_63d')
                THEN 'small_cap_leadership'
            WHEN spread_63d <= -getvariable('regime_leadership_spread_63d')
                THEN 'large_cap_leadership'
            ELSE 'mixed'
        END AS regime,
        ust_10y_change_21d_bp <= getvariable('rate_relief_10y_change_bp')
            OR fed_funds_change_63d_bp < 0 AS rate_relief,
        corr_21d >= getvariable('breadth_breakout_corr_21d')
            AND small_pct_above_sma50 >= getvariable('breadth_breakout_pct_above_sma50')
            AS breadth_breakout,
        small_etf_high_volume_days_5d >= getvariable('liquidity_high_volume_days')
            AS liquidity_returning
    FROM day_inputs
),

headline_clauses AS (
    SELECT
        classified.date,
        CASE
            WHEN spread_1d > 0 THEN 'Small caps lead'
            WHEN spread_1d < 0 THEN 'Small caps lag'
            WHEN spread_1d = 0 THEN 'Small caps match'
        END || ': ' || small_name || ' ' || replace(printf('%+.1f', 100 * small_ret_1d), '-0.0', '+0.0')
            || '% vs ' || large_name || ' '
            || replace(printf('%+.1f', 100 * large_ret_1d), '-0.0', '+0.0') || '%' AS day_clause,
        CASE
            WHEN large_drawdown = 0 THEN large_name || ' at its high since ' || high_since
            ELSE large_name || ' ' || printf('%.1f', -100 * large_drawdown)
                || '% below its high since ' || high_since
        END AS high_clause,
        CASE
            WHEN small_etf_relative_volume >= 1 THEN getvariable('small_etf') || ' volume '
                || printf('%.0f', 100 * (small_etf_relative_volume - 1)) || '% over its 50-day average'
            ELSE getvariable('small_etf') || ' volume '
                || printf('%.0f', 100 * (1 - small_etf_relative_volume)) || '% under its 50-day average'
        END AS volume_clause,
        printf('%.0f', unprofitable_small_pct) || '% of ' || small_name
            || ' members lose money over the last year' AS earnings_clause,
        'the top 10 hold ' || printf('%.1f', top10_weight_large_pct) || '% of the '
            || large_name AS concentration_clause,
        CASE
            WHEN flight_to_safety THEN 'flight to safety: mega caps and defensives lead'
            WHEN NOT flight_to_safety THEN 'no flight to safety'
        END AS safety_clause
    FROM classified
    CROSS JOIN benchmark_names
)

SELECT
    classified.date,
    classified.large_ret_1d,
    classified.small_ret_1d,
    classified.spread_1d,
    classified.large_drawdown,
    classified.large_ret_21d,
    classified.small_ret_21d,
    classified.spread_63d,
    classified.large_pct_above_sma50,
    classified.small_pct_above_sma50,
    classified.regime,
    classified.ust_10y_change_21d_bp,
    classified.fed_funds_change_63d_bp,
    classified.rate_relief,
    classified.corr_21d,
    classified.breadth_breakout,
    classified.small_etf_relative_volume,
    classified.small_etf_high_volume_days_5d,
    classified.liquidity_returning,
    classified.unprofitable_small_pct,
    classified.top10_weight_large_pct,
    classified.flight_to_safety,
    nullif(
        concat_ws(
            '; ', day_clause, high_clause, volume_clause, earnings_clause, concentration_clause,
            safety_clause
        ),
        ''
    ) || '.' AS headline
FROM classified
JOIN headline_clauses USING (date)
ORDER BY classified.date
