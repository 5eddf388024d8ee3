//! The storage contract of Interlog.
//!
//! [`Store`] is what every backend implements and every API layer uses. Each engagement
//! method takes the tenant first, so no query can be written without a tenant. Nothing here
//! names a vendor or a database.

mod activity;
mod changes;
pub mod codec;
pub mod codes;
mod directory;
mod engagements;
mod error;
mod expr;
mod links;
pub mod matching;
mod metrics;
mod notifications;
mod query;
mod records;
mod settings;
mod stored;
pub mod terms;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use activity::*;
pub use changes::*;
pub use directory::*;
pub use engagements::*;
pub use error::{error_chain, StoreError};
pub use expr::*;
pub use links::*;
pub use metrics::*;
pub use notifications::*;
pub use query::*;
pub use records::*;
pub use settings::*;
pub use stored::*;

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
/// [`Changes`], [`IdentityLinks`], [`ExpiringRecords`], [`DurableSettings`],
/// [`Notifications`]) and this one; the API holds it only as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    Directory
    + Engagements
    + Changes
    + IdentityLinks
    + ExpiringRecords
    + DurableSettings
    + Notifications
    + Send
    + Sync
    + 'static
{
    /// The backend's name (`sqlite`, `postgres`), for logs.
    fn backend(&self) -> &'static str;

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
    /// An offline bulk load (`interlog import`): the backend may trade per-commit
    /// durability for speed, as long as every acknowledged write is durable once
    /// [`Store::close`] returns, the store stays consistent if the process dies, and an
    /// idempotent re-run completes the load. It may also build search terms and sort
    /// indexes when it ends rather than row by row: until [`Store::close`] returns, filters
    /// by search terms (agents, customers, queues…) need not find what the load wrote, and
    /// listings may be slower. Everything is found once it has closed.
    pub bulk_load: bool,
}
