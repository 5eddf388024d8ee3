//! Shared by the dialect's black-box tests: a server with the Zoom routes, Zoom tokens, and
//! engagements with every field Zoom shows.
#![allow(dead_code)]

use interlog_http::auth::{Claims, SubjectKind};

use interlog_model::Engagement;
use interlog_store::ClientRole;
use interlog_testkit::{spawn_app_with, TestApp, TestConfig};
use reqwest::{Method, Response};
use serde_json::{json, Value};

pub const LIST: &str = "/v2/contact_center/engagements";

/// Every read scope Zoom lists for the engagement endpoints.
pub const READ_SCOPES: &[&str] = &[
    "contact_center_report:read:admin",
    "contact_center_engagement:read:admin",
    "contact_center_recording:read:admin",
    "contact_center_note:read:admin",
];

/// A server whose Zoom routes have no rate limits (tests of other things should not be
/// throttled).
pub async fn app() -> TestApp {
    app_with("rate_limits = \"off\"").await
}

/// A server with this `[dialects.zoom_cc]` section.
pub async fn app_with(section: &str) -> TestApp {
    spawn_app_with(TestConfig::toml(format!("[dialects.zoom_cc]\n{section}"))).await
}

/// A token of tenant `acme` carrying exactly `scopes`.
pub fn token(app: &TestApp, scopes: &[&str]) -> String {
    token_for(
        app,
        "acme",
        ClientRole::Admin,
        SubjectKind::Client,
        "zoom-app",
        scopes,
        3600,
    )
}

pub fn token_for(
    app: &TestApp,
    tenant: &str,
    role: ClientRole,
    kind: SubjectKind,
    sub: &str,
    scopes: &[&str],
    ttl: i64,
) -> String {
    let now = jiff::Timestamp::now().as_second();
    app.signer.jwt(&Claims {
        tenant: tenant.into(),
        sub: sub.into(),
        kind,
        role,
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        iat: now,
        exp: now + ttl,
    })
}

/// Every scope the dialect knows.
pub fn all_scopes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for op in interlog_dialect_zoom_cc::scopes::Op::ALL {
        for s in op.scopes() {
            if !v.contains(s) {
                v.push(s);
            }
        }
    }
    v
}

pub fn admin_token(app: &TestApp) -> String {
    token(app, &all_scopes())
}

pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// GETs with every scope; (status, body).
pub async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let r = get_raw(app, path).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A GET with the admin token: the response as it came.
pub async fn get_raw(app: &TestApp, path: &str) -> Response {
    call(app, Method::GET, path, &admin_token(app), None).await
}

/// `path` (which has a query) asking for the page after `token`.
pub fn with_token(path: &str, token: &str) -> String {
    format!("{path}&next_page_token={}", enc(token))
}

/// Asserts Zoom's error envelope with this HTTP status and business code; returns the body.
pub async fn assert_zoom_error(r: Response, status: u16, code: u64) -> Value {
    let got = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "status of {body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert!(
        keys.iter()
            .all(|k| ["code", "message", "errors"].contains(&k.as_str())),
        "{body}"
    );
    body
}

pub fn parse(v: Value) -> Engagement {
    serde_json::from_value(v).unwrap()
}

/// A completed engagement with every field the Zoom shapes show.
pub fn full(id: &str, started: &str) -> Engagement {
    let start: jiff::Timestamp = started.parse().unwrap();
    let at = |s: i64| (start + jiff::SignedDuration::from_secs(s)).to_string();
    parse(json!({
        "id": id,
        "source": "zoom_cc",
        "started_at": started,
        "ended_at": at(600),
        "direction": "inbound",
        "channels": [{"type": "video", "source": "in_app_video", "media": "audio_video"}],
        "participants": [
            {"role": "customer", "id": format!("cust-{id}"), "display_name": "Jill",
             "calling_number": "+12058945728", "dialled_number": "+353 1 555 0100"},
            {"role": "agent", "id": "agent-ann", "email": "ann@acme.test", "display_name": "Ann"},
            {"role": "agent", "id": "agent-bob", "first_name": "Bob", "last_name": "Byrne"}
        ],
        "customer": {"phones": ["+12058945728"]},
        "queues": [
            {"id": "queue-sales", "name": "Sales", "wait_type": "live_waiting"},
            {"id": "queue-care", "name": "Care"}
        ],
        "timings": {"wait_ms": 10_000, "talk_ms": 400_400, "flow_ms": 20_000,
                    "handling_ms": 450_000, "wrap_up_ms": 30_000},
        "transfers": [{"type": "to_queue", "mode": "warm", "at": at(100), "queue_id": "queue-care"}],
        "recordings": [
            {"id": format!("rec-{id}"), "uri": format!("https://rec.acme.test/{id}"),
             "user": "ann@acme.test", "created_at": at(60), "duration_ms": 300_000, "media": "audio_video"}
        ],
        "dispositions": [{"id": "disp-1", "name": "Inquiry"}],
        "notes": [
            {"id": format!("note-{id}-1"), "text": "First note.", "author_id": "agent-ann",
             "updated_at": at(610)},
            {"id": format!("note-{id}-2"), "text": "Second note.", "author_id": "agent-bob",
             "created_at": at(620)}
        ],
        "flows": [{"id": "flow-main", "name": "Main", "version": "5"}]
    }))
}

/// A minimal completed engagement: a start, an end and a channel.
pub fn simple(id: &str, started: &str, channel: &str) -> Engagement {
    let start: jiff::Timestamp = started.parse().unwrap();
    parse(json!({
        "id": id,
        "started_at": started,
        "ended_at": (start + jiff::SignedDuration::from_secs(60)).to_string(),
        "channels": [{"type": channel}],
    }))
}

/// The ids of a list page, in order.
pub fn ids(body: &Value) -> Vec<String> {
    body["engagements"]
        .as_array()
        .unwrap_or_else(|| panic!("no engagements in {body}"))
        .iter()
        .map(|e| e["engagement_id"].as_str().unwrap().to_owned())
        .collect()
}

/// URL-encodes a query value.
pub fn enc(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every id of a listing, paging with `next_page_token` until it is empty.
pub async fn page_all(app: &TestApp, query: &str) -> (Vec<String>, Vec<Value>) {
    let mut out = Vec::new();
    let mut pages = Vec::new();
    let mut token = String::new();
    for _ in 0..1000 {
        let q = if token.is_empty() {
            query.to_owned()
        } else {
            format!("{query}&next_page_token={}", enc(&token))
        };
        let (status, body) = get(app, &format!("{LIST}?{q}")).await;
        assert_eq!(status, 200, "{q}: {body}");
        out.extend(ids(&body));
        token = body["next_page_token"].as_str().unwrap().to_owned();
        pages.push(body);
        if token.is_empty() {
            return (out, pages);
        }
    }
    panic!("the listing did not end");
}
