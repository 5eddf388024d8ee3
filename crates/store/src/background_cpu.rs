//! The CPU work of bulk writes (parsing an ingest stream's lines, preparing rows: canonical
//! JSON, compression, search terms) runs on a few threads of its own at a lower scheduling
//! priority, not on Tokio's blocking threads, which serve the cheap reads:
//!
//! - when the cores are wanted by interactive requests, the kernel gives those nearly all
//!   of them, and bulk work takes what is left; an idle machine still runs it at full
//!   speed;
//! - a fixed set of threads: what the work allocates and keeps per thread (a zstd context
//!   of a few MiB each) stays on these threads, rather than on every blocking thread Tokio
//!   starts when it is busy.

use crate::{Result, StoreError};
use std::sync::{mpsc, Mutex, OnceLock};

/// How much lower background work runs (nice): at 10 the kernel gives a competing thread of
/// normal priority about nine tenths of a shared core.
pub const NICE: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// Makes the calling thread yield the CPU to threads of normal priority (Linux: each
/// thread has a nice value of its own; elsewhere nothing).
pub fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on this thread's id changes only this thread's nice value.
    unsafe {
        let tid = libc::gettid();
        if libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, NICE) != 0 {
            tracing::warn!("could not lower the priority of a background thread");
        }
    }
}

/// The queue of the background threads, started at the first use: one per core.
fn queue() -> &'static Mutex<mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for n in 0..threads {
            let rx = rx.clone();
            let started = std::thread::Builder::new()
                .name(format!("interlog-background-{n}"))
                .spawn(move || {
                    lower_this_thread();
                    loop {
                        let job = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        };
                        // A panic ends the job (its caller is told), not the thread.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            if let Err(e) = started {
                tracing::error!(error = %e, "could not start a background thread");
            }
        }
        Mutex::new(tx)
    })
}

/// Runs `work` on a background thread and waits for its result.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    queue()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .map_err(|_| StoreError::backend("background work", "no background thread runs"))?;
    rx.await
        .map_err(|_| StoreError::backend("background work", "it ended without a result"))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn work_runs_on_a_background_thread_and_returns_its_result() {
        let (name, sum) = super::run(|| {
            let name = std::thread::current().name().map(str::to_owned);
            (name, (1..=10).sum::<u32>())
        })
        .await
        .unwrap();
        assert!(name.unwrap().starts_with("interlog-background-"));
        assert_eq!(sum, 55);
    }
}
