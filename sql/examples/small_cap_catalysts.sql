-- The 20 most recent small-cap moves on at least 3x the member's usual volume, or on a
-- reverse split.
SELECT
    date,
    rank,
    ticker,
    name,
    sector,
    round(100 * ret_1d, 1) AS ret_1d_pct,
    round(relative_volume, 1) AS relative_volume,
    reverse_split
FROM marts.small_cap_movers
WHERE catalyst_like OR reverse_split
ORDER BY date DESC, rank
LIMIT 20;
