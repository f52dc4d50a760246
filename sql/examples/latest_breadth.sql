-- The latest day's breadth of both universes, side by side.
SELECT
    universe,
    date,
    advancers,
    decliners,
    unchanged,
    round(pct_above_sma50, 1) AS pct_above_sma50,
    round(pct_above_sma200, 1) AS pct_above_sma200,
    new_highs_52w,
    new_lows_52w,
    round(mcclellan_oscillator, 1) AS mcclellan_oscillator
FROM marts.breadth_daily
WHERE date = (SELECT max(date) FROM marts.breadth_daily)
ORDER BY universe;
