//! Durable per-tenant settings. An edit runs under a transaction-scoped advisory lock of
//! its setting, so that no other write to it, from any instance, comes between its read
//! and its write (even when the setting does not exist yet).

use crate::error::{db, pool_error};
use crate::schema::lock_until_commit;
use crate::write::{retrying, Failure};
use deadpool_postgres::Pool;
use interlog_store::{Result, SettingEdit};

pub(crate) async fn get(pool: &Pool, tenant: i64, ns: &str, key: &str) -> Result<Option<String>> {
    let client = pool.get().await.map_err(pool_error)?;
    Ok(client
        .query_opt(
            "SELECT value FROM tenant_settings WHERE tenant_id = $1 AND namespace = $2 AND key = $3",
            &[&tenant, &ns, &key],
        )
        .await
        .map_err(db("get setting"))?
        .map(|r| r.get(0)))
}

/// Every setting of `ns`, by key.
pub(crate) async fn all(pool: &Pool, tenant: i64, ns: &str) -> Result<Vec<(String, String)>> {
    let client = pool.get().await.map_err(pool_error)?;
    Ok(client
        .query(
            "SELECT key, value FROM tenant_settings WHERE tenant_id = $1 AND namespace = $2
             ORDER BY key",
            &[&tenant, &ns],
        )
        .await
        .map_err(db("list settings"))?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

async fn write(
    c: &impl deadpool_postgres::GenericClient,
    tenant: i64,
    ns: &str,
    key: &str,
    value: Option<&str>,
) -> std::result::Result<(), tokio_postgres::Error> {
    match value {
        Some(v) => c
            .execute(
                "INSERT INTO tenant_settings (tenant_id, namespace, key, value) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id, namespace, key) DO UPDATE SET value = excluded.value",
                &[&tenant, &ns, &key, &v],
            )
            .await,
        None => c
            .execute(
                "DELETE FROM tenant_settings WHERE tenant_id = $1 AND namespace = $2 AND key = $3",
                &[&tenant, &ns, &key],
            )
            .await,
    }
    .map(|_| ())
}

pub(crate) async fn put(pool: &Pool, tenant: i64, ns: &str, key: &str, value: &str) -> Result<()> {
    let client = pool.get().await.map_err(pool_error)?;
    write(&client, tenant, ns, key, Some(value))
        .await
        .map_err(db("put setting"))
}

pub(crate) async fn update(
    pool: &Pool,
    tenant: i64,
    ns: &str,
    key: &str,
    edit: SettingEdit,
) -> Result<Option<String>> {
    // The edit runs once: a lost race is not retried after it (advisory locks prevent them).
    let edit = std::sync::Mutex::new(Some(edit));
    let edit = &edit;
    retrying(|| async move {
        let mut client = pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await?;
        lock_until_commit(&tx, &format!("setting {tenant} {ns} {key}")).await?;
        let current: Option<String> = tx
            .query_opt(
                "SELECT value FROM tenant_settings WHERE tenant_id = $1 AND namespace = $2 AND key = $3",
                &[&tenant, &ns, &key],
            )
            .await?
            .map(|r| r.get(0));
        let edit = edit.lock().expect("edit lock").take().ok_or_else(|| {
            Failure::Store(interlog_store::StoreError::backend(
                "update setting",
                "the edit was already used",
            ))
        })?;
        let next = edit(current.as_deref()).map_err(|e| Failure::Store(e.into()))?;
        if next != current {
            write(&tx, tenant, ns, key, next.as_deref()).await?;
        }
        tx.commit().await?;
        Ok(next)
    })
    .await
}
