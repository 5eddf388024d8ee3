//! `/v1/auth/{tenant}` and the bearer rules: 401, 404 for another tenant, 406.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use interlog_http::auth::Claims;
use interlog_store::ClientRole;
use interlog_testkit::*;
use serde_json::Value;

fn credentials(id: &str, secret: &str) -> String {
    STANDARD.encode(format!("{id}:{secret}"))
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn token_response(app: &TestApp, req: reqwest::RequestBuilder) -> (u16, Value) {
    let _ = app;
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    if status == 200 {
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_token_comes_from_query_keys_headers_or_basic_and_lasts_twenty_minutes() {
    let app = app().await;
    let creds = credentials(&app.client_id, SECRET);
    let url = app.url("/v1/auth/acme");
    let ways = [
        app.http.get(format!(
            "{url}?grant_type=password&domain_name=live.oraclecloud.com&credentials={}",
            encode(&creds)
        )),
        // An unencoded `+` in the query string still works.
        app.http
            .get(format!("{url}?grant_type=password&credentials={creds}")),
        app.http
            .get(&url)
            .header("grant_type", "password")
            .header("domain_name", "emea.live.oraclecloud.com")
            .header("credentials", &creds)
            .header("origin", "live.oraclecloud.com"),
        app.http.get(&url).basic_auth(&app.client_id, Some(SECRET)),
    ];
    for req in ways {
        let (status, body) = token_response(&app, req).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 1200);
        let token = body["access_token"].as_str().unwrap();
        let claims: Claims = app.signer.verify_jwt(token).unwrap();
        assert_eq!(claims.exp - claims.iat, 1200);
        assert_eq!(claims.tenant, "acme");
        // An Interlog token: it works on this dialect and on the native API alike.
        let r = get(&app, LIST, token, "application/json").await;
        assert_eq!(r.status(), 200);
        let r = app
            .http
            .get(app.url("/api/v1/tenants/acme/engagements"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_refused() {
    let app = app().await;
    let url = app.url("/v1/auth/acme");
    let wrong = credentials(&app.client_id, "not the secret");
    let r = app
        .http
        .get(format!("{url}?credentials={}", encode(&wrong)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"interlog\"");
    assert_lx_error(r, 401, "unauthorized").await;
    let r = app.http.get(&url).send().await.unwrap();
    assert_lx_error(r, 401, "unauthorized").await;
    // The right client at another tenant's path.
    app.other_tenant("globex").await;
    let good = credentials(&app.client_id, SECRET);
    let r = app
        .http
        .get(app.url(&format!("/v1/auth/globex?credentials={}", encode(&good))))
        .send()
        .await
        .unwrap();
    assert_lx_error(r, 401, "unauthorized").await;
    for (q, name) in [
        ("credentials=%25%25%25", "credentials"),
        (
            &format!("credentials={}", encode(&STANDARD.encode("no-colon"))) as &str,
            "credentials",
        ),
        (
            &format!(
                "grant_type=client_credentials&credentials={}",
                encode(&good)
            ),
            "grant_type",
        ),
        ("scope=all", "scope"),
    ] {
        let r = app.http.get(format!("{url}?{q}")).send().await.unwrap();
        let body = assert_lx_error(r, 400, "bad_parameter").await;
        assert_eq!(body["parameter"], name, "{q}");
    }
    // Errors follow Accept.
    let r = app
        .http
        .get(&url)
        .header("accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/xml");
    assert_eq!(parse_xml(&r.text().await.unwrap()).name, "apiResponseV1");
}

#[tokio::test]
async fn missing_invalid_or_expired_bearers_are_401_in_the_asked_representation() {
    let app = app().await;
    let expired = mint_token(&app.signer, "acme", ClientRole::Admin, -5);
    let foreign_key =
        interlog_http::auth::Signer::new(b"another-key-of-thirty-two-bytes!".to_vec());
    let forged = mint_token(&foreign_key, "acme", ClientRole::Admin, 600);
    for path in [LIST, COUNT] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"interlog\"");
        assert_lx_error(r, 401, "unauthorized").await;
        for token in [&expired, &forged, &"garbage".to_owned()] {
            let r = get(&app, path, token, "application/json").await;
            assert_lx_error(r, 401, "unauthorized").await;
        }
        let r = app
            .http
            .get(app.url(path))
            .header(
                "authorization",
                format!("Basic {}", credentials(&app.client_id, SECRET)),
            )
            .send()
            .await
            .unwrap();
        assert_lx_error(r, 401, "unauthorized").await;
        let r = get(&app, path, &expired, "text/xml").await;
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["content-type"], "text/xml");
        let el = parse_xml(&r.text().await.unwrap());
        assert_eq!(el.children[1].text, "unauthorized");
    }
}

#[tokio::test]
async fn another_tenants_token_finds_no_tenant() {
    let app = app().await;
    app.seed(vec![engagement("secret", "2024-01-01T00:00:00Z")])
        .await;
    let (_, globex) = app.other_tenant("globex").await;
    for path in [LIST, COUNT, "/v1/engagements/nosuchtenant"] {
        let r = get(&app, path, &globex, "application/json").await;
        let body = assert_lx_error(r, 404, "not_found").await;
        assert!(!body.to_string().contains("secret"));
    }
    let r = get(&app, "/v1/engagements/globex", &globex, "application/json").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"hasMore":false,"engagements":[]}"#
    );
}

#[tokio::test]
async fn unsupported_media_types_get_406() {
    let app = app().await;
    for accept in [
        "text/html",
        "application/pdf, image/*",
        "application/json;q=0",
    ] {
        for path in [LIST, COUNT] {
            let r = get(&app, path, &app.reader, accept).await;
            assert_lx_error(r, 406, "not_acceptable").await;
        }
    }
    for accept in ["*/*", "application/*", "text/html, application/xml;q=0.5"] {
        let r = get(&app, LIST, &app.reader, accept).await;
        assert_eq!(r.status(), 200, "{accept}");
        assert_eq!(r.headers()["vary"], "Accept");
    }
    let r = app
        .http
        .get(app.url(LIST))
        .bearer_auth(&app.reader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
}
