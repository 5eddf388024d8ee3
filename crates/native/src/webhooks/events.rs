//! Events that are not changes of the feed — an export job that completed or failed —
//! for the webhooks that ask for them.
//!
//! Such an event is queued in each subscribed webhook's delivery state (its `outbox`),
//! by an atomic edit of that state, and a notification on [`EVENTS_TOPIC`] wakes the
//! webhook's delivery on whichever instance holds it. The delivery sends the outbox before
//! the feed's next batch, with the same signing, retries, backoff and disabling as feed
//! events, and removes each event once its receiver acknowledged it. Queuing the same
//! message id twice keeps one (whoever announces an event again after a crash does not
//! duplicate it while it waits).

use super::{definitions, DeliveryState, STATES};
use interlog_store::{EditRejected, Result as StoreResult, Store, Tenant};
use serde::{Deserialize, Serialize};

/// Topic whose notifications say a webhook of the tenant has an event waiting.
pub const EVENTS_TOPIC: &str = "webhook-events";
/// Events an outbox keeps; past it the oldest go (a receiver down for a long time loses
/// the oldest export notices, never feed events).
pub const OUTBOX_MAX: usize = 1000;

/// An event waiting in a webhook's outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    /// The Standard Webhooks message id (`webhook-id`): `msg_<webhook>_<event key>`.
    pub message_id: String,
    /// The feed position the event stands at (an export's snapshot position), shown in
    /// the webhook's deliveries.
    pub position: i64,
    /// When it happened (RFC 3339).
    pub at: String,
    /// The body POSTed: `{"type","timestamp","data"}`.
    pub body: String,
}

/// Queues event `kind` (one of [`super::EVENTS`]) for every webhook of `tenant` asking
/// for it. `key` names the event among those of its kind (the same key is the same
/// event); `data` is the body's `data`.
pub async fn queue(
    store: &dyn Store,
    tenant: &Tenant,
    kind: &str,
    key: &str,
    position: i64,
    data: serde_json::Value,
) -> StoreResult<()> {
    let at = jiff::Timestamp::now().to_string();
    let body = serde_json::json!({"type": kind, "timestamp": at, "data": data}).to_string();
    let mut queued = false;
    for (id, def) in definitions(store, tenant).await? {
        if !def.events.iter().any(|e| e == kind) {
            continue;
        }
        let event = Queued {
            message_id: format!("msg_{id}_{key}"),
            position,
            at: at.clone(),
            body: body.clone(),
        };
        let edited = store
            .update_setting(
                tenant,
                STATES,
                &id,
                Box::new(move |current| {
                    // A webhook without a state is being removed.
                    let text = current.ok_or_else(|| EditRejected("no delivery state".into()))?;
                    let mut s: DeliveryState =
                        serde_json::from_str(text).map_err(|e| EditRejected(e.to_string()))?;
                    if !s.outbox.iter().any(|q| q.message_id == event.message_id) {
                        if s.outbox.len() >= OUTBOX_MAX {
                            s.outbox.remove(0);
                        }
                        s.outbox.push(event);
                    }
                    Ok(Some(serde_json::to_string(&s).expect("states serialize")))
                }),
            )
            .await;
        match edited {
            Ok(_) => queued = true,
            Err(interlog_store::StoreError::Rejected(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if queued {
        store.publish(tenant, EVENTS_TOPIC, kind).await?;
    }
    Ok(())
}
