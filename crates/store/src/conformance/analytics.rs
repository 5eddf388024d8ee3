//! Analytics ([`crate::Analytics::figures`]): the definitions, buckets of a zone's days,
//! figures that follow every write and deletion, the listing's filters, and buckets that
//! add up to the whole range; a queue's visits per bucket ([`crate::Analytics::queue_visits`])
//! as the figures count them.

use super::support::*;
use crate::analytics::{
    bucket_bounds, Dimension, Figures, FiguresQuery, Interval, KeyValue, Rules,
    ServiceLevelFormula, Tally, VisitCounts,
};
use crate::{DeleteReason, Filter, Store, StoreError, Tenant};
use interlog_model::{ChannelType, Engagement};
use serde_json::{json, Value};

fn engagement(v: Value) -> Engagement {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"))
}

fn rules() -> Rules {
    Rules {
        sl_threshold_ms: 20_000,
        short_abandon_ms: 5_000,
        sl_formula: ServiceLevelFormula::Interlog,
    }
}

fn query(bounds: &[&str], group_by: &[Dimension]) -> FiguresQuery {
    FiguresQuery {
        filter: Filter::default(),
        bounds: bounds.iter().map(|b| ts(b).as_millisecond()).collect(),
        group_by: group_by.to_vec(),
        rules: rules(),
        max_cells: crate::analytics::MAX_CELLS,
    }
}

async fn figures(store: &dyn Store, t: &Tenant, q: &FiguresQuery) -> Figures {
    store
        .figures(t, q)
        .await
        .unwrap_or_else(|e| panic!("figures({q:?}): {e:?}"))
}

/// The one bucket's tally of each group, by the groups' key values.
fn by_key(f: &Figures) -> Vec<(Vec<Option<String>>, Tally)> {
    f.groups
        .iter()
        .map(|g| {
            assert!(g.buckets.len() <= 1, "one bucket asked for: {g:?}");
            let tally = g.buckets.first().map(|(_, t)| *t).unwrap_or_default();
            (g.key.iter().map(|k| k.value.clone()).collect(), tally)
        })
        .collect()
}

fn key(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_owned)).collect()
}

#[allow(clippy::too_many_arguments)]
fn visits(
    offered: u64,
    answered: u64,
    abandoned: u64,
    short_abandoned: u64,
    answered_wait_ms: u64,
    max_wait_ms: Option<u64>,
    sl_met: u64,
) -> Tally {
    Tally {
        offered,
        answered,
        abandoned,
        short_abandoned,
        answered_wait_ms,
        max_wait_ms,
        sl_met,
        ..Tally::default()
    }
}

fn handling(t: Tally, handled: u64, talk: u64, hold: u64, wrap: u64, transferred: u64) -> Tally {
    Tally {
        handled,
        talk_ms: talk,
        hold_ms: hold,
        wrap_up_ms: wrap,
        transferred,
        ..t
    }
}

const DAY_START: &str = "2024-03-04T00:00:00Z";
const DAY_END: &str = "2024-03-05T00:00:00Z";

