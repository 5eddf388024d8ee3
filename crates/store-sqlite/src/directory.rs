//! Tenants, API clients and users.

use crate::db;
use crate::writer::Tx;
use interlog_model::Timestamp;
use interlog_store::{
    Client, ClientRole, NewClient, NewTenant, NewUser, Result, Revocation, Revoke, StoreError,
    Tenant, User,
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

const CLIENT_COLUMNS: &str =
    "client_id, tenant_id, secret_hash, role, scopes, credentials, created_at, disabled_at";

fn client_row(r: &Row<'_>) -> rusqlite::Result<Client> {
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
        disabled_at: r.get::<_, Option<i64>>(7)?.map(ts),
    })
}

pub(crate) fn client(conn: &Connection, client_id: &str) -> Result<Option<Client>> {
    conn.prepare_cached(&format!(
        "SELECT {CLIENT_COLUMNS} FROM clients WHERE client_id = ?1"
    ))
    .and_then(|mut s| s.query_row([client_id], client_row).optional())
    .map_err(db("get client"))
}

pub(crate) fn clients(conn: &Connection, tenant: i64) -> Result<Vec<Client>> {
    conn.prepare_cached(&format!(
        "SELECT {CLIENT_COLUMNS} FROM clients WHERE tenant_id = ?1 ORDER BY client_id"
    ))
    .and_then(|mut s| s.query_map([tenant], client_row)?.collect())
    .map_err(db("list clients"))
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

const USER_COLUMNS: &str =
    "id, tenant_id, username, password_hash, email, display_name, role, created_at, disabled_at";

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        username: r.get(2)?,
        password_hash: r.get(3)?,
        email: r.get(4)?,
        display_name: r.get(5)?,
        role: role(r.get(6)?)?,
        created_at: ts(r.get(7)?),
        disabled_at: r.get::<_, Option<i64>>(8)?.map(ts),
    })
}

pub(crate) fn user(conn: &Connection, tenant: i64, username: &str) -> Result<Option<User>> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ?1 AND username = ?2"
    ))
    .and_then(|mut s| s.query_row(params![tenant, username], user_row).optional())
    .map_err(db("get user"))
}

pub(crate) fn users(conn: &Connection, tenant: i64) -> Result<Vec<User>> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ?1 ORDER BY username"
    ))
    .and_then(|mut s| s.query_map([tenant], user_row)?.collect())
    .map_err(db("list users"))
}

/// Records that `subject` of `tenant` was revoked now, and moves the epoch.
fn record_revocation(conn: &Connection, tenant: i64, subject: &str, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO revocations (subject, tenant_id, revoked_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (subject) DO UPDATE SET tenant_id = excluded.tenant_id,
             revoked_at = max(revocations.revoked_at, excluded.revoked_at)",
    )
    .and_then(|mut s| s.execute(params![subject, tenant, now]))
    .map_err(db("record a revocation"))?;
    conn.prepare_cached("UPDATE revocation_epoch SET epoch = epoch + 1 WHERE id = 1")
        .and_then(|mut s| s.execute([]))
        .map_err(db("move the revocation epoch"))?;
    conn.prepare_cached("DELETE FROM records WHERE tenant_id = ?1 AND owner = ?2")
        .and_then(|mut s| s.execute(params![tenant, subject]))
        .map_err(db("remove a revoked subject's records"))?;
    Ok(())
}

/// Disables or deletes the subject a `table` row (`key_column` = `key`) of the tenant is.
#[allow(clippy::too_many_arguments)]
fn revoke(
    conn: &Connection,
    tenant: i64,
    table: &str,
    key_column: &str,
    subject_column: &str,
    key: &str,
    how: Revoke,
    now: i64,
) -> Result<bool> {
    let subject: Option<String> = conn
        .prepare_cached(&format!(
            "SELECT {subject_column} FROM {table} WHERE tenant_id = ?1 AND {key_column} = ?2"
        ))
        .and_then(|mut s| s.query_row(params![tenant, key], |r| r.get(0)).optional())
        .map_err(db("find a subject to revoke"))?;
    let Some(subject) = subject else {
        return Ok(false);
    };
    match how {
        Revoke::Disable => conn.execute(
            &format!(
                "UPDATE {table} SET disabled_at = coalesce(disabled_at, ?3)
                 WHERE tenant_id = ?1 AND {key_column} = ?2"
            ),
            params![tenant, key, now],
        ),
        Revoke::Delete => conn.execute(
            &format!("DELETE FROM {table} WHERE tenant_id = ?1 AND {key_column} = ?2"),
            params![tenant, key],
        ),
    }
    .map_err(db("revoke a subject"))?;
    record_revocation(conn, tenant, &subject, now)?;
    Ok(true)
}

