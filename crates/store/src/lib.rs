//! The storage contract of Interlog.
//!
//! [`Store`] is what every backend implements and every API layer uses. Each engagement
//! method takes the tenant first, so no query can be written without a tenant. Nothing here
//! names a vendor or a database.

mod activity;
pub mod analytics;
pub mod background_cpu;
mod changes;
pub mod codec;
pub mod codes;
pub mod counting;
mod directory;
mod engagements;
mod error;
mod expr;
mod links;
pub mod matching;
mod metrics;
pub mod names;
mod notifications;
mod query;
mod records;
pub mod search;
mod settings;
mod stored;
pub mod terms;
mod upkeep;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use activity::*;
pub use analytics::{Analytics, Figures, FiguresQuery};
pub use changes::*;
pub use directory::*;
pub use engagements::*;
pub use error::{error_chain, StoreError};
pub use expr::*;
pub use links::*;
pub use metrics::*;
pub use names::{KnownName, NameKind, Names};
pub use notifications::*;
pub use query::*;
pub use records::*;
pub use settings::*;
pub use stored::*;
pub use upkeep::*;

use async_trait::async_trait;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A new id for a row the store names itself (a user, a customer of linked identifiers):
/// a UUIDv7 in simple form, so ids sort by creation.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Why an edit applied inside a write transaction ([`EngagementEdit`], [`SettingEdit`])
/// refused to change what it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditRejected(pub String);

/// Persistent storage: every concern a backend implements, and its lifecycle.
///
/// A backend implements each concern's trait ([`Directory`], [`Engagements`],
/// [`Analytics`], [`Changes`], [`IdentityLinks`], [`ExpiringRecords`], [`DurableSettings`],
/// [`Notifications`], [`Names`], [`Upkeep`]) and this one; the API holds it only as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    Directory
    + Engagements
    + Analytics
    + Changes
    + IdentityLinks
    + ExpiringRecords
    + DurableSettings
    + Notifications
    + Names
    + Upkeep
    + Send
    + Sync
    + 'static
{
    /// The backend's name (`sqlite`, `postgres`), for logs.
    fn backend(&self) -> &'static str;

    /// Makes what deletions freed unrecoverable from the backend's own files, as far as
    /// the backend can (run after an erasure): SQLite overwrites freed content as it
    /// deletes (`secure_delete`), and here copies its write-ahead log into the database
    /// and truncates it. PostgreSQL cannot from a client: dead rows stay in their pages
    /// until a `VACUUM` makes the space reusable and later writes overwrite it (see
    /// docs/scale-out.md).
    async fn scrub_freed(&self) -> Result<()>;

    /// Whether the backend can serve requests (for `/readyz`).
    async fn ping(&self) -> Result<()>;

    /// Stops accepting writes, waits until every queued write has committed, and (after a
    /// bulk load) makes everything durable. Later writes fail with [`StoreError::Closed`].
    /// Calling it again does nothing.
    async fn close(&self);
}

/// How a store is opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// The bounds on reads.
    pub limits: ReadLimits,
    /// An offline bulk load (`interlog import`): the backend may trade per-commit
    /// durability for speed, as long as every acknowledged write is durable once
    /// [`Store::close`] returns, the store stays consistent if the process dies, and an
    /// idempotent re-run completes the load. It may also build search terms and sort
    /// indexes when it ends rather than row by row: until [`Store::close`] returns, filters
    /// by search terms (agents, customers, queues…) need not find what the load wrote, and
    /// listings may be slower. Everything is found once it has closed.
    pub bulk_load: bool,
}

/// What bounds a backend's reads, so that no request can take the server's time or memory
/// away from the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Longest one read statement may run; past it the read ends with
    /// [`StoreError::TimedOut`].
    pub statement_budget: std::time::Duration,
    /// Connections (and, on SQLite, threads) serving [`Lane::Heavy`] reads; heavy reads
    /// beyond them wait for one.
    pub heavy_readers: usize,
    /// Most bytes of engagements (or changes) one keyset page holds: a page ends early,
    /// with more to follow, rather than grow past it (it always holds one item).
    pub max_page_bytes: usize,
    /// Memory for the page caches of all the backend's connections together (SQLite; the
    /// PostgreSQL server sizes its own).
    pub cache_bytes: usize,
}

impl Default for ReadLimits {
    /// 5 s a statement; a heavy reader per core (at least two); pages of at most 16 MiB;
    /// 32 MiB of page cache (with the rest of the process, 178 MB resident at most under
    /// overload and a bulk ingest at 1,000,000 engagements, 232 MB at 64 MiB, the reads as
    /// fast: bench/overload.sh).
    fn default() -> Self {
        ReadLimits {
            statement_budget: std::time::Duration::from_secs(5),
            heavy_readers: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .max(2),
            max_page_bytes: 16 << 20,
            cache_bytes: 32 << 20,
        }
    }
}
