-- Customer identity links: identifiers (normalized as search terms are) grouped into one
-- customer. A customer is named by a generated id; an identifier belongs to at most one.
CREATE TABLE identity_links (
    tenant_id  INTEGER NOT NULL,
    identifier TEXT NOT NULL,
    customer   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, identifier)
) WITHOUT ROWID;
CREATE INDEX identity_links_by_customer ON identity_links (tenant_id, customer);

-- Expiring records shared by every instance (sessions, refresh tokens).
CREATE TABLE records (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE INDEX records_by_expiry ON records (expires_at);
