//! Adding up figures in one statement: the rows of the range are one slice of the
//! `figures` key, each put in its bucket by `width_bucket` over the bounds and grouped by
//! bucket and the dimensions asked for, every sum a `FILTER`ed aggregate. A filter beyond
//! the range restricts the rows to the engagements its listing would find (`id IN (…)`,
//! the listing's own statement). Names come from `figure_names` for the groups found.

use super::NameKind;
use crate::error::{db, pool_error};
use crate::listing::{matching_ids, Sql};
use deadpool_postgres::Pool;
use interlog_store::analytics::{
    check_queue_visits, too_many_cells, Dimension, Figures, FiguresQuery, GroupFigures, KeyValue,
    ServiceLevelFormula, Tally, VisitCounts, VisitStatus,
};
use interlog_store::{Result, Tenant};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

fn column(d: Dimension) -> &'static str {
    match d {
        Dimension::Queue => "f.queue",
        Dimension::Agent => "f.agent",
        Dimension::Team => "f.team",
        Dimension::ChannelType => "f.channel_type::text",
        Dimension::Direction => "f.direction::text",
        Dimension::Source => "f.source::text",
        Dimension::Disposition => "f.disposition",
    }
}

/// The statement, or `None` when nothing can match.
fn statement(tenant: &Tenant, q: &FiguresQuery) -> Option<Sql> {
    let (from, to) = q.started();
    if from >= to || q.filter.matches_nothing() {
        return None;
    }
    let mut sql = Sql::default();
    let t = sql.param(tenant.id);
    let bounds = sql.param(q.bounds.clone());
    let (a, b) = (sql.param(from), sql.param(to));
    let short = sql.param(i64::try_from(q.rules.short_abandon_ms).unwrap_or(i64::MAX));
    let sl = sql.param(i64::try_from(q.rules.sl_threshold_ms).unwrap_or(i64::MAX));
    let met = match q.rules.sl_formula {
        ServiceLevelFormula::Interlog => format!("f.status = 1 AND f.wait_ms <= {sl}"),
        ServiceLevelFormula::Amazon => format!("f.status IN (1, 2) AND f.wait_ms < {sl}"),
    };
    let dims: String = q
        .group_by
        .iter()
        .map(|d| format!(", {}", column(*d)))
        .collect();
    let mut text = format!(
        "SELECT width_bucket(f.started, {bounds}::int8[]) - 1{dims},
             count(*) FILTER (WHERE f.status IS NOT NULL),
             count(*) FILTER (WHERE f.status = 1),
             count(*) FILTER (WHERE f.status = 2),
             count(*) FILTER (WHERE f.status = 2 AND f.wait_ms < {short}),
             coalesce(sum(f.wait_ms) FILTER (WHERE f.status = 1), 0)::int8,
             max(f.wait_ms) FILTER (WHERE f.status IN (1, 2)),
             count(*) FILTER (WHERE {met}),
             count(*) FILTER (WHERE f.handled),
             coalesce(sum(f.talk_ms), 0)::int8,
             coalesce(sum(f.hold_ms), 0)::int8,
             coalesce(sum(f.wrap_up_ms), 0)::int8,
             count(*) FILTER (WHERE f.transferred)
         FROM figures f
         WHERE f.tenant_id = {t} AND f.started >= {a} AND f.started < {b}"
    );
    if let Some(rest) = q.narrowing() {
        let ids = matching_ids(&mut sql, tenant.id, tenant.country_code.as_deref(), &rest);
        let _ = write!(text, " AND f.id IN ({ids})");
    }
    let groups: String = (1..=q.group_by.len() + 1)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    // One row more than an answer may hold says it would hold too many.
    let limit = sql.param(i64::try_from(q.max_cells).unwrap_or(i64::MAX - 1) + 1);
    let _ = write!(text, " GROUP BY {groups} LIMIT {limit}");
    sql.text = text;
    Some(sql)
}

