//! The change feed on PostgreSQL: positions handed out in the write transaction,
//! tombstones, and reading the feed back.
//!
//! Each tenant's newest position is a row of `tenant_heads`. A write transaction takes its
//! positions by advancing that row ([`allocate`]), which locks it until the transaction
//! ends; so the writes of one tenant take their positions in the order they commit, from
//! every instance, and a reader never sees a position while a lower one may still commit.
//! (PostgreSQL makes a transaction visible before it releases its locks.)
//!
//! Every write transaction takes its locks of a tenant in one order, so that writers do
//! not deadlock: the engagement rows it writes (`FOR UPDATE`, in id order), then the
//! tenant's head, then the tenant's rows of `engagement_counts` (updated by the triggers of
//! migration 0003 in each statement that inserts, updates or deletes engagements). So no
//! statement changes engagements before its transaction holds the head; the counts are
//! then only ever locked under it, and never waited for by another writer of the tenant.
//! Group commits take their tenants in id order. A merge whose insert finds a row another
//! transaction inserted meanwhile runs again from the start ([`crate::write`]) rather than
//! lock that row after the head.

use crate::error::{db, pool_error};
use crate::notify;
use deadpool_postgres::{Pool, Transaction};
use interlog_model::Timestamp;
use interlog_store::{
    Change, ChangeKind, ChangePage, DeleteReason, Result, StoreError, StoredEngagement,
    CHANGES_TOPIC,
};
use std::collections::{HashMap, HashSet};

/// The current time at the millisecond precision the feed keeps.
pub(crate) fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// Takes `n` (> 0) positions of `tenant`'s feed in `tx`, locking its head until `tx` ends;
/// returns the first. Called before `tx` changes any engagement of the tenant (see above).
pub(crate) async fn allocate(tx: &Transaction<'_>, tenant: i64, n: usize) -> Result<i64> {
    let n = i64::try_from(n).expect("batches are small");
    let stmt = tx
        .prepare_cached(
            "INSERT INTO tenant_heads (tenant_id, head) VALUES ($1, $2)
             ON CONFLICT (tenant_id) DO UPDATE SET head = tenant_heads.head + EXCLUDED.head
             RETURNING head",
        )
        .await
        .map_err(db("prepare feed head"))?;
    let head: i64 = tx
        .query_one(&stmt, &[&tenant, &n])
        .await
        .map_err(db("advance feed head"))?
        .get(0);
    Ok(head - n + 1)
}

/// Announces `tenant`'s new `head` on [`CHANGES_TOPIC`] when `tx` commits (NOTIFY is
/// delivered at commit, in commit order, and not at all on a rollback). The statement
/// names no table, so on Citus it runs on the coordinator, where instances listen.
pub(crate) async fn announce(
    tx: &Transaction<'_>,
    channel: &str,
    tenant: i64,
    head: i64,
) -> Result<()> {
    let text = format!("{}={head}", notify::header(tenant, CHANGES_TOPIC));
    let stmt = tx
        .prepare_cached("SELECT pg_notify($1, $2)")
        .await
        .map_err(db("prepare feed announcement"))?;
    tx.execute(&stmt, &[&channel, &text])
        .await
        .map_err(db("announce feed head"))?;
    Ok(())
}

/// Deletes the engagements `ids` of `tenant` that exist, with their search terms, leaving
/// tombstones in the order of `ids`; returns how many went.
pub(crate) async fn remove(
    tx: &Transaction<'_>,
    tenant: &crate::rows::TenantCtx,
    ids: &[String],
    reason: DeleteReason,
    channel: &str,
) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    // Locked in id order, as writers lock them.
    let stmt = tx
        .prepare_cached(
            "SELECT id, body FROM engagements WHERE tenant_id = $1 AND id = ANY($2)
             ORDER BY id FOR UPDATE",
        )
        .await
        .map_err(db("prepare read of doomed engagements"))?;
    let found: HashMap<String, String> = tx
        .query(&stmt, &[&tenant.id, &sorted])
        .await
        .map_err(db("lock doomed engagements"))?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    if found.is_empty() {
        return Ok(0);
    }
    let mut seen = HashSet::with_capacity(found.len());
    let doomed: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|id| found.contains_key(*id) && seen.insert(*id))
        .collect();
    // The tenant's head before any row goes: the deletes update the tenant's per-day counts
    // (their triggers), which every writer changes only while it holds the head.
    let first = allocate(tx, tenant.id, doomed.len()).await?;
    let mut terms: (Vec<i16>, Vec<String>, Vec<i64>, Vec<&str>) = Default::default();
    let mut started_at = Vec::with_capacity(doomed.len());
    let mut names = interlog_store::names::NameChanges::default();
    for id in &doomed {
        let e = crate::rows::decode(&found[*id])?;
        let started = e.started_at.as_millisecond();
        started_at.push(started);
        names.remove(
            tenant.id,
            &interlog_store::names::names_of(&e, tenant.country_code.as_deref()),
        );
        for (kind, value) in crate::rows::term_keys(&e, tenant.country_code.as_deref()) {
            terms.0.push(kind);
            terms.1.push(value);
            terms.2.push(started);
            terms.3.push(id);
        }
    }
    tx.execute(
        "DELETE FROM terms t USING unnest($2::int2[], $3::text[], $4::int8[], $5::text[])
             AS o(kind, value, started, id)
         WHERE t.tenant_id = $1 AND t.kind = o.kind AND t.value = o.value
           AND t.started = o.started AND t.id = o.id",
        &[&tenant.id, &terms.0, &terms.1, &terms.2, &terms.3],
    )
    .await
    .map_err(db("remove search terms"))?;
    crate::derived::forget(tx, tenant, &doomed, &started_at, &names).await?;
    tx.execute(
        "DELETE FROM engagements WHERE tenant_id = $1 AND id = ANY($2)",
        &[&tenant.id, &doomed],
    )
    .await
    .map_err(db("delete engagements"))?;
    tx.execute(
        "INSERT INTO tombstones (tenant_id, position, id, at, reason)
         SELECT $1, $2::int8 + o.n - 1, o.id, $4::int8, $5::int2
         FROM unnest($3::text[]) WITH ORDINALITY AS o(id, n)",
        &[
            &tenant.id,
            &first,
            &doomed,
            &now_ms(),
            &i16::try_from(reason.code()).expect("small codes"),
        ],
    )
    .await
    .map_err(db("write tombstones"))?;
    let head = first + doomed.len() as i64 - 1;
    announce(tx, channel, tenant.id, head).await?;
    Ok(doomed.len() as u64)
}

