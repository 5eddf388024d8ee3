//! Keeping an engagement's facts in `figures`, in its write transaction: rows inserted when
//! it is written (those of the version it replaces deleted first), deleted when it is (by a
//! client, retention or erasure: every deletion goes through `changes::remove`, which calls
//! [`delete`]); and the names they were written with kept in `figure_names`.

use super::NameKind;
use crate::error::db;
use deadpool_postgres::Transaction;
use interlog_model::{ChannelType, Direction, Engagement, SourcePlatform};
use interlog_store::analytics::{Facts, Named};
use interlog_store::codes::code;
use interlog_store::Result;
use std::collections::BTreeMap;
use tokio_postgres::Statement;

/// One row of `figures` (its tenant, start and id aside).
#[derive(Debug, Clone)]
pub(crate) struct FigureRow {
    row_no: i16,
    queue: Option<String>,
    agent: Option<String>,
    team: Option<String>,
    channel_type: Option<i16>,
    direction: Option<i16>,
    source: Option<i16>,
    disposition: Option<String>,
    status: Option<i16>,
    wait_ms: i64,
    handled: bool,
    talk_ms: i64,
    hold_ms: i64,
    wrap_up_ms: i64,
    transferred: bool,
    /// The names given with this row's values: (kind, value, name).
    names: Vec<(NameKind, String, String)>,
}

fn small(v: i64) -> i16 {
    i16::try_from(v).expect("codes are small")
}

fn big(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A `figures` row's columns after (tenant, start, id), as `interlog check` compares them.
pub(crate) type FigureColumns = (
    (i16, Option<String>, Option<String>, Option<String>),
    (Option<i16>, Option<i16>, Option<i16>, Option<String>),
    (Option<i16>, i64, bool, i64, i64, i64, bool),
);

impl FigureRow {
    /// Its columns after (tenant, start, id), in table order.
    pub(crate) fn columns(&self) -> FigureColumns {
        (
            (
                self.row_no,
                self.queue.clone(),
                self.agent.clone(),
                self.team.clone(),
            ),
            (
                self.channel_type,
                self.direction,
                self.source,
                self.disposition.clone(),
            ),
            (
                self.status,
                self.wait_ms,
                self.handled,
                self.talk_ms,
                self.hold_ms,
                self.wrap_up_ms,
                self.transferred,
            ),
        )
    }

    /// The rows of an engagement's facts.
    pub(crate) fn of(e: &Engagement) -> Vec<FigureRow> {
        let facts = Facts::of(e);
        facts
            .rows()
            .enumerate()
            .map(|(i, r)| {
                let mut names = Vec::new();
                let mut name = |kind, n: Option<&Named>| {
                    if let Some(Named {
                        key,
                        name: Some(name),
                    }) = n
                    {
                        names.push((kind, key.clone(), name.clone()));
                    }
                };
                name(NameKind::Queue, r.queue);
                name(NameKind::Agent, r.agent);
                name(NameKind::Disposition, facts.disposition.as_ref());
                let h = r.handling.copied().unwrap_or_default();
                FigureRow {
                    row_no: i16::try_from(i).unwrap_or(i16::MAX),
                    queue: r.queue.map(|q| q.key.clone()),
                    agent: r.agent.map(|a| a.key.clone()),
                    team: facts.team.clone(),
                    channel_type: facts.channel_type.map(|c| small(code(ChannelType::ALL, c))),
                    direction: facts.direction.map(|d| small(code(Direction::ALL, d))),
                    source: facts.source.map(|s| small(code(SourcePlatform::ALL, s))),
                    disposition: facts.disposition.as_ref().map(|d| d.key.clone()),
                    status: r.visit.map(|(s, _)| small(s.code())),
                    wait_ms: r.visit.map_or(0, |(_, w)| big(w)),
                    handled: h.handled,
                    talk_ms: big(h.talk_ms),
                    hold_ms: big(h.hold_ms),
                    wrap_up_ms: big(h.wrap_up_ms),
                    transferred: h.transferred,
                    names,
                }
            })
            .collect()
    }
}

const INSERT_ROWS: &str = "INSERT INTO figures (tenant_id, started, id, row_no, queue, agent,
        team, channel_type, direction, source, disposition, status, wait_ms, handled, talk_ms,
        hold_ms, wrap_up_ms, transferred)
    SELECT $1, * FROM unnest($2::int8[], $3::text[], $4::int2[], $5::text[], $6::text[],
        $7::text[], $8::int2[], $9::int2[], $10::int2[], $11::text[], $12::int2[], $13::int8[],
        $14::bool[], $15::int8[], $16::int8[], $17::int8[], $18::bool[])";

