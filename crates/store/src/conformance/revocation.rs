//! Revocation and deletion: disabling, enabling and deleting clients and users, the
//! revocation list and its epoch, and deleting a whole tenant ([`crate::Directory`]).

use super::support::*;
use crate::{ClientRole, Filter, NewClient, NewUser, Query, Record, Revoke, Store, Total};
use std::collections::BTreeMap;

fn client(id: &str) -> NewClient {
    NewClient {
        client_id: id.into(),
        secret_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        role: ClientRole::Admin,
        scopes: Vec::new(),
        credentials: BTreeMap::new(),
    }
}

fn user(name: &str) -> NewUser {
    NewUser {
        username: name.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        email: None,
        display_name: None,
        role: ClientRole::Reader,
    }
}

fn record(owner: &str) -> Record {
    Record {
        owner: owner.into(),
        value: "session".into(),
        expires_at: plus(interlog_model::Timestamp::now(), 3_600_000),
    }
}

/// Disabling, enabling and deleting: the subject's state, a revocation with a moved epoch
/// each time, the subject's records removed, and nothing done to another tenant's subject.
pub async fn revocations_disable_enable_and_delete_subjects(store: &dyn Store) {
    let a = new_tenant(store, "revoke-a", None).await;
    let b = new_tenant(store, "revoke-b", None).await;
    let cid = unique_key("client");
    store.create_client(&a, client(&cid)).await.unwrap();
    let u = store.create_user(&a, user("rita")).await.unwrap();
    store
        .put_record(&a, "ui.session", "s1", record(&cid))
        .await
        .unwrap();
    store
        .put_record(&a, "ui.session", "s2", record(&u.id))
        .await
        .unwrap();
    store
        .put_record(&a, "ui.session", "s3", record("someone-else"))
        .await
        .unwrap();
    let epoch = store.revocation_epoch().await.unwrap();

    assert!(
        !store
            .revoke_client(&b, &cid, Revoke::Disable)
            .await
            .unwrap(),
        "another tenant's client"
    );
    assert!(store
        .revoke_client(&a, &cid, Revoke::Disable)
        .await
        .unwrap());
    let disabled = store.client(&cid).await.unwrap().unwrap();
    assert!(disabled.disabled_at.is_some());
    assert_eq!(store.clients(&a).await.unwrap(), vec![disabled.clone()]);
    assert!(store.clients(&b).await.unwrap().is_empty());
    let after = store.revocation_epoch().await.unwrap();
    assert_ne!(after, epoch, "a revocation moves the epoch");
    let (listed_epoch, list) = store.revocations().await.unwrap();
    assert_eq!(listed_epoch, after);
    let r = list
        .iter()
        .find(|r| r.subject == cid)
        .expect("the client's revocation");
    assert_eq!(r.tenant_id, a.id);
    assert!(
        store
            .get_record(&a, "ui.session", "s1")
            .await
            .unwrap()
            .is_none(),
        "its session went"
    );

    assert!(store.enable_client(&a, &cid).await.unwrap());
    assert_eq!(store.client(&cid).await.unwrap().unwrap().disabled_at, None);
    let (_, list) = store.revocations().await.unwrap();
    assert!(
        list.iter().any(|r| r.subject == cid),
        "what it held before stays revoked"
    );

    assert!(store.revoke_user(&a, "rita", Revoke::Delete).await.unwrap());
    assert_eq!(store.user(&a, "rita").await.unwrap(), None);
    assert!(!store.revoke_user(&a, "rita", Revoke::Delete).await.unwrap());
    assert!(!store.enable_user(&a, "rita").await.unwrap());
    let (_, list) = store.revocations().await.unwrap();
    assert!(list.iter().any(|r| r.subject == u.id), "revoked by user id");
    assert!(store
        .get_record(&a, "ui.session", "s2")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .get_record(&a, "ui.session", "s3")
        .await
        .unwrap()
        .is_some());

    assert!(store.revoke_client(&a, &cid, Revoke::Delete).await.unwrap());
    assert_eq!(store.client(&cid).await.unwrap(), None);
    assert!(store.users(&a).await.unwrap().is_empty());
}

