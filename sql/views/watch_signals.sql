-- views.watch_signals: the three watch signals for a small-cap turn on every trading date,
-- each beside the inputs it is decided on (marts.market_regime, with the thresholds it was
-- built with, in meta.settings; the defaults are): rate_relief (ust_10y_change_21d_bp <= -25
-- or fed_funds_change_63d_bp < 0), breadth_breakout (corr_21d >= 0.8 and
-- small_pct_above_sma50 >= 60), liquidity_returning (small_etf_high_volume_days_5d >= 3, a
-- day counting when relative volume >= 1.2). signals_on counts the true ones (a null counts as
-- not on); newly_on names those true today that were not true on the previous date.
-- Grain: one row per trading date.
WITH signals AS (
    SELECT
        date,
        regime,
        rate_relief,
        ust_10y_change_21d_bp,
        fed_funds_change_63d_bp,
        breadth_breakout,
        corr_21d,
        small_pct_above_sma50,
        liquidity_returning,
        small_etf_relative_volume,
        small_etf_high_volume_days_5d,
        coalesce(lag(rate_relief) OVER by_date, false) AS rate_relief_before,
        coalesce(lag(breadth_breakout) OVER by_date, false) AS breadth_breakout_before,
        coalesce(lag(liquidity_returning) OVER by_date, false) AS liquidity_returning_before
    FROM marts.market_regime
    WINDOW by_date AS (ORDER BY date)
)

SELECT
    date,
    regime,
    (rate_relief IS TRUE)::INTEGER
        + (breadth_breakout IS TRUE)::INTEGER
        + (liquidity_returning IS TRUE)::INTEGER AS signals_on,
    nullif(
        concat_ws(
            ', ',
            CASE WHEN rate_relief AND NOT rate_relief_before THEN 'rate_relief' END,
            CASE WHEN breadth_breakout AND NOT breadth_breakout_before THEN 'breadth_breakout' END,
            CASE
                WHEN liquidity_returning AND NOT liquidity_returning_before
                    THEN 'liquidity_returning'
            END
        ),
        ''
    ) AS newly_on,
    -- each signal and its inputs, in the order of the CTE above
    * EXCLUDE (
        date, regime, rate_relief_before, breadth_breakout_before, liquidity_returning_before
    )
FROM signals
ORDER BY date
