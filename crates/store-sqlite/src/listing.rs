//! Listing and counting: a [`Query`] turned into one SQL statement, and totals (see
//! [`interlog_store::counting`]: per-day counts for the filters they can answer, slices of
//! the start-time range for the others).
//!
//! Two plans. When the filter names exactly one value of a search term (one agent, one
//! customer…) and the listing is by start time, the statement walks that term's index,
//! which is already in (start, id) order: a page costs the same however rare the term.
//! Otherwise it walks the engagements index of the sort key and checks the other filters
//! on each row, with term filters as point lookups.

use crate::codes::{channel_mask, code};
use crate::db;
use crate::readers::Reader;
use crate::rows::{body_bytes, decode};
use interlog_model::{Direction, Outcome, State};
use interlog_store::counting::{self, DAY_MS};
use interlog_store::terms::{filter_terms, KindSet, TermKind};
use interlog_store::{
    Expr, Filter, Page, Position, Query, Result, SortDir, SortKey, Start, StoreError,
    StoredEngagement, TimeRange, Total, NO_END,
};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::fmt::Write;
use std::time::{Duration, Instant};

/// A statement under construction: SQL text and its positional parameters.
#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    pub(crate) params: Vec<Value>,
}

impl Sql {
    pub(crate) fn param(&mut self, v: impl Into<Value>) -> String {
        self.params.push(v.into());
        format!("?{}", self.params.len())
    }

    fn list<T: Into<Value> + Clone>(&mut self, values: &[T]) -> String {
        let names: Vec<String> = values.iter().map(|v| self.param(v.clone())).collect();
        names.join(", ")
    }
}

/// How the statement finds rows.
enum Plan {
    /// Walk the engagements index of the sort key.
    Scan,
    /// Walk the index of a term's values (start-time order only). With several values,
    /// their walks are merged and an engagement found by two of them counted once.
    Term(KindSet, Vec<i64>),
}

/// A filter's term groups with their values' numbers (values never stored are left out);
/// `None` when a group has none, so nothing can match.
type Groups = Vec<(TermKind, Vec<i64>)>;

fn resolve(
    conn: &Connection,
    tenant: i64,
    f: &Filter,
    country: Option<&str>,
) -> Result<Option<Groups>> {
    let mut out = Vec::new();
    for (kind, values) in filter_terms(f, country) {
        let mut ids = Vec::with_capacity(values.len());
        for v in &values {
            ids.extend(crate::interner::lookup(conn, tenant, v)?);
        }
        if ids.is_empty() {
            return Ok(None);
        }
        ids.sort_unstable();
        ids.dedup();
        out.push((kind, ids));
    }
    Ok(Some(out))
}

