//! Backups and restores of a store, by its URL: SQLite's online backup for the embedded
//! store; PostgreSQL's own tools for the shared one (docs/scale-out.md).

use crate::StoreUrl;
use interlog_store::error_chain;
use std::path::Path;

pub use interlog_store_sqlite::Copied;

/// What to use instead on PostgreSQL.
const POSTGRES: &str = "a PostgreSQL store is backed up and restored with PostgreSQL's own \
    tools (pg_dump and pg_restore, or pg_basebackup with WAL archiving for point-in-time \
    recovery): see docs/scale-out.md";

/// Writes a consistent copy of the store at `url` to `to`, while it is in use; `progress`
/// is told pages copied of pages in all.
pub fn backup(
    url: &StoreUrl,
    to: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Copied, String> {
    match url {
        StoreUrl::Sqlite(db) => interlog_store_sqlite::backup(db, to, progress)
            .map_err(|e| format!("cannot back up {}: {}", url.display(), error_chain(&e))),
        StoreUrl::Postgres(_) => Err(POSTGRES.to_owned()),
    }
}

/// Puts the backup `from` in place of the store at `url`, which nothing may have open.
pub fn restore(
    url: &StoreUrl,
    from: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Copied, String> {
    match url {
        StoreUrl::Sqlite(db) => {
            if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::private_files::ensure_dir(dir)?;
            }
            interlog_store_sqlite::restore(from, db, progress)
                .map_err(|e| format!("cannot restore into {}: {}", url.display(), error_chain(&e)))
        }
        StoreUrl::Postgres(_) => Err(POSTGRES.to_owned()),
    }
}
