//! Tenants never see or touch each other's engagements.

use super::support::*;
use crate::{Filter, Sort, Store, StoreError, UpsertOutcome};
use interlog_model::{Engagement, Timestamp};

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
