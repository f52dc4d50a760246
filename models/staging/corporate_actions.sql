-- staging.corporate_actions: splits and dividends as ingested. Key (ticker, date, kind).
-- Empty when the source brought no actions (the files source without actions.csv).
SELECT
    ticker,
    date,
    kind,
    value
FROM raw.actions
ORDER BY ticker, date, kind
