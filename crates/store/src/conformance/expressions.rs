//! Filter expressions ([`crate::Filter::expr`]) checked against the in-memory
//! [`crate::matching::matches`] over generated engagements and generated expressions.

use super::support::*;
use crate::{Expr, Filter, Sort, SortDir, SortKey, Store, Tenant, TimeRange};
use interlog_model::{ChannelType, Direction, Engagement, Outcome, State, Timestamp};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::json;

/// The hour the generated engagements start from.
fn t0() -> Timestamp {
    ts("2024-05-01T00:00:00Z")
}

const QUEUES: &[&str] = &["q1", "q2", "q3"];
const TEAMS: &[&str] = &["t1", "t2"];
const AGENTS: &[(&str, &str)] = &[("a-1", "Ann@Corp.Example"), ("a-2", "bo@corp.example")];
const PHONES: &[&str] = &["+353 1 234 5678", "0197180171"];
const REGIONS: &[&str] = &["emea", "apac"];
const DISPOSITIONS: &[&str] = &["Sale", "Lost"];
const CHANNELS: &[(ChannelType, &str)] = &[
    (ChannelType::Voice, "pstn"),
    (ChannelType::Chat, "web_chat"),
    (ChannelType::Sms, "sms"),
];

/// One engagement whose fields come from small pools, so generated filters often match.
fn engagement(index: usize) -> impl Strategy<Value = Engagement> {
    let times = (
        (0..48i64, 0..60i64),
        proptest::option::of(0..30i64),
        proptest::option::of(0..1_800_000u64),
        0..48i64,
    );
    let kinds = (
        proptest::option::of(proptest::sample::select(State::ALL)),
        proptest::option::of(proptest::sample::select(Outcome::ALL)),
        proptest::option::of(proptest::sample::select(Direction::ALL)),
        proptest::sample::subsequence(CHANNELS.to_vec(), 0..=2),
    );
    let lists = (
        proptest::sample::subsequence(QUEUES.to_vec(), 0..=2),
        proptest::option::of(proptest::sample::select(TEAMS)),
        proptest::option::of(proptest::sample::select(AGENTS)),
        proptest::option::of(proptest::sample::select(PHONES)),
        proptest::option::of(proptest::sample::select(REGIONS)),
        proptest::option::of(proptest::sample::select(DISPOSITIONS)),
    );
    (times, kinds, lists).prop_map(
        move |(
            ((hour, minute), lasting, duration, updated),
            (state, outcome, direction, channels),
            (queues, team, agent, phone, region, disposition),
        )| {
            let mut b = eng(
                &format!("g{index:03}"),
                plus(t0(), hour * HOUR + minute * MINUTE),
            )
            .updated(plus(t0(), (100 + updated) * HOUR));
            if let Some(m) = lasting {
                b = b.lasting(m * MINUTE);
            }
            if let Some(d) = duration {
                b = b.duration(d);
            }
            if let Some(s) = state {
                b = b.state(s);
            }
            if let Some(o) = outcome {
                b = b.outcome(o);
            }
            if let Some(d) = direction {
                b = b.direction(d);
            }
            for (kind, source) in channels {
                b = b.channel(kind, source);
            }
            for q in queues {
                b = b.queue(q);
            }
            if let Some(t) = team {
                b = b.team(t);
            }
            if let Some((id, email)) = agent {
                b = b.agent(Some(id), Some(email));
            }
            if let Some(p) = phone {
                b = b.phone(p);
            }
            if let Some(r) = region {
                b = b.data("region", json!(r));
            }
            if let Some(d) = disposition {
                b = b.disposition(None, Some(d));
            }
            b.build()
        },
    )
}

/// An instant on the hour grid of the generated engagements (some past their end).
fn hour() -> impl Strategy<Value = Timestamp> {
    (0..150i64).prop_map(|h| plus(t0(), h * HOUR))
}