/// A day of a contact center that has one engagement of each kind the definitions tell
/// apart.
fn a_day() -> Vec<Engagement> {
    let ann = json!({"role": "agent", "id": "ann", "display_name": "Ann", "owner": true});
    let bob = json!({"role": "agent", "id": "bob", "display_name": "Bob"});
    vec![
        // Answered in 10 s by Ann, with talk, hold and wrap-up.
        engagement(json!({
            "id": "answered", "started_at": "2024-03-04T10:00:00Z", "ended_at": "2024-03-04T10:10:00Z",
            "direction": "inbound", "source": "native", "team": "red",
            "channels": [{"type": "voice"}, {"type": "chat"}],
            "participants": [ann],
            "queues": [{"id": "q1", "name": "Sales", "queued_at": "2024-03-04T10:00:05Z",
                        "accepted_at": "2024-03-04T10:00:15Z", "agent_id": "ann"}],
            "timings": {"talk_ms": 300_000, "hold_ms": 20_000, "wrap_up_ms": 30_000},
            "dispositions": [{"id": "d1", "name": "Sold"}, {"id": "d2"}]
        })),
        // Answered by Ann after 30 s, transferred to q2 and answered there by Bob in 20 s:
        // the handling is q2's and Bob's.
        engagement(json!({
            "id": "transferred", "started_at": "2024-03-04T11:00:00Z", "ended_at": "2024-03-04T11:20:00Z",
            "direction": "inbound", "source": "zoom_cc", "team": "blue",
            "channels": [{"type": "chat"}],
            "participants": [ann, bob],
            "queues": [
                {"id": "q1", "name": "Sales", "queued_at": "2024-03-04T11:00:00Z",
                 "accepted_at": "2024-03-04T11:00:30Z", "agent_id": "ann"},
                {"id": "q2", "name": "Billing", "queued_at": "2024-03-04T11:05:00Z",
                 "accepted_at": "2024-03-04T11:05:20Z", "agent_id": "bob"}
            ],
            "transfers": [{"type": "to_queue", "queue_id": "q2"}],
            "timings": {"talk_ms": 100_000, "wrap_up_ms": 10_000},
            "dispositions": [{"name": "Refund"}]
        })),
        // Abandoned after 40 s.
        engagement(json!({
            "id": "abandoned", "started_at": "2024-03-04T12:00:00Z", "ended_at": "2024-03-04T12:00:40Z",
            "direction": "inbound", "channels": [{"type": "voice"}],
            "queues": [{"id": "q1", "name": "Sales", "queued_at": "2024-03-04T12:00:00Z"}]
        })),
        // Abandoned after 3 s: a short abandon.
        engagement(json!({
            "id": "short", "started_at": "2024-03-04T12:30:00Z", "ended_at": "2024-03-04T12:30:03Z",
            "direction": "inbound", "channels": [{"type": "voice"}],
            "queues": [{"id": "q2", "queued_at": "2024-03-04T12:30:00Z"}]
        })),
        // Still waiting: offered, nothing else.
        engagement(json!({
            "id": "waiting", "started_at": "2024-03-04T13:00:00Z", "state": "queued",
            "direction": "inbound", "channels": [{"type": "sms"}],
            "queues": [{"id": "q2", "queued_at": "2024-03-04T13:00:00Z"}]
        })),
        // Handled without a queue: its own row, the owner's.
        engagement(json!({
            "id": "outbound", "started_at": "2024-03-04T14:00:00Z", "ended_at": "2024-03-04T14:05:00Z",
            "direction": "outbound", "channels": [{"type": "voice"}],
            "participants": [{"role": "agent", "id": "cat", "display_name": "Cat", "owner": true}],
            "timings": {"talk_ms": 60_000}
        })),
        // Counts for nothing.
        engagement(json!({
            "id": "internal", "started_at": "2024-03-04T15:00:00Z", "ended_at": "2024-03-04T15:01:00Z",
            "direction": "internal", "channels": [{"type": "voice"}],
            "timings": {"wrap_up_ms": 5_000}
        })),
        // No queued_at: queued when it started; no agent on the visit: the owner's.
        engagement(json!({
            "id": "unqueued", "started_at": "2024-03-04T16:00:00Z", "ended_at": "2024-03-04T16:01:00Z",
            "direction": "inbound", "channels": [{"type": "voice"}],
            "participants": [ann],
            "queues": [{"id": "q1", "name": "Sales", "accepted_at": "2024-03-04T16:00:05Z"}],
            "timings": {"talk_ms": 1_000}
        })),
        // The range is half-open: the next day's first millisecond is not in it.
        engagement(json!({
            "id": "tomorrow", "started_at": "2024-03-05T00:00:00Z", "ended_at": "2024-03-05T00:01:00Z",
            "queues": [{"id": "q1", "queued_at": "2024-03-05T00:00:00Z"}],
            "timings": {"talk_ms": 1_000}
        })),
    ]
}

