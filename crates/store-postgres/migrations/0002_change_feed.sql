-- The change feed (interlog_store::Changes). Each engagement row carries the position of
-- its latest write in its tenant's feed and when that committed; deletions leave a
-- tombstone; each tenant's newest position and how far tombstones were trimmed are kept in
-- tenant_heads, whose row a write transaction locks to take its positions (so positions
-- follow commit order). tenant_id leads every key and index (Citus).
ALTER TABLE engagements ADD COLUMN position bigint NOT NULL DEFAULT 0;
ALTER TABLE engagements ADD COLUMN changed bigint NOT NULL DEFAULT 0;

-- Engagements stored before the feed existed take positions in the order they were last
-- written.
UPDATE engagements e SET position = n.n, changed = e.updated
FROM (
    SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id ORDER BY updated, id) AS n
    FROM engagements
) n
WHERE n.tenant_id = e.tenant_id AND n.id = e.id;

CREATE INDEX engagements_by_position ON engagements (tenant_id, position);

CREATE TABLE tombstones (
    tenant_id bigint NOT NULL,
    position  bigint NOT NULL,
    id        text COLLATE "C" NOT NULL,
    at        bigint NOT NULL,
    reason    smallint NOT NULL,
    PRIMARY KEY (tenant_id, position)
);
CREATE INDEX tombstones_by_time ON tombstones (tenant_id, at);

CREATE TABLE tenant_heads (
    tenant_id       bigint PRIMARY KEY,
    head            bigint NOT NULL,
    trimmed_through bigint NOT NULL DEFAULT 0
);
INSERT INTO tenant_heads (tenant_id, head)
SELECT t.id, coalesce((SELECT max(position) FROM engagements e WHERE e.tenant_id = t.id), 0)
FROM tenants t;
