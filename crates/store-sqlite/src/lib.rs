//! The embedded default store: SQLite in WAL mode.
//!
//! One thread owns the write connection and commits queued writes in groups (see
//! [`writer`]); reads run on read connections in two lanes, cheap and heavy (see
//! [`readers`]), so the async runtime never waits on the disk and cheap reads never wait
//! behind heavy ones.

mod activity;
mod backup;
mod bulk;
mod changes;
mod codes;
mod derived;
mod directory;
mod figures;
mod interner;
mod links;
mod listing;
mod names;
mod notify;
mod readers;
mod records;
mod rows;
mod schema;
mod settings;
mod snapshot;
mod upgrade;
mod upkeep;
mod words;
mod writer;

pub use backup::{backup, restore, Copied};

use async_trait::async_trait;
use interlog_model::{Engagement, Timestamp};
use interlog_store::{
    Analytics, ChangePage, Changes, Client, DeleteReason, Directory, DurableSettings,
    EngagementEdit, Engagements, ExpiringRecords, Filter, Identifier, IdentityLinks, Lane,
    LinkedIdentifier, NewClient, NewTenant, NewUser, OpenOptions, Page, Query, ReadLimits, Record,
    Result, Revocation, Revoke, SettingEdit, Store, StoreError, StoredEngagement, Tenant, Total,
    UpsertOutcome, User, CHANGES_TOPIC,
};
use interlog_store::{CheckReport, Rebuilt, Upkeep};
use readers::{Reader, Readers};
use rows::{Row, TenantCtx};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

/// The SQLite-backed [`Store`].
pub struct SqliteStore {
    path: PathBuf,
    jobs: Mutex<Option<mpsc::Sender<writer::Job>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Signalled by the writer thread when it has committed its last job and exits.
    writer_done: Mutex<Option<oneshot::Receiver<()>>>,
    readers: Arc<Readers>,
    limits: ReadLimits,
    subscribers: Arc<interlog_store::LocalSubscribers>,
    /// A shared lock on the database's `-lock` file while the store is open, so that a
    /// restore never replaces a store in use (see [`restore`]).
    _in_use: std::fs::File,
}

/// Maps a SQLite error to a backend failure that names what was being done; a statement
/// its deadline interrupted is [`StoreError::TimedOut`] (the read says by how much), one
/// that ran out of the memory SQLite may use is unavailable.
pub(crate) fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| {
        if readers::interrupted(&e) {
            StoreError::TimedOut(std::time::Duration::ZERO)
        } else if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OutOfMemory) {
            StoreError::unavailable(
                format!("{context}: the query needs more memory than the server allows"),
                e,
            )
        } else {
            StoreError::backend(context, e)
        }
    }
}

/// The current time at the millisecond precision the store keeps.
fn now_millis() -> Timestamp {
    Timestamp::from_millisecond(Timestamp::now().as_millisecond()).expect("now is representable")
}

