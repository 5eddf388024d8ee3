//! The one HTTP client connectors call vendors with: the vendor's rate limits honoured,
//! transient failures retried, and every request counted.
//!
//! - **Pacing.** A vendor that says its per-second budget (`X-RateLimit-Type: QPS` with
//!   `X-RateLimit-Limit: N`, Zoom's headers) gets at most N requests in any second: each
//!   request of the client starts at least 1/N s (plus 5 %) after the previous one, so a
//!   fixed one-second window never sees N + 1 of them and nothing is refused. Until the first
//!   answer says the budget, requests go unpaced; the one after that answer keeps its gap
//!   from the request that was answered.
//! - **429.** The client waits what `Retry-After` says (seconds, an HTTP date, or Zoom's
//!   ISO 8601 date-time), else a second for a per-second limit, else its backoff, and asks
//!   again; every request of the client waits with it. A wait longer than
//!   [`RetryPolicy::longest_wait`] (a daily limit) ends the run with
//!   [`SourceError::RateLimited`]: the runner schedules the next run for then.
//! - **5xx, timeouts, dropped connections** (also in the middle of a body) are retried with
//!   exponential backoff and full jitter on its upper half, up to [`RetryPolicy::attempts`];
//!   then the run fails with [`SourceError::Unreachable`] and resumes from its committed
//!   cursor later.
//! - Any other status is the source's to read (401 to renew a token, 400 for an expired
//!   page token…).
//!
//! Bodies are read whole, at most [`MAX_BODY`] bytes.

use super::SourceError;
use crate::metrics::CONNECTOR_REQUESTS;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The largest answer body a connector reads.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// How transient failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries of one request that failed transiently (5xx, network) before the run fails.
    pub attempts: u32,
    /// The first retry's delay; doubling, with jitter, up to `cap`.
    pub base: Duration,
    pub cap: Duration,
    /// The longest `Retry-After` waited out within a run.
    pub longest_wait: Duration,
    /// Refusals (429) in a row before the run gives up.
    pub throttled_in_a_row: u32,
}

impl Default for RetryPolicy {
    /// Six tries over about 15 s of backoff; waits of up to two minutes within a run.
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            longest_wait: Duration::from_secs(120),
            throttled_in_a_row: 30,
        }
    }
}

/// What a client sent and met, for the run's status.
#[derive(Debug, Default)]
pub struct RequestStats {
    /// Requests sent (every try).
    pub requests: AtomicU64,
    /// Answered 429.
    pub throttled: AtomicU64,
    /// Tries that failed transiently and were retried.
    pub retried: AtomicU64,
}

/// An answer a source reads.
#[derive(Debug)]
pub struct VendorResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl VendorResponse {
    /// The body as JSON of type `T`, or why not.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, SourceError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            SourceError::Vendor(format!(
                "HTTP {}: not the expected JSON ({e}): {}",
                self.status.as_u16(),
                super::excerpt(&self.body, 200)
            ))
        })
    }

    /// An error saying the answer was not expected.
    pub fn unexpected(&self, what: &str) -> SourceError {
        SourceError::Vendor(format!(
            "{what}: HTTP {}: {}",
            self.status.as_u16(),
            super::excerpt(&self.body, 300)
        ))
    }
}

/// When the next request may start.
#[derive(Debug)]
struct Pace {
    /// The least time between two requests' starts, once the vendor said its budget.
    gap: Option<Duration>,
    /// No request starts before this.
    next_at: Instant,
}

/// The client of one connector's run.
#[derive(Clone)]
pub struct VendorClient {
    http: reqwest::Client,
    kind: &'static str,
    policy: RetryPolicy,
    pace: Arc<Mutex<Pace>>,
    stats: Arc<RequestStats>,
}

impl VendorClient {
    /// A client for connectors of `kind` over `http` (made with
    /// [`crate::outbound::client`], so internal addresses are refused unless allowed).
    pub fn new(kind: &'static str, http: reqwest::Client, policy: RetryPolicy) -> Self {
        VendorClient {
            http,
            kind,
            policy,
            pace: Arc::new(Mutex::new(Pace {
                gap: None,
                next_at: Instant::now(),
            })),
            stats: Arc::default(),
        }
    }

