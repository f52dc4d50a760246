-- marts.signal_events: each firing of a watch signal, and the small-minus-large spread that
-- followed it. Key (signal, date). The fwd_ columns look ahead by definition (see
-- marts.signal_days); each is null while its window is not complete.
SELECT signal, date, fwd_spread_5d, fwd_spread_21d, fwd_spread_63d
FROM marts.signal_days
WHERE fires
ORDER BY signal, date
