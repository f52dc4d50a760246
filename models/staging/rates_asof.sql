-- staging.rates_asof: every rate series as known on each trading date. Key (date).
-- A daily series is known from its observation date; a monthly one (cpi_index, dated the
-- 1st of the month it measures) from its release, taken as day `cpi_release_day` of the
-- following month. Each column is the last value known on or before the date, never a later one.
WITH observations AS (
    SELECT
        series,
        date AS observed_on,
        value,
        CASE
            WHEN series = 'cpi_index'
                THEN date_trunc('month', date) + INTERVAL 1 MONTH
                    + (getvariable('cpi_release_day') - 1) * INTERVAL 1 DAY
            ELSE date
        END::DATE AS known_from
    FROM raw.rates
),

series_on_each_date AS (
    SELECT trading_dates.date, series_names.series
    FROM staging.trading_dates AS trading_dates
    CROSS JOIN (SELECT DISTINCT series FROM observations) AS series_names
),

cpi_by_month AS (
    SELECT observed_on AS month, value AS cpi_index
    FROM observations
    WHERE series = 'cpi_index'
),

known_on_date AS (
    SELECT
        series_on_each_date.date,
        series_on_each_date.series,
        observations.value,
        observations.observed_on
    FROM series_on_each_date
    ASOF LEFT JOIN observations
        ON series_on_each_date.series = observations.series
        AND series_on_each_date.date >= observations.known_from
),

wide AS (
    SELECT
        trading_dates.date,
        max(value) FILTER (WHERE series = 'ust_3m') AS ust_3m,
        max(value) FILTER (WHERE series = 'ust_2y') AS ust_2y,
        max(value) FILTER (WHERE series = 'ust_5y') AS ust_5y,
        max(value) FILTER (WHERE series = 'ust_10y') AS ust_10y,
        max(value) FILTER (WHERE series = 'ust_30y') AS ust_30y,
        max(value) FILTER (WHERE series = 'fed_funds') AS fed_funds,
        max(value) FILTER (WHERE series = 'cpi_index') AS cpi_index,
        max(value) FILTER (WHERE series = 'vix') AS vix,
        max(value) FILTER (WHERE series = 'hy_oas') AS hy_oas,
        max(observed_on) FILTER (WHERE series = 'cpi_index') AS cpi_month
    FROM staging.trading_dates AS trading_dates
    LEFT JOIN known_on_date USING (date)
    GROUP BY trading_dates.date
)

SELECT
    wide.date,
    wide.ust_3m,
    wide.ust_2y,
    wide.ust_5y,
    wide.ust_10y,
    wide.ust_30y,
    wide.fed_funds,
    wide.cpi_index,
    wide.cpi_month,
    year_earlier.cpi_index AS cpi_index_year_earlier,
    wide.vix,
    wide.hy_oas
FROM wide
LEFT JOIN cpi_by_month AS year_earlier
    ON year_earlier.month = wide.cpi_month - INTERVAL 12 MONTH
ORDER BY wide.date
