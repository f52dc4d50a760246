-- What staging.member_prices rebuilds, per ticker: the days from its earliest bar loaded
-- since the table's last build (or a re-run's rebuild_from), from the valid_from of a
-- membership row loaded since, or from what staging.price_series rebuilt since and handed
-- on (pending_rebuilds), whichever is earliest. A row of a universe's first snapshot
-- also counts before its valid_from, so a change to one rebuilds the ticker's whole
-- history, and a new, earlier first snapshot rebuilds every ticker.
WITH changed_bars AS (
    SELECT ticker, min(date) AS rebuild_from
    FROM raw.prices
    WHERE loaded_at > getvariable('consumed_through')
       OR date >= getvariable('rebuild_from')
    GROUP BY ticker
),

first_snapshot AS (
    SELECT
        universe,
        min(valid_from) AS snapshot_date,
        min(valid_from) FILTER (WHERE loaded_at <= getvariable('consumed_through'))
            AS consumed_snapshot_date
    FROM raw.members
    GROUP BY universe
),

changed_memberships AS (
    SELECT
        members.ticker,
        CASE
            WHEN members.valid_from = first_snapshot.snapshot_date THEN DATE '-infinity'
            ELSE members.valid_from
        END AS rebuild_from
    FROM raw.members
    JOIN first_snapshot USING (universe)
    WHERE members.loaded_at > getvariable('consumed_through')
),

handed_on AS (
    SELECT ticker, rebuild_from
    FROM pending_rebuilds
),

moved_first_snapshots AS (
    SELECT members.ticker, DATE '-infinity' AS rebuild_from
    FROM raw.members
    JOIN first_snapshot USING (universe)
    WHERE first_snapshot.snapshot_date < first_snapshot.consumed_snapshot_date
)

SELECT ticker, min(rebuild_from) AS rebuild_from
FROM (
    SELECT * FROM changed_bars
    UNION ALL
    SELECT * FROM changed_memberships
    UNION ALL
    SELECT * FROM moved_first_snapshots
    UNION ALL
    SELECT * FROM handed_on
)
GROUP BY ticker
