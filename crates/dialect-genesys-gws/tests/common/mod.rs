//! Shared by the dialect's black-box tests: a server with the dialect, users, logins, and
//! a small Bayeux client speaking raw HTTP.
#![allow(dead_code)]

use interlog_dialect_genesys_gws::Gws;
use interlog_http::auth::hash_secret;
use interlog_model::Engagement;
use interlog_store::{ClientRole, NewTenant, NewUser, Tenant};
use interlog_testkit::{spawn_app_with, TestApp, TestConfig};
use serde_json::{json, Value};
use std::sync::Arc;
use std::sync::LazyLock;

pub const PASSWORD: &str = "agent-password-1";

/// One hash for every test user: hashing is slow and salts do not matter here.
static HASH: LazyLock<String> = LazyLock::new(|| hash_secret(PASSWORD));

pub struct Gw {
    pub app: TestApp,
    pub gws: Arc<Gws>,
}

/// A server with this `[dialects.genesys_gws]` section.
pub async fn spawn(section: &str) -> Gw {
    let app = spawn_app_with(TestConfig::toml(format!(
        "[dialects.genesys_gws]\n{section}"
    )))
    .await;
    let gws = app.handle::<Gws>();
    Gw { app, gws }
}

/// A user of `tenant` whose password is [`PASSWORD`]; returns its id.
pub async fn user(app: &TestApp, tenant: &Tenant, username: &str, email: Option<&str>) -> String {
    app.store
        .create_user(
            tenant,
            NewUser {
                username: username.into(),
                password_hash: HASH.clone(),
                email: email.map(str::to_owned),
                display_name: Some(format!("{username} Tester")),
                role: ClientRole::Agent,
            },
        )
        .await
        .unwrap()
        .id
}

pub async fn tenant(app: &TestApp, key: &str, zone: &str, aliases: &[&str]) -> Tenant {
    app.store
        .create_tenant(NewTenant {
            key: key.into(),
            name: key.into(),
            time_zone: zone.into(),
            country_code: None,
            aliases: aliases
                .iter()
                .map(|a| ("genesys_gws".to_owned(), (*a).to_owned()))
                .collect(),
        })
        .await
        .unwrap()
}

pub async fn seed_into(app: &TestApp, tenant: &Tenant, es: Vec<Engagement>) {
    let es = es
        .into_iter()
        .map(|mut e| {
            e.normalize();
            e.validate().unwrap();
            e
        })
        .collect();
    app.store.upsert_many(tenant, es).await.unwrap();
}

pub fn engagement(v: Value) -> Engagement {
    serde_json::from_value(v).unwrap()
}

/// A session opened by `GET /api/v2/me` with Basic credentials.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub me: Value,
}

pub async fn login(app: &TestApp, login: &str, password: &str) -> Session {
    let r = app
        .http
        .get(app.url("/api/v2/me"))
        .basic_auth(login, Some(password))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login of {login}");
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    assert!(cookie.starts_with("JSESSIONID="), "{cookie}");
    let csrf = r
        .headers()
        .get("x-csrf-token")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    Session {
        cookie,
        csrf,
        me: r.json().await.unwrap(),
    }
}

impl Session {
    /// GETs with the session cookie: (status, body).
    pub async fn get(&self, app: &TestApp, path: &str) -> (u16, Value) {
        let r = app
            .http
            .get(app.url(path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// POSTs JSON with the cookie and the CSRF token: (status, body).
    pub async fn post(&self, app: &TestApp, path: &str, body: Value) -> (u16, Value) {
        self.post_to(app, &app.url(path), body).await
    }

    /// [`Session::post`] to a whole URL (e.g. another instance's).
    pub async fn post_to(&self, app: &TestApp, url: &str, body: Value) -> (u16, Value) {
        let r = app
            .http
            .post(url)
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// Asks for the interaction history, unfiltered: (status, acknowledgement).
    pub async fn retrieve_history(&self, app: &TestApp) -> (u16, Value) {
        let operation = json!({"operationName": "RetrieveInteractionHistory"});
        self.post(app, "/api/v2/ucs/interactions", operation).await
    }

    /// Sends a Bayeux batch: (status, replies).
    pub async fn bayeux(&self, app: &TestApp, messages: Value) -> (u16, Vec<Value>) {
        let r = app
            .http
            .post(app.url("/api/v2/notifications"))
            .header("cookie", &self.cookie)
            .json(&messages)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        (status, v.as_array().cloned().unwrap_or_default())
    }

    /// Handshakes and subscribes to `/v2/ucs/interactions`; returns the client id.
    pub async fn cometd(&self, app: &TestApp) -> String {
        let (_, r) = self
            .bayeux(
                app,
                json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"], "id": "1"}]),
            )
            .await;
        assert_eq!(r[0]["successful"], true, "{r:?}");
        let client = r[0]["clientId"].as_str().unwrap().to_owned();
        let (_, r) = self
            .bayeux(
                app,
                json!([{"channel": "/meta/subscribe", "clientId": client, "subscription": "/v2/ucs/interactions", "id": "2"}]),
            )
            .await;
        assert_eq!(r[0]["successful"], true, "{r:?}");
        client
    }

    /// One `/meta/connect` held at most `timeout_ms`: the notifications' `data`, and the
    /// connect reply.
    pub async fn connect(
        &self,
        app: &TestApp,
        client: &str,
        timeout_ms: u64,
    ) -> (Vec<Value>, Value) {
        let (_, r) = self
            .bayeux(
                app,
                json!([{"channel": "/meta/connect", "clientId": client, "connectionType": "long-polling", "id": "c", "advice": {"timeout": timeout_ms}}]),
            )
            .await;
        let reply = r
            .iter()
            .find(|m| m["channel"] == "/meta/connect")
            .cloned()
            .expect("a connect reply");
        let data = r
            .into_iter()
            .filter(|m| m["channel"] == "/v2/ucs/interactions")
            .map(|m| m["data"].clone())
            .collect();
        (data, reply)
    }

    /// Connects until the notification for `reference` arrives (at most 10 s).
    pub async fn notification(&self, app: &TestApp, client: &str, reference: u64) -> Value {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < until {
            let (data, _) = self.connect(app, client, 2000).await;
            if let Some(d) = data.into_iter().find(|d| d["referenceId"] == reference) {
                return d;
            }
        }
        panic!("no notification for reference {reference}");
    }
}

/// The ids of a list of interactions.
pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
