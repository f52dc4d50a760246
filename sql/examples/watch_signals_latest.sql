-- The latest day's tape: regime, the three watch signals for a small-cap turn with their
-- inputs, and the headline.
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
    small_etf_high_volume_days_5d,
    headline
FROM marts.market_regime
WHERE date = (SELECT max(date) FROM marts.market_regime);
