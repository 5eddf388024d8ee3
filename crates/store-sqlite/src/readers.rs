//! Read connections, in two lanes (see [`interlog_store::Lane`]):
//!
//! - **cheap** reads (a page of at most 100, one engagement, a credential) run on Tokio's
//!   blocking threads, at most `2 × cores` (at least 4) at once, each on a connection of a
//!   small pool;
//! - **heavy** reads (totals, large pages, the change feed, the overview) run on threads
//!   of their own (`heavy_readers` of them), each with its own connection, at a lower
//!   scheduling priority (nice 10): when both lanes want the CPU, the kernel gives the
//!   cheap ones nearly all of it, and an idle machine still runs heavy work at full speed.
//!   Heavy reads beyond the threads wait in line; they never take a cheap reader.
//!
//! Every read has a time budget ([`ReadLimits::statement_budget`]): each connection's
//! progress handler checks a deadline every few thousand virtual-machine steps and
//! interrupts the statement past it, which ends the read with
//! [`StoreError::TimedOut`]. Each connection's page cache is its share of
//! [`ReadLimits::cache_bytes`] (the writer takes half, the readers share the rest), so all
//! of them together fit the budget whatever the load.

use crate::schema;
use interlog_store::{Lane, ReadLimits, Result, StoreError};
use rusqlite::Connection;
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Semaphore};

/// Virtual-machine steps between two looks at the deadline: a few microseconds of work,
/// so a statement stops within a fraction of a millisecond of its deadline and the looks
/// cost nothing measurable.
const PROGRESS_STEPS: i32 = 2_000;

/// The instant deadlines are counted from (nanoseconds since then fit a u64 for centuries).
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn nanos(at: Instant) -> u64 {
    at.saturating_duration_since(epoch()).as_nanos() as u64
}

/// A read connection and the deadline its statements are interrupted at.
pub(crate) struct Reader {
    conn: Connection,
    interrupt_at: Arc<AtomicU64>,
    /// The deadline of the read in progress.
    read_deadline: Cell<Instant>,
}

impl std::ops::Deref for Reader {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Reader {
    fn open(path: &Path, cache_kib: i64) -> rusqlite::Result<Reader> {
        let conn = schema::open(path)?;
        conn.pragma_update(None, "cache_size", -cache_kib)?;
        let interrupt_at = Arc::new(AtomicU64::new(u64::MAX));
        let at = interrupt_at.clone();
        conn.progress_handler(
            PROGRESS_STEPS,
            Some(move || nanos(Instant::now()) >= at.load(Ordering::Relaxed)),
        );
        Ok(Reader {
            conn,
            interrupt_at,
            read_deadline: Cell::new(Instant::now()),
        })
    }

    pub(crate) fn begin(&self, budget: Duration) {
        let deadline = Instant::now() + budget;
        self.read_deadline.set(deadline);
        self.interrupt_at.store(nanos(deadline), Ordering::Relaxed);
    }

    pub(crate) fn end(&self) {
        self.interrupt_at.store(u64::MAX, Ordering::Relaxed);
    }

    /// Runs `f` with its statements interrupted at `until` (or at the read's own deadline,
    /// when that comes first).
    pub(crate) fn until<T>(&self, until: Instant, f: impl FnOnce() -> T) -> T {
        let read = self.read_deadline.get();
        self.interrupt_at
            .store(nanos(until.min(read)), Ordering::Relaxed);
        let out = f();
        self.interrupt_at.store(nanos(read), Ordering::Relaxed);
        out
    }

    /// When the read in progress must end.
    pub(crate) fn deadline(&self) -> Instant {
        self.read_deadline.get()
    }
}

/// Whether a statement failed because its deadline interrupted it.
pub(crate) fn interrupted(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted)
}

type HeavyJob = Box<dyn FnOnce(&Reader) + Send>;

/// Both lanes of read connections.
pub(crate) struct Readers {
    path: PathBuf,
    budget: Duration,
    cache_kib: i64,
    cheap_slots: Semaphore,
    cheap_idle: Mutex<Vec<Reader>>,
    heavy: Mutex<Option<mpsc::Sender<HeavyJob>>>,
}

/// Cheap reads at once: more than a few per core only adds contention.
pub(crate) fn cheap_readers() -> usize {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get() * 2)
        .max(4)
}

/// The page cache, in KiB, of the writer and of each reader, from the budget.
pub(crate) fn cache_shares(limits: &ReadLimits) -> (i64, i64) {
    let kib = (limits.cache_bytes / 1024) as i64;
    let readers = (cheap_readers() + limits.heavy_readers.max(1)) as i64;
    ((kib / 2).max(1024), (kib / 2 / readers).max(256))
}

