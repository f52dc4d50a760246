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

-- key (table_name, ticker): rows an incremental table must rebuild on its next build, handed
-- on by a table it reads (what that table changed outside the raw loads); cleared when the
-- table publishes a build that rebuilt them
CREATE TABLE IF NOT EXISTS meta.pending_rebuilds (
    table_name   VARCHAR NOT NULL,
    ticker       VARCHAR NOT NULL,
    rebuild_from DATE    NOT NULL,
    PRIMARY KEY (table_name, ticker)
);

-- key (table_name, name): the settings each published table was built and checked with,
-- written with the publish; the tape words its rules from these values
CREATE TABLE IF NOT EXISTS meta.settings (
    table_name VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    value      VARCHAR NOT NULL,
    PRIMARY KEY (table_name, name)
);
