//! Shared set-up of the AXP black-box tests: a real server with the dialect, a tenant that
//! answers to an AXP account id, clients of each role with an application key, and helpers
//! for the calls an AXP integration makes.
#![allow(dead_code)]

use interlog_dialect_avaya_axp::AxpClaims;
use interlog_http::auth::{hash_secret, SubjectKind};
use interlog_store::{ClientRole, NewClient, NewTenant, Tenant};
use interlog_testkit::{spawn_app, TestApp};
use reqwest::{Method, Response};
use serde_json::Value;
use std::sync::LazyLock;

pub const ACCOUNT: &str = "ACMEAC";
pub const SECRET: &str = "axp client secret";
pub const APP_KEY: &str = "axp-application-key";
pub const JOURNEY: &str = "/api/journey/v1/accounts/ACMEAC";
pub const PROBLEM_BASE: &str =
    "https://developers.avayacloud.com/avaya-experience-platform/docs/error-handling";

/// One hash of each secret for the whole test binary: argon2 is slow on purpose.
static SECRET_HASH: LazyLock<String> = LazyLock::new(|| hash_secret(SECRET));
static APP_KEY_HASH: LazyLock<String> = LazyLock::new(|| hash_secret(APP_KEY));

pub struct Axp {
    pub app: TestApp,
    pub tenant: Tenant,
    pub admin: String,
    pub agent: String,
    pub reader: String,
}

/// The seed's example engagement (Avaya's `engagement-response`), exactly as the seed
/// (`tests/fixtures/003_1e49e18e07093bdb.txt`) has it.
pub fn seed_json() -> String {
    let text = include_str!("../fixtures/003_1e49e18e07093bdb.txt");
    text.lines()
        .find(|l| l.starts_with("{\"id\""))
        .expect("the seed holds the example response on one line")
        .to_owned()
}

pub fn client_id(role: ClientRole) -> String {
    format!("axp-{role}")
}

pub async fn create_client(
    app: &TestApp,
    tenant: &Tenant,
    id: &str,
    role: ClientRole,
    app_key: bool,
) {
    app.store
        .create_client(
            tenant,
            NewClient {
                client_id: id.to_owned(),
                secret_hash: SECRET_HASH.clone(),
                role,
                scopes: vec![],
                credentials: app_key
                    .then(|| {
                        (
                            interlog_http::auth::APP_KEY.to_owned(),
                            APP_KEY_HASH.clone(),
                        )
                    })
                    .into_iter()
                    .collect(),
            },
        )
        .await
        .unwrap();
}

/// A token as the AXP token endpoint issues it.
pub fn token_for(app: &TestApp, tenant: &str, client: &str, role: ClientRole) -> String {
    let now = jiff::Timestamp::now().as_second();
    app.signer.jwt(&AxpClaims {
        tenant: tenant.to_owned(),
        sub: client.to_owned(),
        kind: SubjectKind::Client,
        role,
        scopes: vec![],
        iat: now,
        exp: now + 900,
        azp: Some(client.to_owned()),
        name: Some(format!("{client} name")),
    })
}

/// A tenant keyed `key` answering to AXP account `account`, with a client of each role.
pub async fn add_account(app: &TestApp, key: &str, account: &str) -> (Tenant, [String; 3]) {
    let tenant = app
        .store
        .create_tenant(NewTenant {
            key: key.into(),
            name: key.into(),
            time_zone: "Europe/Dublin".into(),
            country_code: Some("353".into()),
            aliases: vec![("avaya_axp".into(), account.into())],
        })
        .await
        .unwrap();
    let mut tokens = Vec::new();
    for role in [ClientRole::Admin, ClientRole::Agent, ClientRole::Reader] {
        let id = format!("{key}-{role}");
        create_client(app, &tenant, &id, role, true).await;
        tokens.push(token_for(app, key, &id, role));
    }
    let [admin, agent, reader] = <[String; 3]>::try_from(tokens).unwrap();
    (tenant, [admin, agent, reader])
}

pub async fn spawn() -> Axp {
    let app = spawn_app().await;
    let (tenant, [admin, agent, reader]) = add_account(&app, "acme-ac", ACCOUNT).await;
    Axp {
        app,
        tenant,
        admin,
        agent,
        reader,
    }
}

/// A response's status, content type and body text.
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub text: String,
}

