//! The behaviour every [`Store`] backend must have, as a suite of tests.
//!
//! A backend runs the whole suite from one integration test:
//!
//! ```text
//! // crates/store-sqlite/tests/conformance.rs
//! interlog_store::conformance_tests!(crate::fresh_store().await);
//! ```
//!
//! The macro expands to one `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`
//! per case, so the backend needs `tokio` (features `macros` and `rt-multi-thread`) as a
//! dev-dependency. The expression is evaluated once in every test, so each test gets a fresh,
//! empty store. It must give a [`Fixture`]: an `Arc<Backend>`, an `Arc<dyn Store>`, or a
//! guard of the backend's own (e.g. a store with its temporary directory) that implements
//! [`Fixture`]. The value lives until its test ends.
//!
//! Every case is also a plain `pub async fn` taking the store (`&dyn Store`, or
//! `Arc<dyn Store>` for the cases that spawn tasks), so a backend can call cases directly.
//! Each case creates its own tenants, with keys unique to the process.
//!
//! # Where the trait's documentation leaves a choice, the suite decides
//!
//! - Derived values count: filters and sorts use [`Engagement::effective_duration_ms`] (an
//!   explicit `duration_ms` wins over end minus start) and [`Engagement::effective_state`]
//!   (no state: `completed` once ended, else `active`), whether or not the engagement was
//!   normalized before it was written.
//! - An engagement without an end never matches a set `ended` range, and one without a
//!   duration never matches a duration bound, whatever sentinel the backend sorts them by.
//! - `channel_types` matches when any of the engagement's channels has one of the types.
//! - Ids, queue ids, teams, channel sources, dispositions and `data` values match exactly
//!   (case-sensitively); only emails and customer identifiers ignore case, as
//!   [`crate::terms`] computes them. Customer phone numbers are read with the tenant's
//!   country code, on both the stored and the searched side.
//! - `get_many` returns one item per requested id that exists, so a repeated id is repeated.
//! - A page with items has `has_more` exactly when it has `next`; such a page is full
//!   (`limit` items) and `next` is the position of its last item, also for offset pages;
//!   following it with [`Start::After`] continues the listing. `total`, when asked for,
//!   counts every match, not only those after the start.
//! - A page with `limit: 0` has no items and no `next`; its `has_more` tells whether any
//!   match follows the start (for `First`, whether anything matches; for `Offset(n)`,
//!   whether more than `n` match; for `After(p)`, whether a match sorts after `p`).
//! - Tenant aliases are looked up exactly, and only in their own dialect's namespace.
//! - An upsert after a delete creates the engagement afresh (no tombstone makes it stale).
//! - `update` may or may not bump `updated_at`; the suite compares everything else.
//! - A client id is unique across tenants: a second client with a taken id is a
//!   [`StoreError::Conflict`] even in another tenant.
//! - The tenant, client and user a `create_*` call returns equal what reads return later.

use crate::{
    sort_value, Activity, ChangeKind, ClientRole, DeleteReason, EditRejected, Filter, Identifier,
    LinkedIdentifier, NewClient, NewTenant, NewUser, Page, Position, Query, Record, Sort, SortDir,
    SortKey, Start, Store, StoreError, StoredEngagement, Tenant, TimeRange, UpsertOutcome,
    CHANGES_TOPIC, NO_DURATION, NO_END,
};
use interlog_model::{
    AutomationType, Channel, ChannelType, Customer, Direction, Disposition, Engagement, Flow,
    IndexMap, Media, Message, MessageSender, Note, Outcome, Participant, QueueVisit, QueueWaitType,
    Recording, Release, Role, SourcePlatform, State, Timestamp, Timings, Transfer, TransferMode,
    TransferType,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

// --- the harness ---------------------------------------------------------------------------

/// What a backend's test hands the suite: one fresh, empty store.
pub trait Fixture {
    /// The store, for the cases that borrow it.
    fn store(&self) -> &dyn Store;
    /// A shared handle on the same store, for the cases that spawn tasks.
    fn shared(&self) -> Arc<dyn Store>;
}

impl<S: Store> Fixture for Arc<S> {
    fn store(&self) -> &dyn Store {
        &**self
    }

    fn shared(&self) -> Arc<dyn Store> {
        Arc::clone(self) as Arc<dyn Store>
    }
}

impl Fixture for Arc<dyn Store> {
    fn store(&self) -> &dyn Store {
        &**self
    }

    fn shared(&self) -> Arc<dyn Store> {
        Arc::clone(self)
    }
}

/// Expands to one `#[tokio::test]` per conformance case; each test evaluates `$fixture` (a
/// [`conformance::Fixture`](crate::conformance::Fixture)) to get a fresh store.
///
/// ```text
/// interlog_store::conformance_tests!(crate::fresh_store().await);
/// ```
#[macro_export]
macro_rules! conformance_tests {
    (@borrowed ($fixture:expr) $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $fixture;
                $crate::conformance::$case($crate::conformance::Fixture::store(&fixture)).await;
            }
        )+
    };
    (@shared ($fixture:expr) $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $fixture;
                $crate::conformance::$case($crate::conformance::Fixture::shared(&fixture)).await;
            }
        )+
    };
    ($fixture:expr $(,)?) => {
        $crate::conformance_tests!(@borrowed ($fixture)
            identity_links_join_customers_and_unlink,
            records_expire_and_take_once,
            tenants_are_created_found_listed_and_unique,
            clients_and_users_are_stored_and_scoped,
            upsert_round_trips_every_field,
            upsert_replays_are_idempotent_and_never_regress,
            upsert_many_reports_each_outcome_in_order,
            create_refuses_an_existing_id,
            update_applies_edits_atomically,
            get_many_keeps_order_and_skips_missing,
            delete_removes_from_every_read,
            filter_time_ranges_are_half_open,
            filter_states_outcomes_directions_and_channels,
            filter_queues_teams_and_dispositions,
            filter_agents_and_participant_emails,
            filter_customer_identifiers,
            filter_duration_bounds_are_inclusive,
            filter_data_pairs_must_all_match,
            filters_combine_with_and,
            sorts_break_ties_by_id_in_the_same_direction,
            keyset_paging_has_no_gaps_or_duplicates,
            offset_paging_matches_the_sorted_slice,
            keyset_paging_survives_concurrent_writes,
            tenants_are_isolated,
            oversized_filters_are_refused_as_invalid,
            the_change_feed_shows_each_write_once_at_its_latest_position,
            deletions_leave_tombstones_with_their_reason,
            tombstones_past_the_horizon_are_trimmed,
            notifications_reach_the_topics_subscribers,
            activity_counts_days_of_the_tenants_zone_by_channel_and_outcome,
        );
        $crate::conformance_tests!(@shared ($fixture)
            concurrent_upserts_are_all_durable,
            concurrent_updates_lose_no_edit,
            settings_are_per_tenant_and_edited_atomically,
            a_feed_reader_sees_every_concurrent_write_once_and_in_order,
        );
    };
}

// --- time -------------------------------------------------------------------------------

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// How far the store's clock may be from the test's when it stamps `updated_at`.
const CLOCK_SLACK: i64 = 10 * MINUTE;

/// How long a case waits for spawned work before calling the backend stuck.
const TASK_DEADLINE: Duration = Duration::from_secs(120);

fn ts(s: &str) -> Timestamp {
    s.parse()
        .unwrap_or_else(|e| panic!("bad timestamp {s:?}: {e}"))
}

/// `t` moved by `delta` milliseconds.
fn plus(t: Timestamp, delta: i64) -> Timestamp {
    Timestamp::from_millisecond(t.as_millisecond() + delta).expect("timestamp in range")
}

// --- tenants ------------------------------------------------------------------------------

/// A key no other tenant in this process (or, practically, this store) has.
fn unique_key(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let clock = Timestamp::now().as_nanosecond().rem_euclid(1 << 40);
    format!("{prefix}-{clock:x}-{n}")
}

