//! Writing engagements. Every write of engagements, one or thousands, goes through one
//! procedure ([`merge`]): the rows are staged in the connection's temporary tables (`COPY`
//! for many, one `INSERT` for a few), then merged into the tables in the same transaction,
//! keeping the newer of the stored and the incoming engagement.
//!
//! Correct across instances: the stored rows are locked (`FOR UPDATE`, in id order) before
//! they are compared, and a row another instance inserts meanwhile is found by
//! `ON CONFLICT DO NOTHING`; the transaction then runs again, to compare it with that row.
//! (Locking it where it was found, after the tenant's feed head, would break the one lock
//! order of [`crate::changes`]: a writer holding it and waiting for the head deadlocks.)
//!
//! Single writes are batched ([`GroupCommit`]): concurrent requests share one transaction
//! and one commit, as the SQLite backend's writer does.
//!
//! Each written row takes the next position of its tenant's change feed in the same
//! transaction ([`crate::changes`]); a row not written (stale, refused) takes none.

use crate::changes;
use crate::config::CopyFormat;
use crate::error::{db, is_retryable, pg_error, pool_error};
use crate::figures::{self, FigureRow};
use crate::rows::{decode, term_keys, Row, TenantCtx};
use bytes::{BufMut, BytesMut};
use deadpool_postgres::{Pool, Transaction};
use futures_util::SinkExt;
use interlog_store::names::{names_of, NameChanges};
use interlog_store::{Result, StoreError};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

/// What a write of one row should do with a stored engagement of the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Replace it unless it is newer.
    Upsert,
    /// Refuse when there is one.
    Create,
    /// Replace it; refuse when there is none.
    Replace,
}

/// A row and what to do with it.
pub(crate) struct Pending {
    pub row: Row,
    pub mode: Mode,
}

/// What writing one row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    Created,
    Updated,
    /// Not written: the stored engagement is newer.
    Stale,
    /// Not written: [`Mode::Create`] found one stored.
    Exists,
    /// Not written: [`Mode::Replace`] found none.
    Missing,
}

/// Fewer rows than this are staged with one `INSERT`; more with `COPY`.
pub(crate) const COPY_MIN: usize = 64;

/// Most rows one group commit takes.
const MAX_GROUP_ROWS: usize = 2_000;

/// Times a transaction that lost a deadlock, serialization or insert race is run again.
const RETRIES: usize = 4;

/// Writes `rows` of one tenant in the open transaction; one outcome each, in order.
/// `base` numbers the rows in the staging tables, so several merges may share one
/// transaction. When anything was written, the tenant's new feed head is announced on
/// `channel` at commit.
pub(crate) async fn merge(
    tx: &Transaction<'_>,
    tenant: &TenantCtx,
    rows: &[&Pending],
    copy: CopyFormat,
    base: i32,
    channel: &str,
) -> std::result::Result<Vec<Written>, Failure> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    stage(tx, rows, copy, base).await?;
    let mut out: Vec<Option<Written>> = vec![None; rows.len()];
    let mut head = None;
    for round in rounds(rows) {
        merge_round(tx, tenant, rows, base, &round, &mut out, &mut head).await?;
    }
    if let Some(head) = head {
        changes::announce(tx, channel, tenant.id, head).await?;
    }
    Ok(out
        .into_iter()
        .map(|w| w.expect("every row has an outcome"))
        .collect())
}

/// Rows split so that no id appears twice in one round: the second write of an id in a
/// batch sees the first. A later round's rows were locked or inserted by the first, or are
/// absent (and no other writer inserts them while this one holds the tenant's head), so
/// once it holds the head it waits for no other writer.
fn rounds(rows: &[&Pending]) -> Vec<Vec<usize>> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (i, p) in rows.iter().enumerate() {
        let n = seen.entry(p.row.id.as_str()).or_insert(0);
        if rounds.len() <= *n {
            rounds.push(Vec::new());
        }
        rounds[*n].push(i);
        *n += 1;
    }
    rounds
}

fn ord(base: i32, i: usize) -> i32 {
    base + i32::try_from(i).expect("batches are small")
}

