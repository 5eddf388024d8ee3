//! What each part of a [`crate::Filter`] matches, and the limits on its size
//! ([`crate::Engagements::list`] and [`crate::Engagements::count`]).

use super::support::*;
use crate::{Expr, Filter, Query, Sort, SortDir, SortKey, Store, StoreError, Tenant};
use interlog_model::{ChannelType, Direction, Engagement, Outcome, Role, State, Timestamp};
use serde_json::json;

/// The instants the filter data set is built around.
struct FilterFixture {
    tenant: Tenant,
    /// Start of the first engagement; the others start an hour apart.
    t0: Timestamp,
    /// `updated_at` of the first engagement; the others are an hour apart.
    u0: Timestamp,
}

/// Seven engagements `f01`..`f07` whose every filterable field is chosen so the matches of
/// each filter are known. Written as clients send them: f04 and f07 have no state, f01, f04
/// and f06 only a start and an end for their duration. The tenant's country code is 353.
///
/// | id  | start | end    | duration     | state     | outcome | direction | channels        |
/// |-----|-------|--------|--------------|-----------|---------|-----------|-----------------|
/// | f01 | 0h    | +5m    | (300000)     | completed | success | inbound   | voice/pstn      |
/// | f02 | 1h    | +10m   | 120000       | completed | failure | outbound  | chat/web_chat   |
/// | f03 | 2h    | —      | —            | active    | —       | inbound   | voice/pstn, chat/in_app_chat |
/// | f04 | 3h    | +1m    | (60000)      | (completed)| success| internal  | email/email_address |
/// | f05 | 4h    | +10m   | 600000       | completed | failure | inbound   | sms/sms         |
/// | f06 | 5h    | +0     | (0)          | queued    | —       | unknown   | video/zoom      |
/// | f07 | 6h    | —      | —            | (active)  | —       | —         | —               |
async fn filter_fixture(store: &dyn Store) -> FilterFixture {
    let tenant = new_tenant(store, "filters", Some("353")).await;
    let t0 = ts("2024-03-01T00:00:00Z");
    let u0 = plus(t0, 10 * DAY);
    let at = |h: i64| plus(t0, h * HOUR);
    let up = |h: i64| plus(u0, h * HOUR);
    let engagements = vec![
        eng("f01", at(0))
            .lasting(5 * MINUTE)
            .updated(up(0))
            .state(State::Completed)
            .outcome(Outcome::Successful)
            .direction(Direction::Inbound)
            .channel(ChannelType::Voice, "pstn")
            .queue("q-sales")
            .team("team-red")
            .agent(Some("a-1"), Some("Alice@Corp.Example"))
            .customer_participant(Some("bob@example.org"), Some("+1 (555) 010-9999"))
            .phone("0197180171")
            .disposition(Some("d-1"), Some("Sale"))
            .data("region", json!("emea"))
            .data("priority", json!(3))
            .build(),
        eng("f02", at(1))
            .lasting(10 * MINUTE)
            .duration(120_000)
            .updated(up(1))
            .state(State::Completed)
            .outcome(Outcome::Unsuccessful)
            .direction(Direction::Outbound)
            .channel(ChannelType::Chat, "web_chat")
            .queue("q-support")
            .team("team-blue")
            .agent(Some("a-2"), Some("carol@corp.example"))
            .email("Melinda14@Example.org")
            .account("ACC-123")
            .disposition(None, Some("No answer"))
            .data("region", json!("apac"))
            .data("priority", json!(3))
            .build(),
        eng("f03", at(2))
            .updated(up(2))
            .state(State::Active)
            .direction(Direction::Inbound)
            .channel(ChannelType::Voice, "pstn")
            .channel(ChannelType::Chat, "in_app_chat")
            .queue("q-sales")
            .queue("q-support")
            .team("team-red")
            .agent(Some("a-1"), None)
            .agent(Some("a-3"), Some("dave@corp.example"))
            .participant(Role::Supervisor, "Sup@Corp.Example")
            .custom("twitterHandles", "@SomeHandle")
            .data("region", json!("emea"))
            .data("priority", json!("3"))
            .build(),
        eng("f04", at(3))
            .lasting(MINUTE)
            .updated(up(3))
            .outcome(Outcome::Successful)
            .direction(Direction::Internal)
            .channel(ChannelType::Email, "email_address")
            .customer_participant(Some("alice@corp.example"), None)
            .contact("CT-9001")
            .disposition(Some("d-2"), Some("Sale"))
            .data("vip", json!(true))
            .build(),
        eng("f05", at(4))
            .lasting(10 * MINUTE)
            .duration(600_000)
            .updated(up(4))
            .state(State::Completed)
            .outcome(Outcome::Unsuccessful)
            .direction(Direction::Inbound)
            .channel(ChannelType::Sms, "sms")
            .queue("q-billing")
            .team("team-blue")
            .agent(Some("a-4"), Some("erin@corp.example"))
            .phone("+353 1 234 5678")
            .data("nested", json!({"a": 1}))
            .build(),
        eng("f06", at(5))
            .lasting(0)
            .updated(up(5))
            .state(State::Queued)
            .direction(Direction::Unknown)
            .channel(ChannelType::Video, "zoom")
            .queue("q-billing")
            .team("team-green")
            .agent(Some("a-5"), None)
            .phone("019-718-0171")
            .data("region", json!("EMEA"))
            .build(),
        eng("f07", at(6)).updated(up(6)).build(),
    ];
    insert_all(store, &tenant, engagements).await;
    FilterFixture { tenant, t0, u0 }
}