/// Prepares rows for the writer (serializing, compressing, search terms); a large batch in
/// parts on the background threads ([`interlog_store::background_cpu`]), one per core, so
/// neither the async runtime nor the writer waits for it, and interactive requests come
/// first for the CPU.
async fn prepare(engagements: Vec<Engagement>, now: Timestamp, t: TenantCtx) -> Result<Vec<Row>> {
    /// Below this, one thread: handing work over costs more than it saves.
    const PART: usize = 64;
    let build = move |part: Vec<Engagement>, t: TenantCtx| {
        part.into_iter()
            .map(|e| Row::new(e, now, &t))
            .collect::<Vec<_>>()
    };
    if engagements.len() <= 8 {
        return Ok(build(engagements, t));
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let size = engagements.len().div_ceil(threads).max(PART);
    let mut rest = engagements;
    let mut parts = Vec::new();
    while !rest.is_empty() {
        let tail = rest.split_off(size.min(rest.len()));
        let part = std::mem::replace(&mut rest, tail);
        let t = t.clone();
        parts.push(interlog_store::background_cpu::run(move || build(part, t)));
    }
    let mut rows = Vec::new();
    for part in parts {
        rows.extend(part.await?);
    }
    Ok(rows)
}

fn ctx(t: &Tenant) -> TenantCtx {
    TenantCtx {
        id: t.id,
        country_code: t.country_code.clone(),
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Every acknowledged write is durable.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, OpenOptions::default())
    }

    /// Opens the database with these options. For a bulk load (`interlog import`), writes
    /// are acknowledged after commit but made durable together when the store closes, which
    /// is much faster. Nothing is lost unless the machine itself fails mid-load; the
    /// database stays consistent either way, and an idempotent re-import completes it.
    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions) -> Result<Self> {
        let bulk = options.bulk_load;
        let limits = options.limits;
        let path = path.as_ref().to_path_buf();
        let in_use = backup::lock_shared(&path)?;
        let mut conn = schema::open(&path)
            .map_err(|e| StoreError::backend(format!("open {}", path.display()), e))?;
        schema::migrate(&mut conn).map_err(|e| StoreError::backend("migrate", e))?;
        // Finishes what a killed bulk load left undone.
        schema::complete(&conn).map_err(|e| StoreError::backend("complete a bulk load", e))?;
        let (writer_cache_kib, _) = readers::cache_shares(&limits);
        schema::tune_writer(&conn, bulk, writer_cache_kib)
            .map_err(|e| StoreError::backend("tune writer", e))?;
        if !bulk {
            schema::limit_heap(&conn, &limits)
                .map_err(|e| StoreError::backend("limit SQLite's memory", e))?;
        }
        let (tx, rx) = mpsc::channel();
        let subscribers = Arc::new(interlog_store::LocalSubscribers::default());
        let announce: writer::Announce = {
            let subscribers = subscribers.clone();
            Box::new(move |heads| {
                for (tenant, head) in heads {
                    subscribers.deliver(*tenant, CHANGES_TOPIC, head.to_string().into());
                }
            })
        };
        let (done_tx, done_rx) = oneshot::channel();
        let handle = std::thread::Builder::new()
            .name("interlog-sqlite-writer".into())
            .spawn(move || {
                writer::run(conn, rx, bulk, announce);
                let _ = done_tx.send(());
            })
            .map_err(|e| StoreError::backend("start writer", e))?;
        let readers = Readers::start(&path, &limits)
            .map_err(|e| StoreError::backend("start the heavy readers", e))?;
        Ok(SqliteStore {
            readers,
            limits,
            path,
            jobs: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(handle)),
            writer_done: Mutex::new(Some(done_rx)),
            subscribers,
            _in_use: in_use,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops accepting writes, lets the writer finish what is queued, and waits for it.
    fn close_now(&self) {
        self.readers.close();
        self.jobs.lock().expect("writer lock").take();
        if let Some(h) = self.writer.lock().expect("writer lock").take() {
            let _ = h.join();
        }
    }

    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&writer::Tx<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        {
            let jobs = self.jobs.lock().expect("writer lock");
            let sender = jobs.as_ref().ok_or(StoreError::Closed)?;
            sender
                .send(writer::job(work, tx))
                .map_err(|_| StoreError::Closed)?;
        }
        rx.await.map_err(|_| {
            StoreError::backend(
                "write not performed",
                "the writer could not start a transaction",
            )
        })?
    }

    /// A cheap read (see [`readers`]).
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Reader) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.readers.read(Lane::Cheap, work).await
    }

    /// A read on `lane`.
    async fn read_on<T: Send + 'static>(
        &self,
        lane: Lane,
        work: impl FnOnce(&Reader) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.readers.read(lane, work).await
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close_now();
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn scrub_freed(&self) -> Result<()> {
        // The writer may be committing; a checkpoint waits for it (busy timeout) and is
        // tried again a few times if readers kept it from truncating the log.
        for attempt in 0..5 {
            let done = self
                .read(|c| schema::truncate_log(c).map_err(db("checkpoint the log")))
                .await?;
            if done {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
        }
        Err(StoreError::backend(
            "checkpoint the log",
            "readers kept the log from being truncated",
        ))
    }

    async fn ping(&self) -> Result<()> {
        self.read(|c| {
            c.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(|e| StoreError::backend("ping", e))
        })
        .await
    }

    async fn close(&self) {
        self.jobs.lock().expect("writer lock").take();
        let done = self.writer_done.lock().expect("writer lock").take();
        if let Some(done) = done {
            // The writer finishes what is queued (and a bulk load's checkpoint) first.
            let _ = done.await;
        }
        self.close_now();
    }
}

