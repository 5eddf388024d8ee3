//! Listing and counting: a [`Query`] turned into one SQL statement, the one place listing
//! SQL is built.
//!
//! Two plans, as on SQLite. When the filter names one value of a search term (one agent,
//! one customer…) and the listing is by start time, the statement walks that term's
//! primary key, already in (start, id) order, so a page costs the same however rare the
//! term; a few values of a selective term are walked together and sorted. Otherwise it
//! walks the engagements index of the sort key and checks the other filters on each row,
//! with term filters as primary-key lookups. Every statement is tenant-first, so on Citus
//! it runs on the one shard that holds the tenant.

use interlog_model::{Direction, Outcome, State};
use interlog_store::codes::{channel_mask, code};
use interlog_store::counting;
use interlog_store::terms::{filter_terms, TermKind};
use interlog_store::{
    Expr, Filter, Page, Position, Query, SortDir, SortKey, Start, StoredEngagement, TimeRange,
    NO_END,
};
use std::fmt::Write;
use tokio_postgres::types::ToSql;

type Param = Box<dyn ToSql + Sync + Send>;

/// A statement under construction: SQL text and its positional parameters.
#[derive(Default)]
pub(crate) struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    pub(crate) fn param(&mut self, v: impl ToSql + Sync + Send + 'static) -> String {
        self.params.push(Box::new(v));
        format!("${}", self.params.len())
    }

    pub(crate) fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// How the statement finds rows.
enum Plan {
    Scan,
    Term(TermKind, Vec<String>),
}

/// Term conditions PostgreSQL may turn into joins; the rest stay subplans (`OFFSET 0` keeps
/// the planner from pulling them up), a probe of the terms index per candidate row. Planning
/// joins grows much faster than their number: a filter of 100 `data` pairs took 4.9 s to
/// plan as joins (past the statement budget, on one engagement), 13 ms as subplans.
const JOINED_TERMS: usize = 4;

/// Most values of one term walked together: a customer's linked identifiers, a few agents.
const MAX_TERM_WALK: usize = 32;

fn selective(kind: TermKind) -> bool {
    matches!(
        kind,
        TermKind::Customer | TermKind::Agent | TermKind::ParticipantEmail
    )
}

/// Whether a listing by start time walks these values of a term.
fn walkable(kind: TermKind, values: &[String]) -> bool {
    values.len() == 1 || (selective(kind) && values.len() <= MAX_TERM_WALK)
}

/// The statement counting the entries of the term a count of `f` walks (see
/// [`count_sql`]), in `f`'s start-time range: the rows that count reads, from the terms
/// index alone. `None` when the count walks no term.
pub(crate) fn walked_term_sql(tenant: i64, country: Option<&str>, f: &Filter) -> Option<Sql> {
    let groups = filter_terms(f, country);
    let (kind, values) = groups.first().filter(|(k, v)| walkable(*k, v))?;
    let mut sql = Sql::default();
    let t = sql.param(tenant);
    let k = sql.param(small(kind.code()));
    let v = sql.param(values.clone());
    sql.text = format!(
        "SELECT count(*) FROM terms t WHERE t.tenant_id = {t} AND t.kind = {k} AND t.value = ANY({v})"
    );
    range(&mut sql, "t.started", &f.started);
    Some(sql)
}

