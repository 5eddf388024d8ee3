//! Customer identity links: identifiers grouped into customers, with the type and spelling
//! each was first linked with.

use crate::db;
use interlog_store::terms::customer_key;
use interlog_store::{Identifier, LinkedIdentifier, Result};
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
    identifiers: &[Identifier],
) -> Result<()> {
    let given = interlog_store::keyed(identifiers, country);
    let mut customers = Vec::new();
    for (k, _) in &given {
        if let Some(c) = customer_of(conn, tenant, k)? {
            if !customers.contains(&c) {
                customers.push(c);
            }
        }
    }
    let target = interlog_store::link_target(&customers);
    for other in customers.iter().skip(1) {
        conn.prepare_cached(
            "UPDATE identity_links SET customer = ?3 WHERE tenant_id = ?1 AND customer = ?2",
        )
        .and_then(|mut s| s.execute(params![tenant, other, target]))
        .map_err(db("merge identity links"))?;
    }
    for (k, i) in &given {
        // The first type and spelling stay; a later link only fills in a missing type.
        conn.prepare_cached(
            "INSERT INTO identity_links (tenant_id, identifier, customer, kind, spelling) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (tenant_id, identifier) DO UPDATE SET customer = excluded.customer,
                 kind = coalesce(identity_links.kind, excluded.kind),
                 spelling = coalesce(identity_links.spelling, excluded.spelling)",
        )
        .and_then(|mut s| s.execute(params![tenant, k, target, i.kind, i.value]))
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
) -> Result<Vec<LinkedIdentifier>> {
    let key = customer_key(identifier, country);
    let Some(customer) = customer_of(conn, tenant, &key)? else {
        return Ok(vec![LinkedIdentifier {
            value: key.clone(),
            key,
            kind: None,
        }]);
    };
    let mut s = conn
        .prepare_cached(
            "SELECT identifier, kind, spelling FROM identity_links
             WHERE tenant_id = ?1 AND customer = ?2 ORDER BY identifier",
        )
        .map_err(db("read identity links"))?;
    let rows = s
        .query_map(params![tenant, customer], |r| {
            let key: String = r.get(0)?;
            Ok(LinkedIdentifier {
                value: r
                    .get::<_, Option<String>>(2)?
                    .unwrap_or_else(|| key.clone()),
                kind: r.get(1)?,
                key,
            })
        })
        .map_err(db("read identity links"))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db("read identity links"))
}