#[async_trait]
impl Upkeep for SqliteStore {
    async fn check(&self) -> Result<CheckReport> {
        // On a connection of its own, outside the readers' statement budget: it reads
        // everything.
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || upkeep::check(&path))
            .await
            .map_err(|e| StoreError::backend("check the store", e))?
    }

    async fn rebuild_derived(&self) -> Result<Rebuilt> {
        self.write(upkeep::rebuild).await
    }
}

#[async_trait]
impl Directory for SqliteStore {
    async fn create_tenant(&self, tenant: NewTenant) -> Result<Tenant> {
        let now = Timestamp::now();
        self.write(move |c| directory::create_tenant(c, tenant, now))
            .await
    }

    async fn tenant(&self, key: &str) -> Result<Option<Tenant>> {
        let key = key.to_owned();
        self.read(move |c| directory::tenant(c, &key)).await
    }

    async fn tenant_by_id(&self, id: i64) -> Result<Option<Tenant>> {
        self.read(move |c| directory::tenant_by_id(c, id)).await
    }

    async fn tenant_by_alias(&self, dialect: &str, alias: &str) -> Result<Option<Tenant>> {
        let (dialect, alias) = (dialect.to_owned(), alias.to_owned());
        self.read(move |c| directory::tenant_by_alias(c, &dialect, &alias))
            .await
    }

    async fn tenants(&self) -> Result<Vec<Tenant>> {
        self.read(|c| directory::tenants(c)).await
    }

    async fn create_client(&self, tenant: &Tenant, client: NewClient) -> Result<Client> {
        let (id, now) = (tenant.id, Timestamp::now());
        self.write(move |c| directory::create_client(c, id, client, now))
            .await
    }

    async fn client(&self, client_id: &str) -> Result<Option<Client>> {
        let client_id = client_id.to_owned();
        self.read(move |c| directory::client(c, &client_id)).await
    }

    async fn create_user(&self, tenant: &Tenant, user: NewUser) -> Result<User> {
        let (id, now) = (tenant.id, Timestamp::now());
        self.write(move |c| directory::create_user(c, id, user, now))
            .await
    }

    async fn user(&self, tenant: &Tenant, username: &str) -> Result<Option<User>> {
        let (id, username) = (tenant.id, username.to_owned());
        self.read(move |c| directory::user(c, id, &username)).await
    }

    async fn clients(&self, tenant: &Tenant) -> Result<Vec<Client>> {
        let id = tenant.id;
        self.read(move |c| directory::clients(c, id)).await
    }

    async fn users(&self, tenant: &Tenant) -> Result<Vec<User>> {
        let id = tenant.id;
        self.read(move |c| directory::users(c, id)).await
    }

    async fn revoke_client(&self, tenant: &Tenant, client_id: &str, how: Revoke) -> Result<bool> {
        let (id, key, now) = (tenant.id, client_id.to_owned(), now_millis());
        self.write(move |c| directory::revoke_client(c, id, &key, how, now))
            .await
    }

    async fn revoke_user(&self, tenant: &Tenant, username: &str, how: Revoke) -> Result<bool> {
        let (id, key, now) = (tenant.id, username.to_owned(), now_millis());
        self.write(move |c| directory::revoke_user(c, id, &key, how, now))
            .await
    }

