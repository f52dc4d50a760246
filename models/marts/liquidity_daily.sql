-- marts.liquidity_daily: volume of the benchmark ETFs and indices, and of each universe.
-- Key (symbol, date). Symbols: the indices and index ETFs of meta.benchmark_symbols (roles
-- index and etf: ^GSPC ^RUT SPY RSP IWM), universe:large, universe:small.
-- A universe row exists on dates with at least one member bar; its volume is the members'
-- total volume and its dollar volume the sum of members' close * volume, summed as exact
-- decimals so the result does not depend on the order DuckDB adds them in. Windows count
-- the symbol's own rows.
WITH benchmark_volume AS (
    SELECT symbol, date, volume, close * volume AS dollar_volume
    FROM staging.benchmark_prices
    WHERE role IN ('index', 'etf')
),

universe_volume AS (
    SELECT
        'universe:' || universe AS symbol,
        date,
        sum(volume)::BIGINT AS volume,
        sum((close * volume)::DECIMAL(38, 6))::DOUBLE AS dollar_volume
    FROM staging.member_prices
    GROUP BY universe, date
),

all_volume AS (
    SELECT * FROM benchmark_volume
    UNION ALL
    SELECT * FROM universe_volume
),

averages AS (
    SELECT
        symbol,
        date,
        volume,
        dollar_volume,
        CASE WHEN count(volume) OVER last_5 = 5 THEN avg(volume) OVER last_5 END AS volume_sma5,
        CASE WHEN count(volume) OVER last_20 = 20 THEN avg(volume) OVER last_20 END AS volume_sma20,
        CASE WHEN count(volume) OVER last_50 = 50 THEN avg(volume) OVER last_50 END AS volume_sma50
    FROM all_volume
    WINDOW
        own_rows AS (PARTITION BY symbol ORDER BY date),
        last_5 AS (own_rows ROWS BETWEEN 4 PRECEDING AND CURRENT ROW),
        last_20 AS (own_rows ROWS BETWEEN 19 PRECEDING AND CURRENT ROW),
        last_50 AS (own_rows ROWS BETWEEN 49 PRECEDING AND CURRENT ROW)
)

SELECT
    symbol,
    date,
    volume,
    dollar_volume,
    volume_sma20,
    volume_sma50,
    volume / nullif(volume_sma50, 0) AS relative_volume,
    volume_sma5 / nullif(volume_sma50, 0) < getvariable('light_volume_ratio') AS light_volume
FROM averages
ORDER BY symbol, date
