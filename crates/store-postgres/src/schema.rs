//! Bringing the schema up to date, once, however many instances start together.

use crate::error::db;
use interlog_store::{Result, StoreError};
use sha2::{Digest, Sha256};

/// A migration's work in Rust, run after its SQL in the same transaction.
type RustStep =
    for<'a> fn(
        &'a tokio_postgres::Transaction<'a>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>>;

/// One migration: its SQL, and the Rust that follows it, if any.
struct Migration {
    sql: &'static str,
    step: Option<RustStep>,
}

const fn sql(sql: &'static str) -> Migration {
    Migration { sql, step: None }
}

/// The migrations in order; `interlog_migrations` records which have run.
const MIGRATIONS: &[Migration] = &[
    sql(include_str!("../migrations/0001_init.sql")),
    sql(include_str!("../migrations/0002_change_feed.sql")),
    sql(include_str!("../migrations/0003_revocation.sql")),
    Migration {
        sql: include_str!("../migrations/0004_figures.sql"),
        step: Some(|tx| Box::pin(crate::figures::backfill(tx))),
    },
    sql(include_str!("../migrations/0005_engagement_counts.sql")),
    Migration {
        sql: include_str!("../migrations/0006_engagement_words.sql"),
        step: Some(|tx| Box::pin(crate::words::backfill(tx))),
    },
    Migration {
        sql: include_str!("../migrations/0007_engagement_names.sql"),
        step: Some(|tx| Box::pin(crate::names::backfill(tx))),
    },
    sql(include_str!("../migrations/0008_queue_visits.sql")),
];

/// The staging tables bulk writes are copied into, per connection; their rows go at
/// commit. `body` is compressed (lz4 where the server has it) and kept inline there: the
/// merge copies the compressed value into `engagements` as it is, so a body is compressed
/// once and never written out of line twice.
pub(crate) const STAGING: &str = "
CREATE TEMP TABLE IF NOT EXISTS stage_engagements (
    ord int NOT NULL, id text COLLATE \"C\" NOT NULL, started bigint NOT NULL,
    ended bigint NOT NULL, updated bigint NOT NULL, duration bigint NOT NULL,
    state smallint NOT NULL, outcome smallint, direction smallint, channels integer NOT NULL,
    body text NOT NULL
) ON COMMIT DELETE ROWS;
ALTER TABLE stage_engagements ALTER COLUMN body SET STORAGE MAIN;
DO $$
BEGIN
    ALTER TABLE stage_engagements ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
    NULL;
END
$$;
CREATE TEMP TABLE IF NOT EXISTS stage_terms (
    ord int NOT NULL, kind smallint NOT NULL, value text COLLATE \"C\" NOT NULL,
    started bigint NOT NULL, id text COLLATE \"C\" NOT NULL
) ON COMMIT DELETE ROWS;";

/// A 64-bit key for an advisory lock on `name`.
pub(crate) fn lock_key(name: &str) -> i64 {
    let d = Sha256::digest(name.as_bytes());
    i64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// Takes the advisory lock on `name` until `tx` ends.
pub(crate) async fn lock_until_commit(
    tx: &deadpool_postgres::Transaction<'_>,
    name: &str,
) -> std::result::Result<(), tokio_postgres::Error> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(name)])
        .await
        .map(|_| ())
}

/// Creates the schema if needed and applies the migrations that have not run, each in its
/// own transaction, holding a lock so that instances starting together take turns.
pub(crate) async fn migrate(
    client: &mut tokio_postgres::Client,
    schema: Option<&str>,
) -> Result<()> {
    if let Some(s) = schema {
        // The name was checked to need no quoting.
        client
            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {s}"))
            .await
            .or_else(|e| {
                // Two instances creating it at once: the other one won.
                if crate::error::is_unique_violation(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(db("create schema"))?;
    }
    let key = lock_key(&format!("interlog migrations {}", schema.unwrap_or("")));
    client
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .await
        .map_err(db("lock for migrations"))?;
    let result = apply(client).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .await
        .map_err(db("unlock after migrations"));
    result.and(unlocked.map(|_| ()))
}

async fn apply(client: &mut tokio_postgres::Client) -> Result<()> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS interlog_migrations (
                 version    integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(db("create the migrations table"))?;
    let done: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM interlog_migrations",
            &[],
        )
        .await
        .map_err(db("read the schema version"))?
        .get(0);
    let done = usize::try_from(done).unwrap_or(0);
    if done > MIGRATIONS.len() {
        return Err(StoreError::backend(
            "schema version",
            format!(
                "the database is at schema version {done}, newer than this build knows ({}); upgrade Interlog",
                MIGRATIONS.len()
            ),
        ));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(done) {
        let version = i32::try_from(i + 1).expect("few migrations");
        let tx = client.transaction().await.map_err(db("begin migration"))?;
        // Building an index over a large table may take longer than requests may.
        tx.batch_execute("SET LOCAL statement_timeout = 0")
            .await
            .map_err(db("migration"))?;
        tx.batch_execute(m.sql).await.map_err(db("migration"))?;
        if let Some(step) = m.step {
            step(&tx).await?;
        }
        tx.execute(
            "INSERT INTO interlog_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(db("record migration"))?;
        tx.commit().await.map_err(db("commit migration"))?;
        tracing::info!(version, "applied PostgreSQL migration");
    }
    Ok(())
}
