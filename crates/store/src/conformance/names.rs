//! Names ([`crate::Names`]): what the tenant's queues, agents, teams and dispositions are
//! called, suggested by a folded word prefix and resolved to ids, following every write and
//! deletion, within the tenant.

use super::support::*;
use crate::{DeleteReason, KnownName, NameKind, Store, Tenant};
use interlog_model::{Engagement, Participant, QueueVisit, Role};

fn visit(id: &str, name: &str) -> QueueVisit {
    let mut q = QueueVisit::new(id);
    q.name = Some(name.into());
    q
}

fn agent(id: &str, first: &str, last: &str) -> Participant {
    let mut p = Participant::new(Role::Agent);
    p.id = Some(id.into());
    p.first_name = Some(first.into());
    p.last_name = Some(last.into());
    p
}

/// An engagement in queue `q`, handled by agent `a`, of team `team`, with a disposition.
fn handled(
    id: &str,
    q: (&str, &str),
    a: (&str, &str, &str),
    team: &str,
    minute: i64,
) -> Engagement {
    let mut e = eng(id, plus(ts("2024-03-01T09:00:00Z"), minute * MINUTE))
        .team(team)
        .disposition(Some("d-1"), Some("Résolu"))
        .0;
    e.queues.push(visit(q.0, q.1));
    e.participants.push(agent(a.0, a.1, a.2));
    e
}

async fn suggest(
    store: &dyn Store,
    t: &Tenant,
    kind: NameKind,
    prefix: &str,
) -> Vec<(String, String, u64)> {
    store
        .suggest_names(t, kind, prefix, 10)
        .await
        .unwrap_or_else(|e| panic!("suggest_names({prefix}): {e:?}"))
        .into_iter()
        .map(|n: KnownName| (n.id, n.name, n.engagements))
        .collect()
}

fn named(id: &str, name: &str, n: u64) -> (String, String, u64) {
    (id.into(), name.into(), n)
}

async fn ids(store: &dyn Store, t: &Tenant, kind: NameKind, names: &[&str]) -> Vec<String> {
    store
        .ids_named(t, kind, &strings(names))
        .await
        .unwrap_or_else(|e| panic!("ids_named({names:?}): {e:?}"))
}

pub async fn names_are_suggested_by_word_prefix_and_resolve_to_ids(store: &dyn Store) {
    let t = new_tenant(store, "names", None).await;
    let other = new_tenant(store, "names-other", None).await;
    let billing = ("q-1", "Billing");
    let billing_emea = ("q-2", "Billing EMEA");
    let sales = ("q-3", "Sales");
    let niall = ("a-1", "Niall", "Campbell");
    let zoe = ("a-2", "Zoë", "Bíll");
    insert_all(
        store,
        &t,
        vec![
            handled("e1", billing, niall, "Tier 1", 0),
            handled("e2", billing, niall, "Tier 1", 1),
            handled("e3", billing_emea, zoe, "Tier 2", 2),
            handled("e4", sales, zoe, "Tier 2", 3),
        ],
    )
    .await;
    insert_all(
        store,
        &other,
        vec![handled("x1", ("q-9", "Billing Other"), niall, "Tier 9", 0)],
    )
    .await;

    // Case and accents folded; any word's start; the most mentioned first.
    assert_eq!(
        suggest(store, &t, NameKind::Queue, "BIL").await,
        vec![named("q-1", "Billing", 2), named("q-2", "Billing EMEA", 1)]
    );
    assert_eq!(
        suggest(store, &t, NameKind::Queue, "emea").await,
        vec![named("q-2", "Billing EMEA", 1)]
    );
    assert_eq!(
        suggest(store, &t, NameKind::Agent, "bill").await,
        vec![named("a-2", "Zoë Bíll", 2)]
    );
    assert_eq!(
        suggest(store, &t, NameKind::Agent, "niall camp").await,
        vec![named("a-1", "Niall Campbell", 2)]
    );
    assert_eq!(
        suggest(store, &t, NameKind::Team, "tier").await,
        vec![named("Tier 1", "Tier 1", 2), named("Tier 2", "Tier 2", 2)]
    );
    assert_eq!(
        suggest(store, &t, NameKind::Disposition, "resolu").await,
        vec![named("d-1", "Résolu", 4)]
    );
    assert_eq!(suggest(store, &t, NameKind::Queue, "illing").await, vec![]);
    assert_eq!(suggest(store, &t, NameKind::Queue, "").await.len(), 3);
    assert_eq!(
        store
            .suggest_names(&t, NameKind::Queue, "", 1)
            .await
            .expect("limit")
            .len(),
        1
    );
    let seen = store
        .suggest_names(&t, NameKind::Queue, "sales", 10)
        .await
        .expect("suggest");
    assert_eq!(
        seen[0].last_seen,
        plus(ts("2024-03-01T09:00:00Z"), 3 * MINUTE)
    );

    // Whole names, folded; another tenant's never.
    assert_eq!(
        ids(store, &t, NameKind::Queue, &["billing"]).await,
        strings(&["q-1"])
    );
    assert_eq!(
        ids(store, &t, NameKind::Queue, &["Billing", "SALES", "nope"]).await,
        strings(&["q-1", "q-3"])
    );
    assert_eq!(
        ids(store, &t, NameKind::Agent, &["zoe bill"]).await,
        strings(&["a-2"])
    );
    assert_eq!(
        ids(store, &t, NameKind::Queue, &["Billing Other"]).await,
        Vec::<String>::new()
    );
    assert_eq!(
        suggest(store, &other, NameKind::Queue, "").await,
        vec![named("q-9", "Billing Other", 1)]
    );
}

