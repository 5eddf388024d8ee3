//! Runs every connector: the `connectors` worker of the background runtime.
//!
//! Every few seconds the worker looks for connectors; for each it keeps a task that waits
//! until a run is due (the schedule, `POST …/run`, a changed configuration — a
//! notification wakes it at once, on any instance), then takes the connector's lease
//! (so one instance runs it at a time) and makes one **pass** ([`pass`]):
//!
//! 1. From where to where: a new connector reads from `start_from`; a backfill goes on from
//!    its cursor; once live, each pass reads from `cursor − lookback_secs` (records that
//!    started earlier but arrived late). Every pass reads up to `now − SETTLE`.
//! 2. In windows: the kind's first window, halved when the source finds one too large for
//!    the vendor's paging, doubled after small ones, never above the kind's maximum (Zoom's
//!    month). The window length is kept in the state for the next pass.
//! 3. Each window's pages are committed ([`super::commit`]); only then does the cursor move
//!    to the window's end, with the counts, in one atomic edit of the state that also
//!    renews the lease. So a kill -9 at any point loses nothing committed and re-reads at
//!    most one window, which changes nothing that is already stored.
//! 4. While a window is read, a heartbeat saves the run's progress every few seconds
//!    (renewing the lease); if another instance took the lease, the pass stops.
//! 5. The pass ends `ok` (the next one `poll_interval_secs` after this one started, or at
//!    once when it took longer) or `failed`: the next one after a backoff with jitter (5 s
//!    doubling to 15 minutes), or when the vendor's
//!    exhausted rate limit says. The state shows `backing_off`, then `failing` after three
//!    failures in a row or at once when the vendor refuses the credentials.
//!
//! `interlog sync --once` makes the same pass in the foreground ([`pass`]).

use super::commit::Committer;
use super::config::settings_of;
use interlog_http::background::lease::{Claim, LeasedWork, SaveError};
use interlog_http::background::{per_setting, Context, Worker};
use interlog_http::connector::stored::{self, Counts, Definition, Run, RunState, STATES, TOPIC};
use interlog_http::connector::vendor::{RequestStats, RetryPolicy};
use interlog_http::connector::{Read, SourceError, VendorClient, Window};
use interlog_http::metrics::{CONNECTOR_LAG, CONNECTOR_RUNS};
use interlog_http::outbound;
use interlog_store::{Subscription, Tenant};
use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The worker's name (its metrics label and log field).
pub const WORKER: &str = "connectors";
/// How long a lease lasts; a running pass renews it every [`HEARTBEAT`].
pub const LEASE: Duration = Duration::from_secs(30);
const HEARTBEAT: Duration = Duration::from_secs(5);
/// How often the worker looks for new connectors.
const SCAN: Duration = Duration::from_secs(2);
/// A waiting task reads its state at least this often.
const IDLE_CHECK: Duration = Duration::from_secs(30);
/// How far behind now a pass stops: what started in the last seconds may not be visible
/// at the vendor yet (the lookback reads it again anyway).
pub const SETTLE: SignedDuration = SignedDuration::from_secs(5);
/// A window that read fewer records than this is doubled for the next read.
const GROW_BELOW: u64 = 5_000;
/// The time a vendor has to answer one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Backoff between failed passes: the first, and the cap.
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_CAP: Duration = Duration::from_secs(15 * 60);
/// The longest error message kept.
const MAX_ERROR: usize = stored::MAX_ERROR;

fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// The worker that runs connectors.
pub fn worker() -> Worker {
    Worker::new(WORKER, run)
}

/// A connector of this instance: its tenant's id and its id.
type Running = (i64, String);

