//! Expiring records, scoped by tenant. A take is one `DELETE … RETURNING`: of two
//! concurrent takes, on any instances, only one gets the record.

use crate::error::{db, pool_error};
use deadpool_postgres::Pool;
use interlog_model::Timestamp;
use interlog_store::{Record, Result};

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn record(r: &tokio_postgres::Row) -> Record {
    Record {
        owner: r.get(0),
        value: r.get(1),
        expires_at: ts(r.get(2)),
    }
}

/// Expired records of one tenant removed with each write, so they never pile up.
const SWEEP_ON_WRITE: i64 = 100;

const SWEEP_TENANT: &str = "DELETE FROM records WHERE tenant_id = $1 AND (namespace, key) IN
    (SELECT namespace, key FROM records WHERE tenant_id = $1 AND expires_at <= $2 LIMIT $3)";

pub(crate) async fn put(
    pool: &Pool,
    tenant: i64,
    ns: &str,
    key: &str,
    record: &Record,
    now: Timestamp,
) -> Result<()> {
    let client = pool.get().await.map_err(pool_error)?;
    client
        .execute(
            SWEEP_TENANT,
            &[&tenant, &now.as_millisecond(), &SWEEP_ON_WRITE],
        )
        .await
        .map_err(db("sweep records"))?;
    client
        .execute(
            "INSERT INTO records (tenant_id, namespace, key, owner, value, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, namespace, key) DO UPDATE SET owner = excluded.owner,
                 value = excluded.value, expires_at = excluded.expires_at",
            &[
                &tenant,
                &ns,
                &key,
                &record.owner,
                &record.value,
                &record.expires_at.as_millisecond(),
            ],
        )
        .await
        .map_err(db("put record"))?;
    Ok(())
}

pub(crate) async fn get(
    pool: &Pool,
    tenant: i64,
    ns: &str,
    key: &str,
    now: Timestamp,
) -> Result<Option<Record>> {
    let client = pool.get().await.map_err(pool_error)?;
    let stmt = client
        .prepare_cached(
            "SELECT owner, value, expires_at FROM records
             WHERE tenant_id = $1 AND namespace = $2 AND key = $3 AND expires_at > $4",
        )
        .await
        .map_err(db("prepare record read"))?;
    Ok(client
        .query_opt(&stmt, &[&tenant, &ns, &key, &now.as_millisecond()])
        .await
        .map_err(db("get record"))?
        .as_ref()
        .map(record))
}

pub(crate) async fn take(
    pool: &Pool,
    tenant: i64,
    ns: &str,
    key: &str,
    owner: &str,
    now: Timestamp,
) -> Result<Option<Record>> {
    let client = pool.get().await.map_err(pool_error)?;
    Ok(client
        .query_opt(
            "DELETE FROM records WHERE tenant_id = $1 AND namespace = $2 AND key = $3
                 AND owner = $4 AND expires_at > $5
             RETURNING owner, value, expires_at",
            &[&tenant, &ns, &key, &owner, &now.as_millisecond()],
        )
        .await
        .map_err(db("take record"))?
        .as_ref()
        .map(record))
}

pub(crate) async fn delete(pool: &Pool, tenant: i64, ns: &str, key: &str) -> Result<bool> {
    let client = pool.get().await.map_err(pool_error)?;
    let n = client
        .execute(
            "DELETE FROM records WHERE tenant_id = $1 AND namespace = $2 AND key = $3",
            &[&tenant, &ns, &key],
        )
        .await
        .map_err(db("delete record"))?;
    Ok(n > 0)
}

/// Sweeps tenant by tenant, so that every statement stays within one tenant (one shard).
pub(crate) async fn sweep(pool: &Pool, now: Timestamp, limit: u32) -> Result<u64> {
    let client = pool.get().await.map_err(pool_error)?;
    let tenants: Vec<i64> = client
        .query("SELECT id FROM tenants ORDER BY id", &[])
        .await
        .map_err(db("list tenants"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut left = i64::from(limit);
    let mut swept = 0;
    for t in tenants {
        if left <= 0 {
            break;
        }
        let n = client
            .execute(SWEEP_TENANT, &[&t, &now.as_millisecond(), &left])
            .await
            .map_err(db("sweep records"))?;
        swept += n;
        left -= i64::try_from(n).unwrap_or(i64::MAX);
    }
    Ok(swept)
}
