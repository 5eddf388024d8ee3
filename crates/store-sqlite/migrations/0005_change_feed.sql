-- The change feed (interlog_store::Changes). Each engagement row carries the position of
-- its latest write in its tenant's feed and when that committed; deletions leave a
-- tombstone; each tenant's newest position and how far tombstones were trimmed are kept
-- in tenant_heads.
ALTER TABLE engagements ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
ALTER TABLE engagements ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;

-- Engagements stored before the feed existed take positions in the order they were
-- first written.
WITH numbered AS (
    SELECT seq, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY seq) AS n
    FROM engagements
)
UPDATE engagements SET position = numbered.n, changed = engagements.updated
FROM numbered WHERE numbered.seq = engagements.seq;

CREATE INDEX engagements_by_position ON engagements (tenant_id, position);

CREATE TABLE tombstones (
    tenant_id INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    id        TEXT NOT NULL,
    at        INTEGER NOT NULL,
    reason    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, position)
) WITHOUT ROWID;
CREATE INDEX tombstones_by_time ON tombstones (tenant_id, at);

CREATE TABLE tenant_heads (
    tenant_id       INTEGER PRIMARY KEY,
    head            INTEGER NOT NULL,
    trimmed_through INTEGER NOT NULL DEFAULT 0
);
INSERT INTO tenant_heads (tenant_id, head)
SELECT t.id, COALESCE((SELECT MAX(position) FROM engagements e WHERE e.tenant_id = t.id), 0)
FROM tenants t;
