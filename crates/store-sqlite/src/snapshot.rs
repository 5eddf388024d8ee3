//! An export's snapshot: one read transaction over the head of the tenant's feed and every
//! page of the listing, so what it reads is the store as of that head, whatever is written
//! meanwhile. SQLite's write-ahead log cannot be checkpointed past a snapshot still open,
//! so the log grows by what is written during the export and shrinks at the next
//! checkpoint after it.

use crate::db;
use crate::listing;
use crate::readers::Reader;
use interlog_store::{snapshot_query, Filter, Result, SnapshotPart, Start};
use rusqlite::OptionalExtension;
use std::time::Duration;
use tokio::sync::mpsc::Sender;

/// Sends the snapshot of `tenant`'s engagements `f` matches to `out` (see
/// `Engagements::snapshot`); each statement has `budget`.
pub(crate) fn read(
    r: &Reader,
    budget: Duration,
    tenant: i64,
    country: Option<&str>,
    f: &Filter,
    max_bytes: usize,
    out: &Sender<SnapshotPart>,
) -> Result<()> {
    r.execute_batch("BEGIN").map_err(db("begin snapshot"))?;
    let result = pages(r, budget, tenant, country, f, max_bytes, out);
    // A read transaction commits nothing; ending it lets the log be checkpointed.
    let _ = r.execute_batch("COMMIT");
    result
}

fn pages(
    r: &Reader,
    budget: Duration,
    tenant: i64,
    country: Option<&str>,
    f: &Filter,
    max_bytes: usize,
    out: &Sender<SnapshotPart>,
) -> Result<()> {
    r.begin(budget);
    // The first read fixes the snapshot: the head and every page after it agree.
    let position: i64 = r
        .prepare_cached("SELECT head FROM tenant_heads WHERE tenant_id = ?1")
        .and_then(|mut s| s.query_row([tenant], |row| row.get(0)).optional())
        .map_err(db("read feed head"))?
        .unwrap_or(0);
    let total = listing::count(r, tenant, country, f, None)?.value();
    if out
        .blocking_send(SnapshotPart::Start { position, total })
        .is_err()
    {
        return Ok(());
    }
    let mut q = snapshot_query(f);
    loop {
        r.begin(budget);
        let page = listing::list(r, tenant, country, &q, max_bytes)?;
        let next = page.next;
        if !page.items.is_empty() && out.blocking_send(SnapshotPart::Rows(page.items)).is_err() {
            return Ok(());
        }
        match next {
            Some(p) => q.start = Start::After(p),
            None => return Ok(()),
        }
    }
}
