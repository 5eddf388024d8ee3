//! The shared store: PostgreSQL, for several Interlog instances on one database.
//!
//! Reads run on a pool of connections (deadpool); writes of engagements are merged through
//! staging tables ([`write`]): bulk loads `COPY` into them, and concurrent single writes
//! are grouped into one transaction. Everything an instance must share with the others
//! (sessions, tokens, settings) is in the database; notifications between instances use
//! LISTEN/NOTIFY ([`notify`]). The schema is laid out to distribute by tenant on Citus
//! (`docs/scale-out.md`).
//!
//! Heavy reads (totals, large pages, the change feed, the overview; see
//! [`interlog_store::Lane`]) have a pool of their own, so cheap reads and writes never wait
//! for a connection behind them. Every statement runs with a statement timeout (a read's:
//! [`ReadLimits::statement_budget`], ending as [`StoreError::TimedOut`]), and a request that
//! finds every pooled connection busy waits a bounded time ([`StoreError::Unavailable`]),
//! both of which clients see as a 503, as they see a database that is down or restarting.

mod activity;
mod changes;
mod config;
mod count;
mod derived;
mod directory;
mod error;
mod figures;
mod links;
mod listing;
mod names;
mod notify;
mod priority;
mod records;
mod rows;
mod schema;
mod settings;
mod upkeep;
mod words;
mod write;

pub use config::{CopyFormat, PgOptions};

use async_trait::async_trait;
use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod};
use error::{db, pool_error};
use interlog_model::{Engagement, Timestamp};
use interlog_store::{
    error_chain, Analytics, ChangePage, Changes, Client, DeleteReason, Directory, DurableSettings,
    EngagementEdit, Engagements, ExpiringRecords, Filter, Identifier, IdentityLinks, Lane,
    LinkedIdentifier, LocalSubscribers, NewClient, NewTenant, NewUser, Notifications, OpenOptions,
    Page, Query, ReadLimits, Record, Result, Revocation, Revoke, SettingEdit, Store, StoreError,
    StoredEngagement, Subscription, Tenant, Total, UpsertOutcome, User,
};
use rows::{Row, TenantCtx};
use std::sync::Arc;
use std::time::Duration;
use write::{GroupCommit, Mode, Pending, Written};

/// Writer tasks of the group commit: one collects the next group while another commits.
const WRITERS: usize = 2;

/// The PostgreSQL-backed [`Store`].
pub struct PgStore {
    /// Writes and cheap reads.
    pool: Pool,
    /// Heavy reads.
    heavy: Pool,
    limits: ReadLimits,
    options: PgOptions,
    group: GroupCommit,
    subscribers: Arc<LocalSubscribers>,
    listener: notify::Listener,
    /// The NOTIFY channel of this store.
    channel: Arc<str>,
}

/// The current time at the millisecond precision the store keeps.
fn now_millis() -> Timestamp {
    Timestamp::from_millisecond(Timestamp::now().as_millisecond()).expect("now is representable")
}

fn ctx(t: &Tenant) -> TenantCtx {
    TenantCtx {
        id: t.id,
        country_code: t.country_code.clone(),
    }
}

/// Prepares rows; large batches on a background thread
/// ([`interlog_store::background_cpu`]) so serializing them does not stall the async
/// runtime, and interactive requests come first for the CPU.
async fn prepare(
    engagements: Vec<Engagement>,
    now: Timestamp,
    country: Option<String>,
) -> Result<Vec<Pending>> {
    let few = engagements.len() <= 8;
    let build = move || {
        engagements
            .into_iter()
            .map(|e| Pending {
                row: Row::new(e, now, country.as_deref()),
                mode: Mode::Upsert,
            })
            .collect::<Vec<_>>()
    };
    if few {
        return Ok(build());
    }
    interlog_store::background_cpu::run(build).await
}

fn upsert_outcome(w: Written) -> UpsertOutcome {
    match w {
        Written::Created => UpsertOutcome::Created,
        Written::Stale => UpsertOutcome::Stale,
        Written::Updated | Written::Exists | Written::Missing => UpsertOutcome::Updated,
    }
}

