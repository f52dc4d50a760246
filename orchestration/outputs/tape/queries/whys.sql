-- The three whys on the report date: earnings risk per universe, concentration of the large
-- index, and risk appetite. A mart without rows for the date gives nulls (a warehouse
-- without fundamentals or weights has empty earnings or concentration marts).
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20'; then this query.
WITH earnings AS (
    SELECT
        max(unprofitable_pct) FILTER (WHERE universe = 'small') AS small_unprofitable_pct,
        max(unprofitable_pct) FILTER (WHERE universe = 'large') AS large_unprofitable_pct,
        max(ttm_net_income_yoy_pct) FILTER (WHERE universe = 'small') AS small_ttm_yoy_pct,
        max(ttm_net_income_yoy_pct) FILTER (WHERE universe = 'large') AS large_ttm_yoy_pct,
        max(reported_21d) FILTER (WHERE universe = 'small') AS small_reported_21d
    FROM marts.earnings_daily
    WHERE date = getvariable('report_date')
),

concentration AS (
    SELECT
        max(top10_weight_pct) FILTER (WHERE universe = 'large') AS large_top10_weight_pct,
        max(cap_minus_equal_21d) FILTER (WHERE universe = 'large') AS large_cap_minus_equal_21d,
        max(top10_contribution_21d) FILTER (WHERE universe = 'large')
            AS large_top10_contribution_21d
    FROM marts.concentration_daily
    WHERE date = getvariable('report_date')
),

risk AS (
    SELECT
        max(vix_close) AS vix_close,
        max(vix_change_5d) AS vix_change_5d,
        max(hy_oas) AS hy_oas,
        max(hy_oas_change_21d_bp) AS hy_oas_change_21d_bp,
        max(cap_minus_equal_etf_21d) AS cap_minus_equal_etf_21d,
        max(defensive_minus_cyclical_21d) AS defensive_minus_cyclical_21d,
        bool_or(flight_to_safety) AS flight_to_safety
    FROM marts.risk_appetite_daily
    WHERE date = getvariable('report_date')
)

SELECT
    *,
    (SELECT count(*) FROM marts.earnings_daily) AS earnings_rows,
    (SELECT count(*) FROM marts.concentration_daily) AS concentration_rows
FROM earnings
CROSS JOIN concentration
CROSS JOIN risk
