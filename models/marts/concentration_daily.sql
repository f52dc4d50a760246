-- marts.concentration_daily: how few names carry each index. Key (universe, date).
-- One row per trading date for each universe with at least one weight snapshot (none: no
-- rows). Between snapshots a member's weight drifts with its price: its weight in the
-- universe's latest snapshot s on or before t times close(t) / close(s), renormalized over
-- the members on t with a weight in s and a close on both dates. Returns weight each member
-- by its weight on the previous trading date, renormalized over the members with both that
-- weight and a 1-day return. Sums are exact decimals, so the result does not depend on the
-- order DuckDB adds them in.
WITH snapshots AS (
    SELECT DISTINCT universe, as_of
    FROM raw.index_weights
),

trading_days AS (
    SELECT date, lag(date) OVER (ORDER BY date) AS previous_date
    FROM staging.trading_dates
),

calendar AS (
    SELECT trading_days.date, trading_days.previous_date, universes.universe
    FROM trading_days
    CROSS JOIN (SELECT DISTINCT universe FROM snapshots) AS universes
),

snapshot_in_force AS (
    SELECT calendar.universe, calendar.date, snapshots.as_of
    FROM calendar
    ASOF JOIN snapshots
        ON calendar.universe = snapshots.universe
        AND calendar.date >= snapshots.as_of
),

snapshot_weights AS (
    SELECT weights.universe, weights.ticker, weights.as_of, weights.weight, series.close
    FROM raw.index_weights AS weights
    JOIN staging.price_series AS series
        ON series.ticker = weights.ticker AND series.date = weights.as_of
),

drifted AS (
    SELECT
        members.universe,
        members.date,
        members.ticker,
        members.ret_1d,
        snapshot_weights.weight * members.close / snapshot_weights.close AS drifted_weight
    FROM staging.member_prices AS members
    JOIN snapshot_in_force USING (universe, date)
    JOIN snapshot_weights
        ON snapshot_weights.universe = members.universe
        AND snapshot_weights.ticker = members.ticker
        AND snapshot_weights.as_of = snapshot_in_force.as_of
),

weights AS (
    SELECT
        universe,
        date,
        ticker,
        ret_1d,
        100 * drifted_weight / sum(drifted_weight::DECIMAL(38, 18)) OVER (
            PARTITION BY universe, date
        )::DOUBLE AS weight_pct
    FROM drifted
),

ranked_weights AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY universe, date ORDER BY weight_pct DESC, ticker)
            AS weight_rank
    FROM weights
),

day_weights AS (
    SELECT
        universe,
        date,
        count(*) AS members_weighted,
        sum(weight_pct::DECIMAL(38, 18)) FILTER (WHERE weight_rank <= 10)::DOUBLE
            AS top10_weight_pct
    FROM ranked_weights
    GROUP BY universe, date
),

-- Today's return of each member that had a weight on the previous trading date.
returns_on_prior_weights AS (
    SELECT
        calendar.universe,
        calendar.date,
        today.ticker,
        today.ret_1d,
        prior.weight_pct AS prior_weight
    FROM calendar
    JOIN weights AS today USING (universe, date)
    JOIN weights AS prior
        ON prior.universe = calendar.universe
        AND prior.date = calendar.previous_date
        AND prior.ticker = today.ticker
    WHERE today.ret_1d IS NOT NULL
),

renormalized AS (
    SELECT
        *,
        prior_weight / sum(prior_weight::DECIMAL(38, 18)) OVER (
            PARTITION BY universe, date
        )::DOUBLE AS return_weight,
        row_number() OVER (PARTITION BY universe, date ORDER BY prior_weight DESC, ticker)
            AS prior_rank
    FROM returns_on_prior_weights
),

day_returns AS (
    SELECT
        universe,
        date,
        sum((return_weight * ret_1d)::DECIMAL(38, 18))::DOUBLE AS cap_weighted_ret_1d,
        (sum(ret_1d::DECIMAL(38, 18)) / count(*))::DOUBLE AS equal_weighted_ret_1d,
        sum((return_weight * ret_1d)::DECIMAL(38, 18)) FILTER (WHERE prior_rank <= 10)::DOUBLE
            AS top10_part_1d
    FROM renormalized
    GROUP BY universe, date
),

daily AS (
    SELECT
        calendar.universe,
        calendar.date,
        coalesce(day_weights.members_weighted, 0) AS members_weighted,
        day_weights.top10_weight_pct,
        day_returns.cap_weighted_ret_1d,
        day_returns.equal_weighted_ret_1d,
        day_returns.top10_part_1d
    FROM calendar
    LEFT JOIN day_weights USING (universe, date)
    LEFT JOIN day_returns USING (universe, date)
)

SELECT
    universe,
    date,
    members_weighted,
    top10_weight_pct,
    cap_weighted_ret_1d,
    equal_weighted_ret_1d,
    CASE WHEN count(cap_weighted_ret_1d) OVER last_21_rows = 21
        THEN product(1 + cap_weighted_ret_1d) OVER last_21_rows
            - product(1 + equal_weighted_ret_1d) OVER last_21_rows
    END AS cap_minus_equal_21d,
    CASE WHEN count(top10_part_1d) OVER last_21_rows = 21
        THEN sum(top10_part_1d::DECIMAL(38, 18)) OVER last_21_rows
    END::DOUBLE AS top10_contribution_21d
FROM daily
WINDOW last_21_rows AS (
    PARTITION BY universe ORDER BY date ROWS BETWEEN 20 PRECEDING AND CURRENT ROW
)
ORDER BY universe, date