async fn new_tenant(store: &dyn Store, prefix: &str, country_code: Option<&str>) -> Tenant {
    store
        .create_tenant(NewTenant {
            key: unique_key(prefix),
            name: format!("Conformance {prefix}"),
            time_zone: "Europe/Dublin".into(),
            country_code: country_code.map(Into::into),
            aliases: Vec::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("create_tenant({prefix}): {e:?}"))
}

// --- building engagements -----------------------------------------------------------------

/// Builds the engagements of a case, field by field. `build` leaves the engagement as
/// written (derived fields absent); `normalized` fills them in as ingest does.
#[derive(Debug, Clone)]
struct Builder(Engagement);

fn eng(id: &str, started_at: Timestamp) -> Builder {
    Builder(Engagement {
        id: id.into(),
        started_at,
        ..Engagement::default()
    })
}

impl Builder {
    fn ended(mut self, t: Timestamp) -> Self {
        self.0.ended_at = Some(t);
        self
    }

    /// Ends `ms` milliseconds after the start.
    fn lasting(self, ms: i64) -> Self {
        let end = plus(self.0.started_at, ms);
        self.ended(end)
    }

    fn updated(mut self, t: Timestamp) -> Self {
        self.0.updated_at = Some(t);
        self
    }

    fn duration(mut self, ms: u64) -> Self {
        self.0.duration_ms = Some(ms);
        self
    }

    fn state(mut self, s: State) -> Self {
        self.0.state = Some(s);
        self
    }

    fn outcome(mut self, o: Outcome) -> Self {
        self.0.outcome = Some(o);
        self
    }

    fn direction(mut self, d: Direction) -> Self {
        self.0.direction = Some(d);
        self
    }

    fn channel(mut self, kind: ChannelType, source: &str) -> Self {
        self.0.channels.push(Channel {
            kind,
            id: None,
            source: Some(source.into()),
            media: None,
        });
        self
    }

    fn queue(mut self, id: &str) -> Self {
        self.0.queues.push(QueueVisit::new(id));
        self
    }

    fn team(mut self, team: &str) -> Self {
        self.0.team = Some(team.into());
        self
    }

    fn subject(mut self, subject: &str) -> Self {
        self.0.subject = Some(subject.into());
        self
    }

    fn agent(mut self, id: Option<&str>, email: Option<&str>) -> Self {
        let mut p = Participant::new(Role::Agent);
        p.id = id.map(Into::into);
        p.email = email.map(Into::into);
        self.0.participants.push(p);
        self
    }

    fn participant(mut self, role: Role, email: &str) -> Self {
        let mut p = Participant::new(role);
        p.email = Some(email.into());
        self.0.participants.push(p);
        self
    }

    fn customer_participant(mut self, email: Option<&str>, calling_number: Option<&str>) -> Self {
        let mut p = Participant::new(Role::Customer);
        p.email = email.map(Into::into);
        p.calling_number = calling_number.map(Into::into);
        self.0.participants.push(p);
        self
    }

    fn phone(mut self, phone: &str) -> Self {
        self.0.customer.phones.push(phone.into());
        self
    }

    fn email(mut self, email: &str) -> Self {
        self.0.customer.emails.push(email.into());
        self
    }

    fn account(mut self, account: &str) -> Self {
        self.0.customer.account_ids.push(account.into());
        self
    }

    fn custom(mut self, kind: &str, value: &str) -> Self {
        self.0
            .customer
            .custom
            .entry(kind.into())
            .or_default()
            .push(value.into());
        self
    }

    fn contact(mut self, contact_id: &str) -> Self {
        self.0.customer.contact_id = Some(contact_id.into());
        self
    }

    fn disposition(mut self, id: Option<&str>, name: Option<&str>) -> Self {
        self.0.dispositions.push(Disposition {
            id: id.map(Into::into),
            name: name.map(Into::into),
        });
        self
    }

    fn data(mut self, key: &str, value: Value) -> Self {
        self.0.data.insert(key.into(), value);
        self
    }

    fn build(self) -> Engagement {
        self.0
    }

    fn normalized(self) -> Engagement {
        let mut e = self.0;
        e.normalize();
        e
    }
}

/// An engagement with every field of the model set, most of them to awkward values (nested
/// JSON, keys out of alphabetical order, unicode, quotes, big numbers). Written as full
/// struct literals so a field added to the model fails to compile here until it is covered.
fn full_engagement(id: &str) -> Engagement {
    let t0 = ts("2024-05-06T07:08:09.123Z");
    let at = |ms: i64| Some(plus(t0, ms));
    let mut custom = IndexMap::new();
    custom.insert(
        "twitterHandles".to_string(),
        vec!["@someHandle".to_string(), "@other".to_string()],
    );
    custom.insert("loyaltyIds".to_string(), vec!["LOY-9".to_string()]);
    let mut data = IndexMap::new();
    data.insert("zeta".to_string(), json!("written first, sorts last"));
    data.insert(
        "alpha".to_string(),
        json!({"zulu": {"deep": [1, 2, {"x": null, "a": "b"}]}, "bravo": true}),
    );
    data.insert("count".to_string(), json!(42));
    data.insert("big".to_string(), json!(u64::MAX));
    data.insert("negative".to_string(), json!(-7));
    data.insert("ratio".to_string(), json!(0.25));
    data.insert("flag".to_string(), json!(false));
    data.insert("nothing".to_string(), Value::Null);
    data.insert("list".to_string(), json!(["b", "a", 3]));
    data.insert(
        "text".to_string(),
        json!("Ünïcödé ✓ 中文 \"quoted\" back\\slash\nnewline\ttab 😀"),
    );
    Engagement {
        id: id.into(),
        source: Some(SourcePlatform::GenesysGws),
        source_type: Some("Facebook".into()),
        source_address: Some("@someSocialMediaAccount".into()),
        started_at: t0,
        ended_at: at(754_321),
        updated_at: at(DAY),
        duration_ms: Some(754_321),
        state: Some(State::Completed),
        outcome: Some(Outcome::Successful),
        release: Some(Release::Connected),
        reason: Some("customer's issue resolved".into()),
        direction: Some(Direction::Inbound),
        channels: vec![
            Channel {
                kind: ChannelType::Voice,
                id: Some("Voice".into()),
                source: Some("pstn".into()),
                media: Some(Media::Audio),
            },
            Channel {
                kind: ChannelType::Chat,
                id: Some("Chat".into()),
                source: Some("web_chat".into()),
                media: Some(Media::Text),
            },
        ],
        participants: vec![
            Participant {
                id: Some("cust-77".into()),
                username: Some("melinda".into()),
                email: Some("Melinda14@Example.org".into()),
                display_name: Some("Melinda Ó Súilleabháin".into()),
                first_name: Some("Melinda".into()),
                last_name: Some("Ó Súilleabháin".into()),
                joined_at: at(0),
                left_at: at(754_321),
                calling_number: Some("+353 19 718 0171".into()),
                dialled_number: Some("1800 123 456".into()),
                dialog_id: Some("dlg-1".into()),
                channel_id: Some("Voice".into()),
                channel_type: Some(ChannelType::Voice),
                source_type: Some("Facebook".into()),
                source_address: Some("@melinda".into()),
                ..Participant::new(Role::Customer)
            },
            Participant {
                role: Role::Agent,
                id: Some("agent-9".into()),
                username: Some("asmith".into()),
                email: Some("Agent.Smith@Corp.Example".into()),
                display_name: Some("Agent Smith".into()),
                first_name: Some("Agent".into()),
                last_name: Some("Smith".into()),
                joined_at: at(30_000),
                left_at: at(754_000),
                calling_number: Some("+353 1 555 0000".into()),
                dialled_number: Some("+353 19 718 0171".into()),
                extension: Some("4411".into()),
                dialog_id: Some("dlg-2".into()),
                channel_id: Some("Voice".into()),
                channel_type: Some(ChannelType::Voice),
                automation_type: None,
                source_type: Some("desktop".into()),
                source_address: Some("seat-12".into()),
                owner: true,
            },
            Participant {
                id: Some("bot-1".into()),
                display_name: Some("Main IVR".into()),
                joined_at: at(0),
                left_at: at(29_999),
                channel_id: Some("Voice".into()),
                channel_type: Some(ChannelType::Voice),
                automation_type: Some(AutomationType::SelfService),
                ..Participant::new(Role::Automation)
            },
        ],
        customer: Customer {
            contact_id: Some("CT-9001".into()),
            phones: vec!["0197180171".into(), "+1 (555) 010-9999".into()],
            emails: vec!["Melinda14@Example.org".into()],
            account_ids: vec!["ACC-123".into()],
            custom,
        },
        queues: vec![QueueVisit {
            id: "q-sales".into(),
            name: Some("Sales (EMEA)".into()),
            channel_id: Some("Voice".into()),
            priority: Some(5),
            rank: Some(1),
            proficiency_min: Some(2),
            proficiency_max: Some(8),
            queued_at: at(25_000),
            accepted_at: at(30_000),
            agent_id: Some("agent-9".into()),
            wait_type: Some(QueueWaitType::Callback),
        }],
        team: Some("team-red".into()),
        timings: Timings {
            wait_ms: Some(5_000),
            talk_ms: Some(600_000),
            flow_ms: Some(25_000),
            handling_ms: Some(724_000),
            wrap_up_ms: Some(124_000),
        },
        transfers: vec![Transfer {
            kind: TransferType::ToQueue,
            mode: Some(TransferMode::Warm),
            at: at(400_000),
            from_agent_id: Some("agent-9".into()),
            to_agent_id: Some("agent-10".into()),
            to_agent_name: Some("Agent Ten".into()),
            to_agent_joined_at: at(410_000),
            to_number: Some("+353 1 555 0001".into()),
            to_flow_id: Some("flow-2".into()),
            to_flow_name: Some("Escalation".into()),
            queue_id: Some("q-escalation".into()),
            queue_name: Some("Escalation".into()),
            fallback_queue_id: Some("q-fallback".into()),
            channel_id: Some("Voice".into()),
            channel_provider_id: Some("provider-1".into()),
            connection_id: Some("conn-1".into()),
            dialog_id: Some("dlg-3".into()),
            provider_dialog_id: Some("pdlg-3".into()),
            correlation_id: Some("corr-1".into()),
            description: Some("warm transfer to escalation".into()),
        }],
        recordings: vec![Recording {
            id: Some("rec-1".into()),
            uri: Some("https://recordings.example/rec-1.wav?sig=a%2Fb&x=1".into()),
            user: Some("agent.smith@corp.example".into()),
            created_at: at(754_500),
            duration_ms: Some(724_000),
            size_bytes: Some(11_584_000),
            media: Some(Media::AudioVideo),
        }],
        dispositions: vec![
            Disposition {
                id: Some("d-1".into()),
                name: Some("Sale".into()),
            },
            Disposition {
                id: None,
                name: Some("Follow-up".into()),
            },
        ],
        notes: vec![Note {
            id: Some("note-1".into()),
            text: format!("Line one\nLine two — «quoted» {}", "x".repeat(5_000)),
            author_id: Some("agent-9".into()),
            author_name: Some("Agent Smith".into()),
            created_at: at(760_000),
            updated_at: at(770_000),
            updated_by_id: Some("sup-1".into()),
            updated_by_name: Some("Supervisor One".into()),
            read_only: true,
        }],
        messages: vec![
            Message {
                index: 1,
                at: plus(t0, 1_000),
                kind: "ParticipantJoined".into(),
                text: None,
                visibility: Some("All".into()),
                sender: Some(MessageSender {
                    nickname: Some("Melinda".into()),
                    role: Some(Role::Customer),
                    participant_id: Some("cust-77".into()),
                }),
            },
            Message {
                index: 2,
                at: plus(t0, 2_000),
                kind: "Message".into(),
                text: Some("Hello, <b>agent</b> & co.".into()),
                visibility: Some("Int".into()),
                sender: Some(MessageSender {
                    nickname: None,
                    role: Some(Role::Agent),
                    participant_id: Some("agent-9".into()),
                }),
            },
        ],
        subject: Some("Billing question".into()),
        topics: vec!["billing".into(), "refund".into()],
        attributes: vec!["Broadband.billing".into(), "Language.English".into()],
        data,
        raw_context: Some("order=42; tier=gold".into()),
        parent_id: Some("parent-1".into()),
        flows: vec![Flow {
            id: "flow-1".into(),
            name: Some("Main menu".into()),
            version: Some("3.2".into()),
        }],
    }
}

// --- reading back -------------------------------------------------------------------------

/// The engagement a stored item holds, checking that the item's id is the engagement's.
fn parse(item: &StoredEngagement) -> Engagement {
    let e = item
        .engagement()
        .unwrap_or_else(|err| panic!("stored JSON of {} does not parse: {err}", item.id));
    assert_eq!(
        item.id, e.id,
        "a stored item's id must be its engagement's id"
    );
    e
}

fn ids(items: &[StoredEngagement]) -> Vec<String> {
    items.iter().map(|i| i.id.clone()).collect()
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

async fn get(store: &dyn Store, tenant: &Tenant, id: &str) -> Option<StoredEngagement> {
    store
        .get(tenant, id)
        .await
        .unwrap_or_else(|e| panic!("get({id}): {e:?}"))
}

async fn get_engagement(store: &dyn Store, tenant: &Tenant, id: &str) -> Engagement {
    let item = get(store, tenant, id)
        .await
        .unwrap_or_else(|| panic!("engagement {id} should exist"));
    parse(&item)
}

async fn count(store: &dyn Store, tenant: &Tenant, filter: &Filter) -> u64 {
    store
        .count(tenant, filter)
        .await
        .unwrap_or_else(|e| panic!("count({filter:?}): {e:?}"))
}

async fn upsert(store: &dyn Store, tenant: &Tenant, e: Engagement) -> UpsertOutcome {
    let id = e.id.clone();
    store
        .upsert(tenant, e)
        .await
        .unwrap_or_else(|err| panic!("upsert({id}): {err:?}"))
}

/// Writes engagements that are all new, in batches.
async fn insert_all(store: &dyn Store, tenant: &Tenant, engagements: Vec<Engagement>) {
    let mut rest = engagements;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(50));
        let n = rest.len();
        let outcomes = store
            .upsert_many(tenant, rest)
            .await
            .unwrap_or_else(|e| panic!("upsert_many: {e:?}"));
        assert_eq!(outcomes, vec![UpsertOutcome::Created; n], "new engagements");
        rest = tail;
    }
}

/// The stored engagements with these ids, as the store holds them (with `updated_at`
/// stamped and whatever else it filled in).
async fn stored_all(store: &dyn Store, tenant: &Tenant, ids: &[String]) -> Vec<Engagement> {
    let items = store
        .get_many(tenant, ids)
        .await
        .unwrap_or_else(|e| panic!("get_many: {e:?}"));
    assert_eq!(items.len(), ids.len(), "every engagement written is stored");
    items.iter().map(parse).collect()
}

/// The engagement with `updated_at` removed, for comparing what a store may re-stamp.
fn without_updated_at(mut e: Engagement) -> Engagement {
    e.updated_at = None;
    e
}

// --- listing ------------------------------------------------------------------------------

fn query(filter: Filter, sort: Sort, limit: u32) -> Query {
    Query {
        filter,
        sort,
        start: Start::First,
        limit,
        with_total: false,
    }
}

const ALL_SORTS: [Sort; 8] = {
    const fn s(key: SortKey, dir: SortDir) -> Sort {
        Sort { key, dir }
    }
    [
        s(SortKey::StartedAt, SortDir::Asc),
        s(SortKey::StartedAt, SortDir::Desc),
        s(SortKey::EndedAt, SortDir::Asc),
        s(SortKey::EndedAt, SortDir::Desc),
        s(SortKey::Duration, SortDir::Asc),
        s(SortKey::Duration, SortDir::Desc),
        s(SortKey::UpdatedAt, SortDir::Asc),
        s(SortKey::UpdatedAt, SortDir::Desc),
    ]
};

fn sort_of(key: SortKey, dir: SortDir) -> Sort {
    Sort { key, dir }
}

/// The position a listing sorted by `key` gives `item`.
fn position(item: &StoredEngagement, key: SortKey) -> Position {
    Position {
        value: sort_value(&parse(item), key),
        id: item.id.clone(),
    }
}

/// The ids of `engagements` in the order `sort` lists them: by sort value, ties by id, both
/// in the sort's direction.
fn expected_order(engagements: &[Engagement], sort: Sort) -> Vec<String> {
    let mut keyed: Vec<(i64, &str)> = engagements
        .iter()
        .map(|e| (sort_value(e, sort.key), e.id.as_str()))
        .collect();
    keyed.sort();
    if sort.dir == SortDir::Desc {
        keyed.reverse();
    }
    keyed.into_iter().map(|(_, id)| id.to_string()).collect()
}

fn assert_in_order(items: &[StoredEngagement], sort: Sort, context: &str) {
    let keys: Vec<(i64, String)> = items
        .iter()
        .map(|i| (sort_value(&parse(i), sort.key), i.id.clone()))
        .collect();
    for w in keys.windows(2) {
        let in_order = match sort.dir {
            SortDir::Asc => w[0] < w[1],
            SortDir::Desc => w[0] > w[1],
        };
        assert!(
            in_order,
            "{context}: {:?} is listed before {:?}, against {sort:?} (ties by id)",
            w[0], w[1]
        );
    }
}