impl PgStore {
    /// Connects to the database a `postgres://` URL names, brings its schema up to date
    /// and starts listening for notifications. Fails (with
    /// [`StoreError::Unavailable`] when the server cannot be reached) rather than waiting.
    pub async fn open(url: &str, options: OpenOptions) -> Result<PgStore> {
        let opts = PgOptions::parse(url).map_err(StoreError::Invalid)?;
        Self::open_with(opts, options).await
    }

    pub async fn open_with(opts: PgOptions, options: OpenOptions) -> Result<PgStore> {
        let limits = options.limits;
        let (mut client, connection) = opts
            .pg
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(db("connect"))?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        schema::migrate(&mut client, opts.schema.as_deref()).await?;
        drop(client);
        let _ = driver.await;

        let manager = |timeout: Duration| {
            Manager::from_config(
                opts.with_statement_timeout(timeout),
                tokio_postgres::NoTls,
                ManagerConfig {
                    // Keep the connection's staging tables: no DISCARD ALL between uses.
                    recycling_method: RecyclingMethod::Fast,
                },
            )
        };
        let pool = Pool::builder(manager(
            opts.statement_timeout.unwrap_or(limits.statement_budget),
        ))
        .max_size(opts.pool_size)
        .wait_timeout(Some(opts.pool_timeout))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::backend("build the connection pool", e))?;
        // Heavy reads wait their turn for one of these, however long the line: the wait
        // is bounded by the line's reads' budgets, and the HTTP layer bounds the line.
        let nice = (opts.heavy_nice > 0 && priority::is_local(&opts.pg)).then_some(opts.heavy_nice);
        let heavy = Pool::builder(manager(limits.statement_budget))
            .max_size(limits.heavy_readers.max(1))
            .post_create(Hook::async_fn(move |client, _| {
                Box::pin(async move {
                    if let Some(nice) = nice {
                        let pid: i32 = client
                            .query_one("SELECT pg_backend_pid()", &[])
                            .await
                            .map_err(HookError::Backend)?
                            .get(0);
                        priority::lower_backend(pid, nice);
                    }
                    Ok(())
                })
            }))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::backend("build the heavy read pool", e))?;
        let subscribers = Arc::new(LocalSubscribers::new());
        let listener = notify::Listener::start(
            opts.pg.clone(),
            opts.channel(),
            pool.clone(),
            subscribers.clone(),
        )
        .await?;
        let channel: Arc<str> = opts.channel().into();
        Ok(PgStore {
            group: GroupCommit::start(pool.clone(), opts.copy, WRITERS, channel.clone()),
            channel,
            pool,
            heavy,
            limits,
            options: opts,
            subscribers,
            listener,
        })
    }

    /// A page of `query` (without its total), read on a connection of `pool`.
    async fn page(&self, pool: &Pool, tenant: &Tenant, query: &Query) -> Result<Page> {
        let client = pool.get().await.map_err(pool_error)?;
        self.page_on(&client, tenant, query).await
    }

    /// A page of `query` (without its total), read on `client`.
    async fn page_on(
        &self,
        client: &deadpool_postgres::Object,
        tenant: &Tenant,
        query: &Query,
    ) -> Result<Page> {
        let country = tenant.country_code.as_deref();
        if let Some(window) = listing::window_sql(tenant.id, country, query) {
            if !self.text_found_few(client, tenant, query).await? {
                let page = self.read_page(client, &window, query).await?;
                // Fewer matches than a page and one in the window: more may lie past it.
                if page.has_more {
                    return Ok(page);
                }
            }
        }
        let sql = listing::list_sql(tenant.id, country, query);
        self.read_page(client, &sql, query).await
    }

    /// Whether the words of `query`'s text are found fewer than [`listing::FEW`] times.
    async fn text_found_few(
        &self,
        client: &deadpool_postgres::Object,
        tenant: &Tenant,
        query: &Query,
    ) -> Result<bool> {
        let Some(sql) = listing::few_matches_sql(tenant.id, query) else {
            return Ok(false);
        };
        let timed = |context| count::read_error(context, self.limits.statement_budget);
        let stmt = client
            .prepare_cached(&sql.text)
            .await
            .map_err(timed("prepare a text query's matches"))?;
        let found: i64 = client
            .query_one(&stmt, &sql.refs())
            .await
            .map_err(timed("a text query's matches"))?
            .get(0);
        Ok(found < listing::FEW)
    }

    /// The page of `query` that the listing statement `sql` reads, on `client`.
    async fn read_page(
        &self,
        client: &deadpool_postgres::Object,
        sql: &listing::Sql,
        query: &Query,
    ) -> Result<Page> {
        let timed = |context| count::read_error(context, self.limits.statement_budget);
        let stmt = client
            .prepare_cached(&sql.text)
            .await
            .map_err(timed("prepare list"))?;
        let rows = client
            .query_raw(&stmt, sql.refs())
            .await
            .map_err(timed("list"))?;
        listing::page(rows, query, self.limits.max_page_bytes)
            .await
            .map_err(timed("list"))
    }

    /// The head and every page of a snapshot, on `client` inside its transaction.
    async fn snapshot_pages(
        &self,
        client: &deadpool_postgres::Object,
        tenant: &Tenant,
        filter: &Filter,
        out: &tokio::sync::mpsc::Sender<interlog_store::SnapshotPart>,
    ) -> Result<()> {
        use interlog_store::SnapshotPart;
        let timed = |context| count::read_error(context, self.limits.statement_budget);
        let position: i64 = client
            .query_opt(
                "SELECT head FROM tenant_heads WHERE tenant_id = $1",
                &[&tenant.id],
            )
            .await
            .map_err(timed("read feed head"))?
            .map_or(0, |r| r.get(0));
        let total = if filter.matches_nothing() {
            0
        } else {
            let sql = listing::count_sql(tenant.id, tenant.country_code.as_deref(), filter);
            let n: i64 = client
                .query_one(&sql.text, &sql.refs())
                .await
                .map_err(timed("count snapshot"))?
                .get(0);
            n as u64
        };
        if out
            .send(SnapshotPart::Start { position, total })
            .await
            .is_err()
            || total == 0
        {
            return Ok(());
        }
        let mut q = interlog_store::snapshot_query(filter);
        loop {
            let page = self.page_on(client, tenant, &q).await?;
            let next = page.next;
            if !page.items.is_empty() && out.send(SnapshotPart::Rows(page.items)).await.is_err() {
                return Ok(());
            }
            match next {
                Some(p) => q.start = interlog_store::Start::After(p),
                None => return Ok(()),
            }
        }
    }

    /// The pool that serves reads of `lane`.
    fn readers(&self, lane: Lane) -> &Pool {
        match lane {
            Lane::Cheap => &self.pool,
            Lane::Heavy => &self.heavy,
        }
    }

    /// Writes rows of one tenant in a transaction of their own (bulk writes), or through
    /// the group commit (a few rows).
    async fn write(&self, tenant: &Tenant, rows: Vec<Pending>) -> Result<Vec<Written>> {
        let t = ctx(tenant);
        if rows.len() < write::COPY_MIN {
            return self.group.write(t, rows).await;
        }
        let (pool, copy, t, rows) = (&self.pool, self.options.copy, &t, &rows);
        let channel = &*self.channel;
        write::retrying(|| async move {
            let mut client = write::connection(pool).await?;
            let tx = client.transaction().await?;
            let refs: Vec<&Pending> = rows.iter().collect();
            let written = write::merge(&tx, t, &refs, copy, 0, channel).await?;
            tx.commit().await?;
            Ok(written)
        })
        .await
    }

    async fn update_engagement(
        &self,
        tenant: &Tenant,
        id: &str,
        edit: EngagementEdit,
    ) -> Result<StoredEngagement> {
        let t = ctx(tenant);
        let now = now_millis();
        let (pool, copy, t, edit) = (&self.pool, self.options.copy, &t, &edit);
        let channel = &*self.channel;
        write::retrying(|| async move {
            let mut client = write::connection(pool).await?;
            let tx = client.transaction().await?;
            let Some(row) = tx
                .query_opt(
                    "SELECT body FROM engagements WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
                    &[&t.id, &id],
                )
                .await?
            else {
                return Err(StoreError::NotFound.into());
            };
            let mut e = rows::decode(row.get(0))?;
            edit(&mut e).map_err(StoreError::from)?;
            if e.id != id {
                return Err(StoreError::from(interlog_store::EditRejected(
                    "an edit cannot change the id".into(),
                ))
                .into());
            }
            let pending = Pending {
                row: Row::new(e, now, t.country_code.as_deref()),
                mode: Mode::Replace,
            };
            let written = write::merge(&tx, t, &[&pending], copy, 0, channel).await?;
            if written != [Written::Updated] {
                return Err(StoreError::NotFound.into());
            }
            tx.commit().await?;
            Ok(pending.row.stored())
        })
        .await
    }
}

