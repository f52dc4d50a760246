-- Both benchmarks' closes, returns over 1, 5, 21 and 63 sessions, their spreads and the
-- relative strength, on the report date.
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20'; then this query.
SELECT
    large_close, small_close,
    large_ret_1d, large_ret_5d, large_ret_21d, large_ret_63d,
    small_ret_1d, small_ret_5d, small_ret_21d, small_ret_63d,
    spread_1d, spread_5d, spread_21d, spread_63d,
    relative_strength, relative_strength_z63,
    corr_21d, corr_63d,
    large_drawdown, small_drawdown,
    breadth_gap_sma50
FROM marts.divergence_daily
WHERE date = getvariable('report_date')
