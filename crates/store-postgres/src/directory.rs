//! Tenants, API clients and users: small reference tables.

use crate::error::{db, is_unique_violation, pg_error, pool_error};
use crate::write::retrying;
use deadpool_postgres::Pool;
use interlog_model::Timestamp;
use interlog_store::{
    Client, ClientRole, NewClient, NewTenant, NewUser, Result, Revocation, Revoke, StoreError,
    Tenant, User,
};
use tokio_postgres::{Row, Transaction};

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn role(s: &str) -> Result<ClientRole> {
    s.parse()
        .map_err(|e: String| StoreError::backend("stored role", e))
}

/// A unique violation as a conflict with this message; anything else as it is.
fn conflict(
    context: &'static str,
    message: String,
) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(message)
        } else {
            pg_error(context, e)
        }
    }
}

pub(crate) async fn create_tenant(pool: &Pool, new: NewTenant, now: Timestamp) -> Result<Tenant> {
    let t = &new;
    let id = retrying(|| async move {
        let mut client = pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO tenants (key, name, time_zone, country_code, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[
                    &t.key,
                    &t.name,
                    &t.time_zone,
                    &t.country_code,
                    &now.as_millisecond(),
                ],
            )
            .await
            .map_err(conflict(
                "create tenant",
                format!("tenant {} already exists", t.key),
            ))?
            .get(0);
        for (dialect, alias) in &t.aliases {
            tx.execute(
                "INSERT INTO tenant_aliases (dialect, alias, tenant_id) VALUES ($1, $2, $3)",
                &[dialect, alias, &id],
            )
            .await
            .map_err(conflict(
                "create tenant alias",
                format!("alias {alias} is taken in {dialect}"),
            ))?;
        }
        tx.commit().await?;
        Ok(id)
    })
    .await?;
    Ok(new.stored(id, ts(now.as_millisecond())))
}

const TENANT_COLUMNS: &str = "id, key, name, time_zone, country_code, created_at,
    coalesce((SELECT array_agg(a.dialect || chr(31) || a.alias ORDER BY a.dialect, a.alias)
              FROM tenant_aliases a WHERE a.tenant_id = tenants.id), '{}')";

fn tenant_row(r: &Row) -> Tenant {
    let aliases: Vec<String> = r.get(6);
    Tenant {
        id: r.get(0),
        key: r.get(1),
        name: r.get(2),
        time_zone: r.get(3),
        country_code: r.get(4),
        aliases: aliases
            .into_iter()
            .filter_map(|a| {
                a.split_once('\u{1f}')
                    .map(|(d, a)| (d.to_owned(), a.to_owned()))
            })
            .collect(),
        created_at: ts(r.get(5)),
    }
}

async fn tenant_where(
    pool: &Pool,
    condition: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<Tenant>> {
    let client = pool.get().await.map_err(pool_error)?;
    let stmt = client
        .prepare_cached(&format!("SELECT {TENANT_COLUMNS} FROM tenants {condition}"))
        .await
        .map_err(db("prepare tenant read"))?;
    let rows = client
        .query(&stmt, params)
        .await
        .map_err(db("read tenants"))?;
    Ok(rows.iter().map(tenant_row).collect())
}

pub(crate) async fn tenant(pool: &Pool, key: &str) -> Result<Option<Tenant>> {
    Ok(tenant_where(pool, "WHERE key = $1", &[&key]).await?.pop())
}

pub(crate) async fn tenant_by_id(pool: &Pool, id: i64) -> Result<Option<Tenant>> {
    Ok(tenant_where(pool, "WHERE id = $1", &[&id]).await?.pop())
}

pub(crate) async fn tenant_by_alias(
    pool: &Pool,
    dialect: &str,
    alias: &str,
) -> Result<Option<Tenant>> {
    Ok(tenant_where(
        pool,
        "WHERE id = (SELECT tenant_id FROM tenant_aliases WHERE dialect = $1 AND alias = $2)",
        &[&dialect, &alias],
    )
    .await?
    .pop())
}

pub(crate) async fn tenants(pool: &Pool) -> Result<Vec<Tenant>> {
    tenant_where(pool, "ORDER BY key", &[]).await
}

pub(crate) async fn create_client(
    pool: &Pool,
    tenant: i64,
    c: NewClient,
    now: Timestamp,
) -> Result<Client> {
    let scopes = serde_json::to_string(&c.scopes).expect("strings serialize");
    let credentials = serde_json::to_string(&c.credentials).expect("strings serialize");
    let client = pool.get().await.map_err(pool_error)?;
    client
        .execute(
            "INSERT INTO clients (client_id, tenant_id, secret_hash, role, scopes, credentials, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &c.client_id,
                &tenant,
                &c.secret_hash,
                &c.role.as_str(),
                &scopes,
                &credentials,
                &now.as_millisecond(),
            ],
        )
        .await
        .map_err(conflict("create client", format!("client {} already exists", c.client_id)))?;
    Ok(c.stored(tenant, ts(now.as_millisecond())))
}

