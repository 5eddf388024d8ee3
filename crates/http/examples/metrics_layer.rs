//! What the metrics layer itself costs a request, apart from everything else a request does.
//!
//! `bench/metrics_cost.sh` compares whole servers with and without metrics, which on a
//! shared 2-core machine varies by more than the 3% it looks for. This measures the layer
//! alone: one route answered in process (no sockets, no store), with and without
//! `metrics::track`, alternating rounds; the difference is the layer's CPU time a request,
//! to be set against the list benchmark's server CPU time a request.
//!
//! `cargo run --release -p interlog-http --example metrics_layer [REQUESTS] [ROUNDS]`

use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use interlog_http::metrics::{self, HttpMetrics};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

const ROUTE: &str = "/api/v1/tenants/{tenant}/engagements";

fn app(with_metrics: bool) -> Router {
    let routes = Router::new().route(ROUTE, get(|| async { "[]" }));
    if with_metrics {
        let m = Arc::new(HttpMetrics::new([("native", ROUTE)]));
        routes.layer(axum::middleware::from_fn_with_state(m, metrics::track))
    } else {
        routes
    }
}

/// Nanoseconds a request, over `n` requests answered one after another.
async fn round(app: &Router, n: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        let req = Request::get("/api/v1/tenants/bench/engagements?limit=10")
            .body(Body::empty())
            .expect("request");
        let res = app.clone().oneshot(req).await.expect("infallible");
        assert!(res.status().is_success());
    }
    started.elapsed().as_nanos() as f64 / f64::from(n)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args
        .next()
        .map_or(200_000, |a| a.parse().expect("REQUESTS"));
    let rounds: u32 = args.next().map_or(7, |a| a.parse().expect("ROUNDS"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (off, on) = (app(false), app(true));
        round(&off, n / 10).await;
        round(&on, n / 10).await;
        let (mut best_off, mut best_on) = (f64::MAX, f64::MAX);
        for _ in 0..rounds {
            best_off = best_off.min(round(&off, n).await);
            best_on = best_on.min(round(&on, n).await);
        }
        println!(
            "FIGURE metrics_layer_ns {:.0} ns a request (best of {rounds} rounds of {n}: {:.0} ns with the layer, {:.0} ns without)",
            best_on - best_off,
            best_on,
            best_off
        );
    });
}
