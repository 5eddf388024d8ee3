//! The tenant's activity per day ([`interlog_store::Engagements::activity`]): one
//! statement per day, each walking that day's slice of `engagements_by_activity`, which
//! covers it.

use crate::db;
use interlog_model::{ChannelType, Outcome};
use interlog_store::{day_bounds, Activity, Result, Tenant};
use jiff::civil::Date;
use rusqlite::Connection;

/// One day's engagements by their channel types and outcome.
const DAY_SQL: &str = "SELECT channels, outcome, count(*) FROM engagements \
    INDEXED BY engagements_by_activity \
    WHERE tenant_id = ?1 AND started >= ?2 AND started < ?3 GROUP BY channels, outcome";

pub(crate) fn activity(
    conn: &Connection,
    tenant: &Tenant,
    first: Date,
    days: u32,
) -> Result<Activity> {
    let bounds = day_bounds(tenant, first, days)?;
    let mut out = Activity::empty(first, days);
    let mut stmt = conn
        .prepare_cached(DAY_SQL)
        .map_err(db("prepare activity"))?;
    for (day, range) in out.days.iter_mut().zip(bounds.windows(2)) {
        let (from, to) = (range[0].as_millisecond(), range[1].as_millisecond());
        let mut rows = stmt
            .query(rusqlite::params![tenant.id, from, to])
            .map_err(db("activity"))?;
        while let Some(row) = rows.next().map_err(db("activity row"))? {
            let mask: i64 = row.get(0).map_err(db("activity channels"))?;
            let outcome: Option<i64> = row.get(1).map_err(db("activity outcome"))?;
            let n: i64 = row.get(2).map_err(db("activity count"))?;
            let n = n as u64;
            day.total += n;
            for (bit, kind) in ChannelType::ALL.iter().enumerate() {
                if mask & (1 << bit) != 0 {
                    *day.channels.entry(*kind).or_default() += n;
                }
            }
            let outcome = outcome.and_then(|c| Outcome::ALL.get(usize::try_from(c).ok()?).copied());
            *out.outcomes.entry(outcome).or_default() += n;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod plan {
    #[test]
    fn a_day_is_counted_from_the_covering_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::schema::open(&dir.path().join("plan.db")).unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", super::DAY_SQL))
            .unwrap()
            .query_map(rusqlite::params![1, 0, 1], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plan = plan.join("\n");
        assert!(
            plan.contains("SEARCH engagements USING COVERING INDEX engagements_by_activity (tenant_id=? AND started>? AND started<?)"),
            "{plan}"
        );
    }
}
