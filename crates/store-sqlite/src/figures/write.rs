//! Keeping an engagement's facts in `figures`, in the engagement's write transaction: a
//! row when it is written, replaced when it is, removed when it is deleted (by a client,
//! retention or erasure: every deletion goes through `rows::remove`, which calls
//! [`delete`]).

use super::encoding::{encode, Numbered, Visit};
use super::keys::FigureKeys;
use super::KeyKind;
use crate::codes::code;
use crate::db;
use crate::writer::Tx;
use interlog_model::{ChannelType, Direction, SourcePlatform};
use interlog_store::analytics::{Facts, Named};
use interlog_store::Result;
use rusqlite::{params, Connection};

/// The compact form of `facts`, numbering their keys.
pub(crate) fn encoded(
    conn: &Connection,
    keys: &mut FigureKeys,
    tenant: i64,
    facts: &Facts,
) -> Result<Vec<u8>> {
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
    Ok(encode(&Numbered {
        dims,
        handling: facts.handling,
        own_agent,
        visits,
    }))
}

/// Stores the facts of the engagement in row `seq` (nothing when it adds to no figure).
pub(crate) fn insert_with(
    conn: &Connection,
    keys: &mut FigureKeys,
    tenant: i64,
    started: i64,
    seq: i64,
    facts: Option<&Facts>,
) -> Result<()> {
    let Some(facts) = facts.filter(|f| f.counts()) else {
        return Ok(());
    };
    let blob = encoded(conn, keys, tenant, facts)?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO figures (tenant_id, started, seq, facts) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute(params![tenant, started, seq, blob]))
    .map_err(db("insert figures"))?;
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
pub(crate) fn delete(tx: &Tx<'_>, tenant: i64, started: i64, seq: i64) -> Result<()> {
    tx.prepare_cached("DELETE FROM figures WHERE tenant_id = ?1 AND started = ?2 AND seq = ?3")
        .and_then(|mut s| s.execute(params![tenant, started, seq]))
        .map_err(db("delete figures"))?;
    Ok(())
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
