//! Writing and reading engagements one at a time and in batches: upserts and their replays,
//! create, update, get, delete ([`crate::Engagements`]).

use super::support::*;
use crate::{EditRejected, Filter, Query, Sort, Store, StoreError, UpsertOutcome};
use interlog_model::{
    AutomationType, Channel, ChannelType, Customer, Direction, Disposition, Engagement, Flow,
    IndexMap, Media, Message, MessageSender, Note, Outcome, Participant, QueueVisit, QueueWaitType,
    Recording, Release, Role, SourcePlatform, State, Timestamp, Timings, Transfer, TransferMode,
    TransferType,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

// --- round trip ----------------------------------------------------------------------------

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

// --- idempotent replays --------------------------------------------------------------------

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

// --- upsert_many ---------------------------------------------------------------------------

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

// --- create --------------------------------------------------------------------------------

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

// --- update --------------------------------------------------------------------------------

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

// --- get_many ------------------------------------------------------------------------------

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

// --- delete --------------------------------------------------------------------------------

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

// --- helpers of these cases ------------------------------------------------------------

/// How far the store's clock may be from the test's when it stamps `updated_at`.
const CLOCK_SLACK: i64 = 10 * MINUTE;

/// The engagement with `updated_at` removed, for comparing what a store may re-stamp.
fn without_updated_at(mut e: Engagement) -> Engagement {
    e.updated_at = None;
    e
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
            hold_ms: Some(45_000),
            flow_ms: Some(25_000),
            handling_ms: Some(769_000),
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