/// Merges the rows `todo` (distinct ids); fails with [`Failure::InsertRace`] when another
/// transaction inserted one of them meanwhile. Sets `head` to the last feed position it
/// took, if any.
async fn merge_round(
    tx: &Transaction<'_>,
    tenant: &TenantCtx,
    rows: &[&Pending],
    base: i32,
    todo: &[usize],
    out: &mut [Option<Written>],
    head: &mut Option<i64>,
) -> std::result::Result<(), Failure> {
    let mut ids: Vec<&str> = todo.iter().map(|&i| rows[i].row.id.as_str()).collect();
    ids.sort_unstable();
    let stmt = tx
        .prepare_cached(
            "SELECT id, updated, body FROM engagements WHERE tenant_id = $1 AND id = ANY($2)
             ORDER BY id FOR UPDATE",
        )
        .await
        .map_err(db("prepare read of stored engagements"))?;
    let stored: HashMap<String, (i64, String)> = tx
        .query(&stmt, &[&tenant.id, &ids])
        .await
        .map_err(db("read stored engagements"))?
        .into_iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();

    let mut inserts = Vec::new();
    let mut replaced: Vec<&str> = Vec::new();
    let mut replaced_ords: Vec<i32> = Vec::new();
    let mut old_terms: (Vec<i16>, Vec<String>, Vec<i64>, Vec<&str>) = Default::default();
    let mut replaced_started: Vec<i64> = Vec::new();
    let mut writes: Vec<i32> = Vec::new();
    let mut names = NameChanges::default();
    for &i in todo {
        let p = &rows[i];
        let old = stored.get(&p.row.id);
        let verdict = match (old, p.mode) {
            (None, Mode::Replace) => Some(Written::Missing),
            (None, _) => None,
            (Some(_), Mode::Create) => Some(Written::Exists),
            (Some((updated, _)), Mode::Upsert) if p.row.updated < *updated => Some(Written::Stale),
            (Some(_), _) => Some(Written::Updated),
        };
        match (verdict, old) {
            (Some(Written::Updated), Some((_, body))) => {
                let e = decode(body)?;
                names.remove(tenant.id, &names_of(&e, tenant.country_code.as_deref()));
                let started = e.started_at.as_millisecond();
                replaced_started.push(started);
                for (kind, value) in term_keys(&e, tenant.country_code.as_deref()) {
                    old_terms.0.push(kind);
                    old_terms.1.push(value);
                    old_terms.2.push(started);
                    old_terms.3.push(&p.row.id);
                }
                replaced.push(&p.row.id);
                replaced_ords.push(ord(base, i));
                writes.push(ord(base, i));
                out[i] = Some(Written::Updated);
            }
            (Some(v), _) => out[i] = Some(v),
            (None, _) => {
                inserts.push(i);
                writes.push(ord(base, i));
            }
        }
    }
    if writes.is_empty() {
        return Ok(());
    }
    // The feed positions: the replaced rows first, then the inserted ones in order. Taken
    // once the rows to write are locked, so the tenant's head is held as briefly as can be,
    // and before any of them changes (the lock order of `crate::changes`).
    let first = changes::allocate(tx, tenant.id, writes.len()).await?;
    *head = Some(first + writes.len() as i64 - 1);
    let changed = changes::now_ms();
    let first_insert = first + replaced.len() as i64;
    if !replaced.is_empty() {
        let positions: Vec<i64> = (first..first_insert).collect();
        // An UPDATE, not a delete and insert: a transaction waiting to lock the row then
        // finds the new version rather than nothing.
        exec(
            tx,
            "UPDATE engagements e SET started = s.started, ended = s.ended, updated = s.updated,
                 duration = s.duration, state = s.state, outcome = s.outcome,
                 direction = s.direction, channels = s.channels, body = s.body,
                 position = u.position, changed = $5::int8
             FROM unnest($2::text[], $3::int4[], $4::int8[]) AS u(id, ord, position)
             JOIN stage_engagements s ON s.ord = u.ord
             WHERE e.tenant_id = $1 AND e.id = u.id",
            &[&tenant.id, &replaced, &replaced_ords, &positions, &changed],
            "update engagements",
        )
        .await?;
        exec(
            tx,
            "DELETE FROM terms t USING unnest($2::int2[], $3::text[], $4::int8[], $5::text[])
                 AS o(kind, value, started, id)
             WHERE t.tenant_id = $1 AND t.kind = o.kind AND t.value = o.value
               AND t.started = o.started AND t.id = o.id",
            &[
                &tenant.id,
                &old_terms.0,
                &old_terms.1,
                &old_terms.2,
                &old_terms.3,
            ],
            "remove replaced search terms",
        )
        .await?;
        figures::delete(tx, tenant.id, &replaced, &replaced_started).await?;
    }
    let insert_ords: Vec<i32> = inserts.iter().map(|&i| ord(base, i)).collect();
    let inserted: std::collections::HashSet<String> = if insert_ords.is_empty() {
        Default::default()
    } else {
        // Each inserted row's position: the first insert's, plus its place among them.
        let filter = OrdFilter::of(&insert_ords);
        let (from, position, params): (&str, &str, Vec<&(dyn ToSql + Sync)>) = match &filter {
            OrdFilter::Range(a, b) => (
                "stage_engagements s WHERE s.ord BETWEEN $2 AND $3",
                "$4::int8 + (s.ord - $2)",
                vec![&tenant.id, a, b, &first_insert, &changed],
            ),
            OrdFilter::List(l) => (
                "stage_engagements s JOIN unnest($2::int4[]) WITH ORDINALITY AS o(ord, n)
                 ON s.ord = o.ord",
                "$3::int8 + o.n - 1",
                vec![&tenant.id, l, &first_insert, &changed],
            ),
        };
        let changed_param = if matches!(filter, OrdFilter::Range(..)) {
            "$5::int8"
        } else {
            "$4::int8"
        };
        let sql = format!(
            "INSERT INTO engagements (tenant_id, id, started, ended, updated, duration, state,
                 outcome, direction, channels, body, position, changed)
             SELECT $1, s.id, s.started, s.ended, s.updated, s.duration, s.state, s.outcome,
                 s.direction, s.channels, s.body, {position}, {changed_param}
             FROM {from}
             ON CONFLICT (tenant_id, id) DO NOTHING RETURNING id"
        );
        let stmt = tx
            .prepare_cached(&sql)
            .await
            .map_err(db("prepare engagement insert"))?;
        tx.query(&stmt, &params)
            .await
            .map_err(db("insert engagements"))?
            .into_iter()
            .map(|r| r.get(0))
            .collect()
    };
    for i in inserts {
        if !inserted.contains(&rows[i].row.id) {
            return Err(Failure::InsertRace);
        }
        out[i] = Some(Written::Created);
    }
    let filter = OrdFilter::of(&writes);
    exec(
        tx,
        &format!(
            "INSERT INTO terms (tenant_id, kind, value, started, id)
             SELECT $1, kind, value, started, id FROM stage_terms WHERE {}",
            filter.sql()
        ),
        &filter.params(&tenant.id),
        "insert search terms",
    )
    .await?;
    let written: Vec<(&str, i64, &[FigureRow])> = todo
        .iter()
        .filter(|&&i| matches!(out[i], Some(Written::Created | Written::Updated)))
        .map(|&i| {
            let r = &rows[i].row;
            (r.id.as_str(), r.started, r.figures.as_slice())
        })
        .collect();
    figures::insert(tx, tenant.id, &written).await?;
    let words: Vec<(&str, &str)> = todo
        .iter()
        .filter(|&&i| matches!(out[i], Some(Written::Created | Written::Updated)))
        .map(|&i| (rows[i].row.id.as_str(), rows[i].row.words.as_str()))
        .collect();
    // Created engagements have no words yet: only the updated ones' are looked up.
    let updated: Vec<&str> = todo
        .iter()
        .filter(|&&i| matches!(out[i], Some(Written::Updated)))
        .map(|&i| rows[i].row.id.as_str())
        .collect();
    crate::words::write(tx, tenant.id, &words, crate::words::Held::These(&updated)).await?;
    for &i in todo {
        if matches!(out[i], Some(Written::Created | Written::Updated)) {
            names.add(tenant.id, rows[i].row.started, &rows[i].row.names);
        }
    }
    crate::names::apply(tx, &names).await?;
    Ok(())
}

