//! Bounds the work that clients without credentials can make the server do. Checking a
//! secret costs an argon2 hash (tens of milliseconds of CPU and 19 MiB), so:
//!
//! - each source address has a budget of failed verifications (a token bucket: `burst` at
//!   once, refilled at `per_minute`); past it the answer is 429 with `Retry-After`, in the
//!   envelope of the API asked, without hashing. A check is charged before it runs and
//!   refunded when the secret was right, so a genuine client that authenticates on every
//!   request (HTTP Basic) is never limited by its own successes;
//! - at most one hash runs per core, and at most `queue` more wait for a slot; past that
//!   the answer is 503 with `Retry-After` at once, instead of queueing without bound;
//! - one source address never holds every slot: at most one check fewer than there are
//!   cores (at least one) of one source run at once, the others of that source wait their
//!   turn, so a flood from one address leaves a core for everyone else.
//!
//! The source of the request being served is known from [`with_source`], which the app's
//! middleware wraps every request in; a verification outside a request has no source and
//! only the queue bound applies.

use crate::error::{ApiError, ApiResult, ErrorKind};
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

tokio::task_local! {
    static SOURCE: IpAddr;
}

/// Runs `f` as the work of a request from `source`.
pub async fn with_source<F: Future>(source: Option<IpAddr>, f: F) -> F::Output {
    match source {
        Some(ip) => SOURCE.scope(ip, f).await,
        None => f.await,
    }
}

/// The limits (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardLimits {
    pub burst: u32,
    pub per_minute: u32,
    pub queue: usize,
}

impl Default for GuardLimits {
    fn default() -> Self {
        GuardLimits {
            burst: 20,
            per_minute: 60,
            queue: 32,
        }
    }
}

/// Sources remembered at most; the fullest buckets are forgotten first when more come.
const MAX_SOURCES: usize = 100_000;

struct Bucket {
    tokens: f64,
    at: Instant,
    /// The source's own turns at the hashing slots.
    turns: Arc<Semaphore>,
}

pub struct CredentialGuard {
    limits: GuardLimits,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    slots: Semaphore,
    /// Checks one source may have running or waiting.
    per_source: usize,
    waiting: AtomicUsize,
}

impl CredentialGuard {
    pub fn new(limits: GuardLimits) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        CredentialGuard {
            limits,
            buckets: Mutex::new(HashMap::new()),
            slots: Semaphore::new(cores),
            per_source: cores.saturating_sub(1).max(1),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Runs `check` (a secret verification) on a blocking thread, if the request's source
    /// has budget left and a hashing slot comes free without a long queue.
    pub async fn verify(&self, check: impl FnOnce() -> bool + Send + 'static) -> ApiResult<bool> {
        let source = SOURCE.try_with(|ip| *ip).ok();
        let verified = self.verify_from(source, check).await?;
        if let (true, Some(ip)) = (verified, source) {
            self.refund(ip);
        }
        Ok(verified)
    }

    async fn verify_from(
        &self,
        source: Option<IpAddr>,
        check: impl FnOnce() -> bool + Send + 'static,
    ) -> ApiResult<bool> {
        let _turn: Option<OwnedSemaphorePermit> = match source {
            Some(ip) => Some(
                self.spend(ip)?
                    .acquire_owned()
                    .await
                    .map_err(ApiError::internal)?,
            ),
            None => None,
        };
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        if queued >= self.limits.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(queued, "credential checks are queueing; shedding one");
            crate::metrics::credential_check_refused("queue_full");
            let mut e = ApiError::new(
                ErrorKind::Unavailable,
                "too many credential checks are waiting; retry shortly",
            );
            e.retry_after = Some(1);
            return Err(e);
        }
        let slot = self.slots.acquire().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let _slot = slot.map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(check)
            .await
            .map_err(ApiError::internal)
    }

    /// Gives back the check `spend` took: the secret was right.
    fn refund(&self, ip: IpAddr) {
        let burst = f64::from(self.limits.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = buckets.get_mut(&ip) {
            b.tokens = (b.tokens + 1.0).min(burst);
        }
    }

    /// Takes one verification from `ip`'s budget; returns the source's turns, to wait for
    /// one.
    fn spend(&self, ip: IpAddr) -> ApiResult<Arc<Semaphore>> {
        let now = Instant::now();
        let per_sec = f64::from(self.limits.per_minute.max(1)) / 60.0;
        let burst = f64::from(self.limits.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_SOURCES && !buckets.contains_key(&ip) {
            // Forget the sources whose buckets have refilled: they owe nothing.
            buckets
                .retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec < burst);
            if buckets.len() >= MAX_SOURCES {
                buckets.clear();
            }
        }
        let b = buckets.entry(ip).or_insert_with(|| Bucket {
            tokens: burst,
            at: now,
            turns: Arc::new(Semaphore::new(self.per_source)),
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Ok(b.turns.clone());
        }
        let wait = ((1.0 - b.tokens) / per_sec).ceil().max(1.0) as u64;
        drop(buckets);
        tracing::info!(source = %ip, "credential checks from one source over their budget");
        crate::metrics::credential_check_refused("over_budget");
        let mut e = ApiError::new(
            ErrorKind::TooManyRequests,
            "too many credential checks from this address; retry later",
        );
        e.retry_after = Some(wait);
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_source_gets_its_burst_then_waits_and_others_are_not_affected() {
        let g = CredentialGuard::new(GuardLimits {
            burst: 2,
            per_minute: 6,
            queue: 8,
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..5 {
            assert!(
                with_source(Some(a), g.verify(|| true)).await.unwrap(),
                "a right secret costs nothing from the budget"
            );
        }
        for _ in 0..2 {
            assert!(!with_source(Some(a), g.verify(|| false)).await.unwrap());
        }
        let e = with_source(Some(a), g.verify(|| true)).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooManyRequests);
        assert_eq!(e.retry_after, Some(10), "6 a minute: one every 10 s");
        assert!(with_source(Some(b), g.verify(|| true)).await.unwrap());
        assert!(
            g.verify(|| false).await.is_ok(),
            "no source: only the queue applies"
        );
    }
}
