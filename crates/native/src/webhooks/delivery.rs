//! Delivers every webhook's events, following its tenant's change feed: the `webhooks`
//! worker of the background runtime.
//!
//! Every few seconds the worker looks for webhooks; for each it keeps a task that, while
//! it holds the webhook's lease (in the webhook's delivery state, so one instance delivers
//! each webhook at a time), reads the feed after the webhook's cursor and POSTs each wanted
//! event in order. The cursor moves only past events the receiver acknowledged (2xx), and
//! is saved after each batch, so a crash re-sends at most one batch: delivery is at least
//! once, in feed order. A failing event is retried with exponential backoff and jitter;
//! after failing for the configured period the webhook is disabled, visibly. New commits
//! wake the task at once. Events that are not feed changes wait in the state's outbox
//! ([`super::events`]) and go first, under the same rules; queuing one wakes the task too.

use super::events::EVENTS_TOPIC;
use super::metrics::Outcome;
use super::{
    definition, signature, Attempt, Definition, DeliveryState, Failing, DELETED, UPSERTED,
};
use interlog_http::background::lease::{Claim, LeasedWork, SaveError};
use interlog_http::background::{per_setting, Context, Worker};
use interlog_http::listing::parse_filter;
use interlog_http::outbound::refused_literal;
use interlog_model::Engagement;
use interlog_store::{Change, ChangeKind, Filter, Tenant, CHANGES_TOPIC};
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events read from the feed per batch; the cursor is saved after each (a write that
/// queues behind whatever else is being written, so batches are large).
const BATCH: u32 = 500;
/// How long a lease lasts; it is renewed with every batch.
const LEASE: Duration = Duration::from_secs(10);
/// How often the worker looks for new webhooks.
const SCAN: Duration = Duration::from_secs(2);
/// How long a caught-up task waits for a commit before looking again anyway.
const IDLE_POLL: Duration = Duration::from_secs(5);

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The worker that delivers webhooks.
pub fn worker() -> Worker {
    Worker::new("webhooks", run)
}

/// Runs until the runtime stops.
async fn run(cx: Context) {
    let settings = cx.state.config.webhooks.clone();
    let client = super::target::client(
        settings.allow_private_targets,
        settings.timeout,
        concat!("Interlog-Webhooks/", env!("CARGO_PKG_VERSION")),
    );
    let delivery = Arc::new(Delivery { cx, client });
    let cx = delivery.cx.clone();
    per_setting(&cx, super::DEFINITIONS, SCAN, |tenant, id| {
        deliver(delivery.clone(), tenant, id)
    })
    .await;
}

struct Delivery {
    cx: Context,
    client: reqwest::Client,
}

impl Delivery {
    /// The webhook `id` of `tenant`, as leased work.
    fn work<'a>(&'a self, tenant: &'a Tenant, id: &'a str) -> LeasedWork<'a> {
        LeasedWork::new(&self.cx, tenant, super::STATES, id, LEASE)
    }
}

/// Why a task could not take its turn.
enum Turn {
    Go(DeliveryState),
    Wait(Duration),
    Gone,
}

async fn claim(d: &Delivery, tenant: &Tenant, id: &str) -> Turn {
    match d.work(tenant, id).claim::<DeliveryState>().await {
        Claim::Go(s) => Turn::Go(s),
        Claim::Held => Turn::Wait(LEASE / 2),
        Claim::Paused => Turn::Wait(Duration::from_secs(30)),
        Claim::Gone => Turn::Gone,
        Claim::Failed(e) => {
            d.cx.failed(&format!("cannot claim webhook {id}"), &e);
            Turn::Wait(Duration::from_secs(5))
        }
    }
}

