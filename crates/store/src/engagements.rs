//! Engagements: idempotent writes, reads, listings and counts, always within a tenant.

use crate::{
    Activity, DeleteReason, EditRejected, Filter, Page, Query, Result, StoredEngagement, Tenant,
    Total, UpsertOutcome,
};
use async_trait::async_trait;
use interlog_model::Engagement;
use jiff::civil::Date;

/// A change applied to a stored engagement atomically, inside the backend's write
/// transaction: it must be quick and must not block. It may run more than once (a backend
/// runs the whole transaction again when it lost a deadlock or serialization race), each
/// time on the freshly read engagement, so it must not consume what it captured.
pub type EngagementEdit =
    Box<dyn Fn(&mut Engagement) -> std::result::Result<(), EditRejected> + Send + Sync>;

/// A tenant's engagements. Every method takes the tenant first, so no query can be written
/// without one.
#[async_trait]
pub trait Engagements: Send + Sync {
    /// Inserts or replaces an engagement keyed by its id. An engagement whose `updated_at`
    /// is older than the stored one's is not written ([`UpsertOutcome::Stale`]); one
    /// without `updated_at` is stamped with the time of the write. Returns once durable.
    async fn upsert(&self, tenant: &Tenant, engagement: Engagement) -> Result<UpsertOutcome> {
        let mut out = self.upsert_many(tenant, vec![engagement]).await?;
        Ok(out.pop().expect("one outcome per engagement"))
    }

    /// [`Engagements::upsert`] for many engagements in one durable transaction; one
    /// outcome each, in order.
    async fn upsert_many(
        &self,
        tenant: &Tenant,
        engagements: Vec<Engagement>,
    ) -> Result<Vec<UpsertOutcome>>;

    /// Inserts a new engagement; [`crate::StoreError::Conflict`] when the id exists.
    async fn create(&self, tenant: &Tenant, engagement: Engagement) -> Result<StoredEngagement>;

    /// Applies `edit` to the stored engagement atomically and returns the result;
    /// [`crate::StoreError::NotFound`] when there is none.
    async fn update(
        &self,
        tenant: &Tenant,
        id: &str,
        edit: EngagementEdit,
    ) -> Result<StoredEngagement>;

    async fn get(&self, tenant: &Tenant, id: &str) -> Result<Option<StoredEngagement>>;

    /// The engagements with these ids, in the order of `ids`, missing ones skipped.
    async fn get_many(&self, tenant: &Tenant, ids: &[String]) -> Result<Vec<StoredEngagement>>;

    /// Deletes one engagement (leaving a `deleted` tombstone in the change feed); false when
    /// there was none.
    async fn delete(&self, tenant: &Tenant, id: &str) -> Result<bool> {
        Ok(self
            .delete_many(tenant, &[id.to_owned()], DeleteReason::Deleted)
            .await?
            > 0)
    }

    /// Deletes these engagements in one transaction, each leaving a tombstone with
    /// `reason`; how many there were.
    async fn delete_many(
        &self,
        tenant: &Tenant,
        ids: &[String],
        reason: DeleteReason,
    ) -> Result<u64>;

    /// Deletes, in one transaction, up to `limit` of the engagements that started before
    /// `before` (the earliest first), each leaving a `retention` tombstone; how many.
    async fn delete_started_before(
        &self,
        tenant: &Tenant,
        before: interlog_model::Timestamp,
        limit: u32,
    ) -> Result<u64>;

    async fn list(&self, tenant: &Tenant, query: &Query) -> Result<Page>;

    /// How many engagements match the filter. With `within`, counting stops after that
    /// long and answers [`Total::AtLeast`] what it found so far; without, it counts them
    /// all (within the statement budget). A backend answers the filters that name only
    /// start times, states, outcomes, directions and channel types from per-day counts it
    /// keeps as it writes, exactly and in about the same time however many match.
    async fn count(
        &self,
        tenant: &Tenant,
        filter: &Filter,
        within: Option<std::time::Duration>,
    ) -> Result<Total>;

    /// How many engagements started on each of `days` days from `first` (calendar days in
    /// the tenant's time zone, cut at [`crate::day_bounds`]), in all and per channel type,
    /// and how many of them have each outcome; see [`Activity`]. 1 to
    /// [`crate::MAX_ACTIVITY_DAYS`] days, else [`crate::StoreError::Invalid`]. Costs a walk
    /// over the engagements of the range, so a backend should answer it from an index.
    async fn activity(&self, tenant: &Tenant, first: Date, days: u32) -> Result<Activity>;

    /// Reads every engagement `filter` matches as of one instant (a read snapshot: writes
    /// committed meanwhile are not seen) and sends, in order, a [`SnapshotPart::Start`]
    /// with the change-feed position the snapshot is consistent with and how many
    /// engagements it holds, then the engagements in batches, oldest start first (ties by
    /// id). Reading the feed after that position gives exactly what changed since. Stops
    /// early, without error, when `out` is closed (the receiver gave up). Each batch is
    /// read within the statement budget; the snapshot itself may last longer, on a
    /// connection of its own (it holds back what the backend can reclaim meanwhile: the
    /// write-ahead log's checkpoint on SQLite, vacuum on PostgreSQL).
    async fn snapshot(
        &self,
        tenant: &Tenant,
        filter: &Filter,
        out: tokio::sync::mpsc::Sender<SnapshotPart>,
    ) -> Result<()>;
}

/// What [`Engagements::snapshot`] sends.
#[derive(Debug)]
pub enum SnapshotPart {
    /// First: the feed position of the snapshot and how many engagements follow.
    Start { position: i64, total: u64 },
    /// A batch of engagements (at most [`SNAPSHOT_BATCH`]).
    Rows(Vec<StoredEngagement>),
}

/// Engagements a snapshot sends at once: a keyset page of the listing.
pub const SNAPSHOT_BATCH: u32 = 1000;

/// The query each batch of a snapshot is: oldest start first, ties by id.
pub fn snapshot_query(filter: &Filter) -> crate::Query {
    crate::Query {
        filter: filter.clone(),
        sort: crate::Sort {
            key: crate::SortKey::StartedAt,
            dir: crate::SortDir::Asc,
        },
        start: crate::Start::First,
        limit: SNAPSHOT_BATCH,
        with_total: false,
        count_within: None,
    }
}
