-- The top small-cap movers of the report date, by rank.
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20'; then this query.
SELECT
    rank, ticker, name, sector, ret_1d, relative_volume, catalyst_like, split_ratio,
    reverse_split
FROM marts.small_cap_movers
WHERE date = getvariable('report_date')
ORDER BY rank
