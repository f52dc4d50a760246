-- marts.small_cap_movers: the day's 20 biggest movers among small-universe members.
-- Key (date, ticker). Members on the date with a previous close, ranked by abs(ret_1d)
-- descending, ties by ticker ascending; exactly min(20, n) rows per date.
WITH candidates AS (
    SELECT date, ticker, name, sector, ret_1d, volume, volume_sma_50
    FROM staging.member_prices
    WHERE universe = 'small' AND prev_close IS NOT NULL
),

-- Each date's 20th biggest move: only members moving at least that much can rank (a
-- cheap first cut, so the ranking sorts a few rows per date, not all of them).
twentieth_moves AS (
    SELECT date, list_min(max(abs(ret_1d), 20)) AS twentieth_move
    FROM candidates
    GROUP BY date
),

contenders AS (
    SELECT candidates.*
    FROM candidates
    JOIN twentieth_moves USING (date)
    WHERE abs(candidates.ret_1d) >= twentieth_moves.twentieth_move
),

ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY date ORDER BY abs(ret_1d) DESC, ticker ASC) AS rank
    FROM contenders
    QUALIFY rank <= 20
),

splits AS (
    SELECT ticker, date, value AS split_ratio
    FROM staging.corporate_actions
    WHERE kind = 'split'
),

actions_ingested AS (
    SELECT count(*) > 0 AS any_actions
    FROM staging.corporate_actions
)

SELECT
    ranked.date,
    ranked.ticker,
    ranked.rank,
    ranked.name,
    ranked.sector,
    ranked.ret_1d,
    ranked.volume / nullif(ranked.volume_sma_50, 0) AS relative_volume,
    ranked.volume / nullif(ranked.volume_sma_50, 0) >= getvariable('catalyst_relative_volume')
        AS catalyst_like,
    splits.split_ratio,
    CASE WHEN actions_ingested.any_actions THEN coalesce(splits.split_ratio < 1, false) END
        AS reverse_split
FROM ranked
CROSS JOIN actions_ingested
LEFT JOIN splits USING (ticker, date)
ORDER BY ranked.date, ranked.rank
