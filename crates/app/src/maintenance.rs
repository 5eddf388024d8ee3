//! The work a server does on its own: for every tenant the retention sweep (deleting
//! engagements older than the tenant's retention period, in small batches, with
//! `retention` tombstones) and the trimming of tombstones past the change feed's horizon;
//! and the removal of expired records (sessions, refresh tokens).
//! Every instance runs it; what two instances do twice is a no-op the second time.

use interlog_http::AppState;
use interlog_store::{Store, Tenant};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::watch;

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

/// How the last retention sweep of a tenant went (shown by `interlog tenant list`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RetentionStatus {
    /// When the sweep ran (RFC 3339).
    pub last_run_at: String,
    /// Engagements that started before this instant were deleted.
    pub cutoff: String,
    /// How many the sweep deleted.
    pub deleted: u64,
    /// How many every sweep so far deleted.
    pub total_deleted: u64,
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
        .and_then(|s| serde_json::from_str(&s).ok()))
}

/// Deletes what is past the tenant's retention period, a batch at a time, until done or
/// `stop` turns true (the next sweep goes on from there); returns how many went.
async fn sweep_retention(
    store: &dyn Store,
    tenant: &Tenant,
    stop: &watch::Receiver<bool>,
) -> interlog_store::Result<u64> {
    let Some(days) = retention_days(store, tenant).await? else {
        return Ok(0);
    };
    let now = jiff::Timestamp::now();
    let cutoff = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days)))
        .unwrap_or(jiff::Timestamp::MIN);
    let mut deleted = 0;
    loop {
        let started = std::time::Instant::now();
        let n = store.delete_started_before(tenant, cutoff, BATCH).await?;
        deleted += n;
        if n < u64::from(BATCH) {
            break;
        }
        let rest = (started.elapsed() * REST_PER_BATCH_TIME).max(Duration::from_millis(5));
        let mut stopping = stop.clone();
        if *stopping.borrow_and_update() {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(rest) => {}
            _ = stopping.changed() => break,
        }
    }
    let previous = retention_status(store, tenant).await?.unwrap_or_default();
    let status = RetentionStatus {
        last_run_at: now.to_string(),
        cutoff: cutoff.to_string(),
        deleted,
        total_deleted: previous.total_deleted + deleted,
    };
    store
        .put_setting(
            tenant,
            RETENTION,
            "status",
            &serde_json::to_string(&status).expect("statuses serialize"),
        )
        .await?;
    if deleted > 0 {
        tracing::info!(tenant = %tenant.key, deleted, cutoff = %status.cutoff, days, "retention sweep");
    }
    Ok(deleted)
}

/// Runs every `interval` until `stop` turns true.
pub async fn run(
    state: AppState,
    interval: Duration,
    horizon: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = once(state.store.as_ref(), horizon, &stop).await {
            tracing::warn!(error = %interlog_http::error::error_chain(&e), "maintenance round failed; trying again later");
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Expired records removed per store call.
const SWEEP_BATCH: u32 = 1000;

/// One round of maintenance.
async fn once(
    store: &dyn Store,
    horizon: Duration,
    stop: &watch::Receiver<bool>,
) -> interlog_store::Result<()> {
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
        sweep_retention(store, &tenant, stop).await?;
        while store.trim_tombstones(&tenant, before, 10_000).await? == 10_000 {}
    }
    Ok(())
}