/// Checks what every page with `limit > 0` must satisfy: at most `limit` items in order,
/// `has_more` exactly when there is a `next`, and when more follow, a full page whose `next`
/// is its last item's position.
fn check_page(page: &Page, q: &Query, context: &str) {
    assert!(q.limit > 0);
    assert!(
        page.items.len() <= q.limit as usize,
        "{context}: {} items on a page of {}",
        page.items.len(),
        q.limit
    );
    assert_in_order(&page.items, q.sort, context);
    assert_eq!(
        page.has_more(),
        page.next.is_some(),
        "{context}: a page of items has more exactly when it has a `next` ({} items, next {:?})",
        page.items.len(),
        page.next
    );
    if let Some(next) = &page.next {
        assert_eq!(
            page.items.len(),
            q.limit as usize,
            "{context}: a page followed by more matches must be full"
        );
        let last = page.items.last().expect("a full page has a last item");
        assert_eq!(
            next,
            &position(last, q.sort.key),
            "{context}: `next` must be the position of the page's last item"
        );
    }
}

async fn list(store: &dyn Store, tenant: &Tenant, q: &Query) -> Page {
    store
        .list(tenant, q)
        .await
        .unwrap_or_else(|e| panic!("list({q:?}): {e:?}"))
}

/// Every match of `query`, following `next` from its start until a page says nothing
/// follows.
async fn list_all(store: &dyn Store, tenant: &Tenant, query: &Query) -> Vec<StoredEngagement> {
    let mut q = query.clone();
    let mut out: Vec<StoredEngagement> = Vec::new();
    for page_no in 0..10_000 {
        let context = format!(
            "page {page_no} of {:?} with limit {} ({:?})",
            q.sort, q.limit, q.filter
        );
        let page = list(store, tenant, &q).await;
        check_page(&page, &q, &context);
        out.extend(page.items);
        match page.next {
            Some(next) => q.start = Start::After(next),
            None => {
                assert_in_order(&out, q.sort, &format!("all pages of {context}"));
                return out;
            }
        }
    }
    panic!("a listing of {query:?} did not end after 10,000 pages");
}

async fn list_all_ids(store: &dyn Store, tenant: &Tenant, query: &Query) -> Vec<String> {
    ids(&list_all(store, tenant, query).await)
}

// --- 1. tenants -------------------------------------------------------------------------------

/// Tenants are created with what was asked, found by key, listed, and their keys are unique.
pub async fn tenants_are_created_found_listed_and_unique(store: &dyn Store) {
    let before = store.tenants().await.expect("tenants");

    let wanted_a = NewTenant {
        key: unique_key("acme"),
        name: "Acme Contact Center".into(),
        time_zone: "Europe/Dublin".into(),
        country_code: Some("353".into()),
        aliases: vec![
            ("avaya_axp".into(), "ACMEEU".into()),
            ("zoom_cc".into(), "acme-zoom".into()),
        ],
    };
    let a = store
        .create_tenant(wanted_a.clone())
        .await
        .expect("create tenant a");
    assert_eq!(a.key, wanted_a.key);
    assert_eq!(a.name, wanted_a.name);
    assert_eq!(a.time_zone, wanted_a.time_zone);
    assert_eq!(a.country_code, wanted_a.country_code);
    assert_eq!(a.aliases, wanted_a.aliases);

    let wanted_b = NewTenant {
        key: unique_key("globex"),
        name: "Globex".into(),
        time_zone: "America/New_York".into(),
        country_code: None,
        aliases: Vec::new(),
    };
    let b = store
        .create_tenant(wanted_b.clone())
        .await
        .expect("create tenant b");
    assert_eq!(b.key, wanted_b.key);
    assert_eq!(b.country_code, None);
    assert!(b.aliases.is_empty());
    assert_ne!(a.id, b.id, "tenants get distinct ids");

    assert_eq!(
        store.tenant(&a.key).await.expect("tenant a"),
        Some(a.clone())
    );
    assert_eq!(
        store.tenant(&b.key).await.expect("tenant b"),
        Some(b.clone())
    );
    assert_eq!(
        store.tenant_by_id(a.id).await.expect("tenant a by id"),
        Some(a.clone())
    );
    assert_eq!(
        store.tenant_by_id(b.id).await.expect("tenant b by id"),
        Some(b.clone())
    );
    let unused_id = before
        .iter()
        .chain([&a, &b])
        .map(|t| t.id)
        .max()
        .unwrap_or(0)
        + 1_000;
    assert_eq!(
        store.tenant_by_id(unused_id).await.expect("unknown id"),
        None
    );

    let alias = |dialect: &'static str, name: &'static str| async move {
        store
            .tenant_by_alias(dialect, name)
            .await
            .unwrap_or_else(|e| panic!("tenant_by_alias({dialect}, {name}): {e:?}"))
    };
    assert_eq!(alias("avaya_axp", "ACMEEU").await, Some(a.clone()));
    assert_eq!(alias("zoom_cc", "acme-zoom").await, Some(a.clone()));
    assert_eq!(
        alias("zoom_cc", "ACMEEU").await,
        None,
        "an alias answers only in its own dialect"
    );
    assert_eq!(alias("avaya_axp", "NOSUCH").await, None);

    let after = store.tenants().await.expect("tenants");
    assert_eq!(after.len(), before.len() + 2, "two tenants were added");
    for t in before.iter().chain([&a, &b]) {
        assert!(after.contains(t), "tenants() lists {t:?}");
    }

    let duplicate = store
        .create_tenant(NewTenant {
            name: "Someone else".into(),
            ..wanted_a.clone()
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "a taken key is a conflict, got {duplicate:?}"
    );
    assert_eq!(
        store.tenant(&a.key).await.expect("tenant a"),
        Some(a.clone()),
        "a refused duplicate changes nothing"
    );
    assert_eq!(
        store.tenants().await.expect("tenants").len(),
        before.len() + 2
    );

    let unknown = unique_key("nobody");
    assert_eq!(store.tenant(&unknown).await.expect("unknown tenant"), None);
}

// --- 2. clients and users ---------------------------------------------------------------------

/// Clients are found by their global id; users by username within their tenant only.
pub async fn clients_and_users_are_stored_and_scoped(store: &dyn Store) {
    let a = new_tenant(store, "clients-a", None).await;
    let b = new_tenant(store, "clients-b", None).await;

    let id_a = unique_key("client");
    let wanted = NewClient {
        client_id: id_a.clone(),
        secret_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        role: ClientRole::Agent,
        scopes: vec!["engagements:read".into(), "engagements:write".into()],
        credentials: BTreeMap::from([(
            "app_key".to_owned(),
            "$argon2id$v=19$m=19456,t=2,p=1$YXBwa2V5$a2V5aGFzaA".to_owned(),
        )]),
    };
    let client_a = store
        .create_client(&a, wanted.clone())
        .await
        .expect("create client");
    assert_eq!(client_a.client_id, wanted.client_id);
    assert_eq!(client_a.tenant_id, a.id);
    assert_eq!(client_a.secret_hash, wanted.secret_hash);
    assert_eq!(client_a.role, wanted.role);
    assert_eq!(client_a.scopes, wanted.scopes);
    assert_eq!(client_a.credentials, wanted.credentials);
    assert_eq!(
        store.client(&id_a).await.expect("client"),
        Some(client_a.clone())
    );

    let id_b = unique_key("client");
    let client_b = store
        .create_client(
            &b,
            NewClient {
                client_id: id_b.clone(),
                secret_hash: "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXI$b3RoZXI".into(),
                role: ClientRole::Reader,
                scopes: Vec::new(),
                credentials: BTreeMap::new(),
            },
        )
        .await
        .expect("create client in b");
    assert_eq!(client_b.tenant_id, b.id);
    assert!(client_b.credentials.is_empty());
    assert_eq!(
        store.client(&id_b).await.expect("client b"),
        Some(client_b),
        "client lookup needs no tenant: ids are global"
    );

    let taken = store
        .create_client(
            &b,
            NewClient {
                client_id: id_a.clone(),
                ..wanted.clone()
            },
        )
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict(_))),
        "client ids are unique across tenants, got {taken:?}"
    );
    assert_eq!(
        store
            .client(&id_a)
            .await
            .expect("client")
            .map(|c| c.tenant_id),
        Some(a.id),
        "the refused client changed nothing"
    );
    assert_eq!(
        store
            .client(&unique_key("no-client"))
            .await
            .expect("client"),
        None
    );

    let alice = NewUser {
        username: "alice".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$YWxpY2U$YWxpY2U".into(),
        email: Some("alice@acme.example".into()),
        display_name: Some("Alice Ní Bhriain".into()),
        role: ClientRole::Admin,
    };
    let alice_a = store
        .create_user(&a, alice.clone())
        .await
        .expect("create user");
    assert_eq!(alice_a.tenant_id, a.id);
    assert_eq!(alice_a.username, "alice");
    assert_eq!(alice_a.password_hash, alice.password_hash);
    assert_eq!(alice_a.email, alice.email);
    assert_eq!(alice_a.display_name, alice.display_name);
    assert_eq!(alice_a.role, ClientRole::Admin);
    assert_eq!(
        store.user(&a, "alice").await.expect("user"),
        Some(alice_a.clone())
    );
    assert_eq!(
        store.user(&b, "alice").await.expect("user"),
        None,
        "users are found only in their tenant"
    );

    let alice_b = store
        .create_user(
            &b,
            NewUser {
                username: "alice".into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$Yg$Yg".into(),
                email: None,
                display_name: None,
                role: ClientRole::Reader,
            },
        )
        .await
        .expect("the same username in another tenant is fine");
    assert_eq!(alice_b.tenant_id, b.id);
    assert_ne!(alice_b.id, alice_a.id, "users get distinct ids");
    assert_eq!(alice_b.email, None);
    assert_eq!(alice_b.display_name, None);
    assert_eq!(store.user(&b, "alice").await.expect("user"), Some(alice_b));
    assert_eq!(
        store.user(&a, "alice").await.expect("user"),
        Some(alice_a.clone())
    );

    let duplicate = store
        .create_user(
            &a,
            NewUser {
                role: ClientRole::Reader,
                ..alice
            },
        )
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "a username taken in the tenant is a conflict, got {duplicate:?}"
    );
    assert_eq!(
        store.user(&a, "alice").await.expect("user"),
        Some(alice_a),
        "the refused user changed nothing"
    );
    assert_eq!(store.user(&a, "nobody").await.expect("user"), None);
}

// --- 3. round trip ----------------------------------------------------------------------------

/// An engagement with every field set reads back exactly as written, through every read,
/// and its stored JSON is exactly its canonical serialization.
pub async fn upsert_round_trips_every_field(store: &dyn Store) {
    let t = new_tenant(store, "roundtrip", Some("353")).await;
    let mut e = full_engagement("rt-1");
    e.normalize();
    if let Err(errors) = e.validate() {
        panic!("the round-trip engagement must be valid: {errors}");
    }
    let canonical = serde_json::to_string(&e).expect("serialize");
    // The canonical form keeps the data keys in the order they were written.
    assert!(canonical.find("\"zeta\"") < canonical.find("\"alpha\""));

    assert_eq!(upsert(store, &t, e.clone()).await, UpsertOutcome::Created);

    let item = get(store, &t, "rt-1").await.expect("stored");
    assert_eq!(item.id, "rt-1");
    assert_eq!(
        item.json, canonical,
        "get: stored JSON is the canonical JSON"
    );
    assert_eq!(item.engagement().expect("parses"), e, "get");

    let many = store
        .get_many(&t, &strings(&["rt-1"]))
        .await
        .expect("get_many");
    assert_eq!(many, vec![item.clone()], "get_many returns what get does");

    let page = list(store, &t, &Query::default()).await;
    assert_eq!(page.items, vec![item.clone()], "list returns what get does");

    let mut second = full_engagement("rt-2");
    second.normalize();
    let created = store.create(&t, second.clone()).await.expect("create");
    assert_eq!(
        created.json,
        serde_json::to_string(&second).expect("serialize"),
        "create returns the canonical JSON"
    );
    assert_eq!(get(store, &t, "rt-2").await, Some(created));

    // Replacing it keeps the round trip exact too.
    let mut replaced = e.clone();
    replaced.updated_at = Some(plus(e.updated_at.expect("set"), MINUTE));
    replaced.data.shift_remove("alpha");
    replaced
        .data
        .insert("added".into(), json!({"y": [true, null]}));
    replaced.notes.clear();
    replaced.customer.custom.clear();
    assert_eq!(
        upsert(store, &t, replaced.clone()).await,
        UpsertOutcome::Updated
    );
    let item = get(store, &t, "rt-1").await.expect("stored");
    assert_eq!(item.json, serde_json::to_string(&replaced).expect("json"));
}

// --- 4. idempotent replays --------------------------------------------------------------------

