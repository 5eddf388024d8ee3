//! Opening connections the same way everywhere, and bringing the schema up to date.

use rusqlite::Connection;
use std::path::Path;

/// The migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_links_and_records.sql"),
    include_str!("../migrations/0003_outcome_index.sql"),
    include_str!("../migrations/0004_tenant_scoped_state.sql"),
    include_str!("../migrations/0005_compact_form.sql"),
];

/// A migration's work in Rust, run after its SQL in the same transaction.
type RustStep = fn(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>;

/// Migrations that also need Rust after their SQL: (number, step).
const RUST_STEPS: &[(usize, RustStep)] = &[(5, crate::upgrade::compact_form)];

/// The indexes a listing walks in sort order, as the migrations made them. A bulk load
/// drops them and builds them again when it ends ([`complete`]).
const SORT_INDEXES: &[(&str, &str)] = &[
    (
        "engagements_by_started",
        "engagements (tenant_id, started, id)",
    ),
    ("engagements_by_ended", "engagements (tenant_id, ended, id)"),
    (
        "engagements_by_updated",
        "engagements (tenant_id, updated, id)",
    ),
    (
        "engagements_by_duration",
        "engagements (tenant_id, duration, id)",
    ),
    (
        "engagements_by_outcome",
        "engagements (tenant_id, outcome, started, id)",
    ),
];

pub(crate) fn drop_sort_indexes(conn: &Connection) -> rusqlite::Result<()> {
    let mut sql = String::from("BEGIN IMMEDIATE;");
    for (name, _) in SORT_INDEXES {
        sql.push_str(&format!("DROP INDEX IF EXISTS {name};"));
    }
    sql.push_str("COMMIT;");
    conn.execute_batch(&sql).inspect_err(|_| {
        let _ = conn.execute_batch("ROLLBACK");
    })
}

/// Finishes what a bulk load deferred, whether it ended or was killed: builds the sort
/// indexes that are missing and moves pending search terms into `terms` in key order.
/// Quick when there is nothing to do.
pub(crate) fn complete(conn: &Connection) -> rusqlite::Result<()> {
    let present: i64 = conn.query_row(
        &format!(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN ({})",
            SORT_INDEXES
                .iter()
                .map(|(n, _)| format!("'{n}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        [],
        |r| r.get(0),
    )?;
    let pending: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM terms_pending)", [], |r| {
        r.get(0)
    })?;
    if present as usize == SORT_INDEXES.len() && !pending {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let done = (|| {
        for (name, def) in SORT_INDEXES {
            conn.execute_batch(&format!("CREATE INDEX IF NOT EXISTS {name} ON {def}"))?;
        }
        if pending {
            merge_pending(conn)?;
        }
        conn.execute_batch("COMMIT")
    })();
    done.inspect_err(|_| {
        let _ = conn.execute_batch("ROLLBACK");
    })
}

/// Moves pending search terms into `terms` in key order, sorted here a few million at a
/// time (faster than SQLite's sorter by far), then empties `terms_pending`.
fn merge_pending(conn: &Connection) -> rusqlite::Result<()> {
    /// Entries sorted at a time (40 bytes each).
    const AT_ONCE: usize = 8 << 20;
    let mut after = i64::MIN;
    loop {
        let mut rows = Vec::new();
        {
            let mut stmt = conn.prepare(
                "SELECT seq, tenant_id, started, entries FROM terms_pending WHERE seq > ?1 ORDER BY seq",
            )?;
            let mut pending = stmt.query([after])?;
            while let Some(r) = pending.next()? {
                let seq: i64 = r.get(0)?;
                let entries = r.get_ref(3)?.as_blob()?;
                rows.extend(crate::rows::pending_rows(
                    r.get(1)?,
                    r.get(2)?,
                    seq,
                    entries,
                ));
                after = seq;
                if rows.len() >= AT_ONCE {
                    break;
                }
            }
        }
        if rows.is_empty() {
            break;
        }
        rows.sort_unstable();
        crate::rows::insert_terms(conn, &rows)?;
    }
    conn.execute_batch("DELETE FROM terms_pending")
}

/// Opens a connection with the settings every connection of the store uses.
pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL lets readers run beside the single writer. synchronous=FULL makes every commit
    // durable before it returns, which is what an acknowledged write promises.
    // auto_vacuum only takes effect on a new database: there it lets a bulk load give back
    // the pages of its pending terms (see bulk.rs).
    conn.execute_batch(
        "PRAGMA auto_vacuum = INCREMENTAL;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -8192;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Settings of the writer's connection: a larger page cache, since it walks every index on
/// every write, and checkpoints in larger steps. A bulk load goes further: commits skip the
/// fsync (the load is made durable once, when the store closes) and checkpoints are rarer,
/// so index pages written many times are copied back once.
pub(crate) fn tune_writer(conn: &Connection, bulk: bool) -> rusqlite::Result<()> {
    if bulk {
        // An offline load may use memory a serving process should not: its search-term
        // index takes inserts all over, and every page it finds in memory is a read saved.
        conn.execute_batch(
            "PRAGMA cache_size = -1048576;
             PRAGMA mmap_size = 17179869184;
             PRAGMA wal_autocheckpoint = 32000;
             PRAGMA synchronous = NORMAL;",
        )
    } else {
        conn.execute_batch(
            "PRAGMA cache_size = -65536;
             PRAGMA wal_autocheckpoint = 4000;",
        )
    }
}

/// Copies the whole log into the database and syncs it: after this, every commit is on disk
/// even if commits skipped their own sync.
pub(crate) fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA wal_checkpoint(TRUNCATE);")
}

/// Applies the migrations that have not run yet, each in its own transaction.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let done: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        for (_, step) in RUST_STEPS.iter().filter(|(n, _)| *n == i + 1) {
            step(&tx)?;
        }
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}