/// A filter expression whose leaves' terms are resolved; a leaf with `None` matches
/// nothing.
enum Resolved<'a> {
    Leaf(&'a Filter, Option<Groups>),
    And(Vec<Resolved<'a>>),
    Or(Vec<Resolved<'a>>),
    Not(Box<Resolved<'a>>),
}

fn resolve_expr<'a>(
    conn: &Connection,
    tenant: i64,
    x: &'a Expr,
    country: Option<&str>,
) -> Result<Resolved<'a>> {
    let all = |xs: &'a [Expr]| -> Result<Vec<Resolved<'a>>> {
        xs.iter()
            .map(|x| resolve_expr(conn, tenant, x, country))
            .collect()
    };
    Ok(match x {
        Expr::Match(f) if f.matches_nothing() => Resolved::Leaf(f, None),
        Expr::Match(f) => Resolved::Leaf(f, resolve(conn, tenant, f, country)?),
        Expr::And(xs) => Resolved::And(all(xs)?),
        Expr::Or(xs) => Resolved::Or(all(xs)?),
        Expr::Not(x) => Resolved::Not(Box::new(resolve_expr(conn, tenant, x, country)?)),
    })
}

/// Appends the expression as a condition that is never NULL: each leaf is true exactly
/// when its filter would list the row, so `NOT` holds for rows lacking the field.
fn expr_sql(sql: &mut Sql, tenant: i64, x: &Resolved<'_>) {
    let join = |sql: &mut Sql, xs: &[Resolved<'_>], op: &str, empty: &str| {
        if xs.is_empty() {
            sql.text.push_str(empty);
            return;
        }
        sql.text.push('(');
        for (i, x) in xs.iter().enumerate() {
            if i > 0 {
                sql.text.push_str(op);
            }
            expr_sql(sql, tenant, x);
        }
        sql.text.push(')');
    };
    match x {
        Resolved::Leaf(_, None) => sql.text.push('0'),
        Resolved::Leaf(f, Some(groups)) => {
            sql.text.push_str("COALESCE((1");
            row_conditions(sql, tenant, f, groups, "e.started");
            sql.text.push_str("), 0)");
        }
        Resolved::And(xs) => join(sql, xs, " AND ", "1"),
        Resolved::Or(xs) => join(sql, xs, " OR ", "0"),
        Resolved::Not(x) => {
            sql.text.push_str("NOT ");
            expr_sql(sql, tenant, x);
        }
    }
}

/// Most values of one term walked together: a customer's linked identifiers, a few agents.
const MAX_TERM_WALK: usize = 32;

/// Whether several values of `kind` are few enough matches to walk and merge: identifiers
/// of one customer or one agent are; a channel source or a team may be half the tenant.
fn selective(kind: TermKind) -> bool {
    matches!(
        kind,
        TermKind::Customer | TermKind::Agent | TermKind::ParticipantEmail
    )
}

impl Plan {
    fn merges(&self) -> bool {
        matches!(self, Plan::Term(_, values) if values.len() > 1)
    }
}

fn range(sql: &mut Sql, col: &str, r: &TimeRange) {
    if let Some(from) = r.from {
        let p = sql.param(from.as_millisecond());
        let _ = write!(sql.text, " AND {col} >= {p}");
    }
    if let Some(to) = r.to {
        let p = sql.param(to.as_millisecond());
        let _ = write!(sql.text, " AND {col} < {p}");
    }
}

/// Appends the filter's conditions on the engagement row `e` (and the term table `t` when
/// the plan walks a term).
fn conditions(
    sql: &mut Sql,
    tenant: i64,
    f: &Filter,
    groups: &Groups,
    plan: &mut Plan,
    sort: SortKey,
    expr: Option<&Resolved<'_>>,
) {
    *plan = match groups.first() {
        Some((kind, values))
            if sort == SortKey::StartedAt
                && (values.len() == 1 || (selective(*kind) && values.len() <= MAX_TERM_WALK)) =>
        {
            Plan::Term(kind.bit(), values.clone())
        }
        _ => Plan::Scan,
    };
    let tenant_p = sql.param(tenant);
    let started_col = match plan {
        Plan::Term(kinds, values) => {
            let v = sql.list(values);
            let k = sql.param(kinds.0);
            let _ = write!(
                sql.text,
                " WHERE t.tenant_id = {tenant_p} AND t.value IN ({v}) AND (t.kinds & {k}) <> 0"
            );
            "t.started"
        }
        Plan::Scan => {
            let _ = write!(sql.text, " WHERE e.tenant_id = {tenant_p}");
            "e.started"
        }
    };
    let skip = usize::from(matches!(plan, Plan::Term(..)));
    row_conditions(sql, tenant, f, &groups[skip..], started_col);
    if let Some(x) = expr {
        sql.text.push_str(" AND ");
        expr_sql(sql, tenant, x);
    }
}

/// Appends ` AND …` for each part of `f` on the engagement row `e` (its start read from
/// `started_col`), with `groups` the term groups not already walked.
fn row_conditions(
    sql: &mut Sql,
    tenant: i64,
    f: &Filter,
    groups: &[(TermKind, Vec<i64>)],
    started_col: &str,
) {
    range(sql, started_col, &f.started);
    if !f.ended.is_open() {
        range(sql, "e.ended", &f.ended);
        let p = sql.param(NO_END);
        let _ = write!(sql.text, " AND e.ended <> {p}");
    }
    range(sql, "e.updated", &f.updated);
    if !f.states.is_empty() {
        let codes: Vec<i64> = f.states.iter().map(|s| code(State::ALL, *s)).collect();
        let l = sql.list(&codes);
        let _ = write!(sql.text, " AND e.state IN ({l})");
    }
    if let [one] = f.outcomes.as_slice() {
        // An equality, so the planner can walk engagements_by_outcome in start order.
        let p = sql.param(code(Outcome::ALL, *one));
        let _ = write!(sql.text, " AND e.outcome = {p}");
    } else if !f.outcomes.is_empty() {
        let codes: Vec<i64> = f.outcomes.iter().map(|s| code(Outcome::ALL, *s)).collect();
        let l = sql.list(&codes);
        let _ = write!(sql.text, " AND e.outcome IN ({l})");
    }
    if !f.directions.is_empty() {
        let codes: Vec<i64> = f
            .directions
            .iter()
            .map(|s| code(Direction::ALL, *s))
            .collect();
        let l = sql.list(&codes);
        let _ = write!(sql.text, " AND e.direction IN ({l})");
    }
    if !f.channel_types.is_empty() {
        let p = sql.param(channel_mask(f.channel_types.iter().copied()));
        let _ = write!(sql.text, " AND (e.channels & {p}) <> 0");
    }
    if let Some(min) = f.min_duration_ms {
        let p = sql.param(i64::try_from(min).unwrap_or(i64::MAX));
        let _ = write!(sql.text, " AND e.duration >= {p}");
    }
    if let Some(max) = f.max_duration_ms {
        let p = sql.param(i64::try_from(max).unwrap_or(i64::MAX));
        let _ = write!(sql.text, " AND e.duration <= {p} AND e.duration >= 0");
    }
    if let Some(text) = &f.text {
        let p = sql.param(crate::words::query(tenant, text));
        sql.text.push_str(&crate::words::condition(&p));
    }
    for (kind, values) in groups {
        let l = sql.list(values);
        let k = sql.param(kind.bit().0);
        let _ = write!(
            sql.text,
            " AND EXISTS (SELECT 1 FROM terms x WHERE x.tenant_id = e.tenant_id \
             AND x.value IN ({l}) AND x.started = e.started AND x.seq = e.seq AND (x.kinds & {k}) <> 0)"
        );
    }
}

fn from_clause(plan: &Plan) -> &'static str {
    match plan {
        Plan::Term(..) => " FROM terms t JOIN engagements e ON e.seq = t.seq",
        Plan::Scan => " FROM engagements e",
    }
}

