//! Durable per-tenant settings.

use crate::db;
use interlog_store::{Result, SettingEdit};
use rusqlite::{params, Connection, OptionalExtension};

pub(crate) fn get(conn: &Connection, tenant: i64, ns: &str, key: &str) -> Result<Option<String>> {
    conn.prepare_cached(
        "SELECT value FROM tenant_settings WHERE tenant_id = ?1 AND namespace = ?2 AND key = ?3",
    )
    .and_then(|mut s| {
        s.query_row(params![tenant, ns, key], |r| r.get(0))
            .optional()
    })
    .map_err(db("get setting"))
}

pub(crate) fn all(conn: &Connection, tenant: i64, ns: &str) -> Result<Vec<(String, String)>> {
    conn.prepare_cached(
        "SELECT key, value FROM tenant_settings WHERE tenant_id = ?1 AND namespace = ?2 ORDER BY key",
    )
    .and_then(|mut s| {
        s.query_map(params![tenant, ns], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    })
    .map_err(db("list settings"))
}

pub(crate) fn put(
    conn: &Connection,
    tenant: i64,
    ns: &str,
    key: &str,
    value: Option<&str>,
) -> Result<()> {
    match value {
        Some(v) => conn
            .prepare_cached(
                "INSERT INTO tenant_settings (tenant_id, namespace, key, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant_id, namespace, key) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut s| s.execute(params![tenant, ns, key, v])),
        None => conn
            .prepare_cached(
                "DELETE FROM tenant_settings WHERE tenant_id = ?1 AND namespace = ?2 AND key = ?3",
            )
            .and_then(|mut s| s.execute(params![tenant, ns, key])),
    }
    .map(|_| ())
    .map_err(db("put setting"))
}

/// Runs on the single writer, so nothing comes between the read and the write.
pub(crate) fn update(
    conn: &Connection,
    tenant: i64,
    ns: &str,
    key: &str,
    edit: SettingEdit,
) -> Result<Option<String>> {
    let current = get(conn, tenant, ns, key)?;
    let next = edit(current.as_deref())?;
    if next != current {
        put(conn, tenant, ns, key, next.as_deref())?;
    }
    Ok(next)
}
