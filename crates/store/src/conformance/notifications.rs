//! Notifications to a tenant's topic ([`crate::Notifications`]).

use super::support::*;
use crate::Store;
use std::time::Duration;

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