/// Delivers one webhook's events until it is deleted or the runtime stops.
async fn deliver(d: Arc<Delivery>, tenant: Arc<Tenant>, id: String) {
    let store = d.cx.state.store.clone();
    let mut commits = store.subscribe(&tenant, CHANGES_TOPIC).await.ok();
    let mut queued = store.subscribe(&tenant, EVENTS_TOPIC).await.ok();
    let mut definition_cache: Option<(Definition, Option<Filter>)> = None;
    let mut held: Option<DeliveryState> = None;
    loop {
        if d.cx.is_stopping() {
            break;
        }
        // The state saved by the last batch renewed the lease; while most of it is left,
        // the next batch goes on from it without another write to claim the lease.
        let turn = match held.take() {
            Some(s) if d.work(&tenant, &id).holds(&s) => Turn::Go(s),
            _ => claim(&d, &tenant, &id).await,
        };
        let pause = match turn {
            Turn::Gone => return,
            Turn::Wait(w) => w,
            Turn::Go(state) => {
                if definition_cache.is_none() {
                    match definition(store.as_ref(), &tenant, &id).await {
                        Ok(Some(def)) => {
                            let filter = def.filter.as_deref().and_then(|f| parse_filter(f).ok());
                            definition_cache = Some((def, filter));
                        }
                        Ok(None) => return,
                        Err(e) => d.cx.failed(&format!("cannot read webhook {id}"), &e),
                    }
                }
                match &definition_cache {
                    None => Duration::from_secs(5),
                    Some((def, filter)) => {
                        let (outcome, saved) =
                            round(&d, &tenant, &id, def, filter.as_ref(), state).await;
                        held = saved;
                        match outcome {
                            Round::Again => Duration::ZERO,
                            Round::Idle => {
                                tokio::select! {
                                    _ = next(&mut commits) => {}
                                    _ = next(&mut queued) => {
                                        // The outbox changed under the state held: read it
                                        // again (with the claim).
                                        held = None;
                                    }
                                    _ = tokio::time::sleep(IDLE_POLL) => {}
                                    _ = d.cx.stopping() => {}
                                }
                                Duration::ZERO
                            }
                            Round::Retry(w) => w,
                            Round::Gone => return,
                        }
                    }
                }
            }
        };
        if !pause.is_zero() {
            d.cx.pause(pause).await;
        }
    }
    // Hand the webhook to another instance at once.
    d.work(&tenant, &id).release::<DeliveryState>().await;
}

/// The attempts of a round, and how the last one went.
#[derive(Default)]
struct Attempts {
    attempts: Vec<Attempt>,
    failed: bool,
    /// Standard Webhooks: 410 Gone asks the sender to stop for good.
    gone: bool,
}

impl Attempts {
    /// Records `attempt`; whether it was delivered (the round goes on).
    fn record(&mut self, attempt: Attempt) -> bool {
        let ok = attempt.result == "delivered";
        self.gone = attempt.status == Some(410);
        self.failed = !ok;
        self.attempts.push(attempt);
        ok
    }
}

/// The next notification of a subscription (never, without one).
async fn next(sub: &mut Option<interlog_store::Subscription>) {
    match sub.as_mut() {
        Some(sub) => {
            let _ = sub.next().await;
        }
        None => std::future::pending::<()>().await,
    }
}

enum Round {
    /// More may be waiting.
    Again,
    /// Caught up: wait for a commit.
    Idle,
    /// The next event failed; try again after this.
    Retry(Duration),
    Gone,
}

