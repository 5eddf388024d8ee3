//! The one home of background work: what a server does besides answering requests —
//! webhook delivery, retention sweeps, and the connectors and export jobs to come.
//!
//! Each kind of work is a [`Worker`], registered once (an API's [`crate::Api::workers`], or
//! the app's own). The [`Runtime`] starts every worker with the server and gives each a
//! [`Context`]: the shared state, this instance's name, and the stop signal. It counts each
//! worker's running tasks and failed rounds (`interlog_background_tasks`,
//! `interlog_background_failures_total`), and on shutdown tells every worker to stop and
//! waits until all have. Work that one instance at a time must do holds a [`lease`] kept
//! in the store with the work's own state, so several instances share it and one that dies
//! leaves it to another once the lease runs out.

pub mod lease;

use crate::metrics::{BACKGROUND_FAILURES, BACKGROUND_TASKS};
use crate::state::ApiState;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

type Run = Box<dyn FnOnce(Context) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// One kind of background work: a name (its metrics label and log field) and what runs.
pub struct Worker {
    name: &'static str,
    run: Run,
}

impl Worker {
    /// Work that runs `run` until its context says to stop.
    pub fn new<F, Fut>(name: &'static str, run: F) -> Worker
    where
        F: FnOnce(Context) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Worker {
            name,
            run: Box::new(move |cx| Box::pin(run(cx))),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// What a worker is given.
#[derive(Clone)]
pub struct Context {
    pub state: ApiState,
    /// This instance's name, the holder of the leases it takes: the host, the process id
    /// and a random part.
    pub instance: Arc<str>,
    worker: &'static str,
    stop: watch::Receiver<bool>,
}

impl Context {
    /// A context for doing one worker's work outside the runtime (`interlog sync --once`
    /// runs a connector so): it stops when `stop` turns true. Its instance name is a new
    /// one, like a server's.
    pub fn standalone(
        state: ApiState,
        worker: &'static str,
        stop: watch::Receiver<bool>,
    ) -> Context {
        Context {
            state,
            instance: instance_name(),
            worker,
            stop,
        }
    }

    /// The worker's name.
    pub fn worker(&self) -> &'static str {
        self.worker
    }

    /// Whether the runtime is stopping.
    pub fn is_stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Returns once the runtime is stopping.
    pub async fn stopping(&self) {
        let mut stop = self.stop.clone();
        let _ = stop.wait_for(|stopping| *stopping).await;
    }

    /// Waits `pause`, or less if the runtime stops meanwhile; whether it still runs.
    pub async fn pause(&self, pause: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = self.stopping() => {}
        }
        !self.is_stopping()
    }

    /// Runs `task` as part of this worker (counted among its tasks); it must return soon
    /// after the runtime starts stopping.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()> {
        tokio::spawn(counted(self.worker, task))
    }

    /// Logs a failure of this worker (its cause chain) and counts it; the worker tries again
    /// later.
    pub fn failed(&self, what: &str, error: &(dyn std::error::Error + 'static)) {
        metrics::counter!(BACKGROUND_FAILURES, "worker" => self.worker).increment(1);
        tracing::warn!(
            worker = self.worker,
            error = %crate::error::error_chain(error),
            "{what}"
        );
    }
}

/// Keeps one task for every setting of `namespace` in every tenant (a webhook, a connector),
/// started with `start(tenant, key)` and counted among the worker's tasks: it looks for new
/// ones every `every`, and a task that ended is started again when its setting is still
/// there. Returns once the runtime stops and every task has ended.
pub async fn per_setting<F, Fut>(cx: &Context, namespace: &'static str, every: Duration, start: F)
where
    F: Fn(Arc<interlog_store::Tenant>, String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut tasks: std::collections::HashMap<(i64, String), JoinHandle<()>> =
        std::collections::HashMap::new();
    loop {
        tasks.retain(|_, h| !h.is_finished());
        match cx.state.store.tenants().await {
            Ok(tenants) => {
                for t in tenants {
                    let t = Arc::new(t);
                    let keys = match cx.state.store.settings_in(&t, namespace).await {
                        Ok(found) => found.into_iter().map(|(key, _)| key),
                        Err(e) => {
                            cx.failed(&format!("cannot read the {namespace} of {}", t.key), &e);
                            continue;
                        }
                    };
                    for key in keys {
                        tasks
                            .entry((t.id, key.clone()))
                            .or_insert_with(|| cx.spawn(start(t.clone(), key)));
                    }
                }
            }
            Err(e) => cx.failed(&format!("cannot list tenants for {namespace}"), &e),
        }
        if !cx.pause(every).await {
            break;
        }
    }
    for (_, h) in tasks {
        let _ = h.await;
    }
}

/// A new holder name for leases: the host, the process id and a random part.
fn instance_name() -> Arc<str> {
    format!(
        "{}-{}-{:08x}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "interlog".into()),
        std::process::id(),
        rand::random::<u32>()
    )
    .into()
}

/// Runs `task`, counting it among `worker`'s tasks meanwhile.
async fn counted(worker: &'static str, task: impl Future<Output = ()>) {
    struct Running(metrics::Gauge);
    impl Drop for Running {
        fn drop(&mut self) {
            self.0.decrement(1.0);
        }
    }
    let gauge = metrics::gauge!(BACKGROUND_TASKS, "worker" => worker);
    gauge.increment(1.0);
    let _running = Running(gauge);
    task.await
}

/// The running workers.
pub struct Runtime {
    stop: watch::Sender<bool>,
    workers: Vec<JoinHandle<()>>,
}

impl Runtime {
    /// Starts every worker.
    pub fn start(state: ApiState, workers: Vec<Worker>) -> Runtime {
        let (stop, stopping) = watch::channel(false);
        let instance = instance_name();
        let workers = workers
            .into_iter()
            .map(|w| {
                // The series exist from the start, so that rate() sees the first failure.
                metrics::counter!(BACKGROUND_FAILURES, "worker" => w.name).absolute(0);
                let cx = Context {
                    state: state.clone(),
                    instance: instance.clone(),
                    worker: w.name,
                    stop: stopping.clone(),
                };
                tokio::spawn(counted(w.name, (w.run)(cx)))
            })
            .collect();
        Runtime { stop, workers }
    }

    /// Tells every worker to stop and waits until all have.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for w in self.workers {
            let _ = w.await;
        }
    }
}
