//! The change feed: every write to a tenant's engagements, in commit order, for consumers
//! that follow them (the change feed API, webhooks, exports).
//!
//! The feed is *compacted*: each engagement appears once, at the position of its latest
//! write, carrying the engagement as it is now; each deletion is a tombstone that carries
//! only the id and the reason. So a consumer that resumes after the last position it saw
//! sees every engagement written or deleted since, exactly once, in order, and ends up with
//! the current state; a version superseded before it read it is not shown on its own.
//! Tombstones are kept for a horizon and then trimmed; a consumer whose position is older
//! than the trimmed ones may have missed deletions and must start again.

use crate::{Result, StoredEngagement, Tenant};
use async_trait::async_trait;
use interlog_model::Timestamp;
use serde::{Deserialize, Serialize};

/// Why an engagement was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeleteReason {
    /// A client deleted it.
    Deleted,
    /// It started before the tenant's retention period.
    Retention,
    /// Its customer's data was erased.
    Erased,
}

impl DeleteReason {
    pub const ALL: [DeleteReason; 3] = [
        DeleteReason::Deleted,
        DeleteReason::Retention,
        DeleteReason::Erased,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DeleteReason::Deleted => "deleted",
            DeleteReason::Retention => "retention",
            DeleteReason::Erased => "erased",
        }
    }

    /// The number backends store. Never renumber.
    pub const fn code(self) -> i64 {
        match self {
            DeleteReason::Deleted => 1,
            DeleteReason::Retention => 2,
            DeleteReason::Erased => 3,
        }
    }

    pub fn from_code(code: i64) -> Option<DeleteReason> {
        DeleteReason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// Created or replaced: the engagement as it is now.
    Upsert(StoredEngagement),
    /// Deleted: a tombstone.
    Delete(DeleteReason),
}

/// One entry of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Strictly increasing within the tenant, in commit order.
    pub position: i64,
    /// The engagement's id.
    pub id: String,
    /// When the write committed (to the millisecond).
    pub at: Timestamp,
    pub kind: ChangeKind,
}

/// A stretch of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// The tenant's newest position when the page was read (0: nothing written yet).
    pub head: i64,
    /// Tombstones at or before this position have been trimmed (0: none): a consumer whose
    /// last position is below it may have missed deletions.
    pub trimmed_through: i64,
}

/// The topic, in [`crate::Notifications`], on which a backend publishes a tenant's newest
/// position (as decimal text) after each commit that moved it.
pub const CHANGES_TOPIC: &str = "changes";

/// The change feed of each tenant. Every write that changes the engagements — upsert,
/// create, update, delete, and the deletions of retention and erasure — takes the next
/// position of its tenant in the same transaction; a write that changes nothing (a stale
/// upsert, a delete of nothing) takes none. After the commit the backend publishes the
/// tenant's newest position on [`CHANGES_TOPIC`].
#[async_trait]
pub trait Changes: Send + Sync {
    /// The feed after `after` (0: from the start), by position, at most `limit` entries.
    async fn changes(&self, tenant: &Tenant, after: i64, limit: u32) -> Result<ChangePage>;

    /// Removes up to `limit` tombstones written before `before`; how many went.
    async fn trim_tombstones(&self, tenant: &Tenant, before: Timestamp, limit: u32) -> Result<u64>;
}