#[async_trait]
impl Analytics for PgStore {
    async fn figures(
        &self,
        tenant: &Tenant,
        query: &interlog_store::FiguresQuery,
    ) -> Result<interlog_store::Figures> {
        figures::figures(self.readers(Lane::Heavy), tenant, query).await
    }

    async fn queue_visits(
        &self,
        tenant: &Tenant,
        queues: &[String],
        bounds: &[i64],
    ) -> Result<Vec<interlog_store::analytics::VisitCounts>> {
        figures::queue_visits(self.readers(Lane::Heavy), tenant, queues, bounds).await
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn scrub_freed(&self) -> Result<()> {
        // Nothing a client can do: deleted rows stay in their pages until VACUUM (autovacuum,
        // soon after a large deletion) makes the space reusable and later writes overwrite it;
        // docs/scale-out.md says what an operator can do beyond that.
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        let client = self.pool.get().await.map_err(pool_error)?;
        client.simple_query("SELECT 1").await.map_err(db("ping"))?;
        Ok(())
    }

    async fn close(&self) {
        self.group.close().await;
        self.listener.stop();
        self.pool.close();
    }
}

#[async_trait]
impl interlog_store::Upkeep for PgStore {
    async fn check(&self) -> Result<interlog_store::CheckReport> {
        upkeep::check(&self.heavy).await
    }

