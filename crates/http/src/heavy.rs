//! Heavy work takes turns. One exact total over a broad filter, a page of 1,000, a read of
//! the change feed or an export costs a hundred to a thousand times what a page of ten
//! does; a few of them at once used to take every core and hundreds of megabytes, and every
//! tenant's cheapest requests waited behind them. So:
//!
//! - at most `slots` heavy requests run at once in the whole server, and one tenant holds
//!   at most `slots - 1` of them (at least one), so a tenant's burst always leaves a turn
//!   for the others;
//! - the others wait in their tenant's queue, at most `queue` a tenant; when a turn comes
//!   free it goes to the next tenant in turn (round robin between the tenants that wait),
//!   not to whoever asked first, so a tenant with a long queue does not delay another's
//!   single request by more than one turn;
//! - a request that finds its tenant's queue full, or waits longer than `wait`, is
//!   answered 429 with `Retry-After` (in the envelope of the API it called) at once;
//! - a turn is held until the response has been written ([`HeavyTurn::hold`]), so the
//!   memory of large responses is bounded by the number of turns, not by the number of
//!   clients.
//!
//! Cheap requests never take a turn: they never wait here, and the stores serve them from
//! connections of their own (see `interlog_store::Lane`).
//!
//! A handler declares its work heavy by taking a turn before it starts it, naming the
//! tenant it works for (after authentication, so that no anonymous request can fill a
//! tenant's queue):
//!
//! ```ignore
//! let turn = state.heavy.turn(&caller.tenant).await?;
//! let rows = state.store.analytics(&caller.tenant, &range).await?;
//! Ok(turn.hold(render(rows)))
//! ```
//!
//! A listing is heavy or not by its query ([`interlog_store::Query::lane`]):
//!
//! ```ignore
//! let turn = state.heavy.turn_for(query.lane(), &caller.tenant).await?;
//! let page = state.store.list(&caller.tenant, &query).await?;
//! Ok(heavy::hold(turn, render(page)))
//! ```

use crate::error::{ApiError, ApiResult, ErrorKind};
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use interlog_store::{Lane, Tenant};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The bounds on heavy work (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeavyLimits {
    /// Heavy requests running at once, all tenants together.
    pub slots: usize,
    /// Heavy requests one tenant may have waiting.
    pub queue: usize,
    /// Longest wait for a turn.
    pub wait: Duration,
}

impl Default for HeavyLimits {
    /// One turn per core (at least two), eight waiting a tenant, ten seconds' wait.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HeavyLimits {
            slots: cores.max(2),
            queue: 8,
            wait: Duration::from_secs(10),
        }
    }
}

/// What counts as heavy in a listing: a page of more than this many items, or a total.
pub const HEAVY_PAGE: u32 = interlog_store::CHEAP_PAGE;

/// The turns of heavy work of the whole server.
pub struct HeavyWork {
    limits: HeavyLimits,
    /// Turns one tenant may hold at once.
    per_tenant: usize,
    lines: Mutex<Lines>,
}

#[derive(Default)]
struct Lines {
    running: usize,
    by_tenant: HashMap<i64, Line>,
    /// Tenants with someone waiting, in the order their next turn comes.
    ring: VecDeque<i64>,
    next_ticket: u64,
    /// How long turns have lasted lately (an exponential average, in seconds), for
    /// `Retry-After`.
    typical_secs: f64,
}

#[derive(Default)]
struct Line {
    running: usize,
    waiting: VecDeque<Waiter>,
}

struct Waiter {
    ticket: u64,
    wake: oneshot::Sender<()>,
}

impl Lines {
    fn line(&mut self, tenant: i64) -> &mut Line {
        self.by_tenant.entry(tenant).or_default()
    }