/// Deleting a tenant removes it and everything it holds, revokes its clients and users
/// (their revocations outlive it), and leaves other tenants alone.
pub async fn deleting_a_tenant_removes_everything_it_holds(store: &dyn Store) {
    let doomed = new_tenant(store, "doomed", None).await;
    let kept = new_tenant(store, "kept", None).await;
    let cid = unique_key("client");
    store.create_client(&doomed, client(&cid)).await.unwrap();
    let u = store.create_user(&doomed, user("u")).await.unwrap();
    for t in [&doomed, &kept] {
        store
            .upsert(
                t,
                eng("e1", ts("2024-01-01T00:00:00Z"))
                    .phone("+353 1 555 0100")
                    .build(),
            )
            .await
            .unwrap();
        store
            .link_identifiers(t, &["a@example.org".into(), "+353 1 555 0100".into()])
            .await
            .unwrap();
        store.put_setting(t, "ns", "k", "v").await.unwrap();
    }
    store.delete_tenant(&doomed).await.unwrap();
    assert_eq!(store.tenant(&doomed.key).await.unwrap(), None);
    assert_eq!(store.tenant_by_id(doomed.id).await.unwrap(), None);
    assert_eq!(store.client(&cid).await.unwrap(), None);
    let (_, list) = store.revocations().await.unwrap();
    for subject in [&cid, &u.id] {
        assert!(
            list.iter().any(|r| &r.subject == subject),
            "{subject} stays revoked"
        );
    }
    // The other tenant keeps everything.
    assert!(store.get(&kept, "e1").await.unwrap().is_some());
    assert_eq!(
        store.setting(&kept, "ns", "k").await.unwrap().as_deref(),
        Some("v")
    );
    assert_eq!(
        store
            .linked_identifiers(&kept, "a@example.org")
            .await
            .unwrap()
            .len(),
        2
    );
    let found = store
        .count(
            &kept,
            &Filter {
                customer: vec!["+353 1 555 0100".into()],
                ..Filter::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(found, Total::Exact(1));
    // A tenant of the same key made again starts empty.
    let again = store
        .create_tenant(crate::NewTenant {
            key: doomed.key.clone(),
            name: "again".into(),
            time_zone: "UTC".into(),
            country_code: None,
            aliases: Vec::new(),
        })
        .await
        .unwrap();
    assert!(store.get(&again, "e1").await.unwrap().is_none());
    assert_eq!(store.setting(&again, "ns", "k").await.unwrap(), None);
    assert_eq!(
        store
            .linked_identifiers(&again, "a@example.org")
            .await
            .unwrap()
            .len(),
        1
    );
    let page = store.list(&again, &Query::default()).await.unwrap();
    assert!(page.items.is_empty());
    store
        .upsert(
            &again,
            eng("e2", ts("2024-01-01T00:00:00Z"))
                .phone("+353 1 555 0100")
                .build(),
        )
        .await
        .unwrap();
    let found = store
        .count(
            &again,
            &Filter {
                customer: vec!["+353 1 555 0100".into()],
                ..Filter::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        found,
        Total::Exact(1),
        "search terms of the new tenant are found"
    );
}

/// A customer identifier written again after the last engagement carrying it was deleted
/// is found again (the store may have removed the value with its last reference).
pub async fn a_search_value_comes_back_after_its_last_reference_went(store: &dyn Store) {
    let t = new_tenant(store, "values", None).await;
    let by_phone = Filter {
        customer: vec!["+353 1 555 0177".into()],
        ..Filter::default()
    };
    for round in 0..3 {
        let id = format!("v{round}");
        store
            .upsert(
                &t,
                eng(&id, ts("2024-01-01T00:00:00Z"))
                    .phone("+353 1 555 0177")
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(
            store.count(&t, &by_phone, None).await.unwrap(),
            Total::Exact(1),
            "round {round}"
        );
        assert!(store.delete(&t, &id).await.unwrap());
        assert_eq!(
            store.count(&t, &by_phone, None).await.unwrap(),
            Total::Exact(0),
            "round {round}"
        );
    }
}
