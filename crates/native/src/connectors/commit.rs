//! Storing what a source reads. Pages go through a bounded queue to one task that upserts
//! them by id in batches, so the source fetches the next page while the last is written.
//! A record identical to the stored engagement (apart from the `updated_at` the store
//! stamped, for vendors whose records carry none) is not written again: re-reads of the
//! lookback and of overlapping window edges change nothing, not even the change feed. A
//! record whose vendor `updated_at` is older than the stored one is refused by the store's
//! rule and counted unchanged too. The runner asks for a [`Committer::barrier`] after each
//! window, and moves the cursor only once it has answered.

use interlog_http::connector::stored::{Counts, Rejection};
use interlog_http::connector::{Page, Sink, SourceError};
use interlog_http::metrics::CONNECTOR_RECORDS;
use interlog_model::Engagement;
use interlog_store::{Store, StoreError, Tenant, UpsertOutcome};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Records written per store transaction (at most; fewer when pages arrive slowly).
pub const BATCH: usize = 1_000;
/// Pages waiting for the writer before the source waits.
const QUEUE: usize = 16;

enum Msg {
    Page(Page),
    Barrier(oneshot::Sender<Result<Counts, StoreError>>),
}

/// What has been settled since the run began.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub counts: Counts,
    /// Rejected records not yet saved to the state.
    pub rejections: Vec<Rejection>,
}

/// The writer of one run.
pub struct Committer {
    tx: mpsc::Sender<Msg>,
    failed: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
}

impl Committer {
    /// Starts the writer of a run of a `kind` connector into `tenant`.
    pub fn start(store: Arc<dyn Store>, tenant: Arc<Tenant>, kind: &'static str) -> Committer {
        let (tx, rx) = mpsc::channel(QUEUE);
        let failed = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Mutex::new(Tally::default()));
        tokio::spawn(write(
            store,
            tenant,
            kind,
            rx,
            failed.clone(),
            tally.clone(),
        ));
        Committer { tx, failed, tally }
    }

    /// The sink a source hands its pages to.
    pub fn sink(&self) -> CommitSink {
        CommitSink {
            tx: self.tx.clone(),
            failed: self.failed.clone(),
        }
    }

    /// What has been settled so far in this run.
    pub fn tally(&self) -> Arc<Mutex<Tally>> {
        self.tally.clone()
    }

    /// Returns once everything handed over so far is committed: the counts since the last
    /// barrier, or the store's error.
    pub async fn barrier(&self) -> Result<Counts, StoreError> {
        let (done, answer) = oneshot::channel();
        if self.tx.send(Msg::Barrier(done)).await.is_err() {
            return Err(StoreError::Closed);
        }
        answer.await.unwrap_or(Err(StoreError::Closed))
    }
}

/// A source's end of the queue.
pub struct CommitSink {
    tx: mpsc::Sender<Msg>,
    failed: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl Sink for CommitSink {
    async fn page(&mut self, page: Page) -> Result<(), SourceError> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(SourceError::Stopped("the store refused a write".into()));
        }
        self.tx
            .send(Msg::Page(page))
            .await
            .map_err(|_| SourceError::Stopped("the writer stopped".into()))
    }
}

fn lock(t: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    t.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The writer: batches of queued pages, until every sender is gone.
async fn write(
    store: Arc<dyn Store>,
    tenant: Arc<Tenant>,
    kind: &'static str,
    mut rx: mpsc::Receiver<Msg>,
    failed: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
    let mut since_barrier = Counts::default();
    let mut error: Option<StoreError> = None;
    let answer = |done: oneshot::Sender<Result<Counts, StoreError>>,
                  since: &mut Counts,
                  error: &mut Option<StoreError>| {
        let _ = done.send(match error.take() {
            Some(e) => Err(e),
            None => Ok(std::mem::take(since)),
        });
    };
    while let Some(msg) = rx.recv().await {
        let first = match msg {
            Msg::Barrier(done) => {
                answer(done, &mut since_barrier, &mut error);
                continue;
            }
            Msg::Page(p) => p,
        };
        let mut pages = vec![first];
        let mut records = pages[0].records.len();
        let mut barrier = None;
        while records < BATCH {
            match rx.try_recv() {
                Ok(Msg::Page(p)) => {
                    records += p.records.len();
                    pages.push(p);
                }
                Ok(Msg::Barrier(done)) => {
                    barrier = Some(done);
                    break;
                }
                Err(_) => break,
            }
        }
        if error.is_none() {
            match commit(store.as_ref(), &tenant, pages).await {
                Ok((counts, rejections)) => {
                    count(kind, &counts);
                    since_barrier.add(&counts);
                    let mut t = lock(&tally);
                    t.counts.add(&counts);
                    t.rejections.extend(rejections);
                }
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    error = Some(e);
                }
            }
        }
        if let Some(done) = barrier {
            answer(done, &mut since_barrier, &mut error);
        }
    }
}

