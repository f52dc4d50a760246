-- staging.membership_spans: the days each membership row counts. Key (universe, ticker,
-- valid_from). Both ends inclusive; a row of a universe's earliest snapshot also counts on
-- every earlier date (counts_from '-infinity': survivorship bias, see the README), and an
-- open row counts on (counts_to 'infinity'). `overlapping` marks the tickers with rows that
-- overlap within a universe: on a day two of their rows cover, the later valid_from wins.
WITH first_snapshot AS (
    SELECT universe, min(valid_from) AS snapshot_date
    FROM raw.members
    GROUP BY universe
),

spans AS (
    SELECT
        members.universe,
        members.ticker,
        members.name,
        members.sector,
        members.valid_from,
        members.valid_to,
        CASE
            WHEN members.valid_from = first_snapshot.snapshot_date THEN DATE '-infinity'
            ELSE members.valid_from
        END AS counts_from,
        coalesce(members.valid_to, DATE 'infinity') AS counts_to
    FROM raw.members
    JOIN first_snapshot USING (universe)
),

overlapping_tickers AS (
    SELECT DISTINCT earlier.universe, earlier.ticker
    FROM spans AS earlier
    JOIN spans AS later
        ON later.universe = earlier.universe
        AND later.ticker = earlier.ticker
        AND later.valid_from > earlier.valid_from
        AND later.valid_from <= earlier.counts_to
)

SELECT
    spans.*,
    overlapping_tickers.ticker IS NOT NULL AS overlapping
FROM spans
LEFT JOIN overlapping_tickers USING (universe, ticker)
ORDER BY universe, ticker, valid_from
