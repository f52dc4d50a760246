-- The raw contract (models/raw/*.yml): what every source lands, whatever it is.
-- Keys are enforced by the loader (a MERGE per table), not by indexes.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;

-- key (ticker, date): split- and dividend-adjusted daily bars
CREATE TABLE IF NOT EXISTS raw.prices (
    ticker           VARCHAR   NOT NULL,
    date             DATE      NOT NULL,
    open             DOUBLE,
    high             DOUBLE,
    low              DOUBLE,
    close            DOUBLE    NOT NULL,
    volume           BIGINT,
    unadjusted_close DOUBLE,
    source           VARCHAR   NOT NULL,
    load_id          VARCHAR   NOT NULL,
    loaded_at        TIMESTAMP NOT NULL
);

-- key (universe, ticker, valid_from): point-in-time index membership, both dates inclusive
CREATE TABLE IF NOT EXISTS raw.members (
    universe   VARCHAR   NOT NULL,
    ticker     VARCHAR   NOT NULL,
    valid_from DATE      NOT NULL,
    valid_to   DATE,
    name       VARCHAR,
    sector     VARCHAR,
    source     VARCHAR   NOT NULL,
    load_id    VARCHAR   NOT NULL,
    loaded_at  TIMESTAMP NOT NULL
);

-- key (series, date): yields and rates in percent, CPI as an index level
CREATE TABLE IF NOT EXISTS raw.rates (
    series    VARCHAR   NOT NULL,
    date      DATE      NOT NULL,
    value     DOUBLE    NOT NULL,
    source    VARCHAR   NOT NULL,
    load_id   VARCHAR   NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

-- key (ticker, date, kind): splits (ratio new/old) and cash dividends per share
CREATE TABLE IF NOT EXISTS raw.actions (
    ticker    VARCHAR   NOT NULL,
    date      DATE      NOT NULL,
    kind      VARCHAR   NOT NULL,
    value     DOUBLE    NOT NULL,
    source    VARCHAR   NOT NULL,
    load_id   VARCHAR   NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

-- key (universe, ticker, as_of): each member's weight in its index fund's holdings, percent
CREATE TABLE IF NOT EXISTS raw.index_weights (
    universe  VARCHAR   NOT NULL,
    ticker    VARCHAR   NOT NULL,
    as_of     DATE      NOT NULL,
    weight    DOUBLE    NOT NULL,
    source    VARCHAR   NOT NULL,
    load_id   VARCHAR   NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

-- key (ticker, period_end, available_on): quarterly income-statement figures, one row per
-- publication of a quarter (a restatement is a later row)
CREATE TABLE IF NOT EXISTS raw.fundamentals (
    ticker             VARCHAR   NOT NULL,
    period_end         DATE      NOT NULL,
    fiscal_period      VARCHAR   NOT NULL,
    available_on       DATE      NOT NULL,
    net_income         DOUBLE    NOT NULL,
    revenue            DOUBLE,
    diluted_eps        DOUBLE,
    shares_outstanding DOUBLE,
    source             VARCHAR   NOT NULL,
    load_id            VARCHAR   NOT NULL,
    loaded_at          TIMESTAMP NOT NULL
);

-- key (load_id, table_name): what each load asked for, what came, what it did;
-- received = inserted + updated + unchanged + quarantined + quarantined_before, and
-- quarantined = the rows of raw.quarantine with the load's id; rows stored after the load
-- = rows stored before + inserted - removed
CREATE TABLE IF NOT EXISTS raw.loads (
    load_id     VARCHAR   NOT NULL,
    source      VARCHAR   NOT NULL,
    table_name  VARCHAR   NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    requested   JSON,
    missing     VARCHAR[],
    received    BIGINT    NOT NULL,
    inserted    BIGINT    NOT NULL,
    updated     BIGINT    NOT NULL,
    unchanged   BIGINT    NOT NULL,
    quarantined BIGINT    NOT NULL,
    -- rows rejected again that raw.quarantine already holds from an earlier load
    quarantined_before BIGINT NOT NULL DEFAULT 0,
    -- stored rows a complete load (a files reload) no longer had, removed
    removed     BIGINT    NOT NULL DEFAULT 0
);
-- warehouses built before these were recorded
ALTER TABLE raw.loads ADD COLUMN IF NOT EXISTS quarantined_before BIGINT DEFAULT 0;
ALTER TABLE raw.loads ADD COLUMN IF NOT EXISTS removed BIGINT DEFAULT 0;

-- key (table_name, record, rule): rows that broke the contract, kept with the reason
CREATE TABLE IF NOT EXISTS raw.quarantine (
    table_name     VARCHAR   NOT NULL,
    record         JSON      NOT NULL,
    rule           VARCHAR   NOT NULL,
    reason         VARCHAR   NOT NULL,
    source         VARCHAR   NOT NULL,
    load_id        VARCHAR   NOT NULL,
    quarantined_at TIMESTAMP NOT NULL
);

-- one row per line of the overrides file (orchestration/warehouse/overrides.py): a person's
-- corrections with their reasons, replaced whole on every run
CREATE TABLE IF NOT EXISTS raw.overrides (
    ticker    VARCHAR   NOT NULL,
    from_date DATE      NOT NULL,
    to_date   DATE,
    action    VARCHAR   NOT NULL,
    reason    VARCHAR   NOT NULL,
    line      BIGINT    NOT NULL,
    file      VARCHAR   NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
