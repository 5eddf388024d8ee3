//! The full-text index (`engagement_words`, contentless FTS5): an engagement's words written
//! with it, removed with it (see [`crate::derived::forget`]), and matched by a listing.
//!
//! Every token is written under its tenant (`7:refund` for tenant 7, see [`scope`]), and
//! each row holds its tenant's marker (`7:`) as well: FTS5 has no tenant column, and a
//! query asked with the tenant's tokens reads that tenant's matches only (a count of a word
//! is one doclist, however many other tenants use the word). The marker finds a tenant's
//! rows (`interlog check` compares them with the bodies').
//!
//! A write transaction queues its changes to the index ([`insert`], [`delete`]) and the
//! writer applies them, in order, after every other statement of the transaction
//! ([`flush`]). FTS5 keeps what a transaction adds in memory and writes it out as a new
//! segment whenever a statement that can roll back part of itself begins (SQLite opens a
//! statement savepoint, and FTS5 flushes on every savepoint): with the index written between
//! the engagement's other rows, each engagement became a segment of its own, and merging
//! those segments was most of the index's cost on an import. Queued, a transaction's words
//! make one segment.

use crate::db;
use crate::writer::Tx;
use interlog_model::Engagement;
use interlog_store::search::TextQuery;
use interlog_store::Result;
use rusqlite::{params, Connection};

/// What every token of `tenant` starts with, and its marker token. Digits then a colon: our
/// tokens never make FTS5 read one tenant's token as another's (`7:` then `12` is `7:12`,
/// never tenant 71's `2`).
pub(crate) fn scope(tenant: i64) -> String {
    format!("{tenant}:")
}

/// The text FTS5 indexes for `e` of `tenant`: its marker, then its tokens, each under the
/// tenant, joined by spaces; empty when it has no words.
pub(crate) fn text(tenant: i64, e: &Engagement) -> String {
    let words = interlog_store::search::words(e);
    if words.is_empty() {
        return String::new();
    }
    let scope = scope(tenant);
    let mut out = String::with_capacity(words.iter().map(|w| w.len() + scope.len() + 1).sum());
    out.push_str(&scope);
    for w in &words {
        out.push(' ');
        out.push_str(&scope);
        out.push_str(w);
    }
    out
}

/// The FTS5 expression that finds `query` among `tenant`'s rows.
pub(crate) fn query(tenant: i64, query: &TextQuery) -> String {
    query.fts5(&scope(tenant))
}

/// The FTS5 expression that finds every row of `tenant`.
pub(crate) fn every_row(tenant: i64) -> String {
    format!("\"{}\"", scope(tenant))
}

/// A change to the index waiting for the end of its transaction.
enum Change {
    Insert(i64, String),
    Delete(i64, String),
}

/// The changes a write transaction made to the index and has not applied yet, and the bytes
/// of their text.
#[derive(Default)]
pub(crate) struct Pending {
    changes: Vec<Change>,
    bytes: usize,
}

/// Text queued before the queue is applied mid-transaction: a transaction of many large
/// engagements (a repair rewrites every row in one) makes a segment per this much text
/// rather than holding all of it in memory.
const MAX_PENDING_BYTES: usize = 16 << 20;

/// Queues the words of row `seq` (none: nothing to write).
pub(crate) fn insert(tx: &Tx<'_>, seq: i64, text: &str) -> Result<()> {
    queue(tx, text, |t| Change::Insert(seq, t))
}

/// Queues the removal of the words of row `seq`, which were `text` (as [`text`] made them
/// from the stored body: a contentless index is told what it indexed).
pub(crate) fn delete(tx: &Tx<'_>, seq: i64, text: &str) -> Result<()> {
    queue(tx, text, |t| Change::Delete(seq, t))
}

fn queue(tx: &Tx<'_>, text: &str, change: impl FnOnce(String) -> Change) -> Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    let full = {
        let mut pending = tx.words.borrow_mut();
        pending.changes.push(change(text.to_owned()));
        pending.bytes += text.len();
        pending.bytes > MAX_PENDING_BYTES
    };
    if full {
        flush(tx)?;
    }
    Ok(())
}

/// Applies the queued changes, in the order they were made. The writer calls this last in
/// each transaction; anything that writes the index directly or reads it inside the
/// transaction calls it first.
pub(crate) fn flush(tx: &Tx<'_>) -> Result<()> {
    let Pending { changes, .. } = std::mem::take(&mut *tx.words.borrow_mut());
    for change in changes {
        match change {
            Change::Insert(seq, text) => write_now(tx, seq, &text)?,
            Change::Delete(seq, text) => delete_now(tx, seq, &text)?,
        }
    }
    Ok(())
}

/// Writes the words of row `seq` at once (none: nothing to write).
pub(crate) fn write_now(conn: &Connection, seq: i64, text: &str) -> Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    conn.prepare_cached("INSERT INTO engagement_words (rowid, words) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![seq, text]))
        .map_err(db("insert words"))?;
    Ok(())
}

fn delete_now(conn: &Connection, seq: i64, text: &str) -> Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO engagement_words (engagement_words, rowid, words) VALUES ('delete', ?1, ?2)",
    )
    .and_then(|mut s| s.execute(params![seq, text]))
    .map_err(db("delete words"))?;
    Ok(())
}

/// Removes the words of every engagement of `tenant` (a contentless index is told each
/// row's words: made from its body), after what the transaction queued.
pub(crate) fn forget_tenant(tx: &Tx<'_>, tenant: i64) -> Result<()> {
    flush(tx)?;
    let mut stmt = tx
        .prepare("SELECT seq, body FROM engagements WHERE tenant_id = ?1")
        .map_err(db("read a tenant's engagements"))?;
    let mut rows = stmt
        .query([tenant])
        .map_err(db("read a tenant's engagements"))?;
    while let Some(r) = rows.next().map_err(db("read a tenant's engagements"))? {
        let seq: i64 = r.get(0).map_err(db("read a tenant's engagements"))?;
        let body = crate::rows::body_bytes(r.get_ref(1).map_err(db("engagement body"))?)
            .map_err(db("engagement body"))?;
        let e: Engagement = serde_json::from_str(&crate::rows::decode(body)?)
            .map_err(|e| interlog_store::StoreError::backend("stored body", e))?;
        delete_now(tx, seq, &text(tenant, &e))?;
    }
    Ok(())
}

/// The condition that row `e` holds the words of a query (its FTS5 expression bound as a
/// parameter named `p`).
pub(crate) fn condition(p: &str) -> String {
    format!(" AND e.seq IN (SELECT rowid FROM engagement_words WHERE engagement_words MATCH {p})")
}