/// A replayed engagement is never duplicated, an older `updated_at` never overwrites a newer
/// one, an equal or newer one does, and a missing one is stamped with the time of the write.
pub async fn upsert_replays_are_idempotent_and_never_regress(store: &dyn Store) {
    let t = new_tenant(store, "replay", None).await;
    let start = ts("2024-02-01T12:00:00Z");
    let t1 = ts("2024-02-01T13:00:00Z");
    let v1 = eng("r-1", start)
        .lasting(90 * SECOND)
        .updated(t1)
        .subject("first")
        .queue("q-old")
        .agent(Some("agent-old"), None)
        .normalized();

    assert_eq!(upsert(store, &t, v1.clone()).await, UpsertOutcome::Created);
    assert_eq!(upsert(store, &t, v1.clone()).await, UpsertOutcome::Updated);
    assert_eq!(count(store, &t, &Filter::default()).await, 1);
    assert_eq!(
        list_all_ids(store, &t, &Query::default()).await,
        vec!["r-1"],
        "a replay does not duplicate"
    );
    assert_eq!(get_engagement(store, &t, "r-1").await, v1);
    let stored_v1 = get(store, &t, "r-1").await.expect("stored");

    let mut older = v1.clone();
    older.updated_at = Some(plus(t1, -SECOND));
    older.subject = Some("older".into());
    assert_eq!(upsert(store, &t, older).await, UpsertOutcome::Stale);
    assert_eq!(
        get(store, &t, "r-1").await,
        Some(stored_v1),
        "a stale write changes nothing"
    );

    let mut equal = v1.clone();
    equal.subject = Some("equal".into());
    assert_eq!(
        upsert(store, &t, equal.clone()).await,
        UpsertOutcome::Updated
    );
    assert_eq!(
        get_engagement(store, &t, "r-1").await,
        equal,
        "an equal updated_at overwrites"
    );

    let mut newer = v1.clone();
    newer.updated_at = Some(plus(t1, MINUTE));
    newer.subject = Some("newer".into());
    newer.queues = vec![QueueVisit::new("q-new")];
    newer.participants.clear();
    newer = Builder(newer).agent(Some("agent-new"), None).build();
    assert_eq!(
        upsert(store, &t, newer.clone()).await,
        UpsertOutcome::Updated
    );
    assert_eq!(get_engagement(store, &t, "r-1").await, newer);
    assert_eq!(count(store, &t, &Filter::default()).await, 1);

    // The replaced version's search terms are gone, the new version's are found.
    let queues = |q: &str| Filter {
        queue_ids: strings(&[q]),
        ..Filter::default()
    };
    let agents = |a: &str| Filter {
        agents: strings(&[a]),
        ..Filter::default()
    };
    assert_eq!(
        count(store, &t, &queues("q-old")).await,
        0,
        "old queue term"
    );
    assert_eq!(
        count(store, &t, &queues("q-new")).await,
        1,
        "new queue term"
    );
    assert_eq!(count(store, &t, &agents("agent-old")).await, 0, "old agent");
    assert_eq!(count(store, &t, &agents("agent-new")).await, 1, "new agent");

    // Without updated_at, the store stamps the time of the write.
    let unstamped = eng("r-2", start)
        .lasting(MINUTE)
        .subject("unstamped")
        .normalized();
    assert_eq!(unstamped.updated_at, None);
    let before = Timestamp::now();
    assert_eq!(upsert(store, &t, unstamped).await, UpsertOutcome::Created);
    let after = Timestamp::now();
    let stamped = get_engagement(store, &t, "r-2")
        .await
        .updated_at
        .expect("an upsert without updated_at is stamped");
    assert!(
        stamped >= plus(before, -CLOCK_SLACK) && stamped <= plus(after, CLOCK_SLACK),
        "stamped with the time of the write: {stamped}, written between {before} and {after}"
    );

    let mut before_stamp = eng("r-2", start).lasting(MINUTE).normalized();
    before_stamp.updated_at = Some(plus(stamped, -HOUR));
    before_stamp.subject = Some("older than the stamp".into());
    assert_eq!(
        upsert(store, &t, before_stamp).await,
        UpsertOutcome::Stale,
        "the stamp counts as the stored updated_at"
    );
    assert_eq!(
        get_engagement(store, &t, "r-2").await.subject.as_deref(),
        Some("unstamped")
    );

    let restamped = eng("r-2", start)
        .lasting(MINUTE)
        .subject("restamped")
        .normalized();
    assert_eq!(
        upsert(store, &t, restamped).await,
        UpsertOutcome::Updated,
        "a later unstamped write is stamped later, so it wins"
    );
    let again = get_engagement(store, &t, "r-2").await;
    assert_eq!(again.subject.as_deref(), Some("restamped"));
    assert!(again.updated_at.expect("stamped") >= stamped);
    assert_eq!(count(store, &t, &Filter::default()).await, 2);
}

// --- 5. upsert_many ---------------------------------------------------------------------------

/// One outcome per engagement, in order; within a batch the same id is applied in order, so
/// the last write wins unless it is stale.
pub async fn upsert_many_reports_each_outcome_in_order(store: &dyn Store) {
    let t = new_tenant(store, "batch", None).await;
    let start = ts("2024-02-10T08:00:00Z");
    let t1 = ts("2024-02-10T09:00:00Z");
    let t2 = ts("2024-02-10T10:00:00Z");
    let v = |id: &str, updated: Timestamp, subject: &str| {
        eng(id, start)
            .lasting(MINUTE)
            .updated(updated)
            .subject(subject)
            .normalized()
    };

    assert_eq!(
        store
            .upsert_many(&t, Vec::new())
            .await
            .expect("empty batch"),
        Vec::<UpsertOutcome>::new()
    );

    insert_all(store, &t, vec![v("b", t1, "b1"), v("c", t2, "c2")]).await;

    let outcomes = store
        .upsert_many(
            &t,
            vec![
                v("a", t1, "a1"),
                v("b", t2, "b2"),
                v("c", t1, "c1"),
                v("d", t1, "d1"),
                v("d", t2, "d2"),
                v("e", t2, "e2"),
                v("e", t1, "e1"),
                v("f", t1, "f1"),
                v("f", t1, "f1 again"),
            ],
        )
        .await
        .expect("upsert_many");
    use UpsertOutcome::{Created, Stale, Updated};
    assert_eq!(
        outcomes,
        vec![Created, Updated, Stale, Created, Updated, Created, Stale, Created, Updated]
    );

    let subjects: BTreeMap<String, String> =
        stored_all(store, &t, &strings(&["a", "b", "c", "d", "e", "f"]))
            .await
            .into_iter()
            .map(|e| (e.id, e.subject.unwrap_or_default()))
            .collect();
    let want: BTreeMap<String, String> = [
        ("a", "a1"),
        ("b", "b2"),
        ("c", "c2"),
        ("d", "d2"),
        ("e", "e2"),
        ("f", "f1 again"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(subjects, want, "what the batch left stored");
    assert_eq!(count(store, &t, &Filter::default()).await, 6);
}

// --- 6. create --------------------------------------------------------------------------------

/// `create` stores a new id and refuses an existing one without touching it.
pub async fn create_refuses_an_existing_id(store: &dyn Store) {
    let t = new_tenant(store, "create", None).await;
    let start = ts("2024-03-03T03:03:03Z");
    let first = eng("c-1", start)
        .lasting(MINUTE)
        .updated(start)
        .subject("original")
        .normalized();

    let created = store.create(&t, first.clone()).await.expect("create");
    assert_eq!(created.id, "c-1");
    assert_eq!(parse(&created), first);
    assert_eq!(get(store, &t, "c-1").await, Some(created.clone()));

    let mut again = first.clone();
    again.subject = Some("replacement".into());
    again.updated_at = Some(plus(start, HOUR));
    let refused = store.create(&t, again).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "creating an existing id is a conflict, got {refused:?}"
    );
    assert_eq!(
        get(store, &t, "c-1").await,
        Some(created),
        "a refused create changes nothing"
    );
    assert_eq!(count(store, &t, &Filter::default()).await, 1);
}

// --- 7. update --------------------------------------------------------------------------------

/// `update` applies the edit to the stored engagement and returns the result; a missing id is
/// `NotFound` without calling the edit; a rejected edit is `Rejected` and changes nothing.
pub async fn update_applies_edits_atomically(store: &dyn Store) {
    let t = new_tenant(store, "update", None).await;
    let start = ts("2024-04-04T04:04:04Z");
    let original = eng("u-1", start)
        .lasting(2 * MINUTE)
        .updated(start)
        .subject("before")
        .team("team-old")
        .queue("q-1")
        .data("n", json!(1))
        .normalized();
    assert_eq!(
        upsert(store, &t, original.clone()).await,
        UpsertOutcome::Created
    );

    let returned = store
        .update(
            &t,
            "u-1",
            Box::new(|e: &mut Engagement| {
                e.subject = Some("after".into());
                e.team = Some("team-new".into());
                e.queues.push(QueueVisit::new("q-added"));
                e.data.insert("n".into(), json!(2));
                Ok(())
            }),
        )
        .await
        .expect("update");
    let mut expected = original.clone();
    expected.subject = Some("after".into());
    expected.team = Some("team-new".into());
    expected.queues.push(QueueVisit::new("q-added"));
    expected.data.insert("n".into(), json!(2));
    assert_eq!(returned.id, "u-1");
    assert_eq!(
        without_updated_at(parse(&returned)),
        without_updated_at(expected.clone()),
        "update returns the edited engagement"
    );
    assert_eq!(
        get(store, &t, "u-1").await,
        Some(returned.clone()),
        "update returns what is stored"
    );
    let team = |name: &str| Filter {
        teams: strings(&[name]),
        ..Filter::default()
    };
    assert_eq!(count(store, &t, &team("team-new")).await, 1, "edited term");
    assert_eq!(
        count(store, &t, &team("team-old")).await,
        0,
        "replaced term"
    );
    let added_queue = Filter {
        queue_ids: strings(&["q-added"]),
        ..Filter::default()
    };
    assert_eq!(count(store, &t, &added_queue).await, 1, "added term");

    let called = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&called);
    let missing = store
        .update(
            &t,
            "u-missing",
            Box::new(move |_e: &mut Engagement| {
                flag.store(true, Ordering::SeqCst);
                Ok(())
            }),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound)),
        "updating a missing id is NotFound, got {missing:?}"
    );
    assert!(
        !called.load(Ordering::SeqCst),
        "the edit is not called when there is nothing to edit"
    );
    assert_eq!(
        get(store, &t, "u-missing").await,
        None,
        "update never creates"
    );

    let rejected = store
        .update(
            &t,
            "u-1",
            Box::new(|e: &mut Engagement| {
                e.subject = Some("half-done".into());
                e.team = Some("team-rejected".into());
                Err(EditRejected("not allowed".into()))
            }),
        )
        .await;
    match rejected {
        Err(StoreError::Rejected(EditRejected(reason))) => assert_eq!(reason, "not allowed"),
        other => panic!("a rejected edit is StoreError::Rejected, got {other:?}"),
    }
    assert_eq!(
        get(store, &t, "u-1").await,
        Some(returned),
        "a rejected edit changes nothing, even what it changed before refusing"
    );
    assert_eq!(count(store, &t, &team("team-rejected")).await, 0);
    assert_eq!(count(store, &t, &Filter::default()).await, 1);
}

// --- 8. get_many ------------------------------------------------------------------------------

/// `get_many` returns the engagements in the order of the ids asked for, skipping missing
/// ones; an id asked for twice is returned twice.
pub async fn get_many_keeps_order_and_skips_missing(store: &dyn Store) {
    let t = new_tenant(store, "getmany", None).await;
    let start = ts("2024-05-05T05:05:05Z");
    insert_all(
        store,
        &t,
        ["gm-a", "gm-b", "gm-c"]
            .iter()
            .enumerate()
            .map(|(i, id)| {
                eng(id, plus(start, i as i64 * MINUTE))
                    .updated(start)
                    .normalized()
            })
            .collect(),
    )
    .await;

    let asked = strings(&["gm-c", "gm-missing", "gm-a", "gm-a", "gm-b"]);
    let got = store.get_many(&t, &asked).await.expect("get_many");
    assert_eq!(ids(&got), vec!["gm-c", "gm-a", "gm-a", "gm-b"]);
    for item in &got {
        assert_eq!(Some(item), get(store, &t, &item.id).await.as_ref());
    }

    assert!(store
        .get_many(&t, &[])
        .await
        .expect("get_many of nothing")
        .is_empty());
    assert!(store
        .get_many(&t, &strings(&["nope-1", "nope-2"]))
        .await
        .expect("get_many of missing ids")
        .is_empty());
}

// --- 9. delete --------------------------------------------------------------------------------

