-- Durable per-tenant settings (see interlog_store::Settings).
CREATE TABLE tenant_settings (
    tenant_id INTEGER NOT NULL,
    namespace TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, namespace, key)
) WITHOUT ROWID;

-- Earlier versions kept settings as records that never expire (year 9999), keyed by the
-- tenant's number, and first spellings of linked identifiers as such records keyed
-- "<tenant number>:<identifier>" holding [type, spelling].
INSERT INTO tenant_settings (tenant_id, namespace, key, value)
SELECT CAST(key AS INTEGER), namespace, '', value FROM records
WHERE expires_at >= 253402300799000 - 31536000000 * 999
  AND key <> '' AND key NOT GLOB '*[^0-9]*'
  AND CAST(key AS INTEGER) IN (SELECT id FROM tenants);

-- The type and spelling an identifier was first linked with.
ALTER TABLE identity_links ADD COLUMN kind TEXT;
ALTER TABLE identity_links ADD COLUMN spelling TEXT;
UPDATE identity_links SET
    kind = (SELECT json_extract(r.value, '$[0]') FROM records r
            WHERE r.expires_at >= 253402300799000 - 31536000000 * 999
              AND r.key = identity_links.tenant_id || ':' || identity_links.identifier
              AND json_valid(r.value) LIMIT 1),
    spelling = (SELECT json_extract(r.value, '$[1]') FROM records r
            WHERE r.expires_at >= 253402300799000 - 31536000000 * 999
              AND r.key = identity_links.tenant_id || ':' || identity_links.identifier
              AND json_valid(r.value) LIMIT 1);

-- Expiring records belong to a tenant and an owner. Sessions and refresh tokens of earlier
-- versions are not carried over: their holders sign in again.
DROP TABLE records;
CREATE TABLE records (
    tenant_id  INTEGER NOT NULL,
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    owner      TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, namespace, key)
) WITHOUT ROWID;
CREATE INDEX records_by_expiry ON records (expires_at);

-- A client's further credentials by name (PHC strings), as a JSON object.
ALTER TABLE clients ADD COLUMN credentials TEXT NOT NULL DEFAULT '{}';
UPDATE clients SET credentials = json_object('app_key', app_key_hash) WHERE app_key_hash IS NOT NULL;
ALTER TABLE clients DROP COLUMN app_key_hash;
