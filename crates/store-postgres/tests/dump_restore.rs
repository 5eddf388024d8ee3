//! A PostgreSQL store backed up with `pg_dump` (custom format, the store's schema) and put
//! back with `pg_restore` into another database is the same store: every engagement reads
//! back byte for byte, `check` finds it whole, and the change feed continues from where the
//! dump left it. Runs on the server `INTERLOG_TEST_POSTGRES` names (skipped without one),
//! with the client tools of `INTERLOG_PG_BIN` (default /usr/lib/postgresql/15/bin).

use interlog_model::Engagement;
use interlog_store::{Changes, Directory, Engagements, NewTenant, OpenOptions, Store, Upkeep};
use interlog_store_postgres::PgStore;
use std::path::PathBuf;
use std::process::Command;

fn tool(name: &str) -> PathBuf {
    let bin =
        std::env::var("INTERLOG_PG_BIN").unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into());
    PathBuf::from(bin).join(name)
}

/// `base` (a URL ending in a database name) naming another database.
fn with_database(base: &str, db: &str) -> String {
    let (head, query) = base
        .split_once('?')
        .map_or((base, None), |(h, q)| (h, Some(q)));
    let at = head.rfind('/').expect("a database in the URL");
    let url = format!("{}/{db}", &head[..at]);
    match query {
        Some(q) => format!("{url}?{q}"),
        None => url,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pg_dump_restored_into_another_database_is_the_same_store() {
    let Ok(base) = std::env::var("INTERLOG_TEST_POSTGRES") else {
        eprintln!("skipped: INTERLOG_TEST_POSTGRES names no PostgreSQL server");
        return;
    };
    let tag = format!(
        "{}_{}",
        std::process::id(),
        jiff::Timestamp::now().as_millisecond() % 1_000_000
    );
    let schema = format!("dump_{tag}");
    let sep = if base.contains('?') { '&' } else { '?' };
    let store = PgStore::open(
        &format!("{base}{sep}schema={schema}"),
        OpenOptions::default(),
    )
    .await
    .unwrap();
    let tenant = store
        .create_tenant(NewTenant {
            key: "dumped".into(),
            name: "Dumped".into(),
            time_zone: "UTC".into(),
            country_code: Some("353".into()),
            aliases: Vec::new(),
        })
        .await
        .unwrap();
    let end = jiff::Timestamp::from_second(1_780_000_000).unwrap();
    let cfg = interlog_generate::GeneratorConfig::new(7, 300, end).with_tenant("dumped".to_owned());
    let engagements: Vec<Engagement> = interlog_generate::Generator::new(cfg).collect();
    store
        .upsert_many(&tenant, engagements.clone())
        .await
        .unwrap();
    let ids: Vec<String> = engagements.iter().map(|e| e.id.clone()).collect();
    let before = store.get_many(&tenant, &ids).await.unwrap();
    let head = store.changes(&tenant, 0, 1000).await.unwrap().head;
    assert!(head >= 300);
    store.close().await;

    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("store.dump");
    let dumped = Command::new(tool("pg_dump"))
        .args(["--format=custom", "--schema", &schema, "--file"])
        .arg(&dump)
        .arg(&base)
        .status()
        .unwrap();
    assert!(dumped.success(), "pg_dump failed");
    let database = format!("restored_{tag}");
    let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {database}"))
        .await
        .unwrap();
    let target = with_database(&base, &database);
    let restored = Command::new(tool("pg_restore"))
        .args(["--exit-on-error", "--no-owner", "--dbname"])
        .arg(&target)
        .arg(&dump)
        .status()
        .unwrap();
    assert!(restored.success(), "pg_restore failed");

    let sep = if target.contains('?') { '&' } else { '?' };
    let store = PgStore::open(
        &format!("{target}{sep}schema={schema}"),
        OpenOptions::default(),
    )
    .await
    .unwrap();
    let tenant = store
        .tenant("dumped")
        .await
        .unwrap()
        .expect("the tenant is restored");
    let after = store.get_many(&tenant, &ids).await.unwrap();
    assert_eq!(after.len(), before.len());
    for (a, b) in after.iter().zip(&before) {
        assert_eq!((&a.id, &a.json), (&b.id, &b.json));
    }
    let report = store.check().await.unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!(report.engagements, 300);
    let feed = store.changes(&tenant, 0, 1000).await.unwrap();
    assert_eq!(feed.head, head);
    let mut next = engagements[0].clone();
    next.id = "after-restore".into();
    store.upsert_many(&tenant, vec![next]).await.unwrap();
    let tail = store.changes(&tenant, head, 10).await.unwrap();
    assert_eq!(tail.changes.len(), 1);
    assert_eq!(tail.changes[0].position, head + 1);
    store.close().await;
    client
        .batch_execute(&format!("DROP DATABASE {database} WITH (FORCE)"))
        .await
        .unwrap();
}