pub async fn figures_follow_the_definitions(store: &dyn Store) {
    let t = new_tenant(store, "figures", None).await;
    let other = new_tenant(store, "figures-other", None).await;
    insert_all(store, &t, a_day()).await;
    insert_all(store, &other, a_day()).await;
    let total = |group_by: &[Dimension]| query(&[DAY_START, DAY_END], group_by);

    let all = visits(7, 4, 2, 1, 65_000, Some(40_000), 3);
    let all = handling(all, 4, 461_000, 20_000, 40_000, 1);
    assert_eq!(
        by_key(&figures(store, &t, &total(&[])).await),
        [(key(&[]), all)]
    );

    let q1 = handling(
        visits(4, 3, 1, 0, 45_000, Some(40_000), 2),
        2,
        301_000,
        20_000,
        30_000,
        0,
    );
    let q2 = handling(
        visits(3, 1, 1, 1, 20_000, Some(20_000), 1),
        1,
        100_000,
        0,
        10_000,
        1,
    );
    let no_queue = handling(Tally::default(), 1, 60_000, 0, 0, 0);
    let by_queue = figures(store, &t, &total(&[Dimension::Queue])).await;
    assert_eq!(
        by_key(&by_queue),
        [
            (key(&[Some("q1")]), q1),
            (key(&[Some("q2")]), q2),
            (key(&[None]), no_queue)
        ],
        "by queue, no queue last"
    );
    assert_eq!(
        by_queue.groups[0].key,
        [KeyValue {
            value: Some("q1".into()),
            name: Some("Sales".into())
        }]
    );

    let ann = handling(
        visits(3, 3, 0, 0, 45_000, Some(30_000), 2),
        2,
        301_000,
        20_000,
        30_000,
        0,
    );
    let bob = handling(
        visits(1, 1, 0, 0, 20_000, Some(20_000), 1),
        1,
        100_000,
        0,
        10_000,
        1,
    );
    let cat = handling(Tally::default(), 1, 60_000, 0, 0, 0);
    let nobody = visits(3, 0, 2, 1, 0, Some(40_000), 0);
    let by_agent = figures(store, &t, &total(&[Dimension::Agent])).await;
    assert_eq!(
        by_key(&by_agent),
        [
            (key(&[Some("ann")]), ann),
            (key(&[Some("bob")]), bob),
            (key(&[Some("cat")]), cat),
            (key(&[None]), nobody)
        ]
    );
    assert_eq!(by_agent.groups[1].key[0].name.as_deref(), Some("Bob"));

    // Two dimensions: the first channel's type and the first disposition (id, else name).
    let by_two = figures(
        store,
        &t,
        &total(&[Dimension::ChannelType, Dimension::Disposition]),
    )
    .await;
    let offered: Vec<(Vec<Option<String>>, u64)> = by_key(&by_two)
        .into_iter()
        .map(|(k, t)| (k, t.offered))
        .collect();
    assert_eq!(
        offered,
        [
            (key(&[Some("chat"), Some("Refund")]), 2),
            (key(&[Some("sms"), None]), 1),
            (key(&[Some("voice"), Some("d1")]), 1),
            (key(&[Some("voice"), None]), 3),
        ]
    );
    assert_eq!(by_two.groups[2].key[1].name.as_deref(), Some("Sold"));

    for (dimension, values) in [
        (Dimension::Team, key(&[Some("blue"), Some("red"), None])),
        (
            Dimension::Direction,
            key(&[Some("inbound"), Some("outbound")]),
        ),
        (
            Dimension::Source,
            key(&[Some("native"), Some("zoom_cc"), None]),
        ),
    ] {
        let f = figures(store, &t, &total(&[dimension])).await;
        let got: Vec<Option<String>> = f.groups.iter().map(|g| g.key[0].value.clone()).collect();
        assert_eq!(got, values, "{dimension:?}");
        let mut sum = Tally::default();
        for (_, tally) in by_key(&f) {
            sum.merge(&tally);
        }
        assert_eq!(sum, all, "{dimension:?}: the groups add up to the whole");
    }

    // Amazon's service level: answered or abandoned in under the threshold, of all that
    // left the queue.
    let mut amazon = total(&[]);
    amazon.rules.sl_formula = ServiceLevelFormula::Amazon;
    let got = by_key(&figures(store, &t, &amazon).await)[0].1;
    assert_eq!(
        (got.sl_met, got.sl_denominator(ServiceLevelFormula::Amazon)),
        (3, 6)
    );
    assert_eq!(all.sl_denominator(ServiceLevelFormula::Interlog), 5);

    // Nothing in range: one empty group without grouping, none with.
    let empty = query(&["2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z"], &[]);
    assert_eq!(
        by_key(&figures(store, &t, &empty).await),
        [(key(&[]), Tally::default())]
    );
    let mut empty = empty;
    empty.group_by = vec![Dimension::Queue];
    assert!(figures(store, &t, &empty).await.groups.is_empty());

    // An answer past its cells is refused, not counted to the end: here three groups.
    let mut capped = total(&[Dimension::Queue]);
    capped.max_cells = 2;
    assert!(matches!(
        store.figures(&t, &capped).await,
        Err(StoreError::Invalid(_))
    ));
    capped.max_cells = 3;
    assert_eq!(figures(store, &t, &capped).await.groups.len(), 3);

    // What no backend can answer.
    for bad in [
        query(&[DAY_END, DAY_START], &[]),
        query(&[DAY_START], &[]),
        query(
            &[DAY_START, DAY_END],
            &[
                Dimension::Queue,
                Dimension::Agent,
                Dimension::Team,
                Dimension::Source,
            ],
        ),
        query(&[DAY_START, DAY_END], &[Dimension::Queue, Dimension::Queue]),
    ] {
        assert!(
            matches!(store.figures(&t, &bad).await, Err(StoreError::Invalid(_))),
            "{bad:?}"
        );
    }
}

