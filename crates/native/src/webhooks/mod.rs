//! Webhooks: push delivery of a tenant's change feed to an endpoint the tenant registers,
//! signed as Standard Webhooks, at least once, in order, retried with backoff.
//!
//! A webhook's definition and its delivery state are durable per-tenant settings, so every
//! instance sees them, a restart resumes where deliveries stopped, and a lease in the
//! state keeps one instance delivering each webhook at a time. Events that are not changes
//! of the feed (an export finished) wait in the delivery state's outbox ([`events`]) and go
//! out through the same delivery, before the feed's next batch.

pub mod delivery;
pub mod events;
mod metrics;
pub mod routes;
pub mod signature;
/// Where deliveries may go (the framework's outbound checks, shared with connectors).
pub use interlog_http::outbound as target;

use interlog_http::background::lease::{Lease, Leased};
use interlog_store::{Result as StoreResult, Store, Tenant};
use serde::{Deserialize, Serialize};

/// Settings namespace of definitions (key: the webhook's id).
pub const DEFINITIONS: &str = "webhooks";
/// Settings namespace of delivery states (key: the webhook's id).
pub const STATES: &str = "webhook-state";

/// The events a webhook may ask for.
pub const UPSERTED: &str = "engagement.upserted";
pub const DELETED: &str = "engagement.deleted";
pub const EXPORT_COMPLETED: &str = "export.completed";
pub const EXPORT_FAILED: &str = "export.failed";
/// Every event a webhook may ask for.
pub const EVENTS: &[&str] = &[UPSERTED, DELETED, EXPORT_COMPLETED, EXPORT_FAILED];

/// A webhook as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    pub url: String,
    pub events: Vec<String>,
    /// A native listing query string; upserts of engagements that do not match are not
    /// sent (deletions always are: a tombstone has nothing to match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    pub secret: String,
    /// RFC 3339.
    pub created_at: String,
}

/// One delivery attempt, as shown by `GET …/deliveries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    /// The attempt's number among the webhook's attempts (1 for the first); pages of
    /// `…/deliveries` go back by it.
    #[serde(default)]
    pub number: u64,
    /// The feed position of the event (of an export event, the export's `position`).
    pub position: i64,
    /// The Standard Webhooks message id (`webhook-id`).
    pub message_id: String,
    /// RFC 3339.
    pub at: String,
    /// `delivered` or `failed`.
    pub result: String,
    /// The HTTP status the receiver answered, if it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// Why it failed: the status and size of the answer, or a fixed reason for a failure
    /// to get one. Nothing the receiver said is kept (it may echo personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Attempts kept per webhook.
pub const KEPT_ATTEMPTS: usize = 100;

/// Where a webhook's deliveries stand.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeliveryState {
    /// Every event up to this feed position has been delivered (or was not wanted).
    pub cursor: i64,
    /// The instance delivering, until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// Since when (epoch ms) the next event has been failing, and how often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing: Option<Failing>,
    /// When (RFC 3339) and why deliveries stopped for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<(String, String)>,
    #[serde(default)]
    pub recent: Vec<Attempt>,
    /// Attempts made so far (the number of the last one).
    #[serde(default)]
    pub attempts_made: u64,
    /// Events that are not feed changes, waiting for delivery in the order queued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbox: Vec<events::Queued>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failing {
    pub since_ms: i64,
    pub attempts: u32,
    pub next_at_ms: i64,
}

impl DeliveryState {
    pub fn record(&mut self, mut attempt: Attempt) {
        self.attempts_made += 1;
        attempt.number = self.attempts_made;
        self.recent.push(attempt);
        let excess = self.recent.len().saturating_sub(KEPT_ATTEMPTS);
        self.recent.drain(..excess);
    }
}

/// Delivering a webhook is leased work; a disabled one is paused, a deleted one (no
/// state) is gone.
impl Leased for DeliveryState {
    fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    fn lease_mut(&mut self) -> &mut Option<Lease> {
        &mut self.lease
    }

    fn is_paused(&self) -> bool {
        self.disabled.is_some()
    }
}

/// The tenant's webhooks, by id.
pub async fn definitions(
    store: &dyn Store,
    tenant: &Tenant,
) -> StoreResult<Vec<(String, Definition)>> {
    interlog_http::settings::read_all(store, tenant, DEFINITIONS).await
}

pub async fn definition(
    store: &dyn Store,
    tenant: &Tenant,
    id: &str,
) -> StoreResult<Option<Definition>> {
    interlog_http::settings::read(store, tenant, DEFINITIONS, id).await
}

pub async fn state(store: &dyn Store, tenant: &Tenant, id: &str) -> StoreResult<DeliveryState> {
    Ok(interlog_http::settings::read(store, tenant, STATES, id)
        .await?
        .unwrap_or_default())
}
