//! Adding up figures: the engagements that started in the range are one slice of
//! `figures` (its key begins with the start time), read in start order, so each row's
//! bucket is found by moving forward through the bounds. A filter beyond the range
//! restricts the slice to the rows its listing would find (`seq IN (…)`, the listing's
//! own statement). Rows are decoded and counted here rather than in SQL: grouping in SQL
//! sorts every row, and SQLite's aggregates cost more than reading a small blob.

use super::encoding::{decode, Numbered};
use super::keys::{by_number, by_value};
use super::KeyKind;
use crate::db;
use crate::listing;
use interlog_store::analytics::{
    check_queue_visits, too_many_cells, Dimension, FactRow, Figures, FiguresQuery, GroupFigures,
    KeyValue, Tally, VisitCounts, VisitStatus,
};
use interlog_store::{Filter, Result, StoreError, Tenant};
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// A group's key while counting: per dimension grouped by, 0 (none) or 1 + the stored
/// number or code.
type Codes = [u64; interlog_store::analytics::MAX_GROUP_BY];

/// The statement that reads the facts `q` counts, with its parameters; `None` when
/// nothing can match.
fn statement(
    conn: &Connection,
    tenant: &Tenant,
    q: &FiguresQuery,
) -> Result<Option<(String, listing::Sql)>> {
    let (from, to) = q.started();
    if from >= to || q.filter.matches_nothing() {
        return Ok(None);
    }
    let mut sql = listing::Sql::default();
    let t = sql.param(tenant.id);
    let a = sql.param(from);
    let b = sql.param(to);
    if let Some(queues) = q.narrowing().and_then(|rest| only_queues(&rest)) {
        // The engagements that visited the queues, found in `queue_visits` and looked up by
        // key: the cost is theirs, not every engagement's of the range. They come in the
        // order of the subquery's list (start order, which counting does not rely on).
        let mut numbers = Vec::with_capacity(queues.len());
        for queue in &queues {
            if let Some(n) = by_value(conn, tenant.id, KeyKind::Queue, queue)? {
                numbers.push(n.to_string());
            }
        }
        if numbers.is_empty() {
            return Ok(None);
        }
        let numbers = numbers.join(", ");
        let text = format!(
            "SELECT started, facts FROM figures WHERE tenant_id = {t} AND (started, seq) IN (
                 SELECT started, seq FROM queue_visits WHERE tenant_id = {t} AND queue IN ({numbers})
                 AND status IN (0, 1, 2) AND started >= {a} AND started < {b})"
        );
        return Ok(Some((text, sql)));
    }
    let mut text = format!(
        "SELECT started, facts FROM figures WHERE tenant_id = {t} AND started >= {a} AND started < {b}"
    );
    if let Some(rest) = q.narrowing() {
        let country = tenant.country_code.as_deref();
        let Some(rows) = listing::matching_rows(conn, &mut sql, tenant.id, country, &rest)? else {
            return Ok(None);
        };
        text.push_str(&format!(" AND seq IN ({rows})"));
    }
    text.push_str(" ORDER BY started");
    Ok(Some((text, sql)))
}

/// The queues of a filter that names nothing else.
fn only_queues(rest: &Filter) -> Option<Vec<String>> {
    let queues = Filter {
        queue_ids: rest.queue_ids.clone(),
        ..Filter::default()
    };
    (!rest.queue_ids.is_empty() && *rest == queues).then_some(queues.queue_ids)
}