    /// Hands free turns to waiting tenants in turn.
    fn dispatch(&mut self, slots: usize, per_tenant: usize) {
        let mut passed = 0;
        while self.running < slots && passed < self.ring.len() {
            let Some(tenant) = self.ring.pop_front() else {
                break;
            };
            let line = self.by_tenant.entry(tenant).or_default();
            if line.running >= per_tenant {
                // Its share is taken: it waits for one of its own turns to end.
                self.ring.push_back(tenant);
                passed += 1;
                continue;
            }
            passed = 0;
            let mut given = false;
            while let Some(w) = line.waiting.pop_front() {
                if w.wake.send(()).is_ok() {
                    given = true;
                    break;
                }
                // That client went away while it waited.
            }
            if given {
                line.running += 1;
                self.running += 1;
            }
            if !line.waiting.is_empty() {
                self.ring.push_back(tenant);
            }
            self.forget_if_idle(tenant);
        }
        metrics::gauge!(crate::metrics::HEAVY_RUNNING).set(self.running as f64);
    }

    fn forget_if_idle(&mut self, tenant: i64) {
        if self
            .by_tenant
            .get(&tenant)
            .is_some_and(|l| l.running == 0 && l.waiting.is_empty())
        {
            self.by_tenant.remove(&tenant);
        }
    }

    fn waiting(&self) -> usize {
        self.by_tenant.values().map(|l| l.waiting.len()).sum()
    }
}

impl HeavyWork {
    pub fn new(limits: HeavyLimits) -> Self {
        let slots = limits.slots.max(1);
        HeavyWork {
            limits: HeavyLimits { slots, ..limits },
            per_tenant: slots.saturating_sub(1).max(1),
            lines: Mutex::new(Lines {
                typical_secs: 0.5,
                ..Lines::default()
            }),
        }
    }

    pub fn limits(&self) -> HeavyLimits {
        self.limits
    }

    /// Heavy requests running now.
    pub fn running(&self) -> usize {
        self.lock().running
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lines> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A turn for heavy work of `tenant`: at once when one is free and nobody waits, else
    /// after the tenant's turn comes; 429 when the tenant's queue is full or the wait is
    /// over.
    pub async fn turn(self: &Arc<Self>, tenant: &Tenant) -> ApiResult<HeavyTurn> {
        let id = tenant.id;
        let (ticket, woken) = {
            let mut lines = self.lock();
            let free = lines.running < self.limits.slots;
            let line = lines.line(id);
            if free && line.running < self.per_tenant && line.waiting.is_empty() {
                line.running += 1;
                lines.running += 1;
                metrics::gauge!(crate::metrics::HEAVY_RUNNING).set(lines.running as f64);
                return Ok(self.granted(id));
            }
            if line.waiting.len() >= self.limits.queue {
                let retry = retry_after(&lines, self.limits.queue, self.per_tenant);
                lines.forget_if_idle(id);
                drop(lines);
                return Err(refused(
                    "queue_full",
                    format!(
                        "this tenant already has {} heavy requests waiting (exact totals, \
                         pages of more than {HEAVY_PAGE}, change feed reads, exports); \
                         retry later",
                        self.limits.queue
                    ),
                    retry,
                ));
            }
            let ticket = lines.next_ticket;
            lines.next_ticket += 1;
            let (wake, woken) = oneshot::channel();
            lines.line(id).waiting.push_back(Waiter { ticket, wake });
            if !lines.ring.contains(&id) {
                lines.ring.push_back(id);
            }
            // A turn may be free that this tenant's share kept from it: others may take it.
            lines.dispatch(self.limits.slots, self.per_tenant);
            metrics::gauge!(crate::metrics::HEAVY_WAITING).set(lines.waiting() as f64);
            (ticket, woken)
        };
        let mut waiting = Waiting {
            work: self,
            tenant: id,
            ticket,
            woken,
            done: false,
        };
        match tokio::time::timeout(self.limits.wait, &mut waiting.woken).await {
            Ok(Ok(())) => {
                waiting.done = true;
                Ok(self.granted(id))
            }
            // Timed out (or, never, the sender dropped): give up the place in the queue.
            _ => {
                if waiting.leave() {
                    // The turn came just as the wait ended: take it after all.
                    return Ok(self.granted(id));
                }
                let retry = retry_after(&self.lock(), self.limits.queue, self.per_tenant);
                Err(refused(
                    "wait_timeout",
                    format!(
                        "no turn for heavy work came free within {} s; retry later",
                        self.limits.wait.as_secs()
                    ),
                    retry,
                ))
            }
        }
    }

    /// A turn when the work is on the heavy lane (a listing's [`interlog_store::Query::lane`]);
    /// none for cheap work.
    pub async fn turn_for(
        self: &Arc<Self>,
        lane: Lane,
        tenant: &Tenant,
    ) -> ApiResult<Option<HeavyTurn>> {
        match lane {
            Lane::Heavy => self.turn(tenant).await.map(Some),
            Lane::Cheap => Ok(None),
        }
    }

    fn granted(self: &Arc<Self>, tenant: i64) -> HeavyTurn {
        HeavyTurn {
            work: self.clone(),
            tenant,
            started: Instant::now(),
        }
    }

    fn release(&self, tenant: i64, lasted: Duration) {
        let mut lines = self.lock();
        lines.running = lines.running.saturating_sub(1);
        if let Some(line) = lines.by_tenant.get_mut(&tenant) {
            line.running = line.running.saturating_sub(1);
        }
        lines.typical_secs = 0.8 * lines.typical_secs + 0.2 * lasted.as_secs_f64();
        lines.forget_if_idle(tenant);
        lines.dispatch(self.limits.slots, self.per_tenant);
        metrics::gauge!(crate::metrics::HEAVY_WAITING).set(lines.waiting() as f64);
    }
}

/// A place in a tenant's queue, given up when the request stops waiting.
struct Waiting<'a> {
    work: &'a HeavyWork,
    tenant: i64,
    ticket: u64,
    /// Told when the turn is handed over.
    woken: oneshot::Receiver<()>,
    done: bool,
}