fn time_range() -> impl Strategy<Value = TimeRange> {
    (proptest::option::of(hour()), proptest::option::of(hour()))
        .prop_map(|(from, to)| range(from, to))
}

/// A filter of one field, as a `filter=` term makes, with values present and absent.
fn term() -> impl Strategy<Value = Filter> {
    // Weighted by how many fields each side covers: every field equally likely.
    prop_oneof![4 => counted_term(), 12 => uncounted_term()]
}

/// A term of any other field: times, durations, sources, queues, teams, people, dispositions, data.
fn uncounted_term() -> impl Strategy<Value = Filter> {
    let text = |pool: &'static [&'static str], absent: &'static str| {
        proptest::sample::select([pool, &[absent]].concat())
    };
    prop_oneof![
        time_range().prop_map(|r| Filter {
            started: r,
            ..Filter::default()
        }),
        time_range().prop_map(|r| Filter {
            ended: r,
            ..Filter::default()
        }),
        time_range().prop_map(|r| Filter {
            updated: r,
            ..Filter::default()
        }),
        (
            proptest::option::of(0..1_900_000u64),
            proptest::option::of(0..1_900_000u64)
        )
            .prop_map(|(min, max)| Filter {
                min_duration_ms: min,
                max_duration_ms: max,
                ..Filter::default()
            }),
        text(&["pstn", "sms"], "fax").prop_map(|s| Filter {
            channel_sources: vec![s.into()],
            ..Filter::default()
        }),
        text(QUEUES, "q9").prop_map(|q| Filter {
            queue_ids: vec![q.into()],
            ..Filter::default()
        }),
        text(TEAMS, "t9").prop_map(|t| Filter {
            teams: vec![t.into()],
            ..Filter::default()
        }),
        text(&["a-1", "ANN@corp.example", "bo@corp.example"], "a-9").prop_map(|a| Filter {
            agents: vec![a.into()],
            ..Filter::default()
        }),
        text(&["ann@corp.example"], "zed@corp.example").prop_map(|e| Filter {
            participant_emails: vec![e.into()],
            ..Filter::default()
        }),
        text(&["01 234 5678", "019-718-0171"], "0000000").prop_map(|c| Filter {
            customer: vec![c.into()],
            ..Filter::default()
        }),
        text(DISPOSITIONS, "Gone").prop_map(|d| Filter {
            dispositions: vec![d.into()],
            ..Filter::default()
        }),
        text(REGIONS, "amer").prop_map(|r| Filter {
            data: vec![("region".into(), r.into())],
            ..Filter::default()
        }),
    ]
}

fn expression() -> impl Strategy<Value = Expr> {
    term()
        .prop_map(Expr::leaf)
        .prop_recursive(4, 24, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Expr::And),
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Expr::Or),
                inner.prop_map(|x| Expr::Not(Box::new(x))),
            ]
        })
}

/// A filter with an expression, and sometimes a plain part it combines with by AND.
fn filter() -> impl Strategy<Value = Filter> {
    (proptest::option::of(term()), expression()).prop_map(|(plain, x)| Filter {
        expr: Some(x),
        ..plain.unwrap_or_default()
    })
}

/// Runs an async check from inside a proptest case (the suite runs on a multi-thread
/// runtime).
fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

/// Whether the store lists and counts exactly what the matcher selects.
fn agrees(
    store: &dyn Store,
    tenant: &Tenant,
    everything: &[Engagement],
    f: &Filter,
    sort: Sort,
) -> Result<(), TestCaseError> {
    let mut want: Vec<String> = everything
        .iter()
        .filter(|e| crate::matching::matches(f, e, tenant.country_code.as_deref()))
        .map(|e| e.id.clone())
        .collect();
    want.sort();
    // Small pages, so each listing also pages through its cursor.
    let mut got = block_on(list_all_ids(store, tenant, &query(f.clone(), sort, 7)));
    got.sort();
    prop_assert_eq!(&got, &want, "listed by {:?}", sort);
    let counted = block_on(count(store, tenant, f));
    prop_assert_eq!(counted, want.len() as u64, "counted");
    Ok(())
}

