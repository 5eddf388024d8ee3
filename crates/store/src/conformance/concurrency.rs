//! Concurrent writers: every acknowledged write is durable, and no edit is lost
//! ([`crate::Engagements`]).

use super::support::*;
use crate::{Filter, Sort, Store, UpsertOutcome};
use interlog_model::Engagement;
use serde_json::{json, Value};
use std::sync::Arc;

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
