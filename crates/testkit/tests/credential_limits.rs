//! Checking a secret costs an argon2 hash, so clients without credentials are bounded: each
//! source address has a budget of failed checks (429 with Retry-After past it, in the envelope of
//! the API it called), and a flood from one address does not slow down a genuine client
//! elsewhere.

use base64::Engine;
use interlog_store::NewTenant;
use interlog_testkit::*;
use reqwest::Response;
use serde_json::Value;
use std::time::{Duration, Instant};

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

async fn native_token(app: &TestApp, http: &reqwest::Client, id: &str, secret: &str) -> Response {
    http.post(app.url("/api/v1/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
}

fn retry_after(r: &Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_budget_a_source_gets_429_in_every_api_s_envelope() {
    let app = spawn_app_with(TestConfig::toml(
        "credential_burst = 2\ncredential_per_minute = 1",
    ))
    .await;
    // An account with an AXP-shaped key answers the AXP token endpoint as ACMEAX.
    app.store
        .create_tenant(NewTenant {
            key: "acmeax".into(),
            name: "acmeax".into(),
            time_zone: "UTC".into(),
            country_code: None,
            aliases: vec![],
        })
        .await
        .unwrap();
    for i in 0..2 {
        let r = native_token(&app, &app.http, &format!("nobody-{i}"), "x").await;
        assert_eq!(r.status(), 401, "within the budget: checked and refused");
    }

    let r = native_token(&app, &app.http, "nobody-3", "x").await;
    assert_eq!(r.status(), 429);
    assert!(retry_after(&r) >= 1);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "too_many_requests", "{p}");

    let r = app
        .http
        .get(app.url("/v1/auth/acme"))
        .header("authorization", basic("nobody", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "Oracle LX");
    assert!(retry_after(&r) >= 1);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], 429, "LX apiResponseV1: {body}");

    let r = app
        .http
        .post(app.url("/oauth/token?grant_type=account_credentials&account_id=acme"))
        .header("authorization", basic("nobody", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "Zoom");
    assert!(retry_after(&r) >= 1);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], 429, "Zoom envelope: {body}");

    let r = app
        .http
        .post(app.url("/api/auth/v1/ACMEAX/protocol/openid-connect/token"))
        .header("appkey", "k")
        .form(&UNKNOWN_CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "Avaya");
    assert!(retry_after(&r) >= 1);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("#too-many-requests"),
        "{body}"
    );

    let r = app
        .http
        .get(app.url("/api/v2/me"))
        .header("authorization", basic("acme/nobody", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "Genesys");
    assert!(retry_after(&r) >= 1);
    let body: Value = r.json().await.unwrap();
    assert!(body["statusCode"].is_number(), "GWS envelope: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_does_not_starve_a_genuine_client_elsewhere() {
    let app = spawn_app().await;
    let flood_until = Instant::now() + Duration::from_secs(4);
    let mut flood = Vec::new();
    for w in 0..64 {
        let (http, url) = (app.http.clone(), app.url("/api/v1/oauth/token"));
        flood.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < flood_until {
                let _ = http
                    .post(&url)
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", format!("flood-{w}-{n}").as_str()),
                        ("client_secret", "x"),
                    ])
                    .send()
                    .await;
                n += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The genuine client comes from another address of the loopback network.
    let genuine = reqwest::Client::builder()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let t = Instant::now();
        let r = native_token(&app, &genuine, &app.client_id, SECRET).await;
        assert_eq!(r.status(), 200);
        slowest = slowest.max(t.elapsed());
    }
    for f in flood {
        f.await.unwrap();
    }
    assert!(
        slowest < Duration::from_millis(1500),
        "a genuine token request took {slowest:?} during the flood"
    );
}