fn small(v: i64) -> i16 {
    i16::try_from(v).expect("codes are small")
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

/// How a text query is checked.
#[derive(Clone, Copy, PartialEq)]
enum Words {
    /// The GIN index finds every match, the rows are joined to them.
    Found,
    /// Each row's own words are read by its key and checked.
    Probed,
}

/// Chooses the plan and appends the filter's conditions on `e` (and `t` for a term walk).
fn conditions(
    sql: &mut Sql,
    tenant: i64,
    f: &Filter,
    country: Option<&str>,
    sort: SortKey,
    words: Words,
) -> Plan {
    let groups = filter_terms(f, country);
    let plan = match groups.first() {
        Some((kind, values)) if sort == SortKey::StartedAt && walkable(*kind, values) => {
            Plan::Term(*kind, values.clone())
        }
        _ => Plan::Scan,
    };
    let tenant_p = sql.param(tenant);
    let started_col = match &plan {
        Plan::Term(kind, values) => {
            let k = sql.param(small(kind.code()));
            let cond = if let [one] = values.as_slice() {
                format!("= {}", sql.param(one.clone()))
            } else {
                format!("= ANY({})", sql.param(values.clone()))
            };
            let _ = write!(
                sql.text,
                " WHERE t.tenant_id = {tenant_p} AND t.kind = {k} AND t.value {cond} AND e.tenant_id = {tenant_p}"
            );
            "t.started"
        }
        Plan::Scan => {
            let _ = write!(sql.text, " WHERE e.tenant_id = {tenant_p}");
            "e.started"
        }
    };
    let skip = usize::from(matches!(plan, Plan::Term(..)));
    row_conditions(sql, f, &groups[skip..], started_col);
    if let Some(text) = &f.text {
        let q = sql.param(text.tsquery());
        sql.text.push_str(&match words {
            Words::Found => crate::words::condition(&tenant_p, &q),
            Words::Probed => crate::words::probe(&q),
        });
    }
    if let Some(x) = &f.expr {
        sql.text.push_str(" AND ");
        expr_sql(sql, x, country);
    }
    plan
}

/// Appends the expression as a condition that is never NULL: each leaf is true exactly
/// when its filter would list the row, so `NOT` holds for rows lacking the field.
fn expr_sql(sql: &mut Sql, x: &Expr, country: Option<&str>) {
    let join = |sql: &mut Sql, xs: &[Expr], op: &str, empty: &str| {
        if xs.is_empty() {
            sql.text.push_str(empty);
            return;
        }
        sql.text.push('(');
        for (i, x) in xs.iter().enumerate() {
            if i > 0 {
                sql.text.push_str(op);
            }
            expr_sql(sql, x, country);
        }
        sql.text.push(')');
    };
    match x {
        Expr::Match(f) if f.matches_nothing() => sql.text.push_str("false"),
        Expr::Match(f) => {
            sql.text.push_str("COALESCE((true");
            row_conditions(sql, f, &filter_terms(f, country), "e.started");
            sql.text.push_str("), false)");
        }
        Expr::And(xs) => join(sql, xs, " AND ", "true"),
        Expr::Or(xs) => join(sql, xs, " OR ", "false"),
        Expr::Not(x) => {
            sql.text.push_str("NOT ");
            expr_sql(sql, x, country);
        }
    }
}

/// Appends ` AND …` for each part of `f` on the engagement row `e` (its start read from
/// `started_col`), with `groups` the term groups not already walked.
fn row_conditions(
    sql: &mut Sql,
    f: &Filter,
    groups: &[(TermKind, Vec<String>)],
    started_col: &str,
) {
    range(sql, started_col, &f.started);
    if !f.ended.is_open() {
        range(sql, "e.ended", &f.ended);
        let p = sql.param(NO_END);
        let _ = write!(sql.text, " AND e.ended <> {p}");
    }
    range(sql, "e.updated", &f.updated);
    let codes = |sql: &mut Sql, col: &str, codes: Vec<i16>| {
        if let [one] = codes.as_slice() {
            let p = sql.param(*one);
            let _ = write!(sql.text, " AND {col} = {p}");
        } else if !codes.is_empty() {
            let p = sql.param(codes);
            let _ = write!(sql.text, " AND {col} = ANY({p})");
        }
    };
    codes(
        sql,
        "e.state",
        f.states
            .iter()
            .map(|s| small(code(State::ALL, *s)))
            .collect(),
    );
    codes(
        sql,
        "e.outcome",
        f.outcomes
            .iter()
            .map(|s| small(code(Outcome::ALL, *s)))
            .collect(),
    );
    codes(
        sql,
        "e.direction",
        f.directions
            .iter()
            .map(|s| small(code(Direction::ALL, *s)))
            .collect(),
    );
    if !f.channel_types.is_empty() {
        let mask = i32::try_from(channel_mask(f.channel_types.iter().copied()))
            .expect("fewer than 32 channel types");
        let p = sql.param(mask);
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
    for (n, (kind, values)) in groups.iter().enumerate() {
        let k = sql.param(small(kind.code()));
        let l = sql.param(values.clone());
        let fence = if n < JOINED_TERMS { "" } else { " OFFSET 0" };
        let _ = write!(
            sql.text,
            " AND EXISTS (SELECT 1 FROM terms x WHERE x.tenant_id = e.tenant_id AND x.kind = {k} \
             AND x.value = ANY({l}) AND x.started = e.started AND x.id = e.id{fence})"
        );
    }
}

fn from_clause(plan: &Plan) -> &'static str {
    match plan {
        Plan::Term(..) => {
            " FROM terms t JOIN engagements e ON e.tenant_id = t.tenant_id AND e.id = t.id"
        }
        Plan::Scan => " FROM engagements e",
    }
}

/// The statement that lists a page of `q`: (body, sort value, id) rows, one more than the
/// page holds when more follow.
pub(crate) fn list_sql(tenant: i64, country: Option<&str>, q: &Query) -> Sql {
    let mut filter = Sql::default();
    let plan = conditions(
        &mut filter,
        tenant,
        &q.filter,
        country,
        q.sort.key,
        Words::Found,
    );
    let (key_col, id_col) = match plan {
        Plan::Term(..) => ("t.started", "t.id"),
        Plan::Scan => (sort_col(q.sort.key), "e.id"),
    };
    let (cmp, dir) = order(q.sort.dir);
    // Several values of one term may find an engagement twice: keep it once.
    let distinct = if matches!(&plan, Plan::Term(_, v) if v.len() > 1) {
        format!("DISTINCT ON ({key_col}, {id_col}) ")
    } else {
        String::new()
    };
    let mut sql = Sql {
        text: format!(
            "SELECT {distinct}e.body, {key_col}, {id_col}{}",
            from_clause(&plan)
        ),
        params: Vec::new(),
    };
    sql.text.push_str(&filter.text);
    sql.params = filter.params;
    if let Start::After(pos) = &q.start {
        let v = sql.param(pos.value);
        let i = sql.param(pos.id.clone());
        let _ = write!(sql.text, " AND ({key_col}, {id_col}) {cmp} ({v}, {i})");
    }
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

fn sort_col(key: SortKey) -> &'static str {
    match key {
        SortKey::StartedAt => "e.started",
        SortKey::EndedAt => "e.ended",
        SortKey::Duration => "e.duration",
        SortKey::UpdatedAt => "e.updated",
    }
}

/// The keyset comparison and the order of a sort direction.
fn order(dir: SortDir) -> (&'static str, &'static str) {
    match dir {
        SortDir::Asc => (">", "ASC"),
        SortDir::Desc => ("<", "DESC"),
    }
}

/// Engagements a text query's first try reads in sort order (see [`window_sql`]).
pub(crate) const WINDOW: i64 = 2_000;

/// Fewer of the tenant's engagements than this holding a text query's words: its page is
/// read from the index at once, the window would cost more (see [`few_matches_sql`]).
pub(crate) const FEW: i64 = 200;

/// The statement counting the tenant's engagements whose words match `q`'s text, up to
/// [`FEW`]: the GIN index's candidates, read no further than that, so it costs little
/// however common the words. A text query found that few times is listed by the index
/// ([`list_sql`]): the window would read its 2,000 engagements for nothing.
pub(crate) fn few_matches_sql(tenant: i64, q: &Query) -> Option<Sql> {
    let text = q.filter.text.as_ref()?;
    let mut sql = Sql::default();
    let t = sql.param(tenant);
    let query = sql.param(text.tsquery());
    let few = sql.param(FEW);
    sql.text = format!(
        "SELECT count(*) FROM ({} LIMIT {few}) m",
        crate::words::matching(&t, &query)
    );
    Some(sql)
}

/// For a page of a text query walked by the sort key's index: the same page read from the
/// next [`WINDOW`] engagements in sort order only, each one's words checked by its key.
/// When that finds more than the page holds, it is the page (those are the first matches
/// in order) at a cost bounded by the window, however common the words; otherwise the
/// caller reads [`list_sql`]. PostgreSQL cannot choose between the two itself: a phrase's
/// matches are estimated as if its words were unrelated (39 for 1,972 at 100,000), so it
/// joined and sorted every candidate of the GIN index (207 ms at 1,000,000).
pub(crate) fn window_sql(tenant: i64, country: Option<&str>, q: &Query) -> Option<Sql> {
    let windowed = q.filter.text.is_some()
        && !matches!(q.start, Start::Offset(_))
        && filter_terms(&q.filter, country).is_empty();
    if !windowed {
        return None;
    }
    let key_col = sort_col(q.sort.key);
    let (cmp, dir) = order(q.sort.dir);
    let mut sql = Sql::default();
    let t = sql.param(tenant);
    let mut inner = format!("SELECT * FROM engagements e WHERE e.tenant_id = {t}");
    std::mem::swap(&mut inner, &mut sql.text);
    if q.sort.key == SortKey::StartedAt {
        range(&mut sql, "e.started", &q.filter.started);
    }
    if let Start::After(pos) = &q.start {
        let v = sql.param(pos.value);
        let i = sql.param(pos.id.clone());
        let _ = write!(sql.text, " AND ({key_col}, e.id) {cmp} ({v}, {i})");
    }
    let w = sql.param(WINDOW);
    let _ = write!(sql.text, " ORDER BY {key_col} {dir}, e.id {dir} LIMIT {w}");
    std::mem::swap(&mut inner, &mut sql.text);
    let mut filter = Sql {
        text: String::new(),
        params: std::mem::take(&mut sql.params),
    };
    let plan = conditions(
        &mut filter,
        tenant,
        &q.filter,
        country,
        q.sort.key,
        Words::Probed,
    );
    debug_assert!(matches!(plan, Plan::Scan));
    let lim = filter.param(i64::from(q.limit) + 1);
    Some(Sql {
        text: format!(
            "SELECT e.body, {key_col}, e.id FROM ({inner}) e{} \
             ORDER BY {key_col} {dir}, e.id {dir} LIMIT {lim}",
            filter.text
        ),
        params: filter.params,
    })
}

/// Whether a page of `q` reads about its limit in rows whatever the data: no condition but
/// a start-time range, walked in start-time order (or no condition at all) from a key, so
/// no row is read only to be skipped. Such a read that runs long is waiting for the
/// machine, not doing more work.
pub(crate) fn reads_only_its_page(q: &Query) -> bool {
    let only_started = q.filter
        == Filter {
            started: q.filter.started,
            ..Filter::default()
        };
    only_started
        && (q.sort.key == SortKey::StartedAt || q.filter.started.is_open())
        && !matches!(q.start, Start::Offset(_))
}

/// The statement that counts the matches of `f`.
pub(crate) fn count_sql(tenant: i64, country: Option<&str>, f: &Filter) -> Sql {
    let mut filter = Sql::default();
    if let Some(text) = f.text.as_ref().filter(|_| counting::text_only(f)) {
        // The words' rows carry the tenant: no engagement row needs reading.
        let t = filter.param(tenant);
        let q = filter.param(text.tsquery());
        filter.text = crate::words::count(&t, &q);
        return filter;
    }
    // Any plan works for a count; walking one term is cheapest when there is one.
    let plan = conditions(
        &mut filter,
        tenant,
        f,
        country,
        SortKey::StartedAt,
        Words::Found,
    );
    let counted = if matches!(&plan, Plan::Term(_, v) if v.len() > 1) {
        "count(DISTINCT t.id)"
    } else {
        "count(*)"
    };
    Sql {
        text: format!("SELECT {counted}{}{}", from_clause(&plan), filter.text),
        params: filter.params,
    }
}

/// A statement selecting the ids of the engagements `f` matches, its parameters added to
/// `sql` (for a statement that restricts other rows to those engagements).
pub(crate) fn matching_ids(
    sql: &mut Sql,
    tenant: i64,
    country: Option<&str>,
    f: &Filter,
) -> String {
    let outer = std::mem::take(&mut sql.text);
    let plan = conditions(sql, tenant, f, country, SortKey::StartedAt, Words::Found);
    let filter = std::mem::replace(&mut sql.text, outer);
    format!("SELECT e.id{}{filter}", from_clause(&plan))
}

/// The statement that sums the per-day counts of the days `[first, end)` that `f`'s
/// states, outcomes, directions and channel types match; with an expression, one row a
/// combination of codes instead, for the expression to be decided on.
pub(crate) fn sum_days_sql(tenant: i64, f: &Filter, first: i64, end: i64) -> Sql {
    let mut sql = Sql::default();
    let t = sql.param(tenant);
    let a = sql.param(first);
    let b = sql.param(end);
    let what = if f.expr.is_some() {
        "state, outcome, direction, channels, sum(n)::int8"
    } else {
        "coalesce(sum(n), 0)::int8"
    };
    sql.text = format!(
        "SELECT {what} FROM engagement_counts \
         WHERE tenant_id = {t} AND day >= {a} AND day < {b}"
    );
    let codes = |sql: &mut Sql, col: &str, codes: Vec<i16>| {
        if !codes.is_empty() {
            let p = sql.param(codes);
            let _ = write!(sql.text, " AND {col} = ANY({p})");
        }
    };
    codes(
        &mut sql,
        "state",
        f.states
            .iter()
            .map(|s| small(code(State::ALL, *s)))
            .collect(),
    );
    codes(
        &mut sql,
        "outcome",
        f.outcomes
            .iter()
            .map(|o| small(code(Outcome::ALL, *o)))
            .collect(),
    );
    codes(
        &mut sql,
        "direction",
        f.directions
            .iter()
            .map(|d| small(code(Direction::ALL, *d)))
            .collect(),
    );
    if !f.channel_types.is_empty() {
        let mask = i32::try_from(channel_mask(f.channel_types.iter().copied()))
            .expect("fewer than 32 channel types");
        let p = sql.param(mask);
        let _ = write!(sql.text, " AND (channels & {p}) <> 0");
    }
    if f.expr.is_some() {
        sql.text
            .push_str(" GROUP BY state, outcome, direction, channels");
    }
    sql
}

/// A page from the rows of [`list_sql`], read as they arrive: a keyset page ends early,
/// with more to follow, when its engagements would pass `max_bytes` (it always holds one);
/// an offset page holds `limit` whatever their size, since its reader counts positions.
pub(crate) async fn page(
    rows: tokio_postgres::RowStream,
    q: &Query,
    max_bytes: usize,
) -> Result<Page, tokio_postgres::Error> {
    use futures_util::StreamExt;
    let capped = !matches!(q.start, Start::Offset(_));
    let mut rows = std::pin::pin!(rows);
    let mut items = Vec::with_capacity(q.limit.min(1000) as usize);
    let mut bytes = 0;
    let mut last: Option<Position> = None;
    let mut has_more = false;
    while let Some(row) = rows.next().await {
        let row = row?;
        if items.len() == q.limit as usize {
            has_more = true;
            break;
        }
        let json: String = row.get(0);
        if capped && !items.is_empty() && bytes + json.len() > max_bytes {
            has_more = true;
            break;
        }
        bytes += json.len();
        let value: i64 = row.get(1);
        let id: String = row.get(2);
        last = Some(Position {
            value,
            id: id.clone(),
        });
        items.push(StoredEngagement { id, json });
    }
    Ok(Page {
        next: if has_more { last } else { None },
        items,
        has_more,
        total: None,
    })
}