const RECORD_NAMES: &str = "INSERT INTO figure_names (tenant_id, kind, key, name)
    SELECT $1, * FROM unnest($2::int2[], $3::text[], $4::text[])
    ON CONFLICT (tenant_id, kind, key) DO UPDATE SET name = EXCLUDED.name
    WHERE figure_names.name IS DISTINCT FROM EXCLUDED.name";

/// Inserts the rows of engagements `(id, started, rows)` and records their names: a
/// value's name is the one it was given last (later engagements, then later rows, win).
pub(crate) async fn insert(
    tx: &Transaction<'_>,
    tenant: i64,
    engagements: &[(&str, i64, &[FigureRow])],
) -> Result<()> {
    if engagements.iter().all(|(_, _, r)| r.is_empty()) {
        return Ok(());
    }
    let rows = tx
        .prepare_cached(INSERT_ROWS)
        .await
        .map_err(db("prepare figures insert"))?;
    let names = tx
        .prepare_cached(RECORD_NAMES)
        .await
        .map_err(db("prepare figure names"))?;
    insert_prepared(&**tx, (&rows, &names), tenant, engagements).await
}

async fn insert_prepared<C: tokio_postgres::GenericClient>(
    client: &C,
    (rows_stmt, names_stmt): (&Statement, &Statement),
    tenant: i64,
    engagements: &[(&str, i64, &[FigureRow])],
) -> Result<()> {
    let n: usize = engagements.iter().map(|(_, _, r)| r.len()).sum();
    if n == 0 {
        return Ok(());
    }
    let mut c = Columns::with_capacity(n);
    let mut names: BTreeMap<(NameKind, &str), &str> = BTreeMap::new();
    for (id, started, rows) in engagements {
        for r in *rows {
            c.push(id, *started, r);
            for (kind, key, name) in &r.names {
                names.insert((*kind, key), name);
            }
        }
    }
    client
        .execute(
            rows_stmt,
            &[
                &tenant,
                &c.started,
                &c.id,
                &c.row_no,
                &c.queue,
                &c.agent,
                &c.team,
                &c.channel_type,
                &c.direction,
                &c.source,
                &c.disposition,
                &c.status,
                &c.wait_ms,
                &c.handled,
                &c.talk_ms,
                &c.hold_ms,
                &c.wrap_up_ms,
                &c.transferred,
            ],
        )
        .await
        .map_err(db("insert figures"))?;
    if names.is_empty() {
        return Ok(());
    }
    let kinds: Vec<i16> = names.keys().map(|(k, _)| *k as i16).collect();
    let keys: Vec<&str> = names.keys().map(|(_, v)| *v).collect();
    let values: Vec<&str> = names.values().copied().collect();
    client
        .execute(names_stmt, &[&tenant, &kinds, &keys, &values])
        .await
        .map_err(db("record figure names"))?;
    Ok(())
}

/// Deletes the rows of the engagements `ids`, which started at `started` (in the same
/// order).
pub(crate) async fn delete(
    client: &Transaction<'_>,
    tenant: i64,
    ids: &[&str],
    started: &[i64],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let stmt = client
        .prepare_cached(
            "DELETE FROM figures f USING unnest($2::text[], $3::int8[]) AS o(id, started)
             WHERE f.tenant_id = $1 AND f.started = o.started AND f.id = o.id",
        )
        .await
        .map_err(db("prepare figures delete"))?;
    client
        .execute(&stmt, &[&tenant, &ids, &started])
        .await
        .map_err(db("delete figures"))?;
    Ok(())
}