/// The ids of up to `limit` engagements that started before `before`, earliest first.
/// Rows being written by another transaction are left for the next batch.
pub(crate) async fn started_before(
    tx: &Transaction<'_>,
    tenant: i64,
    before: Timestamp,
    limit: u32,
) -> Result<Vec<String>> {
    let rows = tx
        .query(
            "SELECT id FROM engagements WHERE tenant_id = $1 AND started < $2
             ORDER BY started, id LIMIT $3",
            &[&tenant, &before.as_millisecond(), &i64::from(limit)],
        )
        .await
        .map_err(db("find engagements past retention"))?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The feed after `after`: the head and the entries read in one snapshot. The entries end
/// early, before `limit`, where their engagements would pass `max_bytes` (there is always
/// one).
pub(crate) async fn read(
    pool: &Pool,
    tenant: i64,
    after: i64,
    limit: u32,
    max_bytes: usize,
    budget: std::time::Duration,
) -> Result<ChangePage> {
    use futures_util::StreamExt;
    let timed = |context| crate::count::read_error(context, budget);
    let mut client = pool.get().await.map_err(pool_error)?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(db("begin feed read"))?;
    let (head, trimmed_through) = tx
        .query_opt(
            "SELECT head, trimmed_through FROM tenant_heads WHERE tenant_id = $1",
            &[&tenant],
        )
        .await
        .map_err(timed("read feed head"))?
        .map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1)))
        .unwrap_or((0, 0));
    let mut changes = Vec::new();
    if limit > 0 && after < head {
        let stmt = tx
            .prepare_cached(
                "(SELECT position, id, changed, body, NULL::smallint AS reason FROM engagements
                  WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3)
                 UNION ALL
                 (SELECT position, id, at, NULL, reason FROM tombstones
                  WHERE tenant_id = $1 AND position > $2 ORDER BY position LIMIT $3)
                 ORDER BY position LIMIT $3",
            )
            .await
            .map_err(db("prepare feed read"))?;
        let limit_param = i64::from(limit);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&tenant, &after, &limit_param];
        let rows = tx
            .query_raw(&stmt, params)
            .await
            .map_err(timed("read feed"))?;
        let mut rows = std::pin::pin!(rows);
        let mut bytes = 0;
        while let Some(r) = rows.next().await {
            let r = r.map_err(timed("read feed"))?;
            let id: String = r.get(1);
            let kind = match r.get::<_, Option<i16>>(4) {
                None => {
                    let json: String = r.get(3);
                    if !changes.is_empty() && bytes + json.len() > max_bytes {
                        break;
                    }
                    bytes += json.len();
                    ChangeKind::Upsert(StoredEngagement {
                        id: id.clone(),
                        json,
                    })
                }
                Some(code) => {
                    ChangeKind::Delete(DeleteReason::from_code(i64::from(code)).ok_or_else(
                        || StoreError::backend("read tombstones", format!("unknown reason {code}")),
                    )?)
                }
            };
            changes.push(Change {
                position: r.get(0),
                id,
                at: ts(r.get(2)),
                kind,
            });
        }
    }
    tx.commit().await.map_err(db("end feed read"))?;
    Ok(ChangePage {
        changes,
        head,
        trimmed_through,
    })
}

/// Removes up to `limit` tombstones written before `before`: those up to the position of
/// the last of them, so the horizon has no holes (a newer tombstone written earlier, by a
/// clock that was behind, goes with the older ones).
pub(crate) async fn trim(pool: &Pool, tenant: i64, before: Timestamp, limit: u32) -> Result<u64> {
    let mut client = pool.get().await.map_err(pool_error)?;
    let tx = client.transaction().await.map_err(db("begin trim"))?;
    let last: Option<i64> = tx
        .query_one(
            "SELECT max(position) FROM (SELECT position FROM tombstones
             WHERE tenant_id = $1 AND at < $2 ORDER BY position LIMIT $3) old",
            &[&tenant, &before.as_millisecond(), &i64::from(limit)],
        )
        .await
        .map_err(db("find old tombstones"))?
        .get(0);
    let Some(last) = last else {
        return Ok(0);
    };
    let n = tx
        .execute(
            "DELETE FROM tombstones WHERE tenant_id = $1 AND position <= $2",
            &[&tenant, &last],
        )
        .await
        .map_err(db("trim tombstones"))?;
    tx.execute(
        "UPDATE tenant_heads SET trimmed_through = greatest(trimmed_through, $2)
         WHERE tenant_id = $1",
        &[&tenant, &last],
    )
    .await
    .map_err(db("trim tombstones"))?;
    tx.commit().await.map_err(db("commit trim"))?;
    Ok(n)
}
