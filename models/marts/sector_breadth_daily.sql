-- marts.sector_breadth_daily: breadth of each sector within each universe.
-- Key (universe, sector, date). One row for every date on which at least one member of the
-- universe in that sector has a bar. Definitions as in marts.breadth_daily; coverage counts
-- the sector's point-in-time members, priced or not (staging.member_counts).
WITH member_days AS (
    SELECT universe, sector, date, close, prev_close, sma_50, sma_200
    FROM staging.member_prices
),

sector_counts AS (
    SELECT
        universe,
        sector,
        date,
        count(*) AS priced_members,
        count(prev_close) AS issues,
        count(*) FILTER (WHERE close > prev_close) AS advancers,
        count(*) FILTER (WHERE close < prev_close) AS decliners,
        100.0 * count(*) FILTER (WHERE close > sma_50) / nullif(count(sma_50), 0) AS pct_above_sma50,
        100.0 * count(*) FILTER (WHERE close > sma_200) / nullif(count(sma_200), 0)
            AS pct_above_sma200
    FROM member_days
    GROUP BY universe, sector, date
)

SELECT
    sector_counts.universe,
    sector_counts.sector,
    sector_counts.date,
    sector_counts.issues,
    sector_counts.advancers,
    sector_counts.decliners,
    sector_counts.pct_above_sma50,
    sector_counts.pct_above_sma200,
    member_counts.members,
    100.0 * sector_counts.priced_members / nullif(member_counts.members, 0) AS coverage_pct
FROM sector_counts
LEFT JOIN staging.member_counts AS member_counts
    ON member_counts.universe = sector_counts.universe
    AND member_counts.sector IS NOT DISTINCT FROM sector_counts.sector
    AND member_counts.date = sector_counts.date
ORDER BY universe, sector, date
