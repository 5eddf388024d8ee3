//! Running an export: the snapshot streamed through the format's [`Sink`] into a partial
//! file, renamed into place when it completes; progress saved (and the lease renewed)
//! about once a second; a cancel seen at the next save. [`write_snapshot`] is the part
//! `interlog export` shares.

use super::encode::{EncodeError, Sink};
use super::{file_path, partial_path, tenant_dir, Job, JobState, Progress, JOBS};
use interlog_http::background::lease::{LeasedWork, SaveError};
use interlog_store::{EditRejected, Filter, SnapshotPart, Store, StoreError, Tenant};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The worker's name (metrics, logs).
pub const WORKER: &str = "exports";
/// How long a run's lease lasts; renewed with every progress save.
pub const LEASE: Duration = Duration::from_secs(10);
/// How often a run saves its progress (and renews its lease).
const SAVE_EVERY: Duration = Duration::from_secs(1);
/// Buffer between the encoder and the file.
const FILE_BUFFER: usize = 256 << 10;

/// Why a run ended without a file.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error("the snapshot ended before it said where it stands")]
    NoStart,
    /// Cancelled, or the lease was lost, or the server is stopping.
    #[error("stopped")]
    Stopped,
    #[error("a task of the export failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What a snapshot written to a file came to.
pub struct Written<W> {
    pub position: i64,
    pub rows: u64,
    pub bytes: u64,
    pub out: W,
}

/// Writes the snapshot of `filter` into `sink`. `progress` is told where it stands after
/// the start and about once a second (and may say stop, `false`); encoding runs on
/// blocking threads, one batch at a time, so memory holds one batch and the sink's buffer.
pub async fn write_snapshot<W, P, Fut>(
    store: Arc<dyn Store>,
    tenant: &Tenant,
    filter: &Filter,
    sink: Sink<W>,
    mut progress: P,
) -> Result<Written<W>, RunError>
where
    W: Write + Send + 'static,
    P: FnMut(Progress, i64) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let reading = {
        let (t, f) = (tenant.clone(), filter.clone());
        tokio::spawn(async move { store.snapshot(&t, &f, tx).await })
    };
    let mut sink = Some(sink);
    let mut position = None;
    let mut p = Progress::default();
    let mut saved = Instant::now();
    let mut stopped = false;
    while let Some(part) = rx.recv().await {
        match part {
            SnapshotPart::Start {
                position: at,
                total,
            } => {
                position = Some(at);
                p.total = Some(total);
                if !progress(p, at).await {
                    stopped = true;
                    break;
                }
            }
            SnapshotPart::Rows(items) => {
                let n = items.len() as u64;
                let mut s = sink.take().expect("the sink is back after each batch");
                let s = tokio::task::spawn_blocking(move || s.write(items).map(|()| s)).await??;
                sink = Some(s);
                p.done += n;
                if saved.elapsed() >= SAVE_EVERY {
                    saved = Instant::now();
                    if !progress(p, position.unwrap_or_default()).await {
                        stopped = true;
                        break;
                    }
                }
            }
        }
    }
    // Closing the channel ends a snapshot still reading.
    drop(rx);
    let read = reading.await?;
    if stopped {
        return Err(RunError::Stopped);
    }
    read?;
    let position = position.ok_or(RunError::NoStart)?;
    let sink = sink.expect("the sink is back after each batch");
    let (bytes, out) = tokio::task::spawn_blocking(move || sink.finish()).await??;
    Ok(Written {
        position,
        rows: p.done,
        bytes,
        out,
    })
}

/// Creates `path` for writing, mode 0600, in a directory (made 0700 when missing).
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir)?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