/// A deleted engagement is gone from every read and every index; deleting it again is false;
/// its id can be used again.
pub async fn delete_removes_from_every_read(store: &dyn Store) {
    let t = new_tenant(store, "delete", None).await;
    let start = ts("2024-06-06T06:06:06Z");
    let doomed = eng("d-1", start)
        .lasting(MINUTE)
        .updated(plus(start, DAY))
        .queue("q-doomed")
        .normalized();
    let kept = eng("d-2", plus(start, MINUTE))
        .lasting(MINUTE)
        .updated(plus(start, DAY))
        .queue("q-kept")
        .normalized();
    insert_all(store, &t, vec![doomed.clone(), kept]).await;
    assert_eq!(count(store, &t, &Filter::default()).await, 2);

    assert!(store.delete(&t, "d-1").await.expect("delete"));
    assert!(
        !store.delete(&t, "d-1").await.expect("delete again"),
        "deleting what is gone is false"
    );
    assert!(!store.delete(&t, "d-never").await.expect("delete missing"));

    assert_eq!(get(store, &t, "d-1").await, None);
    assert_eq!(
        list_all_ids(store, &t, &Query::default()).await,
        vec!["d-2"]
    );
    assert_eq!(count(store, &t, &Filter::default()).await, 1);
    let doomed_queue = Filter {
        queue_ids: strings(&["q-doomed"]),
        ..Filter::default()
    };
    assert_eq!(
        count(store, &t, &doomed_queue).await,
        0,
        "its terms are gone"
    );
    assert!(
        list(store, &t, &query(doomed_queue.clone(), Sort::default(), 10))
            .await
            .items
            .is_empty()
    );
    assert_eq!(
        ids(&store
            .get_many(&t, &strings(&["d-1", "d-2"]))
            .await
            .expect("get_many")),
        vec!["d-2"]
    );

    // No tombstone: the id is free again, even for an older version.
    let mut older = doomed.clone();
    older.updated_at = Some(start);
    assert_eq!(
        upsert(store, &t, older).await,
        UpsertOutcome::Created,
        "an upsert after a delete creates"
    );
    assert!(store.delete(&t, "d-1").await.expect("delete"));
    store
        .create(&t, doomed)
        .await
        .expect("create after delete is not a conflict");
    assert_eq!(count(store, &t, &doomed_queue).await, 1);
}

// --- 10. filters ------------------------------------------------------------------------------

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

fn range(from: Option<Timestamp>, to: Option<Timestamp>) -> TimeRange {
    TimeRange { from, to }
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
            },
            &["f01"],
        ),
    ];
    expect_matches(store, &tenant, cases).await;
}

// --- 11. sorts --------------------------------------------------------------------------------

/// Engagements with ties on every sort key, engagements without an end, and engagements
/// without a duration, in no particular order.
fn sort_fixture(base: Timestamp) -> Vec<Engagement> {
    (0..24i64)
        .map(|i| {
            let id = format!("s{:02}", (i * 7) % 24);
            let start = plus(base, (i % 4) * MINUTE);
            let mut b = eng(&id, start).updated(plus(base, DAY + (i % 3) * HOUR));
            if i % 5 != 0 {
                b = b.lasting((i % 3) * MINUTE);
            }
            if i % 6 == 1 {
                b = b.duration(90_000);
            }
            b.build()
        })
        .collect()
}

/// Asserts the fixture really has what a sort test needs: ties and sentinel values.
fn assert_has_ties_and_sentinels(engagements: &[Engagement]) {
    for key in [
        SortKey::StartedAt,
        SortKey::EndedAt,
        SortKey::Duration,
        SortKey::UpdatedAt,
    ] {
        let values: BTreeSet<i64> = engagements.iter().map(|e| sort_value(e, key)).collect();
        assert!(
            values.len() < engagements.len(),
            "the fixture needs ties on {key:?}"
        );
    }
    let ended: Vec<i64> = engagements
        .iter()
        .map(|e| sort_value(e, SortKey::EndedAt))
        .collect();
    assert!(ended.contains(&NO_END) && ended.iter().any(|v| *v != NO_END));
    let durations: Vec<i64> = engagements
        .iter()
        .map(|e| sort_value(e, SortKey::Duration))
        .collect();
    assert!(durations.contains(&NO_DURATION) && durations.iter().any(|v| *v != NO_DURATION));
}

/// Every sort key in both directions orders by its sort value and breaks ties by id in the
/// same direction; not ended sorts after every end ascending, no duration before every
/// duration ascending. Checked on one page, and across pages of 3.
pub async fn sorts_break_ties_by_id_in_the_same_direction(store: &dyn Store) {
    let t = new_tenant(store, "sorts", None).await;
    let fixture = sort_fixture(ts("2024-08-01T00:00:00Z"));
    assert_has_ties_and_sentinels(&fixture);
    let all_ids: Vec<String> = fixture.iter().map(|e| e.id.clone()).collect();
    insert_all(store, &t, fixture).await;
    let stored = stored_all(store, &t, &all_ids).await;

    for sort in ALL_SORTS {
        let expected = expected_order(&stored, sort);
        let q = query(Filter::default(), sort, 100);
        let one_page = list(store, &t, &q).await;
        check_page(&one_page, &q, &format!("one page sorted by {sort:?}"));
        assert_eq!(
            ids(&one_page.items),
            expected,
            "one page sorted by {sort:?}"
        );
        assert!(!one_page.has_more(), "everything fit on the page");
        assert_eq!(
            list_all_ids(store, &t, &query(Filter::default(), sort, 3)).await,
            expected,
            "pages of 3 sorted by {sort:?}"
        );
    }

    let last_ended_asc = expected_order(&stored, sort_of(SortKey::EndedAt, SortDir::Asc));
    let not_ended: BTreeSet<&String> = stored
        .iter()
        .filter(|e| e.ended_at.is_none())
        .map(|e| &e.id)
        .collect();
    let tail = &last_ended_asc[last_ended_asc.len() - not_ended.len()..];
    assert!(
        tail.iter().all(|id| not_ended.contains(id)),
        "ascending by end, the engagements that have not ended come last: {last_ended_asc:?}"
    );
}

// --- 12. keyset paging ------------------------------------------------------------------------

/// `n` engagements with ids in no relation to their order; with 250, five share each of
/// 50 start times.
fn paging_fixture(base: Timestamp, n: i64) -> Vec<Engagement> {
    (0..n)
        .map(|i| {
            let id = format!("k{:03}", (i * 97) % n);
            let mut b = eng(&id, plus(base, ((i * 7) % 50) * MINUTE))
                .updated(plus(base, DAY + (i % 10) * MINUTE));
            if i % 4 != 0 {
                b = b.lasting((i % 6) * 10 * SECOND);
            }
            b.build()
        })
        .collect()
}

