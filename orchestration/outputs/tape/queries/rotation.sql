-- Each rotation ETF's rows over the last `tail_sessions` trading dates: the dot of the chart
-- is the report date, the tail the sessions before it.
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20';
--              SET VARIABLE tail_sessions = 5; then this query.
WITH tail_sessions AS (
    SELECT date
    FROM marts.divergence_daily
    WHERE date <= getvariable('report_date')
    ORDER BY date DESC
    LIMIT getvariable('tail_sessions')
)

SELECT symbol, benchmark, date, rs_ratio, rs_momentum, quadrant
FROM marts.rotation_daily
WHERE date IN (SELECT date FROM tail_sessions)
ORDER BY symbol, date
