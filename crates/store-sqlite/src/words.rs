//! The full-text index (`engagement_words`, contentless FTS5): an engagement's words written
//! with it, removed with it (see [`crate::derived::forget`]), and matched by a listing.

use crate::db;
use interlog_model::Engagement;
use interlog_store::Result;
use rusqlite::{params, Connection};

/// The text FTS5 indexes for `e`: its tokens joined by spaces.
pub(crate) fn text(e: &Engagement) -> String {
    interlog_store::search::words(e).join(" ")
}

/// Writes the words of row `seq` (none: nothing to write).
pub(crate) fn insert(conn: &Connection, seq: i64, text: &str) -> Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    conn.prepare_cached("INSERT INTO engagement_words (rowid, words) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![seq, text]))
        .map_err(db("insert words"))?;
    Ok(())
}

/// Removes the words of row `seq`, which were `text` (as [`text`] made them from the stored
/// body: a contentless index is told what it indexed).
pub(crate) fn delete(conn: &Connection, seq: i64, text: &str) -> Result<()> {
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

/// Removes the words of every engagement of `tenant` (the index has no tenant column: it is
/// told each row's words, made from its body).
pub(crate) fn forget_tenant(conn: &Connection, tenant: i64) -> Result<()> {
    let mut stmt = conn
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
        delete(conn, seq, &text(&e))?;
    }
    Ok(())
}

/// The condition that row `e` holds the words of a query (its FTS5 expression bound as a
/// parameter named `p`).
pub(crate) fn condition(p: &str) -> String {
    format!(" AND e.seq IN (SELECT rowid FROM engagement_words WHERE engagement_words MATCH {p})")
}