/// Which staged rows a statement takes: a range of their numbers when they are one (the
/// usual case, cheap for the server), else the list.
enum OrdFilter<'a> {
    Range(i32, i32),
    List(&'a [i32]),
}

impl<'a> OrdFilter<'a> {
    /// `ords` in increasing order.
    fn of(ords: &'a [i32]) -> Self {
        match (ords.first(), ords.last()) {
            (Some(&a), Some(&b)) if i64::from(b) - i64::from(a) + 1 == ords.len() as i64 => {
                OrdFilter::Range(a, b)
            }
            _ => OrdFilter::List(ords),
        }
    }

    fn sql(&self) -> &'static str {
        match self {
            OrdFilter::Range(..) => "ord BETWEEN $2 AND $3",
            OrdFilter::List(_) => "ord = ANY($2)",
        }
    }

    fn params<'b>(&'b self, tenant: &'b i64) -> Vec<&'b (dyn ToSql + Sync)> {
        match self {
            OrdFilter::Range(a, b) => vec![tenant, a, b],
            OrdFilter::List(l) => vec![tenant, l],
        }
    }
}

async fn exec(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    context: &'static str,
) -> Result<u64> {
    let stmt = tx.prepare_cached(sql).await.map_err(db(context))?;
    tx.execute(&stmt, params).await.map_err(db(context))
}