pub(crate) fn figures(conn: &Connection, tenant: &Tenant, q: &FiguresQuery) -> Result<Figures> {
    q.check()?;
    let Some((text, sql)) = statement(conn, tenant, q)? else {
        return Ok(Figures::default().finish(q));
    };
    let mut stmt = conn.prepare_cached(&text).map_err(db("prepare figures"))?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(sql.params.iter()))
        .map_err(db("figures"))?;
    let mut count = Counting::new(q);
    let mut facts = Numbered::default();
    let mut bucket = 0usize;
    while let Some(row) = rows.next().map_err(db("figures row"))? {
        let started: i64 = row.get(0).map_err(db("figures start"))?;
        let bytes = row
            .get_ref(1)
            .and_then(|v| v.as_blob().map_err(Into::into))
            .map_err(db("figures facts"))?;
        decode(bytes, &mut facts).map_err(|e| StoreError::backend("stored figures", e))?;
        // Rows come in start order: the bucket only moves forward.
        while bucket + 2 < q.bounds.len() && started >= q.bounds[bucket + 1] {
            bucket += 1;
        }
        if started < q.bounds[bucket] {
            bucket = q.bucket_of(started).unwrap_or(0);
        }
        count.engagement(bucket, &facts);
        if count.cells > q.max_cells {
            return Err(too_many_cells(q.max_cells));
        }
    }
    drop(rows);
    let groups = count.finish();
    let mut names = Names::default();
    let mut out = Vec::with_capacity(groups.len());
    for (codes, buckets) in groups {
        let mut key = Vec::with_capacity(q.group_by.len());
        for (d, code) in q.group_by.iter().zip(codes) {
            key.push(names.value(conn, tenant.id, *d, code)?);
        }
        out.push(GroupFigures { key, buckets });
    }
    Ok(Figures { groups: out }.finish(q))
}

/// The visits of one queue (its `figure_keys` id) and status in a range of start times:
/// a slice of `queue_visits`' key, counted without reading a row.
const COUNT_VISITS_SQL: &str = "SELECT count(*) FROM queue_visits \
    WHERE tenant_id = ?1 AND queue = ?2 AND status = ?3 AND started >= ?4 AND started < ?5";

/// Their start times, in order (for buckets too many to count one by one).
const VISIT_STARTS_SQL: &str = "SELECT started FROM queue_visits \
    WHERE tenant_id = ?1 AND queue = ?2 AND status = ?3 AND started >= ?4 AND started < ?5";

/// Past this many buckets a queue's visits are read in order and put in their buckets here
/// rather than counted bucket by bucket (a count is a seek).
const MOST_COUNTED_BUCKETS: usize = 2_000;

/// [`interlog_store::Analytics::queue_visits`]: per queue and status, the visits of the
/// whole range are counted first (most are none), then those of each bucket.
pub(crate) fn queue_visits(
    conn: &Connection,
    tenant: &Tenant,
    queues: &[String],
    bounds: &[i64],
) -> Result<Vec<VisitCounts>> {
    check_queue_visits(queues, bounds)?;
    let buckets = bounds.len() - 1;
    let mut out = vec![VisitCounts::default(); buckets];
    let (from, to) = (bounds[0], bounds[buckets]);
    let mut numbers = Vec::with_capacity(queues.len());
    for q in queues {
        if let Some(n) = by_value(conn, tenant.id, KeyKind::Queue, q)? {
            numbers.push(n);
        }
    }
    numbers.sort_unstable();
    numbers.dedup();
    let mut count = conn
        .prepare_cached(COUNT_VISITS_SQL)
        .map_err(db("prepare queue visits"))?;
    for queue in numbers {
        for status in [
            VisitStatus::Waiting,
            VisitStatus::Answered,
            VisitStatus::Abandoned,
        ] {
            let mut n = |a: i64, b: i64| -> Result<u64> {
                count
                    .query_row(params![tenant.id, queue, status.code(), a, b], |r| {
                        r.get::<_, i64>(0)
                    })
                    .map(|n| n as u64)
                    .map_err(db("count queue visits"))
            };
            let total = n(from, to)?;
            if total == 0 {
                continue;
            }
            if buckets == 1 {
                out[0].add(status, total);
            } else if buckets <= MOST_COUNTED_BUCKETS {
                for (c, range) in out.iter_mut().zip(bounds.windows(2)) {
                    c.add(status, n(range[0], range[1])?);
                }
            } else {
                let mut starts = conn
                    .prepare_cached(VISIT_STARTS_SQL)
                    .map_err(db("prepare queue visits"))?;
                let mut rows = starts
                    .query(params![tenant.id, queue, status.code(), from, to])
                    .map_err(db("queue visits"))?;
                let mut bucket = 0;
                while let Some(r) = rows.next().map_err(db("queue visits"))? {
                    let started: i64 = r.get(0).map_err(db("queue visits"))?;
                    // Rows come in start order: the bucket only moves forward.
                    while bucket + 1 < buckets && started >= bounds[bucket + 1] {
                        bucket += 1;
                    }
                    out[bucket].add(status, 1);
                }
            }
        }
    }
    Ok(out)
}