    async fn enable_client(&self, tenant: &Tenant, client_id: &str) -> Result<bool> {
        let (id, key) = (tenant.id, client_id.to_owned());
        self.write(move |c| directory::enable(c, id, "clients", "client_id", &key))
            .await
    }

    async fn enable_user(&self, tenant: &Tenant, username: &str) -> Result<bool> {
        let (id, key) = (tenant.id, username.to_owned());
        self.write(move |c| directory::enable(c, id, "users", "username", &key))
            .await
    }

    async fn revocation_epoch(&self) -> Result<i64> {
        self.read(|c| directory::revocation_epoch(c)).await
    }

    async fn revocations(&self) -> Result<(i64, Vec<Revocation>)> {
        self.read(|c| directory::revocations(c)).await
    }

    async fn delete_tenant(&self, tenant: &Tenant) -> Result<()> {
        let (id, now) = (tenant.id, now_millis());
        self.write(move |c| {
            directory::delete_tenant(c, id, now)?;
            c.interner.borrow_mut().forget_tenant(id);
            c.figure_keys.borrow_mut().forget_tenant(id);
            c.names.borrow_mut().forget_tenant(id);
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Engagements for SqliteStore {
    async fn upsert_many(
        &self,
        tenant: &Tenant,
        engagements: Vec<Engagement>,
    ) -> Result<Vec<UpsertOutcome>> {
        let t = ctx(tenant);
        let rows = prepare(engagements, now_millis(), t.clone()).await?;
        self.write(move |c| {
            let mut terms = rows::TermEntries::default();
            let outcomes = rows
                .into_iter()
                .map(|r| rows::upsert(c, &t, r, &mut terms))
                .collect::<Result<Vec<_>>>()?;
            terms.write(c, &t)?;
            Ok(outcomes)
        })
        .await
    }

    async fn create(&self, tenant: &Tenant, engagement: Engagement) -> Result<StoredEngagement> {
        let t = ctx(tenant);
        let row = Row::new(engagement, now_millis(), &t);
        self.write(move |c| rows::create(c, &t, row)).await
    }

    async fn update(
        &self,
        tenant: &Tenant,
        id: &str,
        edit: EngagementEdit,
    ) -> Result<StoredEngagement> {
        let (t, id) = (ctx(tenant), id.to_owned());
        let now = now_millis();
        self.write(move |c| rows::update(c, &t, &id, edit, now))
            .await
    }

    async fn get(&self, tenant: &Tenant, id: &str) -> Result<Option<StoredEngagement>> {
        let (tid, id) = (tenant.id, id.to_owned());
        self.read(move |c| rows::get(c, tid, &id)).await
    }

    async fn get_many(&self, tenant: &Tenant, ids: &[String]) -> Result<Vec<StoredEngagement>> {
        let (tid, ids) = (tenant.id, ids.to_vec());
        self.read(move |c| {
            let mut out = Vec::with_capacity(ids.len());
            for id in &ids {
                out.extend(rows::get(c, tid, id)?);
            }
            Ok(out)
        })
        .await
    }

    async fn delete_many(
        &self,
        tenant: &Tenant,
        ids: &[String],
        reason: DeleteReason,
    ) -> Result<u64> {
        let (t, ids, now) = (ctx(tenant), ids.to_vec(), now_millis());
        self.write(move |c| {
            let mut n = 0;
            for id in &ids {
                n += u64::from(rows::delete(c, &t, id, reason, now)?);
            }
            Ok(n)
        })
        .await
    }

    async fn delete_started_before(
        &self,
        tenant: &Tenant,
        before: Timestamp,
        limit: u32,
    ) -> Result<u64> {
        let (t, now) = (ctx(tenant), now_millis());
        self.write(move |c| rows::delete_started_before(c, &t, before, limit, now))
            .await
    }

    async fn list(&self, tenant: &Tenant, query: &Query) -> Result<Page> {
        query.filter.check_size()?;
        let (t, q, max_bytes) = (ctx(tenant), query.clone(), self.limits.max_page_bytes);
        self.readers
            .read_or_move(query.lane(), move |c| {
                listing::list(c, t.id, t.country_code.as_deref(), &q, max_bytes)
            })
            .await
    }

    async fn count(
        &self,
        tenant: &Tenant,
        filter: &Filter,
        within: Option<std::time::Duration>,
    ) -> Result<Total> {
        filter.check_size()?;
        let (t, f) = (ctx(tenant), filter.clone());
        self.read_on(Lane::Heavy, move |c| {
            listing::count(c, t.id, t.country_code.as_deref(), &f, within)
        })
        .await
    }

    async fn activity(
        &self,
        tenant: &Tenant,
        first: jiff::civil::Date,
        days: u32,
    ) -> Result<interlog_store::Activity> {
        let tenant = tenant.clone();
        self.read_on(Lane::Heavy, move |c| {
            activity::activity(c, &tenant, first, days)
        })
        .await
    }

    async fn snapshot(
        &self,
        tenant: &Tenant,
        filter: &Filter,
        out: tokio::sync::mpsc::Sender<interlog_store::SnapshotPart>,
    ) -> Result<()> {
        filter.check_size()?;
        let (t, f, max_bytes) = (ctx(tenant), filter.clone(), self.limits.max_page_bytes);
        self.readers
            .dedicated(move |r, budget| {
                snapshot::read(
                    r,
                    budget,
                    t.id,
                    t.country_code.as_deref(),
                    &f,
                    max_bytes,
                    &out,
                )
            })
            .await
    }
}

#[async_trait]
impl Analytics for SqliteStore {
    async fn figures(
        &self,
        tenant: &Tenant,
        query: &interlog_store::FiguresQuery,
    ) -> Result<interlog_store::Figures> {
        query.check()?;
        let (tenant, query) = (tenant.clone(), query.clone());
        self.read_on(Lane::Heavy, move |c| figures::figures(c, &tenant, &query))
            .await
    }

    async fn queue_visits(
        &self,
        tenant: &Tenant,
        queues: &[String],
        bounds: &[i64],
    ) -> Result<Vec<interlog_store::analytics::VisitCounts>> {
        interlog_store::analytics::check_queue_visits(queues, bounds)?;
        let (tenant, queues, bounds) = (tenant.clone(), queues.to_vec(), bounds.to_vec());
        self.read_on(Lane::Heavy, move |c| {
            figures::queue_visits(c, &tenant, &queues, &bounds)
        })
        .await
    }
}

#[async_trait]
impl Changes for SqliteStore {
    async fn changes(&self, tenant: &Tenant, after: i64, limit: u32) -> Result<ChangePage> {
        let (tid, max_bytes) = (tenant.id, self.limits.max_page_bytes);
        self.read_on(Lane::Heavy, move |c| {
            changes::read(c, tid, after, limit, max_bytes)
        })
        .await
    }

    async fn trim_tombstones(&self, tenant: &Tenant, before: Timestamp, limit: u32) -> Result<u64> {
        let tid = tenant.id;
        self.write(move |c| changes::trim(c, tid, before, limit))
            .await
    }
}

#[async_trait]
impl IdentityLinks for SqliteStore {
    async fn link_identifiers(&self, tenant: &Tenant, identifiers: &[Identifier]) -> Result<()> {
        let (t, ids) = (ctx(tenant), identifiers.to_vec());
        self.write(move |c| links::link(c, t.id, t.country_code.as_deref(), &ids))
            .await
    }

    async fn unlink_identifier(&self, tenant: &Tenant, identifier: &str) -> Result<bool> {
        let (t, id) = (ctx(tenant), identifier.to_owned());
        self.write(move |c| links::unlink(c, t.id, t.country_code.as_deref(), &id))
            .await
    }

    async fn linked_identifiers(
        &self,
        tenant: &Tenant,
        identifier: &str,
    ) -> Result<Vec<LinkedIdentifier>> {
        let (t, id) = (ctx(tenant), identifier.to_owned());
        self.read(move |c| links::linked(c, t.id, t.country_code.as_deref(), &id))
            .await
    }
}

#[async_trait]
impl ExpiringRecords for SqliteStore {
    async fn put_record(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        record: Record,
    ) -> Result<()> {
        let (tid, ns, k) = (tenant.id, namespace.to_owned(), key.to_owned());
        let now = now_millis();
        self.write(move |c| records::put(c, tid, &ns, &k, &record, now))
            .await
    }

    async fn get_record(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
    ) -> Result<Option<Record>> {
        let (tid, ns, k) = (tenant.id, namespace.to_owned(), key.to_owned());
        let now = now_millis();
        self.read(move |c| records::get(c, tid, &ns, &k, now)).await
    }

    async fn take_record(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        owner: &str,
    ) -> Result<Option<Record>> {
        let (tid, ns, k, o) = (
            tenant.id,
            namespace.to_owned(),
            key.to_owned(),
            owner.to_owned(),
        );
        let now = now_millis();
        self.write(move |c| records::take(c, tid, &ns, &k, &o, now))
            .await
    }

    async fn delete_record(&self, tenant: &Tenant, namespace: &str, key: &str) -> Result<bool> {
        let (tid, ns, k) = (tenant.id, namespace.to_owned(), key.to_owned());
        self.write(move |c| records::delete(c, tid, &ns, &k)).await
    }

    async fn sweep_records(&self, limit: u32) -> Result<u64> {
        let now = now_millis();
        self.write(move |c| records::sweep(c, now, limit)).await
    }
}

#[async_trait]
impl DurableSettings for SqliteStore {
    async fn setting(&self, tenant: &Tenant, namespace: &str, key: &str) -> Result<Option<String>> {
        let (tid, ns, k) = (tenant.id, namespace.to_owned(), key.to_owned());
        self.read(move |c| settings::get(c, tid, &ns, &k)).await
    }

    async fn settings_in(&self, tenant: &Tenant, namespace: &str) -> Result<Vec<(String, String)>> {
        let (tid, ns) = (tenant.id, namespace.to_owned());
        self.read(move |c| settings::all(c, tid, &ns)).await
    }

    async fn put_setting(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        value: &str,
    ) -> Result<()> {
        let (tid, ns, k, v) = (
            tenant.id,
            namespace.to_owned(),
            key.to_owned(),
            value.to_owned(),
        );
        self.write(move |c| settings::put(c, tid, &ns, &k, Some(&v)))
            .await
    }

    async fn update_setting(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        edit: SettingEdit,
    ) -> Result<Option<String>> {
        let (tid, ns, k) = (tenant.id, namespace.to_owned(), key.to_owned());
        self.write(move |c| settings::update(c, tid, &ns, &k, edit))
            .await
    }
}

#[async_trait]
impl interlog_store::Names for SqliteStore {
    async fn suggest_names(
        &self,
        tenant: &Tenant,
        kind: interlog_store::NameKind,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<interlog_store::KnownName>> {
        let (id, prefix) = (tenant.id, prefix.to_owned());
        self.read(move |c| names::suggest(c, id, kind, &prefix, limit))
            .await
    }

    async fn ids_named(
        &self,
        tenant: &Tenant,
        kind: interlog_store::NameKind,
        names: &[String],
    ) -> Result<Vec<String>> {
        let (id, wanted) = (tenant.id, names.to_vec());
        self.read(move |c| names::ids_named(c, id, kind, &wanted))
            .await
    }

    async fn phones_ending(
        &self,
        tenant: &Tenant,
        digits: &str,
        limit: u32,
    ) -> Result<Vec<String>> {
        let (id, digits) = (tenant.id, digits.to_owned());
        self.read(move |c| names::phones_ending(c, id, &digits, limit))
            .await
    }
}
