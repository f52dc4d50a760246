-- staging.price_exclusions: the spans of a series staging leaves out, and why.
-- Key (ticker, event_date, rule). Each series is judged on its own raw bars, in date order:
--   1. a move is suspect when it undoes a split action of the ticker dated within
--      split_action_window_days (the series was not adjusted for it), or it is within
--      split_tolerance of a whole split factor (2 to 10, 12, 15, 20, 25, 30, 40, 50 or 100,
--      or one over it), or it is more than max_daily_ratio times (or less than a
--      1/max_daily_ratio of) the close before;
--   2. it reverts when, within reversal_bars bars, a close comes back within reversal_band of
--      the close before the move: the bars from the move to the reversion are a misprint (or
--      another company's prices), and a suspect move inside that span is part of it;
--   3. else, once reversal_bars bars follow it, the level has held: the bars before the move
--      are on another basis (a split never adjusted) or from another company (a splice);
--      while fewer follow, the bars from the move on are held out until it can be judged;
--   4. a run of stale_run_bars or more bars that repeat the previous close with no volume or
--      no range is a stale print: the run is left out.
-- A real crash that lands near a split factor cannot be told from a missing adjustment by
-- prices alone: the evidence column says what was seen (README, "Data quality"), and a
-- `keep` override withdraws it. An `exclude` override adds a span of its own (rule override).
WITH thresholds AS (
    SELECT
        ln(1 + getvariable('split_tolerance')) AS split_log_tolerance,
        ln(getvariable('max_daily_ratio')) AS max_log_move,
        ln(1 + getvariable('reversal_band')) AS reversal_log_band,
        getvariable('reversal_bars') AS reversal_bars,
        getvariable('split_action_window_days') AS action_window_days,
        -- a split action smaller than 5-for-4 cannot be told from an ordinary day's move
        1.25 AS least_split_factor
),

whole_factors AS (
    SELECT unnest([2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 100]) AS factor
),

split_factors AS (
    SELECT factor FROM whole_factors
    UNION ALL
    SELECT 1 / factor FROM whole_factors
),

bars AS MATERIALIZED (
    SELECT
        ticker,
        date,
        close,
        lag(close) OVER own_series AS prev_close,
        lag(date) OVER own_series AS prev_date,
        row_number() OVER own_series AS bar,
        coalesce(volume = 0, false) OR coalesce(high = low, false) AS idle
    FROM raw.prices
    WINDOW own_series AS (PARTITION BY ticker ORDER BY date)
),

series_ends AS (
    SELECT ticker, max(bar) AS series_bars, min(date) AS first_date, max(date) AS last_date
    FROM bars
    GROUP BY ticker
),

big_moves AS (
    SELECT bars.*, series_ends.*, ln(bars.close / bars.prev_close) AS log_move
    FROM bars
    JOIN series_ends USING (ticker)
    CROSS JOIN thresholds
    WHERE abs(ln(bars.close / bars.prev_close))
        >= ln(thresholds.least_split_factor) - thresholds.split_log_tolerance
),

undone_actions AS (
    SELECT
        big_moves.ticker,
        big_moves.bar,
        arg_min(actions.date, abs(actions.date - big_moves.date)) AS action_date,
        arg_min(actions.value, abs(actions.date - big_moves.date)) AS action_value
    FROM big_moves
    CROSS JOIN thresholds
    JOIN raw.actions AS actions
        ON actions.ticker = big_moves.ticker
        AND actions.kind = 'split'
        AND (actions.value >= thresholds.least_split_factor
            OR actions.value <= 1 / thresholds.least_split_factor)
        AND abs(actions.date - big_moves.date) <= thresholds.action_window_days
        AND abs(ln(big_moves.close / big_moves.prev_close * actions.value))
            <= thresholds.split_log_tolerance
    GROUP BY big_moves.ticker, big_moves.bar
),

near_factors AS (
    SELECT
        big_moves.ticker,
        big_moves.bar,
        arg_min(split_factors.factor, abs(ln(big_moves.close / big_moves.prev_close / split_factors.factor)))
            AS factor
    FROM big_moves
    CROSS JOIN thresholds
    JOIN split_factors
        ON abs(ln(big_moves.close / big_moves.prev_close / split_factors.factor))
            <= thresholds.split_log_tolerance
    GROUP BY big_moves.ticker, big_moves.bar
),

suspect_moves AS (
    SELECT
        big_moves.ticker,
        big_moves.date,
        big_moves.bar,
        big_moves.series_bars,
        big_moves.first_date,
        big_moves.last_date,
        big_moves.prev_date,
        big_moves.prev_close,
        big_moves.close,
        CASE
            WHEN undone_actions.bar IS NOT NULL OR near_factors.bar IS NOT NULL
                THEN 'unadjusted_split'
            WHEN abs(big_moves.log_move) > thresholds.max_log_move THEN 'price_jump'
        END AS rule,
        CASE
            WHEN undone_actions.bar IS NOT NULL THEN format(
                'undoes the split action of {} (value {}): the series is not adjusted for it',
                undone_actions.action_date, undone_actions.action_value
            )
            WHEN near_factors.factor >= 1 THEN format(
                'within {}% of x{}, a 1-for-{} reverse split, and no split action',
                100 * getvariable('split_tolerance'), near_factors.factor::INTEGER,
                near_factors.factor::INTEGER
            )
            WHEN near_factors.factor < 1 THEN format(
                'within {}% of 1/{}, a {}-for-1 split, and no split action',
                100 * getvariable('split_tolerance'), (1 / near_factors.factor)::INTEGER,
                (1 / near_factors.factor)::INTEGER
            )
            ELSE format('more than {} times, up or down', getvariable('max_daily_ratio'))
        END AS why_suspect
    FROM big_moves
    CROSS JOIN thresholds
    LEFT JOIN undone_actions USING (ticker, bar)
    LEFT JOIN near_factors USING (ticker, bar)
    WHERE undone_actions.bar IS NOT NULL
        OR near_factors.bar IS NOT NULL
        OR abs(big_moves.log_move) > thresholds.max_log_move
),

reversions AS (
    SELECT
        suspect_moves.ticker,
        suspect_moves.bar,
        min(later.bar) AS back_bar,
        arg_min(later.prev_date, later.bar) AS last_date_before_back
    FROM suspect_moves
    CROSS JOIN thresholds
    JOIN bars AS later
        ON later.ticker = suspect_moves.ticker
        AND later.bar > suspect_moves.bar
        AND later.bar <= suspect_moves.bar + thresholds.reversal_bars
        AND abs(ln(later.close / suspect_moves.prev_close)) <= thresholds.reversal_log_band
    GROUP BY suspect_moves.ticker, suspect_moves.bar
),

absorbed_moves AS (
    SELECT DISTINCT inside.ticker, inside.bar
    FROM suspect_moves AS inside
    JOIN reversions AS earlier
        ON earlier.ticker = inside.ticker
        AND inside.bar > earlier.bar
        AND inside.bar <= earlier.back_bar
),

judged_moves AS (
    SELECT
        suspect_moves.*,
        reversions.back_bar,
        reversions.last_date_before_back,
        thresholds.reversal_bars,
        CASE
            WHEN reversions.back_bar IS NOT NULL THEN 'reverted'
            WHEN suspect_moves.series_bars - suspect_moves.bar >= thresholds.reversal_bars
                THEN 'history_before'
            ELSE 'since_jump'
        END AS span
    FROM suspect_moves
    CROSS JOIN thresholds
    LEFT JOIN reversions USING (ticker, bar)
    ANTI JOIN absorbed_moves USING (ticker, bar)
),

move_spans AS (
    SELECT
        ticker,
        date AS event_date,
        rule,
        span,
        CASE span WHEN 'history_before' THEN first_date ELSE date END AS from_date,
        CASE span
            WHEN 'reverted' THEN last_date_before_back
            WHEN 'history_before' THEN prev_date
            ELSE last_date
        END AS to_date,
        CASE span
            WHEN 'reverted' THEN back_bar - bar
            WHEN 'history_before' THEN bar - 1
            ELSE series_bars - bar + 1
        END AS bars,
        format(
            'close {} to {} on {} (x{:.4f}): {}; {}',
            prev_close, close, date, close / prev_close, why_suspect,
            CASE span
                WHEN 'reverted' THEN format(
                    'back to the earlier level {} bars later: a misprint or another company''s prices',
                    back_bar - bar
                )
                WHEN 'history_before'
                    THEN 'the new level holds: the bars before it are on another basis or from another company'
                ELSE format('too recent to judge: held out until {} bars follow it', reversal_bars)
            END
        ) AS evidence
    FROM judged_moves
),

stale_bars AS (
    SELECT ticker, date, bar, close, bar - row_number() OVER (PARTITION BY ticker ORDER BY bar) AS run
    FROM bars
    WHERE close = prev_close AND idle
),

stale_spans AS (
    SELECT
        ticker,
        min(date) AS event_date,
        'stale_prints' AS rule,
        'run' AS span,
        min(date) AS from_date,
        max(date) AS to_date,
        count(*) AS bars,
        format(
            'the close {} repeated on {} bars in a row with no volume or no range',
            any_value(close), count(*)
        ) AS evidence
    FROM stale_bars
    GROUP BY ticker, run
    HAVING count(*) >= getvariable('stale_run_bars')
),

found_spans AS (
    SELECT ticker, event_date, rule, span, from_date, to_date, bars, evidence
    FROM move_spans
    UNION ALL
    SELECT ticker, event_date, rule, span, from_date, to_date, bars, evidence
    FROM stale_spans
),

-- A person's corrections (raw.overrides, from the overrides file): `keep` withdraws what
-- the rules found with a move dated in its range; `exclude` leaves a range out.
kept_by_override AS (
    SELECT found_spans.*
    FROM found_spans
    SEMI JOIN raw.overrides AS overrides
        ON overrides.ticker = found_spans.ticker
        AND overrides.action = 'keep'
        AND found_spans.event_date
            BETWEEN overrides.from_date AND coalesce(overrides.to_date, DATE 'infinity')
),

excluded_by_override AS (
    SELECT
        overrides.ticker,
        overrides.from_date AS event_date,
        'override' AS rule,
        'override' AS span,
        overrides.from_date,
        coalesce(overrides.to_date, max(bars.date), overrides.from_date) AS to_date,
        count(bars.date) AS bars,
        format('{} (overrides line {})', overrides.reason, overrides.line) AS evidence
    FROM raw.overrides AS overrides
    LEFT JOIN bars
        ON bars.ticker = overrides.ticker
        AND bars.date BETWEEN overrides.from_date AND coalesce(overrides.to_date, DATE 'infinity')
    WHERE overrides.action = 'exclude'
    GROUP BY overrides.ticker, overrides.from_date, overrides.to_date, overrides.reason,
        overrides.line
)

SELECT * FROM found_spans
EXCEPT ALL
SELECT * FROM kept_by_override
UNION ALL
SELECT * FROM excluded_by_override
ORDER BY ticker, event_date, rule
