//! Prometheus metrics: the process-wide recorder behind the `metrics` facade, the HTTP
//! layer that counts and times every request by API and route template, and the
//! `/metrics` exposition.
//!
//! Every label value comes from a closed set: the API (`native`, a dialect's name, `ui`,
//! or `none` for requests no route matched), the route template the app was built with
//! (never the raw path; `unmatched` when none matched), the method (one of the standard
//! ones, else `other`) and the status class (`2xx`…). So no label carries tenant data or
//! an id, and the number of series is bounded by the app's routes.
//!
//! What other layers record, by name (all through the facade):
//! - `interlog_store_write_queue_depth`, `interlog_store_group_commit_size`,
//!   `interlog_store_commit_duration_seconds`: the stores' group commits (SQLite's writer
//!   thread, PostgreSQL's writer tasks);
//! - `interlog_ingest_lines_total{format, result}`: the native API's ingest pump;
//! - `interlog_argon2_verifications_in_flight`: [`crate::auth::credentials::verify_blocking`];
//! - `interlog_cometd_clients`: read from the Genesys dialect's hub at scrape time;
//! - `interlog_rate_limit_rejections_total{api, limit}`: a dialect's rate limiter;
//! - `interlog_credential_checks_refused_total{reason}`: the credential guard
//!   ([`crate::auth::CredentialGuard`]);
//! - `interlog_webhook_deliveries_total{result}`, `interlog_webhook_delivery_duration_seconds`,
//!   `interlog_webhook_delivery_lag_seconds`, `interlog_webhooks_disabled_total`: the native
//!   API's webhook delivery;
//! - `interlog_background_tasks{worker}`, `interlog_background_failures_total{worker}`,
//!   `interlog_leases_taken_total{worker}`: the background runtime ([`crate::background`]);
//! - `interlog_connector_requests_total{kind, result}`: connectors' calls to vendors
//!   ([`crate::connector::vendor`]); `interlog_connector_records_total{kind, result}`,
//!   `interlog_connector_runs_total{kind, result}`, `interlog_connector_lag_seconds{kind}`:
//!   the native API's connector runner.
//! - `interlog_heavy_requests_running`, `interlog_heavy_requests_waiting`,
//!   `interlog_heavy_requests_refused_total{reason}`: the turns of heavy work
//!   ([`crate::heavy`]).

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

pub const HTTP_REQUESTS: &str = "interlog_http_requests_total";
pub const HTTP_DURATION: &str = "interlog_http_request_duration_seconds";
pub const STORE_QUEUE_DEPTH: &str = "interlog_store_write_queue_depth";
pub const STORE_GROUP_COMMIT_SIZE: &str = "interlog_store_group_commit_size";
pub const STORE_COMMIT_DURATION: &str = "interlog_store_commit_duration_seconds";
pub const INGEST_LINES: &str = "interlog_ingest_lines_total";
pub const ARGON2_IN_FLIGHT: &str = "interlog_argon2_verifications_in_flight";
pub const COMETD_CLIENTS: &str = "interlog_cometd_clients";
pub const RATE_LIMIT_REJECTIONS: &str = "interlog_rate_limit_rejections_total";
pub const CREDENTIAL_CHECKS_REFUSED: &str = "interlog_credential_checks_refused_total";
pub const WEBHOOK_DELIVERIES: &str = "interlog_webhook_deliveries_total";
pub const WEBHOOK_DELIVERY_DURATION: &str = "interlog_webhook_delivery_duration_seconds";
pub const WEBHOOK_DELIVERY_LAG: &str = "interlog_webhook_delivery_lag_seconds";
pub const WEBHOOKS_DISABLED: &str = "interlog_webhooks_disabled_total";
pub const BACKGROUND_TASKS: &str = "interlog_background_tasks";
pub const BACKGROUND_FAILURES: &str = "interlog_background_failures_total";
pub const LEASES_TAKEN: &str = "interlog_leases_taken_total";
pub const CONNECTOR_REQUESTS: &str = "interlog_connector_requests_total";
pub const CONNECTOR_RECORDS: &str = "interlog_connector_records_total";
pub const CONNECTOR_RUNS: &str = "interlog_connector_runs_total";
pub const CONNECTOR_LAG: &str = "interlog_connector_lag_seconds";
pub const HEAVY_RUNNING: &str = "interlog_heavy_requests_running";
pub const HEAVY_WAITING: &str = "interlog_heavy_requests_waiting";
pub const HEAVY_REFUSED: &str = "interlog_heavy_requests_refused_total";