    async fn rebuild_derived(&self) -> Result<interlog_store::Rebuilt> {
        upkeep::rebuild(&self.pool).await
    }
}

#[async_trait]
impl Directory for PgStore {
    async fn create_tenant(&self, tenant: NewTenant) -> Result<Tenant> {
        directory::create_tenant(&self.pool, tenant, Timestamp::now()).await
    }

    async fn tenant(&self, key: &str) -> Result<Option<Tenant>> {
        directory::tenant(&self.pool, key).await
    }

    async fn tenant_by_id(&self, id: i64) -> Result<Option<Tenant>> {
        directory::tenant_by_id(&self.pool, id).await
    }

    async fn tenant_by_alias(&self, dialect: &str, alias: &str) -> Result<Option<Tenant>> {
        directory::tenant_by_alias(&self.pool, dialect, alias).await
    }

    async fn tenants(&self) -> Result<Vec<Tenant>> {
        directory::tenants(&self.pool).await
    }

    async fn create_client(&self, tenant: &Tenant, client: NewClient) -> Result<Client> {
        directory::create_client(&self.pool, tenant.id, client, Timestamp::now()).await
    }

    async fn client(&self, client_id: &str) -> Result<Option<Client>> {
        directory::client(&self.pool, client_id).await
    }

    async fn create_user(&self, tenant: &Tenant, user: NewUser) -> Result<User> {
        directory::create_user(&self.pool, tenant.id, user, Timestamp::now()).await
    }

    async fn user(&self, tenant: &Tenant, username: &str) -> Result<Option<User>> {
        directory::user(&self.pool, tenant.id, username).await
    }

    async fn clients(&self, tenant: &Tenant) -> Result<Vec<Client>> {
        directory::clients(&self.pool, tenant.id).await
    }

    async fn users(&self, tenant: &Tenant) -> Result<Vec<User>> {
        directory::users(&self.pool, tenant.id).await
    }

    async fn revoke_client(&self, tenant: &Tenant, client_id: &str, how: Revoke) -> Result<bool> {
        directory::revoke(&self.pool, tenant.id, false, client_id, how, now_millis()).await
    }

