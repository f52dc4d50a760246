-- marts.earnings_daily: can the members deliver earnings? Key (universe, date).
-- One row per trading date and universe, when the warehouse holds any fundamentals (none:
-- no rows). A quarter counts from its available_on, never from its period end; of a quarter
-- published twice (a restatement), the latest version known on the date counts. A member's
-- TTM net income is the sum of its latest four quarters known on the date, when they are
-- four consecutive fiscal quarters (else null: a late or a missing quarter makes it null
-- until four consecutive ones are known again). Members are point in time
-- (staging.membership_spans), priced or not. Sums are exact decimals.
WITH versions AS (
    SELECT
        ticker,
        available_on,
        net_income,
        4 * left(fiscal_period, 4)::INTEGER + right(fiscal_period, 1)::INTEGER AS quarter_number
    FROM raw.fundamentals
),

-- Each day on which something new about a ticker became known.
knowledge_days AS (
    SELECT DISTINCT ticker, available_on AS known_from
    FROM versions
),

quarters_known AS (
    SELECT
        knowledge_days.ticker,
        knowledge_days.known_from,
        versions.quarter_number,
        arg_max(versions.net_income, versions.available_on) AS net_income,
        min(versions.available_on) AS first_reported
    FROM knowledge_days
    JOIN versions
        ON versions.ticker = knowledge_days.ticker
        AND versions.available_on <= knowledge_days.known_from
    GROUP BY ALL
),

latest_four AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY ticker, known_from ORDER BY quarter_number DESC
        ) AS recency
    FROM quarters_known
    QUALIFY recency <= 4
),

ttm_changes AS (
    SELECT
        ticker,
        known_from,
        CASE WHEN count(*) = 4 AND max(quarter_number) - min(quarter_number) = 3
            THEN sum(net_income::DECIMAL(38, 4))
        END AS ttm_net_income,
        max(first_reported) FILTER (WHERE recency = 1) AS latest_reported_on
    FROM latest_four
    GROUP BY ticker, known_from
),

trading_days AS (
    SELECT
        date,
        lag(date, 21) OVER (ORDER BY date) AS date_21_back,
        lag(date, 252) OVER (ORDER BY date) AS date_252_back
    FROM staging.trading_dates
),

-- Each membership row on each trading date it counts; none without fundamentals.
span_days AS NOT MATERIALIZED (
    SELECT spans.universe, spans.ticker, spans.overlapping, trading_days.date
    FROM staging.membership_spans AS spans
    JOIN trading_days ON trading_days.date BETWEEN spans.counts_from AND spans.counts_to
    WHERE EXISTS (SELECT 1 FROM raw.fundamentals)
),

-- Each member on each trading date, once (the few tickers whose membership rows overlap
-- are deduplicated on their own).
member_days AS (
    SELECT universe, ticker, date FROM span_days WHERE NOT overlapping
    UNION ALL
    SELECT DISTINCT universe, ticker, date FROM span_days WHERE overlapping
),

known_now AS (
    SELECT
        member_days.universe,
        member_days.ticker,
        member_days.date,
        ttm_changes.ttm_net_income,
        ttm_changes.latest_reported_on
    FROM member_days
    ASOF LEFT JOIN ttm_changes
        ON ttm_changes.ticker = member_days.ticker
        AND member_days.date >= ttm_changes.known_from
),

day_totals AS (
    SELECT
        known_now.universe,
        known_now.date,
        count(*) AS members,
        count(known_now.ttm_net_income) AS members_with_ttm,
        count(*) FILTER (WHERE known_now.ttm_net_income < 0) AS unprofitable,
        sum(known_now.ttm_net_income) AS ttm_net_income,
        CASE WHEN any_value(trading_days.date_21_back) IS NOT NULL
            THEN count(*) FILTER (
                WHERE known_now.latest_reported_on > trading_days.date_21_back
            )
        END AS reported_21d
    FROM known_now
    JOIN trading_days USING (date)
    GROUP BY known_now.universe, known_now.date
),

-- The members with a TTM now, beside their TTM as known 252 trading dates earlier.
year_pairs AS (
    SELECT
        members_now.universe,
        members_now.date,
        sum(members_now.ttm_net_income) AS ttm_now,
        sum(year_earlier.ttm_net_income) AS ttm_then
    FROM (
        SELECT known_now.universe, known_now.ticker, known_now.date, known_now.ttm_net_income,
            trading_days.date_252_back
        FROM known_now
        JOIN trading_days USING (date)
        WHERE known_now.ttm_net_income IS NOT NULL AND trading_days.date_252_back IS NOT NULL
    ) AS members_now
    ASOF JOIN ttm_changes AS year_earlier
        ON year_earlier.ticker = members_now.ticker
        AND members_now.date_252_back >= year_earlier.known_from
    WHERE year_earlier.ttm_net_income IS NOT NULL
    GROUP BY members_now.universe, members_now.date
)

SELECT
    day_totals.universe,
    day_totals.date,
    day_totals.members,
    day_totals.members_with_ttm,
    100 * day_totals.unprofitable / nullif(day_totals.members_with_ttm, 0) AS unprofitable_pct,
    day_totals.ttm_net_income::DOUBLE AS ttm_net_income,
    CASE
        WHEN trading_days.date_252_back IS NOT NULL AND coalesce(year_pairs.ttm_then, 0) > 0
            THEN 100 * (year_pairs.ttm_now::DOUBLE / year_pairs.ttm_then::DOUBLE - 1)
    END AS ttm_net_income_yoy_pct,
    day_totals.reported_21d
FROM day_totals
JOIN trading_days USING (date)
LEFT JOIN year_pairs USING (universe, date)
ORDER BY day_totals.universe, day_totals.date
