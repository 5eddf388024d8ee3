-- The compact stored form. `engagements.body` holds the encoded body (see
-- interlog_store::codec; plain JSON text of earlier versions still reads), and search
-- terms are keyed by integers: a tenant's term values are numbered once in term_values, and
-- a term entry is (value number, start, row) with the kinds the value is a term of there
-- (one entry where an agent's email was both an agent term and a participant-email term).
-- The Rust step of this migration (upgrade.rs) re-encodes the bodies and rebuilds the terms.
CREATE TABLE term_values (
    tenant_id INTEGER NOT NULL,
    value     TEXT NOT NULL,
    id        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, value)
) WITHOUT ROWID;

-- The last value number given out in each tenant.
CREATE TABLE term_value_ids (
    tenant_id INTEGER PRIMARY KEY,
    last      INTEGER NOT NULL
);

DROP TABLE terms;
-- Ties within a start time are in row order here; listings order them by id (see listing.rs).
CREATE TABLE terms (
    tenant_id INTEGER NOT NULL,
    value     INTEGER NOT NULL,
    started   INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    kinds     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, value, started, seq)
) WITHOUT ROWID;

-- Search terms of a bulk load not yet in `terms`: one row per engagement, appended in row
-- order, its entries 8-byte little-endian integers (value number * 1024 + kinds). They are
-- moved into terms in key order when the load ends, or when the store is next opened after
-- a killed load.
CREATE TABLE terms_pending (
    seq       INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    started   INTEGER NOT NULL,
    entries   BLOB NOT NULL
);

-- The indexes a bulk load dropped, to be built again when it ends (or when the store is
-- next opened after a killed load): their names and the SQL that made them.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
);
