-- Each universe's breadth on the report date: one row for large, one for small.
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20'; then this query.
SELECT
    universe,
    issues, advancers, decliners, unchanged, net_advances,
    pct_above_sma50, pct_above_sma200,
    new_highs_52w, new_lows_52w, high_low_index,
    mcclellan_oscillator, mcclellan_summation,
    arms_index, arms_index_10d,
    zweig_ema10, zweig_thrust,
    ad_line,
    members, coverage_pct
FROM marts.breadth_daily
WHERE date = getvariable('report_date')
