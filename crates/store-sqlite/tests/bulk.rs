//! A bulk load defers its search terms and sort indexes; once it closes, the store answers
//! exactly as if every engagement had been written one by one, change feed included.

use interlog_model::{Engagement, Role};
use interlog_store::{
    ChangeKind, Changes, Directory, Engagements, Filter, NewTenant, OpenOptions, Query, Sort,
    SortDir, SortKey, Store,
};
use interlog_store_sqlite::SqliteStore;

fn engagements() -> Vec<Engagement> {
    let end = "2024-06-30T00:00:00Z".parse().unwrap();
    interlog_generate::Generator::new(interlog_generate::GeneratorConfig::new(5, 600, end))
        .collect()
}

async fn answers(store: &SqliteStore, es: &[Engagement]) -> Vec<Vec<String>> {
    let tenant = store.tenant("acme").await.unwrap().unwrap();
    let mut filters = vec![Filter::default()];
    for e in es.iter().step_by(37) {
        if let Some(a) = e.participants.iter().find(|p| p.role == Role::Agent) {
            filters.push(Filter {
                agents: a.email.iter().cloned().collect(),
                ..Filter::default()
            });
        }
        filters.push(Filter {
            customer: e.customer.phones.clone(),
            ..Filter::default()
        });
    }
    let mut out = Vec::new();
    for filter in filters {
        for key in [SortKey::StartedAt, SortKey::Duration] {
            let q = Query {
                filter: filter.clone(),
                sort: Sort {
                    key,
                    dir: SortDir::Desc,
                },
                limit: 1000,
                ..Query::default()
            };
            let page = store.list(&tenant, &q).await.unwrap();
            out.push(page.items.into_iter().map(|i| i.id).collect());
        }
    }
    out
}

/// The whole change feed: (position, id, stored JSON), after checking it is in order and
/// ends at the head.
async fn feed(store: &SqliteStore) -> Vec<(i64, String, String)> {
    let tenant = store.tenant("acme").await.unwrap().unwrap();
    let page = store.changes(&tenant, 0, 100_000).await.unwrap();
    assert!(page
        .changes
        .windows(2)
        .all(|w| w[0].position < w[1].position));
    assert_eq!(page.changes.last().map(|c| c.position), Some(page.head));
    page.changes
        .into_iter()
        .map(|c| match c.kind {
            ChangeKind::Upsert(e) => (c.position, c.id, e.json),
            ChangeKind::Delete(r) => panic!("a tombstone ({r:?}) after upserts only"),
        })
        .collect()
}

#[tokio::test]
async fn a_bulk_load_ends_as_one_by_one_writes_do() {
    std::env::set_var("INTERLOG_SQLITE_BULK_DEFER_AFTER", "100");
    let es = engagements();
    let dir = tempfile::tempdir().unwrap();
    let mut stores = Vec::new();
    for (name, bulk_load) in [("one-by-one", false), ("bulk", true)] {
        let path = dir.path().join(format!("{name}.db"));
        let store = SqliteStore::open_with(
            &path,
            OpenOptions {
                bulk_load,
                ..OpenOptions::default()
            },
        )
        .unwrap();
        let tenant = store
            .create_tenant(NewTenant {
                key: "acme".into(),
                name: "Acme".into(),
                time_zone: "UTC".into(),
                country_code: None,
                aliases: Vec::new(),
            })
            .await
            .unwrap();
        // Batches that repeat an engagement, changed, within and across batches.
        for chunk in es.chunks(150) {
            let mut batch = chunk.to_vec();
            let mut again = chunk[0].clone();
            again.subject = Some("changed".into());
            again.updated_at = again
                .updated_at
                .map(|t| t + jiff::SignedDuration::from_secs(1));
            batch.push(again);
            store.upsert_many(&tenant, batch).await.unwrap();
        }
        store.close().await;
        stores.push(SqliteStore::open(&path).unwrap());
    }
    let want = answers(&stores[0], &es).await;
    assert!(want.iter().filter(|ids| !ids.is_empty()).count() > 10);
    assert_eq!(answers(&stores[1], &es).await, want);
    let fed = feed(&stores[0]).await;
    assert_eq!(fed.len(), es.len());
    assert_eq!(feed(&stores[1]).await, fed);
}
