//! The tenant's activity per day ([`interlog_store::Engagements::activity`]), from
//! `engagements_by_channels_outcome` alone. Grouping rows by channel combination and
//! outcome in SQL sorts every row of the range; counting slices of an index that is
//! already in that order does not. So: the channel combinations the tenant has (a seek
//! each), and for each combination and outcome with engagements in the range, one count
//! per day.

use crate::db;
use interlog_model::{ChannelType, Outcome};
use interlog_store::{day_bounds, Activity, Result, Tenant};
use jiff::civil::Date;
use rusqlite::{params, Connection};

/// The next channel combination of the tenant after `?2`.
const NEXT_MASK_SQL: &str = "SELECT min(channels) FROM engagements \
    INDEXED BY engagements_by_channels_outcome WHERE tenant_id = ?1 AND channels > ?2";

/// Engagements of one combination and outcome (`IS`: NULL is no outcome) in a range.
const COUNT_SQL: &str = "SELECT count(*) FROM engagements \
    INDEXED BY engagements_by_channels_outcome \
    WHERE tenant_id = ?1 AND channels = ?2 AND outcome IS ?3 AND started >= ?4 AND started < ?5";

pub(crate) fn activity(
    conn: &Connection,
    tenant: &Tenant,
    first: Date,
    days: u32,
) -> Result<Activity> {
    let bounds = day_bounds(tenant, first, days)?;
    let (from, to) = (bounds[0], bounds[bounds.len() - 1]);
    let mut out = Activity::empty(first, days);
    let mut next_mask = conn
        .prepare_cached(NEXT_MASK_SQL)
        .map_err(db("prepare activity masks"))?;
    let mut count = conn
        .prepare_cached(COUNT_SQL)
        .map_err(db("prepare activity count"))?;
    let outcomes = std::iter::once(None).chain((0..Outcome::ALL.len() as i64).map(Some));
    let outcomes: Vec<Option<i64>> = outcomes.collect();
    let mut mask = i64::MIN;
    while let Some(m) = next_mask
        .query_row(params![tenant.id, mask], |r| r.get::<_, Option<i64>>(0))
        .map_err(db("activity masks"))?
    {
        mask = m;
        let kinds: Vec<ChannelType> = ChannelType::ALL
            .iter()
            .enumerate()
            .filter(|(bit, _)| m & (1 << bit) != 0)
            .map(|(_, k)| *k)
            .collect();
        for &code in &outcomes {
            let mut n = |a: i64, b: i64| -> Result<u64> {
                count
                    .query_row(params![tenant.id, m, code, a, b], |r| r.get::<_, i64>(0))
                    .map(|n| n as u64)
                    .map_err(db("activity count"))
            };
            let in_range = n(from, to)?;
            if in_range == 0 {
                continue;
            }
            let outcome = code.and_then(|c| Outcome::ALL.get(c as usize).copied());
            *out.outcomes.entry(outcome).or_default() += in_range;
            for (day, range) in out.days.iter_mut().zip(bounds.windows(2)) {
                let k = n(range[0], range[1])?;
                if k == 0 {
                    continue;
                }
                day.total += k;
                for kind in &kinds {
                    *day.channels.entry(*kind).or_default() += k;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod plan {
    fn plan(sql: &str) -> String {
        crate::schema::query_plan(sql, None)
    }

    #[test]
    fn days_are_counted_from_slices_of_the_covering_index() {
        let p = plan(super::COUNT_SQL);
        assert!(
            p.contains("SEARCH engagements USING COVERING INDEX engagements_by_channels_outcome (tenant_id=? AND channels=? AND outcome=? AND started>? AND started<?)"),
            "{p}"
        );
        let p = plan(super::NEXT_MASK_SQL);
        assert!(
            p.contains(
                "COVERING INDEX engagements_by_channels_outcome (tenant_id=? AND channels>?)"
            ),
            "{p}"
        );
    }
}
