//! `interlog backup` under a sustained write load, and `interlog restore` of what it wrote
//! into a fresh data directory: the copy passes `integrity_check`, holds every engagement
//! acknowledged before the backup began, ends exactly at the change-feed position the
//! backup printed, and a server started on it serves and continues the feed from there.
//! A restore into a store a server has open is refused.

mod common;

use common::{assert_stored, create_client, json_of, ok, run, serve, token, Server};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Writers running at once during the backup.
const WRITERS: usize = 4;
/// Engagements acknowledged before the backup starts, and again while it runs and after.
const BEFORE: usize = 300;

fn engagement(id: &str, n: usize) -> Value {
    json!({
        "id": id,
        "started_at": format!("2026-03-{:02}T{:02}:00:00Z", 1 + n % 28, n % 24),
        "channels": [{"type": "voice"}],
        "queues": [{"id": format!("q{}", n % 5), "name": "Billing"}],
        "customer": {"phones": [format!("+353 1 555 {:04}", n % 10_000)]},
    })
}

async fn put(http: &reqwest::Client, base: &str, token: &str, id: &str, n: usize) -> u16 {
    http.put(format!("{base}/api/v1/tenants/acme/engagements/{id}"))
        .bearer_auth(token)
        .json(&engagement(id, n))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn integrity(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_write_load_restores_into_a_store_that_serves_and_continues_the_feed() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    ok(run(&["tenant", "create", "acme"], &data));
    let creds = create_client(&data, "acme", "admin");
    let http = reqwest::Client::new();
    let server = Server::start(&mut serve(&data));
    let t = token(&http, &server.base, &creds).await;

    // Writers that run until told to stop, recording each acknowledged id in order.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let (count_tx, mut count_rx) = watch::channel(0usize);
    let (stop_tx, stop_rx) = watch::channel(false);
    let count_tx = Arc::new(count_tx);
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (http, base, t) = (http.clone(), server.base.clone(), t.clone());
        let (acked, count_tx, stop_rx) = (acked.clone(), count_tx.clone(), stop_rx.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !*stop_rx.borrow() {
                let id = format!("w{w}-{n:06}");
                let status = put(&http, &base, &t, &id, n).await;
                assert!(status == 201 || status == 200, "PUT {id}: {status}");
                let mut a = acked.lock().unwrap();
                a.push(id);
                count_tx.send_replace(a.len());
                n += 1;
            }
        }));
    }
    count_rx.wait_for(|n| *n >= BEFORE).await.unwrap();
    let acked_before: Vec<String> = acked.lock().unwrap().clone();

    // The backup, while the writers go on.
    let file = work.path().join("backup.db");
    let backup = {
        let (data, file) = (data.clone(), file.clone());
        tokio::task::spawn_blocking(move || {
            ok(run(&["backup", "--to", file.to_str().unwrap()], &data))
        })
    };
    let printed = backup.await.unwrap();
    let after_backup = acked.lock().unwrap().len();
    assert!(
        after_backup > acked_before.len(),
        "no write was acknowledged while the backup ran"
    );
    // Writes after the backup, which the restored store must not have.
    count_rx
        .wait_for(|n| *n >= after_backup + BEFORE)
        .await
        .unwrap();
    stop_tx.send_replace(true);
    for w in writers {
        w.await.unwrap();
    }
    let printed: Value = serde_json::from_str(&printed).unwrap();
    let position = printed["positions"]["acme"]
        .as_i64()
        .unwrap_or_else(|| panic!("no position for acme: {printed}"));
    assert!(position >= acked_before.len() as i64, "{printed}");

    // A store in use is not replaced.
    let refused = run(&["restore", "--from", file.to_str().unwrap()], &data);
    assert!(
        !refused.status.success(),
        "a restore replaced a store in use"
    );
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("in use"), "{said}");
    drop(server);

    // Restored into a fresh directory.
    let restored = work.path().join("restored");
    let out: Value = serde_json::from_str(&ok(run(
        &["restore", "--from", file.to_str().unwrap()],
        &restored,
    )))
    .unwrap();
    assert_eq!(out["positions"]["acme"], position, "{out}");
    assert_eq!(integrity(&restored.join("interlog.db")), "ok");

    let server = Server::start(&mut serve(&restored));
    let base = &server.base;
    let t = token(&http, base, &creds).await;
    assert_stored(&http, base, "acme", &t, &acked_before).await;
    let feed = |after: i64| {
        http.get(format!(
            "{base}/api/v1/tenants/acme/changes?after={after}&limit=1000"
        ))
        .bearer_auth(&t)
    };
    // The copy ends at the printed position: nothing after it, and its last change is there.
    let tail = json_of(feed(position)).await;
    assert_eq!(tail["changes"], json!([]), "{tail}");
    let last = json_of(feed(position - 1)).await;
    assert_eq!(last["changes"][0]["position"], position, "{last}");
    // The feed continues from the position.
    assert_eq!(put(&http, base, &t, "after-restore", 7).await, 201);
    let next = json_of(feed(position)).await;
    assert_eq!(next["changes"].as_array().unwrap().len(), 1, "{next}");
    assert_eq!(next["changes"][0]["id"], "after-restore", "{next}");
    assert_eq!(next["changes"][0]["position"], position + 1, "{next}");
}
