-- staging.price_series: every symbol's daily bars with the windows of its own series.
-- Key (ticker, date). The bars are the raw ones outside the spans staging.price_exclusions
-- leaves out. A window counts the ticker's own kept observations, member or not, and is
-- null until it is full (the marts' convention): an n-bar window is full from the
-- ticker's n-th kept bar on (close is never null in raw.prices).
-- Built in part: rebuild_scope (price_series.scope.sql) says, per ticker, from which date
-- bars are rebuilt and from which date the windows read. Means are taken over decimals and
-- rounded to 10 places (finer than any price a source delivers): the average of decimals
-- divides in binary, so without it a close equal to its SMA to the cent could sit a hair
-- above it (2.00 against 1.9999999999999998); a rebuilt row equals a full build's.
WITH bars AS (
    SELECT
        prices.ticker,
        prices.date,
        prices.open,
        prices.high,
        prices.low,
        prices.close,
        prices.volume,
        prices.unadjusted_close,
        rebuild_scope.rebuild_from,
        rebuild_scope.bars_before_read
    FROM raw.prices
    JOIN rebuild_scope USING (ticker)
    ANTI JOIN staging.price_exclusions AS excluded
        ON prices.ticker = excluded.ticker
        AND prices.date BETWEEN excluded.from_date AND excluded.to_date
    WHERE prices.date >= rebuild_scope.read_from
),

bar_windows AS (
    SELECT
        *,
        bars_before_read + row_number() OVER own_series AS observation,
        lag(date) OVER own_series AS prev_date,
        lag(close) OVER own_series AS prev_close,
        round(avg(close::DECIMAL(38, 18)) OVER last_50, 10) AS mean_close_50,
        round(avg(close::DECIMAL(38, 18)) OVER last_200, 10) AS mean_close_200,
        max(close) OVER previous_251 AS max_close_251,
        min(close) OVER previous_251 AS min_close_251,
        avg(volume) OVER last_50 AS mean_volume_50
    FROM bars
    WINDOW
        own_series AS (PARTITION BY ticker ORDER BY date),
        last_50 AS (own_series ROWS BETWEEN 49 PRECEDING AND CURRENT ROW),
        last_200 AS (own_series ROWS BETWEEN 199 PRECEDING AND CURRENT ROW),
        previous_251 AS (own_series ROWS BETWEEN 251 PRECEDING AND 1 PRECEDING)
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
    observation,
    prev_date,
    prev_close,
    close / prev_close - 1 AS ret_1d,
    CASE WHEN observation >= 50 THEN mean_close_50 END AS sma_50,
    CASE WHEN observation >= 200 THEN mean_close_200 END AS sma_200,
    CASE WHEN observation > 251 THEN max_close_251 END AS prior_high_251,
    CASE WHEN observation > 251 THEN min_close_251 END AS prior_low_251,
    CASE WHEN observation >= 50 THEN mean_volume_50 END AS volume_sma_50
FROM bar_windows
WHERE date >= rebuild_from