/// The statement that lists a page of `q`.
fn list_sql(tenant: i64, groups: &Groups, expr: Option<&Resolved<'_>>, q: &Query) -> Sql {
    let mut plan = Plan::Scan;
    let mut where_sql = Sql::default();
    conditions(
        &mut where_sql,
        tenant,
        &q.filter,
        groups,
        &mut plan,
        q.sort.key,
        expr,
    );

    // A term's entries are in (start, row) order: SQLite orders ties by id itself, a few
    // rows at a time ("temp b-tree for right part of order by").
    let (key_col, id_col) = match plan {
        Plan::Term(..) => ("t.started", "e.id"),
        Plan::Scan => match q.sort.key {
            SortKey::StartedAt => ("e.started", "e.id"),
            SortKey::EndedAt => ("e.ended", "e.id"),
            SortKey::Duration => ("e.duration", "e.id"),
            SortKey::UpdatedAt => ("e.updated", "e.id"),
        },
    };
    let (cmp, dir) = match q.sort.dir {
        SortDir::Asc => (">", "ASC"),
        SortDir::Desc => ("<", "DESC"),
    };

    let mut sql = Sql {
        text: format!("SELECT e.body, {key_col}, {id_col}{}", from_clause(&plan)),
        params: Vec::new(),
    };
    sql.text.push_str(&where_sql.text);
    sql.params = where_sql.params;
    if let Start::After(pos) = &q.start {
        let v = sql.param(pos.value);
        let i = sql.param(pos.id.clone());
        if matches!(plan, Plan::Term(..)) {
            // The term index has no id: this is the part of the position it can seek.
            let _ = write!(sql.text, " AND {key_col} {cmp}= {v}");
        }
        let _ = write!(sql.text, " AND ({key_col}, {id_col}) {cmp} ({v}, {i})");
    }
    if plan.merges() {
        sql.text.push_str(" GROUP BY t.seq");
    }
    // One row more than asked says whether more follow.
    let fetch = i64::from(q.limit) + 1;
    let lim = sql.param(fetch);
    let _ = write!(
        sql.text,
        " ORDER BY {key_col} {dir}, {id_col} {dir} LIMIT {lim}"
    );
    if let Start::Offset(n) = q.start {
        let off = sql.param(i64::try_from(n).unwrap_or(i64::MAX));
        let _ = write!(sql.text, " OFFSET {off}");
    }
    sql
}