/// One batch: deliver what follows the cursor, then save where it got to.
async fn round(
    d: &Delivery,
    tenant: &Tenant,
    id: &str,
    def: &Definition,
    filter: Option<&Filter>,
    state: DeliveryState,
) -> (Round, Option<DeliveryState>) {
    let now = now_ms();
    if let Some(f) = &state.failing {
        if f.next_at_ms > now {
            let wait = Duration::from_millis((f.next_at_ms - now) as u64).min(LEASE / 2);
            return (Round::Retry(wait), None);
        }
    }
    let started = Instant::now();
    let mut outcome = Attempts::default();
    // The outbox first: events queued since the last round.
    let mut sent_events = Vec::new();
    for event in &state.outbox {
        let at = event.at.parse().unwrap_or_else(|_| jiff::Timestamp::now());
        let attempt = send(
            d,
            def,
            &event.message_id,
            event.position,
            at,
            event.body.clone(),
        )
        .await;
        if !outcome.record(attempt) {
            break;
        }
        sent_events.push(event.message_id.clone());
    }
    let mut through = state.cursor;
    let mut more = !sent_events.is_empty();
    if !outcome.failed {
        let page = match d.cx.state.store.changes(tenant, state.cursor, BATCH).await {
            Ok(p) => p,
            Err(e) => {
                d.cx.failed(&format!("webhook {id} cannot read the change feed"), &e);
                return (Round::Retry(Duration::from_secs(5)), None);
            }
        };
        if page.changes.is_empty() && sent_events.is_empty() {
            return (Round::Idle, Some(state));
        }
        more |= page.changes.len() as u32 == BATCH;
        // Names in the filter stand for the ids they name now, read after the changes so
        // that an engagement's own names (written with it) are among them.
        let filter = match filter {
            Some(f) => {
                match interlog_http::names::resolve(d.cx.state.store.as_ref(), tenant, f).await {
                    Ok(f) => Some(f),
                    Err(e) => {
                        let why = format!("webhook {id} cannot resolve its filter's names");
                        match &e.cause {
                            Some(cause) => d.cx.failed(&why, cause.as_ref()),
                            None => tracing::warn!(webhook = %id, error = %e.detail, "{why}"),
                        }
                        return (Round::Retry(Duration::from_secs(5)), None);
                    }
                }
            }
            None => None,
        };
        for change in &page.changes {
            if !wanted(def, filter.as_ref(), tenant, change) {
                through = change.position;
                continue;
            }
            let attempt = send(
                d,
                def,
                &format!("msg_{id}_{}", change.position),
                change.position,
                change.at,
                payload(change),
            )
            .await;
            if !outcome.record(attempt) {
                break;
            }
            through = change.position;
            if started.elapsed() > LEASE / 3 {
                break;
            }
        }
        more |= through < page.changes.last().map_or(0, |c| c.position);
    }
    let Attempts {
        attempts,
        failed,
        gone,
    } = outcome;
    let settings = d.cx.state.config.webhooks.clone();
    let saved = d
        .work(tenant, id)
        .save::<DeliveryState>(move |s| {
            s.cursor = s.cursor.max(through);
            s.outbox.retain(|q| !sent_events.contains(&q.message_id));
            for a in attempts {
                s.record(a);
            }
            let now = now_ms();
            if gone {
                s.failing = None;
                s.disabled = Some((
                    jiff::Timestamp::now().to_string(),
                    "the receiver answered 410 Gone".into(),
                ));
                s.lease = None;
                return;
            }
            if !failed {
                s.failing = None;
                return;
            }
            let f = s.failing.get_or_insert(Failing {
                since_ms: now,
                attempts: 0,
                next_at_ms: now,
            });
            f.attempts += 1;
            let backoff = settings
                .retry_base
                .saturating_mul(2u32.saturating_pow(f.attempts.saturating_sub(1).min(20)))
                .min(settings.retry_cap);
            // Full jitter on the upper half, so retries of many webhooks spread out.
            let jitter = rand::thread_rng().gen_range(0.5..=1.0);
            f.next_at_ms = now + (backoff.as_millis() as f64 * jitter) as i64;
            if now - f.since_ms > settings.give_up_after.as_millis() as i64 {
                let last = s
                    .recent
                    .last()
                    .and_then(|a| a.error.clone())
                    .unwrap_or_default();
                s.disabled = Some((
                    jiff::Timestamp::now().to_string(),
                    format!(
                        "deliveries failed for {} attempts since {}: {last}",
                        f.attempts,
                        jiff::Timestamp::from_millisecond(f.since_ms)
                            .map(|t| t.to_string())
                            .unwrap_or_default()
                    ),
                ));
                s.lease = None;
            }
        })
        .await;
    match saved {
        Ok(s) if s.disabled.is_some() => {
            super::metrics::webhook_disabled();
            tracing::warn!(tenant = %tenant.key, webhook = %id, reason = %s.disabled.as_ref().map_or("", |d| d.1.as_str()), "webhook disabled");
            (Round::Retry(Duration::from_secs(30)), None)
        }
        Ok(s) => {
            let next = match &s.failing {
                Some(f) => Round::Retry(Duration::from_millis(
                    (f.next_at_ms - now_ms()).max(0) as u64
                )),
                None if more => Round::Again,
                None => Round::Idle,
            };
            (next, Some(s))
        }
        Err(SaveError::Gone) => (Round::Gone, None),
        Err(e) => {
            // The lease passed to another instance (or the store failed): what was sent
            // is sent again by whoever delivers next — at least once.
            tracing::warn!(webhook = %id, error = %e, "cannot save a webhook's progress");
            (Round::Retry(Duration::from_secs(1)), None)
        }
    }
}

fn wanted(def: &Definition, filter: Option<&Filter>, tenant: &Tenant, change: &Change) -> bool {
    match &change.kind {
        ChangeKind::Delete(_) => def.events.iter().any(|e| e == DELETED),
        ChangeKind::Upsert(stored) => {
            def.events.iter().any(|e| e == UPSERTED)
                && filter.is_none_or(|f| {
                    serde_json::from_str::<Engagement>(&stored.json).is_ok_and(|e| {
                        interlog_store::matching::matches(f, &e, tenant.country_code.as_deref())
                    })
                })
        }
    }
}

