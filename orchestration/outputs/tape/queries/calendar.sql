-- Where the report date sits in the warehouse's trading dates: the range held and, for a
-- date that is not a trading date, its neighbours.
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20'; then this query.
SELECT
    min(date) AS first_date,
    max(date) AS last_date,
    count(*) AS trading_dates,
    max(date) FILTER (WHERE date < getvariable('report_date')) AS previous_date,
    min(date) FILTER (WHERE date > getvariable('report_date')) AS next_date,
    coalesce(bool_or(date = getvariable('report_date')), false) AS is_trading_date
FROM marts.market_regime
