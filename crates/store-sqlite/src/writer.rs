//! The single writer: one thread owns the write connection and commits jobs in groups.
//!
//! Jobs queue on a channel. The writer takes every job waiting, runs each in a savepoint of
//! one transaction, commits once, and only then answers them all: a write is acknowledged
//! only after its transaction is durable, and concurrent writers share one fsync.

use interlog_store::{Result, StoreError};
use rusqlite::Connection;
use std::sync::mpsc;

/// Most jobs one transaction takes, so a flood of writes still commits regularly.
const MAX_JOBS_PER_COMMIT: usize = 512;

type Completion = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;
pub(crate) type Job = Box<dyn FnOnce(&Connection) -> Completion + Send>;

/// Runs the writer loop until every sender is gone.
pub(crate) fn run(conn: Connection, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping the job drops its reply channel: the caller learns it was not written.
            tracing::error!(error = %e, "could not begin a write transaction");
            drop(first);
            continue;
        }
        let mut done = vec![first(&conn)];
        while done.len() < MAX_JOBS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => done.push(job(&conn)),
                Err(_) => break,
            }
        }
        let committed = conn.execute_batch("COMMIT").map_err(|e| {
            tracing::error!(error = %e, "commit failed");
            let _ = conn.execute_batch("ROLLBACK");
            e.to_string()
        });
        for complete in done {
            complete(committed.clone());
        }
    }
}

/// Wraps `work` as a job whose result is delivered on `reply` once its transaction commits.
/// `work` runs inside a savepoint, so a failing job rolls back alone.
pub(crate) fn job<T: Send + 'static>(
    work: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    reply: tokio::sync::oneshot::Sender<Result<T>>,
) -> Job {
    Box::new(move |conn: &Connection| {
        let result = in_savepoint(conn, work);
        Box::new(move |committed: std::result::Result<(), String>| {
            let answer = match committed {
                Ok(()) => result,
                Err(e) => Err(StoreError::backend("commit failed", e)),
            };
            let _ = reply.send(answer);
        }) as Completion
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
