//! The `erasures` worker: finishes erasures that no instance is carrying out — those whose
//! instance died (its lease ran out) — so an erasure interrupted by a crash ends on any
//! instance sharing the store.

use super::job::{run, JobError, JOBS, LEASE, WORKER};
use interlog_http::background::lease::LeasedWork;
use interlog_http::background::{Context, Worker};
use std::time::Duration;

/// How often the worker looks for erasures to finish.
const SCAN: Duration = Duration::from_secs(3);

/// The worker that resumes erasures.
pub fn worker() -> Worker {
    Worker::new(WORKER, resume)
}

async fn resume(cx: Context) {
    let key = super::digest_key(&cx.state.signer);
    loop {
        let store = cx.state.store.clone();
        match store.tenants().await {
            Ok(tenants) => {
                for t in tenants {
                    let ids = match store.settings_in(&t, JOBS).await {
                        Ok(jobs) => jobs.into_iter().map(|(id, _)| id).collect::<Vec<_>>(),
                        Err(e) => {
                            cx.failed(&format!("cannot read the erasures of {}", t.key), &e);
                            continue;
                        }
                    };
                    for id in ids {
                        let work = LeasedWork::new(&cx, &t, JOBS, &id, LEASE);
                        let done = tokio::select! {
                            done = run(store.as_ref(), &work, &key, &t, &id) => done,
                            _ = cx.stopping() => return,
                        };
                        match done {
                            Ok(r) => {
                                tracing::info!(tenant = %t.key, erasure = %id, engagements = r.engagements_erased, "interrupted erasure finished")
                            }
                            Err(JobError::Held | JobError::Gone) => {}
                            Err(e) => cx.failed(&format!("cannot finish erasure {id}"), &e),
                        }
                    }
                }
            }
            Err(e) => cx.failed("cannot list tenants for erasures", &e),
        }
        if !cx.pause(SCAN).await {
            break;
        }
    }
}
