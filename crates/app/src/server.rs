//! The running server: the app built from a configuration, listening, until it is told to
//! stop; then in-flight requests finish and the store commits what is queued.

use crate::config::Config;
use crate::store_url::error_chain;
use interlog_api::{AppState, RouteInfo};
use interlog_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Expired records removed per store call by the sweeper.
const SWEEP_BATCH: u32 = 1000;

/// A server that is listening.
pub struct Server {
    /// Where it listens (the real port when the configuration asked for port 0).
    pub addr: SocketAddr,
    pub state: AppState,
    /// Every route it serves.
    pub routes: Vec<RouteInfo>,
    /// The running parts its APIs exposed, by type.
    pub handles: axum::http::Extensions,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    sweeper: JoinHandle<()>,
}

impl Server {
    /// Builds the app over `store` and starts serving it on `config.listen`.
    pub async fn start(config: &Config, store: Arc<dyn Store>) -> Result<Server, String> {
        let app = crate::build_app(config, store).map_err(|e| error_chain(&e))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = app.router;
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        let sweeper = tokio::spawn(sweep_records(
            app.state.store.clone(),
            config.sweep_interval,
        ));
        Ok(Server {
            addr,
            state: app.state,
            routes: app.routes,
            handles: app.handles,
            stop: Some(stop),
            task,
            sweeper,
        })
    }

    /// Stops accepting connections, lets in-flight requests finish, then lets the store
    /// commit what is queued.
    pub async fn stop(mut self) -> Result<(), String> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = (&mut self.task).await;
        self.sweeper.abort();
        self.state.store.close().await;
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("server error: {e}")),
            Err(e) => Err(format!("server task failed: {e}")),
        }
    }

    /// Serves until SIGINT or SIGTERM, then stops as [`Server::stop`] does.
    pub async fn run_until_signal(self) -> Result<(), String> {
        shutdown_signal().await;
        self.stop().await
    }
}

/// Removes expired records (sessions, refresh tokens) every `every`, for as long as the
/// server runs: the one place that does it, whichever APIs made them. A record is never
/// read once expired; this only frees the space and drops what it held.
async fn sweep_records(store: Arc<dyn Store>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let mut swept = 0u64;
        loop {
            match store.sweep_records(SWEEP_BATCH).await {
                Ok(n) => {
                    swept += n;
                    if n < u64::from(SWEEP_BATCH) {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %error_chain(&e), "sweeping expired records failed");
                    break;
                }
            }
        }
        if swept > 0 {
            tracing::debug!(swept, "expired records removed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
