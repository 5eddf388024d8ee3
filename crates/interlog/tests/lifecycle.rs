//! The data lifecycle from the command line and across restarts: retention set with
//! `tenant update` and swept by the server, `erase`, `export --changes-after`, and webhook
//! deliveries that survive a kill -9.

mod common;

use common::{create_client, import_stdin, ok, run, serve, token, Server};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn import(data: &Path, tenant: &str, lines: &[String]) {
    let out = import_stdin(data, tenant, lines.join("\n").as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `interlog serve` with maintenance every second, and webhook deliveries to this machine
/// retried after a second.
fn serve_quickly(data: &Path) -> Command {
    let mut c = serve(data);
    c.env("INTERLOG_MAINTENANCE_INTERVAL_SECS", "1")
        .env("INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")
        .env("INTERLOG_WEBHOOKS_RETRY_BASE_SECS", "1")
        .env("INTERLOG_WEBHOOKS_RETRY_CAP_SECS", "1");
    c
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The first tenant `interlog tenant list` prints.
fn first_tenant_listed(data: &Path) -> Value {
    let out = ok(run(&["tenant", "list"], data));
    serde_json::from_str(out.lines().next().unwrap()).unwrap()
}

/// A data directory with tenant `t`, made with `tenant create t ARGS`.
fn with_tenant_t(args: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let create = [&["tenant", "create", "t"], args].concat();
    ok(run(&create, dir.path()));
    dir
}

/// The instant `days` days before now.
fn days_ago(days: u64) -> String {
    (jiff::Timestamp::now() - Duration::from_secs(days * 86400)).to_string()
}

fn line(id: &str, started: &str, phone: &str) -> String {
    format!(r#"{{"id":"{id}","started_at":"{started}","customer":{{"phones":["{phone}"]}}}}"#)
}

#[test]
fn retention_is_set_per_tenant_and_swept_by_the_server() {
    let dir = with_tenant_t(&[]);
    let data = dir.path();
    let old = days_ago(40);
    let new = days_ago(1);
    import(
        data,
        "t",
        &[
            line("old-1", &old, "1"),
            line("old-2", &old, "2"),
            line("new-1", &new, "3"),
        ],
    );
    let updated: Value = serde_json::from_str(&ok(run(
        &["tenant", "update", "t", "--retention-days", "30"],
        data,
    )))
    .unwrap();
    assert_eq!(updated["retention_days"], 30);

    let mut server = Server::start(&mut serve_quickly(data));
    wait_until("the retention sweep", || {
        let listed = first_tenant_listed(data);
        listed["retention_last_run"]["total_deleted"] == 2
    });
    server.kill();
    let left = ok(run(&["export", "--tenant", "t"], data));
    assert!(left.contains("new-1") && !left.contains("old-1"), "{left}");
    let changes = ok(run(
        &["export", "--tenant", "t", "--changes-after", "0"],
        data,
    ));
    let reasons: Vec<String> = changes
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|c| c["reason"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(reasons, ["retention", "retention"]);
    let off: Value = serde_json::from_str(&ok(run(
        &["tenant", "update", "t", "--retention-days", "0"],
        data,
    )))
    .unwrap();
    assert_eq!(off["retention_days"], Value::Null);
}

/// The retention tombstones in the tenant's feed.
fn retention_tombstones(data: &Path) -> usize {
    ok(run(
        &["export", "--tenant", "t", "--changes-after", "0"],
        data,
    ))
    .lines()
    .filter(|l| l.contains(r#""reason":"retention""#))
    .count()
}

#[test]
fn a_large_sweep_goes_in_batches_stops_with_the_server_and_goes_on_after() {
    let dir = with_tenant_t(&[]);
    let data = dir.path();
    let old = days_ago(40);
    let lines: Vec<String> = (0..5000)
        .map(|i| line(&format!("old-{i}"), &old, &format!("+35310{i:05}")))
        .collect();
    import(data, "t", &lines);
    ok(run(
        &["tenant", "update", "t", "--retention-days", "30"],
        data,
    ));
    // Logged at info, so that the sweep's own log lines show.
    let serve_logged = || {
        let mut c = serve_quickly(data);
        c.env("INTERLOG_LOG", "info");
        Server::start(&mut c)
    };

    // The first batch of 500 commits on its own; the sweep then rests nine times as long
    // as that took, and a server told to stop does not wait for the rest.
    let mut server = serve_logged();
    wait_until("the first batch", || retention_tombstones(data) >= 500);
    server.terminate();
    let asked = Instant::now();
    while server.child().try_wait().unwrap().is_none() {
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "the server kept sweeping after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let swept = retention_tombstones(data);
    assert!(
        swept.is_multiple_of(500) && swept < 5000,
        "{swept} swept before the stop"
    );

    // The next server's sweep takes the rest, and says so in its log.
    let mut server = serve_logged();
    wait_until("the rest of the sweep", || {
        let listed = first_tenant_listed(data);
        listed["retention_last_run"]["total_deleted"] == 5000
    });
    server.wait_printed(
        |log| log.contains("retention sweep"),
        Duration::from_secs(60),
    );
    server.kill();
    assert_eq!(retention_tombstones(data), 5000);
    let listed = first_tenant_listed(data);
    assert_eq!(listed["retention_days"], 30);
    assert!(listed["retention_last_run"]["at"]
        .as_str()
        .is_some_and(|at| at.parse::<jiff::Timestamp>().is_ok()));
}

#[test]
fn erase_from_the_command_line_prints_a_receipt_and_export_shows_only_tombstones() {
    let dir = with_tenant_t(&["--country-code", "353"]);
    let data = dir.path();
    let at = "2024-05-01T10:00:00Z";
    import(
        data,
        "t",
        &[
            line("c1", at, "019 718 0171"),
            line("c2", at, "+353197180171"),
            line("other", at, "555 0100"),
        ],
    );
    let receipt: Value = serde_json::from_str(&ok(run(
        &["erase", "--tenant", "t", "--identifier", "0197180171"],
        data,
    )))
    .unwrap();
    assert_eq!(receipt["engagements_erased"], 2, "{receipt}");
    assert!(receipt["requested_by"]
        .as_str()
        .unwrap()
        .starts_with("cli:"));
    let exported = ok(run(&["export", "--tenant", "t"], data));
    assert!(
        !exported.contains("197180171") && exported.contains("\"other\""),
        "{exported}"
    );
    let changes = ok(run(
        &["export", "--tenant", "t", "--changes-after", "0"],
        data,
    ));
    assert!(!changes.contains("197180171"), "{changes}");
    assert_eq!(changes.matches("\"reason\":\"erased\"").count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_events_survive_a_kill_9_of_the_server() {
    // A receiver that keeps every body, and is slow, so the kill lands mid-delivery.
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    {
        let got = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: axum::body::Bytes| {
                let got = got.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    got.lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap());
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }
    let dir = with_tenant_t(&[]);
    let data = dir.path().to_path_buf();
    let creds = create_client(&data, "t", "admin");
    let mut server = Server::start(&mut serve_quickly(&data));
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let token = token(&http, &base, &creds).await;
    let r = http
        .post(format!("{base}/api/v1/tenants/t/webhooks"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"url": hook_url, "events": ["engagement.upserted"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: String = (0..300)
        .map(|i| format!("{{\"id\":\"k{i}\",\"started_at\":\"2024-01-01T00:00:00Z\"}}\n"))
        .collect();
    let r = http
        .post(format!("{base}/api/v1/tenants/t/ingest"))
        .bearer_auth(&token)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Kill it mid-delivery, then start it again on the same data.
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.lock().unwrap().len() < 20 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let delivered_before = got.lock().unwrap().len();
    assert!(
        delivered_before < 300,
        "the kill came too late to prove anything"
    );
    let _server = Server::start(&mut serve_quickly(&data));
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let ids: std::collections::BTreeSet<String> = got
            .lock()
            .unwrap()
            .iter()
            .map(|b| b["data"]["id"].as_str().unwrap().to_owned())
            .collect();
        if ids.len() == 300 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of 300 delivered",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
