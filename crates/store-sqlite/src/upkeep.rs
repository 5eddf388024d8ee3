//! `interlog check [--repair]` on SQLite: verifying the store as of one moment, and writing
//! every derived table again from the bodies (see [`crate::derived`]).

use crate::derived::{Subject, TABLES};
use crate::rows::{Row, TenantCtx};
use crate::writer::Tx;
use crate::{db, schema};
use interlog_model::{Engagement, Timestamp};
use interlog_store::{CheckReport, Digest, Rebuilt, Result};
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::path::Path;

/// Rows read at a time.
const CHUNK: i64 = 1_000;

/// Problems of one kind named one by one before they are only counted.
const NAMED: usize = 10;

/// An engagement's columns besides its body: (id, started, ended, updated, duration, state,
/// outcome, direction, channels).
type Columns = (
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
);

fn columns_of(r: &Row) -> Columns {
    (
        r.id.clone(),
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

/// One stored engagement row.
struct Stored {
    seq: i64,
    tenant: i64,
    columns: Columns,
    body: Vec<u8>,
}

/// Every engagement row in row order, a chunk at a time.
fn walk(conn: &Connection, mut each: impl FnMut(Stored) -> Result<()>) -> Result<()> {
    let mut after = i64::MIN;
    loop {
        let chunk: Vec<Stored> = conn
            .prepare_cached(
                "SELECT seq, tenant_id, id, started, ended, updated, duration, state, outcome,
                        direction, channels, body
                 FROM engagements WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .and_then(|mut s| {
                s.query_map(params![after, CHUNK], |r| {
                    Ok(Stored {
                        seq: r.get(0)?,
                        tenant: r.get(1)?,
                        columns: (
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                            r.get(7)?,
                            r.get(8)?,
                            r.get(9)?,
                            r.get(10)?,
                        ),
                        body: crate::rows::body_bytes(r.get_ref(11)?)?.to_vec(),
                    })
                })?
                .collect()
            })
            .map_err(db("read engagements"))?;
        let Some(last) = chunk.last() else {
            return Ok(());
        };
        after = last.seq;
        for s in chunk {
            each(s)?;
        }
    }
}

/// The engagement a stored body holds.
fn parse(body: &[u8]) -> std::result::Result<Engagement, String> {
    let json = crate::rows::decode(body).map_err(|e| interlog_store::error_chain(&e))?;
    serde_json::from_str(&json).map_err(|e| e.to_string())
}

/// Problems of one kind: the first few in words, then how many in all.
struct Tally {
    what: &'static str,
    named: Vec<String>,
    count: u64,
}

impl Tally {
    fn new(what: &'static str) -> Tally {
        Tally {
            what,
            named: Vec::new(),
            count: 0,
        }
    }

    fn note(&mut self, problem: impl FnOnce() -> String) {
        self.count += 1;
        if self.named.len() < NAMED {
            self.named.push(problem());
        }
    }

    fn into_problems(self, out: &mut Vec<String>) {
        out.extend(self.named);
        if self.count > NAMED as u64 {
            out.push(format!("{} engagements in all {}", self.count, self.what));
        }
    }
}

/// Verifies the store at `path` in one read transaction (a snapshot: writers go on).
pub(crate) fn check(path: &Path) -> Result<CheckReport> {
    let conn = schema::open(path).map_err(db("open the store"))?;
    conn.execute_batch("BEGIN").map_err(db("begin"))?;
    let mut problems = Vec::new();
    let verdict: Vec<String> = conn
        .prepare("PRAGMA integrity_check(20)")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(db("integrity check"))?;
    if verdict != ["ok"] {
        problems.push(format!(
            "SQLite's integrity check found damage: {}",
            verdict.join("; ")
        ));
    }
    let tenants: HashMap<i64, (String, Option<String>)> = conn
        .prepare("SELECT id, key, country_code FROM tenants")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
                .collect()
        })
        .map_err(db("read tenants"))?;
    let key = |t: i64| tenants.get(&t).map_or("?", |(k, _)| k.as_str()).to_owned();
    let mut expected = vec![Digest::default(); TABLES.len()];
    let mut unreadable = Tally::new("have a body that does not decode");
    let mut disagreeing = Tally::new("have columns that disagree with their bodies");
    let mut homeless = Tally::new("belong to no tenant");
    let mut engagements = 0;
    let now = Timestamp::now();
    walk(&conn, |s| {
        engagements += 1;
        let Some((_, country)) = tenants.get(&s.tenant) else {
            homeless.note(|| {
                format!(
                    "engagement {} belongs to no tenant ({})",
                    s.columns.0, s.tenant
                )
            });
            return Ok(());
        };
        let e = match parse(&s.body) {
            Ok(e) => e,
            Err(why) => {
                unreadable.note(|| {
                    format!(
                        "engagement {} of tenant {}: its body does not decode ({why})",
                        s.columns.0,
                        key(s.tenant)
                    )
                });
                return Ok(());
            }
        };
        let tenant = TenantCtx {
            id: s.tenant,
            country_code: country.clone(),
        };
        let row = Row::new(e, now, &tenant);
        if columns_of(&row) != s.columns {
            disagreeing.note(|| {
                format!(
                    "engagement {} of tenant {}: its id, times, state, outcome, direction or \
                     channels columns disagree with its body",
                    s.columns.0,
                    key(s.tenant)
                )
            });
        }
        let subject = Subject {
            tenant: s.tenant,
            seq: s.seq,
            row: &row,
        };
        for (table, digest) in TABLES.iter().zip(&mut expected) {
            (table.expect)(&subject, digest);
        }
        Ok(())
    })?;
    unreadable.into_problems(&mut problems);
    disagreeing.into_problems(&mut problems);
    homeless.into_problems(&mut problems);
    for (table, expected) in TABLES.iter().zip(&expected) {
        let mut stored = Digest::default();
        (table.stored)(&conn, &mut stored)?;
        problems.extend(Digest::disagreement(table.name, &stored, expected));
    }
    let unused: i64 = conn
        .query_row(
            "SELECT count(*) FROM term_values v WHERE NOT EXISTS (
                 SELECT 1 FROM terms t WHERE t.tenant_id = v.tenant_id AND t.value = v.id)",
            [],
            |r| r.get(0),
        )
        .map_err(db("read term values"))?;
    if unused > 0 {
        problems.push(format!(
            "{unused} search-term values no engagement refers to (an erased customer's \
             identifiers may be among them; interlog check --repair removes them)"
        ));
    }
    feed(&conn, &key, &mut problems)?;
    conn.execute_batch("COMMIT").map_err(db("end"))?;
    Ok(CheckReport {
        engagements,
        problems,
    })
}

