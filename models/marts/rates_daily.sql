-- marts.rates_daily: yields, policy rate and inflation as known on each trading date.
-- Key (date). Every column is the last value known on or before the date (no look-ahead;
-- CPI from its release, see staging.rates_asof). Changes compare the as-of values 21 and 63
-- trading dates back.
SELECT
    date,
    ust_3m,
    ust_2y,
    ust_5y,
    ust_10y,
    ust_30y,
    fed_funds,
    cpi_index,
    ust_10y - ust_2y AS curve_10y_2y,
    ust_10y - ust_3m AS curve_10y_3m,
    100 * (ust_10y - lag(ust_10y, 21) OVER by_date) AS ust_10y_change_21d_bp,
    100 * (fed_funds - lag(fed_funds, 63) OVER by_date) AS fed_funds_change_63d_bp,
    100 * (cpi_index / cpi_index_year_earlier - 1) AS cpi_yoy
FROM staging.rates_asof
WINDOW by_date AS (ORDER BY date)
ORDER BY date