/// Following `next` from the first page lists every match exactly once, in order, for every
/// sort and page size; the last page has no `next`, also when it is exactly full.
pub async fn keyset_paging_has_no_gaps_or_duplicates(store: &dyn Store) {
    let t = new_tenant(store, "keyset", None).await;
    let base = ts("2024-09-01T00:00:00Z");
    let fixture = paging_fixture(base, 250);
    let all_ids: Vec<String> = fixture.iter().map(|e| e.id.clone()).collect();
    insert_all(store, &t, fixture).await;
    let stored = stored_all(store, &t, &all_ids).await;

    for sort in ALL_SORTS {
        let limits: &[u32] = match (sort.key, sort.dir) {
            (SortKey::StartedAt, _) | (SortKey::EndedAt, SortDir::Desc) => &[1, 7, 100],
            _ => &[7, 100],
        };
        let expected = expected_order(&stored, sort);
        for &limit in limits {
            assert_eq!(
                list_all_ids(store, &t, &query(Filter::default(), sort, limit)).await,
                expected,
                "keyset pages of {limit} sorted by {sort:?}"
            );
        }
    }

    // `total` counts every match on every page, not just those after the start.
    let mut q = Query {
        limit: 100,
        with_total: true,
        ..Query::default()
    };
    let mut pages = 0;
    loop {
        let page = list(store, &t, &q).await;
        assert_eq!(page.total, Some(250), "total on keyset page {pages}");
        pages += 1;
        match page.next {
            Some(next) => q.start = Start::After(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);

    // Paging a filtered listing.
    let ended = Filter {
        ended: range(Some(base), None),
        ..Filter::default()
    };
    let ended_stored: Vec<Engagement> = stored
        .iter()
        .filter(|e| e.ended_at.is_some())
        .cloned()
        .collect();
    assert_eq!(
        list_all_ids(store, &t, &query(ended, Sort::default(), 7)).await,
        expected_order(&ended_stored, Sort::default()),
        "keyset pages of a filtered listing"
    );

    // The exact boundary: 14 matches in pages of 7.
    let t14 = new_tenant(store, "keyset14", None).await;
    let fourteen = paging_fixture(base, 14);
    let ids14: Vec<String> = fourteen.iter().map(|e| e.id.clone()).collect();
    insert_all(store, &t14, fourteen).await;
    let expected14 = expected_order(&stored_all(store, &t14, &ids14).await, Sort::default());

    let q = query(Filter::default(), Sort::default(), 7);
    let first = list(store, &t14, &q).await;
    check_page(&first, &q, "the first 7 of 14");
    assert_eq!(ids(&first.items), expected14[..7]);
    assert!(first.has_more(), "7 of 14: more follow");
    let q = Query {
        start: Start::After(first.next.clone().expect("next")),
        ..q
    };
    let second = list(store, &t14, &q).await;
    check_page(&second, &q, "the last 7 of 14");
    assert_eq!(ids(&second.items), expected14[7..]);
    assert!(
        !second.has_more(),
        "the last 7 of 14: nothing follows, though the page is full"
    );
    for (limit, more) in [(13, true), (14, false), (15, false)] {
        let q = query(Filter::default(), Sort::default(), limit);
        let page = list(store, &t14, &q).await;
        check_page(&page, &q, &format!("a page of {limit} of 14"));
        assert_eq!(
            page.items.len(),
            (limit as usize).min(14),
            "a page of {limit} of 14"
        );
        assert_eq!(page.has_more(), more, "has_more on a page of {limit} of 14");
    }
}

// --- 13. offset paging ------------------------------------------------------------------------

/// `Start::Offset(n)` gives the slice of the sorted listing from `n` (empty past the end);
/// `with_total` counts every match.
///
/// With `limit: 0` the suite asserts: no items and no `next`; `total` is every match when
/// asked for; `has_more()` is whether any match follows the start (for `First`, whether
/// anything matches; for `Offset(n)`, whether more than `n` match; for `After(p)`, whether a
/// match sorts after `p`).
pub async fn offset_paging_matches_the_sorted_slice(store: &dyn Store) {
    let t = new_tenant(store, "offset", None).await;
    let base = ts("2024-10-01T00:00:00Z");
    let fixture: Vec<Engagement> = (0..30i64)
        .map(|i| {
            let id = format!("o{:02}", (i * 11) % 30);
            let b = eng(&id, plus(base, (i % 6) * MINUTE)).updated(base);
            if i % 3 == 0 {
                b.normalized()
            } else {
                b.lasting((i % 4) * MINUTE).normalized()
            }
        })
        .collect();
    let all_ids: Vec<String> = fixture.iter().map(|e| e.id.clone()).collect();
    insert_all(store, &t, fixture).await;
    let stored = stored_all(store, &t, &all_ids).await;

    let completed = Filter {
        states: vec![State::Completed],
        ..Filter::default()
    };
    let completed_stored: Vec<Engagement> = stored
        .iter()
        .filter(|e| e.effective_state() == State::Completed)
        .cloned()
        .collect();
    assert_eq!(completed_stored.len(), 20);

    let sorts = [
        Sort::default(),
        sort_of(SortKey::EndedAt, SortDir::Asc),
        sort_of(SortKey::Duration, SortDir::Desc),
    ];
    for (filter, matching) in [
        (Filter::default(), &stored),
        (completed.clone(), &completed_stored),
    ] {
        let total = matching.len();
        for sort in sorts {
            let full = expected_order(matching, sort);
            for n in [
                0usize,
                1,
                6,
                7,
                13,
                total - 2,
                total - 1,
                total,
                total + 1,
                1000,
            ] {
                let q = Query {
                    filter: filter.clone(),
                    sort,
                    start: Start::Offset(n as u64),
                    limit: 7,
                    with_total: true,
                };
                let context = format!("offset {n} of {total} by {sort:?} ({filter:?})");
                let page = list(store, &t, &q).await;
                check_page(&page, &q, &context);
                let want = &full[n.min(total)..(n + 7).min(total)];
                assert_eq!(ids(&page.items), want, "{context}");
                assert_eq!(page.total, Some(total as u64), "total, {context}");
                assert_eq!(page.has_more(), n + 7 < total, "has_more, {context}");

                // Keyset paging continues where an offset page ends.
                if let Some(next) = page.next {
                    let rest = list_all_ids(
                        store,
                        &t,
                        &Query {
                            start: Start::After(next),
                            with_total: false,
                            ..q.clone()
                        },
                    )
                    .await;
                    assert_eq!(rest, full[n + 7..], "after the offset page, {context}");
                }

                let counted = list(
                    store,
                    &t,
                    &Query {
                        limit: 0,
                        ..q.clone()
                    },
                )
                .await;
                assert!(counted.items.is_empty(), "limit 0 lists nothing, {context}");
                assert_eq!(counted.next, None, "limit 0 has no next, {context}");
                assert_eq!(
                    counted.total,
                    Some(total as u64),
                    "limit 0 total, {context}"
                );
                assert_eq!(counted.has_more(), n < total, "limit 0 has_more, {context}");
            }
        }
    }

    // Limit 0 from the first position and from keyset positions.
    let sort = Sort::default();
    let full_items = list_all(store, &t, &query(Filter::default(), sort, 100)).await;
    let zero = |start: Start, filter: Filter| Query {
        filter,
        sort,
        start,
        limit: 0,
        with_total: true,
    };
    let first = list(store, &t, &zero(Start::First, Filter::default())).await;
    assert!(first.items.is_empty());
    assert_eq!(first.next, None, "limit 0: no item, so no next");
    assert_eq!(first.total, Some(30));
    assert!(first.has_more(), "limit 0 from the start: matches follow");
    for k in [0usize, 14, 28, 29] {
        let after = Start::After(position(&full_items[k], sort.key));
        let page = list(store, &t, &zero(after, Filter::default())).await;
        assert!(page.items.is_empty());
        assert_eq!(page.next, None, "limit 0 after item {k}: no next");
        assert_eq!(page.total, Some(30), "limit 0 after item {k}");
        assert_eq!(page.has_more(), k + 1 < 30, "limit 0 after item {k}");
    }
    let nothing = Filter {
        teams: strings(&["no-such-team"]),
        ..Filter::default()
    };
    let empty = list(store, &t, &zero(Start::First, nothing.clone())).await;
    assert!(empty.items.is_empty());
    assert_eq!((empty.total, empty.next.as_ref()), (Some(0), None));
    assert!(!empty.has_more(), "limit 0 with no match: nothing follows");
    let empty = list(
        store,
        &t,
        &Query {
            limit: 10,
            ..zero(Start::First, nothing)
        },
    )
    .await;
    assert!(empty.items.is_empty());
    assert_eq!((empty.total, empty.next.as_ref()), (Some(0), None));
    assert!(!empty.has_more());
}

// --- 14. paging during writes -----------------------------------------------------------------

/// Keyset paging newest-first while engagements are written between pages: everything that
/// existed at the start is seen exactly once, what is written behind the cursor is not seen,
/// what is written ahead of it is.
pub async fn keyset_paging_survives_concurrent_writes(store: &dyn Store) {
    let t = new_tenant(store, "writes", None).await;
    let base = ts("2024-11-01T00:00:00Z");
    let originals: Vec<Engagement> = (0..40i64)
        .map(|i| {
            eng(&format!("w{i:03}5"), plus(base, (i / 2) * MINUTE))
                .lasting(MINUTE)
                .updated(base)
                .normalized()
        })
        .collect();
    let original_ids: BTreeSet<String> = originals.iter().map(|e| e.id.clone()).collect();
    let by_id: BTreeMap<String, Engagement> = originals
        .iter()
        .map(|e| (e.id.clone(), e.clone()))
        .collect();
    insert_all(store, &t, originals).await;

    let mut seen: Vec<String> = Vec::new();
    let mut must_see: BTreeSet<String> = BTreeSet::new();
    let mut must_not_see: BTreeSet<String> = BTreeSet::new();
    let mut q = query(Filter::default(), Sort::default(), 6);
    for round in 0..100i64 {
        let page = list(store, &t, &q).await;
        check_page(&page, &q, &format!("page {round} while writing"));
        seen.extend(ids(&page.items));
        let Some(next) = page.next else { break };
        let cursor_at = Timestamp::from_millisecond(next.value).expect("a start time");
        let cursor_id = &next.id;

        // Ahead of the cursor in this order: an older start, or the same start and a
        // smaller id. Behind it: a newer start, or the same start and a bigger id.
        let ahead = [
            eng(&format!("o{round:03}"), plus(cursor_at, -1)),
            eng(
                &format!("{}-a{round:03}", &cursor_id[..cursor_id.len() - 1]),
                cursor_at,
            ),
        ];
        let behind = [
            eng(&format!("n{round:03}"), plus(base, DAY + round * MINUTE)),
            eng(&format!("{cursor_id}~b{round:03}"), cursor_at),
        ];
        let mut writes = Vec::new();
        for b in ahead {
            let e = b.updated(base).normalized();
            must_see.insert(e.id.clone());
            writes.push(e);
        }
        for b in behind {
            let e = b.updated(base).normalized();
            must_not_see.insert(e.id.clone());
            writes.push(e);
        }
        // Rewriting an engagement already seen must not bring it back.
        if let Some(seen_id) = seen.first() {
            if let Some(e) = by_id.get(seen_id) {
                let mut e = e.clone();
                e.updated_at = Some(plus(base, (round + 1) * SECOND));
                e.subject = Some(format!("rewritten in round {round}"));
                writes.push(e);
            }
        }
        store
            .upsert_many(&t, writes)
            .await
            .expect("writes between pages");
        q.start = Start::After(next);
    }

    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    for id in &seen {
        *counts.entry(id).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "seen more than once: {repeated:?}");
    let seen_set: BTreeSet<String> = seen.iter().cloned().collect();
    let missed: Vec<_> = original_ids.difference(&seen_set).collect();
    assert!(
        missed.is_empty(),
        "existed at the start but never seen: {missed:?}"
    );
    let missed_ahead: Vec<_> = must_see.difference(&seen_set).collect();
    assert!(
        missed_ahead.is_empty(),
        "written ahead of the cursor but never seen: {missed_ahead:?}"
    );
    let seen_behind: Vec<_> = must_not_see.intersection(&seen_set).collect();
    assert!(
        seen_behind.is_empty(),
        "written behind the cursor yet seen: {seen_behind:?}"
    );
    assert!(!must_see.is_empty(), "the case wrote between pages");
}

// --- 15. tenant isolation ---------------------------------------------------------------------

/// Two tenants holding engagements with the same ids never see or touch each other's.
pub async fn tenants_are_isolated(store: &dyn Store) {
    let a = new_tenant(store, "iso-a", None).await;
    let b = new_tenant(store, "iso-b", None).await;
    let start = ts("2024-12-01T00:00:00Z");
    let version = |id: &str, tenant: &str, updated: Timestamp| {
        eng(id, start)
            .lasting(MINUTE)
            .updated(updated)
            .subject(&format!("in {tenant}"))
            .team(&format!("team-{tenant}"))
            .normalized()
    };
    let shared = ["x1", "x2", "x3"];
    insert_all(
        store,
        &a,
        shared
            .iter()
            .map(|id| version(id, "a", plus(start, HOUR)))
            .collect(),
    )
    .await;
    insert_all(
        store,
        &b,
        shared
            .iter()
            .map(|id| version(id, "b", start))
            .chain([version("only-b", "b", start)])
            .collect(),
    )
    .await;
    let subject_of = |e: Engagement| e.subject.unwrap_or_default();

    // Reads.
    for id in shared {
        assert_eq!(subject_of(get_engagement(store, &a, id).await), "in a");
        assert_eq!(subject_of(get_engagement(store, &b, id).await), "in b");
    }
    assert_eq!(get(store, &a, "only-b").await, None);
    let listed = list_all(store, &a, &query(Filter::default(), Sort::default(), 2)).await;
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|i| subject_of(parse(i)) == "in a"));
    assert_eq!(count(store, &a, &Filter::default()).await, 3);
    assert_eq!(count(store, &b, &Filter::default()).await, 4);
    let team_b = Filter {
        teams: strings(&["team-b"]),
        ..Filter::default()
    };
    assert_eq!(count(store, &a, &team_b).await, 0, "b's terms are not a's");
    assert!(list(store, &a, &query(team_b.clone(), Sort::default(), 10))
        .await
        .items
        .is_empty());
    let many = store
        .get_many(&a, &strings(&["only-b", "x1", "x2"]))
        .await
        .expect("get_many");
    assert_eq!(ids(&many), vec!["x1", "x2"]);
    assert!(many.iter().all(|i| subject_of(parse(i)) == "in a"));

    // Writes.
    let b_x2 = get(store, &b, "x2").await;
    store
        .update(
            &a,
            "x2",
            Box::new(|e: &mut Engagement| {
                e.subject = Some("edited in a".into());
                Ok(())
            }),
        )
        .await
        .expect("update in a");
    assert_eq!(
        get(store, &b, "x2").await,
        b_x2,
        "an update in a leaves b alone"
    );
    let edit_b_only = store
        .update(&a, "only-b", Box::new(|_e: &mut Engagement| Ok(())))
        .await;
    assert!(
        matches!(edit_b_only, Err(StoreError::NotFound)),
        "b's engagement is not found from a, got {edit_b_only:?}"
    );

    let b_x3 = get(store, &b, "x3").await;
    assert!(store.delete(&a, "x3").await.expect("delete in a"));
    assert_eq!(
        get(store, &b, "x3").await,
        b_x3,
        "a delete in a leaves b alone"
    );
    assert!(!store.delete(&a, "only-b").await.expect("delete in a"));
    assert!(get(store, &b, "only-b").await.is_some());

    // b's x1 is older than a's: a's must not make b's write stale.
    let newer_b = version("x1", "b", plus(start, 30 * MINUTE));
    assert_eq!(upsert(store, &b, newer_b).await, UpsertOutcome::Updated);
    store
        .create(&a, version("only-b", "a", start))
        .await
        .expect("an id taken in b is free in a");
    assert_eq!(
        subject_of(get_engagement(store, &b, "only-b").await),
        "in b",
        "creating in a leaves b's alone"
    );
    assert_eq!(count(store, &a, &Filter::default()).await, 3);
    assert_eq!(count(store, &b, &Filter::default()).await, 4);
}

// --- 16. concurrency --------------------------------------------------------------------------

async fn join_all<T: Send + 'static>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        let joined = tokio::time::timeout(TASK_DEADLINE, handle)
            .await
            .expect("a concurrent store call did not finish in time");
        out.push(joined.expect("a concurrent store call panicked"));
    }
    out
}

/// 32 upserts at once are all acknowledged and all readable; 32 racing versions of one id
/// leave exactly one created and the newest stored.
pub async fn concurrent_upserts_are_all_durable(store: Arc<dyn Store>) {
    let t = new_tenant(&*store, "concurrent", None).await;
    let base = ts("2025-01-01T00:00:00Z");

    let handles = (0..32i64)
        .map(|i| {
            let store = Arc::clone(&store);
            let t = t.clone();
            let e = eng(&format!("p{i:02}"), plus(base, i * SECOND))
                .lasting(MINUTE)
                .updated(base)
                .queue("q-concurrent")
                .normalized();
            tokio::spawn(async move { store.upsert(&t, e).await })
        })
        .collect();
    for (i, outcome) in join_all(handles).await.into_iter().enumerate() {
        match outcome {
            Ok(UpsertOutcome::Created) => {}
            other => panic!("concurrent upsert {i}: expected Created, got {other:?}"),
        }
    }
    let all_ids: Vec<String> = (0..32).map(|i| format!("p{i:02}")).collect();
    let stored = stored_all(&*store, &t, &all_ids).await;
    assert_eq!(stored.len(), 32);
    assert_eq!(count(&*store, &t, &Filter::default()).await, 32);
    let q = Filter {
        queue_ids: strings(&["q-concurrent"]),
        ..Filter::default()
    };
    assert_eq!(count(&*store, &t, &q).await, 32);
    let mut listed = list_all_ids(&*store, &t, &query(q, Sort::default(), 10)).await;
    listed.sort();
    assert_eq!(listed, all_ids);

    // Racing versions of one engagement, written in an order unrelated to their updated_at.
    let handles = (0..32i64)
        .map(|i| {
            let store = Arc::clone(&store);
            let t = t.clone();
            let v = (i * 13) % 32;
            let e = eng("race", base)
                .lasting(MINUTE)
                .updated(plus(base, v * SECOND))
                .subject(&format!("v{v:02}"))
                .normalized();
            tokio::spawn(async move { store.upsert(&t, e).await })
        })
        .collect();
    let outcomes: Vec<UpsertOutcome> = join_all(handles)
        .await
        .into_iter()
        .map(|r| r.expect("racing upsert"))
        .collect();
    let created = outcomes
        .iter()
        .filter(|o| **o == UpsertOutcome::Created)
        .count();
    assert_eq!(created, 1, "exactly one racing write creates: {outcomes:?}");
    let winner = get_engagement(&*store, &t, "race").await;
    assert_eq!(
        winner.subject.as_deref(),
        Some("v31"),
        "the newest version wins"
    );
    assert_eq!(winner.updated_at, Some(plus(base, 31 * SECOND)));
    assert_eq!(count(&*store, &t, &Filter::default()).await, 33);
}

