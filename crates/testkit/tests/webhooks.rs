//! Webhooks: registered by an admin, delivered in order and signed so that an
//! off-the-shelf Standard Webhooks library verifies them, filtered, retried while the
//! receiver fails, disabled (visibly) when it keeps failing, and refused for internal
//! targets unless allowed.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use interlog_testkit::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HOOKS: &str = "/api/v1/tenants/acme/webhooks";
const ALLOW: &str =
    "[webhooks]\nallow_private_targets = true\nretry_base_secs = 1\nretry_cap_secs = 1\n";

/// A local receiver: keeps what it is sent; answers 500 while `failing` is above zero
/// (counting down), with a body longer than the excerpt Interlog keeps of it.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    failing: Arc<AtomicU32>,
    /// Answer every request with this status, echoing what it was sent (as a receiver's
    /// "bad request" often does).
    refusing: Arc<AtomicU32>,
}

impl Receiver {
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/hook")
    }

    fn bodies(&self) -> Vec<Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| serde_json::from_slice(b).unwrap())
            .collect()
    }

    /// Waits (with a deadline) until `n` events arrived.
    async fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.bodies();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// What the receiver says when it fails: 1,000 characters, then a mark past any excerpt.
fn failure_body() -> String {
    format!("{}PAST-THE-EXCERPT", "x".repeat(1000))
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let refusing = r.refusing.load(Ordering::SeqCst);
    if refusing > 0 {
        let echo = format!("cannot take {}", String::from_utf8_lossy(&body));
        return (StatusCode::from_u16(refusing as u16).unwrap(), echo);
    }
    if r.failing
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (StatusCode::INTERNAL_SERVER_ERROR, failure_body());
    }
    r.got.lock().unwrap().push((headers, body));
    (StatusCode::NO_CONTENT, String::new())
}

