//! Engagement rows: writing one with its search terms, and reading them back.
//!
//! Everything about a row that does not need the database (its encoded body, its sort and
//! filter columns, its search terms) is computed by [`Row::new`] before the write reaches
//! the single writer thread, so the writer spends its time on SQL alone.

use crate::codes::{channel_mask, code};
use crate::writer::Tx;
use crate::{changes, db, figures};
use interlog_model::{Direction, Engagement, Outcome, State, Timestamp};
use interlog_store::analytics::Facts;
use interlog_store::codec;
use interlog_store::names::{names_of, NameRef};
use interlog_store::terms::{terms_by_value, KindSet};
use interlog_store::{
    sort_value, DeleteReason, EditRejected, EngagementEdit, Result, SortKey, StoreError,
    StoredEngagement, UpsertOutcome,
};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;

/// What the writer needs to know of a tenant.
#[derive(Clone)]
pub(crate) struct TenantCtx {
    pub id: i64,
    pub country_code: Option<String>,
}

/// An engagement ready to be written.
pub(crate) struct Row {
    pub(crate) id: String,
    json: String,
    body: Vec<u8>,
    pub(crate) started: i64,
    pub(crate) ended: i64,
    pub(crate) updated: i64,
    pub(crate) duration: i64,
    pub(crate) state: i64,
    pub(crate) outcome: Option<i64>,
    pub(crate) direction: Option<i64>,
    pub(crate) channels: i64,
    pub(crate) terms: Vec<(String, KindSet)>,
    /// Its words for the full-text index, joined by spaces.
    pub(crate) words: String,
    /// What it adds to the figures, when anything.
    pub(crate) facts: Option<Facts>,
    /// The (kind, id, name)s it mentions, for the names table.
    pub(crate) names: BTreeSet<NameRef>,
    /// When the write happens: the change feed's `at`.
    changed: i64,
}

impl Row {
    /// Prepares `e` of `tenant`, stamping `updated_at` with `now` when it has none.
    pub(crate) fn new(mut e: Engagement, now: Timestamp, tenant: &TenantCtx) -> Row {
        let country = tenant.country_code.as_deref();
        e.updated_at.get_or_insert(now);
        let json = serde_json::to_string(&e).expect("engagements always serialize");
        Row {
            body: codec::encode(&json),
            json,
            started: sort_value(&e, SortKey::StartedAt),
            ended: sort_value(&e, SortKey::EndedAt),
            updated: sort_value(&e, SortKey::UpdatedAt),
            duration: sort_value(&e, SortKey::Duration),
            state: code(State::ALL, e.effective_state()),
            outcome: e.outcome.map(|o| code(Outcome::ALL, o)),
            direction: e.direction.map(|d| code(Direction::ALL, d)),
            channels: channel_mask(e.channels.iter().map(|c| c.kind)),
            terms: terms_by_value(&e, country),
            words: crate::words::text(tenant.id, &e),
            facts: Some(Facts::of(&e)).filter(Facts::counts),
            names: names_of(&e, country),
            changed: now.as_millisecond(),
            id: e.id,
        }
    }

    fn stored(self) -> StoredEngagement {
        StoredEngagement {
            id: self.id,
            json: self.json,
        }
    }
}

/// The bytes of a stored body, whichever form it has (see [`codec`]).
pub(crate) fn body_bytes(v: ValueRef<'_>) -> rusqlite::Result<&[u8]> {
    match v {
        ValueRef::Blob(b) | ValueRef::Text(b) => Ok(b),
        other => Err(rusqlite::Error::InvalidColumnType(
            0,
            "body".into(),
            other.data_type(),
        )),
    }
}

/// A stored body decoded to its canonical JSON.
pub(crate) fn decode(body: &[u8]) -> Result<String> {
    codec::decode(body).map_err(|e| StoreError::backend("stored body", e))
}

struct Existing {
    seq: i64,
    started: i64,
    updated: i64,
    body: Vec<u8>,
}

fn existing(conn: &Connection, tenant: i64, id: &str) -> Result<Option<Existing>> {
    conn.prepare_cached(
        "SELECT seq, started, updated, body FROM engagements WHERE tenant_id = ?1 AND id = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![tenant, id], |r| {
            Ok(Existing {
                seq: r.get(0)?,
                started: r.get(1)?,
                updated: r.get(2)?,
                body: body_bytes(r.get_ref(3)?)?.to_vec(),
            })
        })
        .optional()
    })
    .map_err(db("read existing engagement"))
}

fn parse(body: &[u8]) -> Result<Engagement> {
    serde_json::from_str(&decode(body)?).map_err(|err| StoreError::backend("stored body", err))
}

