//! The single writer: one thread owns the write connection and commits jobs in groups.
//!
//! Jobs queue on a channel. The writer takes every job waiting, runs them in one
//! transaction, commits once, and only then answers them all: a write is acknowledged only
//! after its transaction is durable, and concurrent writers share one fsync.

use crate::changes::Heads;
use interlog_store::{Result, StoreError};
use rusqlite::Connection;
use std::sync::mpsc;

/// Most jobs one transaction takes, so a flood of writes still commits regularly.
const MAX_JOBS_PER_COMMIT: usize = 512;

type Completion = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
/// A queued write: runs on the writer's connection and returns how to answer once the
/// transaction ends, and whether it left the transaction clean.
pub(crate) type Job = Box<dyn FnOnce(&Connection) -> (Completion, Outcome) + Send>;

/// Told, after each commit, the new feed head of every tenant the commit moved.
pub(crate) type Announce = Box<dyn Fn(&[(i64, i64)]) + Send>;

/// Runs the writer loop until every sender is gone; then, for a bulk load, makes
/// everything durable.
pub(crate) fn run(conn: Connection, jobs: mpsc::Receiver<Job>, bulk: bool, announce: Announce) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_JOBS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit(&conn, batch, &announce);
    }
    if bulk {
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
fn commit(conn: &Connection, batch: Vec<Job>, announce: &Announce) {
    let began = std::time::Instant::now();
    metrics::histogram!("interlog_store_group_commit_size").record(batch.len() as f64);
    Heads::reset();
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Dropping the jobs drops their reply channels: callers learn nothing was written.
        tracing::error!(error = %e, "could not begin a write transaction");
        return;
    }
    let mut done = Vec::with_capacity(batch.len());
    let mut broken = false;
    for job in batch {
        let (complete, outcome) = job(conn);
        broken |= outcome == Outcome::Broken;
        done.push(complete);
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
    metrics::histogram!("interlog_store_commit_duration_seconds")
        .record(began.elapsed().as_secs_f64());
    Heads::reset();
    if ended.is_ok() && !heads.is_empty() {
        announce(&heads);
    }
    for complete in done {
        complete(ended.clone());
    }
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
    work: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    reply: tokio::sync::oneshot::Sender<Result<T>>,
) -> Job {
    // Waiting from here until the writer runs the job (or drops it unrun).
    let queued = Queued::new();
    Box::new(move |conn: &Connection| {
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

/// One write in the writer's queue, for the queue-depth gauge.
struct Queued(metrics::Gauge);

impl Queued {
    fn new() -> Self {
        let gauge = metrics::gauge!("interlog_store_write_queue_depth");
        gauge.increment(1.0);
        Queued(gauge)
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}