async fn register(app: &TestApp, body: Value) -> (u16, Value) {
    let r = app
        .call(Method::POST, HOOKS, Some(&app.admin), Some(body))
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arrive_in_order_signed_and_filtered() {
    let app = spawn_app_with(TestConfig::toml(ALLOW)).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    app.seed(vec![engagement("before", "2024-01-01T00:00:00Z")])
        .await;
    let (status, hook) = register(
        &app,
        json!({"url": url, "events": ["engagement.upserted", "engagement.deleted"],
               "filter": "channel_type=voice"}),
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = hook["id"].as_str().unwrap().to_owned();

    let voice = |id: &str| {
        serde_json::from_value(json!({"id": id, "started_at": "2024-01-02T00:00:00Z",
            "channels": [{"type": "voice"}]}))
        .unwrap()
    };
    let chat = serde_json::from_value(
        json!({"id": "chat-1", "started_at": "2024-01-02T00:00:00Z", "channels": [{"type": "chat"}]}),
    )
    .unwrap();
    app.seed(vec![voice("v1"), chat, voice("v2")]).await;
    // The feed is compacted: a deletion before delivery would leave only the tombstone.
    assert_eq!(receiver.wait_for(2).await.len(), 2);
    assert!(app.store.delete(&app.tenant, "v1").await.unwrap());

    let got = receiver.wait_for(3).await;
    let summary: Vec<(String, String)> = got
        .iter()
        .map(|b| {
            (
                b["type"].as_str().unwrap().into(),
                b["data"]["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("engagement.upserted".into(), "v1".into()),
            ("engagement.upserted".into(), "v2".into()),
            ("engagement.deleted".into(), "v1".into()),
        ],
        "not the engagement written before the webhook, nor the chat"
    );
    assert_eq!(got[0]["data"]["engagement"]["channels"][0]["type"], "voice");
    assert_eq!(got[2]["data"]["reason"], "deleted");
    assert!(got[2]["data"].get("engagement").is_none());
    let positions: Vec<i64> = got
        .iter()
        .map(|b| b["data"]["position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));

    // An off-the-shelf Standard Webhooks verifier accepts every request.
    let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
    for (headers, body) in receiver.got.lock().unwrap().iter() {
        verifier.verify(body, headers).expect("a valid signature");
        assert!(headers["webhook-id"].to_str().unwrap().starts_with("msg_"));
    }

    // The list never shows the secret; the deliveries say what happened.
    let (s, list) = app.get_json_as(HOOKS, &app.admin).await;
    assert_eq!(s, 200);
    assert_eq!(list["webhooks"][0]["id"], id.as_str());
    assert!(list["webhooks"][0].get("secret").is_none());
    let deadline = Instant::now() + Duration::from_secs(10);
    let deliveries = loop {
        let (_, d) = app
            .get_json_as(&format!("{HOOKS}/{id}/deliveries"), &app.admin)
            .await;
        if d["attempts"].as_array().unwrap().len() >= 3 || Instant::now() > deadline {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let a = &deliveries["attempts"][0];
    assert_eq!(a["result"], "delivered");
    assert_eq!(a["status"], 204);
    assert!(a["latency_ms"].is_number());
    assert_eq!(deliveries["webhook"]["status"], "active");

    // A reader may not manage webhooks; deleting stops deliveries.
    let r = app.call(Method::GET, HOOKS, Some(&app.reader), None).await;
    assert_problem(r, 403, "forbidden").await;
    let r = app
        .call(
            Method::DELETE,
            &format!("{HOOKS}/{id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .call(
            Method::GET,
            &format!("{HOOKS}/{id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_problem(r, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_retries_until_it_takes_everything_in_order() {
    let app = spawn_app_with(TestConfig::toml(ALLOW)).await;
    let receiver = Receiver::default();
    receiver.failing.store(3, Ordering::SeqCst);
    let url = receiver.start().await;
    let (status, hook) =
        register(&app, json!({"url": url, "events": ["engagement.upserted"]})).await;
    assert_eq!(status, 201);
    app.seed(
        (0..5)
            .map(|i| engagement(&format!("r{i}"), "2024-01-01T00:00:00Z"))
            .collect(),
    )
    .await;
    let got = receiver.wait_for(5).await;
    let ids: Vec<&str> = got
        .iter()
        .map(|b| b["data"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["r0", "r1", "r2", "r3", "r4"]);
    let id = hook["id"].as_str().unwrap();
    let (_, d) = app
        .get_json_as(&format!("{HOOKS}/{id}/deliveries"), &app.admin)
        .await;
    let failed = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["result"] == "failed")
        .count();
    assert_eq!(failed, 3, "{d}");
    // Of a refused attempt only the status and size of the answer are kept: what the
    // receiver said may echo personal data.
    let kept = format!(
        "HTTP 500 Internal Server Error ({} bytes)",
        failure_body().len()
    );
    let errors: Vec<&str> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["error"].as_str())
        .collect();
    assert_eq!(errors, [kept.as_str(); 3], "{d}");

    // The attempts come in pages, newest first (once the last batch's are saved: the
    // receiver may have the events before the server records how it answered).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, d) = app
            .get_json_as(&format!("{HOOKS}/{id}/deliveries?limit=100"), &app.admin)
            .await;
        if d["attempts"].as_array().unwrap().len() >= 8 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut numbers = Vec::new();
    let mut path = format!("{HOOKS}/{id}/deliveries?limit=3");
    loop {
        let (status, page) = app.get_json_as(&path, &app.admin).await;
        assert_eq!(status, 200, "{page}");
        let attempts = page["attempts"].as_array().unwrap();
        assert!(attempts.len() <= 3);
        numbers.extend(attempts.iter().map(|a| a["number"].as_u64().unwrap()));
        match page["next_before"].as_u64() {
            Some(before) => path = format!("{HOOKS}/{id}/deliveries?limit=3&before={before}"),
            None => break,
        }
    }
    assert_eq!(
        numbers,
        [8, 7, 6, 5, 4, 3, 2, 1],
        "three failures, five deliveries"
    );
    let r = app
        .call(
            Method::GET,
            &format!("{HOOKS}/{id}/deliveries?limit=1000"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_problem(r, 400, "bad_parameter").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_refusing_receiver_echoes_is_not_kept_and_410_disables_the_webhook() {
    let app = spawn_app_with(TestConfig::toml(ALLOW)).await;
    let receiver = Receiver::default();
    receiver.refusing.store(400, Ordering::SeqCst);
    let url = receiver.start().await;
    let (_, hook) = register(&app, json!({"url": url, "events": ["engagement.upserted"]})).await;
    let id = hook["id"].as_str().unwrap().to_owned();
    let mut e = engagement("echoed", "2024-01-01T00:00:00Z");
    e.customer.emails = vec!["melinda.rasetest@example.org".into()];
    app.seed(vec![e]).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let d = loop {
        let (_, d) = app
            .get_json_as(&format!("{HOOKS}/{id}/deliveries"), &app.admin)
            .await;
        if !d["attempts"].as_array().unwrap().is_empty() || Instant::now() > deadline {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = d["attempts"][0]["error"].as_str().unwrap();
    assert!(error.starts_with("HTTP 400 Bad Request ("), "{d}");
    assert!(
        !d.to_string().contains("rasetest"),
        "the echo is not kept: {d}"
    );

    // Standard Webhooks: 410 Gone asks the sender to stop.
    receiver.refusing.store(410, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(30);
    let view = loop {
        let (_, v) = app.get_json_as(&format!("{HOOKS}/{id}"), &app.admin).await;
        if v["status"] == "disabled" || Instant::now() > deadline {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(view["status"], "disabled", "{view}");
    assert!(view["disabled_at"].is_string());
    assert_eq!(view["disabled_reason"], "the receiver answered 410 Gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_keeps_failing_gets_its_webhook_disabled_visibly() {
    let app = spawn_app_with(TestConfig::toml(format!("{ALLOW}give_up_after_secs = 2\n"))).await;
    let receiver = Receiver::default();
    receiver.failing.store(u32::MAX, Ordering::SeqCst);
    let url = receiver.start().await;
    let (_, hook) = register(&app, json!({"url": url, "events": ["engagement.upserted"]})).await;
    let id = hook["id"].as_str().unwrap().to_owned();
    app.seed(vec![engagement("doomed", "2024-01-01T00:00:00Z")])
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let view = loop {
        let (_, v) = app.get_json_as(&format!("{HOOKS}/{id}"), &app.admin).await;
        if v["status"] == "disabled" || Instant::now() > deadline {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(view["status"], "disabled", "{view}");
    assert!(
        view["disabled_at"]
            .as_str()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()),
        "{view}"
    );
    assert!(
        view["disabled_reason"].as_str().unwrap().contains("500"),
        "{view}"
    );
}

#[tokio::test]
async fn internal_targets_and_bad_definitions_are_refused() {
    let app = spawn_app().await;
    for (body, field) in [
        (
            json!({"url": "http://127.0.0.1:9/hook", "events": ["engagement.upserted"]}),
            "url",
        ),
        (
            json!({"url": "http://169.254.169.254/latest", "events": ["engagement.upserted"]}),
            "url",
        ),
        (
            json!({"url": "http://localhost/hook", "events": ["engagement.upserted"]}),
            "url",
        ),
        (
            json!({"url": "ftp://example.com/x", "events": ["engagement.upserted"]}),
            "url",
        ),
        (
            json!({"url": format!("https://example.com/{}", "a".repeat(3_000_000)), "events": ["engagement.upserted"]}),
            "url",
        ),
        (
            json!({"url": "https://example.com/x", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["engagement.created"]}),
            "events",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["engagement.deleted"], "filter": "colour=red"}),
            "filter",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["engagement.deleted"], "filter": "filter=queue_id:Q1 OR"}),
            "filter",
        ),
    ] {
        let r = app
            .call(Method::POST, HOOKS, Some(&app.admin), Some(body.clone()))
            .await;
        let p = assert_problem(r, 422, "validation_failed").await;
        assert_eq!(p["errors"][0]["field"], field, "{body}: {p}");
        assert!(
            p.to_string().len() < 2000,
            "the answer does not echo the URL"
        );
    }
    // IPv6 forms that carry an internal IPv4 address, and special-purpose ranges.
    for host in [
        "[::127.0.0.1]",
        "[::7f00:1]",
        "[64:ff9b::7f00:1]",
        "[64:ff9b::a9fe:a9fe]",
        "[64:ff9b:1::a00:1]",
        "[2002:7f00:1::]",
        "[::ffff:0:a9fe:a9fe]",
        "[::a9fe:a9fe]",
        "[::ffff:127.0.0.1]",
        "[fec0::1]",
        "[100::1]",
        "198.18.0.1",
        "240.0.0.1",
    ] {
        let body = json!({"url": format!("http://{host}/hook"), "events": ["engagement.upserted"]});
        let r = app
            .call(Method::POST, HOOKS, Some(&app.admin), Some(body))
            .await;
        let p = assert_problem(r, 422, "validation_failed").await;
        assert_eq!(p["errors"][0]["field"], "url", "{host}: {p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_may_not_call_internal_addresses_refuses_them_at_delivery() {
    // One instance, allowed to, registers webhooks on a loopback address and a name that
    // resolves to one; it stops, and an instance on the same store that is not allowed
    // delivers: it refuses to connect, whatever the registration said.
    let mut app = spawn_app_with(TestConfig::toml(ALLOW)).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let by_name = url.replace("127.0.0.1", "localhost");
    let mut ids = Vec::new();
    for u in [&url, &by_name] {
        let (status, hook) =
            register(&app, json!({"url": u, "events": ["engagement.upserted"]})).await;
        assert_eq!(status, 201, "{hook}");
        ids.push(hook["id"].as_str().unwrap().to_owned());
    }
    let store = match &app.config.store {
        interlog_app::StoreUrl::Postgres(u) => format!("store = \"{u}\"\n"),
        interlog_app::StoreUrl::Sqlite(_) => String::new(),
    };
    app.stop().await;
    let strict = load_config(
        app.data_dir(),
        &TestConfig::toml(format!("{store}[webhooks]\nretry_base_secs = 1\n")),
    );
    let other = start_server(&strict).await;
    other
        .state
        .store
        .upsert(&app.tenant, engagement("inside", "2024-01-01T00:00:00Z"))
        .await
        .unwrap();
    let base = format!("http://{}", other.addr);
    for (id, reason) in [
        (&ids[0], "special-purpose range"),
        (&ids[1], "resolves to no address"),
    ] {
        let deadline = Instant::now() + Duration::from_secs(30);
        let d = loop {
            let d: Value = app
                .http
                .get(format!("{base}{HOOKS}/{id}/deliveries"))
                .bearer_auth(&app.admin)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if !d["attempts"].as_array().unwrap().is_empty() || Instant::now() > deadline {
                break d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let a = &d["attempts"][0];
        assert_eq!(a["result"], "failed", "{d}");
        assert!(a["error"].as_str().unwrap().contains(reason), "{d}");
        assert!(a.get("status").is_none(), "no connection was made: {d}");
    }
    assert!(receiver.bodies().is_empty(), "nothing reached the receiver");
    other.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_expression_selects_what_is_delivered() {
    let app = spawn_app_with(TestConfig::toml(ALLOW)).await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    // The webhook's filter is a native list query string: `filter=` among the others.
    let (status, hook) = register(
        &app,
        json!({"url": url, "events": ["engagement.upserted"],
               "filter": "direction=inbound&filter=(channel_type:voice OR queue_id:Q1) AND NOT outcome:unsuccessful"}),
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    let e = |id: &str, extra: Value| {
        let mut v = json!({"id": id, "started_at": "2024-01-02T00:00:00Z", "direction": "inbound"});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        serde_json::from_value(v).unwrap()
    };
    app.seed(vec![
        e("voice", json!({"channels": [{"type": "voice"}]})),
        e(
            "voice-failed",
            json!({"channels": [{"type": "voice"}], "outcome": "unsuccessful"}),
        ),
        e(
            "chat-q1",
            json!({"channels": [{"type": "chat"}], "queues": [{"id": "Q1"}]}),
        ),
        e(
            "chat-q2",
            json!({"channels": [{"type": "chat"}], "queues": [{"id": "Q2"}]}),
        ),
        e(
            "outbound-voice",
            json!({"channels": [{"type": "voice"}], "direction": "outbound"}),
        ),
        e(
            "last",
            json!({"channels": [{"type": "voice"}], "outcome": "successful"}),
        ),
    ])
    .await;
    let got = receiver.wait_for(3).await;
    let delivered: Vec<&str> = got
        .iter()
        .map(|b| b["data"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(delivered, ["voice", "chat-q1", "last"]);
}