/// A connection of `pool` for a write, with its staging tables: made by its first write,
/// not when it is opened. Made on opening, they were DDL (catalog rows, a WAL flush) on
/// the way of every read that waited for a new connection (a cheap read moved to the heavy
/// pool leaves its connection behind), under load for tens of milliseconds.
pub(crate) async fn connection(pool: &Pool) -> Result<deadpool_postgres::Object> {
    let client = pool.get().await.map_err(pool_error)?;
    let staged: bool = client
        .query_one("SELECT to_regclass('pg_temp.stage_terms') IS NOT NULL", &[])
        .await
        .map_err(db("look for the staging tables"))?
        .get(0);
    if !staged {
        client
            .batch_execute(crate::schema::STAGING)
            .await
            .map_err(db("create the staging tables"))?;
    }
    Ok(client)
}

/// Puts the rows and their terms in the staging tables.
async fn stage(tx: &Transaction<'_>, rows: &[&Pending], copy: CopyFormat, base: i32) -> Result<()> {
    if rows.len() < COPY_MIN {
        return stage_by_insert(tx, rows, base).await;
    }
    match copy {
        CopyFormat::Binary => stage_binary(tx, rows, base).await,
        CopyFormat::Text => stage_text(tx, rows, base).await,
    }
}

const COPY_ENGAGEMENTS: &str = "COPY stage_engagements (ord, id, started, ended, updated, duration, state, outcome, direction, channels, body) FROM STDIN";
const COPY_TERMS: &str = "COPY stage_terms (ord, kind, value, started, id) FROM STDIN";

async fn stage_by_insert(tx: &Transaction<'_>, rows: &[&Pending], base: i32) -> Result<()> {
    let n = rows.len();
    let mut c = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut t = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, p) in rows.iter().enumerate() {
        let r = &p.row;
        let o = ord(base, i);
        c.0.push(o);
        c.1.push(r.id.as_str());
        c.2.push(r.started);
        c.3.push(r.ended);
        c.4.push(r.updated);
        c.5.push(r.duration);
        c.6.push(r.state);
        c.7.push(r.outcome);
        c.8.push(r.direction);
        c.9.push(r.channels);
        c.10.push(r.body.as_str());
        for (kind, value) in &r.terms {
            t.0.push(o);
            t.1.push(*kind);
            t.2.push(value.as_str());
            t.3.push(r.started);
            t.4.push(r.id.as_str());
        }
    }
    exec(
        tx,
        "INSERT INTO stage_engagements SELECT * FROM unnest($1::int4[], $2::text[], $3::int8[],
             $4::int8[], $5::int8[], $6::int8[], $7::int2[], $8::int2[], $9::int2[], $10::int4[],
             $11::text[])",
        &[
            &c.0, &c.1, &c.2, &c.3, &c.4, &c.5, &c.6, &c.7, &c.8, &c.9, &c.10,
        ],
        "stage engagements",
    )
    .await?;
    if !t.0.is_empty() {
        exec(
            tx,
            "INSERT INTO stage_terms SELECT * FROM unnest($1::int4[], $2::int2[], $3::text[],
                 $4::int8[], $5::text[])",
            &[&t.0, &t.1, &t.2, &t.3, &t.4],
            "stage search terms",
        )
        .await?;
    }
    Ok(())
}

