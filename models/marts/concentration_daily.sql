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

-- Each snapshot's weights with the close on its date (a few hundred thousand rows,
-- materialized so the member-days below join to it, not it to them).
snapshot_weights AS MATERIALIZED (
    SELECT weights.universe, weights.ticker, weights.as_of, weights.weight, series.close
    FROM raw.index_weights AS weights
    JOIN staging.price_series AS series
        ON series.ticker = weights.ticker AND series.date = weights.as_of
),

-- Each member-day with the snapshot in force on it.
member_days AS MATERIALIZED (
    SELECT
        members.universe,
        members.date,
        members.ticker,
        members.close,
        members.ret_1d,
        snapshot_in_force.as_of
    FROM staging.member_prices AS members
    JOIN snapshot_in_force USING (universe, date)
),

drifted AS (
    SELECT
        member_days.universe,
        member_days.date,
        member_days.ticker,
        member_days.ret_1d,
        snapshot_weights.weight * member_days.close / snapshot_weights.close AS drifted_weight
    FROM member_days
    JOIN snapshot_weights USING (universe, ticker, as_of)
),

-- Each day's sum of the drifted weights, to renormalize by.
drifted_totals AS (
    SELECT universe, date, sum(drifted_weight::DECIMAL(38, 18)) AS total
    FROM drifted
    GROUP BY universe, date
),

weights AS (
    SELECT
        drifted.universe,
        drifted.date,
        drifted.ticker,
        drifted.ret_1d,
        100 * drifted.drifted_weight / drifted_totals.total::DOUBLE AS weight_pct
    FROM drifted
    JOIN drifted_totals USING (universe, date)
),

-- The 10 largest weights of each day: their sum does not depend on how ties are broken.
day_weights AS (
    SELECT
        universe,
        date,
        count(*) AS members_weighted,
        list_sum(
            list_transform(max(weight_pct, 10), lambda weight: weight::DECIMAL(38, 18))
        )::DOUBLE AS top10_weight_pct
    FROM weights
    GROUP BY universe, date
),

-- Each member's weight on its previous weighted day.
weights_with_prior AS (
    SELECT
        *,
        lag(date) OVER member_series AS prior_date,
        lag(weight_pct) OVER member_series AS prior_weight
    FROM weights
    WINDOW member_series AS (PARTITION BY universe, ticker ORDER BY date)
),

-- Today's return of each member that had a weight on the previous trading date.
returns_on_prior_weights AS (
    SELECT
        calendar.universe,
        calendar.date,
        today.ticker,
        today.ret_1d,
        today.prior_weight
    FROM calendar
    JOIN weights_with_prior AS today USING (universe, date)
    WHERE today.ret_1d IS NOT NULL AND today.prior_date = calendar.previous_date
),

prior_totals AS (
    SELECT universe, date, sum(prior_weight::DECIMAL(38, 18)) AS total
    FROM returns_on_prior_weights
    GROUP BY universe, date
),

-- Each member's part of the cap-weighted return: its renormalized prior weight times its
-- return.
return_parts AS (
    SELECT
        returns.universe,
        returns.date,
        returns.ticker,
        returns.ret_1d,
        returns.prior_weight,
        (returns.prior_weight / prior_totals.total::DOUBLE * returns.ret_1d)::DECIMAL(38, 18)
            AS part
    FROM returns_on_prior_weights AS returns
    JOIN prior_totals USING (universe, date)
),

-- The top 10 by prior weight take ties by ticker: the smallest (-weight, ticker) first.
day_returns AS (
    SELECT
        universe,
        date,
        sum(part)::DOUBLE AS cap_weighted_ret_1d,
        (sum(ret_1d::DECIMAL(38, 18)) / count(*))::DOUBLE AS equal_weighted_ret_1d,
        list_sum(min_by(part, (-prior_weight, ticker), 10))::DOUBLE AS top10_part_1d
    FROM return_parts
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
