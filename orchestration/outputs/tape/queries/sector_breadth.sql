-- Each sector's share of members above their SMA 50 in both universes and the small caps'
-- advancers and decliners, on the report date, strongest small-cap sector first.
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20'; then this query.
WITH sectors_on_day AS (
    SELECT universe, sector, advancers, decliners, pct_above_sma50
    FROM marts.sector_breadth_daily
    WHERE date = getvariable('report_date')
)

SELECT
    sector,
    max(pct_above_sma50) FILTER (WHERE universe = 'large') AS large_pct_above_sma50,
    max(pct_above_sma50) FILTER (WHERE universe = 'small') AS small_pct_above_sma50,
    max(advancers) FILTER (WHERE universe = 'small') AS small_advancers,
    max(decliners) FILTER (WHERE universe = 'small') AS small_decliners
FROM sectors_on_day
GROUP BY sector
ORDER BY small_pct_above_sma50 DESC NULLS LAST, sector