const CLIENT_COLUMNS: &str =
    "client_id, tenant_id, secret_hash, role, scopes, credentials, created_at, disabled_at";

fn client_row(r: &Row) -> Result<Client> {
    let scopes: String = r.get(4);
    let credentials: String = r.get(5);
    Ok(Client {
        client_id: r.get(0),
        tenant_id: r.get(1),
        secret_hash: r.get(2),
        role: role(r.get(3))?,
        scopes: serde_json::from_str(&scopes).unwrap_or_default(),
        credentials: serde_json::from_str(&credentials).unwrap_or_default(),
        created_at: ts(r.get(6)),
        disabled_at: r.get::<_, Option<i64>>(7).map(ts),
    })
}

pub(crate) async fn client(pool: &Pool, client_id: &str) -> Result<Option<Client>> {
    let conn = pool.get().await.map_err(pool_error)?;
    let stmt = conn
        .prepare_cached(&format!(
            "SELECT {CLIENT_COLUMNS} FROM clients WHERE client_id = $1"
        ))
        .await
        .map_err(db("prepare client read"))?;
    conn.query_opt(&stmt, &[&client_id])
        .await
        .map_err(db("read client"))?
        .map(|r| client_row(&r))
        .transpose()
}

pub(crate) async fn clients(pool: &Pool, tenant: i64) -> Result<Vec<Client>> {
    let conn = pool.get().await.map_err(pool_error)?;
    conn.query(
        &format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE tenant_id = $1 ORDER BY client_id"),
        &[&tenant],
    )
    .await
    .map_err(db("list clients"))?
    .iter()
    .map(client_row)
    .collect()
}

pub(crate) async fn create_user(
    pool: &Pool,
    tenant: i64,
    u: NewUser,
    now: Timestamp,
) -> Result<User> {
    let id = interlog_store::new_id();
    let conn = pool.get().await.map_err(pool_error)?;
    conn.execute(
        "INSERT INTO users (tenant_id, id, username, password_hash, email, display_name, role, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &tenant,
            &id,
            &u.username,
            &u.password_hash,
            &u.email,
            &u.display_name,
            &u.role.as_str(),
            &now.as_millisecond(),
        ],
    )
    .await
    .map_err(conflict("create user", format!("user {} already exists", u.username)))?;
    Ok(u.stored(id, tenant, ts(now.as_millisecond())))
}

const USER_COLUMNS: &str =
    "id, tenant_id, username, password_hash, email, display_name, role, created_at, disabled_at";

fn user_row(r: &Row) -> Result<User> {
    Ok(User {
        id: r.get(0),
        tenant_id: r.get(1),
        username: r.get(2),
        password_hash: r.get(3),
        email: r.get(4),
        display_name: r.get(5),
        role: role(r.get(6))?,
        created_at: ts(r.get(7)),
        disabled_at: r.get::<_, Option<i64>>(8).map(ts),
    })
}

pub(crate) async fn user(pool: &Pool, tenant: i64, username: &str) -> Result<Option<User>> {
    let conn = pool.get().await.map_err(pool_error)?;
    let stmt = conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND username = $2"
        ))
        .await
        .map_err(db("prepare user read"))?;
    conn.query_opt(&stmt, &[&tenant, &username])
        .await
        .map_err(db("read user"))?
        .map(|r| user_row(&r))
        .transpose()
}

pub(crate) async fn users(pool: &Pool, tenant: i64) -> Result<Vec<User>> {
    let conn = pool.get().await.map_err(pool_error)?;
    conn.query(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY username"),
        &[&tenant],
    )
    .await
    .map_err(db("list users"))?
    .iter()
    .map(user_row)
    .collect()
}

/// Records that `subject` of `tenant` was revoked at `now`, moves the epoch, and removes
/// the subject's expiring records.
async fn record_revocation(
    tx: &Transaction<'_>,
    tenant: i64,
    subject: &str,
    now: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO revocations (subject, tenant_id, revoked_at) VALUES ($1, $2, $3)
         ON CONFLICT (subject) DO UPDATE SET tenant_id = excluded.tenant_id,
             revoked_at = greatest(revocations.revoked_at, excluded.revoked_at)",
        &[&subject, &tenant, &now],
    )
    .await
    .map_err(db("record a revocation"))?;
    tx.execute(
        "UPDATE revocation_epoch SET epoch = epoch + 1 WHERE id = 1",
        &[],
    )
    .await
    .map_err(db("move the revocation epoch"))?;
    tx.execute(
        "DELETE FROM records WHERE tenant_id = $1 AND owner = $2",
        &[&tenant, &subject],
    )
    .await
    .map_err(db("remove a revoked subject's records"))?;
    Ok(())
}

