//! Delivery across instances: a history result is published on the store's notifications
//! (topic `gws.session.<session key>` of the caller's tenant), and each instance that holds
//! CometD clients of that session relays what arrives to them. So the POST that starts an
//! operation and the long poll that receives its result may land on different instances.

use super::hub::Hub;
use super::INTERACTIONS_CHANNEL;
use interlog_store::{Store, Tenant};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The store topic of a session's notifications.
pub fn topic(session: &str) -> String {
    format!("gws.session.{session}")
}

/// The sessions this instance relays notifications for.
#[derive(Default)]
pub struct Relay {
    followed: Mutex<HashSet<String>>,
}

impl Relay {
    /// Makes sure this instance hears `session`'s notifications, from now on: returns once
    /// the subscription is in place. Call it after the session's client joined the hub.
    pub async fn follow(
        self: &Arc<Self>,
        store: Arc<dyn Store>,
        hub: Arc<Hub>,
        tenant: &Tenant,
        session: &str,
        check_every: Duration,
    ) -> interlog_store::Result<()> {
        if self.followed.lock().expect("relay lock").contains(session) {
            return Ok(());
        }
        let mut sub = store.subscribe(tenant, &topic(session)).await?;
        if !self
            .followed
            .lock()
            .expect("relay lock")
            .insert(session.to_owned())
        {
            // Another request of the session subscribed meanwhile; its relay serves.
            return Ok(());
        }
        let relay = self.clone();
        let (session, tenant_id) = (session.to_owned(), tenant.id);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(check_every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    m = sub.next() => match m {
                        Some(message) => {
                            let reached = hub.publish(&session, tenant_id, INTERACTIONS_CHANNEL, message);
                            tracing::debug!(reached, "gws notification relayed");
                        }
                        None => break,
                    },
                    _ = tick.tick() => {
                        // Checked under the relay's lock, so a client joining now either
                        // is seen here or subscribes anew after this relay has gone.
                        let mut followed = relay.followed.lock().expect("relay lock");
                        if !hub.has_session(&session) {
                            followed.remove(&session);
                            break;
                        }
                    }
                }
            }
            relay.followed.lock().expect("relay lock").remove(&session);
        });
        Ok(())
    }
}
