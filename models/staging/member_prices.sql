-- staging.member_prices: each universe member's bars on the days it was a member.
-- Key (universe, ticker, date). Membership is point in time (staging.membership_spans says
-- which days each membership row counts). A ticker counts once per universe and date even
-- when its membership rows overlap; name and sector come from the covering row with the
-- latest valid_from. Built in part: rebuild_scope (member_prices.scope.sql) says, per ticker,
-- from which date its member days are rebuilt.
WITH member_days AS (
    SELECT
        membership_spans.universe,
        membership_spans.name,
        membership_spans.sector,
        membership_spans.valid_from,
        membership_spans.overlapping,
        price_series.*
    FROM staging.price_series AS price_series
    JOIN rebuild_scope
        ON price_series.ticker = rebuild_scope.ticker
        AND price_series.date >= rebuild_scope.rebuild_from
    JOIN staging.membership_spans AS membership_spans
        ON price_series.ticker = membership_spans.ticker
        AND price_series.date BETWEEN membership_spans.counts_from AND membership_spans.counts_to
),

-- Only the days of tickers whose membership rows overlap need deduping.
deduped_overlap_days AS (
    SELECT member_days.*
    FROM member_days
    WHERE overlapping
    QUALIFY row_number() OVER (PARTITION BY universe, ticker, date ORDER BY valid_from DESC) = 1
),

one_row_per_member_day AS (
    SELECT member_days.*
    FROM member_days
    WHERE NOT overlapping
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
