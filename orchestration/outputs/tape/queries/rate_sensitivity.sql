-- The 63-day beta and correlation of the daily spread to the 10-year yield, on the report date.
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20'; then this query.
SELECT beta_63d, corr_63d
FROM marts.rate_sensitivity
WHERE date = getvariable('report_date')
