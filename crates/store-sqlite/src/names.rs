//! The names table (`engagement_names`, see [`interlog_store::names`]): changed once per
//! write transaction from what its writes recorded in [`crate::writer::Tx::names`], and read
//! for suggestions and for names in the listing's filters.

use crate::db;
use interlog_store::names::{fold, KnownName, NameChanges, NameKind};
use interlog_store::{Result, StoreError};
use rusqlite::{params, Connection};

/// Writes what `changes` recorded (inside the transaction that made them) and empties it.
pub(crate) fn flush(conn: &Connection, changes: &mut NameChanges) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut upsert = conn
        .prepare_cached(
            "INSERT INTO engagement_names (tenant_id, kind, id, name, folded, n, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (tenant_id, kind, id, name) DO UPDATE
             SET n = n + excluded.n, last_seen = max(last_seen, excluded.last_seen)",
        )
        .map_err(db("prepare names"))?;
    for (tenant, name, folded, dn, started) in changes.rows() {
        upsert
            .execute(params![
                tenant,
                name.kind.code(),
                name.id,
                name.name,
                folded,
                dn,
                started
            ])
            .map_err(db("write names"))?;
    }
    if changes.has_removals() {
        conn.prepare_cached("DELETE FROM engagement_names WHERE n <= 0")
            .and_then(|mut s| s.execute([]))
            .map_err(db("remove unused names"))?;
    }
    changes.clear();
    Ok(())
}

fn known(r: &rusqlite::Row<'_>) -> rusqlite::Result<KnownName> {
    Ok(KnownName::stored(
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
    ))
}

/// Names of `kind` one of whose words starts with `prefix` (folded), most mentioned first.
pub(crate) fn suggest(
    conn: &Connection,
    tenant: i64,
    kind: NameKind,
    prefix: &str,
    limit: u32,
) -> Result<Vec<KnownName>> {
    // The folded form holds letters, digits and spaces only: no LIKE wildcard can be in it.
    let prefix = fold(prefix);
    conn.prepare_cached(
        "SELECT kind, id, name, n, last_seen FROM engagement_names
         WHERE tenant_id = ?1 AND kind = ?2
           AND (folded LIKE ?3 || '%' OR folded LIKE '% ' || ?3 || '%')
         ORDER BY n DESC, name, id LIMIT ?4",
    )
    .and_then(|mut s| {
        s.query_map(params![tenant, kind.code(), prefix, limit], known)?
            .collect()
    })
    .map_err(db("suggest names"))
}

/// The ids of `kind` named one of `names` (folded equal).
pub(crate) fn ids_named(
    conn: &Connection,
    tenant: i64,
    kind: NameKind,
    names: &[String],
) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT DISTINCT id FROM engagement_names
             WHERE tenant_id = ?1 AND kind = ?2 AND folded = ?3",
        )
        .map_err(db("find ids by name"))?;
    let mut out = std::collections::BTreeSet::new();
    for name in names {
        let folded = fold(name);
        if folded.is_empty() {
            continue;
        }
        let ids = stmt
            .query_map(params![tenant, kind.code(), folded], |r| r.get(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
            .map_err(db("find ids by name"))?;
        out.extend(ids);
    }
    Ok(out.into_iter().collect())
}

/// The customer phone numbers whose digits end with `digits`.
pub(crate) fn phones_ending(
    conn: &Connection,
    tenant: i64,
    digits: &str,
    limit: u32,
) -> Result<Vec<String>> {
    // Digits last first: the number's end is a prefix, a range of the index (':' sorts
    // right after '9').
    let start: String = digits.chars().rev().collect();
    conn.prepare_cached(
        "SELECT id FROM engagement_names
         WHERE tenant_id = ?1 AND kind = ?2 AND folded >= ?3 AND folded < ?3 || ':'
         ORDER BY folded, id LIMIT ?4",
    )
    .and_then(|mut s| {
        s.query_map(params![tenant, NameKind::Phone.code(), start, limit], |r| {
            r.get(0)
        })?
        .collect()
    })
    .map_err(db("find phones by their last digits"))
}

/// An engagement as the backfill reads it: row, tenant, start, body, the tenant's country
/// code.
type Stored = (i64, i64, i64, Vec<u8>, Option<String>);

/// Migration 13: the names of the engagements already stored.
pub(crate) fn backfill(conn: &Connection) -> Result<()> {
    let mut changes = NameChanges::default();
    let mut after = i64::MIN;
    loop {
        let chunk: Vec<Stored> = conn
            .prepare_cached(
                "SELECT e.seq, e.tenant_id, e.started, e.body, t.country_code
                 FROM engagements e JOIN tenants t ON t.id = e.tenant_id
                 WHERE e.seq > ?1 ORDER BY e.seq LIMIT 1000",
            )
            .and_then(|mut s| {
                s.query_map([after], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        crate::rows::body_bytes(r.get_ref(3)?)?.to_vec(),
                        r.get(4)?,
                    ))
                })?
                .collect()
            })
            .map_err(db("read engagements for their names"))?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = last.0;
        for (_, tenant, started, body, country) in chunk {
            let e: interlog_model::Engagement = serde_json::from_str(&crate::rows::decode(&body)?)
                .map_err(|e| StoreError::backend("stored body", e))?;
            let names = interlog_store::names::names_of(&e, country.as_deref());
            changes.add(tenant, started, &names);
        }
    }
    flush(conn, &mut changes)
}
