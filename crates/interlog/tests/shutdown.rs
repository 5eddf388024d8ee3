//! A running server, stopped with SIGTERM in the middle of writes: every write it
//! acknowledged is there after a restart.

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn spawn_server(data: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_interlog"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("INTERLOG_DATA", data)
        .env("INTERLOG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not become ready");
}

async fn token(http: &reqwest::Client, base: &str, id: &str, secret: &str) -> String {
    let r: Value = http
        .post(format!("{base}/api/v1/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_sigterm_mid_load() {
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_interlog"))
            .args(args)
            .env("INTERLOG_DATA", dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    cli(&["tenant", "create", "acme"]);
    let creds: Value = serde_json::from_slice(&cli(&[
        "client", "create", "--tenant", "acme", "--role", "agent",
    ]))
    .unwrap();
    let (id, secret) = (
        creds["client_id"].as_str().unwrap(),
        creds["client_secret"].as_str().unwrap(),
    );

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut server = spawn_server(dir.path(), port);
    wait_ready(&http, &base).await;
    let token = token(&http, &base, id, secret).await;

    let mut writers = Vec::new();
    for w in 0..16 {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        writers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..10_000 {
                let id = format!("w{w}-{i}");
                let body = json!({"started_at": "2024-01-01T00:00:00Z", "subject": "load"});
                let sent = http
                    .put(format!("{base}/api/v1/tenants/acme/engagements/{id}"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => acked.push(id),
                    _ => break,
                }
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = server.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    let status = server.wait().unwrap();
    assert!(status.success(), "graceful exit: {status:?}");
    assert!(acked.len() > 50, "the load ran: {}", acked.len());

    let mut server = spawn_server(dir.path(), port);
    wait_ready(&http, &base).await;
    let token = self::token(&http, &base, id, secret).await;
    let total: Value = http
        .get(format!(
            "{base}/api/v1/tenants/acme/engagements?count=exact&limit=1"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(total["total"].as_u64().unwrap() >= acked.len() as u64);
    for id in acked.iter().step_by(7) {
        let r = http
            .get(format!("{base}/api/v1/tenants/acme/engagements/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged {id} is missing");
    }
    let _ = server.kill();
    let _ = server.wait();
}