pub async fn figures_cut_buckets_at_the_zones_days(store: &dyn Store) {
    // Dublin leaves summer time on 2024-10-27: that day is 25 hours, from 2024-10-26T23:00Z
    // to 2024-10-28T00:00Z.
    let t = new_tenant(store, "figures-days", None).await;
    let visit = |id: &str, at: &str| {
        engagement(json!({
            "id": id, "started_at": at, "state": "queued",
            "queues": [{"id": "q", "queued_at": at}]
        }))
    };
    insert_all(
        store,
        &t,
        vec![
            visit("before", "2024-10-26T22:59:59.999Z"),
            visit("first-ms", "2024-10-26T23:00:00Z"),
            visit("hour-25", "2024-10-27T23:59:59.999Z"),
            visit("next-day", "2024-10-28T00:00:00Z"),
            visit("two-days-on", "2024-10-29T12:00:00Z"),
        ],
    )
    .await;
    let tz = jiff::tz::TimeZone::get("Europe/Dublin").unwrap();
    let bounds = bucket_bounds(
        ts("2024-10-26T23:00:00Z"),
        ts("2024-10-31T00:00:00Z"),
        Interval::Day,
        &tz,
        100,
    )
    .unwrap();
    let q = FiguresQuery {
        filter: Filter::default(),
        bounds: bounds.iter().map(|b| b.as_millisecond()).collect(),
        group_by: Vec::new(),
        rules: rules(),
        max_cells: 10,
    };
    let f = figures(store, &t, &q).await;
    let offered: Vec<(usize, u64)> = f.groups[0]
        .buckets
        .iter()
        .map(|(i, t)| (*i, t.offered))
        .collect();
    assert_eq!(
        offered,
        [(0, 2), (1, 1), (2, 1)],
        "the 25-hour day holds its 25th hour; an empty bucket is left out ({bounds:?})"
    );
}

pub async fn figures_follow_every_write_and_deletion(store: &dyn Store) {
    let t = new_tenant(store, "figures-writes", None).await;
    let q = query(&[DAY_START, DAY_END], &[Dimension::Queue]);
    let offered = |f: &Figures| -> Vec<(Vec<Option<String>>, u64)> {
        by_key(f).into_iter().map(|(k, t)| (k, t.offered)).collect()
    };
    let call = |id: &str, queue: &str, updated: &str| {
        engagement(json!({
            "id": id, "started_at": "2024-03-04T09:00:00Z", "updated_at": updated,
            "queues": [{"id": queue, "queued_at": "2024-03-04T09:00:00Z"}]
        }))
    };
    upsert(store, &t, call("a", "q1", "2024-03-04T09:00:00Z")).await;
    assert_eq!(
        offered(&figures(store, &t, &q).await),
        [(key(&[Some("q1")]), 1)],
        "at once"
    );
    upsert(store, &t, call("a", "q2", "2024-03-04T09:10:00Z")).await;
    assert_eq!(
        offered(&figures(store, &t, &q).await),
        [(key(&[Some("q2")]), 1)],
        "replaced"
    );
    upsert(store, &t, call("a", "q3", "2024-03-04T09:05:00Z")).await;
    assert_eq!(
        offered(&figures(store, &t, &q).await),
        [(key(&[Some("q2")]), 1)],
        "a stale write changes nothing"
    );
    store
        .update(
            &t,
            "a",
            Box::new(|e| {
                e.started_at = ts("2024-03-05T09:00:00Z");
                Ok(())
            }),
        )
        .await
        .unwrap();
    assert!(
        figures(store, &t, &q).await.groups.is_empty(),
        "moved out of the range"
    );
    let next_day = query(&[DAY_END, "2024-03-06T00:00:00Z"], &[Dimension::Queue]);
    assert_eq!(
        offered(&figures(store, &t, &next_day).await),
        [(key(&[Some("q2")]), 1)]
    );

    upsert(store, &t, call("b", "q1", "2024-03-04T09:00:00Z")).await;
    upsert(store, &t, call("c", "q1", "2024-03-04T09:00:00Z")).await;
    assert!(store.delete(&t, "b").await.unwrap());
    assert_eq!(
        offered(&figures(store, &t, &q).await),
        [(key(&[Some("q1")]), 1)],
        "deleted"
    );
    store
        .delete_many(&t, &["c".to_owned()], DeleteReason::Erased)
        .await
        .unwrap();
    assert!(figures(store, &t, &q).await.groups.is_empty(), "erased");
    assert_eq!(
        store
            .delete_started_before(&t, ts("2024-03-06T00:00:00Z"), 10)
            .await
            .unwrap(),
        1
    );
    assert!(
        figures(store, &t, &next_day).await.groups.is_empty(),
        "retention"
    );
}

