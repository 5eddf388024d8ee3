//! The values figures are grouped by (queue ids, agent ids, teams, dispositions), numbered
//! per tenant in `figure_keys` with the name each was last written with. The writer
//! remembers what it has numbered and named, so a value costs a statement the first time
//! it is seen and when its name changes, not once per engagement.

use super::KeyKind;
use crate::db;
use interlog_store::Result;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// Most values remembered; past it the memory starts over (values are still found, in the
/// database).
const MAX_REMEMBERED: usize = 1 << 16;

/// A value's number and the name it has in the database.
#[derive(Clone)]
struct Known {
    id: i64,
    name: Option<Box<str>>,
}

/// The writer's numbering of figure keys.
#[derive(Default)]
pub(crate) struct FigureKeys {
    known: HashMap<(i64, KeyKind, Box<str>), Known>,
    /// The last number given out in each tenant, read once a transaction.
    last: HashMap<i64, i64>,
    /// Whether the open transaction numbered or renamed anything.
    changed: bool,
}

impl FigureKeys {
    /// The number of `value` (of `kind`) in the tenant, given out now when it has none;
    /// `name`, when given and different from the stored one, replaces it.
    pub(crate) fn number(
        &mut self,
        conn: &Connection,
        tenant: i64,
        kind: KeyKind,
        value: &str,
        name: Option<&str>,
    ) -> Result<i64> {
        let key = (tenant, kind, Box::<str>::from(value));
        if let Some(k) = self.known.get(&key) {
            if name.is_none() || name == k.name.as_deref() {
                return Ok(k.id);
            }
        }
        let stored: Option<(i64, Option<String>)> = conn
            .prepare_cached(
                "SELECT id, name FROM figure_keys WHERE tenant_id = ?1 AND kind = ?2 AND value = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![tenant, kind as i64, value], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(db("read a figure key"))?;
        let known = match stored {
            Some((id, old)) => {
                let name = match name {
                    Some(n) if Some(n) != old.as_deref() => {
                        conn.prepare_cached(
                            "UPDATE figure_keys SET name = ?4 WHERE tenant_id = ?1 AND kind = ?2 AND value = ?3",
                        )
                        .and_then(|mut s| s.execute(params![tenant, kind as i64, value, n]))
                        .map_err(db("rename a figure key"))?;
                        self.changed = true;
                        Some(n.into())
                    }
                    _ => old.map(Into::into),
                };
                Known { id, name }
            }
            None => {
                let id = match self.last.get(&tenant) {
                    Some(last) => last + 1,
                    None => last_number(conn, tenant)? + 1,
                };
                conn.prepare_cached(
                    "INSERT INTO figure_keys (tenant_id, kind, value, id, name) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| s.execute(params![tenant, kind as i64, value, id, name]))
                .map_err(db("number a figure key"))?;
                self.last.insert(tenant, id);
                self.changed = true;
                Known {
                    id,
                    name: name.map(Into::into),
                }
            }
        };
        if self.known.len() >= MAX_REMEMBERED {
            self.known.clear();
        }
        let id = known.id;
        self.known.insert(key, known);
        Ok(id)
    }

    /// Forgets the numbers of a deleted tenant, whose id may be given again.
    pub(crate) fn forget_tenant(&mut self, tenant: i64) {
        self.known.retain(|(t, _, _), _| *t != tenant);
        self.last.remove(&tenant);
    }

    /// The open transaction ended. What it numbered or renamed is forgotten unless it
    /// committed (rare enough that forgetting everything is the simple way).
    pub(crate) fn end(&mut self, committed: bool) {
        self.last.clear();
        if self.changed && !committed {
            self.known.clear();
        }
        self.changed = false;
    }
}

/// The highest number the tenant's keys have.
fn last_number(conn: &Connection, tenant: i64) -> Result<i64> {
    conn.prepare_cached("SELECT coalesce(max(id), 0) FROM figure_keys WHERE tenant_id = ?1")
        .and_then(|mut s| s.query_row([tenant], |r| r.get(0)))
        .map_err(db("read the last figure key number"))
}

/// A key's value and name by its number.
pub(crate) fn by_number(
    conn: &Connection,
    tenant: i64,
    id: i64,
) -> Result<Option<(String, Option<String>)>> {
    conn.prepare_cached("SELECT value, name FROM figure_keys WHERE tenant_id = ?1 AND id = ?2")
        .and_then(|mut s| {
            s.query_row(params![tenant, id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(db("read a figure key"))
}

/// The number of the key `value` of `kind` in the tenant, if it has one.
pub(crate) fn by_value(
    conn: &Connection,
    tenant: i64,
    kind: KeyKind,
    value: &str,
) -> Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT id FROM figure_keys WHERE tenant_id = ?1 AND kind = ?2 AND value = ?3",
    )
    .and_then(|mut s| {
        s.query_row(params![tenant, kind as i64, value], |r| r.get(0))
            .optional()
    })
    .map_err(db("read figure keys"))
}
