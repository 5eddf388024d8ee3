//! Leases: which instance does a piece of work. A lease is kept inside the work's own
//! state, a durable setting of its tenant, so that taking it, renewing it and saving the
//! work's progress are one atomic edit ([`interlog_store::DurableSettings::update_setting`])
//! whichever instance makes it: an instance that lost the lease cannot save over the one
//! that took it. A lease lasts a fixed time and is renewed with every save; an instance that
//! stops hands its leases back at once, one that dies leaves them to run out.

use super::Context;
use crate::metrics::LEASES_TAKEN;
use interlog_store::{EditRejected, Store, StoreError, Tenant};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Who holds a piece of work (an instance's name), until when (epoch milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease(pub String, pub i64);

/// The durable state of leased work.
pub trait Leased: Serialize + DeserializeOwned + Send + 'static {
    fn lease(&self) -> Option<&Lease>;
    fn lease_mut(&mut self) -> &mut Option<Lease>;
    /// Whether the work may not be taken now (e.g. a disabled webhook).
    fn is_paused(&self) -> bool {
        false
    }
    /// The state of work that has none stored yet; `None` when work without state is gone
    /// (e.g. a deleted webhook).
    fn initial() -> Option<Self> {
        None
    }
}

/// How a claim went.
pub enum Claim<S> {
    /// This instance holds the lease; the work's state.
    Go(S),
    /// Another instance holds it.
    Held,
    /// The work is paused.
    Paused,
    /// The work is gone.
    Gone,
    Failed(StoreError),
}

/// Why progress could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("another instance holds the lease")]
    Lost,
    #[error("the work is gone")]
    Gone,
    #[error(transparent)]
    Store(StoreError),
}

// Why an edit refused, inside this module.
const HELD: &str = "held";
const PAUSED: &str = "paused";
const GONE: &str = "gone";

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// One piece of leased work: where its state is kept, and how long a lease lasts.
pub struct LeasedWork<'a> {
    store: &'a dyn Store,
    /// Who takes the lease: an instance's name.
    holder: &'a str,
    /// The worker (for the metrics).
    worker: &'static str,
    tenant: &'a Tenant,
    namespace: &'static str,
    key: &'a str,
    length: Duration,
}

impl<'a> LeasedWork<'a> {
    /// The work whose state is the setting (`namespace`, `key`) of `tenant`, done under
    /// leases of `length` by `cx`'s instance.
    pub fn new(
        cx: &'a Context,
        tenant: &'a Tenant,
        namespace: &'static str,
        key: &'a str,
        length: Duration,
    ) -> Self {
        Self::held_by(
            cx.state.store.as_ref(),
            &cx.instance,
            cx.worker(),
            tenant,
            namespace,
            key,
            length,
        )
    }

    /// The same work done by `holder` outside the background runtime (a request that
    /// starts work any instance may finish, a command of the CLI), counted for `worker`.
    pub fn held_by(
        store: &'a dyn Store,
        holder: &'a str,
        worker: &'static str,
        tenant: &'a Tenant,
        namespace: &'static str,
        key: &'a str,
        length: Duration,
    ) -> Self {
        LeasedWork {
            store,
            holder,
            worker,
            tenant,
            namespace,
            key,
            length,
        }
    }

    fn until(&self, now: i64) -> i64 {
        now.saturating_add(self.length.as_millis() as i64)
    }

    /// Applies `change` to the state atomically; `Err(reason)` refuses it.
    async fn edit<S: Leased>(
        &self,
        change: impl FnOnce(&mut S) -> Result<(), &'static str> + Send + 'static,
    ) -> Result<S, StoreError> {
        let updated =
            self.store
                .update_setting(
                    self.tenant,
                    self.namespace,
                    self.key,
                    Box::new(move |current| {
                        let mut s = match current {
                            Some(text) => serde_json::from_str(text)
                                .map_err(|e| EditRejected(e.to_string()))?,
                            None => S::initial().ok_or_else(|| EditRejected(GONE.into()))?,
                        };
                        change(&mut s).map_err(|r| EditRejected(r.into()))?;
                        Ok(Some(serde_json::to_string(&s).expect("states serialize")))
                    }),
                )
                .await?;
        let text = updated.ok_or_else(|| StoreError::Rejected(EditRejected(GONE.into())))?;
        serde_json::from_str(&text).map_err(|e| StoreError::backend("stored work state", e))
    }

    /// Takes the lease (or renews this instance's), unless another instance holds it or
    /// the work is paused or gone.
    pub async fn claim<S: Leased>(&self) -> Claim<S> {
        let me = self.holder.to_owned();
        let now = now_ms();
        let until = self.until(now);
        // Whether the claim takes a lease this instance did not hold (for the metrics).
        let taken = Arc::new(AtomicBool::new(false));
        let newly = taken.clone();
        let claimed = self
            .edit::<S>(move |s| {
                if s.is_paused() {
                    return Err(PAUSED);
                }
                match s.lease() {
                    Some(Lease(owner, expires)) if *owner != me && *expires > now => {
                        return Err(HELD)
                    }
                    Some(Lease(owner, _)) if *owner == me => {}
                    _ => newly.store(true, Ordering::Relaxed),
                }
                *s.lease_mut() = Some(Lease(me, until));
                Ok(())
            })
            .await;
        match claimed {
            Ok(s) => {
                if taken.load(Ordering::Relaxed) {
                    metrics::counter!(LEASES_TAKEN, "worker" => self.worker).increment(1);
                }
                Claim::Go(s)
            }
            Err(StoreError::Rejected(r)) if r.0 == HELD => Claim::Held,
            Err(StoreError::Rejected(r)) if r.0 == PAUSED => Claim::Paused,
            Err(StoreError::Rejected(r)) if r.0 == GONE => Claim::Gone,
            Err(e) => Claim::Failed(e),
        }
    }

    /// Applies `change` while this instance holds the lease, and renews the lease unless
    /// `change` gave it up (set it to `None`).
    pub async fn save<S: Leased>(
        &self,
        change: impl FnOnce(&mut S) + Send + 'static,
    ) -> Result<S, SaveError> {
        let me = self.holder.to_owned();
        let length = self.length;
        let saved = self
            .edit::<S>(move |s| {
                if s.lease().is_none_or(|Lease(owner, _)| *owner != me) {
                    return Err(HELD);
                }
                change(s);
                if s.lease().is_some() {
                    let until = now_ms().saturating_add(length.as_millis() as i64);
                    *s.lease_mut() = Some(Lease(me, until));
                }
                Ok(())
            })
            .await;
        match saved {
            Ok(s) => Ok(s),
            Err(StoreError::Rejected(r)) if r.0 == HELD => Err(SaveError::Lost),
            Err(StoreError::Rejected(r)) if r.0 == GONE => Err(SaveError::Gone),
            Err(e) => Err(SaveError::Store(e)),
        }
    }

    /// Hands the lease back, if this instance holds it, so another can go on at once.
    pub async fn release<S: Leased>(&self) {
        let me = self.holder.to_owned();
        let _ = self
            .edit::<S>(move |s| {
                if s.lease().is_some_and(|Lease(owner, _)| *owner == me) {
                    *s.lease_mut() = None;
                }
                Ok(())
            })
            .await;
    }

    /// Whether `s`, as this instance last saved it, leaves it the lease for at least half
    /// its length more: the work may go on without claiming it again.
    pub fn holds<S: Leased>(&self, s: &S) -> bool {
        !s.is_paused()
            && s.lease().is_some_and(|Lease(owner, until)| {
                *owner == self.holder && *until - now_ms() > self.length.as_millis() as i64 / 2
            })
    }
}
