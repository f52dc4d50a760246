-- What staging.price_series rebuilds: for each ticker with bars loaded since the table's
-- last build (or dated from a re-run's rebuild_from on), or handed on by a change of its
-- excluded spans (pending_rebuilds), every bar from the earliest such date on. Its windows
-- read back the 251 kept bars before that date (the longest window), which are already
-- stored; the count of earlier kept bars numbers the observations.
WITH changed_tickers AS (
    SELECT ticker, min(rebuild_from) AS rebuild_from
    FROM (
        SELECT ticker, date AS rebuild_from
        FROM raw.prices
        WHERE loaded_at > getvariable('consumed_through')
           OR date >= getvariable('rebuild_from')
        UNION ALL
        SELECT ticker, rebuild_from
        FROM pending_rebuilds
    )
    GROUP BY ticker
),

kept_prices AS (
    SELECT prices.ticker, prices.date
    FROM raw.prices
    ANTI JOIN staging.price_exclusions AS excluded
        ON prices.ticker = excluded.ticker
        AND prices.date BETWEEN excluded.from_date AND excluded.to_date
),

kept_bars AS (
    SELECT
        kept_prices.ticker,
        count(*) AS bars_kept,
        max(kept_prices.date, 251) AS lookback_dates
    FROM kept_prices
    JOIN changed_tickers USING (ticker)
    WHERE kept_prices.date < changed_tickers.rebuild_from
    GROUP BY kept_prices.ticker
)

SELECT
    changed_tickers.ticker,
    changed_tickers.rebuild_from,
    coalesce(list_min(kept_bars.lookback_dates), changed_tickers.rebuild_from) AS read_from,
    coalesce(kept_bars.bars_kept - len(kept_bars.lookback_dates), 0) AS bars_before_read
FROM changed_tickers
LEFT JOIN kept_bars USING (ticker)