/// Request durations: half a millisecond to ten seconds.
const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Jobs per commit: one to the writer's most (512).
const GROUP_SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
/// From a commit to its webhook delivery: ten milliseconds to a day (retries back off for
/// up to the give-up period).
const LAG_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0,
    86400.0,
];
/// How often histogram samples are folded into their buckets between scrapes, so an
/// unscraped process holds a bounded number of samples.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's Prometheus recorder, installed as the facade's global recorder on first
/// use. `None` when another recorder was installed first (then nothing is exposed).
pub fn recorder() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), DURATION_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(STORE_GROUP_COMMIT_SIZE.into()),
                        GROUP_SIZE_BUCKETS,
                    )
                })
                // A full name wins over the `_seconds` suffix.
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(WEBHOOK_DELIVERY_LAG.into()),
                        LAG_BUCKETS,
                    )
                })
                .expect("bucket lists are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if let Err(e) = metrics::set_global_recorder(recorder) {
                tracing::warn!(error = %e, "another metrics recorder is installed; /metrics stays empty");
                return None;
            }
            describe();
            let upkeep = handle.clone();
            let _ = std::thread::Builder::new()
                .name("interlog-metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                });
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by API, route template, method and status class"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its response head, by API, route template, method and status class"
    );
    describe_gauge!(STORE_QUEUE_DEPTH, "Writes waiting for the store's writer");
    describe_histogram!(
        STORE_GROUP_COMMIT_SIZE,
        "Writes committed together in one store transaction"
    );
    describe_histogram!(
        STORE_COMMIT_DURATION,
        Unit::Seconds,
        "Time of one store write transaction, from begin to durable commit"
    );
    describe_counter!(
        INGEST_LINES,
        "Bulk ingest lines by format and result (created, updated, stale, rejected)"
    );
    describe_gauge!(
        ARGON2_IN_FLIGHT,
        "Secret and password verifications running now"
    );
    describe_gauge!(COMETD_CLIENTS, "CometD clients connected (Genesys dialect)");
    describe_counter!(
        RATE_LIMIT_REJECTIONS,
        "Requests refused by a dialect's rate limits"
    );
    describe_counter!(
        CREDENTIAL_CHECKS_REFUSED,
        "Credential checks refused before hashing: over_budget (429, one source asked too often) or queue_full (503)"
    );
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook delivery attempts by result: delivered (2xx), refused (another status), unreachable (no answer in time)"
    );
    describe_histogram!(
        WEBHOOK_DELIVERY_DURATION,
        Unit::Seconds,
        "Time of one webhook delivery attempt, by result"
    );
    describe_histogram!(
        WEBHOOK_DELIVERY_LAG,
        Unit::Seconds,
        "Time from a change's commit to its acknowledged webhook delivery"
    );
    describe_counter!(
        WEBHOOKS_DISABLED,
        "Webhooks disabled after failing for the give-up period"
    );
    describe_gauge!(
        BACKGROUND_TASKS,
        "Background tasks running, by worker (webhooks: one per webhook, and the one that looks for webhooks)"
    );
    describe_counter!(
        BACKGROUND_FAILURES,
        "Background rounds that failed and will be tried again, by worker"
    );
    describe_counter!(
        LEASES_TAKEN,
        "Leases on background work this instance took (not renewals), by worker"
    );
    describe_counter!(
        CONNECTOR_REQUESTS,
        "Connectors' requests to vendors by kind and result: ok, refused (another 4xx), throttled (429), server_error (5xx), unreachable (no answer)"
    );
    describe_counter!(
        CONNECTOR_RECORDS,
        "Vendor records connectors read, by kind and result: fetched, created, updated, unchanged, rejected"
    );
    describe_counter!(
        CONNECTOR_RUNS,
        "Connector runs by kind and result: ok, failed"
    );
    describe_gauge!(
        CONNECTOR_LAG,
        "How far behind now the committed cursor of the furthest-behind connector of each kind that this instance runs is, in seconds"
    );
    // Series of rare events exist from the start, so that rate() sees their first one.
    for reason in ["over_budget", "queue_full"] {
        metrics::counter!(CREDENTIAL_CHECKS_REFUSED, "reason" => reason).absolute(0);
    }
    metrics::counter!(WEBHOOKS_DISABLED).absolute(0);
    for result in ["delivered", "refused", "unreachable"] {
        metrics::counter!(WEBHOOK_DELIVERIES, "result" => result).absolute(0);
    }
    for reason in ["queue_full", "wait_timeout"] {
        metrics::counter!(HEAVY_REFUSED, "reason" => reason).absolute(0);
    }
}

/// Counts a credential check refused before hashing: `over_budget` (its source asked too
/// often: 429) or `queue_full` (too many checks waiting: 503).
pub fn credential_check_refused(reason: &'static str) {
    metrics::counter!(CREDENTIAL_CHECKS_REFUSED, "reason" => reason).increment(1);
}

