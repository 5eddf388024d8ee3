//! Tokens, roles and tenant isolation, over HTTP.

use interlog_store::ClientRole;
use interlog_testkit::*;
use reqwest::Method;
use serde_json::Value;
use std::time::{Duration, Instant};

async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> reqwest::Response {
    let mut req = app.http.post(app.url("/api/v1/oauth/token")).form(form);
    if let Some((u, p)) = basic {
        req = req.basic_auth(u, Some(p));
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn client_credentials_in_the_form_or_basic_give_a_working_bearer_token() {
    let app = spawn_app().await;
    for basic in [false, true] {
        let r = if basic {
            token_request(
                &app,
                &[("grant_type", "client_credentials")],
                Some((&app.client_id, SECRET)),
            )
            .await
        } else {
            token_request(
                &app,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &app.client_id),
                    ("client_secret", SECRET),
                ],
                None,
            )
            .await
        };
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], "read");
        let token = body["access_token"].as_str().unwrap();
        let r = app
            .call(
                Method::GET,
                "/api/v1/tenants/acme/engagements",
                Some(token),
                None,
            )
            .await;
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn wrong_credentials_get_the_same_401_whatever_was_wrong() {
    let app = spawn_app().await;
    let mut bodies = Vec::new();
    for (id, secret) in [
        (app.client_id.as_str(), "wrong"),
        ("nobody", SECRET),
        ("", ""),
    ] {
        let r = token_request(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ],
            None,
        )
        .await;
        assert_eq!(r.status(), 401);
        assert!(r.headers().contains_key("www-authenticate"));
        bodies.push(r.text().await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
}

#[tokio::test]
async fn repeated_failures_are_slowed_down() {
    let app = spawn_app().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "acme-admin"),
        ("client_secret", "guess"),
    ];
    for _ in 0..3 {
        token_request(&app, &form, None).await;
    }
    let t = Instant::now();
    let r = token_request(&app, &form, None).await;
    assert_eq!(r.status(), 401);
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn malformed_token_requests_are_400_with_an_oauth_error() {
    let app = spawn_app().await;
    let r = token_request(&app, &[("grant_type", "authorization_code")], None).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let r = token_request(&app, &[], None).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    let r = token_request(
        &app,
        &[("grant_type", "password"), ("tenant", "acme")],
        None,
    )
    .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn password_grant_logs_a_user_in() {
    let app = spawn_app().await;
    app.store
        .create_user(
            &app.tenant,
            interlog_store::NewUser {
                username: "jsmith".into(),
                password_hash: interlog_http::auth::hash_secret("hunter2hunter2"),
                email: Some("j@acme.test".into()),
                display_name: None,
                role: ClientRole::Reader,
            },
        )
        .await
        .unwrap();
    let ok = token_request(
        &app,
        &[
            ("grant_type", "password"),
            ("tenant", "acme"),
            ("username", "jsmith"),
            ("password", "hunter2hunter2"),
        ],
        None,
    )
    .await;
    assert_eq!(ok.status(), 200);
    let token = ok.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.call(
            Method::GET,
            "/api/v1/tenants/acme/engagements",
            Some(&token),
            None
        )
        .await
        .status(),
        200
    );
    // A reader may not write.
    let r = app
        .call(
            Method::POST,
            "/api/v1/tenants/acme/engagements",
            Some(&token),
            Some(serde_json::json!({"started_at": "2024-01-01T00:00:00Z"})),
        )
        .await;
    assert_problem(r, 403, "forbidden").await;
    for (tenant, user, pass) in [
        ("acme", "jsmith", "wrong-password"),
        ("nope", "jsmith", "hunter2hunter2"),
    ] {
        let r = token_request(
            &app,
            &[
                ("grant_type", "password"),
                ("tenant", tenant),
                ("username", user),
                ("password", pass),
            ],
            None,
        )
        .await;
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn missing_forged_and_expired_tokens_get_401() {
    let app = spawn_app().await;
    let path = "/api/v1/tenants/acme/engagements";
    assert_problem(
        app.call(Method::GET, path, None, None).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.call(Method::GET, path, Some("not.a.token"), None).await,
        401,
        "unauthorized",
    )
    .await;
    let expired = mint_token(&app.signer, "acme", ClientRole::Admin, -1);
    assert_problem(
        app.call(Method::GET, path, Some(&expired), None).await,
        401,
        "unauthorized",
    )
    .await;
    let foreign = mint_token(
        &interlog_http::auth::Signer::new(b"another key of thirty-two bytes!".to_vec()),
        "acme",
        ClientRole::Admin,
        60,
    );
    assert_problem(
        app.call(Method::GET, path, Some(&foreign), None).await,
        401,
        "unauthorized",
    )
    .await;
    // Swapping the payload of a valid token breaks its signature.
    let (head, rest) = app.reader.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let forged_payload = base64_url(&format!(
        r#"{{"tenant":"acme","sub":"x","kind":"client","role":"admin","iat":0,"exp":{}}}"#,
        i64::MAX / 2
    ));
    let forged = format!("{head}.{forged_payload}.{sig}");
    assert_problem(
        app.call(
            Method::DELETE,
            "/api/v1/tenants/acme/engagements/x",
            Some(&forged),
            None,
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn a_token_of_another_tenant_sees_404_never_data() {
    let app = spawn_app().await;
    app.seed(vec![engagement("secret-1", "2024-01-01T00:00:00Z")])
        .await;
    let (_, other) = app.other_tenant("globex").await;
    for path in [
        "/api/v1/tenants/acme/engagements",
        "/api/v1/tenants/acme/engagements/secret-1",
    ] {
        let r = app.call(Method::GET, path, Some(&other), None).await;
        let body = assert_problem(r, 404, "not_found").await;
        assert!(!body.to_string().contains("secret-1"));
    }
    // And its own tenant does not have acme's engagement.
    let r = app
        .call(
            Method::GET,
            "/api/v1/tenants/globex/engagements/secret-1",
            Some(&other),
            None,
        )
        .await;
    assert_problem(r, 404, "not_found").await;
    // An unknown tenant named in the token is a 404 too.
    let ghost = mint_token(&app.signer, "ghost", ClientRole::Admin, 60);
    assert_problem(
        app.call(
            Method::GET,
            "/api/v1/tenants/ghost/engagements",
            Some(&ghost),
            None,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn roles_limit_what_a_token_may_do() {
    let app = spawn_app().await;
    app.seed(vec![engagement("e1", "2024-01-01T00:00:00Z")])
        .await;
    let body = serde_json::json!({"started_at": "2024-01-01T00:00:00Z"});
    let r = app
        .call(
            Method::POST,
            "/api/v1/tenants/acme/engagements",
            Some(&app.reader),
            Some(body.clone()),
        )
        .await;
    assert_problem(r, 403, "forbidden").await;
    let r = app
        .call(
            Method::POST,
            "/api/v1/tenants/acme/engagements",
            Some(&app.agent),
            Some(body),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .call(
            Method::DELETE,
            "/api/v1/tenants/acme/engagements/e1",
            Some(&app.agent),
            None,
        )
        .await;
    assert_problem(r, 403, "forbidden").await;
    let r = app
        .call(
            Method::DELETE,
            "/api/v1/tenants/acme/engagements/e1",
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
}
