-- The headline, the regime and the three watch signals with their inputs, on the report date.
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20'; then this query.
SELECT
    date,
    headline,
    regime,
    large_drawdown,
    ust_10y_change_21d_bp,
    fed_funds_change_63d_bp,
    rate_relief,
    corr_21d,
    small_pct_above_sma50,
    breadth_breakout,
    small_etf_relative_volume,
    small_etf_high_volume_days_5d,
    liquidity_returning
FROM marts.market_regime
WHERE date = getvariable('report_date')