/// Counts ingest lines of a format by result.
pub fn ingest_lines(format: &'static str, result: &'static str, n: u64) {
    if n > 0 {
        metrics::counter!(INGEST_LINES, "format" => format, "result" => result).increment(n);
    }
}

/// Marks one argon2 verification running until the guard is dropped.
pub fn argon2_in_flight() -> impl Drop {
    struct Running(metrics::Gauge);
    impl Drop for Running {
        fn drop(&mut self) {
            self.0.decrement(1.0);
        }
    }
    let gauge = metrics::gauge!(ARGON2_IN_FLIGHT);
    gauge.increment(1.0);
    Running(gauge)
}

// --- exposition -------------------------------------------------------------------------

/// What `/metrics` renders: the recorder's series, after the gauges read at scrape time
/// (e.g. a dialect's connected clients) are brought up to date.
#[derive(Default)]
pub struct Exposition {
    on_scrape: RwLock<Vec<Box<dyn Fn() + Send + Sync>>>,
}

impl Exposition {
    /// Runs `hook` before every scrape (to set gauges that are read, not counted).
    pub fn on_scrape(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.on_scrape
            .write()
            .expect("scrape hooks")
            .push(Box::new(hook));
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        for hook in self.on_scrape.read().expect("scrape hooks").iter() {
            hook();
        }
        recorder().map(|h| h.render()).unwrap_or_default()
    }
}

// --- the HTTP layer ---------------------------------------------------------------------

const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

fn method_index(m: &Method) -> usize {
    match *m {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::PATCH => 4,
        Method::DELETE => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

/// The series of one route: registered on first use, then only incremented.
struct RouteSeries {
    api: &'static str,
    route: Arc<str>,
    cells: [[OnceLock<(Counter, Histogram)>; CLASSES.len()]; METHODS.len()],
}

impl RouteSeries {
    fn new(api: &'static str, route: &str) -> Self {
        RouteSeries {
            api,
            route: route.into(),
            cells: Default::default(),
        }
    }

    fn record(&self, method: usize, class: usize, elapsed: Duration) {
        let (count, time) = self.cells[method][class].get_or_init(|| {
            let labels = [
                ("api", self.api.to_owned()),
                ("route", self.route.to_string()),
                ("method", METHODS[method].to_owned()),
                ("status", CLASSES[class].to_owned()),
            ];
            (
                metrics::counter!(HTTP_REQUESTS, &labels),
                metrics::histogram!(HTTP_DURATION, &labels),
            )
        });
        count.increment(1);
        time.record(elapsed.as_secs_f64());
    }
}

/// Counts and times requests by the route they matched.
pub struct HttpMetrics {
    by_template: HashMap<String, RouteSeries>,
    unmatched: RouteSeries,
}

impl HttpMetrics {
    /// For an app serving these routes (API and path template each).
    pub fn new<'a>(routes: impl IntoIterator<Item = (&'static str, &'a str)>) -> Self {
        // The recorder must be in place before series are registered.
        recorder();
        HttpMetrics {
            by_template: routes
                .into_iter()
                .map(|(api, path)| (path.to_owned(), RouteSeries::new(api, path)))
                .collect(),
            unmatched: RouteSeries::new("none", "unmatched"),
        }
    }

    fn series(&self, template: Option<&str>) -> &RouteSeries {
        template
            .and_then(|t| self.by_template.get(t))
            .unwrap_or(&self.unmatched)
    }
}

/// The middleware: wraps every route (added with `Router::layer`, so routing has
/// already put the matched template in the request).
pub async fn track(State(m): State<Arc<HttpMetrics>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let series = m.series(
        req.extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let method = method_index(req.method());
    let res = next.run(req).await;
    let class = match res.status().as_u16() / 100 {
        c @ 1..=5 => usize::from(c) - 1,
        _ => 4,
    };
    series.record(method, class, start.elapsed());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_of_unknown_routes_share_one_series() {
        let m = HttpMetrics::new([("native", "/api/v1/tenants/{tenant}/engagements")]);
        let known = m.series(Some("/api/v1/tenants/{tenant}/engagements"));
        assert_eq!(&*known.route, "/api/v1/tenants/{tenant}/engagements");
        assert_eq!(known.api, "native");
        for path in [
            None,
            Some("/api/v1/tenants/acme/engagements"),
            Some("/x/{*rest}"),
        ] {
            let s = m.series(path);
            assert_eq!((s.api, &*s.route), ("none", "unmatched"));
        }
        assert_eq!(method_index(&Method::from_bytes(b"PROPFIND").unwrap()), 7);
    }
}
