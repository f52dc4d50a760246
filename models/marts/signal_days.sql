-- marts.signal_days: every watch signal on every trading date, and the small-minus-large
-- spread that followed. Key (signal, date). The signals: the four of market_regime, the
-- Zweig breadth thrust of each universe (breadth_daily) and one per regime value
-- ('regime:<name>', true on the dates market_regime gives that regime). A signal fires on a
-- date it is true and was not true (false, null or absent) on the previous trading date.
-- The fwd_ columns look ahead, by definition: the spread of the benchmarks' returns from
-- the date to h trading dates later, null while those dates are not stored or a close is
-- null. They are the only columns of the warehouse that do.
WITH signal_names AS (
    SELECT signal
    FROM (VALUES
        ('rate_relief'),
        ('breadth_breakout'),
        ('liquidity_returning'),
        ('flight_to_safety'),
        ('zweig_thrust_small'),
        ('zweig_thrust_large'),
        ('regime:broad_rally'),
        ('regime:broad_decline'),
        ('regime:small_cap_leadership'),
        ('regime:large_cap_leadership'),
        ('regime:mixed')
    ) AS names (signal)
),

-- Each signal on each trading date: true, false or null (null also where its table has no
-- row for the date).
signal_values AS (
    SELECT
        signal_names.signal,
        trading_dates.date,
        CASE signal_names.signal
            WHEN 'rate_relief' THEN regime.rate_relief
            WHEN 'breadth_breakout' THEN regime.breadth_breakout
            WHEN 'liquidity_returning' THEN regime.liquidity_returning
            WHEN 'flight_to_safety' THEN regime.flight_to_safety
            WHEN 'zweig_thrust_small' THEN small_breadth.zweig_thrust
            WHEN 'zweig_thrust_large' THEN large_breadth.zweig_thrust
            ELSE regime.regime = substr(signal_names.signal, length('regime:') + 1)
        END AS is_on
    FROM signal_names
    CROSS JOIN staging.trading_dates AS trading_dates
    LEFT JOIN marts.market_regime AS regime ON regime.date = trading_dates.date
    LEFT JOIN marts.breadth_daily AS small_breadth
        ON small_breadth.universe = 'small' AND small_breadth.date = trading_dates.date
    LEFT JOIN marts.breadth_daily AS large_breadth
        ON large_breadth.universe = 'large' AND large_breadth.date = trading_dates.date
),

benchmark_closes AS (
    SELECT trading_dates.date, divergence.large_close, divergence.small_close
    FROM staging.trading_dates AS trading_dates
    LEFT JOIN marts.divergence_daily AS divergence USING (date)
),

-- The spread of the two benchmarks' returns from each date to 5, 21 and 63 dates later.
forward_spreads AS (
    SELECT
        date,
        (lead(small_close, 5) OVER dates / small_close - 1)
            - (lead(large_close, 5) OVER dates / large_close - 1) AS fwd_spread_5d,
        (lead(small_close, 21) OVER dates / small_close - 1)
            - (lead(large_close, 21) OVER dates / large_close - 1) AS fwd_spread_21d,
        (lead(small_close, 63) OVER dates / small_close - 1)
            - (lead(large_close, 63) OVER dates / large_close - 1) AS fwd_spread_63d
    FROM benchmark_closes
    WINDOW dates AS (ORDER BY date)
)

SELECT
    signal_values.signal,
    signal_values.date,
    signal_values.is_on,
    coalesce(
        signal_values.is_on
        AND NOT coalesce(
            lag(signal_values.is_on) OVER (PARTITION BY signal_values.signal ORDER BY signal_values.date),
            false
        ),
        false
    ) AS fires,
    forward_spreads.fwd_spread_5d,
    forward_spreads.fwd_spread_21d,
    forward_spreads.fwd_spread_63d
FROM signal_values
JOIN forward_spreads USING (date)
ORDER BY signal_values.signal, signal_values.date