    async fn revoke_user(&self, tenant: &Tenant, username: &str, how: Revoke) -> Result<bool> {
        directory::revoke(&self.pool, tenant.id, true, username, how, now_millis()).await
    }

    async fn enable_client(&self, tenant: &Tenant, client_id: &str) -> Result<bool> {
        directory::enable(&self.pool, tenant.id, false, client_id).await
    }

    async fn enable_user(&self, tenant: &Tenant, username: &str) -> Result<bool> {
        directory::enable(&self.pool, tenant.id, true, username).await
    }

    async fn revocation_epoch(&self) -> Result<i64> {
        directory::revocation_epoch(&self.pool).await
    }

    async fn revocations(&self) -> Result<(i64, Vec<Revocation>)> {
        directory::revocations(&self.pool).await
    }

    async fn delete_tenant(&self, tenant: &Tenant) -> Result<()> {
        directory::delete_tenant(&self.pool, tenant.id, now_millis()).await
    }
}

#[async_trait]
impl Engagements for PgStore {
    async fn snapshot(
        &self,
        tenant: &Tenant,
        filter: &Filter,
        out: tokio::sync::mpsc::Sender<interlog_store::SnapshotPart>,
    ) -> Result<()> {
        filter.check_size()?;
        let timed = |context| count::read_error(context, self.limits.statement_budget);
        let client = self.heavy.get().await.map_err(pool_error)?;
        // REPEATABLE READ: every statement of the transaction sees the snapshot its first
        // one took, so the head and every page agree (positions follow commit order: a
        // writer holds its tenant's head row until it commits).
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(timed("begin snapshot"))?;
        let result = self.snapshot_pages(&client, tenant, filter, &out).await;
        if client.batch_execute("COMMIT").await.is_err() || result.is_err() {
            // Not back into the pool in a transaction that failed halfway.
            drop(deadpool_postgres::Object::take(client));
        }
        result
    }

    async fn upsert_many(
        &self,
        tenant: &Tenant,
        engagements: Vec<Engagement>,
    ) -> Result<Vec<UpsertOutcome>> {
        let rows = prepare(engagements, now_millis(), tenant.country_code.clone()).await?;
        let written = self.write(tenant, rows).await?;
        Ok(written.into_iter().map(upsert_outcome).collect())
    }

    async fn create(&self, tenant: &Tenant, engagement: Engagement) -> Result<StoredEngagement> {
        let row = Row::new(engagement, now_millis(), tenant.country_code.as_deref());
        let stored = row.stored();
        let written = self
            .write(
                tenant,
                vec![Pending {
                    row,
                    mode: Mode::Create,
                }],
            )
            .await?;
        match written.as_slice() {
            [Written::Created] => Ok(stored),
            _ => Err(StoreError::Conflict(format!(
                "engagement {} already exists",
                stored.id
            ))),
        }
    }

    async fn update(
        &self,
        tenant: &Tenant,
        id: &str,
        edit: EngagementEdit,
    ) -> Result<StoredEngagement> {
        self.update_engagement(tenant, id, edit).await
    }

    async fn get(&self, tenant: &Tenant, id: &str) -> Result<Option<StoredEngagement>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let stmt = client
            .prepare_cached("SELECT body FROM engagements WHERE tenant_id = $1 AND id = $2")
            .await
            .map_err(db("prepare get"))?;
        Ok(client
            .query_opt(&stmt, &[&tenant.id, &id])
            .await
            .map_err(db("get engagement"))?
            .map(|r| StoredEngagement {
                id: id.to_owned(),
                json: r.get(0),
            }))
    }