/// The rows' columns, as arrays for `unnest`.
struct Columns<'a> {
    started: Vec<i64>,
    id: Vec<&'a str>,
    row_no: Vec<i16>,
    queue: Vec<Option<&'a str>>,
    agent: Vec<Option<&'a str>>,
    team: Vec<Option<&'a str>>,
    channel_type: Vec<Option<i16>>,
    direction: Vec<Option<i16>>,
    source: Vec<Option<i16>>,
    disposition: Vec<Option<&'a str>>,
    status: Vec<Option<i16>>,
    wait_ms: Vec<i64>,
    handled: Vec<bool>,
    talk_ms: Vec<i64>,
    hold_ms: Vec<i64>,
    wrap_up_ms: Vec<i64>,
    transferred: Vec<bool>,
}

impl<'a> Columns<'a> {
    fn with_capacity(n: usize) -> Self {
        Columns {
            started: Vec::with_capacity(n),
            id: Vec::with_capacity(n),
            row_no: Vec::with_capacity(n),
            queue: Vec::with_capacity(n),
            agent: Vec::with_capacity(n),
            team: Vec::with_capacity(n),
            channel_type: Vec::with_capacity(n),
            direction: Vec::with_capacity(n),
            source: Vec::with_capacity(n),
            disposition: Vec::with_capacity(n),
            status: Vec::with_capacity(n),
            wait_ms: Vec::with_capacity(n),
            handled: Vec::with_capacity(n),
            talk_ms: Vec::with_capacity(n),
            hold_ms: Vec::with_capacity(n),
            wrap_up_ms: Vec::with_capacity(n),
            transferred: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, id: &'a str, started: i64, r: &'a FigureRow) {
        self.started.push(started);
        self.id.push(id);
        self.row_no.push(r.row_no);
        self.queue.push(r.queue.as_deref());
        self.agent.push(r.agent.as_deref());
        self.team.push(r.team.as_deref());
        self.channel_type.push(r.channel_type);
        self.direction.push(r.direction);
        self.source.push(r.source);
        self.disposition.push(r.disposition.as_deref());
        self.status.push(r.status);
        self.wait_ms.push(r.wait_ms);
        self.handled.push(r.handled);
        self.talk_ms.push(r.talk_ms);
        self.hold_ms.push(r.hold_ms);
        self.wrap_up_ms.push(r.wrap_up_ms);
        self.transferred.push(r.transferred);
    }
}

/// Engagements read at a time by [`backfill`].
const CHUNK: i64 = 1_000;

/// Writes the figures of every stored engagement (the migration that made the tables runs
/// it, in its own transaction).
pub(crate) async fn backfill(tx: &tokio_postgres::Transaction<'_>) -> Result<()> {
    let insert_rows = tx
        .prepare(INSERT_ROWS)
        .await
        .map_err(db("prepare figures insert"))?;
    let record_names = tx
        .prepare(RECORD_NAMES)
        .await
        .map_err(db("prepare figure names"))?;
    let mut after: (i64, String) = (i64::MIN, String::new());
    loop {
        let chunk = tx
            .query(
                "SELECT tenant_id, id, started, body FROM engagements
                 WHERE (tenant_id, id) > ($1, $2) ORDER BY tenant_id, id LIMIT $3",
                &[&after.0, &after.1, &CHUNK],
            )
            .await
            .map_err(db("read engagements for their figures"))?;
        let Some(last) = chunk.last() else {
            return Ok(());
        };
        after = (last.get(0), last.get(1));
        let mut by_tenant: BTreeMap<i64, Vec<(String, i64, Vec<FigureRow>)>> = BTreeMap::new();
        for r in &chunk {
            let e = crate::rows::decode(r.get(3))?;
            by_tenant
                .entry(r.get(0))
                .or_default()
                .push((r.get(1), r.get(2), FigureRow::of(&e)));
        }
        for (tenant, rows) in &by_tenant {
            let refs: Vec<(&str, i64, &[FigureRow])> = rows
                .iter()
                .map(|(id, started, rows)| (id.as_str(), *started, rows.as_slice()))
                .collect();
            insert_prepared(tx, (&insert_rows, &record_names), *tenant, &refs).await?;
        }
    }
}
