-- marts.rotation_daily: sector and style ETFs, and the small-cap ETF, against a benchmark
-- (getvariable('rotation_benchmark'), SPY by default). Key (symbol, date).
-- An open approximation of relative rotation graphs, not the proprietary JdK formula.
-- Rows are the dates on which both the symbol and the benchmark have a close; every window
-- counts those rows, and t-10 is 10 rows back.
WITH rotating_symbols AS (
    SELECT DISTINCT symbol
    FROM staging.benchmark_prices
    WHERE role IN ('sector_etf', 'style_etf') OR symbol = getvariable('small_etf')
),

benchmark AS (
    SELECT date, close
    FROM staging.benchmark_prices
    WHERE symbol = getvariable('rotation_benchmark')
),

relative_lines AS (
    SELECT
        prices.symbol,
        prices.date,
        prices.close / benchmark.close AS rs_line
    FROM staging.benchmark_prices AS prices
    JOIN rotating_symbols USING (symbol)
    JOIN benchmark USING (date)
),

ratios AS (
    SELECT
        symbol,
        date,
        rs_line,
        CASE
            WHEN count(*) OVER last_63 = 63
                THEN 100 * avg(rs_line) OVER last_10 / avg(rs_line) OVER last_63
        END AS rs_ratio
    FROM relative_lines
    WINDOW
        own_rows AS (PARTITION BY symbol ORDER BY date),
        last_10 AS (own_rows ROWS BETWEEN 9 PRECEDING AND CURRENT ROW),
        last_63 AS (own_rows ROWS BETWEEN 62 PRECEDING AND CURRENT ROW)
),

momentum AS (
    SELECT
        *,
        100 * rs_ratio / lag(rs_ratio, 10) OVER (PARTITION BY symbol ORDER BY date) AS rs_momentum
    FROM ratios
)

SELECT
    symbol,
    date,
    getvariable('rotation_benchmark') AS benchmark,
    rs_line,
    rs_ratio,
    rs_momentum,
    CASE
        WHEN rs_ratio >= 100 AND rs_momentum >= 100 THEN 'leading'
        WHEN rs_ratio >= 100 AND rs_momentum < 100 THEN 'weakening'
        WHEN rs_ratio < 100 AND rs_momentum < 100 THEN 'lagging'
        WHEN rs_ratio < 100 AND rs_momentum >= 100 THEN 'improving'
    END AS quadrant
FROM momentum
ORDER BY symbol, date
