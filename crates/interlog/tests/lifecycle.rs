//! The data lifecycle from the command line and across restarts: retention set with
//! `tenant update` and swept by the server, `erase`, `export --changes-after`, and webhook
//! deliveries that survive a kill -9.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn interlog(args: &[&str], data: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_interlog"))
        .args(args)
        .env("INTERLOG_DATA", data)
        .output()
        .unwrap()
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn import(data: &Path, tenant: &str, lines: &[String]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_interlog"))
        .args(["import", "--tenant", tenant, "-"])
        .env("INTERLOG_DATA", data)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(data: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_interlog"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("INTERLOG_DATA", data)
        .env("INTERLOG_LOG", "warn")
        .env("INTERLOG_MAINTENANCE_INTERVAL_SECS", "1")
        .env("INTERLOG_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")
        .env("INTERLOG_WEBHOOKS_RETRY_BASE_SECS", "1")
        .env("INTERLOG_WEBHOOKS_RETRY_CAP_SECS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
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
    let out = ok(interlog(&["tenant", "list"], data));
    serde_json::from_str(out.lines().next().unwrap()).unwrap()
}

fn line(id: &str, started: &str, phone: &str) -> String {
    format!(r#"{{"id":"{id}","started_at":"{started}","customer":{{"phones":["{phone}"]}}}}"#)
}

#[test]
fn retention_is_set_per_tenant_and_swept_by_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(interlog(&["tenant", "create", "t"], data));
    let old = (jiff::Timestamp::now() - Duration::from_secs(40 * 86400)).to_string();
    let new = (jiff::Timestamp::now() - Duration::from_secs(86400)).to_string();
    import(
        data,
        "t",
        &[
            line("old-1", &old, "1"),
            line("old-2", &old, "2"),
            line("new-1", &new, "3"),
        ],
    );
    let updated: Value = serde_json::from_str(&ok(interlog(
        &["tenant", "update", "t", "--retention-days", "30"],
        data,
    )))
    .unwrap();
    assert_eq!(updated["retention_days"], 30);

    let port = free_port();
    let mut server = serve(data, port);
    wait_until("the retention sweep", || {
        let listed = first_tenant_listed(data);
        listed["retention_last_run"]["total_deleted"] == 2
    });
    let _ = server.kill();
    let _ = server.wait();
    let left = ok(interlog(&["export", "--tenant", "t"], data));
    assert!(left.contains("new-1") && !left.contains("old-1"), "{left}");
    let changes = ok(interlog(
        &["export", "--tenant", "t", "--changes-after", "0"],
        data,
    ));
    let reasons: Vec<String> = changes
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|c| c["reason"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(reasons, ["retention", "retention"]);
    let off: Value = serde_json::from_str(&ok(interlog(
        &["tenant", "update", "t", "--retention-days", "0"],
        data,
    )))
    .unwrap();
    assert_eq!(off["retention_days"], Value::Null);
}

/// The retention tombstones in the tenant's feed.
fn retention_tombstones(data: &Path) -> usize {
    ok(interlog(
        &["export", "--tenant", "t", "--changes-after", "0"],
        data,
    ))
    .lines()
    .filter(|l| l.contains(r#""reason":"retention""#))
    .count()
}

#[test]
fn a_large_sweep_goes_in_batches_stops_with_the_server_and_goes_on_after() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(interlog(&["tenant", "create", "t"], data));
    let old = (jiff::Timestamp::now() - Duration::from_secs(40 * 86400)).to_string();
    let lines: Vec<String> = (0..5000)
        .map(|i| line(&format!("old-{i}"), &old, &format!("+35310{i:05}")))
        .collect();
    import(data, "t", &lines);
    ok(interlog(
        &["tenant", "update", "t", "--retention-days", "30"],
        data,
    ));
    let log = data.join("serve.log");
    let serve_logged = || {
        Command::new(env!("CARGO_BIN_EXE_interlog"))
            .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
            .env("INTERLOG_DATA", data)
            .env("INTERLOG_LOG", "info")
            .env("INTERLOG_MAINTENANCE_INTERVAL_SECS", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap()
    };

    // The first batch of 500 commits on its own; the sweep then rests nine times as long
    // as that took, and a server told to stop does not wait for the rest.
    let mut server = serve_logged();
    wait_until("the first batch", || retention_tombstones(data) >= 500);
    assert!(Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap()
        .success());
    let asked = Instant::now();
    while server.try_wait().unwrap().is_none() {
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
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(retention_tombstones(data), 5000);
    let listed = first_tenant_listed(data);
    assert_eq!(listed["retention_days"], 30);
    assert!(listed["retention_last_run"]["at"]
        .as_str()
        .is_some_and(|at| at.parse::<jiff::Timestamp>().is_ok()));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("retention sweep"), "{logged}");
}

#[test]
fn erase_from_the_command_line_prints_a_receipt_and_export_shows_only_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(interlog(
        &["tenant", "create", "t", "--country-code", "353"],
        data,
    ));
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
    let receipt: Value = serde_json::from_str(&ok(interlog(
        &["erase", "--tenant", "t", "--identifier", "0197180171"],
        data,
    )))
    .unwrap();
    assert_eq!(receipt["engagements_erased"], 2, "{receipt}");
    assert!(receipt["requested_by"]
        .as_str()
        .unwrap()
        .starts_with("cli:"));
    let exported = ok(interlog(&["export", "--tenant", "t"], data));
    assert!(
        !exported.contains("197180171") && exported.contains("\"other\""),
        "{exported}"
    );
    let changes = ok(interlog(
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
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    ok(interlog(&["tenant", "create", "t"], &data));
    let creds: Value = serde_json::from_str(&ok(interlog(
        &["client", "create", "--tenant", "t", "--role", "admin"],
        &data,
    )))
    .unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&data, port);
    let http = reqwest::Client::new();
    let token = loop {
        if let Ok(r) = http
            .post(format!("{base}/api/v1/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", creds["client_id"].as_str().unwrap()),
                ("client_secret", creds["client_secret"].as_str().unwrap()),
            ])
            .send()
            .await
        {
            let v: Value = r.json().await.unwrap();
            break v["access_token"].as_str().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
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
    server.kill().unwrap();
    server.wait().unwrap();
    let delivered_before = got.lock().unwrap().len();
    assert!(
        delivered_before < 300,
        "the kill came too late to prove anything"
    );
    let mut server = serve(&data, port);
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
    let _ = server.kill();
    let _ = server.wait();
}