    /// The underlying HTTP client, to build requests with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn stats(&self) -> &Arc<RequestStats> {
        &self.stats
    }

    /// The least time between requests the vendor's budget asks for, once known.
    pub fn paced_at(&self) -> Option<Duration> {
        self.lock().gap
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pace> {
        self.pace
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn count(&self, result: &'static str) {
        metrics::counter!(CONNECTOR_REQUESTS, "kind" => self.kind, "result" => result).increment(1);
    }

    /// Waits for this request's turn and books the next one; when it starts.
    async fn turn(&self) -> Instant {
        let start = {
            let mut pace = self.lock();
            let now = Instant::now();
            let start = pace.next_at.max(now);
            pace.next_at = start + pace.gap.unwrap_or(Duration::ZERO);
            start
        };
        tokio::time::sleep_until(start).await;
        start
    }

    /// No request starts before `until`.
    fn hold(&self, until: Instant) {
        let mut pace = self.lock();
        pace.next_at = pace.next_at.max(until);
    }

    /// Learns the vendor's per-second budget from the headers of the answer to a request
    /// that started at `started`.
    fn learn(&self, headers: &HeaderMap, started: Instant) {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let per_second = match text("x-ratelimit-type") {
            Some(t) => t.eq_ignore_ascii_case("qps"),
            // Zoom's older answers carry the category but not the type: per second.
            None => text("x-ratelimit-category").is_some(),
        };
        let limit = text("x-ratelimit-limit").and_then(|v| v.trim().parse::<u32>().ok());
        if let (true, Some(n)) = (per_second, limit.filter(|n| *n > 0)) {
            // 5 % over the exact spacing: neither the timer's slack nor the requests'
            // unequal time on the way (a loaded machine, a proxy between) fits N + 1 of
            // them into the vendor's one-second window. 2 % did not: under load, a
            // request 20 ms slower than the one ten before it was refused now and then.
            let gap = Duration::from_secs_f64(1.05 / f64::from(n));
            let mut pace = self.lock();
            pace.gap = Some(gap);
            // The request that taught the budget went unpaced and booked no gap after it:
            // without this, the next one followed it at once and N + 1 requests fitted into
            // N - 1 gaps, a refusal whenever they fell into one of the vendor's seconds.
            pace.next_at = pace.next_at.max(started + gap);
        }
    }

    /// Sends the request `build` makes (again for each try) and reads its answer whole,
    /// retrying as the module says. Answers other than 429 and 5xx are returned.
    pub async fn send(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<VendorResponse, SourceError> {
        let mut failures = 0u32;
        let mut throttled = 0u32;
        loop {
            let started = self.turn().await;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let error = match read(build(&self.http)).await {
                Ok(answer) => {
                    self.learn(&answer.headers, started);
                    if answer.status == StatusCode::TOO_MANY_REQUESTS {
                        self.count("throttled");
                        self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                        throttled += 1;
                        let now = jiff::Timestamp::now();
                        let wait = retry_after(&answer.headers, now)
                            .unwrap_or_else(|| self.backoff(throttled));
                        if wait > self.policy.longest_wait {
                            let until = now
                                .checked_add(
                                    jiff::SignedDuration::try_from(wait).unwrap_or_default(),
                                )
                                .unwrap_or(now);
                            return Err(SourceError::RateLimited { until });
                        }
                        if throttled >= self.policy.throttled_in_a_row {
                            return Err(SourceError::Unreachable(format!(
                                "refused for its rate limit {throttled} times in a row"
                            )));
                        }
                        tracing::debug!(
                            kind = self.kind,
                            wait_ms = wait.as_millis() as u64,
                            "the vendor asked to wait (429)"
                        );
                        self.hold(Instant::now() + wait);
                        continue;
                    }
                    if answer.status.is_server_error() {
                        self.count("server_error");
                        format!(
                            "HTTP {}: {}",
                            answer.status.as_u16(),
                            super::excerpt(&answer.body, 200)
                        )
                    } else {
                        self.count(if answer.status.is_success() {
                            "ok"
                        } else {
                            "refused"
                        });
                        return Ok(answer);
                    }
                }
                Err(e) => {
                    self.count("unreachable");
                    e
                }
            };
            failures += 1;
            if failures >= self.policy.attempts {
                return Err(SourceError::Unreachable(format!(
                    "{error} (after {failures} tries)"
                )));
            }
            self.stats.retried.fetch_add(1, Ordering::Relaxed);
            let wait = self.backoff(failures);
            tracing::debug!(kind = self.kind, error = %error, wait_ms = wait.as_millis() as u64, "retrying a vendor request");
            tokio::time::sleep(wait).await;
        }
    }

    /// The wait before the `n`th retry: base × 2^(n−1) up to the cap, a random point in
    /// its upper half (so the retries of many connectors spread out).
    fn backoff(&self, n: u32) -> Duration {
        let full = self
            .policy
            .base
            .saturating_mul(2u32.saturating_pow(n.saturating_sub(1).min(20)))
            .min(self.policy.cap);
        full.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
    }
}

/// Sends one request and reads the whole answer (at most [`MAX_BODY`]).
async fn read(request: reqwest::RequestBuilder) -> Result<VendorResponse, String> {
    let mut res = request
        .send()
        .await
        .map_err(|e| crate::error::error_chain(&e))?;
    let status = res.status();
    let headers = std::mem::take(res.headers_mut());
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| format!("the answer broke off: {}", crate::error::error_chain(&e)))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("the answer is larger than {MAX_BODY} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(VendorResponse {
        status,
        headers,
        body: body.into(),
    })
}