async fn stage_binary(tx: &Transaction<'_>, rows: &[&Pending], base: i32) -> Result<()> {
    let sink = tx
        .copy_in(&format!("{COPY_ENGAGEMENTS} (FORMAT binary)"))
        .await
        .map_err(db("copy engagements"))?;
    let types = [
        Type::INT4,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::INT2,
        Type::INT2,
        Type::INT2,
        Type::INT4,
        Type::TEXT,
    ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);
    for (i, p) in rows.iter().enumerate() {
        let r = &p.row;
        writer
            .as_mut()
            .write(&[
                &ord(base, i),
                &r.id,
                &r.started,
                &r.ended,
                &r.updated,
                &r.duration,
                &r.state,
                &r.outcome,
                &r.direction,
                &r.channels,
                &r.body,
            ])
            .await
            .map_err(db("copy engagements"))?;
    }
    writer.finish().await.map_err(db("copy engagements"))?;

    let sink = tx
        .copy_in(&format!("{COPY_TERMS} (FORMAT binary)"))
        .await
        .map_err(db("copy search terms"))?;
    let types = [Type::INT4, Type::INT2, Type::TEXT, Type::INT8, Type::TEXT];
    let writer = BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);
    for (i, p) in rows.iter().enumerate() {
        let r = &p.row;
        let o = ord(base, i);
        for (kind, value) in &r.terms {
            writer
                .as_mut()
                .write(&[&o, kind, value, &r.started, &r.id])
                .await
                .map_err(db("copy search terms"))?;
        }
    }
    writer.finish().await.map_err(db("copy search terms"))?;
    Ok(())
}

/// Bytes sent to the server per message of a text COPY.
const TEXT_CHUNK: usize = 256 * 1024;

/// Appends one field of COPY's text format.
fn text_field(buf: &mut BytesMut, v: &str) {
    for b in v.bytes() {
        match b {
            b'\\' => buf.put_slice(b"\\\\"),
            b'\t' => buf.put_slice(b"\\t"),
            b'\n' => buf.put_slice(b"\\n"),
            b'\r' => buf.put_slice(b"\\r"),
            _ => buf.put_u8(b),
        }
    }
}

fn text_number(buf: &mut BytesMut, v: Option<i64>) {
    match v {
        Some(n) => buf.put_slice(n.to_string().as_bytes()),
        None => buf.put_slice(b"\\N"),
    }
}

async fn stage_text(tx: &Transaction<'_>, rows: &[&Pending], base: i32) -> Result<()> {
    let mut buf = BytesMut::with_capacity(TEXT_CHUNK * 2);
    copy_text(
        tx,
        COPY_ENGAGEMENTS,
        "copy engagements",
        rows,
        &mut buf,
        |buf, i, p| {
            let r = &p.row;
            let numbers = [
                Some(i64::from(ord(base, i))),
                None, // the id, written below
                Some(r.started),
                Some(r.ended),
                Some(r.updated),
                Some(r.duration),
                Some(i64::from(r.state)),
                r.outcome.map(i64::from),
                r.direction.map(i64::from),
                Some(i64::from(r.channels)),
            ];
            for (k, n) in numbers.iter().enumerate() {
                if k == 1 {
                    text_field(buf, &r.id);
                } else {
                    text_number(buf, *n);
                }
                buf.put_u8(b'\t');
            }
            text_field(buf, &r.body);
            buf.put_u8(b'\n');
        },
    )
    .await?;
    copy_text(
        tx,
        COPY_TERMS,
        "copy search terms",
        rows,
        &mut buf,
        |buf, i, p| {
            let r = &p.row;
            let o = ord(base, i).to_string();
            for (kind, value) in &r.terms {
                buf.put_slice(o.as_bytes());
                buf.put_u8(b'\t');
                buf.put_slice(kind.to_string().as_bytes());
                buf.put_u8(b'\t');
                text_field(buf, value);
                buf.put_u8(b'\t');
                buf.put_slice(r.started.to_string().as_bytes());
                buf.put_u8(b'\t');
                text_field(buf, &r.id);
                buf.put_u8(b'\n');
            }
        },
    )
    .await
}

