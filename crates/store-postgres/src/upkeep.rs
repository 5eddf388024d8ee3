//! `interlog check [--repair]` on PostgreSQL: verifying the store as of one snapshot, and
//! writing every derived table again from the bodies. Each derived table is one case of
//! [`Derived`]; a new one adds its case to each method.

use crate::error::{db, pool_error};
use crate::figures::{self, FigureRow};
use crate::rows::{decode, Row};
use deadpool_postgres::{Pool, Transaction};
use futures_util::StreamExt;
use interlog_model::Timestamp;
use interlog_store::{CheckReport, Digest, Rebuilt, Result};
use std::collections::HashMap;
use tokio_postgres::types::ToSql;

/// Engagements read at a time.
const CHUNK: i64 = 1_000;

/// Problems of one kind named one by one before they are only counted.
const NAMED: u64 = 10;

/// The tables derived from the engagement bodies.
#[derive(Clone, Copy)]
enum Derived {
    Terms,
    Words,
    Figures,
    Counts,
    Names,
}

const DERIVED: [Derived; 5] = [
    Derived::Terms,
    Derived::Words,
    Derived::Figures,
    Derived::Counts,
    Derived::Names,
];

fn day(started: i64) -> i64 {
    started - started.rem_euclid(86_400_000)
}