pub async fn names_follow_every_write_and_deletion(store: &dyn Store) {
    let t = new_tenant(store, "names-writes", None).await;
    let billing = ("q-1", "Billing");
    let niall = ("a-1", "Niall", "Campbell");
    insert_all(
        store,
        &t,
        vec![
            handled("e1", billing, niall, "Tier 1", 0),
            handled("e2", billing, niall, "Tier 1", 1),
            handled("e3", billing, niall, "Tier 1", 2),
        ],
    )
    .await;
    // A queue renamed in a newer version: both names, each with its engagements.
    let mut renamed = handled("e1", ("q-1", "Billing & Payments"), niall, "Tier 1", 0);
    renamed.updated_at = Some(ts("2100-01-01T00:00:00Z"));
    upsert(store, &t, renamed).await;
    assert_eq!(
        suggest(store, &t, NameKind::Queue, "b").await,
        vec![
            named("q-1", "Billing", 2),
            named("q-1", "Billing & Payments", 1)
        ]
    );
    assert_eq!(
        ids(store, &t, NameKind::Queue, &["billing payments"]).await,
        strings(&["q-1"])
    );
    // An edit that drops the team.
    store
        .update(
            &t,
            "e2",
            Box::new(|e: &mut Engagement| {
                e.team = None;
                Ok(())
            }),
        )
        .await
        .expect("update");
    assert_eq!(
        suggest(store, &t, NameKind::Team, "").await,
        vec![named("Tier 1", "Tier 1", 2)]
    );
    // Deletions of every kind; a name no engagement mentions is gone.
    assert!(store.delete(&t, "e2").await.expect("delete"));
    assert_eq!(
        suggest(store, &t, NameKind::Queue, "").await,
        vec![
            named("q-1", "Billing", 1),
            named("q-1", "Billing & Payments", 1)
        ]
    );
    store
        .delete_many(&t, &strings(&["e1"]), DeleteReason::Erased)
        .await
        .expect("delete_many");
    assert_eq!(
        suggest(store, &t, NameKind::Queue, "").await,
        vec![named("q-1", "Billing", 1)]
    );
    assert_eq!(
        ids(store, &t, NameKind::Queue, &["Billing & Payments"]).await,
        Vec::<String>::new()
    );
    store
        .delete_started_before(&t, ts("2100-01-01T00:00:00Z"), 100)
        .await
        .expect("delete_started_before");
    for kind in NameKind::ALL {
        assert_eq!(suggest(store, &t, kind, "").await, vec![], "{kind:?}");
    }
}

pub async fn phones_are_found_by_their_last_digits(store: &dyn Store) {
    let t = new_tenant(store, "names-phones", Some("353")).await;
    let at = ts("2024-03-01T09:00:00Z");
    insert_all(
        store,
        &t,
        vec![
            eng("p1", at).phone("01 218 3800").0,
            eng("p2", at)
                .customer_participant(None, Some("+44 20 7946 3800"))
                .0,
            eng("p3", at).phone("087 555 1234").email("ann@x.test").0,
        ],
    )
    .await;
    let tenant = &t;
    let ending = move |digits: &'static str| async move {
        store
            .phones_ending(tenant, digits, 10)
            .await
            .unwrap_or_else(|e| panic!("phones_ending({digits}): {e:?}"))
    };
    assert_eq!(ending("2183800").await, strings(&["+35312183800"]));
    let mut both = ending("3800").await;
    both.sort();
    assert_eq!(both, strings(&["+35312183800", "+442079463800"]));
    assert_eq!(ending("35312183800").await, strings(&["+35312183800"]));
    assert_eq!(ending("1234").await, strings(&["+353875551234"]));
    assert_eq!(ending("9999").await, Vec::<String>::new());
    assert_eq!(
        store
            .phones_ending(&t, "3800", 1)
            .await
            .expect("limit")
            .len(),
        1
    );
    // The customer filter finds what the numbers are compared as.
    let by = |keys: Vec<String>| crate::Filter {
        customer: keys,
        ..crate::Filter::default()
    };
    assert_eq!(count(store, &t, &by(ending("2183800").await)).await, 1);
    // Phones are not among the names people choose.
    assert_eq!(NameKind::parse("phone"), None);
    // Erased with their engagement.
    store
        .delete_many(&t, &strings(&["p1", "p2"]), DeleteReason::Erased)
        .await
        .expect("delete_many");
    assert_eq!(ending("3800").await, Vec::<String>::new());
    assert_eq!(ending("1234").await, strings(&["+353875551234"]));
}