/// The change feed: no two changes of a tenant at one position, none past its head.
fn feed(conn: &Connection, key: &dyn Fn(i64) -> String, problems: &mut Vec<String>) -> Result<()> {
    const CHANGES: &str = "SELECT tenant_id, position FROM engagements
                           UNION ALL SELECT tenant_id, position FROM tombstones";
    let twice: Vec<(i64, i64)> = conn
        .prepare(&format!(
            "SELECT tenant_id, position FROM ({CHANGES}) WHERE position > 0
             GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2 LIMIT {NAMED}"
        ))
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(db("read the change feed"))?;
    for (t, p) in twice {
        problems.push(format!(
            "tenant {}: more than one change at feed position {p}",
            key(t)
        ));
    }
    let beyond: Vec<(i64, i64, i64)> = conn
        .prepare(&format!(
            "SELECT c.tenant_id, max(c.position), coalesce(h.head, 0) FROM ({CHANGES}) c
             LEFT JOIN tenant_heads h ON h.tenant_id = c.tenant_id
             GROUP BY c.tenant_id HAVING max(c.position) > coalesce(h.head, 0)"
        ))
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(db("read the change feed"))?;
    for (t, max, head) in beyond {
        problems.push(format!(
            "tenant {}: a change at feed position {max} is past the feed's head {head} \
             (new writes would take positions already given out)",
            key(t)
        ));
    }
    Ok(())
}

/// Writes every derived table again from the bodies in the writer's transaction; columns
/// that disagree with their body are written again too, and the indexes rebuilt.
pub(crate) fn rebuild(tx: &Tx<'_>) -> Result<Rebuilt> {
    for table in TABLES {
        (table.clear)(tx)?;
    }
    let countries: HashMap<i64, Option<String>> = tx
        .prepare("SELECT id, country_code FROM tenants")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(db("read tenants"))?;
    let now = Timestamp::now();
    let mut done = Rebuilt::default();
    walk(tx, |s| {
        let (Some(country), Ok(e)) = (countries.get(&s.tenant), parse(&s.body)) else {
            done.unreadable += 1;
            return Ok(());
        };
        let tenant = TenantCtx {
            id: s.tenant,
            country_code: country.clone(),
        };
        let row = Row::new(e, now, &tenant);
        let columns = columns_of(&row);
        if columns != s.columns {
            tx.prepare_cached(
                "UPDATE engagements SET started = ?2, ended = ?3, updated = ?4, duration = ?5,
                        state = ?6, outcome = ?7, direction = ?8, channels = ?9
                 WHERE seq = ?1",
            )
            .and_then(|mut st| {
                st.execute(params![
                    s.seq, columns.1, columns.2, columns.3, columns.4, columns.5, columns.6,
                    columns.7, columns.8
                ])
            })
            .map_err(db("write an engagement's columns"))?;
        }
        let subject = Subject {
            tenant: s.tenant,
            seq: s.seq,
            row: &row,
        };
        for table in TABLES {
            (table.write)(tx, &subject)?;
        }
        done.engagements += 1;
        Ok(())
    })?;
    for table in TABLES {
        done.tables.push((table.name, (table.finish)(tx)?));
    }
    tx.execute_batch("REINDEX")
        .map_err(db("rebuild the indexes"))?;
    Ok(done)
}
