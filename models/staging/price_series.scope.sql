-- What staging.price_series rebuilds: for each ticker with bars loaded since the table's
-- last build (or dated from a re-run's rebuild_from on), every bar from the earliest such
-- date on. Its windows read back the 251 bars before that date (the longest window),
-- which are already stored; the count of earlier bars numbers the observations.
WITH changed_bars AS (
    SELECT ticker, min(date) AS rebuild_from
    FROM raw.prices
    WHERE loaded_at > getvariable('consumed_through')
       OR date >= getvariable('rebuild_from')
    GROUP BY ticker
),

kept_bars AS (
    SELECT
        prices.ticker,
        count(*) AS bars_kept,
        max(prices.date, 251) AS lookback_dates
    FROM raw.prices
    JOIN changed_bars USING (ticker)
    WHERE prices.date < changed_bars.rebuild_from
    GROUP BY prices.ticker
)

SELECT
    changed_bars.ticker,
    changed_bars.rebuild_from,
    coalesce(list_min(kept_bars.lookback_dates), changed_bars.rebuild_from) AS read_from,
    coalesce(kept_bars.bars_kept - len(kept_bars.lookback_dates), 0) AS bars_before_read
FROM changed_bars
LEFT JOIN kept_bars USING (ticker)
