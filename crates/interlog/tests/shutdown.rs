//! A running server, stopped with SIGTERM in the middle of writes: every write it
//! acknowledged is there after a restart.

mod common;

use common::{assert_stored, create_client, engagement_count, ok, run, serve, token, Server};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_sigterm_mid_load() {
    let dir = tempfile::tempdir().unwrap();
    ok(run(&["tenant", "create", "acme"], dir.path()));
    let creds = create_client(dir.path(), "acme", "agent");

    let http = reqwest::Client::new();
    let mut server = Server::start(&mut serve(dir.path()));
    let base = server.base.clone();
    let token = token(&http, &base, &creds).await;

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
    server.terminate();
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    let status = server.wait();
    assert!(status.success(), "graceful exit: {status:?}");
    assert!(acked.len() > 50, "the load ran: {}", acked.len());

    let server = Server::start(&mut serve(dir.path()));
    let base = &server.base;
    let token = common::token(&http, base, &creds).await;
    let count = engagement_count(&http, base, "acme", &token).await;
    assert!(count >= acked.len() as u64);
    assert_stored(&http, base, "acme", &token, acked.iter().step_by(7)).await;
}
