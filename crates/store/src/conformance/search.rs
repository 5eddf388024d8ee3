//! Full-text search ([`crate::Filter::text`]): what each query form finds, that the index
//! follows every write and deletion, and generated queries checked against the in-memory
//! [`crate::matching::matches`].

use super::support::*;
use crate::search::{TextQuery, TextTerm};
use crate::{DeleteReason, Filter, Sort, SortDir, SortKey, Store, Tenant};
use interlog_model::{Engagement, Note, Timestamp};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::json;

fn t0() -> Timestamp {
    ts("2024-06-01T00:00:00Z")
}

fn note(text: &str) -> Note {
    serde_json::from_value(json!({ "text": text })).expect("a note")
}

/// A query of one group per word of `all` (`a|b` is `a OR b`; `"a b"` a phrase, `a*` a
/// prefix) and the excluded words of `none`.
fn text(all: &[&str], none: &[&str]) -> TextQuery {
    fn term(s: &str) -> TextTerm {
        if let Some(p) = s.strip_suffix('*') {
            TextTerm::Prefix(p.into())
        } else if s.contains(' ') {
            TextTerm::Phrase(s.split(' ').map(str::to_owned).collect())
        } else {
            TextTerm::Word(s.into())
        }
    }
    TextQuery {
        all: all
            .iter()
            .map(|g| g.split('|').map(term).collect())
            .collect(),
        none: none.iter().map(|s| term(s)).collect(),
    }
}

fn searching(q: TextQuery) -> Filter {
    Filter {
        text: Some(q),
        ..Filter::default()
    }
}

/// The ids a query lists newest first (paging by 2), checked against its count and the
/// in-memory matcher over `everything`.
async fn found(
    store: &dyn Store,
    tenant: &Tenant,
    everything: &[Engagement],
    f: &Filter,
) -> Vec<String> {
    let got = list_all_ids(store, tenant, &query(f.clone(), Sort::default(), 2)).await;
    let want: Vec<String> = {
        let mut m: Vec<&Engagement> = everything
            .iter()
            .filter(|e| crate::matching::matches(f, e, tenant.country_code.as_deref()))
            .collect();
        m.sort_by(|a, b| (b.started_at, &b.id).cmp(&(a.started_at, &a.id)));
        m.into_iter().map(|e| e.id.clone()).collect()
    };
    assert_eq!(got, want, "the store and the matcher disagree on {f:?}");
    assert_eq!(count(store, tenant, f).await, got.len() as u64, "{f:?}");
    got
}

/// Each query form finds what it says: words in any searched field (case and accents
/// folded), phrases, prefixes, exclusions, OR, identifiers whole and split, combined with
/// the other filters.
pub async fn full_text_finds_words_phrases_prefixes_and_identifiers(store: &dyn Store) {
    let tenant = new_tenant(store, "search", None).await;
    let at = |h: i64| plus(t0(), h * HOUR);
    let mut late = eng("late", at(1)).queue("q1").build();
    late.notes = vec![note(
        "Customer complained about the LATE delivery fee on ticket CS-005562.",
    )];
    let mut refund = eng("refund", at(2)).queue("q2").build();
    refund.subject = Some("Refund request".into());
    refund.messages = serde_json::from_value(json!([
        {"index": 0, "at": "2024-06-01T02:00:00Z", "type": "text", "text": "Où est mon remboursement? Crème brûlée"}
    ]))
    .expect("messages");
    let mut other = eng("other", at(3)).queue("q1").build();
    other.topics = vec!["delivery".into()];
    other.attributes = vec!["Lighthouse-77".into()];
    let named = eng("named", at(4))
        .disposition(None, Some("Fee waived"))
        .data("order", json!({"note": "late again"}))
        .build();
    let mut person = eng("person", at(5)).build();
    person.participants = serde_json::from_value(json!([
        {"role": "customer", "display_name": "Zoë Ångström"}
    ]))
    .expect("participants");
    let everything = vec![late, refund, other, named, person];
    insert_all(store, &tenant, everything.clone()).await;

    let cases: &[(TextQuery, &[&str])] = &[
        (text(&["late"], &[]), &["named", "late"]),
        (text(&["delivery", "fee"], &[]), &["late"]),
        (text(&["late delivery fee"], &[]), &["late"]),
        (text(&["delivery late"], &[]), &[]),
        (text(&["deliv*"], &[]), &["other", "late"]),
        (text(&["delivery"], &["fee"]), &["other"]),
        (text(&["refund|waived"], &[]), &["named", "refund"]),
        (text(&["remboursement"], &[]), &["refund"]),
        (text(&["creme brulee"], &[]), &["refund"]),
        (text(&["zoe", "angstrom"], &[]), &["person"]),
        (text(&["cs-005562"], &[]), &["late"]),
        (text(&["005562"], &[]), &["late"]),
        (text(&["ticket cs 005562"], &[]), &["late"]),
        (text(&["cs-00*"], &[]), &["late"]),
        (text(&["lighthouse-77"], &[]), &["other"]),
        (text(&["nothing"], &[]), &[]),
    ];
    for (q, want) in cases {
        let got = found(store, &tenant, &everything, &searching(q.clone())).await;
        assert_eq!(got, strings(want), "{q:?}");
    }
    // With the other filters, sorts and totals.
    let f = Filter {
        queue_ids: vec!["q1".into()],
        ..searching(text(&["delivery"], &[]))
    };
    assert_eq!(
        found(store, &tenant, &everything, &f).await,
        strings(&["other", "late"])
    );
    let oldest = list_all_ids(
        store,
        &tenant,
        &query(f.clone(), sort_of(SortKey::StartedAt, SortDir::Asc), 1),
    )
    .await;
    assert_eq!(oldest, strings(&["late", "other"]));
    let within = Filter {
        started: range(Some(at(2)), None),
        ..searching(text(&["late|refund"], &[]))
    };
    assert_eq!(
        found(store, &tenant, &everything, &within).await,
        strings(&["named", "refund"])
    );
    let total = store
        .count(&tenant, &within, Some(std::time::Duration::from_secs(5)))
        .await
        .expect("a budgeted count");
    assert_eq!(total, crate::Total::Exact(2));
}