impl Answer {
    pub async fn from(r: Response) -> Answer {
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Answer {
            status,
            content_type,
            text: r.text().await.unwrap(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// Asserts an Avaya problem with this status; returns its body.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.content_type.as_deref(),
            Some("application/problem+json")
        );
        let body = self.json();
        assert_eq!(body["status"], status);
        assert!(body["type"]
            .as_str()
            .unwrap()
            .starts_with("https://developers.avayacloud.com/"));
        assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()));
        body
    }

    /// Asserts a 400 of the Customer Journey API with exactly these (field, code)
    /// violations.
    pub fn violations(&self, expected: &[(&str, i64)]) -> Value {
        self.violations_in(PROBLEM_BASE, expected)
    }

    /// Asserts a 400 whose `type` is under `base` (the token API has its own) with exactly
    /// these (field, code) violations.
    pub fn violations_in(&self, base: &str, expected: &[(&str, i64)]) -> Value {
        let body = self.problem(400);
        assert_eq!(body["title"], "Constraint Violation");
        assert_eq!(body["type"], format!("{base}#constraint-violation"));
        let got: Vec<(String, i64)> = body["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["field"].as_str().unwrap().to_owned(),
                    v["code"].as_i64().unwrap(),
                )
            })
            .collect();
        let want: Vec<(String, i64)> = expected.iter().map(|(f, c)| (f.to_string(), *c)).collect();
        assert_eq!(got, want, "{}", self.text);
        body
    }

    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        if self.text.is_empty() {
            Value::Null
        } else {
            assert_eq!(self.content_type.as_deref(), Some("application/json"));
            self.json()
        }
    }
}

impl Axp {
    /// A Customer Journey call with a token and the application key.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Answer {
        self.call_with(method, path, Some(token), Some(APP_KEY), body)
            .await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        app_key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.app.http.request(method, self.app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = app_key {
            req = req.header("appkey", k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Answer::from(req.send().await.unwrap()).await
    }

    /// A call with the account administrator's token.
    pub async fn as_admin(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call(method, path, &self.admin, body).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, &self.reader, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, &self.agent, Some(body)).await
    }

    /// POSTs `body` as it is, with this content type, as the agent.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        let r = self
            .app
            .http
            .post(self.app.url(path))
            .bearer_auth(&self.agent)
            .header("appkey", APP_KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        Answer::from(r).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, &self.agent, Some(body)).await
    }

    /// The engagement as the native API reads it (as the reader).
    pub async fn native(&self, id: &str) -> Value {
        let r = self
            .app
            .http
            .get(self.app.url(&format!(
                "/api/v1/tenants/{}/engagements/{id}",
                self.tenant.key
            )))
            .bearer_auth(&self.reader)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Ingests AXP engagement JSON lines through the bulk endpoint with the `avaya_axp`
    /// format.
    pub async fn ingest(&self, lines: &[String]) -> Value {
        let r = self
            .app
            .http
            .post(self.app.url(&format!(
                "/api/v1/tenants/{}/ingest?format=avaya_axp",
                self.tenant.key
            )))
            .bearer_auth(&self.agent)
            .header("content-type", "application/x-ndjson")
            .body(lines.join("\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let summary: Value = r.json().await.unwrap();
        assert_eq!(summary["rejected"], 0, "{summary}");
        summary
    }

    /// Creates an engagement through Create Engagement.
    pub async fn create(&self, id: &str, start: &str, identifiers: Value) {
        self.post(
            &format!("{JOURNEY}/engagements"),
            serde_json::json!({"id": id, "startDate": start, "identifiers": identifiers}),
        )
        .await
        .ok(202);
    }

    /// Creates an engagement with a new id and one phone number; its id.
    pub async fn new_engagement(&self, start: &str) -> String {
        let id = new_id();
        self.create(
            &id,
            start,
            serde_json::json!({"phoneNumbers": ["087 12345"]}),
        )
        .await;
        id
    }
}

/// A fresh engagement id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An AXP engagement line for ingest: `n` minutes after a fixed start, with these
/// identifiers and one agent.
pub fn axp_engagement(id: &str, minute: u32, identifiers: Value) -> String {
    let start = format!(
        "2024-03-01T{:02}:{:02}:00.000Z",
        9 + minute / 60,
        minute % 60
    );
    serde_json::json!({
        "id": id,
        "status": "COMPLETED",
        "direction": "INBOUND",
        "startDate": start,
        "channels": [{"id": "Voice", "type": "VOICE"}],
        "identifiers": identifiers,
        "participants": [{"id": "e5e8b989-c0d3-493e-9c6c-a1e482c42946", "type": "AGENT", "channelId": "Voice", "channelType": "VOICE", "joinedAt": start}],
        "conversations": ["Mortgage Application"]
    })
    .to_string()
}
