//! Records that expire ([`crate::Records`]).

use super::support::*;
use crate::{Record, Store};
use interlog_model::Timestamp;

/// Records are readable until they expire, belong to their tenant, and a take by their
/// owner hands a record out once.
pub async fn records_expire_and_take_once(store: &dyn Store) {
    let t = new_tenant(store, "records", None).await;
    let other = new_tenant(store, "records-other", None).await;
    let ns = unique_key("records");
    let later = Timestamp::from_millisecond(Timestamp::now().as_millisecond() + HOUR).unwrap();
    let past = Timestamp::from_millisecond(Timestamp::now().as_millisecond() - HOUR).unwrap();
    let record = |owner: &str, value: &str, expires_at| Record {
        owner: owner.into(),
        value: value.into(),
        expires_at,
    };
    store
        .put_record(&t, &ns, "k", record("alice", "v1", later))
        .await
        .unwrap();
    assert_eq!(
        store.get_record(&t, &ns, "k").await.unwrap(),
        Some(record("alice", "v1", later))
    );
    store
        .put_record(&t, &ns, "k", record("alice", "v2", later))
        .await
        .unwrap();
    assert_eq!(
        store
            .get_record(&t, &ns, "k")
            .await
            .unwrap()
            .map(|r| r.value),
        Some("v2".into()),
        "a put replaces"
    );
    assert_eq!(
        store.get_record(&t, "elsewhere", "k").await.unwrap(),
        None,
        "namespaces are separate"
    );
    assert_eq!(
        store.get_record(&other, &ns, "k").await.unwrap(),
        None,
        "records belong to their tenant"
    );
    assert_eq!(
        store.take_record(&other, &ns, "k", "alice").await.unwrap(),
        None,
        "another tenant cannot take it"
    );
    assert!(!store.delete_record(&other, &ns, "k").await.unwrap());
    assert_eq!(
        store.take_record(&t, &ns, "k", "mallory").await.unwrap(),
        None,
        "another owner cannot take it"
    );
    assert!(
        store.get_record(&t, &ns, "k").await.unwrap().is_some(),
        "a refused take leaves the record in place"
    );

    let (a, b, c) = tokio::join!(
        store.take_record(&t, &ns, "k", "alice"),
        store.take_record(&t, &ns, "k", "alice"),
        store.take_record(&t, &ns, "k", "alice")
    );
    let taken: Vec<String> = [a, b, c]
        .into_iter()
        .filter_map(|r| r.unwrap().map(|r| r.value))
        .collect();
    assert_eq!(taken, ["v2"], "exactly one take gets the record");
    assert_eq!(store.get_record(&t, &ns, "k").await.unwrap(), None);

    store
        .put_record(&t, &ns, "old", record("alice", "x", past))
        .await
        .unwrap();
    assert_eq!(
        store.get_record(&t, &ns, "old").await.unwrap(),
        None,
        "expired records are not read"
    );
    assert_eq!(
        store.take_record(&t, &ns, "old", "alice").await.unwrap(),
        None
    );
    assert!(
        store.sweep_records(1000).await.unwrap() >= 1,
        "expired records are swept"
    );
    assert!(!store.delete_record(&t, &ns, "old").await.unwrap());

    store
        .put_record(&t, &ns, "d", record("alice", "x", later))
        .await
        .unwrap();
    assert!(store.delete_record(&t, &ns, "d").await.unwrap());
    assert!(!store.delete_record(&t, &ns, "d").await.unwrap());
}