/// `COPY statement` in text format: `line` writes each of `rows` (its number in `rows`
/// given) into `buf`, sent in chunks of about [`TEXT_CHUNK`] bytes; `what` names the copy
/// in errors.
async fn copy_text(
    tx: &Transaction<'_>,
    statement: &str,
    what: &'static str,
    rows: &[&Pending],
    buf: &mut BytesMut,
    mut line: impl FnMut(&mut BytesMut, usize, &Pending),
) -> Result<()> {
    let sink = tx.copy_in(statement).await.map_err(db(what))?;
    let mut sink = std::pin::pin!(sink);
    for (i, p) in rows.iter().enumerate() {
        line(buf, i, p);
        if buf.len() >= TEXT_CHUNK {
            sink.send(buf.split().freeze()).await.map_err(db(what))?;
        }
    }
    if !buf.is_empty() {
        sink.send(buf.split().freeze()).await.map_err(db(what))?;
    }
    sink.as_mut().finish().await.map_err(db(what))?;
    Ok(())
}

/// Runs `attempt` (a whole transaction) until it succeeds, fails for good, or has lost a
/// deadlock, serialization or insert race [`RETRIES`] times (a lost race wrote nothing).
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, Failure>>,
{
    let mut n = 0;
    loop {
        n += 1;
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(Failure::Db(e)) if is_retryable(&e) && n < RETRIES => {
                tracing::debug!(attempt = n, error = %e, "transaction lost a race; running it again");
            }
            Err(Failure::Db(e)) => return Err(pg_error("write", e)),
            Err(Failure::InsertRace) if n < RETRIES => {
                tracing::debug!(
                    attempt = n,
                    "an insert lost a race; running the transaction again"
                );
            }
            Err(Failure::InsertRace) => {
                return Err(StoreError::unavailable(
                    "write",
                    "other writers kept inserting the same engagements",
                ))
            }
            Err(Failure::Store(e)) => return Err(e),
        }
    }
}

/// Why the work of a transaction failed: a database error (maybe worth retrying), an
/// insert that found the row another transaction inserted meanwhile (worth retrying), or
/// a refusal in the store's terms.
pub(crate) enum Failure {
    Db(tokio_postgres::Error),
    InsertRace,
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure::Db(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        // Database errors keep their cause so that a lost race can be told apart.
        match e {
            StoreError::Backend { source, context } => match source.downcast() {
                Ok(pg) => Failure::Db(*pg),
                Err(source) => Failure::Store(StoreError::Backend { context, source }),
            },
            StoreError::Unavailable { source, context } => match source.downcast() {
                Ok(pg) => Failure::Db(*pg),
                Err(source) => Failure::Store(StoreError::Unavailable { context, source }),
            },
            other => Failure::Store(other),
        }
    }
}

/// A queued write of one tenant's rows.
struct Job {
    tenant: TenantCtx,
    rows: Vec<Pending>,
    reply: oneshot::Sender<Result<Vec<Written>>>,
    /// Counts the job in the write-queue gauge until it is answered.
    _queued: interlog_store::QueuedWrite,
}

