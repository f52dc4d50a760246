-- marts.sector_breadth_daily: breadth of each sector within each universe.
-- Key (universe, sector, date). One row for every date on which at least one member of the
-- universe in that sector has a bar. Definitions as in marts.breadth_daily.
WITH member_days AS (
    SELECT universe, sector, date, close, prev_close, sma_50, sma_200
    FROM staging.member_prices
)

SELECT
    universe,
    sector,
    date,
    count(prev_close) AS issues,
    count(*) FILTER (WHERE close > prev_close) AS advancers,
    count(*) FILTER (WHERE close < prev_close) AS decliners,
    100.0 * count(*) FILTER (WHERE close > sma_50) / nullif(count(sma_50), 0) AS pct_above_sma50,
    100.0 * count(*) FILTER (WHERE close > sma_200) / nullif(count(sma_200), 0) AS pct_above_sma200
FROM member_days
GROUP BY universe, sector, date
ORDER BY universe, sector, date
