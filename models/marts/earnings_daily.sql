-- marts.earnings_daily: can the members deliver earnings? Key (universe, date).
-- One row per trading date and universe, when the warehouse holds any fundamentals (none:
-- no rows). A quarter counts from its available_on, never from its period end; of a quarter
-- published twice (a restatement), the latest version known on the date counts. A member's
-- TTM net income is the sum of its latest four quarters known on the date, when they are
-- four consecutive fiscal quarters (else null: a late or a missing quarter makes it null
-- until four consecutive ones are known again). Members are point in time
-- (staging.membership_spans), priced or not. Sums are exact decimals.
--
-- Built as a sweep, not member by member and day by day: a member's TTM changes only when
-- something new about it becomes known, so each member holds one TTM over a run of
-- sessions. Each run adds its count and its TTM on its first session and takes them away
-- after its last, and a running sum over the sessions gives every day's totals.
WITH versions AS (
    SELECT
        ticker,
        available_on,
        net_income,
        4 * left(fiscal_period, 4)::INTEGER + right(fiscal_period, 1)::INTEGER AS quarter_number
    FROM raw.fundamentals
),

-- Each day on which something new about a ticker became known, with its latest quarter
-- known by then.
knowledge_days AS (
    SELECT DISTINCT
        ticker,
        available_on AS known_from,
        max(quarter_number) OVER (
            PARTITION BY ticker ORDER BY available_on
            RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS latest_quarter
    FROM versions
),

-- The versions of the latest four quarters known on each of those days (a TTM needs those
-- four; older ones never count).
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
        AND versions.quarter_number > knowledge_days.latest_quarter - 4
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
    SELECT date, row_number() OVER (ORDER BY date) AS session
    FROM staging.trading_dates
),

-- Each membership row's sessions, first to last (none without fundamentals).
span_sessions AS (
    SELECT spans.universe, spans.ticker, first_day.session AS from_session,
        last_day.session AS to_session
    FROM staging.membership_spans AS spans
    ASOF JOIN trading_days AS first_day ON first_day.date >= spans.counts_from
    ASOF JOIN trading_days AS last_day ON last_day.date <= spans.counts_to
    WHERE first_day.session <= last_day.session
        AND EXISTS (SELECT 1 FROM raw.fundamentals)
),

-- A ticker's overlapping membership rows in a universe merged, so it counts once a day.
membership_runs AS (
    SELECT universe, ticker, min(from_session) AS from_session, max(to_session) AS to_session
    FROM (
        SELECT *, sum(starts_run) OVER (
            PARTITION BY universe, ticker ORDER BY from_session, to_session
        ) AS run
        FROM (
            SELECT *, coalesce(from_session > max(to_session) OVER (
                PARTITION BY universe, ticker ORDER BY from_session, to_session
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ), true)::INTEGER AS starts_run
            FROM span_sessions
        )
    )
    GROUP BY universe, ticker, run
),

-- Each ticker's TTM over the sessions it holds: from the first session on or after the day
-- it became known to the session before the next change (of changes known before the same
-- session, the last).
ttm_runs AS (
    SELECT ticker, ttm_net_income, latest_reported_on, from_session,
        coalesce(
            lead(from_session) OVER (PARTITION BY ticker ORDER BY from_session) - 1,
            (SELECT max(session) FROM trading_days)
        ) AS to_session
    FROM (
        SELECT ttm_changes.*, known_day.session AS from_session
        FROM ttm_changes
        ASOF JOIN trading_days AS known_day ON known_day.date >= ttm_changes.known_from
        QUALIFY row_number() OVER (
            PARTITION BY ttm_changes.ticker, known_day.session
            ORDER BY ttm_changes.known_from DESC
        ) = 1
    )
),

-- The sessions a member holds a TTM run: both on, the first session to the last.
member_ttm AS (
    SELECT membership_runs.universe, membership_runs.ticker,
        greatest(membership_runs.from_session, ttm_runs.from_session) AS from_session,
        least(membership_runs.to_session, ttm_runs.to_session) AS to_session,
        ttm_runs.ttm_net_income, ttm_runs.latest_reported_on
    FROM membership_runs
    JOIN ttm_runs
        ON ttm_runs.ticker = membership_runs.ticker
        AND ttm_runs.from_session <= membership_runs.to_session
        AND ttm_runs.to_session >= membership_runs.from_session
),

