//! Zoom's server-to-server OAuth, tokens, scopes and accounts.

mod common;

use base64::Engine;
use common::*;
use interlog_http::auth::{hash_secret, Signer, SubjectKind};
use interlog_store::{ClientRole, NewClient, NewTenant};
use interlog_testkit::{TestApp, SECRET};
use reqwest::Method;
use serde_json::Value;

fn basic(id: &str, secret: &str) -> String {
    let raw = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn token_request(
    app: &TestApp,
    query: &str,
    auth: Option<String>,
    form: &str,
) -> (u16, Value) {
    let mut req = app
        .http
        .post(app.url(&format!("/oauth/token{query}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned());
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn client(
    app: &TestApp,
    tenant: &interlog_store::Tenant,
    id: &str,
    role: ClientRole,
    scopes: &[&str],
) {
    app.store
        .create_client(
            tenant,
            NewClient {
                client_id: id.into(),
                secret_hash: hash_secret(SECRET),
                role,
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                credentials: Default::default(),
            },
        )
        .await
        .unwrap();
}

async fn list_with(app: &TestApp, token: &str) -> reqwest::Response {
    call(app, Method::GET, LIST, token, None).await
}

#[tokio::test]
async fn account_credentials_in_the_query_or_the_form_give_a_working_token() {
    let app = app().await;
    client(&app, &app.tenant, "no-scopes", ClientRole::Admin, &[]).await;
    let auth = || Some(basic("no-scopes", SECRET));
    for (query, form) in [
        ("?grant_type=account_credentials&account_id=acme", ""),
        ("", "grant_type=account_credentials&account_id=acme"),
        ("", "grant_type=client_credentials"),
    ] {
        let (status, body) = token_request(&app, query, auth(), form).await;
        assert_eq!(status, 200, "{query}{form}: {body}");
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 3600);
        let scope = body["scope"].as_str().unwrap();
        // An admin client configured with no scopes is granted every scope its role allows.
        for s in [
            "contact_center_report:read:admin",
            "contact_center:read:list_engagements:admin",
            "contact_center_note:write",
            "contact_center_recording:write:admin",
        ] {
            assert!(scope.split(' ').any(|x| x == s), "{s} in {scope}");
        }
        let r = list_with(&app, body["access_token"].as_str().unwrap()).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["content-type"],
            "application/json;charset=UTF-8"
        );
    }
    // Credentials as form fields work too.
    let form = format!(
        "grant_type=client_credentials&client_id=no-scopes&client_secret={}",
        enc(SECRET)
    );
    let (status, _) = token_request(&app, "", None, &form).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn token_requests_fail_as_zoom_s_do() {
    let app = app().await;
    let good = || Some(basic(&app.client_id, SECRET));
    let cases = [
        (
            "?grant_type=account_credentials&account_id=acme",
            Some(basic(&app.client_id, "wrong")),
            401,
            "invalid_client",
        ),
        (
            "?grant_type=account_credentials&account_id=acme",
            Some(basic("nobody", SECRET)),
            401,
            "invalid_client",
        ),
        (
            "?grant_type=account_credentials&account_id=acme",
            None,
            401,
            "invalid_client",
        ),
        (
            "?grant_type=account_credentials",
            good(),
            400,
            "invalid_request",
        ),
        (
            "?grant_type=account_credentials&account_id=someone-else",
            good(),
            400,
            "invalid_request",
        ),
        (
            "?grant_type=password",
            good(),
            400,
            "unsupported_grant_type",
        ),
        ("", good(), 400, "invalid_request"),
    ];
    for (query, auth, status, error) in cases {
        let (got, body) = token_request(&app, query, auth, "").await;
        assert_eq!(got, status, "{query}: {body}");
        assert_eq!(body["error"], error, "{query}: {body}");
        assert!(body["reason"].as_str().is_some_and(|r| !r.is_empty()));
        assert!(body.get("access_token").is_none());
    }
}

#[tokio::test]
async fn an_account_id_may_be_the_tenant_s_zoom_alias() {
    let app = app().await;
    let t = app
        .store
        .create_tenant(NewTenant {
            key: "globex".into(),
            name: "Globex".into(),
            time_zone: "UTC".into(),
            country_code: None,
            aliases: vec![("zoom_cc".into(), "GlobexZoomAccount".into())],
        })
        .await
        .unwrap();
    client(&app, &t, "globex-app", ClientRole::Reader, &[]).await;
    app.seed(vec![simple("acme-only", "2024-03-01T00:00:00Z", "voice")])
        .await;
    let (status, body) = token_request(
        &app,
        "?grant_type=account_credentials&account_id=GlobexZoomAccount",
        Some(basic("globex-app", SECRET)),
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let scope = body["scope"].as_str().unwrap();
    assert!(
        !scope.contains("write"),
        "a reader gets read scopes only: {scope}"
    );
    let token = body["access_token"].as_str().unwrap();
    // The token's account is the tenant: another tenant's engagements are not there.
    let r = call(&app, Method::GET, &format!("{LIST}/acme-only"), token, None).await;
    assert_zoom_error(r, 404, 2901).await;
    let r = call(
        &app,
        Method::GET,
        &format!("{LIST}?from=2024-03-01&to=2024-03-02"),
        token,
        None,
    )
    .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["total_records"], 0);
}

#[tokio::test]
async fn scopes_are_checked_per_endpoint() {
    let app = app().await;
    client(
        &app,
        &app.tenant,
        "notes-only",
        ClientRole::Admin,
        &["contact_center_note:read:admin", "read"],
    )
    .await;
    let (_, body) = token_request(
        &app,
        "?grant_type=account_credentials&account_id=acme",
        Some(basic("notes-only", SECRET)),
        "",
    )
    .await;
    assert_eq!(body["scope"], "contact_center_note:read:admin");
    let notes_token = body["access_token"].as_str().unwrap().to_owned();
    let r = list_with(&app, &notes_token).await;
    let body = assert_zoom_error(r, 401, 4700).await;
    assert_eq!(
        body["message"],
        "Invalid access token, does not contain scopes:[contact_center_report:read:admin, contact_center:read:list_engagements:admin, contact_center_engagement:read:admin]."
    );
    let r = call(
        &app,
        Method::GET,
        &format!("{LIST}/notes"),
        &notes_token,
        None,
    )
    .await;
    assert_eq!(r.status(), 200);

    // Each of the list's scopes alone is enough: classic, granular, and the seed's older one.
    for s in [
        "contact_center_report:read:admin",
        "contact_center:read:list_engagements:admin",
        "contact_center_engagement:read:admin",
    ] {
        assert_eq!(
            list_with(&app, &token(&app, &[s])).await.status(),
            200,
            "{s}"
        );
    }
    // A note update needs its write scope, and a role that may write.
    app.seed(vec![full("e1", "2024-03-01T10:00:00Z")]).await;
    let patch = format!("{LIST}/e1/notes/note-e1-1");
    let body = Some(serde_json::json!({"note": "changed"}));
    let r = call(
        &app,
        Method::PATCH,
        &patch,
        &token(&app, READ_SCOPES),
        body.clone(),
    )
    .await;
    assert_zoom_error(r, 401, 4700).await;
    let reader = token_for(
        &app,
        "acme",
        ClientRole::Reader,
        SubjectKind::Client,
        "r",
        &["contact_center_note:write"],
        3600,
    );
    let r = call(&app, Method::PATCH, &patch, &reader, body.clone()).await;
    assert_zoom_error(r, 401, 4700).await;
    let r = call(
        &app,
        Method::PATCH,
        &patch,
        &token(&app, &["contact_center:update:note"]),
        body,
    )
    .await;
    assert_eq!(r.status(), 204);
    // Native tokens carry no Zoom scopes.
    assert_zoom_error(list_with(&app, &app.admin).await, 401, 4700).await;
}

/// A token for `id` from the token endpoint: (its `scope`, the token).
async fn granted(app: &TestApp, id: &str) -> (String, String) {
    let (status, body) = token_request(
        app,
        "?grant_type=account_credentials&account_id=acme",
        Some(basic(id, SECRET)),
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["scope"].as_str().unwrap().to_owned(),
        body["access_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_client_configured_with_scopes_gets_exactly_those_its_role_allows() {
    let app = app().await;
    app.seed(vec![full("e1", "2024-03-01T10:00:00Z")]).await;
    let notes = format!("{LIST}/e1/notes");
    // Configured with scopes, none of them Zoom's: no Zoom scope, so 4700 everywhere.
    client(
        &app,
        &app.tenant,
        "other-scopes",
        ClientRole::Admin,
        &["read"],
    )
    .await;
    let (scope, token) = granted(&app, "other-scopes").await;
    assert_eq!(scope, "");
    assert_zoom_error(list_with(&app, &token).await, 401, 4700).await;
    let r = call(&app, Method::GET, &notes, &token, None).await;
    assert_zoom_error(r, 401, 4700).await;
    // Configured with Zoom scopes beyond its role and other scopes: the Zoom scopes the
    // role allows, in the configured order, and nothing else.
    client(
        &app,
        &app.tenant,
        "some-scopes",
        ClientRole::Reader,
        &[
            "contact_center_note:write",
            "contact_center:read:list_engagements:admin",
            "read",
            "contact_center_recording:write:admin",
            "contact_center_note:read:admin",
        ],
    )
    .await;
    let (scope, token) = granted(&app, "some-scopes").await;
    assert_eq!(
        scope,
        "contact_center:read:list_engagements:admin contact_center_note:read:admin"
    );
    assert_eq!(list_with(&app, &token).await.status(), 200);
    assert_eq!(
        call(&app, Method::GET, &notes, &token, None).await.status(),
        200
    );
    let r = call(&app, Method::GET, &format!("{LIST}/e1"), &token, None).await;
    assert_zoom_error(r, 401, 4700).await;
    // Configured with no scopes at all: every scope of its role.
    client(&app, &app.tenant, "unscoped", ClientRole::Reader, &[]).await;
    let (scope, token) = granted(&app, "unscoped").await;
    assert!(
        scope.contains("contact_center:read:engagement:admin"),
        "{scope}"
    );
    assert!(!scope.contains("write"), "{scope}");
    assert_eq!(
        call(&app, Method::GET, &format!("{LIST}/e1"), &token, None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn bad_and_expired_tokens_are_zoom_s_124() {
    let app = app().await;
    let r = app.http.get(app.url(LIST)).send().await.unwrap();
    let body = assert_zoom_error(r, 401, 124).await;
    assert_eq!(body["message"], "Invalid access token.");
    let foreign = Signer::new(b"another-key-of-thirty-two-bytes!".to_vec());
    let now = jiff::Timestamp::now().as_second();
    let forged = foreign.jwt(&interlog_http::auth::Claims {
        tenant: "acme".into(),
        sub: "x".into(),
        kind: SubjectKind::Client,
        role: ClientRole::Admin,
        scopes: all_scopes().iter().map(|s| s.to_string()).collect(),
        iat: now,
        exp: now + 60,
    });
    for bad in ["garbage", "a.b.c", forged.as_str()] {
        let body = assert_zoom_error(list_with(&app, bad).await, 401, 124).await;
        assert_eq!(body["message"], "Invalid access token.");
    }
    let r = app
        .http
        .get(app.url(LIST))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .unwrap();
    assert_zoom_error(r, 401, 124).await;
    let expired = token_for(
        &app,
        "acme",
        ClientRole::Admin,
        SubjectKind::Client,
        "x",
        &all_scopes(),
        -5,
    );
    let body = assert_zoom_error(list_with(&app, &expired).await, 401, 124).await;
    assert_eq!(body["message"], "Access token is expired.");
    // A token for an account that does not exist.
    let ghost = token_for(
        &app,
        "ghost",
        ClientRole::Admin,
        SubjectKind::Client,
        "x",
        &all_scopes(),
        60,
    );
    assert_zoom_error(list_with(&app, &ghost).await, 401, 124).await;
}
