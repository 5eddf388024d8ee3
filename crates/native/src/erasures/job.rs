//! An erasure as durable, leased work: recorded (`state: running`) before anything is
//! deleted, carried on by whichever instance holds its lease, resumed by any instance after
//! a crash (the `erasures` worker), and ended by one receipt that counts everything it
//! erased, across every instance and restart that worked on it.
//!
//! The job record (settings namespace [`JOBS`]) holds what finishing needs: the identifier
//! as given, and once collected the keys of every identifier it reaches. Before each batch
//! is deleted its ids are saved as `pending`; a run that resumes counts those of them that
//! are gone, so a crash between a deletion and its count loses nothing. The receipt
//! ([`super::RECEIPTS`]) replaces the record and keeps no identifier but keyed digests.

use super::reach::{by_customer, reach, ReachError};
use super::{digest, Receipt, RECEIPTS};
use interlog_http::background::lease::{Claim, Lease, Leased, LeasedWork, SaveError};
use interlog_store::{DeleteReason, Start, Store, StoreError, Tenant};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use std::time::Duration;

/// Settings namespace of erasures under way (key: the erasure's id).
pub const JOBS: &str = "erasure-jobs";
/// The worker's name (metrics, logs).
pub const WORKER: &str = "erasures";
/// How long a lease lasts; renewed with every batch.
pub const LEASE: Duration = Duration::from_secs(10);
/// Engagements deleted per transaction.
const BATCH: u32 = 500;

/// An erasure under way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The identifier as the client gave it (removed with the record when the erasure ends).
    pub identifier: String,
    pub requested_by: String,
    pub requested_at: String,
    /// The keys of every identifier reached, once collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
    /// Engagements erased so far.
    #[serde(default)]
    pub erased: u64,
    /// The batch being deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
}

impl Leased for Job {
    fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    fn lease_mut(&mut self) -> &mut Option<Lease> {
        &mut self.lease
    }
}

/// Why an erasure did not end (yet).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Another instance holds it (and will end it).
    #[error("another instance is carrying the erasure out")]
    Held,
    /// There is no such erasure.
    #[error("no such erasure")]
    Gone,
    #[error(transparent)]
    Reach(#[from] ReachError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SaveError> for JobError {
    fn from(e: SaveError) -> Self {
        match e {
            SaveError::Lost => JobError::Held,
            SaveError::Gone => JobError::Gone,
            SaveError::Store(e) => JobError::Store(e),
        }
    }
}

/// This process's name as the holder of erasures it starts outside the background runtime
/// (a request, the CLI): unlike the runtime's own name, so that its worker does not take
/// them for its own.
pub fn process_holder() -> &'static str {
    static HOLDER: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{}-{}-{:08x}-start",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "interlog".into()),
            std::process::id(),
            rand::random::<u32>()
        )
    });
    &HOLDER
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Records a new erasure of `identifier`, leased to `holder`; its id.
pub async fn start(
    store: &dyn Store,
    tenant: &Tenant,
    identifier: &str,
    requested_by: &str,
    holder: &str,
) -> Result<String, StoreError> {
    let id = interlog_http::auth::random_id("er_");
    let job = Job {
        identifier: identifier.to_owned(),
        requested_by: requested_by.to_owned(),
        requested_at: jiff::Timestamp::now().to_string(),
        keys: None,
        erased: 0,
        pending: Vec::new(),
        lease: Some(Lease(
            holder.to_owned(),
            now_ms().saturating_add(LEASE.as_millis() as i64),
        )),
    };
    store
        .put_setting(
            tenant,
            JOBS,
            &id,
            &serde_json::to_string(&job).expect("jobs serialize"),
        )
        .await?;
    tracing::info!(tenant = %tenant.key, erasure = %id, requested_by, "customer erasure started");
    Ok(id)
}

/// The receipt of erasure `id`, if it ended.
pub async fn receipt(
    store: &dyn Store,
    tenant: &Tenant,
    id: &str,
) -> Result<Option<Receipt>, StoreError> {
    store
        .setting(tenant, RECEIPTS, id)
        .await?
        .map(|text| {
            serde_json::from_str(&text).map_err(|e| StoreError::backend("stored receipt", e))
        })
        .transpose()
}