/// Disables or deletes a client (`users` false) or user (true) of the tenant.
pub(crate) async fn revoke(
    pool: &Pool,
    tenant: i64,
    users: bool,
    key: &str,
    how: Revoke,
    now: Timestamp,
) -> Result<bool> {
    let (table, key_column, subject_column) = if users {
        ("users", "username", "id")
    } else {
        ("clients", "client_id", "client_id")
    };
    let now = now.as_millisecond();
    retrying(|| async move {
        let mut conn = pool.get().await.map_err(pool_error)?;
        let tx = conn.transaction().await?;
        let found = tx
            .query_opt(
                &format!(
                    "SELECT {subject_column} FROM {table} WHERE tenant_id = $1 AND {key_column} = $2 FOR UPDATE"
                ),
                &[&tenant, &key],
            )
            .await?;
        let Some(row) = found else {
            return Ok(false);
        };
        let subject: String = row.get(0);
        match how {
            Revoke::Disable => {
                tx.execute(
                    &format!(
                        "UPDATE {table} SET disabled_at = coalesce(disabled_at, $3)
                         WHERE tenant_id = $1 AND {key_column} = $2"
                    ),
                    &[&tenant, &key, &now],
                )
                .await?
            }
            Revoke::Delete => {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE tenant_id = $1 AND {key_column} = $2"),
                    &[&tenant, &key],
                )
                .await?
            }
        };
        record_revocation(&tx, tenant, &subject, now).await?;
        tx.commit().await?;
        Ok(true)
    })
    .await
}

/// Enables a disabled client (`users` false) or user (true) again.
pub(crate) async fn enable(pool: &Pool, tenant: i64, users: bool, key: &str) -> Result<bool> {
    let (table, key_column) = if users {
        ("users", "username")
    } else {
        ("clients", "client_id")
    };
    let conn = pool.get().await.map_err(pool_error)?;
    let n = conn
        .execute(
            &format!(
                "UPDATE {table} SET disabled_at = NULL WHERE tenant_id = $1 AND {key_column} = $2"
            ),
            &[&tenant, &key],
        )
        .await
        .map_err(db("enable a subject"))?;
    Ok(n > 0)
}

pub(crate) async fn revocation_epoch(pool: &Pool) -> Result<i64> {
    let conn = pool.get().await.map_err(pool_error)?;
    let stmt = conn
        .prepare_cached("SELECT epoch FROM revocation_epoch WHERE id = 1")
        .await
        .map_err(db("prepare the revocation epoch read"))?;
    Ok(conn
        .query_one(&stmt, &[])
        .await
        .map_err(db("read the revocation epoch"))?
        .get(0))
}

pub(crate) async fn revocations(pool: &Pool) -> Result<(i64, Vec<Revocation>)> {
    let mut conn = pool.get().await.map_err(pool_error)?;
    // One snapshot, so the list is the one the epoch stands for.
    let tx = conn
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(db("begin a read"))?;
    let epoch: i64 = tx
        .query_one("SELECT epoch FROM revocation_epoch WHERE id = 1", &[])
        .await
        .map_err(db("read the revocation epoch"))?
        .get(0);
    let list = tx
        .query(
            "SELECT subject, tenant_id, revoked_at FROM revocations",
            &[],
        )
        .await
        .map_err(db("read revocations"))?
        .iter()
        .map(|r| Revocation {
            subject: r.get(0),
            tenant_id: r.get(1),
            revoked_at: r.get(2),
        })
        .collect();
    tx.commit().await.map_err(db("end a read"))?;
    Ok((epoch, list))
}

/// Tables whose rows outlive a deleted tenant: the tenant row goes last, and revocations
/// stay so that nothing issued to its clients and users ever works again.
const KEPT: &[&str] = &["tenants", "revocations"];

pub(crate) async fn delete_tenant(pool: &Pool, tenant: i64, now: Timestamp) -> Result<()> {
    let now = now.as_millisecond();
    retrying(|| async move {
        let mut conn = pool.get().await.map_err(pool_error)?;
        let tx = conn.transaction().await?;
        let subjects: Vec<String> = tx
            .query(
                "SELECT client_id FROM clients WHERE tenant_id = $1
                 UNION ALL SELECT id FROM users WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for subject in &subjects {
            record_revocation(&tx, tenant, subject, now).await?;
        }
        // Every table of the schema with a tenant_id column, so tables added later are
        // emptied too.
        let tables: Vec<String> = tx
            .query(
                "SELECT table_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND column_name = 'tenant_id'",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for table in tables.iter().filter(|t| !KEPT.contains(&t.as_str())) {
            tx.execute(
                &format!("DELETE FROM \"{table}\" WHERE tenant_id = $1"),
                &[&tenant],
            )
            .await?;
        }
        tx.execute("DELETE FROM tenants WHERE id = $1", &[&tenant])
            .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}