fn count(kind: &'static str, c: &Counts) {
    for (result, n) in [
        ("fetched", c.fetched),
        ("created", c.created),
        ("updated", c.updated),
        ("unchanged", c.unchanged),
        ("rejected", c.rejected),
    ] {
        if n > 0 {
            metrics::counter!(CONNECTOR_RECORDS, "kind" => kind, "result" => result).increment(n);
        }
    }
}

/// Whether `new` says nothing the stored engagement (its JSON) does not: equal, apart
/// from the `updated_at` the store stamped when `new` has none.
fn unchanged(stored: &str, new: &Engagement) -> bool {
    match serde_json::from_str::<Engagement>(stored) {
        Ok(mut old) => {
            if new.updated_at.is_none() {
                old.updated_at = None;
            }
            old == *new
        }
        Err(_) => false,
    }
}

/// Writes one batch of pages: the counts, and the records rejected.
async fn commit(
    store: &dyn Store,
    tenant: &Tenant,
    pages: Vec<Page>,
) -> Result<(Counts, Vec<Rejection>), StoreError> {
    let mut counts = Counts::default();
    let mut rejections = Vec::new();
    let at = jiff::Timestamp::now().to_string();
    // The last reading of an id wins (a record read twice in a batch is one write).
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut batch: Vec<Engagement> = Vec::new();
    for record in pages.into_iter().flat_map(|p| p.records) {
        counts.fetched += 1;
        match record {
            Ok(e) => match by_id.get(&e.id) {
                Some(&i) => {
                    counts.unchanged += 1;
                    batch[i] = e;
                }
                None => {
                    by_id.insert(e.id.clone(), batch.len());
                    batch.push(e);
                }
            },
            Err(r) => {
                counts.rejected += 1;
                // The vendor's strings are bounded before they are kept.
                rejections.push(Rejection {
                    id: r.id.map(|id| id.chars().take(128).collect()),
                    reason: r.reason.chars().take(500).collect(),
                    at: at.clone(),
                });
            }
        }
    }
    if batch.is_empty() {
        return Ok((counts, rejections));
    }
    let ids: Vec<String> = batch.iter().map(|e| e.id.clone()).collect();
    let stored: HashMap<String, String> = store
        .get_many(tenant, &ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s.json))
        .collect();
    let mut writes = Vec::with_capacity(batch.len());
    for e in batch {
        if stored.get(&e.id).is_some_and(|json| unchanged(json, &e)) {
            counts.unchanged += 1;
        } else {
            writes.push(e);
        }
    }
    if !writes.is_empty() {
        for outcome in store.upsert_many(tenant, writes).await? {
            match outcome {
                UpsertOutcome::Created => counts.created += 1,
                UpsertOutcome::Updated => counts.updated += 1,
                UpsertOutcome::Stale => counts.unchanged += 1,
            }
        }
    }
    Ok((counts, rejections))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_unchanged_when_only_the_stamped_update_time_differs() {
        let mut e: Engagement = serde_json::from_value(serde_json::json!({
            "id": "a", "started_at": "2026-01-01T00:00:00Z", "source": "zoom_cc"
        }))
        .unwrap();
        e.normalize();
        let mut stored = e.clone();
        stored.updated_at = Some("2026-01-02T00:00:00Z".parse().unwrap());
        let json = serde_json::to_string(&stored).unwrap();
        assert!(unchanged(&json, &e));
        let mut changed = e.clone();
        changed.subject = Some("new".into());
        assert!(!unchanged(&json, &changed));
        // A vendor that says when it changed is compared with it.
        let mut dated = e.clone();
        dated.updated_at = Some("2026-01-03T00:00:00Z".parse().unwrap());
        assert!(!unchanged(&json, &dated));
        assert!(!unchanged("not json", &e));
    }
}