-- A report counts in reported_21d on its first session on or after the day and the 20
-- after: the sessions whose trading date 21 rows back is before it.
member_reports AS (
    SELECT member_ttm.universe,
        greatest(member_ttm.from_session, report_day.session) AS from_session,
        least(member_ttm.to_session, report_day.session + 20) AS to_session
    FROM member_ttm
    ASOF JOIN trading_days AS report_day ON report_day.date >= member_ttm.latest_reported_on
),

-- A member with a TTM now beside its TTM as known 252 sessions earlier, both not null.
year_pairs AS (
    SELECT member_ttm.universe,
        greatest(member_ttm.from_session, year_earlier.from_session + 252) AS from_session,
        least(member_ttm.to_session, year_earlier.to_session + 252) AS to_session,
        member_ttm.ttm_net_income AS ttm_now,
        year_earlier.ttm_net_income AS ttm_then
    FROM member_ttm
    JOIN ttm_runs AS year_earlier
        ON year_earlier.ticker = member_ttm.ticker
        AND year_earlier.from_session + 252 <= member_ttm.to_session
        AND year_earlier.to_session + 252 >= member_ttm.from_session
    WHERE member_ttm.ttm_net_income IS NOT NULL AND year_earlier.ttm_net_income IS NOT NULL
),

-- Every run with what it adds to a day's totals, from its first session to its last.
runs AS (
    SELECT universe, from_session, to_session, 1 AS members, 0 AS with_ttm, 0 AS unprofitable,
        0::DECIMAL(38, 4) AS ttm, 0 AS reported, 0::DECIMAL(38, 4) AS ttm_now,
        0::DECIMAL(38, 4) AS ttm_then
    FROM membership_runs
    UNION ALL
    SELECT universe, from_session, to_session, 0, 1, (ttm_net_income < 0)::INTEGER,
        ttm_net_income, 0, 0, 0
    FROM member_ttm
    WHERE ttm_net_income IS NOT NULL
    UNION ALL
    SELECT universe, from_session, to_session, 0, 0, 0, 0, 1, 0, 0
    FROM member_reports
    UNION ALL
    SELECT universe, from_session, to_session, 0, 0, 0, 0, 0, ttm_now, ttm_then
    FROM year_pairs
),

-- Each run counted on its first session and taken away on the session after its last.
changes AS (
    SELECT universe, session, sum(members) AS members, sum(with_ttm) AS with_ttm,
        sum(unprofitable) AS unprofitable, sum(ttm) AS ttm, sum(reported) AS reported,
        sum(ttm_now) AS ttm_now, sum(ttm_then) AS ttm_then
    FROM (
        SELECT universe, from_session AS session, members, with_ttm, unprofitable, ttm,
            reported, ttm_now, ttm_then
        FROM runs
        WHERE from_session <= to_session
        UNION ALL
        SELECT universe, to_session + 1, -members, -with_ttm, -unprofitable, -ttm, -reported,
            -ttm_now, -ttm_then
        FROM runs
        WHERE from_session <= to_session
    )
    GROUP BY universe, session
),

-- The running totals on every session of each universe that has members.
day_totals AS (
    SELECT
        universes.universe,
        trading_days.date,
        trading_days.session,
        sum(coalesce(changes.members, 0)) OVER running AS members,
        sum(coalesce(changes.with_ttm, 0)) OVER running AS members_with_ttm,
        sum(coalesce(changes.unprofitable, 0)) OVER running AS unprofitable,
        sum(coalesce(changes.ttm, 0)) OVER running AS ttm_net_income,
        sum(coalesce(changes.reported, 0)) OVER running AS reported,
        sum(coalesce(changes.ttm_now, 0)) OVER running AS ttm_now,
        sum(coalesce(changes.ttm_then, 0)) OVER running AS ttm_then
    FROM (SELECT DISTINCT universe FROM membership_runs) AS universes
    CROSS JOIN trading_days
    LEFT JOIN changes
        ON changes.universe = universes.universe AND changes.session = trading_days.session
    WINDOW running AS (PARTITION BY universes.universe ORDER BY trading_days.session)
)

SELECT
    universe,
    date,
    members::BIGINT AS members,
    members_with_ttm::BIGINT AS members_with_ttm,
    100 * unprofitable / nullif(members_with_ttm, 0) AS unprofitable_pct,
    CASE WHEN members_with_ttm > 0 THEN ttm_net_income::DOUBLE END AS ttm_net_income,
    CASE WHEN session > 252 AND ttm_then > 0
        THEN 100 * (ttm_now::DOUBLE / ttm_then::DOUBLE - 1)
    END AS ttm_net_income_yoy_pct,
    CASE WHEN session > 21 THEN reported::BIGINT END AS reported_21d
FROM day_totals
WHERE members > 0
ORDER BY universe, date
