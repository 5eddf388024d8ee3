//! The change feed and its tombstones ([`crate::Changes`]).

use super::support::*;
use crate::{ChangeKind, DeleteReason, Filter, Store, Tenant, UpsertOutcome, CHANGES_TOPIC};
use interlog_model::Timestamp;
use std::collections::BTreeSet;
use std::sync::Arc;

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
