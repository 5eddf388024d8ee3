//! Search values across processes on one database file: a value removed with its last
//! reference by one store (as another process would) is numbered afresh by a store that
//! remembered its old number, so what that store writes next is found; and an erased
//! customer's values leave the file.

use interlog_model::Engagement;
use interlog_store::{Directory, Engagements, Filter, NewTenant, Store};
use interlog_store_sqlite::SqliteStore;

fn with_phone(id: &str, phone: &str) -> Engagement {
    serde_json::from_value(serde_json::json!({
        "id": id, "started_at": "2024-01-01T00:00:00Z", "customer": {"phones": [phone]}
    }))
    .unwrap()
}

fn values_like(path: &std::path::Path, text: &str) -> i64 {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row(
        "SELECT count(*) FROM term_values WHERE value LIKE ?1",
        [format!("%{text}%")],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_forgets_the_numbers_of_values_another_process_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("values.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    let t = a
        .create_tenant(NewTenant {
            key: "acme".into(),
            name: "Acme".into(),
            time_zone: "UTC".into(),
            country_code: Some("353".into()),
            aliases: Vec::new(),
        })
        .await
        .unwrap();
    let by_phone = Filter {
        customer: vec!["+353 1 555 0123".into()],
        ..Filter::default()
    };
    // `a` numbers the phone and remembers the number…
    a.upsert(&t, with_phone("e1", "+353 1 555 0123"))
        .await
        .unwrap();
    assert_eq!(values_like(&path, "5550123"), 1);
    // …`b` deletes its only engagement, and the value goes with it…
    assert!(b.delete(&t, "e1").await.unwrap());
    assert_eq!(
        values_like(&path, "5550123"),
        0,
        "no value outlives its last reference"
    );
    // …and what `a` writes with the phone next is found, from both.
    a.upsert(&t, with_phone("e2", "01 555 0123")).await.unwrap();
    assert_eq!(a.count(&t, &by_phone, None).await.unwrap().value(), 1);
    assert_eq!(b.count(&t, &by_phone, None).await.unwrap().value(), 1);
    // The same the other way round, and within one process.
    assert!(a.delete(&t, "e2").await.unwrap());
    b.upsert(&t, with_phone("e3", "+353 1 555 0123"))
        .await
        .unwrap();
    a.upsert(&t, with_phone("e4", "+353 1 555 0123"))
        .await
        .unwrap();
    assert_eq!(a.count(&t, &by_phone, None).await.unwrap().value(), 2);
    a.close().await;
    b.close().await;
}
