//! Tenants, API clients and users.

use crate::db;
use interlog_model::Timestamp;
use interlog_store::{
    Client, ClientRole, NewClient, NewTenant, NewUser, Result, StoreError, Tenant, User,
};
use rusqlite::{params, Connection, OptionalExtension, Row};

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// A unique violation as a conflict with this message; anything else as it is.
fn conflict(context: &'static str, message: String) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(message)
        } else {
            StoreError::backend(context, e)
        }
    }
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn role(s: String) -> rusqlite::Result<ClientRole> {
    s.parse().map_err(|e: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

pub(crate) fn create_tenant(conn: &Connection, t: NewTenant, now: Timestamp) -> Result<Tenant> {
    // Check before writing: a job refused after its first insert would leave it behind.
    for (dialect, alias) in &t.aliases {
        let taken: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM tenant_aliases WHERE dialect = ?1 AND alias = ?2)",
                params![dialect, alias],
                |r| r.get(0),
            )
            .map_err(db("check tenant alias"))?;
        if taken {
            return Err(StoreError::Conflict(format!(
                "alias {alias} is taken in {dialect}"
            )));
        }
    }
    let id = conn
        .prepare_cached("INSERT INTO tenants (key, name, time_zone, country_code, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id")
        .and_then(|mut s| {
            s.query_row(params![t.key, t.name, t.time_zone, t.country_code, now.as_millisecond()], |r| r.get::<_, i64>(0))
        })
        .map_err(conflict("create tenant", format!("tenant {} already exists", t.key)))?;
    crate::changes::start(conn, id)?;
    for (dialect, alias) in &t.aliases {
        conn.execute(
            "INSERT INTO tenant_aliases (dialect, alias, tenant_id) VALUES (?1, ?2, ?3)",
            params![dialect, alias, id],
        )
        .map_err(conflict(
            "create tenant alias",
            format!("alias {alias} is taken in {dialect}"),
        ))?;
    }
    Ok(t.stored(id, ts(now.as_millisecond())))
}

fn tenant_row(conn: &Connection, r: &Row<'_>) -> rusqlite::Result<Tenant> {
    let id: i64 = r.get(0)?;
    let mut aliases = Vec::new();
    let mut s = conn.prepare_cached(
        "SELECT dialect, alias FROM tenant_aliases WHERE tenant_id = ?1 ORDER BY dialect, alias",
    )?;
    for a in s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))? {
        aliases.push(a?);
    }
    Ok(Tenant {
        id,
        key: r.get(1)?,
        name: r.get(2)?,
        time_zone: r.get(3)?,
        country_code: r.get(4)?,
        aliases,
        created_at: ts(r.get(5)?),
    })
}

const TENANT_COLUMNS: &str = "id, key, name, time_zone, country_code, created_at";

pub(crate) fn tenant(conn: &Connection, key: &str) -> Result<Option<Tenant>> {
    conn.prepare_cached(&format!(
        "SELECT {TENANT_COLUMNS} FROM tenants WHERE key = ?1"
    ))
    .and_then(|mut s| s.query_row([key], |r| tenant_row(conn, r)).optional())
    .map_err(db("get tenant"))
}

pub(crate) fn tenant_by_id(conn: &Connection, id: i64) -> Result<Option<Tenant>> {
    conn.prepare_cached(&format!(
        "SELECT {TENANT_COLUMNS} FROM tenants WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([id], |r| tenant_row(conn, r)).optional())
    .map_err(db("get tenant by id"))
}

pub(crate) fn tenant_by_alias(
    conn: &Connection,
    dialect: &str,
    alias: &str,
) -> Result<Option<Tenant>> {
    conn.prepare_cached(&format!(
        "SELECT {TENANT_COLUMNS} FROM tenants WHERE id = (SELECT tenant_id FROM tenant_aliases WHERE dialect = ?1 AND alias = ?2)"
    ))
    .and_then(|mut s| s.query_row([dialect, alias], |r| tenant_row(conn, r)).optional())
    .map_err(db("get tenant by alias"))
}

pub(crate) fn tenants(conn: &Connection) -> Result<Vec<Tenant>> {
    let mut s = conn
        .prepare_cached(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants ORDER BY key"
        ))
        .map_err(db("list tenants"))?;
    let rows = s
        .query_map([], |r| tenant_row(conn, r))
        .map_err(db("list tenants"))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db("list tenants"))
}

pub(crate) fn create_client(
    conn: &Connection,
    tenant: i64,
    c: NewClient,
    now: Timestamp,
) -> Result<Client> {
    let scopes = serde_json::to_string(&c.scopes).expect("strings serialize");
    let credentials = serde_json::to_string(&c.credentials).expect("strings serialize");
    conn.prepare_cached(
        "INSERT INTO clients (client_id, tenant_id, secret_hash, role, scopes, credentials, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| s.execute(params![c.client_id, tenant, c.secret_hash, c.role.as_str(), scopes, credentials, now.as_millisecond()]))
    .map_err(conflict("create client", format!("client {} already exists", c.client_id)))?;
    Ok(c.stored(tenant, ts(now.as_millisecond())))
}

pub(crate) fn client(conn: &Connection, client_id: &str) -> Result<Option<Client>> {
    conn.prepare_cached(
        "SELECT client_id, tenant_id, secret_hash, role, scopes, credentials, created_at FROM clients WHERE client_id = ?1",
    )
    .and_then(|mut s| {
        s.query_row([client_id], |r| {
            let scopes: String = r.get(4)?;
            let credentials: String = r.get(5)?;
            Ok(Client {
                client_id: r.get(0)?,
                tenant_id: r.get(1)?,
                secret_hash: r.get(2)?,
                role: role(r.get(3)?)?,
                scopes: serde_json::from_str(&scopes).unwrap_or_default(),
                credentials: serde_json::from_str(&credentials).unwrap_or_default(),
                created_at: ts(r.get(6)?),
            })
        })
        .optional()
    })
    .map_err(db("get client"))
}

pub(crate) fn create_user(
    conn: &Connection,
    tenant: i64,
    u: NewUser,
    now: Timestamp,
) -> Result<User> {
    let id = interlog_store::new_id();
    conn.prepare_cached(
        "INSERT INTO users (id, tenant_id, username, password_hash, email, display_name, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| {
        s.execute(params![id, tenant, u.username, u.password_hash, u.email, u.display_name, u.role.as_str(), now.as_millisecond()])
    })
    .map_err(conflict("create user", format!("user {} already exists", u.username)))?;
    Ok(u.stored(id, tenant, ts(now.as_millisecond())))
}

pub(crate) fn user(conn: &Connection, tenant: i64, username: &str) -> Result<Option<User>> {
    conn.prepare_cached(
        "SELECT id, tenant_id, username, password_hash, email, display_name, role, created_at FROM users WHERE tenant_id = ?1 AND username = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![tenant, username], |r| {
            Ok(User {
                id: r.get(0)?,
                tenant_id: r.get(1)?,
                username: r.get(2)?,
                password_hash: r.get(3)?,
                email: r.get(4)?,
                display_name: r.get(5)?,
                role: role(r.get(6)?)?,
                created_at: ts(r.get(7)?),
            })
        })
        .optional()
    })
    .map_err(db("get user"))
}
