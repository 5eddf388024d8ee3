//! The Genesys Web Services (GWS 8.5/8.6) dialect: the UCS interaction history API as a
//! Workspace-style client uses it — Basic login, the `JSESSIONID` session, CSRF tokens,
//! history operations answered over CometD — plus the plain GET form the seed describes,
//! and the `genesys_gws` ingest format. See the README for every choice made where GWS
//! leaves something undocumented.

pub mod cometd;
pub mod config;
mod content;
pub mod csrf;
pub mod dates;
pub mod envelope;
mod history;
pub mod ingest;
pub mod mapping;
mod me;
pub mod params;
pub mod render;
pub mod session;

pub use cometd::hub::Stats;
pub use config::GwsConfig;
pub use ingest::FORMAT;

use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post, MethodRouter};
use axum::Extension;
use cometd::hub::{Hub, Limits};
use cometd::relay::Relay;
use envelope::{code, GwsError, GwsResult};
use interlog_http::{Api, ApiState, Demo, DemoTenant, RecordLink, Routes, TenantIdShape};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The dialect's name: its ingest format, its config section and its tenant-alias
/// namespace (the tenant part of a login may be an alias in it).
pub const NAME: &str = "genesys_gws";

/// The Genesys Web Services dialect.
pub static API: Api = Api {
    name: NAME,
    tenant_id: Some(TenantIdShape::ANY),
    config_keys: config::CONFIG_KEYS,
    routes: |values| Ok(routes_with(GwsConfig::from_section(values)?)),
    format: Some(FORMAT),
    // GetInteractionContent: a POST whose answer arrives over CometD.
    record_link: |_, e| {
        Some(RecordLink {
            method: "POST",
            path: format!("/api/v2/ucs/interactions/{}", e.id),
        })
    },
    observe,
    demo: Demo {
        alias: None,
        // So the demo's user can log in with a bare user name.
        config_defaults: &[("default_tenant", "demo")],
        calls: Some(demo_calls),
    },
    ..Api::NONE
};

/// Keeps `interlog_cometd_clients` up to date at every scrape.
fn observe(state: &ApiState, handles: &axum::http::Extensions) {
    if let Some(gws) = handles.get::<Arc<Gws>>().cloned() {
        state.exposition.on_scrape(move || {
            metrics::gauge!(interlog_http::metrics::COMETD_CLIENTS).set(gws.stats().clients as f64);
        });
    }
}

/// The history with the user's name and password (HTTP Basic).
fn demo_calls(t: &DemoTenant) -> String {
    let (user, password) = (t.username, t.password);
    format!(
        "  # Genesys Web Services (user {user}, password {password})\n  curl -s -u '{user}:{password}' \"$BASE/api/v2/ucs/interactions?maxSize=2\"\n"
    )
}

/// The running dialect: its settings, its CometD clients and its operations in flight.
pub struct Gws {
    pub config: GwsConfig,
    hub: Arc<Hub>,
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

    /// The dialect's routes.
    pub fn routes(self: &Arc<Self>) -> Routes {
        Routes::new(NAME)
            .route("/api/v2/me", only(get(me::get)))
            .route(
                "/api/v2/ucs/interactions",
                only(get(history::get).post(history::post)),
            )
            .route("/api/v2/ucs/interactions/{id}", only(post(content::post)))
            .route(
                "/api/v2/ucs/contacts/{id}/interactions",
                only(post(history::post_contact)),
            )
            .route(
                "/api/v2/notifications",
                only(post(cometd::endpoint::endpoint)),
            )
            .route(
                "/api/v2/notifications/",
                only(post(cometd::endpoint::endpoint)),
            )
            .route(
                "/api/v2/notifications/{*rest}",
                only(post(cometd::endpoint::endpoint)),
            )
            .layer(Extension(self.clone()))
            .expose(self.clone())
    }

    /// How many CometD clients and sessions this process holds, and what waits for them.
    pub fn stats(&self) -> Stats {
        self.hub.stats()
    }

    /// Drops idle CometD clients now (the sweeper does it every so often anyway).
    pub fn sweep(&self) -> usize {
        self.hub.sweep()
    }

    fn start_sweeper(&self) {
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
    /// `/v2/ucs/interactions` to the caller's session, through the store, so that it
    /// reaches the session's clients on whichever instance holds them. Returns the
    /// reference id at once, once one of the limited operation slots is free. A caller
    /// without a session (Basic credentials and no cookie, CSRF protection off) gets a
    /// reference id and no job.
    pub(crate) async fn launch<F, Fut>(
        &self,
        store: Arc<dyn interlog_store::Store>,
        caller: &session::GwsCaller,
        job: F,
    ) -> GwsResult<u64>
    where
        F: FnOnce(u64) -> Fut + Send + 'static,
        Fut: Future<Output = String> + Send + 'static,
    {
        let Some(session) = caller.session.as_ref().map(|s| s.key.clone()) else {
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
        let tenant = caller.tenant.clone();
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

/// A route whose other methods get GWS's envelope rather than the native 405.
fn only(m: MethodRouter<ApiState>) -> MethodRouter<ApiState> {
    m.fallback(|_: HeaderMap| async {
        GwsError::new(code::FORBIDDEN, "This resource does not accept that method")
            .with_http(axum::http::StatusCode::METHOD_NOT_ALLOWED)
            .into_response()
    })
}

/// The routes with these settings.
pub fn routes_with(config: GwsConfig) -> Routes {
    Gws::new(config).routes()
}
