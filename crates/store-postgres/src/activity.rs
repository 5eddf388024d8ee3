//! The tenant's activity per day ([`interlog_store::Engagements::activity`]): one GROUP BY
//! over the tenant's engagements that started in the range (from the `(tenant_id, started,
//! id)` index), by day, channel combination and outcome; the few groups are folded into
//! days here. Days are cut at [`day_bounds`] as on every backend.

use crate::error::{db, pool_error};
use deadpool_postgres::Pool;
use interlog_model::{ChannelType, Outcome};
use interlog_store::{day_bounds, Activity, Result, Tenant};
use jiff::civil::Date;

pub(crate) async fn activity(
    pool: &Pool,
    tenant: &Tenant,
    first: Date,
    days: u32,
) -> Result<Activity> {
    let bounds = day_bounds(tenant, first, days)?;
    let (from, to) = (bounds[0], bounds[bounds.len() - 1]);
    let client = pool.get().await.map_err(pool_error)?;
    let stmt = client
        .prepare_cached(
            // width_bucket: i when bounds[i] <= started < bounds[i + 1] (1-based).
            "SELECT width_bucket(started, $4::int8[]) AS day, channels, outcome, count(*)
             FROM engagements WHERE tenant_id = $1 AND started >= $2 AND started < $3
             GROUP BY 1, 2, 3",
        )
        .await
        .map_err(db("prepare activity"))?;
    let rows = client
        .query(&stmt, &[&tenant.id, &from, &to, &bounds])
        .await
        .map_err(db("activity"))?;
    let mut out = Activity::empty(first, days);
    for r in rows {
        let day: i32 = r.get(0);
        let mask: i32 = r.get(1);
        let outcome: Option<i16> = r.get(2);
        let n = r.get::<_, i64>(3) as u64;
        let outcome = outcome.and_then(|c| Outcome::ALL.get(c as usize).copied());
        *out.outcomes.entry(outcome).or_default() += n;
        let Some(d) = usize::try_from(day - 1)
            .ok()
            .and_then(|i| out.days.get_mut(i))
        else {
            continue;
        };
        d.total += n;
        for (bit, kind) in ChannelType::ALL.iter().enumerate() {
            if mask & (1 << bit) != 0 {
                *d.channels.entry(*kind).or_default() += n;
            }
        }
    }
    Ok(out)
}
