//! Keeping an engagement's facts in `figures`, in the engagement's write transaction: a
//! row when it is written, replaced when it is, removed when it is deleted (by a client,
//! retention or erasure: every deletion goes through `rows::remove`, which calls
//! [`delete`]). Each visit also has a row in `queue_visits`, written and removed with them.

use super::encoding::{decode, encode, Numbered, Visit};
use super::keys::FigureKeys;
use super::KeyKind;
use crate::codes::code;
use crate::db;
use crate::writer::Tx;
use interlog_model::{ChannelType, Direction, SourcePlatform};
use interlog_store::analytics::{Facts, Named};
use interlog_store::{Result, StoreError};
use rusqlite::{params, Connection};

/// `facts` with their keys numbered.
fn numbered(
    conn: &Connection,
    keys: &mut FigureKeys,
    tenant: i64,
    facts: &Facts,
) -> Result<Numbered> {
    let mut number = |kind: KeyKind, value: &str, name: Option<&str>| -> Result<u64> {
        Ok(1 + keys.number(conn, tenant, kind, value, name)? as u64)
    };
    let mut key = |kind: KeyKind, n: Option<&Named>| -> Result<u64> {
        n.map_or(Ok(0), |n| number(kind, &n.key, n.name.as_deref()))
    };
    let team = match &facts.team {
        Some(t) => key(
            KeyKind::Team,
            Some(&Named {
                key: t.clone(),
                name: None,
            }),
        )?,
        None => 0,
    };
    let word = |c: Option<i64>| c.map_or(0, |c| 1 + c as u64);
    let dims = [
        team,
        word(facts.channel_type.map(|c| code(ChannelType::ALL, c))),
        word(facts.direction.map(|d| code(Direction::ALL, d))),
        word(facts.source.map(|s| code(SourcePlatform::ALL, s))),
        key(KeyKind::Disposition, facts.disposition.as_ref())?,
    ];
    let mut visits = Vec::with_capacity(facts.visits.len());
    for (i, v) in facts.visits.iter().enumerate() {
        visits.push(Visit {
            queue: key(KeyKind::Queue, Some(&v.queue))?,
            agent: key(KeyKind::Agent, v.agent.as_ref())?,
            status: v.status,
            wait_ms: v.wait_ms,
            carrier: facts.carrier == Some(i),
        });
    }
    let own_agent = if facts.carrier.is_none() && facts.handling.counts() {
        Some(key(KeyKind::Agent, facts.agent.as_ref())?)
    } else {
        None
    };
    Ok(Numbered {
        dims,
        handling: facts.handling,
        own_agent,
        visits,
    })
}

/// Stores the facts of the engagement in row `seq` (nothing when it adds to no figure),
/// and its visits in `queue_visits`.
pub(crate) fn insert_with(
    conn: &Connection,
    keys: &mut FigureKeys,
    tenant: i64,
    started: i64,
    seq: i64,
    facts: Option<&Facts>,
) -> Result<()> {
    match store_facts(conn, keys, tenant, started, seq, facts)? {
        Some(n) => insert_visits(conn, tenant, started, seq, &n),
        None => Ok(()),
    }
}

/// The `figures` row of [`insert_with`] alone: migration 10, which comes before
/// `queue_visits` (migration 15 indexes the visits of what it stored).
pub(crate) fn insert_facts(
    conn: &Connection,
    keys: &mut FigureKeys,
    tenant: i64,
    started: i64,
    seq: i64,
    facts: Option<&Facts>,
) -> Result<()> {
    store_facts(conn, keys, tenant, started, seq, facts).map(|_| ())
}

/// Writes the `figures` row; the facts stored, numbered.
fn store_facts(
    conn: &Connection,
    keys: &mut FigureKeys,
    tenant: i64,
    started: i64,
    seq: i64,
    facts: Option<&Facts>,
) -> Result<Option<Numbered>> {
    let Some(facts) = facts.filter(|f| f.counts()) else {
        return Ok(None);
    };
    let n = numbered(conn, keys, tenant, facts)?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO figures (tenant_id, started, seq, facts) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute(params![tenant, started, seq, encode(&n)]))
    .map_err(db("insert figures"))?;
    Ok(Some(n))
}

