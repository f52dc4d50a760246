-- marts.breadth_daily: market breadth of each universe. Key (universe, date).
-- One row for every date on which at least one member of the universe has a bar, the first
-- date of history included (0 issues there, which seeds the McClellan EMAs with 0).
-- Definitions: the column descriptions in breadth_daily.yml beside this file.
WITH member_days AS (
    SELECT universe, date, close, prev_close, volume, sma_50, sma_200, prior_high_251, prior_low_251
    FROM staging.member_prices
),

daily_counts AS (
    SELECT
        universe,
        date,
        count(*) AS priced_members,
        count(prev_close) AS issues,
        count(*) FILTER (WHERE close > prev_close) AS advancers,
        count(*) FILTER (WHERE close < prev_close) AS decliners,
        count(*) FILTER (WHERE close = prev_close) AS unchanged,
        100.0 * count(*) FILTER (WHERE close > sma_50) / nullif(count(sma_50), 0) AS pct_above_sma50,
        100.0 * count(*) FILTER (WHERE close > sma_200) / nullif(count(sma_200), 0)
            AS pct_above_sma200,
        count(*) FILTER (WHERE close > prior_high_251) AS new_highs_52w,
        count(*) FILTER (WHERE close < prior_low_251) AS new_lows_52w,
        coalesce(sum(volume) FILTER (WHERE close > prev_close), 0)::BIGINT AS up_volume,
        coalesce(sum(volume) FILTER (WHERE close < prev_close), 0)::BIGINT AS down_volume
    FROM member_days
    GROUP BY universe, date
),

universe_members AS (
    SELECT universe, date, sum(members)::BIGINT AS members
    FROM staging.member_counts
    GROUP BY universe, date
),

daily_ratios AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY universe ORDER BY date) AS day_number,
        advancers - decliners AS net_advances,
        CASE
            WHEN advancers + decliners = 0 THEN 0.0
            ELSE 1000.0 * (advancers - decliners) / (advancers + decliners)
        END AS ratio_adjusted_net_advances,
        advancers / nullif(advancers + decliners, 0) AS advance_share,
        CASE
            WHEN advancers > 0 AND decliners > 0 AND up_volume > 0 AND down_volume > 0
                THEN (advancers / decliners) / (up_volume / down_volume)
        END AS arms_index,
        new_highs_52w - new_lows_52w AS net_new_highs,
        CASE
            WHEN new_highs_52w + new_lows_52w > 0
                THEN 100.0 * new_highs_52w / (new_highs_52w + new_lows_52w)
        END AS record_high_percent
    FROM daily_counts
),

-- EMA(t) = alpha * x(t) + (1 - alpha) * EMA(t-1), seeded with the first value:
-- alpha = 2 / (19 + 1) = 0.1 and 2 / (39 + 1) = 0.05.
rana_emas AS (
    WITH RECURSIVE ema (universe, day_number, ema_19, ema_39) AS (
        SELECT universe, day_number, ratio_adjusted_net_advances, ratio_adjusted_net_advances
        FROM daily_ratios
        WHERE day_number = 1
        UNION ALL
        SELECT
            today.universe,
            today.day_number,
            0.1 * today.ratio_adjusted_net_advances + 0.9 * ema.ema_19,
            0.05 * today.ratio_adjusted_net_advances + 0.95 * ema.ema_39
        FROM ema
        JOIN daily_ratios AS today
            ON today.universe = ema.universe AND today.day_number = ema.day_number + 1
    )
    SELECT universe, day_number, ema_19 - ema_39 AS mcclellan_oscillator
    FROM ema
),

-- The Zweig EMA runs over the days with advancers or decliners only (alpha = 2 / 11).
zweig_days AS (
    SELECT
        universe,
        day_number,
        advance_share,
        row_number() OVER (PARTITION BY universe ORDER BY day_number) AS zweig_number
    FROM daily_ratios
    WHERE advance_share IS NOT NULL
),

zweig_emas AS (
    WITH RECURSIVE ema (universe, zweig_number, day_number, zweig_ema10) AS (
        SELECT universe, zweig_number, day_number, advance_share
        FROM zweig_days
        WHERE zweig_number = 1
        UNION ALL
        SELECT
            today.universe,
            today.zweig_number,
            today.day_number,
            (2.0 / 11) * today.advance_share + (9.0 / 11) * ema.zweig_ema10
        FROM ema
        JOIN zweig_days AS today
            ON today.universe = ema.universe AND today.zweig_number = ema.zweig_number + 1
    )
    SELECT universe, day_number, zweig_ema10
    FROM ema
),

-- A thrust: the EMA is above 0.615 and was below 0.40 on one of its previous 10 values.
zweig_thrusts AS (
    SELECT
        universe,
        day_number,
        zweig_ema10,
        zweig_ema10 > 0.615
            AND coalesce(min(zweig_ema10) OVER previous_10_values < 0.40, false) AS zweig_thrust
    FROM zweig_emas
    WINDOW previous_10_values AS (
        PARTITION BY universe ORDER BY day_number ROWS BETWEEN 10 PRECEDING AND 1 PRECEDING
    )
)

SELECT
    daily_ratios.universe,
    daily_ratios.date,
    daily_ratios.issues,
    daily_ratios.advancers,
    daily_ratios.decliners,
    daily_ratios.unchanged,
    daily_ratios.net_advances,
    (sum(daily_ratios.net_advances) OVER history)::BIGINT AS ad_line,
    daily_ratios.ratio_adjusted_net_advances,
    rana_emas.mcclellan_oscillator,
    sum(rana_emas.mcclellan_oscillator) OVER history AS mcclellan_summation,
    daily_ratios.pct_above_sma50,
    daily_ratios.pct_above_sma200,
    daily_ratios.new_highs_52w,
    daily_ratios.new_lows_52w,
    daily_ratios.up_volume,
    daily_ratios.down_volume,
    daily_ratios.arms_index,
    zweig_thrusts.zweig_ema10,
    zweig_thrusts.zweig_thrust,
    daily_ratios.net_new_highs,
    daily_ratios.record_high_percent,
    CASE
        WHEN count(*) OVER last_10_rows = 10 THEN avg(daily_ratios.record_high_percent) OVER last_10_rows
    END AS high_low_index,
    CASE
        WHEN count(daily_ratios.arms_index) OVER last_10_rows = 10
            THEN avg(daily_ratios.arms_index) OVER last_10_rows
    END AS arms_index_10d,
    universe_members.members,
    100.0 * daily_ratios.priced_members / nullif(universe_members.members, 0) AS coverage_pct
FROM daily_ratios
JOIN rana_emas USING (universe, day_number)
LEFT JOIN zweig_thrusts USING (universe, day_number)
LEFT JOIN universe_members USING (universe, date)
WINDOW
    history AS (PARTITION BY daily_ratios.universe ORDER BY daily_ratios.date
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
    last_10_rows AS (PARTITION BY daily_ratios.universe ORDER BY daily_ratios.date
        ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)
ORDER BY universe, date