/// Carries erasure `id` out to its end under `work`'s lease: collects what it reaches,
/// deletes the engagements batch by batch, removes the identity links, writes the receipt
/// and removes the record, then has the store scrub what it freed.
pub async fn run(
    store: &dyn Store,
    work: &LeasedWork<'_>,
    digest_key: &[u8],
    tenant: &Tenant,
    id: &str,
) -> Result<Receipt, JobError> {
    let mut job = match work.claim::<Job>().await {
        Claim::Go(job) => job,
        Claim::Held => return Err(JobError::Held),
        Claim::Paused | Claim::Gone => {
            return receipt(store, tenant, id).await?.ok_or(JobError::Gone);
        }
        Claim::Failed(e) => return Err(e.into()),
    };
    if let Some(done) = receipt(store, tenant, id).await? {
        // A run that wrote the receipt and died before removing the record.
        forget(store, tenant, id).await?;
        return Ok(done);
    }
    if !job.pending.is_empty() {
        // A run died around a deletion: what of its batch is gone, it erased.
        let left = store.get_many(tenant, &job.pending).await?.len() as u64;
        let gone = job.pending.len() as u64 - left;
        job = work
            .save::<Job>(move |j| {
                j.erased += gone;
                j.pending.clear();
            })
            .await?;
    }
    let keys = match job.keys.clone() {
        Some(keys) => keys,
        None => {
            let reached = match reach(store, tenant, &job.identifier).await {
                Ok(reached) => reached,
                Err(e @ ReachError::TooMany) => {
                    // Refused for good: nothing was erased, and the record (with the
                    // identifier) goes rather than be tried again forever.
                    forget(store, tenant, id).await?;
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            };
            let keys: Vec<String> = reached.into_iter().map(|r| r.key).collect();
            let saved = keys.clone();
            work.save::<Job>(move |j| j.keys = Some(saved)).await?;
            keys
        }
    };
    let mut last = 0;
    for chunk in keys.chunks(32) {
        loop {
            let page = store
                .list(tenant, &by_customer(chunk.to_vec(), Start::First, BATCH))
                .await?;
            if page.items.is_empty() {
                break;
            }
            let ids: Vec<String> = page.items.into_iter().map(|s| s.id).collect();
            let batch = ids.clone();
            work.save::<Job>(move |j| {
                j.erased += last;
                j.pending = batch;
            })
            .await?;
            last = store
                .delete_many(tenant, &ids, DeleteReason::Erased)
                .await?;
        }
    }
    job = work
        .save::<Job>(move |j| {
            j.erased += last;
            j.pending.clear();
        })
        .await?;
    for key in &keys {
        store.unlink_identifier(tenant, key).await?;
    }
    let receipt = Receipt {
        id: id.to_owned(),
        state: super::COMPLETED.into(),
        identifiers: keys.iter().map(|k| digest(digest_key, tenant, k)).collect(),
        engagements_erased: job.erased,
        requested_by: job.requested_by.clone(),
        requested_at: job.requested_at.clone(),
        completed_at: Some(jiff::Timestamp::now().to_string()),
    };
    store
        .put_setting(
            tenant,
            RECEIPTS,
            id,
            &serde_json::to_string(&receipt).expect("receipts serialize"),
        )
        .await?;
    forget(store, tenant, id).await?;
    if let Err(e) = store.scrub_freed().await {
        // The data is gone from every table; only the files' free space may hold it until
        // the next erasure's scrub (or the log's next truncation).
        tracing::warn!(tenant = %tenant.key, erasure = %id, error = %interlog_store::error_chain(&e), "could not scrub the store's files after an erasure");
    }
    tracing::info!(
        tenant = %tenant.key,
        erasure = %id,
        requested_by = %receipt.requested_by,
        engagements = receipt.engagements_erased,
        identifiers = receipt.identifiers.len(),
        "customer data erased"
    );
    Ok(receipt)
}

/// Removes an erasure's record (the identifier in it with it).
async fn forget(store: &dyn Store, tenant: &Tenant, id: &str) -> Result<(), StoreError> {
    store
        .update_setting(tenant, JOBS, id, Box::new(|_| Ok(None)))
        .await?;
    Ok(())
}
