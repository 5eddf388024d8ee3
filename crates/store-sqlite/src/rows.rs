//! Engagement rows: writing one with its search terms, and reading them back.
//!
//! Everything about a row that does not need the database (its JSON body, its sort and
//! filter columns, its search terms) is computed by [`Row::new`] before the write reaches
//! the single writer thread, so the writer spends its time on SQL alone.

use crate::codes::{channel_mask, code};
use crate::{changes, db};
use interlog_model::{Direction, Engagement, Outcome, State, Timestamp};
use interlog_store::terms::{terms, TermKind};
use interlog_store::{
    sort_value, DeleteReason, EditRejected, EngagementEdit, Result, SortKey, StoreError,
    StoredEngagement, UpsertOutcome,
};
use rusqlite::{params, Connection, OptionalExtension};

/// What the writer needs to know of a tenant.
#[derive(Clone)]
pub(crate) struct TenantCtx {
    pub id: i64,
    pub country_code: Option<String>,
}

/// An engagement ready to be written.
pub(crate) struct Row {
    id: String,
    body: String,
    started: i64,
    ended: i64,
    updated: i64,
    duration: i64,
    state: i64,
    outcome: Option<i64>,
    direction: Option<i64>,
    channels: i64,
    terms: Vec<(TermKind, String)>,
    /// When the write happens: the change feed's `at`.
    changed: i64,
}

impl Row {
    /// Prepares `e`, stamping `updated_at` with `now` when it has none.
    pub(crate) fn new(mut e: Engagement, now: Timestamp, country: Option<&str>) -> Row {
        e.updated_at.get_or_insert(now);
        Row {
            body: serde_json::to_string(&e).expect("engagements always serialize"),
            started: sort_value(&e, SortKey::StartedAt),
            ended: sort_value(&e, SortKey::EndedAt),
            updated: sort_value(&e, SortKey::UpdatedAt),
            duration: sort_value(&e, SortKey::Duration),
            state: code(State::ALL, e.effective_state()),
            outcome: e.outcome.map(|o| code(Outcome::ALL, o)),
            direction: e.direction.map(|d| code(Direction::ALL, d)),
            channels: channel_mask(e.channels.iter().map(|c| c.kind)),
            terms: terms(&e, country).into_iter().collect(),
            changed: now.as_millisecond(),
            id: e.id,
        }
    }

    fn stored(self) -> StoredEngagement {
        StoredEngagement {
            id: self.id,
            json: self.body,
        }
    }
}

struct Existing {
    seq: i64,
    updated: i64,
    body: String,
}

fn existing(conn: &Connection, tenant: i64, id: &str) -> Result<Option<Existing>> {
    conn.prepare_cached(
        "SELECT seq, updated, body FROM engagements WHERE tenant_id = ?1 AND id = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![tenant, id], |r| {
            Ok(Existing {
                seq: r.get(0)?,
                updated: r.get(1)?,
                body: r.get(2)?,
            })
        })
        .optional()
    })
    .map_err(db("read existing engagement"))
}

fn parse(body: &str) -> Result<Engagement> {
    serde_json::from_str(body).map_err(|err| StoreError::backend("stored body", err))
}

/// Inserts or replaces one engagement, keeping the newer of the stored and the incoming.
pub(crate) fn upsert(conn: &Connection, t: &TenantCtx, row: Row) -> Result<UpsertOutcome> {
    match existing(conn, t.id, &row.id)? {
        Some(old) if row.updated < old.updated => Ok(UpsertOutcome::Stale),
        Some(old) => {
            replace(conn, t, old, &row)?;
            Ok(UpsertOutcome::Updated)
        }
        None => {
            insert(conn, t, &row)?;
            Ok(UpsertOutcome::Created)
        }
    }
}

/// Inserts a new engagement; a conflict when its id is taken.
pub(crate) fn create(conn: &Connection, t: &TenantCtx, row: Row) -> Result<StoredEngagement> {
    if existing(conn, t.id, &row.id)?.is_some() {
        return Err(StoreError::Conflict(format!(
            "engagement {} already exists",
            row.id
        )));
    }
    insert(conn, t, &row)?;
    Ok(row.stored())
}

/// Applies an edit to the stored engagement.
pub(crate) fn update(
    conn: &Connection,
    t: &TenantCtx,
    id: &str,
    edit: EngagementEdit,
    now: Timestamp,
) -> Result<StoredEngagement> {
    let old = existing(conn, t.id, id)?.ok_or(StoreError::NotFound)?;
    let mut e = parse(&old.body)?;
    edit(&mut e)?;
    if e.id != id {
        return Err(EditRejected("an edit cannot change the id".into()).into());
    }
    let row = Row::new(e, now, t.country_code.as_deref());
    replace(conn, t, old, &row)?;
    Ok(row.stored())
}

