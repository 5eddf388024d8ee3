//! Revoked credentials: a bearer token or session issued to a client or user before it was
//! disabled or deleted is refused, on every instance, within [`HORIZON`] of the revocation
//! reaching the store.
//!
//! Budget: the check runs on every authenticated request, so it must cost next to nothing.
//! Each instance keeps the list of revocations in memory (a map from subject to when it was
//! last revoked) and asks the store for the revocation epoch at most once per [`HORIZON`],
//! reading the list again only when the epoch moved. A request therefore costs one read
//! lock and one map lookup; once per horizon, one request (the first after it) waits for
//! the epoch read while others that arrive meanwhile wait for the same read. The list holds
//! one entry per revoked subject ever (tens of bytes each).

use async_trait::async_trait;
use interlog_store::{Revocation, Store, StoreError};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// The longest a revocation in the store goes unseen by an instance that serves requests.
pub const HORIZON: Duration = Duration::from_secs(1);

/// Where revocations are read from: the store (and, in the benchmark, a list in memory).
#[async_trait]
pub trait RevocationSource: Send + Sync {
    async fn revocation_epoch(&self) -> Result<i64, StoreError>;
    async fn revocations(&self) -> Result<(i64, Vec<Revocation>), StoreError>;
}

#[async_trait]
impl RevocationSource for dyn Store {
    async fn revocation_epoch(&self) -> Result<i64, StoreError> {
        interlog_store::Directory::revocation_epoch(self).await
    }

    async fn revocations(&self) -> Result<(i64, Vec<Revocation>), StoreError> {
        interlog_store::Directory::revocations(self).await
    }
}

/// This instance's copy of the revocations.
#[derive(Default)]
pub struct Revocations {
    current: RwLock<Snapshot>,
    /// Held while the copy is brought up to date, so one request reads the store for all.
    refreshing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Snapshot {
    /// When the epoch was last read; `None` before the first read.
    checked: Option<Instant>,
    epoch: Option<i64>,
    /// When each revoked subject was last revoked (epoch milliseconds).
    revoked_at: HashMap<String, i64>,
}

impl Snapshot {
    fn fresh(&self) -> bool {
        self.checked.is_some_and(|at| at.elapsed() < HORIZON)
    }

    fn refuses(&self, subject: &str, issued_at_ms: i64) -> bool {
        self.revoked_at
            .get(subject)
            .is_some_and(|revoked| issued_at_ms <= *revoked)
    }
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Whether the credential is refused.
    pub revoked: bool,
    /// Whether the list changed since the last check (callers drop what they cached about
    /// tenants, which may have been deleted).
    pub changed: bool,
}

impl Revocations {
    /// Whether what was issued to `subject` at `issued_at_ms` (epoch milliseconds) is
    /// revoked, as of at most [`HORIZON`] ago.
    pub async fn check(
        &self,
        store: &(impl RevocationSource + ?Sized),
        subject: &str,
        issued_at_ms: i64,
    ) -> Result<Checked, StoreError> {
        {
            let s = self.current.read().expect("revocations lock");
            if s.fresh() {
                return Ok(Checked {
                    revoked: s.refuses(subject, issued_at_ms),
                    changed: false,
                });
            }
        }
        let _one = self.refreshing.lock().await;
        let changed = if self.current.read().expect("revocations lock").fresh() {
            // Another request brought it up to date while this one waited.
            false
        } else {
            self.refresh(store).await?
        };
        let s = self.current.read().expect("revocations lock");
        Ok(Checked {
            revoked: s.refuses(subject, issued_at_ms),
            changed,
        })
    }

    /// Reads the epoch, and the list when the epoch moved; whether it did.
    async fn refresh(&self, store: &(impl RevocationSource + ?Sized)) -> Result<bool, StoreError> {
        let started = Instant::now();
        let epoch = store.revocation_epoch().await?;
        let known = self.current.read().expect("revocations lock").epoch;
        if known == Some(epoch) {
            self.current.write().expect("revocations lock").checked = Some(started);
            return Ok(false);
        }
        let (epoch, list) = store.revocations().await?;
        let revoked_at = list
            .into_iter()
            .map(|r| (r.subject, r.revoked_at))
            .collect();
        *self.current.write().expect("revocations lock") = Snapshot {
            checked: Some(started),
            epoch: Some(epoch),
            revoked_at,
        };
        Ok(known.is_some())
    }
}
