//! Totals (see [`interlog_store::counting`]): the per-day counts for the filters they can
//! answer, with the partial days at the ends of the range counted row by row; any other
//! filter row by row, in one statement or, with a time budget, in slices of the start-time
//! range (newest first) until the budget runs out.

use crate::error::{db, pool_error};
use crate::listing::{count_sql, sum_days_sql, walked_term_sql, Sql};
use deadpool_postgres::{Object, Pool};
use interlog_store::counting::{self, DAY_MS};
use interlog_store::{Filter, Result, StoreError, Tenant, TimeRange, Total};
use std::time::{Duration, Instant};
use tokio_postgres::error::SqlState;
use tokio_postgres::Transaction;

/// Engagements a slice of a row-by-row count covers, by the per-day counts: a slice that
/// outlasts the count budget counts nothing, and reading 25,000 scattered rows (SQLite's
/// slice) takes PostgreSQL longer than the default budget of 75 ms at 1,000,000.
const SLICE: u64 = 5_000;

/// A term's entries a slice of a count that walks the term reads: fewer than [`SLICE`],
/// since each entry is looked up in `engagements` (by key, with the row read when another
/// filter needs it), and a slice that outlasts the budget counts nothing.
const TERM_SLICE: u64 = 2_000;

/// How many of `tenant`'s engagements match `f`; with `within`, as many as could be counted
/// in that time. `budget` is the read budget the pool's sessions have.
pub(crate) async fn count(
    pool: &Pool,
    tenant: &Tenant,
    f: &Filter,
    within: Option<Duration>,
    budget: Duration,
) -> Result<Total> {
    if f.matches_nothing() {
        return Ok(Total::Exact(0));
    }
    let stop = within.map(|d| Instant::now() + d);
    let mut client = pool.get().await.map_err(pool_error)?;
    let country = tenant.country_code.as_deref();
    if counting::by_days(f) {
        let split = counting::split_days(f.started);
        let by_days = match split.days {
            Some((first, end)) => {
                let sql = sum_days_sql(tenant.id, f, first, end);
                match &f.expr {
                    None => {
                        let n: i64 = client
                            .query_one(&sql.text, &sql.refs())
                            .await
                            .map_err(db("sum per-day counts"))?
                            .get(0);
                        n.max(0) as u64
                    }
                    Some(expr) => {
                        let cells: Vec<counting::Cell> = client
                            .query(&sql.text, &sql.refs())
                            .await
                            .map_err(db("per-day counts by combination"))?
                            .iter()
                            .map(|r| counting::Cell {
                                state: r.get::<_, i16>(0).into(),
                                outcome: r.get::<_, i16>(1).into(),
                                direction: r.get::<_, i16>(2).into(),
                                channels: r.get::<_, i32>(3).into(),
                                n: r.get::<_, i64>(4).max(0) as u64,
                            })
                            .collect();
                        counting::sum_cells(&cells, expr)
                    }
                }
            }
            None => 0,
        };
        return count_ranges(
            &mut client,
            tenant.id,
            country,
            f,
            &split.edges,
            stop,
            budget,
            by_days,
        )
        .await;
    }
    match stop {
        None => {
            count_ranges(
                &mut client,
                tenant.id,
                country,
                f,
                &[f.started],
                None,
                budget,
                0,
            )
            .await
        }
        // Words are looked up once for the whole count (a slice would look them up again).
        Some(_) if f.text.is_some() => {
            count_ranges(
                &mut client,
                tenant.id,
                country,
                f,
                &[f.started],
                stop,
                budget,
                0,
            )
            .await
        }
        Some(stop) => {
            let days = day_totals(&client, tenant.id, f.started).await?;
            let per_slice = match walked_term_sql(tenant.id, country, f) {
                // A count that walks a term reads that term's entries, not every
                // engagement of the range: its slices hold TERM_SLICE of those, so a
                // selective term is counted in a few statements (slices of SLICE
                // engagements made an agent's count of 1,000,000 ~200 statements, past
                // the budget).
                Some(sql) => {
                    let tx = begin(&mut client).await?;
                    let Some(walked) = bounded(&tx, &sql, stop, budget).await? else {
                        return Ok(Total::AtLeast(0));
                    };
                    tx.commit().await.map_err(db("end count"))?;
                    let engagements: u64 = days.iter().map(|d| d.1).sum();
                    term_slice(engagements, walked)
                }
                None => SLICE,
            };
            let ranges = counting::slices(&days, f.started, per_slice);
            count_ranges(
                &mut client,
                tenant.id,
                country,
                f,
                &ranges,
                Some(stop),
                budget,
                0,
            )
            .await
        }
    }
}