/// Tallies by group and bucket, as rows arrive in bucket order.
struct Counting<'q> {
    q: &'q FiguresQuery,
    groups: HashMap<Codes, usize>,
    /// Per group: its key, and its buckets' tallies in bucket order.
    tallies: Vec<(Codes, Vec<(usize, Tally)>)>,
    /// (group, bucket) pairs counted so far.
    cells: usize,
}

impl<'q> Counting<'q> {
    fn new(q: &'q FiguresQuery) -> Self {
        Counting {
            q,
            groups: HashMap::new(),
            tallies: Vec::new(),
            cells: 0,
        }
    }

    /// Counts every row of one engagement's facts in `bucket`.
    fn engagement(&mut self, bucket: usize, f: &Numbered) {
        for v in &f.visits {
            let row = FactRow {
                queue: None,
                agent: None,
                visit: Some((v.status, v.wait_ms)),
                handling: v.carrier.then_some(&f.handling),
            };
            let codes = self.codes(f, v.queue, v.agent);
            self.add(codes, bucket, &row);
        }
        if let Some(agent) = f.own_agent {
            let row = FactRow {
                queue: None,
                agent: None,
                visit: None,
                handling: Some(&f.handling),
            };
            let codes = self.codes(f, 0, agent);
            self.add(codes, bucket, &row);
        }
    }

    /// The key of a row with this queue and agent.
    fn codes(&self, f: &Numbered, queue: u64, agent: u64) -> Codes {
        let mut codes = [0; interlog_store::analytics::MAX_GROUP_BY];
        for (c, d) in codes.iter_mut().zip(&self.q.group_by) {
            *c = match d {
                Dimension::Queue => queue,
                Dimension::Agent => agent,
                Dimension::Team => f.dims[0],
                Dimension::ChannelType => f.dims[1],
                Dimension::Direction => f.dims[2],
                Dimension::Source => f.dims[3],
                Dimension::Disposition => f.dims[4],
            };
        }
        codes
    }

    fn add(&mut self, codes: Codes, bucket: usize, row: &FactRow<'_>) {
        let next = self.tallies.len();
        let g = *self.groups.entry(codes).or_insert(next);
        if g == next {
            self.tallies.push((codes, Vec::new()));
        }
        let cells = &mut self.tallies[g].1;
        let tally = match cells.last() {
            Some((b, _)) if *b == bucket => &mut cells.last_mut().expect("there").1,
            Some((b, _)) if *b > bucket => {
                let i = cells.partition_point(|(b, _)| *b < bucket);
                if cells.get(i).is_none_or(|(b, _)| *b != bucket) {
                    cells.insert(i, (bucket, Tally::default()));
                    self.cells += 1;
                }
                &mut cells[i].1
            }
            _ => {
                cells.push((bucket, Tally::default()));
                self.cells += 1;
                &mut cells.last_mut().expect("pushed").1
            }
        };
        tally.add(row, &self.q.rules);
    }

    fn finish(self) -> Vec<(Codes, Vec<(usize, Tally)>)> {
        self.tallies
    }
}

/// Group key values by their stored numbers and codes, each key read once.
#[derive(Default)]
struct Names {
    read: HashMap<i64, (String, Option<String>)>,
}

