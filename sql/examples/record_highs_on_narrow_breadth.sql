-- Days when the S&P 500 was within 2% of its record while fewer than half of the small caps
-- were above their 50-day average: a record carried by the large caps alone.
SELECT
    divergence.date,
    round(100 * divergence.large_drawdown, 2) AS large_pct_below_record,
    round(breadth.pct_above_sma50, 1) AS small_pct_above_sma50,
    round(100 * divergence.spread_63d, 2) AS spread_63d_pct
FROM marts.divergence_daily AS divergence
JOIN marts.breadth_daily AS breadth
    ON breadth.date = divergence.date AND breadth.universe = 'small'
WHERE divergence.large_near_high
  AND breadth.pct_above_sma50 < 50
ORDER BY divergence.date DESC;
