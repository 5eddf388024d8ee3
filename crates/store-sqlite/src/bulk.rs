//! A bulk load (`interlog import`) builds indexes in order instead of row by row.
//!
//! Its search-term entries go to `terms_pending` in row order (appends), and once it has
//! written [`DEFER_AFTER`] rows the indexes on engagements are dropped (all but the change
//! feed's, see [`crate::schema::defer_indexes`]). When the load ends, the
//! indexes are built again from the table (SQLite sorts their entries first) and the
//! pending terms are moved into `terms` in key order: B-tree appends instead of inserts all
//! over the index. Every step is a transaction, and opening the store finishes whatever a
//! killed load left (see [`crate::schema::complete`]), so a store is consistent at every
//! point and an idempotent re-run completes it.

use rusqlite::Connection;
use std::cell::Cell;

/// Rows a bulk load writes with live sort indexes before it drops them: below this, building
/// them again over the whole table would cost more than it saves.
const DEFER_AFTER: u64 = 20_000;

/// The state of a bulk load in the writer.
pub(crate) struct BulkLoad {
    rows: Cell<u64>,
    defer_after: u64,
    deferred: Cell<bool>,
}

impl Default for BulkLoad {
    fn default() -> Self {
        BulkLoad {
            rows: Cell::new(0),
            // Tests make a small load defer its indexes too.
            defer_after: std::env::var("INTERLOG_SQLITE_BULK_DEFER_AFTER")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFER_AFTER),
            deferred: Cell::new(false),
        }
    }
}

impl BulkLoad {
    /// Counts a row the load wrote.
    pub(crate) fn wrote_row(&self) {
        self.rows.set(self.rows.get() + 1);
    }

    /// Between transactions: drops the deferred indexes once the load is large enough.
    pub(crate) fn before_commit(&self, conn: &Connection) {
        if self.deferred.get() || self.rows.get() < self.defer_after {
            return;
        }
        self.deferred.set(true);
        match crate::schema::defer_indexes(conn) {
            Ok(()) => tracing::info!(
                rows = self.rows.get(),
                "bulk load: indexes dropped, to be built when the load ends"
            ),
            Err(e) => tracing::warn!(error = %e, "bulk load: could not drop the indexes"),
        }
    }

    /// The load ended: builds what it deferred.
    pub(crate) fn finish(&self, conn: &Connection) {
        let started = std::time::Instant::now();
        // The pages the pending terms and the first indexes took are given back to the file
        // system (on a database made with auto_vacuum; elsewhere a no-op).
        match crate::schema::complete(conn)
            .and_then(|()| conn.execute_batch("PRAGMA incremental_vacuum"))
        {
            Ok(()) => tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                "bulk load: indexes and search terms built"
            ),
            Err(e) => tracing::error!(
                error = %e,
                "bulk load: building the indexes failed; the next open of the store builds them"
            ),
        }
    }
}