impl Readers {
    pub(crate) fn start(path: &Path, limits: &ReadLimits) -> std::io::Result<Arc<Readers>> {
        let (_, cache_kib) = cache_shares(limits);
        let (tx, rx) = mpsc::channel::<HeavyJob>();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..limits.heavy_readers.max(1) {
            let (rx, path) = (rx.clone(), path.to_path_buf());
            std::thread::Builder::new()
                .name(format!("interlog-heavy-reader-{n}"))
                .spawn(move || heavy_reader(&path, cache_kib, &rx))?;
        }
        Ok(Arc::new(Readers {
            path: path.to_path_buf(),
            budget: limits.statement_budget,
            cache_kib,
            cheap_slots: Semaphore::new(cheap_readers()),
            cheap_idle: Mutex::new(Vec::new()),
            heavy: Mutex::new(Some(tx)),
        }))
    }

    /// Stops the heavy readers once their queued work is done.
    pub(crate) fn close(&self) {
        self.heavy.lock().expect("heavy lane lock").take();
    }

    fn take(&self) -> Result<Reader> {
        if let Some(r) = self.cheap_idle.lock().expect("reader pool lock").pop() {
            return Ok(r);
        }
        Reader::open(&self.path, self.cache_kib)
            .map_err(|e| StoreError::backend("open read connection", e))
    }

    fn give_back(&self, r: Reader) {
        self.cheap_idle.lock().expect("reader pool lock").push(r);
    }

    /// Runs `work` on a connection and a thread of its own, at the heavy lane's lower
    /// priority: an export's snapshot, which lasts longer than any read budget (`work`
    /// gives each of its statements the budget with [`Reader::begin`]) and must take
    /// neither lane's connections for that long.
    pub(crate) async fn dedicated<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Reader, Duration) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (path, cache_kib, budget) = (self.path.clone(), self.cache_kib, self.budget);
        let (tx, rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("interlog-snapshot".into())
            .spawn(move || {
                interlog_store::background_cpu::lower_this_thread();
                let out = Reader::open(&path, cache_kib)
                    .map_err(|e| StoreError::backend("open snapshot connection", e))
                    .and_then(|r| {
                        let out = work(&r, budget);
                        r.end();
                        out
                    });
                let _ = tx.send(out);
            })
            .map_err(|e| StoreError::backend("start snapshot thread", e))?;
        rx.await
            .map_err(|_| StoreError::backend("snapshot", "its thread ended without an answer"))?
    }

    /// Runs `work` on a connection of `lane`, within the read budget.
    pub(crate) async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        lane: Lane,
        work: impl FnOnce(&Reader) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let budget = self.budget;
        self.read_within(lane, budget, work)
            .await
            .map_err(|e| match e {
                StoreError::TimedOut(_) => StoreError::TimedOut(budget),
                other => other,
            })
    }

    /// Runs `work` on `lane`; when it is cheap and runs past
    /// [`interlog_store::CHEAP_READ_BUDGET`], stops it and runs it again on the heavy lane.
    pub(crate) async fn read_or_move<T: Send + 'static>(
        self: &Arc<Self>,
        lane: Lane,
        work: impl Fn(&Reader) -> Result<T> + Send + Sync + 'static,
    ) -> Result<T> {
        if lane == Lane::Heavy || self.budget <= interlog_store::CHEAP_READ_BUDGET {
            return self.read(lane, work).await;
        }
        let work = Arc::new(work);
        let first = work.clone();
        match self
            .read_within(Lane::Cheap, interlog_store::CHEAP_READ_BUDGET, move |r| {
                first(r)
            })
            .await
        {
            Err(StoreError::TimedOut(_)) => {
                metrics::counter!(interlog_store::READS_MOVED_TO_HEAVY).increment(1);
                self.read(Lane::Heavy, move |r| work(r)).await
            }
            other => other,
        }
    }

    /// Runs `work` on a connection of `lane`, its statements interrupted after `budget`.
    async fn read_within<T: Send + 'static>(
        self: &Arc<Self>,
        lane: Lane,
        budget: Duration,
        work: impl FnOnce(&Reader) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        match lane {
            Lane::Cheap => {
                let _slot = self
                    .cheap_slots
                    .acquire()
                    .await
                    .map_err(|_| StoreError::Closed)?;
                let readers = self.clone();
                tokio::task::spawn_blocking(move || {
                    let r = readers.take()?;
                    r.begin(budget);
                    let out = work(&r);
                    r.end();
                    readers.give_back(r);
                    out
                })
                .await
                .map_err(|e| StoreError::backend("read task", e))?
            }
            Lane::Heavy => {
                let (tx, rx) = oneshot::channel();
                let job: HeavyJob = Box::new(move |r: &Reader| {
                    r.begin(budget);
                    let out = work(r);
                    r.end();
                    let _ = tx.send(out);
                });
                self.heavy
                    .lock()
                    .expect("heavy lane lock")
                    .as_ref()
                    .ok_or(StoreError::Closed)?
                    .send(job)
                    .map_err(|_| StoreError::Closed)?;
                rx.await.map_err(|_| {
                    StoreError::backend(
                        "heavy read",
                        "the heavy reader could not open its database",
                    )
                })?
            }
        }
    }
}

