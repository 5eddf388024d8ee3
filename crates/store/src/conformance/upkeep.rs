//! Checking and rebuilding ([`crate::Upkeep`]): a store that every kind of write and
//! deletion went through checks whole, and writing its derived tables again from the bodies
//! changes no answer.

use super::counts::spread;
use super::support::*;
use crate::{DeleteReason, Filter, Store};
use interlog_model::{Engagement, Outcome};

pub async fn a_store_checks_whole_after_every_write_and_a_rebuild_changes_no_answer(
    store: &dyn Store,
) {
    let t = new_tenant(store, "upkeep", Some("353")).await;
    let t0 = ts("2024-07-01T00:00:00Z");
    let mut all = spread(t0);
    for (i, e) in all.iter_mut().enumerate() {
        e.customer.phones = vec![format!("01 555 {:04}", i % 7)];
    }
    insert_all(store, &t, all.clone()).await;
    let mut moved = all[3].clone();
    moved.started_at = plus(moved.started_at, 30 * HOUR);
    moved.outcome = Some(Outcome::Successful);
    moved.updated_at = Some(ts("2100-01-01T00:00:00Z"));
    moved.normalize();
    upsert(store, &t, moved).await;
    store
        .update(
            &t,
            "n10",
            Box::new(|e: &mut Engagement| {
                e.started_at = plus(e.started_at, -20 * HOUR);
                Ok(())
            }),
        )
        .await
        .expect("update");
    assert!(store.delete(&t, "n20").await.expect("delete"));
    store
        .delete_many(&t, &strings(&["n21", "n22"]), DeleteReason::Erased)
        .await
        .expect("delete_many");
    store
        .delete_started_before(&t, plus(t0, 6 * HOUR), 100)
        .await
        .expect("delete_started_before");
    // n00–n02 and n10 (moved 20 hours earlier) were swept; n20–n22 deleted.
    let left = count(store, &t, &Filter::default()).await;
    assert_eq!(left, 48 - 7);

    let report = store.check().await.expect("check");
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!(report.engagements, left);

    let by_queue = Filter {
        queue_ids: strings(&["q-even"]),
        ..Filter::default()
    };
    let by_customer = Filter {
        customer: strings(&["+353 1 555 0003"]),
        ..Filter::default()
    };
    let before = (
        count(store, &t, &by_queue).await,
        count(store, &t, &by_customer).await,
        count(store, &t, &Filter::default()).await,
    );
    let rebuilt = store.rebuild_derived().await.expect("rebuild");
    assert_eq!(rebuilt.engagements, left);
    assert_eq!(rebuilt.unreadable, 0);
    let names: Vec<&str> = rebuilt.tables.iter().map(|(n, _)| *n).collect();
    for derived in ["search terms", "analytics rows", "day counts"] {
        assert!(names.contains(&derived), "{names:?}");
    }
    let after = (
        count(store, &t, &by_queue).await,
        count(store, &t, &by_customer).await,
        count(store, &t, &Filter::default()).await,
    );
    assert_eq!(after, before);
    assert!(before.0 > 0 && before.1 > 0, "{before:?}");
    let again = store.check().await.expect("check after the rebuild");
    assert_eq!(again.problems, Vec::<String>::new());
}
