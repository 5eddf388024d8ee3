//! Identity links between customer identifiers ([`crate::IdentityLinks`]).

use super::support::*;
use crate::{Filter, Identifier, LinkedIdentifier, Query, Store, Tenant};
use interlog_model::Engagement;
use serde_json::json;

/// Linked identifiers find each other's engagements; links merge, unlink, and stay within
/// their tenant.
pub async fn identity_links_join_customers_and_unlink(store: &dyn Store) {
    let irish = new_tenant(store, "links", Some("353")).await;
    let other = new_tenant(store, "links-other", Some("353")).await;
    let mut by_phone: Engagement = serde_json::from_value(json!({
        "id": "by-phone", "started_at": "2024-01-01T00:00:00Z", "customer": {"phones": ["0197180171"]}
    }))
    .unwrap();
    let mut by_email: Engagement = serde_json::from_value(json!({
        "id": "by-email", "started_at": "2024-01-02T00:00:00Z", "customer": {"emails": ["melinda@example.org"]}
    }))
    .unwrap();
    by_phone.normalize();
    by_email.normalize();
    store
        .upsert_many(&irish, vec![by_phone, by_email])
        .await
        .unwrap();

    let alone = linked_keys(store, &irish, "019 718 0171").await;
    assert_eq!(
        alone,
        ["+353197180171"],
        "an unlinked identifier is linked only to itself"
    );

    store
        .link_identifiers(
            &irish,
            &[
                Identifier::new(Some("phone"), "019 718 0171"),
                "Melinda@Example.org".into(),
            ],
        )
        .await
        .unwrap();
    let linked = linked_keys(store, &irish, "+353 19 718 0171").await;
    assert_eq!(linked, ["+353197180171", "melinda@example.org"]);
    let query = Query {
        filter: Filter {
            customer: linked,
            ..Filter::default()
        },
        ..Query::default()
    };
    let ids: Vec<String> = store
        .list(&irish, &query)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(
        ids,
        ["by-email", "by-phone"],
        "a search by the phone finds the email-only engagement"
    );

    // Linking a member of one customer with a member of another merges them.
    store
        .link_identifiers(&irish, &["ACC-1".into(), "@melinda".into()])
        .await
        .unwrap();
    store
        .link_identifiers(
            &irish,
            &[
                Identifier::new(Some("account"), "acc-1"),
                Identifier::new(Some("email"), "MELINDA@example.org"),
            ],
        )
        .await
        .unwrap();
    let merged = store.linked_identifiers(&irish, "@Melinda").await.unwrap();
    assert_eq!(
        merged,
        [
            LinkedIdentifier {
                key: "+353197180171".into(),
                kind: Some("phone".into()),
                value: "019 718 0171".into()
            },
            LinkedIdentifier {
                key: "@melinda".into(),
                kind: None,
                value: "@melinda".into()
            },
            LinkedIdentifier {
                key: "acc-1".into(),
                kind: Some("account".into()),
                value: "ACC-1".into()
            },
            LinkedIdentifier {
                key: "melinda@example.org".into(),
                kind: Some("email".into()),
                value: "Melinda@Example.org".into()
            },
        ],
        "the first spelling stays; a later link fills in a missing type"
    );

    assert!(store
        .unlink_identifier(&irish, "MELINDA@example.org")
        .await
        .unwrap());
    assert!(!store
        .unlink_identifier(&irish, "melinda@example.org")
        .await
        .unwrap());
    assert_eq!(
        linked_keys(store, &irish, "0197180171").await,
        ["+353197180171", "@melinda", "acc-1"]
    );
    assert_eq!(
        store
            .linked_identifiers(&irish, "Melinda@example.org")
            .await
            .unwrap(),
        [LinkedIdentifier {
            key: "melinda@example.org".into(),
            kind: None,
            value: "melinda@example.org".into()
        }],
        "an unlinked identifier keeps no spelling"
    );

    assert_eq!(
        linked_keys(store, &other, "0197180171").await,
        ["+353197180171"],
        "links belong to their tenant"
    );
}

async fn linked_keys(store: &dyn Store, tenant: &Tenant, identifier: &str) -> Vec<String> {
    store
        .linked_identifiers(tenant, identifier)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.key)
        .collect()
}