/// 16 concurrent updates of one engagement each see the previous one's result: none is lost.
pub async fn concurrent_updates_lose_no_edit(store: Arc<dyn Store>) {
    let t = new_tenant(&*store, "counter", None).await;
    let base = ts("2025-01-02T00:00:00Z");
    let counter = eng("counter", base)
        .updated(base)
        .data("n", json!(0))
        .normalized();
    store.create(&t, counter).await.expect("create counter");

    let handles = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            let t = t.clone();
            tokio::spawn(async move {
                store
                    .update(
                        &t,
                        "counter",
                        Box::new(|e: &mut Engagement| {
                            let n = e.data.get("n").and_then(Value::as_u64).unwrap_or(0);
                            e.data.insert("n".into(), json!(n + 1));
                            Ok(())
                        }),
                    )
                    .await
            })
        })
        .collect();
    let mut seen: Vec<u64> = join_all(handles)
        .await
        .into_iter()
        .map(|r| {
            let e = parse(&r.expect("concurrent update"));
            e.data.get("n").and_then(Value::as_u64).expect("n")
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=16).collect::<Vec<u64>>(),
        "each update returns a distinct step of the counter"
    );
    let stored = get_engagement(&*store, &t, "counter").await;
    assert_eq!(stored.data.get("n"), Some(&json!(16)), "no update was lost");
}

/// Linked identifiers find each other's engagements; links merge, unlink, and stay within
/// their tenant.
pub async fn identity_links_join_customers_and_unlink(store: &dyn Store) {
    let irish = new_tenant(store, "links", Some("353")).await;
    let other = new_tenant(store, "links-other", Some("353")).await;
    let mut by_phone: Engagement = serde_json::from_value(json!({
        "id": "by-phone", "started_at": "2024-01-01T00:00:00Z", "customer": {"phones": ["0197180171"]}
    }))
    .unwrap();
    let mut by_email: Engagement = serde_json::from_value(json!({
        "id": "by-email", "started_at": "2024-01-02T00:00:00Z", "customer": {"emails": ["melinda@example.org"]}
    }))
    .unwrap();
    by_phone.normalize();
    by_email.normalize();
    store
        .upsert_many(&irish, vec![by_phone, by_email])
        .await
        .unwrap();

    let alone = linked_keys(store, &irish, "019 718 0171").await;
    assert_eq!(
        alone,
        ["+353197180171"],
        "an unlinked identifier is linked only to itself"
    );

    store
        .link_identifiers(
            &irish,
            &[
                Identifier::new(Some("phone"), "019 718 0171"),
                "Melinda@Example.org".into(),
            ],
        )
        .await
        .unwrap();
    let linked = linked_keys(store, &irish, "+353 19 718 0171").await;
    assert_eq!(linked, ["+353197180171", "melinda@example.org"]);
    let query = Query {
        filter: Filter {
            customer: linked,
            ..Filter::default()
        },
        ..Query::default()
    };
    let ids: Vec<String> = store
        .list(&irish, &query)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(
        ids,
        ["by-email", "by-phone"],
        "a search by the phone finds the email-only engagement"
    );

    // Linking a member of one customer with a member of another merges them.
    store
        .link_identifiers(&irish, &["ACC-1".into(), "@melinda".into()])
        .await
        .unwrap();
    store
        .link_identifiers(
            &irish,
            &[
                Identifier::new(Some("account"), "acc-1"),
                Identifier::new(Some("email"), "MELINDA@example.org"),
            ],
        )
        .await
        .unwrap();
    let merged = store.linked_identifiers(&irish, "@Melinda").await.unwrap();
    assert_eq!(
        merged,
        [
            LinkedIdentifier {
                key: "+353197180171".into(),
                kind: Some("phone".into()),
                value: "019 718 0171".into()
            },
            LinkedIdentifier {
                key: "@melinda".into(),
                kind: None,
                value: "@melinda".into()
            },
            LinkedIdentifier {
                key: "acc-1".into(),
                kind: Some("account".into()),
                value: "ACC-1".into()
            },
            LinkedIdentifier {
                key: "melinda@example.org".into(),
                kind: Some("email".into()),
                value: "Melinda@Example.org".into()
            },
        ],
        "the first spelling stays; a later link fills in a missing type"
    );

    assert!(store
        .unlink_identifier(&irish, "MELINDA@example.org")
        .await
        .unwrap());
    assert!(!store
        .unlink_identifier(&irish, "melinda@example.org")
        .await
        .unwrap());
    assert_eq!(
        linked_keys(store, &irish, "0197180171").await,
        ["+353197180171", "@melinda", "acc-1"]
    );
    assert_eq!(
        store
            .linked_identifiers(&irish, "Melinda@example.org")
            .await
            .unwrap(),
        [LinkedIdentifier {
            key: "melinda@example.org".into(),
            kind: None,
            value: "melinda@example.org".into()
        }],
        "an unlinked identifier keeps no spelling"
    );

    assert_eq!(
        linked_keys(store, &other, "0197180171").await,
        ["+353197180171"],
        "links belong to their tenant"
    );
}

async fn linked_keys(store: &dyn Store, tenant: &Tenant, identifier: &str) -> Vec<String> {
    store
        .linked_identifiers(tenant, identifier)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.key)
        .collect()
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
    ] {
        let counted = store.count(&t, &over).await;
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

/// Records are readable until they expire, belong to their tenant, and a take by their
/// owner hands a record out once.
pub async fn records_expire_and_take_once(store: &dyn Store) {
    let t = new_tenant(store, "records", None).await;
    let other = new_tenant(store, "records-other", None).await;
    let ns = unique_key("records");
    let later = Timestamp::from_millisecond(Timestamp::now().as_millisecond() + HOUR).unwrap();
    let past = Timestamp::from_millisecond(Timestamp::now().as_millisecond() - HOUR).unwrap();
    let record = |owner: &str, value: &str, expires_at| Record {
        owner: owner.into(),
        value: value.into(),
        expires_at,
    };
    store
        .put_record(&t, &ns, "k", record("alice", "v1", later))
        .await
        .unwrap();
    assert_eq!(
        store.get_record(&t, &ns, "k").await.unwrap(),
        Some(record("alice", "v1", later))
    );
    store
        .put_record(&t, &ns, "k", record("alice", "v2", later))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_record(&t, &ns, "k")
            .await
            .unwrap()
            .map(|r| r.value),
        Some("v2".into()),
        "a put replaces"
    );
    assert_eq!(
        store.get_record(&t, "elsewhere", "k").await.unwrap(),
        None,
        "namespaces are separate"
    );
    assert_eq!(
        store.get_record(&other, &ns, "k").await.unwrap(),
        None,
        "records belong to their tenant"
    );
    assert_eq!(
        store.take_record(&other, &ns, "k", "alice").await.unwrap(),
        None,
        "another tenant cannot take it"
    );
    assert!(!store.delete_record(&other, &ns, "k").await.unwrap());
    assert_eq!(
        store.take_record(&t, &ns, "k", "mallory").await.unwrap(),
        None,
        "another owner cannot take it"
    );
    assert!(
        store.get_record(&t, &ns, "k").await.unwrap().is_some(),
        "a refused take leaves the record in place"
    );

    let (a, b, c) = tokio::join!(
        store.take_record(&t, &ns, "k", "alice"),
        store.take_record(&t, &ns, "k", "alice"),
        store.take_record(&t, &ns, "k", "alice")
    );
    let taken: Vec<String> = [a, b, c]
        .into_iter()
        .filter_map(|r| r.unwrap().map(|r| r.value))
        .collect();
    assert_eq!(taken, ["v2"], "exactly one take gets the record");
    assert_eq!(store.get_record(&t, &ns, "k").await.unwrap(), None);

    store
        .put_record(&t, &ns, "old", record("alice", "x", past))
        .await
        .unwrap();
    assert_eq!(
        store.get_record(&t, &ns, "old").await.unwrap(),
        None,
        "expired records are not read"
    );
    assert_eq!(
        store.take_record(&t, &ns, "old", "alice").await.unwrap(),
        None
    );
    assert!(
        store.sweep_records(1000).await.unwrap() >= 1,
        "expired records are swept"
    );
    assert!(!store.delete_record(&t, &ns, "old").await.unwrap());

    store
        .put_record(&t, &ns, "d", record("alice", "x", later))
        .await
        .unwrap();
    assert!(store.delete_record(&t, &ns, "d").await.unwrap());
    assert!(!store.delete_record(&t, &ns, "d").await.unwrap());
}

