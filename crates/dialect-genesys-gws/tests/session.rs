//! Basic authentication, the JSESSIONID session, CSRF, and the Bayeux endpoint's rules:
//! client ids bound to their session, protocol errors, and idle clients expiring.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn me_with(
    app: &interlog_testkit::TestApp,
    auth: Option<&str>,
    cookie: Option<&str>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = app.http.get(app.url("/api/v2/me"));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    (status, r.json().await.unwrap_or(Value::Null), headers)
}

fn basic(login: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
    )
}

#[tokio::test]
async fn me_returns_the_user_with_a_session_and_the_csrf_headers() {
    let gw = spawn("").await;
    let app = &gw.app;
    let id = user(app, &app.tenant, "ksippo", Some("ksippo@acme.test")).await;
    let (status, body, headers) = me_with(app, Some(&basic("acme/ksippo", PASSWORD)), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["statusCode"], 0);
    let u = &body["user"];
    assert_eq!(u["id"], id);
    assert_eq!(u["userName"], "ksippo");
    assert_eq!(u["firstName"], "ksippo");
    assert_eq!(u["lastName"], "Tester");
    assert_eq!(u["emailAddress"], "ksippo@acme.test");
    assert_eq!(u["roles"], json!(["ROLE_AGENT"]));
    assert_eq!(u["enabled"], true);
    assert_eq!(u["path"], format!("/users/{id}"));
    assert_eq!(u["uri"], format!("{}/api/v2/users/{id}", app.base));
    assert_eq!(headers["x-csrf-header"], "X-CSRF-TOKEN");
    let token = headers["x-csrf-token"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(token).is_ok(), "{token}");
    let set = headers["set-cookie"].to_str().unwrap();
    assert!(
        set.starts_with("JSESSIONID=") && set.contains("HttpOnly"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap();

    // The cookie alone is enough afterwards, and keeps its token; no new session.
    let (status, body, h2) = me_with(app, None, Some(cookie)).await;
    assert_eq!(status, 200);
    assert_eq!(body["user"]["id"], id);
    assert_eq!(h2["x-csrf-token"], token);
    assert!(h2.get("set-cookie").is_none());

    // The tenant by alias, and by the configured default.
    let gw2 = spawn("default_tenant = \"acme\"").await;
    let app2 = &gw2.app;
    user(app2, &app2.tenant, "ksippo", None).await;
    let t = tenant(app2, "globex", "UTC", &["GLOBEX_EU"]).await;
    user(app2, &t, "hank", None).await;
    for login in ["ksippo", "acme/ksippo", "acme\\ksippo"] {
        let (status, body, _) = me_with(app2, Some(&basic(login, PASSWORD)), None).await;
        assert_eq!(status, 200, "{login}");
        assert_eq!(body["user"]["userName"], "ksippo");
    }
    let (status, _, _) = me_with(app2, Some(&basic("GLOBEX_EU/hank", PASSWORD)), None).await;
    assert_eq!(status, 200);
    let (status, _, _) = me_with(app2, Some(&basic("hank", PASSWORD)), None).await;
    assert_eq!(status, 401, "hank is not in the default tenant");
}

#[tokio::test]
async fn basic_auth_failures_get_status_code_20() {
    let gw = spawn("").await;
    let app = &gw.app;
    user(app, &app.tenant, "ksippo", None).await;
    let other = tenant(app, "globex", "UTC", &[]).await;
    user(app, &other, "hank", None).await;
    let denied = json!({"statusCode": 20, "statusMessage": "Access denied"});
    let cases: Vec<(Option<String>, Option<&str>)> = vec![
        (None, None),
        (Some(basic("acme/ksippo", "wrong-password")), None),
        (Some(basic("acme/nobody", PASSWORD)), None),
        (Some(basic("nowhere/ksippo", PASSWORD)), None),
        (Some(basic("acme/hank", PASSWORD)), None),
        (Some(basic("ksippo", PASSWORD)), None),
        (Some(basic("acme/ksippo", "")), None),
        (Some("Basic !!!not-base64".into()), None),
        (Some("Bearer abc".into()), None),
        (None, Some("JSESSIONID=forged")),
    ];
    for (auth, cookie) in cases {
        let (status, body, headers) = me_with(app, auth.as_deref(), cookie).await;
        assert_eq!(status, 401, "{auth:?} {cookie:?}");
        assert_eq!(body, denied, "{auth:?}");
        assert!(headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic"));
        assert!(headers.get("set-cookie").is_none());
    }
    for path in [
        "/api/v2/ucs/interactions",
        "/api/v2/ucs/interactions?maxSize=1",
    ] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<Value>().await.unwrap(), denied);
    }
    // A session of one tenant with Basic credentials of another: the credentials decide.
    let s = login(app, "acme/ksippo", PASSWORD).await;
    let (status, body, _) =
        me_with(app, Some(&basic("globex/hank", PASSWORD)), Some(&s.cookie)).await;
    assert_eq!(status, 200);
    assert_eq!(body["user"]["userName"], "hank");
    let (status, body, _) =
        me_with(app, Some(&basic("globex/hank", "wrong")), Some(&s.cookie)).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, denied));
}

