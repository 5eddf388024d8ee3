//! Tenants, API clients and users: small reference tables.

use crate::error::{db, is_unique_violation, pg_error, pool_error};
use crate::write::retrying;
use deadpool_postgres::Pool;
use interlog_model::Timestamp;
use interlog_store::{
    Client, ClientRole, NewClient, NewTenant, NewUser, Result, StoreError, Tenant, User,
};
use tokio_postgres::Row;

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

pub(crate) async fn client(pool: &Pool, client_id: &str) -> Result<Option<Client>> {
    let conn = pool.get().await.map_err(pool_error)?;
    let stmt = conn
        .prepare_cached(
            "SELECT client_id, tenant_id, secret_hash, role, scopes, credentials, created_at
             FROM clients WHERE client_id = $1",
        )
        .await
        .map_err(db("prepare client read"))?;
    let Some(r) = conn
        .query_opt(&stmt, &[&client_id])
        .await
        .map_err(db("read client"))?
    else {
        return Ok(None);
    };
    let scopes: String = r.get(4);
    let credentials: String = r.get(5);
    Ok(Some(Client {
        client_id: r.get(0),
        tenant_id: r.get(1),
        secret_hash: r.get(2),
        role: role(r.get(3))?,
        scopes: serde_json::from_str(&scopes).unwrap_or_default(),
        credentials: serde_json::from_str(&credentials).unwrap_or_default(),
        created_at: ts(r.get(6)),
    }))
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

pub(crate) async fn user(pool: &Pool, tenant: i64, username: &str) -> Result<Option<User>> {
    let conn = pool.get().await.map_err(pool_error)?;
    let stmt = conn
        .prepare_cached(
            "SELECT id, tenant_id, username, password_hash, email, display_name, role, created_at
             FROM users WHERE tenant_id = $1 AND username = $2",
        )
        .await
        .map_err(db("prepare user read"))?;
    let Some(r) = conn
        .query_opt(&stmt, &[&tenant, &username])
        .await
        .map_err(db("read user"))?
    else {
        return Ok(None);
    };
    Ok(Some(User {
        id: r.get(0),
        tenant_id: r.get(1),
        username: r.get(2),
        password_hash: r.get(3),
        email: r.get(4),
        display_name: r.get(5),
        role: role(r.get(6))?,
        created_at: ts(r.get(7)),
    }))
}
