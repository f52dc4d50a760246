-- What the incrementally built tables have consumed: a table is current with every raw
-- row loaded at or before `consumed_through`, and rebuilds only what was loaded after it.
CREATE SCHEMA IF NOT EXISTS meta;

-- key (table_name): the latest build of each incremental table
CREATE TABLE IF NOT EXISTS meta.builds (
    table_name       VARCHAR   PRIMARY KEY,
    consumed_through TIMESTAMP NOT NULL,
    built_at         TIMESTAMP NOT NULL,
    mode             VARCHAR   NOT NULL,
    rebuilt_from     DATE,
    rows_rebuilt     BIGINT    NOT NULL
);
