-- staging.benchmark_prices: the benchmark indices and ETFs, with their role.
-- Key (symbol, date). Symbols as Yahoo writes them, listed with their role in the seed
-- meta.benchmark_symbols (sql/ddl/seeds.sql); a symbol with no bars has no rows.
SELECT
    benchmark_symbols.symbol,
    benchmark_symbols.role,
    benchmark_symbols.description,
    price_series.date,
    price_series.close,
    price_series.volume,
    price_series.prev_close,
    price_series.ret_1d
FROM meta.benchmark_symbols AS benchmark_symbols
JOIN staging.price_series AS price_series ON price_series.ticker = benchmark_symbols.symbol
ORDER BY symbol, date
