//! What an engagement leaves besides its row: every table derived from engagements (search
//! terms, the full-text index, analytics rows, day counts…).
//!
//! Each is one entry of [`TABLES`], which `interlog check` reads to compare the table with
//! what the bodies make and `interlog check --repair` to write it again from them; a new
//! derived table adds its entry there. Deletions remove an engagement's derived rows in
//! [`forget`], which every deletion calls (deletes, retention, erasure) inside its write
//! transaction, so an erased engagement leaves nothing behind in the same commit. Search
//! terms are removed by the caller, and term values no longer referred to when the
//! transaction ends ([`crate::interner::Interner::prune`]).

use crate::rows::{Row, TenantCtx};
use crate::writer::Tx;
use crate::{db, figures, words};
use interlog_model::Engagement;
use interlog_store::{Digest, Result};
use rusqlite::Connection;
use std::collections::HashMap;

/// Removes the rows derived from the engagement `e` (row `seq`, started at `started`) being
/// deleted.
pub(crate) fn forget(
    tx: &Tx<'_>,
    tenant: &TenantCtx,
    seq: i64,
    started: i64,
    e: &Engagement,
) -> Result<()> {
    words::delete(tx, seq, &words::text(tenant.id, e))?;
    tx.names.borrow_mut().remove(
        tenant.id,
        &interlog_store::names::names_of(e, tenant.country_code.as_deref()),
    );
    figures::delete(tx, tenant.id, started, seq)
}

/// One engagement, as its body makes it, while derived tables are checked or rebuilt.
pub(crate) struct Subject<'a> {
    pub tenant: i64,
    pub seq: i64,
    pub row: &'a Row,
}