/// A page of `q`. A keyset page ends early, with more to follow, when its engagements
/// would pass `max_bytes` (it always holds one); an offset page holds `limit` whatever their
/// size, since its reader counts positions.
pub(crate) fn list(
    conn: &Reader,
    tenant: i64,
    country: Option<&str>,
    q: &Query,
    max_bytes: usize,
) -> Result<Page> {
    if q.filter.matches_nothing() {
        return Ok(Page::empty(q));
    }
    let Some(groups) = resolve(conn, tenant, &q.filter, country)? else {
        return Ok(Page::empty(q));
    };
    let expr = q
        .filter
        .expr
        .as_ref()
        .map(|x| resolve_expr(conn, tenant, x, country))
        .transpose()?;
    let sql = list_sql(tenant, &groups, expr.as_ref(), q);
    let capped = !matches!(q.start, Start::Offset(_));

    let mut stmt = conn.prepare_cached(&sql.text).map_err(db("prepare list"))?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(sql.params.iter()))
        .map_err(db("list"))?;
    let mut items = Vec::with_capacity(q.limit.min(1000) as usize);
    let mut bytes = 0;
    let mut last: Option<Position> = None;
    let mut has_more = false;
    while let Some(row) = rows.next().map_err(db("list row"))? {
        if items.len() == q.limit as usize {
            has_more = true;
            break;
        }
        let json =
            decode(body_bytes(row.get_ref(0).map_err(db("list body"))?).map_err(db("list body"))?)?;
        if capped && !items.is_empty() && bytes + json.len() > max_bytes {
            has_more = true;
            break;
        }
        bytes += json.len();
        let value: i64 = row.get(1).map_err(db("list key"))?;
        let id: String = row.get(2).map_err(db("list id"))?;
        last = Some(Position {
            value,
            id: id.clone(),
        });
        items.push(StoredEngagement { id, json });
    }
    drop(rows);
    drop(stmt);
    let total = if q.with_total {
        Some(count(conn, tenant, country, &q.filter, q.count_within)?)
    } else {
        None
    };
    Ok(Page {
        next: if has_more { last } else { None },
        items,
        has_more,
        total,
    })
}

/// A statement selecting the rows (`seq`) of the engagements `f` matches, its parameters
/// added to `sql` (for a statement that restricts other rows to those engagements); `None`
/// when nothing can match.
pub(crate) fn matching_rows(
    conn: &Connection,
    sql: &mut Sql,
    tenant: i64,
    country: Option<&str>,
    f: &Filter,
) -> Result<Option<String>> {
    if f.matches_nothing() {
        return Ok(None);
    }
    let Some(groups) = resolve(conn, tenant, f, country)? else {
        return Ok(None);
    };
    let expr = f
        .expr
        .as_ref()
        .map(|x| resolve_expr(conn, tenant, x, country))
        .transpose()?;
    let mut plan = Plan::Scan;
    let mut filter = Sql {
        text: String::new(),
        params: std::mem::take(&mut sql.params),
    };
    conditions(
        &mut filter,
        tenant,
        f,
        &groups,
        &mut plan,
        SortKey::StartedAt,
        expr.as_ref(),
    );
    sql.params = filter.params;
    Ok(Some(format!(
        "SELECT e.seq{}{}",
        from_clause(&plan),
        filter.text
    )))
}

/// Engagements a slice of a row-by-row count covers, by the per-day counts: small enough
/// that a budget is rarely overrun by much, large enough that statements are few.
const SLICE: u64 = 25_000;