/// A filter case: what it checks, the filter, and the ids it must match.
type FilterCase = (&'static str, Filter, &'static [&'static str]);

/// Asserts that each filter lists exactly its ids (in any order; the listing's own order is
/// checked by [`list_all`]), under two sorts, and counts as many.
///
/// The in-memory [`crate::matching::matches`] must agree with the store on every case.
async fn expect_matches(store: &dyn Store, tenant: &Tenant, cases: Vec<FilterCase>) {
    let everything: Vec<Engagement> = list_all(store, tenant, &Query::default())
        .await
        .iter()
        .map(parse)
        .collect();
    for (label, filter, expected) in cases {
        let mut want = strings(expected);
        want.sort();
        let mut matched: Vec<String> = everything
            .iter()
            .filter(|e| crate::matching::matches(&filter, e, tenant.country_code.as_deref()))
            .map(|e| e.id.clone())
            .collect();
        matched.sort();
        assert_eq!(
            matched, want,
            "filter `{label}` matched in memory: {filter:?}"
        );
        for sort in [Sort::default(), sort_of(SortKey::Duration, SortDir::Asc)] {
            let mut got = list_all_ids(store, tenant, &query(filter.clone(), sort, 100)).await;
            got.sort();
            assert_eq!(got, want, "filter `{label}` listed by {sort:?}: {filter:?}");
        }
        assert_eq!(
            count(store, tenant, &filter).await,
            want.len() as u64,
            "count of filter `{label}`: {filter:?}"
        );
    }
}

/// `started`, `ended` and `updated` are half-open: `from` included, `to` excluded; an
/// engagement without an end matches no set `ended` range.
pub async fn filter_time_ranges_are_half_open(store: &dyn Store) {
    let FilterFixture { tenant, t0, u0 } = filter_fixture(store).await;
    let at = |ms: i64| Some(plus(t0, ms));
    let up = |ms: i64| Some(plus(u0, ms));
    let started = |from, to| Filter {
        started: range(from, to),
        ..Filter::default()
    };
    let ended = |from, to| Filter {
        ended: range(from, to),
        ..Filter::default()
    };
    let updated = |from, to| Filter {
        updated: range(from, to),
        ..Filter::default()
    };
    let started_and_ended = Filter {
        started: range(at(2 * HOUR), None),
        ended: range(None, at(4 * HOUR)),
        ..Filter::default()
    };
    #[rustfmt::skip]
    let cases: Vec<FilterCase> = vec![
        ("no filter", Filter::default(), &["f01", "f02", "f03", "f04", "f05", "f06", "f07"]),
        ("started [1h, 4h)", started(at(HOUR), at(4 * HOUR)), &["f02", "f03", "f04"]),
        ("started from 4h", started(at(4 * HOUR), None), &["f05", "f06", "f07"]),
        ("started before 1h", started(None, at(HOUR)), &["f01"]),
        ("started [5h, 5h + 1ms)", started(at(5 * HOUR), at(5 * HOUR + 1)), &["f06"]),
        ("started [5h, 5h) is empty", started(at(5 * HOUR), at(5 * HOUR)), &[]),
        ("ended [1h10m, 5h)", ended(at(HOUR + 10 * MINUTE), at(5 * HOUR)), &["f02", "f04", "f05"]),
        ("ended from 4h: not ended does not match", ended(at(4 * HOUR), None), &["f05", "f06"]),
        ("ended before 1h", ended(None, at(HOUR)), &["f01"]),
        ("updated [1h, 3h)", updated(up(HOUR), up(3 * HOUR)), &["f02", "f03"]),
        ("updated from 6h", updated(up(6 * HOUR), None), &["f07"]),
        ("updated before the first", updated(None, up(0)), &[]),
        ("started from 2h and ended before 4h", started_and_ended, &["f04"]),
    ];
    expect_matches(store, &tenant, cases).await;
}

/// `states` (derived when absent), `outcomes`, `directions`, `channel_types` (any channel)
/// and `channel_sources`.
pub async fn filter_states_outcomes_directions_and_channels(store: &dyn Store) {
    use ChannelType::{Chat, Email, Sms, Social, Video, Voice};
    use Direction::{Consult, Inbound, Internal, Outbound, Unknown};
    use Outcome::{Successful, Unsuccessful};
    use State::{Active, Completed, Held, Queued};
    let FilterFixture { tenant, .. } = filter_fixture(store).await;
    let states = |v: &[State]| Filter {
        states: v.to_vec(),
        ..Filter::default()
    };
    let outcomes = |v: &[Outcome]| Filter {
        outcomes: v.to_vec(),
        ..Filter::default()
    };
    let directions = |v: &[Direction]| Filter {
        directions: v.to_vec(),
        ..Filter::default()
    };
    let channels = |v: &[ChannelType]| Filter {
        channel_types: v.to_vec(),
        ..Filter::default()
    };
    let sources = |v: &[&str]| Filter {
        channel_sources: strings(v),
        ..Filter::default()
    };
    #[rustfmt::skip]
    let cases: Vec<FilterCase> = vec![
        ("completed, also derived from the end", states(&[Completed]), &["f01", "f02", "f04", "f05"]),
        ("active, also derived from no end", states(&[Active]), &["f03", "f07"]),
        ("queued", states(&[Queued]), &["f06"]),
        ("completed or queued", states(&[Completed, Queued]), &["f01", "f02", "f04", "f05", "f06"]),
        ("held", states(&[Held]), &[]),
        ("successful", outcomes(&[Successful]), &["f01", "f04"]),
        ("unsuccessful", outcomes(&[Unsuccessful]), &["f02", "f05"]),
        ("either outcome", outcomes(&[Successful, Unsuccessful]), &["f01", "f02", "f04", "f05"]),
        ("inbound", directions(&[Inbound]), &["f01", "f03", "f05"]),
        ("outbound or internal", directions(&[Outbound, Internal]), &["f02", "f04"]),
        ("unknown", directions(&[Unknown]), &["f06"]),
        ("consult", directions(&[Consult]), &[]),
        ("voice", channels(&[Voice]), &["f01", "f03"]),
        ("chat, also as a second channel", channels(&[Chat]), &["f02", "f03"]),
        ("sms or video", channels(&[Sms, Video]), &["f05", "f06"]),
        ("email", channels(&[Email]), &["f04"]),
        ("social", channels(&[Social]), &[]),
        ("source pstn", sources(&["pstn"]), &["f01", "f03"]),
        ("source in_app_chat or email_address", sources(&["in_app_chat", "email_address"]), &["f03", "f04"]),
        ("source PSTN: exact match", sources(&["PSTN"]), &[]),
    ];
    expect_matches(store, &tenant, cases).await;
}

/// `queue_ids`, `teams` and `dispositions` (by id or name), all exact.
pub async fn filter_queues_teams_and_dispositions(store: &dyn Store) {
    let FilterFixture { tenant, .. } = filter_fixture(store).await;
    let queues = |v: &[&str]| Filter {
        queue_ids: strings(v),
        ..Filter::default()
    };
    let teams = |v: &[&str]| Filter {
        teams: strings(v),
        ..Filter::default()
    };
    let dispositions = |v: &[&str]| Filter {
        dispositions: strings(v),
        ..Filter::default()
    };
    #[rustfmt::skip]
    let cases: Vec<FilterCase> = vec![
        ("queue q-sales, also as a second queue", queues(&["q-sales"]), &["f01", "f03"]),
        ("queue q-billing or q-support", queues(&["q-billing", "q-support"]), &["f02", "f03", "f05", "f06"]),
        ("queue nobody visited", queues(&["q-none"]), &[]),
        ("team red", teams(&["team-red"]), &["f01", "f03"]),
        ("team blue or green", teams(&["team-blue", "team-green"]), &["f02", "f05", "f06"]),
        ("team Team-Red: exact match", teams(&["Team-Red"]), &[]),
        ("disposition id d-1", dispositions(&["d-1"]), &["f01"]),
        ("disposition name Sale", dispositions(&["Sale"]), &["f01", "f04"]),
        ("disposition name or id", dispositions(&["No answer", "d-2"]), &["f02", "f04"]),
        ("disposition sale: exact match", dispositions(&["sale"]), &[]),
    ];
    expect_matches(store, &tenant, cases).await;
}

/// `agents` matches agent participants by id, or by email ignoring case, and never other
/// roles; `participant_emails` matches any role, ignoring case.
pub async fn filter_agents_and_participant_emails(store: &dyn Store) {
    let FilterFixture { tenant, .. } = filter_fixture(store).await;
    let agents = |v: &[&str]| Filter {
        agents: strings(v),
        ..Filter::default()
    };
    let emails = |v: &[&str]| Filter {
        participant_emails: strings(v),
        ..Filter::default()
    };
    #[rustfmt::skip]
    let cases: Vec<FilterCase> = vec![
        ("agent id a-1", agents(&["a-1"]), &["f01", "f03"]),
        ("agent id A-1: ids are exact", agents(&["A-1"]), &[]),
        // f04's customer participant has this email too: not an agent.
        ("agent email in another case", agents(&["ALICE@corp.example"]), &["f01"]),
        ("agent by email or id", agents(&["dave@corp.example", "a-5"]), &["f03", "f06"]),
        ("a supervisor is no agent", agents(&["sup@corp.example"]), &[]),
        ("a customer is no agent", agents(&["bob@example.org"]), &[]),
        ("email of an agent and of a customer", emails(&["alice@CORP.example"]), &["f01", "f04"]),
        ("email of a supervisor", emails(&["SUP@corp.example"]), &["f03"]),
        ("email of a customer", emails(&["bob@example.org"]), &["f01"]),
        ("either email", emails(&["erin@corp.example", "carol@corp.example"]), &["f02", "f05"]),
        ("an email nobody has", emails(&["nobody@example.org"]), &[]),
    ];
    expect_matches(store, &tenant, cases).await;
}

/// `customer` matches phone numbers however they are written (read with the tenant's
/// country code), emails and other identifiers ignoring case, contact ids, and a customer
/// participant's calling number and email; never an agent's.
pub async fn filter_customer_identifiers(store: &dyn Store) {
    let FilterFixture { tenant, .. } = filter_fixture(store).await;
    let customer = |v: &[&str]| Filter {
        customer: strings(v),
        ..Filter::default()
    };
    #[rustfmt::skip]
    let cases: Vec<FilterCase> = vec![
        // Stored as "0197180171" on f01 and as "019-718-0171" on f06.
        ("phone with spaces", customer(&["019 718 0171"]), &["f01", "f06"]),
        ("phone as stored", customer(&["0197180171"]), &["f01", "f06"]),
        ("international form, country code 353", customer(&["+353 19 718 0171"]), &["f01", "f06"]),
        // Stored as "+353 1 234 5678" on f05.
        ("national form of an international number", customer(&["01 234 5678"]), &["f05"]),
        ("another phone", customer(&["0197180172"]), &[]),
        ("customer participant's calling number", customer(&["001 555 010 9999"]), &["f01"]),
        ("customer participant's email", customer(&["bob@example.org"]), &["f01"]),
        // f01's agent has this email too: not a customer identifier.
        ("a customer's email an agent also has", customer(&["alice@corp.example"]), &["f04"]),
        ("an agent's email", customer(&["dave@corp.example"]), &[]),
        ("customer email ignoring case", customer(&["melinda14@EXAMPLE.ORG"]), &["f02"]),
        ("account id ignoring case", customer(&["acc-123"]), &["f02"]),
        ("custom identifier ignoring case", customer(&["@somehandle"]), &["f03"]),
        ("contact id", customer(&["ct-9001"]), &["f04"]),
        ("either identifier", customer(&["acc-123", "CT-9001"]), &["f02", "f04"]),
    ];
    expect_matches(store, &tenant, cases).await;
}

/// Duration bounds are inclusive, use the recorded duration or else end minus start, and
/// never match an engagement without either.
pub async fn filter_duration_bounds_are_inclusive(store: &dyn Store) {
    let FilterFixture { tenant, .. } = filter_fixture(store).await;
    let between = |min: Option<u64>, max: Option<u64>| Filter {
        min_duration_ms: min,
        max_duration_ms: max,
        ..Filter::default()
    };
    #[rustfmt::skip]
    let cases: Vec<FilterCase> = vec![
        // f02 lasted 10 minutes but recorded 120000 ms: the recorded duration counts.
        ("at least 120000", between(Some(120_000), None), &["f01", "f02", "f05"]),
        ("at most 150000", between(None, Some(150_000)), &["f02", "f04", "f06"]),
        ("60000 to 300000 inclusive", between(Some(60_000), Some(300_000)), &["f01", "f02", "f04"]),
        ("exactly 300000, derived", between(Some(300_000), Some(300_000)), &["f01"]),
        ("at least 0: all with a duration", between(Some(0), None), &["f01", "f02", "f04", "f05", "f06"]),
        ("at most 0", between(None, Some(0)), &["f06"]),
        ("more than 300000", between(Some(300_001), None), &["f05"]),
        ("at most 599999", between(None, Some(599_999)), &["f01", "f02", "f04", "f06"]),
        ("an empty interval", between(Some(300_001), Some(300_000)), &[]),
    ];
    expect_matches(store, &tenant, cases).await;
}

/// `data` pairs compare string values, and the JSON text of numbers and booleans, exactly;
/// every pair must match.
pub async fn filter_data_pairs_must_all_match(store: &dyn Store) {
    let FilterFixture { tenant, .. } = filter_fixture(store).await;
    let data = |pairs: &[(&str, &str)]| Filter {
        data: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Filter::default()
    };
    #[rustfmt::skip]
    let cases: Vec<FilterCase> = vec![
        ("region emea", data(&[("region", "emea")]), &["f01", "f03"]),
        ("region EMEA: values are exact", data(&[("region", "EMEA")]), &["f06"]),
        ("priority 3, a number or a string", data(&[("priority", "3")]), &["f01", "f02", "f03"]),
        ("region emea, priority 3", data(&[("region", "emea"), ("priority", "3")]), &["f01", "f03"]),
        ("region apac, priority 3", data(&[("region", "apac"), ("priority", "3")]), &["f02"]),
        ("two values of one key", data(&[("region", "emea"), ("region", "apac")]), &[]),
        ("a boolean", data(&[("vip", "true")]), &["f04"]),
        ("an object is not a scalar", data(&[("nested", "{\"a\":1}")]), &[]),
        ("a key nobody has", data(&[("absent", "emea")]), &[]),
        ("a value under another key", data(&[("priority", "emea")]), &[]),
    ];
    expect_matches(store, &tenant, cases).await;
}

/// Set parts of a filter must all match.
pub async fn filters_combine_with_and(store: &dyn Store) {
    let FilterFixture { tenant, t0, u0 } = filter_fixture(store).await;
    let cases: Vec<FilterCase> = vec![
        (
            "completed and inbound",
            Filter {
                states: vec![State::Completed],
                directions: vec![Direction::Inbound],
                ..Filter::default()
            },
            &["f01", "f05"],
        ),
        (
            "voice, agent a-1, started before 2h",
            Filter {
                channel_types: vec![ChannelType::Voice],
                agents: strings(&["a-1"]),
                started: range(Some(t0), Some(plus(t0, 2 * HOUR))),
                ..Filter::default()
            },
            &["f01"],
        ),
        (
            "customer phone and team green",
            Filter {
                customer: strings(&["019 718 0171"]),
                teams: strings(&["team-green"]),
                ..Filter::default()
            },
            &["f06"],
        ),
        (
            "queue sales or billing, region emea",
            Filter {
                queue_ids: strings(&["q-sales", "q-billing"]),
                data: vec![("region".into(), "emea".into())],
                ..Filter::default()
            },
            &["f01", "f03"],
        ),
        (
            "successful and at least 100000 ms",
            Filter {
                outcomes: vec![Outcome::Successful],
                min_duration_ms: Some(100_000),
                ..Filter::default()
            },
            &["f01"],
        ),
        (
            "participant alice, disposition Sale, ended from 3h",
            Filter {
                participant_emails: strings(&["alice@corp.example"]),
                dispositions: strings(&["Sale"]),
                ended: range(Some(plus(t0, 3 * HOUR)), None),
                ..Filter::default()
            },
            &["f04"],
        ),
        (
            "customer phone, completed, updated before the second",
            Filter {
                customer: strings(&["019 718 0171"]),
                states: vec![State::Completed],
                updated: range(None, Some(plus(u0, HOUR))),
                ..Filter::default()
            },
            &["f01"],
        ),
        (
            "team red and outbound: nothing",
            Filter {
                teams: strings(&["team-red"]),
                directions: vec![Direction::Outbound],
                ..Filter::default()
            },
            &[],
        ),
        (
            "every part at once",
            Filter {
                started: range(Some(t0), Some(plus(t0, HOUR))),
                ended: range(Some(t0), None),
                updated: range(Some(u0), Some(plus(u0, HOUR))),
                states: vec![State::Completed, State::Active],
                outcomes: vec![Outcome::Successful],
                directions: vec![Direction::Inbound],
                channel_types: vec![ChannelType::Voice],
                channel_sources: strings(&["pstn"]),
                queue_ids: strings(&["q-sales"]),
                teams: strings(&["team-red"]),
                agents: strings(&["alice@corp.example"]),
                participant_emails: strings(&["bob@example.org"]),
                customer: strings(&["+353 19 718 0171"]),
                dispositions: strings(&["Sale"]),
                min_duration_ms: Some(300_000),
                max_duration_ms: Some(300_000),
                data: vec![
                    ("region".into(), "emea".into()),
                    ("priority".into(), "3".into()),
                ],
                expr: None,
                text: None,
            },
            &["f01"],
        ),
    ];
    expect_matches(store, &tenant, cases).await;
}

fn leaf(f: Filter) -> Expr {
    Expr::leaf(f)
}

fn not(x: Expr) -> Expr {
    Expr::Not(Box::new(x))
}

/// A filter of only an expression.
fn expr(x: Expr) -> Filter {
    Filter {
        expr: Some(x),
        ..Filter::default()
    }
}

/// An expression's leaves mean what the same filter means; `AND`, `OR` and `NOT` combine
/// them as booleans (a `NOT` also matches the engagements lacking the field), and the
/// expression combines with the filter's other parts by AND.
pub async fn filter_expressions_combine_with_and_or_not(store: &dyn Store) {
    let FilterFixture { tenant, t0, .. } = filter_fixture(store).await;
    let queue = |q: &str| {
        leaf(Filter {
            queue_ids: strings(&[q]),
            ..Filter::default()
        })
    };
    let agent = |a: &str| {
        leaf(Filter {
            agents: strings(&[a]),
            ..Filter::default()
        })
    };
    let unsuccessful = || {
        leaf(Filter {
            outcomes: vec![Outcome::Unsuccessful],
            ..Filter::default()
        })
    };
    let longer_than = |ms: u64| {
        leaf(Filter {
            min_duration_ms: Some(ms + 1),
            ..Filter::default()
        })
    };
    let all: &[&str] = &["f01", "f02", "f03", "f04", "f05", "f06", "f07"];
    let cases: Vec<FilterCase> = vec![
        (
            "queue billing OR agent a-2",
            expr(Expr::Or(vec![queue("q-billing"), agent("a-2")])),
            &["f02", "f05", "f06"],
        ),
        (
            "NOT unsuccessful keeps those without an outcome",
            expr(not(unsuccessful())),
            &["f01", "f03", "f04", "f06", "f07"],
        ),
        (
            "(queue sales OR agent carol) AND NOT unsuccessful",
            expr(Expr::And(vec![
                Expr::Or(vec![queue("q-sales"), agent("carol@corp.example")]),
                not(unsuccessful()),
            ])),
            &["f01", "f03"],
        ),
        (
            "NOT ended from t0: those without an end",
            expr(not(leaf(Filter {
                ended: range(Some(t0), None),
                ..Filter::default()
            }))),
            &["f03", "f07"],
        ),
        (
            "NOT longer than 100000 ms: shorter ones and those without a duration",
            expr(not(longer_than(100_000))),
            &["f03", "f04", "f06", "f07"],
        ),
        (
            "plain completed AND (outbound OR sms)",
            Filter {
                states: vec![State::Completed],
                expr: Some(Expr::Or(vec![
                    leaf(Filter {
                        directions: vec![Direction::Outbound],
                        ..Filter::default()
                    }),
                    leaf(Filter {
                        channel_types: vec![ChannelType::Sms],
                        ..Filter::default()
                    }),
                ])),
                ..Filter::default()
            },
            &["f02", "f05"],
        ),
        (
            "plain agent a-1 (a term walk) AND NOT team red",
            Filter {
                agents: strings(&["a-1"]),
                expr: Some(not(leaf(Filter {
                    teams: strings(&["team-red"]),
                    ..Filter::default()
                }))),
                ..Filter::default()
            },
            &[],
        ),
        (
            "customer phone OR data region apac",
            expr(Expr::Or(vec![
                leaf(Filter {
                    customer: strings(&["019 718 0171"]),
                    ..Filter::default()
                }),
                leaf(Filter {
                    data: vec![("region".into(), "apac".into())],
                    ..Filter::default()
                }),
            ])),
            &["f01", "f02", "f06"],
        ),
        (
            "NOT a customer never stored: everything",
            expr(not(leaf(Filter {
                customer: strings(&["nobody@nowhere.example"]),
                ..Filter::default()
            }))),
            all,
        ),
        (
            "NOT an empty range: everything",
            expr(not(leaf(Filter {
                started: range(Some(t0), Some(t0)),
                ..Filter::default()
            }))),
            all,
        ),
        ("an empty OR: nothing", expr(Expr::nothing()), &[]),
        (
            "NOT an empty OR: everything",
            expr(not(Expr::nothing())),
            all,
        ),
        (
            "NOT NOT queue support",
            expr(not(not(queue("q-support")))),
            &["f02", "f03"],
        ),
    ];
    expect_matches(store, &tenant, cases).await;
}

/// A filter at the size limit is served; one past it is refused as invalid (never a
/// backend failure).
pub async fn oversized_filters_are_refused_as_invalid(store: &dyn Store) {
    let t = new_tenant(store, "oversized", None).await;
    insert_all(
        store,
        &t,
        vec![eng("d", ts("2024-01-01T00:00:00Z"))
            .data("k0", json!("v0"))
            .normalized()],
    )
    .await;
    let at_limit = Filter {
        data: (0..crate::MAX_FILTER_VALUES)
            .map(|i| (format!("k{i}"), format!("v{i}")))
            .collect(),
        customer: (0..crate::MAX_FILTER_VALUES)
            .map(|i| format!("c{i}"))
            .collect(),
        ..Filter::default()
    };
    assert_eq!(count(store, &t, &at_limit).await, 0);
    let q = Query {
        filter: at_limit,
        ..Query::default()
    };
    assert!(list(store, &t, &q).await.items.is_empty());

    for over in [
        Filter {
            data: (0..1000)
                .map(|i| (format!("k{i}"), "v".to_owned()))
                .collect(),
            ..Filter::default()
        },
        Filter {
            queue_ids: (0..1000).map(|i| format!("q{i}")).collect(),
            ..Filter::default()
        },
        expr(Expr::Or(
            (0..=crate::MAX_EXPR_LEAVES)
                .map(|i| {
                    leaf(Filter {
                        teams: vec![format!("t{i}")],
                        ..Filter::default()
                    })
                })
                .collect(),
        )),
        expr((0..crate::MAX_EXPR_DEPTH).fold(Expr::nothing(), |x, _| not(x))),
    ] {
        let counted = store.count(&t, &over, None).await;
        assert!(
            matches!(counted, Err(StoreError::Invalid(_))),
            "{counted:?}"
        );
        let listed = store
            .list(
                &t,
                &Query {
                    filter: over,
                    ..Query::default()
                },
            )
            .await;
        assert!(matches!(listed, Err(StoreError::Invalid(_))), "{listed:?}");
    }
}
