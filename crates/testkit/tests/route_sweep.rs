//! The route sweep: every route the assembled app serves (as the app lists them, never a
//! hand-kept list), called with every method it serves, with no credentials, with tampered
//! ones, and with valid credentials of another tenant. Every answer is that API's refusal
//! (401, 403 or 404, in its own envelope), never the victim's data, never a 5xx. Public
//! routes are called the same way and must not show the victim's data either.
//!
//! A route added without authentication answers the anonymous call with something else than
//! a refusal, and fails the sweep (`a_route_without_auth_fails_the_sweep` proves it).

use axum::extract::{Path, State};
use axum::routing::get;
use interlog_http::{Access, Api, ApiState, ConfigSection, RouteInfo, Routes};
use interlog_store::{ClientRole, Tenant};
use interlog_testkit::*;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Written into the victim's engagement wherever an API may show it; no answer to anyone
/// but the victim may contain it.
const MARKER: &str = "victim-secret-5c1e7a";
const ENGAGEMENT: &str = "0190f1e2-7a6b-7c8d-9e0f-a1b2c3d4e5f6";
const NOTE: &str = "victimnote0123456789";
const PASSWORD: &str = "sweep-password-1";
const APP_KEY_VALUE: &str = "sweep-application-key";
/// Every method a route may serve (HEAD is GET's).
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// What a tenant's clients hold, per API.
#[derive(Clone)]
struct Credentials {
    /// The tenant's key; an AXP account id when it has six letters.
    key: String,
    native: String,
    oracle_lx: String,
    zoom_cc: String,
    avaya_axp: String,
    /// A Genesys session: its cookie and CSRF token.
    gws_cookie: String,
    gws_csrf: String,
    /// An explorer session's cookie (`name=value`).
    ui_cookie: String,
}

/// How a call presents itself.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Guise {
    Anonymous,
    Tampered,
    OtherTenant,
}