impl Names {
    fn value(
        &mut self,
        conn: &Connection,
        tenant: i64,
        d: Dimension,
        code: u64,
    ) -> Result<KeyValue> {
        let Some(n) = code.checked_sub(1) else {
            return Ok(KeyValue {
                value: None,
                name: None,
            });
        };
        if d.is_word() {
            return Ok(KeyValue {
                value: d.word(n as usize).map(str::to_owned),
                name: None,
            });
        }
        // A key of `figure_keys`, by its number.
        let id = n as i64;
        let (value, name) = match self.read.entry(id) {
            std::collections::hash_map::Entry::Occupied(known) => known.get().clone(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let found = by_number(conn, tenant, id)?.ok_or_else(|| {
                    StoreError::backend("stored figures", "a figure key has no value")
                })?;
                slot.insert(found).clone()
            }
        };
        Ok(KeyValue {
            value: Some(value),
            name: if d.named() { name } else { None },
        })
    }
}

#[cfg(test)]
mod plan {
    use super::*;
    use interlog_model::ChannelType;
    use interlog_store::analytics::Rules;
    use interlog_store::Filter;

    fn tenant() -> Tenant {
        Tenant {
            id: 1,
            key: "t".into(),
            name: "t".into(),
            time_zone: "UTC".into(),
            country_code: None,
            aliases: Vec::new(),
            created_at: interlog_model::Timestamp::UNIX_EPOCH,
        }
    }

    fn plan_of(filter: Filter) -> String {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::schema::open(&dir.path().join("plan.db")).unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let tenant = tenant();
        let q = FiguresQuery {
            filter,
            bounds: vec![0, 1_000],
            group_by: Vec::new(),
            rules: Rules::default(),
            max_cells: 10,
        };
        let (text, sql) = statement(&conn, &tenant, &q).unwrap().unwrap();
        crate::schema::query_plan(&text, Some(&sql.params))
    }

    #[test]
    fn a_queues_visits_are_counted_from_a_slice_of_their_key() {
        let p = crate::schema::query_plan(super::COUNT_VISITS_SQL, None);
        assert!(
            p.contains("SEARCH queue_visits USING PRIMARY KEY (tenant_id=? AND queue=? AND status=? AND started>? AND started<?)"),
            "{p}"
        );
        let p = crate::schema::query_plan(super::VISIT_STARTS_SQL, None);
        assert!(!p.contains("TEMP B-TREE"), "{p}");
    }

    #[test]
    fn a_range_is_one_ordered_slice_of_the_table_filtered_or_not() {
        for filter in [
            Filter::default(),
            Filter {
                channel_types: vec![ChannelType::Voice],
                ..Filter::default()
            },
        ] {
            let p = plan_of(filter.clone());
            assert!(
                p.contains(
                    "SEARCH figures USING PRIMARY KEY (tenant_id=? AND started>? AND started<?)"
                ),
                "{filter:?}: {p}"
            );
            assert!(!p.contains("TEMP B-TREE"), "{filter:?} sorts: {p}");
        }
    }

    #[test]
    fn the_engagements_of_some_queues_are_looked_up_by_their_visits() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::schema::open(&dir.path().join("plan.db")).unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO figure_keys (tenant_id, kind, value, id) VALUES (1, 1, 'q1', 7)",
            [],
        )
        .unwrap();
        let tenant = tenant();
        let q = FiguresQuery {
            filter: Filter {
                queue_ids: vec!["q1".into(), "unknown".into()],
                ..Filter::default()
            },
            bounds: vec![0, 1_000],
            group_by: Vec::new(),
            rules: Rules::default(),
            max_cells: 10,
        };
        let (text, sql) = statement(&conn, &tenant, &q).unwrap().unwrap();
        let p = crate::schema::query_plan(&text, Some(&sql.params));
        assert!(
            p.contains("SEARCH figures USING PRIMARY KEY (tenant_id=? AND started=? AND seq=?)"),
            "{p}"
        );
        assert!(
            p.contains("SEARCH queue_visits USING PRIMARY KEY (tenant_id=? AND queue=? AND status=? AND started>? AND started<?)"),
            "{p}"
        );
        assert!(!p.contains("TEMP B-TREE"), "{p}");
        let nowhere = FiguresQuery {
            filter: Filter {
                queue_ids: vec!["unknown".into()],
                ..Filter::default()
            },
            ..q
        };
        assert!(statement(&conn, &tenant, &nowhere).unwrap().is_none());
    }
}
