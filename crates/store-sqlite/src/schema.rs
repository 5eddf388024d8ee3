//! Opening connections the same way everywhere, and bringing the schema up to date.

use rusqlite::Connection;
use std::path::Path;

/// The migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_links_and_records.sql"),
    include_str!("../migrations/0003_outcome_index.sql"),
    include_str!("../migrations/0004_tenant_scoped_state.sql"),
    include_str!("../migrations/0005_change_feed.sql"),
    include_str!("../migrations/0006_activity_index.sql"),
];

/// Opens a connection with the settings every connection of the store uses.
pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL lets readers run beside the single writer. synchronous=FULL makes every commit
    // durable before it returns, which is what an acknowledged write promises.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
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
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}
