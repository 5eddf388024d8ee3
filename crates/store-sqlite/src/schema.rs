//! Opening connections the same way everywhere, and bringing the schema up to date.

use rusqlite::Connection;
use std::path::Path;

/// One migration: the number of its file, its SQL, and the Rust that runs after the SQL in
/// the same transaction, if any.
struct Migration {
    number: u32,
    sql: &'static str,
    step: Option<RustStep>,
}

/// A migration's work in Rust.
type RustStep = fn(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>;

const fn sql(number: u32, sql: &'static str) -> Migration {
    Migration {
        number,
        sql,
        step: None,
    }
}

/// The migrations by number. Numbers may have holes: branches take numbers as they are
/// made and land in any order, so the store records which ones ran (`schema_migrations`),
/// not how many, and applies the missing ones in number order. Migrations that may land in
/// either order must not depend on each other.
const MIGRATIONS: &[Migration] = &[
    sql(1, include_str!("../migrations/0001_init.sql")),
    sql(2, include_str!("../migrations/0002_links_and_records.sql")),
    sql(3, include_str!("../migrations/0003_outcome_index.sql")),
    sql(
        4,
        include_str!("../migrations/0004_tenant_scoped_state.sql"),
    ),
    sql(5, include_str!("../migrations/0005_change_feed.sql")),
    sql(6, include_str!("../migrations/0006_activity_index.sql")),
    Migration {
        number: 7,
        sql: include_str!("../migrations/0007_compact_form.sql"),
        step: Some(crate::upgrade::compact_form),
    },
    sql(8, include_str!("../migrations/0008_term_value_pruning.sql")),
    sql(9, include_str!("../migrations/0009_revocation.sql")),
    Migration {
        number: 10,
        sql: include_str!("../migrations/0010_figures.sql"),
        step: Some(crate::upgrade::figures),
    },
    sql(11, include_str!("../migrations/0011_engagement_counts.sql")),
    // The words are written by migration 14, which makes the index anew.
    sql(12, include_str!("../migrations/0012_engagement_words.sql")),
    Migration {
        number: 13,
        sql: include_str!("../migrations/0013_engagement_names.sql"),
        step: Some(crate::upgrade::names),
    },
    Migration {
        number: 14,
        sql: include_str!("../migrations/0014_tenant_words.sql"),
        step: Some(crate::upgrade::words),
    },
    Migration {
        number: 15,
        sql: include_str!("../migrations/0015_queue_visits.sql"),
        step: Some(crate::upgrade::queue_visits),
    },
];

/// Indexes on `engagements` a bulk load keeps besides the unique ones: the change feed's,
/// which a load appends to in order anyway. It drops every other one (the sort indexes, and
/// any a later migration adds) and builds them again when it ends ([`complete`]).
const KEPT_DURING_BULK_LOAD: &[&str] = &["engagements_by_position"];

/// Drops the indexes a bulk load defers, recording their definitions in `deferred_indexes`
/// in the same transaction, so a killed load's next open builds them again.
pub(crate) fn defer_indexes(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let done = (|| {
        let kept = KEPT_DURING_BULK_LOAD
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ");
        // Unique indexes stay: writes rely on them. So do the ones SQLite made itself.
        let deferred: Vec<(String, String)> = conn
            .prepare(&format!(
                "SELECT s.name, s.sql FROM pragma_index_list('engagements') l
                 JOIN sqlite_schema s ON s.type = 'index' AND s.name = l.name
                 WHERE NOT l.\"unique\" AND l.origin = 'c' AND s.name NOT IN ({kept})"
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, sql) in &deferred {
            conn.execute(
                "INSERT OR REPLACE INTO deferred_indexes (name, sql) VALUES (?1, ?2)",
                [name, sql],
            )?;
            conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
        }
        conn.execute_batch("COMMIT")
    })();
    done.inspect_err(|_| {
        let _ = conn.execute_batch("ROLLBACK");
    })
}

/// Finishes what a bulk load deferred, whether it ended or was killed: builds the indexes
/// it dropped and moves pending search terms into `terms` in key order. Quick when there is
/// nothing to do.
pub(crate) fn complete(conn: &Connection) -> rusqlite::Result<()> {
    let (deferred, pending): (bool, bool) = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM deferred_indexes), EXISTS (SELECT 1 FROM terms_pending)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if !deferred && !pending {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let done = (|| {
        let sqls: Vec<String> = conn
            .prepare("SELECT sql FROM deferred_indexes ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for sql in sqls {
            conn.execute_batch(&sql)?;
        }
        conn.execute_batch("DELETE FROM deferred_indexes")?;
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
    // the pages of its pending terms (see bulk.rs). secure_delete overwrites what a
    // deletion frees (cells and whole pages) with zeros, so an erased customer is not left
    // in free space; it costs no extra writes, the pages are written anyway.
    conn.execute_batch(
        "PRAGMA auto_vacuum = INCREMENTAL;
         PRAGMA secure_delete = ON;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -8192;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Settings of the writer's connection: a larger page cache (`cache_kib`, its share of the
/// store's budget), since it walks every index on every write, and checkpoints in larger
/// steps. A bulk load goes further: commits skip the fsync (the load is made durable once,
/// when the store closes) and checkpoints are rarer, so index pages written many times are
/// copied back once.
pub(crate) fn tune_writer(conn: &Connection, bulk: bool, cache_kib: i64) -> rusqlite::Result<()> {
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
        conn.pragma_update(None, "cache_size", -cache_kib)?;
        conn.execute_batch("PRAGMA wal_autocheckpoint = 4000;")
    }
}

/// Memory SQLite may use beyond its page caches (prepared statements, sorts and temporary
/// b-trees of queries in flight), before an allocation fails (the query then ends with an
/// error rather than the process growing without bound).
const HEAP_BEYOND_CACHES: usize = 128 << 20;

/// Memory SQLite uses beyond its page caches before it recycles cached pages instead of
/// allocating more (statements and sorts then take from the caches).
const SOFT_HEAP_BEYOND_CACHES: usize = 32 << 20;

/// Caps the memory SQLite allocates in this process (every connection together): past the
/// page caches' budget and [`SOFT_HEAP_BEYOND_CACHES`] it shrinks its caches, past the
/// budget and [`HEAP_BEYOND_CACHES`] an allocation fails.
pub(crate) fn limit_heap(
    conn: &Connection,
    limits: &interlog_store::ReadLimits,
) -> rusqlite::Result<()> {
    let hard = (limits.cache_bytes + HEAP_BEYOND_CACHES) as i64;
    let soft = (limits.cache_bytes + SOFT_HEAP_BEYOND_CACHES) as i64;
    conn.query_row(&format!("PRAGMA hard_heap_limit = {hard}"), [], |_| Ok(()))?;
    conn.query_row(&format!("PRAGMA soft_heap_limit = {soft}"), [], |_| Ok(()))
}

/// Copies the whole log into the database and syncs it: after this, every commit is on disk
/// even if commits skipped their own sync.
pub(crate) fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA wal_checkpoint(TRUNCATE);")
}

/// Copies the whole log into the database and truncates it, so nothing a deletion removed
/// stays in the log's old frames; waits (up to the busy timeout) for readers and the writer
/// to let it. Whether it completed.
pub(crate) fn truncate_log(conn: &Connection) -> rusqlite::Result<bool> {
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    Ok(busy == 0)
}

/// Applies the migrations that have not run yet, each in its own transaction.
///
/// Stores made before `schema_migrations` existed counted their migrations in `PRAGMA
/// user_version` (migrations 1 to N ran); it still says that: the longest run of migrations
/// from 1 that have all run.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    apply(conn, MIGRATIONS)
}

fn apply(conn: &mut Connection, migrations: &[Migration]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let ledger: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !ledger {
        let counted: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        tx.execute_batch("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY)")?;
        for n in 1..=counted {
            tx.execute("INSERT INTO schema_migrations (number) VALUES (?1)", [n])?;
        }
    }
    tx.commit()?;
    let mut applied: std::collections::BTreeSet<u32> = conn
        .prepare("SELECT number FROM schema_migrations")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let missing: Vec<&Migration> = migrations
        .iter()
        .filter(|m| !applied.contains(&m.number))
        .collect();
    for m in missing {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(m.sql)?;
        if let Some(step) = m.step {
            step(&tx)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (number) VALUES (?1)",
            [m.number],
        )?;
        applied.insert(m.number);
        let contiguous = (1..)
            .take_while(|n| applied.contains(n))
            .last()
            .unwrap_or(0);
        tx.pragma_update(None, "user_version", contiguous)?;
        tx.commit()?;
    }
    Ok(())
}

/// The plan SQLite chooses for `sql` on a fresh, migrated database, one line per step (for
/// the tests that pin the index a statement walks). `params` binds its parameters; `None`
/// binds 1 to each.
#[cfg(test)]
pub(crate) fn query_plan(sql: &str, params: Option<&[rusqlite::types::Value]>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir.path().join("plan.db")).unwrap();
    migrate(&mut conn).unwrap();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let ones = vec![rusqlite::types::Value::Integer(1); stmt.parameter_count()];
    let params = params.unwrap_or(&ones);
    let rows: Vec<String> = stmt
        .query_map(rusqlite::params_from_iter(params), |r| r.get(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.join("\n")
}

#[cfg(test)]
mod order {
    use super::*;

    fn version(conn: &Connection) -> u32 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    fn tables(conn: &Connection) -> Vec<String> {
        conn.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 't_' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn a_migration_that_lands_after_a_later_numbered_one_still_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("order.db")).unwrap();
        // A store migrated by a build that had 1 and 3 but not 2 yet…
        apply(
            &mut conn,
            &[sql(1, "CREATE TABLE t1 (x)"), sql(3, "CREATE TABLE t3 (x)")],
        )
        .unwrap();
        assert_eq!(version(&conn), 1);
        // …then opened by one that has all three: only 2 runs.
        let all = [
            sql(1, "CREATE TABLE t1 (x)"),
            sql(2, "CREATE TABLE t2 (x)"),
            sql(3, "CREATE TABLE t3 (x)"),
        ];
        apply(&mut conn, &all).unwrap();
        assert_eq!(tables(&conn), ["t1", "t2", "t3"]);
        assert_eq!(version(&conn), 3);
        apply(&mut conn, &all).unwrap();
    }

    #[test]
    fn a_store_from_before_the_ledger_counts_its_migrations_in_user_version() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("old.db")).unwrap();
        conn.execute_batch("CREATE TABLE t1 (x); CREATE TABLE t2 (x); PRAGMA user_version = 2;")
            .unwrap();
        apply(
            &mut conn,
            &[
                sql(1, "CREATE TABLE t1 (x)"),
                sql(2, "CREATE TABLE t2 (x)"),
                sql(3, "CREATE TABLE t3 (x)"),
            ],
        )
        .unwrap();
        assert_eq!(tables(&conn), ["t1", "t2", "t3"]);
        assert_eq!(version(&conn), 3);
    }
}
