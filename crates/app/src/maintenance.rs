//! The store's upkeep, the `maintenance` worker of the background runtime: for every
//! tenant the retention sweep (deleting engagements older than the tenant's retention
//! period, in small batches, with `retention` tombstones) and the trimming of tombstones
//! past the change feed's horizon; and the removal of expired records (sessions, refresh
//! tokens). Every instance runs it. A tenant's sweep is leased work (the lease is kept with
//! its status), so one instance sweeps a tenant at a time; trimming and removing expired
//! records are no-ops the second time.

use interlog_http::background::lease::{Claim, Lease, Leased, LeasedWork};
use interlog_http::background::{Context, Worker};
use interlog_store::{Store, Tenant};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Settings namespace of a tenant's retention: `days` (the period) and `status`.
pub const RETENTION: &str = "retention";
/// Engagements deleted per transaction: small, so readers and writers never wait long.
const BATCH: u32 = 500;
/// After each batch the sweep rests this many times as long as the batch took, so it
/// takes at most a tenth of the writer (and of a core) however much is past the horizon:
/// every commit also empties the readers' page caches, and an unpaced sweep of 100,000
/// engagements halved the list benchmark's throughput (a fifth of the writer still took
/// 37% of it). Retention is not urgent; a large first sweep simply takes longer (about 400
/// engagements a second on a 2-core machine).
const REST_PER_BATCH_TIME: u32 = 9;

/// How long a sweep's lease lasts; it is renewed while the sweep goes on.
const LEASE: Duration = Duration::from_secs(60);

/// How the last retention sweep of a tenant went (shown by `interlog tenant list`), and
/// which instance sweeps it now.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RetentionStatus {
    /// When the sweep ran (RFC 3339); empty before the first one ended.
    pub last_run_at: String,
    /// Engagements that started before this instant were deleted.
    pub cutoff: String,
    /// How many the sweep deleted.
    pub deleted: u64,
    /// How many every sweep so far deleted.
    pub total_deleted: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
}

/// A tenant's sweep is leased work; a tenant never swept starts from nothing.
impl Leased for RetentionStatus {
    fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    fn lease_mut(&mut self) -> &mut Option<Lease> {
        &mut self.lease
    }

    fn initial() -> Option<Self> {
        Some(RetentionStatus::default())
    }
}

/// A tenant's retention period in days, if it has one.
pub async fn retention_days(
    store: &dyn Store,
    tenant: &Tenant,
) -> interlog_store::Result<Option<u32>> {
    Ok(store
        .setting(tenant, RETENTION, "days")
        .await?
        .and_then(|d| d.parse().ok()))
}

pub async fn retention_status(
    store: &dyn Store,
    tenant: &Tenant,
) -> interlog_store::Result<Option<RetentionStatus>> {
    Ok(store
        .setting(tenant, RETENTION, "status")
        .await?
        .and_then(|s| serde_json::from_str::<RetentionStatus>(&s).ok())
        .filter(|s| !s.last_run_at.is_empty()))
}

/// Deletes what is past the tenant's retention period, a batch at a time, until done or the
/// runtime stops (the next sweep goes on from there); returns how many went. Another
/// instance sweeping the tenant is left to it.
async fn sweep_retention(cx: &Context, tenant: &Tenant) -> interlog_store::Result<u64> {
    let store = cx.state.store.as_ref();
    let Some(days) = retention_days(store, tenant).await? else {
        return Ok(0);
    };
    let work = LeasedWork::new(cx, tenant, RETENTION, "status", LEASE);
    match work.claim::<RetentionStatus>().await {
        Claim::Go(_) => {}
        Claim::Held | Claim::Paused | Claim::Gone => return Ok(0),
        Claim::Failed(e) => return Err(e),
    }
    let now = jiff::Timestamp::now();
    let cutoff = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days)))
        .unwrap_or(jiff::Timestamp::MIN);
    let mut deleted = 0;
    let mut renewed = Instant::now();
    loop {
        let started = Instant::now();
        let n = store.delete_started_before(tenant, cutoff, BATCH).await?;
        deleted += n;
        if n < u64::from(BATCH) {
            break;
        }
        if renewed.elapsed() > LEASE / 3 {
            if work.save::<RetentionStatus>(|_| {}).await.is_err() {
                // Another instance took the tenant over; it goes on from here.
                break;
            }
            renewed = Instant::now();
        }
        let rest = (started.elapsed() * REST_PER_BATCH_TIME).max(Duration::from_millis(5));
        if !cx.pause(rest).await {
            break;
        }
    }
    let (last_run_at, cutoff_text) = (now.to_string(), cutoff.to_string());
    let saved = work
        .save::<RetentionStatus>(move |s| {
            s.last_run_at = last_run_at;
            s.cutoff = cutoff_text;
            s.deleted = deleted;
            s.total_deleted += deleted;
            s.lease = None;
        })
        .await;
    if let Err(e) = saved {
        cx.failed(
            &format!("cannot save the retention status of {}", tenant.key),
            &e,
        );
    }
    if deleted > 0 {
        tracing::info!(tenant = %tenant.key, deleted, cutoff = %cutoff, days, "retention sweep");
    }
    Ok(deleted)
}

/// The worker: a round every `interval`, trimming tombstones older than `horizon`.
pub fn worker(interval: Duration, horizon: Duration) -> Worker {
    Worker::new("maintenance", move |cx| async move {
        loop {
            if let Err(e) = once(&cx, horizon).await {
                cx.failed("maintenance round failed; trying again later", &e);
            }
            if !cx.pause(interval).await {
                return;
            }
        }
    })
}

/// Expired records removed per store call.
const SWEEP_BATCH: u32 = 1000;

/// One round of maintenance.
async fn once(cx: &Context, horizon: Duration) -> interlog_store::Result<()> {
    let store = cx.state.store.as_ref();
    let mut swept = 0;
    loop {
        let n = store.sweep_records(SWEEP_BATCH).await?;
        swept += n;
        if n < u64::from(SWEEP_BATCH) {
            break;
        }
    }
    if swept > 0 {
        tracing::debug!(swept, "expired records removed");
    }
    let before = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::try_from(horizon).unwrap_or_default())
        .unwrap_or(jiff::Timestamp::MIN);
    for tenant in store.tenants().await? {
        if cx.is_stopping() {
            break;
        }
        sweep_retention(cx, &tenant).await?;
        while store.trim_tombstones(&tenant, before, 10_000).await? == 10_000 {}
    }
    Ok(())
}
