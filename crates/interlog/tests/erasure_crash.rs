//! kill -9 in the middle of an erasure of a customer with 20,000 engagements: the erasure
//! was recorded (`running`) before anything was deleted, the restarted server finishes it
//! by itself, and its one receipt counts every engagement erased, before and after the kill.

mod common;

use common::{create_client, engagement_count, ok, run, serve, token, Server};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

const N: u64 = 20_000;
const PHONE: &str = "+353 1 555 0142";

fn db(data: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(data.join("interlog.db")).unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    c
}

fn count(data: &Path, sql: &str) -> u64 {
    db(data)
        .query_row(sql, [], |r| r.get::<_, i64>(0))
        .map_or(0, |n| n as u64)
}

/// The id of the erasure under way, once it is recorded.
fn running_erasure(data: &Path) -> Option<String> {
    db(data)
        .query_row(
            "SELECT key FROM tenant_settings WHERE namespace = 'erasure-jobs'",
            [],
            |r| r.get(0),
        )
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_erasure_finishes_it_after_a_restart_with_one_receipt() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    ok(run(
        &["tenant", "create", "acme", "--country-code", "353"],
        &data,
    ));
    let file = work.path().join("customer.ndjson");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for i in 0..N {
        let e = json!({"id": format!("c{i:05}"), "started_at": format!("2024-03-{:02}T10:00:00Z", 1 + i % 28),
                       "channels": [{"type": "voice"}], "customer": {"phones": [PHONE]}});
        writeln!(out, "{e}").unwrap();
    }
    drop(out);
    ok(run(
        &["import", "--tenant", "acme", file.to_str().unwrap()],
        &data,
    ));
    let creds = create_client(&data, "acme", "admin");
    let http = reqwest::Client::new();
    let mut server = Server::start(&mut serve(&data));
    let t = token(&http, &server.base, &creds).await;

    let request = tokio::spawn({
        let (http, base, t) = (http.clone(), server.base.clone(), t.clone());
        async move {
            http.post(format!("{base}/api/v1/tenants/acme/erasures"))
                .bearer_auth(t)
                .json(&json!({"identifier": PHONE}))
                .send()
                .await
        }
    });
    // Killed once the erasure is recorded and part of it is committed.
    let deadline = Instant::now() + Duration::from_secs(120);
    let id = loop {
        let left = count(&data, "SELECT count(*) FROM engagements");
        if left < N {
            if let Some(id) = running_erasure(&data) {
                server.kill();
                break id;
            }
        }
        assert!(Instant::now() < deadline, "the erasure did not start");
        std::thread::sleep(Duration::from_millis(2));
    };
    let left = count(&data, "SELECT count(*) FROM engagements");
    assert!(left > 0, "killed before the erasure ended ({left} left)");
    assert!(
        request.await.unwrap().is_err(),
        "no answer from a killed server"
    );

    let server = Server::start(&mut serve(&data));
    let t = token(&http, &server.base, &creds).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    let receipt = loop {
        let r: Value = http
            .get(format!("{}/api/v1/tenants/acme/erasures/{id}", server.base))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if r["state"] == "completed" {
            break r;
        }
        assert_eq!(r["state"], "running", "{r}");
        assert!(Instant::now() < deadline, "not finished: {r}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(receipt["engagements_erased"], N, "{receipt}");
    assert_eq!(receipt["identifiers"].as_array().unwrap().len(), 1);
    assert_eq!(engagement_count(&http, &server.base, "acme", &t).await, 0);
    assert_eq!(
        count(
            &data,
            "SELECT count(*) FROM tenant_settings WHERE namespace = 'erasure-jobs'"
        ),
        0,
        "the record (with the identifier) is gone"
    );
    assert_eq!(count(&data, "SELECT count(*) FROM term_values"), 0);
}
