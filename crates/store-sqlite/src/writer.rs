//! The single writer: one thread owns the write connection and commits jobs in groups.
//!
//! Jobs queue on a channel. The writer takes every job waiting, runs them in one
//! transaction (each in its own savepoint when there are several), commits once, and only
//! then answers them all: a write is acknowledged only after its transaction is durable,
//! and concurrent writers share one fsync.

use interlog_store::{Result, StoreError};
use rusqlite::Connection;
use std::sync::mpsc;

/// Most jobs one transaction takes, so a flood of writes still commits regularly.
const MAX_JOBS_PER_COMMIT: usize = 512;

type Completion = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
/// A queued write: runs on the writer's connection (in its own savepoint when asked) and
/// returns how to answer once the transaction ends, and whether the work succeeded.
pub(crate) type Job = Box<dyn FnOnce(&Connection, bool) -> (Completion, bool) + Send>;

/// Runs the writer loop until every sender is gone; then, for a bulk load, makes
/// everything durable.
pub(crate) fn run(conn: Connection, jobs: mpsc::Receiver<Job>, bulk: bool) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_JOBS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit(&conn, batch);
    }
    if bulk {
        if let Err(e) = crate::schema::checkpoint(&conn) {
            tracing::error!(error = %e, "final checkpoint of a bulk load failed");
        }
    }
}

/// Runs a batch of jobs in one transaction and answers them after the commit.
fn commit(conn: &Connection, batch: Vec<Job>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Dropping the jobs drops their reply channels: callers learn nothing was written.
        tracing::error!(error = %e, "could not begin a write transaction");
        return;
    }
    // A savepoint per job keeps a failing job from undoing its neighbours, but costs SQLite
    // statement-journal work on every statement; a lone job needs no such isolation, as
    // rolling back the transaction undoes only it.
    let isolate = batch.len() > 1;
    let mut done = Vec::with_capacity(batch.len());
    let mut failed_alone = false;
    for job in batch {
        let (complete, ok) = job(conn, isolate);
        failed_alone |= !isolate && !ok;
        done.push(complete);
    }
    let committed = if failed_alone {
        conn.execute_batch("ROLLBACK").map_err(|e| e.to_string())
    } else {
        conn.execute_batch("COMMIT").map_err(|e| {
            tracing::error!(error = %e, "commit failed");
            let _ = conn.execute_batch("ROLLBACK");
            e.to_string()
        })
    };
    for complete in done {
        complete(committed.clone());
    }
}

/// Wraps `work` as a job whose result is delivered on `reply` once its transaction commits.
/// `work` runs inside a savepoint, so a failing job rolls back alone.
pub(crate) fn job<T: Send + 'static>(
    work: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    reply: tokio::sync::oneshot::Sender<Result<T>>,
) -> Job {
    Box::new(move |conn: &Connection, isolate: bool| {
        let result = if isolate {
            in_savepoint(conn, work)
        } else {
            work(conn)
        };
        let ok = result.is_ok();
        let complete = Box::new(move |ended: std::result::Result<(), String>| {
            // A failed job's own error is the answer, whether or not the transaction it was
            // in committed.
            let answer = match (result, ended) {
                (Err(e), _) => Err(e),
                (Ok(v), Ok(())) => Ok(v),
                (Ok(_), Err(e)) => Err(StoreError::backend("commit failed", e)),
            };
            let _ = reply.send(answer);
        }) as Completion;
        (complete, ok)
    })
}

fn in_savepoint<T>(conn: &Connection, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    conn.execute_batch("SAVEPOINT job")
        .map_err(|e| StoreError::backend("savepoint", e))?;
    let result = work(conn);
    let end = if result.is_ok() {
        "RELEASE job"
    } else {
        "ROLLBACK TO job; RELEASE job"
    };
    conn.execute_batch(end)
        .map_err(|e| StoreError::backend("savepoint", e))?;
    result
}
