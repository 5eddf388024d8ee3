-- Tenants and the credentials that act for them.
CREATE TABLE tenants (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    country_code TEXT,
    created_at   INTEGER NOT NULL
);

-- Other names a tenant answers to in one dialect (e.g. a six-letter AXP account id).
CREATE TABLE tenant_aliases (
    dialect   TEXT NOT NULL,
    alias     TEXT NOT NULL,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    PRIMARY KEY (dialect, alias)
) WITHOUT ROWID;

CREATE TABLE clients (
    client_id    TEXT PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    secret_hash  TEXT NOT NULL,
    role         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    app_key_hash TEXT,
    created_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    email         TEXT,
    display_name  TEXT,
    role          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (tenant_id, username)
) WITHOUT ROWID;

-- One row an engagement. `body` is the canonical JSON; the other columns are what the
-- filters and sorts read, so a listing never parses a body it does not return.
-- `ended` and `duration` hold sentinels when absent (see interlog_store::NO_END).
CREATE TABLE engagements (
    seq       INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    id        TEXT NOT NULL,
    started   INTEGER NOT NULL,
    ended     INTEGER NOT NULL,
    updated   INTEGER NOT NULL,
    duration  INTEGER NOT NULL,
    state     INTEGER NOT NULL,
    outcome   INTEGER,
    direction INTEGER,
    channels  INTEGER NOT NULL,
    body      TEXT NOT NULL
);
CREATE UNIQUE INDEX engagements_by_id ON engagements (tenant_id, id);
CREATE INDEX engagements_by_started ON engagements (tenant_id, started, id);
CREATE INDEX engagements_by_ended ON engagements (tenant_id, ended, id);
CREATE INDEX engagements_by_updated ON engagements (tenant_id, updated, id);
CREATE INDEX engagements_by_duration ON engagements (tenant_id, duration, id);

-- Search terms (agents, queues, customer identifiers…; see interlog_store::terms), keyed
-- so that one term's engagements come out newest first straight from the index.
CREATE TABLE terms (
    tenant_id INTEGER NOT NULL,
    kind      INTEGER NOT NULL,
    value     TEXT NOT NULL,
    started   INTEGER NOT NULL,
    id        TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, value, started, id)
) WITHOUT ROWID;
