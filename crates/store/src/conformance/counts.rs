//! Totals ([`crate::Engagements::count`]): exact without a budget whatever the filter, the
//! per-day counts a backend keeps (see [`crate::counting`]) following every kind of write,
//! and with a budget either exact or an honest lower bound.

use super::support::*;
use crate::matching::matches;
use crate::{DeleteReason, Filter, Store, Tenant, Total};
use interlog_model::{ChannelType, Direction, Engagement, Outcome, State, Timestamp};
use std::time::Duration;

/// Engagements over four days, two hours apart, with every combination the per-day counts
/// keep apart (state, outcome, direction, channel types) varied with their index.
pub(super) fn spread(t0: Timestamp) -> Vec<Engagement> {
    let states = [State::Completed, State::Active, State::Queued];
    let outcomes = [Some(Outcome::Successful), Some(Outcome::Unsuccessful), None];
    let directions = [Some(Direction::Inbound), Some(Direction::Outbound), None];
    let channels = [
        vec![ChannelType::Voice],
        vec![ChannelType::Chat],
        vec![ChannelType::Voice, ChannelType::Email],
        vec![],
    ];
    (0..48)
        .map(|i| {
            let mut b = eng(&format!("n{i:02}"), plus(t0, i * 2 * HOUR + 7 * MINUTE))
                .state(states[i as usize % 3])
                .queue(if i % 2 == 0 { "q-even" } else { "q-odd" });
            if let Some(o) = outcomes[(i as usize / 2) % 3] {
                b = b.outcome(o);
            }
            if let Some(d) = directions[(i as usize / 3) % 3] {
                b = b.direction(d);
            }
            for c in &channels[i as usize % 4] {
                b = b.channel(*c, "src");
            }
            b.normalized()
        })
        .collect()
}

/// Filters the per-day counts can answer, with start-time ranges aligned to days, inside a
/// day, across partial days and open at either end; and some they cannot.
fn filters(t0: Timestamp) -> Vec<Filter> {
    let r = |from: Option<i64>, to: Option<i64>| {
        range(
            from.map(|h| plus(t0, h * HOUR)),
            to.map(|h| plus(t0, h * HOUR)),
        )
    };
    let ranges = [
        r(None, None),
        r(Some(0), Some(24)),
        r(Some(24), None),
        r(None, Some(48)),
        r(Some(5), Some(70)),
        r(Some(30), Some(33)),
        r(Some(-100), Some(1000)),
        r(Some(47), Some(49)),
    ];
    let mut out = Vec::new();
    for started in ranges {
        let base = Filter {
            started,
            ..Filter::default()
        };
        out.push(base.clone());
        out.push(Filter {
            channel_types: vec![ChannelType::Voice],
            ..base.clone()
        });
        out.push(Filter {
            outcomes: vec![Outcome::Unsuccessful],
            directions: vec![Direction::Inbound, Direction::Outbound],
            ..base.clone()
        });
        out.push(Filter {
            states: vec![State::Active, State::Queued],
            channel_types: vec![ChannelType::Chat, ChannelType::Email],
            ..base.clone()
        });
        out.push(Filter {
            queue_ids: vec!["q-even".into()],
            channel_types: vec![ChannelType::Voice],
            ..base.clone()
        });
    }
    out
}

async fn check_all(store: &dyn Store, t: &Tenant, now: &[Engagement], t0: Timestamp, when: &str) {
    for f in filters(t0) {
        let expected = now.iter().filter(|e| matches(&f, e, None)).count() as u64;
        assert_eq!(count(store, t, &f).await, expected, "{when}: {f:?}");
    }
}

/// Per-day counts follow creates, replacements that move an engagement to another day or
/// combination, edits, and every kind of deletion.
pub async fn totals_follow_every_write(store: &dyn Store) {
    let t = new_tenant(store, "totals", None).await;
    let t0 = ts("2024-05-01T00:00:00Z");
    let mut now = spread(t0);
    insert_all(store, &t, now.clone()).await;
    check_all(store, &t, &now, t0, "after the inserts").await;

    // Replaced: a later day, another outcome, other channels.
    let mut moved = now[3].clone();
    moved.started_at = plus(moved.started_at, 30 * HOUR);
    moved.outcome = Some(Outcome::Successful);
    moved.channels.clear();
    // Newer than the write that stamped the stored one.
    moved.updated_at = Some(ts("2100-01-01T00:00:00Z"));
    moved.normalize();
    upsert(store, &t, moved.clone()).await;
    now[3] = moved;
    // Edited in place: another state and direction.
    let edited = store
        .update(
            &t,
            "n10",
            Box::new(|e: &mut Engagement| {
                e.state = Some(State::Held);
                e.direction = Some(Direction::Internal);
                e.started_at = plus(e.started_at, -20 * HOUR);
                Ok(())
            }),
        )
        .await
        .expect("update");
    now[10] = parse(&edited);
    check_all(store, &t, &now, t0, "after moving two").await;

    assert!(store.delete(&t, "n20").await.expect("delete"));
    store
        .delete_many(&t, &strings(&["n21", "n22"]), DeleteReason::Erased)
        .await
        .expect("delete_many");
    let swept = store
        .delete_started_before(&t, plus(t0, 6 * HOUR), 100)
        .await
        .expect("delete_started_before");
    let gone = |e: &Engagement| {
        ["n20", "n21", "n22"].contains(&e.id.as_str()) || e.started_at < plus(t0, 6 * HOUR)
    };
    assert_eq!(
        swept,
        now.iter()
            .filter(|e| e.started_at < plus(t0, 6 * HOUR))
            .count() as u64
    );
    now.retain(|e| !gone(e));
    check_all(store, &t, &now, t0, "after the deletions").await;
}

/// With a budget, a total is exact, or (when the budget ran out) a lower bound of the exact
/// one; the totals per-day counts answer for whole days are exact however small the budget.
pub async fn budgeted_totals_are_exact_or_a_lower_bound(store: &dyn Store) {
    let t = new_tenant(store, "budgeted", None).await;
    let t0 = ts("2024-06-01T00:00:00Z");
    let all = spread(t0);
    insert_all(store, &t, all.clone()).await;
    for f in filters(t0) {
        let expected = all.iter().filter(|e| matches(&f, e, None)).count() as u64;
        for within in [Duration::ZERO, Duration::from_secs(60)] {
            match store.count(&t, &f, Some(within)).await.expect("count") {
                Total::Exact(n) => assert_eq!(n, expected, "{within:?} {f:?}"),
                Total::AtLeast(n) => {
                    assert!(n <= expected, "{within:?} {f:?}: at least {n} > {expected}");
                    assert!(within.is_zero(), "a minute is enough for {f:?}");
                }
            }
        }
    }
    let whole_days = Filter {
        channel_types: vec![ChannelType::Voice],
        outcomes: vec![Outcome::Successful],
        ..Filter::default()
    };
    let expected = all.iter().filter(|e| matches(&whole_days, e, None)).count() as u64;
    assert_eq!(
        store
            .count(&t, &whole_days, Some(Duration::ZERO))
            .await
            .expect("count"),
        Total::Exact(expected)
    );
}
