-- How many trading days the market spent in each regime, per year.
SELECT
    year(date) AS year,
    regime,
    count(*) AS days
FROM marts.market_regime
WHERE regime IS NOT NULL
GROUP BY ALL
ORDER BY year, days DESC;