/// Search-term entries to write. A batch's entries are sorted before they are written, so
/// they go into the index in key order; a bulk load writes each row's entries as one pending
/// row instead (see [`crate::bulk`]).
#[derive(Default)]
pub(crate) struct TermEntries(Vec<Entry>);

/// (value number, start, row, kinds)
type Entry = (i64, i64, i64, i64);

/// Kinds take the low bits of a pending entry (`value * 1024 + kinds`).
const KIND_BITS: i64 = 10;

/// Rows of one multi-row insert: one statement for many entries.
const PER_INSERT: usize = 16;

impl TermEntries {
    fn add(&mut self, tx: &Tx<'_>, t: &TenantCtx, r: &Row, seq: i64) -> Result<()> {
        let mut interner = tx.interner.borrow_mut();
        for (value, kinds) in &r.terms {
            let id = interner.intern(tx, t.id, value)?;
            debug_assert!(kinds.0 < 1 << KIND_BITS);
            self.0.push((id, r.started, seq, kinds.0));
        }
        Ok(())
    }

    /// Whether entries of this row wait to be written.
    fn has(&self, seq: i64) -> bool {
        self.0.iter().any(|e| e.2 == seq)
    }

    /// Drops the entries not yet written of a row being replaced.
    fn forget(&mut self, seq: i64) {
        self.0.retain(|e| e.2 != seq);
    }

    /// Writes the entries: into `terms`, or for a bulk load into `terms_pending`.
    pub(crate) fn write(mut self, tx: &Tx<'_>, t: &TenantCtx) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        if tx.bulk.is_some() {
            return self.write_pending(tx, t);
        }
        self.0.sort_unstable();
        let rows: Vec<TermRow> = self
            .0
            .iter()
            .map(|&(value, started, seq, kinds)| (t.id, value, started, seq, kinds))
            .collect();
        insert_terms(tx, &rows).map_err(db("insert terms"))
    }

    fn write_pending(self, tx: &Tx<'_>, t: &TenantCtx) -> Result<()> {
        let mut stmt = tx
            .prepare_cached(
                "INSERT OR REPLACE INTO terms_pending (seq, tenant_id, started, entries) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(db("prepare pending terms"))?;
        let mut entries = Vec::new();
        // Entries were added row by row: each run of one row is one pending row.
        for run in self.0.chunk_by(|a, b| a.2 == b.2) {
            entries.clear();
            for &(value, _, _, kinds) in run {
                entries.extend_from_slice(&pending_entry(value, kinds).to_le_bytes());
            }
            let (_, started, seq, _) = run[0];
            stmt.execute(params![seq, t.id, started, entries])
                .map_err(db("insert pending terms"))?;
        }
        Ok(())
    }
}

/// A pending entry: the value number and the kinds in one integer.
fn pending_entry(value: i64, kinds: i64) -> i64 {
    (value << KIND_BITS) | kinds
}

/// A `terms` row: (tenant, value number, start, row, kinds).
pub(crate) type TermRow = (i64, i64, i64, i64, i64);

/// The `terms` rows of a `terms_pending` row.
pub(crate) fn pending_rows(
    tenant: i64,
    started: i64,
    seq: i64,
    entries: &[u8],
) -> impl Iterator<Item = TermRow> + '_ {
    entries.chunks_exact(8).map(move |b| {
        let v = i64::from_le_bytes(b.try_into().expect("8 bytes"));
        (
            tenant,
            v >> KIND_BITS,
            started,
            seq,
            v & ((1 << KIND_BITS) - 1),
        )
    })
}

/// Inserts `terms` rows (replacing equal keys), many to a statement.
pub(crate) fn insert_terms(conn: &Connection, rows: &[TermRow]) -> rusqlite::Result<()> {
    let many = format!(
        "INSERT OR REPLACE INTO terms (tenant_id, value, started, seq, kinds) VALUES {}",
        vec!["(?, ?, ?, ?, ?)"; PER_INSERT].join(", ")
    );
    let mut chunks = rows.chunks_exact(PER_INSERT);
    let mut stmt = conn.prepare_cached(&many)?;
    let mut params = Vec::with_capacity(PER_INSERT * 5);
    for chunk in &mut chunks {
        params.clear();
        params.extend(chunk.iter().flat_map(|&(a, b, c, d, e)| [a, b, c, d, e]));
        stmt.execute(rusqlite::params_from_iter(&params))?;
    }
    let mut one = conn.prepare_cached(
        "INSERT OR REPLACE INTO terms (tenant_id, value, started, seq, kinds) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for &(a, b, c, d, e) in chunks.remainder() {
        one.execute(params![a, b, c, d, e])?;
    }
    Ok(())
}