/// The index follows every write: a replaced text is found by its new words only, and a
/// deleted, erased or retained-away engagement by none; another tenant's words are never
/// found.
pub async fn full_text_follows_every_write_and_deletion(store: &dyn Store) {
    let tenant = new_tenant(store, "search-writes", None).await;
    let other = new_tenant(store, "search-other", None).await;
    let at = |h: i64| plus(t0(), h * HOUR);
    let with = |id: &str, h: i64, words: &str| {
        let mut e = eng(id, at(h)).updated(at(10)).build();
        e.notes = vec![note(words)];
        e
    };
    insert_all(
        store,
        &tenant,
        vec![
            with("old", 1, "parcel lost"),
            with("kept", 2, "parcel arrived"),
            with("erased", 3, "parcel damaged Rasetest"),
            with("gone", 4, "parcel returned"),
        ],
    )
    .await;
    insert_all(store, &other, vec![with("theirs", 1, "parcel lost")]).await;
    let ids = |f: Filter| {
        let tenant = tenant.clone();
        async move { list_all_ids(store, &tenant, &query(f, Sort::default(), 10)).await }
    };
    let word = |w: &str| searching(text(&[w], &[]));
    assert_eq!(
        ids(word("parcel")).await,
        strings(&["gone", "erased", "kept", "old"])
    );

    // A replacement (and an edit) changes what is found.
    upsert(
        store,
        &tenant,
        with("kept", 2, "box arrived").clone_updated(at(50)),
    )
    .await;
    assert_eq!(ids(word("box")).await, strings(&["kept"]));
    assert_eq!(
        ids(word("parcel")).await,
        strings(&["gone", "erased", "old"])
    );
    store
        .update(
            &tenant,
            "kept",
            Box::new(|e| {
                e.subject = Some("Crate".into());
                Ok(())
            }),
        )
        .await
        .expect("update");
    assert_eq!(ids(word("crate")).await, strings(&["kept"]));
    assert_eq!(ids(word("box")).await, strings(&["kept"]));

    // Deletion, erasure and retention remove the words.
    assert!(store.delete(&tenant, "gone").await.expect("delete"));
    store
        .delete_many(&tenant, &["erased".into()], DeleteReason::Erased)
        .await
        .expect("erase");
    assert!(ids(word("rasetest")).await.is_empty());
    assert_eq!(
        count(store, &tenant, &word("rasetest")).await,
        0,
        "an erased engagement's words are not counted"
    );
    store
        .delete_started_before(&tenant, at(2), 10)
        .await
        .expect("retention");
    assert!(ids(word("parcel")).await.is_empty());
    assert!(ids(word("lost")).await.is_empty());
    // Written again under an id that was deleted: only its new words are found.
    upsert(store, &tenant, with("gone", 4, "fresh start")).await;
    assert_eq!(ids(word("fresh")).await, strings(&["gone"]));
    assert!(ids(word("returned")).await.is_empty());

    // The other tenant's engagement with the same words was never found, and still is.
    let theirs = list_all_ids(store, &other, &query(word("lost"), Sort::default(), 10)).await;
    assert_eq!(theirs, strings(&["theirs"]));
}

