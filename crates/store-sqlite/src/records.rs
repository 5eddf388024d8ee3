//! Expiring records, scoped by tenant.

use crate::db;
use interlog_model::Timestamp;
use interlog_store::{Record, Result};
use rusqlite::{params, Connection, OptionalExtension};

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(crate) fn put(
    conn: &Connection,
    tenant: i64,
    ns: &str,
    key: &str,
    record: &Record,
    now: Timestamp,
) -> Result<()> {
    // Sweep a few expired records on each write, so they never pile up.
    sweep(conn, now, 100)?;
    conn.prepare_cached(
        "INSERT INTO records (tenant_id, namespace, key, owner, value, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (tenant_id, namespace, key) DO UPDATE SET owner = excluded.owner,
             value = excluded.value, expires_at = excluded.expires_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            tenant,
            ns,
            key,
            record.owner,
            record.value,
            record.expires_at.as_millisecond()
        ])
    })
    .map(|_| ())
    .map_err(db("put record"))
}

pub(crate) fn get(
    conn: &Connection,
    tenant: i64,
    ns: &str,
    key: &str,
    now: Timestamp,
) -> Result<Option<Record>> {
    conn.prepare_cached(
        "SELECT owner, value, expires_at FROM records
         WHERE tenant_id = ?1 AND namespace = ?2 AND key = ?3 AND expires_at > ?4",
    )
    .and_then(|mut s| {
        s.query_row(params![tenant, ns, key, now.as_millisecond()], |r| {
            Ok(Record {
                owner: r.get(0)?,
                value: r.get(1)?,
                expires_at: ts(r.get(2)?),
            })
        })
        .optional()
    })
    .map_err(db("get record"))
}

pub(crate) fn delete(conn: &Connection, tenant: i64, ns: &str, key: &str) -> Result<bool> {
    conn.prepare_cached("DELETE FROM records WHERE tenant_id = ?1 AND namespace = ?2 AND key = ?3")
        .and_then(|mut s| s.execute(params![tenant, ns, key]))
        .map(|n| n > 0)
        .map_err(db("delete record"))
}

/// Runs on the single writer, so nothing comes between the check and the delete.
pub(crate) fn take(
    conn: &Connection,
    tenant: i64,
    ns: &str,
    key: &str,
    owner: &str,
    now: Timestamp,
) -> Result<Option<Record>> {
    let Some(record) = get(conn, tenant, ns, key, now)?.filter(|r| r.owner == owner) else {
        return Ok(None);
    };
    delete(conn, tenant, ns, key)?;
    Ok(Some(record))
}

pub(crate) fn sweep(conn: &Connection, now: Timestamp, limit: u32) -> Result<u64> {
    conn.prepare_cached(
        "DELETE FROM records WHERE (tenant_id, namespace, key) IN
             (SELECT tenant_id, namespace, key FROM records WHERE expires_at <= ?1 LIMIT ?2)",
    )
    .and_then(|mut s| s.execute(params![now.as_millisecond(), limit]))
    .map(|n| n as u64)
    .map_err(db("sweep records"))
}