/// Inserts or replaces one engagement, keeping the newer of the stored and the incoming.
/// Its new search terms are added to `terms` (written by the caller).
pub(crate) fn upsert(
    tx: &Tx<'_>,
    t: &TenantCtx,
    row: Row,
    terms: &mut TermEntries,
) -> Result<UpsertOutcome> {
    // Most upserts of a load are new engagements: insert first, one statement, and read
    // the stored one only when the id was taken.
    if insert(tx, t, &row, terms)? {
        return Ok(UpsertOutcome::Created);
    }
    match existing(tx, t.id, &row.id)? {
        Some(old) if row.updated < old.updated => Ok(UpsertOutcome::Stale),
        // A replay of what is stored: nothing to write.
        Some(old) if old.body == row.body => Ok(UpsertOutcome::Updated),
        Some(old) => {
            replace(tx, t, old, &row, terms)?;
            Ok(UpsertOutcome::Updated)
        }
        None => Err(StoreError::backend(
            "upsert engagement",
            "the id was taken but no engagement has it",
        )),
    }
}

/// Inserts a new engagement; a conflict when its id is taken.
pub(crate) fn create(tx: &Tx<'_>, t: &TenantCtx, row: Row) -> Result<StoredEngagement> {
    let mut terms = TermEntries::default();
    if !insert(tx, t, &row, &mut terms)? {
        return Err(StoreError::Conflict(format!(
            "engagement {} already exists",
            row.id
        )));
    }
    terms.write(tx, t)?;
    Ok(row.stored())
}

/// Applies an edit to the stored engagement.
pub(crate) fn update(
    tx: &Tx<'_>,
    t: &TenantCtx,
    id: &str,
    edit: EngagementEdit,
    now: Timestamp,
) -> Result<StoredEngagement> {
    let old = existing(tx, t.id, id)?.ok_or(StoreError::NotFound)?;
    let mut e = parse(&old.body)?;
    edit(&mut e)?;
    if e.id != id {
        return Err(EditRejected("an edit cannot change the id".into()).into());
    }
    let row = Row::new(e, now, t);
    let mut terms = TermEntries::default();
    replace(tx, t, old, &row, &mut terms)?;
    terms.write(tx, t)?;
    Ok(row.stored())
}

/// Deletes one engagement, leaving a tombstone; false when there was none.
pub(crate) fn delete(
    tx: &Tx<'_>,
    t: &TenantCtx,
    id: &str,
    reason: DeleteReason,
    now: Timestamp,
) -> Result<bool> {
    let Some(old) = existing(tx, t.id, id)? else {
        return Ok(false);
    };
    remove(tx, t, id, old.seq, old.started, &old.body, reason, now)?;
    Ok(true)
}

#[allow(clippy::too_many_arguments)]
fn remove(
    tx: &Tx<'_>,
    t: &TenantCtx,
    id: &str,
    seq: i64,
    started: i64,
    body: &[u8],
    reason: DeleteReason,
    now: Timestamp,
) -> Result<()> {
    let e = parse(body)?;
    delete_terms(
        tx,
        t,
        &terms_by_value(&e, t.country_code.as_deref()),
        started,
        seq,
    )?;
    crate::derived::forget(tx, t, seq, started, &e)?;
    tx.prepare_cached("DELETE FROM engagements WHERE seq = ?1")
        .and_then(|mut s| s.execute([seq]))
        .map_err(db("delete engagement"))?;
    changes::tombstone(tx, t.id, id, reason, now)
}

/// Deletes up to `limit` engagements that started before `before`, earliest first, with
/// retention tombstones.
pub(crate) fn delete_started_before(
    tx: &Tx<'_>,
    t: &TenantCtx,
    before: Timestamp,
    limit: u32,
    now: Timestamp,
) -> Result<u64> {
    let doomed: Vec<(i64, i64, String, Vec<u8>)> = tx
        .prepare_cached(
            "SELECT seq, started, id, body FROM engagements WHERE tenant_id = ?1 AND started < ?2
             ORDER BY started, id LIMIT ?3",
        )
        .and_then(|mut s| {
            s.query_map(params![t.id, before.as_millisecond(), limit], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    body_bytes(r.get_ref(3)?)?.to_vec(),
                ))
            })?
            .collect()
        })
        .map_err(db("find engagements past retention"))?;
    for (seq, started, id, body) in &doomed {
        remove(
            tx,
            t,
            id,
            *seq,
            *started,
            body,
            DeleteReason::Retention,
            now,
        )?;
    }
    Ok(doomed.len() as u64)
}