/// A heavy reader's thread: lowers its priority, opens its connection, and runs jobs until
/// the store closes.
fn heavy_reader(path: &Path, cache_kib: i64, jobs: &Mutex<mpsc::Receiver<HeavyJob>>) {
    interlog_store::background_cpu::lower_this_thread();
    let reader = match Reader::open(path, cache_kib) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "a heavy reader could not open the database");
            return;
        }
    };
    loop {
        let job = match jobs.lock().expect("heavy lane lock").recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        job(&reader);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A statement that never ends on its own: only its deadline stops it.
    const ENDLESS: &str =
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n";

    fn readers(dir: &tempfile::TempDir, budget: Duration) -> Arc<Readers> {
        let limits = ReadLimits {
            statement_budget: budget,
            heavy_readers: 1,
            ..ReadLimits::default()
        };
        Readers::start(&dir.path().join("readers.db"), &limits).expect("readers start")
    }

    fn endless(r: &Reader) -> Result<i64> {
        r.query_row(ENDLESS, [], |row| row.get(0))
            .map_err(crate::db("endless"))
    }

    fn on_heavy_reader() -> bool {
        std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("interlog-heavy-reader"))
    }

    #[tokio::test]
    async fn a_cheap_read_past_its_budget_is_read_again_on_the_heavy_lane() {
        let dir = tempfile::tempdir().expect("temp dir");
        let readers = readers(&dir, Duration::from_secs(60));
        let tries = Arc::new(Mutex::new(Vec::new()));
        let seen = tries.clone();
        let out = readers
            .read_or_move(Lane::Cheap, move |r| {
                let first = seen.lock().unwrap().is_empty();
                seen.lock().unwrap().push(on_heavy_reader());
                if first {
                    endless(r)
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(out.expect("read again on the heavy lane"), 7);
        assert_eq!(
            *tries.lock().unwrap(),
            vec![false, true],
            "cheap first, then heavy"
        );
    }

    #[tokio::test]
    async fn a_read_past_the_statement_budget_times_out_on_either_lane() {
        let dir = tempfile::tempdir().expect("temp dir");
        let budget = Duration::from_millis(300);
        let readers = readers(&dir, budget);
        let tries = Arc::new(AtomicUsize::new(0));
        let counted = tries.clone();
        let moved = readers
            .read_or_move(Lane::Cheap, move |r| {
                counted.fetch_add(1, Ordering::SeqCst);
                endless(r)
            })
            .await;
        assert!(
            matches!(moved, Err(StoreError::TimedOut(b)) if b == budget),
            "{moved:?}"
        );
        assert_eq!(tries.load(Ordering::SeqCst), 2, "tried cheap, then heavy");
        let heavy = readers.read(Lane::Heavy, endless).await;
        assert!(
            matches!(heavy, Err(StoreError::TimedOut(b)) if b == budget),
            "{heavy:?}"
        );
    }

    #[tokio::test]
    async fn a_heavy_read_is_not_moved_and_a_short_budget_is_not_split() {
        let dir = tempfile::tempdir().expect("temp dir");
        let readers = readers(&dir, interlog_store::CHEAP_READ_BUDGET);
        let tries = Arc::new(AtomicUsize::new(0));
        let counted = tries.clone();
        let out = readers
            .read_or_move(Lane::Cheap, move |r| {
                counted.fetch_add(1, Ordering::SeqCst);
                endless(r)
            })
            .await;
        assert!(matches!(out, Err(StoreError::TimedOut(_))), "{out:?}");
        assert_eq!(
            tries.load(Ordering::SeqCst),
            1,
            "a budget no longer than the cheap one"
        );
        let heavy = readers
            .read_or_move(Lane::Heavy, |_| Ok(on_heavy_reader()))
            .await;
        assert!(
            heavy.expect("heavy read"),
            "a heavy read runs on a heavy reader"
        );
    }
}
