-- The settings the marts were built with, one value per name: the tape words its rules
-- (thresholds, the small ETF) from these.
SELECT name, any_value(value ORDER BY table_name) AS value
FROM meta.settings
WHERE table_name LIKE 'marts.%'
GROUP BY name
ORDER BY name