#[tokio::test]
async fn modifying_requests_need_the_session_and_its_csrf_token() {
    let gw = spawn("").await;
    let app = &gw.app;
    user(app, &app.tenant, "ksippo", None).await;
    let a = login(app, "acme/ksippo", PASSWORD).await;
    let b = login(app, "acme/ksippo", PASSWORD).await;
    assert_ne!(a.csrf, b.csrf, "each session has its own token");
    let body = json!({"operationName": "RetrieveInteractionHistory"});
    let csrf_failure = json!({"statusCode": 3, "statusMessage": "Missing or invalid Csrf token"});
    let send = |cookie: Option<String>, token: Option<String>, auth: Option<String>| {
        let body = body.clone();
        async move {
            let mut req = app
                .http
                .post(app.url("/api/v2/ucs/interactions"))
                .json(&body);
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            if let Some(t) = token {
                req = req.header("x-csrf-token", t);
            }
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let r = req.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    for (cookie, token, auth) in [
        (Some(a.cookie.clone()), None, None),
        (None, Some(a.csrf.clone()), None),
        (Some(a.cookie.clone()), Some(b.csrf.clone()), None),
        (Some(a.cookie.clone()), Some(String::new()), None),
        (Some(a.cookie.clone()), Some("x".repeat(36)), None),
        (
            None,
            Some(a.csrf.clone()),
            Some(basic("acme/ksippo", PASSWORD)),
        ),
        (None, None, Some(basic("acme/ksippo", PASSWORD))),
        (None, None, None),
    ] {
        let (status, got) = send(cookie.clone(), token.clone(), auth.clone()).await;
        assert_eq!(status, 403, "{cookie:?} {token:?} {auth:?}");
        assert_eq!(got, csrf_failure);
    }
    let (status, got) = send(Some(a.cookie.clone()), Some(a.csrf.clone()), None).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["statusCode"], 0);
    assert!(got["referenceId"].as_u64().is_some());
    let (status, _) = send(Some(b.cookie.clone()), Some(b.csrf.clone()), None).await;
    assert_eq!(status, 200);

    // With protection off, Basic credentials alone will do.
    let off = spawn("csrf = false").await;
    user(&off.app, &off.app.tenant, "ksippo", None).await;
    let r = off
        .app
        .http
        .post(off.app.url("/api/v2/ucs/interactions"))
        .basic_auth("acme/ksippo", Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("x-csrf-token").is_none());
    // Served without a session: none is opened for a request that does not ask for one.
    assert!(r.headers().get("set-cookie").is_none());
    let (status, _, headers) = me_with(&off.app, Some(&basic("acme/ksippo", PASSWORD)), None).await;
    assert_eq!(status, 200);
    assert!(headers.get("x-csrf-header").is_none());
    let r = off
        .app
        .http
        .post(off.app.url("/api/v2/ucs/interactions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn basic_requests_without_a_cookie_leave_no_session_behind() {
    let gw = spawn("csrf = false").await;
    let app = &gw.app;
    user(app, &app.tenant, "ksippo", None).await;
    const SESSIONS: &str = "gws.session";
    for _ in 0..50 {
        let r = app
            .http
            .get(app.url("/api/v2/ucs/interactions?maxSize=1"))
            .basic_auth("acme/ksippo", Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("set-cookie").is_none());
    }
    for _ in 0..5 {
        let r = app
            .http
            .post(app.url("/api/v2/ucs/interactions"))
            .basic_auth("acme/ksippo", Some(PASSWORD))
            .json(&json!({"operationName": "RetrieveInteractionHistory"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("set-cookie").is_none());
    }
    assert_eq!(app.stored_records(SESSIONS).await, 0);
    // `/api/v2/me` opens one (it is how a client gets its cookie); Basic with that cookie
    // reuses it.
    let s = login(app, "acme/ksippo", PASSWORD).await;
    assert_eq!(app.stored_records(SESSIONS).await, 1);
    for path in ["/api/v2/me", "/api/v2/ucs/interactions?maxSize=1"] {
        let r = app
            .http
            .get(app.url(path))
            .basic_auth("acme/ksippo", Some(PASSWORD))
            .header("cookie", &s.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("set-cookie").is_none());
    }
    assert_eq!(app.stored_records(SESSIONS).await, 1);
}

#[tokio::test]
async fn sessions_live_in_the_store_so_another_instance_honours_them() {
    let gw = spawn("").await;
    let app = &gw.app;
    user(app, &app.tenant, "ksippo", None).await;
    let s = login(app, "acme/ksippo", PASSWORD).await;
    // A second server on the same store, started the same way.
    let second = app.second_instance().await;
    let addr = second.addr;
    let (status, _) = s
        .post_to(
            app,
            &format!("http://{addr}/api/v2/ucs/interactions"),
            json!({"operationName": "RetrieveInteractionHistory"}),
        )
        .await;
    assert_eq!(status, 200);
    let r = app
        .http
        .get(format!("http://{addr}/api/v2/me"))
        .header("cookie", &s.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-csrf-token"], s.csrf.as_str());
}

#[tokio::test]
async fn client_ids_are_bound_to_their_session_and_the_protocol_is_enforced() {
    let gw = spawn("").await;
    let app = &gw.app;
    user(app, &app.tenant, "ksippo", None).await;
    let a = login(app, "acme/ksippo", PASSWORD).await;
    let b = login(app, "acme/ksippo", PASSWORD).await;
    let client = a.cometd(app).await;

    // Another session's cookie cannot use the client id.
    for channel in [
        "/meta/connect",
        "/meta/subscribe",
        "/meta/unsubscribe",
        "/meta/disconnect",
    ] {
        let (_, r) = b
            .bayeux(app, json!([{"channel": channel, "clientId": client, "subscription": "/v2/ucs/interactions", "connectionType": "long-polling"}]))
            .await;
        assert_eq!(r[0]["successful"], false, "{channel}");
        assert_eq!(r[0]["error"], "402::Unknown client");
        assert_eq!(r[0]["advice"]["reconnect"], "handshake");
    }
    // Without credentials there is no handshake.
    let r = app
        .http
        .post(app.url("/api/v2/notifications/handshake"))
        .json(&json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}]))
        .send()
        .await
        .unwrap();
    let r: Value = r.json().await.unwrap();
    assert_eq!(r[0]["successful"], false);
    assert_eq!(r[0]["advice"]["reconnect"], "none");

    // Clients only listen; odd messages are refused, not fatal.
    let (_, r) = a
        .bayeux(app, json!([{"channel": "/v2/ucs/interactions", "clientId": client, "data": {"x": 1}, "id": "9"}]))
        .await;
    assert_eq!(r[0]["error"], "403::Publish denied");
    assert_eq!(r[0]["id"], "9");
    let (_, r) = a.bayeux(app, json!([{"channel": "/meta/subscribe", "clientId": client, "subscription": "/meta/connect"}])).await;
    assert_eq!(r[0]["successful"], false);
    let (_, r) = a
        .bayeux(app, json!([{"channel": "/meta/other", "clientId": client}]))
        .await;
    assert_eq!(r[0]["successful"], false);
    let (_, r) = a
        .bayeux(
            app,
            json!([{"channel": "/meta/handshake", "supportedConnectionTypes": ["websocket"]}]),
        )
        .await;
    assert_eq!(r[0]["error"], "400::Unsupported connection types");
    for body in ["", "{", "[]", "5", "[{\"id\":1}]"] {
        let r = app
            .http
            .post(app.url("/api/v2/notifications"))
            .header("cookie", &a.cookie)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body:?}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v[0]["successful"], false);
    }

    // A first connect (timeout 0) answers at once; unsubscribe stops delivery.
    let (data, reply) = a.connect(app, &client, 0).await;
    assert!(data.is_empty());
    assert_eq!(reply["successful"], true);
    assert_eq!(reply["advice"]["reconnect"], "retry");
    assert_eq!(reply["advice"]["timeout"], 30000);
    let (_, r) = a
        .bayeux(app, json!([{"channel": "/meta/unsubscribe", "clientId": client, "subscription": "/v2/ucs/interactions"}]))
        .await;
    assert_eq!(r[0]["successful"], true);
    let (_, ack) = a.retrieve_history(app).await;
    assert!(ack["referenceId"].is_u64());
    let (data, _) = a.connect(app, &client, 300).await;
    assert!(data.is_empty(), "{data:?}");

    // Disconnect forgets the client.
    let (_, r) = a
        .bayeux(
            app,
            json!([{"channel": "/meta/disconnect", "clientId": client}]),
        )
        .await;
    assert_eq!(r[0]["successful"], true);
    let (_, reply) = a.connect(app, &client, 0).await;
    assert_eq!(reply["error"], "402::Unknown client");
    assert_eq!(gw.gws.stats().clients, 0);
}

#[tokio::test]
async fn a_held_connect_returns_as_soon_as_the_result_is_ready() {
    let gw = spawn("").await;
    let app = &gw.app;
    user(app, &app.tenant, "ksippo", None).await;
    let s = login(app, "acme/ksippo", PASSWORD).await;
    let client = s.cometd(app).await;
    let _ = s.connect(app, &client, 0).await;
    let started = std::time::Instant::now();
    let poll = {
        let (s, client) = (s.clone(), client.clone());
        let http = app.http.clone();
        let url = app.url("/api/v2/notifications/connect");
        tokio::spawn(async move {
            let r = http
                .post(url)
                .header("cookie", &s.cookie)
                .json(&json!([{"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling"}]))
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, ack) = s.retrieve_history(app).await;
    let got = poll.await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "held for the full timeout"
    );
    assert_eq!(got[0]["channel"], "/v2/ucs/interactions");
    assert_eq!(got[0]["data"]["referenceId"], ack["referenceId"]);
    assert_eq!(got[0]["data"]["interactions"], json!([]));
    assert_eq!(got[1]["channel"], "/meta/connect");
    assert_eq!(got[1]["successful"], true);
}

#[tokio::test]
async fn idle_clients_expire_and_their_state_is_freed() {
    let gw = spawn("max_interval_ms = 300").await;
    let app = &gw.app;
    user(app, &app.tenant, "ksippo", None).await;
    let s = login(app, "acme/ksippo", PASSWORD).await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(s.cometd(app).await);
    }
    // Results queued for clients that never come back.
    let (_, ack) = s.retrieve_history(app).await;
    assert!(ack["referenceId"].is_u64());
    let stats = gw.gws.stats();
    assert_eq!((stats.clients, stats.sessions), (5, 1));

    // One keeps connecting; the others go quiet.
    let keeper = clients[0].clone();
    let until = std::time::Instant::now() + Duration::from_millis(1500);
    while std::time::Instant::now() < until {
        let (_, reply) = s.connect(app, &keeper, 100).await;
        assert_eq!(reply["successful"], true, "{reply}");
    }
    let stats = gw.gws.stats();
    assert_eq!((stats.clients, stats.sessions), (1, 1), "{stats:?}");
    let (_, reply) = s.connect(app, &clients[1], 0).await;
    assert_eq!(reply["error"], "402::Unknown client");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        gw.gws.stats(),
        interlog_dialect_genesys_gws::Stats::default()
    );

    // The session is still good for a new client.
    let again = s.cometd(app).await;
    let (_, reply) = s.connect(app, &again, 0).await;
    assert_eq!(reply["successful"], true);
}

