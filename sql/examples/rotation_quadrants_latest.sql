-- Where each sector and style ETF sits on the rotation map today, leaders first.
SELECT
    symbol,
    benchmark,
    round(rs_ratio, 2) AS rs_ratio,
    round(rs_momentum, 2) AS rs_momentum,
    quadrant
FROM marts.rotation_daily
WHERE date = (SELECT max(date) FROM marts.rotation_daily)
ORDER BY rs_ratio DESC;
