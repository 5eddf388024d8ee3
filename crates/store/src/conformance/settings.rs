//! Durable per-tenant settings ([`crate::Settings`]).

use super::support::*;
use crate::{EditRejected, Store, StoreError};
use std::sync::Arc;

/// Settings are durable per tenant, and concurrent edits of one setting lose nothing.
pub async fn settings_are_per_tenant_and_edited_atomically(store: Arc<dyn Store>) {
    let t = new_tenant(&*store, "settings", None).await;
    let other = new_tenant(&*store, "settings-other", None).await;
    assert_eq!(store.setting(&t, "ns", "k").await.unwrap(), None);
    store.put_setting(&t, "ns", "k", "v1").await.unwrap();
    assert_eq!(
        store.setting(&t, "ns", "k").await.unwrap().as_deref(),
        Some("v1")
    );
    assert_eq!(store.setting(&t, "ns", "other").await.unwrap(), None);
    assert_eq!(store.setting(&t, "ns2", "k").await.unwrap(), None);
    assert_eq!(
        store.setting(&other, "ns", "k").await.unwrap(),
        None,
        "settings belong to their tenant"
    );
    store.put_setting(&t, "ns", "k", "v2").await.unwrap();
    assert_eq!(
        store.setting(&t, "ns", "k").await.unwrap().as_deref(),
        Some("v2"),
        "a put replaces"
    );

    let refused = store
        .update_setting(&t, "ns", "k", Box::new(|_| Err(EditRejected("no".into()))))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Rejected(_))),
        "{refused:?}"
    );
    assert_eq!(
        store.setting(&t, "ns", "k").await.unwrap().as_deref(),
        Some("v2"),
        "a refused edit changes nothing"
    );

    let n = 40;
    let handles = (0..n)
        .map(|_| {
            let (store, t) = (store.clone(), t.clone());
            tokio::spawn(async move {
                store
                    .update_setting(
                        &t,
                        "ns",
                        "counter",
                        Box::new(|v| {
                            let n: u64 = v.map_or(0, |v| v.parse().unwrap());
                            Ok(Some((n + 1).to_string()))
                        }),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    join_all(handles).await;
    assert_eq!(
        store.setting(&t, "ns", "counter").await.unwrap(),
        Some(n.to_string()),
        "no edit is lost"
    );
    let removed = store
        .update_setting(&t, "ns", "counter", Box::new(|_| Ok(None)))
        .await
        .unwrap();
    assert_eq!(removed, None);
    assert_eq!(store.setting(&t, "ns", "counter").await.unwrap(), None);
}
