//! Term values numbered per tenant (`term_values`), so a search-term entry holds a small
//! integer instead of repeating the text. The writer keeps the numbers it has seen in memory:
//! a value is looked up in the database once, not once per engagement.

use crate::db;
use interlog_store::Result;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// Most values remembered; past it the memory starts over (values are still found, in the
/// database).
const MAX_REMEMBERED: usize = 1 << 20;

/// The writer's numbering of term values. Numbers given out in a transaction that rolls
/// back are forgotten with it ([`Interner::end`]).
#[derive(Default)]
pub(crate) struct Interner {
    known: HashMap<(i64, Box<str>), i64>,
    /// Values numbered in the open transaction.
    fresh: Vec<(i64, Box<str>)>,
    /// The last number given out in each tenant, read once a transaction (another process
    /// may have numbered values in between) and written back by [`Interner::flush`].
    last: HashMap<i64, i64>,
}

impl Interner {
    /// The number of `value` in the tenant, given out now when it has none.
    pub(crate) fn intern(&mut self, conn: &Connection, tenant: i64, value: &str) -> Result<i64> {
        if let Some(id) = self.known.get(&(tenant, value) as &dyn Key) {
            return Ok(*id);
        }
        let next = match self.last.get(&tenant) {
            Some(last) => last + 1,
            None => {
                conn.prepare_cached(
                    "SELECT coalesce((SELECT last FROM term_value_ids WHERE tenant_id = ?1), 0)",
                )
                .and_then(|mut s| s.query_row([tenant], |r| r.get::<_, i64>(0)))
                .map_err(db("read the last term value number"))?
                    + 1
            }
        };
        // Most values not remembered are new: store one first, look it up if it was there.
        let stored = conn
            .prepare_cached(
                "INSERT INTO term_values (tenant_id, value, id) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![tenant, value, next]))
            .map_err(db("store a term value"))?;
        let id = if stored == 1 {
            self.last.insert(tenant, next);
            self.fresh.push((tenant, value.into()));
            next
        } else {
            lookup(conn, tenant, value)?.ok_or_else(|| {
                interlog_store::StoreError::backend("find a term value", "vanished")
            })?
        };
        if self.known.len() >= MAX_REMEMBERED {
            self.known.clear();
        }
        self.known.insert((tenant, value.into()), id);
        Ok(id)
    }

    /// Records the last numbers given out in the open transaction; call before it commits.
    pub(crate) fn flush(&mut self, conn: &Connection) -> Result<()> {
        for (tenant, last) in &self.last {
            conn.prepare_cached(
                "INSERT INTO term_value_ids (tenant_id, last) VALUES (?1, ?2)
                 ON CONFLICT (tenant_id) DO UPDATE SET last = excluded.last",
            )
            .and_then(|mut s| s.execute(params![tenant, last]))
            .map_err(db("number term values"))?;
        }
        Ok(())
    }

    /// The number of `value`, if it has one (no new number).
    pub(crate) fn find(&self, conn: &Connection, tenant: i64, value: &str) -> Result<Option<i64>> {
        match self.known.get(&(tenant, value) as &dyn Key) {
            Some(id) => Ok(Some(*id)),
            None => lookup(conn, tenant, value),
        }
    }

    /// The open transaction ended: numbers given out in it stay if it committed.
    pub(crate) fn end(&mut self, committed: bool) {
        self.last.clear();
        let fresh = std::mem::take(&mut self.fresh);
        if !committed {
            for k in fresh {
                self.known.remove(&k);
            }
        }
    }
}

/// The number of a term value in the database.
pub(crate) fn lookup(conn: &Connection, tenant: i64, value: &str) -> Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM term_values WHERE tenant_id = ?1 AND value = ?2")
        .and_then(|mut s| {
            s.query_row(params![tenant, value], |r| r.get::<_, i64>(0))
                .optional()
        })
        .map_err(db("find a term value"))
}

/// Looks a `(i64, Box<str>)` key up by `(i64, &str)` without allocating.
trait Key {
    fn key(&self) -> (i64, &str);
}

impl Key for (i64, Box<str>) {
    fn key(&self) -> (i64, &str) {
        (self.0, &self.1)
    }
}

impl Key for (i64, &str) {
    fn key(&self) -> (i64, &str) {
        (self.0, self.1)
    }
}

impl<'a> std::borrow::Borrow<dyn Key + 'a> for (i64, Box<str>) {
    fn borrow(&self) -> &(dyn Key + 'a) {
        self
    }
}

impl PartialEq for dyn Key + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for dyn Key + '_ {}

impl std::hash::Hash for dyn Key + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}