/// The event's body: `{"type","timestamp","data":{"id","position","engagement"|"reason"}}`.
pub fn payload(change: &Change) -> String {
    let mut out = String::with_capacity(match &change.kind {
        ChangeKind::Upsert(s) => s.json.len() + 160,
        ChangeKind::Delete(_) => 160,
    });
    out.push_str("{\"type\":\"");
    out.push_str(match change.kind {
        ChangeKind::Upsert(_) => UPSERTED,
        ChangeKind::Delete(_) => DELETED,
    });
    out.push_str("\",\"timestamp\":\"");
    out.push_str(&change.at.to_string());
    out.push_str("\",\"data\":{\"id\":");
    out.push_str(&serde_json::to_string(&change.id).expect("strings serialize"));
    out.push_str(",\"position\":");
    out.push_str(&change.position.to_string());
    match &change.kind {
        ChangeKind::Upsert(s) => {
            out.push_str(",\"engagement\":");
            out.push_str(&s.json);
        }
        ChangeKind::Delete(reason) => {
            out.push_str(",\"reason\":\"");
            out.push_str(reason.as_str());
            out.push('"');
        }
    }
    out.push_str("}}");
    out
}

/// Sends one event: `body` under `message_id`, for the event at feed `position` that
/// happened `at` (for the delivery lag).
async fn send(
    d: &Delivery,
    def: &Definition,
    message_id: &str,
    position: i64,
    at: jiff::Timestamp,
    body: String,
) -> Attempt {
    let started = Instant::now();
    let allow = d.cx.state.config.webhooks.allow_private_targets;
    let (status, error) = match reqwest::Url::parse(&def.url) {
        Err(_) => (None, Some("the stored URL does not parse".to_owned())),
        Ok(url) => match refused_literal(&url, allow) {
            Some(range) => (
                None,
                Some(format!(
                    "the address is in a special-purpose range ({range})"
                )),
            ),
            None => post(d, url, message_id, def, body).await,
        },
    };
    super::metrics::delivery(
        match (&error, status) {
            (None, _) => Outcome::Delivered,
            (Some(_), Some(_)) => Outcome::Refused,
            (Some(_), None) => Outcome::Unreachable,
        },
        started.elapsed(),
        at,
    );
    Attempt {
        number: 0,
        position,
        message_id: message_id.to_owned(),
        at: jiff::Timestamp::now().to_string(),
        result: if error.is_none() {
            "delivered"
        } else {
            "failed"
        }
        .into(),
        status,
        latency_ms: started.elapsed().as_millis() as u64,
        error,
    }
}

/// POSTs one event; the receiver's status, and why it failed if it did.
async fn post(
    d: &Delivery,
    url: reqwest::Url,
    message_id: &str,
    def: &Definition,
    body: String,
) -> (Option<u16>, Option<String>) {
    let timestamp = jiff::Timestamp::now().as_second();
    let signature = signature::sign(&def.secret, message_id, timestamp, body.as_bytes());
    let sent = d
        .client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(res) if res.status().is_success() => (Some(res.status().as_u16()), None),
        Ok(res) => {
            let status = res.status();
            let size = answer_size(res).await;
            (
                Some(status.as_u16()),
                Some(format!("HTTP {status} ({size})")),
            )
        }
        Err(e) => {
            tracing::debug!(error = %interlog_http::error::error_chain(&e), "webhook delivery failed");
            (None, Some(transport_failure(&e).to_owned()))
        }
    }
}

/// Bytes of an answer counted before giving up counting.
const COUNTED: usize = 64 * 1024;

/// How long a refusal's answer was ("N bytes", or "more than N bytes"); what it said is
/// not kept, since a receiver may echo the engagement (personal data) in it.
async fn answer_size(mut res: reqwest::Response) -> String {
    let mut n = 0;
    while n <= COUNTED {
        match res.chunk().await {
            Ok(Some(c)) => n += c.len(),
            _ => return format!("{n} bytes"),
        }
    }
    format!("more than {COUNTED} bytes")
}

/// A fixed reason for a delivery that got no answer: bounded, and never the URL (which
/// reqwest's own messages repeat).
fn transport_failure(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        return "no answer within the timeout";
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused",
                std::io::ErrorKind::ConnectionReset => "connection reset",
                std::io::ErrorKind::TimedOut => "connection timed out",
                _ => "could not connect",
            };
        }
        if s.to_string().contains(GUARDED) {
            return "the host resolves to no address the server may call";
        }
        source = s.source();
    }
    if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer could not be read"
    } else {
        "the request failed"
    }
}

/// What the guarded resolver says when it drops every address of a name.
const GUARDED: &str = "resolves to no address the server may call";
