-- The benchmark symbols: the one list of the indices and ETFs the warehouse tracks, with
-- their role. The models read it as meta.benchmark_symbols; the sources read this file too
-- (orchestration/warehouse/seeds.py), so a symbol added here is fetched, built and published.
-- Roles: index, etf (the index trackers), sector_etf (description: its GICS sector),
-- style_etf.
CREATE SCHEMA IF NOT EXISTS meta;
CREATE OR REPLACE TABLE meta.benchmark_symbols AS
SELECT *
FROM (
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
) AS benchmark_symbols (symbol, role, description);
