//! The running dialect, which its handlers share (an `Extension` of its routes).

use crate::cometd::hub::{Hub, Limits, Stats};
use crate::cometd::relay::Relay;
use crate::cometd::{self};
use crate::config::GwsConfig;
use crate::envelope::{GwsError, GwsResult};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The running dialect: its settings, its CometD clients and its operations in flight.
pub struct Gws {
    pub config: GwsConfig,
    pub(crate) hub: Arc<Hub>,
    relay: Arc<Relay>,
    jobs: Arc<Semaphore>,
    references: AtomicU64,
    sweeper: AtomicBool,
}

impl Gws {
    pub fn new(config: GwsConfig) -> Arc<Gws> {
        let hub = Hub::new(Limits {
            max_clients: config.max_clients,
            max_clients_per_session: config.max_clients_per_session,
            max_queue_messages: config.max_queue_messages.max(1),
            max_queue_bytes: config.max_queue_bytes,
            max_interval: config.max_interval,
        });
        Arc::new(Gws {
            jobs: Arc::new(Semaphore::new(config.max_concurrent_operations.max(1))),
            config,
            hub,
            relay: Arc::default(),
            references: AtomicU64::new(first_reference()),
            sweeper: AtomicBool::new(false),
        })
    }

    /// How many CometD clients and sessions this process holds, and what waits for them.
    pub fn stats(&self) -> Stats {
        self.hub.stats()
    }

    /// Drops idle CometD clients now (the sweeper does it every so often anyway).
    pub fn sweep(&self) -> usize {
        self.hub.sweep()
    }

    pub(crate) fn start_sweeper(&self) {
        if !self.sweeper.swap(true, Ordering::AcqRel) {
            let every = (self.config.max_interval / 2).clamp(
                std::time::Duration::from_millis(20),
                std::time::Duration::from_secs(5),
            );
            Hub::spawn_sweeper(&self.hub, every);
        }
    }

    /// Makes this instance relay the notifications of `session` (of `tenant`) to its
    /// CometD clients here (after one of them handshook).
    pub(crate) async fn follow(
        &self,
        store: Arc<dyn interlog_store::Store>,
        tenant: &interlog_store::Tenant,
        session: &str,
    ) -> interlog_store::Result<()> {
        let every = (self.config.max_interval / 2).clamp(
            std::time::Duration::from_millis(20),
            std::time::Duration::from_secs(5),
        );
        self.relay
            .follow(store, self.hub.clone(), tenant, session, every)
            .await
    }

    /// Runs `job` (given the operation's reference id; it returns the notification's
    /// `data` as JSON) in the background and publishes its result on
    /// `/v2/ucs/interactions` to the caller's session (`session`, of `tenant`), through
    /// the store, so that it reaches the session's clients on whichever instance holds
    /// them. Returns the reference id at once, once one of the limited operation slots is
    /// free. A caller without a session (Basic credentials and no cookie, CSRF protection
    /// off) gets a reference id and no job.
    pub(crate) async fn launch<F, Fut>(
        &self,
        store: Arc<dyn interlog_store::Store>,
        tenant: Arc<interlog_store::Tenant>,
        session: Option<String>,
        job: F,
    ) -> GwsResult<u64>
    where
        F: FnOnce(u64) -> Fut + Send + 'static,
        Fut: Future<Output = String> + Send + 'static,
    {
        let Some(session) = session else {
            // Without a session no CometD client can receive the result: nothing to run.
            let reference = self.references.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                reference,
                "gws operation without a session: nobody to notify"
            );
            return Ok(reference);
        };
        let permit = self
            .jobs
            .clone()
            .acquire_owned()
            .await
            .map_err(GwsError::internal)?;
        let reference = self.references.fetch_add(1, Ordering::Relaxed);
        let hub = self.hub.clone();
        tokio::spawn(async move {
            let data = job(reference).await;
            drop(permit);
            let message = format!(
                "{{\"channel\":\"{}\",\"data\":{data}}}",
                cometd::INTERACTIONS_CHANNEL
            );
            let topic = cometd::relay::topic(&session);
            if let Err(e) = store.publish(&tenant, &topic, &message).await {
                // The store cannot carry it now: at least this instance's clients get it.
                tracing::warn!(reference, error = %e, "gws notification not published through the store");
                hub.publish(
                    &session,
                    tenant.id,
                    cometd::INTERACTIONS_CHANNEL,
                    message.into(),
                );
            }
        });
        Ok(reference)
    }
}

/// Where this process starts numbering operations: at random below 2^50, so that
/// instances sharing sessions do not hand one session the same reference id twice, and
/// ids stay exact in JavaScript numbers.
fn first_reference() -> u64 {
    use rand::RngCore;
    (rand::rngs::OsRng.next_u64() >> 14).max(1)
}
