-- staging.trading_dates: the warehouse calendar. Key (date).
-- The trading dates are the dates of the large benchmark.
SELECT
    date,
    row_number() OVER (ORDER BY date) AS trading_day
FROM raw.prices
WHERE ticker = getvariable('large_benchmark')
ORDER BY date
