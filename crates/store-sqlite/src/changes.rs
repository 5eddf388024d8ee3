//! The change feed: positions handed out in the write transaction, tombstones, and reading
//! the feed back.
//!
//! Positions come from `tenant_heads`, read once per tenant per transaction and written
//! back before it commits (the writer calls [`Heads::flush`]), so writers in other
//! processes on the same file continue from the committed head.

use crate::db;
use crate::rows::{body_bytes, decode};
use interlog_model::Timestamp;
use interlog_store::{
    Change, ChangeKind, ChangePage, DeleteReason, Result, StoreError, StoredEngagement,
};
use rusqlite::{params, Connection, OptionalExtension};
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    /// The heads handed out in the writer's open transaction, by tenant.
    static HEADS: RefCell<HashMap<i64, i64>> = RefCell::new(HashMap::new());
}

/// The writer's view of the tenants' heads during one transaction.
pub(crate) struct Heads;

impl Heads {
    /// Forgets what a transaction handed out (at its start, and after a rollback).
    pub(crate) fn reset() {
        HEADS.with(|h| h.borrow_mut().clear());
    }

    /// Writes the heads handed out back to `tenant_heads`, before the commit; returns them
    /// (to announce after the commit).
    pub(crate) fn flush(conn: &Connection) -> rusqlite::Result<Vec<(i64, i64)>> {
        let heads: Vec<(i64, i64)> = HEADS.with(|h| h.borrow_mut().drain().collect());
        let mut stmt =
            conn.prepare_cached("UPDATE tenant_heads SET head = ?2 WHERE tenant_id = ?1")?;
        for (tenant, head) in &heads {
            stmt.execute(params![tenant, head])?;
        }
        Ok(heads)
    }
}

/// The next position of `tenant`'s feed, taken in the writer's transaction.
pub(crate) fn next_position(conn: &Connection, tenant: i64) -> Result<i64> {
    let next = peek_position(conn, tenant)?;
    take_position(tenant, next);
    Ok(next)
}

/// The next position of `tenant`'s feed, not taken yet (see [`take_position`]).
pub(crate) fn peek_position(conn: &Connection, tenant: i64) -> Result<i64> {
    let known = HEADS.with(|h| h.borrow().get(&tenant).copied());
    let current = match known {
        Some(h) => h,
        None => conn
            .prepare_cached("SELECT head FROM tenant_heads WHERE tenant_id = ?1")
            .and_then(|mut s| s.query_row([tenant], |r| r.get::<_, i64>(0)).optional())
            .map_err(db("read feed head"))?
            .unwrap_or(0),
    };
    Ok(current + 1)
}

/// Takes the position [`peek_position`] gave, once a row was written with it.
pub(crate) fn take_position(tenant: i64, position: i64) {
    HEADS.with(|h| h.borrow_mut().insert(tenant, position));
}

/// Creates the head row of a new tenant.
pub(crate) fn start(conn: &Connection, tenant: i64) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO tenant_heads (tenant_id, head) VALUES (?1, 0)")
        .and_then(|mut s| s.execute([tenant]))
        .map(|_| ())
        .map_err(db("create feed head"))
}