/// How many engagements match `f`; with `within`, as many as could be counted in that time.
pub(crate) fn count(
    conn: &Reader,
    tenant: i64,
    country: Option<&str>,
    f: &Filter,
    within: Option<Duration>,
) -> Result<Total> {
    if f.matches_nothing() {
        return Ok(Total::Exact(0));
    }
    let Some(groups) = resolve(conn, tenant, f, country)? else {
        return Ok(Total::Exact(0));
    };
    let expr = f
        .expr
        .as_ref()
        .map(|x| resolve_expr(conn, tenant, x, country))
        .transpose()?;
    let rows = Counted {
        groups: &groups,
        expr: expr.as_ref(),
    };
    let stop = within.map(|d| Instant::now() + d);
    if counting::by_days(f) {
        let split = counting::split_days(f.started);
        let by_days = match split.days {
            Some((first, end)) => sum_days(conn, tenant, f, first, end)?,
            None => 0,
        };
        return count_ranges(conn, tenant, f, &rows, &split.edges, stop, by_days);
    }
    // A query alone: counted in the index (its tokens are the tenant's).
    let one_statement = || match &f.text {
        Some(text) if counting::text_only(f) => count_words(conn, tenant, text),
        _ => count_rows(conn, tenant, f, &rows),
    };
    match stop {
        // Exact, however long (within the read's budget): one statement.
        None => Ok(Total::Exact(one_statement()?)),
        // Words are looked up once for the whole count (a slice would look them up again):
        // one statement, driven by the full-text index.
        Some(stop) if f.text.is_some() => match conn.until(stop, one_statement) {
            Ok(n) => Ok(Total::Exact(n)),
            Err(StoreError::TimedOut(_)) if Instant::now() >= stop && stop < conn.deadline() => {
                Ok(Total::AtLeast(0))
            }
            Err(e) => Err(e),
        },
        // Newest first, a slice at a time, until the budget runs out.
        Some(_) => {
            let days = day_totals(conn, tenant, f.started)?;
            let ranges = counting::slices(&days, f.started, SLICE);
            count_ranges(conn, tenant, f, &rows, &ranges, stop, 0)
        }
    }
}

/// How many of `tenant`'s rows of the full-text index match `text`, read from the index
/// alone.
fn count_words(
    conn: &Connection,
    tenant: i64,
    text: &interlog_store::search::TextQuery,
) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM engagement_words WHERE engagement_words MATCH ?1")
        .and_then(|mut s| s.query_row([crate::words::query(tenant, text)], |r| r.get(0)))
        .map_err(db("count full-text matches"))?;
    Ok(n as u64)
}

