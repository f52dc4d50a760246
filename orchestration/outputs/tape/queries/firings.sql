-- Each past firing of a signal with the small-minus-large spread over the 21 trading dates
-- after it (marts.signal_events; firings without a complete window are left out), and the
-- spread over every date's 21-day window (the base rate).
SELECT signal, date, fwd_spread_21d
FROM marts.signal_events
WHERE fwd_spread_21d IS NOT NULL
ORDER BY signal, date