impl Derived {
    fn name(self) -> &'static str {
        match self {
            Derived::Terms => "search terms",
            Derived::Words => "full-text index",
            Derived::Figures => "analytics rows",
            Derived::Counts => "day counts",
            Derived::Names => "names",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Derived::Terms => "terms",
            Derived::Words => "engagement_words",
            Derived::Figures => "figures",
            Derived::Counts => "engagement_counts",
            Derived::Names => "engagement_names",
        }
    }

    /// Adds the rows engagement `row` of `tenant` should have there.
    fn expect(self, tenant: i64, row: &Row, d: &mut Digest) {
        match self {
            Derived::Terms => {
                for (kind, value) in &row.terms {
                    d.add((tenant, *kind, value.as_str(), row.started, row.id.as_str()));
                }
            }
            Derived::Words => {
                if !row.words.is_empty() {
                    d.add((tenant, row.id.as_str(), row.words.as_str()));
                }
            }
            Derived::Figures => {
                for f in &row.figures {
                    d.add((tenant, row.started, row.id.as_str(), f.columns()));
                }
            }
            Derived::Counts => d.add((
                tenant,
                day(row.started),
                row.state,
                row.outcome.unwrap_or(-1),
                row.direction.unwrap_or(-1),
                row.channels,
            )),
            Derived::Names => {
                for n in &row.names {
                    d.add((tenant, n.kind.code(), n.id.as_str(), n.name.as_str()));
                }
            }
        }
    }

    /// Adds the rows the table holds.
    async fn stored(self, tx: &Transaction<'_>, d: &mut Digest) -> Result<()> {
        let sql = match self {
            Derived::Terms => "SELECT tenant_id, kind, value, started, id FROM terms",
            // The literal as PostgreSQL prints it, which is how words::literal writes it.
            Derived::Words => "SELECT tenant_id, id, words::text FROM engagement_words",
            Derived::Figures => {
                "SELECT tenant_id, started, id, row_no, queue, agent, team, channel_type,
                        direction, source, disposition, status, wait_ms, handled, talk_ms,
                        hold_ms, wrap_up_ms, transferred FROM figures"
            }
            Derived::Counts => {
                "SELECT tenant_id, day, state, outcome, direction, channels, n FROM engagement_counts"
            }
            Derived::Names => "SELECT tenant_id, kind, id, name, n FROM engagement_names",
        };
        let rows = tx
            .query_raw(sql, std::iter::empty::<&(dyn ToSql + Sync)>())
            .await
            .map_err(db("read a derived table"))?;
        let mut rows = std::pin::pin!(rows);
        while let Some(r) = rows.next().await {
            let r = r.map_err(db("read a derived table"))?;
            match self {
                Derived::Terms => d.add((
                    r.get::<_, i64>(0),
                    r.get::<_, i16>(1),
                    r.get::<_, &str>(2),
                    r.get::<_, i64>(3),
                    r.get::<_, &str>(4),
                )),
                Derived::Words => {
                    d.add((r.get::<_, i64>(0), r.get::<_, &str>(1), r.get::<_, &str>(2)))
                }
                Derived::Figures => {
                    let columns: figures::FigureColumns = (
                        (r.get(3), r.get(4), r.get(5), r.get(6)),
                        (r.get(7), r.get(8), r.get(9), r.get(10)),
                        (
                            r.get(11),
                            r.get(12),
                            r.get(13),
                            r.get(14),
                            r.get(15),
                            r.get(16),
                            r.get(17),
                        ),
                    );
                    d.add((
                        r.get::<_, i64>(0),
                        r.get::<_, i64>(1),
                        r.get::<_, &str>(2),
                        columns,
                    ))
                }
                Derived::Counts => d.add_n(
                    (
                        r.get::<_, i64>(0),
                        r.get::<_, i64>(1),
                        r.get::<_, i16>(2),
                        r.get::<_, i16>(3),
                        r.get::<_, i16>(4),
                        r.get::<_, i32>(5),
                    ),
                    r.get(6),
                ),
                Derived::Names => d.add_n(
                    (
                        r.get::<_, i64>(0),
                        r.get::<_, i16>(1),
                        r.get::<_, &str>(2),
                        r.get::<_, &str>(3),
                    ),
                    r.get(4),
                ),
            }
        }
        Ok(())
    }

    /// Writes the rows of a chunk of one tenant's engagements, during a rebuild.
    async fn write(self, tx: &Transaction<'_>, tenant: i64, rows: &[Row]) -> Result<()> {
        match self {
            Derived::Terms => {
                let (mut kinds, mut values, mut started, mut ids) =
                    (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for r in rows {
                    for (kind, value) in &r.terms {
                        kinds.push(*kind);
                        values.push(value.as_str());
                        started.push(r.started);
                        ids.push(r.id.as_str());
                    }
                }
                tx.execute(
                    "INSERT INTO terms (tenant_id, kind, value, started, id)
                     SELECT $1, * FROM unnest($2::int2[], $3::text[], $4::int8[], $5::text[])
                     ON CONFLICT DO NOTHING",
                    &[&tenant, &kinds, &values, &started, &ids],
                )
                .await
                .map_err(db("insert search terms"))?;
                Ok(())
            }
            Derived::Words => {
                let of: Vec<(&str, &str)> = rows
                    .iter()
                    .map(|r| (r.id.as_str(), r.words.as_str()))
                    .collect();
                crate::words::write(tx, tenant, &of, crate::words::Held::All).await
            }
            Derived::Figures => {
                let of: Vec<(&str, i64, &[FigureRow])> = rows
                    .iter()
                    .map(|r| (r.id.as_str(), r.started, r.figures.as_slice()))
                    .collect();
                figures::insert(tx, tenant, &of).await
            }
            // Counted from the rows at the end.
            Derived::Counts => Ok(()),
            Derived::Names => {
                let mut names = interlog_store::names::NameChanges::default();
                for r in rows {
                    names.add(tenant, r.started, &r.names);
                }
                crate::names::apply(tx, &names).await
            }
        }
    }

    /// Ends a rebuild.
    async fn finish(self, tx: &Transaction<'_>) -> Result<()> {
        if let Derived::Counts = self {
            tx.batch_execute(
                "DELETE FROM engagement_counts;
                 INSERT INTO engagement_counts (tenant_id, day, state, outcome, direction, channels, n)
                 SELECT tenant_id, started - ((started % 86400000) + 86400000) % 86400000, state,
                        coalesce(outcome, -1), coalesce(direction, -1), channels, count(*)
                 FROM engagements GROUP BY 1, 2, 3, 4, 5, 6",
            )
            .await
            .map_err(db("count engagements by day"))?;
        }
        Ok(())
    }
}

