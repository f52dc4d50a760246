-- What followed each signal's past firings (marts.signal_scorecard, over the whole stored
-- history), one row per signal and horizon, with whether the signal is on on the report date.
-- Run by hand: SET VARIABLE report_date = DATE '2026-11-20'; then this query.
SELECT
    scorecard.signal,
    scorecard.horizon,
    today.is_on,
    scorecard.firings,
    scorecard.mean_fwd_spread,
    scorecard.hit_rate_pct,
    scorecard.base_mean_fwd_spread,
    scorecard.last_firing
FROM marts.signal_scorecard AS scorecard
LEFT JOIN marts.signal_days AS today
    ON today.signal = scorecard.signal AND today.date = getvariable('report_date')
ORDER BY scorecard.signal, scorecard.horizon
