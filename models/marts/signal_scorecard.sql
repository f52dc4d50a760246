-- marts.signal_scorecard: what followed each watch signal in the stored history. Key
-- (signal, horizon). Over the firings whose forward window is complete: how many, the mean
-- and median small-minus-large spread h trading dates later and how often it was positive,
-- against the mean over every date with a complete window (the base rate). In sample, with
-- overlapping windows and often few firings: read every figure beside its count. Means
-- are taken over exact decimals, so they do not depend on the order of the rows.
WITH by_horizon AS (
    SELECT
        signal,
        date,
        is_on,
        fires,
        horizons.horizon,
        CASE horizons.horizon
            WHEN 5 THEN fwd_spread_5d
            WHEN 21 THEN fwd_spread_21d
            WHEN 63 THEN fwd_spread_63d
        END AS fwd_spread
    FROM marts.signal_days
    CROSS JOIN (VALUES (5), (21), (63)) AS horizons (horizon)
),

-- Every date's forward spread is the same for all signals: the base rate counts each once.
base_rates AS (
    SELECT horizon, avg(fwd_spread::DECIMAL(38, 18))::DOUBLE AS base_mean_fwd_spread
    FROM (SELECT DISTINCT date, horizon, fwd_spread FROM by_horizon)
    GROUP BY horizon
),

firing_stats AS (
    SELECT
        signal,
        horizon,
        count(*) FILTER (WHERE is_on) AS days_on,
        count(fwd_spread) FILTER (WHERE fires) AS firings,
        avg(fwd_spread::DECIMAL(38, 18)) FILTER (WHERE fires)::DOUBLE AS mean_fwd_spread,
        median(fwd_spread) FILTER (WHERE fires) AS median_fwd_spread,
        count(*) FILTER (WHERE fires AND fwd_spread > 0) AS positive_firings,
        min(date) FILTER (WHERE fires) AS first_firing,
        max(date) FILTER (WHERE fires) AS last_firing
    FROM by_horizon
    GROUP BY signal, horizon
)

SELECT
    firing_stats.signal,
    firing_stats.horizon,
    firing_stats.days_on,
    firing_stats.firings,
    firing_stats.mean_fwd_spread,
    firing_stats.median_fwd_spread,
    100 * firing_stats.positive_firings / nullif(firing_stats.firings, 0) AS hit_rate_pct,
    base_rates.base_mean_fwd_spread,
    firing_stats.mean_fwd_spread - base_rates.base_mean_fwd_spread AS edge,
    firing_stats.first_firing,
    firing_stats.last_firing
FROM firing_stats
JOIN base_rates USING (horizon)
ORDER BY firing_stats.signal, firing_stats.horizon
