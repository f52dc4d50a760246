-- marts.rate_sensitivity: how the small-minus-large spread moves with the 10-year yield.
-- Key (date). x(t) = 100 * (ust_10y(t) - ust_10y(t-1)) on the as-of series (0 on a day with
-- no new yield), y(t) = spread_1d; beta is the OLS slope with intercept (cov / var) over the
-- last 63 rows, null if a value in the window is null or the variance of x is 0.
WITH daily_pairs AS (
    SELECT
        divergence.date,
        100 * (rates.ust_10y - lag(rates.ust_10y) OVER (ORDER BY divergence.date))
            AS ust_10y_change_bp,
        divergence.spread_1d
    FROM marts.divergence_daily AS divergence
    JOIN marts.rates_daily AS rates USING (date)
),

rolling AS (
    SELECT
        date,
        count(ust_10y_change_bp + spread_1d) OVER last_63 AS complete_rows,
        var_samp(ust_10y_change_bp) OVER last_63 AS change_variance,
        least(var_samp(ust_10y_change_bp) OVER last_63, var_samp(spread_1d) OVER last_63)
            AS min_variance,
        regr_slope(spread_1d, ust_10y_change_bp) OVER last_63 AS slope,
        corr(spread_1d, ust_10y_change_bp) OVER last_63 AS correlation
    FROM daily_pairs
    WINDOW last_63 AS (ORDER BY date ROWS BETWEEN 62 PRECEDING AND CURRENT ROW)
)

SELECT
    date,
    CASE WHEN complete_rows = 63 AND change_variance > 0 THEN slope END AS beta_63d,
    CASE WHEN complete_rows = 63 AND min_variance > 0 THEN correlation END AS corr_63d
FROM rolling
ORDER BY date