/// [`interlog_store::Analytics::queue_visits`]: the queues' visit rows of the range, from
/// an index-only scan of `figures_by_queue`, counted by bucket and status.
pub(crate) async fn queue_visits(
    pool: &Pool,
    tenant: &Tenant,
    queues: &[String],
    bounds: &[i64],
) -> Result<Vec<VisitCounts>> {
    check_queue_visits(queues, bounds)?;
    let buckets = bounds.len() - 1;
    let mut out = vec![VisitCounts::default(); buckets];
    if queues.is_empty() {
        return Ok(out);
    }
    let client = pool.get().await.map_err(pool_error)?;
    let stmt = client
        .prepare_cached(
            // width_bucket: i when bounds[i - 1] <= started < bounds[i].
            "SELECT width_bucket(started, $5::int8[]) - 1, status, count(*) FROM figures
             WHERE tenant_id = $1 AND queue = ANY($2::text[]) AND queue IS NOT NULL
               AND started >= $3 AND started < $4
             GROUP BY 1, 2",
        )
        .await
        .map_err(db("prepare queue visits"))?;
    let rows = client
        .query(
            &stmt,
            &[&tenant.id, &queues, &bounds[0], &bounds[buckets], &bounds],
        )
        .await
        .map_err(db("queue visits"))?;
    for r in rows {
        let bucket: i32 = r.get(0);
        let status: Option<i16> = r.get(1);
        let Some(status) = status.and_then(|s| VisitStatus::from_code(i64::from(s))) else {
            continue;
        };
        if let Some(c) = usize::try_from(bucket).ok().and_then(|b| out.get_mut(b)) {
            c.add(status, count(r.get::<_, i64>(2)));
        }
    }
    Ok(out)
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(crate) async fn figures(pool: &Pool, tenant: &Tenant, q: &FiguresQuery) -> Result<Figures> {
    q.check()?;
    let Some(sql) = statement(tenant, q) else {
        return Ok(Figures::default().finish(q));
    };
    let client = pool.get().await.map_err(pool_error)?;
    let stmt = client
        .prepare_cached(&sql.text)
        .await
        .map_err(db("prepare figures"))?;
    let rows = client
        .query(&stmt, &sql.refs())
        .await
        .map_err(db("figures"))?;
    if rows.len() > q.max_cells {
        return Err(too_many_cells(q.max_cells));
    }
    let dims = q.group_by.len();
    let mut groups: BTreeMap<Vec<Option<String>>, Vec<(usize, Tally)>> = BTreeMap::new();
    for r in rows {
        let bucket: i32 = r.get(0);
        let key: Vec<Option<String>> = (0..dims).map(|i| r.get(1 + i)).collect();
        let n = |i: usize| count(r.get::<_, i64>(1 + dims + i));
        let tally = Tally {
            offered: n(0),
            answered: n(1),
            abandoned: n(2),
            short_abandoned: n(3),
            answered_wait_ms: n(4),
            max_wait_ms: r.get::<_, Option<i64>>(1 + dims + 5).map(count),
            sl_met: n(6),
            handled: n(7),
            talk_ms: n(8),
            hold_ms: n(9),
            wrap_up_ms: n(10),
            transferred: n(11),
        };
        let bucket = usize::try_from(bucket).unwrap_or(0);
        groups.entry(key).or_default().push((bucket, tally));
    }
    let names = names(pool, tenant, q, &groups).await?;
    let groups = groups
        .into_iter()
        .map(|(values, buckets)| GroupFigures {
            key: q
                .group_by
                .iter()
                .zip(values)
                .map(|(d, v)| key_value(*d, v, &names))
                .collect(),
            buckets,
        })
        .collect();
    Ok(Figures { groups }.finish(q))
}

fn name_kind(d: Dimension) -> Option<NameKind> {
    match d {
        Dimension::Queue => Some(NameKind::Queue),
        Dimension::Agent => Some(NameKind::Agent),
        Dimension::Disposition => Some(NameKind::Disposition),
        _ => None,
    }
}

type Names = HashMap<(i16, String), String>;

/// The names of the named values among the groups' keys.
async fn names(
    pool: &Pool,
    tenant: &Tenant,
    q: &FiguresQuery,
    groups: &BTreeMap<Vec<Option<String>>, Vec<(usize, Tally)>>,
) -> Result<Names> {
    let mut kinds: Vec<i16> = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    for values in groups.keys() {
        for (d, v) in q.group_by.iter().zip(values) {
            if let (Some(kind), Some(v)) = (name_kind(*d), v) {
                kinds.push(kind as i16);
                keys.push(v);
            }
        }
    }
    if keys.is_empty() {
        return Ok(Names::new());
    }
    let client = pool.get().await.map_err(pool_error)?;
    let stmt = client
        .prepare_cached(
            "SELECT n.kind, n.key, n.name FROM figure_names n
             JOIN unnest($2::int2[], $3::text[]) AS k(kind, key) ON n.kind = k.kind AND n.key = k.key
             WHERE n.tenant_id = $1",
        )
        .await
        .map_err(db("prepare figure names"))?;
    let rows = client
        .query(&stmt, &[&tenant.id, &kinds, &keys])
        .await
        .map_err(db("figure names"))?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect())
}

fn key_value(d: Dimension, v: Option<String>, names: &Names) -> KeyValue {
    if d.is_word() {
        // Stored as the enum's code (selected as text).
        let word = v
            .and_then(|c| c.parse::<usize>().ok())
            .and_then(|c| d.word(c));
        return KeyValue {
            value: word.map(str::to_owned),
            name: None,
        };
    }
    let name = match (name_kind(d), &v) {
        (Some(kind), Some(v)) => names.get(&(kind as i16, v.clone())).cloned(),
        _ => None,
    };
    KeyValue { value: v, name }
}