/// A tenant keyed `key` (six letters, so it is also an AXP account id), with a client that
/// has an application key and a Genesys user; its tokens from each API's own token
/// endpoint, and a Genesys session.
async fn tenant_with_credentials(app: &TestApp, key: &str) -> (Tenant, Credentials) {
    let tenant = app.create_tenant(key).await;
    let client = format!("{key}-client");
    app.create_client_with_app_key(&tenant, &client, APP_KEY_VALUE)
        .await;
    app.create_user(&tenant, "agent", PASSWORD, ClientRole::Admin)
        .await;
    let token = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 200, "token request");
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };
    let http = &app.http;
    let native = token(
        http.post(app.url("/api/v1/oauth/token"))
            .form(&[("grant_type", "client_credentials")])
            .basic_auth(&client, Some(SECRET))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let oracle_lx = token(
        http.get(app.url(&format!("/v1/auth/{key}")))
            .basic_auth(&client, Some(SECRET))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let zoom_cc = token(
        http.post(app.url(&format!(
            "/oauth/token?grant_type=account_credentials&account_id={key}"
        )))
        .basic_auth(&client, Some(SECRET))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let account = key.to_ascii_uppercase();
    let avaya_axp = token(
        http.post(app.url(&format!(
            "/api/auth/v1/{account}/protocol/openid-connect/token"
        )))
        .header("appkey", APP_KEY_VALUE)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client.as_str()),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap(),
    )
    .await;
    let me = http
        .get(app.url("/api/v2/me"))
        .basic_auth(format!("{key}/agent"), Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let gws_cookie = me.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let gws_csrf = me.headers()["x-csrf-token"].to_str().unwrap().to_owned();
    let ui_cookie = ui_session(app, key).await;
    let creds = Credentials {
        key: key.to_owned(),
        native,
        oracle_lx,
        zoom_cc,
        avaya_axp,
        gws_cookie,
        gws_csrf,
        ui_cookie,
    };
    (tenant, creds)
}

/// The first `name=value` of each `Set-Cookie` of a response.
fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect()
}

/// Signs the tenant's user in to the explorer through its form; the session cookie.
async fn ui_session(app: &TestApp, key: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http.get(app.url("/ui/login")).send().await.unwrap();
    let login_cookie = set_cookies(&form).join("; ");
    let page = form.text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let at = page.find(marker).expect("a csrf field") + marker.len();
    let csrf = page[at..].split('"').next().unwrap();
    let signed_in = http
        .post(app.url("/ui/login"))
        .header("cookie", login_cookie)
        .form(&[
            ("csrf", csrf),
            ("tenant", key),
            ("username", "agent"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303, "explorer sign-in");
    set_cookies(&signed_in)
        .into_iter()
        .find(|c| c.starts_with("interlog_ui="))
        .expect("a session cookie")
}

/// The victim's engagement: completed, with a note, the marker in every field some API
/// shows.
async fn victim_data(app: &TestApp, victim: &Tenant) {
    let mut e: interlog_model::Engagement = serde_json::from_value(json!({
        "id": ENGAGEMENT,
        "started_at": jiff::Timestamp::now().to_string(),
        "ended_at": (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(60)).to_string(),
        "subject": MARKER,
        "channels": [{"type": "voice"}],
        "participants": [
            {"role": "customer", "id": "victim-customer", "display_name": MARKER},
            {"role": "agent", "id": "victim-agent", "display_name": MARKER}
        ],
        "customer": {"emails": [format!("{MARKER}@victim.example")]},
        "notes": [{"id": NOTE, "text": MARKER, "author_id": "victim-agent"}],
        "data": {"secret": MARKER},
    }))
    .unwrap();
    e.normalize();
    app.store.upsert_many(victim, vec![e]).await.unwrap();
}

/// A value for each path parameter, naming the victim's tenant and data.
fn fill(path: &str, victim: &Credentials) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').unwrap() + open;
        let name = rest[open + 1..close].trim_start_matches('*');
        out.push_str(&match name {
            "tenant" => victim.key.clone(),
            "accountId" => victim.key.to_ascii_uppercase(),
            "id" | "engagementId" => ENGAGEMENT.to_owned(),
            "note_id" | "noteId" => NOTE.to_owned(),
            "identifierId" => "0190f1e2-0000-7000-8000-000000000001".to_owned(),
            "command" => "pause".to_owned(),
            "segment" => "journeys:search".to_owned(),
            "rest" => "handshake".to_owned(),
            _ => "x".to_owned(),
        });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether the route names its tenant in the path (a valid token of another tenant must
/// then be refused), rather than taking it from the credentials (which then act in their
/// own tenant).
fn names_its_tenant(route: &RouteInfo) -> bool {
    route.path.contains("{tenant}") || route.path.contains("{accountId}")
}

/// A tampered copy of a signed token: one character of its signature changed.
fn tampered(token: &str) -> String {
    let mut t = token.to_owned();
    let last = t.pop().unwrap();
    t.push(if last == 'A' { 'B' } else { 'A' });
    t
}

/// The headers a call to `api` carries.
fn headers(api: &str, caller: Guise, victim: &Credentials, other: &Credentials) -> HeaderMap {
    let mut h = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        h.insert(name, HeaderValue::from_str(&value).unwrap());
    };
    let bearer = |c: &Credentials| match api {
        "native" => c.native.clone(),
        "oracle_lx" => c.oracle_lx.clone(),
        "zoom_cc" => c.zoom_cc.clone(),
        "avaya_axp" => c.avaya_axp.clone(),
        _ => c.native.clone(),
    };
    match (api, caller) {
        (_, Guise::Anonymous) => {}
        ("genesys_gws", Guise::Tampered) => {
            use base64::Engine;
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{}/agent:wrong-password", victim.key));
            set("authorization", format!("Basic {basic}"));
            set("cookie", tampered(&victim.gws_cookie));
            set("x-csrf-token", victim.gws_csrf.clone());
        }
        ("genesys_gws", Guise::OtherTenant) => {
            set("cookie", other.gws_cookie.clone());
            set("x-csrf-token", other.gws_csrf.clone());
        }
        // The explorer's credential is its session cookie.
        ("ui", Guise::Tampered) => set("cookie", tampered(&victim.ui_cookie)),
        ("ui", Guise::OtherTenant) => set("cookie", other.ui_cookie.clone()),
        (_, Guise::Tampered) => {
            set(
                "authorization",
                format!("Bearer {}", tampered(&bearer(victim))),
            );
            set("appkey", APP_KEY_VALUE.to_owned());
        }
        (_, Guise::OtherTenant) => {
            set("authorization", format!("Bearer {}", bearer(other)));
            set("appkey", APP_KEY_VALUE.to_owned());
        }
    }
    h
}

/// Whether `body` is a refusal in `api`'s own envelope, with `status`.
fn in_envelope(api: &str, status: u16, content_type: &str, body: &str) -> bool {
    if api == "ui" {
        return status == 303;
    }
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return false;
    };
    match api {
        "native" => {
            content_type == "application/problem+json"
                && v["status"] == status
                && v["code"].is_string()
        }
        "oracle_lx" => {
            content_type.starts_with("application/json")
                && v["status"] == status
                && v["code"].is_string()
                && v["message"].is_string()
        }
        "zoom_cc" => {
            content_type.starts_with("application/json")
                && v["code"].is_u64()
                && v["message"].is_string()
        }
        "avaya_axp" => {
            content_type == "application/problem+json"
                && v["status"] == status
                && v["type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("https://developers.avayacloud.com/"))
        }
        "genesys_gws" => {
            content_type.starts_with("application/json")
                && (v["statusCode"].is_u64() && v["statusMessage"].is_string()
                    // The Bayeux endpoint answers in Bayeux: each message refused.
                    || v.as_array().is_some_and(|replies| {
                        !replies.is_empty()
                            && replies.iter().all(|r| {
                                r["successful"] == false
                                    && r["error"].as_str().is_some_and(|e| {
                                        e.starts_with("401::") || e.starts_with("402::")
                                    })
                            })
                    }))
        }
        other => panic!("the sweep does not know the envelope of API {other:?}: add it"),
    }
}

/// The body a call sends: a Bayeux handshake to the CometD endpoint, `{}` elsewhere.
fn body_for(path: &str) -> Value {
    if path.starts_with("/api/v2/notifications") {
        json!([{"channel": "/meta/handshake", "version": "1.0",
                "supportedConnectionTypes": ["long-polling"]}])
    } else {
        json!({})
    }
}

/// Calls every route with every method and caller; returns what broke the rules.
async fn sweep(
    base: &str,
    routes: &[RouteInfo],
    victim: &Credentials,
    other: &Credentials,
) -> Vec<String> {
    // Redirects are answers to check (the explorer's refusal is one), not to follow.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut problems = Vec::new();
    for route in routes {
        let path = fill(&route.path, victim);
        let mut served = false;
        for method in METHODS {
            for caller in [Guise::Anonymous, Guise::Tampered, Guise::OtherTenant] {
                let mut req = http
                    .request(method.clone(), format!("{base}{path}"))
                    .headers(headers(route.api, caller, victim, other));
                if method != Method::GET && method != Method::DELETE {
                    req = req.json(&body_for(&path));
                }
                let r = req.send().await.unwrap();
                let status = r.status();
                let content_type = r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let location = r
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let text = r.text().await.unwrap_or_default();
                let what = format!(
                    "{method} {path} ({} route of {}) as {caller:?}: {status} {text:.300}",
                    if route.access == Access::Public {
                        "public"
                    } else {
                        "authenticated"
                    },
                    route.api
                );
                if status.is_server_error() {
                    problems.push(format!("server error: {what}"));
                }
                if text.contains(MARKER) {
                    problems.push(format!("the victim's data: {what}"));
                }
                if status == StatusCode::METHOD_NOT_ALLOWED {
                    continue;
                }
                served = true;
                if route.access == Access::Public {
                    continue;
                }
                let refused = match (caller, names_its_tenant(route)) {
                    (Guise::Anonymous | Guise::Tampered, _) => {
                        status == StatusCode::UNAUTHORIZED
                            // Genesys refuses a change without the session's CSRF token
                            // before it looks at credentials.
                            || (route.api == "genesys_gws" && status == StatusCode::FORBIDDEN)
                            // Bayeux answers every batch with 200 and refuses per message.
                            || (route.api == "genesys_gws" && status == StatusCode::OK)
                            // The explorer sends a browser without a session to sign in.
                            || (route.api == "ui"
                                && status == StatusCode::SEE_OTHER
                                && location.starts_with("/ui/login"))
                    }
                    (Guise::OtherTenant, true) => status == StatusCode::NOT_FOUND,
                    // The credentials name the tenant: they act in their own.
                    (Guise::OtherTenant, false) => continue,
                };
                if !refused {
                    problems.push(format!("not refused: {what}"));
                } else if !in_envelope(route.api, status.as_u16(), &content_type, &text) {
                    problems.push(format!("not in the API's envelope: {what}"));
                }
            }
        }
        if !served {
            problems.push(format!(
                "{} ({}) answers 405 to every method",
                route.path, route.api
            ));
        }
    }
    problems
}

/// Each API shows the marker to the victim itself, so its absence elsewhere means
/// something. `scheme` is how the `Authorization` header spells its scheme (Genesys is
/// called with Basic credentials in the same case).
async fn the_victim_sees_its_data(app: &TestApp, victim: &Credentials, scheme: &str) {
    let key = &victim.key;
    let account = key.to_ascii_uppercase();
    let calls: Vec<(&str, String, HeaderMap)> = vec![
        (
            "native",
            format!("/api/v1/tenants/{key}/engagements/{ENGAGEMENT}"),
            bearer(scheme, &victim.native, None),
        ),
        (
            "oracle_lx",
            format!("/v1/engagements/{key}?status=all"),
            bearer(scheme, &victim.oracle_lx, None),
        ),
        (
            "zoom_cc",
            format!("/v2/contact_center/engagements/{ENGAGEMENT}"),
            bearer(scheme, &victim.zoom_cc, None),
        ),
        (
            "avaya_axp",
            format!("/api/journey/v1/accounts/{account}/engagements/{ENGAGEMENT}"),
            bearer(scheme, &victim.avaya_axp, Some(APP_KEY_VALUE)),
        ),
        ("genesys_gws", "/api/v2/ucs/interactions".to_owned(), {
            let mut h = HeaderMap::new();
            h.insert("cookie", HeaderValue::from_str(&victim.gws_cookie).unwrap());
            h
        }),
        ("genesys_gws", "/api/v2/ucs/interactions".to_owned(), {
            use base64::Engine;
            let basic =
                base64::engine::general_purpose::STANDARD.encode(format!("{key}/agent:{PASSWORD}"));
            let scheme = match scheme {
                "BEARER" => "BASIC",
                "bearer" => "basic",
                _ => "Basic",
            };
            let mut h = HeaderMap::new();
            h.insert(
                "authorization",
                HeaderValue::from_str(&format!("{scheme} {basic}")).unwrap(),
            );
            h
        }),
        ("ui", format!("/ui/engagements/{ENGAGEMENT}"), {
            let mut h = HeaderMap::new();
            h.insert("cookie", HeaderValue::from_str(&victim.ui_cookie).unwrap());
            h
        }),
    ];
    for (api, path, headers) in calls {
        let r = app
            .http
            .get(app.url(&path))
            .headers(headers)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, 200, "{api} {path}: {text}");
        assert!(
            text.contains(MARKER),
            "{api} {path} shows no marker: {text}"
        );
    }
}

fn bearer(scheme: &str, token: &str, app_key: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("{scheme} {token}")).unwrap(),
    );
    if let Some(k) = app_key {
        h.insert("appkey", HeaderValue::from_str(k).unwrap());
    }
    h
}