/// The `queue_visits` rows of the facts `n` of the engagement in row `seq`.
fn insert_visits(
    conn: &Connection,
    tenant: i64,
    started: i64,
    seq: i64,
    n: &Numbered,
) -> Result<()> {
    each_visit(
        conn,
        "INSERT OR REPLACE INTO queue_visits (tenant_id, queue, status, started, seq, visit)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        (tenant, started, seq),
        n,
    )
}

/// Runs `sql` once for each visit of the facts `n` of an engagement (tenant, started, seq),
/// with its `queue_visits` key as parameters.
fn each_visit(
    conn: &Connection,
    sql: &str,
    (tenant, started, seq): (i64, i64, i64),
    n: &Numbered,
) -> Result<()> {
    let mut stmt = conn
        .prepare_cached(sql)
        .map_err(db("prepare queue visits"))?;
    for (i, v) in n.visits.iter().enumerate() {
        // Stored as 1 + the key's number (0 is no queue, which a visit always has).
        let Some(queue) = v.queue.checked_sub(1) else {
            continue;
        };
        stmt.execute(params![
            tenant,
            queue as i64,
            v.status.code(),
            started,
            seq,
            i as i64
        ])
        .map_err(db("write queue visits"))?;
    }
    Ok(())
}

/// [`insert_with`] in the writer's transaction.
pub(crate) fn insert(
    tx: &Tx<'_>,
    tenant: i64,
    started: i64,
    seq: i64,
    facts: Option<&Facts>,
) -> Result<()> {
    insert_with(
        tx,
        &mut tx.figure_keys.borrow_mut(),
        tenant,
        started,
        seq,
        facts,
    )
}

/// Removes the facts of the engagement in row `seq`, which started at `started`.
/// Its visits' `queue_visits` rows are those its stored facts name.
pub(crate) fn delete(tx: &Tx<'_>, tenant: i64, started: i64, seq: i64) -> Result<()> {
    let facts: Option<Vec<u8>> = tx
        .prepare_cached(
            "DELETE FROM figures WHERE tenant_id = ?1 AND started = ?2 AND seq = ?3 RETURNING facts",
        )
        .and_then(|mut s| {
            let mut rows = s.query(params![tenant, started, seq])?;
            rows.next()?.map(|r| r.get(0)).transpose()
        })
        .map_err(db("delete figures"))?;
    let Some(facts) = facts else {
        return Ok(());
    };
    let mut n = Numbered::default();
    decode(&facts, &mut n).map_err(|e| StoreError::backend("stored figures", e))?;
    each_visit(
        tx,
        "DELETE FROM queue_visits WHERE tenant_id = ?1 AND queue = ?2 AND status = ?3
         AND started = ?4 AND seq = ?5 AND visit = ?6",
        (tenant, started, seq),
        &n,
    )
}

/// The engagement in row `seq` (which started at `old_started`) was rewritten.
pub(crate) fn replace(
    tx: &Tx<'_>,
    tenant: i64,
    old_started: i64,
    started: i64,
    seq: i64,
    facts: Option<&Facts>,
) -> Result<()> {
    delete(tx, tenant, old_started, seq)?;
    insert(tx, tenant, started, seq, facts)
}

/// Calls `each` with every stored engagement's facts: (tenant, started, seq, facts).
fn each_stored(
    conn: &Connection,
    mut each: impl FnMut(i64, i64, i64, &Numbered) -> Result<()>,
) -> Result<()> {
    let mut read = conn
        .prepare("SELECT tenant_id, started, seq, facts FROM figures")
        .map_err(db("read figures"))?;
    let mut rows = read.query([]).map_err(db("read figures"))?;
    let mut n = Numbered::default();
    while let Some(r) = rows.next().map_err(db("read figures"))? {
        let (tenant, started, seq): (i64, i64, i64) = (
            r.get(0).map_err(db("read figures"))?,
            r.get(1).map_err(db("read figures"))?,
            r.get(2).map_err(db("read figures"))?,
        );
        let facts = r
            .get_ref(3)
            .and_then(|v| v.as_blob().map_err(Into::into))
            .map_err(db("read figures"))?;
        decode(facts, &mut n).map_err(|e| StoreError::backend("stored figures", e))?;
        each(tenant, started, seq, &n)?;
    }
    Ok(())
}

/// Writes the `queue_visits` rows of every stored engagement's facts (migration 15, which
/// made the table).
pub(crate) fn index_visits(conn: &Connection) -> Result<()> {
    each_stored(conn, |tenant, started, seq, n| {
        insert_visits(conn, tenant, started, seq, n)
    })
}
