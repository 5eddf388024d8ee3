//! The single writer: one thread owns the write connection and commits jobs in groups.
//!
//! Jobs queue on a channel. The writer takes every job waiting, runs them in one
//! transaction, commits once, and only then answers them all: a write is acknowledged only
//! after its transaction is durable, and concurrent writers share one fsync.

use crate::bulk::BulkLoad;
use crate::changes::Heads;
use crate::figures::keys::FigureKeys;
use crate::interner::Interner;
use crate::words;
use interlog_store::names::NameChanges;
use interlog_store::{Result, StoreError};
use rusqlite::Connection;
use std::cell::RefCell;
use std::sync::mpsc;

/// Most jobs one transaction takes, so a flood of writes still commits regularly.
const MAX_JOBS_PER_COMMIT: usize = 512;

type Completion = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
/// A queued write: runs on the writer's connection and returns how to answer once the
/// transaction ends, and whether it left the transaction clean.
pub(crate) type Job = Box<dyn FnOnce(&Tx<'_>) -> (Completion, Outcome) + Send>;

/// What a job works with: the write connection (it derefs to it) inside the open
/// transaction, and the writer's state that lives across transactions.
pub(crate) struct Tx<'a> {
    conn: &'a Connection,
    /// The numbering of search-term values.
    pub(crate) interner: &'a RefCell<Interner>,
    /// The numbering of the values figures are grouped by.
    pub(crate) figure_keys: &'a RefCell<FigureKeys>,
    /// How the transaction's writes change the names table, written before it commits.
    pub(crate) names: &'a RefCell<NameChanges>,
    /// Set for a bulk load: where its search terms go, and how many rows it wrote.
    pub(crate) bulk: Option<&'a BulkLoad>,
    /// Changes to the full-text index, applied last (see [`crate::words`]).
    pub(crate) words: RefCell<words::Pending>,
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

/// Told, after each commit, the new feed head of every tenant the commit moved.
pub(crate) type Announce = Box<dyn Fn(&[(i64, i64)]) + Send>;

/// Runs the writer loop until every sender is gone; then, for a bulk load, builds what it
/// deferred and makes everything durable.
pub(crate) fn run(conn: Connection, jobs: mpsc::Receiver<Job>, bulk: bool, announce: Announce) {
    let interner = RefCell::new(Interner::default());
    let figure_keys = RefCell::new(FigureKeys::default());
    let names = RefCell::new(NameChanges::default());
    let bulk = bulk.then(BulkLoad::default);
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_JOBS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Some(b) = &bulk {
            b.before_commit(&conn);
        }
        let tx = Tx {
            conn: &conn,
            interner: &interner,
            figure_keys: &figure_keys,
            names: &names,
            bulk: bulk.as_ref(),
            words: RefCell::default(),
        };
        let committed = commit(&tx, batch, &announce);
        names.borrow_mut().clear();
        interner.borrow_mut().end(committed);
        figure_keys.borrow_mut().end(committed);
    }
    if let Some(b) = &bulk {
        b.finish(&conn);
        if let Err(e) = crate::schema::checkpoint(&conn) {
            tracing::error!(error = %e, "final checkpoint of a bulk load failed");
        }
    }
}

/// Runs a batch of jobs in one transaction and answers them after it ends.
///
/// Jobs check before they write, so a job refused for a reason of its own (a conflict, a
/// missing engagement, a rejected edit) has written nothing and its neighbours commit. A
/// database error may leave a job half-done: then the whole transaction rolls back and
/// every job in it fails, unacknowledged, for its caller to retry. No per-job savepoints:
/// they cost SQLite statement-journal work on every statement.
/// Returns whether the transaction committed.
fn commit(conn: &Tx<'_>, batch: Vec<Job>, announce: &Announce) -> bool {
    let began = std::time::Instant::now();
    metrics::histogram!(interlog_store::GROUP_COMMIT_SIZE).record(batch.len() as f64);
    Heads::reset();
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Dropping the jobs drops their reply channels: callers learn nothing was written.
        tracing::error!(error = %e, "could not begin a write transaction");
        return false;
    }
    let mut done = Vec::with_capacity(batch.len());
    let mut broken = false;
    for job in batch {
        let (complete, outcome) = job(conn);
        broken |= outcome == Outcome::Broken;
        done.push(complete);
    }
    if !broken && conn.bulk.is_none() {
        // A bulk load keeps every value: its pending entries are not searchable yet.
        if let Err(e) = conn.interner.borrow_mut().prune(conn) {
            tracing::error!(error = %e, "could not remove unused term values");
            broken = true;
        }
    }
    if !broken {
        if let Err(e) = crate::names::flush(conn, &mut conn.names.borrow_mut()) {
            tracing::error!(error = %e, "could not write the names table");
            broken = true;
        }
    }
    if !broken {
        if let Err(e) = conn.interner.borrow_mut().flush(conn) {
            tracing::error!(error = %e, "could not record term value numbers");
            broken = true;
        }
    }
    let heads = if broken {
        Vec::new()
    } else {
        match Heads::flush(conn) {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "could not record the change feed's heads");
                broken = true;
                Vec::new()
            }
        }
    };
    // Last, so that no other statement of the transaction makes FTS5 write its segment.
    if !broken {
        if let Err(e) = words::flush(conn) {
            tracing::error!(error = %e, "could not write the full-text index");
            broken = true;
        }
    }
    let ended = if broken {
        let _ = conn.execute_batch("ROLLBACK");
        Err("a database error rolled the transaction back".to_owned())
    } else {
        conn.execute_batch("COMMIT").map_err(|e| {
            tracing::error!(error = %e, "commit failed");
            let _ = conn.execute_batch("ROLLBACK");
            e.to_string()
        })
    };
    metrics::histogram!(interlog_store::COMMIT_DURATION).record(began.elapsed().as_secs_f64());
    let committed = ended.is_ok();
    Heads::reset();
    if committed && !heads.is_empty() {
        announce(&heads);
    }
    for complete in done {
        complete(ended.clone());
    }
    committed
}

/// How a job's work went, as far as its transaction is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Done, or refused before writing anything.
    Clean,
    /// A database error: the job may have written part of its work.
    Broken,
}

/// Wraps `work` as a job whose result is delivered on `reply` once its transaction ends.
pub(crate) fn job<T: Send + 'static>(
    work: impl FnOnce(&Tx<'_>) -> Result<T> + Send + 'static,
    reply: tokio::sync::oneshot::Sender<Result<T>>,
) -> Job {
    // Waiting from here until the writer runs the job (or drops it unrun).
    let queued = interlog_store::QueuedWrite::new();
    Box::new(move |conn: &Tx<'_>| {
        drop(queued);
        let result = work(conn);
        let outcome = match &result {
            Err(StoreError::Backend { .. }) => Outcome::Broken,
            _ => Outcome::Clean,
        };
        let complete = Box::new(move |ended: std::result::Result<(), String>| {
            let answer = match (result, ended) {
                // A refusal is the answer whether or not the others committed.
                (Err(e), _) if outcome == Outcome::Clean => Err(e),
                (Ok(v), Ok(())) => Ok(v),
                (Err(e), _) => Err(e),
                (Ok(_), Err(e)) => Err(StoreError::backend("commit failed", e)),
            };
            let _ = reply.send(answer);
        }) as Completion;
        (complete, outcome)
    })
}
