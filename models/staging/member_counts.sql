-- staging.member_counts: how many point-in-time members each universe and sector has on
-- each date a member has a bar, priced or not. Key (universe, sector, date).
-- A ticker counts once per universe and date, in the sector of its covering membership row
-- with the latest valid_from (staging.membership_spans). Rows that do not overlap are
-- counted by a sweep: members on a date = rows started by then - rows ended before it.
-- The few tickers whose rows overlap are counted day by day.
WITH member_dates AS (
    SELECT DISTINCT date
    FROM staging.member_prices
),

simple_spans AS (
    SELECT universe, sector, counts_from, counts_to
    FROM staging.membership_spans
    WHERE NOT overlapping
),

span_edges AS (
    SELECT universe, sector, counts_from AS date, 1 AS change
    FROM simple_spans
    UNION ALL
    SELECT universe, sector, counts_to + 1 AS date, -1 AS change
    FROM simple_spans
    WHERE counts_to < DATE 'infinity'
),

running_counts AS (
    SELECT
        universe,
        sector,
        date,
        sum(sum(change)) OVER (PARTITION BY universe, sector ORDER BY date) AS members
    FROM span_edges
    GROUP BY universe, sector, date
),

groups AS (
    SELECT DISTINCT universe, sector
    FROM simple_spans
),

simple_counts AS (
    SELECT groups.universe, groups.sector, member_dates.date, running_counts.members
    FROM groups
    CROSS JOIN member_dates
    ASOF JOIN running_counts
        ON groups.universe = running_counts.universe
        AND groups.sector IS NOT DISTINCT FROM running_counts.sector
        AND member_dates.date >= running_counts.date
),

overlapping_member_days AS (
    SELECT
        spans.universe,
        spans.ticker,
        member_dates.date,
        arg_max(spans.sector, spans.valid_from) AS sector
    FROM staging.membership_spans AS spans
    JOIN member_dates ON member_dates.date BETWEEN spans.counts_from AND spans.counts_to
    WHERE spans.overlapping
    GROUP BY spans.universe, spans.ticker, member_dates.date
),

overlapping_counts AS (
    SELECT universe, sector, date, count(*) AS members
    FROM overlapping_member_days
    GROUP BY universe, sector, date
)

SELECT universe, sector, date, sum(members)::BIGINT AS members
FROM (
    SELECT * FROM simple_counts
    UNION ALL
    SELECT * FROM overlapping_counts
)
GROUP BY universe, sector, date
HAVING sum(members) > 0
ORDER BY universe, sector, date