    async fn get_many(&self, tenant: &Tenant, ids: &[String]) -> Result<Vec<StoredEngagement>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.pool.get().await.map_err(pool_error)?;
        let stmt = client
            .prepare_cached(
                "SELECT id, body FROM engagements WHERE tenant_id = $1 AND id = ANY($2)",
            )
            .await
            .map_err(db("prepare get_many"))?;
        let found: std::collections::HashMap<String, String> = client
            .query(&stmt, &[&tenant.id, &ids])
            .await
            .map_err(db("get engagements"))?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        Ok(ids
            .iter()
            .filter_map(|id| {
                found.get(id).map(|json| StoredEngagement {
                    id: id.clone(),
                    json: json.clone(),
                })
            })
            .collect())
    }

    async fn delete_many(
        &self,
        tenant: &Tenant,
        ids: &[String],
        reason: DeleteReason,
    ) -> Result<u64> {
        let t = ctx(tenant);
        let (pool, t, channel) = (&self.pool, &t, &*self.channel);
        write::retrying(|| async move {
            let mut client = pool.get().await.map_err(pool_error)?;
            let tx = client.transaction().await?;
            let n = changes::remove(&tx, t, ids, reason, channel).await?;
            tx.commit().await?;
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
        let t = ctx(tenant);
        let (pool, t, channel) = (&self.pool, &t, &*self.channel);
        write::retrying(|| async move {
            let mut client = pool.get().await.map_err(pool_error)?;
            let tx = client.transaction().await?;
            let ids = changes::started_before(&tx, t.id, before, limit).await?;
            let n = changes::remove(&tx, t, &ids, DeleteReason::Retention, channel).await?;
            tx.commit().await?;
            Ok(n)
        })
        .await
    }

    async fn list(&self, tenant: &Tenant, query: &Query) -> Result<Page> {
        query.filter.check_size()?;
        if query.filter.matches_nothing() {
            return Ok(Page::empty(query));
        }
        let budget = self.limits.statement_budget;
        let lane = query.lane();
        let mut page = match lane {
            Lane::Heavy => self.page(&self.heavy, tenant, query).await?,
            // Moved to the heavy pool, it would wait behind every heavy read there (seconds
            // under load) to do the same small work.
            Lane::Cheap if listing::reads_only_its_page(query) => {
                self.page(&self.pool, tenant, query).await?
            }
            Lane::Cheap => {
                // A cheap listing that runs long is stopped and read again on the heavy
                // pool (interlog_store::CHEAP_READ_BUDGET). Its connection leaves the pool:
                // a cancel that arrived late could otherwise stop its next statement.
                let client = self.pool.get().await.map_err(pool_error)?;
                let cancel = client.cancel_token();
                let read = self.page_on(&client, tenant, query);
                match tokio::time::timeout(interlog_store::CHEAP_READ_BUDGET, read).await {
                    Ok(page) => page?,
                    Err(_) => {
                        let _ = cancel.cancel_query(tokio_postgres::NoTls).await;
                        drop(deadpool_postgres::Object::take(client));
                        metrics::counter!(interlog_store::READS_MOVED_TO_HEAVY).increment(1);
                        self.page(&self.heavy, tenant, query).await?
                    }
                }
            }
        };
        if query.with_total {
            page.total = Some(
                count::count(
                    self.readers(lane),
                    tenant,
                    &query.filter,
                    query.count_within,
                    budget,
                )
                .await?,
            );
        }
        Ok(page)
    }

    async fn count(
        &self,
        tenant: &Tenant,
        filter: &Filter,
        within: Option<Duration>,
    ) -> Result<Total> {
        filter.check_size()?;
        count::count(
            &self.heavy,
            tenant,
            filter,
            within,
            self.limits.statement_budget,
        )
        .await
    }

    async fn activity(
        &self,
        tenant: &Tenant,
        first: jiff::civil::Date,
        days: u32,
    ) -> Result<interlog_store::Activity> {
        activity::activity(&self.heavy, tenant, first, days)
            .await
            .map_err(|e| match e {
                StoreError::Unavailable { source, .. }
                    if source
                        .downcast_ref::<tokio_postgres::Error>()
                        .is_some_and(count::canceled) =>
                {
                    StoreError::TimedOut(self.limits.statement_budget)
                }
                other => other,
            })
    }
}

#[async_trait]
impl Changes for PgStore {
    async fn changes(&self, tenant: &Tenant, after: i64, limit: u32) -> Result<ChangePage> {
        let budget = self.limits.statement_budget;
        changes::read(
            &self.heavy,
            tenant.id,
            after,
            limit,
            self.limits.max_page_bytes,
            budget,
        )
        .await
    }

    async fn trim_tombstones(&self, tenant: &Tenant, before: Timestamp, limit: u32) -> Result<u64> {
        changes::trim(&self.pool, tenant.id, before, limit).await
    }
}

#[async_trait]
impl IdentityLinks for PgStore {
    async fn link_identifiers(&self, tenant: &Tenant, identifiers: &[Identifier]) -> Result<()> {
        links::link(
            &self.pool,
            tenant.id,
            tenant.country_code.as_deref(),
            identifiers,
        )
        .await
    }

    async fn unlink_identifier(&self, tenant: &Tenant, identifier: &str) -> Result<bool> {
        links::unlink(
            &self.pool,
            tenant.id,
            tenant.country_code.as_deref(),
            identifier,
        )
        .await
    }

    async fn linked_identifiers(
        &self,
        tenant: &Tenant,
        identifier: &str,
    ) -> Result<Vec<LinkedIdentifier>> {
        links::linked(
            &self.pool,
            tenant.id,
            tenant.country_code.as_deref(),
            identifier,
        )
        .await
    }
}

#[async_trait]
impl ExpiringRecords for PgStore {
    async fn put_record(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        record: Record,
    ) -> Result<()> {
        records::put(&self.pool, tenant.id, namespace, key, &record, now_millis()).await
    }

    async fn get_record(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
    ) -> Result<Option<Record>> {
        records::get(&self.pool, tenant.id, namespace, key, now_millis()).await
    }

    async fn take_record(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        owner: &str,
    ) -> Result<Option<Record>> {
        records::take(&self.pool, tenant.id, namespace, key, owner, now_millis()).await
    }

    async fn delete_record(&self, tenant: &Tenant, namespace: &str, key: &str) -> Result<bool> {
        records::delete(&self.pool, tenant.id, namespace, key).await
    }

    async fn sweep_records(&self, limit: u32) -> Result<u64> {
        records::sweep(&self.pool, now_millis(), limit).await
    }
}

#[async_trait]
impl DurableSettings for PgStore {
    async fn setting(&self, tenant: &Tenant, namespace: &str, key: &str) -> Result<Option<String>> {
        settings::get(&self.pool, tenant.id, namespace, key).await
    }

    async fn settings_in(&self, tenant: &Tenant, namespace: &str) -> Result<Vec<(String, String)>> {
        settings::all(&self.pool, tenant.id, namespace).await
    }

    async fn put_setting(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        value: &str,
    ) -> Result<()> {
        settings::put(&self.pool, tenant.id, namespace, key, value).await
    }

    async fn update_setting(
        &self,
        tenant: &Tenant,
        namespace: &str,
        key: &str,
        edit: SettingEdit,
    ) -> Result<Option<String>> {
        settings::update(&self.pool, tenant.id, namespace, key, edit).await
    }
}

#[async_trait]
impl Notifications for PgStore {
    async fn publish(&self, tenant: &Tenant, topic: &str, payload: &str) -> Result<()> {
        notify::publish(&self.pool, &self.channel, tenant.id, topic, payload).await
    }

    async fn subscribe(&self, tenant: &Tenant, topic: &str) -> Result<Subscription> {
        self.listener.ready(self.options.pool_timeout).await?;
        Ok(self.subscribers.subscribe(tenant.id, topic))
    }
}

#[async_trait]
impl interlog_store::Names for PgStore {
    async fn suggest_names(
        &self,
        tenant: &Tenant,
        kind: interlog_store::NameKind,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<interlog_store::KnownName>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        names::suggest(&client, tenant.id, kind, prefix, limit).await
    }

    async fn ids_named(
        &self,
        tenant: &Tenant,
        kind: interlog_store::NameKind,
        names: &[String],
    ) -> Result<Vec<String>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        names::ids_named(&client, tenant.id, kind, names).await
    }

    async fn phones_ending(
        &self,
        tenant: &Tenant,
        digits: &str,
        limit: u32,
    ) -> Result<Vec<String>> {
        let client = self.pool.get().await.map_err(pool_error)?;
        names::phones_ending(&client, tenant.id, digits, limit).await
    }
}
