//! Concurrent writers: every acknowledged write is durable, no edit is lost, and no write
//! fails for racing another ([`crate::Engagements`]).

use super::support::*;
use crate::{DeleteReason, Filter, Sort, Store, UpsertOutcome};
use interlog_model::{Engagement, State, Timestamp};
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

/// Writers of one tenant at work together (single upserts, batches, edits, deletes and
/// retention sweeps) all succeed: none fails for the order in which it waits on another.
/// Every engagement starts on one day with one state, so every write changes the same
/// per-day count (see [`crate::counting`]) as well as the tenant's feed head; the exact
/// totals are right at the end.
pub async fn concurrent_writes_and_deletes_of_one_tenant_all_succeed(store: Arc<dyn Store>) {
    const WRITERS: i64 = 6;
    const ROUNDS: i64 = 12;
    const BATCH: i64 = 70;
    let t = new_tenant(&*store, "contention", None).await;
    let day = ts("2025-01-03T08:00:00Z");
    let old = ts("2024-01-03T08:00:00Z");
    let fresh = |id: String, at: Timestamp| eng(&id, at).state(State::Completed).normalized();

    // Each writer: an upsert, an edit of it, and every other round its deletion.
    let mut handles: Vec<tokio::task::JoinHandle<Vec<String>>> = (0..WRITERS)
        .map(|w| {
            let (store, t) = (Arc::clone(&store), t.clone());
            tokio::spawn(async move {
                let mut failed = Vec::new();
                for i in 0..ROUNDS {
                    let id = format!("w{w}-{i:02}");
                    let at = plus(day, w * MINUTE + i * SECOND);
                    if let Err(e) = store.upsert(&t, fresh(id.clone(), at)).await {
                        failed.push(format!("upsert {id}: {e:?}"));
                    }
                    let edit = store.update(
                        &t,
                        &id,
                        Box::new(|e: &mut Engagement| {
                            e.subject = Some("edited".into());
                            Ok(())
                        }),
                    );
                    if let Err(e) = edit.await {
                        failed.push(format!("update {id}: {e:?}"));
                    }
                    if i % 2 == 1 {
                        if let Err(e) = store.delete(&t, &id).await {
                            failed.push(format!("delete {id}: {e:?}"));
                        }
                    }
                }
                failed
            })
        })
        .collect();
    // A bulk writer (batches large enough for a backend's bulk path), deleting half of
    // each batch again in one call.
    handles.push({
        let (store, t) = (Arc::clone(&store), t.clone());
        tokio::spawn(async move {
            let mut failed = Vec::new();
            for r in 0..3i64 {
                let batch: Vec<Engagement> = (0..BATCH)
                    .map(|i| fresh(format!("b{r}-{i:02}"), plus(day, HOUR + r * MINUTE + i)))
                    .collect();
                if let Err(e) = store.upsert_many(&t, batch).await {
                    failed.push(format!("upsert_many batch {r}: {e:?}"));
                }
                let doomed: Vec<String> = (0..BATCH / 2).map(|i| format!("b{r}-{i:02}")).collect();
                if let Err(e) = store.delete_many(&t, &doomed, DeleteReason::Erased).await {
                    failed.push(format!("delete_many batch {r}: {e:?}"));
                }
            }
            failed
        })
    });
    // A retention sweep of engagements a year older, written one by one as it runs.
    handles.push({
        let (store, t) = (Arc::clone(&store), t.clone());
        tokio::spawn(async move {
            let mut failed = Vec::new();
            for i in 0..ROUNDS {
                let id = format!("old-{i:02}");
                if let Err(e) = store.upsert(&t, fresh(id.clone(), plus(old, i))).await {
                    failed.push(format!("upsert {id}: {e:?}"));
                }
                if let Err(e) = store.delete_started_before(&t, plus(old, DAY), 5).await {
                    failed.push(format!("retention sweep {i}: {e:?}"));
                }
            }
            failed
        })
    });
    let failed: Vec<String> = join_all(handles).await.into_iter().flatten().collect();
    assert!(failed.is_empty(), "concurrent writes failed: {failed:#?}");

    // Whatever a sweep left of the old ones goes now.
    while store
        .delete_started_before(&t, plus(old, DAY), 100)
        .await
        .expect("final retention sweep")
        > 0
    {}
    let kept = (WRITERS * ROUNDS / 2 + 3 * (BATCH - BATCH / 2)) as u64;
    let listed = list_all_ids(&*store, &t, &query(Filter::default(), Sort::default(), 500)).await;
    assert_eq!(listed.len() as u64, kept, "the engagements left");
    assert_eq!(count(&*store, &t, &Filter::default()).await, kept);
    let completed = Filter {
        states: vec![State::Completed],
        ..Filter::default()
    };
    assert_eq!(count(&*store, &t, &completed).await, kept);
}