/// How long a 429 asks to wait: `Retry-After` as seconds, an HTTP date, or an ISO 8601
/// date-time (Zoom's daily limit); without it, a second when the refused budget is per
/// second. `None` when the answer does not say.
pub fn retry_after(headers: &HeaderMap, now: jiff::Timestamp) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = text("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        let at = interlog_model::time::parse_instant(v)
            .ok()
            .or_else(|| jiff::fmt::rfc2822::parse(v).ok().map(|z| z.timestamp()));
        if let Some(at) = at {
            let wait = at.duration_since(now);
            return Some(Duration::try_from(wait).unwrap_or(Duration::ZERO));
        }
    }
    match text("x-ratelimit-type") {
        Some(t) if t.eq_ignore_ascii_case("qps") => Some(Duration::from_secs(1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_zoom_s_date_times() {
        let now: jiff::Timestamp = "2026-05-30T23:59:00Z".parse().unwrap();
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "2026-05-31T00:00:00Z")]), now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Sun, 31 May 2026 00:00:30 GMT")]),
                now
            ),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "2026-05-30T00:00:00Z")]), now),
            Some(Duration::ZERO),
            "a date in the past: at once"
        );
        assert_eq!(
            retry_after(&headers(&[("x-ratelimit-type", "QPS")]), now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn a_per_second_budget_spaces_requests() {
        let c = VendorClient::new("x", reqwest::Client::new(), RetryPolicy::default());
        let first = Instant::now();
        c.learn(
            &headers(&[
                ("x-ratelimit-type", "Daily-limit"),
                ("x-ratelimit-limit", "100"),
            ]),
            first,
        );
        assert_eq!(c.paced_at(), None, "a daily budget says nothing of seconds");
        c.learn(
            &headers(&[
                ("x-ratelimit-category", "Medium"),
                ("x-ratelimit-type", "QPS"),
                ("x-ratelimit-limit", "10"),
            ]),
            first,
        );
        assert_eq!(c.paced_at(), Some(Duration::from_millis(105)));
        assert!(
            c.lock().next_at >= first + Duration::from_millis(105),
            "the request after the one that said the budget waits its gap too"
        );
        // N requests spaced so never fit N + 1 into a second.
        let gap = c.paced_at().unwrap().as_secs_f64();
        assert!(10.0 * gap > 1.0);
    }

    #[test]
    fn backoff_doubles_within_its_cap() {
        let c = VendorClient::new("x", reqwest::Client::new(), RetryPolicy::default());
        for n in 1..10 {
            let full = (500u64 << (n - 1)).min(8000);
            let w = c.backoff(n).as_millis() as u64;
            assert!(w >= full / 2 && w <= full, "{n}: {w}");
        }
    }
}
