//! One client connection: HTTP/1.1 served by hyper, with the limits that keep idle and slow
//! clients from holding the server's sockets.
//!
//! - **Header read timeout**: once the first byte of a request arrives, its head must be
//!   complete within this time (a client sending a byte a second is closed).
//! - **Idle timeout**: a connection with no request in flight on which nothing moves for
//!   this long is closed (idle keep-alive, or connected and silent).
//! - A request in flight is never timed out here: long polls (CometD, the change feed's
//!   `wait`) hold a request open by design. Its body is bounded by the body read timeout
//!   (a layer around the app, see [`crate::server`]).

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;

/// The timeouts of every connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

/// What the connection's watchdog reads: when bytes last moved, when the current request
/// head started arriving, and how many requests are in flight.
struct Activity {
    epoch: Instant,
    /// Milliseconds since `epoch` of the last byte read or written.
    last_io: AtomicU64,
    /// Milliseconds since `epoch` (plus one) at which a request head started arriving; 0
    /// when none is arriving.
    head_started: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn touched(&self) {
        self.last_io.store(self.now(), Ordering::Relaxed);
    }
}

/// Why the watchdog closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    HeaderTimeout,
    Idle,
}

/// The connection (a socket, or TLS over one), recording activity.
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(res, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let a = &self.activity;
            a.touched();
            if a.in_flight.load(Ordering::Acquire) == 0 {
                let _ = a.head_started.compare_exchange(
                    0,
                    a.now() + 1,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
            }
        }
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touched();
        }
        res
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touched();
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Counts a request in flight until its response head is ready.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.head_started.store(0, Ordering::Release);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touched();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves one connection until it ends, the watchdog closes it, or `shutdown` turns true
/// (then in-flight requests finish first). Returns why the watchdog closed it, if it did.
pub async fn serve<T, S, F>(
    stream: T,
    service: S,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) -> Option<Closed>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Fn(hyper::Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send + 'static,
{
    let activity = Arc::new(Activity {
        epoch: Instant::now(),
        last_io: AtomicU64::new(0),
        head_started: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let counted = activity.clone();
    let service = Arc::new(service);
    let hyper_service = hyper::service::service_fn(move |req| {
        let guard = InFlight::start(&counted);
        let fut = service(req);
        async move {
            let res = fut.await;
            drop(guard);
            res
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(None);
    let conn = builder.serve_connection(io, hyper_service);
    tokio::pin!(conn);
    let tick = (limits.header_read_timeout.min(limits.idle_timeout) / 4)
        .clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutting_down = *shutdown.borrow();
    if shutting_down {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return None;
            }
            changed = shutdown.changed(), if !shutting_down => {
                if changed.is_err() || *shutdown.borrow() {
                    shutting_down = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            _ = ticker.tick() => {
                if let Some(why) = overdue(&activity, limits) {
                    return Some(why);
                }
            }
        }
    }
}

/// Whether a connection with no request in flight has waited too long.
fn overdue(a: &Activity, limits: ConnectionLimits) -> Option<Closed> {
    if a.in_flight.load(Ordering::Acquire) > 0 {
        return None;
    }
    let now = a.now();
    let head = a.head_started.load(Ordering::Acquire);
    if head > 0 && now.saturating_sub(head - 1) > limits.header_read_timeout.as_millis() as u64 {
        return Some(Closed::HeaderTimeout);
    }
    let last = a.last_io.load(Ordering::Relaxed);
    (head == 0 && now.saturating_sub(last) > limits.idle_timeout.as_millis() as u64)
        .then_some(Closed::Idle)
}
