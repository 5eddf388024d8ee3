//! Export snapshots ([`crate::Engagements::snapshot`]).

use super::support::*;
use crate::{ChangeKind, Filter, SnapshotPart, SortDir, SortKey, Store};
use interlog_model::ChannelType;

/// A snapshot holds exactly what matched when it began, oldest start first, in batches of
/// at most [`crate::SNAPSHOT_BATCH`]: an engagement written, changed or deleted while it
/// is read is as it was (or absent) in it, and the feed after the snapshot's position holds
/// exactly those writes. With a filter it holds what the listing holds.
pub async fn a_snapshot_is_consistent_with_its_feed_position(store: &dyn Store) {
    let t = new_tenant(store, "snapshot", None).await;
    let base = ts("2024-11-01T00:00:00Z");
    let originals: Vec<_> = (0..2100i64)
        .map(|i| {
            let b = eng(&format!("s{i:05}"), plus(base, i * MINUTE))
                .lasting(MINUTE)
                .updated(base);
            if i % 3 == 0 {
                b.channel(ChannelType::Voice, "pstn").normalized()
            } else {
                b.channel(ChannelType::Chat, "web").normalized()
            }
        })
        .collect();
    let expected: Vec<String> = originals.iter().map(|e| e.id.clone()).collect();
    insert_all(store, &t, originals).await;
    let head = store.changes(&t, 0, 1).await.expect("changes").head;

    let everything = Filter::default();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let reading = store.snapshot(&t, &everything, tx);
    let consuming = async {
        let mut start = None;
        let mut got: Vec<crate::StoredEngagement> = Vec::new();
        while let Some(part) = rx.recv().await {
            match part {
                SnapshotPart::Start { position, total } => {
                    start = Some((position, total));
                    // Writes after the snapshot began: a new engagement that would sort
                    // first, a change to one, a deletion of another.
                    upsert(store, &t, eng("s-new", plus(base, -MINUTE)).normalized()).await;
                    upsert(
                        store,
                        &t,
                        eng("s00010", plus(base, 10 * MINUTE))
                            .lasting(MINUTE)
                            .updated(plus(base, 1))
                            .team("changed")
                            .normalized(),
                    )
                    .await;
                    assert!(store.delete(&t, "s02000").await.expect("delete"));
                }
                SnapshotPart::Rows(items) => {
                    assert!(
                        !items.is_empty() && items.len() <= crate::SNAPSHOT_BATCH as usize,
                        "a batch holds 1 to SNAPSHOT_BATCH engagements"
                    );
                    got.extend(items);
                }
            }
        }
        (start, got)
    };
    let (read, (start, got)) = tokio::join!(reading, consuming);
    read.expect("snapshot");
    assert_eq!(
        start,
        Some((head, 2100)),
        "the snapshot starts at the head it saw"
    );
    assert_eq!(
        ids(&got),
        expected,
        "what the snapshot began with, oldest first"
    );
    let ten = got.iter().find(|i| i.id == "s00010").expect("s00010");
    assert_eq!(
        parse(ten).team,
        None,
        "the change made meanwhile is not in it"
    );

    let mut after: Vec<(String, bool)> = store
        .changes(&t, head, 100)
        .await
        .expect("changes")
        .changes
        .into_iter()
        .map(|c| (c.id, matches!(c.kind, ChangeKind::Upsert(_))))
        .collect();
    after.sort();
    assert_eq!(
        after,
        vec![
            ("s-new".to_owned(), true),
            ("s00010".to_owned(), true),
            ("s02000".to_owned(), false),
        ],
        "the feed after the snapshot's position holds exactly what changed"
    );

    // With a filter: what the listing holds, in the same order.
    let voice = Filter {
        channel_types: vec![ChannelType::Voice],
        ..Filter::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let reading = store.snapshot(&t, &voice, tx);
    let consuming = async {
        let mut got = Vec::new();
        let mut total = None;
        while let Some(part) = rx.recv().await {
            match part {
                SnapshotPart::Start { total: n, .. } => total = Some(n),
                SnapshotPart::Rows(items) => got.extend(ids(&items)),
            }
        }
        (total, got)
    };
    let (read, (total, got)) = tokio::join!(reading, consuming);
    read.expect("snapshot");
    let listed = list_all_ids(
        store,
        &t,
        &query(voice, sort_of(SortKey::StartedAt, SortDir::Asc), 100),
    )
    .await;
    assert_eq!(
        got, listed,
        "a filtered snapshot holds what the listing holds"
    );
    assert_eq!(total, Some(listed.len() as u64));
    assert!(listed.len() > 600, "the filter matches a third");
}
