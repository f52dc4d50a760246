-- The latest trading date of the marts: the tape's date when none is asked for.
SELECT max(date) AS latest_date
FROM marts.market_regime