/// Inserts a new engagement; false (and nothing written) when its id is taken.
fn insert(tx: &Tx<'_>, t: &TenantCtx, r: &Row, terms: &mut TermEntries) -> Result<bool> {
    // The position is taken only if the row is written: a taken id leaves no gap.
    let position = changes::peek_position(tx, t.id)?;
    // No `RETURNING`: SQLite collects returned rows in a temporary table first. The row's
    // number is the connection's last inserted rowid (`seq` is the rowid; the per-day
    // count trigger's own insert does not change what the statement reports).
    let inserted = tx
        .prepare_cached(
            "INSERT INTO engagements (tenant_id, id, started, ended, updated, duration, state, outcome, direction, channels, body, position, changed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (tenant_id, id) DO NOTHING",
        )
        .and_then(|mut s| {
            s.execute(params![t.id, r.id, r.started, r.ended, r.updated, r.duration, r.state, r.outcome, r.direction, r.channels, r.body, position, r.changed])
        })
        .map_err(db("insert engagement"))?;
    if inserted == 0 {
        return Ok(false);
    }
    let seq = tx.last_insert_rowid();
    changes::take_position(t.id, position);
    if let Some(bulk) = tx.bulk {
        bulk.wrote_row();
    }
    terms.add(tx, t, r, seq)?;
    crate::words::insert(tx, seq, &r.words)?;
    figures::insert(tx, t.id, r.started, seq, r.facts.as_ref())?;
    tx.names.borrow_mut().add(t.id, r.started, &r.names);
    Ok(true)
}

fn replace(
    tx: &Tx<'_>,
    t: &TenantCtx,
    old: Existing,
    r: &Row,
    terms: &mut TermEntries,
) -> Result<()> {
    let old_engagement = parse(&old.body)?;
    let old_terms = terms_by_value(&old_engagement, t.country_code.as_deref());
    let old_words = crate::words::text(t.id, &old_engagement);
    if old_words != r.words {
        crate::words::delete(tx, old.seq, &old_words)?;
        crate::words::insert(tx, old.seq, &r.words)?;
    }
    let mut names = tx.names.borrow_mut();
    names.remove(t.id, &names_of(&old_engagement, t.country_code.as_deref()));
    names.add(t.id, r.started, &r.names);
    drop(names);
    // Entries added earlier in this batch and not written yet may differ from the stored
    // body's: then the terms are always rewritten.
    let same_terms = old.started == r.started && old_terms == r.terms && !terms.has(old.seq);
    if !same_terms {
        delete_terms(tx, t, &old_terms, old.started, old.seq)?;
    }
    let position = changes::next_position(tx, t.id)?;
    tx.prepare_cached(
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
    figures::replace(tx, t.id, old.started, r.started, old.seq, r.facts.as_ref())?;
    if same_terms {
        return Ok(());
    }
    // Entries of this row added earlier in the batch (the same id twice) are superseded.
    terms.forget(old.seq);
    terms.add(tx, t, r, old.seq)
}

/// Removes a row's search terms, wherever they are (a bulk load's may still be pending).
fn delete_terms(
    tx: &Tx<'_>,
    t: &TenantCtx,
    old: &[(String, KindSet)],
    started: i64,
    seq: i64,
) -> Result<()> {
    let mut interner = tx.interner.borrow_mut();
    let mut stmt = tx
        .prepare_cached(
            "DELETE FROM terms WHERE tenant_id = ?1 AND value = ?2 AND started = ?3 AND seq = ?4",
        )
        .map_err(db("prepare terms"))?;
    for (value, _) in old {
        if let Some(id) = interner.find(tx, t.id, value)? {
            stmt.execute(params![t.id, id, started, seq])
                .map_err(db("delete term"))?;
            interner.released(t.id, value, id);
        }
    }
    tx.prepare_cached("DELETE FROM terms_pending WHERE seq = ?1")
        .and_then(|mut s| s.execute([seq]))
        .map_err(db("delete pending terms"))?;
    Ok(())
}

pub(crate) fn get(conn: &Connection, tenant: i64, id: &str) -> Result<Option<StoredEngagement>> {
    let json = conn
        .prepare_cached("SELECT body FROM engagements WHERE tenant_id = ?1 AND id = ?2")
        .and_then(|mut s| {
            s.query_row(params![tenant, id], |r| {
                Ok(decode(body_bytes(r.get_ref(0)?)?))
            })
            .optional()
        })
        .map_err(db("get engagement"))?;
    json.transpose().map(|json| {
        json.map(|json| StoredEngagement {
            id: id.to_owned(),
            json,
        })
    })
}