/// Group commit: queued writes taken together into one transaction by a few writer tasks,
/// so that concurrent single writes share their commits.
pub(crate) struct GroupCommit {
    jobs: std::sync::Mutex<Option<mpsc::UnboundedSender<Job>>>,
    writers: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl GroupCommit {
    /// Starts `writers` writer tasks on `pool`; feed heads are announced on `channel`.
    pub(crate) fn start(
        pool: Pool,
        copy: CopyFormat,
        writers: usize,
        channel: Arc<str>,
    ) -> GroupCommit {
        let (tx, rx) = mpsc::unbounded_channel();
        let rx = Arc::new(Mutex::new(rx));
        let handles = (0..writers.max(1))
            .map(|_| tokio::spawn(writer(pool.clone(), rx.clone(), copy, channel.clone())))
            .collect();
        GroupCommit {
            jobs: std::sync::Mutex::new(Some(tx)),
            writers: std::sync::Mutex::new(handles),
        }
    }

    /// Queues the rows and waits until their transaction has committed.
    pub(crate) async fn write(
        &self,
        tenant: TenantCtx,
        rows: Vec<Pending>,
    ) -> Result<Vec<Written>> {
        let (reply, answer) = oneshot::channel();
        {
            let jobs = self.jobs.lock().expect("writer lock");
            let sender = jobs.as_ref().ok_or(StoreError::Closed)?;
            sender
                .send(Job {
                    tenant,
                    rows,
                    reply,
                    _queued: interlog_store::QueuedWrite::new(),
                })
                .map_err(|_| StoreError::Closed)?;
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Stops taking writes and waits until every queued one has committed.
    pub(crate) async fn close(&self) {
        self.jobs.lock().expect("writer lock").take();
        let handles = std::mem::take(&mut *self.writers.lock().expect("writer lock"));
        for h in handles {
            let _ = h.await;
        }
    }
}

async fn writer(
    pool: Pool,
    jobs: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>,
    copy: CopyFormat,
    channel: Arc<str>,
) {
    loop {
        let batch = {
            let mut rx = jobs.lock().await;
            let Some(first) = rx.recv().await else { break };
            let mut rows = first.rows.len();
            let mut batch = vec![first];
            while rows < MAX_GROUP_ROWS {
                match rx.try_recv() {
                    Ok(job) => {
                        rows += job.rows.len();
                        batch.push(job);
                    }
                    Err(_) => break,
                }
            }
            batch
        };
        commit_group(&pool, batch, copy, &channel).await;
    }
}

/// Writes a group of jobs in one transaction. When it fails for a reason other than the
/// database being away, each job is tried alone, so one bad write fails only itself.
async fn commit_group(pool: &Pool, batch: Vec<Job>, copy: CopyFormat, channel: &str) {
    let began = std::time::Instant::now();
    metrics::histogram!(interlog_store::GROUP_COMMIT_SIZE).record(batch.len() as f64);
    let result = write_jobs(pool, &batch, copy, channel).await;
    metrics::histogram!(interlog_store::COMMIT_DURATION).record(began.elapsed().as_secs_f64());
    match result {
        Ok(outcomes) => {
            for (job, out) in batch.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(out));
            }
        }
        Err(e) if batch.len() > 1 && !e.is_unavailable() => {
            tracing::warn!(error = %e, jobs = batch.len(), "a group commit failed; writing its jobs one by one");
            for job in batch {
                let one = vec![job];
                let result = write_jobs(pool, &one, copy, channel).await;
                let job = one.into_iter().next().expect("one job");
                let _ = job
                    .reply
                    .send(result.map(|mut o| o.pop().expect("one outcome list")));
            }
        }
        Err(e) => {
            let shared = Arc::new(e);
            for job in batch {
                let _ = job.reply.send(Err(copy_error(&shared)));
            }
        }
    }
}

/// A failure to hand to each job of a failed group.
fn copy_error(e: &Arc<StoreError>) -> StoreError {
    let message = crate::error_chain(e.as_ref());
    if e.is_unavailable() {
        StoreError::unavailable("write", message)
    } else {
        StoreError::backend("write", message)
    }
}

async fn write_jobs(
    pool: &Pool,
    batch: &[Job],
    copy: CopyFormat,
    channel: &str,
) -> Result<Vec<Vec<Written>>> {
    // Jobs of one tenant are merged together, in the order they came; tenants in id order,
    // so that concurrent groups lock the tenants' feed heads in one order.
    let mut by_tenant: Vec<(i64, Vec<usize>)> = Vec::new();
    for (j, job) in batch.iter().enumerate() {
        match by_tenant.iter_mut().find(|(t, _)| *t == job.tenant.id) {
            Some((_, js)) => js.push(j),
            None => by_tenant.push((job.tenant.id, vec![j])),
        }
    }
    by_tenant.sort_by_key(|(t, _)| *t);
    let by_tenant = &by_tenant;
    retrying(|| async move {
        let mut client = connection(pool).await?;
        let tx = client.transaction().await?;
        let mut outcomes = vec![Vec::new(); batch.len()];
        let mut base = 0i32;
        for (_, js) in by_tenant {
            let tenant = &batch[js[0]].tenant;
            let rows: Vec<&Pending> = js.iter().flat_map(|&j| batch[j].rows.iter()).collect();
            let written = merge(&tx, tenant, &rows, copy, base, channel).await?;
            base += i32::try_from(rows.len()).expect("groups are small");
            let mut it = written.into_iter();
            for &j in js {
                outcomes[j] = it.by_ref().take(batch[j].rows.len()).collect();
            }
        }
        tx.commit().await?;
        Ok(outcomes)
    })
    .await
}
