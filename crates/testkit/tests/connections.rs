//! Idle and slow clients cannot hold the server's sockets: connections that send nothing,
//! send a request head a byte at a time, or stall a body are closed by the server, while a
//! normal client is served throughout and a slow-but-steady upload is not cut.

use futures_util::StreamExt;
use interlog_testkit::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SETTINGS: &str =
    "header_read_timeout_secs = 1\nidle_timeout_secs = 2\nbody_read_timeout_secs = 1\n";

/// Whether the server closed `s` (EOF or reset) within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // A 408 or similar answer before the close is fine; keep reading.
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_are_closed_while_others_are_served() {
    let app = spawn_app_with(TestConfig::toml(SETTINGS)).await;
    let addr = app.base.trim_start_matches("http://").to_owned();

    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    let mut slow_heads = Vec::new();
    for _ in 0..100 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow_heads.push(s);
    }
    let mut stalled_bodies = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(
            format!(
                "POST /api/v1/tenants/acme/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/x-ndjson\r\nContent-Length: 100000\r\n\r\n{{",
                app.agent
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        stalled_bodies.push(s);
    }

    // The slow heads trickle a byte every 300 ms; a normal client is served meanwhile.
    let trickle = tokio::spawn(async move {
        for _ in 0..20 {
            for s in slow_heads.iter_mut() {
                let _ = s.write_all(b"X").await;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        slow_heads
    });
    let started = Instant::now();
    let mut served = 0;
    while started.elapsed() < Duration::from_secs(4) {
        let t = Instant::now();
        let r = app.http.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "a normal request waited {:?}",
            t.elapsed()
        );
        served += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served > 20);

    let mut slow_heads = trickle.await.unwrap();
    for s in slow_heads.iter_mut() {
        assert!(
            closed_within(s, Duration::from_secs(5)).await,
            "a slow head was kept"
        );
    }
    for s in stalled_bodies.iter_mut() {
        assert!(
            closed_within(s, Duration::from_secs(5)).await,
            "a stalled body was kept"
        );
    }
    for s in idle.iter_mut() {
        assert!(
            closed_within(s, Duration::from_secs(5)).await,
            "an idle connection was kept"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_but_steady_upload_is_not_cut() {
    let app = spawn_app_with(TestConfig::toml(SETTINGS)).await;
    let lines: Vec<String> = (0..8)
        .map(|i| {
            format!(
                "{{\"id\":\"steady-{i}\",\"started_at\":\"2024-01-0{}T00:00:00Z\"}}\n",
                i + 1
            )
        })
        .collect();
    // Four seconds in all, longer than every timeout, but never silent for a second.
    let chunks = futures_util::stream::iter(lines).then(|line| async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok::<_, std::io::Error>(line)
    });
    let r = app
        .http
        .post(app.url("/api/v1/tenants/acme/ingest"))
        .bearer_auth(&app.agent)
        .header("content-type", "application/x-ndjson")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let summary: serde_json::Value = r.json().await.unwrap();
    assert_eq!(summary["created"], 8, "{summary}");
}

/// Sends a `/healthz` request on `s` and reads its answer's first bytes (with a deadline).
async fn healthz(s: &mut TcpStream, within: Duration) -> Option<String> {
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    match tokio::time::timeout(within, s.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_max_connections_a_client_waits_until_one_closes() {
    let app = spawn_app_with(TestConfig::toml(
        "max_connections = 2\nidle_timeout_secs = 30\nheader_read_timeout_secs = 30\n",
    ))
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    // Two keep-alive connections, each served once and then held open.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        let answer = healthz(&mut s, Duration::from_secs(5)).await;
        assert!(answer.is_some_and(|a| a.starts_with("HTTP/1.1 200")));
        held.push(s);
    }
    // A third waits in the listen backlog...
    let mut third = TcpStream::connect(&addr).await.unwrap();
    assert_eq!(healthz(&mut third, Duration::from_secs(1)).await, None);
    // ...and is served once one of the two goes.
    drop(held.pop());
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(5), third.read(&mut buf))
        .await
        .expect("served once a connection closed")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}
