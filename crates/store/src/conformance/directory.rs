//! Tenants, clients and users: the [`crate::Directory`] trait.

use super::support::*;
use crate::{ClientRole, NewClient, NewTenant, NewUser, Store, StoreError};
use std::collections::BTreeMap;

// --- tenants -------------------------------------------------------------------------------

/// Tenants are created with what was asked, found by key, listed, and their keys are unique.
pub async fn tenants_are_created_found_listed_and_unique(store: &dyn Store) {
    let before = store.tenants().await.expect("tenants");

    let wanted_a = NewTenant {
        key: unique_key("acme"),
        name: "Acme Contact Center".into(),
        time_zone: "Europe/Dublin".into(),
        country_code: Some("353".into()),
        aliases: vec![
            ("avaya_axp".into(), "ACMEEU".into()),
            ("zoom_cc".into(), "acme-zoom".into()),
        ],
    };
    let a = store
        .create_tenant(wanted_a.clone())
        .await
        .expect("create tenant a");
    assert_eq!(a.key, wanted_a.key);
    assert_eq!(a.name, wanted_a.name);
    assert_eq!(a.time_zone, wanted_a.time_zone);
    assert_eq!(a.country_code, wanted_a.country_code);
    assert_eq!(a.aliases, wanted_a.aliases);

    let wanted_b = NewTenant {
        key: unique_key("globex"),
        name: "Globex".into(),
        time_zone: "America/New_York".into(),
        country_code: None,
        aliases: Vec::new(),
    };
    let b = store
        .create_tenant(wanted_b.clone())
        .await
        .expect("create tenant b");
    assert_eq!(b.key, wanted_b.key);
    assert_eq!(b.country_code, None);
    assert!(b.aliases.is_empty());
    assert_ne!(a.id, b.id, "tenants get distinct ids");

    assert_eq!(
        store.tenant(&a.key).await.expect("tenant a"),
        Some(a.clone())
    );
    assert_eq!(
        store.tenant(&b.key).await.expect("tenant b"),
        Some(b.clone())
    );
    assert_eq!(
        store.tenant_by_id(a.id).await.expect("tenant a by id"),
        Some(a.clone())
    );
    assert_eq!(
        store.tenant_by_id(b.id).await.expect("tenant b by id"),
        Some(b.clone())
    );
    let unused_id = before
        .iter()
        .chain([&a, &b])
        .map(|t| t.id)
        .max()
        .unwrap_or(0)
        + 1_000;
    assert_eq!(
        store.tenant_by_id(unused_id).await.expect("unknown id"),
        None
    );

    let alias = |dialect: &'static str, name: &'static str| async move {
        store
            .tenant_by_alias(dialect, name)
            .await
            .unwrap_or_else(|e| panic!("tenant_by_alias({dialect}, {name}): {e:?}"))
    };
    assert_eq!(alias("avaya_axp", "ACMEEU").await, Some(a.clone()));
    assert_eq!(alias("zoom_cc", "acme-zoom").await, Some(a.clone()));
    assert_eq!(
        alias("zoom_cc", "ACMEEU").await,
        None,
        "an alias answers only in its own dialect"
    );
    assert_eq!(alias("avaya_axp", "NOSUCH").await, None);

    let after = store.tenants().await.expect("tenants");
    assert_eq!(after.len(), before.len() + 2, "two tenants were added");
    for t in before.iter().chain([&a, &b]) {
        assert!(after.contains(t), "tenants() lists {t:?}");
    }

    let duplicate = store
        .create_tenant(NewTenant {
            name: "Someone else".into(),
            ..wanted_a.clone()
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "a taken key is a conflict, got {duplicate:?}"
    );
    assert_eq!(
        store.tenant(&a.key).await.expect("tenant a"),
        Some(a.clone()),
        "a refused duplicate changes nothing"
    );
    assert_eq!(
        store.tenants().await.expect("tenants").len(),
        before.len() + 2
    );

    let unknown = unique_key("nobody");
    assert_eq!(store.tenant(&unknown).await.expect("unknown tenant"), None);
}

// --- clients and users ---------------------------------------------------------------------

/// Clients are found by their global id; users by username within their tenant only.
pub async fn clients_and_users_are_stored_and_scoped(store: &dyn Store) {
    let a = new_tenant(store, "clients-a", None).await;
    let b = new_tenant(store, "clients-b", None).await;

    let id_a = unique_key("client");
    let wanted = NewClient {
        client_id: id_a.clone(),
        secret_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        role: ClientRole::Agent,
        scopes: vec!["engagements:read".into(), "engagements:write".into()],
        credentials: BTreeMap::from([(
            "app_key".to_owned(),
            "$argon2id$v=19$m=19456,t=2,p=1$YXBwa2V5$a2V5aGFzaA".to_owned(),
        )]),
    };
    let client_a = store
        .create_client(&a, wanted.clone())
        .await
        .expect("create client");
    assert_eq!(client_a.client_id, wanted.client_id);
    assert_eq!(client_a.tenant_id, a.id);
    assert_eq!(client_a.secret_hash, wanted.secret_hash);
    assert_eq!(client_a.role, wanted.role);
    assert_eq!(client_a.scopes, wanted.scopes);
    assert_eq!(client_a.credentials, wanted.credentials);
    assert_eq!(
        store.client(&id_a).await.expect("client"),
        Some(client_a.clone())
    );

    let id_b = unique_key("client");
    let client_b = store
        .create_client(
            &b,
            NewClient {
                client_id: id_b.clone(),
                secret_hash: "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXI$b3RoZXI".into(),
                role: ClientRole::Reader,
                scopes: Vec::new(),
                credentials: BTreeMap::new(),
            },
        )
        .await
        .expect("create client in b");
    assert_eq!(client_b.tenant_id, b.id);
    assert!(client_b.credentials.is_empty());
    assert_eq!(
        store.client(&id_b).await.expect("client b"),
        Some(client_b),
        "client lookup needs no tenant: ids are global"
    );

    let taken = store
        .create_client(
            &b,
            NewClient {
                client_id: id_a.clone(),
                ..wanted.clone()
            },
        )
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict(_))),
        "client ids are unique across tenants, got {taken:?}"
    );
    assert_eq!(
        store
            .client(&id_a)
            .await
            .expect("client")
            .map(|c| c.tenant_id),
        Some(a.id),
        "the refused client changed nothing"
    );
    assert_eq!(
        store
            .client(&unique_key("no-client"))
            .await
            .expect("client"),
        None
    );

    let alice = NewUser {
        username: "alice".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$YWxpY2U$YWxpY2U".into(),
        email: Some("alice@acme.example".into()),
        display_name: Some("Alice Ní Bhriain".into()),
        role: ClientRole::Admin,
    };
    let alice_a = store
        .create_user(&a, alice.clone())
        .await
        .expect("create user");
    assert_eq!(alice_a.tenant_id, a.id);
    assert_eq!(alice_a.username, "alice");
    assert_eq!(alice_a.password_hash, alice.password_hash);
    assert_eq!(alice_a.email, alice.email);
    assert_eq!(alice_a.display_name, alice.display_name);
    assert_eq!(alice_a.role, ClientRole::Admin);
    assert_eq!(
        store.user(&a, "alice").await.expect("user"),
        Some(alice_a.clone())
    );
    assert_eq!(
        store.user(&b, "alice").await.expect("user"),
        None,
        "users are found only in their tenant"
    );

    let alice_b = store
        .create_user(
            &b,
            NewUser {
                username: "alice".into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$Yg$Yg".into(),
                email: None,
                display_name: None,
                role: ClientRole::Reader,
            },
        )
        .await
        .expect("the same username in another tenant is fine");
    assert_eq!(alice_b.tenant_id, b.id);
    assert_ne!(alice_b.id, alice_a.id, "users get distinct ids");
    assert_eq!(alice_b.email, None);
    assert_eq!(alice_b.display_name, None);
    assert_eq!(store.user(&b, "alice").await.expect("user"), Some(alice_b));
    assert_eq!(
        store.user(&a, "alice").await.expect("user"),
        Some(alice_a.clone())
    );

    let duplicate = store
        .create_user(
            &a,
            NewUser {
                role: ClientRole::Reader,
                ..alice
            },
        )
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "a username taken in the tenant is a conflict, got {duplicate:?}"
    );
    assert_eq!(
        store.user(&a, "alice").await.expect("user"),
        Some(alice_a),
        "the refused user changed nothing"
    );
    assert_eq!(store.user(&a, "nobody").await.expect("user"), None);
}
