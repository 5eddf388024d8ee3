//! The running server: the app built from a configuration, listening, until it is told to
//! stop; then in-flight requests finish and the store commits what is queued.
//!
//! Connections are capped (`max_connections`: further clients wait in the listen backlog
//! until a slot frees, and the cap being reached is logged), and each is served with the
//! header-read and idle timeouts of [`crate::connection`]; request bodies must keep
//! arriving (`body_read_timeout_secs` between chunks).

use crate::config::Config;
use crate::connection::{self, Closed, ConnectionLimits};
use crate::store_url::error_chain;
use axum::extract::ConnectInfo;
use axum::Router;
use interlog_http::background::Runtime;
use interlog_http::{ApiState, RouteInfo};
use interlog_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

/// A server that is listening.
pub struct Server {
    /// Where it listens (the real port when the configuration asked for port 0).
    pub addr: SocketAddr,
    /// Where `/metrics` is served on a listener of its own, if it is.
    pub metrics_addr: Option<SocketAddr>,
    /// Whether it speaks TLS (`https`) on `addr`.
    pub tls: bool,
    pub state: ApiState,
    /// Every route it serves.
    pub routes: Vec<RouteInfo>,
    /// The running parts its APIs exposed, by type.
    pub handles: axum::http::Extensions,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    /// Background work (webhook delivery, maintenance), stopped with the server.
    background: Runtime,
}

impl Server {
    /// Builds the app over `store` and starts serving it on `config.listen`.
    pub async fn start(config: &Config, store: Arc<dyn Store>) -> Result<Server, String> {
        let app = crate::build_apis(config, store).map_err(|e| error_chain(&e))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let tls = match &config.tls {
            Some(files) => {
                let tls = crate::tls::Tls::load(files.clone())?;
                tls.reload_on_sighup();
                Some(tls)
            }
            None => {
                let said = "serving plain HTTP: tokens, secrets and the explorer's sign-in cross \
                    the network in clear; terminate TLS in front of it (a reverse proxy) or set \
                    tls_cert and tls_key";
                if addr.ip().is_loopback() {
                    tracing::info!(%addr, "{said}");
                } else {
                    tracing::warn!(%addr, "{said}");
                }
                None
            }
        };
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
        let background = Runtime::start(app.state.clone(), crate::registry::workers(config));
        // The metrics listener lives as long as the API's: it stops when that has finished
        // its in-flight requests.
        let scraping = metrics.map(|(_, l, router)| {
            let (stop, stopped) = oneshot::channel::<()>();
            let task = tokio::spawn(accept_loop(l, router, config.server.clone(), None, stopped));
            (stop, task)
        });
        let serving = accept_loop(
            listener,
            app.router,
            config.server.clone(),
            tls.clone(),
            stopped,
        );
        let task = tokio::spawn(async move {
            let served = serving.await;
            if let Some((stop, task)) = scraping {
                let _ = stop.send(());
                let _ = task.await;
            }
            served
        });
        Ok(Server {
            addr,
            metrics_addr,
            tls: tls.is_some(),
            state: app.state,
            routes: app.routes,
            handles: app.handles,
            stop: Some(stop),
            task,
            background,
        })
    }

    /// Stops accepting connections, lets in-flight requests finish, then lets the store
    /// commit what is queued.
    pub async fn stop(mut self) -> Result<(), String> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = (&mut self.task).await;
        self.background.stop().await;
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

/// Accepts connections until told to stop, then lets them finish (for at most the
/// shutdown grace period).
async fn accept_loop(
    listener: TcpListener,
    router: Router,
    settings: crate::config::ServerConfig,
    tls: Option<Arc<crate::tls::Tls>>,
    mut stopped: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let limits = ConnectionLimits {
        header_read_timeout: settings.header_read_timeout,
        idle_timeout: settings.idle_timeout,
    };
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut last_full_warning: Option<Instant> = None;
    loop {
        // A slot first: at the cap, new clients wait in the listen backlog.
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if last_full_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    tracing::warn!(
                        max_connections = settings.max_connections,
                        "connection limit reached; new connections wait until one closes"
                    );
                    last_full_warning = Some(Instant::now());
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                    _ = &mut stopped => break,
                }
            }
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut stopped => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: say so and let connections close.
                tracing::error!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let body_timeout = settings.body_read_timeout;
        let service = move |req: hyper::Request<hyper::body::Incoming>| {
            let mut req = req.map(|body| {
                axum::body::Body::new(tower_http::timeout::TimeoutBody::new(body_timeout, body))
            });
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req)
        };
        let shutdown_rx = shutdown_rx.clone();
        let acceptor = tls.as_ref().map(|t| t.acceptor());
        connections.spawn(async move {
            let closed = match acceptor {
                None => connection::serve(stream, service, limits, shutdown_rx).await,
                // The handshake has the time a request head has.
                Some(acceptor) => {
                    match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(stream)) => {
                            connection::serve(stream, service, limits, shutdown_rx).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            None
                        }
                        Err(_) => Some(Closed::HeaderTimeout),
                    }
                }
            };
            match closed {
                Some(Closed::HeaderTimeout) => {
                    tracing::info!(%peer, "closed a connection: request head not received in time")
                }
                Some(Closed::Idle) => tracing::debug!(%peer, "closed an idle connection"),
                None => {}
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = shutdown.send(true);
    let drained = tokio::time::timeout(settings.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "shutdown grace period over; closing the remaining connections"
        );
        connections.abort_all();
    }
    Ok(())
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
