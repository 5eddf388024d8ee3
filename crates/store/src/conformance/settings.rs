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

/// What a connector keeps (its definition and run state, two settings of the tenant; see
/// the HTTP framework's `connector::stored`): large values read back byte for byte, one
/// namespace listed whole and alone, a key removed by an edit, and each tenant's alone.
pub async fn settings_hold_connector_state_byte_for_byte_by_namespace(store: &dyn Store) {
    let t = new_tenant(store, "connector-settings", None).await;
    let other = new_tenant(store, "connector-settings-other", None).await;
    // A definition with a large option (up to 64 KiB of JSON) and text in any script.
    let big = format!(
        "{{\"customers\":[{}],\"name\":\"Zoë 東京 \\u0000 ☎\"}}",
        vec!["{\"phoneNumbers\":[\"+353 19 718 0171\"]}"; 1700].join(",")
    );
    assert!(big.len() > 60_000);
    for id in ["cn_a", "cn_b", "cn_c"] {
        store.put_setting(&t, "connectors", id, &big).await.unwrap();
        store
            .put_setting(
                &t,
                "connector-state",
                id,
                &format!("{{\"cursor_ms\":{}}}", id.len()),
            )
            .await
            .unwrap();
    }
    store
        .put_setting(&other, "connectors", "cn_z", "{}")
        .await
        .unwrap();
    let listed = store.settings_in(&t, "connectors").await.unwrap();
    let mut keys: Vec<&str> = listed.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["cn_a", "cn_b", "cn_c"],
        "the namespace, whole and alone"
    );
    assert!(listed.iter().all(|(_, v)| *v == big), "byte for byte");
    assert_eq!(
        store
            .settings_in(&t, "connector-state")
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(store
        .settings_in(&t, "connectors-x")
        .await
        .unwrap()
        .is_empty());
    // Removed by an edit: gone from reads and the listing.
    store
        .update_setting(&t, "connectors", "cn_b", Box::new(|_| Ok(None)))
        .await
        .unwrap();
    assert_eq!(store.setting(&t, "connectors", "cn_b").await.unwrap(), None);
    assert_eq!(store.settings_in(&t, "connectors").await.unwrap().len(), 2);
    assert_eq!(
        store.settings_in(&other, "connectors").await.unwrap(),
        vec![("cn_z".to_owned(), "{}".to_owned())]
    );
}