pub async fn figures_take_the_listings_filters(store: &dyn Store) {
    let t = new_tenant(store, "figures-filters", Some("353")).await;
    insert_all(store, &t, a_day()).await;
    let with = |filter: Filter| FiguresQuery {
        filter,
        ..query(&[DAY_START, DAY_END], &[])
    };
    let offered = |f: Figures| by_key(&f)[0].1.offered;
    for (filter, want) in [
        (
            Filter {
                agents: vec!["bob".into()],
                ..Filter::default()
            },
            2,
        ),
        (
            Filter {
                channel_types: vec![ChannelType::Chat],
                ..Filter::default()
            },
            3,
        ),
        (
            Filter {
                queue_ids: vec!["q2".into()],
                ..Filter::default()
            },
            4,
        ),
        (
            Filter {
                dispositions: vec!["Refund".into()],
                min_duration_ms: Some(60_000),
                ..Filter::default()
            },
            2,
        ),
        (
            Filter {
                started: range(Some(ts("2024-03-04T11:30:00Z")), None),
                ..Filter::default()
            },
            4,
        ),
        (
            Filter {
                agents: vec!["nobody-has-this".into()],
                ..Filter::default()
            },
            0,
        ),
        (
            Filter {
                started: range(
                    Some(ts("2024-03-04T18:00:00Z")),
                    Some(ts("2024-03-04T17:00:00Z")),
                ),
                ..Filter::default()
            },
            0,
        ),
    ] {
        assert_eq!(
            offered(figures(store, &t, &with(filter.clone())).await),
            want,
            "{filter:?}"
        );
    }
    let oversized = Filter {
        agents: vec!["a".into(); crate::MAX_FILTER_VALUES + 1],
        ..Filter::default()
    };
    assert!(matches!(
        store.figures(&t, &with(oversized)).await,
        Err(StoreError::Invalid(_))
    ));
}

/// An engagement drawn at random: start within two weeks around two daylight-saving
/// changes, up to three queue visits, parts of the handling, a few dimensions.
fn arb_engagement() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let visit = (0usize..3, proptest::option::of(0i64..180), 0i64..600);
    let dims = (
        proptest::option::of(prop_oneof![Just("red"), Just("blue")]),
        proptest::option::of(prop_oneof![Just("voice"), Just("chat")]),
        proptest::option::of(prop_oneof![Just("inbound"), Just("outbound")]),
        proptest::option::of(prop_oneof![Just("a1"), Just("a2")]),
        proptest::option::of(prop_oneof![Just("d1"), Just("d2")]),
    );
    let handling = (
        proptest::option::of(0u64..600_000),
        proptest::option::of(0u64..60_000),
        proptest::option::of(0u64..60_000),
        any::<bool>(),
    );
    (
        0i64..14 * 24 * 60,
        proptest::option::of(1i64..7_200),
        proptest::collection::vec(visit, 0..4),
        dims,
        handling,
    )
        .prop_map(|(minute, lasts, visits, dims, handling)| {
            let base = ts("2024-10-22T00:00:00Z").as_millisecond();
            let start = base + minute * 60_000;
            let at = |ms: i64| {
                interlog_model::Timestamp::from_millisecond(ms)
                    .unwrap()
                    .to_string()
            };
            let queues: Vec<Value> = visits
                .iter()
                .map(|(q, answered_after, queued_after)| {
                    let queued = start + queued_after * 1_000;
                    let mut v = json!({"id": format!("q{q}"), "queued_at": at(queued)});
                    if let Some(s) = answered_after {
                        v["accepted_at"] = json!(at(queued + s * 1_000));
                        if let Some(agent) = dims.3 {
                            v["agent_id"] = json!(agent);
                        }
                    }
                    v
                })
                .collect();
            let mut e = json!({"started_at": at(start), "queues": queues});
            match lasts {
                Some(s) => e["ended_at"] = json!(at(start + s * 1_000)),
                None => e["state"] = json!("active"),
            }
            if let Some(t) = dims.0 {
                e["team"] = json!(t);
            }
            if let Some(c) = dims.1 {
                e["channels"] = json!([{"type": c}]);
            }
            if let Some(d) = dims.2 {
                e["direction"] = json!(d);
            }
            if let Some(a) = dims.3 {
                e["participants"] = json!([{"role": "agent", "id": a}]);
            }
            if let Some(d) = dims.4 {
                e["dispositions"] = json!([{"id": d}]);
            }
            let (talk, hold, wrap, transferred) = handling;
            let mut timings = json!({});
            for (k, v) in [("talk_ms", talk), ("hold_ms", hold), ("wrap_up_ms", wrap)] {
                if let Some(v) = v {
                    timings[k] = json!(v);
                }
            }
            e["timings"] = timings;
            if transferred {
                e["transfers"] = json!([{"type": "to_agent"}]);
            }
            e
        })
}