/// Deletes one engagement, leaving a tombstone; false when there was none.
pub(crate) fn delete(
    conn: &Connection,
    t: &TenantCtx,
    id: &str,
    reason: DeleteReason,
    now: Timestamp,
) -> Result<bool> {
    let Some(old) = existing(conn, t.id, id)? else {
        return Ok(false);
    };
    remove(conn, t, id, old.seq, &old.body, reason, now)?;
    Ok(true)
}

fn remove(
    conn: &Connection,
    t: &TenantCtx,
    id: &str,
    seq: i64,
    body: &str,
    reason: DeleteReason,
    now: Timestamp,
) -> Result<()> {
    delete_terms(conn, t, &parse(body)?)?;
    conn.prepare_cached("DELETE FROM engagements WHERE seq = ?1")
        .and_then(|mut s| s.execute([seq]))
        .map_err(db("delete engagement"))?;
    changes::tombstone(conn, t.id, id, reason, now)
}

/// Deletes up to `limit` engagements that started before `before`, earliest first, with
/// retention tombstones.
pub(crate) fn delete_started_before(
    conn: &Connection,
    t: &TenantCtx,
    before: Timestamp,
    limit: u32,
    now: Timestamp,
) -> Result<u64> {
    let doomed: Vec<(i64, String, String)> = conn
        .prepare_cached(
            "SELECT seq, id, body FROM engagements WHERE tenant_id = ?1 AND started < ?2
             ORDER BY started, id LIMIT ?3",
        )
        .and_then(|mut s| {
            s.query_map(params![t.id, before.as_millisecond(), limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect()
        })
        .map_err(db("find engagements past retention"))?;
    for (seq, id, body) in &doomed {
        remove(conn, t, id, *seq, body, DeleteReason::Retention, now)?;
    }
    Ok(doomed.len() as u64)
}

fn insert(conn: &Connection, t: &TenantCtx, r: &Row) -> Result<()> {
    let position = changes::next_position(conn, t.id)?;
    let seq = conn
        .prepare_cached(
            "INSERT INTO engagements (tenant_id, id, started, ended, updated, duration, state, outcome, direction, channels, body, position, changed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING seq",
        )
        .and_then(|mut s| {
            s.query_row(
                params![t.id, r.id, r.started, r.ended, r.updated, r.duration, r.state, r.outcome, r.direction, r.channels, r.body, position, r.changed],
                |row| row.get::<_, i64>(0),
            )
        })
        .map_err(db("insert engagement"))?;
    insert_terms(conn, t, r, seq)
}

fn replace(conn: &Connection, t: &TenantCtx, old: Existing, r: &Row) -> Result<()> {
    delete_terms(conn, t, &parse(&old.body)?)?;
    let position = changes::next_position(conn, t.id)?;
    conn.prepare_cached(
        "UPDATE engagements SET started = ?2, ended = ?3, updated = ?4, duration = ?5, state = ?6,
             outcome = ?7, direction = ?8, channels = ?9, body = ?10, position = ?11, changed = ?12
         WHERE seq = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            old.seq,
            r.started,
            r.ended,
            r.updated,
            r.duration,
            r.state,
            r.outcome,
            r.direction,
            r.channels,
            r.body,
            position,
            r.changed
        ])
    })
    .map_err(db("update engagement"))?;
    insert_terms(conn, t, r, old.seq)
}

fn insert_terms(conn: &Connection, t: &TenantCtx, r: &Row, seq: i64) -> Result<()> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO terms (tenant_id, kind, value, started, id, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db("prepare terms"))?;
    for (kind, value) in &r.terms {
        stmt.execute(params![t.id, kind.code(), value, r.started, r.id, seq])
            .map_err(db("insert term"))?;
    }
    Ok(())
}

fn delete_terms(conn: &Connection, t: &TenantCtx, e: &Engagement) -> Result<()> {
    let mut stmt = conn
        .prepare_cached(
            "DELETE FROM terms WHERE tenant_id = ?1 AND kind = ?2 AND value = ?3 AND started = ?4 AND id = ?5",
        )
        .map_err(db("prepare terms"))?;
    let started = e.started_at.as_millisecond();
    for (kind, value) in terms(e, t.country_code.as_deref()) {
        stmt.execute(params![t.id, kind.code(), value, started, e.id])
            .map_err(db("delete term"))?;
    }
    Ok(())
}

pub(crate) fn get(conn: &Connection, tenant: i64, id: &str) -> Result<Option<StoredEngagement>> {
    conn.prepare_cached("SELECT body FROM engagements WHERE tenant_id = ?1 AND id = ?2")
        .and_then(|mut s| {
            s.query_row(params![tenant, id], |r| r.get::<_, String>(0))
                .optional()
        })
        .map(|body| {
            body.map(|json| StoredEngagement {
                id: id.to_owned(),
                json,
            })
        })
        .map_err(db("get engagement"))
}
