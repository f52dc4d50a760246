-- views.latest_day: the latest trading day on one row. The regime, the headline and the
-- three watch signals of marts.market_regime, beside each universe's breadth from
-- marts.breadth_daily (large_* = S&P 500 members, small_* = Russell 2000 members).
-- Grain: one row, the latest date of marts.market_regime.
WITH latest_regime AS (
    SELECT
        date,
        regime,
        headline,
        large_ret_1d,
        small_ret_1d,
        spread_1d,
        large_drawdown,
        spread_63d,
        rate_relief,
        breadth_breakout,
        liquidity_returning
    FROM marts.market_regime
    WHERE date = (SELECT max(date) FROM marts.market_regime)
)

SELECT
    latest_regime.date,
    latest_regime.regime,
    latest_regime.headline,
    latest_regime.large_ret_1d,
    latest_regime.small_ret_1d,
    latest_regime.spread_1d,
    latest_regime.large_drawdown,
    latest_regime.spread_63d,
    latest_regime.rate_relief,
    latest_regime.breadth_breakout,
    latest_regime.liquidity_returning,
    large.advancers AS large_advancers,
    large.decliners AS large_decliners,
    large.pct_above_sma50 AS large_pct_above_sma50,
    large.pct_above_sma200 AS large_pct_above_sma200,
    large.new_highs_52w AS large_new_highs_52w,
    large.new_lows_52w AS large_new_lows_52w,
    large.mcclellan_oscillator AS large_mcclellan_oscillator,
    large.zweig_thrust AS large_zweig_thrust,
    small.advancers AS small_advancers,
    small.decliners AS small_decliners,
    small.pct_above_sma50 AS small_pct_above_sma50,
    small.pct_above_sma200 AS small_pct_above_sma200,
    small.new_highs_52w AS small_new_highs_52w,
    small.new_lows_52w AS small_new_lows_52w,
    small.mcclellan_oscillator AS small_mcclellan_oscillator,
    small.zweig_thrust AS small_zweig_thrust
FROM latest_regime
LEFT JOIN marts.breadth_daily AS large
    ON large.date = latest_regime.date AND large.universe = 'large'
LEFT JOIN marts.breadth_daily AS small
    ON small.date = latest_regime.date AND small.universe = 'small'
