-- Names (interlog_store::names): what the tenant's queues, agents, teams and dispositions
-- are called. One row a (kind, id, name) that stored engagements mention, with how many
-- mention it (rows at 0 go) and the latest start among them; `folded` is the name's words,
-- case and accents folded, for suggestions and for names in the listing's filters. Written
-- in each write's transaction from what it changed (writers of a tenant hold its feed head,
-- so they change its rows one at a time); the Rust part of this migration counts the
-- engagements already stored.
CREATE TABLE engagement_names (
    tenant_id bigint NOT NULL,
    kind      smallint NOT NULL,
    id        text COLLATE "C" NOT NULL,
    name      text COLLATE "C" NOT NULL,
    folded    text COLLATE "C" NOT NULL,
    n         bigint NOT NULL,
    last_seen bigint NOT NULL,
    PRIMARY KEY (tenant_id, kind, id, name)
);
CREATE INDEX engagement_names_by_folded ON engagement_names (tenant_id, kind, folded);
