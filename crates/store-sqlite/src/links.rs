//! Customer identity links and expiring records.

use crate::db;
use interlog_model::Timestamp;
use interlog_store::terms::customer_key;
use interlog_store::Result;
use rusqlite::{params, Connection, OptionalExtension};

fn customer_of(conn: &Connection, tenant: i64, key: &str) -> Result<Option<String>> {
    conn.prepare_cached(
        "SELECT customer FROM identity_links WHERE tenant_id = ?1 AND identifier = ?2",
    )
    .and_then(|mut s| s.query_row(params![tenant, key], |r| r.get(0)).optional())
    .map_err(db("read identity link"))
}

pub(crate) fn link(
    conn: &Connection,
    tenant: i64,
    country: Option<&str>,
    identifiers: &[String],
) -> Result<()> {
    let keys: Vec<String> = identifiers
        .iter()
        .filter(|i| !i.trim().is_empty())
        .map(|i| customer_key(i, country))
        .collect();
    let mut customers = Vec::new();
    for k in &keys {
        if let Some(c) = customer_of(conn, tenant, k)? {
            if !customers.contains(&c) {
                customers.push(c);
            }
        }
    }
    let target = customers
        .first()
        .cloned()
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    for other in customers.iter().skip(1) {
        conn.prepare_cached(
            "UPDATE identity_links SET customer = ?3 WHERE tenant_id = ?1 AND customer = ?2",
        )
        .and_then(|mut s| s.execute(params![tenant, other, target]))
        .map_err(db("merge identity links"))?;
    }
    for k in &keys {
        conn.prepare_cached(
            "INSERT INTO identity_links (tenant_id, identifier, customer) VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant_id, identifier) DO UPDATE SET customer = excluded.customer",
        )
        .and_then(|mut s| s.execute(params![tenant, k, target]))
        .map_err(db("write identity link"))?;
    }
    Ok(())
}

pub(crate) fn unlink(
    conn: &Connection,
    tenant: i64,
    country: Option<&str>,
    identifier: &str,
) -> Result<bool> {
    let key = customer_key(identifier, country);
    conn.prepare_cached("DELETE FROM identity_links WHERE tenant_id = ?1 AND identifier = ?2")
        .and_then(|mut s| s.execute(params![tenant, key]))
        .map(|n| n > 0)
        .map_err(db("delete identity link"))
}

pub(crate) fn linked(
    conn: &Connection,
    tenant: i64,
    country: Option<&str>,
    identifier: &str,
) -> Result<Vec<String>> {
    let key = customer_key(identifier, country);
    let Some(customer) = customer_of(conn, tenant, &key)? else {
        return Ok(vec![key]);
    };
    let mut s = conn
        .prepare_cached("SELECT identifier FROM identity_links WHERE tenant_id = ?1 AND customer = ?2 ORDER BY identifier")
        .map_err(db("read identity links"))?;
    let rows = s
        .query_map(params![tenant, customer], |r| r.get::<_, String>(0))
        .map_err(db("read identity links"))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db("read identity links"))
}

pub(crate) fn put_record(
    conn: &Connection,
    ns: &str,
    key: &str,
    value: &str,
    expires: Timestamp,
    now: Timestamp,
) -> Result<()> {
    // Sweep a few expired records on each write, so they never pile up.
    conn.prepare_cached(
        "DELETE FROM records WHERE (namespace, key) IN (SELECT namespace, key FROM records WHERE expires_at <= ?1 LIMIT 100)",
    )
    .and_then(|mut s| s.execute([now.as_millisecond()]))
    .map_err(db("sweep records"))?;
    conn.prepare_cached(
        "INSERT INTO records (namespace, key, value, expires_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
    )
    .and_then(|mut s| s.execute(params![ns, key, value, expires.as_millisecond()]))
    .map(|_| ())
    .map_err(db("put record"))
}

pub(crate) fn get_record(
    conn: &Connection,
    ns: &str,
    key: &str,
    now: Timestamp,
) -> Result<Option<String>> {
    conn.prepare_cached(
        "SELECT value FROM records WHERE namespace = ?1 AND key = ?2 AND expires_at > ?3",
    )
    .and_then(|mut s| {
        s.query_row(params![ns, key, now.as_millisecond()], |r| r.get(0))
            .optional()
    })
    .map_err(db("get record"))
}

pub(crate) fn delete_record(conn: &Connection, ns: &str, key: &str) -> Result<bool> {
    conn.prepare_cached("DELETE FROM records WHERE namespace = ?1 AND key = ?2")
        .and_then(|mut s| s.execute(params![ns, key]))
        .map(|n| n > 0)
        .map_err(db("delete record"))
}

pub(crate) fn take_record(
    conn: &Connection,
    ns: &str,
    key: &str,
    now: Timestamp,
) -> Result<Option<String>> {
    let value = get_record(conn, ns, key, now)?;
    delete_record(conn, ns, key)?;
    Ok(value)
}
