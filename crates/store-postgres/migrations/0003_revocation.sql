-- Revocation: a client or user can be disabled (refused until enabled again) or deleted;
-- either way every token and session issued to it before is refused on every instance.
-- `revocations` keeps when each subject (client id, user id) was last revoked; it outlives
-- the subject and its tenant, so a token of a deleted tenant's client stays dead even if a
-- tenant of the same key is made again. `revocation_epoch` changes with every revocation:
-- instances read it often and the list only when it moved. Both are small reference
-- tables (Citus).
ALTER TABLE clients ADD COLUMN disabled_at bigint;
ALTER TABLE users ADD COLUMN disabled_at bigint;

CREATE TABLE revocations (
    subject    text COLLATE "C" PRIMARY KEY,
    tenant_id  bigint NOT NULL,
    revoked_at bigint NOT NULL
);

CREATE TABLE revocation_epoch (
    id    int PRIMARY KEY CHECK (id = 1),
    epoch bigint NOT NULL
);
INSERT INTO revocation_epoch (id, epoch) VALUES (1, 0);
