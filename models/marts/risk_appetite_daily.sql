-- marts.risk_appetite_daily: is money hiding in the largest and the safest names? Key (date).
-- One row per trading date. The VIX and the high-yield spread are as known on the date
-- (staging.rates_asof); their changes count the mart's own rows (5 for the VIX, 21 for the
-- spread). Each ETF's 21-day return counts its own bars and is null on a date it has no bar;
-- a side's mean is null unless all three of its ETFs have one. flight_to_safety follows
-- SQL's three-valued logic, like the watch signals.
WITH etf_sides AS (
    SELECT *
    FROM (
        VALUES
            ('SPY', 'cap_weighted'),
            ('RSP', 'equal_weighted'),
            ('XLU', 'defensive'),
            ('XLP', 'defensive'),
            ('XLV', 'defensive'),
            ('XLY', 'cyclical'),
            ('XLK', 'cyclical'),
            ('XLI', 'cyclical')
    ) AS sides (symbol, side)
),

etf_returns AS (
    SELECT
        prices.date,
        etf_sides.side,
        prices.close / lag(prices.close, 21) OVER (
            PARTITION BY prices.symbol ORDER BY prices.date
        ) - 1 AS ret_21d
    FROM staging.benchmark_prices AS prices
    JOIN etf_sides USING (symbol)
),

sides_by_date AS (
    SELECT
        date,
        max(ret_21d) FILTER (WHERE side = 'cap_weighted') AS cap_weighted_ret_21d,
        max(ret_21d) FILTER (WHERE side = 'equal_weighted') AS equal_weighted_ret_21d,
        CASE WHEN count(ret_21d) FILTER (WHERE side = 'defensive') = 3
            THEN avg(ret_21d) FILTER (WHERE side = 'defensive')
        END AS defensive_ret_21d,
        CASE WHEN count(ret_21d) FILTER (WHERE side = 'cyclical') = 3
            THEN avg(ret_21d) FILTER (WHERE side = 'cyclical')
        END AS cyclical_ret_21d
    FROM etf_returns
    GROUP BY date
),

gauges AS (
    SELECT
        date,
        vix AS vix_close,
        vix - lag(vix, 5) OVER (ORDER BY date) AS vix_change_5d,
        hy_oas,
        100 * (hy_oas - lag(hy_oas, 21) OVER (ORDER BY date)) AS hy_oas_change_21d_bp
    FROM staging.rates_asof
),

spreads AS (
    SELECT
        gauges.*,
        sides_by_date.cap_weighted_ret_21d - sides_by_date.equal_weighted_ret_21d
            AS cap_minus_equal_etf_21d,
        sides_by_date.defensive_ret_21d - sides_by_date.cyclical_ret_21d
            AS defensive_minus_cyclical_21d
    FROM gauges
    LEFT JOIN sides_by_date USING (date)
)

SELECT
    date,
    vix_close,
    vix_change_5d,
    hy_oas,
    hy_oas_change_21d_bp,
    cap_minus_equal_etf_21d,
    defensive_minus_cyclical_21d,
    cap_minus_equal_etf_21d > 0
        AND defensive_minus_cyclical_21d > 0
        AND (vix_change_5d > 0 OR hy_oas_change_21d_bp > 0) AS flight_to_safety
FROM spreads
ORDER BY date