impl Waiting<'_> {
    /// Leaves the queue; true when the turn had been handed over meanwhile (it is then
    /// the caller's).
    fn leave(&mut self) -> bool {
        self.done = true;
        let mut lines = self.work.lock();
        if let Some(line) = lines.by_tenant.get_mut(&self.tenant) {
            line.waiting.retain(|w| w.ticket != self.ticket);
            if line.waiting.is_empty() {
                let tenant = self.tenant;
                lines.ring.retain(|t| *t != tenant);
            }
        }
        lines.forget_if_idle(self.tenant);
        metrics::gauge!(crate::metrics::HEAVY_WAITING).set(lines.waiting() as f64);
        // Handing over happens under the lock, so this cannot change now.
        self.woken.try_recv().is_ok()
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.done && self.leave() {
            // The turn was handed to a request that is gone: pass it on.
            self.work.release(self.tenant, Duration::ZERO);
        }
    }
}

/// Seconds until a turn is likely: the tenant's queue's worth of typical turns.
fn retry_after(lines: &Lines, queue: usize, per_tenant: usize) -> u64 {
    let turns = (queue as f64 + 1.0) / per_tenant as f64;
    (lines.typical_secs * turns).ceil().clamp(1.0, 60.0) as u64
}

fn refused(reason: &'static str, detail: String, retry_after: u64) -> ApiError {
    metrics::counter!(crate::metrics::HEAVY_REFUSED, "reason" => reason).increment(1);
    let mut e = ApiError::new(ErrorKind::TooManyRequests, detail);
    e.retry_after = Some(retry_after);
    e
}

/// A turn at heavy work; given back when dropped.
pub struct HeavyTurn {
    work: Arc<HeavyWork>,
    tenant: i64,
    started: Instant,
}

impl Drop for HeavyTurn {
    fn drop(&mut self) {
        self.work.release(self.tenant, self.started.elapsed());
    }
}

