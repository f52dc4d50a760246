-- staging.price_series: every symbol's daily bars with the windows of its own series.
-- Key (ticker, date). A window counts the ticker's own observations, member or not, and is
-- null until it is full (indicators.md conventions): an n-bar window is full from the
-- ticker's n-th bar on (close is never null in raw.prices).
WITH bars AS (
    SELECT ticker, date, open, high, low, close, volume, unadjusted_close
    FROM raw.prices
)

SELECT
    ticker,
    date,
    open,
    high,
    low,
    close,
    volume,
    unadjusted_close,
    row_number() OVER own_series AS observation,
    lag(date) OVER own_series AS prev_date,
    lag(close) OVER own_series AS prev_close,
    close / lag(close) OVER own_series - 1 AS ret_1d,
    CASE WHEN row_number() OVER own_series >= 50 THEN avg(close) OVER last_50 END AS sma_50,
    CASE WHEN row_number() OVER own_series >= 200 THEN avg(close) OVER last_200 END AS sma_200,
    CASE WHEN row_number() OVER own_series > 251 THEN max(close) OVER previous_251 END
        AS prior_high_251,
    CASE WHEN row_number() OVER own_series > 251 THEN min(close) OVER previous_251 END
        AS prior_low_251,
    CASE WHEN row_number() OVER own_series >= 50 THEN avg(volume) OVER last_50 END
        AS volume_sma_50
FROM bars
WINDOW
    own_series AS (PARTITION BY ticker ORDER BY date),
    last_50 AS (own_series ROWS BETWEEN 49 PRECEDING AND CURRENT ROW),
    last_200 AS (own_series ROWS BETWEEN 199 PRECEDING AND CURRENT ROW),
    previous_251 AS (own_series ROWS BETWEEN 251 PRECEDING AND 1 PRECEDING)