/// A count of a query alone (the case a backend may answer from its index without reading
/// each match's row) is the tenant's own, whether or not other tenants have engagements,
/// with or without a budget, and follows deletions; so are the pages of every query form,
/// alone and with another filter, while another tenant has the same words and more of them.
pub async fn full_text_counts_are_the_tenants_own(store: &dyn Store) {
    let tenant = new_tenant(store, "search-counts", None).await;
    let at = |h: i64| plus(t0(), h * HOUR);
    let with = |id: &str, h: i64, words: &str| {
        let mut e = eng(id, at(h)).build();
        e.notes = vec![note(words)];
        e
    };
    let ours = vec![
        with("a", 1, "refund late"),
        with("b", 2, "refund again"),
        with("c", 3, "late only"),
    ];
    insert_all(store, &tenant, ours.clone()).await;
    let word = |w: &str| searching(text(&[w], &[]));
    let budgeted = |tenant: Tenant, f: Filter| async move {
        store
            .count(&tenant, &f, Some(std::time::Duration::from_secs(5)))
            .await
            .expect("a budgeted count")
    };
    let both = |tenant: Tenant, f: Filter, n: u64| async move {
        assert_eq!(count(store, &tenant, &f).await, n, "{f:?}");
        assert_eq!(
            budgeted(tenant, f.clone()).await,
            crate::Total::Exact(n),
            "{f:?}"
        );
    };
    both(tenant.clone(), word("refund"), 2).await;
    both(tenant.clone(), word("late"), 2).await;
    both(tenant.clone(), word("nothing"), 0).await;

    // Another tenant, empty and then with the same words: each counts its own.
    let other = new_tenant(store, "search-counts-other", None).await;
    both(tenant.clone(), word("refund"), 2).await;
    let theirs = vec![
        with("a", 1, "refund"),
        with("x", 2, "refund"),
        with("y", 3, "refund late"),
        with("z", 4, "refund again late"),
    ];
    insert_all(store, &other, theirs.clone()).await;
    both(tenant.clone(), word("refund"), 2).await;
    both(other.clone(), word("refund"), 4).await;
    both(other.clone(), word("late"), 2).await;
    let forms = [
        word("refund"),
        searching(text(&["ref*"], &[])),
        searching(text(&["refund late"], &[])),
        searching(text(&["refund"], &["late"])),
        searching(text(&["late|again"], &[])),
        Filter {
            started: crate::TimeRange {
                from: Some(at(2)),
                to: None,
            },
            ..word("refund")
        },
    ];
    for f in &forms {
        found(store, &tenant, &ours, f).await;
        found(store, &other, &theirs, f).await;
    }

    // Deletions: theirs, then one of ours.
    store.delete_tenant(&other).await.expect("delete a tenant");
    both(tenant.clone(), word("refund"), 2).await;
    assert!(store.delete(&tenant, "b").await.expect("delete"));
    both(tenant.clone(), word("refund"), 1).await;
    both(tenant.clone(), word("again"), 0).await;
}

/// Words of small pools, so generated queries often match.
const WORDS: &[&str] = &["refund", "late", "fee", "parcel", "café", "CS-0055"];

fn written(index: usize) -> impl Strategy<Value = Engagement> {
    (
        0..72i64,
        proptest::collection::vec(proptest::sample::select(WORDS), 0..6),
        proptest::option::of(proptest::sample::select(WORDS)),
        proptest::bool::ANY,
    )
        .prop_map(move |(hour, words, subject, queued)| {
            let mut b = eng(&format!("s{index:03}"), plus(t0(), hour * HOUR));
            if queued {
                b = b.queue("q1");
            }
            let mut e = b.build();
            if !words.is_empty() {
                e.notes = vec![note(&words.join(" "))];
            }
            e.subject = subject.map(str::to_owned);
            e
        })
}

fn folded_term() -> impl Strategy<Value = TextTerm> {
    let word = proptest::sample::select(vec![
        "refund", "late", "fee", "parcel", "cafe", "cs-0055", "cs", "0055", "nope",
    ]);
    prop_oneof![
        word.clone().prop_map(|w| TextTerm::Word(w.into())),
        proptest::sample::select(vec!["re", "la", "f", "cs-0", "caf"])
            .prop_map(|p| TextTerm::Prefix(p.into())),
        (word.clone(), word).prop_map(|(a, b)| TextTerm::Phrase(vec![a.into(), b.into()])),
    ]
}

fn text_query() -> impl Strategy<Value = TextQuery> {
    (
        proptest::collection::vec(proptest::collection::vec(folded_term(), 1..3), 1..3),
        proptest::collection::vec(folded_term(), 0..2),
    )
        .prop_map(|(all, none)| TextQuery { all, none })
}

/// Generated queries, alone or with a queue filter, list (paged) and count exactly what
/// the in-memory matcher selects over generated engagements.
pub async fn full_text_agrees_with_the_in_memory_matcher(store: &dyn Store) {
    let tenant = new_tenant(store, "search-generated", None).await;
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[29; 32]),
    );
    let everything: Vec<Engagement> = (0..40)
        .map(|i| {
            written(i)
                .new_tree(&mut runner)
                .expect("an engagement")
                .current()
        })
        .collect();
    insert_all(store, &tenant, everything.clone()).await;
    let outcome = runner.run(&(text_query(), proptest::bool::ANY), |(q, queued)| {
        let f = Filter {
            queue_ids: if queued {
                vec!["q1".into()]
            } else {
                Vec::new()
            },
            ..searching(q)
        };
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(found(store, &tenant, &everything, &f))
        });
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

trait Updated {
    fn clone_updated(self, at: Timestamp) -> Engagement;
}

impl Updated for Engagement {
    fn clone_updated(mut self, at: Timestamp) -> Engagement {
        self.updated_at = Some(at);
        self
    }
}