/// An engagement's columns besides its body, as stored.
type Columns = (i64, i64, i64, i64, i16, Option<i16>, Option<i16>, i32);

fn columns_of(r: &Row) -> Columns {
    (
        r.started,
        r.ended,
        r.updated,
        r.duration,
        r.state,
        r.outcome,
        r.direction,
        r.channels,
    )
}

/// One stored engagement.
struct Stored {
    tenant: i64,
    id: String,
    columns: Columns,
    body: String,
}

/// Every engagement in key order, a chunk at a time.
async fn chunk(tx: &Transaction<'_>, after: &(i64, String)) -> Result<Vec<Stored>> {
    let rows = tx
        .query(
            "SELECT tenant_id, id, started, ended, updated, duration, state, outcome, direction,
                    channels, body
             FROM engagements WHERE (tenant_id, id) > ($1, $2) ORDER BY tenant_id, id LIMIT $3",
            &[&after.0, &after.1, &CHUNK],
        )
        .await
        .map_err(db("read engagements"))?;
    Ok(rows
        .iter()
        .map(|r| Stored {
            tenant: r.get(0),
            id: r.get(1),
            columns: (
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                r.get(7),
                r.get(8),
                r.get(9),
            ),
            body: r.get(10),
        })
        .collect())
}

async fn tenants(tx: &Transaction<'_>) -> Result<HashMap<i64, (String, Option<String>)>> {
    Ok(tx
        .query("SELECT id, key, country_code FROM tenants", &[])
        .await
        .map_err(db("read tenants"))?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect())
}

/// Verifies the store in one read-only snapshot.
pub(crate) async fn check(pool: &Pool) -> Result<CheckReport> {
    let mut client = pool.get().await.map_err(pool_error)?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(db("begin the check"))?;
    tx.batch_execute("SET LOCAL statement_timeout = 0")
        .await
        .map_err(db("begin the check"))?;
    let tenants = tenants(&tx).await?;
    let key = |t: i64| tenants.get(&t).map_or("?", |(k, _)| k.as_str()).to_owned();
    let mut problems = Vec::new();
    let mut expected = [Digest::default(); DERIVED.len()];
    let (mut engagements, mut unreadable, mut disagreeing) = (0u64, 0u64, 0u64);
    let now = Timestamp::now();
    let mut after = (i64::MIN, String::new());
    loop {
        let rows = chunk(&tx, &after).await?;
        let Some(last) = rows.last() else { break };
        after = (last.tenant, last.id.clone());
        for s in rows {
            engagements += 1;
            let country = tenants.get(&s.tenant).and_then(|(_, c)| c.as_deref());
            let e = match decode(&s.body) {
                Ok(e) => e,
                Err(err) => {
                    unreadable += 1;
                    if unreadable <= NAMED {
                        problems.push(format!(
                            "engagement {} of tenant {}: its body does not decode ({})",
                            s.id,
                            key(s.tenant),
                            interlog_store::error_chain(&err)
                        ));
                    }
                    continue;
                }
            };
            let row = Row::new(e, now, country);
            if columns_of(&row) != s.columns || row.id != s.id {
                disagreeing += 1;
                if disagreeing <= NAMED {
                    problems.push(format!(
                        "engagement {} of tenant {}: its id, times, state, outcome, direction or \
                         channels columns disagree with its body",
                        s.id,
                        key(s.tenant)
                    ));
                }
            }
            for (d, digest) in DERIVED.iter().zip(&mut expected) {
                d.expect(s.tenant, &row, digest);
            }
        }
    }
    if unreadable > NAMED {
        problems.push(format!(
            "{unreadable} engagements in all have a body that does not decode"
        ));
    }
    if disagreeing > NAMED {
        problems.push(format!(
            "{disagreeing} engagements in all have columns that disagree with their bodies"
        ));
    }
    for (d, expected) in DERIVED.iter().zip(&expected) {
        let mut stored = Digest::default();
        d.stored(&tx, &mut stored).await?;
        problems.extend(Digest::disagreement(d.name(), &stored, expected));
    }
    for r in tx
        .query(
            "SELECT c.tenant_id, max(c.position), coalesce(max(h.head), 0), count(*) - count(DISTINCT c.position)
             FROM (SELECT tenant_id, position FROM engagements
                   UNION ALL SELECT tenant_id, position FROM tombstones) c
             LEFT JOIN tenant_heads h ON h.tenant_id = c.tenant_id
             GROUP BY c.tenant_id",
            &[],
        )
        .await
        .map_err(db("read the change feed"))?
    {
        let (t, max, head, repeated): (i64, i64, i64, i64) = (r.get(0), r.get(1), r.get(2), r.get(3));
        if max > head {
            problems.push(format!(
                "tenant {}: a change at feed position {max} is past the feed's head {head} \
                 (new writes would take positions already given out)",
                key(t)
            ));
        }
        if repeated > 0 {
            problems.push(format!(
                "tenant {}: {repeated} feed positions are taken by more than one change",
                key(t)
            ));
        }
    }
    tx.commit().await.map_err(db("end the check"))?;
    Ok(CheckReport {
        engagements,
        problems,
    })
}