/// Adds to `counted` the matches of `f` started in each of `ranges`, in order, until `stop`.
fn count_ranges(
    conn: &Reader,
    tenant: i64,
    f: &Filter,
    rows: &Counted<'_, '_>,
    ranges: &[TimeRange],
    stop: Option<Instant>,
    mut counted: u64,
) -> Result<Total> {
    for r in ranges {
        let part = Filter {
            started: *r,
            ..f.clone()
        };
        let n = match stop {
            Some(stop) => conn.until(stop, || count_rows(conn, tenant, &part, rows)),
            None => count_rows(conn, tenant, &part, rows),
        };
        match n {
            Ok(n) => counted += n,
            // The count's own budget ran out (not the read's): what was counted stands.
            Err(StoreError::TimedOut(_))
                if stop.is_some_and(|s| Instant::now() >= s && s < conn.deadline()) =>
            {
                return Ok(Total::AtLeast(counted));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Total::Exact(counted))
}

/// The per-day counts of the days `[first, end)` that `f`'s states, outcomes, directions,
/// channel types and expression match.
fn sum_days(conn: &Connection, tenant: i64, f: &Filter, first: i64, end: i64) -> Result<u64> {
    let mut sql = Sql::default();
    let t = sql.param(tenant);
    let a = sql.param(first);
    let b = sql.param(end);
    let what = if f.expr.is_some() {
        "state, outcome, direction, channels, sum(n)"
    } else {
        "coalesce(sum(n), 0)"
    };
    sql.text = format!(
        "SELECT {what} FROM engagement_counts \
         WHERE tenant_id = {t} AND day >= {a} AND day < {b}"
    );
    let codes = |sql: &mut Sql, col: &str, codes: Vec<i64>| {
        if !codes.is_empty() {
            let l = sql.list(&codes);
            let _ = write!(sql.text, " AND {col} IN ({l})");
        }
    };
    codes(
        &mut sql,
        "state",
        f.states.iter().map(|s| code(State::ALL, *s)).collect(),
    );
    codes(
        &mut sql,
        "outcome",
        f.outcomes.iter().map(|o| code(Outcome::ALL, *o)).collect(),
    );
    codes(
        &mut sql,
        "direction",
        f.directions
            .iter()
            .map(|d| code(Direction::ALL, *d))
            .collect(),
    );
    if !f.channel_types.is_empty() {
        let p = sql.param(channel_mask(f.channel_types.iter().copied()));
        let _ = write!(sql.text, " AND (channels & {p}) <> 0");
    }
    let params = rusqlite::params_from_iter(sql.params.iter());
    let Some(expr) = &f.expr else {
        let n: i64 = conn
            .prepare_cached(&sql.text)
            .and_then(|mut s| s.query_row(params, |r| r.get(0)))
            .map_err(db("sum per-day counts"))?;
        return Ok(n.max(0) as u64);
    };
    sql.text
        .push_str(" GROUP BY state, outcome, direction, channels");
    let cells = conn
        .prepare_cached(&sql.text)
        .and_then(|mut s| {
            s.query_map(params, |r| {
                Ok(counting::Cell {
                    state: r.get(0)?,
                    outcome: r.get(1)?,
                    direction: r.get(2)?,
                    channels: r.get(3)?,
                    n: r.get::<_, i64>(4)?.max(0) as u64,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db("per-day counts by combination"))?;
    Ok(counting::sum_cells(&cells, expr))
}

/// Engagements started on each day `r` touches (day start, engagements), oldest first.
fn day_totals(conn: &Connection, tenant: i64, r: TimeRange) -> Result<Vec<(i64, u64)>> {
    let first = r
        .from
        .map_or(i64::MIN, |t| counting::day_of(t.as_millisecond()));
    let end = r.to.map_or(i64::MAX, |t| {
        counting::day_of(t.as_millisecond() - 1).saturating_add(DAY_MS)
    });
    let mut stmt = conn
        .prepare_cached(
            "SELECT day, sum(n) FROM engagement_counts \
             WHERE tenant_id = ?1 AND day >= ?2 AND day < ?3 GROUP BY day ORDER BY day",
        )
        .map_err(db("prepare per-day totals"))?;
    let days = stmt
        .query_map(rusqlite::params![tenant, first, end], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })
        .map_err(db("per-day totals"))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db("per-day totals"))?;
    Ok(days)
}

/// What a count checks row by row besides the plain filter: its resolved term groups and
/// expression.
struct Counted<'g, 'x> {
    groups: &'g Groups,
    expr: Option<&'g Resolved<'x>>,
}

/// How many engagements match `f`, counted row by row in one statement.
fn count_rows(conn: &Connection, tenant: i64, f: &Filter, rows: &Counted<'_, '_>) -> Result<u64> {
    if f.matches_nothing() {
        return Ok(0);
    }
    let mut plan = Plan::Scan;
    let mut where_sql = Sql::default();
    // Any plan works for a count; walking one term is cheapest when there is one.
    conditions(
        &mut where_sql,
        tenant,
        f,
        rows.groups,
        &mut plan,
        SortKey::StartedAt,
        rows.expr,
    );
    let counted = if plan.merges() {
        "count(DISTINCT t.seq)"
    } else {
        "count(*)"
    };
    let text = format!("SELECT {counted}{}{}", from_clause(&plan), where_sql.text);
    let mut stmt = conn.prepare_cached(&text).map_err(db("prepare count"))?;
    let n: i64 = stmt
        .query_row(rusqlite::params_from_iter(where_sql.params.iter()), |r| {
            r.get(0)
        })
        .map_err(db("count"))?;
    Ok(n as u64)
}

#[cfg(test)]
mod plans {
    use super::*;
    use interlog_model::{ChannelType, Timestamp};

    /// The query plan SQLite chooses for a listing, one line per step.
    fn plan(q: &Query) -> String {
        // Term values numbered 1, 2… in their order in the filter.
        let groups: Groups = filter_terms(&q.filter, None)
            .into_iter()
            .map(|(kind, values)| (kind, (1..=values.len() as i64).collect()))
            .collect();
        let sql = list_sql(1, &groups, None, q);
        crate::schema::query_plan(&sql.text, Some(&sql.params))
    }

    /// The plan of the first page of 10 that `filter` matches.
    fn filter_plan(filter: Filter) -> String {
        plan(&Query {
            filter,
            limit: 10,
            ..Query::default()
        })
    }

    fn month() -> TimeRange {
        TimeRange {
            from: Some("2024-03-01T00:00:00Z".parse::<Timestamp>().unwrap()),
            to: Some("2024-04-01T00:00:00Z".parse::<Timestamp>().unwrap()),
        }
    }

    #[test]
    fn every_sort_walks_its_own_index_without_sorting() {
        for (key, index) in [
            (SortKey::StartedAt, "engagements_by_started"),
            (SortKey::EndedAt, "engagements_by_ended"),
            (SortKey::Duration, "engagements_by_duration"),
            (SortKey::UpdatedAt, "engagements_by_updated"),
        ] {
            for dir in [SortDir::Asc, SortDir::Desc] {
                let q = Query {
                    sort: interlog_store::Sort { key, dir },
                    limit: 10,
                    ..Query::default()
                };
                let p = plan(&q);
                assert!(p.contains(index), "{key:?} {dir:?}: {p}");
                assert!(!p.contains("TEMP B-TREE"), "{key:?} {dir:?} sorts: {p}");
            }
        }
    }

    #[test]
    fn one_agent_in_a_month_walks_the_term_index_in_order() {
        let p = filter_plan(Filter {
            agents: vec!["ann@acme.test".into()],
            channel_types: vec![ChannelType::Voice],
            started: month(),
            ..Filter::default()
        });
        assert!(p.contains("SEARCH t USING PRIMARY KEY"), "{p}");
        assert!(p.contains("INTEGER PRIMARY KEY"), "joins by seq: {p}");
        assert!(!p.contains("TEMP B-TREE FOR ORDER BY"), "{p}");
    }

    #[test]
    fn further_term_filters_are_point_lookups() {
        let p = filter_plan(Filter {
            customer: vec!["0197180171".into()],
            queue_ids: vec!["q1".into(), "q2".into()],
            ..Filter::default()
        });
        assert!(p.contains("SEARCH t USING PRIMARY KEY"), "{p}");
        assert!(p.contains("SEARCH x USING PRIMARY KEY"), "{p}");
        assert!(!p.contains("SCAN"), "{p}");
    }

    #[test]
    fn a_customer_with_linked_identifiers_walks_each_identifier_not_the_tenant() {
        let p = filter_plan(Filter {
            customer: vec!["0197180171".into(), "m@example.org".into(), "acc-1".into()],
            ..Filter::default()
        });
        assert!(
            p.contains("SEARCH t USING PRIMARY KEY (tenant_id=? AND value=?)"),
            "{p}"
        );
        assert!(!p.contains("SCAN"), "{p}");
    }

    #[test]
    fn one_outcome_walks_its_index_and_skips_offsets_in_it() {
        let q = Query {
            filter: Filter {
                outcomes: vec![interlog_model::Outcome::Successful],
                ..Filter::default()
            },
            start: Start::Offset(10_000),
            limit: 10,
            ..Query::default()
        };
        let p = plan(&q);
        assert!(
            p.contains("USING INDEX engagements_by_outcome (tenant_id=? AND outcome=?)"),
            "{p}"
        );
        assert!(!p.contains("TEMP B-TREE"), "{p}");
    }

    #[test]
    fn a_keyset_page_seeks_into_the_index() {
        let q = Query {
            start: Start::After(Position {
                value: 1_700_000_000_000,
                id: "x".into(),
            }),
            limit: 10,
            ..Query::default()
        };
        let p = plan(&q);
        assert!(
            p.contains(
                "SEARCH e USING INDEX engagements_by_started (tenant_id=? AND (started,id)<(?,?))"
            ),
            "{p}"
        );
    }
}