pub(crate) fn revoke_client(
    conn: &Connection,
    tenant: i64,
    client_id: &str,
    how: Revoke,
    now: Timestamp,
) -> Result<bool> {
    revoke(
        conn,
        tenant,
        "clients",
        "client_id",
        "client_id",
        client_id,
        how,
        now.as_millisecond(),
    )
}

pub(crate) fn revoke_user(
    conn: &Connection,
    tenant: i64,
    username: &str,
    how: Revoke,
    now: Timestamp,
) -> Result<bool> {
    revoke(
        conn,
        tenant,
        "users",
        "username",
        "id",
        username,
        how,
        now.as_millisecond(),
    )
}

/// Enables a disabled client (`table` clients) or user (users) again.
pub(crate) fn enable(
    conn: &Connection,
    tenant: i64,
    table: &str,
    key_column: &str,
    key: &str,
) -> Result<bool> {
    conn.prepare_cached(&format!(
        "UPDATE {table} SET disabled_at = NULL WHERE tenant_id = ?1 AND {key_column} = ?2"
    ))
    .and_then(|mut s| s.execute(params![tenant, key]))
    .map(|n| n > 0)
    .map_err(db("enable a subject"))
}

pub(crate) fn revocation_epoch(conn: &Connection) -> Result<i64> {
    conn.prepare_cached("SELECT epoch FROM revocation_epoch WHERE id = 1")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(db("read the revocation epoch"))
}

pub(crate) fn revocations(conn: &Connection) -> Result<(i64, Vec<Revocation>)> {
    // One read transaction, so the list is the one the epoch stands for.
    conn.execute_batch("BEGIN").map_err(db("begin a read"))?;
    let read = (|| {
        let epoch = revocation_epoch(conn)?;
        let list = conn
            .prepare_cached("SELECT subject, tenant_id, revoked_at FROM revocations")
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok(Revocation {
                        subject: r.get(0)?,
                        tenant_id: r.get(1)?,
                        revoked_at: r.get(2)?,
                    })
                })?
                .collect()
            })
            .map_err(db("read revocations"))?;
        Ok((epoch, list))
    })();
    let _ = conn.execute_batch("COMMIT");
    read
}

/// Tables whose rows outlive a deleted tenant: the tenant row goes last, and revocations
/// stay so that nothing issued to its clients and users ever works again.
const KEPT: &[&str] = &["tenants", "revocations"];

pub(crate) fn delete_tenant(conn: &Tx<'_>, tenant: i64, now: Timestamp) -> Result<()> {
    let now = now.as_millisecond();
    let subjects: Vec<String> = conn
        .prepare_cached(
            "SELECT client_id FROM clients WHERE tenant_id = ?1
             UNION ALL SELECT id FROM users WHERE tenant_id = ?1",
        )
        .and_then(|mut s| s.query_map([tenant], |r| r.get(0))?.collect())
        .map_err(db("list a tenant's subjects"))?;
    for subject in &subjects {
        record_revocation(conn, tenant, subject, now)?;
    }
    let pruned: Option<(i64, i64)> = conn
        .query_row(
            "SELECT last, pruned FROM term_value_ids WHERE tenant_id = ?1",
            [tenant],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db("read a tenant's term value numbers"))?;
    crate::words::forget_tenant(conn, tenant)?;
    // Every table with a tenant_id column, so tables added later are emptied too.
    let tables: Vec<String> = conn
        .prepare(
            "SELECT m.name FROM sqlite_schema m
             WHERE m.type = 'table'
               AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'tenant_id')",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(db("list a tenant's tables"))?;
    for table in tables.iter().filter(|t| !KEPT.contains(&t.as_str())) {
        conn.execute(
            &format!("DELETE FROM \"{table}\" WHERE tenant_id = ?1"),
            [tenant],
        )
        .map_err(db("delete a tenant's rows"))?;
    }
    if let Some((last, pruned)) = pruned {
        // A writer elsewhere that remembers the tenant's value numbers forgets them, should
        // the tenant's number be given again.
        conn.execute(
            "INSERT INTO term_value_ids (tenant_id, last, pruned) VALUES (?1, ?2, ?3)",
            params![tenant, last, pruned + 1],
        )
        .map_err(db("keep a deleted tenant's value numbering"))?;
    }
    conn.execute("DELETE FROM tenants WHERE id = ?1", [tenant])
        .map_err(db("delete a tenant"))?;
    Ok(())
}