/// A table derived from the engagement bodies.
pub(crate) struct DerivedTable {
    /// What it holds, in words.
    pub name: &'static str,
    /// Adds the rows the engagement should have there.
    pub expect: fn(&Subject<'_>, &mut Digest),
    /// Adds the rows the table holds.
    pub stored: fn(&Connection, &mut Digest) -> Result<()>,
    /// Empties it, before a rebuild.
    pub clear: fn(&Tx<'_>) -> Result<()>,
    /// Writes the engagement's rows, during a rebuild.
    pub write: fn(&Tx<'_>, &Subject<'_>) -> Result<()>,
    /// Ends a rebuild, once every engagement was written; how many rows it holds.
    pub finish: fn(&Tx<'_>) -> Result<u64>,
}

/// Every derived table.
pub(crate) const TABLES: &[DerivedTable] = &[TERMS, WORDS, FIGURES, QUEUE_VISITS, COUNTS, NAMES];

fn rows_of(conn: &Connection, table: &str) -> Result<u64> {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as u64)
    .map_err(db("count rows"))
}

/// Runs `sql` (one row a call of `each`) and feeds every row to `each`.
fn each_row(
    conn: &Connection,
    sql: &str,
    mut each: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(sql).map_err(db("read a derived table"))?;
    let mut rows = stmt.query([]).map_err(db("read a derived table"))?;
    while let Some(r) = rows.next().map_err(db("read a derived table"))? {
        each(r).map_err(db("read a derived table"))?;
    }
    Ok(())
}

/// Search terms: (tenant, value, start, row, kinds), values by their text.
const TERMS: DerivedTable = DerivedTable {
    name: "search terms",
    expect: |s, d| {
        for (value, kinds) in &s.row.terms {
            d.add((s.tenant, value.as_str(), s.row.started, s.seq, kinds.0));
        }
    },
    stored: |conn, d| {
        let mut values: HashMap<(i64, i64), String> = HashMap::new();
        each_row(conn, "SELECT tenant_id, id, value FROM term_values", |r| {
            values.insert((r.get(0)?, r.get(1)?), r.get(2)?);
            Ok(())
        })?;
        each_row(
            conn,
            "SELECT tenant_id, value, started, seq, kinds FROM terms",
            |r| {
                let (tenant, value): (i64, i64) = (r.get(0)?, r.get(1)?);
                let text = values.get(&(tenant, value)).map_or("", String::as_str);
                let (started, seq, kinds): (i64, i64, i64) = (r.get(2)?, r.get(3)?, r.get(4)?);
                d.add((tenant, text, started, seq, kinds));
                Ok(())
            },
        )
    },
    clear: |tx| {
        tx.execute_batch("DELETE FROM terms; DELETE FROM terms_pending;")
            .map_err(db("clear search terms"))
    },
    write: |tx, s| {
        let mut interner = tx.interner.borrow_mut();
        let mut rows = Vec::with_capacity(s.row.terms.len());
        for (value, kinds) in &s.row.terms {
            let id = interner.intern(tx, s.tenant, value)?;
            rows.push((s.tenant, id, s.row.started, s.seq, kinds.0));
        }
        crate::rows::insert_terms(tx, &rows).map_err(db("insert terms"))
    },
    finish: |tx| {
        // Values no entry refers to any more go (an erased customer's among them); other
        // processes' writers learn it from the pruned count, this one forgets them all.
        tx.execute_batch(
            "DELETE FROM term_values WHERE NOT EXISTS (
                 SELECT 1 FROM terms t WHERE t.tenant_id = term_values.tenant_id AND t.value = term_values.id);
             UPDATE term_value_ids SET pruned = pruned + 1;",
        )
        .map_err(db("remove unused term values"))?;
        let tenants: Vec<i64> = tx
            .prepare("SELECT id FROM tenants")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(db("read tenants"))?;
        let mut interner = tx.interner.borrow_mut();
        for t in tenants {
            interner.forget_tenant(t);
        }
        rows_of(tx, "terms")
    },
};

/// The full-text index: which rows have words, under which tenant. It is contentless (the
/// words are not kept), so a check compares the rows each tenant's marker finds (rows under
/// no tenant's marker count as strays), and a rebuild writes every row's words again.
const WORDS: DerivedTable = DerivedTable {
    name: "full-text index",
    expect: |s, d| {
        if !s.row.words.is_empty() {
            d.add((s.tenant, s.seq));
        }
    },
    stored: |conn, d| {
        let tenants: Vec<i64> = conn
            .prepare("SELECT id FROM tenants")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(db("read tenants"))?;
        let mut marked = 0;
        for tenant in tenants {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT rowid FROM engagement_words WHERE engagement_words MATCH ?1",
                )
                .map_err(db("read the full-text index"))?;
            let rows = stmt
                .query_map([words::every_row(tenant)], |r| r.get::<_, i64>(0))
                .map_err(db("read the full-text index"))?;
            for seq in rows {
                d.add((tenant, seq.map_err(db("read the full-text index"))?));
                marked += 1;
            }
        }
        let all = rows_of(conn, "engagement_words")? as i64;
        d.add_n("a row under no tenant", all - marked);
        Ok(())
    },
    clear: |tx| {
        words::flush(tx)?;
        tx.execute_batch("INSERT INTO engagement_words (engagement_words) VALUES ('delete-all')")
            .map_err(db("clear the full-text index"))
    },
    write: |tx, s| words::insert(tx, s.seq, &s.row.words),
    finish: |tx| {
        words::flush(tx)?;
        rows_of(tx, "engagement_words")
    },
};

/// Analytics rows: one an engagement that adds to a figure, keyed (tenant, start, row).
const FIGURES: DerivedTable = DerivedTable {
    name: "analytics rows",
    expect: |s, d| {
        if s.row.facts.is_some() {
            d.add((s.tenant, s.row.started, s.seq));
        }
    },
    stored: |conn, d| {
        each_row(
            conn,
            "SELECT tenant_id, started, seq, facts FROM figures",
            |r| {
                d.add((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ));
                Ok(())
            },
        )
    },
    clear: |tx| {
        tx.execute_batch("DELETE FROM figures")
            .map_err(db("clear analytics rows"))
    },
    write: |tx, s| figures::insert(tx, s.tenant, s.row.started, s.seq, s.row.facts.as_ref()),
    finish: |tx| rows_of(tx, "figures"),
};

