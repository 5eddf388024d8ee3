//! The `exports` worker: on each instance, runs one export at a time — a queued job, or a
//! running one whose instance died (its lease ran out) — and deletes files past their
//! expiry. One at a time per instance bounds what exports take from the API (a reading
//! thread at low priority and one encoding thread); more instances share the queue.

use super::job::{self, Outcome, LEASE, WORKER};
use super::{Job, JobState, JOBS};
use crate::webhooks::{events, EXPORT_COMPLETED, EXPORT_FAILED};
use interlog_http::background::lease::{Claim, Lease, LeasedWork};
use interlog_http::background::{Context, Worker};
use interlog_store::Tenant;
use std::time::Duration;

/// How often the worker looks for jobs when nothing wakes it.
const SCAN: Duration = Duration::from_secs(2);
/// How long a failed, cancelled or expired job's record is kept.
const KEEP_FINISHED: Duration = Duration::from_secs(7 * 24 * 3600);

/// Wakes this process's worker when a job is queued (other instances find it by
/// [`SCAN`]).
pub static WAKE: std::sync::LazyLock<tokio::sync::Notify> =
    std::sync::LazyLock::new(tokio::sync::Notify::new);

/// The worker that runs exports.
pub fn worker() -> Worker {
    Worker::new(WORKER, work)
}

async fn work(cx: Context) {
    loop {
        match cx.state.store.tenants().await {
            Ok(tenants) => {
                for t in tenants {
                    if cx.is_stopping() {
                        return;
                    }
                    let jobs: Vec<(String, Job)> =
                        match interlog_http::settings::read_all(cx.state.store.as_ref(), &t, JOBS)
                            .await
                        {
                            Ok(j) => j,
                            Err(e) => {
                                cx.failed(&format!("cannot read the exports of {}", t.key), &e);
                                continue;
                            }
                        };
                    tidy(&cx, &t, &jobs).await;
                    for (id, j) in jobs {
                        if runnable(&j) {
                            run_one(&cx, &t, &id).await;
                        }
                    }
                }
            }
            Err(e) => cx.failed("cannot list tenants for exports", &e),
        }
        tokio::select! {
            _ = tokio::time::sleep(SCAN) => {}
            _ = WAKE.notified() => {}
            _ = cx.stopping() => return,
        }
    }
}

/// Whether a job waits for an instance: queued, or running with no live lease.
fn runnable(j: &Job) -> bool {
    let now = jiff::Timestamp::now().as_millisecond();
    j.state.is_active() && j.lease.as_ref().is_none_or(|Lease(_, until)| *until <= now)
}

async fn run_one(cx: &Context, tenant: &Tenant, id: &str) {
    let work = LeasedWork::new(cx, tenant, JOBS, id, LEASE);
    let job = match work.claim::<Job>().await {
        Claim::Go(j) => j,
        Claim::Failed(e) => {
            cx.failed(&format!("cannot claim export {id}"), &e);
            return;
        }
        Claim::Held | Claim::Paused | Claim::Gone => return,
    };
    let store = cx.state.store.clone();
    let config = &cx.state.config.exports;
    let outcome = tokio::select! {
        o = job::run(store, config, &work, tenant, job) => o,
        _ = cx.stopping() => {
            // Another instance (or this one, restarted) runs it again from the start; the
            // run this stop cut short does not count as an attempt.
            job::remove_files(&config.dir, tenant.id, id);
            let _ = work
                .save(|j: &mut Job| {
                    if j.state == JobState::Running {
                        j.state = JobState::Queued;
                        j.attempts = j.attempts.saturating_sub(1);
                    }
                    j.lease = None;
                })
                .await;
            return;
        }
    };
    match outcome {
        Outcome::Completed(j) => {
            tracing::info!(tenant = %tenant.key, export = %id, rows = j.rows, bytes = j.bytes, position = ?j.position, "export completed");
            announce(cx, tenant, &j).await;
        }
        Outcome::Failed(reason) => {
            tracing::info!(tenant = %tenant.key, export = %id, %reason, "export failed");
            match interlog_http::settings::read::<Job>(cx.state.store.as_ref(), tenant, JOBS, id)
                .await
            {
                Ok(Some(j)) => announce(cx, tenant, &j).await,
                Ok(None) => {}
                Err(e) => cx.failed(&format!("cannot read export {id}"), &e),
            }
        }
        Outcome::Stopped => {
            work.release::<Job>().await;
        }
    }
}

/// Queues a finished job's webhook event (`export.completed` or `export.failed`) if it
/// is still to be queued, then clears the mark. A crash between the two queues it again
/// later ([`tidy`]); the outbox keeps one of the same event.
async fn announce(cx: &Context, tenant: &Tenant, j: &Job) {
    let kind = match j.state {
        _ if !j.announce => return,
        JobState::Completed => EXPORT_COMPLETED,
        JobState::Failed => EXPORT_FAILED,
        _ => return,
    };
    let data = serde_json::json!({
        "id": j.id,
        "position": j.position,
        "export": j.view(&tenant.key),
    });
    let store = cx.state.store.as_ref();
    let position = j.position.unwrap_or_default();
    if let Err(e) = events::queue(store, tenant, kind, &j.id, position, data).await {
        cx.failed(&format!("cannot queue the event of export {}", j.id), &e);
        return;
    }
    let cleared = job::edit(store, tenant, &j.id, |j: &mut Job| {
        j.announce = false;
        true
    })
    .await;
    if let Err(e) = cleared {
        cx.failed(&format!("cannot record the event of export {}", j.id), &e);
    }
}

/// A change to a job's record; `false` removes it.
type JobEdit = Box<dyn FnOnce(&mut Job) -> bool + Send>;

/// Queues the webhook events of finished jobs not yet queued; deletes the files of
/// completed jobs past their expiry (the job turns `expired`), and the records of jobs
/// finished long ago.
async fn tidy(cx: &Context, tenant: &Tenant, jobs: &[(String, Job)]) {
    let now = jiff::Timestamp::now();
    let root = cx.state.config.exports.dir.clone();
    for (id, j) in jobs {
        announce(cx, tenant, j).await;
        let past = |at: &Option<String>, by: Duration| {
            at.as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .is_some_and(|t| {
                    jiff::SignedDuration::try_from(by)
                        .ok()
                        .and_then(|d| t.checked_add(d).ok())
                        .is_some_and(|end| end <= now)
                })
        };
        let change: Option<JobEdit> = match j.state {
            JobState::Completed if past(&j.expires_at, Duration::ZERO) => {
                Some(Box::new(|j: &mut Job| {
                    if j.state == JobState::Completed {
                        j.state = JobState::Expired;
                    }
                    true
                }))
            }
            JobState::Failed | JobState::Cancelled | JobState::Expired
                if past(&j.completed_at, KEEP_FINISHED) =>
            {
                Some(Box::new(|j: &mut Job| {
                    j.state.is_active() || j.state == JobState::Completed
                }))
            }
            _ => None,
        };
        let Some(change) = change else { continue };
        match job::edit(cx.state.store.as_ref(), tenant, id, change).await {
            Ok(_) => {
                job::remove_files(&root, tenant.id, id);
                tracing::info!(tenant = %tenant.key, export = %id, "export file expired and deleted");
            }
            Err(e) => cx.failed(&format!("cannot expire export {id}"), &e),
        }
    }
}
