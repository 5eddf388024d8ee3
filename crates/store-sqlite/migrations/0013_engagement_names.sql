-- Names (interlog_store::names): what the tenant's queues, agents, teams and dispositions
-- are called. One row a (kind, id, name) that stored engagements mention, with how many
-- mention it (rows at 0 go) and the latest start among them; `folded` is the name's words,
-- case and accents folded, for suggestions and for names in the listing's filters. Written
-- at the end of each write transaction from what its writes changed; the Rust part of this
-- migration counts the engagements already stored.
CREATE TABLE engagement_names (
    tenant_id INTEGER NOT NULL,
    kind      INTEGER NOT NULL,
    id        TEXT NOT NULL,
    name      TEXT NOT NULL,
    folded    TEXT NOT NULL,
    n         INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, id, name)
) WITHOUT ROWID;
CREATE INDEX engagement_names_by_folded ON engagement_names (tenant_id, kind, folded);
