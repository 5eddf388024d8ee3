//! The running server: the app built from a configuration, listening, until it is told to
//! stop; then in-flight requests finish and the store commits what is queued.

use crate::config::Config;
use crate::store_url::error_chain;
use interlog_api::{AppState, RouteInfo};
use interlog_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server that is listening.
pub struct Server {
    /// Where it listens (the real port when the configuration asked for port 0).
    pub addr: SocketAddr,
    /// Where `/metrics` is served on a listener of its own, if it is.
    pub metrics_addr: Option<SocketAddr>,
    pub state: AppState,
    /// Every route it serves.
    pub routes: Vec<RouteInfo>,
    /// The running parts its APIs exposed, by type.
    pub handles: axum::http::Extensions,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Builds the app over `store` and starts serving it on `config.listen`.
    pub async fn start(config: &Config, store: Arc<dyn Store>) -> Result<Server, String> {
        let app = crate::build_app(config, store).map_err(|e| error_chain(&e))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let metrics = match (config.metrics_listen, app.metrics_router) {
            (Some(at), Some(router)) => {
                let l = tokio::net::TcpListener::bind(at)
                    .await
                    .map_err(|e| format!("cannot listen on {at} (metrics_listen): {e}"))?;
                Some((l.local_addr().map_err(|e| e.to_string())?, l, router))
            }
            _ => None,
        };
        let metrics_addr = metrics.as_ref().map(|(a, _, _)| *a);
        let (stop, stopped) = oneshot::channel::<()>();
        let router = app.router;
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            match metrics {
                // The metrics listener lives as long as the API's: it stops when that
                // has finished its in-flight requests.
                Some((_, l, router)) => {
                    let scraping = tokio::spawn(async move { axum::serve(l, router).await });
                    let served = serving.await;
                    scraping.abort();
                    served
                }
                None => serving.await,
            }
        });
        Ok(Server {
            addr,
            metrics_addr,
            state: app.state,
            routes: app.routes,
            handles: app.handles,
            stop: Some(stop),
            task,
        })
    }

    /// Stops accepting connections, lets in-flight requests finish, then lets the store
    /// commit what is queued.
    pub async fn stop(mut self) -> Result<(), String> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = (&mut self.task).await;
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
