-- staging.benchmark_prices: the benchmark indices and ETFs, with their role.
-- Key (symbol, date). Symbols as Yahoo writes them; a symbol with no bars has no rows.
WITH benchmark_symbols (symbol, role, description) AS (
    VALUES
        ('^GSPC', 'index', 'S&P 500'),
        ('^RUT', 'index', 'Russell 2000'),
        ('SPY', 'etf', 'S&P 500 ETF'),
        ('RSP', 'etf', 'S&P 500 equal weight ETF'),
        ('IWM', 'etf', 'Russell 2000 ETF'),
        ('XLB', 'sector_etf', 'Materials'),
        ('XLC', 'sector_etf', 'Communication Services'),
        ('XLE', 'sector_etf', 'Energy'),
        ('XLF', 'sector_etf', 'Financials'),
        ('XLI', 'sector_etf', 'Industrials'),
        ('XLK', 'sector_etf', 'Information Technology'),
        ('XLP', 'sector_etf', 'Consumer Staples'),
        ('XLRE', 'sector_etf', 'Real Estate'),
        ('XLU', 'sector_etf', 'Utilities'),
        ('XLV', 'sector_etf', 'Health Care'),
        ('XLY', 'sector_etf', 'Consumer Discretionary'),
        ('IWF', 'style_etf', 'Russell 1000 Growth'),
        ('IWD', 'style_etf', 'Russell 1000 Value'),
        ('IJR', 'style_etf', 'S&P SmallCap 600'),
        ('MDY', 'style_etf', 'S&P MidCap 400')
)

SELECT
    benchmark_symbols.symbol,
    benchmark_symbols.role,
    benchmark_symbols.description,
    price_series.date,
    price_series.close,
    price_series.volume,
    price_series.prev_close,
    price_series.ret_1d
FROM benchmark_symbols
JOIN staging.price_series AS price_series ON price_series.ticker = benchmark_symbols.symbol
ORDER BY symbol, date