/// A server with a victim tenant holding data and an attacker tenant.
async fn set_up() -> (TestApp, Credentials, Credentials) {
    let app = spawn_app().await;
    let (victim, victim_creds) = tenant_with_credentials(&app, "victim").await;
    let (_, other_creds) = tenant_with_credentials(&app, "attack").await;
    victim_data(&app, &victim).await;
    (app, victim_creds, other_creds)
}

#[tokio::test]
async fn every_route_refuses_anonymous_tampered_and_foreign_callers() {
    let (app, victim, other) = set_up().await;
    the_victim_sees_its_data(&app, &victim, "Bearer").await;
    for api in api_names() {
        assert!(
            app.routes.iter().any(|r| r.api == api),
            "the app lists no route of {api}"
        );
    }
    // Metrics are for whoever can reach the listener (issue 13): no label carries tenant
    // data or an id (crates/testkit/tests/metrics.rs), so the sweep calls /metrics as a
    // public route, which must show no tenant's data.
    assert!(
        app.routes
            .iter()
            .any(|r| r.path == "/metrics" && r.access == Access::Public),
        "/metrics is listed as a public route"
    );
    let problems = sweep(&app.base, &app.routes, &victim, &other).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// An API with one route added without authentication.
static LEAKY: Api = Api {
    name: "native",
    routes: |_| Ok(Routes::new("native").route("/api/v1/tenants/{tenant}/leak", get(leak))),
    ..Api::NONE
};

/// Lists a tenant's engagements to anyone: a route added without authentication.
async fn leak(State(state): State<ApiState>, Path(tenant): Path<String>) -> String {
    let t = state.tenant(&tenant).await.unwrap().unwrap();
    let page = state
        .store
        .list(&t, &interlog_store::Query::default())
        .await
        .unwrap();
    page.items.iter().map(|e| e.json.as_str()).collect()
}

#[tokio::test]
async fn a_route_without_auth_fails_the_sweep() {
    let (app, victim, other) = set_up().await;
    // The same store and key, with one more route, assembled by the same builder.
    let built = interlog_http::ApisBuilder::new(
        app.store.clone(),
        app.signer.clone(),
        app.config.api.clone(),
    )
    .api(&LEAKY, ConfigSection::default())
    .build()
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = built.router;
    tokio::spawn(async move { axum::serve(listener, router).await });
    let leaky: Vec<RouteInfo> = built
        .routes
        .into_iter()
        .filter(|r| r.path.ends_with("/leak"))
        .collect();
    assert_eq!(leaky.len(), 1);
    let problems = sweep(&base, &leaky, &victim, &other).await;
    assert!(
        problems.iter().any(|p| p.starts_with("the victim's data"))
            && problems.iter().any(|p| p.starts_with("not refused")),
        "{problems:?}"
    );
}

/// RFC 9110: the scheme of `Authorization` is case-insensitive, in every API.
#[tokio::test]
async fn every_api_reads_the_authorization_scheme_in_any_case() {
    let (app, victim, _) = set_up().await;
    for scheme in ["BEARER", "bearer", "bEaReR"] {
        the_victim_sees_its_data(&app, &victim, scheme).await;
    }
}
