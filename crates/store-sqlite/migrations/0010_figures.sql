-- Analytics (interlog_store::Analytics). Each engagement that adds to a figure has one row
-- here, written in the engagement's own transaction: its facts (see
-- interlog_store::analytics::Facts) in a compact form (figures/encoding.rs). Keyed by start
-- time, so the engagements of a range of time are one slice of the table, read in order.
CREATE TABLE figures (
    tenant_id INTEGER NOT NULL,
    started   INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    facts     BLOB NOT NULL,
    PRIMARY KEY (tenant_id, started, seq)
) WITHOUT ROWID;

-- The values figures are grouped by (queue ids, agent ids, teams, dispositions: `kind`
-- 1 to 4), numbered per tenant so that facts hold small integers, with the name each was
-- last written with (a queue's name, an agent's display name).
CREATE TABLE figure_keys (
    tenant_id INTEGER NOT NULL,
    kind      INTEGER NOT NULL,
    value     TEXT NOT NULL,
    id        INTEGER NOT NULL,
    name      TEXT,
    PRIMARY KEY (tenant_id, kind, value)
) WITHOUT ROWID;
CREATE UNIQUE INDEX figure_keys_by_id ON figure_keys (tenant_id, id);
