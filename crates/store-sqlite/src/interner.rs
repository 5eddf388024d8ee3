//! Term values numbered per tenant (`term_values`), so a search-term entry holds a small
//! integer instead of repeating the text. The writer keeps the numbers it has seen in memory:
//! a value is looked up in the database once, not once per engagement.
//!
//! A value no entry refers to any more is removed in the transaction that removed its last
//! entry ([`Interner::prune`]): an erased customer's phone numbers and emails must not stay
//! in the file. Removals bump the tenant's `pruned` count; a writer (of this process or
//! another on the same file) that sees the count move forgets the numbers it remembers of
//! the tenant, so it never uses the number of a removed value.

use crate::db;
use interlog_store::Result;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{HashMap, HashSet};

/// Most values remembered; past it the memory starts over (values are still found, in the
/// database).
const MAX_REMEMBERED: usize = 1 << 20;

/// The writer's numbering of term values. Numbers given out in a transaction that rolls
/// back are forgotten with it ([`Interner::end`]).
#[derive(Default)]
pub(crate) struct Interner {
    /// Hashed with foldhash (randomly seeded, so still not open to chosen collisions):
    /// each engagement of a load looks up about a dozen values here.
    known: foldhash::HashMap<(i64, Box<str>), i64>,
    /// Values numbered in the open transaction.
    fresh: Vec<(i64, Box<str>)>,
    /// The last number given out in each tenant, read once a transaction (another process
    /// may have numbered values in between) and written back by [`Interner::flush`].
    last: HashMap<i64, i64>,
    /// Each tenant's `pruned` count when its numbers in `known` were valid.
    generations: HashMap<i64, i64>,
    /// Tenants whose `pruned` count was read in the open transaction.
    checked: HashSet<i64>,
    /// Values whose last entry may have gone in the open transaction: (tenant, value,
    /// number).
    orphans: Vec<(i64, String, i64)>,
    /// Set while the schema predates `pruned` (a migration's own numbering).
    no_pruned_count: bool,
}

impl Interner {
    /// The number of `value` in the tenant, given out now when it has none.
    pub(crate) fn intern(&mut self, conn: &Connection, tenant: i64, value: &str) -> Result<i64> {
        self.check(conn, tenant)?;
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
    pub(crate) fn find(
        &mut self,
        conn: &Connection,
        tenant: i64,
        value: &str,
    ) -> Result<Option<i64>> {
        self.check(conn, tenant)?;
        match self.known.get(&(tenant, value) as &dyn Key) {
            Some(id) => Ok(Some(*id)),
            None => lookup(conn, tenant, value),
        }
    }

    /// An interner for a migration that runs before term values had a `pruned` count
    /// (nothing else writes meanwhile).
    pub(crate) fn for_migration() -> Self {
        Interner {
            no_pruned_count: true,
            ..Interner::default()
        }
    }

    /// Forgets the tenant's remembered numbers if values were removed since they were
    /// learnt (by any process); once a transaction.
    fn check(&mut self, conn: &Connection, tenant: i64) -> Result<()> {
        if self.no_pruned_count || !self.checked.insert(tenant) {
            return Ok(());
        }
        let pruned: i64 = conn
            .prepare_cached(
                "SELECT coalesce((SELECT pruned FROM term_value_ids WHERE tenant_id = ?1), 0)",
            )
            .and_then(|mut s| s.query_row([tenant], |r| r.get(0)))
            .map_err(db("read the term values' pruned count"))?;
        if self.generations.insert(tenant, pruned) != Some(pruned) {
            self.known.retain(|(t, _), _| *t != tenant);
        }
        Ok(())
    }

    /// Forgets everything of a tenant being deleted.
    pub(crate) fn forget_tenant(&mut self, tenant: i64) {
        self.known.retain(|(t, _), _| *t != tenant);
        self.generations.remove(&tenant);
        self.orphans.retain(|o| o.0 != tenant);
    }

    /// Notes that the entry of `value` (numbered `id`) for one engagement was removed: the
    /// value goes at the end of the transaction if nothing refers to it then.
    pub(crate) fn released(&mut self, tenant: i64, value: &str, id: i64) {
        self.orphans.push((tenant, value.to_owned(), id));
    }

    /// Removes the released values nothing refers to any more: no `terms` entry, and no
    /// entry of a bulk load still pending. Call before the transaction commits.
    pub(crate) fn prune(&mut self, conn: &Connection) -> Result<()> {
        let mut orphans = std::mem::take(&mut self.orphans);
        orphans.sort_unstable();
        orphans.dedup();
        let mut pending: HashMap<i64, HashSet<i64>> = HashMap::new();
        let mut pruned_tenants = HashSet::new();
        for (tenant, value, id) in orphans {
            let referred = match pending.entry(tenant) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(pending_values(conn, tenant)?)
                }
            };
            if referred.contains(&id) {
                continue;
            }
            let removed = conn
                .prepare_cached(
                    "DELETE FROM term_values WHERE tenant_id = ?1 AND value = ?2 AND id = ?3
                     AND NOT EXISTS (SELECT 1 FROM terms WHERE tenant_id = ?1 AND value = ?3)",
                )
                .and_then(|mut s| s.execute(params![tenant, value, id]))
                .map_err(db("remove an unused term value"))?;
            if removed > 0 {
                self.known.remove(&(tenant, value.as_str()) as &dyn Key);
                pruned_tenants.insert(tenant);
            }
        }
        for tenant in pruned_tenants {
            let now: Option<i64> = conn
                .prepare_cached(
                    "UPDATE term_value_ids SET pruned = pruned + 1 WHERE tenant_id = ?1 RETURNING pruned",
                )
                .and_then(|mut s| s.query_row([tenant], |r| r.get(0)).optional())
                .map_err(db("count removed term values"))?;
            if let Some(now) = now {
                // This writer's own memory is already right.
                self.generations.insert(tenant, now);
            }
        }
        Ok(())
    }

    /// The open transaction ended: numbers given out in it stay if it committed.
    pub(crate) fn end(&mut self, committed: bool) {
        self.checked.clear();
        self.orphans.clear();
        if !committed {
            // What this transaction removed is back; the counts it saw may be stale.
            self.generations.clear();
            self.known.clear();
        }
        self.last.clear();
        let fresh = std::mem::take(&mut self.fresh);
        if !committed {
            for k in fresh {
                self.known.remove(&k);
            }
        }
    }
}

/// The value numbers a bulk load's pending entries of `tenant` refer to (usually none).
fn pending_values(conn: &Connection, tenant: i64) -> Result<HashSet<i64>> {
    let mut out = HashSet::new();
    let mut stmt = conn
        .prepare_cached("SELECT seq, started, entries FROM terms_pending WHERE tenant_id = ?1")
        .map_err(db("read pending terms"))?;
    let mut rows = stmt.query([tenant]).map_err(db("read pending terms"))?;
    while let Some(r) = rows.next().map_err(db("read pending terms"))? {
        let (seq, started): (i64, i64) = (
            r.get(0).map_err(db("read pending terms"))?,
            r.get(1).map_err(db("read pending terms"))?,
        );
        let entries = r
            .get_ref(2)
            .and_then(|v| v.as_blob().map_err(Into::into))
            .map_err(db("read pending terms"))?;
        out.extend(crate::rows::pending_rows(tenant, started, seq, entries).map(|t| t.1));
    }
    Ok(out)
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