/// The cursors (epoch ms) of the connectors this instance runs, with their kinds, for the
/// lag gauge.
#[derive(Default)]
struct Lags(Mutex<HashMap<Running, (&'static str, i64)>>);

impl Lags {
    fn set(&self, tenant: i64, id: &str, kind: &'static str, cursor_ms: Option<i64>) {
        let mut m = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match cursor_ms {
            Some(c) => {
                m.insert((tenant, id.to_owned()), (kind, c));
            }
            None => {
                m.remove(&(tenant, id.to_owned()));
            }
        }
    }

    /// Sets `interlog_connector_lag_seconds{kind}` to the largest lag of each kind.
    fn publish(&self, kinds: &[&'static str]) {
        let now = now_ms();
        let m = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for kind in kinds {
            let lag = m
                .values()
                .filter(|(k, _)| k == kind)
                .map(|(_, c)| (now - c).max(0))
                .max()
                .unwrap_or(0);
            metrics::gauge!(CONNECTOR_LAG, "kind" => *kind).set(lag as f64 / 1000.0);
        }
    }
}

/// Runs until the runtime stops.
async fn run(cx: Context) {
    let lags = Arc::new(Lags::default());
    let kinds: Vec<&'static str> = cx.state.connectors.iter().map(|k| k.name).collect();
    for kind in &kinds {
        for result in ["ok", "failed"] {
            metrics::counter!(CONNECTOR_RUNS, "kind" => *kind, "result" => result).absolute(0);
        }
    }
    {
        let lags = lags.clone();
        cx.state.exposition.on_scrape(move || lags.publish(&kinds));
    }
    per_setting(&cx, stored::DEFINITIONS, SCAN, |tenant, id| {
        drive(cx.clone(), lags.clone(), tenant, id)
    })
    .await;
}

/// Waits `wait`, or less when a notification arrives or the runtime stops.
async fn wait_or_wake(cx: &Context, wake: &mut Option<Subscription>, wait: Duration) {
    let woken = async {
        match wake.as_mut() {
            Some(sub) => {
                let _ = sub.next().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = woken => {}
        _ = tokio::time::sleep(wait) => {}
        _ = cx.stopping() => {}
    }
}

/// Keeps connector `id` of `tenant` running until it is deleted or the runtime stops.
async fn drive(cx: Context, lags: Arc<Lags>, tenant: Arc<Tenant>, id: String) {
    let store = cx.state.store.clone();
    let mut wake = store.subscribe(&tenant, TOPIC).await.ok();
    let mut holding = false;
    while !cx.is_stopping() {
        let (d, s) = match (
            stored::definition(store.as_ref(), &tenant, &id).await,
            stored::state(store.as_ref(), &tenant, &id).await,
        ) {
            (Ok(Some(d)), Ok(Some(s))) => (d, s),
            (Ok(_), Ok(_)) => break,
            (Err(e), _) | (_, Err(e)) => {
                cx.failed(&format!("cannot read connector {id}"), &e);
                cx.pause(Duration::from_secs(5)).await;
                continue;
            }
        };
        if let Some(kind) = cx.state.connector_kind(&d.kind) {
            lags.set(tenant.id, &id, kind.name, s.cursor_ms.filter(|_| d.enabled));
        }
        let now = now_ms();
        if s.disabled || !(s.run_requested || s.next_run_ms <= now) {
            let until_due = Duration::from_millis((s.next_run_ms - now).max(0) as u64);
            let wait = if s.disabled {
                IDLE_CHECK
            } else {
                until_due.min(IDLE_CHECK)
            };
            wait_or_wake(&cx, &mut wake, wait).await;
            continue;
        }
        let work = LeasedWork::new(&cx, &tenant, STATES, &id, LEASE);
        match work.claim::<RunState>().await {
            Claim::Go(s) => {
                holding = true;
                let progress = Arc::new(Mutex::new(Progress::default()));
                tokio::select! {
                    _ = pass(&cx, &tenant, &id, s, progress) => {}
                    _ = cx.stopping() => {}
                }
            }
            Claim::Held => wait_or_wake(&cx, &mut wake, LEASE / 2).await,
            Claim::Paused => {}
            Claim::Gone => break,
            Claim::Failed(e) => {
                cx.failed(&format!("cannot claim connector {id}"), &e);
                cx.pause(Duration::from_secs(5)).await;
            }
        }
    }
    lags.set(tenant.id, &id, "", None);
    if holding {
        // Hand the connector to another instance at once.
        LeasedWork::new(&cx, &tenant, STATES, &id, LEASE)
            .release::<RunState>()
            .await;
    }
}

/// Where a pass stands, for whoever watches it (`interlog sync` draws it).
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// What the pass reads: `[begin, end)`.
    pub span: Option<Window>,
    /// The window being read.
    pub window: Option<Window>,
    /// Everything before this is committed.
    pub cursor: Option<Timestamp>,
    /// The pass's counts so far.
    pub counts: Counts,
    pub requests: u64,
    pub throttled: u64,
}

/// How a pass ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It read up to the end of its span.
    Done,
    /// It failed; the state says why and when the next pass is due.
    Failed(String),
    /// Another instance took the lease, or the connector was deleted.
    Lost,
}

/// Stops the heartbeat when the pass ends, however it ends.
struct Heartbeat(JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The progress a state shows for the run in progress.
fn current_run(started_ms: i64, counts: Counts, stats: &RequestStats) -> Run {
    Run {
        started_ms,
        ended_ms: None,
        outcome: None,
        counts,
        requests: stats.requests.load(Ordering::Relaxed),
        throttled: stats.throttled.load(Ordering::Relaxed),
    }
}

/// The wait before the pass after `failures` failed ones.
fn retry_after_failures(failures: u32) -> Duration {
    let full = RETRY_FIRST
        .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(20)))
        .min(RETRY_CAP);
    full.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

/// One pass of connector `id` of `tenant`, whose lease this instance holds (`state` is
/// what claiming it returned). `progress` shows where it stands as it goes.
pub async fn pass(
    cx: &Context,
    tenant: &Arc<Tenant>,
    id: &str,
    state: RunState,
    progress: Arc<Mutex<Progress>>,
) -> Outcome {
    let store = cx.state.store.clone();
    let work = LeasedWork::new(cx, tenant, STATES, id, LEASE);
    let d: Definition = match stored::definition(store.as_ref(), tenant, id).await {
        Ok(Some(d)) => d,
        Ok(None) => return Outcome::Lost,
        Err(e) => {
            cx.failed(&format!("cannot read connector {id}"), &e);
            return Outcome::Failed(e.to_string());
        }
    };
    let started = Timestamp::now();
    let started_ms = started.as_millisecond();
    let begun = work
        .save::<RunState>(move |s| {
            s.current = Some(Run {
                started_ms,
                ..Run::default()
            });
            s.run_requested = false;
        })
        .await;
    if begun.is_err() {
        return Outcome::Lost;
    }
    let Some(kind) = cx.state.connector_kind(&d.kind) else {
        let why = format!("this server has no connectors of kind {}", d.kind);
        return finish(
            cx,
            tenant,
            id,
            &d,
            None,
            Err(SourceError::Vendor(why)),
            None,
        )
        .await;
    };
    let settings = match settings_of(&cx.state, tenant, &d) {
        Ok(s) => s,
        Err(e) => {
            cx.failed(&format!("cannot open the secrets of connector {id}"), &e);
            let why = SourceError::Stopped(
                "its stored secrets cannot be read with this server's key".into(),
            );
            return finish(cx, tenant, id, &d, Some(kind.name), Err(why), None).await;
        }
    };
    let http = outbound::client(
        cx.state.config.webhooks.allow_private_targets,
        REQUEST_TIMEOUT,
        &format!(
            "Interlog-Connector/{} ({})",
            env!("CARGO_PKG_VERSION"),
            kind.name
        ),
    );
    let client = VendorClient::new(kind.name, http, RetryPolicy::default());
    let stats = client.stats().clone();
    let mut source = (kind.open)(settings, client);

    let start_from = interlog_model::time::parse_instant(&d.start_from).unwrap_or(started);
    let end = started.checked_sub(SETTLE).unwrap_or(started);
    let lookback = SignedDuration::from_secs(d.lookback_secs as i64);
    let begin = match state
        .cursor_ms
        .and_then(|c| Timestamp::from_millisecond(c).ok())
    {
        None => start_from,
        Some(c) if state.live => c.checked_sub(lookback).unwrap_or(c).max(start_from),
        Some(c) => c.max(start_from),
    };
    let committer = Committer::start(store.clone(), tenant.clone(), kind.name);
    let tally = committer.tally();
    {
        let mut p = progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        p.span = Some(Window {
            from: begin,
            to: end,
        });
        p.cursor = state
            .cursor_ms
            .and_then(|c| Timestamp::from_millisecond(c).ok());
    }

    // The heartbeat: saves the run's progress (and so renews the lease); tells the pass
    // when the lease is lost.
    let (lost_tx, mut lost) = watch::channel(false);
    let _heartbeat = {
        let (cx, tenant, id) = (cx.clone(), tenant.clone(), id.to_owned());
        let (tally, stats, progress) = (tally.clone(), stats.clone(), progress.clone());
        Heartbeat(tokio::spawn(async move {
            let work = LeasedWork::new(&cx, &tenant, STATES, &id, LEASE);
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                let (counts, rejections) = {
                    let mut t = tally
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    (t.counts, std::mem::take(&mut t.rejections))
                };
                let run = current_run(started_ms, counts, &stats);
                let window = progress
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .window
                    .map(|w| (w.from.as_millisecond(), w.to.as_millisecond()));
                let saved = work
                    .save::<RunState>(move |s| {
                        // A window saved since the tally was read holds more: keep it.
                        let behind = s
                            .current
                            .as_ref()
                            .is_some_and(|c| c.counts.fetched > run.counts.fetched);
                        if !behind {
                            s.current = Some(run);
                        }
                        s.window = window;
                        for r in rejections {
                            s.reject(r);
                        }
                    })
                    .await;
                match saved {
                    Ok(_) => {}
                    Err(SaveError::Lost | SaveError::Gone) => {
                        let _ = lost_tx.send(true);
                        return;
                    }
                    Err(SaveError::Store(e)) => cx.failed("cannot save a connector's progress", &e),
                }
            }
        }))
    };

    let mut window_len = state
        .window_secs
        .map(Duration::from_secs)
        .unwrap_or(kind.first_window)
        .clamp(Duration::from_secs(1), kind.max_window);
    let mut from = begin;
    let mut sink = committer.sink();
    let mut run_counts = Counts::default();
    let result: Result<(), SourceError> = loop {
        if from >= end {
            break Ok(());
        }
        let len = SignedDuration::try_from(window_len).unwrap_or(SignedDuration::from_secs(1));
        let to = from.checked_add(len).unwrap_or(end).min(end);
        let window = Window { from, to };
        progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .window = Some(window);
        let read = tokio::select! {
            r = source.read(window, &mut sink) => r,
            _ = lost.changed() => Err(SourceError::Stopped("another instance took the lease".into())),
        };
        let committed = committer.barrier().await;
        let counts = match committed {
            Ok(c) => c,
            Err(e) => {
                cx.failed(&format!("connector {id} cannot store what it read"), &e);
                break Err(SourceError::Stopped(format!(
                    "the store refused a write: {e}"
                )));
            }
        };
        run_counts.add(&counts);
        let read = match read {
            Ok(r) => r,
            Err(e) => {
                // What was committed of the window counts; the cursor stays.
                let _ = save_counts(&work, &counts, &run_counts, None, None).await;
                break Err(e);
            }
        };
        match read {
            Read::Done => {
                if counts.fetched < GROW_BELOW {
                    window_len = (window_len * 2).min(kind.max_window);
                }
                let cursor = to.as_millisecond();
                let saved =
                    save_counts(&work, &counts, &run_counts, Some(cursor), Some(window_len)).await;
                match saved {
                    Ok(()) => {}
                    Err(SaveError::Store(e)) => {
                        cx.failed(&format!("cannot save connector {id}'s cursor"), &e);
                        break Err(SourceError::Stopped(format!(
                            "the cursor could not be saved: {e}"
                        )));
                    }
                    Err(_) => return Outcome::Lost,
                }
                let mut p = progress
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                p.cursor = Some(to);
                p.counts = run_counts;
                p.requests = stats.requests.load(Ordering::Relaxed);
                p.throttled = stats.throttled.load(Ordering::Relaxed);
                drop(p);
                from = to;
            }
            Read::TooLarge => {
                window_len = (window_len / 2).max(Duration::from_secs(1));
                if save_counts(&work, &counts, &run_counts, None, Some(window_len))
                    .await
                    .is_err()
                {
                    return Outcome::Lost;
                }
            }
        }
    };
    drop(_heartbeat);
    let reached = (from >= end).then_some(end);
    finish(
        cx,
        tenant,
        id,
        &d,
        Some(kind.name),
        result.map(|()| reached),
        Some(&stats),
    )
    .await
}

/// Adds a window's counts to the totals, sets the run's counts to what it committed so far
/// (`run`: the heartbeat has saved the run's tally already, so adding to it would count a
/// window twice), and moves the cursor (never back) and the window length when given.
async fn save_counts(
    work: &LeasedWork<'_>,
    counts: &Counts,
    run: &Counts,
    cursor_ms: Option<i64>,
    window: Option<Duration>,
) -> Result<(), SaveError> {
    let (counts, run_counts) = (*counts, *run);
    work.save::<RunState>(move |s| {
        s.totals.add(&counts);
        if let Some(current) = s.current.as_mut() {
            current.counts = run_counts;
        }
        if let Some(c) = cursor_ms {
            s.cursor_ms = Some(s.cursor_ms.map_or(c, |old| old.max(c)));
        }
        if let Some(w) = window {
            s.window_secs = Some(w.as_secs().max(1));
        }
    })
    .await
    .map(|_| ())
}

/// Ends a pass: the run's outcome, the next one's schedule, the metrics. `result` says up
/// to when the pass read, when it reached the end of its span.
async fn finish(
    cx: &Context,
    tenant: &Tenant,
    id: &str,
    d: &Definition,
    kind: Option<&'static str>,
    result: Result<Option<Timestamp>, SourceError>,
    stats: Option<&Arc<RequestStats>>,
) -> Outcome {
    let work = LeasedWork::new(cx, tenant, STATES, id, LEASE);
    let (requests, throttled) = stats.map_or((0, 0), |s| {
        (
            s.requests.load(Ordering::Relaxed),
            s.throttled.load(Ordering::Relaxed),
        )
    });
    let poll = d.poll_interval_secs as i64 * 1000;
    let error = result.as_ref().err().cloned();
    let reached = result.as_ref().ok().copied().flatten();
    let ok = error.is_none();
    if let Some(kind) = kind {
        metrics::counter!(CONNECTOR_RUNS, "kind" => kind, "result" => if ok { "ok" } else { "failed" })
            .increment(1);
    }
    let outcome = match &error {
        None => Outcome::Done,
        Some(e) => {
            tracing::warn!(tenant = %tenant.key, connector = %id, kind = kind.unwrap_or(&d.kind), error = %e, "a connector run failed");
            Outcome::Failed(e.to_string())
        }
    };
    let saved = work
        .save::<RunState>(move |s| {
            let now = now_ms();
            let mut run = s.current.take().unwrap_or_default();
            let started_ms = if run.started_ms > 0 {
                run.started_ms
            } else {
                now
            };
            run.ended_ms = Some(now);
            run.requests = requests;
            run.throttled = throttled;
            run.outcome = Some(if ok { "ok" } else { "failed" }.into());
            s.last_run = Some(run);
            s.window = None;
            match error {
                None => {
                    if reached.is_some() {
                        s.live = true;
                    }
                    s.failures = 0;
                    s.credentials_refused = false;
                    s.limited_until_ms = None;
                    // Runs start every poll interval (not a poll interval after the last
                    // ended), so a long run does not push the next arrival's wait beyond
                    // one interval and the run.
                    s.next_run_ms = (started_ms + poll).max(now);
                }
                Some(e) => {
                    let mut message = e.to_string();
                    if message.len() > MAX_ERROR {
                        message = message.chars().take(MAX_ERROR).collect();
                    }
                    s.last_error = Some((now, message));
                    s.credentials_refused = matches!(e, SourceError::Credentials(_));
                    match e {
                        SourceError::RateLimited { until } => {
                            s.limited_until_ms = Some(until.as_millisecond());
                            s.next_run_ms = until.as_millisecond().max(now + 1000);
                        }
                        _ => {
                            s.failures = s.failures.saturating_add(1);
                            s.next_run_ms =
                                now + retry_after_failures(s.failures).as_millis() as i64;
                        }
                    }
                }
            }
        })
        .await;
    match saved {
        Ok(_) => outcome,
        Err(SaveError::Store(e)) => {
            cx.failed(&format!("cannot save the end of connector {id}'s run"), &e);
            outcome
        }
        Err(_) => Outcome::Lost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_passes_back_off_with_jitter_up_to_the_cap() {
        for n in 1..30 {
            let full = RETRY_FIRST
                .saturating_mul(2u32.saturating_pow((n - 1).min(20)))
                .min(RETRY_CAP);
            let w = retry_after_failures(n);
            assert!(w >= full / 2 && w <= full, "{n}: {w:?}");
        }
    }
}
