//! Bulk ingest streams at once. A stream holds up to two batches of engagements in memory
//! (one being stored while the next is parsed) and keeps the single writer busy for as long
//! as it lasts, so the memory and the write time of bulk ingest grow with the number of
//! streams, not with their length. So:
//!
//! - at most `limit` streams run at once in the whole server, and one tenant holds at most
//!   `limit - 1` of them (at least one), so a tenant's streams always leave one for the
//!   others;
//! - a stream beyond either is refused at once, before its body is read, with
//!   `Retry-After`: 503 when the server's streams are taken, 429 when the tenant's share is.
//!
//! A stream is not queued: a client sending gigabytes cannot usefully wait in line for
//! another's gigabytes, and its body would sit in the socket meanwhile.

use crate::error::{ApiError, ApiResult, ErrorKind};
use interlog_store::Tenant;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a refused stream is told to wait: a batch of engagements takes about a second,
/// a stream many of them.
const RETRY_AFTER_SECS: u64 = 10;

/// The bulk streams running in the server, by tenant.
pub struct BulkStreams {
    limit: usize,
    per_tenant: usize,
    running: Mutex<HashMap<i64, usize>>,
}

/// A running stream's place; given back when dropped.
pub struct BulkStream {
    streams: Arc<BulkStreams>,
    tenant: i64,
}

impl BulkStreams {
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        BulkStreams {
            limit,
            per_tenant: limit.saturating_sub(1).max(1),
            running: Mutex::new(HashMap::new()),
        }
    }

    /// The most streams at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Streams running now.
    pub fn running(&self) -> usize {
        self.lock().values().sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, usize>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a stream of `tenant`, or the refusal to answer at once.
    pub fn begin(self: &Arc<Self>, tenant: &Tenant) -> ApiResult<BulkStream> {
        let mut running = self.lock();
        let total: usize = running.values().sum();
        let own = running.get(&tenant.id).copied().unwrap_or(0);
        if own >= self.per_tenant {
            return Err(refused(
                ErrorKind::TooManyRequests,
                format!(
                    "this tenant already sends {own} bulk ingest streams, as many as one \
                     tenant may at once; retry when one has ended"
                ),
            ));
        }
        if total >= self.limit {
            return Err(refused(
                ErrorKind::Unavailable,
                format!(
                    "the server already takes {total} bulk ingest streams, as many as it \
                     takes at once; retry later"
                ),
            ));
        }
        *running.entry(tenant.id).or_default() += 1;
        Ok(BulkStream {
            streams: self.clone(),
            tenant: tenant.id,
        })
    }
}

impl Drop for BulkStream {
    fn drop(&mut self) {
        let mut running = self.streams.lock();
        if let Some(n) = running.get_mut(&self.tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&self.tenant);
            }
        }
    }
}

fn refused(kind: ErrorKind, detail: String) -> ApiError {
    let mut e = ApiError::new(kind, detail);
    e.retry_after = Some(RETRY_AFTER_SECS);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heavy::tests::tenant;

    #[test]
    fn a_tenant_leaves_a_stream_for_others_and_places_come_back() {
        let streams = Arc::new(BulkStreams::new(3));
        let (a, b) = (tenant(1), tenant(2));
        let a1 = streams.begin(&a).unwrap();
        let _a2 = streams.begin(&a).unwrap();
        let e = streams.begin(&a).err().unwrap();
        assert_eq!(e.kind, ErrorKind::TooManyRequests);
        assert_eq!(e.retry_after, Some(RETRY_AFTER_SECS));
        let _b1 = streams.begin(&b).unwrap();
        let e = streams.begin(&tenant(3)).err().unwrap();
        assert_eq!(e.kind, ErrorKind::Unavailable);
        drop(a1);
        assert!(streams.begin(&tenant(3)).is_ok());
    }
}