/// Settings are durable per tenant, and concurrent edits of one setting lose nothing.
pub async fn settings_are_per_tenant_and_edited_atomically(store: Arc<dyn Store>) {
    let t = new_tenant(&*store, "settings", None).await;
    let other = new_tenant(&*store, "settings-other", None).await;
    assert_eq!(store.setting(&t, "ns", "k").await.unwrap(), None);
    store.put_setting(&t, "ns", "k", "v1").await.unwrap();
    assert_eq!(
        store.setting(&t, "ns", "k").await.unwrap().as_deref(),
        Some("v1")
    );
    assert_eq!(store.setting(&t, "ns", "other").await.unwrap(), None);
    assert_eq!(store.setting(&t, "ns2", "k").await.unwrap(), None);
    assert_eq!(
        store.setting(&other, "ns", "k").await.unwrap(),
        None,
        "settings belong to their tenant"
    );
    store.put_setting(&t, "ns", "k", "v2").await.unwrap();
    assert_eq!(
        store.setting(&t, "ns", "k").await.unwrap().as_deref(),
        Some("v2"),
        "a put replaces"
    );

    let refused = store
        .update_setting(&t, "ns", "k", Box::new(|_| Err(EditRejected("no".into()))))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Rejected(_))),
        "{refused:?}"
    );
    assert_eq!(
        store.setting(&t, "ns", "k").await.unwrap().as_deref(),
        Some("v2"),
        "a refused edit changes nothing"
    );

    let n = 40;
    let handles = (0..n)
        .map(|_| {
            let (store, t) = (store.clone(), t.clone());
            tokio::spawn(async move {
                store
                    .update_setting(
                        &t,
                        "ns",
                        "counter",
                        Box::new(|v| {
                            let n: u64 = v.map_or(0, |v| v.parse().unwrap());
                            Ok(Some((n + 1).to_string()))
                        }),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    join_all(handles).await;
    assert_eq!(
        store.setting(&t, "ns", "counter").await.unwrap(),
        Some(n.to_string()),
        "no edit is lost"
    );
    let removed = store
        .update_setting(&t, "ns", "counter", Box::new(|_| Ok(None)))
        .await
        .unwrap();
    assert_eq!(removed, None);
    assert_eq!(store.setting(&t, "ns", "counter").await.unwrap(), None);
}

/// A notification reaches the subscribers of its tenant's topic, in order, whatever its
/// size; other topics and other tenants hear nothing; a subscription ends when dropped.
pub async fn notifications_reach_the_topics_subscribers(store: &dyn Store) {
    let t = new_tenant(store, "notify", None).await;
    let other = new_tenant(store, "notify-other", None).await;
    let mut sub = store.subscribe(&t, "results/s1").await.unwrap();
    let mut second = store.subscribe(&t, "results/s1").await.unwrap();
    let mut other_topic = store.subscribe(&t, "results/s2").await.unwrap();
    let mut other_tenant = store.subscribe(&other, "results/s1").await.unwrap();
    // Larger than any backend's signal (PostgreSQL's NOTIFY takes under 8,000 bytes).
    let large: String = (0..40_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let payloads = ["first", "{\"json\": \"é ✓ \\n\"}", large.as_str(), "last"];
    for p in payloads {
        store.publish(&t, "results/s1", p).await.unwrap();
    }
    for s in [&mut sub, &mut second] {
        for p in payloads {
            let got = tokio::time::timeout(TASK_DEADLINE, s.next())
                .await
                .expect("a published payload arrives")
                .expect("the subscription is open");
            assert_eq!(&*got, p);
        }
    }
    store.publish(&other, "results/s2", "x").await.unwrap();
    store.publish(&t, "results/s2", "mine").await.unwrap();
    let got = tokio::time::timeout(TASK_DEADLINE, other_topic.next())
        .await
        .expect("a published payload arrives");
    assert_eq!(got.as_deref(), Some("mine"), "topics and tenants are apart");
    store.publish(&other, "results/s1", "theirs").await.unwrap();
    let got = tokio::time::timeout(TASK_DEADLINE, other_tenant.next())
        .await
        .expect("a published payload arrives");
    assert_eq!(got.as_deref(), Some("theirs"));
    drop(sub);
    store.publish(&t, "results/s1", "after").await.unwrap();
    let got = tokio::time::timeout(TASK_DEADLINE, second.next())
        .await
        .expect("a published payload arrives");
    assert_eq!(
        got.as_deref(),
        Some("after"),
        "the other subscriber stays subscribed"
    );
    let nothing = tokio::time::timeout(Duration::from_millis(300), other_topic.next()).await;
    assert!(nothing.is_err(), "nothing else arrives: {nothing:?}");
}

// --- the change feed -------------------------------------------------------------------------

/// The whole feed of a tenant after `after`, read a few at a time.
async fn feed(store: &dyn Store, tenant: &Tenant, after: i64) -> Vec<crate::Change> {
    let mut out: Vec<crate::Change> = Vec::new();
    let mut at = after;
    loop {
        let page = store.changes(tenant, at, 3).await.expect("changes");
        let Some(last) = page.changes.last() else {
            return out;
        };
        at = last.position;
        out.extend(page.changes);
    }
}

fn summary(changes: &[crate::Change]) -> Vec<(String, &'static str)> {
    changes
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                match &c.kind {
                    ChangeKind::Upsert(_) => "upsert",
                    ChangeKind::Delete(r) => r.as_str(),
                },
            )
        })
        .collect()
}

/// Every write takes the next position; an engagement shows once, at its latest write,
/// as it is now; a write that changes nothing takes no position; the head is announced.
pub async fn the_change_feed_shows_each_write_once_at_its_latest_position(store: &dyn Store) {
    let t = new_tenant(store, "feed", None).await;
    let other = new_tenant(store, "feed-other", None).await;
    let empty = store.changes(&t, 0, 10).await.unwrap();
    assert!(empty.changes.is_empty());
    assert_eq!(empty.head, 0);
    let mut heads = store.subscribe(&t, CHANGES_TOPIC).await.unwrap();

    let base = ts("2024-01-01T00:00:00Z");
    let u = |ms| plus(base, ms);
    upsert(store, &t, eng("a", base).updated(u(1)).normalized()).await;
    upsert(store, &t, eng("b", base).updated(u(1)).normalized()).await;
    upsert(store, &t, eng("c", base).updated(u(1)).normalized()).await;
    let announced = tokio::time::timeout(TASK_DEADLINE, heads.next())
        .await
        .expect("a commit announces the head");
    assert!(announced.is_some());
    // A newer version of a moves it to the end; a stale one changes nothing.
    upsert(
        store,
        &t,
        eng("a", base).updated(u(2)).subject("v2").normalized(),
    )
    .await;
    assert_eq!(
        upsert(store, &t, eng("b", base).updated(u(0)).normalized()).await,
        UpsertOutcome::Stale
    );
    assert!(!store.delete(&t, "missing").await.unwrap());
    upsert(store, &other, eng("x", base).normalized()).await;

    let all = feed(store, &t, 0).await;
    assert_eq!(
        summary(&all),
        [
            ("b".into(), "upsert"),
            ("c".into(), "upsert"),
            ("a".into(), "upsert")
        ]
    );
    let positions: Vec<i64> = all.iter().map(|c| c.position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let page = store.changes(&t, 0, 100).await.unwrap();
    assert_eq!(
        page.head, 4,
        "four writes moved the feed: three creates and one update"
    );
    assert_eq!(*positions.last().unwrap(), page.head);
    match &all[2].kind {
        ChangeKind::Upsert(stored) => assert_eq!(parse(stored).subject.as_deref(), Some("v2")),
        other => panic!("{other:?}"),
    }
    assert!(
        all.iter().all(|c| c.at.as_millisecond() > 0),
        "each change says when"
    );
    // Reading on from a position gives what came after it, once.
    assert_eq!(
        summary(&feed(store, &t, positions[0]).await),
        summary(&all[1..])
    );
    assert!(store
        .changes(&t, page.head, 10)
        .await
        .unwrap()
        .changes
        .is_empty());
    let head_only = store.changes(&t, i64::MAX, 0).await.unwrap();
    assert!(head_only.changes.is_empty());
    assert_eq!(head_only.head, page.head);
    assert_eq!(
        summary(&feed(store, &other, 0).await),
        [("x".into(), "upsert")],
        "feeds belong to their tenant"
    );
}

/// Deleting, retention and erasure leave tombstones saying why, and no engagement data.
pub async fn deletions_leave_tombstones_with_their_reason(store: &dyn Store) {
    let t = new_tenant(store, "tombstones", None).await;
    let day = |d: i64| plus(ts("2024-01-01T00:00:00Z"), d * DAY);
    insert_all(
        store,
        &t,
        (0..6)
            .map(|i| eng(&format!("e{i}"), day(i)).normalized())
            .collect(),
    )
    .await;
    assert!(store.delete(&t, "e5").await.unwrap());
    assert_eq!(
        store
            .delete_many(&t, &strings(&["e4", "e3", "nope"]), DeleteReason::Erased)
            .await
            .unwrap(),
        2
    );
    // Retention: the earliest first, in batches.
    assert_eq!(store.delete_started_before(&t, day(2), 1).await.unwrap(), 1);
    assert!(get(store, &t, "e0").await.is_none());
    assert!(get(store, &t, "e1").await.is_some());
    assert_eq!(
        store.delete_started_before(&t, day(2), 10).await.unwrap(),
        1
    );
    assert_eq!(
        store.delete_started_before(&t, day(2), 10).await.unwrap(),
        0
    );
    assert_eq!(count(store, &t, &Filter::default()).await, 1);

    let all = feed(store, &t, 0).await;
    assert_eq!(
        summary(&all),
        [
            ("e2".into(), "upsert"),
            ("e5".into(), "deleted"),
            ("e4".into(), "erased"),
            ("e3".into(), "erased"),
            ("e0".into(), "retention"),
            ("e1".into(), "retention"),
        ]
    );
    // A new engagement under a deleted id starts afresh.
    upsert(store, &t, eng("e5", day(5)).normalized()).await;
    let last = feed(store, &t, all.last().unwrap().position).await;
    assert_eq!(summary(&last), [("e5".into(), "upsert")]);
}

/// Tombstones older than the horizon go, and the feed says how far.
pub async fn tombstones_past_the_horizon_are_trimmed(store: &dyn Store) {
    let t = new_tenant(store, "trim", None).await;
    insert_all(
        store,
        &t,
        (0..4)
            .map(|i| eng(&format!("t{i}"), ts("2024-01-01T00:00:00Z")).normalized())
            .collect(),
    )
    .await;
    assert!(store.delete(&t, "t0").await.unwrap());
    assert!(store.delete(&t, "t1").await.unwrap());
    let before = feed(store, &t, 0).await;
    assert_eq!(store.changes(&t, 0, 1).await.unwrap().trimmed_through, 0);
    let future = Timestamp::from_millisecond(Timestamp::now().as_millisecond() + HOUR).unwrap();
    assert_eq!(store.trim_tombstones(&t, future, 100).await.unwrap(), 2);
    let page = store.changes(&t, 0, 100).await.unwrap();
    let last_tombstone = before
        .iter()
        .filter(|c| matches!(c.kind, ChangeKind::Delete(_)))
        .map(|c| c.position)
        .max()
        .unwrap();
    assert_eq!(page.trimmed_through, last_tombstone);
    assert_eq!(
        summary(&page.changes),
        [("t2".into(), "upsert"), ("t3".into(), "upsert")]
    );
    assert_eq!(store.trim_tombstones(&t, future, 100).await.unwrap(), 0);
}

/// A reader that resumes from its last position while writers commit concurrently sees
/// every write exactly once, in increasing positions.
pub async fn a_feed_reader_sees_every_concurrent_write_once_and_in_order(store: Arc<dyn Store>) {
    let t = new_tenant(&*store, "feed-race", None).await;
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (store, t) = (store.clone(), t.clone());
            tokio::spawn(async move {
                for i in 0..50 {
                    let e = eng(&format!("w{w}-{i}"), ts("2024-01-01T00:00:00Z")).normalized();
                    store.upsert(&t, e).await.unwrap();
                }
            })
        })
        .collect();
    let reader = {
        let (store, t) = (store.clone(), t.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut after = 0;
            let deadline = std::time::Instant::now() + TASK_DEADLINE;
            while seen.len() < 200 && std::time::Instant::now() < deadline {
                let page = store.changes(&t, after, 7).await.unwrap();
                for c in page.changes {
                    assert!(c.position > after, "positions increase");
                    after = c.position;
                    seen.push(c.id);
                }
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    join_all(writers).await;
    let seen = reader.await.unwrap();
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 200, "every write seen");
    assert_eq!(unique.len(), 200, "each once");
}

// --- activity -------------------------------------------------------------------------------

pub async fn activity_counts_days_of_the_tenants_zone_by_channel_and_outcome(store: &dyn Store) {
    // Europe/Dublin leaves summer time on 2024-10-27 at 02:00, so that day is 25 hours
    // long: from 2024-10-26T23:00Z to 2024-10-28T00:00Z.
    let t = new_tenant(store, "activity", None).await;
    let other = new_tenant(store, "activity-other", None).await;
    let day = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
    let e = |id: &str, at: &str| eng(id, ts(at)).lasting(MINUTE);
    insert_all(
        store,
        &t,
        vec![
            e("before", "2024-10-25T22:59:59.999Z")
                .channel(ChannelType::Voice, "pstn")
                .normalized(),
            e("last-ms-of-26th", "2024-10-26T22:59:59.999Z")
                .channel(ChannelType::Voice, "pstn")
                .outcome(Outcome::Successful)
                .normalized(),
            e("first-ms-of-27th", "2024-10-26T23:00:00Z")
                .channel(ChannelType::Voice, "pstn")
                .channel(ChannelType::Chat, "web_chat")
                .outcome(Outcome::Unsuccessful)
                .normalized(),
            e("hour-25-of-27th", "2024-10-27T23:30:00Z")
                .channel(ChannelType::Voice, "pstn")
                .channel(ChannelType::Voice, "sip")
                .normalized(),
            e("no-channel", "2024-10-28T00:00:00Z")
                .outcome(Outcome::Successful)
                .normalized(),
            e("email", "2024-10-28T23:59:59.999Z")
                .channel(ChannelType::Email, "email_address")
                .outcome(Outcome::Successful)
                .normalized(),
            e("after", "2024-10-30T00:00:00Z")
                .channel(ChannelType::Sms, "sms")
                .normalized(),
        ],
    )
    .await;
    insert_all(
        store,
        &other,
        vec![e("elsewhere", "2024-10-27T12:00:00Z")
            .channel(ChannelType::Video, "app")
            .outcome(Outcome::Unsuccessful)
            .normalized()],
    )
    .await;

    // `after_edit`: the email engagement deleted, the 25th-hour one moved to chat.
    let expected = |after_edit: bool| {
        let mut a = Activity::empty(day("2024-10-26"), 4);
        a.days[0].total = 1;
        a.days[0].channels = BTreeMap::from([(ChannelType::Voice, 1)]);
        a.days[1].total = 2;
        a.days[1].channels = if after_edit {
            BTreeMap::from([(ChannelType::Voice, 1), (ChannelType::Chat, 2)])
        } else {
            BTreeMap::from([(ChannelType::Voice, 2), (ChannelType::Chat, 1)])
        };
        if after_edit {
            a.days[2].total = 1;
        } else {
            a.days[2].total = 2;
            a.days[2].channels = BTreeMap::from([(ChannelType::Email, 1)]);
        }
        a.outcomes = BTreeMap::from([
            (Some(Outcome::Successful), if after_edit { 2 } else { 3 }),
            (Some(Outcome::Unsuccessful), 1),
            (None, 1),
        ]);
        a
    };
    let t = &t;
    let activity =
        |first: &'static str, days: u32| async move { store.activity(t, day(first), days).await };
    let got = activity("2024-10-26", 4).await.unwrap();
    assert_eq!(
        got.days.iter().map(|d| d.date).collect::<Vec<_>>(),
        [
            day("2024-10-26"),
            day("2024-10-27"),
            day("2024-10-28"),
            day("2024-10-29")
        ],
        "every day asked for, empty ones too"
    );
    assert_eq!(got, expected(false));

    // Counts follow writes: a changed channel moves, a deleted engagement goes.
    assert!(store.delete(t, "email").await.unwrap());
    store
        .upsert(
            t,
            e("hour-25-of-27th", "2024-10-27T23:30:00Z")
                .channel(ChannelType::Chat, "web_chat")
                .updated(ts("2030-01-01T00:00:00Z"))
                .normalized(),
        )
        .await
        .unwrap();
    assert_eq!(activity("2024-10-26", 4).await.unwrap(), expected(true));

    // One day alone, and the limits on the number of days.
    let one = activity("2024-10-27", 1).await.unwrap();
    assert_eq!(one.days.len(), 1);
    assert_eq!(one.days[0].total, 2);
    for days in [0, crate::MAX_ACTIVITY_DAYS + 1] {
        assert!(
            matches!(
                activity("2024-10-26", days).await,
                Err(StoreError::Invalid(_))
            ),
            "{days} days"
        );
    }
    let _ = store.activity(&other, day("2024-10-27"), 1).await.unwrap();
}