impl HeavyTurn {
    /// The response, holding this turn until its body has been written (or the client
    /// went away), so that a large body counts against the turns while it is in memory.
    pub fn hold(self, response: impl IntoResponse) -> Response {
        use http_body_util::BodyExt;
        let (parts, body) = response.into_response().into_parts();
        // The turn lives in the body's frame mapping, so it goes when the body does.
        let body = body.map_frame(move |frame| {
            let _held = &self;
            frame
        });
        Response::from_parts(parts, Body::new(body))
    }
}

/// The response, holding `turn` (if any) until its body has been written.
pub fn hold(turn: Option<HeavyTurn>, response: impl IntoResponse) -> Response {
    match turn {
        Some(turn) => turn.hold(response),
        None => response.into_response(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn tenant(id: i64) -> Tenant {
        Tenant {
            id,
            key: format!("t{id}"),
            name: String::new(),
            time_zone: "UTC".into(),
            country_code: None,
            aliases: Vec::new(),
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    fn work(slots: usize, queue: usize) -> Arc<HeavyWork> {
        Arc::new(HeavyWork::new(HeavyLimits {
            slots,
            queue,
            wait: Duration::from_secs(30),
        }))
    }

    #[tokio::test]
    async fn one_tenant_never_holds_every_turn() {
        let w = work(2, 4);
        let (a, b) = (tenant(1), tenant(2));
        let _a1 = w.turn(&a).await.unwrap();
        // A's second request waits although a turn is free…
        let a2 = tokio::spawn({
            let (w, a) = (w.clone(), a.clone());
            async move { w.turn(&a).await.map(|_| ()) }
        });
        tokio::task::yield_now().await;
        assert!(!a2.is_finished());
        // …and B gets that turn at once.
        let b1 = tokio::time::timeout(Duration::from_secs(1), w.turn(&b)).await;
        assert!(b1.unwrap().is_ok());
        a2.abort();
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_with_retry_after() {
        let w = work(2, 1);
        let a = tenant(1);
        let _running = w.turn(&a).await.unwrap();
        let waiting = tokio::spawn({
            let (w, a) = (w.clone(), a.clone());
            async move { w.turn(&a).await.map(|_| ()) }
        });
        while w.lock().waiting() == 0 {
            tokio::task::yield_now().await;
        }
        let e = w.turn(&a).await.err().expect("the queue is full");
        assert_eq!(e.kind, ErrorKind::TooManyRequests);
        assert!(e.retry_after.is_some_and(|s| s >= 1));
        waiting.abort();
    }

    #[tokio::test]
    async fn turns_go_round_the_tenants_that_wait() {
        let w = work(1, 8);
        let (a, b) = (tenant(1), tenant(2));
        let first = w.turn(&a).await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        // A queues three, then B one: B's comes second, not fourth.
        for (t, name) in [(&a, "a"), (&a, "a"), (&a, "a"), (&b, "b")] {
            let (mine, t, order) = (w.clone(), t.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let turn = mine.turn(&t).await.unwrap();
                order.lock().unwrap().push(name);
                drop(turn);
            }));
            while w.lock().waiting() < tasks.len() {
                tokio::task::yield_now().await;
            }
        }
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["a", "b", "a", "a"]);
    }

    #[tokio::test]
    async fn a_request_that_goes_away_gives_its_place_back() {
        let w = work(1, 1);
        let a = tenant(1);
        let running = w.turn(&a).await.unwrap();
        let gone = tokio::spawn({
            let (w, a) = (w.clone(), a.clone());
            async move { w.turn(&a).await.map(|_| ()) }
        });
        while w.lock().waiting() == 0 {
            tokio::task::yield_now().await;
        }
        gone.abort();
        let _ = gone.await;
        assert_eq!(w.lock().waiting(), 0);
        drop(running);
        let again = tokio::time::timeout(Duration::from_secs(1), w.turn(&a)).await;
        assert!(again.unwrap().is_ok(), "the turn is free again");
    }
}