#[tokio::test]
async fn clients_per_session_are_limited() {
    let gw = spawn("max_clients_per_session = 2").await;
    let app = &gw.app;
    user(app, &app.tenant, "ksippo", None).await;
    let s = login(app, "acme/ksippo", PASSWORD).await;
    s.cometd(app).await;
    s.cometd(app).await;
    let (_, r) = s
        .bayeux(app, json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}]))
        .await;
    assert_eq!(r[0]["successful"], false);
    assert_eq!(r[0]["error"], "403::Too many clients for this session");
    let other = login(app, "acme/ksippo", PASSWORD).await;
    other.cometd(app).await;
}

/// The operation starts on one instance and its result reaches the long poll held by
/// another (PostgreSQL backend: instances share notifications through the store).
#[tokio::test]
async fn a_result_reaches_the_long_poll_held_by_another_instance() {
    if interlog_testkit::backend() != interlog_testkit::Backend::Postgres {
        eprintln!("skipped: instances share notifications on the PostgreSQL backend only");
        return;
    }
    let gw = spawn("").await;
    let app = &gw.app;
    user(app, &app.tenant, "ksippo", None).await;
    let recent = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    seed_into(
        app,
        &app.tenant,
        vec![engagement(
            json!({"id": "far1", "started_at": recent.to_string(), "channels": [{"type": "voice"}]}),
        )],
    )
    .await;
    let s = login(app, "acme/ksippo", PASSWORD).await;
    let client = s.cometd(app).await;
    let second = app.second_instance().await;
    for (n, path) in ["/api/v2/ucs/interactions", "/api/v2/ucs/interactions/far1"]
        .into_iter()
        .enumerate()
    {
        let operation = if n == 0 {
            json!({"operationName": "RetrieveInteractionHistory"})
        } else {
            json!({"operationName": "GetInteractionContent"})
        };
        let url = format!("http://{}{path}", second.addr);
        let (status, ack) = s.post_to(app, &url, operation).await;
        assert_eq!(status, 200, "{path}");
        let reference = ack["referenceId"].as_u64().expect("a reference id");
        let d = s.notification(app, &client, reference).await;
        if n == 0 {
            assert_eq!(d["messageType"], "GetInteractionsHistoryMessage", "{d}");
            assert!(d["interactions"].is_array(), "{d}");
        } else {
            assert_eq!(d["messageType"], "GetInteractionContentMessage", "{d}");
            assert_eq!(d["interaction"]["id"], "far1", "{d}");
        }
    }
    second.stop().await.unwrap();
}