/// Removes every file of job `id`: its file and the partial files of any run.
pub fn remove_files(root: &Path, tenant_id: i64, id: &str) {
    let Ok(entries) = std::fs::read_dir(tenant_dir(root, tenant_id)) else {
        return;
    };
    let prefix = format!("{id}.");
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Bytes the tenant's completed exports hold, except `except`'s.
pub async fn used_bytes(
    store: &dyn Store,
    tenant: &Tenant,
    except: &str,
) -> Result<u64, StoreError> {
    let jobs: Vec<(String, Job)> = interlog_http::settings::read_all(store, tenant, JOBS).await?;
    Ok(jobs
        .iter()
        .filter(|(id, j)| id != except && j.state == JobState::Completed)
        .map(|(_, j)| j.bytes)
        .sum())
}

/// How a run ended.
pub enum Outcome {
    Completed(Box<Job>),
    /// Failed for good (recorded).
    Failed(String),
    /// Cancelled, or taken over by another instance, or the server is stopping: nothing
    /// recorded by this run.
    Stopped,
}

/// Runs `job` (claimed by `work`) to its end: its file, or `failed` with the reason.
pub async fn run(
    store: Arc<dyn Store>,
    config: &interlog_http::ExportConfig,
    work: &LeasedWork<'_>,
    tenant: &Tenant,
    job: Job,
) -> Outcome {
    let root = &config.dir;
    let id = job.id.clone();
    remove_files(root, tenant.id, &id);
    if job.attempts >= super::MAX_ATTEMPTS {
        let reason = format!(
            "interrupted {} times (its server stopped or lost its lease each time)",
            job.attempts
        );
        return fail(work, reason).await;
    }
    let started = work
        .save(|j: &mut Job| {
            j.state = JobState::Running;
            j.attempts += 1;
            j.progress = Progress::default();
            j.error = None;
        })
        .await;
    let job = match started {
        Ok(j) if j.state == JobState::Running => j,
        _ => return Outcome::Stopped,
    };
    let filter = match interlog_http::listing::parse_filter(&job.query) {
        Ok(f) => f,
        Err(e) => return fail(work, format!("the filters no longer parse: {}", e.detail)).await,
    };
    // Names stand for the ids they name as the snapshot is taken.
    let filter = match interlog_http::names::resolve(store.as_ref(), tenant, &filter).await {
        Ok(f) => f,
        Err(e) => return fail(work, format!("the filters' names: {}", e.detail)).await,
    };
    let used = match used_bytes(store.as_ref(), tenant, &id).await {
        Ok(n) => n,
        Err(e) => return fail(work, format!("cannot read the quota: {e}")).await,
    };
    let left = config.quota_bytes.saturating_sub(used);
    let part = partial_path(root, tenant.id, &id, job.format);
    let file = match create_private(&part) {
        Ok(f) => f,
        Err(e) => return fail(work, format!("cannot create the file: {e}")).await,
    };
    let sink = match Sink::new(
        job.format,
        std::io::BufWriter::with_capacity(FILE_BUFFER, file),
        left,
        job.fields.clone(),
    ) {
        Ok(s) => s,
        Err(e) => {
            remove_files(root, tenant.id, &id);
            return fail(work, e.to_string()).await;
        }
    };
    let written = write_snapshot(store.clone(), tenant, &filter, sink, |p, at| async move {
        match work
            .save(move |j: &mut Job| {
                j.progress = p;
                j.position = Some(at);
            })
            .await
        {
            Ok(j) => j.state == JobState::Running,
            Err(_) => false,
        }
    })
    .await;
    let written = match written {
        Ok(w) => w,
        Err(RunError::Stopped) => {
            remove_files(root, tenant.id, &id);
            return Outcome::Stopped;
        }
        Err(e) => {
            remove_files(root, tenant.id, &id);
            let reason = match &e {
                RunError::Encode(EncodeError::Quota(left)) => format!(
                    "the file would pass the tenant's export quota of {} bytes ({left} were \
                     left); delete finished exports or narrow the filters",
                    config.quota_bytes
                ),
                RunError::Store(StoreError::TimedOut(_)) => {
                    "a read of the snapshot ran past the statement budget; narrow the filters"
                        .into()
                }
                _ => {
                    tracing::warn!(tenant = %tenant.key, export = %id, error = %interlog_http::error::error_chain(&e), "export failed");
                    "the export could not be written (logged on the server)".into()
                }
            };
            return fail(work, reason).await;
        }
    };
    let durable = written
        .out
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .and_then(|()| std::fs::rename(&part, file_path(root, tenant.id, &id, job.format)));
    if let Err(e) = durable {
        remove_files(root, tenant.id, &id);
        return fail(work, format!("cannot write the file: {e}")).await;
    }
    let now = jiff::Timestamp::now();
    let expires = now
        .checked_add(
            jiff::SignedDuration::try_from(config.ttl).unwrap_or(jiff::SignedDuration::MAX),
        )
        .unwrap_or(jiff::Timestamp::MAX);
    let (rows, bytes, position) = (written.rows, written.bytes, written.position);
    let done = work
        .save(move |j: &mut Job| {
            if j.state == JobState::Running {
                j.state = JobState::Completed;
                j.rows = rows;
                j.bytes = bytes;
                j.position = Some(position);
                j.progress.done = rows;
                j.completed_at = Some(super::rfc3339(now));
                j.expires_at = Some(super::rfc3339(expires));
                j.lease = None;
                j.announce = true;
            }
        })
        .await;
    match done {
        Ok(j) if j.state == JobState::Completed => Outcome::Completed(Box::new(j)),
        _ => {
            remove_files(root, tenant.id, &id);
            Outcome::Stopped
        }
    }
}

/// Records the job failed with `reason`, giving up its lease.
async fn fail(work: &LeasedWork<'_>, reason: String) -> Outcome {
    let recorded = reason.clone();
    let saved = work
        .save(move |j: &mut Job| {
            if j.state.is_active() {
                j.state = JobState::Failed;
                j.error = Some(recorded);
                j.announce = true;
                j.completed_at = Some(super::now_rfc3339());
            }
            j.lease = None;
        })
        .await;
    match saved {
        Ok(_) => Outcome::Failed(reason),
        Err(SaveError::Lost | SaveError::Gone) => Outcome::Stopped,
        Err(SaveError::Store(e)) => {
            tracing::warn!(error = %e, "cannot record an export's failure");
            Outcome::Stopped
        }
    }
}

/// Applies `change` to job `id` of `tenant` atomically, whoever holds its lease; `None`
/// when there is no such job. `change` returns false to remove the record.
pub async fn edit(
    store: &dyn Store,
    tenant: &Tenant,
    id: &str,
    change: impl FnOnce(&mut Job) -> bool + Send + 'static,
) -> Result<Option<Job>, StoreError> {
    let before = Arc::new(std::sync::Mutex::new(None::<Job>));
    let seen = before.clone();
    store
        .update_setting(
            tenant,
            JOBS,
            id,
            Box::new(move |current| {
                let Some(text) = current else {
                    return Ok(None);
                };
                let mut j: Job =
                    serde_json::from_str(text).map_err(|e| EditRejected(e.to_string()))?;
                let keep = change(&mut j);
                let out = keep.then(|| serde_json::to_string(&j).expect("jobs serialize"));
                *seen.lock().expect("edit lock") = Some(j);
                Ok(out)
            }),
        )
        .await?;
    let j = before.lock().expect("edit lock").take();
    Ok(j)
}