/// Queue visits: (tenant, queue id, status, start, row, visit), queues by their id. A
/// rebuild writes them with the analytics rows ([`figures::insert`]).
const QUEUE_VISITS: DerivedTable = DerivedTable {
    name: "queue visits",
    expect: |s, d| {
        let Some(facts) = &s.row.facts else {
            return;
        };
        if !facts.counts() {
            return;
        }
        for (i, v) in facts.visits.iter().enumerate() {
            d.add((
                s.tenant,
                v.queue.key.as_str(),
                v.status.code(),
                s.row.started,
                s.seq,
                i as i64,
            ));
        }
    },
    stored: |conn, d| {
        each_row(
            conn,
            "SELECT v.tenant_id, coalesce(k.value, ''), v.status, v.started, v.seq, v.visit
             FROM queue_visits v LEFT JOIN figure_keys k
               ON k.tenant_id = v.tenant_id AND k.kind = 1 AND k.id = v.queue",
            |r| {
                let queue: String = r.get(1)?;
                d.add((
                    r.get::<_, i64>(0)?,
                    queue.as_str(),
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ));
                Ok(())
            },
        )
    },
    clear: |tx| {
        tx.execute_batch("DELETE FROM queue_visits")
            .map_err(db("clear queue visits"))
    },
    write: |_, _| Ok(()),
    finish: |tx| rows_of(tx, "queue_visits"),
};

/// The UTC day of a start time, as `engagement_counts` keys it.
fn day(started: i64) -> i64 {
    started - started.rem_euclid(86_400_000)
}

/// Day counts: (tenant, day, state, outcome, direction, channels) and how many.
const COUNTS: DerivedTable = DerivedTable {
    name: "day counts",
    expect: |s, d| {
        let r = s.row;
        d.add((
            s.tenant,
            day(r.started),
            r.state,
            r.outcome.unwrap_or(-1),
            r.direction.unwrap_or(-1),
            r.channels,
        ));
    },
    stored: |conn, d| {
        each_row(
            conn,
            "SELECT tenant_id, day, state, outcome, direction, channels, n FROM engagement_counts",
            |r| {
                let key: (i64, i64, i64, i64, i64, i64) = (
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                );
                d.add_n(key, r.get(6)?);
                Ok(())
            },
        )
    },
    clear: |tx| {
        tx.execute_batch("DELETE FROM engagement_counts")
            .map_err(db("clear day counts"))
    },
    // Counted from the rows at the end (the triggers also count the column updates a
    // rebuild makes; the table is emptied again first).
    write: |_, _| Ok(()),
    finish: |tx| {
        tx.execute_batch(
            "DELETE FROM engagement_counts;
             INSERT INTO engagement_counts (tenant_id, day, state, outcome, direction, channels, n)
             SELECT tenant_id, started - ((started % 86400000) + 86400000) % 86400000, state,
                    coalesce(outcome, -1), coalesce(direction, -1), channels, count(*)
             FROM engagements
             GROUP BY 1, 2, 3, 4, 5, 6",
        )
        .map_err(db("count engagements by day"))?;
        rows_of(tx, "engagement_counts")
    },
};

/// Names: (tenant, kind, id, name) as many times as engagements mention it.
const NAMES: DerivedTable = DerivedTable {
    name: "names",
    expect: |s, d| {
        for n in &s.row.names {
            d.add((s.tenant, n.kind.code(), n.id.as_str(), n.name.as_str()));
        }
    },
    stored: |conn, d| {
        each_row(
            conn,
            "SELECT tenant_id, kind, id, name, n FROM engagement_names",
            |r| {
                let (tenant, kind): (i64, i16) = (r.get(0)?, r.get(1)?);
                let (id, name): (String, String) = (r.get(2)?, r.get(3)?);
                d.add_n((tenant, kind, id.as_str(), name.as_str()), r.get(4)?);
                Ok(())
            },
        )
    },
    clear: |tx| {
        tx.names.borrow_mut().clear();
        tx.execute_batch("DELETE FROM engagement_names")
            .map_err(db("clear names"))
    },
    write: |tx, s| {
        tx.names
            .borrow_mut()
            .add(s.tenant, s.row.started, &s.row.names);
        Ok(())
    },
    finish: |tx| {
        crate::names::flush(tx, &mut tx.names.borrow_mut())?;
        rows_of(tx, "engagement_names")
    },
};