/// Writes the tombstone of a deleted engagement.
pub(crate) fn tombstone(
    conn: &Connection,
    tenant: i64,
    id: &str,
    reason: DeleteReason,
    now: Timestamp,
) -> Result<()> {
    let position = next_position(conn, tenant)?;
    conn.prepare_cached(
        "INSERT INTO tombstones (tenant_id, position, id, at, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| {
        s.execute(params![
            tenant,
            position,
            id,
            now.as_millisecond(),
            reason.code()
        ])
    })
    .map(|_| ())
    .map_err(db("write tombstone"))
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The feed after `after`: the head and the entries of both tables read in one snapshot.
/// (Outside a transaction each statement would see the store as it is by then: a write
/// committed between the engagements and the tombstones could be passed over, its position
/// lower than a tombstone's read after it.) The entries end early, before `limit`, where the
/// engagements read would pass `max_bytes` (there is always one).
pub(crate) fn read(
    conn: &Connection,
    tenant: i64,
    after: i64,
    limit: u32,
    max_bytes: usize,
) -> Result<ChangePage> {
    let snapshot = conn
        .unchecked_transaction()
        .map_err(db("begin feed read"))?;
    let conn: &Connection = &snapshot;
    let (head, trimmed_through) = conn
        .prepare_cached("SELECT head, trimmed_through FROM tenant_heads WHERE tenant_id = ?1")
        .and_then(|mut s| {
            s.query_row([tenant], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
                .optional()
        })
        .map_err(db("read feed head"))?
        .unwrap_or((0, 0));
    let mut changes = Vec::with_capacity(limit.min(1000) as usize);
    let mut capped_before = None;
    if limit > 0 && after < head {
        let mut s = conn
            .prepare_cached(
                "SELECT position, id, changed, body FROM engagements
                 WHERE tenant_id = ?1 AND position > ?2 ORDER BY position LIMIT ?3",
            )
            .map_err(db("read feed"))?;
        let mut rows = s
            .query(params![tenant, after, limit])
            .map_err(db("read feed"))?;
        let mut bytes = 0;
        while let Some(r) = rows.next().map_err(db("read feed"))? {
            let (position, id, at) =
                (|| Ok::<_, rusqlite::Error>((r.get(0)?, r.get::<_, String>(1)?, ts(r.get(2)?))))()
                    .map_err(db("read feed"))?;
            let json = decode(
                body_bytes(r.get_ref(3).map_err(db("read feed"))?).map_err(db("read feed"))?,
            )?;
            if !changes.is_empty() && bytes + json.len() > max_bytes {
                // Only what comes before this engagement is in this page.
                capped_before = Some(position);
                break;
            }
            bytes += json.len();
            changes.push(Change {
                position,
                at,
                kind: ChangeKind::Upsert(StoredEngagement {
                    id: id.clone(),
                    json,
                }),
                id,
            });
        }
        let mut s = conn
            .prepare_cached(
                "SELECT position, id, at, reason FROM tombstones
                 WHERE tenant_id = ?1 AND position > ?2 ORDER BY position LIMIT ?3",
            )
            .map_err(db("read tombstones"))?;
        let rows = s
            .query_map(params![tenant, after, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(db("read tombstones"))?;
        for row in rows {
            let (position, id, at, reason) = row.map_err(db("read tombstones"))?;
            let reason = DeleteReason::from_code(reason).ok_or_else(|| {
                StoreError::backend("read tombstones", format!("unknown reason {reason}"))
            })?;
            changes.push(Change {
                position,
                id,
                at: ts(at),
                kind: ChangeKind::Delete(reason),
            });
        }
        changes.sort_by_key(|c| c.position);
        if let Some(p) = capped_before {
            changes.retain(|c| c.position < p);
        }
        changes.truncate(limit as usize);
    }
    Ok(ChangePage {
        changes,
        head,
        trimmed_through,
    })
}

/// Removes up to `limit` tombstones written before `before`.
pub(crate) fn trim(conn: &Connection, tenant: i64, before: Timestamp, limit: u32) -> Result<u64> {
    let last: Option<i64> = conn
        .prepare_cached(
            "SELECT MAX(position) FROM (SELECT position FROM tombstones
             WHERE tenant_id = ?1 AND at < ?2 ORDER BY position LIMIT ?3)",
        )
        .and_then(|mut s| {
            s.query_row(params![tenant, before.as_millisecond(), limit], |r| {
                r.get(0)
            })
        })
        .map_err(db("find old tombstones"))?;
    let Some(last) = last else {
        return Ok(0);
    };
    // Trim up to a position, so the horizon has no holes: a newer tombstone that was
    // written earlier (clock skew) goes with the older ones.
    let n = conn
        .prepare_cached("DELETE FROM tombstones WHERE tenant_id = ?1 AND position <= ?2")
        .and_then(|mut s| s.execute(params![tenant, last]))
        .map_err(db("trim tombstones"))?;
    conn.prepare_cached(
        "UPDATE tenant_heads SET trimmed_through = MAX(trimmed_through, ?2) WHERE tenant_id = ?1",
    )
    .and_then(|mut s| s.execute(params![tenant, last]))
    .map_err(db("trim tombstones"))?;
    Ok(n as u64)
}