/// Generated expressions list and count exactly what the in-memory matcher selects, over
/// generated engagements, under the default sort and by duration.
pub async fn filter_expressions_agree_with_the_in_memory_matcher(store: &dyn Store) {
    check_generated(store, "expressions", filter()).await;
}

/// A term the per-day counts decide: a state, outcome, direction or channel type.
fn counted_term() -> impl Strategy<Value = Filter> {
    prop_oneof![
        proptest::sample::select(State::ALL).prop_map(|s| Filter {
            states: vec![s],
            ..Filter::default()
        }),
        proptest::sample::select(Outcome::ALL).prop_map(|o| Filter {
            outcomes: vec![o],
            ..Filter::default()
        }),
        proptest::sample::select(Direction::ALL).prop_map(|d| Filter {
            directions: vec![d],
            ..Filter::default()
        }),
        proptest::sample::select(ChannelType::ALL).prop_map(|c| Filter {
            channel_types: vec![c],
            ..Filter::default()
        }),
    ]
}

/// A start-time range of whole days or open ends (sometimes a partial last day), over the
/// two days the generated engagements start on.
fn day_range() -> impl Strategy<Value = TimeRange> {
    let instant = proptest::sample::select(vec![-24, 0, 24, 36, 48, 72])
        .prop_map(|h: i64| plus(t0(), h * HOUR));
    (
        proptest::option::of(instant.clone()),
        proptest::option::of(instant),
    )
        .prop_map(|(from, to)| range(from, to))
}

/// An expression of [`counted_term`]s within a [`day_range`], sometimes with a plain part:
/// what a backend counts from its per-day counts rather than row by row.
fn counted_filter() -> impl Strategy<Value = Filter> {
    let expression = counted_term()
        .prop_map(Expr::leaf)
        .prop_recursive(4, 24, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Expr::And),
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Expr::Or),
                inner.prop_map(|x| Expr::Not(Box::new(x))),
            ]
        });
    (
        day_range(),
        proptest::option::of(counted_term()),
        expression,
    )
        .prop_map(|(started, plain, x)| Filter {
            started,
            expr: Some(x),
            ..plain.unwrap_or_default()
        })
}

/// Expressions over states, outcomes, directions and channel types (which totals take from
/// the per-day counts, see [`crate::counting`]) count exactly what the matcher selects.
pub async fn expressions_counted_by_days_agree_with_the_in_memory_matcher(store: &dyn Store) {
    check_generated(store, "counted-expressions", counted_filter()).await;
}

/// Generates the engagements of a fresh tenant and checks every generated filter with
/// [`agrees`].
async fn check_generated(store: &dyn Store, name: &str, filters: impl Strategy<Value = Filter>) {
    let tenant = new_tenant(store, name, Some("353")).await;
    // A fixed seed: every backend is held to the same engagements and expressions.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 96,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[23; 32]),
    );
    let generated: Vec<Engagement> = (0..60)
        .map(|i| {
            engagement(i)
                .new_tree(&mut runner)
                .expect("an engagement")
                .current()
        })
        .collect();
    insert_all(store, &tenant, generated).await;
    let everything: Vec<Engagement> = list_all(store, &tenant, &crate::Query::default())
        .await
        .iter()
        .map(parse)
        .collect();
    assert_eq!(everything.len(), 60);
    let sorts = prop_oneof![
        Just(Sort::default()),
        Just(sort_of(SortKey::Duration, SortDir::Asc)),
        Just(sort_of(SortKey::StartedAt, SortDir::Asc)),
    ];
    let outcome = runner.run(&(filters, sorts), |(f, sort)| {
        agrees(store, &tenant, &everything, &f, sort)
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