pub async fn buckets_add_up_to_the_whole_range(store: &dyn Store) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let strategy = (
        proptest::collection::vec(arb_engagement(), 0..30),
        proptest::sample::select(Interval::ALL.to_vec()),
        proptest::sample::select(vec![
            "Europe/Dublin",
            "America/New_York",
            "UTC",
            "Asia/Kathmandu",
        ]),
        proptest::sample::subsequence(
            vec![
                Dimension::Queue,
                Dimension::Agent,
                Dimension::Team,
                Dimension::ChannelType,
            ],
            0..=2,
        ),
        (0i64..14 * 24, 1i64..14 * 24),
        (0u64..120_000, 0u64..30_000),
    );
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    });
    // The runner's error carries the failing input: it is only shown.
    let result = tokio::task::block_in_place(|| {
        runner
            .run(
                &strategy,
                |(engagements, interval, zone, group_by, (from_hour, hours), (sl, short))| {
                    handle.block_on(async {
                        let t = new_tenant(store, "figures-sums", None).await;
                        let engagements: Vec<Engagement> = engagements
                            .into_iter()
                            .enumerate()
                            .map(|(i, mut v)| {
                                v["id"] = json!(format!("e{i}"));
                                engagement(v)
                            })
                            .collect();
                        insert_all(store, &t, engagements).await;
                        let base = ts("2024-10-22T00:00:00Z").as_millisecond();
                        let from = base + from_hour * 3_600_000;
                        let to = from + hours * 3_600_000;
                        let at = |ms| interlog_model::Timestamp::from_millisecond(ms).unwrap();
                        let tz = jiff::tz::TimeZone::get(zone).unwrap();
                        let bounds =
                            bucket_bounds(at(from), at(to), interval, &tz, 100_000).unwrap();
                        let rules = Rules {
                            sl_threshold_ms: sl,
                            short_abandon_ms: short,
                            sl_formula: ServiceLevelFormula::Interlog,
                        };
                        let q = FiguresQuery {
                            filter: Filter::default(),
                            bounds: bounds.iter().map(|b| b.as_millisecond()).collect(),
                            group_by: group_by.clone(),
                            rules,
                            max_cells: crate::analytics::MAX_CELLS,
                        };
                        let whole = FiguresQuery {
                            bounds: vec![from, to],
                            ..q.clone()
                        };
                        let (parts, total) = (
                            figures(store, &t, &q).await,
                            figures(store, &t, &whole).await,
                        );
                        let keys = |f: &Figures| {
                            f.groups.iter().map(|g| g.key.clone()).collect::<Vec<_>>()
                        };
                        prop_assert_eq!(keys(&parts), keys(&total), "the same groups");
                        for (p, w) in parts.groups.iter().zip(&total.groups) {
                            let mut sum = Tally::default();
                            for (i, tally) in &p.buckets {
                                prop_assert!(
                                    *i + 1 < bounds.len(),
                                    "bucket {} of {}",
                                    i,
                                    bounds.len() - 1
                                );
                                sum.merge(tally);
                            }
                            let whole = w.buckets.first().map(|(_, t)| *t).unwrap_or_default();
                            prop_assert_eq!(
                                sum,
                                whole,
                                "{:?} by {:?} in {}",
                                p.key,
                                interval,
                                zone
                            );
                        }
                        Ok::<(), TestCaseError>(())
                    })
                },
            )
            .map_err(|e| e.to_string())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// What [`crate::Analytics::queue_visits`] must answer: the offered, answered and abandoned
/// of the figures of the engagements that visited `queues`, grouped by queue, summed over
/// those queues' groups, bucket by bucket.
async fn visits_by_figures(
    store: &dyn Store,
    t: &Tenant,
    queues: &[&str],
    bounds: &[i64],
) -> Vec<VisitCounts> {
    let mut out = vec![VisitCounts::default(); bounds.len() - 1];
    if queues.is_empty() {
        return out;
    }
    let q = FiguresQuery {
        filter: Filter {
            queue_ids: queues.iter().map(|q| (*q).to_owned()).collect(),
            ..Filter::default()
        },
        bounds: bounds.to_vec(),
        group_by: vec![Dimension::Queue],
        rules: rules(),
        max_cells: crate::analytics::MAX_CELLS,
    };
    for g in figures(store, t, &q).await.groups {
        if !g.key[0]
            .value
            .as_deref()
            .is_some_and(|v| queues.contains(&v))
        {
            continue;
        }
        for (i, tally) in g.buckets {
            out[i].offered += tally.offered;
            out[i].answered += tally.answered;
            out[i].abandoned += tally.abandoned;
        }
    }
    out
}

async fn queue_visits(
    store: &dyn Store,
    t: &Tenant,
    queues: &[&str],
    bounds: &[i64],
) -> Vec<VisitCounts> {
    let queues: Vec<String> = queues.iter().map(|q| (*q).to_owned()).collect();
    store
        .queue_visits(t, &queues, bounds)
        .await
        .unwrap_or_else(|e| panic!("queue_visits({queues:?}): {e:?}"))
}

/// Asserts the visits to `queue` of the one bucket `bounds`.
async fn expect_visits(
    store: &dyn Store,
    t: &Tenant,
    queue: &str,
    bounds: &[i64; 2],
    want: VisitCounts,
    why: &str,
) {
    assert_eq!(
        queue_visits(store, t, &[queue], bounds).await[0],
        want,
        "{why}"
    );
}

fn counts(offered: u64, answered: u64, abandoned: u64) -> VisitCounts {
    VisitCounts {
        offered,
        answered,
        abandoned,
    }
}

pub async fn queue_visits_are_the_figures_of_their_queues(store: &dyn Store) {
    let t = new_tenant(store, "queue-visits", None).await;
    let other = new_tenant(store, "queue-visits-other", None).await;
    insert_all(store, &t, a_day()).await;
    // Another tenant's visits to the same queues count for nothing here.
    insert_all(store, &other, a_day()).await;
    let hours = bucket_bounds(
        ts(DAY_START),
        ts("2024-03-05T01:00:00Z"),
        Interval::Hour,
        &jiff::tz::TimeZone::UTC,
        100,
    )
    .unwrap();
    let hours: Vec<i64> = hours.iter().map(|b| b.as_millisecond()).collect();
    let day = [ts(DAY_START).as_millisecond(), ts(DAY_END).as_millisecond()];
    // The definitions, said by hand: q1 answered three times (10:00, 11:00, 16:00) and
    // abandoned once (12:00); q2 answered (11:05), abandoned (12:30), waiting (13:00).
    assert_eq!(
        queue_visits(store, &t, &["q1"], &day).await[0],
        counts(4, 3, 1)
    );
    assert_eq!(
        queue_visits(store, &t, &["q2"], &day).await[0],
        counts(3, 1, 1)
    );
    assert_eq!(
        queue_visits(store, &t, &["q1", "q2"], &day).await[0],
        counts(7, 4, 2)
    );
    assert_eq!(
        queue_visits(store, &t, &["q1", "q1"], &day).await[0],
        counts(4, 3, 1),
        "a queue counts once"
    );
    assert_eq!(
        queue_visits(store, &t, &["nope"], &day).await[0],
        counts(0, 0, 0)
    );
    assert_eq!(queue_visits(store, &t, &[], &day).await[0], counts(0, 0, 0));
    for queues in [&["q1"][..], &["q2"], &["q1", "q2"], &["nope"], &[]] {
        assert_eq!(
            queue_visits(store, &t, queues, &hours).await,
            visits_by_figures(store, &t, queues, &hours).await,
            "by the hour, {queues:?}"
        );
    }
    // Quarter hours over three weeks: more buckets than a backend may count one by one.
    let quarters = bucket_bounds(
        ts("2024-02-26T00:00:00Z"),
        ts("2024-03-18T00:00:00Z"),
        Interval::QuarterHour,
        &jiff::tz::TimeZone::UTC,
        3_000,
    )
    .unwrap();
    let quarters: Vec<i64> = quarters.iter().map(|b| b.as_millisecond()).collect();
    assert_eq!(quarters.len(), 2_017);
    for queues in [&["q1"][..], &["q1", "q2"]] {
        assert_eq!(
            queue_visits(store, &t, queues, &quarters).await,
            visits_by_figures(store, &t, queues, &quarters).await,
            "by the quarter hour, {queues:?}"
        );
    }
    // The next day's first visit (q1 at midnight) is in the 25th hour, not in the day.
    assert_eq!(
        queue_visits(store, &t, &["q1"], &hours).await[24].offered,
        1
    );
    for bad in [&[day[0]][..], &[day[1], day[0]], &[day[0], day[0]]] {
        assert!(
            matches!(
                store.queue_visits(&t, &["q1".to_owned()], bad).await,
                Err(StoreError::Invalid(_))
            ),
            "bounds {bad:?}"
        );
    }
}

pub async fn queue_visits_follow_every_write_and_deletion(store: &dyn Store) {
    let t = new_tenant(store, "queue-visits-writes", None).await;
    let day = [ts(DAY_START).as_millisecond(), ts(DAY_END).as_millisecond()];
    let next = [
        ts(DAY_END).as_millisecond(),
        ts("2024-03-06T00:00:00Z").as_millisecond(),
    ];
    // Two visits to the same queue, the first answered; then a rewrite to another queue.
    let call = |id: &str, queue: &str, updated: &str| {
        engagement(json!({
            "id": id, "started_at": "2024-03-04T09:00:00Z", "updated_at": updated,
            "ended_at": "2024-03-04T09:30:00Z",
            "queues": [
                {"id": queue, "queued_at": "2024-03-04T09:00:00Z", "accepted_at": "2024-03-04T09:00:10Z"},
                {"id": queue, "queued_at": "2024-03-04T09:10:00Z"}
            ]
        }))
    };
    upsert(store, &t, call("a", "q1", "2024-03-04T09:00:00Z")).await;
    expect_visits(store, &t, "q1", &day, counts(2, 1, 1), "at once").await;
    upsert(store, &t, call("a", "q2", "2024-03-04T09:10:00Z")).await;
    expect_visits(store, &t, "q1", &day, counts(0, 0, 0), "replaced").await;
    expect_visits(store, &t, "q2", &day, counts(2, 1, 1), "replaced").await;
    upsert(store, &t, call("a", "q3", "2024-03-04T09:05:00Z")).await;
    expect_visits(
        store,
        &t,
        "q3",
        &day,
        counts(0, 0, 0),
        "a stale write changes nothing",
    )
    .await;
    store
        .update(
            &t,
            "a",
            Box::new(|e| {
                e.started_at = ts("2024-03-05T09:00:00Z");
                e.ended_at = Some(ts("2024-03-05T09:30:00Z"));
                Ok(())
            }),
        )
        .await
        .unwrap();
    expect_visits(
        store,
        &t,
        "q2",
        &day,
        counts(0, 0, 0),
        "moved out of the range",
    )
    .await;
    expect_visits(
        store,
        &t,
        "q2",
        &next,
        counts(2, 1, 1),
        "moved into the next day",
    )
    .await;

    upsert(store, &t, call("b", "q1", "2024-03-04T09:00:00Z")).await;
    upsert(store, &t, call("c", "q1", "2024-03-04T09:00:00Z")).await;
    expect_visits(store, &t, "q1", &day, counts(4, 2, 2), "").await;
    assert!(store.delete(&t, "b").await.unwrap());
    expect_visits(store, &t, "q1", &day, counts(2, 1, 1), "deleted").await;
    store
        .delete_many(&t, &["c".to_owned()], DeleteReason::Erased)
        .await
        .unwrap();
    expect_visits(store, &t, "q1", &day, counts(0, 0, 0), "erased").await;
    assert_eq!(
        store
            .delete_started_before(&t, ts("2024-03-06T00:00:00Z"), 10)
            .await
            .unwrap(),
        1
    );
    expect_visits(store, &t, "q2", &next, counts(0, 0, 0), "retention").await;
}