/// Writes every derived table again from the bodies, in one transaction that holds writes
/// of every instance back (a share lock on `engagements`).
pub(crate) async fn rebuild(pool: &Pool) -> Result<Rebuilt> {
    let mut client = pool.get().await.map_err(pool_error)?;
    let tx = client
        .transaction()
        .await
        .map_err(db("begin the rebuild"))?;
    tx.batch_execute(
        "SET LOCAL statement_timeout = 0; LOCK TABLE engagements IN SHARE ROW EXCLUSIVE MODE",
    )
    .await
    .map_err(db("lock engagements"))?;
    for d in DERIVED {
        tx.batch_execute(&format!("DELETE FROM {}", d.table()))
            .await
            .map_err(db("clear a derived table"))?;
    }
    let tenants = tenants(&tx).await?;
    let now = Timestamp::now();
    let mut done = Rebuilt::default();
    let mut after = (i64::MIN, String::new());
    loop {
        let stored = chunk(&tx, &after).await?;
        let Some(last) = stored.last() else { break };
        after = (last.tenant, last.id.clone());
        let mut by_tenant: Vec<(i64, Vec<Row>)> = Vec::new();
        for s in stored {
            let (Some((_, country)), Ok(e)) = (tenants.get(&s.tenant), decode(&s.body)) else {
                done.unreadable += 1;
                continue;
            };
            let row = Row::new(e, now, country.as_deref());
            let c = columns_of(&row);
            if c != s.columns {
                tx.execute(
                    "UPDATE engagements SET started = $3, ended = $4, updated = $5, duration = $6,
                            state = $7, outcome = $8, direction = $9, channels = $10
                     WHERE tenant_id = $1 AND id = $2",
                    &[
                        &s.tenant, &s.id, &c.0, &c.1, &c.2, &c.3, &c.4, &c.5, &c.6, &c.7,
                    ],
                )
                .await
                .map_err(db("write an engagement's columns"))?;
            }
            done.engagements += 1;
            match by_tenant.last_mut() {
                Some((t, rows)) if *t == s.tenant => rows.push(row),
                _ => by_tenant.push((s.tenant, vec![row])),
            }
        }
        for (tenant, rows) in &by_tenant {
            for d in DERIVED {
                d.write(&tx, *tenant, rows).await?;
            }
        }
    }
    for d in DERIVED {
        d.finish(&tx).await?;
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {}", d.table()), &[])
            .await
            .map_err(db("count rows"))?
            .get(0);
        done.tables.push((d.name(), n as u64));
    }
    tx.commit().await.map_err(db("commit the rebuild"))?;
    Ok(done)
}