/// Engagements (by the per-day counts) a slice of a count that walks a term covers, so
/// that it reads about [`TERM_SLICE`] of the term's `walked` entries among `engagements`.
fn term_slice(engagements: u64, walked: u64) -> u64 {
    if walked <= TERM_SLICE {
        return u64::MAX;
    }
    let slices = walked.div_ceil(TERM_SLICE);
    engagements.div_ceil(slices).max(TERM_SLICE)
}

/// Adds to `counted` the matches of `f` started in each of `ranges`, in order, until `stop`.
#[allow(clippy::too_many_arguments)]
async fn count_ranges(
    client: &mut Object,
    tenant: i64,
    country: Option<&str>,
    f: &Filter,
    ranges: &[TimeRange],
    stop: Option<Instant>,
    budget: Duration,
    mut counted: u64,
) -> Result<Total> {
    let part = |r: &TimeRange| Filter {
        started: *r,
        ..f.clone()
    };
    let Some(stop) = stop else {
        for r in ranges {
            let sql = count_sql(tenant, country, &part(r));
            let n: i64 = client
                .query_one(&sql.text, &sql.refs())
                .await
                .map_err(read_error("count", budget))?
                .get(0);
            counted += n.max(0) as u64;
        }
        return Ok(Total::Exact(counted));
    };
    if ranges.is_empty() {
        return Ok(Total::Exact(counted));
    }
    let tx = begin(client).await?;
    for r in ranges {
        match bounded(&tx, &count_sql(tenant, country, &part(r)), stop, budget).await? {
            Some(n) => counted += n,
            None => return Ok(Total::AtLeast(counted)),
        }
    }
    tx.commit().await.map_err(db("end count"))?;
    Ok(Total::Exact(counted))
}

/// The read-only transaction of a budgeted count (its settings end with it).
async fn begin(client: &mut Object) -> Result<deadpool_postgres::Transaction<'_>> {
    client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(db("begin count"))
}

/// The count `sql` reads, run in `tx` with what is left of a count's budget until `stop`
/// (or the read budget, when less): `None` when the count's budget ran out first.
async fn bounded(
    tx: &Transaction<'_>,
    sql: &Sql,
    stop: Instant,
    budget: Duration,
) -> Result<Option<u64>> {
    let left = stop.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Ok(None);
    }
    let by_count_budget = left < budget;
    // Whole milliseconds, rounded up: rounded down, the statement was stopped before
    // `stop`, and the cancel could not be told from the read budget's.
    let limit_ms = left.min(budget).as_micros().div_ceil(1000).max(1);
    // An integer in the text: SET takes no parameters. The slices are scanned by start
    // time: a sequential scan reads the whole table for one slice, and a slice that
    // outlasts the budget counts nothing.
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {limit_ms}; SET LOCAL enable_seqscan = off"
    ))
    .await
    .map_err(db("limit a count"))?;
    match tx.query_one(&sql.text, &sql.refs()).await {
        Ok(row) => Ok(Some(row.get::<_, i64>(0).max(0) as u64)),
        // The timeout in force was what was left of the count's budget (not the read
        // budget): what was counted stands.
        Err(e) if canceled(&e) && by_count_budget => Ok(None),
        Err(e) => Err(read_error("count", budget)(e)),
    }
}

/// Engagements started on each day `r` touches (day start, engagements), oldest first.
async fn day_totals(client: &Object, tenant: i64, r: TimeRange) -> Result<Vec<(i64, u64)>> {
    let first = r
        .from
        .map_or(i64::MIN, |t| counting::day_of(t.as_millisecond()));
    let end = r.to.map_or(i64::MAX, |t| {
        counting::day_of(t.as_millisecond() - 1).saturating_add(DAY_MS)
    });
    let rows = client
        .query(
            "SELECT day, sum(n)::int8 FROM engagement_counts
             WHERE tenant_id = $1 AND day >= $2 AND day < $3 GROUP BY day ORDER BY day",
            &[&tenant, &first, &end],
        )
        .await
        .map_err(db("per-day totals"))?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1).max(0) as u64))
        .collect())
}

/// Whether a statement was canceled (by its timeout).
pub(crate) fn canceled(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::QUERY_CANCELED)
}

/// Maps the error of a read whose sessions have `budget` as their statement timeout: a
/// statement it canceled is [`StoreError::TimedOut`].
pub(crate) fn read_error(
    context: &'static str,
    budget: Duration,
) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| {
        if canceled(&e) {
            StoreError::TimedOut(budget)
        } else {
            db(context)(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_is_sliced_by_its_own_entries() {
        // An agent's 1,500 entries among 1,000,000 engagements: one slice.
        assert_eq!(term_slice(1_000_000, 1_500), u64::MAX);
        // 10,000 entries: five slices of a fifth of the engagements each.
        assert_eq!(term_slice(1_000_000, 10_000), 200_000);
        // A term on nearly every engagement is sliced no finer than its entries.
        assert_eq!(term_slice(100_000, 100_000), TERM_SLICE);
    }
}
