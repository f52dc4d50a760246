-- staging.member_prices: each universe member's bars on the days it was a member.
-- Key (universe, ticker, date). Membership is point in time, valid_from <= date <= valid_to,
-- both inclusive; dates before a universe's first snapshot use that snapshot (survivorship
-- bias, documented in the README). A ticker counts once per universe and date even when its
-- membership rows overlap; name and sector come from the covering row with the latest
-- valid_from. Built in part: rebuild_scope (member_prices.scope.sql) says, per ticker,
-- from which date its member days are rebuilt.
WITH membership_rows AS (
    SELECT universe, ticker, name, sector, valid_from, valid_to
    FROM raw.members
),

first_snapshot AS (
    SELECT universe, min(valid_from) AS snapshot_date
    FROM membership_rows
    GROUP BY universe
),

membership_spans AS (
    SELECT
        membership_rows.universe,
        membership_rows.ticker,
        membership_rows.name,
        membership_rows.sector,
        membership_rows.valid_from,
        CASE
            WHEN membership_rows.valid_from = first_snapshot.snapshot_date THEN NULL
            ELSE membership_rows.valid_from
        END AS counts_from,
        membership_rows.valid_to AS counts_to
    FROM membership_rows
    JOIN first_snapshot USING (universe)
),

member_days AS (
    SELECT
        membership_spans.universe,
        membership_spans.name,
        membership_spans.sector,
        membership_spans.valid_from,
        price_series.*
    FROM staging.price_series AS price_series
    JOIN rebuild_scope
        ON price_series.ticker = rebuild_scope.ticker
        AND price_series.date >= rebuild_scope.rebuild_from
    JOIN membership_spans
        ON price_series.ticker = membership_spans.ticker
        AND (membership_spans.counts_from IS NULL OR price_series.date >= membership_spans.counts_from)
        AND (membership_spans.counts_to IS NULL OR price_series.date <= membership_spans.counts_to)
),

-- Tickers whose membership rows overlap within a universe: only their days need deduping.
overlapping_memberships AS (
    SELECT DISTINCT earlier.universe, earlier.ticker
    FROM membership_rows AS earlier
    JOIN membership_rows AS later
        ON later.universe = earlier.universe
        AND later.ticker = earlier.ticker
        AND later.valid_from > earlier.valid_from
        AND later.valid_from <= coalesce(earlier.valid_to, DATE '9999-12-31')
),

deduped_overlap_days AS (
    SELECT member_days.*
    FROM member_days
    SEMI JOIN overlapping_memberships USING (universe, ticker)
    QUALIFY row_number() OVER (PARTITION BY universe, ticker, date ORDER BY valid_from DESC) = 1
),

one_row_per_member_day AS (
    SELECT member_days.*
    FROM member_days
    ANTI JOIN overlapping_memberships USING (universe, ticker)
    UNION ALL
    SELECT * FROM deduped_overlap_days
)

SELECT
    universe,
    ticker,
    date,
    name,
    sector,
    close,
    volume,
    prev_close,
    ret_1d,
    sma_50,
    sma_200,
    prior_high_251,
    prior_low_251,
    volume_sma_50,
    observation
FROM one_row_per_member_day
