-- Days when large-cap breadth was healthy (over 60% above their 50-day average) while
-- small-cap breadth was weak (under 40%): the divergence this warehouse is about.
WITH breadth_by_universe AS (
    SELECT
        date,
        max(pct_above_sma50) FILTER (WHERE universe = 'large') AS large_pct_above_sma50,
        max(pct_above_sma50) FILTER (WHERE universe = 'small') AS small_pct_above_sma50
    FROM marts.breadth_daily
    GROUP BY date
)

SELECT date, large_pct_above_sma50, small_pct_above_sma50
FROM breadth_by_universe
WHERE large_pct_above_sma50 > 60
  AND small_pct_above_sma50 < 40
ORDER BY date DESC;
